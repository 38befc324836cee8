/* view_training.c — view 9: watch attention being learned (live_train.h).
 *
 * Layout: a controls row (task, architecture, Play/Pause, Step, Reset, learning rate,
 * slow motion, Save, Open in stepper, the run's status), then the training loss curve and
 * the dev accuracy curves on the left, the example's attention heatmap at the shown
 * snapshot on the right (gold links outlined, its entropy, sharpness and the greedy output
 * then), and along the bottom the strip of snapshots (a small heatmap each) to scrub back.
 * The drawing reads only what the controller published (under its lock) and computes no
 * numerics; the buttons queue commands for the controller's worker. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <SDL2/SDL_keycode.h>

#include "i18n.h"
#include "gui.h"
#include "live_train.h"
#include "widgets.h"

static const float LRS[] = {0.0001f, 0.0003f, 0.001f, 0.003f, 0.01f, 0.03f};
#define N_LRS 6
#define SLOW_PACE 20.0f

/* ------------------------------------------------------------------------ */
/* Controller lifetime                                                       */
/* ------------------------------------------------------------------------ */

static LiveUi *ui_get(GuiState *g) {
    if (!g->live) {
        g->live = calloc(1, sizeof(LiveUi));
        if (g->live) {
            g->live->sel = -1;
            g->live->open_after_save = -1;
            g->live->arch = LIVE_ARCH_DOT;
            g->live->threaded = 1; /* the window; render and tests open a synchronous one first */
        }
    }
    return g->live;
}

int gui_training_open(GuiState *g, const LiveConfig *cfg, int threaded, Status *st) {
    LiveUi *u = ui_get(g);
    if (!u) return status_fail(st, "out of memory");
    live_train_free(u->lt);
    u->lt = NULL;
    u->task = cfg->task;
    u->arch = cfg->arch;
    u->sel = -1;
    u->menu = 0;
    u->open_after_save = -1;
    u->threaded = threaded;
    u->lt = live_train_new(cfg, st);
    if (u->lt && threaded && live_train_start(u->lt, st)) { live_train_free(u->lt); u->lt = NULL; }
    if (!u->lt) {
        snprintf(u->message, sizeof u->message, TR("cannot start training: %.500s"), st->message);
        u->message_error = 1;
        return -1;
    }
    if (u->slow) live_train_set_pace(u->lt, SLOW_PACE);
    snprintf(u->message, sizeof u->message, TR("%s, %s: %ld parameters, %d training / %d dev examples"), TR(live_task_name(cfg->task)),
             TR(live_arch_label(cfg->arch)), u->lt->param_count, u->lt->n_train, u->lt->n_dev);
    u->message_error = 0;
    return 0;
}

void gui_training_free(GuiState *g) {
    if (!g || !g->live) return;
    live_train_free(g->live->lt);
    free(g->live);
    g->live = NULL;
}

static void reopen(GuiState *g, LiveTask task, LiveArch arch) {
    LiveConfig c;
    live_config_default(&c, task);
    c.arch = arch;
    Status st = {{0}};
    gui_training_open(g, &c, g->live ? g->live->threaded : 1, &st);
}

int gui_training_active(const GuiState *g) {
    if (!g->live || !g->live->lt) return 0;
    LiveTrain *lt = g->live->lt;
    live_train_lock(lt);
    int a = lt->playing || lt->step_req > 0 || lt->n_cmds > 0 || lt->busy;
    live_train_unlock(lt);
    return a || g->live->open_after_save >= 0;
}

static void save_path(const LiveUi *u, char *buf, size_t n) {
    snprintf(buf, n, "attnstep-live-%s-%s.safetensors", live_task_name(u->task), live_arch_name(u->arch));
}

static void do_save(GuiState *g, int open) {
    LiveUi *u = g->live;
    if (!u || !u->lt) return;
    char path[256];
    save_path(u, path, sizeof path);
    live_train_lock(u->lt);
    long before = u->lt->saved_count;
    live_train_unlock(u->lt);
    live_train_save(u->lt, path);
    if (open) u->open_after_save = before + 1;
}

void gui_training_poll(GuiState *g) {
    LiveUi *u = g->live;
    if (!u || !u->lt || u->open_after_save < 0) return;
    LiveTrain *lt = u->lt;
    live_train_lock(lt);
    long saved = lt->saved_count, done = lt->done_cmds;
    int pending = lt->n_cmds > 0 || lt->busy;
    char path[1024];
    snprintf(path, sizeof path, "%s", lt->saved_path);
    char example[LIVE_EXAMPLE_MAX];
    snprintf(example, sizeof example, "%s", lt->ex_src_text);
    live_train_unlock(lt);
    (void)done;
    if (saved < u->open_after_save) {
        if (!pending) u->open_after_save = -1; /* the save failed: its message shows */
        return;
    }
    u->open_after_save = -1;
    Status st = {{0}};
    if (gui_load_model(g, path, &st)) {
        snprintf(u->message, sizeof u->message, TR("cannot open %.300s: %.280s"), path, st.message);
        u->message_error = 1;
        return;
    }
    int listed = 0;
    for (int i = 0; i < g->n_models; i++) listed |= !strcmp(g->models[i], path);
    if (!listed && g->n_models < GUI_MAX_MODELS) snprintf(g->models[g->n_models++], sizeof g->models[0], "%s", path);
    snprintf(g->input, sizeof g->input, "%s", example);
    if (gui_run_model(g, &st)) {
        snprintf(g->message, sizeof g->message, "%.500s", st.message);
        g->message_error = 1;
    } else {
        snprintf(g->message, sizeof g->message, TR("opened %.300s (the model being trained, as saved)"), path);
        g->message_error = 0;
    }
    g->view = VIEW_HEATMAP;
}

/* ------------------------------------------------------------------------ */
/* Drawing (pure: reads the published snapshots)                             */
/* ------------------------------------------------------------------------ */

static float fmaxf_(float a, float b) { return a > b ? a : b; }

/* A line chart of (xs, ys) in r: x from 0 to x_max, y from 0 to y_max. */
static void chart_frame(DrawList *dl, const Theme *th, Rect r, const char *title, float y_max, long x_max, const char *y_fmt) {
    float lab = draw_line_height(th->fs_small);
    draw_text_fit(dl, r.x, r.y, th->fs, th->fg, title, r.w);
    Rect p = {r.x + 44 * th->scale, r.y + lab + 8 * th->scale, r.w - 52 * th->scale, r.h - 2 * lab - 14 * th->scale};
    draw_rect(dl, p, th->bg);
    for (int k = 0; k <= 4; k++) {
        float y = p.y + p.h - p.h * k / 4.0f;
        draw_line(dl, p.x, y, p.x + p.w, y, th->grid, 1);
        char b[32];
        snprintf(b, sizeof b, y_fmt, y_max * k / 4.0f);
        draw_text(dl, p.x - 6 * th->scale - draw_text_width(dl, th->fs_small, b), y - lab / 2, th->fs_small, th->fg_dim, b);
    }
    draw_rect_line(dl, p, th->panel_edge, 1);
    char b[64];
    snprintf(b, sizeof b, TR("step %ld"), x_max);
    draw_text(dl, p.x + p.w - draw_text_width(dl, th->fs_small, b), p.y + p.h + 2, th->fs_small, th->fg_dim, b);
    draw_text(dl, p.x, p.y + p.h + 2, th->fs_small, th->fg_dim, "0");
}

static Rect chart_plot(const Theme *th, Rect r) {
    float lab = draw_line_height(th->fs_small);
    return (Rect){r.x + 44 * th->scale, r.y + lab + 8 * th->scale, r.w - 52 * th->scale, r.h - 2 * lab - 14 * th->scale};
}

/* A segment as one filled column per pixel (filled rects are cheap on the software
 * renderer; slanted thick lines are triangles, about 40 times slower). */
static void seg(DrawList *dl, float x0, float y0, float x1, float y1, Color c, float thick) {
    int n = (int)ceilf(x1 - x0);
    if (n < 1) n = 1;
    for (int k = 0; k < n; k++) {
        float ya = y0 + (y1 - y0) * k / n, yb = y0 + (y1 - y0) * (k + 1) / n;
        float lo = ya < yb ? ya : yb, hi = ya < yb ? yb : ya;
        draw_rect(dl, (Rect){floorf(x0 + k), lo - thick / 2, 1, hi - lo + thick}, c);
    }
}

static void polyline(DrawList *dl, Rect p, const long *xs, const float *ys, int n, long x_max, float y_max, Color c, float thick) {
    float px = 0, py = 0;
    int have = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(ys[i])) { have = 0; continue; }
        float v = ys[i] > y_max ? y_max : ys[i] < 0 ? 0 : ys[i];
        float x = p.x + p.w * (float)xs[i] / (float)(x_max > 0 ? x_max : 1);
        float y = p.y + p.h - p.h * v / (y_max > 0 ? y_max : 1);
        if (have && x - px < 1 && i + 1 < n && isfinite(ys[i + 1])) continue; /* several points per pixel column: skip to the next column */
        if (have) seg(dl, px, py, x, y, c, thick);
        else if (n == 1) draw_rect(dl, (Rect){x - 2, y - 2, 4, 4}, c);
        px = x;
        py = y;
        have = 1;
    }
}

/* The attention matrix of snapshot s in r (cells square, labels outside); returns the cell size. */
static float heatmap(const ViewCtx *c, const LiveTrain *lt, const LiveSnap *s, Rect r, int labels) {
    const Theme *th = c->th;
    DrawList *dl = c->dl;
    int S = s->S, T = s->T;
    float lab = labels ? draw_line_height(th->fs) : 0;
    float tgt_w = 0;
    if (labels)
        for (int t = 0; t < T; t++) tgt_w = fmaxf_(tgt_w, draw_text_width(dl, th->fs, vk_tok(lt->ex_tgt[t])));
    tgt_w = labels ? tgt_w + 10 * th->scale : 0;
    /* source labels: one line when they fit their cells, else staggered on two (the
     * final <eos> is written small and may run past its cell on the right) */
    float src_h = labels ? lab + 6 : 0;
    float margin = labels ? 30 * th->scale : 0;
    float cs = fminf((r.w - tgt_w - margin) / S, (r.h - src_h) / T);
    int stagger = 0;
    if (labels) {
        for (int j = 0; j + 1 < S; j++)
            if (draw_text_width(dl, th->fs, vk_tok(lt->ex_src[j])) > cs - 2) stagger = 1;
        if (stagger) { src_h += lab; cs = fminf((r.w - tgt_w - margin) / S, (r.h - src_h) / T); }
    }
    if (cs > 44 * th->scale) cs = 44 * th->scale;
    if (cs < 1) return 0;
    float gx = r.x + tgt_w, gy = r.y + src_h;
    if (labels) {
        for (int j = 0; j < S; j++) {
            const char *tk = vk_tok(lt->ex_src[j]);
            int last = j == S - 1;
            int size = last ? th->fs_small : th->fs;
            float w = draw_text_width(dl, size, tk), cx = gx + j * cs + cs / 2;
            float y = gy - lab - 4 - (stagger && (j % 2) ? lab : 0);
            if (last) draw_text(dl, w < cs ? cx - w / 2 : gx + j * cs, gy - draw_line_height(size) - 4, size, th->fg_dim, tk);
            else draw_text_fit(dl, w < 2 * cs ? cx - w / 2 : gx + j * cs, y, size, th->fg, tk, 2 * cs);
        }
        /* row labels: smaller type, then every k-th row, when the cells are short */
        int size = cs >= 0.9f * lab ? th->fs : th->fs_small;
        float lh = draw_line_height(size);
        int every = cs >= 0.8f * lh ? 1 : (int)ceilf(0.8f * lh / cs);
        for (int t = 0; t < T; t++) {
            if (t % every && t != T - 1) continue;
            const char *tk = vk_tok(lt->ex_tgt[t]);
            float w = draw_text_width(dl, size, tk);
            draw_text(dl, gx - 6 * th->scale - w, gy + t * cs + cs / 2 - lh / 2, size, th->fg, tk);
        }
    }
    char b[64];
    for (int t = 0; t < T; t++)
        for (int j = 0; j < S; j++) {
            float x0 = floorf(gx + j * cs), y0 = floorf(gy + t * cs);
            Rect cell = {x0, y0, floorf(gx + (j + 1) * cs) - x0, floorf(gy + (t + 1) * cs) - y0};
            float w = s->attn ? s->attn[(size_t)t * S + j] : 0;
            Color col = theme_ramp(th, w);
            draw_rect(dl, cell, col);
            if (labels && lt->ex_gold[t][j] == 2 && t < T - 1) /* the gold (sure) link: a small corner mark */
                draw_rect_line(dl, rect_inset(cell, cs > 14 ? 2 : 1), th->accent, cs > 20 ? 2 : 1);
            if (labels && cs >= 34 * th->scale && w >= 0.005f) {
                snprintf(b, sizeof b, "%.2f", w);
                draw_text_centered(dl, cell.x + cs / 2, cell.y + cs / 2, th->fs_small, theme_text_on(col), b);
            }
            if (labels && draw_hot(dl, cell))
                draw_tooltip(dl, "step %ld: while producing \"%.40s\" (teacher-forced) the decoder gave \"%.40s\" weight %.4f%s", s->step,
                             vk_tok(lt->ex_tgt[t]), vk_tok(lt->ex_src[j]), w,
                             lt->ex_gold[t][j] == 2 ? TR("\n(orange outline: the gold alignment)") : lt->ex_gold[t][j] ? TR("\n(a possible gold link)") : "");
        }
    draw_rect_line(dl, (Rect){gx - 1, gy - 1, cs * S + 2, cs * T + 2}, th->panel_edge, 1);
    return cs;
}

static void view_training_draw(const ViewCtx *c, const LiveTrain *lt, int sel, int *hover_snap) {
    const Theme *th = c->th;
    DrawList *dl = c->dl;
    float sc = th->scale;
    Rect a = c->area;
    if (lt->n_snaps == 0) { vk_message(c, a, TR("No snapshot yet.")); return; }
    int si = sel >= 0 && sel < lt->n_snaps ? sel : lt->n_snaps - 1;
    const LiveSnap *s = lt->snaps[si];
    const LiveSnap *last = lt->snaps[lt->n_snaps - 1];
    long x_max = lt->step > last->step ? lt->step : last->step;
    if (x_max < 1) x_max = 1;
    int small = a.h < 380 * sc; /* a small window (projector type): a shorter strip, no subtitle, two info lines */
    float strip_h = (small ? 58 : 78) * sc;
    float left_w = a.w * 0.36f;
    Rect left = {a.x + 10 * sc, a.y + 6 * sc, left_w - 16 * sc, a.h - strip_h - 12 * sc};
    Rect right = {a.x + left_w + 10 * sc, a.y + 6 * sc, a.w - left_w - 20 * sc, a.h - strip_h - 12 * sc};

    /* loss curve */
    Rect lr = {left.x, left.y, left.w, left.h * 0.5f};
    float y_max = 0;
    for (int i = 0; i < lt->n_loss; i++) y_max = fmaxf_(y_max, lt->loss_pts[i]);
    if (y_max <= 0) y_max = 1;
    y_max = ceilf(y_max * 2) / 2;
    chart_frame(dl, th, lr, TR("training loss (mean NLL per target token)"), y_max, x_max, "%.1f");
    Rect lp = chart_plot(th, lr);
    polyline(dl, lp, lt->loss_step, lt->loss_pts, lt->n_loss, x_max, y_max, th->dec, 2 * th->line);
    float mx = lp.x + lp.w * (float)s->step / (float)x_max;
    draw_rect(dl, (Rect){mx - 1, lp.y, 2, lp.h}, th->accent);
    if (draw_hot(dl, lp)) {
        int k = -1;
        float want = (dl->mouse_x - lp.x) / lp.w * (float)x_max;
        for (int i = 0; i < lt->n_loss; i++)
            if (k < 0 || fabsf((float)lt->loss_step[i] - want) < fabsf((float)lt->loss_step[k] - want)) k = i;
        if (k >= 0) draw_tooltip(dl, "steps %ld\xe2\x80\x93%ld: mean training loss %.4f", lt->loss_step[k] - lt->loss_every + 1, lt->loss_step[k], lt->loss_pts[k]);
    }
    /* dev accuracy curves (one point per snapshot) */
    Rect ar = {left.x, left.y + left.h * 0.5f + 4 * sc, left.w, left.h * 0.5f - 4 * sc};
    chart_frame(dl, th, ar, TR("dev accuracy (greedy)"), 1.0f, x_max, "%.2f");
    Rect ap = chart_plot(th, ar);
    long xs[LIVE_MAX_SNAPS];
    float ex[LIVE_MAX_SNAPS], tk[LIVE_MAX_SNAPS];
    for (int i = 0; i < lt->n_snaps; i++) {
        xs[i] = lt->snaps[i]->step;
        ex[i] = lt->snaps[i]->dev_exact;
        tk[i] = lt->snaps[i]->dev_token;
    }
    polyline(dl, ap, xs, tk, lt->n_snaps, x_max, 1.0f, th->enc, 2 * th->line);
    polyline(dl, ap, xs, ex, lt->n_snaps, x_max, 1.0f, th->dec, 2 * th->line);
    mx = ap.x + ap.w * (float)s->step / (float)x_max;
    draw_rect(dl, (Rect){mx - 1, ap.y, 2, ap.h}, th->accent);
    float lab = draw_line_height(th->fs_small);
    /* key, right of the title: blue tokens, red exact sentences */
    float kx = ar.x + draw_text_width(dl, th->fs, TR("dev accuracy (greedy)")) + 14 * sc, ky = ar.y + 2;
    float kw = 2 * 18 * sc + draw_text_width(dl, th->fs_small, TR("tokens")) + draw_text_width(dl, th->fs_small, TR("exact")) + 12 * sc;
    if (kx + kw <= ar.x + ar.w) {
        draw_rect(dl, (Rect){kx, ky + lab / 2, 14 * sc, 3}, th->enc);
        draw_text(dl, kx + 18 * sc, ky, th->fs_small, th->fg, TR("tokens"));
        kx += 18 * sc + draw_text_width(dl, th->fs_small, TR("tokens")) + 12 * sc;
        draw_rect(dl, (Rect){kx, ky + lab / 2, 14 * sc, 3}, th->dec);
        draw_text(dl, kx + 18 * sc, ky, th->fs_small, th->fg, TR("exact"));
    }
    if (draw_hot(dl, ap))
        draw_tooltip(dl, "step %ld: dev exact %.1f %%, tokens %.1f %% (%d dev examples, greedy)", s->step, 100 * s->dev_exact,
                     100 * s->dev_token, lt->n_dev);

    /* the example's attention at the shown snapshot */
    char b[700];
    snprintf(b, sizeof b, TR("Attention on the example at step %ld%s"), s->step, sel < 0 ? TR(" (latest)") : "");
    draw_text_fit(dl, right.x, right.y, th->fs_large, th->fg, b, right.w);
    float y = right.y + draw_line_height(th->fs_large) + 2 * sc;
    if (!small) {
        draw_text_fit(dl, right.x, y, th->fs_small, th->fg_dim,
                      TR("teacher-forced: each row is the reference token being produced \xc2\xb7 orange outline: the gold alignment"),
                      right.w);
        y += lab;
    }
    y += 8 * sc;
    float info_h = (small ? 2 : 3) * draw_line_height(th->fs) + 8 * sc;
    Rect hm = {right.x, y, right.w, right.y + right.h - y - info_h};
    if (!lt->has_attention) {
        vk_message(c, hm, TR("This architecture has no attention: nothing to look at but the loss.\n"
                             "It is the baseline: compare its dev accuracy with an attention model's."));
    } else {
        heatmap(c, lt, s, hm, 1);
    }
    float iy = right.y + right.h - info_h + 4 * sc;
    if (lt->has_attention) {
        int rows = 0;
        for (int t = 0; t + 1 < s->T; t++) rows += !(lt->cfg.task == LIVE_DATES && !strcmp(lt->ex_tgt[t], "-"));
        snprintf(b, sizeof b, TR("entropy %.2f nats (uniform: %.2f) \xc2\xb7 mean max weight %.2f"), s->entropy, log((double)s->S), s->max_weight);
        if (!small) {
            draw_text_fit(dl, right.x, iy, th->fs, th->fg, b, right.w);
            iy += draw_line_height(th->fs);
        }
        if (small)
            snprintf(b, sizeof b, TR("entropy %.2f \xc2\xb7 on gold %d/%d \xc2\xb7 %s"), s->entropy, (int)lrintf(s->align * rows), rows,
                     s->sharp ? TR("\xe2\x9c\x93 sharp") : TR("not sharp yet"));
        else
            snprintf(b, sizeof b, TR("argmax on the gold alignment: %d of %d rows \xc2\xb7 %s"), (int)lrintf(s->align * rows), rows,
                     s->sharp ? TR("\xe2\x9c\x93 sharp") : TR("not sharp yet"));
        draw_text_fit(dl, right.x, iy, th->fs, s->sharp ? th->enc : th->fg, b, right.w);
        if (draw_hot(dl, (Rect){right.x, iy - draw_line_height(th->fs), right.w, 2 * draw_line_height(th->fs)}))
            draw_tooltip(dl, "entropy of a row: 0 when all weight is on one source token, ln S when spread evenly\n"
                             "sharp = mean row maximum >= 0.90 and every row's largest weight on a gold link%s",
                         lt->cfg.task == LIVE_DATES ? TR("\n(dates: the two dashes are not scored: they come from the format)") : "");
        iy += draw_line_height(th->fs);
    }
    snprintf(b, sizeof b, TR("greedy output now: %.200s %s  (reference: %.200s)"), s->output[0] ? s->output : TR("(empty)"),
             s->output_ok ? "\xe2\x9c\x93" : "\xe2\x9c\x97", lt->ex_tgt_text);
    draw_text_fit(dl, right.x, iy, th->fs, s->output_ok ? th->enc : th->dec, b, right.w);

    /* the snapshot strip */
    Rect st = {a.x, a.y + a.h - strip_h, a.w, strip_h};
    draw_rect(dl, st, th->panel);
    draw_rect(dl, (Rect){st.x, st.y, st.w, 1}, th->panel_edge);
    float th_h = strip_h - lab - 14 * sc, th_w = th_h * (float)s->S / (float)s->T;
    if (th_w > th_h * 2.5f) th_w = th_h * 2.5f;
    float pitch = th_w + 6 * sc;
    float more_w = draw_text_width(dl, th->fs_small, "999 more \xe2\x96\xb6") + 12 * sc; /* room for the markers */
    float x0 = st.x + 96 * sc + more_w, avail = st.w - 96 * sc - 2 * more_w;
    draw_text(dl, st.x + 10 * sc, st.y + 8 * sc, th->fs_small, th->fg, TR("snapshots"));
    snprintf(b, sizeof b, TR("%d, every %d"), lt->n_snaps, lt->snap_every);
    draw_text(dl, st.x + 10 * sc, st.y + 8 * sc + lab, th->fs_small, th->fg_dim, b);
    draw_text(dl, st.x + 10 * sc, st.y + 8 * sc + 2 * lab, th->fs_small, th->fg_dim, "\xe2\x86\x90/\xe2\x86\x92, End");
    float cell;
    int first, count;
    vk_strip(lt->n_snaps, avail, pitch, pitch, si, &cell, &first, &count);
    if (hover_snap) *hover_snap = -1;
    for (int k = 0; k < count; k++) {
        int i = first + k;
        const LiveSnap *q = lt->snaps[i];
        Rect r = {x0 + k * pitch, st.y + 6 * sc, th_w, th_h};
        if (q->attn) {
            ViewCtx cc = *c;
            heatmap(&cc, lt, q, r, 0);
        } else
            draw_rect(dl, r, th->grid);
        if (i == si) draw_rect_line(dl, rect_inset(r, -3), th->accent, 2);
        if (q->sharp) draw_rect(dl, (Rect){r.x, r.y + r.h + 1, r.w, 2}, th->enc);
        if (k % 4 == 0 || i == si) {
            snprintf(b, sizeof b, "%ld", q->step);
            draw_text(dl, r.x, r.y + r.h + 3, th->fs_small, i == si ? th->accent : th->fg_dim, b);
        }
        Rect hot = {r.x - 3, st.y, pitch, strip_h};
        if (draw_hot(dl, hot)) {
            if (hover_snap) *hover_snap = i;
            draw_tooltip(dl, "step %ld (%.1f s): loss %.3f, dev exact %.0f %%, entropy %.2f, max weight %.2f%s\nclick to show it", q->step,
                         q->seconds, q->loss, 100 * q->dev_exact, q->entropy, q->max_weight, q->sharp ? TR(", sharp") : "");
        }
    }
    vk_more(c, x0 - more_w + 4 * sc, st.y + strip_h / 2 - lab / 2, first, 0);
    vk_more(c, st.x + st.w - 8 * sc, st.y + strip_h / 2 - lab / 2, lt->n_snaps - first - count, 1);
}

/* ------------------------------------------------------------------------ */
/* The panel: controls + view                                                */
/* ------------------------------------------------------------------------ */

static int lr_index(float lr) {
    int best = 0;
    for (int i = 0; i < N_LRS; i++)
        if (fabsf(logf(LRS[i] / lr)) < fabsf(logf(LRS[best] / lr))) best = i;
    return best;
}

void gui_training_frame(GuiState *g, DrawList *dl, const Theme *th, const UiInput *in, Rect area) {
    LiveUi *u = ui_get(g);
    if (!u) return;
    float sc = th->scale;
    if (!u->lt && !u->message[0]) reopen(g, LIVE_REVERSE, LIVE_ARCH_DOT); /* first visit: reverse, ready to play */
    g->input_focus = 0; /* the input box is not shown here: keys are view 9's */
    UiInput none = {-1, -1, 0, 0, 0};
    const UiInput *win = u->menu ? &none : in;
    if (u->menu && in) { none.mx = in->mx; none.my = in->my; }
    LiveTrain *lt = u->lt;
    int playing = 0, failed = 0;
    float lr = 0.003f;
    long step = 0;
    double sps = 0, secs = 0;
    if (lt) {
        live_train_lock(lt);
        playing = lt->playing;
        failed = lt->failed;
        lr = lt->lr;
        step = lt->step;
        sps = lt->steps_per_s;
        secs = lt->seconds;
        live_train_unlock(lt);
    }
    /* the controls, laid out left to right and wrapped onto more rows when the window is narrow */
    enum { C_TASK, C_ARCH, C_PLAY, C_STEP, C_RESET, C_LR_DOWN, C_LR, C_LR_UP, C_SLOW, C_SAVE, C_OPEN, C_N };
    char labs[C_N][160];
    static const char *const tips[C_N] = {
        N_("the task to train on (a fresh model)"), N_("architecture and attention (a fresh model)"), N_("train in the background (Space)"),
        N_("one batch, then a snapshot (.)"), N_("a fresh model from the same seed: the same run again (R)"), N_("learning rate down ([)"),
        N_("the learning rate in force (Adam)"), N_("learning rate up (])"), N_("slow motion: 20 batches per second, to watch it happen (L)"),
        N_("save the model being trained as an ordinary model file (S)"), N_("save it and open it in the stepper's views (O)")};
    snprintf(labs[C_TASK], sizeof labs[0], TR("task: %s \xe2\x96\xbe"), TR(live_task_name(u->task)));
    snprintf(labs[C_ARCH], sizeof labs[0], "%s \xe2\x96\xbe", TR(live_arch_label(u->arch)));
    snprintf(labs[C_PLAY], sizeof labs[0], "%s", playing ? TR("\xe2\x9d\x9a\xe2\x9d\x9a Pause") : TR("\xe2\x96\xb6 Play"));
    snprintf(labs[C_STEP], sizeof labs[0], "%s", TR("Step"));
    snprintf(labs[C_RESET], sizeof labs[0], "%s", TR("Reset"));
    snprintf(labs[C_LR_DOWN], sizeof labs[0], "\xe2\x88\x92");
    snprintf(labs[C_LR], sizeof labs[0], TR("lr %g"), lr);
    snprintf(labs[C_LR_UP], sizeof labs[0], "+");
    snprintf(labs[C_SLOW], sizeof labs[0], "%s", TR("slow"));
    snprintf(labs[C_SAVE], sizeof labs[0], "%s", TR("Save"));
    snprintf(labs[C_OPEN], sizeof labs[0], "%s", TR("Open in stepper"));
    int n_ctl = lt ? C_N : C_ARCH + 1;
    float row_h = 40 * sc, pad = 6 * sc, right_edge = area.x + area.w - 10 * sc;
    Rect rc[C_N];
    float x = area.x + 10 * sc, y = area.y + pad;
    int rows = 1;
    for (int i = 0; i < n_ctl; i++) {
        float w = draw_text_width(dl, th->fs, labs[i]) + (i == C_LR ? 8 * sc : 20 * sc);
        float gap = (i == C_PLAY || i == C_LR_DOWN || i == C_SLOW) ? 14 * sc : 6 * sc;
        float need = w; /* the learning-rate group (− lr +) wraps as one */
        if (i == C_LR_DOWN)
            for (int k = C_LR; k <= C_LR_UP; k++) need += 6 * sc + draw_text_width(dl, th->fs, labs[k]) + (k == C_LR ? 8 * sc : 20 * sc);
        if (i > 0 && x + gap + need > right_edge) { x = area.x + 10 * sc; y += row_h; rows++; gap = 0; }
        else if (i > 0) x += gap;
        rc[i] = (Rect){x, y, w, row_h - 2 * pad};
        x += w;
    }
    float bar_h = rows * row_h;
    Rect bar = {area.x, area.y, area.w, bar_h};
    draw_rect(dl, bar, th->panel);
    draw_rect(dl, (Rect){area.x, area.y + bar_h - 1, area.w, 1}, th->panel_edge);
    int hit[C_N] = {0};
    for (int i = 0; i < n_ctl; i++) {
        if (i == C_LR) {
            draw_text(dl, rc[i].x + 4 * sc, rc[i].y + rc[i].h / 2 - draw_line_height(th->fs) / 2, th->fs, th->fg, labs[i]);
        } else {
            int active = (i == C_TASK && u->menu == 1) || (i == C_ARCH && u->menu == 2) || (i == C_PLAY && playing) || (i == C_SLOW && u->slow);
            hit[i] = ui_button(dl, th, win, rc[i], labs[i], active);
        }
        if (draw_hot(dl, rc[i])) draw_tooltip(dl, "%s", TR(tips[i]));
    }
    float tx = rc[C_TASK].x, by = rc[C_TASK].y, bh = rc[C_TASK].h, axx = rc[C_ARCH].x;
    if (hit[C_TASK]) u->menu = u->menu == 1 ? 0 : 1;
    if (hit[C_ARCH]) u->menu = u->menu == 2 ? 0 : 2;
    if (lt) {
        int li = lr_index(lr);
        if (hit[C_PLAY]) live_train_play(lt, !playing);
        if (hit[C_STEP]) live_train_step(lt);
        if (hit[C_RESET]) live_train_reset(lt);
        if (hit[C_LR_DOWN] && li > 0) live_train_set_lr(lt, LRS[li - 1]);
        if (hit[C_LR_UP] && li + 1 < N_LRS) live_train_set_lr(lt, LRS[li + 1]);
        if (hit[C_SLOW]) { u->slow = !u->slow; live_train_set_pace(lt, u->slow ? SLOW_PACE : 0); }
        if (hit[C_SAVE]) do_save(g, 0);
        if (hit[C_OPEN]) do_save(g, 1);
        /* the run's status, right of the last control when there is room */
        char lab[160];
        /* the speed and the clock only in the window: render and tests draw reproducible frames */
        if (u->threaded)
            snprintf(lab, sizeof lab, TR("step %ld \xc2\xb7 %.0f steps/s \xc2\xb7 %.1f s%s"), step, playing ? sps : 0.0, secs, failed ? TR(" \xc2\xb7 stopped") : "");
        else
            snprintf(lab, sizeof lab, TR("step %ld%s"), step, failed ? TR(" \xc2\xb7 stopped") : "");
        float w = draw_text_width(dl, th->fs, lab);
        if (x + 14 * sc + w < right_edge)
            draw_text(dl, right_edge - w, y + (row_h - 2 * pad) / 2 - draw_line_height(th->fs) / 2, th->fs, failed ? th->dec : th->fg_dim, lab);
    }
    /* status line (the controller's last message, else the panel's) */
    float msg_h = draw_line_height(th->fs) + 8 * sc;
    Rect va = {area.x, area.y + bar_h, area.w, area.h - bar_h - msg_h};
    char msg[600] = "";
    int msg_err = 0;
    if (lt) {
        live_train_lock(lt);
        snprintf(msg, sizeof msg, "%s", lt->message);
        msg_err = lt->message_error;
        live_train_unlock(lt);
    }
    if (!msg[0] || (u->message_error && !msg_err)) { snprintf(msg, sizeof msg, "%s", u->message); msg_err = u->message_error; }
    draw_rect(dl, (Rect){area.x, area.y + area.h - msg_h, area.w, msg_h}, th->panel);
    draw_text_fit(dl, area.x + 10 * sc, area.y + area.h - msg_h + 4 * sc, th->fs, msg_err ? th->dec : th->fg_dim, msg, area.w - 20 * sc);

    if (lt) {
        ViewCtx vc = {.ix = NULL, .pos = 0, .th = th, .dl = dl, .area = va, .anim = 1};
        int hover = -1;
        draw_clip(dl, va);
        live_train_lock(lt);
        if (u->sel >= lt->n_snaps) u->sel = -1; /* a reset or thinning */
        view_training_draw(&vc, lt, u->sel, &hover);
        int n = lt->n_snaps;
        live_train_unlock(lt);
        draw_unclip(dl);
        if (win && win->pressed && hover >= 0) u->sel = hover == n - 1 ? -1 : hover;
    } else {
        ViewCtx vc = {.ix = NULL, .pos = 0, .th = th, .dl = dl, .area = va, .anim = 1};
        vk_message(&vc, va, u->message[0] ? u->message : TR("Choose a task and an architecture."));
    }

    /* pickers (on top) */
    if (u->menu == 1) {
        const char *items[LIVE_TASK_COUNT] = {TR("reverse (8 symbols, length 3-8)"), TR("dates (written dates to ISO)"), TR("translate (French, up to 8 words)")};
        int k = ui_menu(dl, th, in, (Rect){tx, by, 200 * sc, bh}, items, LIVE_TASK_COUNT, u->task);
        if (k >= 0 && (LiveTask)k != u->task) reopen(g, (LiveTask)k, u->arch);
        if (k != -1) u->menu = 0;
    } else if (u->menu == 2) {
        const char *items[LIVE_ARCH_COUNT];
        for (int i = 0; i < LIVE_ARCH_COUNT; i++) items[i] = TR(live_arch_label((LiveArch)i));
        int k = ui_menu(dl, th, in, (Rect){axx, by, 260 * sc, bh}, items, LIVE_ARCH_COUNT, u->arch);
        if (k >= 0 && (LiveArch)k != u->arch) reopen(g, u->task, (LiveArch)k);
        if (k != -1) u->menu = 0;
    }
}

int gui_training_key(GuiState *g, int sym, int shift) {
    LiveUi *u = g->live;
    if (!u || !u->lt) return 0;
    LiveTrain *lt = u->lt;
    live_train_lock(lt);
    int playing = lt->playing, n = lt->n_snaps;
    float lr = lt->lr;
    live_train_unlock(lt);
    int cur = u->sel < 0 ? n - 1 : u->sel;
    (void)shift;
    switch (sym) {
    case SDLK_SPACE: live_train_play(lt, !playing); return 1;
    case SDLK_PERIOD: live_train_step(lt); return 1;
    case SDLK_r: live_train_reset(lt); return 1;
    case SDLK_s: do_save(g, 0); return 1;
    case SDLK_o: do_save(g, 1); return 1;
    case SDLK_l: u->slow = !u->slow; live_train_set_pace(lt, u->slow ? SLOW_PACE : 0); return 1;
    case SDLK_LEFTBRACKET: { int i = lr_index(lr); if (i > 0) live_train_set_lr(lt, LRS[i - 1]); return 1; }
    case SDLK_RIGHTBRACKET: { int i = lr_index(lr); if (i + 1 < N_LRS) live_train_set_lr(lt, LRS[i + 1]); return 1; }
    case SDLK_LEFT: u->sel = cur > 0 ? cur - 1 : 0; return 1;
    case SDLK_RIGHT: u->sel = cur + 1 >= n - 1 ? -1 : cur + 1; return 1;
    case SDLK_HOME: u->sel = 0; return 1;
    case SDLK_END: u->sel = -1; return 1;
    case SDLK_ESCAPE: if (u->menu) { u->menu = 0; return 1; } return 0;
    case SDLK_TAB: return 1; /* no input box in view 9 */
    default: return 0;
    }
}

/* ------------------------------------------------------------------------ */
/* `attnstep render --view 9` (render.c)                                     */
/* ------------------------------------------------------------------------ */

int gui_training_render_setup(GuiState *g, const char *task, const char *arch, long steps, int scrub, int log, int threaded, Status *st) {
    int t = live_task_from_name(task ? task : "reverse");
    if (t < 0) return status_fail(st, "unknown --task '%.60s' (reverse, dates or translate)", task);
    int a = live_arch_from_name(arch ? arch : "dot");
    if (a < 0) return status_fail(st, "unknown --arch '%.60s' (bi-additive, additive, dot, general, scaled_dot, none)", arch);
    if (steps < 0 || steps > 10000000) return status_fail(st, "--train-steps %ld is outside 0..10000000", steps);
    LiveConfig c;
    live_config_default(&c, (LiveTask)t);
    c.arch = (LiveArch)a;
    if (gui_training_open(g, &c, threaded, st)) return -1;
    g->view = VIEW_TRAINING;
    LiveTrain *lt = g->live->lt;
    if (!threaded && steps > 0 && live_train_run(lt, steps, st)) return -1;
    if (scrub < -1 || scrub >= lt->n_snaps) return status_fail(st, "--scrub %d: the run has snapshots 0..%d", scrub, lt->n_snaps - 1);
    g->live->sel = scrub;
    if (log) {
        printf("# %s, %s: %ld parameters; example \"%s\" -> \"%s\"\n", live_task_name(c.task), live_arch_label(c.arch), lt->param_count,
               lt->ex_src_text, lt->ex_tgt_text);
        printf("step\tseconds\tloss\tdev_exact\tdev_token\tentropy\tmax_weight\tgold\tsharp\toutput\n");
        for (int i = 0; i < lt->n_snaps; i++) {
            const LiveSnap *s = lt->snaps[i];
            printf("%ld\t%.2f\t%.4f\t%.3f\t%.3f\t%.3f\t%.3f\t%.2f\t%d\t%s\n", s->step, s->seconds, s->loss, s->dev_exact, s->dev_token,
                   s->entropy, s->max_weight, s->align, s->sharp, s->output);
        }
        int f = live_train_first_sharp(lt);
        if (f >= 0) printf("# first sharp: step %ld after %.2f s of training\n", lt->snaps[f]->step, lt->snaps[f]->seconds);
        else printf("# not sharp within %ld steps\n", lt->step);
    }
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double cpu_s(void) { /* the process: the UI thread and the trainer */
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int gui_training_live_bench(GuiState *g, double seconds, void (*draw_frame)(void *ctx), void *ctx, Status *st) {
    LiveUi *u = g->live;
    if (!u || !u->lt || !u->threaded) return status_fail(st, "the live measurement needs a threaded controller");
    LiveTrain *lt = u->lt;
    int cap = (int)(seconds * 70) + 16, n = 0;
    double *ft = malloc((size_t)cap * sizeof *ft);
    if (!ft) return status_fail(st, "out of memory");
    double t0 = mono_s(), c0 = cpu_s(), sharp_wall = -1, sharp_cpu = -1;
    long sharp_step = -1;
    live_train_play(lt, 1);
    while (mono_s() - t0 < seconds) {
        double f0 = mono_s();
        draw_frame(ctx);
        double f1 = mono_s();
        if (n < cap) ft[n++] = 1e3 * (f1 - f0);
        live_train_lock(lt);
        int k = live_train_first_sharp(lt);
        int playing = lt->playing;
        if (k >= 0 && sharp_wall < 0) { sharp_wall = f1 - t0; sharp_cpu = cpu_s() - c0; sharp_step = lt->snaps[k]->step; }
        live_train_unlock(lt);
        if (!playing) break; /* the run's length reached */
        double left = 1.0 / 60 - (mono_s() - f0); /* a 60 Hz window: the rest of the frame is idle */
        if (left > 0) nanosleep(&(struct timespec){0, (long)(left * 1e9)}, NULL);
    }
    live_train_play(lt, 0);
    live_train_wait(lt);
    qsort(ft, (size_t)n, sizeof *ft, cmp_double);
    live_train_lock(lt);
    const LiveSnap *last = lt->snaps[lt->n_snaps - 1];
    printf("live: %s, %s: %ld steps in %.1f s wall (%.1f s of training; process CPU %.1f s), %d frames: median %.2f ms, p99 %.2f ms, max %.2f ms\n",
           live_task_name(u->task), live_arch_label(u->arch), lt->step, mono_s() - t0, lt->seconds, cpu_s() - c0, n, n ? ft[n / 2] : 0.0,
           n ? ft[(int)(n * 0.99)] : 0.0, n ? ft[n - 1] : 0.0);
    if (sharp_wall >= 0)
        printf("live: first sharp snapshot: step %ld, seen by the UI %.2f s after Play (process CPU %.2f s)\n", sharp_step, sharp_wall, sharp_cpu);
    else printf("live: not sharp within %.0f s\n", seconds);
    printf("live: last snapshot step %ld: loss %.4f, dev exact %.3f, entropy %.3f, max weight %.3f, gold %.2f\n", last->step, last->loss,
           last->dev_exact, last->entropy, last->max_weight, last->align);
    live_train_unlock(lt);
    free(ft);
    return 0;
}
