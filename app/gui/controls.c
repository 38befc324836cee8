/* controls.c — the beam-search controls strip above views 6 and 7: k, n-best, length
 * penalty (none / avg / GNMT) and α, coverage β, minimum and maximum length, n-gram
 * blocking, and the what-if / selection actions. Each change asks the app to re-decode
 * (ACT_RUN); nothing here computes. */
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "controls.h"
#include "widgets.h"

static float ctl_xmax; /* right end of the strip, for the current frame */

/* "name − value +": returns -1, 0 or +1 for the button pressed (0 when there is no room). */
static int stepper(DrawList *dl, const Theme *th, const UiInput *in, float *x, float y, float h, const char *name, const char *value,
                   const char *tip) {
    float sc = th->scale;
    float nw = draw_text_width(dl, th->fs_small, name);
    float need = nw + 4 * sc + 2 * h + 40 * sc + 16 * sc;
    if (*x + need > ctl_xmax) { /* no room left: say so once instead of clipping */
        if (*x < ctl_xmax + 1) draw_text(dl, *x, y + h / 2 - draw_line_height(th->fs_small) / 2, th->fs_small, th->fg_dim, "\xe2\x80\xa6");
        *x = ctl_xmax + 2;
        return 0;
    }
    draw_text(dl, *x, y + h / 2 - draw_line_height(th->fs_small) / 2, th->fs_small, th->fg_dim, name);
    *x += nw + 4 * sc;
    Rect minus = {*x, y, h, h};
    int d = 0;
    if (ui_button(dl, th, in, minus, "\xe2\x88\x92", 0)) d = -1;
    *x += h + 2;
    float vw = draw_text_width(dl, th->fs, value);
    if (vw < 28 * sc) vw = 28 * sc;
    Rect val = {*x, y, vw + 8, h};
    draw_text_centered(dl, val.x + val.w / 2, val.y + h / 2, th->fs, th->fg, value);
    if (draw_hot(dl, (Rect){minus.x - nw - 4 * sc, y, nw + 4 * sc + h * 2 + vw + 12, h})) draw_tooltip(dl, "%s", tip);
    *x += val.w + 2;
    Rect plus = {*x, y, h, h};
    if (ui_button(dl, th, in, plus, "+", 0)) d = 1;
    *x += h + 12 * sc;
    return d;
}

float gui_controls_height(const GuiState *g, const Theme *th) {
    if (!g->have_ix || (g->view != VIEW_BEAM && g->view != VIEW_COMPARE)) return 0;
    return 34 * th->scale;
}

void gui_controls(GuiState *g, DrawList *dl, const Theme *th, const UiInput *in, Rect r) {
    float sc = th->scale;
    draw_rect(dl, r, th->panel);
    draw_rect(dl, (Rect){r.x, r.y + r.h - 1, r.w, 1}, th->panel_edge);
    float h = r.h - 10 * sc, y = r.y + 5 * sc, x = r.x + 10 * sc;
    ctl_xmax = r.x + r.w - 10 * sc - ((g->have_whatif || g->ix.sel_node >= 0) ? 330 * sc : 0);
    char v[64];
    int run = 0;
    int narrow = r.w < 1240 * sc; /* short labels */
    if (!g->model) {
        draw_text_fit(dl, x, y + h / 2 - draw_line_height(th->fs_small) / 2, th->fs_small, th->fg_dim,
                      TR("replaying a saved trace: the beam controls and what-if need a model (attnstep --model FILE)"), r.w - 20 * sc);
        return;
    }
    int k = g->beam > 0 ? g->beam : g->cmp_beam;
    snprintf(v, sizeof v, "%d", k);
    int d = stepper(dl, th, in, &x, y, h, narrow ? "k" : TR("beam k"), v, TR("beam width k: hypotheses kept per step (1..64)"));
    if (d) {
        int nk = k + d;
        if (nk >= 1 && nk <= DECODE_MAX_BEAM) {
            if (g->beam > 0) g->beam = nk;
            else g->cmp_beam = nk;
            run = 1;
        }
    }
    snprintf(v, sizeof v, "%d", g->nbest > k ? k : g->nbest);
    d = stepper(dl, th, in, &x, y, h, narrow ? "n" : TR("n-best"), v, TR("hypotheses returned, best first (1..k)"));
    if (d && g->nbest + d >= 1 && g->nbest + d <= k) { g->nbest += d; run = 1; }
    static const char *lp[] = {N_("none"), "avg", "GNMT"};
    const char *lpl = narrow ? TR("len. pen.") : TR("length penalty");
    float lw = draw_text_width(dl, th->fs_small, lpl);
    draw_text(dl, x, y + h / 2 - draw_line_height(th->fs_small) / 2, th->fs_small, th->fg_dim, lpl);
    x += lw + 4 * sc;
    snprintf(v, sizeof v, "%s", TR(lp[g->lenpen % 3]));
    float bw = draw_text_width(dl, th->fs, "GNMT") + 16 * sc;
    Rect lpb = {x, y, bw, h};
    if (ui_button(dl, th, in, lpb, v, g->lenpen != LENPEN_NONE)) { g->lenpen = (g->lenpen + 1) % 3; run = 1; }
    if (draw_hot(dl, lpb)) draw_tooltip(dl, "length penalty (click to cycle): none = total log-prob; avg = log-prob / len^\xce\xb1; "
                                            "GNMT = log-prob / ((5+len)/6)^\xce\xb1");
    x += bw + 8 * sc;
    if (g->lenpen != LENPEN_NONE) {
        snprintf(v, sizeof v, "%.1f", g->alpha);
        d = stepper(dl, th, in, &x, y, h, "\xce\xb1", v, TR("length penalty exponent \xce\xb1 (0..2 here, step 0.1)"));
        if (d) { float na = g->alpha + 0.1f * d; if (na >= -1e-4f && na <= 2.0001f) { g->alpha = na < 0 ? 0 : na; run = 1; } }
    }
    snprintf(v, sizeof v, "%.1f", g->coverage);
    d = stepper(dl, th, in, &x, y, h, narrow ? "\xce\xb2" : TR("coverage \xce\xb2"), v, TR("GNMT coverage penalty \xce\xb2: rewards hypotheses whose attention covered every source word (0: off)"));
    if (d) { float nb = g->coverage + 0.1f * d; if (nb >= -1e-4f && nb <= 2.0001f) { g->coverage = nb < 0 ? 0 : nb; run = 1; } }
    snprintf(v, sizeof v, "%d", g->min_len);
    d = stepper(dl, th, in, &x, y, h, narrow ? TR("min") : TR("min len"), v, TR("<eos> is blocked until this many tokens were output (0: off)"));
    if (d && g->min_len + d >= 0 && g->min_len + d <= 200) { g->min_len += d; run = 1; }
    if (g->max_len) snprintf(v, sizeof v, "%d", g->max_len);
    else snprintf(v, sizeof v, "%s", TR("auto"));
    d = stepper(dl, th, in, &x, y, h, narrow ? TR("max") : TR("max len"), v, TR("at most this many decoder steps, <eos> included (auto: the model's cap)"));
    if (d) {
        int nm = g->max_len + d;
        if (g->max_len == 0 && d > 0) nm = 0;
        if (g->max_len == 0 && d < 0) nm = 40;
        if (nm >= 0 && nm <= 1000) { g->max_len = nm; run = 1; }
    }
    if (g->no_repeat) snprintf(v, sizeof v, "%d", g->no_repeat);
    else snprintf(v, sizeof v, "%s", TR("off"));
    d = stepper(dl, th, in, &x, y, h, narrow ? TR("no-rep.") : TR("no-repeat n-gram"), v, TR("never repeat an n-gram of this size (beam; off: 0)"));
    if (d && g->no_repeat + d >= 0 && g->no_repeat + d <= 16) { g->no_repeat += d; run = 1; }
    /* what-if and selection */
    if (g->have_whatif || g->ix.sel_node >= 0) {
        const char *lab = g->have_whatif ? TR("Reset what-if") : TR("Reset selection");
        float rw = draw_text_width(dl, th->fs, lab) + 16 * sc;
        Rect rb = {r.x + r.w - rw - 10 * sc, y, rw, h};
        if (rb.x > x && ui_button(dl, th, in, rb, lab, 1)) {
            Status st = {{0}};
            if (g->have_whatif) gui_whatif_reset(g);
            else gui_select_node(g, -1, &st);
        }
        if (draw_hot(dl, rb)) draw_tooltip(dl, "back to the model's own choice (key R)");
        if (!g->have_whatif && g->ix.sel_node >= 0) {
            const char *fl = TR("What-if: force this");
            float fw = draw_text_width(dl, th->fs, fl) + 16 * sc;
            Rect fb = {rb.x - fw - 8 * sc, y, fw, h};
            if (fb.x > x && ui_button(dl, th, in, fb, fl, 0)) {
                const TlHyp *hh = &g->ix.hyps[g->ix.sel_node];
                Status st = {{0}};
                if (gui_whatif(g, hh->step, hh->token, &st)) {
                    snprintf(g->message, sizeof g->message, "%.500s", st.message);
                    g->message_error = 1;
                }
            }
            if (draw_hot(dl, fb)) draw_tooltip(dl, "decode again with the selected hypothesis's tokens forced, then let the model continue (key F)");
        }
    }
    if (run) {
        gui_whatif_reset(g);
        g->action = ACT_RUN;
    }
}
