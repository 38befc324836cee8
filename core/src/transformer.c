/* transformer.c — the tutorial-transformer encoder–decoder (see transformer.h,
 * docs/model-format.md).
 *
 * Sections: configuration → loading weights → source text → run state → layer kernels →
 * encoder → decoder step. */
#include "attnstep/transformer.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnstep/tensor.h"

#define ARCH "tutorial-transformer"

/* ======================================================================== */
/* Configuration                                                             */
/* ======================================================================== */

static const char *const CONFIG_KEYS[] = {"nhead", "norm_first", "max_len", "tokenizer", "layer_norm_eps", NULL};

/* Reads the `config` JSON into c (d, ffn, layers and max_pos must already be set).
 * -1 with st on the first bad key or value. */
static int parse_config(TransformerConfig *c, const char *json, Status *st) {
    if (!json) return status_fail(st, "metadata 'config' is missing (it needs at least {\"nhead\": N})");
    cJSON *cfg = cJSON_Parse(json);
    int rc = -1;
    if (!cfg || !cJSON_IsObject(cfg)) { status_fail(st, "metadata 'config' is not a JSON object"); goto done; }
    for (const cJSON *it = cfg->child; it; it = it->next) {
        int known = 0;
        for (int i = 0; CONFIG_KEYS[i]; i++) known |= !strcmp(it->string, CONFIG_KEYS[i]);
        if (!known) { status_fail(st, "config: unknown key '%s' (known: nhead, norm_first, max_len, tokenizer, layer_norm_eps)", it->string); goto done; }
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, "nhead");
    if (!v) { status_fail(st, "config: 'nhead' is missing"); goto done; }
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble || v->valueint < 1) {
        status_fail(st, "config: 'nhead' must be a positive integer"); goto done;
    }
    c->nhead = v->valueint;
    if (c->d % c->nhead) { status_fail(st, "config: nhead %d does not divide the model size d = %d", c->nhead, c->d); goto done; }
    c->dh = c->d / c->nhead;
    v = cJSON_GetObjectItemCaseSensitive(cfg, "norm_first");
    if (v && !cJSON_IsBool(v)) { status_fail(st, "config: 'norm_first' must be true or false"); goto done; }
    c->norm_first = v && cJSON_IsTrue(v);
    v = cJSON_GetObjectItemCaseSensitive(cfg, "layer_norm_eps");
    if (v && (!cJSON_IsNumber(v) || !(v->valuedouble > 0) || v->valuedouble > 1)) { status_fail(st, "config: 'layer_norm_eps' must be a number in (0, 1]"); goto done; }
    c->ln_eps = v ? (float)v->valuedouble : 1e-5f;
    int dflt = c->max_pos < TRANSFORMER_DEFAULT_MAX_LEN ? c->max_pos : TRANSFORMER_DEFAULT_MAX_LEN;
    v = cJSON_GetObjectItemCaseSensitive(cfg, "max_len");
    if (v && (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble)) { status_fail(st, "config: 'max_len' must be an integer"); goto done; }
    c->max_len = v ? v->valueint : dflt;
    if (c->max_len < 2 || c->max_len > c->max_pos) {
        status_fail(st, "config: max_len must be 2..%d (the rows of positional_encoding.pos_embedding), got %d", c->max_pos, c->max_len);
        goto done;
    }
    v = cJSON_GetObjectItemCaseSensitive(cfg, "tokenizer");
    const char *tok = "words";
    if (v && !cJSON_IsString(v)) { status_fail(st, "config: 'tokenizer' must be a string"); goto done; }
    if (v) tok = v->valuestring;
    if (strcmp(tok, "words") && strcmp(tok, "chars")) { status_fail(st, "config: tokenizer '%s' is not words or chars", tok); goto done; }
    c->tokenizer = !strcmp(tok, "chars") ? VOCAB_CHARS : VOCAB_WORDS;
    rc = 0;
done:
    cJSON_Delete(cfg);
    return rc;
}

/* ======================================================================== */
/* Loading weights                                                           */
/* ======================================================================== */

typedef struct TensorSpec {
    char name[96];
    int ndim;
    int64_t shape[3];
    const float **dst;
} TensorSpec;

#define MAX_SPECS (8 + 26 * TRANSFORMER_MAX_LAYERS * 2)

typedef struct SpecList {
    int n;
    TensorSpec items[MAX_SPECS];
} SpecList;

static void spec(SpecList *l, const float **dst, int ndim, int64_t d0, int64_t d1, int64_t d2, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
static void spec(SpecList *l, const float **dst, int ndim, int64_t d0, int64_t d1, int64_t d2, const char *fmt, ...) {
    assert(l->n < MAX_SPECS);
    TensorSpec *t = &l->items[l->n++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->name, sizeof t->name, fmt, ap);
    va_end(ap);
    t->ndim = ndim;
    t->shape[0] = d0;
    t->shape[1] = d1;
    t->shape[2] = d2;
    t->dst = dst;
}

static void attn_specs(SpecList *l, TfmAttnWeights *a, int d, const char *prefix) {
    spec(l, &a->in_w, 2, 3 * d, d, 0, "%s.in_proj_weight", prefix);
    spec(l, &a->in_b, 1, 3 * d, 0, 0, "%s.in_proj_bias", prefix);
    spec(l, &a->out_w, 2, d, d, 0, "%s.out_proj.weight", prefix);
    spec(l, &a->out_b, 1, d, 0, 0, "%s.out_proj.bias", prefix);
}

static void layer_specs(SpecList *l, TfmLayerWeights *w, const TransformerConfig *c, const char *side, int n, int dec) {
    char p[96];
    int d = c->d;
    snprintf(p, sizeof p, "transformer.%s.layers.%d.self_attn", side, n);
    attn_specs(l, &w->self_attn, d, p);
    if (dec) {
        snprintf(p, sizeof p, "transformer.%s.layers.%d.multihead_attn", side, n);
        attn_specs(l, &w->cross_attn, d, p);
    }
    spec(l, &w->lin1_w, 2, c->ffn, d, 0, "transformer.%s.layers.%d.linear1.weight", side, n);
    spec(l, &w->lin1_b, 1, c->ffn, 0, 0, "transformer.%s.layers.%d.linear1.bias", side, n);
    spec(l, &w->lin2_w, 2, d, c->ffn, 0, "transformer.%s.layers.%d.linear2.weight", side, n);
    spec(l, &w->lin2_b, 1, d, 0, 0, "transformer.%s.layers.%d.linear2.bias", side, n);
    for (int k = 0; k < (dec ? 3 : 2); k++) {
        spec(l, &w->norm_w[k], 1, d, 0, 0, "transformer.%s.layers.%d.norm%d.weight", side, n, k + 1);
        spec(l, &w->norm_b[k], 1, d, 0, 0, "transformer.%s.layers.%d.norm%d.bias", side, n, k + 1);
    }
}

static void model_specs(Transformer *m, SpecList *l, int Vs, int Vt) {
    const TransformerConfig *c = &m->cfg;
    TransformerWeights *w = &m->w;
    int d = c->d;
    spec(l, &w->src_emb, 2, Vs, d, 0, "src_tok_emb.embedding.weight");
    spec(l, &w->tgt_emb, 2, Vt, d, 0, "tgt_tok_emb.embedding.weight");
    spec(l, &w->pos, 3, c->max_pos, 1, d, "positional_encoding.pos_embedding");
    for (int n = 0; n < c->enc_layers; n++) layer_specs(l, &w->enc[n], c, "encoder", n, 0);
    spec(l, &w->enc_norm_w, 1, d, 0, 0, "transformer.encoder.norm.weight");
    spec(l, &w->enc_norm_b, 1, d, 0, 0, "transformer.encoder.norm.bias");
    for (int n = 0; n < c->dec_layers; n++) layer_specs(l, &w->dec[n], c, "decoder", n, 1);
    spec(l, &w->dec_norm_w, 1, d, 0, 0, "transformer.decoder.norm.weight");
    spec(l, &w->dec_norm_b, 1, d, 0, 0, "transformer.decoder.norm.bias");
    spec(l, &w->gen_w, 2, Vt, d, 0, "generator.weight");
    spec(l, &w->gen_b, 1, Vt, 0, 0, "generator.bias");
}

static void format_shape(char *buf, size_t size, int ndim, const int64_t *shape) {
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (used < size) snprintf(buf + used, size - used, "]");
}

static Vocab *meta_vocab(const SafeTensors *f, const char *key, Status *st) {
    const char *json = safetensors_meta(f, key);
    if (!json) { status_fail(st, "metadata '%s' is missing (a JSON array of tokens)", key); return NULL; }
    Vocab *v = vocab_from_json(json, st);
    if (!v) status_prefix(st, "metadata '%s'", key);
    return v;
}

/* Dimension k of a tensor that must exist with ndim dimensions; -1 with st otherwise. */
static int need_dim(const SafeTensors *f, const char *name, int ndim, int k, Status *st) {
    const SafeTensor *t = safetensors_find(f, name);
    if (!t) return status_fail(st, "tensor '%s' is missing (arch " ARCH ")", name);
    if (t->ndim != ndim) return status_fail(st, "tensor '%s' has %d dimensions, arch " ARCH " needs %d", name, t->ndim, ndim);
    if (t->shape[k] < 1 || t->shape[k] > 65536) return status_fail(st, "tensor '%s' has an implausible size %lld", name, (long long)t->shape[k]);
    return (int)t->shape[k];
}

static int count_layers(const SafeTensors *f, const char *side, Status *st) {
    char name[96];
    int n = 0;
    for (;; n++) {
        snprintf(name, sizeof name, "transformer.%s.layers.%d.self_attn.in_proj_weight", side, n);
        if (!safetensors_find(f, name)) break;
        if (n == TRANSFORMER_MAX_LAYERS) return status_fail(st, "the %s has more than %d layers", side, TRANSFORMER_MAX_LAYERS);
    }
    if (n == 0) return status_fail(st, "tensor 'transformer.%s.layers.0.self_attn.in_proj_weight' is missing (arch " ARCH " needs at least one %s layer)", side, side);
    return n;
}

Transformer *transformer_from_safetensors(const SafeTensors *f, const char *name, Status *st) {
    Transformer *m = calloc(1, sizeof *m);
    SpecList *specs = NULL;
    if (!m) { status_fail(st, "%s: out of memory", name); return NULL; }
    const char *arch = safetensors_meta(f, "arch");
    if (!arch) { status_fail(st, "metadata 'arch' is missing"); goto fail; }
    if (strcmp(arch, ARCH)) { status_fail(st, "arch '%s' is not " ARCH, arch); goto fail; }
    snprintf(m->arch, sizeof m->arch, "%s", arch);

    /* sizes from shapes, then the config */
    TransformerConfig *c = &m->cfg;
    if ((c->d = need_dim(f, "src_tok_emb.embedding.weight", 2, 1, st)) < 0) goto fail;
    if ((c->max_pos = need_dim(f, "positional_encoding.pos_embedding", 3, 0, st)) < 0) goto fail;
    if ((c->enc_layers = count_layers(f, "encoder", st)) < 0 || (c->dec_layers = count_layers(f, "decoder", st)) < 0) goto fail;
    if ((c->ffn = need_dim(f, "transformer.encoder.layers.0.linear1.weight", 2, 0, st)) < 0) goto fail;
    if (parse_config(c, safetensors_meta(f, "config"), st)) goto fail;

    if (!(m->src_vocab = meta_vocab(f, "src_vocab", st)) || !(m->tgt_vocab = meta_vocab(f, "tgt_vocab", st))) goto fail;
    if (vocab_size(m->src_vocab) < 4 || vocab_size(m->tgt_vocab) < 4) {
        status_fail(st, "the vocabularies need the special tokens UNK, PAD, BOS, EOS at ids 0..3");
        goto fail;
    }
    m->unk = TRANSFORMER_UNK; m->pad = TRANSFORMER_PAD; m->bos = TRANSFORMER_BOS; m->eos = TRANSFORMER_EOS;
    m->state_size = TRANSFORMER_STATE_HEADER + 2 * c->dec_layers * c->max_len * c->d;

    specs = calloc(1, sizeof *specs);
    if (!specs) { status_fail(st, "out of memory"); goto fail; }
    model_specs(m, specs, vocab_size(m->src_vocab), vocab_size(m->tgt_vocab));
    size_t total = 0;
    for (int i = 0; i < specs->n; i++) {
        TensorSpec *t = &specs->items[i];
        const SafeTensor *x = safetensors_find(f, t->name);
        char want[64], got[64];
        format_shape(want, sizeof want, t->ndim, t->shape);
        if (!x) { status_fail(st, "tensor '%s' %s is missing (arch " ARCH ", %d+%d layers)", t->name, want, c->enc_layers, c->dec_layers); goto fail; }
        int same = x->ndim == t->ndim;
        for (int k = 0; same && k < t->ndim; k++) same = x->shape[k] == t->shape[k];
        if (!same) {
            format_shape(got, sizeof got, x->ndim, x->shape);
            status_fail(st, "tensor '%s' has shape %s but the model needs %s (d = %d, ffn = %d)", t->name, got, want, c->d, c->ffn);
            goto fail;
        }
        for (int64_t k = 0; k < x->numel; k++)
            if (!isfinite(x->data[k])) {
                status_fail(st, "tensor '%s' holds %s at index %lld", t->name, isnan(x->data[k]) ? "NaN" : "Inf", (long long)k);
                goto fail;
            }
        total += (size_t)x->numel;
    }
    for (int i = 0; i < f->count; i++) {
        int wanted = 0;
        for (int k = 0; k < specs->n && !wanted; k++) wanted = !strcmp(specs->items[k].name, f->tensors[i].name);
        if (!wanted) { status_fail(st, "unexpected tensor '%s' for arch " ARCH " (a different architecture, or tied embeddings?)", f->tensors[i].name); goto fail; }
    }
    m->block = malloc(total * sizeof(float) + 16);
    m->tensors = calloc((size_t)specs->n, sizeof *m->tensors);
    if (!m->block || !m->tensors) { status_fail(st, "out of memory for %zu weights", total); goto fail; }
    size_t off = 0;
    for (int i = 0; i < specs->n; i++) {
        const SafeTensor *x = safetensors_find(f, specs->items[i].name);
        memcpy(m->block + off, x->data, (size_t)x->numel * sizeof(float));
        *specs->items[i].dst = m->block + off;
        TransformerTensor *tt = &m->tensors[i];
        memcpy(tt->name, specs->items[i].name, sizeof tt->name);
        tt->ndim = specs->items[i].ndim;
        memcpy(tt->shape, specs->items[i].shape, sizeof tt->shape);
        tt->numel = (long)x->numel;
        tt->data = m->block + off;
        off += (size_t)x->numel;
    }
    m->tensor_count = specs->n;
    m->param_count = (long)total;
    free(specs);
    specs = NULL;

    m->meta_count = f->meta_count;
    m->meta_keys = calloc((size_t)f->meta_count + 1, sizeof(char *));
    m->meta_values = calloc((size_t)f->meta_count + 1, sizeof(char *));
    if (!m->meta_keys || !m->meta_values) { status_fail(st, "out of memory"); goto fail; }
    for (int i = 0; i < f->meta_count; i++) {
        m->meta_keys[i] = strdup(f->meta_keys[i]);
        m->meta_values[i] = strdup(f->meta_values[i]);
        if (!m->meta_keys[i] || !m->meta_values[i]) { status_fail(st, "out of memory"); goto fail; }
    }
    return m;
fail:
    free(specs);
    status_prefix(st, "%s", name);
    transformer_free(m);
    return NULL;
}

Transformer *transformer_load(const char *path, Status *st) {
    SafeTensors *f = safetensors_load(path, st);
    if (!f) return NULL;
    const char *slash = strrchr(path, '/');
    Transformer *m = transformer_from_safetensors(f, slash ? slash + 1 : path, st);
    safetensors_free(f);
    return m;
}

void transformer_free(Transformer *m) {
    if (!m) return;
    vocab_free(m->src_vocab);
    vocab_free(m->tgt_vocab);
    free(m->block);
    free(m->tensors);
    for (int i = 0; i < m->meta_count; i++) {
        if (m->meta_keys) free(m->meta_keys[i]);
        if (m->meta_values) free(m->meta_values[i]);
    }
    free(m->meta_keys);
    free(m->meta_values);
    free(m);
}

const char *transformer_meta(const Transformer *m, const char *key) {
    for (int i = 0; i < m->meta_count; i++) if (!strcmp(m->meta_keys[i], key)) return m->meta_values[i];
    return NULL;
}

const TransformerTensor *transformer_find_tensor(const Transformer *m, const char *name) {
    for (int i = 0; i < m->tensor_count; i++) if (!strcmp(m->tensors[i].name, name)) return &m->tensors[i];
    return NULL;
}

/* ======================================================================== */
/* Source text                                                               */
/* ======================================================================== */

static int source_cap(const Transformer *m) {
    return m->cfg.max_pos < TRANSFORMER_MAX_SOURCE ? m->cfg.max_pos : TRANSFORMER_MAX_SOURCE;
}

int transformer_source_ids(const Transformer *m, const char *text, int *src_ids, int max_ids, int *n,
                           VocabEncoding *enc_out, Status *st) {
    VocabEncoding local;
    VocabEncoding *enc = enc_out ? enc_out : &local;
    memset(enc, 0, sizeof *enc);
    int limit = max_ids < source_cap(m) ? max_ids : source_cap(m);
    limit -= 2; /* BOS, EOS */
    if (limit > VOCAB_MAX_TOKENS) limit = VOCAB_MAX_TOKENS;
    if (limit < 1) { status_fail(st, "no room for a source: %d ids allowed, BOS and EOS take 2", max_ids); goto fail; }
    if (vocab_encode(m->src_vocab, text, m->cfg.tokenizer, limit, enc, st)) goto fail;
    if (enc->n == 0) { status_fail(st, "the input is empty: type a sentence to translate"); goto fail; }
    src_ids[0] = m->bos;
    for (int i = 0; i < enc->n; i++) src_ids[i + 1] = enc->ids[i] < 0 ? m->unk : enc->ids[i];
    src_ids[enc->n + 1] = m->eos;
    *n = enc->n + 2;
    if (!enc_out) vocab_encoding_free(&local);
    return 0;
fail:
    vocab_encoding_free(enc);
    return -1;
}

int transformer_greedy_max_steps(const Transformer *m, int S) {
    int steps = S + 4;
    return steps < m->cfg.max_len ? steps : m->cfg.max_len;
}

/* ======================================================================== */
/* Run state: one allocation, carved into named buffers                      */
/* ======================================================================== */

struct TransformerRun {
    int max_src, max_rows, S;
    int src_ids[TRANSFORMER_MAX_SOURCE];
    /* encoder, N = max_src rows */
    float *x;          /* (N, d) residual stream */
    float *xin;        /* (N, d) copy of a layer's input, for events */
    float *h;          /* (N, d) sublayer input (normed for pre-norm) */
    float *qkv;        /* (N, 3d) */
    float *ctx;        /* (N, d) attention output before out_proj */
    float *tmp;        /* (N, d) sublayer output */
    float *ffh;        /* (N, ffn) */
    float *memory;     /* (max_src, d) */
    float *cross_k;    /* (dec_layers, max_src, d) */
    float *cross_v;    /* (dec_layers, max_src, d) */
    /* decoder, B = max_rows rows */
    float *dx, *dxin, *dh, *dqkv, *dctx, *dtmp; /* (B, d) except dqkv (B, 3d) */
    float *dffh;       /* (B, ffn) */
    float *weights;    /* (nhead, max(max_src, max_len)) weights of one query row */
    float *cross_mean; /* (B, max_src) */
    float *mem;        /* the one allocation */
};

TransformerRun *transformer_run_new(const Transformer *m, int max_src, int max_rows, Status *st) {
    if (max_src < 1 || max_src > source_cap(m) || max_rows < 1 || max_rows > 4096) {
        status_fail(st, "run size out of range: %d source tokens (1..%d), %d rows (1..4096)", max_src, source_cap(m), max_rows);
        return NULL;
    }
    TransformerRun *r = calloc(1, sizeof *r);
    if (!r) { status_fail(st, "out of memory"); return NULL; }
    const TransformerConfig *c = &m->cfg;
    size_t d = (size_t)c->d, F = (size_t)c->ffn, N = (size_t)max_src, B = (size_t)max_rows, L = (size_t)c->dec_layers;
    size_t K = (size_t)(max_src > c->max_len ? max_src : c->max_len);
    size_t sizes[] = {N * d, N * d, N * d, N * 3 * d, N * d, N * d, N * F, N * d, L * N * d, L * N * d,
                      B * d, B * d, B * d, B * 3 * d, B * d, B * d, B * F, (size_t)c->nhead * K, B * N};
    float **dst[] = {&r->x, &r->xin, &r->h, &r->qkv, &r->ctx, &r->tmp, &r->ffh, &r->memory, &r->cross_k, &r->cross_v,
                     &r->dx, &r->dxin, &r->dh, &r->dqkv, &r->dctx, &r->dtmp, &r->dffh, &r->weights, &r->cross_mean};
    size_t count = sizeof sizes / sizeof sizes[0], total = 0;
    for (size_t i = 0; i < count; i++) total += (sizes[i] + 7) & ~(size_t)7; /* 32-byte aligned buffers */
    r->mem = aligned_alloc(32, total * sizeof(float));
    if (!r->mem) { free(r); status_fail(st, "out of memory for the run state (%zu floats)", total); return NULL; }
    memset(r->mem, 0, total * sizeof(float));
    size_t off = 0;
    for (size_t i = 0; i < count; i++) { *dst[i] = r->mem + off; off += (sizes[i] + 7) & ~(size_t)7; }
    r->max_src = max_src;
    r->max_rows = max_rows;
    return r;
}

void transformer_run_free(TransformerRun *r) {
    if (!r) return;
    free(r->mem);
    free(r);
}

int transformer_source_len(const TransformerRun *r) { return r->S; }
const float *transformer_memory(const TransformerRun *r) { return r->memory; }

const float *transformer_last_cross_weights(const TransformerRun *r, int b) {
    assert(b >= 0 && b < r->max_rows);
    return r->cross_mean + (size_t)b * r->max_src;
}

/* ======================================================================== */
/* Layer kernels (plain float*, no allocation)                               */
/* ======================================================================== */

/* out (N, d) = LayerNorm(x (N, d)) with weight w (d), bias b (d); biased variance as
 * torch.nn.LayerNorm. out may alias x. */
static void layernorm_forward(float *out, const float *x, const float *w, const float *b, int N, int d, float eps) {
    for (int i = 0; i < N; i++) {
        const float *xi = x + (size_t)i * d;
        float *oi = out + (size_t)i * d;
        double mean = 0.0, var = 0.0;
        for (int k = 0; k < d; k++) mean += xi[k];
        mean /= d;
        for (int k = 0; k < d; k++) { double t = xi[k] - mean; var += t * t; }
        var /= d;
        float rstd = (float)(1.0 / sqrt(var + (double)eps)), mu = (float)mean;
        for (int k = 0; k < d; k++) oi[k] = (xi[k] - mu) * rstd * w[k] + b[k];
    }
}

/* Multi-head attention of one query row.
 * ctx:     (d) out, heads concatenated (before out_proj)
 * weights: (H, nk) out, softmax weights per head
 * q:       (d) projected query (unscaled)
 * K, V:    (nk rows, row stride ld) projected keys / values, head h at columns h*dh
 * Scores are (q_h / √dh) · k_h as torch.nn.functional.multi_head_attention_forward. */
static void attend_row(float *ctx, float *weights, const float *q, const float *K, const float *V,
                       int nk, int ld, int H, int dh) {
    float scale = 1.0f / sqrtf((float)dh);
    float qs[256];
    for (int h = 0; h < H; h++) {
        const float *qh = q + h * dh;
        float *w = weights + (size_t)h * nk;
        if (dh <= 256) {
            for (int k = 0; k < dh; k++) qs[k] = qh[k] * scale;
            for (int j = 0; j < nk; j++) w[j] = tensor_dot(qs, K + (size_t)j * ld + h * dh, dh);
        } else {
            for (int j = 0; j < nk; j++) {
                const float *kj = K + (size_t)j * ld + h * dh;
                float s = 0.0f;
                for (int k = 0; k < dh; k++) s += qh[k] * scale * kj[k];
                w[j] = s;
            }
        }
        tensor_softmax(w, w, nk);
        float *ch = ctx + h * dh;
        memset(ch, 0, (size_t)dh * sizeof(float));
        for (int j = 0; j < nk; j++) {
            const float *vj = V + (size_t)j * ld + h * dh;
            float wj = w[j];
            for (int k = 0; k < dh; k++) ch[k] += wj * vj[k];
        }
    }
}

/* The input of a sublayer: x itself (post-norm) or LayerNorm(x) into h (pre-norm). */
static const float *sublayer_in(const TransformerConfig *c, float *h, const float *x, const float *nw, const float *nb, int N) {
    if (!c->norm_first) return x;
    layernorm_forward(h, x, nw, nb, N, c->d, c->ln_eps);
    return h;
}

/* The residual connection: x += y, then LayerNorm(x) in place when post-norm. x, y: (N, d). */
static void sublayer_out(const TransformerConfig *c, float *x, const float *y, const float *nw, const float *nb, int N) {
    size_t n = (size_t)N * c->d;
    for (size_t i = 0; i < n; i++) x[i] += y[i];
    if (!c->norm_first) layernorm_forward(x, x, nw, nb, N, c->d, c->ln_eps);
}

/* Position-wise feed-forward: out (N, d) = linear2(relu(linear1(in (N, d)))), hid (N, ffn) scratch. */
static void ffn_forward(const TransformerConfig *c, const TfmLayerWeights *w, float *out, float *hid, const float *in, int N) {
    tensor_linear(hid, in, w->lin1_w, w->lin1_b, N, c->d, c->ffn);
    size_t n = (size_t)N * c->ffn;
    for (size_t i = 0; i < n; i++) hid[i] = hid[i] > 0.0f ? hid[i] : 0.0f;
    tensor_linear(out, hid, w->lin2_w, w->lin2_b, N, c->ffn, c->d);
}

/* x (N, d) = emb[ids] × √d + pos[p0 + i] (or pos[positions[i]] when positions is given). */
static void embed_rows(const Transformer *m, float *x, const float *emb, const int *ids, const int *positions, int N) {
    int d = m->cfg.d;
    float scale = (float)sqrt((double)d);
    for (int i = 0; i < N; i++) {
        const float *e = emb + (size_t)ids[i] * d;
        const float *p = m->w.pos + (size_t)(positions ? positions[i] : i) * d;
        float *xi = x + (size_t)i * d;
        for (int k = 0; k < d; k++) xi[k] = e[k] * scale + p[k];
    }
}

/* ======================================================================== */
/* Events                                                                    */
/* ======================================================================== */

static int emit_attn(const EventSink *sink, const char *side, const char *kind, int layer, int head, int pos,
                     int step, int beam, const float *w, int n, Status *st) {
    Event ev;
    event_begin(&ev, "tfm_attn");
    event_str(&ev, "side", side);
    event_str(&ev, "kind", kind);
    if (step >= 0) {
        event_int(&ev, "step", step);
        event_int(&ev, "beam", beam);
    }
    event_int(&ev, "layer", layer);
    event_int(&ev, "head", head);
    event_int(&ev, "pos", pos);
    event_floats(&ev, "weights", w, n);
    return event_emit(sink, &ev) ? status_fail(st, "event sink aborted the run") : 0;
}

static int emit_block(const EventSink *sink, const char *side, const char *block, int layer, int pos, int step,
                      int beam, const float *x_in, const float *x_out, int d, Status *st) {
    Event ev;
    event_begin(&ev, "tfm_block");
    event_str(&ev, "side", side);
    event_str(&ev, "block", block);
    if (step >= 0) {
        event_int(&ev, "step", step);
        event_int(&ev, "beam", beam);
    }
    event_int(&ev, "layer", layer);
    event_int(&ev, "pos", pos);
    event_floats(&ev, "x_in", x_in, d);
    event_floats(&ev, "x_out", x_out, d);
    return event_emit(sink, &ev) ? status_fail(st, "event sink aborted the run") : 0;
}

static int emit_embed(const EventSink *sink, const Vocab *v, const char *side, int pos, int step, int beam, int id,
                      const float *vec, int d, Status *st) {
    Event ev;
    event_begin(&ev, "embed");
    event_str(&ev, "side", side);
    if (step >= 0) {
        event_int(&ev, "step", step);
        event_int(&ev, "beam", beam);
    }
    event_int(&ev, "pos", pos);
    event_int(&ev, "id", id);
    event_str(&ev, "token", vocab_token(v, id));
    event_floats(&ev, "vector", vec, d);
    return event_emit(sink, &ev) ? status_fail(st, "event sink aborted the run") : 0;
}

/* ======================================================================== */
/* Encoder                                                                   */
/* ======================================================================== */

int transformer_encode(const Transformer *m, TransformerRun *r, const int *src_ids, int S,
                       const EventSink *sink, Status *st) {
    const TransformerConfig *c = &m->cfg;
    int d = c->d, H = c->nhead, dh = c->dh, Vs = vocab_size(m->src_vocab);
    int ev_on = sink && sink->emit;
    if (S < 1 || S > r->max_src) return status_fail(st, "the source has %d tokens; this run holds 1..%d", S, r->max_src);
    for (int j = 0; j < S; j++)
        if (src_ids[j] < 0 || src_ids[j] >= Vs) return status_fail(st, "source token %d has id %d, outside the vocabulary (0..%d)", j, src_ids[j], Vs - 1);
    r->S = 0;
    memcpy(r->src_ids, src_ids, (size_t)S * sizeof *src_ids);

    embed_rows(m, r->x, m->w.src_emb, src_ids, NULL, S);
    if (ev_on)
        for (int j = 0; j < S; j++)
            if (emit_embed(sink, m->src_vocab, "src", j, -1, 0, src_ids[j], r->x + (size_t)j * d, d, st)) return -1;

    for (int l = 0; l < c->enc_layers; l++) {
        const TfmLayerWeights *w = &m->w.enc[l];
        memcpy(r->xin, r->x, (size_t)S * d * sizeof(float));
        /* self-attention */
        const float *a = sublayer_in(c, r->h, r->x, w->norm_w[0], w->norm_b[0], S);
        tensor_linear(r->qkv, a, w->self_attn.in_w, w->self_attn.in_b, S, d, 3 * d);
        for (int i = 0; i < S; i++) {
            attend_row(r->ctx + (size_t)i * d, r->weights, r->qkv + (size_t)i * 3 * d, r->qkv + d, r->qkv + 2 * d, S, 3 * d, H, dh);
            if (ev_on)
                for (int h = 0; h < H; h++)
                    if (emit_attn(sink, "enc", "self", l, h, i, -1, 0, r->weights + (size_t)h * S, S, st)) return -1;
        }
        tensor_linear(r->tmp, r->ctx, w->self_attn.out_w, w->self_attn.out_b, S, d, d);
        sublayer_out(c, r->x, r->tmp, w->norm_w[0], w->norm_b[0], S);
        /* feed-forward */
        a = sublayer_in(c, r->h, r->x, w->norm_w[1], w->norm_b[1], S);
        ffn_forward(c, w, r->tmp, r->ffh, a, S);
        sublayer_out(c, r->x, r->tmp, w->norm_w[1], w->norm_b[1], S);
        if (ev_on)
            for (int i = 0; i < S; i++)
                if (emit_block(sink, "enc", "layer", l, i, -1, 0, r->xin + (size_t)i * d, r->x + (size_t)i * d, d, st)) return -1;
    }
    layernorm_forward(r->memory, r->x, m->w.enc_norm_w, m->w.enc_norm_b, S, d, c->ln_eps);
    if (ev_on)
        for (int i = 0; i < S; i++)
            if (emit_block(sink, "enc", "final_norm", c->enc_layers, i, -1, 0, r->x + (size_t)i * d, r->memory + (size_t)i * d, d, st)) return -1;

    /* cross-attention keys and values of every decoder layer: rows d..3d of in_proj */
    for (int l = 0; l < c->dec_layers; l++) {
        const TfmAttnWeights *ca = &m->w.dec[l].cross_attn;
        tensor_linear(r->cross_k + (size_t)l * r->max_src * d, r->memory, ca->in_w + (size_t)d * d, ca->in_b + d, S, d, d);
        tensor_linear(r->cross_v + (size_t)l * r->max_src * d, r->memory, ca->in_w + (size_t)2 * d * d, ca->in_b + 2 * d, S, d, d);
    }
    r->S = S;
    return 0;
}

/* ======================================================================== */
/* Decoder                                                                   */
/* ======================================================================== */

static float *state_k(const Transformer *m, float *row, int layer) {
    return row + TRANSFORMER_STATE_HEADER + (size_t)2 * layer * m->cfg.max_len * m->cfg.d;
}

static float *state_v(const Transformer *m, float *row, int layer) {
    return state_k(m, row, layer) + (size_t)m->cfg.max_len * m->cfg.d;
}

void transformer_initial_state(const Transformer *m, const TransformerRun *r, float *state) {
    (void)r;
    memset(state, 0, (size_t)m->state_size * sizeof(float));
}

int transformer_state_len(const Transformer *m, const float *state) {
    (void)m;
    return (int)state[0];
}

void transformer_state_copy(const Transformer *m, float *dst, const float *src) {
    assert(dst != src);
    int n = (int)src[0];
    assert(n >= 0 && n <= m->cfg.max_len);
    memcpy(dst, src, TRANSFORMER_STATE_HEADER * sizeof(float));
    for (int l = 0; l < m->cfg.dec_layers; l++) {
        memcpy(state_k(m, dst, l), state_k(m, (float *)src, l), (size_t)n * m->cfg.d * sizeof(float));
        memcpy(state_v(m, dst, l), state_v(m, (float *)src, l), (size_t)n * m->cfg.d * sizeof(float));
    }
}

int transformer_decode_step(const Transformer *m, TransformerRun *r, float *state_out, float *logprobs,
                            const float *state_in, const int *tokens, const int *beams, int B, int step,
                            const EventSink *sink, Status *st) {
    const TransformerConfig *c = &m->cfg;
    int d = c->d, H = c->nhead, dh = c->dh, Vt = vocab_size(m->tgt_vocab), S = r->S, L = c->dec_layers;
    size_t SS = (size_t)m->state_size;
    int ev_on = sink && sink->emit;
    int pos[4096];
    if (B < 1 || B > r->max_rows) return status_fail(st, "%d hypotheses at once; this run holds 1..%d", B, r->max_rows);
    if (S < 1) return status_fail(st, "decode step before the source was encoded");
    int in_place = state_out == state_in;
    assert(in_place || state_out + (size_t)B * SS <= state_in || state_in + (size_t)B * SS <= state_out);
    for (int b = 0; b < B; b++) {
        if (tokens[b] < 0 || tokens[b] >= Vt) return status_fail(st, "target token id %d is outside the vocabulary (0..%d)", tokens[b], Vt - 1);
        float n = state_in[(size_t)b * SS];
        if (!(n >= 0.0f && n < (float)c->max_len && n == (float)(int)n))
            return n == (float)c->max_len ? status_fail(st, "the target reached this model's %d decoder positions (config max_len)", c->max_len)
                                          : status_fail(st, "decoder state row %d is malformed (position count %g)", b, (double)n);
        pos[b] = (int)n;
    }
    /* the new rows: header and cached prefix (nothing to copy in place) */
    for (int b = 0; b < B; b++) {
        float *out = state_out + (size_t)b * SS;
        const float *in = state_in + (size_t)b * SS;
        if (!in_place) {
            memcpy(out, in, TRANSFORMER_STATE_HEADER * sizeof(float));
            for (int l = 0; l < L; l++) {
                memcpy(state_k(m, out, l), state_k(m, (float *)in, l), (size_t)pos[b] * d * sizeof(float));
                memcpy(state_v(m, out, l), state_v(m, (float *)in, l), (size_t)pos[b] * d * sizeof(float));
            }
        }
        out[0] = (float)(pos[b] + 1);
    }

    embed_rows(m, r->dx, m->w.tgt_emb, tokens, pos, B);
    if (ev_on)
        for (int b = 0; b < B; b++)
            if (emit_embed(sink, m->tgt_vocab, "tgt", pos[b], step, beams ? beams[b] : b, tokens[b], r->dx + (size_t)b * d, d, st)) return -1;

    for (int l = 0; l < L; l++) {
        const TfmLayerWeights *w = &m->w.dec[l];
        memcpy(r->dxin, r->dx, (size_t)B * d * sizeof(float));
        /* masked self-attention over positions 0..pos[b] of each row's cache */
        const float *a = sublayer_in(c, r->dh, r->dx, w->norm_w[0], w->norm_b[0], B);
        tensor_linear(r->dqkv, a, w->self_attn.in_w, w->self_attn.in_b, B, d, 3 * d);
        for (int b = 0; b < B; b++) {
            float *row = state_out + (size_t)b * SS;
            float *K = state_k(m, row, l), *V = state_v(m, row, l);
            const float *qkv = r->dqkv + (size_t)b * 3 * d;
            memcpy(K + (size_t)pos[b] * d, qkv + d, (size_t)d * sizeof(float));
            memcpy(V + (size_t)pos[b] * d, qkv + 2 * d, (size_t)d * sizeof(float));
            int nk = pos[b] + 1;
            attend_row(r->dctx + (size_t)b * d, r->weights, qkv, K, V, nk, d, H, dh);
            if (ev_on)
                for (int h = 0; h < H; h++)
                    if (emit_attn(sink, "dec", "masked_self", l, h, pos[b], step, beams ? beams[b] : b, r->weights + (size_t)h * nk, nk, st)) return -1;
        }
        tensor_linear(r->dtmp, r->dctx, w->self_attn.out_w, w->self_attn.out_b, B, d, d);
        sublayer_out(c, r->dx, r->dtmp, w->norm_w[0], w->norm_b[0], B);
        /* cross-attention over the memory (keys and values projected at encode time) */
        a = sublayer_in(c, r->dh, r->dx, w->norm_w[1], w->norm_b[1], B);
        tensor_linear(r->dqkv, a, w->cross_attn.in_w, w->cross_attn.in_b, B, d, d); /* q rows only */
        const float *CK = r->cross_k + (size_t)l * r->max_src * d, *CV = r->cross_v + (size_t)l * r->max_src * d;
        for (int b = 0; b < B; b++) {
            attend_row(r->dctx + (size_t)b * d, r->weights, r->dqkv + (size_t)b * d, CK, CV, S, d, H, dh);
            if (l == L - 1) {
                float *mean = r->cross_mean + (size_t)b * r->max_src;
                for (int j = 0; j < S; j++) {
                    float s = 0.0f;
                    for (int h = 0; h < H; h++) s += r->weights[(size_t)h * S + j];
                    mean[j] = s / (float)H;
                }
            }
            if (ev_on)
                for (int h = 0; h < H; h++)
                    if (emit_attn(sink, "dec", "cross", l, h, pos[b], step, beams ? beams[b] : b, r->weights + (size_t)h * S, S, st)) return -1;
        }
        tensor_linear(r->dtmp, r->dctx, w->cross_attn.out_w, w->cross_attn.out_b, B, d, d);
        sublayer_out(c, r->dx, r->dtmp, w->norm_w[1], w->norm_b[1], B);
        /* feed-forward */
        a = sublayer_in(c, r->dh, r->dx, w->norm_w[2], w->norm_b[2], B);
        ffn_forward(c, w, r->dtmp, r->dffh, a, B);
        sublayer_out(c, r->dx, r->dtmp, w->norm_w[2], w->norm_b[2], B);
        if (ev_on)
            for (int b = 0; b < B; b++)
                if (emit_block(sink, "dec", "layer", l, pos[b], step, beams ? beams[b] : b, r->dxin + (size_t)b * d, r->dx + (size_t)b * d, d, st)) return -1;
    }
    layernorm_forward(r->dh, r->dx, m->w.dec_norm_w, m->w.dec_norm_b, B, d, c->ln_eps);
    if (ev_on)
        for (int b = 0; b < B; b++)
            if (emit_block(sink, "dec", "final_norm", L, pos[b], step, beams ? beams[b] : b, r->dx + (size_t)b * d, r->dh + (size_t)b * d, d, st)) return -1;
    tensor_linear(logprobs, r->dh, m->w.gen_w, m->w.gen_b, B, d, Vt);
    /* Finite weights can still overflow float32 (a NaN or Inf anywhere upstream, e.g. in an
     * attention softmax, reaches the scores): refuse rather than decode NaN. */
    for (size_t i = 0; i < (size_t)B * Vt; i++)
        if (!isfinite(logprobs[i]))
            return status_fail(st, "decoder step %d produced a non-finite output score (NaN or Inf): "
                                   "the model's weights overflow float32 on this input", step);
    for (int b = 0; b < B; b++) tensor_log_softmax(logprobs + (size_t)b * Vt, logprobs + (size_t)b * Vt, Vt);
    return 0;
}
