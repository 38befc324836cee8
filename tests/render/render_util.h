/* render_util.h — shared by the GUI tests: replay a committed trace and render one frame
 * of the real window (gui_frame) into a software-renderer surface, as `attnstep render`. */
#ifndef ATTNSTEP_TESTS_RENDER_UTIL_H
#define ATTNSTEP_TESTS_RENDER_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL2/SDL.h>
#include <SDL2/SDL_image.h>
#include <sys/stat.h>

#include "backend.h"
#include "font.h"
#include "gui.h"

typedef struct Renderer {
    FontSet *fonts;
    Canvas cv;
    DrawList dl;
    int w, h;
} Renderer;

static int ru_open(Renderer *r, int w, int h) {
    Status st = {{0}};
    memset(r, 0, sizeof *r);
    r->fonts = load_fonts(&st);
    if (!r->fonts) { fprintf(stderr, "%s\n", st.message); return -1; }
    if (load_canvas(&r->cv, w, h, r->fonts, &st)) { fprintf(stderr, "%s\n", st.message); return -1; }
    draw_init(&r->dl);
    r->w = w;
    r->h = h;
    return 0;
}

static void ru_close(Renderer *r) {
    draw_free(&r->dl);
    unload_canvas(&r->cv);
    unload_fonts(r->fonts);
    TTF_Quit();
    SDL_Quit();
}

/* Loads tests/render/traces/<name>.jsonl, with the model's vocabulary when the model exists. */
static int ru_load(GuiState *g, const char *name) {
    char path[1024];
    Status st = {{0}};
    gui_state_init(g);
    snprintf(path, sizeof path, "%s/tests/render/traces/%s.jsonl", ATTNSTEP_SOURCE_DIR, name);
    if (gui_load_trace(g, path, &st)) { fprintf(stderr, "%s\n", st.message); return -1; }
    /* the model's vocabulary names every token of the output distributions; the trace's
     * name is "<model>-<strategy>" */
    char model[1024];
    snprintf(model, sizeof model, "%s/assets/models/%s", ATTNSTEP_SOURCE_DIR, name);
    char *dash = strrchr(model, '-');
    if (dash) strcpy(dash, ".safetensors");
    if (gui_load_model(g, model, &st)) fprintf(stderr, "note: %s: tokens outside the trace are shown as #id\n", st.message);
    g->model_path[0] = 0;
    return 0;
}

/* Draws one frame; returns the surface (owned by r). */
static SDL_Surface *ru_frame(Renderer *r, GuiState *g, int view, int pos, int theme, float mx, float my) {
    g->view = (ViewId)view;
    g->pos = pos;
    g->theme = theme;
    g->anim = 1;
    UiInput in = {mx, my, 0, 0, 0};
    draw_begin(&r->dl, font_measure, r->fonts, mx, my);
    gui_frame(g, &r->dl, r->w, r->h, mx >= 0 ? &in : NULL);
    backend_draw(r->cv.backend, &r->dl, theme_by_index(theme)->bg);
    SDL_RenderPresent(r->cv.renderer);
    return r->cv.surface;
}

/* The timeline position of (step, phase), PH_END / PH_START anywhere, or encoder position
 * `enc` for PH_ENC; -1 when the trace has none. */
static inline int ru_find_pos(const TraceIndex *ix, int step, Phase phase, int enc) {
    for (int p = 0; p < ix->n_pos; p++) {
        const TlPos *q = &ix->pos[p];
        if (phase == PH_END || phase == PH_START) { if (q->phase == phase) return p; continue; }
        if (phase == PH_ENC) { if (q->phase == PH_ENC && q->enc == enc) return p; continue; }
        if (q->step == step && q->phase == phase) return p;
    }
    return -1;
}

/* ---- golden images ------------------------------------------------------------
 * A frame matches its golden when the mean absolute channel difference is at most 1.5 and
 * at most 0.5 % of the pixels differ by more than 48 in some channel (font hinting and
 * anti-aliasing may move a few pixels; a changed picture moves many). */

typedef struct RuDiff { double mean; double frac; } RuDiff;

static inline RuDiff ru_diff(SDL_Surface *a, SDL_Surface *b) {
    RuDiff d = {1e9, 1};
    if (a->w != b->w || a->h != b->h) return d;
    SDL_Surface *ca = SDL_ConvertSurfaceFormat(a, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_Surface *cb = SDL_ConvertSurfaceFormat(b, SDL_PIXELFORMAT_ARGB8888, 0);
    if (!ca || !cb) { SDL_FreeSurface(ca); SDL_FreeSurface(cb); return d; }
    double sum = 0;
    long bad = 0;
    for (int y = 0; y < a->h; y++) {
        const Uint8 *pa = (const Uint8 *)ca->pixels + y * ca->pitch, *pb = (const Uint8 *)cb->pixels + y * cb->pitch;
        for (int x = 0; x < a->w; x++) {
            int m = 0;
            for (int k = 0; k < 3; k++) {
                int df = abs(pa[4 * x + k] - pb[4 * x + k]);
                sum += df;
                if (df > m) m = df;
            }
            bad += m > 48;
        }
    }
    d.mean = sum / (3.0 * a->w * a->h);
    d.frac = (double)bad / ((double)a->w * a->h);
    SDL_FreeSurface(ca);
    SDL_FreeSurface(cb);
    return d;
}

/* Compares s with tests/render/golden/<name>.png; prints one line. On a mismatch the actual
 * image goes to <build>/render-actual/<name>.png. With ATTNSTEP_UPDATE_GOLDEN=1 it rewrites
 * the golden instead. Returns 1 on a mismatch or a missing golden, 0 otherwise. */
static inline int ru_check_golden(SDL_Surface *s, const char *name) {
    const char *upd = getenv("ATTNSTEP_UPDATE_GOLDEN");
    char path[1024], out[1200];
    Status st = {{0}};
    snprintf(path, sizeof path, "%s/tests/render/golden/%s.png", ATTNSTEP_SOURCE_DIR, name);
    if (upd && !strcmp(upd, "1")) {
        if (save_png(s, path, &st)) { printf("FAIL %s: %s\n", name, st.message); return 1; }
        printf("updated %s\n", path);
        return 0;
    }
    SDL_Surface *gold = IMG_Load(path);
    if (!gold) { printf("FAIL %s: no golden %s (run with ATTNSTEP_UPDATE_GOLDEN=1)\n", name, path); return 1; }
    RuDiff d = ru_diff(s, gold);
    SDL_FreeSurface(gold);
    int ok = d.mean <= 1.5 && d.frac <= 0.005;
    printf("%s %s: mean abs diff %.3f, differing pixels %.3f%%\n", ok ? "ok  " : "FAIL", name, d.mean, 100 * d.frac);
    if (!ok) {
        snprintf(out, sizeof out, "%s/render-actual", ATTNSTEP_BINARY_DIR);
        mkdir(out, 0755);
        snprintf(out, sizeof out, "%s/render-actual/%s.png", ATTNSTEP_BINARY_DIR, name);
        save_png(s, out, &st);
        printf("     actual image saved as %s\n", out);
    }
    return !ok;
}

/* ---- a table of golden frames replayed from committed traces ------------------ */

typedef struct RuCase {
    const char *name;   /* golden file name */
    const char *trace;  /* tests/render/traces/<trace>.jsonl */
    int view;           /* ViewId */
    int step;           /* decoder step (-1: encoder position enc) */
    Phase phase;        /* phase within the step; PH_END / PH_START; PH_ENC: encoder position `enc` */
    int enc;
    int theme;          /* 0 light, 1 dark, 2 projector */
    float mx, my;       /* mouse (tooltip), -1: none */
} RuCase;

/* The whole file as a NUL-terminated string (caller frees), or NULL when it cannot be read. */
static inline char *ru_read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); b = NULL; }
    if (b) b[n] = 0;
    fclose(f);
    return b;
}

/* Renders every case at w×h and compares it with its golden (ru_check_golden). Returns the
 * number of failures; a trace that does not load or a position it lacks counts as one. */
static inline int ru_golden_cases(const RuCase *cases, size_t n, int w, int h) {
    Renderer r;
    if (ru_open(&r, w, h)) { printf("FAIL: cannot open the renderer (fonts?)\n"); return 1; }
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        const RuCase *c = &cases[i];
        GuiState g;
        if (ru_load(&g, c->trace)) { printf("FAIL %s: cannot load trace %s\n", c->name, c->trace); failures++; gui_state_free(&g); continue; }
        int pos = ru_find_pos(&g.ix, c->step, c->phase, c->enc);
        if (pos < 0) printf("FAIL %s: no such position\n", c->name), failures++;
        else failures += ru_check_golden(ru_frame(&r, &g, c->view, pos, c->theme, c->mx, c->my), c->name);
        gui_state_free(&g);
    }
    ru_close(&r);
    return failures;
}

#endif
