/* cmd_bench.c — `attnstep bench`: times the core on a reference model, side by side with
 * PyTorch (tests/bench/bench_pytorch.py) when asked, with a roofline line per kernel.
 *
 * The reference model is the tutorial-gru-bahdanau architecture (GRU + additive
 * attention) with hidden H, vocabulary V (both sides) and deterministic random weights,
 * written to a temporary .safetensors file so that PyTorch loads the very same weights.
 * Timing numbers are medians over repeated runs with the spread (p10..p90). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attnstep/decode.h"
#include "attnstep/safetensors.h"
#include "attnstep/seq2seq.h"
#include "attnstep/tensor.h"
#include "commands.h"

/* ======================================================================== */
/* Timing                                                                    */
/* ======================================================================== */

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct Timing { double median, p10, p90; } Timing;

static Timing summarize(double *samples, int n) {
    qsort(samples, (size_t)n, sizeof *samples, cmp_double);
    return (Timing){samples[n / 2], samples[n / 10], samples[(n * 9) / 10]};
}

/* ======================================================================== */
/* The reference model                                                       */
/* ======================================================================== */

static uint64_t rng_state = 12345;
static float rnd(float scale) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return ((float)(rng_state >> 40) / 16777216.0f * 2.0f - 1.0f) * scale;
}

static int add_random(SafeTensorsWriter *w, const char *name, int rows, int cols, float scale, Status *st) {
    size_t n = (size_t)rows * (cols ? cols : 1);
    float *data = malloc(n * sizeof *data);
    if (!data) return status_fail(st, "out of memory");
    for (size_t i = 0; i < n; i++) data[i] = rnd(scale);
    int64_t shape[2] = {rows, cols};
    int rc = safetensors_writer_add(w, name, data, cols ? 2 : 1, shape, st);
    free(data);
    return rc;
}

/* Writes a tutorial-gru-bahdanau model with hidden H and vocabulary V to path. */
static int write_reference_model(const char *path, int H, int V, Status *st) {
    SafeTensorsWriter *w = safetensors_writer_new();
    if (!w) return status_fail(st, "out of memory");
    float s = 1.0f / sqrtf((float)H);
    int rc = add_random(w, "encoder.embedding.weight", V, H, 1.0f, st) ||
             add_random(w, "encoder.gru.weight_ih_l0", 3 * H, H, s, st) ||
             add_random(w, "encoder.gru.weight_hh_l0", 3 * H, H, s, st) ||
             add_random(w, "encoder.gru.bias_ih_l0", 3 * H, 0, s, st) ||
             add_random(w, "encoder.gru.bias_hh_l0", 3 * H, 0, s, st) ||
             add_random(w, "decoder.embedding.weight", V, H, 1.0f, st) ||
             add_random(w, "decoder.attention.Wa.weight", H, H, s, st) ||
             add_random(w, "decoder.attention.Wa.bias", H, 0, s, st) ||
             add_random(w, "decoder.attention.Ua.weight", H, H, s, st) ||
             add_random(w, "decoder.attention.Ua.bias", H, 0, s, st) ||
             add_random(w, "decoder.attention.Va.weight", 1, H, s, st) ||
             add_random(w, "decoder.attention.Va.bias", 1, 0, s, st) ||
             add_random(w, "decoder.gru.weight_ih_l0", 3 * H, 2 * H, s, st) ||
             add_random(w, "decoder.gru.weight_hh_l0", 3 * H, H, s, st) ||
             add_random(w, "decoder.gru.bias_ih_l0", 3 * H, 0, s, st) ||
             add_random(w, "decoder.gru.bias_hh_l0", 3 * H, 0, s, st) ||
             add_random(w, "decoder.out.weight", V, H, s, st) ||
             add_random(w, "decoder.out.bias", V, 0, s, st);
    if (!rc) {
        /* vocabulary: SOS, EOS, then w2 .. w{V-1} */
        size_t size = (size_t)V * 12 + 16;
        char *json = malloc(size), *p = json;
        if (!json) rc = status_fail(st, "out of memory");
        else {
            p += sprintf(p, "[\"SOS\",\"EOS\"");
            for (int i = 2; i < V; i++) p += sprintf(p, ",\"w%d\"", i);
            sprintf(p, "]");
            rc = safetensors_writer_meta(w, "arch", "tutorial-gru-bahdanau", st) ||
                 safetensors_writer_meta(w, "src_vocab", json, st) ||
                 safetensors_writer_meta(w, "tgt_vocab", json, st) ||
                 safetensors_writer_meta(w, "name", "bench-reference (random weights: for timing only)", st) ||
                 safetensors_writer_meta(w, "config", "{\"max_len\":30}", st) ||
                 safetensors_writer_save(w, path, st);
            free(json);
        }
    }
    safetensors_writer_free(w);
    return rc ? -1 : 0;
}

/* ======================================================================== */
/* Measurements                                                              */
/* ======================================================================== */

typedef struct BenchResult {
    const char *name;
    Timing t;       /* µs */
    double flops;   /* per call, 0 when not meaningful */
    double bytes;   /* weight bytes streamed per call */
} BenchResult;

#define MAX_RESULTS 16

typedef struct Bench {
    Seq2Seq *m;
    int S, src[SEQ2SEQ_MAX_SOURCE];
    int repeats, inner;
    BenchResult results[MAX_RESULTS];
    int count;
} Bench;

static void record(Bench *b, const char *name, double *samples, double flops, double bytes) {
    b->results[b->count++] = (BenchResult){name, summarize(samples, b->repeats), flops, bytes};
}

static int bench_encoder(Bench *b, Seq2SeqRun *r, Status *st) {
    double *samples = malloc((size_t)b->repeats * sizeof *samples);
    for (int k = 0; k < b->repeats; k++) {
        double t0 = now_us();
        for (int i = 0; i < b->inner; i++) if (seq2seq_encode(b->m, r, b->src, b->S, NULL, st)) { free(samples); return -1; }
        samples[k] = (now_us() - t0) / b->inner;
    }
    double H = b->m->cfg.hidden;
    record(b, "encoder pass (S tokens)", samples, b->S * 2.0 * (3 * H * H * 2) + 2.0 * H * H * b->S, (3 * H * H * 2 + H * H) * 4.0);
    free(samples);
    return 0;
}

/* One decoder step for `rows` hypotheses (1: greedy, 5: beam-5 batch). */
static int bench_step(Bench *b, Seq2SeqRun *r, int rows, const char *name, Status *st) {
    Seq2Seq *m = b->m;
    int SS = m->state_size, V = vocab_size(m->tgt_vocab);
    float *state = calloc((size_t)rows * SS, sizeof(float)), *next = calloc((size_t)rows * SS, sizeof(float));
    float *lp = calloc((size_t)rows * V, sizeof(float));
    int tokens[DECODE_MAX_BEAM];
    double *samples = malloc((size_t)b->repeats * sizeof *samples);
    if (seq2seq_encode(m, r, b->src, b->S, NULL, st)) return -1;
    for (int i = 0; i < rows; i++) { seq2seq_initial_state(m, r, state + (size_t)i * SS); tokens[i] = 2 + i; }
    for (int k = 0; k < b->repeats; k++) {
        double t0 = now_us();
        for (int i = 0; i < b->inner; i++)
            if (seq2seq_decode_step(m, r, next, lp, state, tokens, NULL, NULL, rows, 1, NULL, st)) return -1;
        samples[k] = (now_us() - t0) / b->inner;
    }
    double H = m->cfg.hidden, S = b->S;
    double macs = rows * (3 * H * 2 * H + 3 * H * H + V * H + H * H + S * H);
    double bytes = (3 * H * 2 * H + 3 * H * H + V * H + H * H) * 4.0;
    record(b, name, samples, 2 * macs, bytes);
    free(samples); free(state); free(next); free(lp);
    return 0;
}

static int bench_decode(Bench *b, int beam, int with_trace, const char *name, Status *st) {
    DecodeOptions o;
    decode_options_default(&o);
    o.max_len = 30;
    o.min_len = 29; /* a random model would stop anywhere: force the full 30-step decode */
    if (beam > 1) { o.strategy = DECODE_BEAM; o.beam_size = beam; o.nbest = 1; }
    double *samples = malloc((size_t)b->repeats * sizeof *samples);
    Trace *t = with_trace ? trace_new() : NULL;
    EventSink sink = t ? trace_sink(t) : (EventSink){0};
    int inner = b->inner / 20 > 0 ? b->inner / 20 : 1;
    for (int k = 0; k < b->repeats; k++) {
        double t0 = now_us();
        for (int i = 0; i < inner; i++) {
            if (t) trace_clear(t);
            DecodeResult res;
            if (decode_run(b->m, b->src, b->S, &o, t ? &sink : NULL, &res, st)) { free(samples); trace_free(t); return -1; }
            decode_result_free(&res);
        }
        samples[k] = (now_us() - t0) / inner;
    }
    record(b, name, samples, 0, 0);
    free(samples);
    trace_free(t);
    return 0;
}

/* What OpenBLAS sgemv reaches on an (M, N) matrix that fits the cache: GFLOP/s and GB/s. */
static void measure_sgemv_peak(int M, int N, double *gflops, double *gbps) {
    float *W = malloc((size_t)M * N * sizeof(float)), *x = malloc((size_t)N * sizeof(float)), *y = malloc((size_t)M * sizeof(float));
    for (size_t i = 0; i < (size_t)M * N; i++) W[i] = rnd(0.1f);
    for (int i = 0; i < N; i++) x[i] = rnd(1.0f);
    int reps = 2000;
    double best = 1e30;
    for (int k = 0; k < 5; k++) {
        double t0 = now_us();
        for (int i = 0; i < reps; i++) tensor_linear(y, x, W, NULL, 1, N, M);
        double us = (now_us() - t0) / reps;
        if (us < best) best = us;
    }
    *gflops = 2.0 * M * N / best / 1e3;
    *gbps = (double)M * N * 4 / best / 1e3;
    free(W); free(x); free(y);
}

/* ======================================================================== */
/* PyTorch side                                                              */
/* ======================================================================== */

typedef struct TorchResult { const char *name; double median, p10, p90; } TorchResult;

/* Runs tests/bench/bench_pytorch.py on the model; parses "name<TAB>median<TAB>p10<TAB>p90" lines. */
static int run_pytorch(const char *script, const char *model, int S, int repeats, TorchResult *out, int max, int *n) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "OPENBLAS_NUM_THREADS=1 /usr/bin/python3 '%s' '%s' %d %d", script, model, S, repeats);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    char line[512];
    *n = 0;
    while (fgets(line, sizeof line, p) && *n < max) {
        char name[128];
        double a, b, c;
        if (sscanf(line, "%127[^\t]\t%lf\t%lf\t%lf", name, &a, &b, &c) == 4) out[(*n)++] = (TorchResult){strdup(name), a, b, c};
    }
    return pclose(p) == 0 ? 0 : -1;
}

/* ======================================================================== */
/* Command                                                                   */
/* ======================================================================== */

int cmd_bench(int argc, char **argv) {
    int H = 128, V = 500, S = 12, repeats = 31, inner = 200, pytorch = 0;
    const char *script = "tests/bench/bench_pytorch.py";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: attnstep bench [--hidden H] [--vocab V] [--src-len S] [--repeats N] [--pytorch [--script PATH]]\n"
                   "times the encoder, one greedy step, one beam-5 step and full 30-step decodes on a\n"
                   "tutorial-gru-bahdanau model with random weights (timing only), 1 BLAS thread;\n"
                   "--pytorch runs the same model in PyTorch (python3-torch) and prints the ratio.\n");
            return 0;
        }
        if (!strcmp(a, "--pytorch")) { pytorch = 1; continue; }
        if (!v) { fprintf(stderr, "%s needs a value\n", a); return 2; }
        char *end;
        long x = strtol(v, &end, 10);
        if (!strcmp(a, "--script")) { script = v; i++; continue; }
        if (*end || x < 1 || x > 100000) { fprintf(stderr, "%s: '%s' is not a whole number in 1..100000\n", a, v); return 2; }
        if (!strcmp(a, "--hidden")) H = (int)x;
        else if (!strcmp(a, "--vocab")) V = (int)x;
        else if (!strcmp(a, "--src-len")) S = (int)x;
        else if (!strcmp(a, "--repeats")) repeats = (int)x;
        else { fprintf(stderr, "unknown option '%s' (see --help)\n", a); return 2; }
        i++;
    }
    if (V < 4 || S < 2 || S > 200 || H > 4096) { fprintf(stderr, "bench: need --vocab >= 4, --src-len 2..200, --hidden <= 4096\n"); return 2; }
    tensor_set_threads(1);
    Status st = {0};
    char path[256];
    snprintf(path, sizeof path, "/tmp/attnstep-bench-%d-h%d-v%d.safetensors", (int)getpid(), H, V);
    if (write_reference_model(path, H, V, &st)) { fprintf(stderr, "error: %s\n", st.message); return 1; }
    Bench b = {.repeats = repeats, .inner = inner, .S = S};
    b.m = seq2seq_load(path, &st);
    if (!b.m) { fprintf(stderr, "error: %s\n", st.message); remove(path); return 1; }
    for (int j = 0; j < S - 1; j++) b.src[j] = 2 + (j * 37) % (V - 2);
    b.src[S - 1] = 1; /* EOS */
    Seq2SeqRun *r = seq2seq_run_new(b.m, S, 8, &st);
    int rc = r ? 0 : 1;
    if (r) {
        int failed[8] = {
            bench_encoder(&b, r, &st),
            bench_step(&b, r, 1, "greedy decoder step", &st),
            bench_step(&b, r, 5, "beam-5 decoder step (5 rows)", &st),
            bench_decode(&b, 1, 0, "greedy decode, 30 steps, no trace", &st),
            bench_decode(&b, 1, 1, "greedy decode, 30 steps, trace on", &st),
            bench_decode(&b, 5, 0, "beam-5 decode, 30 steps, no trace", &st),
            bench_decode(&b, 5, 1, "beam-5 decode, 30 steps, trace on", &st),
            0};
        for (int i = 0; i < 7; i++) if (failed[i]) rc = 1;
    }
    if (rc) fprintf(stderr, "error: %s\n", st.message);
    double gflops, gbps;
    measure_sgemv_peak(3 * H, 2 * H, &gflops, &gbps);

    TorchResult torch[16];
    int nt = 0;
    if (b.count && pytorch && run_pytorch(script, path, S, repeats, torch, 16, &nt)) {
        fprintf(stderr, "warning: the PyTorch baseline failed (is python3-torch installed? scripts/install-deps --reference)\n");
        nt = 0;
    }
    if (b.count) {
        printf("attnstep bench — GRU + additive attention, hidden %d, vocabulary %d, source %d, 1 thread\n", H, V, S);
        printf("OpenBLAS sgemv (%dx%d, in cache): %.1f GFLOP/s, %.1f GB/s of weights\n\n", 3 * H, 2 * H, gflops, gbps);
        printf("%-40s %10s %10s %10s %10s %9s %8s\n", "measurement", "median µs", "p10", "p90", "PyTorch µs", "speed-up", "roofline");
        for (int i = 0; i < b.count; i++) {
            BenchResult *x = &b.results[i];
            double torch_us = 0;
            for (int k = 0; k < nt; k++) if (!strcmp(torch[k].name, x->name)) torch_us = torch[k].median;
            char roof[32] = "";
            if (x->bytes > 0) snprintf(roof, sizeof roof, "%.0f%%", 100.0 * (x->bytes / (gbps * 1e3)) / x->t.median);
            char tcol[32] = "", ratio[32] = "";
            if (torch_us > 0) { snprintf(tcol, sizeof tcol, "%.1f", torch_us); snprintf(ratio, sizeof ratio, "%.1fx", torch_us / x->t.median); }
            printf("%-40s %10.2f %10.2f %10.2f %10s %9s %8s\n", x->name, x->t.median, x->t.p10, x->t.p90, tcol, ratio, roof);
        }
        double off = 0, on = 0;
        for (int i = 0; i < b.count; i++) {
            if (!strcmp(b.results[i].name, "beam-5 decode, 30 steps, no trace")) off = b.results[i].t.median;
            if (!strcmp(b.results[i].name, "beam-5 decode, 30 steps, trace on")) on = b.results[i].t.median;
        }
        if (off > 0) printf("\nevent recording adds %.0f%% to a beam-5 decode\n", 100.0 * (on - off) / off);
        printf("roofline: the weight bytes a call streams at the sgemv rate above, as a share of the measured time\n");
    }
    for (int k = 0; k < nt; k++) free((char *)torch[k].name);
    seq2seq_run_free(r);
    seq2seq_free(b.m);
    remove(path);
    return rc ? 1 : 0;
}
