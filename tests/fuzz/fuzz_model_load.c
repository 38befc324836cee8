/* fuzz_model_load.c — libFuzzer target for model loading (safetensors -> Seq2Seq, or
 * Transformer when the arch says tutorial-transformer) and a short decode with whatever loads.
 *
 * The input is a whole .safetensors file (seeds: the committed reference fixtures
 * tests/reference/fixtures/*.model.safetensors, which cover every cell, scorer, window
 * and query mode, and the shipped models, Transformers included). It is parsed, then handed
 * to seq2seq_from_safetensors or transformer_from_safetensors. Either step may
 * refuse it, with a message (naming the model for the loader). When a model loads, a
 * greedy decode_run_model with max_len 5 runs on a fixed source (source ids 0..2 clamped to the
 * vocabulary, then the source <eos>), recording every event in a sink that checks the
 * chosen tokens are inside the target vocabulary. decode_run may refuse with a message
 * (finite weights can still overflow float32: the model then reports it); when it succeeds
 *   - no float in any event was NaN (-inf is allowed: masked energies, blocked tokens),
 *   - the result's log-probability is not NaN and no attention row holds NaN.
 * Never crash, hang or leak (ASan/UBSan).
 *
 *   scripts/fuzz 60 fuzz_model_load
 *
 * fuzz-sources: core/src/safetensors.c core/src/seq2seq.c core/src/decode.c core/src/decode_beam.c
 * fuzz-sources: core/src/attention.c core/src/rnn.c core/src/tensor.c core/src/vocab.c
 * fuzz-sources: core/src/events.c core/src/status.c core/src/model.c core/src/transformer.c
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnstep/decode.h"
#include "attnstep/model.h"
#include "attnstep/safetensors.h"
#include "attnstep/seq2seq.h"
#include "attnstep/transformer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Checker {
    int vt;
    long events;
    const char *nan_in; /* first event type that carried a NaN, or NULL */
    const char *nan_key;
    long nan_seq;
} Checker;

static int check_event(void *ctx, const Event *ev) {
    Checker *c = ctx;
    c->events++;
    for (int i = 0; i < ev->nfields; i++) {
        const EventField *f = &ev->fields[i];
        int nan = f->kind == FIELD_FLOAT && isnan(f->v.f);
        for (int k = 0; f->kind == FIELD_FLOATS && k < f->n && !nan; k++) nan = isnan(f->v.floats[k]);
        if (nan && !c->nan_in) {
            c->nan_in = ev->type;
            c->nan_key = f->key;
            c->nan_seq = c->events;
        }
    }
    if (!strcmp(ev->type, "output")) {
        long tok = event_get_int(ev, "chosen", -1);
        if (tok < 0 || tok >= c->vt) {
            fprintf(stderr, "output token %ld outside 0..%d\n", tok, c->vt - 1);
            abort();
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Status st = {{0}};
    SafeTensors *f = safetensors_parse(data, size, "fuzz.safetensors", &st);
    if (!f) {
        if (!st.message[0]) abort();
        return 0;
    }
    /* both model families: the file's arch picks the loader, as model_load does */
    const char *arch = safetensors_meta(f, "arch");
    int is_tfm = arch && !strcmp(arch, "tutorial-transformer");
    Seq2Seq *s2s = is_tfm ? NULL : seq2seq_from_safetensors(f, "fuzz.safetensors", &st);
    Transformer *tfm = is_tfm ? transformer_from_safetensors(f, "fuzz.safetensors", &st) : NULL;
    safetensors_free(f);
    if (!s2s && !tfm) {
        if (strncmp(st.message, "fuzz.safetensors: ", 18) != 0) {
            fprintf(stderr, "load message does not name the model: %s\n", st.message);
            abort();
        }
        return 0;
    }
    Model mm;
    if (s2s) model_from_seq2seq(&mm, s2s);
    else model_from_transformer(&mm, tfm);
    const Model *m = &mm;
    int vs = vocab_size(m->src_vocab), vt = vocab_size(m->tgt_vocab);
    if (vs < 1 || vt < 1 || m->tgt_sos < 0 || m->tgt_sos >= vt || m->tgt_eos < 0 || m->tgt_eos >= vt) abort();
    if (s2s && (s2s->src_eos < 0 || s2s->src_eos >= vs)) abort();

    int src[4];
    int S = 0;
    int room = s2s && s2s->cfg.scorer == ATTN_LOCATION ? s2s->cfg.max_src_len : 4;
    for (int j = 0; j < 3 && S < room - 1; j++) src[S++] = j < vs ? j : vs - 1;
    if (s2s) src[S++] = s2s->src_eos;

    DecodeOptions o;
    decode_options_default(&o);
    o.max_len = 5;
    Checker c = {vt, 0, NULL, NULL, 0};
    EventSink sink = {check_event, &c};
    DecodeResult res;
    memset(&res, 0, sizeof res);
    if (decode_run_model(m, src, S, &o, &sink, &res, &st) != 0) {
        if (!st.message[0]) abort();
    } else {
        if (c.nan_in) {
            fprintf(stderr, "decode succeeded but event %ld (%s) carried NaN in '%s'\n", c.nan_seq, c.nan_in, c.nan_key);
            abort();
        }
        if (res.count != 1) abort();
        const DecodeHyp *h = &res.hyps[0];
        if (isnan(h->logprob) || h->len < 0 || h->len > 5 || !h->text) abort();
        for (int i = 0; i < h->len; i++)
            if (h->tokens[i] < 0 || h->tokens[i] >= vt) abort();
        if (h->attention)
            for (long k = 0; k < (long)h->steps * S; k++)
                if (isnan(h->attention[k])) abort();
    }
    decode_result_free(&res);
    seq2seq_free(s2s);
    transformer_free(tfm);
    return 0;
}
