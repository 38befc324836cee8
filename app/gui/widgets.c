/* widgets.c — buttons, menus, text box, timeline, tooltip, help (see widgets.h). */
#include "i18n.h"
#include "widgets.h"

#include <stdio.h>
#include <string.h>

static int clicked(const UiInput *in, Rect r) { return in && in->pressed && rect_contains(r, in->mx, in->my); }

int ui_button(DrawList *dl, const Theme *th, const UiInput *in, Rect r, const char *label, int active) {
    int hot = in && rect_contains(r, in->mx, in->my);
    draw_rect(dl, r, active ? th->accent_fill : hot ? color_mix(th->panel, th->fg, 0.08f) : th->panel);
    draw_rect_line(dl, r, active ? th->accent : th->panel_edge, active ? 2 : 1);
    draw_text_fit(dl, r.x + 8, r.y + r.h / 2 - draw_line_height(th->fs) / 2, th->fs, th->fg, label, r.w - 12);
    return clicked(in, r);
}

int ui_menu(DrawList *dl, const Theme *th, const UiInput *in, Rect anchor, const char *const *items, int n, int selected) {
    float ih = draw_line_height(th->fs) + 10;
    float w = anchor.w;
    for (int i = 0; i < n; i++) {
        float tw = draw_text_width(dl, th->fs, items[i]) + 24;
        if (tw > w) w = tw;
    }
    Rect box = {anchor.x + anchor.w - w, anchor.y + anchor.h + 2, w, ih * n + 4};
    if (box.x < 2) box.x = 2;
    draw_rect(dl, (Rect){box.x + 3, box.y + 3, box.w, box.h}, color_alpha((Color){0, 0, 0, 255}, 60));
    draw_rect(dl, box, th->panel);
    draw_rect_line(dl, box, th->panel_edge, 1);
    int picked = -1;
    for (int i = 0; i < n; i++) {
        Rect r = {box.x + 2, box.y + 2 + i * ih, box.w - 4, ih};
        int hot = in && rect_contains(r, in->mx, in->my);
        if (i == selected) draw_rect(dl, r, th->accent_fill);
        else if (hot) draw_rect(dl, r, color_mix(th->panel, th->fg, 0.1f));
        draw_text(dl, r.x + 10, r.y + 5, th->fs, th->fg, items[i]);
        if (clicked(in, r)) picked = i;
    }
    if (picked < 0 && in && in->pressed && !rect_contains(box, in->mx, in->my) && !rect_contains(anchor, in->mx, in->my)) return -2;
    return picked;
}

int ui_textbox(DrawList *dl, const Theme *th, const UiInput *in, Rect r, const char *text, int focused) {
    draw_rect(dl, r, th->bg);
    draw_rect_line(dl, r, focused ? th->accent : th->panel_edge, focused ? 2 : 1);
    float lh = draw_line_height(th->fs);
    float tw = draw_text_width(dl, th->fs, text);
    float x = r.x + 8;
    if (tw > r.w - 20) { /* keep the end (where typing happens) visible */
        draw_clip(dl, rect_inset(r, 2));
        x = r.x + r.w - 14 - tw;
        draw_text(dl, x, r.y + r.h / 2 - lh / 2, th->fs, th->fg, text);
        draw_unclip(dl);
        draw_text(dl, r.x + 3, r.y + r.h / 2 - lh / 2, th->fs, th->accent, "\xe2\x97\x80");
    } else {
        draw_text(dl, x, r.y + r.h / 2 - lh / 2, th->fs, th->fg, text);
    }
    if (focused) {
        float cx = x + tw + 1;
        draw_rect(dl, (Rect){cx, r.y + 5, 2, r.h - 10}, th->accent);
    }
    return clicked(in, r);
}

int ui_timeline(DrawList *dl, const Theme *th, const UiInput *in, Rect r, const TraceIndex *ix, int pos, int dragging) {
    int n = ix->n_pos;
    draw_rect(dl, r, th->panel);
    float tx = r.x + 10, tw = r.w - 20;
    float ty = r.y + r.h * 0.35f, th_ = r.h * 0.3f;
    float step = n > 1 ? tw / (n - 1) : tw;
    /* played part */
    draw_rect(dl, (Rect){tx, ty, step * pos, th_}, th->accent_fill);
    draw_rect_line(dl, (Rect){tx - 2, ty, tw + 4, th_}, th->panel_edge, 1);
    float labs = draw_line_height(th->fs_small);
    float last_label = -1e9f;
    for (int p = 0; p < n; p++) {
        const TlPos *q = &ix->pos[p];
        float x = tx + p * step;
        if (q->phase == PH_ENC) draw_rect(dl, (Rect){x - 0.5f, ty + th_ * 0.45f, step > 3 ? 2 : 1, th_ * 0.55f}, th->enc);
        int first = q->step >= 0 && (p == 0 || ix->pos[p - 1].step != q->step) && q->phase != PH_END;
        if (first) {
            draw_rect(dl, (Rect){x - 1, ty - 3, 2, th_ + 6}, th->dec);
            char b[16];
            snprintf(b, sizeof b, "%d", q->step + 1);
            float w = draw_text_width(dl, th->fs_small, b);
            if (x - w / 2 > last_label + 6) {
                draw_text(dl, x - w / 2, ty - labs - 3, th->fs_small, th->dec, b);
                last_label = x + w / 2;
            }
        }
        if (q->phase == PH_EXPAND)
            draw_tri(dl, x, ty + th_ + 1, x - 3, ty + th_ + 6, x + 3, ty + th_ + 6, th->fg_dim);
    }
    if (ix->n_enc > 0) draw_text(dl, tx, ty - labs - 3, th->fs_small, th->enc, TR("enc"));
    /* the handle */
    float hx = tx + pos * step;
    draw_tri(dl, hx, ty + th_ - 2, hx - 7, ty + th_ + 10, hx + 7, ty + th_ + 10, th->accent);
    draw_rect(dl, (Rect){hx - 1.5f, ty - 4, 3, th_ + 8}, th->accent);
    Rect hit = {r.x, r.y, r.w, r.h};
    if (in && (dragging || (in->pressed && rect_contains(hit, in->mx, in->my)))) {
        float f = (in->mx - tx) / (step > 0 ? step : 1);
        int p = (int)(f + 0.5f);
        if (p < 0) p = 0;
        if (p >= n) p = n - 1;
        return p;
    }
    if (in && rect_contains(hit, in->mx, in->my)) {
        int p = (int)((in->mx - tx) / (step > 0 ? step : 1) + 0.5f);
        if (p >= 0 && p < n) {
            char b[300];
            draw_tooltip(dl, "position %d of %d: %s\nclick or drag to go there", p, n - 1, vk_describe(ix, p, b, sizeof b));
        }
    }
    return -1;
}

void ui_tooltip(DrawList *dl, const Theme *th, float w, float h) {
    if (!dl->has_tooltip || dl->mouse_x < 0) return;
    char lines[8][DRAW_TOOLTIP_MAX];
    int n = 0;
    const char *p = dl->tooltip;
    while (*p && n < 8) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len >= DRAW_TOOLTIP_MAX) len = DRAW_TOOLTIP_MAX - 1;
        memcpy(lines[n], p, len);
        lines[n][len] = 0;
        n++;
        p += len + (e ? 1 : 0);
    }
    float lh = draw_line_height(th->fs) + 2, bw = 0;
    for (int i = 0; i < n; i++) {
        float tw = draw_text_width(dl, i ? th->fs_small : th->fs, lines[i]);
        if (tw > bw) bw = tw;
    }
    if (bw > w - 20) bw = w - 20;
    Rect box = {dl->mouse_x + 16, dl->mouse_y + 18, bw + 16, n * lh + 10};
    if (box.x + box.w > w - 4) box.x = w - 4 - box.w;
    if (box.y + box.h > h - 4) box.y = dl->mouse_y - 8 - box.h;
    if (box.x < 4) box.x = 4;
    if (box.y < 4) box.y = 4;
    draw_rect(dl, (Rect){box.x + 3, box.y + 3, box.w, box.h}, (Color){0, 0, 0, 70});
    draw_rect(dl, box, th->tip_bg);
    draw_rect_line(dl, box, th->fg_dim, 1);
    for (int i = 0; i < n; i++)
        draw_text_fit(dl, box.x + 8, box.y + 5 + i * lh, i ? th->fs_small : th->fs, th->tip_fg, lines[i], box.w - 12);
}

void ui_help(DrawList *dl, const Theme *th, Rect area) {
    static const char *keys[][2] = {
        {N_("Space"), N_("play / pause (plays the sub-steps forward)")},
        {N_("\xe2\x86\x92 / \xe2\x86\x90"), N_("next / previous sub-step")},
        {N_("Shift+\xe2\x86\x92 / Shift+\xe2\x86\x90"), N_("next / previous decoder step")},
        {N_("Home / End"), N_("first / last position")},
        {"1 \xe2\x80\x93 9", N_("views: cell, unrolled, encoder\xe2\x80\x93" "decoder, attention, heatmap, beam tree, greedy vs beam, Transformer, training")},
        {N_("Click a token / node"), N_("output bar (view 3): what-if, force it; tree node (view 6): views 3\xe2\x80\x93" "5 follow it")},
        {N_("Drag a weight bar"), N_("view 4: what-if on attention; the other weights renormalise, release decodes")},
        {N_("F / R"), N_("what-if: force the selected tree node / reset to the model's own choice")},
        {"+ / \xe2\x88\x92", N_("play faster / slower")},
        {N_("T"), N_("next theme (light, dark, projector)")},
        {N_("B"), N_("next strategy (greedy, beam 3, beam 5, beam 10)")},
        {N_("M"), N_("next model in assets/models")},
        {N_("Tab or click the input"), N_("edit the input sentence; Enter re-runs, Esc leaves the box")},
        {N_("F1"), N_("this help (any key closes it)")},
        {N_("F11"), N_("full screen")},
        {N_("F12"), N_("save a PNG screenshot (attnstep-screenshot-N.png)")},
        {N_("Ctrl+E"), N_("export the trace (JSONL), attention (CSV); views 6\xe2\x80\x93" "7 also the comparison (CSV), tree (JSON)")},
        {N_("Mouse"), N_("hover any value for its meaning; click or drag the timeline")},
        {N_("Ctrl+Q / Esc"), N_("quit (Esc closes menus and help first)")},
    };
    int n = (int)(sizeof keys / sizeof keys[0]);
    float lh = draw_line_height(th->fs) + 6;
    float kw = 0;
    for (int i = 0; i < n; i++) {
        float w = draw_text_width(dl, th->fs, TR(keys[i][0]));
        if (w > kw) kw = w;
    }
    float w = kw + 40;
    for (int i = 0; i < n; i++) {
        float tw = kw + 40 + draw_text_width(dl, th->fs, TR(keys[i][1]));
        if (tw > w) w = tw;
    }
    w += 40;
    float h = n * lh + draw_line_height(th->fs_title) + 40;
    if (w > area.w - 20) w = area.w - 20;
    Rect box = {area.x + (area.w - w) / 2, area.y + (area.h - h) / 2, w, h};
    if (box.y < area.y) box.y = area.y;
    draw_rect(dl, area, color_alpha(th->bg, 170));
    draw_rect(dl, box, th->panel);
    draw_rect_line(dl, box, th->fg, 2);
    draw_text(dl, box.x + 20, box.y + 12, th->fs_title, th->fg, TR("Keys"));
    float y = box.y + 20 + draw_line_height(th->fs_title);
    for (int i = 0; i < n; i++) {
        draw_text(dl, box.x + 20, y, th->fs, th->accent, TR(keys[i][0]));
        draw_text_fit(dl, box.x + 40 + kw, y, th->fs, th->fg, TR(keys[i][1]), box.w - kw - 60);
        y += lh;
    }
}
