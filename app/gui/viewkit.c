/* viewkit.c — helpers shared by the views (see views.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "views.h"

float vk_max_abs(const float *v, int n) {
    float m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]) && fabsf(v[i]) > m) m = fabsf(v[i]);
    return m;
}

void vk_vector(const ViewCtx *c, Rect r, const float *v, int n, float scale, int vertical, const char *what) {
    DrawList *dl = c->dl;
    const Theme *th = c->th;
    if (!v || n <= 0 || r.w <= 0 || r.h <= 0) return;
    float len = vertical ? r.h : r.w;
    float step = len / n;
    if (step >= 1.0f) {
        for (int i = 0; i < n; i++) {
            float a = floorf(i * step), b = floorf((i + 1) * step);
            Rect cell = vertical ? (Rect){r.x, (vertical ? r.y : 0) + a, r.w, b - a} : (Rect){r.x + a, r.y, b - a, r.h};
            draw_rect(dl, cell, theme_diverging(th, v[i], scale));
        }
    } else { /* more values than pixels: one pixel line per pixel, the largest |value| in it */
        int px = (int)len;
        for (int k = 0; k < px; k++) {
            int i0 = (int)((float)k / len * n), i1 = (int)((float)(k + 1) / len * n);
            if (i1 <= i0) i1 = i0 + 1;
            float best = 0;
            for (int i = i0; i < i1 && i < n; i++)
                if (fabsf(v[i]) > fabsf(best)) best = v[i];
            Rect cell = vertical ? (Rect){r.x, r.y + k, r.w, 1} : (Rect){r.x + k, r.y, 1, r.h};
            draw_rect(dl, cell, theme_diverging(th, best, scale));
        }
    }
    /* fine cell separators when cells are large */
    if (step >= 6) {
        for (int i = 1; i < n; i++) {
            float a = floorf(i * step);
            if (vertical) draw_rect(dl, (Rect){r.x, r.y + a, r.w, 1}, color_alpha(th->bg, 160));
            else draw_rect(dl, (Rect){r.x + a, r.y, 1, r.h}, color_alpha(th->bg, 160));
        }
    }
    draw_rect_line(dl, r, th->fg_dim, 1);
    if (draw_hot(dl, r)) {
        float off = vertical ? dl->mouse_y - r.y : dl->mouse_x - r.x;
        int i = (int)(off / len * n);
        if (i < 0) i = 0;
        if (i >= n) i = n - 1;
        draw_tooltip(dl, "%s[%d] = %.4f\n(%d values; colour: purple < 0 < orange, saturating at ±%.2g)", what, i, v[i], n,
                     scale);
    }
}

void vk_box(const ViewCtx *c, Rect r, Color fill, Color edge, float thick, const char *label, int size, Color text) {
    draw_rect(c->dl, r, fill);
    draw_rect_line(c->dl, r, edge, thick);
    if (label) {
        float w = draw_text_width(c->dl, size, label);
        if (w <= r.w - 4) draw_text_centered(c->dl, r.x + r.w / 2, r.y + r.h / 2, size, text, label);
        else draw_text_fit(c->dl, r.x + 2, r.y + r.h / 2 - draw_line_height(size) / 2, size, text, label, r.w - 4);
    }
}

float vk_title(const ViewCtx *c, const char *title, const char *subtitle) {
    const Theme *th = c->th;
    float x = c->area.x + 12 * th->scale, y = c->area.y + 8 * th->scale;
    float w = c->area.w - 24 * th->scale;
    draw_text_fit(c->dl, x, y, th->fs_large, th->fg, title, w);
    float h = draw_line_height(th->fs_large) + 8 * th->scale;
    if (subtitle && *subtitle) {
        draw_text_fit(c->dl, x, y + h - 4 * th->scale, th->fs, th->fg_dim, subtitle, w);
        h += draw_line_height(th->fs);
    }
    return h + 6 * th->scale;
}

void vk_message(const ViewCtx *c, Rect r, const char *msg) {
    const Theme *th = c->th;
    /* wrap on spaces to the area's width */
    char line[512];
    float y = r.y + r.h / 2 - draw_line_height(th->fs_large);
    const char *p = msg;
    while (*p) {
        int n = 0, last_space = -1;
        while (p[n] && p[n] != '\n' && n < (int)sizeof line - 1) {
            line[n] = p[n];
            line[n + 1] = 0;
            if (p[n] == ' ') last_space = n;
            if (draw_text_width(c->dl, th->fs_large, line) > r.w - 40 && last_space > 0) { n = last_space; break; }
            n++;
        }
        line[n] = 0;
        draw_text_centered(c->dl, r.x + r.w / 2, y, th->fs_large, th->fg_dim, line);
        y += draw_line_height(th->fs_large) + 4;
        p += n;
        while (*p == ' ' || *p == '\n') p++;
    }
}

void vk_strip(int n, float avail, float min_cell, float max_cell, int focus, float *cell, int *first, int *count) {
    if (n <= 0) { *cell = max_cell; *first = 0; *count = 0; return; }
    float w = avail / n;
    if (w > max_cell) w = max_cell;
    if (w >= min_cell) { *cell = w; *first = 0; *count = n; return; }
    *cell = min_cell;
    int fit = (int)(avail / min_cell);
    if (fit < 1) fit = 1;
    if (fit >= n) { *first = 0; *count = n; return; }
    /* keep a margin of items after the focus so the next item is visible */
    int f = focus - fit + 1 + (fit > 4 ? 2 : 0);
    if (f < 0) f = 0;
    if (f > n - fit) f = n - fit;
    *first = f;
    *count = fit;
}

void vk_more(const ViewCtx *c, float x, float y, int n, int right) {
    if (n <= 0) return;
    char buf[64];
    if (right) snprintf(buf, sizeof buf, TR("%d more \xe2\x96\xb6"), n);
    else snprintf(buf, sizeof buf, TR("\xe2\x97\x80 %d more"), n);
    float w = draw_text_width(c->dl, c->th->fs_small, buf);
    float lx = right ? x - w : x;
    Rect bg = {lx - 3, y - 1, w + 6, draw_line_height(c->th->fs_small) + 2};
    draw_rect(c->dl, bg, c->th->accent_fill);
    draw_rect_line(c->dl, bg, c->th->accent, 1);
    draw_text(c->dl, lx, y, c->th->fs_small, c->th->fg, buf);
}

static const char *scorer_formula(const char *scorer);

const char *vk_scorer_formula(const char *scorer) {
    const char *f = scorer_formula(scorer);
    return f == scorer ? f : TR(f); /* an unknown scorer's name as it is */
}

static const char *scorer_formula(const char *scorer) {
    if (!scorer) return "";
    if (!strcmp(scorer, "additive")) return N_("e_j = v\xe1\xb5\x80 tanh(W\xc2\xb7s + U\xc2\xb7h_j)   (additive, Bahdanau)");
    if (!strcmp(scorer, "concat")) return N_("e_j = v\xe1\xb5\x80 tanh(W\xc2\xb7[s; h_j])   (concat)");
    if (!strcmp(scorer, "dot")) return N_("e_j = s\xe1\xb5\x80 h_j   (dot, Luong)");
    if (!strcmp(scorer, "general")) return N_("e_j = s\xe1\xb5\x80 W h_j   (general / bilinear, Luong)");
    if (!strcmp(scorer, "scaled_dot")) return N_("e_j = s\xe1\xb5\x80 h_j / \xe2\x88\x9a" "d   (scaled dot product)");
    if (!strcmp(scorer, "cosine")) return N_("e_j = cos(s, h_j)   (cosine)");
    if (!strcmp(scorer, "location")) return N_("e = W\xc2\xb7s   (location: scores positions, not words)");
    return scorer;
}

typedef struct IdProb { int id; float p; } IdProb;
static int cmp_prob(const void *a, const void *b) {
    float pa = ((const IdProb *)a)->p, pb = ((const IdProb *)b)->p;
    if (pa != pb) return pa < pb ? 1 : -1;
    return ((const IdProb *)a)->id - ((const IdProb *)b)->id;
}

int vk_top_outputs(const Event *out, int max, int *ids, float *probs) {
    if (!out) return 0;
    int n = 0, nid = 0;
    const float *lp = event_get_floats(out, "logprobs", &n);
    const int *tid = NULL;
    if (!lp) {
        lp = event_get_floats(out, "top_logprobs", &n);
        tid = event_get_ints(out, "top_ids", &nid);
        if (!lp || !tid || nid != n) return 0;
    }
    IdProb *a = malloc((size_t)(n ? n : 1) * sizeof *a);
    if (!a) return 0;
    for (int i = 0; i < n; i++) { a[i].id = tid ? tid[i] : i; a[i].p = isfinite(lp[i]) ? expf(lp[i]) : 0; }
    qsort(a, (size_t)n, sizeof *a, cmp_prob);
    int k = n < max ? n : max;
    for (int i = 0; i < k; i++) { ids[i] = a[i].id; probs[i] = a[i].p; }
    free(a);
    return k;
}

int vk_utf8_len(const char *s) {
    int n = 0;
    for (; s && *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

const char *view_name(ViewId v) {
    static const char *names[VIEW_COUNT] = {N_("RNN cell"), N_("Unrolled encoder"), N_("Encoder\xe2\x80\x93" "decoder"), N_("Attention step"),
                                            N_("Alignment heatmap"), N_("Beam tree"), N_("Greedy vs beam"), N_("Transformer")};
    return v >= 0 && v < VIEW_COUNT ? TR(names[v]) : "?";
}

const char *view_short(ViewId v) {
    static const char *names[VIEW_COUNT] = {N_("Cell"), N_("Unrolled"), N_("Enc\xe2\x80\x93" "Dec"), N_("Attention"), N_("Heatmap"), N_("Beam"),
                                            N_("Compare"), N_("Transformer")};
    return v >= 0 && v < VIEW_COUNT ? TR(names[v]) : "?";
}

void view_draw(ViewId v, const ViewCtx *c) {
    draw_clip(c->dl, c->area);
    if (v <= VIEW_HEATMAP && c->ix->arch && !strcmp(c->ix->arch, "tutorial-transformer")) {
        vk_title(c, view_name(v), NULL);
        vk_message(c, c->area, TR("This view pictures an RNN encoder\xe2\x80\x93" "decoder. The model is a Transformer:\n"
                               "press 8 for its encoder and decoder stacks and every attention head.\n"
                               "(Views 6 and 7, the beam tree and greedy vs beam, work for it too.)"));
        draw_unclip(c->dl);
        return;
    }
    switch (v) {
    case VIEW_CELL: view_cell(c); break;
    case VIEW_UNROLLED: view_unrolled(c); break;
    case VIEW_SEQ2SEQ: view_seq2seq(c); break;
    case VIEW_ATTENTION: view_attention(c); break;
    case VIEW_HEATMAP: view_heatmap(c); break;
    case VIEW_BEAM: view_beam(c); break;
    case VIEW_COMPARE: view_compare(c); break;
    case VIEW_TRANSFORMER: view_transformer(c); break;
    default: break;
    }
    draw_unclip(c->dl);
}

const char *vk_tok(const char *tok) {
    if (!tok) return "?";
    if (!strcmp(tok, " ")) return "\xe2\x90\xa3";
    return tok;
}

const char *vk_describe(const TraceIndex *ix, int p, char *buf, size_t n) {
    if (i18n_get() == I18N_EN || p < 0 || p >= ix->n_pos) return tl_describe(ix, p, buf, n); /* the same text, byte for byte */
    const TlPos *q = &ix->pos[p];
    static const char *const phase[PH_COUNT] = {
        [PH_ENERGY] = N_("attention energies"), [PH_WEIGHTS] = N_("softmax weights"), [PH_CONTEXT] = N_("context vector"),
        [PH_DECODER] = N_("decoder RNN"), [PH_OUTPUT] = N_("output distribution"), [PH_EXPAND] = N_("beam candidates")};
    switch (q->phase) {
    case PH_START: snprintf(buf, n, TR("start: %d source tokens"), ix->S); break;
    case PH_ENC: {
        const Event *e = ix->enc[q->enc];
        const char *tok = event_get_str(e, "token");
        int l = (int)event_get_int(e, "layer", 0), d = (int)event_get_int(e, "dir", 0);
        char extra[96] = "";
        if (ix->enc_layers > 1 || ix->enc_dirs > 1) snprintf(extra, sizeof extra, TR(" (layer %d, %s)"), l + 1, d ? TR("backward") : TR("forward"));
        snprintf(buf, n, TR("encoder step %d/%d: \"%.200s\"%s"), tl_enc_pos(ix, q->enc) + 1, ix->S, tok ? tok : "?", extra);
        break;
    }
    case PH_END: {
        const char *out = ix->run_end ? event_get_str(ix->run_end, "output") : NULL;
        snprintf(buf, n, TR("end: \"%.300s\""), out ? out : "");
        break;
    }
    case PH_CHOSEN:
        if (ix->is_beam) snprintf(buf, n, TR("decoder step %d: beam selection"), q->step + 1);
        else {
            const char *tok = ix->steps[q->step].chosen_token;
            snprintf(buf, n, TR("decoder step %d: chosen token \"%.200s\""), q->step + 1, tok ? tok : "?");
        }
        break;
    default:
        snprintf(buf, n, TR("decoder step %d: %s"), q->step + 1, q->phase >= 0 && q->phase < PH_COUNT && phase[q->phase] ? TR(phase[q->phase]) : "?");
        break;
    }
    return buf;
}
