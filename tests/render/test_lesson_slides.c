/* test_lesson_slides.c — lesson mode, headless with the real fonts:
 *  - every slide of every shipped lesson (lessons/en, lessons/zh) renders at 1920x1080 and
 *    1280x720 with its model run, its position found, and narration that fits its box
 *    (deck_frame reports overflow) at a readable size;
 *  - the narration layout reports overflow, wraps Latin and CJK text;
 *  - lesson positions resolve to the right timeline positions;
 *  - highlights, pen strokes (cleared on the next slide) and blanking. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <SDL2/SDL.h>

#include "backend.h"
#include "font.h"
#include "i18n.h"
#include "lesson_ui.h"
#include "live_train.h"

typedef struct Renderer {
    FontSet *fonts;
    Canvas cv;
    DrawList dl;
} Renderer;

static int ru_open(Renderer *r, int w, int h) {
    Status st = {{0}};
    memset(r, 0, sizeof *r);
    r->fonts = load_fonts(&st);
    if (!r->fonts) { fprintf(stderr, "%s\n", st.message); return -1; }
    if (load_canvas(&r->cv, w, h, r->fonts, &st)) { fprintf(stderr, "%s\n", st.message); return -1; }
    draw_init(&r->dl);
    return 0;
}

static void ru_close(Renderer *r) {
    draw_free(&r->dl);
    unload_canvas(&r->cv);
    unload_fonts(r->fonts);
    TTF_Quit();
    SDL_Quit();
}

static const char *DIRS[] = {ATTNSTEP_SOURCE_DIR "/assets/models"};

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Sorted lesson paths in lessons/<lang>; returns the count. */
static int list_lessons(const char *lang, char paths[][1024], int max) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/lessons/%s", ATTNSTEP_SOURCE_DIR, lang);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        size_t len = strlen(e->d_name);
        if (len > 3 && !strcmp(e->d_name + len - 3, ".md")) snprintf(paths[n++], 1024, "%.700s/%.200s", dir, e->d_name);
    }
    closedir(d);
    char *ptrs[64];
    for (int i = 0; i < n; i++) ptrs[i] = paths[i];
    qsort(ptrs, (size_t)n, sizeof ptrs[0], cmp_str);
    char tmp[64][1024];
    for (int i = 0; i < n; i++) memcpy(tmp[i], ptrs[i], 1024);
    for (int i = 0; i < n; i++) memcpy(paths[i], tmp[i], 1024);
    return n;
}

/* Labels of the view the view shortened with "…" (draw_text_fit), per lesson and slide of the
 * English run, so the Chinese one can be compared with it. */
static int ellipses_en[8][64];

static int view_ellipses(const DrawList *dl, int k0, int k1) {
    int n = 0;
    for (int k = k0; k < k1; k++) {
        if (dl->cmds[k].kind != DRAW_TEXT) continue;
        const char *t = dl->text + dl->cmds[k].text_off;
        size_t l = strlen(t);
        n += l >= 3 && !strcmp(t + l - 3, "\xe2\x80\xa6");
    }
    return n;
}

static void render_all(const char *lang, int w, int h, int *slides_seen) {
    static char paths[64][1024];
    int n = list_lessons(lang, paths, 64);
    assert_int_equal(n, 8);
    Renderer r;
    assert_int_equal(ru_open(&r, w, h), 0);
    for (int i = 0; i < n; i++) {
        Deck d;
        Status st = {{0}};
        assert_int_equal(deck_open(&d, paths[i], DIRS, 1, &st), 0);
        assert_int_equal(d.lesson->n_errors, 0);
        assert_int_equal(d.zh, !strcmp(lang, "zh"));
        for (int s = 0; s < d.lesson->n_slides; s++) {
            deck_goto(&d, s);
            const LessonSettings *set = &d.lesson->slides[s].set;
            draw_begin(&r.dl, font_measure, r.fonts, -1, -1);
            deck_frame(&d, &r.dl, w, h, NULL);
            backend_draw(r.cv.backend, &r.dl, theme_by_index(d.g.theme)->bg);
            SDL_RenderPresent(r.cv.renderer);
            if (d.overflow || d.message[0]) fprintf(stderr, "%s slide %d at %dx%d: %s %s\n", paths[i], s + 1, w, h, d.overflow_what, d.message);
            if (d.hl_missing) fprintf(stderr, "%s at %dx%d: %s\n", paths[i], w, h, d.hl_missing_what);
            assert_false(d.overflow);
            assert_false(d.hl_missing); /* every highlight of a shipped slide is drawn */
            /* the Chinese labels fit as the English ones do: no label shortened that the English
             * slide shows in full (the views' own strings go through i18n.c) */
            if (i < 8 && s < 64) {
                int e = view_ellipses(&r.dl, d.view_cmd0, d.view_cmd1);
                if (!strcmp(lang, "en")) ellipses_en[i][s] = e;
                else {
                    if (e > ellipses_en[i][s]) fprintf(stderr, "%s slide %d at %dx%d: %d labels shortened (English: %d)\n", paths[i], s + 1, w, h, e, ellipses_en[i][s]);
                    assert_true(e <= ellipses_en[i][s]);
                }
            }
            if (!strcmp(lang, "zh")) {
                if (i18n_misses()) fprintf(stderr, "%s slide %d: no Chinese for \"%s\"\n", paths[i], s + 1, i18n_last_miss());
                assert_int_equal(i18n_misses(), 0);
            }
            i18n_reset_misses();
            assert_false(r.dl.oom);
            assert_string_equal(d.message, "");
            /* readable: never below 22 px at 1080 lines (scaled for smaller windows) */
            assert_true(d.text_size >= (set->view == LESSON_VIEW_NONE ? 26 : 22) * (h / 1080.0f) - 0.01f);
            if (set->view != LESSON_VIEW_NONE) {
                assert_true(d.run_ok);
                assert_true(d.view_cmd1 > d.view_cmd0); /* the view drew something */
                assert_true(d.view_area.x >= d.narr_area.x + d.narr_area.w);
            }
            /* the speaker notes fit the notes window (900x600, the window's default size) */
            draw_begin(&r.dl, font_measure, r.fonts, -1, -1);
            deck_notes_frame(&d, &r.dl, 900, 600, 61);
            if (d.overflow) fprintf(stderr, "%s: %s\n", paths[i], d.overflow_what);
            assert_false(d.overflow);
            (*slides_seen)++;
        }
        deck_close(&d);
    }
    ru_close(&r);
}

static void test_every_slide_fits_1080p(void **state) {
    int en = 0, zh = 0;
    render_all("en", 1920, 1080, &en);
    render_all("zh", 1920, 1080, &zh);
    assert_true(en >= 35);
    assert_int_equal(en, zh);
}

static void test_every_slide_fits_720p(void **state) {
    int en = 0, zh = 0;
    render_all("en", 1280, 720, &en);
    render_all("zh", 1280, 720, &zh);
    assert_int_equal(en, zh);
}

static Lesson *parse(const char *text) {
    Status st = {{0}};
    Lesson *l = lesson_parse(text, strlen(text), &st);
    assert_non_null(l);
    return l;
}

static void test_layout_reports_overflow_and_wraps(void **state) {
    Renderer r;
    assert_int_equal(ru_open(&r, 640, 480), 0);
    const Theme *th = theme_get("projector");
    Lesson *l = parse("## s\n\none two three four five six seven eight nine ten eleven twelve\n\n"
                      "\xe6\xb3\xa8\xe6\x84\x8f\xe5\x8a\x9b\xe6\x9d\x83\xe9\x87\x8d\xe4\xb9\x8b\xe5\x92\x8c\xe4\xb8\xba\xe4\xb8\x80\xef\xbc\x8c"
                      "\xe7\x94\xa8\xe5\xae\x83\xe4\xbb\xac\xe6\xb7\xb7\xe5\x90\x88\xe6\x89\x80\xe6\x9c\x89\xe7\x9a\x84 h\xe3\x80\x82\n");
    const LessonRich *rich = &l->slides[0].body;
    draw_begin(&r.dl, font_measure, r.fonts, -1, -1);
    int of = 0;
    float one = draw_line_height(20) * 1.28f;
    /* wide box: each paragraph is one line */
    float hw = deck_layout_rich(&r.dl, th, rich, (Rect){0, 0, 2000, 1000}, 20, 0, &of);
    assert_false(of);
    assert_true(hw < 2 * one + one);
    /* narrow box: both wrap (the CJK paragraph has no spaces to break at) */
    float hn = deck_layout_rich(&r.dl, th, rich, (Rect){0, 0, 150, 1000}, 20, 0, &of);
    assert_false(of);
    assert_true(hn > 6 * one);
    /* every text command of the narrow layout stays inside the box */
    draw_begin(&r.dl, font_measure, r.fonts, -1, -1);
    deck_layout_rich(&r.dl, th, rich, (Rect){10, 10, 150, 1000}, 20, 1, &of);
    int texts = 0;
    for (int k = 0; k < r.dl.count; k++) {
        const DrawCmd *c = &r.dl.cmds[k];
        if (c->kind != DRAW_TEXT) continue;
        texts++;
        float tw = draw_text_width(&r.dl, c->size, r.dl.text + c->text_off);
        assert_true(c->x0 >= 10 - 0.5f && c->x0 + tw <= 160 + 0.5f);
    }
    assert_true(texts >= 7);
    /* too short a box: overflow */
    of = 0;
    deck_layout_rich(&r.dl, th, rich, (Rect){0, 0, 150, 3 * one}, 20, 0, &of);
    assert_true(of);
    lesson_free(l);
    /* one word wider than the box: overflow */
    l = parse("## s\n\nsupercalifragilisticexpialidocious\n");
    of = 0;
    deck_layout_rich(&r.dl, th, &l->slides[0].body, (Rect){0, 0, 80, 1000}, 20, 0, &of);
    assert_true(of);
    lesson_free(l);
    ru_close(&r);
}

static void test_positions_resolve(void **state) {
    GuiState g;
    gui_state_init(&g);
    Status st = {{0}};
    assert_int_equal(gui_load_model(&g, ATTNSTEP_SOURCE_DIR "/assets/models/reverse-tutorial.safetensors", &st), 0);
    snprintf(g.input, sizeof g.input, "a b c d");
    assert_int_equal(gui_run_model(&g, &st), 0);
    const TraceIndex *ix = &g.ix;
    LessonPos p;
    assert_int_equal(lesson_pos_parse("step 2 weights", &p, &st), 0);
    int k = deck_resolve_pos(ix, &p);
    assert_true(k > 0);
    assert_int_equal(ix->pos[k].phase, PH_WEIGHTS);
    assert_int_equal(ix->pos[k].step, 1);
    assert_int_equal(lesson_pos_parse("step 2", &p, &st), 0);
    k = deck_resolve_pos(ix, &p);
    assert_int_equal(ix->pos[k].phase, PH_CHOSEN);
    assert_int_equal(ix->pos[k].step, 1);
    assert_int_equal(lesson_pos_parse("encoder step 3", &p, &st), 0);
    k = deck_resolve_pos(ix, &p);
    assert_int_equal(ix->pos[k].phase, PH_ENC);
    assert_int_equal(tl_enc_pos(ix, ix->pos[k].enc), 2);
    assert_int_equal(lesson_pos_parse("encoder done", &p, &st), 0);
    k = deck_resolve_pos(ix, &p);
    assert_int_equal(ix->pos[k].phase, PH_ENC);
    assert_int_equal(ix->pos[k + 1].phase == PH_ENC, 0);
    assert_int_equal(lesson_pos_parse("start", &p, &st), 0);
    assert_int_equal(deck_resolve_pos(ix, &p), 0);
    assert_int_equal(lesson_pos_parse("end", &p, &st), 0);
    assert_int_equal(deck_resolve_pos(ix, &p), ix->n_pos - 1);
    assert_int_equal(lesson_pos_parse("step 6", &p, &st), 0); /* 4 symbols + <eos> = 5 steps */
    assert_int_equal(deck_resolve_pos(ix, &p), -1);
    assert_int_equal(lesson_pos_parse("beam step 1", &p, &st), 0);
    assert_int_equal(deck_resolve_pos(ix, &p), -1); /* greedy trace */
    g.beam = 3;
    assert_int_equal(gui_run_model(&g, &st), 0);
    assert_int_equal(lesson_pos_parse("beam step 2 candidates", &p, &st), 0);
    k = deck_resolve_pos(&g.ix, &p);
    assert_true(k > 0);
    assert_int_equal(g.ix.pos[k].phase, PH_EXPAND);
    assert_int_equal(g.ix.pos[k].step, 1);
    gui_state_free(&g);
}

/* Writes text to a fresh file named from the template path (…XXXXXX, rewritten in place). */
static void write_temp_lesson(char *path, const char *text) {
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* Count of accent-coloured outlines (highlights) in the frame. */
static int outlines(const DrawList *dl, Color c) {
    int n = 0;
    for (int k = 0; k < dl->count; k++)
        if (dl->cmds[k].kind == DRAW_RECT_LINE && !memcmp(&dl->cmds[k].color, &c, sizeof c)) n++;
    return n;
}

static void test_highlight_pen_blank(void **state) {
    char path[] = "/tmp/attnstep-test-lesson-XXXXXX";
    const char *text = "## one\n```attnstep\nmodel: reverse-tutorial\ninput: a b c d\nview: heatmap\nhighlight: \"c\"\n```\n\nText.\n"
                       "## two\n\nMore text.\n"
                       "## A title far too long for any slide: it goes on and on and on, past the edge of the window, "
                       "which the presenter must report rather than cut silently\n\nx\n";
    write_temp_lesson(path, text);
    Renderer r;
    assert_int_equal(ru_open(&r, 1280, 720), 0);
    Deck d;
    Status st = {{0}};
    assert_int_equal(deck_open(&d, path, DIRS, 1, &st), 0);
    const Theme *th = theme_by_index(d.g.theme);
    draw_begin(&r.dl, font_measure, r.fonts, -1, -1);
    deck_frame(&d, &r.dl, 1280, 720, NULL);
    /* "c" is drawn as a source column and as an output row: both outlined */
    assert_int_equal(outlines(&r.dl, th->accent), 2);
    /* pen strokes are drawn, and cleared by the next slide */
    deck_pen(&d, 0, 100, 100);
    deck_pen(&d, 1, 200, 150);
    deck_pen(&d, 2, 0, 0);
    assert_int_equal(d.n_strokes, 1);
    assert_int_equal(d.strokes[0].n, 2);
    deck_goto(&d, 1);
    assert_int_equal(d.n_strokes, 0);
    assert_int_equal(d.slide, 1);
    /* blank: the last command covers the window in black */
    d.blank = 1;
    draw_begin(&r.dl, font_measure, r.fonts, -1, -1);
    deck_frame(&d, &r.dl, 1280, 720, NULL);
    const DrawCmd *last = &r.dl.cmds[r.dl.count - 1];
    assert_int_equal(last->kind, DRAW_RECT);
    assert_true(last->color.r == 0 && last->color.g == 0 && last->color.b == 0 && last->x1 == 1280 && last->y1 == 720);
    d.blank = 0;
    /* a title wider than the slide is reported */
    assert_false(d.overflow);
    deck_goto(&d, 2);
    draw_begin(&r.dl, font_measure, r.fonts, -1, -1);
    deck_frame(&d, &r.dl, 1280, 720, NULL);
    assert_true(d.overflow);
    assert_non_null(strstr(d.overflow_what, "slide 3: the title"));
    /* past the end stays on the last slide */
    deck_goto(&d, 99);
    assert_int_equal(d.slide, 2);
    deck_close(&d);
    unlink(path);
    ru_close(&r);
}

/* The names a lesson's training slide accepts (core's list) are the GUI's presets, index
 * for index, with the GUI's snapshot spacing; the bound on train-steps never thins the strip. */
static void test_training_names_match_the_gui(void **state) {
    assert_int_equal(LESSON_TRAIN_TASKS, LIVE_TASK_COUNT);
    assert_int_equal(LESSON_TRAIN_ARCHS, LIVE_ARCH_COUNT);
    for (int t = 0; t < LIVE_TASK_COUNT; t++) {
        assert_string_equal(lesson_train_task_name(t), live_task_name((LiveTask)t));
        assert_int_equal(live_task_from_name(lesson_train_task_name(t)), t);
        LiveConfig c;
        live_config_default(&c, (LiveTask)t);
        assert_int_equal(lesson_train_snapshot_every(t), c.snapshot_every);
        assert_true(LESSON_TRAIN_MAX_STEPS / c.snapshot_every + 1 <= LIVE_MAX_SNAPS);
        assert_int_equal(c.arch, LESSON_TRAIN_DEFAULT_ARCH);
    }
    for (int a = 0; a < LIVE_ARCH_COUNT; a++) {
        assert_string_equal(lesson_train_arch_name(a), live_arch_name((LiveArch)a));
        assert_int_equal(live_arch_from_name(lesson_train_arch_name(a)), a);
    }
    assert_int_equal(VIEW_TRAINING, (ViewId)LESSON_VIEW_TRAINING);
}

/* Accent outlines drawn after the view (the highlights), from command k on. */
static int outlines_after(const DrawList *dl, int k, Color c) {
    int n = 0;
    for (; k < dl->count; k++)
        if (dl->cmds[k].kind == DRAW_RECT_LINE && !memcmp(&dl->cmds[k].color, &c, sizeof c)) n++;
    return n;
}

/* The mark of (kind, i, j) in the frame, or NULL. */
static const DrawMark *find_mark(const DrawList *dl, DrawMarkKind kind, int i, int j) {
    for (int k = 0; k < dl->n_marks; k++)
        if (dl->marks[k].kind == kind && dl->marks[k].i == i && dl->marks[k].j == j) return &dl->marks[k];
    return NULL;
}

/* Vector and cell highlights: the views mark what they draw (h_j, s_i, c_i, attention cells)
 * and the slide outlines exactly the marked objects it names, around them (outside the
 * rect), zoomed with the view; one the view does not draw is reported. */
static void test_vector_and_cell_highlights(void **state) {
    char path[] = "/tmp/attnstep-test-lesson-XXXXXX";
    const char *text = "## heatmap\n```attnstep\nmodel: reverse-tutorial\ninput: a b c d\nview: heatmap\nhighlight: cell 2 3\n```\n"
                       "## attention\n```attnstep\nview: attention\nposition: step 3 context\nhighlight: vector enc 2\n"
                       "highlight: vector dec 2\nhighlight: vector context 3\nhighlight: cell 3 3\n```\n"
                       "## zoomed\n```attnstep\nview: heatmap\nhighlight: cell 1 4\nzoom: 2 at 0.5,0.5\n```\n"
                       "## not drawn\n```attnstep\nview: attention\nposition: step 3 context\nhighlight: cell 2 3\n```\n"
                       "## cell view\n```attnstep\nview: cell\nposition: step 2\nhighlight: vector dec 1\nhighlight: vector dec 2\n"
                       "highlight: vector context 2\n```\n"
                       "## unrolled\n```attnstep\nview: unrolled\nposition: encoder step 3\nhighlight: vector enc 3\n```\n"
                       "## seq2seq\n```attnstep\nview: seq2seq\nposition: step 2\nhighlight: vector enc 4\nhighlight: vector dec 2\n```\n";
    write_temp_lesson(path, text);
    Renderer r;
    assert_int_equal(ru_open(&r, 1280, 720), 0);
    Deck d;
    Status st = {{0}};
    assert_int_equal(deck_open(&d, path, DIRS, 1, &st), 0);
    assert_int_equal(d.lesson->n_errors + d.lesson->n_warnings, 1); /* the "not drawn" slide: a warning */
    const Theme *th = theme_by_index(d.g.theme);
    static const int expect[] = {1, 4, 1, 0, 3, 1, 2};
    for (int s = 0; s < 7; s++) {
        deck_goto(&d, s);
        draw_begin(&r.dl, font_measure, r.fonts, -1, -1);
        deck_frame(&d, &r.dl, 1280, 720, NULL);
        if (d.hl_missing) fprintf(stderr, "%s\n", d.hl_missing_what);
        if (d.overflow) fprintf(stderr, "%s\n", d.overflow_what);
        assert_int_equal(outlines_after(&r.dl, d.view_cmd1, th->accent), expect[s]);
        assert_int_equal(d.hl_missing, s == 3);
        assert_false(d.overflow);
        if (s == 0) {
            /* the outline is around the marked cell (outside it) */
            const DrawMark *m = find_mark(&r.dl, MARK_CELL, 2, 3);
            assert_non_null(m);
            int k = d.view_cmd1;
            while (k < r.dl.count && !(r.dl.cmds[k].kind == DRAW_RECT_LINE && !memcmp(&r.dl.cmds[k].color, &th->accent, sizeof th->accent))) k++;
            const DrawCmd *o = &r.dl.cmds[k];
            assert_true(o->x0 < m->r.x && o->y0 < m->r.y && o->x0 + o->x1 > m->r.x + m->r.w && o->y0 + o->y1 > m->r.y + m->r.h);
            assert_true(o->x1 < m->r.w * 1.6f); /* and close to it */
            /* every heatmap cell is marked: 5 rows x 5 columns */
            int cells = 0;
            for (int q = 0; q < r.dl.n_marks; q++) cells += r.dl.marks[q].kind == MARK_CELL;
            assert_int_equal(cells, 25);
        }
        if (s == 1) {
            /* view 4 at step 3 (Bahdanau): every h_j, the query s2, c3, the weights of step 3 */
            for (int j = 1; j <= 5; j++) assert_non_null(find_mark(&r.dl, MARK_ENC, j, 0));
            assert_non_null(find_mark(&r.dl, MARK_DEC, 2, 0));
            assert_null(find_mark(&r.dl, MARK_DEC, 3, 0));
            assert_non_null(find_mark(&r.dl, MARK_CONTEXT, 3, 0));
            assert_non_null(find_mark(&r.dl, MARK_CELL, 3, 5));
            assert_null(find_mark(&r.dl, MARK_CELL, 2, 5));
        }
        if (s == 2) {
            /* zoomed 2x about the centre: the mark is twice as large as unzoomed */
            const DrawMark *m = find_mark(&r.dl, MARK_CELL, 1, 4);
            assert_non_null(m);
            float zw = m->r.w;
            d.user_zoom = 1;
            d.lesson->slides[2].set.zoom = 1;
            draw_begin(&r.dl, font_measure, r.fonts, -1, -1);
            deck_frame(&d, &r.dl, 1280, 720, NULL);
            m = find_mark(&r.dl, MARK_CELL, 1, 4);
            assert_non_null(m);
            assert_true(fabsf(zw - 2 * m->r.w) < 2);
        }
        if (s == 3) assert_non_null(strstr(d.hl_missing_what, "slide 4: highlight cell 2 3 (line"));
    }
    deck_close(&d);
    unlink(path);
    ru_close(&r);
}

/* max-length caps the slide's decode (the run lesson check decoded), carries over, and
 * "model" gives the model's own cap back. */
static void test_max_length_slides(void **state) {
    char path[] = "/tmp/attnstep-test-lesson-XXXXXX";
    const char *text = "## a\n```attnstep\nmodel: reverse-tutorial\ninput: a b c d e f\nview: heatmap\nmax-length: 3\n```\n"
                       "## b\n```attnstep\nposition: step 3\n```\n"
                       "## c\n```attnstep\nmax-length: model\n```\n";
    write_temp_lesson(path, text);
    Deck d;
    Status st = {{0}};
    assert_int_equal(deck_open(&d, path, DIRS, 1, &st), 0);
    assert_int_equal(d.lesson->n_errors, 0);
    assert_int_equal(d.g.max_len, 3);
    assert_int_equal(d.g.ix.n_steps, 3); /* f e d, no <eos> */
    assert_string_equal(event_get_str(d.g.ix.run_end, "output"), "f e d");
    deck_goto(&d, 1);
    assert_int_equal(d.g.ix.n_steps, 3);
    assert_string_equal(d.message, "");
    deck_goto(&d, 2);
    assert_int_equal(d.g.max_len, 0);
    assert_int_equal(d.g.ix.n_steps, 7); /* f e d c b a <eos> */
    deck_goto(&d, 0);
    assert_int_equal(d.g.ix.n_steps, 3); /* decoded again with the cap */
    deck_close(&d);
    unlink(path);
}

/* A training slide trains synchronously and deterministically: reaching 60 steps through
 * slides at 0 and 30 (the controller is trained on) gives the numbers of a fresh 60-step
 * run; the snapshot directive selects the strip's snapshot; a training slide's view draws. */
static void test_training_slides_deterministic(void **state) {
    char path[] = "/tmp/attnstep-test-lesson-XXXXXX";
    const char *text = "## a\n```attnstep\nview: training\ntrain-steps: 0\n```\n"
                       "## b\n```attnstep\ntrain-steps: 30\nsnapshot: step 10\n```\n"
                       "## c\n```attnstep\ntrain-steps: 60\n```\n"
                       "## d\n```attnstep\nview: none\n```\n"
                       "## e\n```attnstep\nview: training\n```\n";
    write_temp_lesson(path, text);
    Renderer r;
    assert_int_equal(ru_open(&r, 1280, 720), 0);
    Deck d;
    Status st = {{0}};
    assert_int_equal(deck_open(&d, path, DIRS, 1, &st), 0);
    assert_int_equal(d.lesson->n_errors, 0);
    assert_true(d.run_ok);
    assert_int_equal(d.g.view, VIEW_TRAINING);
    assert_int_equal(d.g.live->lt->step, 0);
    LiveTrain *first = d.g.live->lt;
    deck_goto(&d, 1);
    assert_ptr_equal(d.g.live->lt, first); /* trained on, not rebuilt */
    assert_int_equal(d.g.live->lt->step, 30);
    assert_int_equal(d.g.live->sel, 1);
    draw_begin(&r.dl, font_measure, r.fonts, -1, -1);
    deck_frame(&d, &r.dl, 1280, 720, NULL);
    assert_true(d.view_cmd1 > d.view_cmd0);
    assert_false(d.overflow);
    deck_goto(&d, 2);
    LiveTrain *lt = d.g.live->lt;
    assert_int_equal(lt->step, 60);
    assert_int_equal(d.g.live->sel, -1);
    assert_int_equal(lt->n_snaps, 7);
    /* a fresh 60-step run: the same numbers, bit for bit */
    GuiState g;
    gui_state_init(&g);
    assert_int_equal(gui_training_render_setup(&g, "reverse", "dot", 60, -1, 0, 0, &st), 0);
    LiveTrain *f = g.live->lt;
    assert_int_equal(f->n_snaps, lt->n_snaps);
    for (int i = 0; i < f->n_snaps; i++) {
        const LiveSnap *x = f->snaps[i], *y = lt->snaps[i];
        assert_int_equal(x->step, y->step);
        assert_memory_equal(&x->loss, &y->loss, sizeof x->loss);
        assert_memory_equal(&x->entropy, &y->entropy, sizeof x->entropy);
        assert_int_equal(x->T * x->S, y->T * y->S);
        assert_memory_equal(x->attn, y->attn, (size_t)(x->T * x->S) * sizeof(float));
        assert_string_equal(x->output, y->output);
    }
    assert_true(lt->snaps[6]->sharp); /* docs/PERFORMANCE.md: sharp at step 60 */
    gui_state_free(&g);
    /* going back to step 0 rebuilds from the seed */
    deck_goto(&d, 0);
    assert_int_equal(d.g.live->lt->step, 0);
    /* a narration slide between two training slides; the last inherits train-steps 60 */
    deck_goto(&d, 3);
    assert_false(d.run_ok);
    deck_goto(&d, 4);
    assert_int_equal(d.g.live->lt->step, 60);
    assert_string_equal(d.message, "");
    deck_close(&d);
    unlink(path);
    ru_close(&r);
}

/* The notes window draws "(no notes for this slide)" only on a slide without notes (it was
 * once drawn over the notes too). */
static int has_text(const DrawList *dl, const char *t) {
    for (int k = 0; k < dl->count; k++)
        if (dl->cmds[k].kind == DRAW_TEXT && !strcmp(dl->text + dl->cmds[k].text_off, t)) return 1;
    return 0;
}

static void test_notes_placeholder_only_without_notes(void **state) {
    char path[] = "/tmp/attnstep-test-lesson-XXXXXX";
    const char *text = "## with\n\nText.\n\n### Notes\n\nSay this.\n\n## without\n\nText.\n";
    write_temp_lesson(path, text);
    Renderer r;
    assert_int_equal(ru_open(&r, 900, 600), 0);
    Deck d;
    Status st = {{0}};
    assert_int_equal(deck_open(&d, path, DIRS, 1, &st), 0);
    draw_begin(&r.dl, font_measure, r.fonts, -1, -1);
    deck_notes_frame(&d, &r.dl, 900, 600, 0);
    assert_false(has_text(&r.dl, "(no notes for this slide)"));
    deck_goto(&d, 1);
    draw_begin(&r.dl, font_measure, r.fonts, -1, -1);
    deck_notes_frame(&d, &r.dl, 900, 600, 0);
    assert_true(has_text(&r.dl, "(no notes for this slide)"));
    deck_close(&d);
    unlink(path);
    ru_close(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_reports_overflow_and_wraps),
        cmocka_unit_test(test_positions_resolve),
        cmocka_unit_test(test_highlight_pen_blank),
        cmocka_unit_test(test_vector_and_cell_highlights),
        cmocka_unit_test(test_max_length_slides),
        cmocka_unit_test(test_notes_placeholder_only_without_notes),
        cmocka_unit_test(test_training_names_match_the_gui),
        cmocka_unit_test(test_training_slides_deterministic),
        cmocka_unit_test(test_every_slide_fits_1080p),
        cmocka_unit_test(test_every_slide_fits_720p),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
