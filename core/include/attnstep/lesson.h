/* lesson.h — lesson files: Markdown slides with attnstep directives.
 *
 * What it is: the parser of the lesson format (docs/lessons.md) and its checker.
 *   # Lesson title                    (optional; the first level-1 heading)
 *   ```attnstep                       (optional, before the first slide: lesson settings
 *   lang: zh                           and defaults every slide inherits)
 *   ```
 *   ## Slide title                    every level-2 heading starts a slide
 *   ```attnstep                       the slide's directives, one "key: value" a line
 *   model: en-fr-es-tutorial          assets/models/NAME.safetensors, or a path
 *   input: <2fr> the black cat        the source sentence
 *   strategy: beam 3                  greedy | beam K   (also "beam: K")
 *   max-length: 12                    decoder step cap, <eos> included: 1..1000 | model (the model's own)
 *   view: heatmap                     none | cell | unrolled | seq2seq | attention | heatmap | beam
 *                                     | compare (greedy vs beam) | transformer | training
 *   position: step 3 attention        see "Positions" below
 *   highlight: source 2               source N | target N | a token's text (repeatable, up to 8)
 *   highlight: cell 3 5               the attention cell of target word 3 (row) and source word 5
 *                                     (column): alpha_3,5 in the heatmap, the attention and Transformer views
 *   highlight: vector enc 3           a vector: enc N (h_N, 1..S), dec N (s_N, the decoder state after
 *                                     step N; 0 the initial one) or context N (c_N)
 *   zoom: 2 at 0.3,0.5                factor 1..8, optional centre as fractions of the view
 *   task: reverse                     view: training only: reverse | dates | translate
 *   arch: dot                         the live-training preset (lesson_train_arch_name)
 *   train-steps: 60                   batches trained before the slide shows (0..2000)
 *   snapshot: step 30                 the snapshot shown: K (0-based) | step N | last (default)
 *   ```
 *   Narration: paragraphs, *emphasis*, **strong**, `code`, lists, ### sub-headings, code.
 *   ### Notes                         a level-3+ heading "Notes" (or 备注 / 讲稿) starts the
 *   Speaker notes ...                 speaker notes, which run to the next slide
 * Settings carry over from slide to slide except highlight, zoom and snapshot, which are
 * per slide. A `view: training` slide shows the live-training view (the GUI's view 9) of
 * a fresh model trained `train-steps` batches on `task` with the preset `arch`, from the
 * controller's fixed seed: model, input, strategy and position do not apply to it (written
 * in its own block they are a warning); task, arch, train-steps and snapshot written on a
 * slide whose view is not training are an error.
 * Positions ("step" counts decoder steps from 1, as the timeline shows them):
 *   start | encoder step N | encoder done | step N [PHASE] | beam step N [candidates] | end
 *   PHASE: energies | attention (= weights) | weights | softmax | context | decoder | output
 *          | chosen | candidates; "step N" alone is the end of step N (its token chosen).
 * The narration is parsed with md4c into blocks of styled spans (LessonRich) the GUI lays
 * out; only this module includes md4c (DESIGN §1).
 * What it is not: no drawing, and lesson_parse() loads no model. lesson_check() (lesson
 * _check.c) loads each slide's model, decodes its input and checks positions and
 * highlights against the real run.
 *
 * Problems never stop the parse: each is recorded with its line number and the lesson
 * stays usable (a slide with a bad directive keeps the previous value). Only out of
 * memory and unreadable files return NULL.
 *
 *   Status st = {0};
 *   Lesson *l = lesson_load("lessons/en/04-attention.md", &st);   // NULL: st says why
 *   const char *dirs[] = {"assets/models"};
 *   lesson_check(l, dirs, 1, &st);
 *   for (int i = 0; i < l->n_problems; i++)
 *       printf("%s:%d: %s\n", "04-attention.md", l->problems[i].line, l->problems[i].message);
 *   lesson_free(l);
 */
#ifndef ATTNSTEP_LESSON_H
#define ATTNSTEP_LESSON_H

#include <stddef.h>

#include "attnstep/status.h"

#define LESSON_MAX_BYTES (4 << 20)   /* larger files are refused */
#define LESSON_MAX_SLIDES 500
#define LESSON_MAX_HIGHLIGHTS 8
#define LESSON_MAX_LENGTH 1000   /* max-length bound (decoder steps) */
#define LESSON_RICH_MAX (256 << 10)  /* narration (or notes) bytes per slide */
#define LESSON_PROBLEMS_MAX 1000     /* further problems are counted, not stored */

/* The views a slide can show, in the GUI's ViewId order (app/gui/views.h). */
typedef enum LessonView {
    LESSON_VIEW_NONE = -1, /* narration only */
    LESSON_VIEW_CELL, LESSON_VIEW_UNROLLED, LESSON_VIEW_SEQ2SEQ, LESSON_VIEW_ATTENTION,
    LESSON_VIEW_HEATMAP, LESSON_VIEW_BEAM, LESSON_VIEW_COMPARE, LESSON_VIEW_TRANSFORMER,
    LESSON_VIEW_TRAINING, /* view 9: live training (app/gui/live_train.h) */
    LESSON_VIEW_COUNT
} LessonView;

/* ---- live training (view: training) ----
 * The names a training slide may use. They are the GUI's (app/gui/live_train.h: the
 * LiveTask and LiveArch enums, live_task_name, live_arch_name, live_config_default's
 * snapshot_every), which core cannot include: this module owns the list the checker
 * accepts, index for index the same as the GUI's enums, and test_lesson_slides (which
 * links both) asserts they match. */
#define LESSON_TRAIN_TASKS 3     /* reverse, dates, translate */
#define LESSON_TRAIN_ARCHS 6     /* bi-additive, additive, dot, general, scaled_dot, none */
#define LESSON_TRAIN_MAX_STEPS 2000 /* train-steps bound: export stays fast (dates: ~6 s) */
#define LESSON_TRAIN_DEFAULT_ARCH 2 /* "dot", the view's default */
const char *lesson_train_task_name(int task); /* "reverse"; "?" out of range */
const char *lesson_train_arch_name(int arch); /* "dot"; "?" out of range */
int lesson_train_task_parse(const char *s);   /* index, or -1 */
int lesson_train_arch_parse(const char *s);   /* index, or -1 */
int lesson_train_snapshot_every(int task);    /* steps between snapshots: 10, 50, 100 */

typedef enum LessonPosKind {
    LESSON_POS_END,       /* the finished run (the default) */
    LESSON_POS_START,     /* nothing computed */
    LESSON_POS_ENC_STEP,  /* encoder step n (1..source length, <eos> included) */
    LESSON_POS_ENC_DONE,  /* the last encoder step */
    LESSON_POS_STEP,      /* decoder step n (1..), sub-step `phase` */
} LessonPosKind;

typedef enum LessonPhase {
    LESSON_PHASE_DONE,       /* the step's last sub-step (token chosen / beam selection) */
    LESSON_PHASE_ENERGIES,
    LESSON_PHASE_WEIGHTS,
    LESSON_PHASE_CONTEXT,
    LESSON_PHASE_DECODER,
    LESSON_PHASE_OUTPUT,
    LESSON_PHASE_CANDIDATES, /* beam search only */
    LESSON_PHASE_CHOSEN,
} LessonPhase;

typedef struct LessonPos {
    LessonPosKind kind;
    int n;              /* ENC_STEP / STEP: 1-based */
    LessonPhase phase;  /* STEP only */
    int beam;           /* written "beam step N": needs a beam-search slide */
} LessonPos;

typedef enum LessonHighlightKind {
    LESSON_HL_TOKEN,    /* every drawn label reading `text` */
    LESSON_HL_SOURCE,   /* source token n */
    LESSON_HL_TARGET,   /* output token n */
    LESSON_HL_VECTOR,   /* vector `vec` n: h_n, s_n or c_n wherever a view draws it as a strip (or a cell box) */
    LESSON_HL_CELL,     /* attention cell: target word n (row) x source word m (column) */
} LessonHighlightKind;

typedef enum LessonVector {
    LESSON_VEC_ENC,     /* encoder hidden state h_n after source token n (1..S) */
    LESSON_VEC_DEC,     /* decoder hidden state s_n after decoder step n (0: the initial state) */
    LESSON_VEC_CONTEXT, /* context vector c_n of decoder step n (1..) */
} LessonVector;

typedef struct LessonHighlight {
    LessonHighlightKind kind;
    int n;              /* SOURCE / TARGET / VECTOR: 1-based index (VECTOR dec: 0 allowed); CELL: target word */
    int m;              /* CELL: 1-based source word */
    LessonVector vec;   /* VECTOR */
    char text[128];     /* TOKEN: the token text as the views draw it */
    int line;
} LessonHighlight;

/* The canonical text of a highlight ("cell 3 5", "vector enc 2", "\"not\""). Returns buf. */
const char *lesson_highlight_format(const LessonHighlight *h, char *buf, size_t n);
const char *lesson_vector_name(LessonVector v); /* "enc", "dec", "context" */

typedef struct LessonSettings {
    char model[512];    /* as written: a name (assets/models/NAME.safetensors) or a path; "" none */
    char input[1024];   /* "" none */
    int beam;           /* 0: greedy, else beam width */
    int max_len;        /* decoder step cap, <eos> included (DecodeOptions.max_len); 0: the model's own */
    LessonView view;
    LessonPos pos;
    LessonHighlight hl[LESSON_MAX_HIGHLIGHTS];
    int n_hl;
    float zoom;         /* 1: none */
    float zoom_x, zoom_y; /* centre, fractions of the view area (0.5, 0.5 by default) */
    /* view: training */
    int train_task;     /* index (lesson_train_task_name); 0 reverse by default */
    int train_arch;     /* index (lesson_train_arch_name); LESSON_TRAIN_DEFAULT_ARCH by default */
    int train_steps;    /* 0..LESSON_TRAIN_MAX_STEPS batches before the slide shows */
    int snapshot;       /* per slide: the snapshot index shown (0 = step 0), -1 the last */
    /* line of the directive that last set each value (0: inherited default) */
    int line_model, line_input, line_strategy, line_view, line_pos, line_zoom, line_max_len;
    int line_task, line_arch, line_train_steps, line_snapshot;
} LessonSettings;

/* Rich text: blocks of spans; span text lives in `text` (UTF-8, NUL-free). */
enum { LESSON_EM = 1, LESSON_STRONG = 2, LESSON_CODE = 4, LESSON_LINK = 8, LESSON_STRIKE = 16 };

typedef struct LessonSpan {
    int style;          /* LESSON_EM | ... */
    int off, len;       /* into LessonRich.text; a span never holds '\n' except LESSON_CODE blocks */
    int hard_break;     /* 1: a line break comes before this span */
} LessonSpan;

typedef enum LessonBlockKind {
    LESSON_BLOCK_PARA, LESSON_BLOCK_HEADING, LESSON_BLOCK_ITEM, LESSON_BLOCK_CODE,
    LESSON_BLOCK_QUOTE, LESSON_BLOCK_RULE
} LessonBlockKind;

typedef struct LessonBlock {
    LessonBlockKind kind;
    int level;          /* HEADING: 3..6; others: nesting depth (list / quote), 0 at top */
    int number;         /* ITEM: 0 bullet, else the ordered number */
    int span0, nspans;  /* LessonRich.spans[span0 .. span0+nspans) */
    int line;           /* source line */
} LessonBlock;

typedef struct LessonRich {
    LessonBlock *blocks;
    int n_blocks, cap_blocks;
    LessonSpan *spans;
    int n_spans, cap_spans;
    char *text;
    int text_len, cap_text;
} LessonRich;

typedef struct LessonSlide {
    char title[256];
    int line;           /* of its ## heading */
    LessonSettings set;
    int has_directives;
    LessonRich body, notes;
} LessonSlide;

typedef struct LessonProblem {
    int line;           /* 1-based; 0: the file as a whole */
    int warning;        /* 1: shown but not an error */
    char message[300];
} LessonProblem;

typedef struct Lesson {
    char title[256];    /* "" when the file has no # heading */
    char lang[8];       /* "en" (default) or "zh": the language of the app's own strings */
    LessonSlide *slides;
    int n_slides, cap_slides;
    LessonProblem *problems;
    int n_problems, cap_problems;
    int n_errors, n_warnings; /* all problems, including those beyond LESSON_PROBLEMS_MAX */
    char dir[1024];     /* directory of the file (for relative model paths); "" for buffers */
} Lesson;

/* Parses a lesson held in memory (need not be NUL-terminated). name is used in messages
 * only. Returns NULL with st only on out of memory or a buffer over LESSON_MAX_BYTES;
 * every problem in the text is recorded in the lesson. */
Lesson *lesson_parse(const char *text, size_t len, Status *st);
/* Reads and parses a file; NULL with st when it cannot be read. */
Lesson *lesson_load(const char *path, Status *st);
void lesson_free(Lesson *l); /* NULL is a no-op */

/* Records a problem (message formatted like printf, bounded). */
void lesson_problem(Lesson *l, int line, int warning, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* "attention" -> LESSON_VIEW_ATTENTION; "none" -> LESSON_VIEW_NONE; -2 when unknown.
 * Also accepts the GUI's digits 1..9 (9: training). */
int lesson_view_parse(const char *s);
const char *lesson_view_name(LessonView v); /* "heatmap", "none" */
/* Parses a position name (case-insensitive, any spacing). 0, or -1 with st (*pos untouched). */
int lesson_pos_parse(const char *s, LessonPos *pos, Status *st);
/* The canonical text of a position ("step 3 weights"). Returns buf. */
const char *lesson_pos_format(const LessonPos *pos, char *buf, size_t n);

/* ---- lesson_check.c: against real models ---- */

/* What a decode of a slide's settings produced (what positions are checked against). */
typedef struct LessonRunInfo {
    int source_len;     /* S: source tokens with <eos> */
    int enc_steps;      /* enc_step events */
    int dec_steps;      /* decoder steps recorded (beam: steps of the search) */
    int out_len;        /* output tokens of the best hypothesis, <eos> excluded */
    int has_attention;  /* the model has an attention scorer (Transformer: cross-attention) */
    int has_cells;      /* attention cells to highlight: has_attention, or a Transformer's cross-attention */
    int decoder_first;  /* a decoder step runs its RNN before its attention (Luong: the query is the new state) */
    int tgt_len;        /* output tokens of the best hypothesis, its <eos> included when it has one
                           (the heatmap's rows) */
    int transformer;    /* the model is a Transformer */
    char output[1024];  /* the best hypothesis */
} LessonRunInfo;

/* Finds the model file of a `model:` value: a path (holding '/' or ending in
 * .safetensors, relative to the lesson's directory) or NAME looked up as
 * DIR/NAME.safetensors in each of dirs, then in LESSONDIR/../../assets/models.
 * 0 with path, or -1 with st listing where it looked. */
int lesson_find_model(const Lesson *l, const char *value, const char *const *dirs, int n_dirs, char *path, size_t n,
                      Status *st);
/* Loads every slide's model, decodes every slide's input with its strategy and checks
 * models, inputs (unknown words), views (beam view needs beam search, attention views an
 * attention model), positions and highlights against the run. Training slides load no
 * model and run nothing (the parser checked their directives; runs[i] stays zero). Problems are appended to
 * l. runs (may be NULL) receives one LessonRunInfo per slide (zeroed where no run).
 * Returns 0, or -1 with st on out of memory. */
int lesson_check(Lesson *l, const char *const *dirs, int n_dirs, LessonRunInfo *runs, Status *st);

#endif
