/* model.c — dispatch between seq2seq.h and transformer.h (see model.h). */
#include "attnstep/model.h"

#include <stdlib.h>
#include <string.h>

#include "attnstep/safetensors.h"

void model_from_seq2seq(Model *out, const Seq2Seq *m) {
    memset(out, 0, sizeof *out);
    out->kind = MODEL_SEQ2SEQ;
    out->s2s = m;
    out->arch = m->arch;
    out->src_vocab = m->src_vocab;
    out->tgt_vocab = m->tgt_vocab;
    out->tokenizer = m->cfg.tokenizer;
    out->src_unk = m->src_unk;
    out->tgt_sos = m->tgt_sos;
    out->tgt_eos = m->tgt_eos;
    out->state_size = m->state_size;
    out->has_attention = m->cfg.scorer != ATTN_NONE;
    out->can_override = out->has_attention;
}

void model_from_transformer(Model *out, const Transformer *m) {
    memset(out, 0, sizeof *out);
    out->kind = MODEL_TRANSFORMER;
    out->tfm = m;
    out->arch = m->arch;
    out->src_vocab = m->src_vocab;
    out->tgt_vocab = m->tgt_vocab;
    out->tokenizer = m->cfg.tokenizer;
    out->src_unk = m->unk;
    out->tgt_sos = m->bos;
    out->tgt_eos = m->eos;
    out->state_size = m->state_size;
    out->has_attention = 1;
    out->can_override = 0;
    out->max_positions = m->cfg.max_len;
}

Model *model_load(const char *path, Status *st) {
    SafeTensors *f = safetensors_load(path, st);
    if (!f) return NULL;
    const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
    const char *arch = safetensors_meta(f, "arch");
    Model *m = calloc(1, sizeof *m);
    if (!m) { safetensors_free(f); status_fail(st, "out of memory"); return NULL; }
    if (arch && !strcmp(arch, "tutorial-transformer")) {
        Transformer *t = transformer_from_safetensors(f, name, st);
        if (t) model_from_transformer(m, t);
    } else {
        Seq2Seq *s = seq2seq_from_safetensors(f, name, st);
        if (s) model_from_seq2seq(m, s);
    }
    safetensors_free(f);
    if (!m->s2s && !m->tfm) { free(m); return NULL; }
    m->owned = 1;
    return m;
}

void model_free(Model *m) {
    if (!m) return;
    if (m->owned) {
        seq2seq_free((Seq2Seq *)m->s2s);
        transformer_free((Transformer *)m->tfm);
    }
    free(m);
}

const char *model_meta(const Model *m, const char *key) {
    return m->kind == MODEL_TRANSFORMER ? transformer_meta(m->tfm, key) : seq2seq_meta(m->s2s, key);
}

const char *model_name(const Model *m) {
    const char *n = model_meta(m, "name");
    return n ? n : "(unnamed)";
}

int model_source_ids(const Model *m, const char *text, int *src_ids, int max_ids, int *n, VocabEncoding *enc, Status *st) {
    return m->kind == MODEL_TRANSFORMER ? transformer_source_ids(m->tfm, text, src_ids, max_ids, n, enc, st)
                                        : seq2seq_source_ids(m->s2s, text, src_ids, max_ids, n, enc, st);
}

int model_default_max_len(const Model *m, int S) {
    return m->kind == MODEL_TRANSFORMER ? transformer_greedy_max_steps(m->tfm, S) : m->s2s->cfg.max_len;
}

struct ModelRun {
    Seq2SeqRun *s;
    TransformerRun *t;
};

ModelRun *model_run_new(const Model *m, int max_src, int max_rows, Status *st) {
    ModelRun *r = calloc(1, sizeof *r);
    if (!r) { status_fail(st, "out of memory"); return NULL; }
    if (m->kind == MODEL_TRANSFORMER) r->t = transformer_run_new(m->tfm, max_src, max_rows, st);
    else r->s = seq2seq_run_new(m->s2s, max_src, max_rows, st);
    if (!r->s && !r->t) { free(r); return NULL; }
    return r;
}

void model_run_free(ModelRun *r) {
    if (!r) return;
    seq2seq_run_free(r->s);
    transformer_run_free(r->t);
    free(r);
}

int model_encode(const Model *m, ModelRun *r, const int *src_ids, int S, const EventSink *sink, Status *st) {
    return m->kind == MODEL_TRANSFORMER ? transformer_encode(m->tfm, r->t, src_ids, S, sink, st)
                                        : seq2seq_encode(m->s2s, r->s, src_ids, S, sink, st);
}

void model_initial_state(const Model *m, const ModelRun *r, float *state) {
    if (m->kind == MODEL_TRANSFORMER) transformer_initial_state(m->tfm, r->t, state);
    else seq2seq_initial_state(m->s2s, r->s, state);
}

int model_decode_step(const Model *m, ModelRun *r, float *state_out, float *logprobs, const float *state_in,
                      const int *tokens, const int *beams, const float *override, int B, int step,
                      const EventSink *sink, Status *st) {
    if (m->kind == MODEL_TRANSFORMER) {
        if (override) return status_fail(st, "attention overrides work on RNN models only (a Transformer has many heads)");
        return transformer_decode_step(m->tfm, r->t, state_out, logprobs, state_in, tokens, beams, B, step, sink, st);
    }
    return seq2seq_decode_step(m->s2s, r->s, state_out, logprobs, state_in, tokens, beams, override, B, step, sink, st);
}

const float *model_last_weights(const Model *m, const ModelRun *r, int b) {
    if (!m->has_attention) return NULL;
    return m->kind == MODEL_TRANSFORMER ? transformer_last_cross_weights(r->t, b) : seq2seq_last_weights(r->s, b);
}
