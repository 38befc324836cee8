/* view_unrolled.c — view 2: the same cell moved over the source; every h is kept. */
#include <stdio.h>

#include "i18n.h"
#include "views.h"

void view_unrolled(const ViewCtx *c) {
    const TraceIndex *ix = c->ix;
    const Theme *th = c->th;
    DrawList *dl = c->dl;
    float sc = th->scale;
    const TlPos *q = &ix->pos[c->pos];
    int cur = q->phase == PH_ENC ? tl_enc_pos(ix, q->enc) : q->phase == PH_START ? -1 : ix->S;
    int cur_l = q->phase == PH_ENC ? (int)event_get_int(ix->enc[q->enc], "layer", 0) : -1;
    int cur_d = q->phase == PH_ENC ? (int)event_get_int(ix->enc[q->enc], "dir", 0) : -1;
    char sub[200];
    snprintf(sub, sizeof sub, TR("%s encoder over %d source tokens; every h is kept for attention%s"), ix->cell, ix->S,
             ix->enc_dirs > 1 ? TR(" (forward row \xe2\x86\x92, backward row \xe2\x86\x90)") : "");
    float top = vk_title(c, TR("The RNN moves the cell over the input: h_t = f(x_t, h_t\xe2\x88\x92\x31)"), sub);
    Rect a = {c->area.x + 16 * sc, c->area.y + top, c->area.w - 32 * sc, c->area.h - top - 8 * sc};

    float cell, lab = draw_line_height(th->fs) + 2;
    int first, count;
    int focus = cur < 0 ? 0 : cur >= ix->S ? ix->S - 1 : cur;
    vk_strip(ix->S, a.w - 20 * sc, 34 * sc, 140 * sc, focus, &cell, &first, &count);
    float x0 = a.x + (a.w - cell * count) / 2;
    int rows = ix->enc_layers * ix->enc_dirs;
    float tok_h = lab + 6 * sc;
    float row_h = (a.h - tok_h - lab) / rows;
    float box_h = 34 * sc;
    if (box_h > row_h * 0.4f) box_h = row_h * 0.4f;
    float gap = cell * 0.22f;
    if (gap > 26 * sc) gap = 26 * sc;
    float bw = cell - gap;
    char what[160];

    for (int l = 0; l < ix->enc_layers; l++)
        for (int d = 0; d < ix->enc_dirs; d++) {
            int r = (ix->enc_layers - 1 - l) * ix->enc_dirs + (ix->enc_dirs - 1 - d); /* top row: top layer */
            float ry = a.y + lab + r * row_h;
            float col_bot = ry + row_h - box_h - 18 * sc;
            float col_top = ry + 4 * sc;
            if (col_bot - col_top > 260 * sc) col_top = col_bot - 260 * sc; /* a column, not a wall */
            float by = ry + row_h - box_h - 8 * sc;
            for (int k = 0; k < count; k++) {
                int pos = first + k;
                const Event *e = ix->enc_at[(l * ix->enc_dirs + d) * ix->S + pos];
                int idx = -1;
                for (int i = 0; i < ix->n_enc; i++)
                    if (ix->enc[i] == e) { idx = i; break; }
                int shown = e && idx >= 0 && tl_enc_shown(ix, c->pos, idx);
                int is_cur = q->phase == PH_ENC && pos == cur && l == cur_l && d == cur_d;
                float x = x0 + k * cell + gap / 2;
                Rect box = {x, by, bw, box_h};
                Color fill = shown ? th->enc_fill : th->bg;
                Color edge = shown ? th->enc : th->grid;
                vk_box(c, box, fill, is_cur ? th->accent : edge, is_cur ? 3 * th->line : th->line, ix->cell, th->fs_small,
                       shown ? th->enc : th->fg_dim);
                if (draw_hot(dl, box) && e)
                    draw_tooltip(dl, TR("encoder cell at position %d (\"%s\")%s"), pos + 1, event_get_str(e, "token"),
                                 shown ? "" : TR("\nnot run yet"));
                /* recurrence arrow to the next cell in this direction */
                if (k + 1 < count || (first + count < ix->S && k + 1 == count)) {
                    float ay = by + box_h / 2;
                    if (d == 0 && k + 1 < count)
                        draw_arrow(dl, x + bw + 1, ay, x + cell - 1, ay, shown ? th->enc : th->grid, th->line * 1.5f, 8 * sc);
                }
                if (d == 1 && k > 0)
                    draw_arrow(dl, x - 1, by + box_h / 2, x - gap + 1, by + box_h / 2, shown ? th->enc : th->grid, th->line * 1.5f,
                               8 * sc);
                /* the kept h, as a column above the cell */
                float cw = bw * 0.45f;
                if (cw > 26 * sc) cw = 26 * sc;
                if (cw < 8) cw = 8;
                Rect col = {x + bw / 2 - cw / 2, col_top + lab, cw, col_bot - col_top - lab};
                if (shown) {
                    int nh = 0;
                    const float *h = event_get_floats(e, "h", &nh);
                    snprintf(what, sizeof what, TR("h%d (after \"%s\"%s)"), pos + 1, event_get_str(e, "token"),
                             ix->enc_dirs > 1 ? (d ? TR(", backward") : TR(", forward")) : "");
                    vk_vector(c, col, h, nh, 1.0f, 1, what);
                    if (l == ix->enc_layers - 1) draw_mark(dl, MARK_ENC, pos + 1, 0, col); /* h_j: the top layer (both directions) */
                    draw_arrow(dl, x + bw / 2, by - 1, x + bw / 2, col.y + col.h + 2, th->enc, th->line, 7 * sc);
                    char hl[16];
                    snprintf(hl, sizeof hl, "h%d", pos + 1);
                    draw_text_centered(dl, x + bw / 2, col_top + lab / 2, th->fs_small, is_cur ? th->accent : th->fg, hl);
                } else {
                    draw_rect_line(dl, col, th->grid, 1);
                }
            }
            if (ix->enc_layers > 1 || ix->enc_dirs > 1) {
                char rl[64];
                snprintf(rl, sizeof rl, TR("layer %d %s"), l + 1, d ? "\xe2\x86\x90" : "\xe2\x86\x92");
                draw_text(dl, a.x, by + box_h / 2 - lab / 2, th->fs_small, th->fg_dim, rl);
            }
        }
    /* tokens along the bottom */
    float ty = a.y + a.h - tok_h + 4 * sc;
    for (int k = 0; k < count; k++) {
        int pos = first + k;
        float cx = x0 + k * cell + cell / 2;
        int is_cur = pos == cur;
        Rect tr = {x0 + k * cell + gap / 2, ty, bw, lab};
        if (is_cur) draw_rect(dl, tr, th->accent_fill);
        draw_text_fit(dl, cx - draw_text_width(dl, th->fs, vk_tok(ix->src_tokens[pos])) / 2 > tr.x ? cx - draw_text_width(dl, th->fs, vk_tok(ix->src_tokens[pos])) / 2 : tr.x,
                      ty, th->fs, th->fg, vk_tok(ix->src_tokens[pos]), bw);
        if (draw_hot(dl, tr)) draw_tooltip(dl, "source token %d: \"%s\"", pos + 1, vk_tok(ix->src_tokens[pos]));
    }
    vk_more(c, a.x, ty, first, 0);
    vk_more(c, a.x + a.w, ty, ix->S - first - count, 1);
}
