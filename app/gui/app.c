/* app.c — `attnstep` (no arguments) / `attnstep gui`: the window and its main loop.
 * microui-style: SDL events → state (position, view, input text) → gui_frame builds
 * draw commands → the backend draws them. Core is called only to (re)compute a trace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL2/SDL.h>
#include <SDL2/SDL_image.h>

#include "i18n.h"
#include "backend.h"
#include "font.h"
#include "gui.h"
#include "live_train.h"
#include "monkey.h"

static void usage(FILE *out) {
    fprintf(out, "usage: attnstep [gui] [--model FILE] [--input \"sentence\"] [--beam K] [--theme T] [--view V] [--trace FILE] [--lang en|zh]\n"
                 "opens the stepper window (default model: assets/models/default.safetensors or the best trained model);\n"
                 "--lang zh: the window's own labels, captions and messages in Chinese\n");
}

static void save_screenshot(SDL_Renderer *r, GuiState *g) {
    int w, h;
    SDL_GetRendererOutputSize(r, &w, &h);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!s) return;
    char path[64];
    for (int i = 1; i < 10000; i++) {
        snprintf(path, sizeof path, "attnstep-screenshot-%d.png", i);
        FILE *f = fopen(path, "r");
        if (!f) break;
        fclose(f);
    }
    Status st = {{0}};
    if (SDL_RenderReadPixels(r, NULL, SDL_PIXELFORMAT_ARGB8888, s->pixels, s->pitch) || save_png(s, path, &st))
        snprintf(g->message, sizeof g->message, TR("screenshot failed: %.400s"), st.message[0] ? st.message : SDL_GetError());
    else
        snprintf(g->message, sizeof g->message, TR("saved %s"), path);
    g->message_error = 0;
    SDL_FreeSurface(s);
}

static void export_trace(GuiState *g) {
    char jp[64], cp[64];
    int i = 1;
    for (; i < 10000; i++) {
        snprintf(jp, sizeof jp, "attnstep-trace-%d.jsonl", i);
        FILE *f = fopen(jp, "r");
        if (!f) break;
        fclose(f);
    }
    snprintf(cp, sizeof cp, "attnstep-attention-%d.csv", i);
    Status st = {{0}};
    if (gui_export(g, jp, cp, &st)) { snprintf(g->message, sizeof g->message, TR("export failed: %.400s"), st.message); g->message_error = 1; }
    else { snprintf(g->message, sizeof g->message, TR("exported %s and %s"), jp, cp); g->message_error = 0; }
    if (!g->message_error && (g->view == VIEW_BEAM || g->view == VIEW_COMPARE)) { /* and the comparison / tree */
        char kp[64], tp[64];
        snprintf(kp, sizeof kp, "attnstep-compare-%d.csv", i);
        snprintf(tp, sizeof tp, "attnstep-tree-%d.json", i);
        int have_tree = g->ix.is_beam || (g->have_alt && g->alt_ix.is_beam);
        if (gui_export_compare(g, g->have_alt ? kp : NULL, have_tree ? tp : NULL, &st)) {
            snprintf(g->message, sizeof g->message, TR("export failed: %.400s"), st.message);
            g->message_error = 1;
        } else
            snprintf(g->message, sizeof g->message, TR("exported %s, %s%s%s%s%s"), jp, cp, g->have_alt ? ", " : "", g->have_alt ? kp : "",
                     have_tree ? ", " : "", have_tree ? tp : "");
    }
}

static void run(GuiState *g) {
    Status st = {{0}};
    g->message[0] = 0;
    g->message_error = 0;
    if (gui_run_model(g, &st)) {
        snprintf(g->message, sizeof g->message, "%s", st.message);
        g->message_error = 1;
    }
}

static int utf8_back(const char *s, int n) {
    if (n <= 0) return 0;
    n--;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    return n;
}

/* Handles a key; returns 1 to quit. */
static int on_key(GuiState *g, SDL_Window *win, SDL_Renderer *r, const SDL_Keysym *k) {
    int shift = (k->mod & KMOD_SHIFT) != 0, ctrl = (k->mod & KMOD_CTRL) != 0;
    if (g->help) { g->help = 0; return 0; }
    if (ctrl && k->sym == SDLK_q) return 1;
    if (ctrl && k->sym == SDLK_e) { export_trace(g); return 0; }
    if (k->sym == SDLK_F1) { g->help = 1; return 0; }
    if (k->sym == SDLK_F11) {
        int fs = (SDL_GetWindowFlags(win) & SDL_WINDOW_FULLSCREEN_DESKTOP) != 0;
        SDL_SetWindowFullscreen(win, fs ? 0 : SDL_WINDOW_FULLSCREEN_DESKTOP);
        return 0;
    }
    if (k->sym == SDLK_F12) { save_screenshot(r, g); return 0; }
    if (g->input_focus) {
        size_t n = strlen(g->input);
        if (k->sym == SDLK_RETURN || k->sym == SDLK_KP_ENTER) { g->input_focus = 0; run(g); }
        else if (k->sym == SDLK_ESCAPE || k->sym == SDLK_TAB) g->input_focus = 0;
        else if (k->sym == SDLK_BACKSPACE && n > 0) g->input[utf8_back(g->input, (int)n)] = 0;
        else if (ctrl && k->sym == SDLK_u) g->input[0] = 0;
        return 0;
    }
    if (g->menu && k->sym == SDLK_ESCAPE) { g->menu = 0; return 0; }
    if (g->view == VIEW_TRAINING && gui_training_key(g, k->sym, shift)) return 0; /* view 9's keys */
    switch (k->sym) {
    case SDLK_ESCAPE: return 1;
    case SDLK_SPACE: g->playing = !g->playing; break;
    case SDLK_RIGHT: g->playing = 0; if (shift) gui_step_decoder(g, 1); else gui_step(g, 1); break;
    case SDLK_LEFT: g->playing = 0; if (shift) gui_step_decoder(g, -1); else gui_step(g, -1); break;
    case SDLK_HOME: g->playing = 0; gui_set_pos(g, 0); break;
    case SDLK_END: g->playing = 0; gui_set_pos(g, 1 << 30); break;
    case SDLK_TAB: g->input_focus = 1; break;
    case SDLK_t: g->theme = (g->theme + 1) % THEME_COUNT; break;
    case SDLK_r: { /* back to the model's own choice */
        Status st = {{0}};
        if (g->have_whatif) gui_whatif_reset(g);
        else if (g->have_ix && g->ix.sel_node >= 0) gui_select_node(g, -1, &st);
        snprintf(g->message, sizeof g->message, TR("reset: the model's own choice"));
        g->message_error = 0;
        break;
    }
    case SDLK_f: /* what-if: force the selected tree node */
        if (g->have_ix && g->ix.is_beam && g->ix.sel_node >= 0) {
            g->pick = (ViewPick){PICK_TOKEN, g->ix.hyps[g->ix.sel_node].step, g->ix.hyps[g->ix.sel_node].token, -1, 0};
            gui_apply_pick(g);
        } else {
            snprintf(g->message, sizeof g->message, TR("F forces the selected beam-tree node: click a node in view 6 first"));
            g->message_error = 1;
        }
        break;
    case SDLK_b: {
        static const int beams[] = {0, 3, 5, 10};
        int i = 0;
        while (i < 4 && beams[i] != g->beam) i++;
        g->beam = beams[(i + 1) % 4];
        if (g->model) run(g);
        break;
    }
    case SDLK_m:
        if (g->n_models > 0) {
            int i = 0;
            while (i < g->n_models && strcmp(g->models[i], g->model_path)) i++;
            Status st = {{0}};
            const char *next = g->models[(i + 1) % g->n_models];
            if (gui_load_model(g, next, &st)) { snprintf(g->message, sizeof g->message, "%s", st.message); g->message_error = 1; }
            else { snprintf(g->input, sizeof g->input, "%s", gui_default_input(g->model)); run(g); }
        }
        break;
    case SDLK_PLUS: case SDLK_EQUALS: case SDLK_KP_PLUS: if (g->speed < 32) g->speed *= 2; break;
    case SDLK_MINUS: case SDLK_KP_MINUS: if (g->speed > 0.25f) g->speed /= 2; break;
    default:
        if (k->sym >= SDLK_1 && k->sym < SDLK_1 + VIEW_COUNT) g->view = (ViewId)(k->sym - SDLK_1);
        else if (k->sym == SDLK_9) g->view = VIEW_TRAINING;
        break;
    }
    return 0;
}

int cmd_gui(int argc, char **argv) {
    const char *model = NULL, *input = NULL, *theme = NULL, *trace = NULL;
    int beam = 0, view = -1, lang = I18N_EN;
    long monkey_events = 0, monkey_seed = 1; /* --monkey N: the monkey test (monkey.h) */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (i + 1 >= argc) { fprintf(stderr, "attnstep: %s needs a value\n", a); usage(stderr); return 2; }
        if (!strcmp(a, "--model")) model = argv[++i];
        else if (!strcmp(a, "--input")) input = argv[++i];
        else if (!strcmp(a, "--theme")) theme = argv[++i];
        else if (!strcmp(a, "--trace")) trace = argv[++i];
        else if (!strcmp(a, "--beam")) beam = atoi(argv[++i]);
        else if (!strcmp(a, "--view")) view = atoi(argv[++i]) - 1;
        else if (!strcmp(a, "--monkey")) monkey_events = atol(argv[++i]);
        else if (!strcmp(a, "--monkey-seed")) monkey_seed = atol(argv[++i]);
        else if (!strcmp(a, "--lang")) {
            lang = i18n_parse(argv[++i]);
            if (lang < 0) { fprintf(stderr, "attnstep: unknown --lang '%.40s' (en, zh)\n", argv[i]); return 2; }
        }
        else { fprintf(stderr, "attnstep: unknown option %s\n", a); usage(stderr); return 2; }
    }
    if (beam < 0 || beam > DECODE_MAX_BEAM) { fprintf(stderr, "attnstep: --beam must be 1..%d\n", DECODE_MAX_BEAM); return 2; }
    if (theme && !theme_get(theme)) { fprintf(stderr, "attnstep: unknown theme '%s' (light, dark, projector)\n", theme); return 2; }

    i18n_set((I18nLang)lang);
    GuiState g;
    gui_state_init(&g);
    Status st = {{0}};
    gui_scan_models(&g);
    if (!model && !trace) model = gui_default_model(&g);
    if (!model && !trace) {
        fprintf(stderr, "attnstep: no trained model found in assets/models/ (run scripts/train-models), "
                        "or pass --model FILE.safetensors\n");
        return 1;
    }
    g.beam = beam;
    if (view >= 0 && view < VIEW_COUNT) g.view = (ViewId)view;
    if (theme)
        for (int i = 0; i < THEME_COUNT; i++)
            if (!strcmp(theme_by_index(i)->name, theme)) g.theme = i;
    if (model && gui_load_model(&g, model, &st)) { fprintf(stderr, "attnstep: %s\n", st.message); gui_state_free(&g); return 1; }
    if (trace) {
        FILE *f = fopen(trace, "r");
        Trace *t = f ? trace_new() : NULL;
        if (!f || !t || trace_read_jsonl(t, f, &st) || (gui_set_trace(&g, t, &st), !g.have_ix)) {
            fprintf(stderr, "attnstep: %s: %s\n", trace, f ? st.message : "cannot open");
            if (f) fclose(f);
            gui_state_free(&g);
            return 1;
        }
        fclose(f);
    } else {
        snprintf(g.input, sizeof g.input, "%s", input ? input : gui_default_input(g.model));
        if (gui_run_model(&g, &st)) {
            snprintf(g.message, sizeof g.message, "%s", st.message);
            g.message_error = 1;
        }
    }
    if (g.have_ix) {
        /* open at the first decoder step: the encoder has run, attention is next */
        int p = 0;
        while (p < g.ix.n_pos - 1 && g.ix.pos[p].step < 0) p++;
        g.pos = p;
    }

    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "attnstep: no display available (%s).\n"
                        "To draw the views without a display, use:  attnstep render --model M --input \"...\" --view V --step S --out file.png\n",
                        SDL_GetError());
        gui_state_free(&g);
        return 1;
    }
    const char *drv = SDL_GetCurrentVideoDriver();
    if (drv && (!strcmp(drv, "dummy") || !strcmp(drv, "offscreen")) && !getenv("ATTNSTEP_ALLOW_HEADLESS_WINDOW")) {
        fprintf(stderr, "attnstep: no display available (SDL video driver '%s').\n"
                        "To draw the views without a display, use:  attnstep render --model M --input \"...\" --view V --step S --out file.png\n",
                        drv);
        SDL_Quit();
        gui_state_free(&g);
        return 1;
    }
    FontSet *fonts = load_fonts(&st);
    if (!fonts) { fprintf(stderr, "attnstep: %s\n", st.message); SDL_Quit(); gui_state_free(&g); return 1; }
    SDL_Window *win = SDL_CreateWindow("attnstep", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, 1280, 760,
                                       SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    if (!win) {
        fprintf(stderr, "attnstep: cannot open a window (%s).\nWithout a display, use:  attnstep render ... --out file.png\n", SDL_GetError());
        unload_fonts(fonts);
        SDL_Quit();
        gui_state_free(&g);
        return 1;
    }
    SDL_SetWindowMinimumSize(win, 800, 520);
    SDL_Renderer *ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
    if (!ren) ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    Backend *be = ren ? load_backend(ren, fonts) : NULL;
    if (!be) {
        fprintf(stderr, "attnstep: cannot create a renderer: %s\n", SDL_GetError());
        if (ren) SDL_DestroyRenderer(ren);
        SDL_DestroyWindow(win);
        unload_fonts(fonts);
        SDL_Quit();
        gui_state_free(&g);
        return 1;
    }
    Monkey monkey;
    if (monkey_init(&monkey, monkey_events, (uint64_t)monkey_seed)) fprintf(stderr, "attnstep: out of memory for --monkey\n");
    SDL_StartTextInput();
    DrawList dl;
    draw_init(&dl);
    int quit = 0;
    Uint64 last = SDL_GetPerformanceCounter();
    double play_acc = 0;
    UiInput in = {-1, -1, 0, 0, 0};
    while (!quit) {
        monkey_push(&monkey, win);
        in.pressed = 0;
        in.wheel = 0;
        SDL_Event e;
        int got = 0;
        /* sleep while idle: wait for an event unless something moves */
        if (!g.playing && g.anim >= 1 && !(g.view == VIEW_TRAINING && gui_training_active(&g)) && SDL_WaitEventTimeout(&e, 250)) got = 1;
        while (got || SDL_PollEvent(&e)) {
            got = 0;
            switch (e.type) {
            case SDL_QUIT: quit = 1; break;
            case SDL_MOUSEMOTION: in.mx = (float)e.motion.x; in.my = (float)e.motion.y; break;
            case SDL_MOUSEBUTTONDOWN:
                if (e.button.button == SDL_BUTTON_LEFT) { in.down = 1; in.pressed = 1; in.mx = (float)e.button.x; in.my = (float)e.button.y; }
                break;
            case SDL_MOUSEBUTTONUP: if (e.button.button == SDL_BUTTON_LEFT) in.down = 0; break;
            case SDL_MOUSEWHEEL: gui_step(&g, e.wheel.y > 0 ? -1 : 1); break;
            case SDL_WINDOWEVENT:
                if (e.window.event == SDL_WINDOWEVENT_LEAVE) in.mx = in.my = -1;
                break;
            case SDL_TEXTINPUT:
                if (g.input_focus && !g.help) {
                    size_t n = strlen(g.input), m = strlen(e.text.text);
                    if (n + m < sizeof g.input) memcpy(g.input + n, e.text.text, m + 1);
                }
                break;
            case SDL_KEYDOWN:
                if (on_key(&g, win, ren, &e.key.keysym) && monkey.total <= 0) quit = 1; /* the monkey ends with SDL_QUIT */
                break;
            default: break;
            }
        }
        Uint64 nowc = SDL_GetPerformanceCounter();
        double dt = (double)(nowc - last) / (double)SDL_GetPerformanceFrequency();
        last = nowc;
        if (dt > 0.25) dt = 0.25;
        if (g.anim < 1) { g.anim += (float)(dt / 0.18); if (g.anim > 1) g.anim = 1; }
        if (g.playing && g.have_ix) {
            play_acc += dt * g.speed;
            while (play_acc >= 1) {
                play_acc -= 1;
                if (g.pos + 1 >= g.ix.n_pos) { g.playing = 0; play_acc = 0; break; }
                gui_step(&g, 1);
            }
        } else play_acc = 0;
        int w, h;
        SDL_GetRendererOutputSize(ren, &w, &h);
        int ww, wh;
        SDL_GetWindowSize(win, &ww, &wh);
        UiInput scaled = in; /* mouse in renderer pixels (HiDPI) */
        if (in.mx >= 0 && ww > 0) { scaled.mx = in.mx * w / ww; scaled.my = in.my * h / wh; }
        Uint64 frame_start = SDL_GetPerformanceCounter();
        draw_begin(&dl, font_measure, fonts, scaled.mx, scaled.my);
        gui_frame(&g, &dl, w, h, &scaled);
        backend_draw(be, &dl, theme_by_index(g.theme)->bg);
        monkey_frame_time(&monkey, 1e3 * (double)(SDL_GetPerformanceCounter() - frame_start) / (double)SDL_GetPerformanceFrequency());
        if (g.action == ACT_RUN) run(&g);
        gui_training_poll(&g); /* view 9's "open in stepper" once the save is done */
        SDL_RenderPresent(ren);
    }
    SDL_StopTextInput();
    monkey_report(&monkey, stderr);
    monkey_free(&monkey);
    draw_free(&dl);
    unload_backend(be);
    SDL_DestroyRenderer(ren);
    SDL_DestroyWindow(win);
    unload_fonts(fonts);
    TTF_Quit();
    SDL_Quit();
    gui_state_free(&g);
    return 0;
}
