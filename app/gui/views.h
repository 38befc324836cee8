/* views.h — the pictures: one pure function per view, plus shared drawing helpers.
 *
 * What it is: each view appends draw commands for (trace index, timeline position, theme,
 * area, hover) to a DrawList and sets the tooltip of what is under the mouse. A view
 * never calls numerics and keeps no state, so position p always draws the same frame.
 * Views and the article figures they mirror (shared/VIEWS.md):
 *   1 cell (RNN cell and its gates)   2 unrolled encoder   3 encoder–decoder
 *   4 attention step                  5 alignment heatmap  6 beam tree
 *   7 greedy vs beam (needs ViewCtx.alt)   8 Transformer (encoder/decoder stacks, every head)
 * Long sequences shrink to a minimum cell size, then scroll to keep the current item in
 * view, with "◀ n more" / "n more ▶" markers: nothing is clipped silently.
 *
 *   ViewCtx v = {.ix = &ix, .pos = p, .th = theme_get("light"), .dl = &dl, .area = r, .anim = 1};
 *   view_draw(VIEW_ATTENTION, &v);
 */
#ifndef ATTNSTEP_GUI_VIEWS_H
#define ATTNSTEP_GUI_VIEWS_H

#include "draw.h"
#include "theme.h"
#include "timeline.h"

typedef enum ViewId { VIEW_CELL, VIEW_UNROLLED, VIEW_SEQ2SEQ, VIEW_ATTENTION, VIEW_HEATMAP, VIEW_BEAM, VIEW_COMPARE, VIEW_TRANSFORMER, VIEW_COUNT } ViewId;
/* 9: live training (view_training.c, live_train.h). Not a trace view: it is drawn by
 * gui_training_frame, never by view_draw, so it sits outside 0..VIEW_COUNT-1. */
#define VIEW_TRAINING ((ViewId)VIEW_COUNT)

/* What a click at the mouse position would pick: views report it (they stay pure), the
 * frame code acts on it when the button goes down. */
typedef enum PickKind {
    PICK_NONE,
    PICK_TOKEN,   /* force `token` at decoder `step` (what-if) */
    PICK_NODE,    /* select beam tree node ix->hyps[node] */
    PICK_WEIGHT,  /* view 4: drag attention weight `token` (a source position) of `step` to `value` */
} PickKind;
typedef struct ViewPick { PickKind kind; int step, token, node; float value; } ViewPick;

typedef struct ViewCtx {
    const TraceIndex *ix;
    int pos;          /* timeline position, 0..ix->n_pos-1 */
    const Theme *th;
    DrawList *dl;
    Rect area;        /* where the view draws */
    float anim;       /* 0..1: progress of the transition into pos (1 = settled; headless is 1) */
    const TraceIndex *alt;     /* view 7: the other strategy's trace of the same input (greedy for a
                                  beam trace, beam for a greedy one), or NULL */
    const TraceIndex *what_if; /* the what-if decode (a token forced at what_if_step), or NULL */
    int what_if_step;
    int what_if_token;         /* the token forced at what_if_step; -1: attention weights overridden there */
    ViewPick *pick;            /* out, may be NULL: set when the mouse is over something clickable */
    const float *drag_weights; /* view 4 while a weight is dragged: the renormalised weights of step
                                  drag_step (drag_j is the dragged position), else NULL */
    int drag_step, drag_j;
} ViewCtx;

void view_draw(ViewId v, const ViewCtx *c);
const char *view_name(ViewId v);       /* "RNN cell", ... */
const char *view_short(ViewId v);      /* short tab label */

void view_cell(const ViewCtx *c);
void view_unrolled(const ViewCtx *c);
void view_seq2seq(const ViewCtx *c);
void view_attention(const ViewCtx *c);
void view_heatmap(const ViewCtx *c);
void view_beam(const ViewCtx *c);
void view_compare(const ViewCtx *c);
void view_transformer(const ViewCtx *c);

/* ---- helpers shared by the views (viewkit.c) ---- */
float vk_max_abs(const float *v, int n);
/* A vector as a strip of coloured cells (vertical: top to bottom), diverging palette
 * saturating at scale. Hover: "<what>[i] = value". */
void vk_vector(const ViewCtx *c, Rect r, const float *v, int n, float scale, int vertical, const char *what);
/* A rounded-looking box with an outline and a centred label. */
void vk_box(const ViewCtx *c, Rect r, Color fill, Color edge, float thick, const char *label, int size, Color text);
/* Title line at the top of the area; returns its height. */
float vk_title(const ViewCtx *c, const char *title, const char *subtitle);
/* A centred message in the area (e.g. "this view needs a beam-search trace"). */
void vk_message(const ViewCtx *c, Rect r, const char *msg);
/* Horizontal strip layout for n items in width avail: cell size between min and max;
 * when n·min > avail, a window of items around focus. Sets *cell, *first, *count. */
void vk_strip(int n, float avail, float min_cell, float max_cell, int focus, float *cell, int *first, int *count);
/* "◀ n more" at (x,y) left-aligned, or "n more ▶" right-aligned ending at x. */
void vk_more(const ViewCtx *c, float x, float y, int n, int right);
/* The previous decoder state's name for the query ("s₂"), by the run's query mode. */
const char *vk_scorer_formula(const char *scorer);
/* Probability bars of an output event's top entries: fills ids/probs (sorted), returns count. */
int vk_top_outputs(const Event *out, int max, int *ids, float *probs);
/* Token text of target id from an output event's vocabulary, when known (NULL otherwise). */
int vk_utf8_len(const char *s);
/* tl_describe in the interface language (i18n.h): "decoder step 3: softmax weights". */
const char *vk_describe(const TraceIndex *ix, int p, char *buf, size_t n);
/* A token as shown: the space token becomes "\u2423" (open box), so it is visible. */
const char *vk_tok(const char *tok);

#endif
