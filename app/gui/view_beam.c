/* view_beam.c — view 6: the beam search tree. One column per decoder step; every kept
 * hypothesis branches into its candidates; the k best stay (solid boxes), the others are
 * pruned (dashed, faded: outside the k best), blocked ones are dashed in red, struck through
 * and carry a red tag naming the reason — ↻ it would repeat an n-gram (--no-repeat-ngram),
 * ⇥ <eos> before the minimum length (--min-len) — with a legend entry for each reason the
 * trace has; finished ones end in <EOS> (double outline). The final best path is drawn thick
 * in orange; greedy's path in its own colour (purple) with a filled "G" tag; the selected
 * hypothesis (click a node) has a heavy black outline and its path is what views 3-5 show.
 * Shapes, not only colours, tell them apart. Hover: the scores and the reason in words (the
 * repeated n-gram itself, the length reached). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "views.h"

#define MAX_COL_NODES 64

typedef struct Node { const TlHyp *h; float y; } Node;

/* Selection order (= score order); a blocked candidate (rank -1) goes where its score puts it. */
static int cmp_rank(const void *a, const void *b) {
    const TlHyp *x = *(const TlHyp *const *)a, *y = *(const TlHyp *const *)b;
    if (x->rank >= 0 && y->rank >= 0) return x->rank - y->rank;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return (x->rank < 0) - (y->rank < 0);
}

/* Drawn candidates of a step: kept, finished, the next best pruned up to rank kshow, and the
 * blocked ones that score at least as well as the last of those (they would have been there). */
static int shown_nodes(const TraceIndex *ix, int s, int kshow, const TlHyp **out) {
    int n = 0;
    float thr = 1e30f;
    for (int i = 0; i < ix->n_hyps; i++) {
        const TlHyp *h = &ix->hyps[i];
        if (h->step == s && (h->status == TL_KEPT || h->status == TL_FINISHED || (h->rank >= 0 && h->rank < kshow))) {
            if (out) out[n] = h;
            n++;
            if (h->score < thr) thr = h->score;
        }
    }
    /* at most k of them (the best scoring), so that blocking does not flood the column */
    float last = 1e30f;
    int last_i = -1;
    for (int taken = 0; taken < ix->beam_size; taken++) {
        int best = -1;
        for (int i = 0; i < ix->n_hyps; i++) {
            const TlHyp *h = &ix->hyps[i];
            if (h->step != s || h->status != TL_BLOCKED || h->rank >= 0 || h->score < thr) continue;
            if (h->score > last || (h->score == last && i <= last_i)) continue; /* already taken */
            if (best < 0 || h->score > ix->hyps[best].score) best = i;
        }
        if (best < 0) break;
        if (out) out[n] = &ix->hyps[best];
        n++;
        last = ix->hyps[best].score;
        last_i = best;
    }
    return n;
}

static void dashed_rect(DrawList *dl, Rect r, Color c, float t) {
    draw_dashed(dl, r.x, r.y, r.x + r.w, r.y, c, t, 4);
    draw_dashed(dl, r.x, r.y + r.h, r.x + r.w, r.y + r.h, c, t, 4);
    draw_dashed(dl, r.x, r.y, r.x, r.y + r.h, c, t, 4);
    draw_dashed(dl, r.x + r.w, r.y, r.x + r.w, r.y + r.h, c, t, 4);
}

/* Why a candidate is out: the tag drawn on it (none for the top-k cut: a plain dashed box). */
enum { WHY_NONE, WHY_NGRAM, WHY_MINLEN };
#define GLYPH_NGRAM "\xe2\x86\xbb"  /* ↻ it would come round again */
#define GLYPH_MINLEN "\xe2\x87\xa5" /* ⇥ the end comes too early */

static int why_blocked(const TlHyp *h) {
    if (h->status != TL_BLOCKED) return WHY_NONE;
    return h->reason && strstr(h->reason, "minlen") ? WHY_MINLEN : WHY_NGRAM;
}

/* The reason's tag: a small filled box with its glyph (the legend's and the nodes'). */
static void why_tag(DrawList *dl, const Theme *th, Rect g, int why, Color col) {
    draw_rect(dl, g, col);
    draw_text_centered(dl, g.x + g.w / 2, g.y + g.h / 2, th->fs_small + 1, theme_text_on(col), why == WHY_MINLEN ? GLYPH_MINLEN : GLYPH_NGRAM);
}

/* A blocked candidate's box: dashed red, its tag at the right end (the label is struck
 * through where it is drawn). */
static void blocked_box(DrawList *dl, const Theme *th, Rect r, Rect tag, int why, Color col) {
    dashed_rect(dl, r, col, 1.5f);
    why_tag(dl, th, tag, why, col);
}

/* The tag at the right end of a node (or a legend swatch) r: G or a blocking reason. */
static Rect tag_rect(Rect r, float labs) { return (Rect){r.x + r.w - labs - 2, r.y + r.h / 2 - labs / 2, labs, labs}; }

/* The node of the kept hypothesis with this id (NULL: the root, id 0, or not in the tree). */
static const TlHyp *kept_node(const TraceIndex *ix, int id) {
    if (id <= 0) return NULL;
    for (int i = 0; i < ix->n_hyps; i++)
        if (ix->hyps[i].id == id && ix->hyps[i].status == TL_KEPT) return &ix->hyps[i];
    return NULL;
}

/* The last n tokens of h's path, h's own last ("b a"), into out; fewer when the path is
 * shorter. This is the n-gram a blocked_ngram candidate would have repeated. */
static void path_tail(const TraceIndex *ix, const TlHyp *h, int n, char *out, size_t cap) {
    const TlHyp *chain[8];
    int k = 0;
    if (n > 8) n = 8;
    for (const TlHyp *x = h; x && k < n; x = kept_node(ix, x->parent)) chain[k++] = x;
    size_t len = 0;
    out[0] = 0;
    for (int i = k - 1; i >= 0 && len + 1 < cap; i--) {
        int m = snprintf(out + len, cap - len, "%s%.40s", len ? " " : "", vk_tok(chain[i]->token_str));
        if (m < 0) break;
        len += (size_t)m;
    }
}

void view_beam(const ViewCtx *c) {
    const TraceIndex *ix = c->ix;
    const Theme *th = c->th;
    DrawList *dl = c->dl;
    float sc = th->scale;
    const TlPos *q = &ix->pos[c->pos];
    if (!ix->is_beam) {
        vk_title(c, TR("Beam search tree"), TR("greedy decoding keeps a single hypothesis"));
        vk_message(c, c->area, TR("This trace was decoded greedily: one path, no tree. Pick \"beam 3\" or \"beam 5\" in the strategy "
                                  "picker (or render with --beam K) to see the hypotheses that beam search keeps and prunes."));
        return;
    }
    char sub[256];
    snprintf(sub, sizeof sub, TR("k = %d: at each step the k best continuations (by score) survive; score = total log-probability"),
             ix->beam_size);
    float top = vk_title(c, TR("Beam search: hypotheses per step, kept and pruned"), sub);
    Rect a = {c->area.x + 12 * sc, c->area.y + top, c->area.w - 24 * sc, c->area.h - top - 8 * sc};
    float lab = draw_line_height(th->fs), labs = draw_line_height(th->fs_small);

    /* legend: swatch + label items in a row, onto a second row when the labels (a narrow
     * window, longer words) do not fit. A blocking reason gets its entry when the trace has
     * a candidate it blocked. */
    int has_ngram = 0, has_minlen = 0;
    for (int i = 0; i < ix->n_hyps; i++) {
        int why = why_blocked(&ix->hyps[i]);
        has_ngram |= why == WHY_NGRAM;
        has_minlen |= why == WHY_MINLEN;
    }
    int ngram_n = ix->run ? (int)event_get_int(ix->run, "no_repeat_ngram", 0) : 0;
    int min_len = ix->run ? (int)event_get_int(ix->run, "min_len", 0) : 0;
    char lng[160], lml[160];
    if (ngram_n > 0) snprintf(lng, sizeof lng, TR("blocked: would repeat a %d-gram"), ngram_n);
    else snprintf(lng, sizeof lng, "%s", TR("blocked: would repeat an n-gram"));
    if (min_len > 0) snprintf(lml, sizeof lml, TR("blocked: <eos> before length %d"), min_len);
    else snprintf(lml, sizeof lml, "%s", TR("blocked: <eos> before the minimum length"));
    float lgy = a.y, lgx = a.x, right = a.x + a.w;
    const char *lk = TR("kept"), *lp = TR("pruned: outside the k best"), *lf = TR("finished (<EOS>)"), *lbest = TR("best"),
               *lg = TR("greedy's path"), *lsel = TR("selected (R resets)");
#define LEGEND_ITEM(sw, label, fixed_adv)                                                                          \
    float tw_ = draw_text_width(dl, th->fs_small, label);                                                          \
    if (lgx > a.x && lgx + (sw) + 4 + tw_ > right) { lgx = a.x; lgy += labs + 6 * sc; }                             \
    float adv_ = (fixed_adv) > 0 && 4 + tw_ + 6 * sc <= (fixed_adv) - (sw) ? (fixed_adv) : (sw) + 4 + tw_ + 16 * sc
    {
        LEGEND_ITEM(40 * sc, lk, 90 * sc);
        Rect r1 = {lgx, lgy, 40 * sc, labs + 2};
        draw_rect(dl, r1, th->panel);
        draw_rect_line(dl, r1, th->kept, 1.5f * th->line);
        draw_text(dl, r1.x + r1.w + 4, lgy, th->fs_small, th->fg, lk);
        lgx += adv_;
    }
    {
        LEGEND_ITEM(40 * sc, lp, 0);
        Rect r2 = {lgx, lgy, 40 * sc, labs + 2};
        dashed_rect(dl, r2, th->pruned, 1);
        draw_text(dl, r2.x + r2.w + 4, lgy, th->fs_small, th->fg, lp);
        lgx += adv_;
    }
    for (int why = WHY_NGRAM; why <= WHY_MINLEN; why++) {
        if (!(why == WHY_NGRAM ? has_ngram : has_minlen)) continue;
        const char *lb = why == WHY_NGRAM ? lng : lml;
        LEGEND_ITEM(40 * sc, lb, 0);
        Rect r4 = {lgx, lgy, 40 * sc, labs + 2};
        Rect t4 = tag_rect(r4, labs);
        blocked_box(dl, th, r4, t4, why, th->dec);
        draw_line(dl, r4.x + 4, r4.y + r4.h / 2, t4.x - 4, r4.y + r4.h / 2, th->fg_dim, 1.5f); /* a struck-through label */
        draw_text(dl, r4.x + r4.w + 4, lgy, th->fs_small, th->fg, lb);
        lgx += adv_;
    }
    {
        LEGEND_ITEM(40 * sc, lf, 0);
        Rect r3 = {lgx, lgy, 40 * sc, labs + 2};
        draw_rect_line(dl, r3, th->finished, 1.5f * th->line);
        draw_rect_line(dl, rect_inset(r3, 3), th->finished, 1);
        draw_text(dl, r3.x + r3.w + 4, lgy, th->fs_small, th->fg, lf);
        lgx += adv_;
    }
    {
        LEGEND_ITEM(30 * sc, lbest, 0);
        draw_line(dl, lgx, lgy + labs / 2, lgx + 30 * sc, lgy + labs / 2, th->accent, 4 * th->line);
        draw_text(dl, lgx + 34 * sc, lgy, th->fs_small, th->fg, lbest);
        lgx += 34 * sc + tw_ + 16 * sc;
        (void)adv_;
    }
    {
        LEGEND_ITEM(34 * sc + 18, lg, 0);
        draw_line(dl, lgx, lgy + labs / 2, lgx + 30 * sc, lgy + labs / 2, th->neg, 3 * th->line);
        Rect gtag = {lgx + 34 * sc, lgy, 14, labs};
        draw_rect(dl, gtag, th->neg);
        draw_text_centered(dl, gtag.x + 7, gtag.y + labs / 2, th->fs_small - 2, theme_text_on(th->neg), "G");
        draw_text(dl, gtag.x + 18, lgy, th->fs_small, th->fg, lg);
        lgx = gtag.x + 18 + tw_ + 16 * sc;
        (void)adv_;
    }
    if (ix->sel_node >= 0) {
        LEGEND_ITEM(30 * sc, lsel, 0);
        Rect r5 = {lgx, lgy, 30 * sc, labs + 2};
        draw_rect_line(dl, r5, th->fg, 3 * th->line);
        draw_text(dl, r5.x + r5.w + 4, lgy, th->fs_small, th->fg, lsel);
        (void)adv_;
    }
#undef LEGEND_ITEM
    /* the tree starts under the legend's last row */
    a.h -= lgy - a.y;
    a.y = lgy;

    int n_steps = ix->n_steps;
    int cur = q->phase == PH_END ? n_steps - 1 : q->step;
    float colw;
    int first, count;
    vk_strip(n_steps + 1, a.w, 118 * sc, 170 * sc, cur + 1, &colw, &first, &count);
    float gy = a.y + labs + 14 * sc + lab, gh = a.h - (gy - a.y) - labs - 4;
    float node_w = colw - 28 * sc;
    int kshow = 2 * ix->beam_size;

    /* gather visible nodes per column */
    Node *prev = calloc(MAX_COL_NODES, sizeof *prev), *curn = calloc(MAX_COL_NODES, sizeof *curn);
    const TlHyp **tmp = calloc((size_t)(ix->n_hyps ? ix->n_hyps : 1), sizeof *tmp);
    if (!prev || !curn || !tmp) { free(prev); free(curn); free(tmp); return; }
    int nprev = 0;
    char buf[256];
    /* node height from the busiest visible column */
    int maxn = 1;
    for (int col = first; col < first + count; col++) {
        if (col == 0) continue;
        int n = shown_nodes(ix, col - 1, kshow, NULL);
        if (n > maxn) maxn = n;
    }
    float node_h = gh / maxn - 6 * sc;
    if (node_h > 30 * sc) node_h = 30 * sc;
    if (node_h < labs + 2) node_h = labs + 2;
    int fit = (int)(gh / (node_h + 6 * sc));

    /* the nodes of column first-1 are the parents of the first visible column: compute their y too */
    int start_col = first > 0 ? first - 1 : 0;
    for (int col = start_col; col < first + count; col++) {
        float x = a.x + (col - first) * colw + 10 * sc;
        int visible = col >= first;
        int ncur = 0;
        if (col == 0) {
            static TlHyp root;
            root.id = 0; root.parent = -1; root.step = -1; root.token_str = "<start>"; root.status = TL_KEPT; root.on_best = 1;
            root.on_greedy = 1; root.rank = 0;
            curn[0].h = &root;
            curn[0].y = gy + gh / 2 - node_h / 2;
            ncur = 1;
        } else {
            int s = col - 1;
            int n = shown_nodes(ix, s, kshow, tmp);
            qsort(tmp, (size_t)n, sizeof *tmp, cmp_rank);
            int hidden = 0;
            for (int i = 0; i < n; i++) {
                if (ncur >= fit || ncur >= MAX_COL_NODES) { hidden++; continue; }
                curn[ncur].h = tmp[i];
                curn[ncur].y = gy + ncur * (node_h + 6 * sc);
                ncur++;
            }
            int total = 0;
            for (int i = 0; i < ix->n_hyps; i++) total += ix->hyps[i].step == s;
            if (visible) {
                int expanded = tl_shown(ix, c->pos, s, PH_EXPAND);
                snprintf(buf, sizeof buf, TR("step %d"), s + 1);
                draw_text(dl, x, gy - lab - 4 * sc, th->fs, s == cur ? th->accent : th->fg, buf);
                if (expanded && total > ncur) {
                    /* the reason the hidden ones are out: outside the top k, or blocked */
                    int blocked = 0;
                    for (int i = 0; i < ix->n_hyps; i++) blocked += ix->hyps[i].step == s && ix->hyps[i].status == TL_BLOCKED;
                    if (!tl_shown(ix, c->pos, s, PH_CHOSEN)) snprintf(buf, sizeof buf, TR("+%d more candidates"), total - ncur);
                    else if (blocked) snprintf(buf, sizeof buf, TR("+%d (%d blocked)"), total - ncur, blocked);
                    else snprintf(buf, sizeof buf, TR("+%d more pruned"), total - ncur);
                    draw_text_fit(dl, x, gy + gh + 2, th->fs_small, th->fg_dim, buf, colw - 4);
                    if (draw_hot(dl, (Rect){x, gy + gh + 2, colw - 4, labs}))
                        draw_tooltip(dl, "step %d: %d candidates in all; the ones not drawn were pruned (outside the k best by score)%s", s + 1, total,
                                     blocked ? TR("\nor blocked (a repeated n-gram, or <eos> before the minimum length)") : "");
                }
            }
        }
        if (visible) {
            int s = col - 1;
            int expanded = col == 0 || tl_shown(ix, c->pos, s, PH_EXPAND);
            int decided = col == 0 || tl_shown(ix, c->pos, s, PH_CHOSEN);
            if (!expanded) { /* empty column */
                memcpy(prev, curn, sizeof *curn * (size_t)ncur);
                nprev = 0;
                continue;
            }
            /* the expansion animates one alive hypothesis at a time: while the transition into
             * this step's "candidates" position runs, the candidates of the first
             * ceil(anim * alive) parents are drawn */
            int n_alive = 0;
            const int *alive = NULL;
            int grow = col > 0 && s == q->step && q->phase == PH_EXPAND && c->anim < 1 && ix->steps[s].expand;
            if (grow) alive = event_get_ints(ix->steps[s].expand, "alive", &n_alive);
            for (int i = 0; i < ncur; i++) {
                const TlHyp *h = curn[i].h;
                Rect r = {x, curn[i].y, node_w, node_h};
                if (grow && alive && n_alive > 0) {
                    int k = 0;
                    while (k < n_alive && alive[k] != h->parent) k++;
                    if (k >= (int)ceilf(c->anim * n_alive)) continue;
                }
                /* edge from the parent */
                float py = -1;
                int pbest = 0, pgreedy = 0, psel = 0;
                for (int p = 0; p < nprev; p++)
                    if (prev[p].h->id == h->parent && prev[p].h->status == TL_KEPT) {
                        py = prev[p].y + node_h / 2;
                        pbest = prev[p].h->on_best;
                        pgreedy = prev[p].h->on_greedy;
                        psel = prev[p].h->on_sel || (col - 1 == 0 && ix->sel_node >= 0);
                    }
                if (py >= 0 && col > first) {
                    float px = x - colw + node_w;
                    int best_edge = decided && h->on_best && pbest;
                    int greedy_edge = decided && h->on_greedy && pgreedy;
                    int sel_edge = h->on_sel && psel;
                    float ey = r.y + node_h / 2;
                    if (sel_edge) draw_line(dl, px, py, x, ey, th->fg, 7 * th->line);
                    Color ec = best_edge ? th->accent : (decided && h->status != TL_KEPT && h->status != TL_FINISHED) ? th->pruned : th->fg_dim;
                    if (greedy_edge && best_edge) { /* both: orange with a purple core */
                        draw_line(dl, px, py, x, ey, th->accent, 5 * th->line);
                        draw_line(dl, px, py, x, ey, th->neg, 1.5f * th->line);
                    } else if (greedy_edge) draw_line(dl, px, py, x, ey, th->neg, 3 * th->line);
                    else if (decided && h->status != TL_KEPT && h->status != TL_FINISHED) draw_dashed(dl, px, py, x, ey, ec, 1, 3);
                    else draw_line(dl, px, py, x, ey, ec, best_edge ? 4 * th->line : th->line);
                }
                Color tc = th->fg;
                int why = decided ? why_blocked(h) : WHY_NONE;
                int tagged = (h->on_greedy && col > 0 && decided) || why; /* a tag at the right end: G or the reason */
                Rect tag = tag_rect(r, labs);
                if (!decided) {
                    draw_rect(dl, r, th->bg);
                    draw_rect_line(dl, r, th->fg_dim, 1);
                } else if (h->status == TL_KEPT) {
                    draw_rect(dl, r, th->panel);
                    draw_rect_line(dl, r, h->on_best ? th->accent : th->kept, h->on_best ? 3 * th->line : 1.5f * th->line);
                } else if (h->status == TL_FINISHED) {
                    draw_rect(dl, r, th->panel);
                    draw_rect_line(dl, r, h->on_best ? th->accent : th->finished, h->on_best ? 3 * th->line : 1.5f * th->line);
                    draw_rect_line(dl, rect_inset(r, h->on_best ? 4 * th->line : 3), th->finished, 1);
                } else {
                    /* just decided: the pruned ones fade out (anim 0 -> 1), the blocked ones
                     * turn red and show their reason */
                    float fade = s == q->step && q->phase == PH_CHOSEN ? c->anim : 1;
                    if (why) {
                        blocked_box(dl, th, r, tag, why, color_mix(th->fg, th->dec, fade));
                        tc = color_mix(th->fg, th->fg_dim, fade);
                    } else {
                        Color pc = color_mix(th->fg, th->pruned, fade);
                        dashed_rect(dl, r, pc, 1);
                        tc = pc;
                    }
                }
                if (h->on_sel && col > 0 && (ix->hyps + ix->sel_node) == h) draw_rect_line(dl, rect_inset(r, -3), th->fg, 3 * th->line);
                else if (h->on_sel && col > 0) draw_rect_line(dl, rect_inset(r, -2), th->fg, 1.5f * th->line);
                if (col == 0) snprintf(buf, sizeof buf, "<start>");
                else {
                    /* "token score": 2 decimals, 1 when that does not fit, "≈0" for a sure path */
                    float avail = node_w - (tagged ? tag.w + 8 : 8);
                    if (h->score > -0.005f) snprintf(buf, sizeof buf, "%s  \xe2\x89\x88" "0", vk_tok(h->token_str));
                    else {
                        snprintf(buf, sizeof buf, "%s  %.2f", vk_tok(h->token_str), h->score);
                        if (draw_text_width(dl, th->fs_small, buf) > avail) snprintf(buf, sizeof buf, "%s %.1f", vk_tok(h->token_str), h->score);
                    }
                }
                float tw = draw_text_fit(dl, r.x + 4, r.y + node_h / 2 - labs / 2, th->fs_small, tc, buf, node_w - (tagged ? tag.w + 8 : 8));
                if (why) draw_line(dl, r.x + 2, r.y + node_h / 2, r.x + 6 + tw, r.y + node_h / 2, tc, 1.5f); /* struck through */
                if (h->on_greedy && col > 0 && decided) {
                    draw_rect(dl, tag, th->neg);
                    draw_text_centered(dl, tag.x + tag.w / 2, tag.y + labs / 2, th->fs_small - 2, theme_text_on(th->neg), "G");
                }
                if (draw_hot(dl, r) && col > 0) {
                    char whyb[320] = "";
                    const char *what = whyb;
                    if (!decided) what = TR("candidate (selection not shown yet)");
                    else if (h->status == TL_KEPT) what = TR("kept: among the k best");
                    else if (h->status == TL_FINISHED) what = TR("finished: ended with <EOS>");
                    else if (why == WHY_MINLEN && min_len > 0)
                        snprintf(whyb, sizeof whyb, TR("blocked: <eos> after only %d tokens, before the minimum length %d (--min-len)"), h->step,
                                 min_len);
                    else if (why == WHY_MINLEN) what = TR("blocked: <eos> before the minimum length");
                    else if (why == WHY_NGRAM && ngram_n > 0) {
                        char gram[200];
                        path_tail(ix, h, ngram_n, gram, sizeof gram);
                        snprintf(whyb, sizeof whyb, TR("blocked: \"%.200s\" would occur twice in this hypothesis (--no-repeat-ngram %d)"), gram,
                                 ngram_n);
                    } else if (why == WHY_NGRAM) what = TR("blocked: it would repeat an n-gram (--no-repeat-ngram)");
                    else if (h->rank >= 0)
                        snprintf(whyb, sizeof whyb, TR("pruned: ranked %d by score, outside the k = %d best"), h->rank + 1, ix->beam_size);
                    else what = TR("pruned: not among the k best");
                    draw_tooltip(dl, "\"%s\" after hypothesis %d (step %d)\ntoken log-prob %.4f, total log-prob %.4f, score %.4f\n%s%s%s%s%s\n"
                                     "click: select it (views 3\xe2\x80\x93" "5 follow its path); then F: what-if, force it",
                                 h->token_str, h->parent, h->step + 1, h->token_logprob, h->cum_logprob, h->score, what,
                                 decided && h->reason && *h->reason ? " (" : "", decided && h->reason ? h->reason : "",
                                 decided && h->reason && *h->reason ? ")" : "", h->on_greedy ? TR("\non greedy's path") : "");
                    if (c->pick) *c->pick = (ViewPick){PICK_NODE, h->step, h->token, (int)(h - ix->hyps), 0};
                }
            }
        }
        memcpy(prev, curn, sizeof *curn * (size_t)ncur);
        nprev = ncur;
    }
    vk_more(c, a.x, a.y + a.h - labs, first, 0);
    vk_more(c, a.x + a.w, a.y + a.h - labs, n_steps + 1 - first - count, 1);
    free(prev);
    free(curn);
    free(tmp);
}
