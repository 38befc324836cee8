/* fuzz_cli_options.c — libFuzzer target for the decoding commands' option parser,
 * cli_decode_parse (app/cli/cli_decode.c), on arbitrary argv.
 *
 * The input bytes are split at NUL bytes into arguments (at most 64), after argv[0] =
 * "translate". cli_decode_parse prints usage errors and --help to stdout/stderr, which
 * scripts/fuzz silences with -close_fd_mask=3 (tests/fuzz/fuzz_cli_options.options).
 * It must return 0, 1 (help printed) or 2 (usage error), never crash, and on 0 hold
 * what the decoding commands rely on:
 *   - model_path and text set, each pointing at one of the arguments,
 *   - every numeric option inside the range the parser promises (beam 1..64, nbest 1..64
 *     and only with --beam, min/max length 0/1..10000, n-gram 0..16, floats not NaN).
 * The dictionary tests/fuzz/fuzz_cli_options.dict holds the option names.
 *
 *   scripts/fuzz 60 fuzz_cli_options
 *
 * fuzz-sources: app/cli/cli_decode.c core/src/safetensors.c core/src/seq2seq.c core/src/decode.c
 * fuzz-sources: core/src/decode_beam.c core/src/attention.c core/src/rnn.c core/src/tensor.c
 * fuzz-sources: core/src/vocab.c core/src/events.c core/src/status.c core/src/model.c core/src/transformer.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64

static int is_arg(char **argv, int argc, const char *p) {
    for (int i = 1; i < argc; i++) if (argv[i] == p) return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = "translate";
    size_t start = 0;
    for (size_t i = 0; i <= size && argc <= MAX_ARGS; i++) {
        if (buf[i] == '\0') {
            if (i > start || i < size) argv[argc++] = buf + start; /* empty arguments too, but not a trailing one */
            start = i + 1;
        }
    }
    argv[argc] = NULL;

    CliDecode *c = malloc(sizeof *c); /* large (ids of a whole source): keep it off the stack */
    if (!c) abort();
    int rc = cli_decode_parse(argc, argv, c, "usage: attnstep translate --model FILE [options] \"sentence\"");
    if (rc < 0 || rc > 2) abort();
    if (rc == 0) {
        const DecodeOptions *o = &c->opts;
        if (!c->model_path || !c->text || !is_arg(argv, argc, c->model_path) || !is_arg(argv, argc, c->text)) abort();
        if (c->out_path && !is_arg(argv, argc, c->out_path)) abort();
        if (c->force_prefix && !is_arg(argv, argc, c->force_prefix)) abort();
        if (c->model) abort(); /* parse loads nothing */
        if (o->beam_size < 1 || o->beam_size > DECODE_MAX_BEAM) abort();
        if (o->nbest < 1 || o->nbest > DECODE_MAX_NBEST) abort();
        if (o->nbest != 1 && o->strategy != DECODE_BEAM) abort();
        if (o->min_len < 0 || o->min_len > 10000 || o->max_len < 0 || o->max_len > 10000) abort();
        if (o->no_repeat_ngram < 0 || o->no_repeat_ngram > 16 || o->top_k < 0) abort();
        if (o->alpha != o->alpha || o->coverage_beta != o->coverage_beta || o->max_len_ratio != o->max_len_ratio ||
            o->temperature != o->temperature || o->top_p != o->top_p)
            abort();
    }
    fflush(stdout);
    free(c);
    free(buf);
    return 0;
}
