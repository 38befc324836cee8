/* bench_gui.c — `attnstep bench --gui`: frame time of every view and the re-decode after an
 * edit, with the window's own frame code on the SDL software renderer (headless, like
 * `attnstep render`), plus start-up to the first frame.
 *
 * A frame is what the window's loop does per frame after input: gui_frame() builds the
 * draw commands, backend_draw() rasterises them (software renderer on a 1280×720
 * surface), SDL_RenderPresent(). The timeline position advances every 4 frames with the
 * sub-step animation at 1/4, 1/2, 3/4, 1 (as when playing), the mouse rests in the middle
 * of the window (so hover tooltips are drawn where the view has any). The window's own
 * present to the screen (a texture upload) is not included.
 *
 * Re-decode after an edit: the input box's Enter: gui_run_model() (decode with the chosen
 * strategy, record the trace, index the timeline), then the next frame. */
#define _DEFAULT_SOURCE /* wait4 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <SDL2/SDL.h>
#include <SDL2/SDL_ttf.h>

#include "attnstep/corpus.h"
#include "backend.h"
#include "font.h"
#include "gui.h"

int cmd_bench_gui(int argc, char **argv);

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct Stats { double median, p99, max, p10, p90; } Stats;

static Stats stats(double *t, int n) {
    qsort(t, (size_t)n, sizeof *t, cmp_d);
    int i99 = (int)(n * 0.99);
    if (i99 >= n) i99 = n - 1;
    return (Stats){t[n / 2], t[i99], t[n - 1], t[n / 10], t[(n * 9) / 10]};
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: attnstep bench --gui [--model FILE] [--input TEXT] [--beam K] [--size WxH] [--frames N]\n"
            "                            [--edits N] [--edit-beam K] [--theme T] [--no-startup]\n"
            "times every view's frame (gui_frame + software rasterisation, headless) over the whole\n"
            "timeline of a decode, and the re-decode after an edit (decode + trace + timeline index,\n"
            "then the next frame), and start-up to the first frame (a new `attnstep render` process)\n\n"
            "  --model FILE   default: the app's default model (assets/models/en-fr-es-tutorial)\n"
            "  --input TEXT   default: the first 30-word sentence of `attnstep corpus --task translate`\n"
            "  --beam K       beam width of the decode drawn (default 10)\n"
            "  --size WxH     default 1280x720\n"
            "  --frames N     frames per view (default 400)\n"
            "  --edits N      re-decodes timed (default 31), with beam --edit-beam (default 5)\n"
            "  --view N       time only view N (1-based; for profiling)\n");
}

/* The first translate example with exactly `words` source tokens (tag included), or the
 * longest of the first few thousand; joined by spaces into out. */
static int long_sentence(int words, char *out, size_t cap, Status *st) {
    CorpusConfig cfg;
    corpus_config_init(&cfg, CORPUS_TRANSLATE);
    Corpus c;
    if (corpus_generate(&cfg, 4000, &c, st)) return -1;
    int best = -1;
    for (int i = 0; i < c.n; i++) {
        if (c.examples[i].src_len == words) { best = i; break; }
        if (best < 0 || abs(c.examples[i].src_len - words) < abs(c.examples[best].src_len - words)) best = i;
    }
    out[0] = 0;
    size_t len = 0;
    for (int j = 0; best >= 0 && j < c.examples[best].src_len; j++) {
        int n = snprintf(out + len, cap - len, "%s%.100s", j ? " " : "", c.examples[best].src[j]);
        if (n < 0 || (size_t)n >= cap - len) break;
        len += (size_t)n;
    }
    corpus_free(&c);
    return 0;
}

static int run_child(char *const argv[], double *wall_ms, long *rss_kb) {
    fflush(stdout); /* the child must not inherit (and flush) our buffered output */
    fflush(stderr);
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        putenv("SDL_VIDEODRIVER=dummy");
        putenv("OPENBLAS_NUM_THREADS=1");
        int null = open("/dev/null", O_WRONLY);
        if (null < 0) _exit(127);
        dup2(null, 1);
        close(null);
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) return -1;
    *wall_ms = now_ms() - t0;
    *rss_kb = ru.ru_maxrss;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* CPU time of this thread (ms): not inflated when other processes take the CPU. */
static double cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double last_cpu; /* CPU ms of the last frame() */

/* One frame as the window draws it; returns its wall time (ms). */
static double frame(GuiState *g, DrawList *dl, Canvas *cv, FontSet *fonts, const Theme *th, int W, int H, const UiInput *in) {
    double t0 = now_ms(), c0 = cpu_ms();
    draw_begin(dl, font_measure, fonts, in->mx, in->my);
    gui_frame(g, dl, W, H, in);
    backend_draw(cv->backend, dl, th->bg);
    SDL_RenderPresent(cv->renderer);
    last_cpu = cpu_ms() - c0;
    return now_ms() - t0;
}

int cmd_bench_gui(int argc, char **argv) {
    const char *model = NULL, *input = NULL, *theme = "light";
    int beam = 10, W = 1280, H = 720, frames = 400, edits = 31, edit_beam = 5, startup = 1, only_view = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--gui")) continue;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (!strcmp(a, "--no-startup")) { startup = 0; continue; }
        if (!v) { fprintf(stderr, "bench --gui: %s needs a value (see --help)\n", a); return 2; }
        i++;
        if (!strcmp(a, "--model")) model = v;
        else if (!strcmp(a, "--input")) input = v;
        else if (!strcmp(a, "--theme")) theme = v;
        else if (!strcmp(a, "--size")) {
            if (sscanf(v, "%dx%d", &W, &H) != 2 || W < 320 || H < 240 || W > 8192 || H > 8192) { fprintf(stderr, "bench --gui: --size must be WxH, 320x240..8192x8192\n"); return 2; }
        } else {
            char *end;
            long x = strtol(v, &end, 10);
            if (*end || x < 1 || x > 100000) { fprintf(stderr, "bench --gui: %s: '%.100s' is not a whole number in 1..100000\n", a, v); return 2; }
            if (!strcmp(a, "--beam")) beam = (int)x;
            else if (!strcmp(a, "--frames")) frames = (int)x;
            else if (!strcmp(a, "--edits")) edits = (int)x;
            else if (!strcmp(a, "--edit-beam")) edit_beam = (int)x;
            else if (!strcmp(a, "--view")) only_view = (int)x;
            else { fprintf(stderr, "bench --gui: unknown option '%.100s' (see --help)\n", a); return 2; }
        }
    }
    if (beam > DECODE_MAX_BEAM || edit_beam > DECODE_MAX_BEAM) { fprintf(stderr, "bench --gui: beam widths must be 1..%d\n", DECODE_MAX_BEAM); return 2; }
    const Theme *th = theme_get(theme);
    if (!th) { fprintf(stderr, "bench --gui: unknown theme '%.100s' (light, dark, projector)\n", theme); return 2; }
    setenv("SDL_VIDEODRIVER", "dummy", 0);

    GuiState g;
    gui_state_init(&g);
    Status st = {{0}};
    int rc = 1;
    FontSet *fonts = NULL;
    Canvas cv = {0};
    DrawList dl;
    draw_init(&dl);
    double *t = malloc((size_t)(frames > edits ? frames : edits) * sizeof *t);
    static char sentence[GUI_INPUT_MAX], variant[GUI_INPUT_MAX];
    for (int i = 0; i < THEME_COUNT; i++)
        if (theme_by_index(i) == th) g.theme = i;
    if (!t) goto done;
    if (!model) {
        gui_scan_models(&g);
        model = gui_default_model(&g);
        if (!model) { fprintf(stderr, "bench --gui: no model found in assets/models (give --model)\n"); goto done; }
    }
    char model_path[1024];
    snprintf(model_path, sizeof model_path, "%.1000s", model);
    if (gui_load_model(&g, model_path, &st)) { fprintf(stderr, "bench --gui: %s\n", st.message); goto done; }
    if (input) snprintf(sentence, sizeof sentence, "%.1000s", input);
    else if (long_sentence(30, sentence, sizeof sentence, &st)) { fprintf(stderr, "bench --gui: %s\n", st.message); goto done; }
    /* the edit: the same sentence with its last content word replaced by the first one's
     * neighbour in the sentence (a different, still grammatical-looking input) */
    snprintf(variant, sizeof variant, "%s", sentence);
    {
        char *last = strrchr(variant, ' ');
        if (last && last > variant) {
            *last = 0;
            char *prev = strrchr(variant, ' ');
            if (prev) { *prev = 0; snprintf(variant + strlen(variant), sizeof variant - strlen(variant), " %.100s", last + 1); }
            else *last = ' ';
        }
    }
    int n_words = 1;
    for (const char *p = sentence; *p; p++) n_words += *p == ' ';

    snprintf(g.input, sizeof g.input, "%s", sentence);
    g.beam = beam > 1 ? beam : 0;
    double t_dec0 = now_ms();
    if (gui_run_model(&g, &st)) { fprintf(stderr, "bench --gui: %s\n", st.message); goto done; }
    double t_decode = now_ms() - t_dec0;
    double t_f0 = now_ms();
    if (!(fonts = load_fonts(&st))) { fprintf(stderr, "bench --gui: %s\n", st.message); goto done; }
    if (load_canvas(&cv, W, H, fonts, &st)) { fprintf(stderr, "bench --gui: %s\n", st.message); goto done; }
    double t_setup = now_ms() - t_f0;
    g.message[0] = 0;
    UiInput in = {W / 2.0f, H / 2.0f, 0, 0, 0};

    printf("attnstep bench --gui — %.200s, %dx%d, software renderer, theme %.20s\n", model_path, W, H, theme);
    printf("input (%d words): %.600s\n", n_words, sentence);
    printf("beam %d: %d timeline positions; decode + trace + index %.1f ms; SDL + fonts + canvas %.1f ms\n\n", beam, g.ix.n_pos,
           t_decode, t_setup);
    printf("wall time per frame, and the CPU time of the frame (excludes time other processes took the CPU)\n");
    printf("%10s %10s %10s %10s %10s %10s %8s  %s\n", "median ms", "p99 ms", "max ms", "first ms", "CPU med", "CPU p99", "frames", "view");
    double worst_p99 = 0, worst_med = 0, worst_cpu99 = 0, worst_cpu_med = 0;
    const char *worst = "";
    double *tc = malloc((size_t)frames * sizeof *tc);
    if (!tc) goto done;
    for (int v = 0; v < VIEW_COUNT; v++) {
        if (only_view && v != only_view - 1) continue;
        g.view = (ViewId)v;
        g.pos = 0;
        g.anim = 1;
        double first = frame(&g, &dl, &cv, fonts, th, W, H, &in); /* cold text cache for this view */
        for (int f = 0; f < frames; f++) {
            g.pos = (f / 4) % g.ix.n_pos;
            g.anim = (float)((f % 4) + 1) / 4.0f;
            t[f] = frame(&g, &dl, &cv, fonts, th, W, H, &in);
            tc[f] = last_cpu;
        }
        Stats s = stats(t, frames), c = stats(tc, frames);
        printf("%10.2f %10.2f %10.2f %10.2f %10.2f %10.2f %8d  %d %.40s\n", s.median, s.p99, s.max, first, c.median, c.p99, frames, v + 1,
               view_name((ViewId)v));
        if (c.p99 > worst_cpu99) { worst_p99 = s.p99; worst_med = s.median; worst_cpu99 = c.p99; worst_cpu_med = c.median; worst = view_name((ViewId)v); }
    }
    free(tc);
    printf("\nbusiest view (highest CPU p99): %.40s, wall median %.2f ms, p99 %.2f ms; CPU median %.2f ms, p99 %.2f ms "
           "(target p99 < 8 ms: %s)\n", worst, worst_med, worst_p99, worst_cpu_med, worst_cpu99,
           worst_p99 < 8 ? "met" : worst_cpu99 < 8 ? "met in CPU time; wall p99 inflated by other processes" : "MISSED");

    /* re-decode after an edit */
    g.beam = edit_beam > 1 ? edit_beam : 0;
    g.view = VIEW_ATTENTION;
    double *t2 = malloc((size_t)edits * sizeof *t2), *c1 = malloc((size_t)edits * sizeof *c1), *c2 = malloc((size_t)edits * sizeof *c2);
    if (!t2 || !c1 || !c2) { free(t2); free(c1); free(c2); goto done; }
    for (int k = -1; k < edits; k++) {
        snprintf(g.input, sizeof g.input, "%s", (k & 1) ? variant : sentence);
        double t0 = now_ms(), u0 = cpu_ms();
        if (gui_run_model(&g, &st)) { fprintf(stderr, "bench --gui: %s\n", st.message); free(t2); free(c1); free(c2); goto done; }
        double t1 = now_ms(), u1 = cpu_ms();
        frame(&g, &dl, &cv, fonts, th, W, H, &in);
        if (k >= 0) { t[k] = t1 - t0; t2[k] = now_ms() - t0; c1[k] = u1 - u0; c2[k] = cpu_ms() - u0; }
    }
    Stats sd = stats(t, edits), sf = stats(t2, edits), cd = stats(c1, edits), cf = stats(c2, edits);
    printf("re-decode after an edit (Enter: gui_run_model, beam %d, %d words, %d timeline positions; it also decodes the\n"
           "  other strategy for view 7 when the app does): decode + trace + index wall median %.2f ms (p10 %.2f, p90 %.2f,\n"
           "  max %.2f), CPU median %.2f ms; with the next frame wall median %.2f ms (max %.2f), CPU median %.2f ms, p90 %.2f ms\n"
           "  (target 16 ms: %s)\n",
           edit_beam, n_words, g.ix.n_pos, sd.median, sd.p10, sd.p90, sd.max, cd.median, sf.median, sf.max, cf.median, cf.p90,
           sf.median <= 16 ? "met" : cf.median <= 16 ? "met in CPU time; wall time inflated by other processes" : "MISSED");
    free(t2); free(c1); free(c2);

    if (startup) {
        char self[1024];
        ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
        self[sl > 0 ? sl : 0] = 0;
        char out[256];
        snprintf(out, sizeof out, "/tmp/attnstep-bench-gui-%d.png", (int)getpid());
        char *rargv[] = {self, "render", "--model", model_path, "--input", sentence, "--view", "attention", "--out", out, NULL};
        int n = 7;
        long rss = 0;
        for (int k = 0; k < n; k++) {
            if (run_child(rargv, &t[k], &rss) != 0) { fprintf(stderr, "bench --gui: the start-up run (attnstep render) failed\n"); n = 0; break; }
        }
        remove(out);
        if (n) {
            Stats s = stats(t, n);
            printf("start-up to the first frame (new `attnstep render` process: load model, decode, fonts, draw, write PNG): "
                   "median %.0f ms (min %.0f, max %.0f), peak RSS %.1f MB (target 300 ms: %s)\n",
                   s.median, t[0], s.max, rss / 1024.0, s.median <= 300 ? "met" : "MISSED");
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS of this process: %.1f MB\n", ru.ru_maxrss / 1024.0);
    rc = 0;
done:
    free(t);
    draw_free(&dl);
    unload_canvas(&cv);
    unload_fonts(fonts);
    gui_state_free(&g);
    if (TTF_WasInit()) TTF_Quit();
    SDL_Quit();
    return rc;
}
