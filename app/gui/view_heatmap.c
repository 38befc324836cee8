/* view_heatmap.c — view 5: the alignment matrix (Bahdanau et al. 2015, Fig. 3): source
 * words across the top, target words down the left, one row per decoder step, filled row
 * by row; brightness = weight (white 1, black 0). Hovering a row marks the words it reads. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "views.h"

void view_heatmap(const ViewCtx *c) {
    const TraceIndex *ix = c->ix;
    const Theme *th = c->th;
    DrawList *dl = c->dl;
    float sc = th->scale;
    const TlPos *q = &ix->pos[c->pos];
    int T = 0;
    while (T < ix->n_steps && ix->steps[T].attn) T++;
    if (!strcmp(ix->scorer, "none") || T == 0) {
        vk_title(c, TR("Alignment heatmap"), NULL);
        vk_message(c, c->area, TR("This model has no attention, so there is no alignment to show."));
        return;
    }
    int S = ix->S;
    char sub[200];
    snprintf(sub, sizeof sub, TR("row t: the attention weights of decoder step t over the source; white = 1, black = 0%s"),
             !ix->is_beam ? "" : ix->sel_node >= 0 ? TR("; the beam hypothesis selected in the tree (R: back to the best)") : TR("; best beam hypothesis"));
    float top = vk_title(c, TR("Alignment: which source words each output word looked at"), sub);
    Rect a = {c->area.x + 12 * sc, c->area.y + top, c->area.w - 24 * sc, c->area.h - top - 8 * sc};
    float lab = draw_line_height(th->fs);
    /* label sizes */
    float tgt_w = 0;
    char ib[32];
    for (int t = 0; t < T; t++) {
        const char *tk = ix->steps[t].chosen_token ? ix->steps[t].chosen_token : "?";
        float w = draw_text_width(dl, th->fs, tk);
        if (w > tgt_w) tgt_w = w;
    }
    tgt_w += 40 * sc;
    if (tgt_w > a.w * 0.25f) tgt_w = a.w * 0.25f;
    float legend_w = 70 * sc;
    float src_h = 2 * lab + 8 * sc;
    float gw = a.w - tgt_w - legend_w, gh = a.h - src_h;
    float cs = fminf(gw / S, gh / T);
    if (cs > 64 * sc) cs = 64 * sc;
    float min_cs = 14 * sc;
    int col_first = 0, col_count = S, row_first = 0, row_count = T;
    int cur_row = q->phase == PH_END ? T - 1 : q->step < 0 ? 0 : q->step < T ? q->step : T - 1;
    if (cs < min_cs) {
        float cw, rw;
        int f, n;
        vk_strip(S, gw, min_cs, min_cs, S / 2, &cw, &f, &n);
        col_first = f; col_count = n;
        vk_strip(T, gh, min_cs, min_cs, cur_row, &rw, &f, &n);
        row_first = f; row_count = n;
        cs = min_cs;
        /* for columns, follow the current row's strongest weight */
        if (col_count < S && ix->steps[cur_row].attn) {
            int nw = 0;
            const float *w = event_get_floats(ix->steps[cur_row].attn, "weights", &nw);
            int best = 0;
            for (int j = 0; j < nw; j++) if (w[j] > w[best]) best = j;
            vk_strip(S, gw, min_cs, min_cs, best, &cw, &f, &n);
            col_first = f; col_count = n;
        }
    }
    float gx = a.x + tgt_w, gy = a.y + src_h;
    float gwid = cs * col_count, ghei = cs * row_count;

    /* the hovered row (highlights its source words) */
    int hover_row = -1;
    if (dl->mouse_x >= a.x && dl->mouse_x < gx + gwid && dl->mouse_y >= gy && dl->mouse_y < gy + ghei)
        hover_row = row_first + (int)((dl->mouse_y - gy) / cs);
    const float *hw = NULL;
    int nhw = 0;
    if (hover_row >= 0 && hover_row < T && tl_shown(ix, c->pos, hover_row, PH_WEIGHTS))
        hw = event_get_floats(ix->steps[hover_row].attn, "weights", &nhw);

    /* source labels across the top, staggered on two lines when any is too wide */
    int stagger = 0;
    for (int k = 0; k < col_count; k++)
        if (draw_text_width(dl, th->fs, vk_tok(ix->src_tokens[col_first + k])) > cs - 2) stagger = 1;
    for (int k = 0; k < col_count; k++) {
        int j = col_first + k;
        const char *tk = vk_tok((ix->src_tokens[j]));
        float w = draw_text_width(dl, th->fs, tk);
        float cx = gx + k * cs + cs / 2;
        int two = stagger;
        float y = gy - lab - 4 - (two && (k % 2) ? lab : 0);
        Color col = th->fg;
        if (hw && j < nhw && hw[j] >= 0.1f) {
            Rect hl = {cx - w / 2 - 2, y - 1, w + 4, lab + 2};
            draw_rect(dl, hl, color_alpha(th->accent, (uint8_t)(80 + 175 * hw[j])));
        }
        draw_text_fit(dl, w < cs * 2 - 4 ? cx - w / 2 : gx + k * cs, y, th->fs, col, tk, cs * 2 - 4);
        if (two && (k % 2)) draw_line(dl, cx, y + lab, cx, gy - 2, th->grid, 1);
        Rect hot = {gx + k * cs, y, cs, gy - y};
        if (draw_hot(dl, hot)) draw_tooltip(dl, "source word %d: \"%s\"", j + 1, tk);
    }
    /* rows */
    char buf[256];
    for (int r = 0; r < row_count; r++) {
        int t = row_first + r;
        const TlStep *ts = &ix->steps[t];
        float y = gy + r * cs;
        int wshown = tl_shown(ix, c->pos, t, PH_WEIGHTS);
        int cshown = tl_shown(ix, c->pos, t, PH_CHOSEN);
        const char *tk = cshown && ts->chosen_token ? ts->chosen_token : (wshown ? "?" : "");
        if (*tk) {
            float w = draw_text_width(dl, th->fs, tk);
            float tx = gx - 8 * sc - (w < tgt_w - 12 ? w : tgt_w - 12);
            draw_text_fit(dl, tx, y + cs / 2 - lab / 2, th->fs, cshown ? th->fg : th->fg_dim, tk, tgt_w - 12);
        }
        int nw = 0;
        const float *w = wshown ? event_get_floats(ts->attn, "weights", &nw) : NULL;
        for (int k = 0; k < col_count; k++) {
            int j = col_first + k;
            float cx0 = floorf(gx + k * cs), cy0 = floorf(y);
            Rect cell = {cx0, cy0, floorf(gx + (k + 1) * cs) - cx0, floorf(y + cs) - cy0};
            if (w && j < nw) {
                float anim = (q->step == t && q->phase == PH_WEIGHTS) ? c->anim : 1;
                Color col = theme_ramp(th, w[j] * anim);
                draw_rect(dl, cell, col);
                draw_mark(dl, MARK_CELL, t + 1, j + 1, cell);
                if (cs >= 34 * sc && w[j] >= 0.005f) {
                    snprintf(buf, sizeof buf, "%.2f", w[j]);
                    draw_text_centered(dl, cell.x + cs / 2, cell.y + cs / 2, th->fs_small, theme_text_on(col), buf);
                }
                if (draw_hot(dl, cell)) {
                    char ib2[32];
                    draw_tooltip(dl, "weight %.4f: while producing \"%s\" (step %d) the decoder looked at \"%s\" (source word %d)",
                                 w[j], cshown && ts->chosen_token ? ts->chosen_token : tl_tgt_token(ix, ts->chosen, ib2, sizeof ib2),
                                 t + 1, vk_tok(ix->src_tokens[j]), j + 1);
                }
            } else {
                draw_rect_line(dl, cell, th->grid, 1);
            }
        }
        if (t == cur_row && q->phase != PH_END && q->step >= 0)
            draw_rect_line(dl, (Rect){gx - 3, y - 2, gwid + 6, cs + 4}, th->accent, 2 * th->line);
        if (hover_row == t) draw_rect_line(dl, (Rect){gx - 1, y, gwid + 2, cs}, th->fg, 1);
    }
    (void)ib;
    vk_more(c, gx, gy + ghei + 4, col_first, 0);
    vk_more(c, gx + gwid, gy + ghei + 4, S - col_first - col_count, 1);
    if (row_first > 0) {
        snprintf(buf, sizeof buf, TR("\xe2\x96\xb2 %d rows above"), row_first);
        draw_text(dl, a.x, gy - lab - 4, th->fs_small, th->accent, buf);
    }
    if (row_first + row_count < T) {
        snprintf(buf, sizeof buf, TR("\xe2\x96\xbc %d rows below"), T - row_first - row_count);
        draw_text(dl, a.x, gy + ghei + 4, th->fs_small, th->accent, buf);
    }
    /* legend: the ramp */
    float lx = gx + gwid + 24 * sc, ly = gy, lh = ghei < 160 * sc ? ghei : 160 * sc;
    if (lx + 60 * sc < a.x + a.w) {
        for (int i = 0; i < (int)lh; i++) draw_rect(dl, (Rect){lx, ly + i, 16 * sc, 1}, theme_ramp(th, 1 - i / lh));
        draw_rect_line(dl, (Rect){lx, ly, 16 * sc, lh}, th->fg_dim, 1);
        draw_text(dl, lx + 20 * sc, ly - lab / 2, th->fs_small, th->fg, "1");
        draw_text(dl, lx + 20 * sc, ly + lh - lab / 2, th->fs_small, th->fg, "0");
        draw_text(dl, lx + 20 * sc, ly + lh / 2 - lab / 2, th->fs_small, th->fg_dim, TR("weight"));
    }
}
