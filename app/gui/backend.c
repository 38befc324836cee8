/* backend.c — DrawList → SDL_Renderer (see backend.h). */
#include "backend.h"

#include <SDL2/SDL_image.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_CACHE 2048

typedef struct TextEntry {
    unsigned hash;
    int size;
    Color color;
    char *text;
    SDL_Texture *tex;
    int w, h;
} TextEntry;

struct Backend {
    SDL_Renderer *r;
    FontSet *fonts;
    TextEntry cache[TEXT_CACHE];
    int used;
};

Backend *load_backend(SDL_Renderer *renderer, FontSet *fonts) {
    Backend *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->r = renderer;
    b->fonts = fonts;
    return b;
}

static void cache_clear(Backend *b) {
    for (int i = 0; i < TEXT_CACHE; i++) {
        if (b->cache[i].tex) SDL_DestroyTexture(b->cache[i].tex);
        free(b->cache[i].text);
        memset(&b->cache[i], 0, sizeof b->cache[i]);
    }
    b->used = 0;
}

void unload_backend(Backend *b) {
    if (!b) return;
    cache_clear(b);
    free(b);
}

static unsigned hash_text(const char *s, int size, Color c) {
    unsigned h = 2166136261u ^ (unsigned)size ^ ((unsigned)c.r << 8) ^ ((unsigned)c.g << 16) ^ ((unsigned)c.b << 24) ^ c.a;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* text as one surface: each run (font_runs) with its own font, side by side on a common
 * baseline. NULL when nothing can be drawn. */
static SDL_Surface *render_runs(FontSet *fonts, const char *text, int size, Color c) {
    SDL_Color col = {c.r, c.g, c.b, c.a};
    FontRun runs[FONT_MAX_RUNS];
    int n = font_runs(fonts, size, text, runs);
    if (n == 1) return runs[0].font ? TTF_RenderUTF8_Blended(runs[0].font, text, col) : NULL;
    SDL_Surface *part[FONT_MAX_RUNS] = {0};
    int asc[FONT_MAX_RUNS] = {0}, w = 0, top = 0, bottom = 0;
    for (int r = 0; r < n; r++) {
        char piece[1024];
        int len = runs[r].len < (int)sizeof piece - 1 ? runs[r].len : (int)sizeof piece - 1;
        memcpy(piece, text + runs[r].off, (size_t)len);
        piece[len] = 0;
        if (!runs[r].font || !len) continue;
        part[r] = TTF_RenderUTF8_Blended(runs[r].font, piece, col);
        if (!part[r]) continue;
        asc[r] = TTF_FontAscent(runs[r].font);
        w += part[r]->w;
        if (asc[r] > top) top = asc[r];
        if (part[r]->h - asc[r] > bottom) bottom = part[r]->h - asc[r];
    }
    SDL_Surface *s = w > 0 ? SDL_CreateRGBSurfaceWithFormat(0, w, top + bottom, 32, SDL_PIXELFORMAT_ARGB8888) : NULL;
    if (s) {
        SDL_FillRect(s, NULL, SDL_MapRGBA(s->format, c.r, c.g, c.b, 0));
        int x = 0;
        for (int r = 0; r < n; r++) {
            if (!part[r]) continue;
            SDL_SetSurfaceBlendMode(part[r], SDL_BLENDMODE_NONE); /* copy the glyphs' alpha as it is */
            SDL_Rect dst = {x, top - asc[r], part[r]->w, part[r]->h};
            SDL_BlitSurface(part[r], NULL, s, &dst);
            x += part[r]->w;
        }
    }
    for (int r = 0; r < n; r++) SDL_FreeSurface(part[r]);
    return s;
}

static TextEntry *text_texture(Backend *b, const char *text, int size, Color c) {
    unsigned h = hash_text(text, size, c);
    for (int probe = 0; probe < 16; probe++) {
        TextEntry *e = &b->cache[(h + (unsigned)probe) % TEXT_CACHE];
        if (!e->text) break;
        if (e->hash == h && e->size == size && !memcmp(&e->color, &c, sizeof c) && !strcmp(e->text, text)) return e;
    }
    if (b->used > TEXT_CACHE * 3 / 4) cache_clear(b);
    SDL_Surface *s = render_runs(b->fonts, text, size, c);
    if (!s) return NULL;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(b->r, s);
    int w = s->w, hh = s->h;
    SDL_FreeSurface(s);
    if (!tex) return NULL;
    for (int probe = 0; probe < 16; probe++) {
        TextEntry *e = &b->cache[(h + (unsigned)probe) % TEXT_CACHE];
        if (e->text) continue;
        e->text = strdup(text);
        if (!e->text) break;
        e->hash = h;
        e->size = size;
        e->color = c;
        e->tex = tex;
        e->w = w;
        e->h = hh;
        b->used++;
        return e;
    }
    /* no slot: draw once and drop */
    static TextEntry tmp;
    if (tmp.tex) SDL_DestroyTexture(tmp.tex);
    tmp.tex = tex;
    tmp.w = w;
    tmp.h = hh;
    return &tmp;
}

static void fill_tri(SDL_Renderer *r, float x0, float y0, float x1, float y1, float x2, float y2, Color c) {
    SDL_Color sc = {c.r, c.g, c.b, c.a};
    SDL_Vertex v[3] = {{{x0, y0}, sc, {0, 0}}, {{x1, y1}, sc, {0, 0}}, {{x2, y2}, sc, {0, 0}}};
    SDL_RenderGeometry(r, NULL, v, 3, NULL, 0);
}

static void thick_line(SDL_Renderer *r, float x0, float y0, float x1, float y1, float t, Color c) {
    float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
    if (len < 1e-4f) return;
    if (t <= 1.01f && (fabsf(dx) < 1e-4f || fabsf(dy) < 1e-4f)) {
        SDL_SetRenderDrawColor(r, c.r, c.g, c.b, c.a);
        SDL_RenderDrawLineF(r, x0, y0, x1, y1);
        return;
    }
    float nx = -dy / len * t * 0.5f, ny = dx / len * t * 0.5f;
    SDL_Color sc = {c.r, c.g, c.b, c.a};
    SDL_Vertex v[4] = {{{x0 + nx, y0 + ny}, sc, {0, 0}}, {{x1 + nx, y1 + ny}, sc, {0, 0}},
                       {{x1 - nx, y1 - ny}, sc, {0, 0}}, {{x0 - nx, y0 - ny}, sc, {0, 0}}};
    int idx[6] = {0, 1, 2, 0, 2, 3};
    SDL_RenderGeometry(r, NULL, v, 4, idx, 6);
}

void backend_draw(Backend *b, const DrawList *dl, Color bg) {
    SDL_Renderer *r = b->r;
    SDL_RenderSetClipRect(r, NULL);
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_NONE);
    SDL_SetRenderDrawColor(r, bg.r, bg.g, bg.b, 255);
    SDL_RenderClear(r);
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_BLEND);
    for (int i = 0; i < dl->count; i++) {
        const DrawCmd *c = &dl->cmds[i];
        Color col = c->color;
        switch (c->kind) {
        case DRAW_RECT: {
            SDL_SetRenderDrawColor(r, col.r, col.g, col.b, col.a);
            SDL_FRect fr = {c->x0, c->y0, c->x1, c->y1};
            SDL_RenderFillRectF(r, &fr);
            break;
        }
        case DRAW_RECT_LINE: {
            SDL_SetRenderDrawColor(r, col.r, col.g, col.b, col.a);
            float t = c->thick < 1 ? 1 : c->thick;
            if (t > c->x1 / 2) t = c->x1 / 2;
            if (t > c->y1 / 2) t = c->y1 / 2;
            SDL_FRect e[4] = {{c->x0, c->y0, c->x1, t},
                              {c->x0, c->y0 + c->y1 - t, c->x1, t},
                              {c->x0, c->y0 + t, t, c->y1 - 2 * t},
                              {c->x0 + c->x1 - t, c->y0 + t, t, c->y1 - 2 * t}};
            SDL_RenderFillRectsF(r, e, 4);
            break;
        }
        case DRAW_LINE: thick_line(r, c->x0, c->y0, c->x1, c->y1, c->thick, col); break;
        case DRAW_TRI: fill_tri(r, c->x0, c->y0, c->x1, c->y1, c->x2, c->y2, col); break;
        case DRAW_TEXT: {
            TextEntry *e = text_texture(b, dl->text + c->text_off, c->size, col);
            if (!e) break;
            SDL_Rect dst = {(int)lroundf(c->x0), (int)lroundf(c->y0), e->w, e->h};
            SDL_RenderCopy(r, e->tex, NULL, &dst);
            break;
        }
        case DRAW_CLIP:
            if (c->x1 < 0) SDL_RenderSetClipRect(r, NULL);
            else {
                SDL_Rect cr = {(int)floorf(c->x0), (int)floorf(c->y0), (int)ceilf(c->x1), (int)ceilf(c->y1)};
                SDL_RenderSetClipRect(r, &cr);
            }
            break;
        }
    }
    SDL_RenderSetClipRect(r, NULL);
}

int load_canvas(Canvas *c, int w, int h, FontSet *fonts, Status *st) {
    memset(c, 0, sizeof *c);
    c->surface = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!c->surface) return status_fail(st, "cannot create a %dx%d surface: %s", w, h, SDL_GetError());
    c->renderer = SDL_CreateSoftwareRenderer(c->surface);
    if (!c->renderer) {
        status_fail(st, "cannot create a software renderer: %s", SDL_GetError());
        unload_canvas(c);
        return -1;
    }
    c->backend = load_backend(c->renderer, fonts);
    if (!c->backend) {
        unload_canvas(c);
        return status_fail(st, "out of memory");
    }
    return 0;
}

void unload_canvas(Canvas *c) {
    if (!c) return;
    unload_backend(c->backend);
    if (c->renderer) SDL_DestroyRenderer(c->renderer);
    if (c->surface) SDL_FreeSurface(c->surface);
    memset(c, 0, sizeof *c);
}

int save_png(SDL_Surface *s, const char *path, Status *st) {
    if (IMG_SavePNG(s, path) != 0) return status_fail(st, "cannot write %s: %s", path, IMG_GetError());
    return 0;
}
