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
#include "i18n.h"
#include "live_train.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: attnstep render (--model FILE --input \"sentence\" [--beam K] | --trace FILE.jsonl [--model FILE])\n"
            "                       [--view V] [--step S] [--size WxH] [--theme T] [--out FILE.png]\n"
            "draws exactly what the window shows, without a display, into a PNG\n\n"
            "  --model FILE     model to decode with (with --trace: only its vocabulary is used, to name tokens)\n"
            "  --input TEXT     source sentence (also accepted as the last argument)\n"
            "  --beam K         beam search with width K (default: greedy)\n"
            "  --trace FILE     render a saved trace (attnstep trace / Ctrl+E) instead of running a model\n"
            "  --view V         1..9 or cell|unrolled|seq2seq|attention|heatmap|beam|compare|transformer|training (default 4)\n"
            "  view 9, live training (no --model/--input): --task reverse|dates|translate, --arch bi-additive|additive|\n"
            "                   dot|general|scaled_dot|none, --train-steps N (batches run first), --scrub K (show snapshot K),\n"
            "                   --train-log (print the snapshot table), --live-seconds S (train in the background thread\n"
            "                   while drawing at 60 Hz; print frame times and when the attention became sharp)\n"
            "  --trace2 FILE    with --trace: the comparison partner for view 7 (greedy for a beam trace, or beam)\n"
            "  --nbest N, --lenpen none|avg|gnmt, --alpha A, --coverage B, --min-len N, --max-len N,\n"
            "  --no-repeat-ngram N   beam options, as in the window's controls strip (views 6 and 7)\n"
            "  --select N       select beam tree node N (index in the tree, 0-based): views 3-5 follow it\n"
            "  --force S:TOKEN  what-if: force TOKEN at decoder step S (from 1) and decode the rest\n"
            "  --attention S:w1,w2,...  what-if: these attention weights (one per source token with <eos>,\n"
            "                   renormalised) replace the softmax at decoder step S (from 1)\n"
            "  --export-csv F   also write the greedy/beam comparison as CSV\n"
            "  --export-tree F  also write the beam tree as JSON\n"
            "  --step S         timeline position: 0 = start, negative counts from the end, 'end' (default end)\n"
            "  --size WxH       image size (default 1280x720)\n"
            "  --theme T        light|dark|projector (default light)\n"
            "  --lang en|zh     the language of the window's own labels and messages (default en)\n"
            "  --mouse X,Y      pretend the mouse is at X,Y (shows that tooltip)\n"
            "  --out FILE       output PNG (default attnstep-render.png)\n"
            "  --frames N       also time N frames of this view (software renderer) and print median/p99\n"
            "  --list           print the timeline positions and exit\n");
}

static int parse_view(const char *s) {
    static const char *names[] = {"cell", "unrolled", "seq2seq", "attention", "heatmap", "beam", "compare", "transformer", "training"};
    if (s[0] >= '1' && s[0] <= '9' && !s[1]) return s[0] - '1'; /* 9: VIEW_TRAINING */
    for (int i = 0; i < 9; i++)
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

/* One frame of the window into the canvas (view 9's live measurement draws many). */
typedef struct RenderFrame {
    GuiState *g;
    DrawList *dl;
    FontSet *fonts;
    Canvas *cv;
    int W, H;
    const Theme *th;
    float mx, my;
} RenderFrame;

static void render_frame(void *ctx) {
    RenderFrame *f = ctx;
    UiInput in = {f->mx, f->my, 0, 0, 0};
    draw_begin(f->dl, font_measure, f->fonts, f->mx, f->my);
    gui_frame(f->g, f->dl, f->W, f->H, f->mx >= 0 ? &in : NULL);
    backend_draw(f->cv->backend, f->dl, f->th->bg);
    SDL_RenderPresent(f->cv->renderer);
}

int cmd_render(int argc, char **argv) {
    const char *model = NULL, *input = NULL, *trace = NULL, *out = "attnstep-render.png", *step = "end", *theme = "light";
    int view = VIEW_ATTENTION, beam = 0, W = 1280, H = 720, frames = 0, list = 0;
    float mx = -1, my = -1;
    const char *lt_task = NULL, *lt_arch = NULL; /* view 9 (live training) */
    long lt_steps = 0;
    int lt_scrub = -1, lt_log = 0;
    double lt_live = 0;
    const char *trace2 = NULL, *select_node = NULL, *force = NULL, *export_csv = NULL, *export_tree = NULL, *attn_override = NULL;
    struct { int nbest, lenpen, min_len, max_len, no_repeat; float alpha, coverage; } bopt = {0, LENPEN_NONE, 0, 0, 0, 0.6f, 0.0f};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (!strcmp(a, "--list")) { list = 1; continue; }
        if (!strcmp(a, "--train-log")) { lt_log = 1; continue; }
        if (a[0] == '-' && a[1] == '-' && !v) { fprintf(stderr, "render: %s needs a value\n", a); return 2; }
        if (!strcmp(a, "--model")) model = argv[++i];
        else if (!strcmp(a, "--input")) input = argv[++i];
        else if (!strcmp(a, "--trace")) trace = argv[++i];
        else if (!strcmp(a, "--out")) out = argv[++i];
        else if (!strcmp(a, "--step")) step = argv[++i];
        else if (!strcmp(a, "--theme")) theme = argv[++i];
        else if (!strcmp(a, "--lang")) {
            int lg = i18n_parse(argv[++i]);
            if (lg < 0) { fprintf(stderr, "render: unknown --lang '%.40s' (en, zh)\n", argv[i]); return 2; }
            i18n_set((I18nLang)lg);
        }
        else if (!strcmp(a, "--beam")) {
            beam = atoi(argv[++i]);
            if (beam < 1 || beam > DECODE_MAX_BEAM) { fprintf(stderr, "render: --beam must be 1..%d\n", DECODE_MAX_BEAM); return 2; }
        } else if (!strcmp(a, "--frames")) frames = atoi(argv[++i]);
        else if (!strcmp(a, "--view")) {
            view = parse_view(argv[++i]);
            if (view < 0) { fprintf(stderr, "render: unknown view '%s' (1..9 or cell|unrolled|seq2seq|attention|heatmap|beam|compare|transformer|training)\n", argv[i]); return 2; }
        } else if (!strcmp(a, "--task")) lt_task = argv[++i];
        else if (!strcmp(a, "--arch")) lt_arch = argv[++i];
        else if (!strcmp(a, "--train-steps") || !strcmp(a, "--scrub") || !strcmp(a, "--live-seconds")) {
            char *e = NULL;
            double d = strtod(argv[++i], &e);
            if (e == argv[i] || *e || !(d >= -1 && d <= 1e7)) { fprintf(stderr, "render: bad value '%.100s' for %s\n", argv[i], a); return 2; }
            if (!strcmp(a, "--train-steps")) lt_steps = (long)d;
            else if (!strcmp(a, "--scrub")) lt_scrub = (int)d;
            else lt_live = d;
        } else if (!strcmp(a, "--trace2")) trace2 = argv[++i];
        else if (!strcmp(a, "--select")) select_node = argv[++i];
        else if (!strcmp(a, "--force")) force = argv[++i];
        else if (!strcmp(a, "--attention")) attn_override = argv[++i];
        else if (!strcmp(a, "--export-csv")) export_csv = argv[++i];
        else if (!strcmp(a, "--export-tree")) export_tree = argv[++i];
        else if (!strcmp(a, "--nbest") || !strcmp(a, "--alpha") || !strcmp(a, "--coverage") || !strcmp(a, "--min-len") ||
                 !strcmp(a, "--max-len") || !strcmp(a, "--no-repeat-ngram") || !strcmp(a, "--lenpen")) {
            const char *val = argv[++i];
            char *e = NULL;
            double d = strtod(val, &e);
            int bad = !strcmp(a, "--lenpen") ? 0 : (e == val || *e);
            if (!strcmp(a, "--lenpen")) {
                if (!strcmp(val, "none")) bopt.lenpen = LENPEN_NONE;
                else if (!strcmp(val, "avg")) bopt.lenpen = LENPEN_AVG;
                else if (!strcmp(val, "gnmt")) bopt.lenpen = LENPEN_GNMT;
                else bad = 1;
            } else if (!strcmp(a, "--nbest")) { bopt.nbest = (int)d; bad |= d < 1 || d > DECODE_MAX_NBEST; }
            else if (!strcmp(a, "--alpha")) { bopt.alpha = (float)d; bad |= !(d >= 0 && d <= 10); }
            else if (!strcmp(a, "--coverage")) { bopt.coverage = (float)d; bad |= !(d >= 0 && d <= 10); }
            else if (!strcmp(a, "--min-len")) { bopt.min_len = (int)d; bad |= d < 0 || d > 10000; }
            else if (!strcmp(a, "--max-len")) { bopt.max_len = (int)d; bad |= d < 1 || d > 10000; }
            else { bopt.no_repeat = (int)d; bad |= d < 0 || d > 16; }
            if (bad) { fprintf(stderr, "render: bad value '%.100s' for %s\n", val, a); return 2; }
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
    if (view != VIEW_TRAINING && !trace && (!model || !input)) { fprintf(stderr, "render: give --model and --input, or --trace\n"); usage(stderr); return 2; }

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
    g.nbest = bopt.nbest ? bopt.nbest : 3; /* 0: not given (at most k are shown anyway) */
    g.lenpen = bopt.lenpen;
    g.alpha = bopt.alpha;
    g.coverage = bopt.coverage;
    g.min_len = bopt.min_len;
    g.max_len = bopt.max_len;
    g.no_repeat = bopt.no_repeat;
    if (trace2 && !trace) { fprintf(stderr, "render: --trace2 goes with --trace\n"); goto done; }
    if (beam > 0 && bopt.nbest > beam) {
        fprintf(stderr, "render: --nbest %d must be at most --beam %d\n", bopt.nbest, beam);
        goto done;
    }
    if (view == VIEW_TRAINING) { /* live training: a fresh model trains here, no trace */
        if (gui_training_render_setup(&g, lt_task, lt_arch, lt_steps, lt_scrub, lt_log, lt_live > 0, &st)) {
            fprintf(stderr, "render: %s\n", st.message);
            goto done;
        }
        if (!(fonts = load_fonts(&st))) { fprintf(stderr, "render: %s\n", st.message); goto done; }
        if (load_canvas(&cv, W, H, fonts, &st)) { fprintf(stderr, "render: %s\n", st.message); goto done; }
        RenderFrame rf = {&g, &dl, fonts, &cv, W, H, th, mx, my};
        if (lt_live > 0 && gui_training_live_bench(&g, lt_live, render_frame, &rf, &st)) { fprintf(stderr, "render: %s\n", st.message); goto done; }
        render_frame(&rf);
        if (save_png(cv.surface, out, &st)) { fprintf(stderr, "render: %s\n", st.message); goto done; }
        double *ft = frames > 0 ? malloc((size_t)frames * sizeof *ft) : NULL;
        for (int f = 0; ft && f < frames; f++) {
            double t0 = now_ms();
            render_frame(&rf);
            ft[f] = now_ms() - t0;
        }
        if (ft) {
            qsort(ft, (size_t)frames, sizeof *ft, cmp_d);
            printf("frame time over %d frames (%dx%d, view 9, software renderer): median %.2f ms, p99 %.2f ms, max %.2f ms\n", frames, W,
                   H, ft[frames / 2], ft[(int)(frames * 0.99)], ft[frames - 1]);
            free(ft);
        }
        rc = 0;
        goto done;
    }
    if (model && gui_load_model(&g, model, &st)) { fprintf(stderr, "render: %s\n", st.message); goto done; }
    if (trace) {
        if (gui_load_trace(&g, trace, &st)) { fprintf(stderr, "render: %s\n", st.message); goto done; }
        g.model_path[0] = 0; /* the picture names the trace's model */
    } else {
        snprintf(g.input, sizeof g.input, "%s", input);
        if (gui_run_model(&g, &st)) { fprintf(stderr, "render: %s\n", st.message); goto done; }
    }
    if (trace2 && gui_load_alt_trace(&g, trace2, &st)) { fprintf(stderr, "render: %s\n", st.message); goto done; }
    if (select_node) {
        char *e = NULL;
        long n = strtol(select_node, &e, 10);
        if (e == select_node || *e || gui_select_node(&g, (int)n, &st)) {
            fprintf(stderr, "render: --select %.100s: %s\n", select_node, st.message[0] ? st.message : "not a node number");
            goto done;
        }
    }
    if (force) {
        char tok[256];
        int s1 = 0;
        if (sscanf(force, "%d:%255[^\n]", &s1, tok) != 2) { fprintf(stderr, "render: --force must be STEP:TOKEN (step from 1)\n"); goto done; }
        int id = g.model ? vocab_id(g.model->tgt_vocab, tok) : -1;
        if (!g.model) { fprintf(stderr, "render: --force needs --model\n"); goto done; }
        if (id < 0) { fprintf(stderr, "render: --force: '%.100s' is not in the model's target vocabulary\n", tok); goto done; }
        if (gui_whatif(&g, s1 - 1, id, &st)) { fprintf(stderr, "render: %s\n", st.message); goto done; }
    }
    if (attn_override) {
        if (!g.model) { fprintf(stderr, "render: --attention needs --model\n"); goto done; }
        float w[MODEL_MAX_SOURCE];
        int s1 = 0, nw = 0, off = 0;
        const char *p = attn_override;
        if (sscanf(p, "%d:%n", &s1, &off) != 1 || off == 0) { fprintf(stderr, "render: --attention must be STEP:w1,w2,... (step from 1)\n"); goto done; }
        p += off;
        while (*p && nw < MODEL_MAX_SOURCE) {
            char *e = NULL;
            w[nw] = strtof(p, &e);
            if (e == p) { fprintf(stderr, "render: --attention: '%.40s' is not a number\n", p); goto done; }
            nw++;
            p = *e == ',' ? e + 1 : e;
            if (*e && *e != ',') { fprintf(stderr, "render: --attention: weights are separated by commas\n"); goto done; }
        }
        if (gui_whatif_attention(&g, s1 - 1, w, nw, &st)) { fprintf(stderr, "render: %s\n", st.message); goto done; }
    }
    if ((export_csv || export_tree) && gui_export_compare(&g, export_csv, export_tree, &st)) {
        fprintf(stderr, "render: %s\n", st.message);
        goto done;
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
