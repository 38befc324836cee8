/* plot.c — `attnstep plot`: draws the by-source-length tables of `attnstep eval --csv`
 * (one CSV per model) as a line chart PNG, headless, with the GUI's draw list, themes and
 * fonts. Used for the "why attention" picture: BLEU of an attention model against the
 * no-attention baseline as sentences get longer (docs/models.md).
 * What it is not: no numerics — it only reads the numbers eval wrote. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL2/SDL_ttf.h>

#include "attnstep/status.h"
#include "backend.h"
#include "font.h"
#include "theme.h"

int cmd_plot(int argc, char **argv); /* declared for main.c in app/cli/commands.h */

#define PLOT_MAX_SERIES 8
#define PLOT_MAX_BUCKETS 16

static void usage(FILE *out) {
    fprintf(out,
            "usage: attnstep plot [--metric bleu|exact|aer|token_accuracy] [--title TEXT] [--size WxH]\n"
            "                     [--theme light|dark|projector] --out FILE.png EVAL.csv...\n"
            "draws the by-source-length tables written by `attnstep eval --csv` (one file per model,\n"
            "up to %d) as one line chart: x = source length bucket, y = the metric (default bleu)\n",
            PLOT_MAX_SERIES);
}

/* ======================================================================== */
/* Reading eval CSVs                                                         */
/* ======================================================================== */

typedef struct Bucket { char label[16]; int lo; long n; double value; int has_value; } Bucket;
typedef struct Series { char name[128]; Bucket b[PLOT_MAX_BUCKETS]; int count; } Series;

static const char *const METRICS[] = {"exact", "bleu", "token_accuracy", "aer"}; /* CSV columns 6..9 */

/* Splits one CSV line (no embedded quotes or commas inside quotes) into fields, in place. */
static int split_csv(char *line, char **fields, int max) {
    int n = 0;
    char *p = line;
    while (n < max) {
        if (*p == '"') {
            fields[n++] = ++p;
            char *q = strchr(p, '"');
            if (!q) return -1;
            *q = 0;
            p = q + 1;
            if (*p && *p != ',') return -1;
        } else {
            fields[n++] = p;
            p += strcspn(p, ",");
        }
        if (*p != ',') break;
        *p++ = 0;
    }
    return *p ? -1 : n;
}

/* Reads one eval CSV into s, keeping the column `metric` (index into METRICS). -1 with st
 * naming the file and line. */
static int read_series(const char *path, int metric, Series *s, Status *st) {
    FILE *f = fopen(path, "r");
    if (!f) return status_fail(st, "cannot open '%.200s': %s", path, strerror(errno));
    char line[512];
    int lineno = 0, rc = -1;
    memset(s, 0, sizeof *s);
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len && line[len - 1] != '\n' && !feof(f)) { status_fail(st, "%.200s:%d: line too long", path, lineno); goto out; }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (lineno == 1) {
            if (strncmp(line, "model,length,lo,hi,n,", 21)) {
                status_fail(st, "%.200s: not a CSV of `attnstep eval --csv` (first line: '%.60s')", path, line);
                goto out;
            }
            continue;
        }
        if (!len) continue;
        char *fl[9];
        char *end = NULL;
        if (split_csv(line, fl, 9) != 9) { status_fail(st, "%.200s:%d: expected 9 comma-separated fields", path, lineno); goto out; }
        if (s->count >= PLOT_MAX_BUCKETS) { status_fail(st, "%.200s:%d: more than %d length buckets", path, lineno, PLOT_MAX_BUCKETS); goto out; }
        Bucket *b = &s->b[s->count];
        snprintf(s->name, sizeof s->name, "%.120s", fl[0]);
        snprintf(b->label, sizeof b->label, "%.15s", fl[1]);
        errno = 0;
        b->lo = (int)strtol(fl[2], &end, 10);
        if (errno || *end || b->lo < 0) { status_fail(st, "%.200s:%d: bad 'lo' value '%.20s'", path, lineno, fl[2]); goto out; }
        b->n = strtol(fl[4], &end, 10);
        if (errno || *end || b->n < 0) { status_fail(st, "%.200s:%d: bad 'n' value '%.20s'", path, lineno, fl[4]); goto out; }
        const char *v = fl[5 + metric];
        if (*v) {
            b->value = strtod(v, &end);
            if (*end || !isfinite(b->value)) { status_fail(st, "%.200s:%d: bad %s value '%.20s'", path, lineno, METRICS[metric], v); goto out; }
            b->has_value = 1;
        }
        s->count++;
    }
    if (ferror(f)) { status_fail(st, "cannot read '%.200s'", path); goto out; }
    if (s->count == 0) { status_fail(st, "%.200s: no rows", path); goto out; }
    rc = 0;
out:
    fclose(f);
    return rc;
}

/* ======================================================================== */
/* Drawing                                                                   */
/* ======================================================================== */

/* The x axis: every bucket label that occurs in any series, ordered by its lower bound. */
typedef struct Axis { Bucket b[PLOT_MAX_BUCKETS * PLOT_MAX_SERIES]; int count; } Axis;

static void build_axis(Axis *ax, const Series *s, int n) {
    ax->count = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < s[i].count; k++) {
            int j = 0;
            while (j < ax->count && strcmp(ax->b[j].label, s[i].b[k].label)) j++;
            if (j == ax->count) ax->b[ax->count++] = s[i].b[k];
        }
    for (int i = 1; i < ax->count; i++) /* insertion sort by lo */
        for (int j = i; j > 0 && ax->b[j].lo < ax->b[j - 1].lo; j--) {
            Bucket t = ax->b[j]; ax->b[j] = ax->b[j - 1]; ax->b[j - 1] = t;
        }
}

static int axis_index(const Axis *ax, const char *label) {
    for (int j = 0; j < ax->count; j++) if (!strcmp(ax->b[j].label, label)) return j;
    return -1;
}

/* A marker of a shape per series (circle-ish diamond, square, triangle, ...), so series
 * differ without colour. */
static void marker(DrawList *dl, int shape, float x, float y, float r, Color c) {
    switch (shape % 4) {
    case 0: draw_tri(dl, x - r, y, x, y - r, x + r, y, c); draw_tri(dl, x - r, y, x + r, y, x, y + r, c); break;
    case 1: draw_rect(dl, (Rect){x - r * 0.8f, y - r * 0.8f, r * 1.6f, r * 1.6f}, c); break;
    case 2: draw_tri(dl, x - r, y + r * 0.8f, x + r, y + r * 0.8f, x, y - r, c); break;
    default: draw_tri(dl, x - r, y - r * 0.8f, x + r, y - r * 0.8f, x, y + r, c); break;
    }
}

static void draw_chart(DrawList *dl, const Theme *th, int W, int H, const Series *s, int n, int metric, const char *title) {
    const Color palette[PLOT_MAX_SERIES] = {th->enc, th->dec, th->accent, th->finished, th->neg, th->fg_dim, th->pos, th->fg};
    float sc = th->scale, fs = (float)th->fs, fsl = (float)th->fs_large;
    float ymax = metric == 1 ? 100.0f : 1.0f;
    const char *ylabel = metric == 0 ? "exact match" : metric == 1 ? "BLEU" : metric == 2 ? "token accuracy" : "AER (lower is better)";
    Axis ax;
    build_axis(&ax, s, n);

    draw_text(dl, 24 * sc, 18 * sc, th->fs_title, th->fg, title);
    float legend_h = (float)n * fs * 1.9f;
    Rect plot = {90 * sc, 100 * sc, W - 90 * sc - 60 * sc, H - 100 * sc - 100 * sc - legend_h};
    if (plot.w < 50 || plot.h < 50) return;
    /* grid and y axis */
    for (int i = 0; i <= 5; i++) {
        float v = ymax * (float)i / 5.0f, y = plot.y + plot.h - plot.h * (float)i / 5.0f;
        draw_line(dl, plot.x, y, plot.x + plot.w, y, th->grid, 1);
        char lab[16];
        snprintf(lab, sizeof lab, metric == 1 ? "%.0f" : "%.1f", v);
        draw_text(dl, plot.x - 12 * sc - draw_text_width(dl, th->fs, lab), y - fs * 0.6f, th->fs, th->fg_dim, lab);
    }
    draw_text(dl, 24 * sc, plot.y - fsl - 22 * sc, th->fs_large, th->fg, ylabel);
    draw_line(dl, plot.x, plot.y + plot.h, plot.x + plot.w, plot.y + plot.h, th->fg, th->line);
    /* x axis: bucket labels, and how many sentences each bucket holds (first series) */
    float step = ax.count > 1 ? plot.w / (float)(ax.count - 1) : 0;
    float x0 = ax.count > 1 ? plot.x : plot.x + plot.w / 2;
    for (int j = 0; j < ax.count; j++) {
        float x = x0 + step * (float)j;
        char nlab[32];
        snprintf(nlab, sizeof nlab, "n = %ld", ax.b[j].n);
        draw_line(dl, x, plot.y + plot.h, x, plot.y + plot.h + 6 * sc, th->fg, th->line);
        draw_text_centered(dl, x, plot.y + plot.h + 18 * sc, th->fs, th->fg, ax.b[j].label);
        draw_text_centered(dl, x, plot.y + plot.h + 38 * sc, th->fs_small, th->fg_dim, nlab);
    }
    draw_text_centered(dl, plot.x + plot.w / 2, plot.y + plot.h + 62 * sc, th->fs, th->fg_dim,
                       "source length (tokens, as eval counts them: a language tag included)");
    /* series: lines where consecutive buckets both have a value, markers on every point */
    for (int i = 0; i < n; i++) {
        Color c = palette[i % PLOT_MAX_SERIES];
        float px = 0, py = 0;
        int have_prev = 0, prev_j = -2;
        for (int k = 0; k < s[i].count; k++) {
            const Bucket *b = &s[i].b[k];
            int j = axis_index(&ax, b->label);
            if (!b->has_value || j < 0) { have_prev = 0; continue; }
            float v = (float)b->value;
            if (v < 0) v = 0;
            if (v > ymax) v = ymax;
            float x = x0 + step * (float)j, y = plot.y + plot.h - plot.h * v / ymax;
            if (have_prev && j == prev_j + 1) draw_line(dl, px, py, x, y, c, 3 * sc);
            marker(dl, i, x, y, 6 * sc, c);
            px = x; py = y; have_prev = 1; prev_j = j;
        }
    }
    /* legend under the axis: one row per model, full names */
    float lx = plot.x, ly = plot.y + plot.h + 90 * sc;
    for (int i = 0; i < n; i++) {
        Color c = palette[i % PLOT_MAX_SERIES];
        draw_line(dl, lx, ly + fs * 0.6f, lx + 30 * sc, ly + fs * 0.6f, c, 3 * sc);
        marker(dl, i, lx + 15 * sc, ly + fs * 0.6f, 6 * sc, c);
        draw_text_fit(dl, lx + 40 * sc, ly, th->fs, th->fg, s[i].name, plot.w - 40 * sc);
        ly += fs * 1.9f;
    }
}

/* ======================================================================== */
/* The command                                                               */
/* ======================================================================== */

int cmd_plot(int argc, char **argv) {
    const char *out = NULL, *title = NULL, *theme = "light", *metric_name = "bleu";
    const char *files[PLOT_MAX_SERIES];
    int nfiles = 0, W = 1280, H = 720;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (a[0] == '-' && a[1] == '-') {
            if (i + 1 >= argc) { fprintf(stderr, "plot: %s needs a value (see attnstep plot --help)\n", a); return 2; }
            const char *v = argv[++i];
            if (!strcmp(a, "--out")) out = v;
            else if (!strcmp(a, "--title")) title = v;
            else if (!strcmp(a, "--theme")) theme = v;
            else if (!strcmp(a, "--metric")) metric_name = v;
            else if (!strcmp(a, "--size")) {
                if (sscanf(v, "%dx%d", &W, &H) != 2 || W < 320 || H < 240 || W > 8192 || H > 8192) {
                    fprintf(stderr, "plot: --size expects WxH between 320x240 and 8192x8192 (got '%s')\n", v);
                    return 2;
                }
            } else { fprintf(stderr, "plot: unknown option '%s' (see attnstep plot --help)\n", a); return 2; }
        } else {
            if (nfiles == PLOT_MAX_SERIES) { fprintf(stderr, "plot: at most %d CSV files\n", PLOT_MAX_SERIES); return 2; }
            files[nfiles++] = a;
        }
    }
    int metric = -1;
    for (int m = 0; m < 4; m++) if (!strcmp(metric_name, METRICS[m])) metric = m;
    if (metric < 0) { fprintf(stderr, "plot: unknown --metric '%s' (bleu, exact, aer or token_accuracy)\n", metric_name); return 2; }
    const Theme *th = theme_get(theme);
    if (!th) { fprintf(stderr, "plot: unknown theme '%s' (light, dark, projector)\n", theme); return 2; }
    if (!out) { fprintf(stderr, "plot: --out FILE.png is required\n"); return 2; }
    if (!nfiles) { fprintf(stderr, "plot: give at least one CSV written by `attnstep eval --csv`\n"); return 2; }

    static Series series[PLOT_MAX_SERIES];
    Status st = {{0}};
    for (int i = 0; i < nfiles; i++)
        if (read_series(files[i], metric, &series[i], &st)) { fprintf(stderr, "plot: %s\n", st.message); return 1; }
    char default_title[96];
    snprintf(default_title, sizeof default_title, "%s by source length", metric == 0 ? "Exact match" : metric == 1 ? "BLEU" : metric == 2 ? "Token accuracy" : "Alignment error rate");

    int rc = 1;
    FontSet *fonts = load_fonts(&st);
    Canvas cv = {0};
    DrawList dl;
    draw_init(&dl);
    if (!fonts || load_canvas(&cv, W, H, fonts, &st)) { fprintf(stderr, "plot: %s\n", st.message); goto done; }
    draw_begin(&dl, font_measure, fonts, -1, -1);
    draw_chart(&dl, th, W, H, series, nfiles, metric, title ? title : default_title);
    if (dl.oom) { fprintf(stderr, "plot: out of memory\n"); goto done; }
    backend_draw(cv.backend, &dl, th->bg);
    SDL_RenderPresent(cv.renderer);
    if (save_png(cv.surface, out, &st)) { fprintf(stderr, "plot: %s\n", st.message); goto done; }
    rc = 0;
done:
    draw_free(&dl);
    unload_canvas(&cv);
    unload_fonts(fonts);
    if (TTF_WasInit()) TTF_Quit();
    SDL_Quit();
    return rc;
}
