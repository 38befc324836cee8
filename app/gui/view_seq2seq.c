/* view_seq2seq.c — view 3: encoder row (blue), decoder row (red), the output layer (a blue
 * box of FC + softmax) above each decoder cell, the chosen word fed back as the next input,
 * and the current step's attention as arcs from the decoder to the source words. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "views.h"

#define TOPK 5

static int dec_steps(const TraceIndex *ix) {
    int t = 0;
    while (t < ix->n_steps && ix->steps[t].dec[0]) t++;
    return t;
}

void view_seq2seq(const ViewCtx *c) {
    const TraceIndex *ix = c->ix;
    const Theme *th = c->th;
    DrawList *dl = c->dl;
    float sc = th->scale;
    const TlPos *q = &ix->pos[c->pos];
    int S = ix->S, T = dec_steps(ix);
    int cur = q->phase == PH_START ? 0 : q->phase == PH_ENC ? tl_enc_pos(ix, q->enc)
              : q->phase == PH_END  ? S + T - 1
                                    : S + (q->step < T ? q->step : T - 1);
    char sub[256];
    snprintf(sub, sizeof sub, TR("encoder (blue) reads the source; decoder (red) writes one word per step%s%s"),
             strcmp(ix->scorer, "none") ? TR(", looking back through attention (arcs below)") : TR(" from the last encoder h only"),
             !ix->is_beam ? "" : ix->sel_node >= 0 ? TR("; beam: the hypothesis selected in the tree") : TR("; beam: the best hypothesis"));
    float top = vk_title(c, TR("Sequence to sequence: two RNNs"), sub);
    Rect a = {c->area.x + 12 * sc, c->area.y + top, c->area.w - 24 * sc, c->area.h - top - 6 * sc};
    float lab = draw_line_height(th->fs) + 2, labs = draw_line_height(th->fs_small);
    float cell;
    int first, count;
    vk_strip(S + T, a.w - 16 * sc, 72 * sc, 150 * sc, cur, &cell, &first, &count);
    float x0 = a.x + (a.w - cell * count) / 2;
    float gap = cell * 0.24f;
    if (gap > 30 * sc) gap = 30 * sc;
    float bw = cell - gap;
    /* vertical bands */
    float arc_h = strcmp(ix->scorer, "none") ? a.h * 0.20f : 0;
    float tok_y = a.y + a.h - arc_h - lab - 4 * sc;
    float cell_h = 40 * sc;
    float cell_y = tok_y - 22 * sc - cell_h;
    float ob_h = cell_y - 26 * sc - (a.y + labs + 4 * sc);
    int topk = (int)((ob_h - labs - 8) / (labs + 2));
    if (topk > TOPK) topk = TOPK;
    if (topk < 1) topk = 1;
    ob_h = labs + 8 + topk * (labs + 2);
    float ob_y = cell_y - 30 * sc - ob_h;
    char buf[256];

    for (int k = 0; k < count; k++) {
        int i = first + k;
        float x = x0 + k * cell + gap / 2;
        Rect box = {x, cell_y, bw, cell_h};
        int is_cur = i == cur && q->phase != PH_END && q->phase != PH_START;
        if (i < S) { /* encoder */
            const Event *e = tl_enc_top(ix, i, 0);
            int idx = -1;
            for (int j = 0; j < ix->n_enc; j++)
                if (ix->enc[j] == e) idx = j;
            int shown = idx >= 0 && tl_enc_shown(ix, c->pos, idx);
            vk_box(c, box, shown ? th->enc_fill : th->bg, is_cur ? th->accent : shown ? th->enc : th->grid,
                   is_cur ? 3 * th->line : th->line, TR("enc"), th->fs_small, shown ? th->enc : th->fg_dim);
            if (shown) draw_mark(dl, MARK_ENC, i + 1, 0, box); /* the cell box stands for its h */
            if (draw_hot(dl, box)) draw_tooltip(dl, "encoder step %d: reads \"%s\"%s", i + 1, vk_tok(ix->src_tokens[i]), shown ? "" : TR(" (not run yet)"));
            if (shown && k + 1 < count)
                draw_arrow(dl, x + bw + 1, cell_y + cell_h / 2, x + cell - 1, cell_y + cell_h / 2,
                           i == S - 1 ? th->fg : th->enc, th->line * 1.5f, 8 * sc);
            Color tc = shown || q->phase == PH_START ? th->fg : th->fg_dim;
            float tw = draw_text_width(dl, th->fs, vk_tok(ix->src_tokens[i]));
            draw_text_fit(dl, tw < bw ? x + (bw - tw) / 2 : x, tok_y, th->fs, tc, vk_tok(ix->src_tokens[i]), bw);
            if (i == S - 1 && T > 0) {
                draw_text(dl, x + bw + 2, cell_y + cell_h / 2 + 2, th->fs_small, th->fg_dim, "h");
            }
            continue;
        }
        int s = i - S;
        const TlStep *ts = &ix->steps[s];
        int started = q->phase == PH_END || q->step >= s || (s > 0 && tl_shown(ix, c->pos, s - 1, PH_CHOSEN)); /* input known */
        int ran = tl_shown(ix, c->pos, s, PH_DECODER);
        int outp = tl_shown(ix, c->pos, s, PH_OUTPUT);
        int chosen = tl_shown(ix, c->pos, s, PH_CHOSEN);
        vk_box(c, box, ran ? th->dec_fill : th->bg, is_cur ? th->accent : ran ? th->dec : th->grid, is_cur ? 3 * th->line : th->line,
               TR("dec"), th->fs_small, ran ? th->dec : th->fg_dim);
        if (ran) draw_mark(dl, MARK_DEC, s + 1, 0, box);
        if (draw_hot(dl, box)) draw_tooltip(dl, "decoder step %d%s", s + 1, ran ? "" : TR(" (not run yet)"));
        if (ran && k + 1 < count)
            draw_arrow(dl, x + bw + 1, cell_y + cell_h / 2, x + cell - 1, cell_y + cell_h / 2, th->dec, th->line * 1.5f, 8 * sc);
        /* input token below */
        if (started && ts->embed) {
            const char *it = event_get_str(ts->embed, "token");
            float tw = draw_text_width(dl, th->fs, it);
            draw_text_fit(dl, tw < bw ? x + (bw - tw) / 2 : x, tok_y, th->fs, th->dec, it, bw);
            draw_arrow(dl, x + bw / 2, tok_y - 2, x + bw / 2, cell_y + cell_h + 2, th->dec, th->line, 6 * sc);
        }
        /* output box above */
        Rect ob = {x, ob_y, bw, ob_h};
        if (ran) draw_arrow(dl, x + bw / 2, cell_y - 2, x + bw / 2, ob.y + ob.h + 2, outp ? th->out : th->grid, th->line, 6 * sc);
        if (outp && ts->output) {
            draw_rect(dl, ob, th->out_fill);
            draw_rect_line(dl, ob, th->out, 2 * th->line);
            if (draw_text_width(dl, th->fs_small, TR("FC + softmax")) <= bw - 8) draw_text(dl, ob.x + 4, ob.y + 2, th->fs_small, th->out, TR("FC + softmax"));
            else if (draw_text_width(dl, th->fs_small, "softmax") <= bw - 8) draw_text(dl, ob.x + 4, ob.y + 2, th->fs_small, th->out, "softmax");
            int ids[TOPK];
            float pr[TOPK];
            int n = vk_top_outputs(ts->output, topk, ids, pr);
            float ry = ob.y + labs + 4;
            float rh = labs + 2;
            for (int r = 0; r < n; r++) {
                char ib[32];
                const char *tk = tl_tgt_token(ix, ids[r], ib, sizeof ib);
                Rect row = {ob.x + 3, ry + r * rh, bw - 6, rh - 1};
                int is_ch = chosen && ids[r] == ts->chosen;
                float bar = (bw - 6) * pr[r] * (q->step == s && q->phase == PH_OUTPUT ? c->anim : 1);
                draw_rect(dl, (Rect){row.x, row.y, bar, row.h}, color_alpha(th->out, is_ch ? 110 : 70));
                if (is_ch) draw_rect_line(dl, row, th->accent, 2);
                snprintf(buf, sizeof buf, "%.2f", pr[r]);
                float vw = draw_text_width(dl, th->fs_small, buf);
                float kw = draw_text_width(dl, th->fs_small, tk);
                if (kw + vw + 10 <= row.w) draw_text(dl, row.x + row.w - vw - 2, row.y, th->fs_small, th->fg_dim, buf);
                else vw = -8;
                draw_text_fit(dl, row.x + 2, row.y, th->fs_small, th->fg, tk, row.w - vw - 10);
                if (draw_hot(dl, row)) {
                    draw_tooltip(dl, "P(\"%s\") = %.4f at decoder step %d (log-prob %.3f)\nrank %d of the output distribution%s%s", tk, pr[r],
                                 s + 1, log(pr[r] > 0 ? pr[r] : 1e-30), r + 1, is_ch ? TR("; chosen") : "",
                                 is_ch ? "" : TR("\nclick: what-if, force this token here and let the model continue (view 7 compares)"));
                    if (c->pick && !is_ch) *c->pick = (ViewPick){PICK_TOKEN, s, ids[r], -1, 0};
                }
            }
        } else {
            draw_rect_line(dl, ob, th->grid, 1);
        }
        /* the chosen token fed back: from the box's right edge, down the gap, into the next input */
        if (chosen && ts->chosen_token) {
            float tw = draw_text_width(dl, th->fs, ts->chosen_token);
            Rect chip = {x + (bw - tw) / 2 - 3, ob_y - labs - 4 + 2, tw + 6, labs};
            (void)chip;
            if (s + 1 < T && k + 1 < count) {
                float mx = x + bw + gap / 2, ey = ob.y + ob.h * 0.5f;
                draw_line(dl, x + bw, ey, mx, ey, th->accent, 2 * th->line);
                draw_line(dl, mx, ey, mx, tok_y + lab / 2, th->accent, 2 * th->line);
                draw_arrow(dl, mx, tok_y + lab / 2, x + cell + 2, tok_y + lab / 2, th->accent, 2 * th->line, 7 * sc);
            }
        }
    }
    /* labels for the ends of the strip */
    vk_more(c, a.x, cell_y + cell_h + 2, first, 0);
    vk_more(c, a.x + a.w, cell_y + cell_h + 2, S + T - first - count, 1);

    /* attention arcs of the current step */
    int s = q->phase == PH_END ? T - 1 : q->step;
    if (arc_h > 0 && s >= 0 && s < T && tl_shown(ix, c->pos, s, PH_WEIGHTS) && ix->steps[s].attn) {
        int nw = 0;
        const float *w = event_get_floats(ix->steps[s].attn, "weights", &nw);
        int kd = S + s - first;
        if (w && kd >= 0 && kd < count) {
            float dx = x0 + kd * cell + cell / 2;
            float by = tok_y + lab + 2;
            for (int j = 0; j < nw && j < S; j++) {
                int kj = j - first;
                if (kj < 0 || kj >= count || w[j] < 0.01f) continue;
                float sx = x0 + kj * cell + cell / 2;
                float depth = arc_h * (0.35f + 0.6f * fabsf(dx - sx) / (a.w + 1));
                Color col = color_alpha(th->accent, (uint8_t)(60 + 195 * w[j]));
                float px = sx, py = by;
                for (int m = 1; m <= 24; m++) {
                    float t = m / 24.0f;
                    float nx = sx + (dx - sx) * t, ny = by + depth * 4 * t * (1 - t);
                    draw_line(dl, px, py, nx, ny, col, 1 + 6 * w[j] * sc);
                    px = nx;
                    py = ny;
                }
                Rect hot = {sx - 10, by, 20, depth};
                if (draw_hot(dl, hot))
                    draw_tooltip(dl, "attention weight a_%d = %.3f: decoder step %d looks at \"%s\"", j + 1, w[j], s + 1, vk_tok(ix->src_tokens[j]));
            }
            draw_text(dl, a.x, a.y + a.h - labs, th->fs_small, th->fg_dim, TR("arcs: attention of the current decoder step (thicker = larger weight)"));
        }
    }
}
