/* train_model.c — fresh models, parameter listing and model files for training (train.h). */
#include "attnstep/train.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnstep/safetensors.h"

typedef struct PList {
    TrainParam *out;
    int n, max;
    const Seq2Seq *m;
} PList;

static void add(PList *l, const float *p, int ndim, int64_t d0, int64_t d1, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void add(PList *l, const float *p, int ndim, int64_t d0, int64_t d1, const char *fmt, ...) {
    if (l->n >= l->max) { l->n++; return; }
    TrainParam *t = &l->out[l->n++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->name, sizeof t->name, fmt, ap);
    va_end(ap);
    t->ndim = ndim;
    t->shape[0] = d0;
    t->shape[1] = ndim > 1 ? d1 : 0;
    t->numel = (long)(d0 * (ndim > 1 ? d1 : 1));
    t->offset = p && l->m ? (long)(p - l->m->block) : -1;
}

static void rnn_params(PList *l, const RnnWeights *w, const char *module, int layer, const char *sfx, int G, int H, int I) {
    add(l, w ? w->w_ih : NULL, 2, (int64_t)G * H, I, "%s.weight_ih_l%d%s", module, layer, sfx);
    add(l, w ? w->w_hh : NULL, 2, (int64_t)G * H, H, "%s.weight_hh_l%d%s", module, layer, sfx);
    add(l, w ? w->b_ih : NULL, 1, (int64_t)G * H, 0, "%s.bias_ih_l%d%s", module, layer, sfx);
    add(l, w ? w->b_hh : NULL, 1, (int64_t)G * H, 0, "%s.bias_hh_l%d%s", module, layer, sfx);
}

/* Mirrors seq2seq.c's model_specs (same names, shapes and order). m may have a NULL block
 * (then offsets are -1): sizes come from cfg + derived sizes. */
static int list_params(const Seq2Seq *m, int Vs, int Vt, TrainParam *out, int max) {
    PList l = {out, 0, max, m->block ? m : NULL};
    /* with a NULL block every pointer below is NULL and offsets come out -1 */
    const Seq2SeqConfig *c = &m->cfg;
    int E = c->emb, H = c->hidden, G = rnn_gate_count(c->cell), Q = m->Q, use = m->block != NULL;
    const Seq2SeqWeights *w = &m->w;
    const AttnWeights *a = &w->attn;
    const char *enc = c->tutorial ? "encoder.gru" : "encoder.rnn", *dec = c->tutorial ? "decoder.gru" : "decoder.rnn";
    add(&l, w->src_emb, 2, Vs, E, "encoder.embedding.weight");
    for (int k = 0; k < c->layers; k++)
        for (int d = 0; d < (c->bidirectional ? 2 : 1); d++)
            rnn_params(&l, use ? &w->enc[k][d] : NULL, enc, k, d ? "_reverse" : "", G, m->Hd, k == 0 ? E : H);
    add(&l, w->tgt_emb, 2, Vt, E, "decoder.embedding.weight");
    for (int k = 0; k < c->layers; k++) rnn_params(&l, use ? &w->dec[k] : NULL, dec, k, "", G, H, k == 0 ? m->dec_in : H);
    switch (c->scorer) {
    case ATTN_ADDITIVE:
        add(&l, a->Wa_w, 2, H, Q, "decoder.attention.Wa.weight");
        add(&l, a->Wa_b, 1, H, 0, "decoder.attention.Wa.bias");
        add(&l, a->Ua_w, 2, H, H, "decoder.attention.Ua.weight");
        add(&l, a->Ua_b, 1, H, 0, "decoder.attention.Ua.bias");
        add(&l, a->Va_w, 2, 1, H, "decoder.attention.Va.weight");
        add(&l, a->Va_b, 1, 1, 0, "decoder.attention.Va.bias");
        break;
    case ATTN_CONCAT:
        add(&l, a->W, 2, H, Q + H, "decoder.attention.W.weight");
        add(&l, a->v, 2, 1, H, "decoder.attention.v.weight");
        break;
    case ATTN_GENERAL: add(&l, a->Wa_w, 2, Q, H, "decoder.attention.Wa.weight"); break;
    case ATTN_COSINE: add(&l, a->scale, 1, 1, 0, "decoder.attention.scale"); break;
    case ATTN_LOCATION:
        add(&l, a->Wa_w, 2, c->max_src_len, Q, "decoder.attention.Wa.weight");
        add(&l, a->Wa_b, 1, c->max_src_len, 0, "decoder.attention.Wa.bias");
        break;
    default: break;
    }
    if (c->window == ATTN_LOCAL_P) {
        add(&l, a->Wp, 2, H, Q, "decoder.attention.Wp.weight");
        add(&l, a->vp, 2, 1, H, "decoder.attention.vp.weight");
    }
    if (c->scorer != ATTN_NONE && c->query_current) add(&l, w->Wc, 2, H, 2 * H, "decoder.Wc.weight");
    add(&l, w->out_w, 2, Vt, H, "decoder.out.weight");
    add(&l, w->out_b, 1, Vt, 0, "decoder.out.bias");
    return l.n;
}

int train_params(const Seq2Seq *m, TrainParam *out, int max) {
    return list_params(m, vocab_size(m->src_vocab), vocab_size(m->tgt_vocab), out, max);
}

/* Adds the metadata of m, then the extra pairs (replacing same keys). */
static int add_meta(SafeTensorsWriter *w, const Seq2Seq *m, const char *const *keys, const char *const *values, int n, Status *st) {
    for (int i = 0; i < m->meta_count; i++)
        if (safetensors_writer_meta(w, m->meta_keys[i], m->meta_values[i], st)) return -1;
    for (int i = 0; i < n; i++)
        if (safetensors_writer_meta(w, keys[i], values[i], st)) return -1;
    return 0;
}

#define MAX_PARAMS 128

int train_model_save(const Seq2Seq *m, const char *path, const char *const *keys, const char *const *values, int n, Status *st) {
    TrainParam *ps = malloc(MAX_PARAMS * sizeof *ps);
    SafeTensorsWriter *w = safetensors_writer_new();
    int rc = -1;
    if (!ps || !w) { status_fail(st, "out of memory"); goto done; }
    int np = train_params(m, ps, MAX_PARAMS);
    assert(np <= MAX_PARAMS);
    for (int i = 0; i < np; i++)
        if (safetensors_writer_add(w, ps[i].name, m->block + ps[i].offset, ps[i].ndim, ps[i].shape, st)) goto done;
    if (add_meta(w, m, keys, values, n, st)) goto done;
    rc = safetensors_writer_save(w, path, st);
done:
    safetensors_writer_free(w);
    free(ps);
    return rc;
}

/* ---- fresh models ---- */

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double unif(uint64_t *s) { return (double)(splitmix(s) >> 11) * (1.0 / 9007199254740992.0); }
static double gauss(uint64_t *s) {
    double u = unif(s), v = unif(s);
    if (u < 1e-300) u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Init of a tensor by name (PyTorch defaults: embeddings N(0,1); RNN U(±1/sqrt(hidden));
 * Linear weight and bias U(±1/sqrt(fan_in)); cosine scale 10: cosines lie in [-1, 1], and
 * with scale 1 the softmax over them starts almost uniform and stays so — a translate model
 * trained that way never used its attention (loss 2.26 after 2,500 steps, the no-attention
 * level; scripts/train-models). */
static void init_tensor(float *x, const TrainParam *p, int H, int Hd, int Q, uint64_t *rng) {
    const char *nm = p->name;
    if (strstr(nm, "embedding")) { for (long i = 0; i < p->numel; i++) x[i] = (float)gauss(rng); return; }
    if (!strcmp(nm, "decoder.attention.scale")) { x[0] = 10.0f; return; }
    double fan;
    if (strstr(nm, "encoder.rnn") || strstr(nm, "encoder.gru")) fan = Hd;
    else if (strstr(nm, "decoder.rnn") || strstr(nm, "decoder.gru")) fan = H;
    else if (p->ndim == 2) fan = (double)p->shape[1];
    else fan = strstr(nm, "attention.Wa.bias") ? Q : H;
    double k = 1.0 / sqrt(fan);
    for (long i = 0; i < p->numel; i++) x[i] = (float)((2.0 * unif(rng) - 1.0) * k);
}

/* The config keys that shape tensors (seq2seq_from_safetensors validates everything
 * afterwards). -1 with st on JSON that is not an object or a missing hidden/emb. */
static int parse_shape_config(const char *json, Seq2SeqConfig *c, Status *st) {
    cJSON *j = json ? cJSON_Parse(json) : NULL;
    if (!j || !cJSON_IsObject(j)) { cJSON_Delete(j); return status_fail(st, "config is not a JSON object"); }
    memset(c, 0, sizeof *c);
    const cJSON *v;
#define GETI(key, dst, dflt) dst = (v = cJSON_GetObjectItemCaseSensitive(j, key)) && cJSON_IsNumber(v) ? (int)v->valuedouble : (dflt)
#define GETB(key, dst) dst = (v = cJSON_GetObjectItemCaseSensitive(j, key)) && cJSON_IsTrue(v)
#define GETS(key, dflt) ((v = cJSON_GetObjectItemCaseSensitive(j, key)) && cJSON_IsString(v) ? v->valuestring : (dflt))
    GETI("hidden", c->hidden, 0);
    GETI("emb", c->emb, 0);
    GETI("layers", c->layers, 1);
    GETI("window_d", c->window_d, 3);
    GETI("max_src_len", c->max_src_len, 0);
    GETB("bidirectional", c->bidirectional);
    GETB("input_feed", c->input_feed);
    GETB("query_context", c->query_context);
    GETB("query_lang", c->query_lang);
    const char *s = GETS("cell", "gru");
    c->cell = !strcmp(s, "lstm") ? RNN_LSTM : !strcmp(s, "elman") ? RNN_ELMAN_TANH : RNN_GRU;
    int sc = attention_scorer_from_name(GETS("attention", "none"));
    c->scorer = sc < 0 ? ATTN_NONE : (AttnScorer)sc;
    int wi = attention_window_from_name(GETS("window", "global"));
    c->window = wi < 0 ? ATTN_GLOBAL : (AttnWindow)wi;
    c->query_current = !strcmp(GETS("query", "prev"), "current");
#undef GETI
#undef GETB
#undef GETS
    cJSON_Delete(j);
    if (c->max_src_len < 0 || c->max_src_len > SEQ2SEQ_MAX_SOURCE) return status_fail(st, "config: max_src_len out of range");
    return 0;
}

Seq2Seq *train_model_new(const char *arch, const char *config_json, int tutorial_hidden,
                         const char *src_vocab_json, const char *tgt_vocab_json, uint64_t seed,
                         const char *const *meta_keys, const char *const *meta_values, int n_meta, Status *st) {
    Vocab *vs = vocab_from_json(src_vocab_json, st);
    if (!vs) return NULL;
    Vocab *vt = vocab_from_json(tgt_vocab_json, st);
    if (!vt) { vocab_free(vs); return NULL; }
    int Vs = vocab_size(vs), Vt = vocab_size(vt);
    vocab_free(vs);
    vocab_free(vt);

    Seq2Seq stub; /* sizes only: list_params with a NULL block */
    memset(&stub, 0, sizeof stub);
    int tutorial = !strcmp(arch, "tutorial-gru-bahdanau");
    Seq2SeqConfig *c = &stub.cfg;
    if (tutorial) {
        *c = (Seq2SeqConfig){.tutorial = 1, .cell = RNN_GRU, .emb = tutorial_hidden, .hidden = tutorial_hidden, .layers = 1,
                             .scorer = ATTN_ADDITIVE, .window = ATTN_GLOBAL, .window_d = 3};
    } else {
        if (parse_shape_config(config_json, c, st)) return NULL;
    }
    if (c->hidden < 1 || c->emb < 1 || c->layers < 1 || c->layers > SEQ2SEQ_MAX_LAYERS || (c->bidirectional && c->hidden % 2)) {
        status_fail(st, "bad model sizes: hidden %d, emb %d, layers %d%s", c->hidden, c->emb, c->layers,
                    c->bidirectional ? " (bidirectional needs an even hidden size)" : "");
        return NULL;
    }
    stub.Hd = c->bidirectional ? c->hidden / 2 : c->hidden;
    stub.Q = c->hidden + (c->query_context ? c->hidden : 0) + (c->query_lang ? c->emb : 0);
    int context_in = c->scorer != ATTN_NONE && (!c->query_current || c->input_feed);
    stub.dec_in = c->emb + (context_in ? c->hidden : 0);

    TrainParam *ps = malloc(MAX_PARAMS * sizeof *ps);
    if (!ps) { status_fail(st, "out of memory"); return NULL; }
    int np = list_params(&stub, Vs, Vt, ps, MAX_PARAMS);
    assert(np <= MAX_PARAMS);
    SafeTensors f;
    memset(&f, 0, sizeof f);
    f.count = np;
    f.tensors = calloc((size_t)np, sizeof *f.tensors);
    int nm = n_meta + 4;
    f.meta_keys = calloc((size_t)nm, sizeof(char *));
    f.meta_values = calloc((size_t)nm, sizeof(char *));
    Seq2Seq *m = NULL;
    uint64_t rng = seed * 0x2545F4914F6CDD1Dull + 12345;
    if (!f.tensors || !f.meta_keys || !f.meta_values) { status_fail(st, "out of memory"); goto done; }
    for (int i = 0; i < np; i++) {
        SafeTensor *t = &f.tensors[i];
        t->name = ps[i].name;
        strcpy(t->dtype, "F32");
        t->ndim = ps[i].ndim;
        t->shape[0] = ps[i].shape[0];
        t->shape[1] = ps[i].shape[1];
        t->numel = ps[i].numel;
        t->data = malloc((size_t)ps[i].numel * sizeof(float));
        if (!t->data) { status_fail(st, "out of memory"); goto done; }
        init_tensor(t->data, &ps[i], c->hidden, stub.Hd, stub.Q, &rng);
    }
    int k = 0;
    f.meta_keys[k] = (char *)"arch"; f.meta_values[k++] = (char *)arch;
    f.meta_keys[k] = (char *)"src_vocab"; f.meta_values[k++] = (char *)src_vocab_json;
    f.meta_keys[k] = (char *)"tgt_vocab"; f.meta_values[k++] = (char *)tgt_vocab_json;
    if (config_json) { f.meta_keys[k] = (char *)"config"; f.meta_values[k++] = (char *)config_json; }
    for (int i = 0; i < n_meta; i++) { f.meta_keys[k] = (char *)meta_keys[i]; f.meta_values[k++] = (char *)meta_values[i]; }
    f.meta_count = k;
    m = seq2seq_from_safetensors(&f, "new model", st);
done:
    if (f.tensors) for (int i = 0; i < np; i++) free(f.tensors[i].data);
    free(f.tensors);
    free(f.meta_keys);
    free(f.meta_values);
    free(ps);
    return m;
}
