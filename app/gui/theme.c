/* theme.c — the three themes (see theme.h). */
#include "theme.h"

#include <math.h>
#include <string.h>

#define C(hex) {(uint8_t)((hex) >> 16), (uint8_t)(((hex) >> 8) & 255), (uint8_t)((hex) & 255), 255}

static const Theme THEMES[THEME_COUNT] = {
    {
        .name = "light",
        .bg = C(0xFAFAF7), .panel = C(0xEEEEE9), .panel_edge = C(0xC9C9C2), .fg = C(0x1E1E1E), .fg_dim = C(0x66666A),
        .grid = C(0xD4D4CE),
        .enc = C(0x2F6DB5), .enc_fill = C(0xD5E3F4), .dec = C(0xC0392B), .dec_fill = C(0xF5D7D3),
        .out = C(0x2F6DB5), .out_fill = C(0xE6EEF9),
        .accent = C(0xE08A00), .accent_fill = C(0xFDEBCB),
        .tip_bg = C(0xFFFDE7), .tip_fg = C(0x1E1E1E),
        .neg = C(0x542788), .zero = C(0xF7F7F7), .pos = C(0xB35806),
        .ramp_lo = C(0x000000), .ramp_hi = C(0xFFFFFF),
        .pruned = C(0xA0A0A0), .kept = C(0x1E1E1E), .finished = C(0x1B7837),
        .fs_small = 12, .fs = 14, .fs_large = 17, .fs_title = 20, .line = 1.5f, .scale = 1.0f,
    },
    {
        .name = "dark",
        .bg = C(0x1A1C21), .panel = C(0x25282F), .panel_edge = C(0x3C4049), .fg = C(0xE6E6E6), .fg_dim = C(0x9BA1A8),
        .grid = C(0x3A3E46),
        .enc = C(0x5B9BE6), .enc_fill = C(0x1F3350), .dec = C(0xE8695F), .dec_fill = C(0x4A2420),
        .out = C(0x5B9BE6), .out_fill = C(0x1C2A40),
        .accent = C(0xF5A623), .accent_fill = C(0x4A3510),
        .tip_bg = C(0x30333B), .tip_fg = C(0xF2F2F2),
        .neg = C(0x9E8FD0), .zero = C(0x2C2F36), .pos = C(0xF1A340),
        .ramp_lo = C(0x000000), .ramp_hi = C(0xFFFFFF),
        .pruned = C(0x6C717A), .kept = C(0xE6E6E6), .finished = C(0x5AAE61),
        .fs_small = 12, .fs = 14, .fs_large = 17, .fs_title = 20, .line = 1.5f, .scale = 1.0f,
    },
    {
        .name = "projector",
        .bg = C(0xFFFFFF), .panel = C(0xEDEDED), .panel_edge = C(0x000000), .fg = C(0x000000), .fg_dim = C(0x333333),
        .grid = C(0x999999),
        .enc = C(0x0B4FA8), .enc_fill = C(0xC9DCF5), .dec = C(0xB01E12), .dec_fill = C(0xF7CFCB),
        .out = C(0x0B4FA8), .out_fill = C(0xDCE8FA),
        .accent = C(0xD35F00), .accent_fill = C(0xFFE0BF),
        .tip_bg = C(0x000000), .tip_fg = C(0xFFFFFF),
        .neg = C(0x3F007D), .zero = C(0xFFFFFF), .pos = C(0xA63603),
        .ramp_lo = C(0x000000), .ramp_hi = C(0xFFFFFF),
        .pruned = C(0x8A8A8A), .kept = C(0x000000), .finished = C(0x00571A),
        .fs_small = 17, .fs = 20, .fs_large = 24, .fs_title = 28, .line = 2.5f, .scale = 1.3f,
    },
};

const Theme *theme_get(const char *name) {
    for (int i = 0; i < THEME_COUNT; i++)
        if (name && !strcmp(name, THEMES[i].name)) return &THEMES[i];
    return NULL;
}

const Theme *theme_by_index(int i) { return &THEMES[((i % THEME_COUNT) + THEME_COUNT) % THEME_COUNT]; }

Color theme_diverging(const Theme *th, float v, float scale) {
    if (!isfinite(v)) return th->grid;
    float t = scale > 0 ? v / scale : 0;
    if (t > 1) t = 1;
    if (t < -1) t = -1;
    /* perceptual-ish: sqrt so small values still show */
    float m = sqrtf(fabsf(t));
    return t < 0 ? color_mix(th->zero, th->neg, m) : color_mix(th->zero, th->pos, m);
}

Color theme_ramp(const Theme *th, float w) {
    if (!isfinite(w)) w = 0;
    return color_mix(th->ramp_lo, th->ramp_hi, w);
}

Color theme_text_on(Color bg) {
    float l = 0.2126f * bg.r + 0.7152f * bg.g + 0.0722f * bg.b;
    return l > 140 ? (Color){0, 0, 0, 255} : (Color){255, 255, 255, 255};
}
