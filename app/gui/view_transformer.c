/* view_transformer.c — view 8: the Transformer. Left, the two stacks as in the classic
 * figure (encoder blue, decoder red, the output layer a blue box on top of the decoder,
 * the encoder's output feeding every decoder layer's cross-attention); right, every
 * attention map of every layer and head, read from the trace's tfm_attn events:
 *   encoder self-attention      (source × source, computed once for the whole sentence)
 *   decoder masked self-attention (target positions so far; the future is masked, grey)
 *   cross-attention              (target positions × source)
 * Decoder rows fill in step by step; the current step's query row is outlined. Below,
 * the last layer's cross-attention averaged over heads for the current step: the row
 * `attnstep eval` scores as the alignment (AER). Pure: (trace index, position) → frame. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "views.h"

enum { K_ENC, K_MASKED, K_CROSS, K_COUNT };

/* The frame's tfm_attn events, (kind, layer, head, query pos) → event, built in one pass
 * over the trace. Decoder rows belong to step = pos and the focus hypothesis of that step. */
typedef struct AttnTable {
    int L, H, P;
    const Event **e; /* (K_COUNT, L, H, P) */
} AttnTable;

static int table_build(AttnTable *t, const TraceIndex *ix, int L, int H) {
    t->L = L;
    t->H = H;
    t->P = (ix->S > ix->n_steps ? ix->S : ix->n_steps) + 1;
    t->e = calloc((size_t)K_COUNT * L * H * t->P, sizeof *t->e);
    if (!t->e) return -1;
    long n = trace_count(ix->trace);
    for (long i = 0; i < n; i++) {
        const Event *e = trace_get(ix->trace, i);
        if (strcmp(e->type, "tfm_attn")) continue;
        const char *k = event_get_str(e, "kind");
        int kind = !k ? -1 : !strcmp(k, "self") ? K_ENC : !strcmp(k, "masked_self") ? K_MASKED : !strcmp(k, "cross") ? K_CROSS : -1;
        int layer = (int)event_get_int(e, "layer", -1), head = (int)event_get_int(e, "head", -1), pos = (int)event_get_int(e, "pos", -1);
        if (kind < 0 || layer < 0 || layer >= L || head < 0 || head >= H || pos < 0 || pos >= t->P) continue;
        if (kind != K_ENC && (pos >= ix->n_steps || event_get_int(e, "beam", 0) != ix->steps[pos].beam)) continue;
        t->e[(((size_t)kind * L + layer) * H + head) * t->P + pos] = e;
    }
    return 0;
}

static const Event *find_attn(const AttnTable *t, int kind, int layer, int head, int pos) {
    if (!t || layer < 0 || layer >= t->L || head < 0 || head >= t->H || pos < 0 || pos >= t->P) return NULL;
    return t->e[(((size_t)kind * t->L + layer) * t->H + head) * t->P + pos];
}

/* Layers and heads present in the trace (run event: enc_layers, dec_layers, heads). */
static void sizes(const TraceIndex *ix, int *Le, int *Ld, int *H) {
    *Le = ix->run ? (int)event_get_int(ix->run, "enc_layers", 0) : 0;
    *Ld = ix->run ? (int)event_get_int(ix->run, "dec_layers", 0) : 0;
    *H = ix->run ? (int)event_get_int(ix->run, "heads", 0) : 0;
}

/* The token at decoder position p (its input): <bos> at 0, then the chosen tokens. */
static const char *dec_token(const TraceIndex *ix, int p) {
    if (p == 0) return "<bos>";
    const char *s = p - 1 < ix->n_steps ? ix->steps[p - 1].chosen_token : NULL;
    return s ? s : "?";
}

typedef struct Panel {
    int kind, layers, heads, rows, cols; /* rows: query positions drawn; cols: keys */
    int shown;                           /* decoder: rows 0..shown-1 have happened */
    int cur;                             /* decoder: the current query row, -1 none */
    const AttnTable *tab;
} Panel;

/* One attention map: rows × cols cells of size cs at (x, y). */
static void draw_map(const ViewCtx *c, const Panel *p, int layer, int head, float x, float y, float cs) {
    const TraceIndex *ix = c->ix;
    const Theme *th = c->th;
    DrawList *dl = c->dl;
    float w = cs * p->cols, h = cs * p->rows;
    draw_rect(dl, (Rect){x, y, w, h}, th->panel);
    for (int r = 0; r < p->rows; r++) {
        int have = p->kind == K_ENC || r < p->shown;
        const Event *e = have ? find_attn(p->tab, p->kind, layer, head, r) : NULL;
        int nw = 0;
        const float *wts = e ? event_get_floats(e, "weights", &nw) : NULL;
        for (int k = 0; k < p->cols; k++) {
            float cx = floorf(x + k * cs), cy = floorf(y + r * cs);
            Rect cell = {cx, cy, floorf(x + (k + 1) * cs) - cx, floorf(y + (r + 1) * cs) - cy};
            if (p->kind == K_MASKED && k > r) { /* the causal mask: a position never sees the future */
                draw_rect(dl, cell, color_mix(th->panel, th->grid, 0.55f));
                continue;
            }
            if (!wts || k >= nw) continue;
            float v = sqrtf(wts[k] > 0 ? wts[k] : 0); /* brightness = √weight: diffuse rows stay visible */
            if (p->kind != K_ENC && r == p->cur) v *= c->anim;
            draw_rect(dl, cell, theme_ramp(th, v));
            if (p->kind == K_CROSS) draw_mark(dl, MARK_CELL, r + 1, k + 1, cell); /* output r on source word k */
            if (draw_hot(dl, cell)) {
                const char *q = p->kind == K_ENC ? vk_tok(ix->src_tokens[r]) : dec_token(ix, r);
                const char *key = p->kind == K_MASKED ? dec_token(ix, k) : vk_tok(ix->src_tokens[k]);
                static const char *what[K_COUNT] = {N_("encoder self-attention"), N_("decoder masked self-attention"), N_("cross-attention")};
                char qb[64], kb[64];
                snprintf(qb, sizeof qb, "%.60s", q);
                snprintf(kb, sizeof kb, "%.60s", key);
                draw_tooltip(dl, "%s, layer %d, head %d\nquery \"%s\" (position %d) \xe2\x86\x92 key \"%s\" (position %d): weight %.4f",
                             TR(what[p->kind]), layer + 1, head + 1, qb, r, kb, k, wts[k]);
            }
        }
    }
    draw_rect_line(dl, (Rect){x, y, w, h}, th->panel_edge, 1);
    if (p->cur >= 0 && p->cur < p->rows)
        draw_rect_line(dl, (Rect){x - 1, y + p->cur * cs - 1, w + 2, cs + 2}, th->accent, 1.5f * th->line);
}

/* A panel of layers (rows) × heads (a grid of hc columns per layer) in r. */
static void draw_panel(const ViewCtx *c, const Panel *p, Rect r, const char *title, const char *axes, Color tone) {
    const Theme *th = c->th;
    DrawList *dl = c->dl;
    float sc = th->scale, lab = draw_line_height(th->fs), small = draw_line_height(th->fs_small);
    draw_text_fit(dl, r.x, r.y, th->fs, tone, title, r.w);
    draw_text_fit(dl, r.x, r.y + lab, th->fs_small, th->fg_dim, axes, r.w);
    float top = r.y + lab + small + 6 * sc;
    /* layer names in a left gutter; head numbers under the last layer's maps (under every
     * map when the heads of a layer wrap onto several rows) */
    char sample[64];
    snprintf(sample, sizeof sample, TR("layer %d"), 8);
    float gutter = draw_text_width(dl, th->fs_small, sample) + 6 * sc, g6 = 6 * sc, hl = small + 2 * sc;
    int H = p->heads, best_hc = 1, L = p->layers;
    float best = 0, avail = r.y + r.h - top;
    int dim = p->rows > p->cols ? p->rows : p->cols;
    for (int hc = 1; hc <= H; hc++) {
        int hr = (H + hc - 1) / hc, rows = L * hr;
        float mw = (r.w - gutter - (hc - 1) * g6) / hc, mh = (avail - rows * g6 - (hr > 1 ? rows : hr) * hl - (L - 1) * g6) / rows;
        float m = fminf(mw, mh);
        if (m > best + 0.5f) { best = m; best_hc = hc; }
    }
    float cs = best / dim; /* fractional: draw_map snaps cell edges to pixels */
    if (cs > 22 * sc) cs = floorf(22 * sc);
    if (cs < 1) { vk_message(c, r, TR("too small to draw: enlarge the window")); return; }
    int hc = best_hc, hr = (H + hc - 1) / hc;
    float mw = cs * p->cols, mh = cs * p->rows;
    float y = top;
    char buf[64];
    for (int l = 0; l < L; l++) {
        int last = l == L - 1 || hr > 1;
        float row_h = mh + g6 + (last ? hl : 0);
        snprintf(buf, sizeof buf, TR("layer %d"), l + 1);
        draw_text(dl, r.x, y + (hr * row_h - g6) / 2 - small / 2, th->fs_small, th->fg, buf);
        for (int h = 0; h < H; h++) {
            int gx = h % hc, gy = h / hc;
            float x = r.x + gutter + gx * (mw + g6), yy = y + gy * row_h;
            draw_map(c, p, l, h, x, yy, cs);
            if (last) {
                snprintf(sample, sizeof sample, TR("head %d"), 8);
                if (mw >= draw_text_width(dl, th->fs_small, sample)) snprintf(buf, sizeof buf, TR("head %d"), h + 1);
                else snprintf(buf, sizeof buf, "%d", h + 1);
                draw_text_centered(dl, x + mw / 2, yy + mh + small * 0.55f, th->fs_small, th->fg_dim, buf);
            }
        }
        y += hr * row_h + g6;
    }
}

/* The two stacks (left column). */
static void draw_stacks(const ViewCtx *c, Rect r, int Le, int Ld, int step, int shown_out, const char *out_tok) {
    const Theme *th = c->th;
    DrawList *dl = c->dl;
    float sc = th->scale, lab = draw_line_height(th->fs);
    float colw = (r.w - 16 * sc) / 2, ex = r.x, dx = r.x + colw + 16 * sc;
    float bottom = r.y + r.h - 2 * lab, top = r.y + lab + 8 * sc;
    int n = Le > Ld + 1 ? Le : Ld + 1;
    float bh = fminf(64 * sc, (bottom - top) / n - 14 * sc), gap = 14 * sc;
    char buf[96];
    /* inputs */
    draw_text_centered(dl, ex + colw / 2, bottom + lab * 0.9f, th->fs_small, th->fg_dim, TR("source"));
    draw_text_centered(dl, dx + colw / 2, bottom + lab * 0.9f, th->fs_small, th->fg_dim, TR("output so far"));
    float ey = bottom, ytop_enc = bottom;
    for (int l = 0; l < Le; l++) {
        Rect b = {ex, ey - bh, colw, bh};
        snprintf(buf, sizeof buf, TR("encoder %d"), l + 1);
        vk_box(c, b, th->enc_fill, th->enc, th->line, buf, th->fs_small, th->fg);
        if (draw_hot(dl, b)) draw_tooltip(dl, "encoder layer %d: self-attention (every source word looks at every source word), then a feed-forward network", l + 1);
        draw_arrow(dl, ex + colw / 2, ey + gap - 2, ex + colw / 2, ey, th->enc, th->line, 5 * sc);
        ytop_enc = ey - bh;
        ey -= bh + gap;
    }
    float dy = bottom, mem_x = ex + colw, mem_y = ytop_enc + bh / 2;
    for (int l = 0; l < Ld; l++) {
        Rect b = {dx, dy - bh, colw, bh};
        snprintf(buf, sizeof buf, TR("decoder %d"), l + 1);
        vk_box(c, b, th->dec_fill, th->dec, th->line, buf, th->fs_small, th->fg);
        if (draw_hot(dl, b))
            draw_tooltip(dl, "decoder layer %d: masked self-attention (each position looks only at earlier outputs), cross-attention "
                             "(looks at the encoder's output), then a feed-forward network", l + 1);
        draw_arrow(dl, dx + colw / 2, dy + gap - 2, dx + colw / 2, dy, th->dec, th->line, 5 * sc);
        /* the encoder's output feeds every decoder layer's cross-attention */
        draw_line(dl, mem_x, mem_y, dx - 6 * sc, dy - bh / 2, color_alpha(th->enc, 150), th->line);
        draw_arrow(dl, dx - 6 * sc, dy - bh / 2, dx, dy - bh / 2, th->enc, th->line, 5 * sc);
        dy -= bh + gap;
    }
    Rect ob = {dx, dy - bh, colw, bh};
    const char *olab = draw_text_width(dl, th->fs_small, TR("linear + softmax")) < colw - 8 * sc ? TR("linear + softmax") : "softmax";
    vk_box(c, ob, th->out_fill, th->out, th->line, olab, th->fs_small, th->fg);
    draw_arrow(dl, dx + colw / 2, dy + gap - 2, dx + colw / 2, dy, th->dec, th->line, 5 * sc);
    if (draw_hot(dl, ob)) draw_tooltip(dl, "the output layer: a distribution over the target vocabulary for the next word");
    if (shown_out && out_tok) {
        snprintf(buf, sizeof buf, "\xe2\x86\x92 \"%.60s\"", out_tok);
        draw_text_centered(dl, dx + colw / 2, dy - bh - lab * 0.7f, th->fs, th->accent, buf);
    }
    draw_text_centered(dl, ex + colw / 2, r.y + lab * 0.5f, th->fs, th->enc, TR("Encoder"));
    draw_text_centered(dl, dx + colw / 2, r.y + lab * 0.5f, th->fs, th->dec, TR("Decoder"));
    if (step >= 0) {
        snprintf(buf, sizeof buf, TR("step %d"), step + 1);
        draw_text_centered(dl, dx + colw / 2, bottom + lab * 1.8f, th->fs_small, th->accent, buf);
    }
}

/* "brightness = √weight: 0 ▮▮▮ 1", right-aligned to x; returns its left edge. */
static float draw_legend(const ViewCtx *c, float x, float y) {
    const Theme *th = c->th;
    DrawList *dl = c->dl;
    float sc = th->scale, lab = draw_line_height(th->fs_small);
    const char *note = TR("brightness = \xe2\x88\x9aweight:  0");
    float rw = 80 * sc, tw = draw_text_width(dl, th->fs_small, note), x0 = x - tw - rw - 30 * sc;
    draw_text(dl, x0, y, th->fs_small, th->fg_dim, note);
    for (int i = 0; i < (int)rw; i++) draw_rect(dl, (Rect){x0 + tw + 6 * sc + i, y + 2, 1, lab - 4}, theme_ramp(th, (float)i / rw));
    draw_rect_line(dl, (Rect){x0 + tw + 6 * sc, y + 2, rw, lab - 4}, th->fg_dim, 1);
    draw_text(dl, x0 + tw + rw + 10 * sc, y, th->fs_small, th->fg_dim, "1");
    return x0;
}

static void draw_frame(const ViewCtx *c, const AttnTable *tab, int Le, int Ld, int H);

void view_transformer(const ViewCtx *c) {
    const TraceIndex *ix = c->ix;
    int Le, Ld, H;
    sizes(ix, &Le, &Ld, &H);
    if (!ix->arch || strcmp(ix->arch, "tutorial-transformer") || Le < 1 || Ld < 1 || H < 1) {
        vk_title(c, TR("Transformer"), NULL);
        vk_message(c, c->area, TR("This view shows a Transformer's layers and heads; the model is an RNN encoder\xe2\x80\x93" "decoder.\n"
                                  "Pick a Transformer model (e.g. en-fr-es-transformer or reverse-transformer)."));
        return;
    }
    AttnTable table;
    if (table_build(&table, ix, Le > Ld ? Le : Ld, H)) { vk_message(c, c->area, TR("out of memory")); return; }
    draw_frame(c, &table, Le, Ld, H);
    free(table.e);
}

static void draw_frame(const ViewCtx *c, const AttnTable *tab, int Le, int Ld, int H) {
    const TraceIndex *ix = c->ix;
    const Theme *th = c->th;
    DrawList *dl = c->dl;
    float sc = th->scale;
    const TlPos *q = &ix->pos[c->pos];
    int T = ix->n_steps, S = ix->S;
    int cur = q->phase == PH_END ? -1 : q->step;           /* current decoder step, -1 none */
    int shown = q->phase == PH_END ? T : (q->step < 0 ? 0 : q->step + 1);
    char sub[256];
    if (cur >= 0) {
        const char *tk = tl_shown(ix, c->pos, cur, PH_CHOSEN) && ix->steps[cur].chosen_token ? ix->steps[cur].chosen_token : "?";
        snprintf(sub, sizeof sub, TR("step %d: the decoder reads \"%.40s\" and produces \"%.40s\"; the outlined row is this step's query"), cur + 1,
                 dec_token(ix, cur), tk);
    } else if (q->phase == PH_END) {
        snprintf(sub, sizeof sub, TR("done: every row of every head%s"), ix->is_beam ? TR(" (best beam hypothesis)") : "");
    } else {
        snprintf(sub, sizeof sub, TR("the encoder reads the whole sentence at once; the decoder then adds one row per output word"));
    }
    float top = vk_title(c, TR("Transformer: every layer, every head"), sub);
    float lab = draw_line_height(th->fs);
    Rect a = {c->area.x + 12 * sc, c->area.y + top, c->area.w - 24 * sc, c->area.h - top - 8 * sc};
    float stack_w = fminf(280 * sc, a.w * 0.2f);
    float strip_h = 3 * lab + 10 * sc;
    int out_step = cur >= 0 ? cur : T - 1;
    int out_shown = out_step >= 0 && tl_shown(ix, c->pos, out_step, PH_CHOSEN);
    draw_stacks(c, (Rect){a.x, a.y, stack_w, a.h}, Le, Ld, cur, out_shown, out_step >= 0 ? ix->steps[out_step].chosen_token : NULL);

    /* the three panels */
    float px = a.x + stack_w + 20 * sc, pw = a.x + a.w - px, gap = 18 * sc;
    float ph = a.h - strip_h - 6 * sc;
    int Tr = T > 0 ? T : 1;
    Panel pe = {K_ENC, Le, H, S, S, S, -1, tab};
    Panel pm = {K_MASKED, Ld, H, Tr, Tr, shown, cur, tab};
    Panel pc = {K_CROSS, Ld, H, Tr, S, shown, cur, tab};
    /* widths in proportion to the maps' widths (key counts), each at least a fifth */
    float tot = (float)(S + Tr + S), w_e = (pw - 2 * gap) * S / tot, w_m = (pw - 2 * gap) * Tr / tot, w_c = (pw - 2 * gap) * S / tot;
    float minw = (pw - 2 * gap) * 0.2f;
    if (w_m < minw) { float d = minw - w_m; w_m = minw; w_e -= d / 2; w_c -= d / 2; }
    draw_panel(c, &pe, (Rect){px, a.y, w_e, ph}, TR("Encoder self-attention"), TR("rows: queries \xc2\xb7 columns: keys"), th->enc);
    draw_panel(c, &pm, (Rect){px + w_e + gap, a.y, w_m, ph}, TR("Decoder masked self-attention"),
               TR("grey: the masked future"), th->dec);
    draw_panel(c, &pc, (Rect){px + w_e + w_m + 2 * gap, a.y, w_c, ph}, TR("Cross-attention"), TR("rows: outputs \xc2\xb7 columns: source"), th->dec);

    /* the strip: the last layer's cross-attention, mean over heads, at the current step */
    float sy = a.y + a.h - strip_h, sx = px;
    int row = cur >= 0 ? cur : (q->phase == PH_END ? T - 1 : -1);
    if (row < 0) {
        float lx = draw_legend(c, sx + pw, sy);
        draw_text_fit(dl, sx, sy + lab, th->fs_small, th->fg_dim,
                      TR("here, once decoding starts: the last layer's cross-attention averaged over its heads (the alignment `attnstep eval` scores)"), pw);
        (void)lx;
        return;
    }
    float avg[512];
    int n = S < 512 ? S : 512, have = 0;
    for (int j = 0; j < n; j++) avg[j] = 0;
    for (int h = 0; h < H; h++) {
        const Event *e = find_attn(tab, K_CROSS, Ld - 1, h, row);
        int nw = 0;
        const float *w = e ? event_get_floats(e, "weights", &nw) : NULL;
        if (!w) continue;
        have++;
        for (int j = 0; j < n && j < nw; j++) avg[j] += w[j] / H;
    }
    if (!have) return;
    char buf[256];
    snprintf(buf, sizeof buf, TR("step %d, last layer, mean of %d heads: where \"%.40s\" looked"), row + 1, H,
             tl_shown(ix, c->pos, row, PH_CHOSEN) && ix->steps[row].chosen_token ? ix->steps[row].chosen_token : "?");
    float lx = draw_legend(c, sx + pw, sy);
    draw_text_fit(dl, sx, sy, th->fs_small, th->fg, buf, lx - sx - 12 * sc);
    float cw = fminf(pw / n, 90 * sc), by = sy + lab, bh = lab * 1.1f;
    for (int j = 0; j < n; j++) {
        Rect cell = {floorf(sx + j * cw), by, floorf(cw) - 2, bh};
        Color col = theme_ramp(th, sqrtf(avg[j]));
        draw_rect(dl, cell, col);
        draw_rect_line(dl, cell, th->panel_edge, 1);
        const char *tk = vk_tok(ix->src_tokens[j]);
        if (draw_text_width(dl, th->fs_small, tk) < cw - 4)
            draw_text_centered(dl, cell.x + cell.w / 2, by + bh / 2, th->fs_small, theme_text_on(col), tk);
        if (draw_hot(dl, cell)) draw_tooltip(dl, "\"%.60s\" (source position %d): mean weight %.4f", tk, j, avg[j]);
    }
}
