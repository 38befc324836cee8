/* draw.h — the draw command list: what views produce and the backend consumes.
 *
 * What it is: a growable list of primitive commands (filled rect, outlined rect, thick
 * line, filled triangle, text, clip) in window pixels, plus the two pieces of input a
 * pure view needs: a text measurer (font metrics, supplied by the font module) and the
 * mouse position, against which views test "hot" regions to produce one tooltip.
 * What it is not: it draws nothing and includes no SDL (backend.c does the drawing), so
 * views and their tests stay free of the window system.
 *
 *   DrawList dl; draw_init(&dl);
 *   draw_begin(&dl, measure, font, mouse_x, mouse_y);
 *   draw_rect(&dl, (Rect){10, 10, 50, 20}, (Color){255, 0, 0, 255});
 *   if (draw_hot(&dl, r)) draw_tooltip(&dl, "h3[2] = %.3f", v);
 *   backend_draw(renderer, fonts, &dl);
 *   draw_free(&dl);
 */
#ifndef ATTNSTEP_GUI_DRAW_H
#define ATTNSTEP_GUI_DRAW_H

#include <stdint.h>

typedef struct Color { uint8_t r, g, b, a; } Color;
typedef struct Rect { float x, y, w, h; } Rect;

typedef enum DrawCmdKind {
    DRAW_RECT,       /* filled rect x0,y0,w=x1,h=y1 */
    DRAW_RECT_LINE,  /* outline of rect, thickness thick (inside the rect) */
    DRAW_LINE,       /* (x0,y0)-(x1,y1), thickness thick */
    DRAW_TRI,        /* filled triangle (x0,y0) (x1,y1) (x2,y2) */
    DRAW_TEXT,       /* text at top-left (x0,y0), pixel size `size`, text at text_off */
    DRAW_CLIP,       /* clip to rect x0,y0,w=x1,h=y1; w < 0 removes the clip */
} DrawCmdKind;

typedef struct DrawCmd {
    DrawCmdKind kind;
    Color color;
    float x0, y0, x1, y1, x2, y2;
    float thick;
    int size;       /* text pixel size */
    int text_off;   /* offset into DrawList.text */
} DrawCmd;

/* Returns the width in pixels of UTF-8 text at pixel size `size` (height is taken as
 * draw_line_height). ctx is the font set. */
typedef float (*TextMeasureFn)(void *ctx, int size, const char *text);

#define DRAW_TOOLTIP_MAX 512

/* What a view drew where, for lesson highlights (lesson_ui.c outlines the marks a slide's
 * `highlight: vector ...` / `highlight: cell ...` names). Marks draw nothing. Indices are
 * the lesson's (attnstep/lesson.h), 1-based: */
typedef enum DrawMarkKind {
    MARK_ENC,      /* encoder state h_i (source position i): a vector strip, or its cell box in view 3 */
    MARK_DEC,      /* decoder state s_i after decoder step i (0: the initial state) */
    MARK_CONTEXT,  /* context vector c_i of decoder step i */
    MARK_CELL,     /* attention of target word i on source word j (a heatmap cell, a weight bar) */
} DrawMarkKind;

typedef struct DrawMark {
    DrawMarkKind kind;
    int i, j;      /* j: MARK_CELL only */
    Rect r;        /* window pixels, as drawn */
} DrawMark;

typedef struct DrawList {
    DrawCmd *cmds;
    int count, cap;
    char *text;          /* all strings, NUL-separated */
    int text_len, text_cap;
    TextMeasureFn measure;
    void *measure_ctx;
    float mouse_x, mouse_y; /* < 0: no mouse (headless) */
    char tooltip[DRAW_TOOLTIP_MAX]; /* set by the last hot region under the mouse */
    int has_tooltip;
    int oom;             /* an allocation failed: the frame is incomplete */
    DrawMark *marks;     /* draw_mark, in drawing order */
    int n_marks, cap_marks;
} DrawList;

void draw_init(DrawList *dl);
void draw_free(DrawList *dl);
/* Empties the list for a new frame; keeps memory. */
void draw_begin(DrawList *dl, TextMeasureFn measure, void *ctx, float mouse_x, float mouse_y);

void draw_rect(DrawList *dl, Rect r, Color c);
void draw_rect_line(DrawList *dl, Rect r, Color c, float thick);
void draw_line(DrawList *dl, float x0, float y0, float x1, float y1, Color c, float thick);
void draw_tri(DrawList *dl, float x0, float y0, float x1, float y1, float x2, float y2, Color c);
/* A line ending in a filled arrow head of length head at (x1,y1). */
void draw_arrow(DrawList *dl, float x0, float y0, float x1, float y1, Color c, float thick, float head);
/* A dashed line (dash and gap of `dash` pixels). */
void draw_dashed(DrawList *dl, float x0, float y0, float x1, float y1, Color c, float thick, float dash);
void draw_text(DrawList *dl, float x, float y, int size, Color c, const char *text);
void draw_textf(DrawList *dl, float x, float y, int size, Color c, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Text with its box centred on (cx, cy). */
void draw_text_centered(DrawList *dl, float cx, float cy, int size, Color c, const char *text);
/* Text shortened with "…" to fit max_w; returns the drawn width. */
float draw_text_fit(DrawList *dl, float x, float y, int size, Color c, const char *text, float max_w);
/* Records that r shows object (kind, i, j) (see DrawMarkKind); draws nothing. */
void draw_mark(DrawList *dl, DrawMarkKind kind, int i, int j, Rect r);
void draw_clip(DrawList *dl, Rect r);
void draw_unclip(DrawList *dl);

float draw_text_width(const DrawList *dl, int size, const char *text);
/* The height of a line of text at pixel size size (the font's line skip). */
float draw_line_height(int size);

/* 1 when the mouse is inside r. Views then call draw_tooltip with what r shows. */
int draw_hot(const DrawList *dl, Rect r);
/* fmt is English: it is translated into the interface language (i18n.h) before formatting. */
void draw_tooltip(DrawList *dl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int rect_contains(Rect r, float x, float y);
Rect rect_inset(Rect r, float d);
Color color_mix(Color a, Color b, float t); /* t = 0: a, 1: b */
Color color_alpha(Color c, uint8_t a);

#endif
