/* draw.c — the draw command list (see draw.h). */
#include "draw.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"

void draw_init(DrawList *dl) { memset(dl, 0, sizeof *dl); dl->mouse_x = dl->mouse_y = -1; }

void draw_free(DrawList *dl) {
    if (!dl) return;
    free(dl->cmds);
    free(dl->text);
    free(dl->marks);
    memset(dl, 0, sizeof *dl);
}

void draw_begin(DrawList *dl, TextMeasureFn measure, void *ctx, float mouse_x, float mouse_y) {
    dl->count = 0;
    dl->text_len = 0;
    dl->measure = measure;
    dl->measure_ctx = ctx;
    dl->mouse_x = mouse_x;
    dl->mouse_y = mouse_y;
    dl->tooltip[0] = 0;
    dl->has_tooltip = 0;
    dl->oom = 0;
    dl->n_marks = 0;
}

void draw_mark(DrawList *dl, DrawMarkKind kind, int i, int j, Rect r) {
    if (r.w <= 0 || r.h <= 0) return;
    if (dl->n_marks == dl->cap_marks) {
        int cap = dl->cap_marks ? dl->cap_marks * 2 : 256;
        DrawMark *m = realloc(dl->marks, (size_t)cap * sizeof *m);
        if (!m) { dl->oom = 1; return; }
        dl->marks = m;
        dl->cap_marks = cap;
    }
    dl->marks[dl->n_marks++] = (DrawMark){kind, i, j, r};
}

static DrawCmd *push(DrawList *dl, DrawCmdKind kind, Color c) {
    if (dl->count == dl->cap) {
        int cap = dl->cap ? dl->cap * 2 : 1024;
        DrawCmd *n = realloc(dl->cmds, (size_t)cap * sizeof *n);
        if (!n) { dl->oom = 1; return NULL; }
        dl->cmds = n;
        dl->cap = cap;
    }
    DrawCmd *cmd = &dl->cmds[dl->count++];
    memset(cmd, 0, sizeof *cmd);
    cmd->kind = kind;
    cmd->color = c;
    return cmd;
}

void draw_rect(DrawList *dl, Rect r, Color c) {
    if (r.w <= 0 || r.h <= 0 || c.a == 0) return;
    DrawCmd *cmd = push(dl, DRAW_RECT, c);
    if (cmd) { cmd->x0 = r.x; cmd->y0 = r.y; cmd->x1 = r.w; cmd->y1 = r.h; }
}

void draw_rect_line(DrawList *dl, Rect r, Color c, float thick) {
    if (r.w <= 0 || r.h <= 0 || c.a == 0) return;
    DrawCmd *cmd = push(dl, DRAW_RECT_LINE, c);
    if (cmd) { cmd->x0 = r.x; cmd->y0 = r.y; cmd->x1 = r.w; cmd->y1 = r.h; cmd->thick = thick; }
}

void draw_line(DrawList *dl, float x0, float y0, float x1, float y1, Color c, float thick) {
    DrawCmd *cmd = push(dl, DRAW_LINE, c);
    if (cmd) { cmd->x0 = x0; cmd->y0 = y0; cmd->x1 = x1; cmd->y1 = y1; cmd->thick = thick; }
}

void draw_tri(DrawList *dl, float x0, float y0, float x1, float y1, float x2, float y2, Color c) {
    DrawCmd *cmd = push(dl, DRAW_TRI, c);
    if (cmd) { cmd->x0 = x0; cmd->y0 = y0; cmd->x1 = x1; cmd->y1 = y1; cmd->x2 = x2; cmd->y2 = y2; }
}

void draw_arrow(DrawList *dl, float x0, float y0, float x1, float y1, Color c, float thick, float head) {
    float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
    if (len < 1e-3f) return;
    dx /= len; dy /= len;
    if (head > len) head = len;
    float bx = x1 - dx * head, by = y1 - dy * head;
    draw_line(dl, x0, y0, bx + dx * 0.5f, by + dy * 0.5f, c, thick);
    float hw = head * 0.5f;
    draw_tri(dl, x1, y1, bx - dy * hw, by + dx * hw, bx + dy * hw, by - dx * hw, c);
}

void draw_dashed(DrawList *dl, float x0, float y0, float x1, float y1, Color c, float thick, float dash) {
    float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
    if (len < 1e-3f || dash <= 0) return;
    for (float s = 0; s < len; s += 2 * dash) {
        float e = s + dash < len ? s + dash : len;
        draw_line(dl, x0 + dx * s / len, y0 + dy * s / len, x0 + dx * e / len, y0 + dy * e / len, c, thick);
    }
}

void draw_text(DrawList *dl, float x, float y, int size, Color c, const char *text) {
    if (!text || !*text || c.a == 0) return;
    int n = (int)strlen(text) + 1;
    if (dl->text_len + n > dl->text_cap) {
        int cap = dl->text_cap ? dl->text_cap : 8192;
        while (cap < dl->text_len + n) cap *= 2;
        char *t = realloc(dl->text, (size_t)cap);
        if (!t) { dl->oom = 1; return; }
        dl->text = t;
        dl->text_cap = cap;
    }
    DrawCmd *cmd = push(dl, DRAW_TEXT, c);
    if (!cmd) return;
    memcpy(dl->text + dl->text_len, text, (size_t)n);
    cmd->text_off = dl->text_len;
    dl->text_len += n;
    cmd->x0 = x;
    cmd->y0 = y;
    cmd->size = size;
}

void draw_textf(DrawList *dl, float x, float y, int size, Color c, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    draw_text(dl, x, y, size, c, buf);
}

void draw_text_centered(DrawList *dl, float cx, float cy, int size, Color c, const char *text) {
    float w = draw_text_width(dl, size, text);
    draw_text(dl, cx - w * 0.5f, cy - draw_line_height(size) * 0.5f, size, c, text);
}

float draw_text_fit(DrawList *dl, float x, float y, int size, Color c, const char *text, float max_w) {
    float w = draw_text_width(dl, size, text);
    if (w <= max_w) { draw_text(dl, x, y, size, c, text); return w; }
    char buf[512];
    int n = (int)strlen(text);
    if (n > (int)sizeof buf - 4) n = (int)sizeof buf - 4;
    while (n > 0) {
        n--;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80) n--; /* whole code points */
        memcpy(buf, text, (size_t)n);
        memcpy(buf + n, "\xe2\x80\xa6", 4);
        w = draw_text_width(dl, size, buf);
        if (w <= max_w) { draw_text(dl, x, y, size, c, buf); return w; }
    }
    return 0;
}

void draw_clip(DrawList *dl, Rect r) {
    DrawCmd *cmd = push(dl, DRAW_CLIP, (Color){0, 0, 0, 255});
    if (cmd) { cmd->x0 = r.x; cmd->y0 = r.y; cmd->x1 = r.w; cmd->y1 = r.h; }
}

void draw_unclip(DrawList *dl) {
    DrawCmd *cmd = push(dl, DRAW_CLIP, (Color){0, 0, 0, 255});
    if (cmd) cmd->x1 = -1;
}

float draw_text_width(const DrawList *dl, int size, const char *text) {
    if (!text || !*text) return 0;
    if (dl->measure) return dl->measure(dl->measure_ctx, size, text);
    /* no font (logic tests): a fixed-pitch estimate */
    int cps = 0;
    for (const char *p = text; *p; p++) cps += ((unsigned char)*p & 0xC0) != 0x80;
    return cps * size * 0.6f;
}

float draw_line_height(int size) { return ceilf(size * 1.17f); }

int rect_contains(Rect r, float x, float y) { return x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h; }

int draw_hot(const DrawList *dl, Rect r) { return dl->mouse_x >= 0 && rect_contains(r, dl->mouse_x, dl->mouse_y); }

void draw_tooltip(DrawList *dl, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dl->tooltip, sizeof dl->tooltip, TR(fmt), ap); /* the same conversions in both languages (i18n.h) */
    va_end(ap);
    dl->has_tooltip = 1;
}

Rect rect_inset(Rect r, float d) { return (Rect){r.x + d, r.y + d, r.w - 2 * d, r.h - 2 * d}; }

Color color_mix(Color a, Color b, float t) {
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    return (Color){(uint8_t)(a.r + (b.r - a.r) * t + 0.5f), (uint8_t)(a.g + (b.g - a.g) * t + 0.5f),
                   (uint8_t)(a.b + (b.b - a.b) * t + 0.5f), (uint8_t)(a.a + (b.a - a.a) * t + 0.5f)};
}

Color color_alpha(Color c, uint8_t a) { c.a = a; return c; }
