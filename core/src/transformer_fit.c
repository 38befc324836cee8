/* transformer_fit.c — what training a tutorial-transformer needs besides the backward pass
 * (see transformer.h): fresh models with the tutorial's initialisation, model files, and
 * event-free greedy decoding for dev evaluation. The loop (Adam, clipping, schedule,
 * threads, checkpoints) is train.h's Trainer. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnstep/safetensors.h"
#include "attnstep/tensor.h"
#include "attnstep/train.h"
#include "attnstep/transformer.h"

/* ---- tensor list of a shape (the order of transformer.c's model_specs) ---- */

typedef struct NewTensor {
    char name[96];
    int ndim;
    int64_t shape[3];
    long numel;
    int kind; /* 0 matrix (xavier), 1 zero bias, 2 linear bias, 3 LN weight (1), 4 LN bias (0), 5 positions */
    int fan_in;
} NewTensor;

typedef struct NewList {
    NewTensor *t;
    int n, max;
} NewList;

static void put(NewList *l, int kind, int fan_in, int ndim, int64_t d0, int64_t d1, int64_t d2, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
static void put(NewList *l, int kind, int fan_in, int ndim, int64_t d0, int64_t d1, int64_t d2, const char *fmt, ...) {
    if (l->n >= l->max) { l->n++; return; }
    NewTensor *t = &l->t[l->n++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->name, sizeof t->name, fmt, ap);
    va_end(ap);
    t->ndim = ndim;
    t->shape[0] = d0; t->shape[1] = d1; t->shape[2] = d2;
    t->numel = (long)(d0 * (ndim > 1 ? d1 : 1) * (ndim > 2 ? d2 : 1));
    t->kind = kind;
    t->fan_in = fan_in;
}

static void new_attn(NewList *l, int d, const char *p) {
    put(l, 0, d, 2, 3 * d, d, 0, "%s.in_proj_weight", p);
    put(l, 1, d, 1, 3 * d, 0, 0, "%s.in_proj_bias", p);
    put(l, 0, d, 2, d, d, 0, "%s.out_proj.weight", p);
    put(l, 1, d, 1, d, 0, 0, "%s.out_proj.bias", p);
}

static void new_layer(NewList *l, const TransformerShape *s, const char *side, int n, int dec) {
    char p[96];
    int d = s->d, F = s->ffn;
    snprintf(p, sizeof p, "transformer.%s.layers.%d.self_attn", side, n);
    new_attn(l, d, p);
    if (dec) {
        snprintf(p, sizeof p, "transformer.%s.layers.%d.multihead_attn", side, n);
        new_attn(l, d, p);
    }
    put(l, 0, d, 2, F, d, 0, "transformer.%s.layers.%d.linear1.weight", side, n);
    put(l, 2, d, 1, F, 0, 0, "transformer.%s.layers.%d.linear1.bias", side, n);
    put(l, 0, F, 2, d, F, 0, "transformer.%s.layers.%d.linear2.weight", side, n);
    put(l, 2, F, 1, d, 0, 0, "transformer.%s.layers.%d.linear2.bias", side, n);
    for (int k = 0; k < (dec ? 3 : 2); k++) {
        put(l, 3, d, 1, d, 0, 0, "transformer.%s.layers.%d.norm%d.weight", side, n, k + 1);
        put(l, 4, d, 1, d, 0, 0, "transformer.%s.layers.%d.norm%d.bias", side, n, k + 1);
    }
}

static void new_list(NewList *l, const TransformerShape *s, int Vs, int Vt) {
    int d = s->d;
    put(l, 0, d, 2, Vs, d, 0, "src_tok_emb.embedding.weight");
    put(l, 0, d, 2, Vt, d, 0, "tgt_tok_emb.embedding.weight");
    put(l, 5, d, 3, s->max_pos, 1, d, "positional_encoding.pos_embedding");
    for (int n = 0; n < s->enc_layers; n++) new_layer(l, s, "encoder", n, 0);
    put(l, 3, d, 1, d, 0, 0, "transformer.encoder.norm.weight");
    put(l, 4, d, 1, d, 0, 0, "transformer.encoder.norm.bias");
    for (int n = 0; n < s->dec_layers; n++) new_layer(l, s, "decoder", n, 1);
    put(l, 3, d, 1, d, 0, 0, "transformer.decoder.norm.weight");
    put(l, 4, d, 1, d, 0, 0, "transformer.decoder.norm.bias");
    put(l, 0, d, 2, Vt, d, 0, "generator.weight");
    put(l, 2, d, 1, Vt, 0, 0, "generator.bias");
}

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double unif(uint64_t *s) { return (double)(splitmix(s) >> 11) * (1.0 / 9007199254740992.0); }

static void init_tensor(float *x, const NewTensor *t, int d, uint64_t *rng) {
    double b;
    switch (t->kind) {
    case 0: /* xavier_uniform_: fan_in = shape[1], fan_out = shape[0] */
        b = sqrt(6.0 / (double)(t->shape[0] + t->shape[1]));
        for (long i = 0; i < t->numel; i++) x[i] = (float)((2.0 * unif(rng) - 1.0) * b);
        break;
    case 2:
        b = 1.0 / sqrt((double)t->fan_in);
        for (long i = 0; i < t->numel; i++) x[i] = (float)((2.0 * unif(rng) - 1.0) * b);
        break;
    case 3: for (long i = 0; i < t->numel; i++) x[i] = 1.0f; break;
    case 5:
        for (int64_t p = 0; p < t->shape[0]; p++)
            for (int k = 0; k < d; k += 2) {
                double den = exp(-(double)k * log(10000.0) / (double)d);
                x[p * d + k] = (float)sin((double)p * den);
                if (k + 1 < d) x[p * d + k + 1] = (float)cos((double)p * den);
            }
        break;
    default: memset(x, 0, (size_t)t->numel * sizeof(float)); break;
    }
}

Transformer *transformer_new(const TransformerShape *s, const char *src_vocab_json, const char *tgt_vocab_json,
                             uint64_t seed, const char *const *meta_keys, const char *const *meta_values, int n_meta,
                             Status *st) {
    if (s->d < 2 || s->d > 4096 || s->nhead < 1 || s->d % s->nhead || s->ffn < 1 || s->ffn > 65536 || s->enc_layers < 1 ||
        s->enc_layers > TRANSFORMER_MAX_LAYERS || s->dec_layers < 1 || s->dec_layers > TRANSFORMER_MAX_LAYERS ||
        s->max_pos < 2 || s->max_pos > 65536 || s->max_len < 2 || s->max_len > s->max_pos) {
        status_fail(st, "bad Transformer sizes: d %d, %d heads (must divide d), ffn %d, %d+%d layers (1..%d each), "
                        "max_pos %d, max_len %d (2..max_pos)",
                    s->d, s->nhead, s->ffn, s->enc_layers, s->dec_layers, TRANSFORMER_MAX_LAYERS, s->max_pos, s->max_len);
        return NULL;
    }
    Vocab *vs = vocab_from_json(src_vocab_json, st);
    if (!vs) return NULL;
    Vocab *vt = vocab_from_json(tgt_vocab_json, st);
    if (!vt) { vocab_free(vs); return NULL; }
    int Vs = vocab_size(vs), Vt = vocab_size(vt);
    vocab_free(vs);
    vocab_free(vt);

    int max = 8 + 26 * 2 * TRANSFORMER_MAX_LAYERS;
    NewList l = {calloc((size_t)max, sizeof(NewTensor)), 0, max};
    SafeTensors f;
    memset(&f, 0, sizeof f);
    Transformer *m = NULL;
    char config[256];
    snprintf(config, sizeof config, "{\"nhead\":%d,\"norm_first\":%s,\"max_len\":%d,\"tokenizer\":\"%s\"}", s->nhead,
             s->norm_first ? "true" : "false", s->max_len, s->tokenizer == VOCAB_CHARS ? "chars" : "words");
    if (!l.t) { status_fail(st, "out of memory"); return NULL; }
    new_list(&l, s, Vs, Vt);
    f.count = l.n;
    f.tensors = calloc((size_t)l.n, sizeof *f.tensors);
    f.meta_keys = calloc((size_t)n_meta + 5, sizeof(char *));
    f.meta_values = calloc((size_t)n_meta + 5, sizeof(char *));
    uint64_t rng = seed * 0x2545F4914F6CDD1Dull + 777;
    if (!f.tensors || !f.meta_keys || !f.meta_values) { status_fail(st, "out of memory"); goto done; }
    for (int i = 0; i < l.n; i++) {
        SafeTensor *t = &f.tensors[i];
        t->name = l.t[i].name;
        strcpy(t->dtype, "F32");
        t->ndim = l.t[i].ndim;
        for (int k = 0; k < 3; k++) t->shape[k] = l.t[i].shape[k];
        t->numel = l.t[i].numel;
        t->data = malloc((size_t)t->numel * sizeof(float));
        if (!t->data) { status_fail(st, "out of memory"); goto done; }
        init_tensor(t->data, &l.t[i], s->d, &rng);
    }
    int k = 0;
    f.meta_keys[k] = (char *)"arch"; f.meta_values[k++] = (char *)"tutorial-transformer";
    f.meta_keys[k] = (char *)"src_vocab"; f.meta_values[k++] = (char *)src_vocab_json;
    f.meta_keys[k] = (char *)"tgt_vocab"; f.meta_values[k++] = (char *)tgt_vocab_json;
    f.meta_keys[k] = (char *)"config"; f.meta_values[k++] = config;
    for (int i = 0; i < n_meta; i++) { f.meta_keys[k] = (char *)meta_keys[i]; f.meta_values[k++] = (char *)meta_values[i]; }
    f.meta_count = k;
    m = transformer_from_safetensors(&f, "new model", st);
done:
    if (f.tensors) for (int i = 0; i < l.n; i++) free(f.tensors[i].data);
    free(f.tensors);
    free(f.meta_keys);
    free(f.meta_values);
    free(l.t);
    return m;
}

int transformer_save(const Transformer *m, const char *path, const char *const *keys, const char *const *values, int n,
                     Status *st) {
    SafeTensorsWriter *w = safetensors_writer_new();
    if (!w) return status_fail(st, "out of memory");
    int rc = -1;
    for (int i = 0; i < m->tensor_count; i++) {
        const TransformerTensor *t = &m->tensors[i];
        if (safetensors_writer_add(w, t->name, t->data, t->ndim, t->shape, st)) goto done;
    }
    for (int i = 0; i < m->meta_count; i++)
        if (safetensors_writer_meta(w, m->meta_keys[i], m->meta_values[i], st)) goto done;
    for (int i = 0; i < n; i++)
        if (safetensors_writer_meta(w, keys[i], values[i], st)) goto done;
    rc = safetensors_writer_save(w, path, st);
done:
    safetensors_writer_free(w);
    return rc;
}

int transformer_greedy(const Transformer *m, TransformerRun *run, const int *src, int S, int max_len, int *out, int *n,
                       int *attn_argmax, Status *st) {
    *n = 0;
    if (transformer_encode(m, run, src, S, NULL, st)) return -1;
    int Vt = vocab_size(m->tgt_vocab);
    if (max_len > m->cfg.max_len) max_len = m->cfg.max_len;
    float *mem = malloc(((size_t)m->state_size + (size_t)Vt) * sizeof(float));
    if (!mem) return status_fail(st, "out of memory");
    float *state = mem, *lp = mem + m->state_size;
    transformer_initial_state(m, run, state);
    int tok = m->bos, rc = 0;
    for (int t = 0; t < max_len; t++) {
        if (transformer_decode_step(m, run, state, lp, state, &tok, NULL, 1, t, NULL, st)) { rc = -1; break; }
        tok = tensor_argmax(lp, Vt);
        if (tok == m->eos) break;
        if (attn_argmax) attn_argmax[*n] = tensor_argmax(transformer_last_cross_weights(run, 0), S);
        out[(*n)++] = tok;
    }
    free(mem);
    return rc;
}

/* ---- data and dev evaluation ---- */

static int tid(const Vocab *v, const char *tok) {
    int id = vocab_id(v, tok);
    return id < 0 ? TRANSFORMER_UNK : id;
}

int transformer_train_data(const Transformer *m, const Corpus *c, TrainData *out, Status *st) {
    memset(out, 0, sizeof *out);
    size_t total = 0;
    int cap_src = m->cfg.max_pos < TRANSFORMER_MAX_SOURCE ? m->cfg.max_pos : TRANSFORMER_MAX_SOURCE;
    for (int i = 0; i < c->n; i++) {
        const CorpusExample *e = &c->examples[i];
        if (e->src_len + 2 > cap_src) return status_fail(st, "example %d has %d source tokens (at most %d)", i, e->src_len, cap_src - 2);
        if (e->tgt_len + 1 > m->cfg.max_len || e->tgt_len + 1 > TRANSFORMER_MAX_SOURCE)
            return status_fail(st, "example %d has %d target tokens (the model's max_len allows %d)", i, e->tgt_len, m->cfg.max_len - 1);
        total += (size_t)e->src_len + 2 + (size_t)e->tgt_len + 1;
    }
    out->src_off = malloc((size_t)(c->n > 0 ? c->n : 1) * 4 * sizeof(int));
    out->ids = malloc((total > 0 ? total : 1) * sizeof(int));
    if (!out->src_off || !out->ids) { train_data_free(out); return status_fail(st, "out of memory for %d examples", c->n); }
    out->src_len = out->src_off + c->n;
    out->tgt_off = out->src_len + c->n;
    out->tgt_len = out->tgt_off + c->n;
    size_t off = 0;
    for (int i = 0; i < c->n; i++) {
        const CorpusExample *e = &c->examples[i];
        out->src_off[i] = (int)off;
        out->ids[off++] = m->bos;
        for (int k = 0; k < e->src_len; k++) out->ids[off++] = tid(m->src_vocab, e->src[k]);
        out->ids[off++] = m->eos;
        out->src_len[i] = e->src_len + 2;
        out->tgt_off[i] = (int)off;
        for (int k = 0; k < e->tgt_len; k++) out->ids[off++] = tid(m->tgt_vocab, e->tgt[k]);
        out->ids[off++] = m->eos;
        out->tgt_len[i] = e->tgt_len + 1;
        if (out->src_len[i] > out->max_src) out->max_src = out->src_len[i];
        if (out->tgt_len[i] > out->max_tgt) out->max_tgt = out->tgt_len[i];
    }
    out->n = c->n;
    return 0;
}

int transformer_evaluate(const Transformer *m, const TrainData *d, int n, TrainEval *out, Status *st) {
    memset(out, 0, sizeof *out);
    if (n > d->n) n = d->n;
    TransformerRun *run = transformer_run_new(m, d->max_src > 0 ? d->max_src : 1, 1, st);
    if (!run) return -1;
    int max_len = d->max_tgt * 2 + 5;
    int *hyp = malloc((size_t)max_len * sizeof(int));
    if (!hyp) { transformer_run_free(run); return status_fail(st, "out of memory"); }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        int len;
        if (transformer_greedy(m, run, d->ids + d->src_off[i], d->src_len[i], max_len, hyp, &len, NULL, st)) { rc = -1; break; }
        train_eval_add(out, hyp, len, d->ids + d->tgt_off[i], d->tgt_len[i] - 1);
    }
    train_eval_finish(out);
    free(hyp);
    transformer_run_free(run);
    return rc;
}
