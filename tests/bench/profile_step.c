/* profile_step.c — a loop of one decoder step (the call `attnstep bench` times as "greedy
 * decoder step" / "beam-5 decoder step"), for perf record / callgrind. Not built by CMake:
 *
 *   build-bench/attnstep bench --hidden 128 --save-model /tmp/ref128.safetensors
 *   cc -O2 -march=native -Icore/include tests/bench/profile_step.c build-bench/libattnstep_core.a \
 *      -lopenblas -lcjson -lm -o /tmp/profile_step
 *   perf record -o /tmp/perf.data /tmp/profile_step /tmp/ref128.safetensors 5 50000
 *   perf report -i /tmp/perf.data --no-children
 *
 * usage: profile_step MODEL ROWS STEPS   (source length 12, as the bench) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "attnstep/seq2seq.h"
#include "attnstep/tensor.h"
int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: profile_step MODEL ROWS STEPS\n"); return 2; }
    Status st = {0};
    int rows = atoi(argv[2]), n = atoi(argv[3]), S = 12;
    tensor_set_threads(1);
    Seq2Seq *m = seq2seq_load(argv[1], &st);
    if (!m) { printf("%s\n", st.message); return 1; }
    Seq2SeqRun *r = seq2seq_run_new(m, S, 64, &st);
    int src[12]; for (int j = 0; j < 11; j++) src[j] = 2 + j * 37 % 498; src[11] = 1;
    seq2seq_encode(m, r, src, S, NULL, &st);
    int SS = m->state_size, V = vocab_size(m->tgt_vocab);
    float *state = calloc(rows * SS, 4), *next = calloc(rows * SS, 4), *lp = calloc(rows * V, 4);
    int tok[64]; for (int i = 0; i < rows; i++) { seq2seq_initial_state(m, r, state + i * SS); tok[i] = 2 + i; }
    struct timespec a, b; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    for (int i = 0; i < n; i++) seq2seq_decode_step(m, r, next, lp, state, tok, NULL, NULL, rows, 1, NULL, &st);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    printf("rows %d: %.2f us/step (CPU)\n", rows, ((b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3) / n);
    return 0;
}
