/* theme.h — colours and type sizes: light, dark and projector (high contrast, large type).
 *
 * What it is: a Theme is plain data every view reads; the article's colour language is
 * fixed across themes (encoder blue, decoder red, output layer a blue box). Vector values
 * use a colour-blind-safe diverging palette (purple < 0 < orange, PuOr), attention weights
 * the classic black (0) → white (1) ramp of Bahdanau et al.'s Fig. 3.
 * What it is not: no fonts (font.h) and no drawing.
 *
 *   const Theme *th = theme_get("dark");   // NULL for an unknown name
 *   Color c = theme_diverging(th, h[i], 1.0f);
 */
#ifndef ATTNSTEP_GUI_THEME_H
#define ATTNSTEP_GUI_THEME_H

#include "draw.h"

typedef struct Theme {
    const char *name;
    Color bg, panel, panel_edge, fg, fg_dim, grid;
    Color enc, enc_fill, dec, dec_fill, out, out_fill; /* article colours: line and fill */
    Color accent, accent_fill;   /* the current position (orange: distinct from blue and red) */
    Color tip_bg, tip_fg;
    Color neg, zero, pos;        /* diverging palette ends and centre */
    Color ramp_lo, ramp_hi;      /* weights 0 and 1 */
    Color pruned, kept, finished;
    int fs_small, fs, fs_large, fs_title; /* pixel sizes */
    float line;                  /* base line thickness */
    float scale;                 /* layout scale (1, larger for projector) */
} Theme;

/* "light", "dark" or "projector"; NULL for anything else. */
const Theme *theme_get(const char *name);
const Theme *theme_by_index(int i); /* 0..THEME_COUNT-1 */
#define THEME_COUNT 3

/* Colour of value v on the diverging palette, saturating at |v| = scale. */
Color theme_diverging(const Theme *th, float v, float scale);
/* Colour of a weight w in [0,1] on the heatmap ramp. */
Color theme_ramp(const Theme *th, float w);
/* A text colour readable on background bg (black or white). */
Color theme_text_on(Color bg);

#endif
