/* font.h — fonts found through fontconfig, opened per pixel size with SDL2_ttf.
 *
 * What it is: DejaVu Sans for everything, WenQuanYi Micro Hei for the code points DejaVu
 * lacks (CJK). A string mixing both (a Chinese label with a formula, "查询 s = vᵀ h") is
 * split into runs, each drawn and measured with the font that has its glyphs (font_runs),
 * so neither font's missing glyphs show as boxes. A missing font is an error whose message names the Debian
 * package to install (fonts-dejavu-core, fonts-wqy-microhei); the CJK font is optional
 * until a string needs it (then a one-time warning on stderr, and DejaVu's boxes).
 * What it is not: no drawing (backend.c turns strings into textures).
 *
 *   FontSet *fs = load_fonts(&st);        // NULL with st naming the package
 *   float w = font_measure(fs, 14, "hello");
 *   TTF_Font *f = font_for(fs, 14, "hello");
 *   unload_fonts(fs);
 */
#ifndef ATTNSTEP_GUI_FONT_H
#define ATTNSTEP_GUI_FONT_H

#include <SDL2/SDL_ttf.h>

#include "attnstep/status.h"

typedef struct FontSet FontSet;

/* Initialises SDL_ttf if needed and locates the fonts. NULL with st on failure. */
FontSet *load_fonts(Status *st);
void unload_fonts(FontSet *fs); /* NULL is a no-op */
/* The font (at pixel size size, 6..96) that can show text; NULL when it cannot be opened. */
TTF_Font *font_for(FontSet *fs, int size, const char *text);
/* A piece of a string drawn with one font. */
typedef struct FontRun { int off, len; TTF_Font *font; } FontRun;
#define FONT_MAX_RUNS 32
/* Splits text into runs of code points by the font that provides them (DejaVu first, the
 * CJK font for what DejaVu lacks); returns the count (1 for text one font shows, the whole
 * rest in the last run past FONT_MAX_RUNS). A run's font may be NULL when it cannot be opened. */
int font_runs(FontSet *fs, int size, const char *text, FontRun *runs);
/* Width in pixels of text at size (TextMeasureFn-compatible with ctx = FontSet*). */
float font_measure(void *fs, int size, const char *text);
const char *font_path(const FontSet *fs);

#endif
