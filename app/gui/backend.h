/* backend.h — the one place that turns a DrawList into pixels (SDL_Renderer).
 *
 * What it is: fills rects, draws thick lines and triangles (SDL_RenderGeometry) and text
 * (SDL2_ttf, blended, cached as textures per string/size/colour), honouring clip
 * commands. The same code draws into the window's renderer and into a software renderer
 * on an SDL_Surface for headless PNGs (attnstep render, golden tests).
 * What it is not: no layout, no state.
 *
 *   Backend *b = load_backend(renderer, fonts);
 *   backend_draw(b, &dl, bg);
 *   SDL_RenderPresent(renderer);
 *   unload_backend(b);
 */
#ifndef ATTNSTEP_GUI_BACKEND_H
#define ATTNSTEP_GUI_BACKEND_H

#include <SDL2/SDL.h>

#include "draw.h"
#include "font.h"

typedef struct Backend Backend;

/* Borrows renderer and fonts (both must outlive the backend). NULL on out of memory. */
Backend *load_backend(SDL_Renderer *renderer, FontSet *fonts);
void unload_backend(Backend *b); /* NULL is a no-op; destroys cached textures */
/* Clears to bg, then executes every command of dl in order. */
void backend_draw(Backend *b, const DrawList *dl, Color bg);

/* Headless: a 32-bit surface of w×h with a software renderer on it. */
typedef struct Canvas {
    SDL_Surface *surface;
    SDL_Renderer *renderer;
    Backend *backend;
} Canvas;
/* 0, or -1 with st. */
int load_canvas(Canvas *c, int w, int h, FontSet *fonts, Status *st);
void unload_canvas(Canvas *c);
/* Writes surface as PNG (SDL2_image). -1 with st. */
int save_png(SDL_Surface *s, const char *path, Status *st);

#endif
