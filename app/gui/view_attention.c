/* view_attention.c — view 4: one attention step. The query and every encoder h; energies
 * (bars, may be negative) → softmax weights (bars summing to 1) → the weighted sum flowing
 * into the context vector, with the arithmetic written out in the actual numbers. Local
 * windows: positions outside are hatched; local-p also marks its centre p and draws the
 * Gaussian the softmax was multiplied by (a light hill behind the weight bars, a line over
 * them). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "views.h"

static int last_attn_step(const TraceIndex *ix) {
    int t = -1;
    for (int s = 0; s < ix->n_steps; s++)
        if (ix->steps[s].attn) t = s;
    return t;
}

/* ---- local-p: the Gaussian window (Luong et al. 2015, §3.2) ----
 * Inside the window [lo, hi] around the predicted centre p a local-p weight is
 *   a_j = softmax(e)_j · exp(-(j - p)² / 2σ²),   σ = D/2,   j and p counted from 0.
 * The attn event carries centre, lo and hi; D is the model's window_d, which the run event
 * holds (traces written since 1 Dec 2026). For older traces it is read back from the weights: at a position with a sizeable
 * softmax share, σ² = -(j - p)² / (2 ln(a_j / softmax(e)_j)); the median over the shown
 * hypothesis's steps (steps whose weights an attention what-if overrode are skipped), snapped
 * to D/2 for a whole D (window_d is an integer in every model config); last, lo/hi when the
 * window is cut inside the sentence: lo = ceil(p - D), hi = floor(p + D). */

/* softmax(e)_j over the window [lo, hi] (the energies outside are -inf), in double. */
static double window_softmax(const float *e, int lo, int hi, int j) {
    double mx = -INFINITY, z = 0;
    for (int k = lo; k <= hi; k++)
        if (isfinite(e[k]) && e[k] > mx) mx = e[k];
    if (!isfinite(mx) || j < lo || j > hi || !isfinite(e[j])) return 0;
    for (int k = lo; k <= hi; k++)
        if (isfinite(e[k])) z += exp(e[k] - mx);
    return z > 0 ? exp(e[j] - mx) / z : 0;
}

/* σ from one attn event (NAN: this step cannot tell). */
static double step_sigma(const Event *attn, int S) {
    if (event_get_int(attn, "override", 0)) return NAN;
    int ne = 0, nw = 0;
    const float *e = event_get_floats(attn, "energies", &ne), *w = event_get_floats(attn, "weights", &nw);
    double p = event_get_float(attn, "centre", NAN);
    int lo = (int)event_get_int(attn, "lo", 0), hi = (int)event_get_int(attn, "hi", S - 1);
    if (!e || !w || ne < S || nw < S || !isfinite(p) || lo < 0 || hi >= S || lo > hi) return NAN;
    double best = NAN, best_lg = 0;
    for (int j = lo; j <= hi; j++) {
        double sm = window_softmax(e, lo, hi, j), d2 = (j - p) * (j - p);
        if (sm < 1e-3 || !(w[j] > 0) || d2 < 0.01) continue;
        double lg = log(w[j] / sm); /* = -d2 / 2σ² */
        if (!(lg < -1e-4 && lg > -30)) continue;
        if (isnan(best) || lg < best_lg) { best = sqrt(d2 / (-2 * lg)); best_lg = lg; } /* the clearest: largest |lg| */
    }
    /* from the window's ends when the weights cannot tell: D = ceil(p - lo) = ceil(hi - p) */
    if (isnan(best) && lo > 0) best = ceil(p - lo - 1e-4) / 2;
    if (isnan(best) && hi < S - 1) best = ceil(hi - p - 1e-4) / 2;
    return best;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* σ of the trace's local-p window, NAN when it cannot be told. */
static double local_p_sigma(const TraceIndex *ix) {
    long d = ix->run ? event_get_int(ix->run, "window_d", -1) : -1;
    for (int s = 0; s < ix->n_steps && d <= 0; s++)
        if (ix->steps[s].attn) d = event_get_int(ix->steps[s].attn, "window_d", -1);
    if (d > 0) return d / 2.0;
    double v[256];
    int n = 0;
    for (int s = 0; s < ix->n_steps && n < 256; s++) {
        double sg = ix->steps[s].attn ? step_sigma(ix->steps[s].attn, ix->S) : NAN;
        if (isfinite(sg) && sg > 0) v[n++] = sg;
    }
    if (!n) return NAN;
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    double sg = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    double D = 2 * sg, Dr = floor(D + 0.5);
    return Dr >= 1 && fabs(D - Dr) < 0.05 ? Dr / 2 : sg;
}

/* Appends text to a wrapped paragraph: lines of at most w pixels. */
typedef struct Para {
    const ViewCtx *c;
    float x, y, w;
    int size;
    Color col;
    char line[1024];
    int len;
    int prose;      /* continuation lines start at the margin (a formula's are indented) */
} Para;

static void para_flush(Para *p) {
    /* a prose line (the comment under the formula) that would be cut at the bottom is left out */
    int room = !p->prose || p->y + draw_line_height(p->size) <= p->c->area.y + p->c->area.h;
    if (p->len && room) draw_text(p->c->dl, p->x, p->y, p->size, p->col, p->line);
    p->y += draw_line_height(p->size) + 2;
    p->len = 0;
    p->line[0] = 0;
}

static void para_add(Para *p, const char *piece) {
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s%s", p->line, piece);
    if (p->len && draw_text_width(p->c->dl, p->size, tmp) > p->w) {
        para_flush(p);
        while (*piece == ' ') piece++;
        snprintf(tmp, sizeof tmp, "%s%s", p->prose ? "" : "    ", piece);
    }
    snprintf(p->line, sizeof p->line, "%s", tmp);
    p->len = (int)strlen(p->line);
}

/* Appends prose word by word (each CJK character is a word: Chinese has no spaces), so a
 * sentence wider than the paragraph wraps instead of running past its edge. */
static void para_words(Para *p, const char *text) {
    const char *s = text;
    while (*s) {
        size_t n = 0;
        while (s[n] == ' ') n++;
        if ((unsigned char)s[n] >= 0xE0) n += (unsigned char)s[n] >= 0xF0 ? 4 : 3;
        else
            while (s[n] && s[n] != ' ' && (unsigned char)s[n] < 0xE0) n++;
        /* closing punctuation stays with the character before it */
        while ((!strncmp(s + n, "\xef\xbc\x8c", 3) || !strncmp(s + n, "\xe3\x80\x82", 3) || !strncmp(s + n, "\xef\xbc\x9a", 3) ||
                !strncmp(s + n, "\xef\xbc\x9b", 3) || !strncmp(s + n, "\xef\xbc\x89", 3)))
            n += 3; /* ， 。 ： ； ） */
        char w[256];
        size_t m = n < sizeof w - 1 ? n : sizeof w - 1;
        memcpy(w, s, m);
        w[m] = 0;
        para_add(p, w);
        s += n;
    }
}

void view_attention(const ViewCtx *c) {
    const TraceIndex *ix = c->ix;
    const Theme *th = c->th;
    DrawList *dl = c->dl;
    float sc = th->scale;
    const TlPos *q = &ix->pos[c->pos];
    if (!strcmp(ix->scorer, "none") || last_attn_step(ix) < 0) {
        vk_title(c, TR("Attention step"), NULL);
        vk_message(c, c->area, TR("This model has no attention: the decoder sees only the last encoder state (the bottleneck of view 3)."));
        return;
    }
    int s = q->phase == PH_END ? last_attn_step(ix) : q->step;
    if (s < 0) {
        vk_title(c, TR("Attention step"), TR("energies \xe2\x86\x92 softmax weights \xe2\x86\x92 context vector"));
        vk_message(c, c->area, TR("Attention starts with the first decoder step, once the encoder has produced every h. "
                                  "Press Shift+\xe2\x86\x92 to jump there."));
        return;
    }
    const TlStep *ts = &ix->steps[s];
    if (!ts->attn) { vk_message(c, c->area, TR("No attention event for this step of the shown hypothesis.")); return; }
    int show_e = tl_shown(ix, c->pos, s, PH_ENERGY), show_w = tl_shown(ix, c->pos, s, PH_WEIGHTS),
        show_c = tl_shown(ix, c->pos, s, PH_CONTEXT);
    int luong = !strcmp(ix->query, "current");
    char title[256], sub[256], qname[32];
    snprintf(qname, sizeof qname, luong ? "h\xcc\x83%d" : "s%d", luong ? s + 1 : s);
    snprintf(title, sizeof title, TR("Attention at decoder step %d: which source words matter for the next word?"), s + 1);
    snprintf(sub, sizeof sub, TR("%s   \xc2\xb7   query s = %s"), vk_scorer_formula(ix->scorer),
             luong ? TR("the current decoder state (Luong)") : TR("the previous decoder state (Bahdanau)"));
    float top = vk_title(c, title, sub);
    Rect a = {c->area.x + 12 * sc, c->area.y + top, c->area.w - 24 * sc, c->area.h - top - 4 * sc};

    int nq = 0, ne = 0, nw = 0, nc = 0;
    const float *qv = event_get_floats(ts->attn, "query", &nq);
    const float *e = event_get_floats(ts->attn, "energies", &ne);
    const float *w = event_get_floats(ts->attn, "weights", &nw);
    const float *cv = ts->context ? event_get_floats(ts->context, "vector", &nc) : NULL;
    int S = ix->S < ne ? ix->S : ne;
    float lab = draw_line_height(th->fs), labs = draw_line_height(th->fs_small);
    float left = 150 * sc; /* row labels */
    float cell;
    int first, count;
    int focus = 0;
    for (int j = 0; j < S && w; j++)
        if (w[j] > w[focus]) focus = j;
    vk_strip(S, a.w - left - 10 * sc, 52 * sc, 130 * sc, focus, &cell, &first, &count);
    float x0 = a.x + left;
    float gap = cell * 0.14f;
    float bw = cell - gap;
    char buf[512];

    /* row geometry */
    float y = a.y;
    float qh = 16 * sc;
    float tok_y = y + qh + lab + 10 * sc;
    float hcol_y = tok_y + lab + 2, hcol_h = a.h * 0.11f;
    float e_y = hcol_y + hcol_h + 10 * sc, e_h = a.h * 0.19f;
    float w_y = e_y + e_h + labs + 14 * sc, w_h = a.h * 0.16f;
    float f_y = w_y + w_h + labs + 4 * sc, f_h = a.h * 0.08f;
    float c_y = f_y + f_h;

    /* query */
    draw_text(dl, a.x, y, th->fs, th->dec, TR("query"));
    snprintf(buf, sizeof buf, TR("%s (decoder state)"), qname);
    vk_vector(c, (Rect){x0, y + 2, (a.w - left) * 0.5f, qh}, qv, nq, 1.0f, 0, buf);
    if (qv) draw_mark(dl, MARK_DEC, luong ? s + 1 : s, 0, (Rect){x0, y + 2, (a.w - left) * 0.5f, qh}); /* the query is s_{i-1} (Luong: s_i) */
    draw_text(dl, x0 + (a.w - left) * 0.5f + 10 * sc, y, th->fs, th->fg_dim, qname);

    /* row labels */
    draw_text(dl, a.x, tok_y, th->fs, th->enc, TR("source word"));
    draw_text(dl, a.x, hcol_y + hcol_h / 2 - lab / 2, th->fs, th->enc, TR("encoder h_j"));
    draw_text(dl, a.x, e_y, th->fs, th->fg, TR("1. energy e_j"));
    draw_text(dl, a.x, e_y + lab, th->fs_small, th->fg_dim, "score(s, h_j)");
    draw_text(dl, a.x, w_y, th->fs, th->fg, TR("2. weight a_j"));
    draw_text(dl, a.x, w_y + lab, th->fs_small, th->fg_dim, "softmax(e)_j");
    draw_text(dl, a.x, f_y, th->fs, th->fg, TR("3. a_j \xc2\xb7 h_j"));

    /* energy scale */
    float emax = 0;
    double zsum = 0, emx = -INFINITY;
    for (int j = 0; j < S; j++)
        if (isfinite(e[j])) { if (fabsf(e[j]) > emax) emax = fabsf(e[j]); if (e[j] > emx) emx = e[j]; }
    for (int j = 0; j < S; j++)
        if (isfinite(e[j])) zsum += exp(e[j] - emx);
    if (emax <= 0) emax = 1;
    /* the zero line sits where the signs need it: bottom if all energies are positive */
    float epos = 0, eneg = 0;
    for (int j = 0; j < S; j++)
        if (isfinite(e[j])) { if (e[j] > epos) epos = e[j]; if (-e[j] > eneg) eneg = -e[j]; }
    float span = epos + eneg > 0 ? epos + eneg : 1;
    float usable = e_h - 2 * labs - 4;
    float zero_y = e_y + labs + 2 + usable * (epos / span);
    float eunit = usable / span; /* pixels per energy unit */
    draw_line(dl, x0 - 4, zero_y, x0 + cell * count, zero_y, th->grid, 1);
    draw_text(dl, x0 - 4 - draw_text_width(dl, th->fs_small, "0"), zero_y - labs / 2, th->fs_small, th->fg_dim, "0");
    float wbase = w_y + w_h;
    draw_line(dl, x0 - 4, wbase, x0 + cell * count, wbase, th->grid, 1);
    Rect cbox = {a.x + left + (a.w - left) * 0.5f - 110 * sc, c_y + 4 * sc, 220 * sc, 22 * sc};
    float wsum = 0;
    /* while a weight of this step is dragged (what-if), every row below shows the dragged weights */
    int dragging = w && c->drag_weights && c->drag_step == s && c->drag_j >= 0 && c->drag_j < S;
    int local_p = ix->window && !strcmp(ix->window, "local-p");
    const float *w_model = w; /* the trace's weights (the Gaussian's factors are read from them) */
    if (dragging) w = c->drag_weights;

    /* local-p: the Gaussian the softmax was multiplied by, as a light hill behind the weight
     * bars (its top at weight 1: no bar can rise above it) and a thin line over them */
    double sigma = local_p ? local_p_sigma(ix) : NAN;
    float pcen = local_p ? (float)event_get_float(ts->attn, "centre", NAN) : NAN;
    int plo = (int)event_get_int(ts->attn, "lo", 0), phi = (int)event_get_int(ts->attn, "hi", S - 1);
    if (plo < 0) plo = 0;
    if (phi > S - 1) phi = S - 1;
    int curve = local_p && show_w && w && nw >= S && isfinite(sigma) && sigma > 0 && isfinite(pcen) && plo <= phi;
    float wanim = (q->phase == PH_WEIGHTS && q->step == s) ? c->anim : 1, wfull = w_h - labs - 2;
    float ga = (float)(plo > first ? plo : first) - 0.5f, gb = (float)(phi < first + count - 1 ? phi : first + count - 1) + 0.5f;
#define GAUSS(t) ((float)exp(-((t) - pcen) * ((t) - pcen) / (2 * sigma * sigma)))
#define GX(t) (x0 + ((t) - (float)first) * cell + cell / 2)
#define GY(t) (wbase - GAUSS(t) * wfull * wanim)
    const float gdt = 0.125f;
    if (curve)
        for (float t = ga; t < gb - 1e-4f; t += gdt) {
            float t2 = t + gdt < gb ? t + gdt : gb;
            Color fill = color_alpha(th->dec, 34);
            draw_tri(dl, GX(t), wbase, GX(t), GY(t), GX(t2), GY(t2), fill);
            draw_tri(dl, GX(t), wbase, GX(t2), GY(t2), GX(t2), wbase, fill);
        }

    for (int k = 0; k < count; k++) {
        int j = first + k;
        float x = x0 + k * cell + gap / 2, cx = x + bw / 2;
        const char *tok = vk_tok((ix->src_tokens[j]));
        float tw = draw_text_width(dl, th->fs, tok);
        draw_text_fit(dl, tw < bw ? cx - tw / 2 : x, tok_y, th->fs, th->fg, tok, bw);
        /* h_j column (horizontal strip, one per source word) */
        const Event *he = tl_enc_top(ix, j, 0);
        int nh = 0;
        const float *h = he ? event_get_floats(he, "h", &nh) : NULL;
        snprintf(buf, sizeof buf, TR("h%d (encoder state after \"%s\")"), j + 1, tok);
        float hw = bw * 0.5f > 28 * sc ? 28 * sc : bw * 0.5f;
        vk_vector(c, (Rect){cx - hw / 2, hcol_y, hw, hcol_h}, h, nh, 1.0f, 1, buf);
        if (h) draw_mark(dl, MARK_ENC, j + 1, 0, (Rect){cx - hw / 2, hcol_y, hw, hcol_h});
        /* energy bar */
        if (show_e) {
            if (!isfinite(e[j])) {
                Rect r = {x, e_y, bw, e_h};
                draw_rect_line(dl, r, th->grid, 1);
                for (float d = 0; d < bw + e_h; d += 8) {
                    float xa = x + d, ya = e_y, xb = x + d - e_h, yb = e_y + e_h;
                    if (xa > x + bw) { ya += xa - (x + bw); xa = x + bw; }
                    if (xb < x) { yb -= x - xb; xb = x; }
                    if (ya < yb) draw_line(dl, xa, ya, xb, yb, th->grid, 1);
                }
                draw_text_centered(dl, cx, e_y + e_h / 2, th->fs_small, th->fg_dim, TR("outside"));
                if (draw_hot(dl, r)) draw_tooltip(dl, "\"%s\" is outside the local attention window: e = \xe2\x88\x92\xe2\x88\x9e, weight 0", tok);
            } else {
                float anim = (q->phase == PH_ENERGY && q->step == s) ? c->anim : 1;
                float hgt = e[j] * eunit * anim;
                Rect r = hgt >= 0 ? (Rect){x + bw * 0.15f, zero_y - hgt, bw * 0.7f, hgt} : (Rect){x + bw * 0.15f, zero_y, bw * 0.7f, -hgt};
                draw_rect(dl, r, e[j] >= 0 ? th->pos : th->neg);
                snprintf(buf, sizeof buf, "%.2f", e[j]);
                float vy = hgt >= 0 ? zero_y - hgt - labs - 1 : zero_y - hgt + 1;
                draw_text_centered(dl, cx, vy + labs / 2, th->fs_small, th->fg, buf);
                Rect hot = {x, e_y, bw, e_h};
                if (draw_hot(dl, hot)) {
                    double ex = exp(e[j] - emx);
                    draw_tooltip(dl,
                                 "energy e_%d = %.4f: how well \"%s\" (h%d) matches the query %s\n%s\nnext, softmax: a_%d = exp(e_%d) / "
                                 "\xce\xa3_k exp(e_k) = %.4g / %.4g = %.4f   (exp taken after subtracting max e = %.3f)",
                                 j + 1, e[j], tok, j + 1, qname, vk_scorer_formula(ix->scorer), j + 1, j + 1, ex, zsum, ex / zsum, emx);
                }
            }
        }
        /* weight bar */
        if (show_w && w) {
            float anim = (q->phase == PH_WEIGHTS && q->step == s) ? c->anim : 1;
            float full = w_h - labs - 2;
            float hgt = w[j] * full * anim;
            Rect r = {x + bw * 0.15f, wbase - hgt, bw * 0.7f, hgt};
            draw_rect(dl, r, dragging ? (j == c->drag_j ? th->dec : th->dec_fill) : th->accent);
            draw_rect_line(dl, (Rect){x + bw * 0.15f, wbase - full, bw * 0.7f, full}, dragging && j == c->drag_j ? th->dec : th->grid, 1);
            /* a_j of this step: the bar's column and its value above it */
            draw_mark(dl, MARK_CELL, s + 1, j + 1, (Rect){x + bw * 0.05f, wbase - full - labs - 2, bw * 0.9f, full + labs + 4});
            snprintf(buf, sizeof buf, "%.2f", w[j]);
            draw_text_centered(dl, cx, wbase - hgt - labs / 2 - 1, th->fs_small, th->fg, buf);
            wsum += w[j];
            Rect hot = {x, w_y, bw, w_h};
            float drag_to = (wbase - dl->mouse_y) / full;
            if (c->pick && (dragging ? j == c->drag_j : draw_hot(dl, hot)))
                *c->pick = (ViewPick){PICK_WEIGHT, s, j, -1, drag_to < 0 ? 0 : drag_to > 1 ? 1 : drag_to};
            if (!dragging && draw_hot(dl, hot)) {
                if (curve && j >= plo && j <= phi && !event_get_int(ts->attn, "override", 0) && w_model)
                    draw_tooltip(dl, "attention weight a_%d = %.4f for \"%s\" \xe2\x80\x94 the share of h%d in the context vector\n"
                                     "= softmax(e)_%d \xc2\xb7 Gaussian = %.4f \xc2\xb7 %.4f: the Gaussian at distance %.2f from p = %.2f is "
                                     "exp(\xe2\x88\x92%.2f\xc2\xb2 / 2\xcf\x83\xc2\xb2), \xcf\x83 = %.2f\n"
                                     "what-if: drag the bar up or down; on release the decoder continues with these weights",
                                 j + 1, w[j], tok, j + 1, j + 1, window_softmax(e, plo, phi, j), (double)GAUSS((float)j), fabs(j - pcen), pcen,
                                 fabs(j - pcen), sigma);
                else
                    draw_tooltip(dl, "attention weight a_%d = %.4f for \"%s\"\n= exp(e_%d) / \xce\xa3_k exp(e_k) = exp(%.3f) / \xce\xa3%s \xe2\x80\x94 the share of h%d in the context vector\n"
                                     "what-if: drag the bar up or down; on release the decoder continues with these weights",
                                 j + 1, w[j], tok, j + 1, e[j], local_p ? TR(", times the local-p Gaussian around p") : "", j + 1);
            }
        }
        /* flow into the context vector */
        if (show_c && w && w[j] >= 0.005f) {
            float tx = cbox.x + cbox.w * (k + 0.5f) / count;
            Color col = color_alpha(th->accent, (uint8_t)(50 + 205 * w[j]));
            draw_arrow(dl, cx, wbase + 2, tx, cbox.y - 2, col, 1 + 7 * w[j] * sc, 6 + 6 * w[j] * sc);
        }
    }
    if (curve)
        for (float t = ga; t < gb - 1e-4f; t += gdt) {
            float t2 = t + gdt < gb ? t + gdt : gb;
            draw_line(dl, GX(t), GY(t), GX(t2), GY(t2), th->dec, th->line + 0.5f); /* 2 px: a thinner one shows stairs */
        }
#undef GY
#undef GX
#undef GAUSS
    vk_more(c, x0, tok_y - labs - 2, first, 0);
    vk_more(c, x0 + cell * count, tok_y - labs - 2, S - first - count, 1);
    if (show_w && w) {
        float all = 0;
        for (int j = 0; j < S; j++) all += w[j];
        snprintf(buf, sizeof buf, "\xce\xa3 a_j = %.2f", all);
        draw_text(dl, a.x, w_y + 2 * lab, th->fs_small, th->fg, buf);
        /* local-p: the predicted centre p (a marker under the weights) — the weights are the
         * softmax times a Gaussian around p, so they need not sum to 1 */
        if (local_p) {
            float p = (float)event_get_float(ts->attn, "centre", NAN);
            if (isfinite(p)) {
                snprintf(buf, sizeof buf, TR("local-p centre p = %.2f"), p);
                draw_text(dl, a.x, w_y + 2 * lab + labs, th->fs_small, th->accent, buf);
                if (curve) { /* the curve's key: a short line in its colour, then sigma */
                    float ly = w_y + 2 * lab + 2 * labs;
                    draw_line(dl, a.x, ly + labs / 2, a.x + 14 * sc, ly + labs / 2, th->dec, 2 * th->line);
                    snprintf(buf, sizeof buf, TR("Gaussian, \xcf\x83 = %.3g"), sigma);
                    draw_text_fit(dl, a.x + 18 * sc, ly, th->fs_small, th->dec, buf, left - 22 * sc);
                    if (draw_hot(dl, (Rect){a.x, ly, left - 4 * sc, labs}))
                        draw_tooltip(dl, "the local-p window: the red curve is exp(\xe2\x88\x92(j\xe2\x88\x92p)\xc2\xb2 / 2\xcf\x83\xc2\xb2), "
                                         "\xcf\x83 = D/2 = %.3g (D = %.3g positions), around p = %.2f (positions counted from 0);\n"
                                         "every weight is the softmax share times this curve, so no bar rises above it and "
                                         "words far from p are faded out",
                                     sigma, 2 * sigma, p);
                }
                float px = x0 + (p - (float)first) * cell + cell / 2, m = 6 * sc;
                if (px >= x0 && px <= x0 + cell * count) {
                    draw_tri(dl, px - m, wbase + m * 1.6f, px + m, wbase + m * 1.6f, px, wbase + 1, th->dec);
                    Rect hot = {px - m, wbase, 2 * m, m * 1.6f};
                    if (draw_hot(dl, hot) && curve)
                        draw_tooltip(dl, "local-p: the predicted centre p = %.3f = (S-1) \xc2\xb7 sigmoid(v\xe1\xb5\x80 tanh(W q)); each weight is "
                                         "softmax(e)_j \xc2\xb7 exp(-(j-p)\xc2\xb2 / 2\xcf\x83\xc2\xb2), \xcf\x83 = D/2 = %.3g (the red curve)", p, sigma);
                    else if (draw_hot(dl, hot))
                        draw_tooltip(dl, "local-p: the predicted centre p = %.3f = (S-1) \xc2\xb7 sigmoid(v\xe1\xb5\x80 tanh(W q)); each weight is "
                                         "softmax(e)_j \xc2\xb7 exp(-(j-p)\xc2\xb2 / 2\xcf\x83\xc2\xb2), \xcf\x83 = D/2", p);
                }
            }
        }
    }
    (void)wsum;

    /* context vector and formula */
    if (show_c && cv) {
        snprintf(buf, sizeof buf, TR("context c%d (what the decoder reads at this step)"), s + 1);
        vk_vector(c, cbox, cv, nc, 1.0f, 0, buf);
        draw_mark(dl, MARK_CONTEXT, s + 1, 0, cbox);
        draw_text(dl, cbox.x + cbox.w + 10 * sc, cbox.y + cbox.h / 2 - lab / 2, th->fs_large, th->fg, "= c");
        Para p = {.c = c, .x = a.x, .y = cbox.y + cbox.h + 8 * sc, .w = a.w, .size = th->fs, .col = th->fg};
        snprintf(buf, sizeof buf, "c%d = ", s + 1);
        para_add(&p, buf);
        int small = 0;
        float small_sum = 0;
        int terms = 0;
        for (int j = 0; j < S; j++) {
            if (S > 10 && w[j] < 0.01f) { small++; small_sum += w[j]; continue; }
            snprintf(buf, sizeof buf, "%s%.2f\xc2\xb7h%d", terms ? " + " : "", w[j], j + 1);
            para_add(&p, buf);
            terms++;
        }
        if (small) {
            snprintf(buf, sizeof buf, TR(" + (%d more terms, each below 0.01, together %.2f)"), small, small_sum);
            para_words(&p, buf);
        }
        para_flush(&p);
        p.col = th->fg_dim;
        p.size = th->fs_small;
        p.prose = 1;
        para_words(&p, TR("the weighted sum of all encoder states: words with large weights dominate what the decoder sees next."));
        para_flush(&p);
    } else if (show_w) {
        draw_text_centered(dl, a.x + a.w / 2, c_y + 20 * sc, th->fs, th->fg_dim, TR("next: the weighted sum  c = \xce\xa3 a_j \xc2\xb7 h_j  (press \xe2\x86\x92)"));
    } else if (show_e) {
        draw_text_centered(dl, w_y + w_h / 2 > 0 ? a.x + a.w / 2 : 0, w_y + w_h / 2, th->fs, th->fg_dim,
                           TR("next: softmax turns energies into weights that sum to 1  (press \xe2\x86\x92)"));
    } else {
        draw_text_centered(dl, a.x + a.w / 2, e_y + e_h / 2, th->fs, th->fg_dim,
                           TR("next: score every encoder h against the query  (press \xe2\x86\x92)"));
    }
}
