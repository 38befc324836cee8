/* render.c — `attnstep render`: draws any view at any position to a PNG, headless, with
 * the window's own frame code (SDL software renderer on a surface; no display needed). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <SDL2/SDL.h>
#include <SDL2/SDL_image.h>

#include "backend.h"
#include "font.h"
#include "gui.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: attnstep render (--model FILE --input \"sentence\" [--beam K] | --trace FILE.jsonl [--model FILE])\n"
            "                       [--view V] [--step S] [--size WxH] [--theme T] [--out FILE.png]\n"
            "draws exactly what the window shows, without a display, into a PNG\n\n"
            "  --model FILE     model to decode with (with --trace: only its vocabulary is used, to name tokens)\n"
            "  --input TEXT     source sentence (also accepted as the last argument)\n"
            "  --beam K         beam search with width K (default: greedy)\n"
            "  --trace FILE     render a saved trace (attnstep trace / Ctrl+E) instead of running a model\n"
            "  --view V         1..6 or cell|unrolled|seq2seq|attention|heatmap|beam (default 4)\n"
            "  --step S         timeline position: 0 = start, negative counts from the end, 'end' (default end)\n"
            "  --size WxH       image size (default 1280x720)\n"
            "  --theme T        light|dark|projector (default light)\n"
            "  --mouse X,Y      pretend the mouse is at X,Y (shows that tooltip)\n"
            "  --out FILE       output PNG (default attnstep-render.png)\n"
            "  --frames N       also time N frames of this view (software renderer) and print median/p99\n"
            "  --list           print the timeline positions and exit\n");
}

static int parse_view(const char *s) {
    static const char *names[] = {"cell", "unrolled", "seq2seq", "attention", "heatmap", "beam"};
    if (s[0] >= '1' && s[0] <= '6' && !s[1]) return s[0] - '1';
    for (int i = 0; i < 6; i++)
        if (!strcmp(s, names[i])) return i;
    return -1;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int cmd_render(int argc, char **argv) {
    const char *model = NULL, *input = NULL, *trace = NULL, *out = "attnstep-render.png", *step = "end", *theme = "light";
    int view = VIEW_ATTENTION, beam = 0, W = 1280, H = 720, frames = 0, list = 0;
    float mx = -1, my = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (!strcmp(a, "--list")) { list = 1; continue; }
        if (a[0] == '-' && a[1] == '-' && !v) { fprintf(stderr, "render: %s needs a value\n", a); return 2; }
        if (!strcmp(a, "--model")) model = argv[++i];
        else if (!strcmp(a, "--input")) input = argv[++i];
        else if (!strcmp(a, "--trace")) trace = argv[++i];
        else if (!strcmp(a, "--out")) out = argv[++i];
        else if (!strcmp(a, "--step")) step = argv[++i];
        else if (!strcmp(a, "--theme")) theme = argv[++i];
        else if (!strcmp(a, "--beam")) {
            beam = atoi(argv[++i]);
            if (beam < 1 || beam > DECODE_MAX_BEAM) { fprintf(stderr, "render: --beam must be 1..%d\n", DECODE_MAX_BEAM); return 2; }
        } else if (!strcmp(a, "--frames")) frames = atoi(argv[++i]);
        else if (!strcmp(a, "--view")) {
            view = parse_view(argv[++i]);
            if (view < 0) { fprintf(stderr, "render: unknown view '%s' (1..6 or cell|unrolled|seq2seq|attention|heatmap|beam)\n", argv[i]); return 2; }
        } else if (!strcmp(a, "--size")) {
            if (sscanf(argv[++i], "%dx%d", &W, &H) != 2 || W < 320 || H < 240 || W > 8192 || H > 8192) {
                fprintf(stderr, "render: --size must be WxH, from 320x240 to 8192x8192\n");
                return 2;
            }
        } else if (!strcmp(a, "--mouse")) {
            if (sscanf(argv[++i], "%f,%f", &mx, &my) != 2) { fprintf(stderr, "render: --mouse must be X,Y\n"); return 2; }
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "render: unknown option %s\n", a);
            usage(stderr);
            return 2;
        } else input = a;
    }
    const Theme *th = theme_get(theme);
    if (!th) { fprintf(stderr, "render: unknown theme '%s' (light, dark, projector)\n", theme); return 2; }
    if (!trace && (!model || !input)) { fprintf(stderr, "render: give --model and --input, or --trace\n"); usage(stderr); return 2; }

    GuiState g;
    gui_state_init(&g);
    Status st = {{0}};
    int rc = 1;
    FontSet *fonts = NULL;
    Canvas cv = {0};
    DrawList dl;
    draw_init(&dl);
    for (int i = 0; i < THEME_COUNT; i++)
        if (theme_by_index(i) == th) g.theme = i;
    g.view = (ViewId)view;
    g.beam = beam;
    if (model && gui_load_model(&g, model, &st)) { fprintf(stderr, "render: %s\n", st.message); goto done; }
    if (trace) {
        if (gui_load_trace(&g, trace, &st)) { fprintf(stderr, "render: %s\n", st.message); goto done; }
        g.model_path[0] = 0; /* the picture names the trace's model */
    } else {
        snprintf(g.input, sizeof g.input, "%s", input);
        if (gui_run_model(&g, &st)) { fprintf(stderr, "render: %s\n", st.message); goto done; }
    }
    if (list) {
        char b[400];
        for (int p = 0; p < g.ix.n_pos; p++) printf("%d\t%s\n", p, tl_describe(&g.ix, p, b, sizeof b));
        rc = 0;
        goto done;
    }
    int pos = tl_parse_pos(&g.ix, step);
    if (pos < 0) { fprintf(stderr, "render: --step %s is not a position (0..%d, negative from the end, or end)\n", step, g.ix.n_pos - 1); goto done; }
    g.pos = pos;
    g.anim = 1;
    g.message[0] = 0;
    if (!(fonts = load_fonts(&st))) { fprintf(stderr, "render: %s\n", st.message); goto done; }
    if (load_canvas(&cv, W, H, fonts, &st)) { fprintf(stderr, "render: %s\n", st.message); goto done; }
    UiInput in = {mx, my, 0, 0, 0};
    draw_begin(&dl, font_measure, fonts, mx, my);
    gui_frame(&g, &dl, W, H, mx >= 0 ? &in : NULL);
    backend_draw(cv.backend, &dl, th->bg);
    SDL_RenderPresent(cv.renderer);
    if (save_png(cv.surface, out, &st)) { fprintf(stderr, "render: %s\n", st.message); goto done; }
    if (frames > 0) {
        double *t = malloc((size_t)frames * sizeof *t);
        if (!t) goto done;
        for (int f = 0; f < frames; f++) {
            double t0 = now_ms();
            draw_begin(&dl, font_measure, fonts, mx, my);
            g.pos = (pos + f) % g.ix.n_pos; /* each frame a different position, like playing */
            gui_frame(&g, &dl, W, H, NULL);
            backend_draw(cv.backend, &dl, th->bg);
            SDL_RenderPresent(cv.renderer);
            t[f] = now_ms() - t0;
        }
        qsort(t, (size_t)frames, sizeof *t, cmp_d);
        printf("frame time over %d frames (%dx%d, view %d, software renderer): median %.2f ms, p99 %.2f ms, max %.2f ms\n", frames,
               W, H, view + 1, t[frames / 2], t[(int)(frames * 0.99)], t[frames - 1]);
        free(t);
    }
    rc = 0;
done:
    draw_free(&dl);
    unload_canvas(&cv);
    unload_fonts(fonts);
    gui_state_free(&g);
    if (TTF_WasInit()) TTF_Quit();
    SDL_Quit();
    return rc;
}
