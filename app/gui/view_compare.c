/* view_compare.c — view 7: greedy vs beam search on the same sentence.
 *
 * Top: the outputs one above the other, one column per decoder step (greedy; beam's n-best;
 * a what-if decode when there is one), each cell the token and its log-prob; the first
 * step where greedy and beam's best differ is marked. Bottom: the cumulative log-prob of
 * each path per step as a line chart on the same columns, so the moment greedy "takes the
 * locally best token and pays for it later" is visible: at the divergence greedy's line is
 * above beam's, afterwards below. Greedy is purple with square markers, beam's best orange
 * with triangles, the other n-best grey diamonds, a what-if green hollow squares: shapes
 * tell them apart without colour. Synchronised with the timeline: steps appear as the shown
 * trace reaches them. Needs both traces (ViewCtx.alt); every number is the trace's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "compare.h"
#include "views.h"

#define MAX_ROWS 6

typedef struct Row {
    const CmpPath *p;
    char label[48];
    Color col;
    int shape; /* 0 square, 1 triangle, 2 diamond, 3 hollow square */
} Row;

static void marker(DrawList *dl, int shape, float x, float y, float r, Color c, Color bg) {
    switch (shape) {
    case 0: draw_rect(dl, (Rect){x - r, y - r, 2 * r, 2 * r}, c); break;
    case 1: draw_tri(dl, x, y - r * 1.2f, x - r * 1.2f, y + r, x + r * 1.2f, y + r, c); break;
    case 2:
        draw_tri(dl, x, y - r, x - r, y, x + r, y, c);
        draw_tri(dl, x - r, y, x + r, y, x, y + r, c);
        break;
    default:
        draw_rect(dl, (Rect){x - r, y - r, 2 * r, 2 * r}, bg);
        draw_rect_line(dl, (Rect){x - r, y - r, 2 * r, 2 * r}, c, 2);
        break;
    }
}

/* Steps of the shown trace visible at position p: those whose choice is shown. */
static int steps_shown(const TraceIndex *ix, int p) {
    if (ix->pos[p].phase == PH_END) return 1 << 20;
    int n = 0;
    while (n < ix->n_steps && tl_shown(ix, p, n, PH_CHOSEN)) n++;
    return n;
}

static float nice_step(float range) {
    float raw = range / 4, mag = powf(10, floorf(log10f(raw > 0 ? raw : 1)));
    float n = raw / mag;
    return (n < 1.5f ? 1 : n < 3.5f ? 2 : n < 7.5f ? 5 : 10) * mag;
}

void view_compare(const ViewCtx *c) {
    const TraceIndex *ix = c->ix;
    const Theme *th = c->th;
    DrawList *dl = c->dl;
    float sc = th->scale;
    if (!c->alt) {
        vk_title(c, TR("Greedy vs beam search"), TR("the same sentence decoded both ways"));
        vk_message(c, c->area, ix->is_beam ? TR("Only the beam-search trace is loaded. Type an input (the app then decodes it both ways), or render "
                                                "with --trace BEAM.jsonl --trace2 GREEDY.jsonl.")
                                           : TR("Only the greedy trace is loaded. Type an input (the app then decodes it both ways), or render "
                                                "with --trace GREEDY.jsonl --trace2 BEAM.jsonl."));
        return;
    }
    const TraceIndex *gix = ix->is_beam ? c->alt : ix, *bix = ix->is_beam ? ix : c->alt;
    if (gix->is_beam || !bix->is_beam) {
        vk_title(c, TR("Greedy vs beam search"), TR("the same sentence decoded both ways"));
        vk_message(c, c->area, TR("Both traces were decoded the same way: this view needs one greedy and one beam-search trace."));
        return;
    }
    CmpPath *paths = calloc(CMP_MAX_PATHS + 2, sizeof *paths);
    if (!paths) return;
    CmpPath *gp = &paths[0], *wp = &paths[1], *bp = &paths[2];
    int have_g = !cmp_greedy_path(gix, gp);
    int nb = cmp_beam_paths(bix, bp, 3);
    int have_w = 0;
    if (c->what_if) {
        if (c->what_if->is_beam) {
            CmpPath *w1 = calloc(1, sizeof *w1);
            if (w1 && cmp_beam_paths(c->what_if, w1, 1) == 1) { *wp = *w1; have_w = 1; }
            free(w1);
        } else have_w = !cmp_greedy_path(c->what_if, wp);
    }
    if (!have_g || nb == 0) {
        vk_title(c, TR("Greedy vs beam search"), TR("the same sentence decoded both ways"));
        vk_message(c, c->area, TR("The traces hold no finished output to compare (no output events or no n-best)."));
        free(paths);
        return;
    }
    int div = cmp_divergence(gp, &bp[0]);
    double gap = bp[0].logprob - gp->logprob;
    char sub[512];
    int all_shown = steps_shown(ix, c->pos) >= (gp->n > bp[0].n ? gp->n : bp[0].n) || ix->pos[c->pos].phase == PH_END;
    if (!all_shown)
        snprintf(sub, sizeof sub, TR("greedy takes the most probable token at every step; beam k = %d keeps the %d most probable partial outputs"),
                 bix->beam_size, bix->beam_size);
    else if (div < 0)
        snprintf(sub, sizeof sub, TR("beam k = %d finds the same output as greedy: here the locally best token was also the globally best"), bix->beam_size);
    else if (gap > 0)
        snprintf(sub, sizeof sub, TR("first divergence at step %d; beam k = %d's output is more probable by %.4f (total log-prob %.4f vs %.4f)"), div + 1,
                 bix->beam_size, gap, bp[0].logprob, gp->logprob);
    else
        snprintf(sub, sizeof sub, TR("first divergence at step %d; greedy's output has the higher total log-prob (%.4f vs %.4f): beam k = %d ranks by its score"), div + 1,
                 gp->logprob, bp[0].logprob, bix->beam_size);
    float top = vk_title(c, TR("Greedy vs beam search: the same sentence, decoded both ways"), sub);
    Rect a = {c->area.x + 12 * sc, c->area.y + top, c->area.w - 24 * sc, c->area.h - top - 6 * sc};
    float lab = draw_line_height(th->fs), labs = draw_line_height(th->fs_small);

    /* rows */
    Row rows[MAX_ROWS];
    int nr = 0;
    rows[nr].p = gp;
    snprintf(rows[nr].label, sizeof rows[0].label, "%s", TR("greedy"));
    rows[nr].col = th->neg;
    rows[nr++].shape = 0;
    float row_h = lab + labs + 8 * sc;
    float chart_min = 90 * sc;
    int fit = (int)((a.h - chart_min - lab) / (row_h + 4 * sc));
    for (int i = 0; i < nb && nr < MAX_ROWS && (i == 0 || nr < fit - (have_w ? 1 : 0)); i++) {
        rows[nr].p = &bp[i];
        snprintf(rows[nr].label, sizeof rows[0].label, i == 0 ? TR("beam k=%d best") : TR("beam #%d"), i == 0 ? bix->beam_size : i + 1);
        if (i > 0 && cmp_divergence(&bp[i], gp) < 0) {
            size_t l = strlen(rows[nr].label);
            snprintf(rows[nr].label + l, sizeof rows[0].label - l, TR(" = greedy"));
        }
        rows[nr].col = i == 0 ? th->accent : th->fg_dim;
        rows[nr++].shape = i == 0 ? 1 : 2;
    }
    if (have_w && nr < MAX_ROWS) {
        rows[nr].p = wp;
        if (c->what_if_token < 0) snprintf(rows[nr].label, sizeof rows[0].label, "%s", TR("what-if: attention"));
        else snprintf(rows[nr].label, sizeof rows[0].label, TR("what-if (%s)"), c->what_if->is_beam ? TR("beam") : TR("greedy"));
        rows[nr].col = th->finished;
        rows[nr++].shape = 3;
    }
    int T = 0;
    for (int r = 0; r < nr; r++) if (rows[r].p->n > T) T = rows[r].p->n;
    int shown = steps_shown(ix, c->pos);
    int focus = ix->pos[c->pos].phase == PH_END ? T - 1 : (shown < T ? shown : T - 1);

    /* columns */
    float label_w = 0;
    for (int r = 0; r < nr; r++) {
        float w = draw_text_width(dl, th->fs, rows[r].label);
        if (w > label_w) label_w = w;
    }
    label_w += 30 * sc;
    float cw;
    int first, count;
    vk_strip(T, a.w - label_w - (have_w ? 130 : 70) * sc, 58 * sc, 120 * sc, focus, &cw, &first, &count);
    float gx = a.x + label_w;
    char buf[300];

    /* step numbers */
    float y = a.y;
    for (int k = 0; k < count; k++) {
        int s = first + k;
        snprintf(buf, sizeof buf, "%d", s + 1);
        int is_cur = s == shown - 1 && ix->pos[c->pos].phase != PH_END;
        draw_text_centered(dl, gx + k * cw + cw / 2, y + labs / 2, th->fs_small, is_cur ? th->accent : th->fg_dim, buf);
    }
    draw_text(dl, a.x, y, th->fs_small, th->fg_dim, TR("step"));
    y += labs + 4 * sc;
    float grid_y = y;

    /* token rows */
    for (int r = 0; r < nr; r++) {
        const CmpPath *p = rows[r].p;
        float ry = grid_y + r * (row_h + 4 * sc);
        marker(dl, rows[r].shape, a.x + 6 * sc, ry + row_h / 2, 5 * sc, rows[r].col, th->bg);
        draw_text(dl, a.x + 16 * sc, ry + row_h / 2 - lab / 2, th->fs, th->fg, rows[r].label);
        for (int k = 0; k < count; k++) {
            int s = first + k;
            if (s >= p->n || s >= shown) continue;
            Rect cell = {gx + k * cw + 2, ry, cw - 4, row_h};
            int differs = r > 0 && (s >= gp->n || p->token[s] != gp->token[s]);
            int forced = p == wp && s == c->what_if_step;
            draw_rect(dl, cell, color_alpha(rows[r].col, differs || r == 0 ? 48 : 20));
            if (forced) draw_rect_line(dl, cell, th->finished, 3 * th->line);
            else if (differs) draw_rect_line(dl, cell, rows[r].col, 2 * th->line);
            else draw_rect_line(dl, cell, color_alpha(rows[r].col, 110), 1);
            const char *tk = vk_tok(p->tok[s]);
            float tw = draw_text_width(dl, th->fs, tk);
            draw_text_fit(dl, tw < cell.w - 6 ? cell.x + (cell.w - tw) / 2 : cell.x + 3, cell.y + 3 * sc, th->fs, th->fg, tk, cell.w - 6);
            if (p->token_lp[s] > -0.005f) snprintf(buf, sizeof buf, "\xe2\x89\x88 0");
            else snprintf(buf, sizeof buf, "%.2f", p->token_lp[s]);
            float vw = draw_text_width(dl, th->fs_small, buf);
            draw_text(dl, cell.x + (cell.w - vw) / 2, cell.y + 3 * sc + lab, th->fs_small, th->fg_dim, buf);
            if (draw_hot(dl, cell))
                draw_tooltip(dl, "%s, step %d: \"%s\"%s\ntoken log-prob %.4f (P = %.3f), cumulative log-prob %.4f%s", rows[r].label, s + 1,
                             vk_tok(p->tok[s]), !forced ? "" : c->what_if_token < 0 ? TR(" (the what-if set the attention weights of this step)") : TR(" (forced by the what-if)"), p->token_lp[s], exp(p->token_lp[s]), p->cum[s],
                             differs ? TR("\ndiffers from greedy's token at this step") : "");
        }
        /* the total at the end of the row */
        if (shown >= p->n) {
            const CmpPath *base = ix->is_beam ? &bp[0] : gp; /* the model's own output */
            if (p == wp) snprintf(buf, sizeof buf, "%.3f (%+.3f)", p->logprob, p->logprob - base->logprob);
            else snprintf(buf, sizeof buf, "%.3f", p->logprob);
            if (!p->finished) {
                size_t l = strlen(buf);
                snprintf(buf + l, sizeof buf - l, TR(" no <eos>"));
            }
            float ex = gx + count * cw + 6 * sc;
            Rect tr = {ex, ry, a.x + a.w - ex, row_h};
            draw_text_fit(dl, ex, ry + row_h / 2 - lab / 2, th->fs, r == 0 || (r == 1 && p != wp) ? rows[r].col : th->fg, buf, tr.w);
            if (draw_hot(dl, tr))
                draw_tooltip(dl, "%s: total log-prob %.4f%s, score %.4f%s", rows[r].label, p->logprob, p->finished ? TR(" (<eos> included)") : "",
                             p->score, p->finished ? "" : TR("\nno <eos>: the length cap ended it"));
        }
    }
    float grid_bottom = grid_y + nr * (row_h + 4 * sc);
    if (count > 0 && shown >= gp->n && shown >= bp[0].n)
        draw_text(dl, gx + count * cw + 6 * sc, grid_y - labs - 4 * sc, th->fs_small, th->fg_dim, TR("total"));

    /* chart of cumulative log-probs */
    Rect ch = {gx, grid_bottom + lab + 10 * sc, count * cw, a.y + a.h - (grid_bottom + lab + 10 * sc) - labs - 4 * sc};
    double ymin = 0;
    for (int r = 0; r < nr; r++)
        for (int s = 0; s < rows[r].p->n; s++)
            if (isfinite(rows[r].p->cum[s]) && rows[r].p->cum[s] < ymin) ymin = rows[r].p->cum[s];
    if (ymin > -0.5) ymin = -0.5;
    ymin *= 1.08;
    draw_text(dl, a.x, grid_bottom + 4 * sc, th->fs, th->fg, TR("cumulative log-prob after each step (higher is more probable)"));
    if (ch.h > 30 * sc && count > 0) {
        float ystep = nice_step((float)-ymin);
        while (ystep / (float)-ymin * ch.h < labs + 4) ystep *= 2; /* labels never overlap */
        for (float v = 0; v >= ymin - 1e-6; v -= ystep) {
            float yy = ch.y + (float)(v / ymin) * ch.h;
            draw_rect(dl, (Rect){ch.x, yy, ch.w, 1}, th->grid);
            snprintf(buf, sizeof buf, "%.*f", ystep < 0.1f ? 2 : 1, v);
            float vw = draw_text_width(dl, th->fs_small, buf);
            draw_text(dl, ch.x - vw - 6 * sc, yy - labs / 2, th->fs_small, th->fg_dim, buf);
        }
        draw_rect_line(dl, ch, th->panel_edge, 1);
        /* the divergence */
        if (div >= first && div < first + count && div < shown) {
            float dx = gx + (div - first) * cw;
            draw_dashed(dl, dx, grid_y - 2, dx, ch.y + ch.h, th->fg, 2 * th->line, 5);
        }
        /* lines, drawn back to front: other n-best, what-if, beam best, greedy */
        int order[MAX_ROWS], no = 0, wrow = have_w ? nr - 1 : -1;
        for (int r = 2; r < nr; r++) if (r != wrow) order[no++] = r;
        order[no++] = 1;
        order[no++] = 0;
        if (wrow >= 0) order[no++] = wrow; /* dashed, on top: it often coincides with another path */
        for (int oi = 0; oi < no; oi++) {
            int r = order[oi];
            /* row indices: 0 greedy, 1 beam best, 2.. others (what-if last) */
            const CmpPath *p = rows[r].p;
            float thick = r <= 1 ? 3 * th->line : 1.5f * th->line;
            float px = 0, py = 0;
            for (int s = first; s < first + count && s < p->n && s < shown; s++) {
                float x = gx + (s - first) * cw + cw / 2;
                float yy = ch.y + (float)(p->cum[s] / ymin) * ch.h;
                if (s > first && r == wrow) draw_dashed(dl, px, py, x, yy, rows[r].col, 2.5f * th->line, 6);
                else if (s > first) draw_line(dl, px, py, x, yy, rows[r].col, thick);
                px = x;
                py = yy;
            }
            for (int s = first; s < first + count && s < p->n && s < shown; s++) {
                float x = gx + (s - first) * cw + cw / 2;
                float yy = ch.y + (float)(p->cum[s] / ymin) * ch.h;
                marker(dl, rows[r].shape, x, yy, (r <= 1 ? 5 : 4) * sc, rows[r].col, th->bg);
                Rect hot = {x - cw / 2, yy - 7 * sc, cw, 14 * sc};
                if (draw_hot(dl, hot))
                    draw_tooltip(dl, "%s after step %d (\"%s\"): cumulative log-prob %.4f\n(token log-prob %.4f)", rows[r].label, s + 1,
                             vk_tok(p->tok[s]), p->cum[s], p->token_lp[s]);
            }
        }
        /* the gap at the divergence and at the end, in words */
        if (div >= 0 && div < shown && div < gp->n && div < bp[0].n) {
            double dg = gp->cum[div] - bp[0].cum[div];
            int last = gp->n < bp[0].n ? gp->n - 1 : bp[0].n - 1;
            char note[300];
            if (dg > 0)
                snprintf(note, sizeof note, TR("vertical line: first divergence (step %d), greedy ahead by %.3f: it took the locally best token \"%.40s\""), div + 1, dg,
                         vk_tok(gp->tok[div]));
            else
                snprintf(note, sizeof note, TR("vertical line: first divergence (step %d), greedy already behind by %.3f"), div + 1, -dg);
            if (shown > last && last > div) {
                size_t l = strlen(note);
                snprintf(note + l, sizeof note - l, TR("; after step %d beam is ahead by %.3f"), last + 1, bp[0].cum[last] - gp->cum[last]);
            }
            draw_text_fit(dl, ch.x, ch.y + ch.h + 2, th->fs_small, th->fg_dim, note, ch.w + 60 * sc);
        }
    }
    vk_more(c, gx, grid_y - labs - 4 * sc, first, 0);
    vk_more(c, gx + count * cw, grid_y - labs - 4 * sc, T - first - count, 1);
    free(paths);
}
