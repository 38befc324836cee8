/* cli_decode.c — option parsing and model/input preparation for the decoding commands. */
#include "cli_decode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_decode_usage(FILE *out) {
    fprintf(out,
            "  --model FILE            model (.safetensors)\n"
            "  --beam K                beam search with width K (default: greedy)\n"
            "  --nbest N               return the N best hypotheses (beam; N <= K)\n"
            "  --lenpen none|avg|gnmt  length penalty: none, len^alpha, ((5+len)/6)^alpha\n"
            "  --alpha A               length penalty exponent (default 0.6)\n"
            "  --coverage B            GNMT coverage penalty weight (default 0)\n"
            "  --min-len N             block <eos> until N tokens were output\n"
            "  --max-len N             at most N decoder steps (<eos> included)\n"
            "  --max-len-ratio R       at most R x source length steps\n"
            "  --no-repeat-ngram N     never repeat an n-gram of size N (beam)\n"
            "  --early-stop bound|k    beam stops when no alive hypothesis can win / when k finished\n"
            "  --sample                sample instead of taking the argmax\n"
            "  --temperature T         sampling temperature (default 1)\n"
            "  --top-k K               sample among the K most likely tokens\n"
            "  --top-p P               sample from the smallest set with probability >= P\n"
            "  --seed S                sampling seed (default 1)\n"
            "  --force-prefix \"...\"    force these target tokens first, then continue\n"
            "  --scores                print log-probabilities and scores\n"
            "  --help                  this help\n");
}

static int parse_int(const char *opt, const char *s, int lo, int hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi) {
        fprintf(stderr, "%s: '%s' is not a whole number in %d..%d\n", opt, s, lo, hi);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int parse_float(const char *opt, const char *s, float *out) {
    char *end;
    errno = 0;
    float v = strtof(s, &end);
    if (errno || *end || end == s || v != v) {
        fprintf(stderr, "%s: '%s' is not a number\n", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_decode_parse(int argc, char **argv, CliDecode *c, const char *usage_line) {
    memset(c, 0, sizeof *c);
    decode_options_default(&c->opts);
    DecodeOptions *o = &c->opts;
    int nbest_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("%s\n\noptions:\n", usage_line);
            cli_decode_usage(stdout);
            return 1;
        }
        if (!strcmp(a, "--sample")) { o->strategy = DECODE_SAMPLE; continue; }
        if (!strcmp(a, "--scores")) { c->scores = 1; continue; }
        if (a[0] == '-' && a[1] == '-') {
            if (!v) { fprintf(stderr, "%s needs a value\n", a); return 2; }
            int bad = 0;
            if (!strcmp(a, "--model")) c->model_path = v;
            else if (!strcmp(a, "--out")) c->out_path = v;
            else if (!strcmp(a, "--force-prefix")) c->force_prefix = v;
            else if (!strcmp(a, "--beam")) { bad = parse_int(a, v, 1, DECODE_MAX_BEAM, &o->beam_size); o->strategy = DECODE_BEAM; }
            else if (!strcmp(a, "--nbest")) { bad = parse_int(a, v, 1, DECODE_MAX_NBEST, &o->nbest); nbest_given = 1; }
            else if (!strcmp(a, "--alpha")) bad = parse_float(a, v, &o->alpha);
            else if (!strcmp(a, "--coverage")) bad = parse_float(a, v, &o->coverage_beta);
            else if (!strcmp(a, "--min-len")) bad = parse_int(a, v, 0, 10000, &o->min_len);
            else if (!strcmp(a, "--max-len")) bad = parse_int(a, v, 1, 10000, &o->max_len);
            else if (!strcmp(a, "--max-len-ratio")) bad = parse_float(a, v, &o->max_len_ratio);
            else if (!strcmp(a, "--no-repeat-ngram")) bad = parse_int(a, v, 0, 16, &o->no_repeat_ngram);
            else if (!strcmp(a, "--temperature")) bad = parse_float(a, v, &o->temperature);
            else if (!strcmp(a, "--top-k")) bad = parse_int(a, v, 0, 1000000, &o->top_k);
            else if (!strcmp(a, "--top-p")) bad = parse_float(a, v, &o->top_p);
            else if (!strcmp(a, "--seed")) { int s = 0; bad = parse_int(a, v, 0, 2147483647, &s); o->seed = (uint64_t)s; }
            else if (!strcmp(a, "--lenpen")) {
                if (!strcmp(v, "none")) o->lenpen = LENPEN_NONE;
                else if (!strcmp(v, "avg")) o->lenpen = LENPEN_AVG;
                else if (!strcmp(v, "gnmt")) o->lenpen = LENPEN_GNMT;
                else { fprintf(stderr, "--lenpen: '%s' is not none, avg or gnmt\n", v); bad = 1; }
            } else if (!strcmp(a, "--early-stop")) {
                if (!strcmp(v, "bound")) o->early_stop = EARLY_STOP_BOUND;
                else if (!strcmp(v, "k")) o->early_stop = EARLY_STOP_K_DONE;
                else { fprintf(stderr, "--early-stop: '%s' is not bound or k\n", v); bad = 1; }
            } else {
                fprintf(stderr, "unknown option '%s' (see --help)\n", a);
                return 2;
            }
            if (bad) return 2;
            i++;
            continue;
        }
        if (c->text) { fprintf(stderr, "one input sentence only (quote it): '%s' and '%s'\n", c->text, a); return 2; }
        c->text = a;
    }
    if (!c->model_path) { fprintf(stderr, "%s\n--model FILE is required (see --help)\n", usage_line); return 2; }
    if (!c->text) { fprintf(stderr, "%s\nno input sentence given (see --help)\n", usage_line); return 2; }
    if (nbest_given && o->strategy != DECODE_BEAM) { fprintf(stderr, "--nbest needs --beam K\n"); return 2; }
    return 0;
}

int cli_decode_prepare(CliDecode *c) {
    Status st = {0};
    c->model = model_load(c->model_path, &st);
    if (!c->model) { fprintf(stderr, "error: %s\n", st.message); return 1; }
    VocabEncoding enc;
    if (model_source_ids(c->model, c->text, c->src_ids, MODEL_MAX_SOURCE, &c->src_len, &enc, &st)) {
        fprintf(stderr, "error: %s\n", st.message);
        return 1;
    }
    if (enc.unknown_count) {
        fprintf(stderr, "note: %d unknown word%s shown as %s:", enc.unknown_count, enc.unknown_count == 1 ? "" : "s",
                vocab_token(c->model->src_vocab, c->model->src_unk));
        for (int i = 0; i < enc.n; i++)
            if (enc.ids[i] == c->model->src_unk && vocab_id(c->model->src_vocab, enc.pieces[i]) < 0) fprintf(stderr, " '%s'", enc.pieces[i]);
        fprintf(stderr, "\n");
    }
    vocab_encoding_free(&enc);
    if (c->force_prefix) {
        VocabEncoding p;
        if (vocab_encode(c->model->tgt_vocab, c->force_prefix, c->model->tokenizer, DECODE_MAX_PREFIX, &p, &st)) {
            fprintf(stderr, "error: --force-prefix: %s\n", st.message);
            return 1;
        }
        for (int i = 0; i < p.n; i++) {
            if (vocab_id(c->model->tgt_vocab, p.pieces[i]) < 0) {
                fprintf(stderr, "error: --force-prefix: '%s' is not in the target vocabulary\n", p.pieces[i]);
                vocab_encoding_free(&p);
                return 1;
            }
            c->opts.force_prefix[i] = p.ids[i];
        }
        c->opts.force_prefix_len = p.n;
        vocab_encoding_free(&p);
    }
    return 0;
}

void cli_decode_release(CliDecode *c) {
    model_free(c->model);
    c->model = NULL;
}
