/* test_lesson.c — the lesson parser and checker (core/src/lesson): slides, directives,
 * inheritance, narration structure, notes, every problem with its line number, checks
 * against a real shipped model, and garbage that must not crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attnstep/lesson.h"

static Lesson *parse(const char *text) {
    Status st = {{0}};
    Lesson *l = lesson_parse(text, strlen(text), &st);
    assert_non_null(l);
    return l;
}

/* 1 when some problem on `line` contains `needle` (errors only unless warning). */
static int has_problem(const Lesson *l, int line, int warning, const char *needle) {
    for (int i = 0; i < l->n_problems; i++)
        if (l->problems[i].line == line && l->problems[i].warning == warning && strstr(l->problems[i].message, needle)) return 1;
    return 0;
}

static void dump(const Lesson *l) {
    for (int i = 0; i < l->n_problems; i++)
        fprintf(stderr, "  line %d %s: %s\n", l->problems[i].line, l->problems[i].warning ? "warning" : "error", l->problems[i].message);
}

static const char *span_text(const LessonRich *r, int block, int span, char *buf, size_t n) {
    const LessonSpan *s = &r->spans[r->blocks[block].span0 + span];
    snprintf(buf, n, "%.*s", s->len, r->text + s->off);
    return buf;
}

static const char *GOOD =
    "# Attention, step by step\n"           /* 1 */
    "\n"                                    /* 2 */
    "```attnstep\n"                         /* 3 */
    "lang: zh\n"                            /* 4 */
    "model: reverse-tutorial\n"             /* 5 */
    "```\n"                                 /* 6 */
    "\n"                                    /* 7 */
    "## The encoder\n"                      /* 8 */
    "\n"                                    /* 9 */
    "```attnstep\n"                         /* 10 */
    "input: a b c d\n"                      /* 11 */
    "view: unrolled\n"                      /* 12 */
    "position: encoder step 2\n"            /* 13 */
    "highlight: source 2\n"                 /* 14 */
    "highlight: \"b\"\n"                    /* 15 */
    "zoom: 2 at 0.25,0.75\n"                /* 16 */
    "```\n"                                 /* 17 */
    "\n"                                    /* 18 */
    "Every *h* is **kept**, see `all_h`.\n" /* 19 */
    "\n"                                    /* 20 */
    "- first\n"                             /* 21 */
    "- second\n"                            /* 22 */
    "  1. nested\n"                         /* 23 */
    "\n"                                    /* 24 */
    "### Notes\n"                           /* 25 */
    "\n"                                    /* 26 */
    "Ask the class what h0 is.\n"           /* 27 */
    "\n"                                    /* 28 */
    "## Decoding\n"                         /* 29 */
    "\n"                                    /* 30 */
    "```attnstep\n"                         /* 31 */
    "strategy: beam 3\n"                    /* 32 */
    "view: beam\n"                          /* 33 */
    "position: beam step 2\n"               /* 34 */
    "```\n"                                 /* 35 */
    "\n"                                    /* 36 */
    "### Sub heading\n"                     /* 37 */
    "\n"                                    /* 38 */
    "```\n"                                 /* 39 */
    "code line 1\n"                         /* 40 */
    "code line 2\n"                         /* 41 */
    "```\n";                                /* 42 */

static void test_parse_slides_and_directives(void **state) {
    Lesson *l = parse(GOOD);
    if (l->n_problems) dump(l);
    assert_int_equal(l->n_problems, 0);
    assert_string_equal(l->title, "Attention, step by step");
    assert_string_equal(l->lang, "zh");
    assert_int_equal(l->n_slides, 2);
    const LessonSlide *s = &l->slides[0];
    assert_string_equal(s->title, "The encoder");
    assert_int_equal(s->line, 8);
    assert_string_equal(s->set.model, "reverse-tutorial"); /* from the front block */
    assert_string_equal(s->set.input, "a b c d");
    assert_int_equal(s->set.line_input, 11);
    assert_int_equal(s->set.view, LESSON_VIEW_UNROLLED);
    assert_int_equal(s->set.pos.kind, LESSON_POS_ENC_STEP);
    assert_int_equal(s->set.pos.n, 2);
    assert_int_equal(s->set.line_pos, 13);
    assert_int_equal(s->set.n_hl, 2);
    assert_int_equal(s->set.hl[0].kind, LESSON_HL_SOURCE);
    assert_int_equal(s->set.hl[0].n, 2);
    assert_int_equal(s->set.hl[1].kind, LESSON_HL_TOKEN);
    assert_string_equal(s->set.hl[1].text, "b");
    assert_true(s->set.zoom == 2.0f && s->set.zoom_x == 0.25f && s->set.zoom_y == 0.75f);
    assert_int_equal(s->set.beam, 0);

    /* the second slide inherits model, input and view-independent settings; highlights and zoom reset */
    const LessonSlide *t = &l->slides[1];
    assert_string_equal(t->set.input, "a b c d");
    assert_int_equal(t->set.beam, 3);
    assert_int_equal(t->set.view, LESSON_VIEW_BEAM);
    assert_int_equal(t->set.pos.kind, LESSON_POS_STEP);
    assert_int_equal(t->set.pos.beam, 1);
    assert_int_equal(t->set.pos.n, 2);
    assert_int_equal(t->set.n_hl, 0);
    assert_true(t->set.zoom == 1.0f);
    lesson_free(l);
}

static void test_narration_structure(void **state) {
    Lesson *l = parse(GOOD);
    char b[128];
    const LessonRich *r = &l->slides[0].body;
    /* paragraph, item, item, nested ordered item */
    assert_int_equal(r->n_blocks, 4);
    assert_int_equal(r->blocks[0].kind, LESSON_BLOCK_PARA);
    assert_int_equal(r->blocks[0].line, 19);
    assert_int_equal(r->blocks[0].nspans, 7);
    assert_string_equal(span_text(r, 0, 0, b, sizeof b), "Every ");
    assert_string_equal(span_text(r, 0, 1, b, sizeof b), "h");
    assert_int_equal(r->spans[r->blocks[0].span0 + 1].style, LESSON_EM);
    assert_string_equal(span_text(r, 0, 3, b, sizeof b), "kept");
    assert_int_equal(r->spans[r->blocks[0].span0 + 3].style, LESSON_STRONG);
    assert_string_equal(span_text(r, 0, 5, b, sizeof b), "all_h");
    assert_int_equal(r->spans[r->blocks[0].span0 + 5].style, LESSON_CODE);
    assert_int_equal(r->blocks[1].kind, LESSON_BLOCK_ITEM);
    assert_int_equal(r->blocks[1].number, 0);
    assert_int_equal(r->blocks[1].level, 0);
    assert_string_equal(span_text(r, 1, 0, b, sizeof b), "first");
    assert_int_equal(r->blocks[3].kind, LESSON_BLOCK_ITEM);
    assert_int_equal(r->blocks[3].number, 1);
    assert_int_equal(r->blocks[3].level, 1);
    assert_string_equal(span_text(r, 3, 0, b, sizeof b), "nested");
    /* the notes heading is not narration; the notes hold the paragraph after it */
    const LessonRich *n = &l->slides[0].notes;
    assert_int_equal(n->n_blocks, 1);
    assert_string_equal(span_text(n, 0, 0, b, sizeof b), "Ask the class what h0 is.");
    /* slide 2: a level-3 heading block and a code block with a hard break between lines */
    const LessonRich *r2 = &l->slides[1].body;
    assert_int_equal(r2->n_blocks, 2);
    assert_int_equal(r2->blocks[0].kind, LESSON_BLOCK_HEADING);
    assert_int_equal(r2->blocks[0].level, 3);
    assert_string_equal(span_text(r2, 0, 0, b, sizeof b), "Sub heading");
    assert_int_equal(r2->blocks[1].kind, LESSON_BLOCK_CODE);
    assert_int_equal(r2->blocks[1].nspans, 2);
    assert_string_equal(span_text(r2, 1, 1, b, sizeof b), "code line 2");
    assert_int_equal(r2->spans[r2->blocks[1].span0 + 1].hard_break, 1);
    lesson_free(l);
}

/* A soft line break is a space, except between two CJK characters. */
static void test_soft_breaks(void **state) {
    Lesson *l = parse("## s\n\none\ntwo\n\n\xe4\xb8\xad\xe6\x96\x87\n\xe7\xbb\xa7\xe7\xbb\xad\n\n\xe4\xb8\xad\nA\n");
    const LessonRich *r = &l->slides[0].body;
    char b[64];
    assert_int_equal(r->n_blocks, 3);
    assert_string_equal(span_text(r, 0, 0, b, sizeof b), "one two");
    assert_string_equal(span_text(r, 1, 0, b, sizeof b), "\xe4\xb8\xad\xe6\x96\x87\xe7\xbb\xa7\xe7\xbb\xad"); /* 中文继续 */
    assert_string_equal(span_text(r, 2, 0, b, sizeof b), "\xe4\xb8\xad A");
    lesson_free(l);
}

static void test_problems_have_line_numbers(void **state) {
    const char *text =
        "## One\n"                    /* 1 */
        "```attnstep\n"               /* 2 */
        "colour: red\n"               /* 3 */
        "view: pie\n"                 /* 4 */
        "position: step x\n"          /* 5 */
        "no colon here\n"             /* 6 */
        "strategy: beam 0\n"          /* 7 */
        "zoom: 20\n"                  /* 8 */
        "position: middle\n"          /* 9 */
        "lang: zh\n"                  /* 10 */
        "highlight: target 0\n"       /* 11 */
        "```\n"                       /* 12 */
        "# Stray title\n"             /* 13 */
        "## Two\n"                    /* 14 */
        "```attnstep\n"               /* 15 */
        "view: heatmap\n"             /* 16 */
        "view: beam\n"                /* 17 */
        "```\n";
    Lesson *l = parse(text);
    assert_true(has_problem(l, 3, 0, "unknown directive \"colour\""));
    assert_true(has_problem(l, 4, 0, "unknown view \"pie\""));
    assert_true(has_problem(l, 5, 0, "decoder step must be a number"));
    assert_true(has_problem(l, 6, 0, "is not a directive"));
    assert_true(has_problem(l, 7, 0, "beam width"));
    assert_true(has_problem(l, 8, 0, "factor must be 1..8"));
    assert_true(has_problem(l, 9, 0, "given twice"));
    assert_true(has_problem(l, 10, 0, "lang belongs in the block before the first slide"));
    assert_true(has_problem(l, 11, 0, "token number must be 1 or more"));
    assert_true(has_problem(l, 13, 0, "level-1 heading"));
    assert_true(has_problem(l, 17, 0, "given twice"));
    assert_int_equal(l->n_errors, 11);
    /* a bad value keeps the inherited one: slide 1 view stays none, slide 2 heatmap */
    assert_int_equal(l->slides[0].set.view, LESSON_VIEW_NONE);
    assert_int_equal(l->slides[1].set.view, LESSON_VIEW_HEATMAP);
    lesson_free(l);

    l = parse("just text\n");
    assert_true(has_problem(l, 1, 1, "before the first slide"));
    assert_true(has_problem(l, 0, 0, "no slides"));
    lesson_free(l);
}

static void test_positions(void **state) {
    static const struct { const char *text; LessonPosKind kind; int n; LessonPhase phase; int beam; const char *canon; } ok[] = {
        {"start", LESSON_POS_START, 0, 0, 0, "start"},
        {"END", LESSON_POS_END, 0, 0, 0, "end"},
        {"encoder done", LESSON_POS_ENC_DONE, 0, 0, 0, "encoder done"},
        {"  encoder   step 4 ", LESSON_POS_ENC_STEP, 4, 0, 0, "encoder step 4"},
        {"step 3", LESSON_POS_STEP, 3, LESSON_PHASE_DONE, 0, "step 3"},
        {"step 3 attention", LESSON_POS_STEP, 3, LESSON_PHASE_WEIGHTS, 0, "step 3 weights"},
        {"Step 1 Energies", LESSON_POS_STEP, 1, LESSON_PHASE_ENERGIES, 0, "step 1 energies"},
        {"step 2 context", LESSON_POS_STEP, 2, LESSON_PHASE_CONTEXT, 0, "step 2 context"},
        {"step 12 output", LESSON_POS_STEP, 12, LESSON_PHASE_OUTPUT, 0, "step 12 output"},
        {"beam step 2", LESSON_POS_STEP, 2, LESSON_PHASE_DONE, 1, "beam step 2"},
        {"beam step 2 candidates", LESSON_POS_STEP, 2, LESSON_PHASE_CANDIDATES, 1, "beam step 2 candidates"},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        LessonPos p;
        Status st = {{0}};
        assert_int_equal(lesson_pos_parse(ok[i].text, &p, &st), 0);
        assert_int_equal(p.kind, ok[i].kind);
        assert_int_equal(p.n, ok[i].n);
        assert_int_equal(p.phase, ok[i].phase);
        assert_int_equal(p.beam, ok[i].beam);
        assert_string_equal(lesson_pos_format(&p, buf, sizeof buf), ok[i].canon);
    }
    static const char *bad[] = {"", "step", "step 0", "step -1", "step 3 lunch", "encoder step 0", "encoder", "beam step 2 context",
                                "step 1 2 3 4", "step 99999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        LessonPos p;
        Status st = {{0}};
        assert_int_equal(lesson_pos_parse(bad[i], &p, &st), -1);
        assert_true(strlen(st.message) > 10);
    }
}

static const char *MODEL_DIRS[] = {ATTNSTEP_SOURCE_DIR "/assets/models"};

static void test_check_against_model(void **state) {
    const char *text =
        "## ok\n"                                   /* 1 */
        "```attnstep\n"                             /* 2 */
        "model: reverse-tutorial\n"                 /* 3 */
        "input: a b c d\n"                          /* 4 */
        "view: attention\n"                         /* 5 */
        "position: step 5 weights\n"                /* 6: 4 symbols + <eos> = 5 steps */
        "highlight: source 5\n"                     /* 7 */
        "```\n"                                     /* 8 */
        "## out of range\n"                         /* 9 */
        "```attnstep\n"                             /* 10 */
        "position: step 6\n"                        /* 11 */
        "highlight: source 6\n"                     /* 12 */
        "```\n"                                     /* 13 */
        "## encoder range\n"                        /* 14 */
        "```attnstep\n"                             /* 15 */
        "position: encoder step 6\n"                /* 16 */
        "view: beam\n"                              /* 17 */
        "```\n"                                     /* 18 */
        "## unknown model\n"                        /* 19 */
        "```attnstep\n"                             /* 20 */
        "model: no-such-model\n"                    /* 21 */
        "```\n"                                     /* 22 */
        "## beam position on greedy\n"              /* 23 */
        "```attnstep\n"                             /* 24 */
        "model: reverse-tutorial\n"                 /* 25 */
        "position: beam step 1\n"                   /* 26 */
        "view: heatmap\n"                           /* 27 */
        "```\n";
    Lesson *l = parse(text);
    assert_int_equal(l->n_problems, 0);
    LessonRunInfo runs[5];
    Status st = {{0}};
    assert_int_equal(lesson_check(l, MODEL_DIRS, 1, runs, &st), 0);
    dump(l);
    assert_int_equal(runs[0].source_len, 5);
    assert_int_equal(runs[0].dec_steps, 5);
    assert_int_equal(runs[0].out_len, 4);
    assert_int_equal(runs[0].has_attention, 1);
    assert_string_equal(runs[0].output, "d c b a");
    assert_true(has_problem(l, 11, 0, "out of range: this run has 5 decoder steps"));
    assert_true(has_problem(l, 12, 0, "highlight source 6 out of range"));
    assert_true(has_problem(l, 16, 0, "the source has 5 encoder steps"));
    assert_true(has_problem(l, 17, 0, "needs beam search"));
    assert_true(has_problem(l, 21, 0, "unknown model \"no-such-model\""));
    assert_true(has_problem(l, 26, 0, "needs beam search"));
    assert_int_equal(l->n_errors, 6);
    lesson_free(l);
}

static void test_check_unknown_words_and_missing(void **state) {
    const char *text =
        "## a\n"
        "```attnstep\n"
        "model: en-fr-es-tutorial\n"      /* 3 */
        "input: <2fr> the zorblax cat\n"  /* 4 */
        "view: heatmap\n"
        "```\n"
        "## b\n"
        "```attnstep\n"
        "input: <2fr> the cat\n"
        "highlight: \"dog\"\n"             /* 10: not in the run: a warning */
        "```\n"
        "## c\n"
        "```attnstep\n"
        "model: ../nope/x.safetensors\n"   /* 14 */
        "```\n";
    Lesson *l = parse(text);
    Status st = {{0}};
    assert_int_equal(lesson_check(l, MODEL_DIRS, 1, NULL, &st), 0);
    dump(l);
    assert_true(has_problem(l, 4, 0, "\"zorblax\""));
    assert_true(has_problem(l, 10, 1, "neither a source word nor an output word"));
    assert_true(has_problem(l, 14, 0, "unknown model"));
    lesson_free(l);

    l = parse("## v\n```attnstep\nview: cell\n```\n");
    assert_int_equal(lesson_check(l, MODEL_DIRS, 1, NULL, &st), 0);
    assert_true(has_problem(l, 3, 0, "needs a model"));
    lesson_free(l);
}

static void test_check_transformer(void **state) {
    const char *text =
        "## t\n"
        "```attnstep\n"
        "model: reverse-transformer\n"   /* 3 */
        "input: a b c d e f\n"
        "view: transformer\n"            /* 5 */
        "position: step 3\n"
        "```\n"
        "## rnn view\n"
        "```attnstep\n"
        "view: heatmap\n"                /* 10 */
        "position: encoder step 2\n"     /* 11 */
        "```\n"
        "## transformer view on an RNN\n"
        "```attnstep\n"
        "model: reverse-tutorial\n"
        "view: transformer\n"            /* 16 */
        "position: encoder done\n"
        "```\n";
    Lesson *l = parse(text);
    assert_int_equal(l->slides[0].set.view, LESSON_VIEW_TRANSFORMER);
    LessonRunInfo runs[3];
    Status st = {{0}};
    assert_int_equal(lesson_check(l, MODEL_DIRS, 1, runs, &st), 0);
    dump(l);
    assert_int_equal(runs[0].dec_steps, 7); /* f e d c b a <eos> */
    assert_string_equal(runs[0].output, "f e d c b a");
    assert_int_equal(runs[0].enc_steps, 0);
    assert_true(has_problem(l, 10, 0, "pictures an RNN encoder-decoder"));
    assert_true(has_problem(l, 11, 0, "no encoder steps"));
    assert_true(has_problem(l, 16, 0, "needs a Transformer model"));
    assert_int_equal(l->n_errors, 3);
    lesson_free(l);
}

/* view: training (lesson 8): the directives, their defaults, inheritance, and every
 * problem on its line; the checker loads no model for a training slide. */
static void test_training_slides(void **state) {
    const char *text =
        "```attnstep\n"                             /* 1 */
        "train-steps: 20\n"                         /* 2: a lesson-wide default */
        "```\n"                                     /* 3 */
        "## fresh\n"                                /* 4 */
        "```attnstep\n"                             /* 5 */
        "view: training\n"                          /* 6 */
        "```\n"                                     /* 7 */
        "## trained\n"                              /* 8 */
        "```attnstep\n"                             /* 9 */
        "task: dates\n"                             /* 10 */
        "arch: scaled_dot\n"                        /* 11 */
        "train_steps: 500\n"                        /* 12: '_' works like '-' */
        "snapshot: step 450\n"                      /* 13: index 9 */
        "```\n"                                     /* 14 */
        "## carried over\n"                         /* 15: task, arch, steps carry; snapshot does not */
        "## by index\n"                             /* 16 */
        "```attnstep\n"                             /* 17 */
        "view: 9\n"                                 /* 18 */
        "snapshot: 3\n"                             /* 19 */
        "```\n"                                     /* 20 */
        "## last\n"                                 /* 21 */
        "```attnstep\n"                             /* 22 */
        "snapshot: last\n"                          /* 23 */
        "zoom: 2\n"                                 /* 24: zoom applies to any view */
        "```\n";
    Lesson *l = parse(text);
    dump(l);
    assert_int_equal(l->n_problems, 0);
    assert_int_equal(l->n_slides, 5);
    const LessonSettings *a = &l->slides[0].set, *b = &l->slides[1].set, *c = &l->slides[2].set, *d = &l->slides[3].set;
    assert_int_equal(a->view, LESSON_VIEW_TRAINING);
    assert_string_equal(lesson_view_name(a->view), "training");
    assert_string_equal(lesson_train_task_name(a->train_task), "reverse");
    assert_string_equal(lesson_train_arch_name(a->train_arch), "dot");
    assert_int_equal(a->train_steps, 20);
    assert_int_equal(a->snapshot, -1);
    assert_string_equal(lesson_train_task_name(b->train_task), "dates");
    assert_string_equal(lesson_train_arch_name(b->train_arch), "scaled_dot");
    assert_int_equal(b->train_steps, 500);
    assert_int_equal(b->snapshot, 9);
    assert_int_equal(b->line_snapshot, 13);
    assert_int_equal(c->train_task, b->train_task);
    assert_int_equal(c->train_steps, 500);
    assert_int_equal(c->snapshot, -1);
    assert_int_equal(d->snapshot, 3);
    assert_int_equal(l->slides[4].set.snapshot, -1);
    assert_int_equal(lesson_view_parse("9"), LESSON_VIEW_TRAINING);
    assert_int_equal(lesson_train_snapshot_every(0), 10);
    assert_int_equal(lesson_train_snapshot_every(1), 50);
    assert_int_equal(lesson_train_task_parse("translate"), 2);
    assert_int_equal(lesson_train_arch_parse("scaled-dot"), 4);
    assert_int_equal(lesson_train_arch_parse("transformer"), -1);
    /* the checker needs no model for them */
    LessonRunInfo runs[5];
    Status st = {{0}};
    assert_int_equal(lesson_check(l, MODEL_DIRS, 1, runs, &st), 0);
    dump(l);
    assert_int_equal(l->n_problems, 0);
    assert_int_equal(runs[1].dec_steps, 0);
    lesson_free(l);

    const char *bad =
        "```attnstep\n"                             /* 1 */
        "snapshot: 2\n"                             /* 2: per slide, not lesson-wide */
        "```\n"                                     /* 3 */
        "## a\n"                                    /* 4 */
        "```attnstep\n"                             /* 5 */
        "view: training\n"                          /* 6 */
        "task: sort\n"                              /* 7 */
        "arch: lstm\n"                              /* 8 */
        "train-steps: 2001\n"                       /* 9 */
        "```\n"                                     /* 10 */
        "## b\n"                                    /* 11 */
        "```attnstep\n"                             /* 12 */
        "train-steps: 60\n"                         /* 13 */
        "snapshot: 7\n"                             /* 14: 60 steps: snapshots 0..6 */
        "```\n"                                     /* 15 */
        "## c\n"                                    /* 16 */
        "```attnstep\n"                             /* 17 */
        "snapshot: step 25\n"                       /* 18: every 10 */
        "model: reverse-tutorial\n"                 /* 19: no effect here: a warning */
        "input: a b c\n"                            /* 20 */
        "position: step 2\n"                        /* 21 */
        "```\n"                                     /* 22 */
        "## d\n"                                    /* 23 */
        "```attnstep\n"                             /* 24 */
        "train-steps: 65\n"                         /* 25: a warning: the last snapshot is step 60 */
        "snapshot: step 70\n"                       /* 26 */
        "```\n"                                     /* 27 */
        "## e\n"                                    /* 28 */
        "```attnstep\n"                             /* 29 */
        "view: heatmap\n"                           /* 30 */
        "task: dates\n"                             /* 31: not a training slide */
        "snapshot: 1\n"                             /* 32 */
        "```\n"                                     /* 33 */
        "## f\n"                                    /* 34 */
        "```attnstep\n"                             /* 35 */
        "view: training\n"                          /* 36 */
        "snapshot: one\n"                           /* 37 */
        "train-steps: -3\n"                         /* 38 */
        "```\n";
    l = parse(bad);
    dump(l);
    assert_true(has_problem(l, 2, 0, "snapshot is per slide"));
    assert_true(has_problem(l, 7, 0, "unknown task \"sort\" (reverse, dates, translate)"));
    assert_true(has_problem(l, 8, 0, "unknown arch \"lstm\" (bi-additive, additive, dot, general, scaled_dot, none)"));
    assert_true(has_problem(l, 9, 0, "train-steps \"2001\" must be a number of batches from 0 to 2000"));
    assert_true(has_problem(l, 14, 0, "snapshot 7 out of range: 60 training steps on reverse give snapshots 0..6"));
    assert_true(has_problem(l, 18, 0, "every 10 steps (step 20 or 30)"));
    assert_true(has_problem(l, 19, 1, "model has no effect on a training slide"));
    assert_true(has_problem(l, 20, 1, "input has no effect"));
    assert_true(has_problem(l, 21, 1, "position has no effect"));
    assert_true(has_problem(l, 25, 1, "the last one shown is step 60"));
    assert_true(has_problem(l, 26, 0, "snapshot step 70 out of range"));
    assert_true(has_problem(l, 31, 0, "task belongs on a training slide (view: training); this slide's view is heatmap"));
    assert_true(has_problem(l, 32, 0, "snapshot belongs on a training slide"));
    assert_true(has_problem(l, 37, 0, "snapshot \"one\": write"));
    assert_true(has_problem(l, 38, 0, "train-steps \"-3\""));
    assert_int_equal(l->n_errors, 11);
    assert_int_equal(l->n_warnings, 4);
    /* bad values keep what the slide had */
    assert_int_equal(l->slides[0].set.train_task, 0);
    assert_int_equal(l->slides[0].set.train_arch, LESSON_TRAIN_DEFAULT_ARCH);
    assert_int_equal(l->slides[0].set.train_steps, 0);
    assert_int_equal(l->slides[1].set.snapshot, -1);
    assert_int_equal(l->slides[3].set.train_steps, 65);
    lesson_free(l);
}

/* Highlights of a vector or an attention cell: their syntax, values and canonical text, and
 * every malformed one on its line. */
static void test_vector_and_cell_highlights(void **state) {
    const char *text =
        "## s\n"                                    /* 1 */
        "```attnstep\n"                             /* 2 */
        "highlight: cell 3 5\n"                     /* 3 */
        "highlight: cell source 2 target 4\n"       /* 4 */
        "highlight: vector enc 3\n"                 /* 5 */
        "highlight: vector s 0\n"                   /* 6: alias, the initial state */
        "highlight: Vector Context 2\n"             /* 7 */
        "highlight: \"cell 3 5\"\n"                 /* 8: quoted: a token */
        "highlight: cell\n"                         /* 9: one word: a token */
        "```\n"                                     /* 10 */
        "## bad\n"                                  /* 11 */
        "```attnstep\n"                             /* 12 */
        "highlight: cell 3\n"                       /* 13 */
        "highlight: cell 0 1\n"                     /* 14 */
        "highlight: cell row 2 lunch 3\n"           /* 15 */
        "highlight: vector enc 0\n"                 /* 16 */
        "highlight: vector query 1\n"               /* 17 */
        "highlight: vector dec\n"                   /* 18 */
        "highlight: vector context x\n"             /* 19 */
        "```\n";
    Lesson *l = parse(text);
    dump(l);
    const LessonSettings *a = &l->slides[0].set;
    assert_int_equal(a->n_hl, 7);
    assert_int_equal(a->hl[0].kind, LESSON_HL_CELL);
    assert_int_equal(a->hl[0].n, 3);
    assert_int_equal(a->hl[0].m, 5);
    assert_int_equal(a->hl[0].line, 3);
    assert_int_equal(a->hl[1].kind, LESSON_HL_CELL);
    assert_int_equal(a->hl[1].n, 4);
    assert_int_equal(a->hl[1].m, 2);
    assert_int_equal(a->hl[2].kind, LESSON_HL_VECTOR);
    assert_int_equal(a->hl[2].vec, LESSON_VEC_ENC);
    assert_int_equal(a->hl[2].n, 3);
    assert_int_equal(a->hl[3].vec, LESSON_VEC_DEC);
    assert_int_equal(a->hl[3].n, 0);
    assert_int_equal(a->hl[4].vec, LESSON_VEC_CONTEXT);
    assert_int_equal(a->hl[4].n, 2);
    assert_int_equal(a->hl[5].kind, LESSON_HL_TOKEN);
    assert_string_equal(a->hl[5].text, "cell 3 5");
    assert_int_equal(a->hl[6].kind, LESSON_HL_TOKEN);
    assert_string_equal(a->hl[6].text, "cell");
    char b[64];
    assert_string_equal(lesson_highlight_format(&a->hl[1], b, sizeof b), "cell 4 2");
    assert_string_equal(lesson_highlight_format(&a->hl[3], b, sizeof b), "vector dec 0");
    assert_string_equal(lesson_highlight_format(&a->hl[4], b, sizeof b), "vector context 2");
    assert_string_equal(lesson_highlight_format(&a->hl[5], b, sizeof b), "\"cell 3 5\"");
    assert_true(has_problem(l, 13, 0, "write cell I J or cell target I source J"));
    assert_true(has_problem(l, 14, 0, "must be 1 or more"));
    assert_true(has_problem(l, 15, 0, "write cell I J"));
    assert_true(has_problem(l, 16, 0, "the position number must be 1 or more"));
    assert_true(has_problem(l, 17, 0, "unknown vector \"query\""));
    assert_true(has_problem(l, 18, 0, "write vector enc N, vector dec N or vector context N"));
    assert_true(has_problem(l, 19, 0, "the decoder step number") == 0);
    assert_true(has_problem(l, 19, 0, "the position number must be 1 or more"));
    assert_int_equal(l->n_errors, 7);
    assert_int_equal(l->slides[1].set.n_hl, 0); /* bad ones are not kept */
    lesson_free(l);
}

/* max-length: parsed, carried over, reset with "model", bounded; the checker decodes with
 * it (the run stops there, unfinished) and positions are checked against the capped run. */
static void test_max_length(void **state) {
    const char *text =
        "```attnstep\n"                             /* 1 */
        "max-length: 12\n"                          /* 2: a lesson-wide default */
        "```\n"                                     /* 3 */
        "## a\n"                                    /* 4 */
        "```attnstep\n"                             /* 5 */
        "model: reverse-tutorial\n"                 /* 6 */
        "input: a b c d e f\n"                      /* 7 */
        "view: heatmap\n"                           /* 8 */
        "```\n"                                     /* 9 */
        "## b\n"                                    /* 10 */
        "```attnstep\n"                             /* 11 */
        "max-length: 3\n"                           /* 12 */
        "position: step 4\n"                        /* 13: only 3 steps now */
        "highlight: cell 3 2\n"                     /* 14 */
        "```\n"                                     /* 15 */
        "## c (carried over)\n"                     /* 16 */
        "```attnstep\n"                             /* 17 */
        "position: step 3\n"                        /* 18 */
        "```\n"                                     /* 19 */
        "## d\n"                                    /* 20 */
        "```attnstep\n"                             /* 21 */
        "max-length: model\n"                       /* 22 */
        "```\n"                                     /* 23 */
        "## e\n"                                    /* 24 */
        "```attnstep\n"                             /* 25 */
        "max-length: 0\n"                           /* 26: also the model's */
        "max_length: 4\n"                           /* 27: twice in a block */
        "```\n"                                     /* 28 */
        "## f\n"                                    /* 29 */
        "```attnstep\n"                             /* 30 */
        "max-length: 1001\n"                        /* 31 */
        "```\n"                                     /* 32 */
        "## g\n"                                    /* 33 */
        "```attnstep\n"                             /* 34 */
        "max-length: -2\n"                          /* 35 */
        "```\n";
    Lesson *l = parse(text);
    dump(l);
    assert_int_equal(l->n_slides, 7);
    assert_int_equal(l->slides[0].set.max_len, 12);
    assert_int_equal(l->slides[0].set.line_max_len, 2);
    assert_int_equal(l->slides[1].set.max_len, 3);
    assert_int_equal(l->slides[1].set.line_max_len, 12);
    assert_int_equal(l->slides[2].set.max_len, 3);
    assert_int_equal(l->slides[3].set.max_len, 0);
    assert_int_equal(l->slides[4].set.max_len, 0);
    assert_int_equal(l->slides[5].set.max_len, 0); /* bad values keep the inherited one */
    assert_int_equal(l->slides[6].set.max_len, 0);
    assert_true(has_problem(l, 27, 0, "given twice"));
    assert_true(has_problem(l, 31, 0, "max-length \"1001\" must be a number of decoder steps from 1 to 1000"));
    assert_true(has_problem(l, 35, 0, "max-length \"-2\""));
    assert_int_equal(l->n_errors, 3);
    LessonRunInfo runs[7];
    Status st = {{0}};
    assert_int_equal(lesson_check(l, MODEL_DIRS, 1, runs, &st), 0);
    dump(l);
    assert_int_equal(runs[0].dec_steps, 7); /* f e d c b a <eos>, under the cap of 12 */
    assert_int_equal(runs[0].tgt_len, 7);
    assert_int_equal(runs[1].dec_steps, 3); /* cut at 3, unfinished */
    assert_int_equal(runs[1].out_len, 3);
    assert_int_equal(runs[1].tgt_len, 3);
    assert_string_equal(runs[1].output, "f e d");
    assert_int_equal(runs[2].dec_steps, 3);
    assert_int_equal(runs[3].dec_steps, 7);
    assert_true(has_problem(l, 13, 0, "out of range: this run has 3 decoder steps"));
    assert_false(has_problem(l, 14, 0, "out of range"));
    assert_int_equal(l->n_errors, 4);
    lesson_free(l);

    /* a training slide ignores it (a warning); above a Transformer's positions: a warning */
    l = parse("## t\n```attnstep\nview: training\nmax-length: 5\n```\n"
              "## x\n```attnstep\nmodel: reverse-transformer\ninput: a b c\nview: transformer\nmax-length: 900\n```\n");
    assert_true(has_problem(l, 4, 1, "max-length has no effect on a training slide"));
    assert_int_equal(lesson_check(l, MODEL_DIRS, 1, NULL, &st), 0);
    dump(l);
    assert_true(has_problem(l, 11, 1, "max-length 900: reverse-transformer holds at most"));
    assert_int_equal(l->n_errors, 0);
    lesson_free(l);
}

/* The checker against real runs: cells and vectors out of range, on a model without
 * attention or a Transformer (errors), and drawn or not by the slide's view at its
 * position (warnings), for a Bahdanau and a Luong model. */
static void test_check_vector_and_cell_highlights(void **state) {
    const char *text =
        "## heatmap\n"                              /* 1 */
        "```attnstep\n"                             /* 2 */
        "model: reverse-tutorial\n"                 /* 3 */
        "input: a b c d\n"                          /* 4: 5 source words, 5 target words */
        "view: heatmap\n"                           /* 5 */
        "position: step 2 weights\n"                /* 6 */
        "highlight: cell 2 4\n"                     /* 7: ok */
        "highlight: cell 3 1\n"                     /* 8: row 3 not yet: a warning */
        "highlight: cell 6 1\n"                     /* 9: out of range */
        "highlight: cell 1 6\n"                     /* 10: out of range */
        "highlight: vector enc 2\n"                 /* 11: the heatmap has no vectors: a warning */
        "```\n"                                     /* 12 */
        "## attention (Bahdanau: the query is the previous state)\n" /* 13 */
        "```attnstep\n"                             /* 14 */
        "view: attention\n"                         /* 15 */
        "position: step 3 context\n"                /* 16 */
        "highlight: vector enc 5\n"                 /* 17: ok */
        "highlight: vector dec 2\n"                 /* 18: ok, the query */
        "highlight: vector context 3\n"             /* 19: ok */
        "highlight: cell 3 2\n"                     /* 20: ok */
        "highlight: vector dec 3\n"                 /* 21: not the query */
        "highlight: vector enc 6\n"                 /* 22: out of range */
        "highlight: vector context 6\n"             /* 23: out of range */
        "highlight: cell 2 2\n"                     /* 24: another step */
        "```\n"                                     /* 25 */
        "## unrolled\n"                             /* 26 */
        "```attnstep\n"                             /* 27 */
        "view: unrolled\n"                          /* 28 */
        "position: encoder step 2\n"                /* 29 */
        "highlight: vector enc 2\n"                 /* 30: ok */
        "highlight: vector enc 3\n"                 /* 31: not yet */
        "highlight: vector dec 1\n"                 /* 32: the encoder only */
        "```\n"                                     /* 33 */
        "## cell\n"                                 /* 34 */
        "```attnstep\n"                             /* 35 */
        "view: cell\n"                              /* 36 */
        "position: step 2\n"                        /* 37 */
        "highlight: vector dec 1\n"                 /* 38: prev_h */
        "highlight: vector dec 2\n"                 /* 39: next_h */
        "highlight: vector context 2\n"             /* 40: in x */
        "highlight: vector enc 5\n"                 /* 41: a decoder cell is shown */
        "```\n"                                     /* 42 */
        "## Luong: the query is the new state\n"    /* 43 */
        "```attnstep\n"                             /* 44 */
        "model: reverse-luong-lstm\n"               /* 45 */
        "view: attention\n"                         /* 46 */
        "position: step 2 weights\n"                /* 47 */
        "highlight: vector dec 2\n"                 /* 48: ok */
        "highlight: vector context 2\n"             /* 49: not yet */
        "```\n"                                     /* 50 */
        "## no attention\n"                         /* 51 */
        "```attnstep\n"                             /* 52 */
        "model: reverse-long-bigru-noattn\n"        /* 53 */
        "view: seq2seq\n"                           /* 54 */
        "position: end\n"                           /* 55 */
        "highlight: cell 1 1\n"                     /* 56 */
        "highlight: vector context 1\n"             /* 57 */
        "highlight: vector dec 3\n"                 /* 58: ok: its cell box */
        "```\n"                                     /* 59 */
        "## Transformer\n"                          /* 60 */
        "```attnstep\n"                             /* 61 */
        "model: reverse-transformer\n"              /* 62 */
        "view: transformer\n"                       /* 63 */
        "position: step 2\n"                        /* 64 */
        "highlight: cell 2 3\n"                     /* 65: ok */
        "highlight: cell 4 3\n"                     /* 66: not yet */
        "highlight: vector enc 1\n"                 /* 67: no RNN states */
        "```\n";
    Lesson *l = parse(text);
    dump(l);
    assert_int_equal(l->n_problems, 0);
    LessonRunInfo runs[7];
    Status st = {{0}};
    assert_int_equal(lesson_check(l, MODEL_DIRS, 1, runs, &st), 0);
    dump(l);
    assert_int_equal(runs[0].decoder_first, 0);
    assert_int_equal(runs[4].decoder_first, 1);
    assert_int_equal(runs[0].tgt_len, 5);
    static const int ok_lines[] = {7, 17, 18, 19, 20, 30, 38, 39, 40, 48, 58, 65};
    for (size_t i = 0; i < sizeof ok_lines / sizeof ok_lines[0]; i++) {
        for (int k = 0; k < l->n_problems; k++)
            if (l->problems[k].line == ok_lines[i]) fprintf(stderr, "unexpected on line %d: %s\n", ok_lines[i], l->problems[k].message);
        assert_false(has_problem(l, ok_lines[i], 0, "") || has_problem(l, ok_lines[i], 1, ""));
    }
    assert_true(has_problem(l, 8, 1, "attention weights of target word 3 are not computed yet"));
    assert_true(has_problem(l, 9, 0, "highlight cell 6 1 out of range: the output \"d c b a\" has 5 target words"));
    assert_true(has_problem(l, 10, 0, "highlight cell 1 6 out of range: the source has 5 words"));
    assert_true(has_problem(l, 11, 1, "view \"heatmap\" draws no encoder states"));
    assert_true(has_problem(l, 21, 1, "draws the query s2, not s3"));
    assert_true(has_problem(l, 22, 0, "highlight vector enc 6 out of range: the encoder has 5 states"));
    assert_true(has_problem(l, 23, 0, "highlight vector context 6 out of range: this run has 5 decoder steps"));
    assert_true(has_problem(l, 24, 1, "shows the weights of step 3, not of target word 2"));
    assert_true(has_problem(l, 31, 1, "has not computed h3 yet"));
    assert_true(has_problem(l, 32, 1, "draws the encoder only"));
    assert_true(has_problem(l, 41, 1, "shows a decoder cell, not h5"));
    assert_true(has_problem(l, 49, 1, "the context vector c2 is not computed yet"));
    assert_true(has_problem(l, 56, 0, "has no attention, so there are no attention cells"));
    assert_true(has_problem(l, 57, 0, "has no attention, so there is no context vector"));
    assert_true(has_problem(l, 66, 1, "the cross-attention row of target word 4 is not drawn yet"));
    assert_true(has_problem(l, 67, 0, "is a Transformer"));
    assert_int_equal(l->n_errors, 7);
    assert_int_equal(l->n_warnings, 9);
    lesson_free(l);
}

static void test_load_errors(void **state) {
    Status st = {{0}};
    assert_null(lesson_load("/nonexistent/lesson.md", &st));
    assert_non_null(strstr(st.message, "cannot open /nonexistent/lesson.md"));
    Lesson *l = lesson_load(ATTNSTEP_SOURCE_DIR "/lessons/en/04-attention.md", &st);
    assert_non_null(l);
    assert_true(l->n_slides >= 5);
    assert_string_equal(l->dir, ATTNSTEP_SOURCE_DIR "/lessons/en");
    lesson_free(l);
}

/* Garbage must parse without crashing and without losing count of problems. */
static void test_garbage(void **state) {
    uint32_t x = 12345;
    char *buf = malloc(20000);
    assert_non_null(buf);
    static const char *pieces[] = {"## ", "```attnstep\n", "```\n", "\n", "view: ", "heatmap", "position: step ", "9",
                                   "*", "**", "`", "- ", "1. ", "> ", "### Notes\n", "\xe4\xb8\xad", "\xff", "&amp;", "&#0;",
                                   "\t", "highlight: ", "zoom: 2 at 1,1\n", "# t\n", "\0", "<b>", "    code\n", "---\n"};
    for (int round = 0; round < 300; round++) {
        size_t n = 0;
        while (n < 19000) {
            x = x * 1103515245u + 12345u;
            const char *p = pieces[(x >> 8) % (sizeof pieces / sizeof pieces[0])];
            size_t pl = *p ? strlen(p) : 1;
            memcpy(buf + n, p, pl);
            n += pl;
            if ((x >> 20) % 50 == 0) break;
        }
        Status st = {{0}};
        Lesson *l = lesson_parse(buf, n, &st);
        assert_non_null(l);
        assert_true(l->n_problems <= l->n_errors + l->n_warnings);
        for (int i = 0; i < l->n_slides; i++) {
            const LessonRich *r = &l->slides[i].body;
            for (int b = 0; b < r->n_blocks; b++)
                for (int s = 0; s < r->blocks[b].nspans; s++) {
                    const LessonSpan *sp = &r->spans[r->blocks[b].span0 + s];
                    assert_true(sp->off >= 0 && sp->off + sp->len <= r->text_len);
                }
        }
        lesson_free(l);
    }
    /* deep nesting and a huge slide count stay bounded */
    size_t n = 0;
    for (int i = 0; i < 600 && n < 19000; i++) n += (size_t)snprintf(buf + n, 20000 - n, "## s%d\n", i);
    Status st = {{0}};
    Lesson *l = lesson_parse(buf, n, &st);
    assert_non_null(l);
    assert_true(l->n_slides <= LESSON_MAX_SLIDES);
    lesson_free(l);
    n = 0;
    for (int i = 0; i < 2000; i++) buf[n++] = '>';
    buf[n++] = 'x';
    l = lesson_parse(buf, n, &st);
    assert_non_null(l);
    lesson_free(l);
    free(buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_slides_and_directives),
        cmocka_unit_test(test_narration_structure),
        cmocka_unit_test(test_soft_breaks),
        cmocka_unit_test(test_problems_have_line_numbers),
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_check_against_model),
        cmocka_unit_test(test_check_unknown_words_and_missing),
        cmocka_unit_test(test_check_transformer),
        cmocka_unit_test(test_training_slides),
        cmocka_unit_test(test_vector_and_cell_highlights),
        cmocka_unit_test(test_max_length),
        cmocka_unit_test(test_check_vector_and_cell_highlights),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
