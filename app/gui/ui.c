/* ui.c — the window as draw commands: top bar (views, pickers), input box, the view,
 * timeline, status line, menus, help, tooltip (see gui.h). */
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "controls.h"
#include "gui.h"
#include "live_train.h"
#include "widgets.h"

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static const int BEAMS[] = {0, 3, 5, 10};
#define N_BEAMS 4

void gui_frame(GuiState *g, DrawList *dl, int w, int h, const UiInput *in) {
    const Theme *th = theme_by_index(g->theme);
    float sc = th->scale;
    UiInput none = {-1, -1, 0, 0, 0};
    const UiInput *inp = in ? in : &none;
    /* an open menu or the help overlay takes the clicks; widgets under it see none */
    UiInput blocked = *inp;
    blocked.pressed = 0;
    const UiInput *win = (g->menu || g->help) ? &blocked : inp;
    g->action = ACT_NONE;

    float bar_h = 40 * sc, in_h = 40 * sc, tl_h = 74 * sc;
    Rect top = {0, 0, (float)w, bar_h};
    draw_rect(dl, top, th->panel);
    draw_rect(dl, (Rect){0, bar_h - 1, (float)w, 1}, th->panel_edge);
    float x = 10 * sc;
    draw_text(dl, x, bar_h / 2 - draw_line_height(th->fs_large) / 2, th->fs_large, th->fg, "attnstep");
    x += draw_text_width(dl, th->fs_large, "attnstep") + 16 * sc;
    /* view tabs: "1 Cell" ..., or only the digits when the window is narrow */
    char lab[1100];
    float tabs_w = 0;
    for (int v = 0; v < VIEW_COUNT; v++) {
        snprintf(lab, sizeof lab, "%d %s", v + 1, view_short((ViewId)v));
        tabs_w += draw_text_width(dl, th->fs, lab) + 22;
    }
    int compact = x + tabs_w + 360 * sc > w;
    for (int v = 0; v < VIEW_COUNT; v++) {
        if (compact) snprintf(lab, sizeof lab, "%d", v + 1);
        else snprintf(lab, sizeof lab, "%d %s", v + 1, view_short((ViewId)v));
        float bw = draw_text_width(dl, th->fs, lab) + 18;
        Rect r = {x, 6 * sc, bw, bar_h - 12 * sc};
        if (ui_button(dl, th, win, r, lab, g->view == (ViewId)v)) g->view = (ViewId)v;
        if (draw_hot(dl, r)) draw_tooltip(dl, TR("view %d: %s (key %d)"), v + 1, view_name((ViewId)v), v + 1);
        x += bw + 4;
    }
    { /* view 9, live training (view_training.c) */
        if (compact) snprintf(lab, sizeof lab, "9");
        else snprintf(lab, sizeof lab, "9 %s", TR("Train"));
        float bw = draw_text_width(dl, th->fs, lab) + 18;
        Rect r = {x, 6 * sc, bw, bar_h - 12 * sc};
        if (ui_button(dl, th, win, r, lab, g->view == VIEW_TRAINING)) g->view = VIEW_TRAINING;
        if (draw_hot(dl, r)) draw_tooltip(dl, "view 9: watch attention being learned (live training, key 9)");
        x += bw + 4;
    }
    /* pickers, right-aligned: model, strategy, theme, help */
    float rx = w - 10 * sc;
    Rect help_r = {rx - 44 * sc, 6 * sc, 44 * sc, bar_h - 12 * sc};
    if (ui_button(dl, th, win, help_r, "F1 ?", g->help)) g->help = !g->help;
    rx = help_r.x - 6;
    snprintf(lab, sizeof lab, "%s \xe2\x96\xbe", TR(th->name));
    float tw = draw_text_width(dl, th->fs, lab) + 20;
    Rect theme_r = {rx - tw, 6 * sc, tw, bar_h - 12 * sc};
    if (ui_button(dl, th, win, theme_r, lab, g->menu == 3)) g->menu = g->menu == 3 ? 0 : 3;
    rx = theme_r.x - 6;
    if (g->beam) snprintf(lab, sizeof lab, TR("beam %d \xe2\x96\xbe"), g->beam);
    else snprintf(lab, sizeof lab, "%s \xe2\x96\xbe", TR("greedy"));
    tw = draw_text_width(dl, th->fs, lab) + 20;
    Rect strat_r = {rx - tw, 6 * sc, tw, bar_h - 12 * sc};
    if (ui_button(dl, th, win, strat_r, lab, g->menu == 2)) g->menu = g->menu == 2 ? 0 : 2;
    rx = strat_r.x - 6;
    const char *mname = g->model_path[0] ? base_name(g->model_path) : (g->have_ix ? g->ix.model : TR("no model"));
    snprintf(lab, sizeof lab, "%s \xe2\x96\xbe", mname);
    tw = draw_text_width(dl, th->fs, lab) + 20;
    float maxw = rx - x - 10;
    if (tw > maxw) tw = maxw;
    Rect model_r = {rx - tw, 6 * sc, tw, bar_h - 12 * sc};
    if (tw > 40 && ui_button(dl, th, win, model_r, lab, g->menu == 1)) g->menu = g->menu == 1 ? 0 : 1;

    if (g->view == VIEW_TRAINING) { /* view 9 owns everything below the top bar */
        gui_training_frame(g, dl, th, win, (Rect){0, bar_h, (float)w, h - bar_h});
        goto overlays;
    }

    /* input bar */
    Rect ib = {0, bar_h, (float)w, in_h};
    draw_rect(dl, ib, th->bg);
    float ix0 = 10 * sc;
    draw_text(dl, ix0, bar_h + in_h / 2 - draw_line_height(th->fs) / 2, th->fs, th->fg_dim, TR("input"));
    ix0 += draw_text_width(dl, th->fs, TR("input")) + 10;
    const char *out = g->have_ix && g->ix.run_end ? event_get_str(g->ix.run_end, "output") : NULL;
    float box_w = (w - ix0) * 0.55f;
    Rect tb = {ix0, bar_h + 6 * sc, box_w, in_h - 12 * sc};
    if (ui_textbox(dl, th, win, tb, g->input, g->input_focus)) g->input_focus = 1;
    else if (win->pressed && !rect_contains(tb, win->mx, win->my)) g->input_focus = 0;
    if (draw_hot(dl, tb)) draw_tooltip(dl, "the source sentence: click, type, Enter re-runs the model%s",
                                      g->model ? "" : "\n(replaying a saved trace: no model to re-run)");
    float ox = tb.x + tb.w + 14 * sc;
    if (out) {
        draw_text(dl, ox, bar_h + in_h / 2 - draw_line_height(th->fs) / 2, th->fs, th->fg_dim, TR("output"));
        ox += draw_text_width(dl, th->fs, TR("output")) + 8;
        draw_text_fit(dl, ox, bar_h + in_h / 2 - draw_line_height(th->fs_large) / 2, th->fs_large, th->dec, out, w - ox - 10);
    }
    draw_rect(dl, (Rect){0, bar_h + in_h - 1, (float)w, 1}, th->panel_edge);

    /* the view (views 6 and 7: below the beam controls strip, controls.h) */
    Rect va = {0, bar_h + in_h, (float)w, h - bar_h - in_h - tl_h};
    float ctl_h = gui_controls_height(g, th);
    if (ctl_h > 0) {
        gui_controls(g, dl, th, win, (Rect){0, va.y, (float)w, ctl_h});
        va.y += ctl_h;
        va.h -= ctl_h;
    }
    if (g->have_ix) {
        g->pick.kind = PICK_NONE;
        ViewCtx vc = {.ix = &g->ix, .pos = g->pos, .th = th, .dl = dl, .area = va, .anim = g->anim,
                      .alt = g->have_alt ? &g->alt_ix : NULL, .what_if = g->have_whatif ? &g->whatif_ix : NULL,
                      .what_if_step = g->whatif_step, .what_if_token = g->whatif_token, .pick = &g->pick,
                      .drag_weights = g->drag_j >= 0 ? g->drag_weights : NULL, .drag_step = g->drag_step, .drag_j = g->drag_j};
        view_draw(g->view, &vc);
        if (g->drag_j >= 0) { /* dragging an attention weight: follow the mouse, decode on release */
            if (win->down && g->pick.kind == PICK_WEIGHT) gui_drag_attention(g, g->drag_step, g->drag_j, g->pick.value);
            else if (!win->down) gui_drop_attention(g);
        } else if (win->pressed && g->pick.kind == PICK_WEIGHT) {
            gui_drag_attention(g, g->pick.step, g->pick.token, g->pick.value);
        } else if (win->pressed && g->pick.kind != PICK_NONE) gui_apply_pick(g);
    } else {
        ViewCtx vc = {.ix = NULL, .pos = 0, .th = th, .dl = dl, .area = va, .anim = 1};
        vk_message(&vc, va, g->message[0] ? g->message : TR("No trace: choose a model and type an input."));
    }

    /* timeline */
    Rect tl = {0, h - tl_h, (float)w, tl_h};
    draw_rect(dl, tl, th->panel);
    draw_rect(dl, (Rect){0, tl.y, (float)w, 1}, th->panel_edge);
    float pb = 40 * sc;
    Rect play = {8 * sc, tl.y + 8 * sc, pb, tl_h * 0.5f - 4 * sc};
    if (ui_button(dl, th, win, play, g->playing ? "\xe2\x9d\x9a\xe2\x9d\x9a" : "\xe2\x96\xb6", g->playing)) g->playing = !g->playing;
    if (draw_hot(dl, play)) draw_tooltip(dl, "play / pause (Space)");
    Rect spd = {8 * sc, play.y + play.h + 4 * sc, pb, tl_h * 0.5f - 16 * sc};
    snprintf(lab, sizeof lab, "%gx", g->speed);
    draw_text_centered(dl, spd.x + spd.w / 2, spd.y + spd.h / 2, th->fs_small, th->fg_dim, lab);
    if (draw_hot(dl, spd)) draw_tooltip(dl, "speed: %g sub-steps per second (+ / \xe2\x88\x92)", g->speed);
    if (g->have_ix) {
        Rect bar = {play.x + pb + 8 * sc, tl.y + 4 * sc, w - pb - 24 * sc, tl_h * 0.62f};
        int p = ui_timeline(dl, th, (g->menu || g->help) ? NULL : inp, bar, &g->ix, g->pos, g->dragging);
        if (p >= 0) {
            if (inp->pressed) g->dragging = 1;
            gui_set_pos(g, p);
        }
        if (!inp->down) g->dragging = 0;
        char desc[400], line[520];
        vk_describe(&g->ix, g->pos, desc, sizeof desc);
        snprintf(line, sizeof line, "%d/%d  \xc2\xb7  %s", g->pos, g->ix.n_pos - 1, desc);
        float ly = tl.y + tl_h - draw_line_height(th->fs) - 4 * sc;
        float lw = draw_text_fit(dl, bar.x, ly, th->fs, th->fg, line, w * 0.6f);
        if (g->message[0])
            draw_text_fit(dl, bar.x + lw + 24 * sc, ly, th->fs, g->message_error ? th->dec : th->fg_dim, g->message,
                          w - bar.x - lw - 40 * sc);
        else
            draw_text_fit(dl, w - 10 * sc - draw_text_width(dl, th->fs_small, TR("F1: keys")), ly + 2, th->fs_small, th->fg_dim,
                          TR("F1: keys"), 200);
    }

overlays:
    /* menus (on top) */
    if (g->menu == 1) {
        const char *items[GUI_MAX_MODELS];
        int sel = -1;
        for (int i = 0; i < g->n_models; i++) {
            items[i] = base_name(g->models[i]);
            if (!strcmp(g->models[i], g->model_path)) sel = i;
        }
        int k = g->n_models ? ui_menu(dl, th, inp, model_r, items, g->n_models, sel) : -2;
        if (k >= 0) {
            Status st = {{0}};
            if (gui_load_model(g, g->models[k], &st)) {
                snprintf(g->message, sizeof g->message, "%s", st.message);
                g->message_error = 1;
            } else {
                snprintf(g->input, sizeof g->input, "%s", gui_default_input(g->model));
                g->action = ACT_RUN;
            }
        }
        if (k != -1) g->menu = 0;
    } else if (g->menu == 2) {
        const char *items[N_BEAMS] = {TR("greedy"), TR("beam 3"), TR("beam 5"), TR("beam 10")};
        int sel = 0;
        for (int i = 0; i < N_BEAMS; i++)
            if (BEAMS[i] == g->beam) sel = i;
        int k = ui_menu(dl, th, inp, strat_r, items, N_BEAMS, sel);
        if (k >= 0) { g->beam = BEAMS[k]; if (g->model) g->action = ACT_RUN; }
        if (k != -1) g->menu = 0;
    } else if (g->menu == 3) {
        const char *items[THEME_COUNT];
        for (int i = 0; i < THEME_COUNT; i++) items[i] = TR(theme_by_index(i)->name);
        int k = ui_menu(dl, th, inp, theme_r, items, THEME_COUNT, g->theme);
        if (k >= 0) g->theme = k;
        if (k != -1) g->menu = 0;
    }
    if (g->help) {
        ui_help(dl, th, (Rect){0, 0, (float)w, (float)h});
        if (inp->pressed) g->help = 0;
    }
    if (!g->menu && !g->help) ui_tooltip(dl, th, (float)w, (float)h);
}
