/* lesson_app.c — `attnstep lesson FILE` (presenter window) and `attnstep lesson export`
 * (every slide to PNG, headless, with the same deck_frame). See lesson_ui.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <SDL2/SDL.h>

#include "backend.h"
#include "font.h"
#include "i18n.h"
#include "lesson_ui.h"
#include "live_train.h"

int lesson_present(int argc, char **argv);
int lesson_export(int argc, char **argv);
int lesson_model_dirs(const char **dirs, int max); /* app/cli/cmd_lesson.c */

static int theme_index(const char *name) {
    for (int i = 0; i < THEME_COUNT; i++)
        if (!strcmp(theme_by_index(i)->name, name)) return i;
    return -1;
}

static void print_problems(const char *path, const Lesson *l) {
    for (int k = 0; k < l->n_problems; k++)
        fprintf(stderr, "%s:%d: %s: %s\n", path, l->problems[k].line, l->problems[k].warning ? "warning" : "error", l->problems[k].message);
}

/* ---- the presenter window ---- */

typedef struct NotesWin {
    SDL_Window *win;
    SDL_Renderer *ren;
    Backend *be;
} NotesWin;

static void notes_close(NotesWin *n) {
    unload_backend(n->be);
    if (n->ren) SDL_DestroyRenderer(n->ren);
    if (n->win) SDL_DestroyWindow(n->win);
    memset(n, 0, sizeof *n);
}

static int notes_open(NotesWin *n, FontSet *fonts, int display) {
    int x = display >= 0 ? (int)SDL_WINDOWPOS_CENTERED_DISPLAY(display) : (int)SDL_WINDOWPOS_CENTERED;
    n->win = SDL_CreateWindow(TR("attnstep \xe2\x80\x94 speaker notes"), x, x, 900, 600, SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    if (!n->win) return -1;
    n->ren = SDL_CreateRenderer(n->win, -1, SDL_RENDERER_ACCELERATED);
    if (!n->ren) n->ren = SDL_CreateRenderer(n->win, -1, SDL_RENDERER_SOFTWARE);
    n->be = n->ren ? load_backend(n->ren, fonts) : NULL;
    if (!n->be) { notes_close(n); return -1; }
    return 0;
}

/* F12: the window as it is (pen strokes included) to attnstep-slide-NN-K.png in the working
 * directory, K the first free number. Prints the file or the failure. */
static void screenshot(SDL_Renderer *r, int slide) {
    int w, h;
    SDL_GetRendererOutputSize(r, &w, &h);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!s) { fprintf(stderr, "lesson: screenshot: out of memory\n"); return; }
    char path[64];
    for (int i = 1; i < 10000; i++) {
        snprintf(path, sizeof path, "attnstep-slide-%02d-%d.png", slide + 1, i);
        FILE *f = fopen(path, "r");
        if (!f) break;
        fclose(f);
    }
    Status st = {{0}};
    if (SDL_RenderReadPixels(r, NULL, SDL_PIXELFORMAT_ARGB8888, s->pixels, s->pitch) || save_png(s, path, &st))
        fprintf(stderr, "lesson: screenshot failed: %.400s\n", st.message[0] ? st.message : SDL_GetError());
    else
        printf("saved %s\n", path);
    fflush(stdout);
    SDL_FreeSurface(s);
}

/* The slide shows view 9 (a training slide, not yet opened in the stepper). */
static int training_slide(const Deck *d) { return d->run_ok && d->g.view == VIEW_TRAINING && d->g.live && d->g.live->lt; }

/* Window coordinates to renderer pixels (high-DPI). */
static float sc_x(SDL_Window *win, SDL_Renderer *ren, int x) {
    int w, h, ww, wh;
    SDL_GetRendererOutputSize(ren, &w, &h);
    SDL_GetWindowSize(win, &ww, &wh);
    return ww > 0 ? (float)x * w / ww : (float)x;
}
static float sc_y(SDL_Window *win, SDL_Renderer *ren, int y) {
    int w, h, ww, wh;
    SDL_GetRendererOutputSize(ren, &w, &h);
    SDL_GetWindowSize(win, &ww, &wh);
    return wh > 0 ? (float)y * h / wh : (float)y;
}

static void usage(FILE *out) {
    fprintf(out, "usage: attnstep lesson FILE [--windowed] [--theme light|dark|projector] [--slide N] [--notes] [--display N] [--notes-display N]\n"
                 "presents a lesson: full screen and the projector theme unless told otherwise.\n"
                 "keys: PageDown/PageUp, arrows, Space (what clickers send) move between slides; B blanks; L laser; P pen, C clears;\n"
                 "      Z or the wheel zooms at the mouse, 0 resets; [ ] step the view; N speaker notes; T theme; F12 screenshot; F1 keys; Esc quits\n"
                 "      on a training slide: Space plays / pauses training, R resets, S saves, O opens in the stepper, [ ] scrub snapshots,\n"
                 "      a click in the view works its buttons\n");
}

int lesson_present(int argc, char **argv) {
    const char *path = NULL, *theme = "projector";
    int windowed = 0, slide = 1, notes = 0, display = 0, notes_display = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (!strcmp(a, "--windowed")) { windowed = 1; continue; }
        if (!strcmp(a, "--notes")) { notes = 1; continue; }
        if (a[0] == '-' && a[1] == '-') {
            if (i + 1 >= argc) { fprintf(stderr, "lesson: %s needs a value\n", a); return 2; }
            const char *v = argv[++i];
            if (!strcmp(a, "--theme")) theme = v;
            else if (!strcmp(a, "--slide")) slide = atoi(v);
            else if (!strcmp(a, "--display")) display = atoi(v);
            else if (!strcmp(a, "--notes-display")) notes_display = atoi(v);
            else { fprintf(stderr, "lesson: unknown option %s\n", a); usage(stderr); return 2; }
        } else if (!path) path = a;
        else { fprintf(stderr, "lesson: one lesson file at a time (%s and %s)\n", path, a); return 2; }
    }
    if (!path) { usage(stderr); return 2; }
    if (theme_index(theme) < 0) { fprintf(stderr, "lesson: unknown theme '%s' (light, dark, projector)\n", theme); return 2; }
    const char *dirs[4];
    int nd = lesson_model_dirs(dirs, 4);
    Deck d;
    Status st = {{0}};
    if (deck_open(&d, path, dirs, nd, &st)) { fprintf(stderr, "lesson: %s\n", st.message); return 1; }
    print_problems(path, d.lesson);
    if (d.lesson->n_errors) fprintf(stderr, "lesson: %d problem%s (run `attnstep lesson check %s`); presenting anyway\n", d.lesson->n_errors,
                                   d.lesson->n_errors > 1 ? "s" : "", path);
    /* the presenter speaks the lesson's language throughout: the window titles (the speaker
     * notes'), and the messages the training worker formats while a slide trains live */
    i18n_set(d.zh ? I18N_ZH : I18N_EN);
    d.g.theme = theme_index(theme);
    d.live = 1; /* training slides get a worker: Play trains on in the window */
    deck_goto(&d, slide - 1);

    if (SDL_Init(SDL_INIT_VIDEO) != 0) { fprintf(stderr, "lesson: cannot initialise SDL: %s\n", SDL_GetError()); deck_close(&d); return 1; }
    const char *drv = SDL_GetCurrentVideoDriver();
    if (drv && (!strcmp(drv, "dummy") || !strcmp(drv, "offscreen")) && !getenv("ATTNSTEP_ALLOW_HEADLESS_WINDOW")) {
        fprintf(stderr, "lesson: no display available (SDL video driver '%s'). Without a display: attnstep lesson export %s --out DIR\n", drv, path);
        SDL_Quit();
        deck_close(&d);
        return 1;
    }
    FontSet *fonts = load_fonts(&st);
    if (!fonts) { fprintf(stderr, "lesson: %s\n", st.message); SDL_Quit(); deck_close(&d); return 1; }
    int ndisp = SDL_GetNumVideoDisplays();
    if (display < 0 || display >= ndisp) {
        fprintf(stderr, "lesson: --display %d: there %s %d display%s (0..%d); using 0\n", display, ndisp == 1 ? "is" : "are", ndisp,
                ndisp == 1 ? "" : "s", ndisp - 1);
        display = 0;
    }
    int wp = (int)SDL_WINDOWPOS_CENTERED_DISPLAY(display);
    Uint32 flags = SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI | (windowed ? 0 : SDL_WINDOW_FULLSCREEN_DESKTOP);
    SDL_Window *win = SDL_CreateWindow(TR("attnstep \xe2\x80\x94 lesson"), wp, wp, 1280, 720, flags);
    SDL_Renderer *ren = win ? SDL_CreateRenderer(win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC) : NULL;
    if (win && !ren) ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    Backend *be = ren ? load_backend(ren, fonts) : NULL;
    if (!be) {
        fprintf(stderr, "lesson: cannot open a window: %s\n", SDL_GetError());
        if (ren) SDL_DestroyRenderer(ren);
        if (win) SDL_DestroyWindow(win);
        unload_fonts(fonts);
        SDL_Quit();
        deck_close(&d);
        return 1;
    }
    NotesWin nw = {0};
    if (notes_display < 0) notes_display = ndisp > 1 ? (display + 1) % ndisp : display;
    if (notes && notes_open(&nw, fonts, notes_display)) fprintf(stderr, "lesson: cannot open the notes window: %s\n", SDL_GetError());
    DrawList dl;
    draw_init(&dl);
    UiInput in = {-1, -1, 0, 0, 0};
    Uint64 t0 = SDL_GetPerformanceCounter();
    int quit = 0, screenshot_pending = 0;
    if (d.laser) SDL_ShowCursor(SDL_DISABLE);
    while (!quit) {
        SDL_Event e;
        /* view 9 playing (a training slide): redraw at ~60 Hz, else wait for events */
        int active = d.g.view == VIEW_TRAINING && gui_training_active(&d.g);
        int got = SDL_WaitEventTimeout(&e, active ? 16 : nw.win ? 500 : 1000);
        in.pressed = 0;
        while (got || SDL_PollEvent(&e)) {
            got = 0;
            switch (e.type) {
            case SDL_QUIT: quit = 1; break;
            case SDL_WINDOWEVENT:
                if (e.window.event == SDL_WINDOWEVENT_CLOSE) {
                    if (nw.win && e.window.windowID == SDL_GetWindowID(nw.win)) notes_close(&nw);
                    else quit = 1;
                }
                if (e.window.event == SDL_WINDOWEVENT_LEAVE && e.window.windowID == SDL_GetWindowID(win)) in.mx = in.my = -1;
                break;
            case SDL_MOUSEMOTION:
                if (e.motion.windowID != SDL_GetWindowID(win)) break;
                in.mx = (float)e.motion.x;
                in.my = (float)e.motion.y;
                if (d.pen && d.drawing) deck_pen(&d, 1, in.mx, in.my);
                break;
            case SDL_MOUSEBUTTONDOWN:
                if (e.button.windowID != SDL_GetWindowID(win)) break;
                if (e.button.button == SDL_BUTTON_LEFT && d.pen) deck_pen(&d, 0, (float)e.button.x, (float)e.button.y);
                else if (e.button.button == SDL_BUTTON_LEFT && training_slide(&d) && rect_contains(d.view_area, sc_x(win, ren, e.button.x), sc_y(win, ren, e.button.y))) {
                    in.mx = (float)e.button.x; /* view 9's buttons and strip take the click */
                    in.my = (float)e.button.y;
                    in.pressed = in.down = 1;
                }
                else if (e.button.button == SDL_BUTTON_LEFT && !d.pen) deck_goto(&d, d.slide + 1); /* a click advances */
                else if (e.button.button == SDL_BUTTON_RIGHT) deck_goto(&d, d.slide - 1);
                break;
            case SDL_MOUSEBUTTONUP:
                if (e.button.button == SDL_BUTTON_LEFT) { deck_pen(&d, 2, 0, 0); in.down = 0; }
                break;
            case SDL_MOUSEWHEEL:
                if (rect_contains(d.view_area, in.mx, in.my)) {
                    float z = d.user_zoom * (e.wheel.y > 0 ? 1.25f : 0.8f);
                    d.user_zoom = z < 1.05f ? 1 : z > 8 ? 8 : z;
                    d.user_zx = (in.mx - d.view_area.x) / d.view_area.w;
                    d.user_zy = (in.my - d.view_area.y) / d.view_area.h;
                }
                break;
            case SDL_KEYDOWN: {
                SDL_Keycode k = e.key.keysym.sym;
                if (d.help && k != SDLK_F1) { d.help = 0; break; }
                /* any key but Esc and F12 returns from a blank screen (B and . only return) */
                if (d.blank && k != SDLK_ESCAPE && k != SDLK_F12) { d.blank = 0; if (k == SDLK_b || k == SDLK_PERIOD) break; }
                /* a training slide: Space plays / pauses, R resets, S saves, O opens in the stepper,
                 * [ ] scrub the snapshots (view 9's own keys; PageDown and the arrows still move on) */
                if (training_slide(&d)) {
                    int sym = k == SDLK_LEFTBRACKET ? SDLK_LEFT : k == SDLK_RIGHTBRACKET ? SDLK_RIGHT : k;
                    if ((k == SDLK_SPACE || k == SDLK_r || k == SDLK_s || k == SDLK_o || k == SDLK_LEFTBRACKET || k == SDLK_RIGHTBRACKET) &&
                        gui_training_key(&d.g, sym, 0))
                        break;
                }
                switch (k) {
                case SDLK_PAGEDOWN: case SDLK_RIGHT: case SDLK_DOWN: case SDLK_SPACE: case SDLK_RETURN: case SDLK_KP_ENTER:
                    deck_goto(&d, d.slide + 1);
                    break;
                case SDLK_PAGEUP: case SDLK_LEFT: case SDLK_UP: case SDLK_BACKSPACE: deck_goto(&d, d.slide - 1); break;
                case SDLK_HOME: deck_goto(&d, 0); break;
                case SDLK_END: deck_goto(&d, d.lesson->n_slides - 1); break;
                case SDLK_b: case SDLK_PERIOD: d.blank = 1; break;
                case SDLK_l: d.laser = !d.laser; SDL_ShowCursor(d.laser ? SDL_DISABLE : SDL_ENABLE); break;
                case SDLK_p: d.pen = !d.pen; break;
                case SDLK_c: deck_clear_strokes(&d); break;
                case SDLK_z:
                    if (d.user_zoom > 1) d.user_zoom = 1;
                    else if (rect_contains(d.view_area, in.mx, in.my)) {
                        d.user_zoom = 2;
                        d.user_zx = (in.mx - d.view_area.x) / d.view_area.w;
                        d.user_zy = (in.my - d.view_area.y) / d.view_area.h;
                    } else { d.user_zoom = 2; d.user_zx = d.user_zy = 0.5f; }
                    break;
                case SDLK_0: d.user_zoom = 1; break;
                case SDLK_RIGHTBRACKET: if (d.run_ok) gui_step(&d.g, 1); d.g.anim = 1; break;
                case SDLK_LEFTBRACKET: if (d.run_ok) gui_step(&d.g, -1); d.g.anim = 1; break;
                case SDLK_t: d.g.theme = (d.g.theme + 1) % THEME_COUNT; break;
                case SDLK_n:
                    if (nw.win) notes_close(&nw);
                    else if (notes_open(&nw, fonts, notes_display)) fprintf(stderr, "lesson: cannot open the notes window: %s\n", SDL_GetError());
                    break;
                case SDLK_F1: case SDLK_SLASH: d.help = !d.help; break;
                case SDLK_F11: {
                    int fs = (SDL_GetWindowFlags(win) & SDL_WINDOW_FULLSCREEN_DESKTOP) != 0;
                    SDL_SetWindowFullscreen(win, fs ? 0 : SDL_WINDOW_FULLSCREEN_DESKTOP);
                    break;
                }
                case SDLK_F12: screenshot_pending = 1; break;
                case SDLK_ESCAPE: case SDLK_q: quit = 1; break;
                default: break;
                }
                break;
            }
            default: break;
            }
        }
        int w, h, ww, wh;
        SDL_GetRendererOutputSize(ren, &w, &h);
        SDL_GetWindowSize(win, &ww, &wh);
        UiInput sc = in;
        if (in.mx >= 0 && ww > 0) { sc.mx = in.mx * w / ww; sc.my = in.my * h / wh; }
        draw_begin(&dl, font_measure, fonts, sc.mx, sc.my);
        deck_frame(&d, &dl, w, h, &sc);
        { /* "open in stepper": the saved model's heatmap replaces view 9 (its message in the lesson's language) */
            I18nLang was = i18n_set(d.zh ? I18N_ZH : I18N_EN);
            gui_training_poll(&d.g);
            i18n_set(was);
        }
        backend_draw(be, &dl, theme_by_index(d.g.theme)->bg);
        if (screenshot_pending) { screenshot(ren, d.slide); screenshot_pending = 0; } /* before present: the back buffer holds the frame */
        SDL_RenderPresent(ren);
        if (nw.win) {
            int nw_w, nw_h;
            SDL_GetRendererOutputSize(nw.ren, &nw_w, &nw_h);
            double el = (double)(SDL_GetPerformanceCounter() - t0) / (double)SDL_GetPerformanceFrequency();
            draw_begin(&dl, font_measure, fonts, -1, -1);
            deck_notes_frame(&d, &dl, nw_w, nw_h, el);
            backend_draw(nw.be, &dl, theme_get("dark")->bg);
            SDL_RenderPresent(nw.ren);
        }
    }
    SDL_ShowCursor(SDL_ENABLE);
    notes_close(&nw);
    draw_free(&dl);
    unload_backend(be);
    SDL_DestroyRenderer(ren);
    SDL_DestroyWindow(win);
    unload_fonts(fonts);
    TTF_Quit();
    SDL_Quit();
    deck_close(&d);
    return 0;
}

/* ---- export ---- */

static void export_usage(FILE *out) {
    fprintf(out, "usage: attnstep lesson export FILE --out DIR [--size WxH] [--theme light|dark|projector] [--notes]\n"
                 "renders every slide to DIR/slide-NN.png (default 1920x1080, projector theme), without a display;\n"
                 "--notes also writes DIR/notes-NN.png. Exit code 1 when a slide's narration overflows or a slide fails.\n");
}

int lesson_export(int argc, char **argv) {
    const char *path = NULL, *out = NULL, *theme = "projector";
    int W = 1920, H = 1080, notes = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { export_usage(stdout); return 0; }
        if (!strcmp(a, "--notes")) { notes = 1; continue; }
        if (a[0] == '-' && a[1] == '-') {
            if (i + 1 >= argc) { fprintf(stderr, "lesson export: %s needs a value\n", a); return 2; }
            const char *v = argv[++i];
            if (!strcmp(a, "--out")) out = v;
            else if (!strcmp(a, "--theme")) theme = v;
            else if (!strcmp(a, "--size")) {
                if (sscanf(v, "%dx%d", &W, &H) != 2 || W < 640 || H < 360 || W > 8192 || H > 8192) {
                    fprintf(stderr, "lesson export: --size must be WxH, from 640x360 to 8192x8192\n");
                    return 2;
                }
            } else { fprintf(stderr, "lesson export: unknown option %s\n", a); export_usage(stderr); return 2; }
        } else if (!path) path = a;
        else { fprintf(stderr, "lesson export: one lesson file at a time\n"); return 2; }
    }
    if (!path || !out) { export_usage(stderr); return 2; }
    if (theme_index(theme) < 0) { fprintf(stderr, "lesson export: unknown theme '%s' (light, dark, projector)\n", theme); return 2; }
    /* like mkdir -p */
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", out);
    for (char *c = dir + 1;; c++) {
        if (*c != '/' && *c) continue;
        char keep = *c;
        *c = 0;
        if (mkdir(dir, 0777) && errno != EEXIST) { fprintf(stderr, "lesson export: cannot create %s: %s\n", dir, strerror(errno)); return 1; }
        *c = keep;
        if (!keep) break;
    }
    const char *dirs[4];
    int nd = lesson_model_dirs(dirs, 4);
    Deck d;
    Status st = {{0}};
    if (deck_open(&d, path, dirs, nd, &st)) { fprintf(stderr, "lesson export: %s\n", st.message); return 1; }
    print_problems(path, d.lesson);
    d.g.theme = theme_index(theme);
    int rc = d.lesson->n_errors ? 1 : 0;
    FontSet *fonts = load_fonts(&st);
    Canvas cv = {0}, cn = {0};
    DrawList dl;
    draw_init(&dl);
    if (!fonts || load_canvas(&cv, W, H, fonts, &st) || (notes && load_canvas(&cn, 1200, 800, fonts, &st))) {
        fprintf(stderr, "lesson export: %s\n", st.message);
        rc = 1;
        goto done;
    }
    for (int i = 0; i < d.lesson->n_slides; i++) {
        deck_goto(&d, i);
        draw_begin(&dl, font_measure, fonts, -1, -1);
        deck_frame(&d, &dl, W, H, NULL);
        backend_draw(cv.backend, &dl, theme_by_index(d.g.theme)->bg);
        SDL_RenderPresent(cv.renderer);
        char file[1200];
        snprintf(file, sizeof file, "%.1000s/slide-%02d.png", out, i + 1);
        if (save_png(cv.surface, file, &st)) { fprintf(stderr, "lesson export: %s\n", st.message); rc = 1; break; }
        printf("%s  %s\n", file, d.lesson->slides[i].title);
        if (d.overflow) { fprintf(stderr, "%s: error: %s\n", path, d.overflow_what); rc = 1; }
        if (d.hl_missing) fprintf(stderr, "%s: warning: %s\n", path, d.hl_missing_what);
        if (d.message[0]) { fprintf(stderr, "%s: slide %d: %s\n", path, i + 1, d.message); if (!d.run_ok) rc = 1; }
        if (notes) {
            draw_begin(&dl, font_measure, fonts, -1, -1);
            deck_notes_frame(&d, &dl, 1200, 800, 0);
            if (d.overflow) { fprintf(stderr, "%s: error: %s\n", path, d.overflow_what); rc = 1; }
            backend_draw(cn.backend, &dl, theme_get("dark")->bg);
            SDL_RenderPresent(cn.renderer);
            snprintf(file, sizeof file, "%.1000s/notes-%02d.png", out, i + 1);
            if (save_png(cn.surface, file, &st)) { fprintf(stderr, "lesson export: %s\n", st.message); rc = 1; break; }
        }
    }
done:
    draw_free(&dl);
    unload_canvas(&cn);
    unload_canvas(&cv);
    unload_fonts(fonts);
    deck_close(&d);
    if (TTF_WasInit()) TTF_Quit();
    SDL_Quit();
    return rc;
}
