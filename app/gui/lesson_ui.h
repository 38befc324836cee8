/* lesson_ui.h — lesson (presenter) mode: a deck of slides over the stepper's state.
 *
 * What it is: a Deck holds a parsed lesson (attnstep/lesson.h), the GuiState its slides
 * drive (model, input, strategy, view, timeline position) and the presenter's tools
 * (blank screen, laser pointer, pen strokes, zoom). deck_frame() draws one slide — title,
 * narration laid out from the lesson's rich text, the view the directives chose with its
 * highlights and zoom, the footer — as draw commands for a w×h window; the window
 * (lesson_app.c) and `attnstep lesson export` draw the same frames. The narration shrinks
 * its type to fit its box, down to a minimum readable size; if it still does not fit,
 * deck_frame sets Deck.overflow and a message naming the slide, so tests can assert it.
 * What it is not: no SDL (the window and PNG output live in lesson_app.c), no numerics
 * (gui_run_model decodes), no Markdown parsing (core's lesson module did it).
 *
 *   Deck d; Status st = {0};
 *   if (deck_open(&d, "lessons/en/04-attention.md", &st)) { puts(st.message); ... }
 *   deck_goto(&d, 2);                      // loads the model, decodes, sets view and position
 *   draw_begin(&dl, font_measure, fonts, -1, -1);
 *   deck_frame(&d, &dl, 1920, 1080, NULL);
 *   if (d.overflow) puts(d.overflow_what);
 *   deck_close(&d);
 */
#ifndef ATTNSTEP_GUI_LESSON_UI_H
#define ATTNSTEP_GUI_LESSON_UI_H

#include "attnstep/lesson.h"
#include "gui.h"

#define DECK_MAX_STROKES 256

typedef struct DeckStroke {
    float *xy;       /* (n, 2) window pixels, owned */
    int n, cap;
} DeckStroke;

typedef struct Deck {
    Lesson *lesson;          /* owned */
    char path[1024];
    GuiState g;              /* the stepper state the slides drive */
    int slide;               /* 0-based */
    int zh;                  /* the lesson's language is Chinese: the app's strings follow */
    /* presenter tools */
    int blank;               /* B: the screen is black */
    int laser;               /* the mouse is drawn as a laser dot */
    int pen;                 /* left-drag draws */
    int help;                /* key overlay */
    float user_zoom;         /* Z / wheel: 1 = the slide's own zoom */
    float user_zx, user_zy;  /* centre, fractions of the view area */
    DeckStroke strokes[DECK_MAX_STROKES];
    int n_strokes;
    int drawing;             /* a stroke is being drawn */
    /* set by deck_goto / deck_frame */
    int run_ok;              /* the slide's model ran: its view shows (else d->message says why) */
    char message[512];       /* a slide problem (model missing, decode failed), shown on the slide */
    int overflow;            /* the narration (or the title; the notes in deck_notes_frame) did not fit */
    char overflow_what[256];
    int hl_missing;          /* a highlight of the slide drew no outline in the last frame (the view */
    char hl_missing_what[256]; /* does not show that token, vector or cell there): which */
    float text_size;         /* narration pixel size chosen for the last frame */
    Rect view_area, narr_area; /* where the last frame put them */
    int view_cmd0, view_cmd1;  /* the view's draw commands in the last frame's DrawList */
    int live;                /* the window: a training slide's controller gets a worker thread
                                (Play trains on); 0 (export, tests): synchronous only */
    const char *dirs[4];     /* model search directories (lesson_model_dirs) */
    int n_dirs;
} Deck;

/* Loads and checks the lesson (problems go to l->problems; they never stop presenting),
 * lists the models and opens slide 0. -1 with st when the file cannot be read. */
int deck_open(Deck *d, const char *path, const char *const *dirs, int n_dirs, Status *st);
void deck_close(Deck *d); /* zeroed: no-op */
/* Shows slide i (clamped): model, input, strategy, view, position; clears the pen strokes
 * and the presenter's zoom. Problems go to d->message (the slide still shows). A training
 * slide (view: training) builds view 9's controller (live_train.h) for its task and
 * preset, trains it train-steps batches in the caller (deterministic) and selects its
 * snapshot; with d->live it then starts the controller's worker, paused. Leaving a slide
 * pauses a worker that is training. */
void deck_goto(Deck *d, int i);
/* The timeline position a lesson position names in ix; -1 when the run has none. */
int deck_resolve_pos(const TraceIndex *ix, const LessonPos *p);
/* The whole slide as draw commands (w×h window). in may be NULL (headless). */
void deck_frame(Deck *d, DrawList *dl, int w, int h, const UiInput *in);
/* The speaker-notes window: this slide's notes, the next slide's title, the clock and
 * the elapsed time. Sets d->overflow (and overflow_what) when the notes do not fit. */
void deck_notes_frame(Deck *d, DrawList *dl, int w, int h, double elapsed_s);

/* Pen: starts / extends / ends a stroke at window pixel (x, y). */
void deck_pen(Deck *d, int phase, float x, float y); /* phase 0 start, 1 move, 2 end */
void deck_clear_strokes(Deck *d);

/* Lays out rich text in box at pixel size `size` (draws only when draw is set). Returns
 * the height used; *overflow is set when a line is wider than the box or the text is
 * taller than it. Exposed for tests. */
float deck_layout_rich(DrawList *dl, const Theme *th, const LessonRich *r, Rect box, float size, int draw, int *overflow);

#endif
