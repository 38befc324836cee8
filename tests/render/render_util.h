/* render_util.h — shared by the GUI tests: replay a committed trace and render one frame
 * of the real window (gui_frame) into a software-renderer surface, as `attnstep render`. */
#ifndef ATTNSTEP_TESTS_RENDER_UTIL_H
#define ATTNSTEP_TESTS_RENDER_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL2/SDL.h>

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

#endif
