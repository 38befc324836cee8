/* font.c — fontconfig lookup and per-size TTF fonts (see font.h). */
#include "font.h"

#include <fontconfig/fontconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FONT_MIN 6
#define FONT_MAX 96
#define MEASURE_CACHE 4096

typedef struct MeasureEntry {
    unsigned hash;
    int size;
    float w;
    char *text;
} MeasureEntry;

struct FontSet {
    char path[1024], cjk_path[1024];
    TTF_Font *main[FONT_MAX + 1];
    TTF_Font *cjk[FONT_MAX + 1];
    int cjk_warned;
    MeasureEntry cache[MEASURE_CACHE];
    int cache_used;
};

/* Finds family through fontconfig; 0 with path when the matched file really is that family. */
static int find_font(const char *family, char *path, size_t n) {
    FcPattern *pat = FcNameParse((const FcChar8 *)family);
    if (!pat) return -1;
    FcConfigSubstitute(NULL, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    FcResult res;
    FcPattern *match = FcFontMatch(NULL, pat, &res);
    FcPatternDestroy(pat);
    if (!match) return -1;
    FcChar8 *file = NULL, *fam = NULL;
    int ok = FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch &&
             FcPatternGetString(match, FC_FAMILY, 0, &fam) == FcResultMatch && !strcmp((const char *)fam, family);
    if (ok) snprintf(path, n, "%s", (const char *)file);
    FcPatternDestroy(match);
    return ok ? 0 : -1;
}

FontSet *load_fonts(Status *st) {
    if (!TTF_WasInit() && TTF_Init() != 0) {
        status_fail(st, "cannot initialise SDL_ttf: %s", TTF_GetError());
        return NULL;
    }
    FontSet *fs = calloc(1, sizeof *fs);
    if (!fs) { status_fail(st, "out of memory"); return NULL; }
    if (!FcInit()) { free(fs); status_fail(st, "cannot initialise fontconfig"); return NULL; }
    if (find_font("DejaVu Sans", fs->path, sizeof fs->path)) {
        free(fs);
        status_fail(st, "font \"DejaVu Sans\" not found by fontconfig: install the package fonts-dejavu-core "
                        "(sudo apt-get install fonts-dejavu-core)");
        return NULL;
    }
    if (find_font("WenQuanYi Micro Hei", fs->cjk_path, sizeof fs->cjk_path)) fs->cjk_path[0] = 0;
    TTF_Font *probe = TTF_OpenFont(fs->path, 14);
    if (!probe) {
        status_fail(st, "cannot open font %s: %s (reinstall fonts-dejavu-core)", fs->path, TTF_GetError());
        free(fs);
        return NULL;
    }
    fs->main[14] = probe;
    return fs;
}

void unload_fonts(FontSet *fs) {
    if (!fs) return;
    for (int i = 0; i <= FONT_MAX; i++) {
        if (fs->main[i]) TTF_CloseFont(fs->main[i]);
        if (fs->cjk[i]) TTF_CloseFont(fs->cjk[i]);
    }
    for (int i = 0; i < MEASURE_CACHE; i++) free(fs->cache[i].text);
    free(fs);
}

const char *font_path(const FontSet *fs) { return fs->path; }

static int clamp_size(int size) { return size < FONT_MIN ? FONT_MIN : size > FONT_MAX ? FONT_MAX : size; }

/* 1 when text holds a code point the main font does not provide. */
static int needs_cjk(TTF_Font *f, const char *text) {
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        unsigned cp;
        int len;
        if (*p < 0x80) { p++; continue; }
        if ((*p & 0xE0) == 0xC0) { cp = *p & 0x1F; len = 2; }
        else if ((*p & 0xF0) == 0xE0) { cp = *p & 0x0F; len = 3; }
        else if ((*p & 0xF8) == 0xF0) { cp = *p & 0x07; len = 4; }
        else { p++; continue; }
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80) { len = i; break; }
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        p += len;
        if (cp >= 0x2E80 && !TTF_GlyphIsProvided32(f, cp)) return 1;
    }
    return 0;
}

TTF_Font *font_for(FontSet *fs, int size, const char *text) {
    size = clamp_size(size);
    if (!fs->main[size]) fs->main[size] = TTF_OpenFont(fs->path, size);
    TTF_Font *f = fs->main[size];
    if (!f || !text || !needs_cjk(f, text)) return f;
    if (!fs->cjk_path[0]) {
        if (!fs->cjk_warned)
            fprintf(stderr, "attnstep: text needs a CJK font: install the package fonts-wqy-microhei "
                            "(font \"WenQuanYi Micro Hei\")\n");
        fs->cjk_warned = 1;
        return f;
    }
    if (!fs->cjk[size]) fs->cjk[size] = TTF_OpenFont(fs->cjk_path, size);
    return fs->cjk[size] ? fs->cjk[size] : f;
}

/* The code point at p (valid UTF-8 assumed; a bad byte is taken alone); *len its bytes. */
static unsigned next_cp(const unsigned char *p, int *len) {
    unsigned cp;
    int l;
    if (*p < 0x80) { *len = 1; return *p; }
    if ((*p & 0xE0) == 0xC0) { cp = *p & 0x1F; l = 2; }
    else if ((*p & 0xF0) == 0xE0) { cp = *p & 0x0F; l = 3; }
    else if ((*p & 0xF8) == 0xF0) { cp = *p & 0x07; l = 4; }
    else { *len = 1; return 0xFFFD; }
    for (int i = 1; i < l; i++) {
        if ((p[i] & 0xC0) != 0x80) { *len = i; return 0xFFFD; }
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    *len = l;
    return cp;
}

int font_runs(FontSet *fs, int size, const char *text, FontRun *runs) {
    size = clamp_size(size);
    TTF_Font *main = font_for(fs, size, NULL);
    runs[0] = (FontRun){0, (int)strlen(text), main};
    if (!main || !needs_cjk(main, text)) return 1;
    TTF_Font *cjk = font_for(fs, size, text); /* the CJK font (or main, with the warning, when there is none) */
    if (cjk == main) return 1;
    int n = 0;
    const unsigned char *p = (const unsigned char *)text;
    TTF_Font *cur = NULL;
    while (*p) {
        int len;
        unsigned cp = next_cp(p, &len);
        /* spaces and ASCII punctuation stay in the run they are in (no needless splits) */
        TTF_Font *f = cp < 0x80 && cur && !((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') && !(cp >= '0' && cp <= '9') ? cur
                      : cp >= 0x2E80 && !TTF_GlyphIsProvided32(main, cp) ? cjk : main;
        int off = (int)(p - (const unsigned char *)text);
        if (f != cur) {
            if (n == FONT_MAX_RUNS) { runs[n - 1].font = cjk; break; } /* the rest in the last run */
            runs[n++] = (FontRun){off, 0, f};
            cur = f;
        }
        runs[n - 1].len = off + len - runs[n - 1].off;
        p += len;
    }
    runs[n - 1].len = (int)strlen(text) - runs[n - 1].off;
    return n;
}

static unsigned hash_str(const char *s, int size) {
    unsigned h = 2166136261u ^ (unsigned)size;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

float font_measure(void *ctx, int size, const char *text) {
    FontSet *fs = ctx;
    size = clamp_size(size);
    unsigned h = hash_str(text, size);
    for (int probe = 0; probe < 8; probe++) {
        MeasureEntry *e = &fs->cache[(h + (unsigned)probe) % MEASURE_CACHE];
        if (!e->text) break;
        if (e->hash == h && e->size == size && !strcmp(e->text, text)) return e->w;
    }
    FontRun runs[FONT_MAX_RUNS];
    int nr = font_runs(fs, size, text, runs), w = 0;
    for (int r = 0; r < nr; r++) {
        char piece[1024];
        int len = runs[r].len < (int)sizeof piece - 1 ? runs[r].len : (int)sizeof piece - 1;
        memcpy(piece, text + runs[r].off, (size_t)len);
        piece[len] = 0;
        int pw = 0, hh = 0;
        if (!runs[r].font || TTF_SizeUTF8(runs[r].font, piece, &pw, &hh) != 0) pw = (int)((size_t)len * (size_t)size * 6 / 10);
        w += pw;
    }
    if (fs->cache_used > MEASURE_CACHE * 3 / 4) { /* full: start over */
        for (int i = 0; i < MEASURE_CACHE; i++) { free(fs->cache[i].text); fs->cache[i].text = NULL; }
        fs->cache_used = 0;
    }
    for (int probe = 0; probe < 8; probe++) {
        MeasureEntry *e = &fs->cache[(h + (unsigned)probe) % MEASURE_CACHE];
        if (e->text) continue;
        e->text = strdup(text);
        if (!e->text) break;
        e->hash = h;
        e->size = size;
        e->w = (float)w;
        fs->cache_used++;
        break;
    }
    return (float)w;
}
