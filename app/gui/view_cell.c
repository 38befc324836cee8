/* view_cell.c — view 1: one RNN cell, next_h = f(x, prev_h), with its gates. */
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "views.h"

/* The cell event shown at position p: the current encoder step, or the latest visible
 * decoder step (the current one once its RNN has run). *dec is set for decoder cells. */
static const Event *current_cell(const ViewCtx *c, int *dec, int *pending) {
    const TraceIndex *ix = c->ix;
    const TlPos *q = &ix->pos[c->pos];
    *dec = 0;
    *pending = 0;
    if (q->phase == PH_START) { *pending = 1; return ix->n_enc ? ix->enc[0] : NULL; }
    if (q->phase == PH_ENC) return ix->enc[q->enc];
    int s = q->step < ix->n_steps ? q->step : ix->n_steps - 1;
    /* the current step's cell once it has run; before that the previous step's (or, at
     * the first step, this one waiting for its inputs) */
    for (int t = s; t >= 0; t--) {
        const Event *e = ix->steps[t].dec[0];
        if (e && tl_shown(ix, c->pos, t, PH_DECODER)) { *dec = 1; return e; }
    }
    if (s >= 0 && ix->steps[s].dec[0] && s == 0) { *dec = 1; *pending = 1; return ix->steps[0].dec[0]; }
    return ix->n_enc ? ix->enc[ix->n_enc - 1] : NULL;
}

static void gate_rows(const char *cell, const char **names, const char **eqs, int *n) {
    if (!strcmp(cell, "gru")) {
        static const char *gn[] = {N_("r  reset gate"), N_("z  update gate"), N_("n  candidate")};
        static const char *ge[] = {"r = \xcf\x83(W_ir x + b_ir + W_hr h + b_hr)", "z = \xcf\x83(W_iz x + b_iz + W_hz h + b_hz)",
                                   "n = tanh(W_in x + b_in + r \xe2\x8a\x99 (W_hn h + b_hn))"};
        for (int i = 0; i < 3; i++) { names[i] = gn[i]; eqs[i] = ge[i]; }
        *n = 3;
    } else if (!strcmp(cell, "lstm")) {
        static const char *gn[] = {N_("i  input gate"), N_("f  forget gate"), N_("g  candidate"), N_("o  output gate")};
        static const char *ge[] = {"i = \xcf\x83(W_ii x + W_hi h + b_i)", "f = \xcf\x83(W_if x + W_hf h + b_f)",
                                   "g = tanh(W_ig x + W_hg h + b_g)", "o = \xcf\x83(W_io x + W_ho h + b_o)"};
        for (int i = 0; i < 4; i++) { names[i] = gn[i]; eqs[i] = ge[i]; }
        *n = 4;
    } else *n = 0;
}

void view_cell(const ViewCtx *c) {
    const TraceIndex *ix = c->ix;
    const Theme *th = c->th;
    DrawList *dl = c->dl;
    float sc = th->scale;
    int dec, pending;
    const Event *ev = current_cell(c, &dec, &pending);
    if (!ev) { vk_message(c, c->area, TR("This trace has no RNN cell steps.")); return; }
    const char *cell = ix->cell;
    const char *tok = event_get_str(ev, "token");
    char title[256], sub[256];
    int layer = (int)event_get_int(ev, "layer", 0);
    if (dec) {
        int s = (int)event_get_int(ev, "step", 0);
        snprintf(title, sizeof title, TR("Decoder cell, step %d%s: next_h = f(x, prev_h)"), s + 1,
                 pending ? TR(" (about to run)") : "");
        snprintf(sub, sizeof sub, TR("input x = [embedding of \"%s\"; context c_%d]  \xc2\xb7  %s cell, %d hidden units%s"),
                 tok ? tok : "?", s + 1, cell, ix->hidden, ix->layers > 1 ? TR(" (layer 1 shown)") : "");
    } else {
        int p = (int)event_get_int(ev, "pos", 0), d = (int)event_get_int(ev, "dir", 0);
        snprintf(title, sizeof title, TR("Encoder cell, step %d of %d%s: next_h = f(x, prev_h)"), p + 1, ix->S,
                 pending ? TR(" (press \xe2\x86\x92 to run it)") : "");
        snprintf(sub, sizeof sub, TR("input x = embedding of \"%s\"  \xc2\xb7  %s cell, %d hidden units%s%s"), tok ? tok : "?", cell,
                 ix->hidden, ix->enc_layers > 1 ? (layer ? TR("  \xc2\xb7  upper layer") : TR("  \xc2\xb7  layer 1")) : "",
                 ix->enc_dirs > 1 ? (d ? TR(", backward direction") : TR(", forward direction")) : "");
    }
    float top = vk_title(c, title, sub);
    Color edge = dec ? th->dec : th->enc, fill = dec ? th->dec_fill : th->enc_fill;

    int nx = 0, nhp = 0, nh = 0, ng = 0, ncp = 0, nc = 0;
    const float *x = event_get_floats(ev, "x", &nx);
    const float *hp = event_get_floats(ev, "h_prev", &nhp);
    const float *h = event_get_floats(ev, "h", &nh);
    const float *g = event_get_floats(ev, "gates", &ng);
    const float *cp = event_get_floats(ev, "c_prev", &ncp);
    const float *cc = event_get_floats(ev, "c", &nc);

    Rect a = {c->area.x + 16 * sc, c->area.y + top, c->area.w - 32 * sc, c->area.h - top - 8 * sc};
    float colw = 30 * sc, lab = draw_line_height(th->fs) + 4;
    /* columns: prev_h (left), cell box (centre), next_h (right); x below the box */
    float box_x = a.x + colw + 150 * sc, box_w = a.w - 2 * (colw + 150 * sc);
    float xh = 26 * sc; /* height of the x strip */
    float box_y = a.y + lab + 10 * sc, box_h = a.h - lab - xh - 3 * lab - 40 * sc;
    if (box_h < 120) box_h = 120;
    Rect box = {box_x, box_y, box_w, box_h};
    draw_rect(dl, box, fill);
    draw_rect_line(dl, box, edge, 3 * th->line);
    draw_text(dl, box.x + 10 * sc, box.y + 6 * sc, th->fs_large, edge,
              !strcmp(cell, "gru") ? TR("GRU cell") : !strcmp(cell, "lstm") ? TR("LSTM cell") : TR("RNN cell (Elman)"));

    /* prev_h column */
    Rect ph = {a.x, box_y, colw, box_h};
    Rect nhr = {a.x + a.w - colw, box_y, colw, box_h};
    Color vis = pending ? color_alpha(th->fg_dim, 120) : th->fg;
    draw_text(dl, ph.x, ph.y - lab, th->fs, th->fg, "prev_h");
    vk_vector(c, ph, hp, nhp, 1.0f, 1, dec ? TR("prev_h (decoder state before this step)") : TR("prev_h (encoder state before this word)"));
    /* lesson highlights: prev_h is s_{step} (0: the initial state) or h_{pos} (none before the first word) */
    int ev_dir = dec ? 0 : (int)event_get_int(ev, "dir", 0), ev_top = dec || ix->enc_layers <= 1 || layer == ix->enc_layers - 1;
    int mark_n = dec ? (int)event_get_int(ev, "step", 0) : (int)event_get_int(ev, "pos", 0);
    if (hp && ev_dir == 0 && ev_top && (dec || mark_n > 0)) draw_mark(dl, dec ? MARK_DEC : MARK_ENC, mark_n, 0, ph);
    if (!dec && event_get_int(ev, "pos", 0) == 0 && event_get_int(ev, "dir", 0) == 0)
        draw_text(dl, ph.x, ph.y + ph.h + 4, th->fs_small, th->fg_dim, TR("h0 = zeros"));
    draw_arrow(dl, ph.x + colw + 6, box_y + box_h / 2, box.x - 4, box_y + box_h / 2, th->fg, 2 * th->line, 12 * sc);
    /* next_h column */
    draw_text(dl, nhr.x + colw - draw_text_width(dl, th->fs, "next_h"), nhr.y - lab, th->fs, vis, "next_h");
    draw_arrow(dl, box.x + box.w + 4, box_y + box_h / 2, nhr.x - 6, box_y + box_h / 2, vis, 2 * th->line, 12 * sc);
    if (!pending) {
        vk_vector(c, nhr, h, nh, 1.0f, 1, TR("next_h (the new hidden state)"));
        if (h && ev_dir == 0 && ev_top) draw_mark(dl, dec ? MARK_DEC : MARK_ENC, mark_n + 1, 0, nhr);
    }
    else draw_rect_line(dl, nhr, th->grid, 1);

    /* x strip below */
    Rect xr = {box.x + box.w * 0.1f, box.y + box.h + 40 * sc, box.w * 0.8f, xh};
    char xl[160];
    snprintf(xl, sizeof xl, TR("x  (%d values)"), nx);
    draw_text(dl, xr.x, xr.y + xh + 4, th->fs, th->fg, xl);
    int x_ready = !(dec && pending && !tl_shown(ix, c->pos, (int)event_get_int(ev, "step", 0), PH_CONTEXT) &&
                    ix->phase_order[PH_CONTEXT] >= 0 && ix->phase_order[PH_CONTEXT] < ix->phase_order[PH_DECODER]);
    if (x_ready)
        vk_vector(c, xr, x, nx, vk_max_abs(x, nx) > 1 ? vk_max_abs(x, nx) : 1.0f, 0,
                  dec ? TR("x = [embedding of the previous output token; context vector]") : TR("x = embedding of the source word"));
    else
        draw_rect_line(dl, xr, th->grid, 1);
    if (dec) { /* where the embedding ends and the context begins */
        const Event *em = ix->steps[(int)event_get_int(ev, "step", 0)].embed;
        int ne = 0;
        if (em) event_get_floats(em, "vector", &ne);
        if (ne > 0 && ne < nx) {
            float sx = xr.x + xr.w * ne / nx;
            draw_rect(dl, (Rect){sx - 1, xr.y - 6, 2, xh + 12}, th->fg);
            draw_text(dl, xr.x, xr.y - lab, th->fs_small, th->dec, TR("embedding of the previous word"));
            draw_text(dl, sx + 4, xr.y - lab, th->fs_small, th->fg, TR("context c (attention)"));
            if (x_ready) draw_mark(dl, MARK_CONTEXT, mark_n + 1, 0, (Rect){sx, xr.y, xr.x + xr.w - sx, xh});
        }
    }
    draw_arrow(dl, box.x + box.w / 2, xr.y - 4, box.x + box.w / 2, box.y + box.h + 4, th->fg, 2 * th->line, 12 * sc);
    if (tok) {
        char t[160];
        snprintf(t, sizeof t, "\"%s\"", tok);
        draw_text(dl, xr.x + xr.w + 10 * sc, xr.y + xh / 2 - lab / 2, th->fs_large, edge, t);
    }

    /* gates inside the box */
    const char *gname[4], *geq[4];
    int ngates = 0;
    gate_rows(cell, gname, geq, &ngates);
    float iy = box.y + draw_line_height(th->fs_large) + 16 * sc;
    float ix0 = box.x + 14 * sc, iw = box.w - 28 * sc;
    float avail = box.y + box.h - iy - 8 * sc;
    int rows = ngates + 1 + (nc > 0);
    float rh = avail / rows;
    if (rh > 70 * sc) rh = 70 * sc;
    float strip_h = rh - draw_line_height(th->fs_small) - 8 * sc;
    if (strip_h > 22 * sc) strip_h = 22 * sc;
    if (strip_h < 6) strip_h = 6;
    if (ngates > 0 && ng == ngates * nh && !pending) {
        for (int k = 0; k < ngates; k++) {
            char what[64];
            snprintf(what, sizeof what, TR("gate %.1s"), gname[k]);
            draw_text(dl, ix0, iy, th->fs_small, th->fg, TR(gname[k]));
            draw_text_fit(dl, ix0 + 130 * sc, iy, th->fs_small, th->fg_dim, geq[k], iw - 130 * sc);
            vk_vector(c, (Rect){ix0, iy + draw_line_height(th->fs_small) + 2, iw, strip_h}, g + k * nh, nh, 1.0f, 0, what);
            iy += rh;
        }
    } else if (ngates == 0) {
        draw_text(dl, ix0, iy, th->fs, th->fg_dim, TR("next_h = tanh(W x + U prev_h + b)   (no gates)"));
        iy += rh;
    }
    if (nc > 0 && !pending) {
        draw_text(dl, ix0, iy, th->fs_small, th->fg, TR("c  cell state"));
        draw_text_fit(dl, ix0 + 130 * sc, iy, th->fs_small, th->fg_dim, TR("c = f \xe2\x8a\x99 c_prev + i \xe2\x8a\x99 g   (c_prev on hover of the row above)"),
                      iw - 130 * sc);
        vk_vector(c, (Rect){ix0, iy + draw_line_height(th->fs_small) + 2, iw, strip_h}, cc, nc, 1.0f, 0, TR("c (new cell state)"));
        (void)cp; (void)ncp;
        iy += rh;
    }
    if (!pending) {
        const char *eq = !strcmp(cell, "gru") ? "next_h = (1 \xe2\x88\x92 z) \xe2\x8a\x99 n + z \xe2\x8a\x99 prev_h"
                         : !strcmp(cell, "lstm") ? "next_h = o \xe2\x8a\x99 tanh(c)"
                                                 : "";
        draw_text_fit(dl, ix0, iy, th->fs, th->fg, eq, iw);
    } else {
        draw_text_fit(dl, ix0, iy, th->fs, th->fg_dim, TR("gates appear when the step runs"), iw);
    }
}
