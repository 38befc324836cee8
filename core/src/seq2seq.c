/* seq2seq.c — RNN encoder–decoders with attention (see seq2seq.h, docs/model-format.md).
 *
 * Sections: configuration → loading weights → source text → run state → encoder →
 * decoder step. */
#include "attnstep/seq2seq.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnstep/tensor.h"
#include "fastmath.h"

/* ======================================================================== */
/* Configuration                                                             */
/* ======================================================================== */

static const char *const CONFIG_KEYS[] = {
    "cell", "nonlinearity", "hidden", "emb", "layers", "bidirectional", "attention", "window",
    "window_d", "query", "input_feed", "dec_init", "query_context", "query_lang", "max_src_len",
    "tokenizer", "max_len", NULL};

static int config_int(const cJSON *cfg, const char *key, int fallback, int *out, Status *st) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);
    if (!v) { *out = fallback; return 0; }
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble)
        return status_fail(st, "config: '%s' must be an integer", key);
    *out = (int)v->valuedouble;
    return 0;
}

static int config_bool(const cJSON *cfg, const char *key, int *out, Status *st) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);
    if (!v) { *out = 0; return 0; }
    if (!cJSON_IsBool(v)) return status_fail(st, "config: '%s' must be true or false", key);
    *out = cJSON_IsTrue(v);
    return 0;
}

/* The string value of key, fallback when absent, NULL (with st) when not a string. */
static const char *config_str(const cJSON *cfg, const char *key, const char *fallback, Status *st) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);
    if (!v) return fallback;
    if (!cJSON_IsString(v)) { status_fail(st, "config: '%s' must be a string", key); return NULL; }
    return v->valuestring;
}

/* Reads the `config` JSON (may be NULL: all defaults) into c. The tutorial arch fixes
 * everything but tokenizer and max_len. -1 with st on the first bad key or value. */
static int parse_config(Seq2SeqConfig *c, const char *json, int tutorial, int tutorial_hidden, Status *st) {
    cJSON *cfg = json ? cJSON_Parse(json) : cJSON_CreateObject();
    if (!cfg || !cJSON_IsObject(cfg)) {
        cJSON_Delete(cfg);
        return status_fail(st, "metadata 'config' is not a JSON object");
    }
    int rc = -1;
    for (const cJSON *it = cfg->child; it; it = it->next) {
        int known = 0;
        for (int i = 0; CONFIG_KEYS[i]; i++) if (!strcmp(it->string, CONFIG_KEYS[i])) known = 1;
        if (!known) { status_fail(st, "config: unknown key '%s'", it->string); goto done; }
    }
    memset(c, 0, sizeof *c);
    c->tutorial = tutorial;
    const char *s;
    if (!(s = config_str(cfg, "cell", "gru", st))) goto done;
    if (!strcmp(s, "gru")) c->cell = RNN_GRU;
    else if (!strcmp(s, "lstm")) c->cell = RNN_LSTM;
    else if (!strcmp(s, "elman")) c->cell = RNN_ELMAN_TANH;
    else { status_fail(st, "config: cell '%s' is not gru, lstm or elman", s); goto done; }
    if (!(s = config_str(cfg, "nonlinearity", "tanh", st))) goto done;
    if (!strcmp(s, "relu") && c->cell == RNN_ELMAN_TANH) c->cell = RNN_ELMAN_RELU;
    else if (strcmp(s, "tanh") && strcmp(s, "relu")) { status_fail(st, "config: nonlinearity '%s' is not tanh or relu", s); goto done; }
    if (config_int(cfg, "hidden", 0, &c->hidden, st) || config_int(cfg, "emb", 0, &c->emb, st) ||
        config_int(cfg, "layers", 1, &c->layers, st) || config_int(cfg, "window_d", 3, &c->window_d, st) ||
        config_int(cfg, "max_src_len", 0, &c->max_src_len, st) || config_int(cfg, "max_len", 50, &c->max_len, st) ||
        config_bool(cfg, "bidirectional", &c->bidirectional, st) || config_bool(cfg, "input_feed", &c->input_feed, st) ||
        config_bool(cfg, "query_context", &c->query_context, st) || config_bool(cfg, "query_lang", &c->query_lang, st))
        goto done;
    if (!(s = config_str(cfg, "attention", "none", st))) goto done;
    int scorer = attention_scorer_from_name(s);
    if (scorer < 0) { status_fail(st, "config: attention '%s' is not one of none, additive, concat, dot, general, scaled_dot, cosine, location", s); goto done; }
    c->scorer = (AttnScorer)scorer;
    if (!(s = config_str(cfg, "window", "global", st))) goto done;
    int window = attention_window_from_name(s);
    if (window < 0) { status_fail(st, "config: window '%s' is not global, local-m or local-p", s); goto done; }
    c->window = (AttnWindow)window;
    if (!(s = config_str(cfg, "query", "prev", st))) goto done;
    if (strcmp(s, "prev") && strcmp(s, "current")) { status_fail(st, "config: query '%s' is not prev or current", s); goto done; }
    c->query_current = !strcmp(s, "current");
    if (!(s = config_str(cfg, "dec_init", "last", st))) goto done;
    if (strcmp(s, "last") && strcmp(s, "zeros")) { status_fail(st, "config: dec_init '%s' is not last or zeros", s); goto done; }
    c->dec_init_zeros = !strcmp(s, "zeros");
    if (!(s = config_str(cfg, "tokenizer", "words", st))) goto done;
    if (strcmp(s, "words") && strcmp(s, "chars")) { status_fail(st, "config: tokenizer '%s' is not words or chars", s); goto done; }
    c->tokenizer = !strcmp(s, "chars") ? VOCAB_CHARS : VOCAB_WORDS;

    if (tutorial) {
        VocabMode tok = c->tokenizer;
        int max_len = c->max_len;
        memset(c, 0, sizeof *c);
        *c = (Seq2SeqConfig){.tutorial = 1, .cell = RNN_GRU, .emb = tutorial_hidden, .hidden = tutorial_hidden,
                             .layers = 1, .scorer = ATTN_ADDITIVE, .window = ATTN_GLOBAL, .window_d = 3,
                             .tokenizer = tok, .max_len = max_len};
    }
    /* consistency */
    if (c->hidden < 1 || c->hidden > 8192) { status_fail(st, "config: hidden must be 1..8192 (got %d)", c->hidden); goto done; }
    if (c->emb < 1 || c->emb > 8192) { status_fail(st, "config: emb must be 1..8192 (got %d)", c->emb); goto done; }
    if (c->layers < 1 || c->layers > SEQ2SEQ_MAX_LAYERS) { status_fail(st, "config: layers must be 1..%d (got %d)", SEQ2SEQ_MAX_LAYERS, c->layers); goto done; }
    if (c->bidirectional && c->hidden % 2) { status_fail(st, "config: a bidirectional encoder needs an even hidden size (got %d)", c->hidden); goto done; }
    if (c->max_len < 1 || c->max_len > 10000) { status_fail(st, "config: max_len must be 1..10000 (got %d)", c->max_len); goto done; }
    if (c->scorer == ATTN_NONE) {
        if (c->window != ATTN_GLOBAL || c->input_feed || c->query_context || c->query_lang) {
            status_fail(st, "config: window, input_feed, query_context and query_lang need an attention scorer"); goto done;
        }
    } else {
        int extras = c->query_context || c->query_lang;
        if (extras && (c->scorer == ATTN_DOT || c->scorer == ATTN_SCALED_DOT || c->scorer == ATTN_COSINE)) {
            status_fail(st, "config: the %s scorer compares the query with keys directly, so query_context/query_lang cannot be used", attention_scorer_name(c->scorer)); goto done;
        }
        if (c->window != ATTN_GLOBAL && (c->window_d < 1 || c->window_d > 1000)) { status_fail(st, "config: window_d must be 1..1000 (got %d)", c->window_d); goto done; }
        if (c->scorer == ATTN_LOCATION && (c->max_src_len < 1 || c->max_src_len > SEQ2SEQ_MAX_SOURCE)) {
            status_fail(st, "config: the location scorer needs max_src_len 1..%d", SEQ2SEQ_MAX_SOURCE); goto done;
        }
    }
    if (c->input_feed && !c->query_current) { status_fail(st, "config: input_feed needs query \"current\" (Luong)"); goto done; }
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
    int64_t shape[2];
    const float **dst;
} TensorSpec;

#define MAX_SPECS 96

typedef struct SpecList {
    int n;
    TensorSpec items[MAX_SPECS];
} SpecList;

static void spec(SpecList *l, const float **dst, int ndim, int64_t d0, int64_t d1, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void spec(SpecList *l, const float **dst, int ndim, int64_t d0, int64_t d1, const char *fmt, ...) {
    assert(l->n < MAX_SPECS);
    TensorSpec *t = &l->items[l->n++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->name, sizeof t->name, fmt, ap);
    va_end(ap);
    t->ndim = ndim;
    t->shape[0] = d0;
    t->shape[1] = d1;
    t->dst = dst;
}

static void rnn_specs(SpecList *l, RnnWeights *w, const char *module, int layer, const char *suffix,
                      int G, int H, int I) {
    spec(l, &w->w_ih, 2, (int64_t)G * H, I, "%s.weight_ih_l%d%s", module, layer, suffix);
    spec(l, &w->w_hh, 2, (int64_t)G * H, H, "%s.weight_hh_l%d%s", module, layer, suffix);
    spec(l, &w->b_ih, 1, (int64_t)G * H, 0, "%s.bias_ih_l%d%s", module, layer, suffix);
    spec(l, &w->b_hh, 1, (int64_t)G * H, 0, "%s.bias_hh_l%d%s", module, layer, suffix);
}

/* Every tensor the model needs, with its shape and where its pointer goes. */
static void model_specs(Seq2Seq *m, SpecList *l, int Vs, int Vt) {
    const Seq2SeqConfig *c = &m->cfg;
    int E = c->emb, H = c->hidden, G = rnn_gate_count(c->cell), Q = m->Q;
    const char *enc_rnn = c->tutorial ? "encoder.gru" : "encoder.rnn";
    const char *dec_rnn = c->tutorial ? "decoder.gru" : "decoder.rnn";
    Seq2SeqWeights *w = &m->w;
    AttnWeights *a = &w->attn;
    spec(l, &w->src_emb, 2, Vs, E, "encoder.embedding.weight");
    for (int k = 0; k < c->layers; k++)
        for (int d = 0; d < (c->bidirectional ? 2 : 1); d++)
            rnn_specs(l, &w->enc[k][d], enc_rnn, k, d ? "_reverse" : "", G, m->Hd, k == 0 ? E : H);
    spec(l, &w->tgt_emb, 2, Vt, E, "decoder.embedding.weight");
    for (int k = 0; k < c->layers; k++) rnn_specs(l, &w->dec[k], dec_rnn, k, "", G, H, k == 0 ? m->dec_in : H);
    switch (c->scorer) {
    case ATTN_ADDITIVE:
        spec(l, &a->Wa_w, 2, H, Q, "decoder.attention.Wa.weight");
        spec(l, &a->Wa_b, 1, H, 0, "decoder.attention.Wa.bias");
        spec(l, &a->Ua_w, 2, H, H, "decoder.attention.Ua.weight");
        spec(l, &a->Ua_b, 1, H, 0, "decoder.attention.Ua.bias");
        spec(l, &a->Va_w, 2, 1, H, "decoder.attention.Va.weight");
        spec(l, &a->Va_b, 1, 1, 0, "decoder.attention.Va.bias");
        break;
    case ATTN_CONCAT:
        spec(l, &a->W, 2, H, Q + H, "decoder.attention.W.weight");
        spec(l, &a->v, 2, 1, H, "decoder.attention.v.weight");
        break;
    case ATTN_GENERAL:
        spec(l, &a->Wa_w, 2, Q, H, "decoder.attention.Wa.weight");
        break;
    case ATTN_COSINE:
        spec(l, &a->scale, 1, 1, 0, "decoder.attention.scale");
        break;
    case ATTN_LOCATION:
        spec(l, &a->Wa_w, 2, c->max_src_len, Q, "decoder.attention.Wa.weight");
        spec(l, &a->Wa_b, 1, c->max_src_len, 0, "decoder.attention.Wa.bias");
        break;
    default:
        break;
    }
    if (c->window == ATTN_LOCAL_P) {
        spec(l, &a->Wp, 2, H, Q, "decoder.attention.Wp.weight");
        spec(l, &a->vp, 2, 1, H, "decoder.attention.vp.weight");
    }
    if (c->scorer != ATTN_NONE && c->query_current) spec(l, &w->Wc, 2, H, 2 * H, "decoder.Wc.weight");
    spec(l, &w->out_w, 2, Vt, H, "decoder.out.weight");
    spec(l, &w->out_b, 1, Vt, 0, "decoder.out.bias");
}

static void derive_sizes(Seq2Seq *m) {
    const Seq2SeqConfig *c = &m->cfg;
    int H = c->hidden, E = c->emb, G = rnn_gate_count(c->cell);
    (void)G;
    m->Hd = c->bidirectional ? H / 2 : H;
    m->Q = H + (c->query_context ? H : 0) + (c->query_lang ? E : 0);
    int context_in = c->scorer != ATTN_NONE && (!c->query_current || c->input_feed);
    m->dec_in = E + (context_in ? H : 0);
    m->state_size = c->layers * H * (c->cell == RNN_LSTM ? 2 : 1) + 2 * H;
    m->attn_shape = (AttnShape){c->scorer, c->window, c->window_d, H, m->Q, c->max_src_len};
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

static int lookup_special(const Vocab *v, const char *name, const char *which, int required, Status *st) {
    int id = vocab_id(v, name);
    if (id < 0 && required) return status_fail(st, "the %s vocabulary has no '%s' token", which, name), -2;
    return id;
}

/* ------------------------------------------------------------------------ */
/* The pack: packed decoder weights for steps of several rows               */
/* ------------------------------------------------------------------------ */

/* Lays the packed copies out from p: w_ih and w_hh of every decoder layer, the query
 * projection of additive and location attention, Luong's Wc and the output layer. With p
 * NULL it only counts; returns the floats used. */
static size_t pack_into(Seq2Seq *m, float *p) {
    const Seq2SeqConfig *c = &m->cfg;
    Seq2SeqPack *k = &m->pack;
    int H = c->hidden, GH = rnn_gate_count(c->cell) * c->hidden, Vt = vocab_size(m->tgt_vocab);
    size_t n = 0;
#define PACK(dst, W, rows, cols)                                         \
    do {                                                                 \
        if (p) { tensor_pack(p + n, W, rows, cols); dst = p + n; }       \
        n += (size_t)(rows) * (size_t)(cols);                            \
    } while (0)
    k->attn = m->w.attn;
    k->Wc_packed = NULL;
    for (int l = 0; l < c->layers; l++) {
        k->dec[l] = m->w.dec[l];
        PACK(k->dec[l].w_ih_packed, m->w.dec[l].w_ih, GH, l == 0 ? m->dec_in : H);
        PACK(k->dec[l].w_hh_packed, m->w.dec[l].w_hh, GH, H);
    }
    int P = c->scorer == ATTN_ADDITIVE ? H : c->scorer == ATTN_LOCATION ? c->max_src_len : 0;
    if (P) PACK(k->attn.Wa_packed, m->w.attn.Wa_w, P, m->Q);
    if (c->scorer != ATTN_NONE && c->query_current) PACK(k->Wc_packed, m->w.Wc, H, 2 * H);
    PACK(k->out_packed, m->w.out_w, Vt, H);
#undef PACK
    return n;
}

void seq2seq_update_pack(Seq2Seq *m) { pack_into(m, m->pack.mem); }

void seq2seq_weights_changed(Seq2Seq *m) {
    Seq2SeqPack *k = &m->pack;
    for (int l = 0; l < m->cfg.layers; l++) k->dec[l].w_ih_packed = k->dec[l].w_hh_packed = NULL;
    k->attn.Wa_packed = k->Wc_packed = k->out_packed = NULL;
}

Seq2Seq *seq2seq_from_safetensors(const SafeTensors *f, const char *name, Status *st) {
    Seq2Seq *m = calloc(1, sizeof *m);
    if (!m) { status_fail(st, "%s: out of memory", name); return NULL; }
    const char *arch = safetensors_meta(f, "arch");
    if (!arch) { status_fail(st, "metadata 'arch' is missing"); goto fail; }
    int tutorial = !strcmp(arch, "tutorial-gru-bahdanau");
    if (!tutorial && strcmp(arch, "rnn-seq2seq")) {
        status_fail(st, "arch '%s' is not an RNN encoder-decoder (tutorial-gru-bahdanau or rnn-seq2seq)", arch);
        goto fail;
    }
    snprintf(m->arch, sizeof m->arch, "%s", arch);
    int tutorial_hidden = 0;
    if (tutorial) {
        const SafeTensor *e = safetensors_find(f, "encoder.embedding.weight");
        if (!e || e->ndim != 2 || e->shape[1] < 1 || e->shape[1] > 8192) {
            status_fail(st, "tensor 'encoder.embedding.weight' is missing or not 2-D (it gives the hidden size)");
            goto fail;
        }
        tutorial_hidden = (int)e->shape[1];
    }
    if (parse_config(&m->cfg, safetensors_meta(f, "config"), tutorial, tutorial_hidden, st)) goto fail;
    if (!(m->src_vocab = meta_vocab(f, "src_vocab", st)) || !(m->tgt_vocab = meta_vocab(f, "tgt_vocab", st))) goto fail;
    if (tutorial) {
        if (vocab_size(m->src_vocab) < 2 || vocab_size(m->tgt_vocab) < 2) { status_fail(st, "tutorial vocabularies need SOS and EOS at ids 0 and 1"); goto fail; }
        m->tgt_sos = 0; m->tgt_eos = 1; m->src_eos = 1;
        m->src_unk = vocab_unk(m->src_vocab);
        m->tgt_unk = vocab_unk(m->tgt_vocab);
    } else {
        if ((m->src_eos = lookup_special(m->src_vocab, "<eos>", "source", 1, st)) < -1 ||
            (m->tgt_sos = lookup_special(m->tgt_vocab, "<sos>", "target", 1, st)) < -1 ||
            (m->tgt_eos = lookup_special(m->tgt_vocab, "<eos>", "target", 1, st)) < -1)
            goto fail;
        m->src_unk = vocab_unk(m->src_vocab);
        m->tgt_unk = vocab_unk(m->tgt_vocab);
    }
    derive_sizes(m);

    SpecList *specs = calloc(1, sizeof *specs);
    if (!specs) { status_fail(st, "out of memory"); goto fail; }
    model_specs(m, specs, vocab_size(m->src_vocab), vocab_size(m->tgt_vocab));
    size_t total = 0;
    for (int i = 0; i < specs->n; i++) {
        TensorSpec *t = &specs->items[i];
        const SafeTensor *x = safetensors_find(f, t->name);
        char want[64], got[64];
        format_shape(want, sizeof want, t->ndim, t->shape);
        if (!x) { status_fail(st, "tensor '%s' %s is missing (arch %s, attention %s)", t->name, want, arch, attention_scorer_name(m->cfg.scorer)); free(specs); goto fail; }
        int same = x->ndim == t->ndim;
        for (int d = 0; same && d < t->ndim; d++) same = x->shape[d] == t->shape[d];
        if (!same) {
            format_shape(got, sizeof got, x->ndim, x->shape);
            const char *vocab_key = !strcmp(t->name, "encoder.embedding.weight") ? "src_vocab"
                                    : !strcmp(t->name, "decoder.embedding.weight") || !strncmp(t->name, "decoder.out.", 12) ? "tgt_vocab"
                                    : NULL;
            if (vocab_key && x->ndim == t->ndim && x->shape[0] != t->shape[0] && (t->ndim == 1 || x->shape[1] == t->shape[1]))
                status_fail(st, "vocabulary mismatch: metadata '%s' has %lld tokens but tensor '%s' has %lld rows (shape %s); "
                                "the vocabulary and the weights do not belong together",
                            vocab_key, (long long)t->shape[0], t->name, (long long)x->shape[0], got);
            else
                status_fail(st, "tensor '%s' has shape %s but the config needs %s", t->name, got, want);
            free(specs);
            goto fail;
        }
        for (int64_t k = 0; k < x->numel; k++) {
            if (!isfinite(x->data[k])) {
                status_fail(st, "tensor '%s' holds %s at index %lld", t->name, isnan(x->data[k]) ? "NaN" : "Inf", (long long)k);
                free(specs);
                goto fail;
            }
        }
        total += (size_t)x->numel;
    }
    for (int i = 0; i < f->count; i++) {
        int wanted = 0;
        for (int k = 0; k < specs->n && !wanted; k++) wanted = !strcmp(specs->items[k].name, f->tensors[i].name);
        if (!wanted) {
            status_fail(st, "unexpected tensor '%s' for arch %s with attention %s (a different architecture or config?)", f->tensors[i].name, arch, attention_scorer_name(m->cfg.scorer));
            free(specs);
            goto fail;
        }
    }
    m->block = malloc(total * sizeof(float) + 16);
    if (!m->block) { status_fail(st, "out of memory for %zu weights", total); free(specs); goto fail; }
    size_t off = 0;
    for (int i = 0; i < specs->n; i++) {
        const SafeTensor *x = safetensors_find(f, specs->items[i].name);
        memcpy(m->block + off, x->data, (size_t)x->numel * sizeof(float));
        *specs->items[i].dst = m->block + off;
        off += (size_t)x->numel;
    }
    m->param_count = (long)total;
    free(specs);

    m->meta_count = f->meta_count;
    m->meta_keys = calloc((size_t)f->meta_count + 1, sizeof(char *));
    m->meta_values = calloc((size_t)f->meta_count + 1, sizeof(char *));
    if (!m->meta_keys || !m->meta_values) { status_fail(st, "out of memory"); goto fail; }
    for (int i = 0; i < f->meta_count; i++) {
        m->meta_keys[i] = strdup(f->meta_keys[i]);
        m->meta_values[i] = strdup(f->meta_values[i]);
        if (!m->meta_keys[i] || !m->meta_values[i]) { status_fail(st, "out of memory"); goto fail; }
    }
    if (!(m->pack.mem = malloc(pack_into(m, NULL) * sizeof(float)))) { status_fail(st, "out of memory"); goto fail; }
    seq2seq_update_pack(m);
    return m;
fail:
    status_prefix(st, "%s", name);
    seq2seq_free(m);
    return NULL;
}

Seq2Seq *seq2seq_load(const char *path, Status *st) {
    SafeTensors *f = safetensors_load(path, st);
    if (!f) return NULL;
    const char *slash = strrchr(path, '/');
    Seq2Seq *m = seq2seq_from_safetensors(f, slash ? slash + 1 : path, st);
    safetensors_free(f);
    return m;
}

void seq2seq_free(Seq2Seq *m) {
    if (!m) return;
    vocab_free(m->src_vocab);
    vocab_free(m->tgt_vocab);
    free(m->block);
    free(m->pack.mem);
    for (int i = 0; i < m->meta_count; i++) {
        if (m->meta_keys) free(m->meta_keys[i]);
        if (m->meta_values) free(m->meta_values[i]);
    }
    free(m->meta_keys);
    free(m->meta_values);
    free(m);
}

const char *seq2seq_meta(const Seq2Seq *m, const char *key) {
    for (int i = 0; i < m->meta_count; i++) if (!strcmp(m->meta_keys[i], key)) return m->meta_values[i];
    return NULL;
}

/* ======================================================================== */
/* Source text                                                               */
/* ======================================================================== */

static int is_language_tag(const char *tok) {
    size_t n = strlen(tok);
    return n >= 5 && !strncmp(tok, "<2", 2) && tok[n - 1] == '>';
}

/* A model trained on the translate task (metadata task = translate) was only ever shown
 * sources that start with a target-language tag (<2fr>, <2es>): without it the output is
 * meaningless, so say which tags to use. 0 when the tag is there, the model is not a
 * translate model or its vocabulary has no tags; -1 with st otherwise. */
static int missing_language_tag(const Seq2Seq *m, const VocabEncoding *enc, Status *st) {
    const char *task = seq2seq_meta(m, "task");
    const Vocab *v = m->src_vocab;
    if (!task || strcmp(task, "translate")) return 0;
    if (enc->ids[0] >= 0 && is_language_tag(vocab_token(v, enc->ids[0]))) return 0;
    char tags[200] = "";
    const char *first = NULL;
    size_t used = 0;
    for (int id = 0; id < vocab_size(v) && used < sizeof tags - 40; id++) {
        const char *t = vocab_token(v, id);
        if (!is_language_tag(t)) continue;
        used += (size_t)snprintf(tags + used, sizeof tags - used, "%s%.30s", first ? " or " : "", t);
        if (!first) first = t;
    }
    if (!first) return 0;
    status_fail(st, "this model needs the target language first: start the input with %s (for example '%.30s the cat eats .')",
                tags, first);
    return -1;
}

int seq2seq_source_ids(const Seq2Seq *m, const char *text, int *src_ids, int max_ids, int *n,
                       VocabEncoding *enc_out, Status *st) {
    VocabEncoding local;
    VocabEncoding *enc = enc_out ? enc_out : &local;
    memset(enc, 0, sizeof *enc);
    int limit = max_ids - 1;
    if (limit > VOCAB_MAX_TOKENS) limit = VOCAB_MAX_TOKENS;
    if (m->cfg.scorer == ATTN_LOCATION && limit > m->cfg.max_src_len - 1) limit = m->cfg.max_src_len - 1;
    if (vocab_encode(m->src_vocab, text, m->cfg.tokenizer, limit, enc, st)) goto fail;
    if (enc->n == 0) { status_fail(st, "the input is empty: type a sentence to translate"); goto fail; }
    if (missing_language_tag(m, enc, st)) goto fail;
    if (enc->unknown_count && m->src_unk < 0) {
        char list[300] = "";
        size_t used = 0;
        for (int i = 0; i < enc->n && used < sizeof list - 40; i++)
            if (enc->ids[i] < 0) used += (size_t)snprintf(list + used, sizeof list - used, "%s'%s'", used ? ", " : "", enc->pieces[i]);
        status_fail(st, "%d unknown word%s (%s) and this model has no <unk> token", enc->unknown_count,
                    enc->unknown_count == 1 ? "" : "s", list);
        goto fail;
    }
    for (int i = 0; i < enc->n; i++) src_ids[i] = enc->ids[i];
    src_ids[enc->n] = m->src_eos;
    *n = enc->n + 1;
    if (!enc_out) vocab_encoding_free(&local);
    return 0;
fail:
    vocab_encoding_free(enc);
    return -1;
}

/* ======================================================================== */
/* Run state: one allocation, carved into named buffers                      */
/* ======================================================================== */

struct Seq2SeqRun {
    int max_src, max_rows, S;
    int src_ids[SEQ2SEQ_MAX_SOURCE];
    /* encoder */
    float *enc_x;        /* (max_src, max(E, H)) layer input */
    float *enc_out[2];   /* (max_src, H) layer outputs, ping-pong */
    float *enc_c;        /* (max_src, Hd) cell states of one direction (LSTM) */
    float *gi;           /* (max_src, G*Hd) input projections of one direction */
    float *enc_gates;    /* (G*Hd) */
    float *zeros;        /* (max(H, E)) */
    float *keys;         /* (max_src, H) encoder outputs */
    float *keys_proj;    /* (max_src, P) */
    float *final_h;      /* (L, H) */
    float *final_c;      /* (L, H) */
    float *lang;         /* (E) */
    float *cell_scratch; /* rnn scratch for max_rows rows */
    /* decoder, B <= max_rows rows */
    float *x;            /* (B, dec_in) layer-0 input */
    float *hp, *cp;      /* (B, H) previous h, c of one layer */
    float *hn, *cn;      /* (B, H) new h, c of one layer */
    float *layer_in;     /* (B, H) */
    float *dec_gates;    /* (B, G*H) */
    float *query;        /* (B, Q) */
    float *energies;     /* (B, max_src) */
    float *weights;      /* (B, max_src) */
    float *context;      /* (B, H) */
    float *centre;       /* (B) */
    int *lo, *hi;        /* (B) */
    float *attn_scratch;
    float *wc_in;        /* (B, 2H) */
    float *attn_hidden;  /* (B, H) */
    float *mem;          /* the one allocation */
};

Seq2SeqRun *seq2seq_run_new(const Seq2Seq *m, int max_src, int max_rows, Status *st) {
    if (max_src < 1 || max_src > SEQ2SEQ_MAX_SOURCE || max_rows < 1 || max_rows > 4096) {
        status_fail(st, "run size out of range: %d source tokens (1..%d), %d rows (1..4096)", max_src, SEQ2SEQ_MAX_SOURCE, max_rows);
        return NULL;
    }
    Seq2SeqRun *r = calloc(1, sizeof *r);
    if (!r) { status_fail(st, "out of memory"); return NULL; }
    const Seq2SeqConfig *c = &m->cfg;
    size_t H = (size_t)c->hidden, E = (size_t)c->emb, G = (size_t)rnn_gate_count(c->cell), L = (size_t)c->layers;
    size_t S = (size_t)max_src, B = (size_t)max_rows, Hd = (size_t)m->Hd;
    size_t EH = E > H ? E : H;
    size_t P = (size_t)attention_keys_proj_size(&m->attn_shape);
    size_t cell = (size_t)rnn_scratch_size(c->cell, max_rows > 1 ? max_rows : 1, (int)H);
    size_t attn = (size_t)attention_scratch_size(&m->attn_shape, max_rows, max_src);
    size_t sizes[] = {S * EH, S * H, S * H, S * Hd, S * G * Hd, G * Hd, EH, S * H, S * (P ? P : 1), L * H, L * H, E, cell,
                      B * (size_t)m->dec_in, B * H, B * H, B * H, B * H, B * H, B * G * H, B * (size_t)m->Q,
                      B * S, B * S, B * H, B, B, B, attn, B * 2 * H, B * H};
    float **dst[] = {&r->enc_x, &r->enc_out[0], &r->enc_out[1], &r->enc_c, &r->gi, &r->enc_gates, &r->zeros, &r->keys,
                     &r->keys_proj, &r->final_h, &r->final_c, &r->lang, &r->cell_scratch,
                     &r->x, &r->hp, &r->cp, &r->hn, &r->cn, &r->layer_in, &r->dec_gates, &r->query,
                     &r->energies, &r->weights, &r->context, &r->centre, (float **)&r->lo, (float **)&r->hi,
                     &r->attn_scratch, &r->wc_in, &r->attn_hidden};
    size_t count = sizeof sizes / sizeof sizes[0], total = 0;
    for (size_t i = 0; i < count; i++) total += sizes[i];
    r->mem = calloc(total, sizeof(float));
    if (!r->mem) { free(r); status_fail(st, "out of memory for the run state (%zu floats)", total); return NULL; }
    size_t off = 0;
    for (size_t i = 0; i < count; i++) { *dst[i] = r->mem + off; off += sizes[i]; }
    r->max_src = max_src;
    r->max_rows = max_rows;
    return r;
}

void seq2seq_run_free(Seq2SeqRun *r) {
    if (!r) return;
    free(r->mem);
    free(r);
}

int seq2seq_source_len(const Seq2SeqRun *r) { return r->S; }
const float *seq2seq_encoder_outputs(const Seq2SeqRun *r) { return r->keys; }

const float *seq2seq_last_weights(const Seq2SeqRun *r, int b) {
    return r->weights + (size_t)b * r->max_src;
}

/* ======================================================================== */
/* Encoder                                                                   */
/* ======================================================================== */

int seq2seq_encode(const Seq2Seq *m, Seq2SeqRun *r, const int *src_ids, int S,
                   const EventSink *sink, Status *st) {
    const Seq2SeqConfig *c = &m->cfg;
    int E = c->emb, H = c->hidden, Hd = m->Hd, G = rnn_gate_count(c->cell);
    int lstm = c->cell == RNN_LSTM, Vs = vocab_size(m->src_vocab);
    if (S < 1 || S > r->max_src) return status_fail(st, "the source has %d tokens; this run holds 1..%d", S, r->max_src);
    if (c->scorer == ATTN_LOCATION && S > c->max_src_len)
        return status_fail(st, "the source has %d tokens; this location-attention model accepts at most %d", S, c->max_src_len);
    for (int j = 0; j < S; j++)
        if (src_ids[j] < 0 || src_ids[j] >= Vs) return status_fail(st, "source token %d has id %d, outside the vocabulary (0..%d)", j, src_ids[j], Vs - 1);
    r->S = S;
    memcpy(r->src_ids, src_ids, (size_t)S * sizeof *src_ids);
    Event ev;

    /* embeddings */
    for (int j = 0; j < S; j++) {
        const float *e = m->w.src_emb + (size_t)src_ids[j] * E;
        memcpy(r->enc_x + (size_t)j * E, e, (size_t)E * sizeof(float));
        event_begin(&ev, "embed");
        event_str(&ev, "side", "src");
        event_int(&ev, "pos", j);
        event_int(&ev, "id", src_ids[j]);
        event_str(&ev, "token", vocab_token(m->src_vocab, src_ids[j]));
        event_floats(&ev, "vector", e, E);
        if (event_emit(sink, &ev)) return status_fail(st, "event sink aborted the run");
    }
    memcpy(r->lang, m->w.src_emb + (size_t)src_ids[0] * E, (size_t)E * sizeof(float));

    /* layers × directions */
    const float *in = r->enc_x;
    int in_size = E;
    for (int l = 0; l < c->layers; l++) {
        float *out = r->enc_out[l % 2];
        for (int d = 0; d < (c->bidirectional ? 2 : 1); d++) {
            const RnnWeights *w = &m->w.enc[l][d];
            tensor_linear(r->gi, in, w->w_ih, w->b_ih, S, in_size, G * Hd);
            const float *h_prev = r->zeros, *c_prev = r->zeros;
            for (int k = 0; k < S; k++) {
                int pos = d ? S - 1 - k : k;
                float *h = out + (size_t)pos * H + (size_t)d * Hd;
                float *cc = lstm ? r->enc_c + (size_t)pos * Hd : NULL;
                rnn_cell_forward_pre(c->cell, h, cc, r->enc_gates, r->cell_scratch, w, r->gi + (size_t)pos * G * Hd,
                                     h_prev, lstm ? c_prev : NULL, 1, Hd);
                event_begin(&ev, "enc_step");
                event_int(&ev, "pos", pos);
                event_int(&ev, "layer", l);
                event_int(&ev, "dir", d);
                event_str(&ev, "token", vocab_token(m->src_vocab, src_ids[pos]));
                event_floats(&ev, "x", in + (size_t)pos * in_size, in_size);
                event_floats(&ev, "h_prev", h_prev, Hd);
                event_floats(&ev, "h", h, Hd);
                if (lstm) {
                    event_floats(&ev, "c_prev", c_prev, Hd);
                    event_floats(&ev, "c", cc, Hd);
                }
                if (G > 1) event_floats(&ev, "gates", r->enc_gates, G * Hd);
                if (event_emit(sink, &ev)) return status_fail(st, "event sink aborted the run");
                h_prev = h;
                c_prev = cc;
            }
            memcpy(r->final_h + (size_t)l * H + (size_t)d * Hd, h_prev, (size_t)Hd * sizeof(float));
            if (lstm) memcpy(r->final_c + (size_t)l * H + (size_t)d * Hd, c_prev, (size_t)Hd * sizeof(float));
        }
        in = out;
        in_size = H;
    }
    memcpy(r->keys, in, (size_t)S * H * sizeof(float));
    /* Finite weights can still overflow float32 (e.g. 1e37 weights): refuse rather than decode NaN. */
    for (size_t i = 0; i < (size_t)S * H; i++)
        if (!isfinite(r->keys[i]))
            return status_fail(st, "the encoder produced a non-finite value (NaN or Inf) at source position %d: "
                                   "the model's weights overflow float32 on this input", (int)(i / (size_t)H));
    for (size_t i = 0; i < (size_t)c->layers * H; i++)
        if (!isfinite(r->final_h[i]) || (lstm && !isfinite(r->final_c[i])))
            return status_fail(st, "the encoder's final state holds a non-finite value (NaN or Inf): "
                                   "the model's weights overflow float32 on this input");
    if (c->scorer != ATTN_NONE) attention_prepare_keys(&m->attn_shape, &m->w.attn, r->keys_proj, r->keys, S);
    return 0;
}

/* ======================================================================== */
/* Decoder                                                                   */
/* ======================================================================== */

float *seq2seq_state_h(const Seq2Seq *m, float *state, int layer) { return state + (size_t)layer * m->cfg.hidden; }

float *seq2seq_state_c(const Seq2Seq *m, float *state, int layer) {
    if (m->cfg.cell != RNN_LSTM) return NULL;
    return state + (size_t)(m->cfg.layers + layer) * m->cfg.hidden;
}

float *seq2seq_state_context(const Seq2Seq *m, float *state) {
    return state + (size_t)m->state_size - 2 * (size_t)m->cfg.hidden;
}

float *seq2seq_state_attn_hidden(const Seq2Seq *m, float *state) {
    return state + (size_t)m->state_size - (size_t)m->cfg.hidden;
}

void seq2seq_initial_state(const Seq2Seq *m, const Seq2SeqRun *r, float *state) {
    memset(state, 0, (size_t)m->state_size * sizeof(float));
    if (m->cfg.dec_init_zeros) return;
    size_t H = (size_t)m->cfg.hidden;
    for (int l = 0; l < m->cfg.layers; l++) {
        memcpy(seq2seq_state_h(m, state, l), r->final_h + l * H, H * sizeof(float));
        if (m->cfg.cell == RNN_LSTM) memcpy(seq2seq_state_c(m, state, l), r->final_c + l * H, H * sizeof(float));
    }
}

/* query rows (B, Q) = [h; c(t-1)?; lang?] from h (B, H) and the input states. */
static void build_query(const Seq2Seq *m, Seq2SeqRun *r, const float *h, const float *state_in, int B) {
    int H = m->cfg.hidden, E = m->cfg.emb, Q = m->Q;
    for (int b = 0; b < B; b++) {
        float *q = r->query + (size_t)b * Q;
        memcpy(q, h + (size_t)b * H, (size_t)H * sizeof(float));
        int off = H;
        if (m->cfg.query_context) {
            memcpy(q + off, seq2seq_state_context(m, (float *)state_in + (size_t)b * m->state_size), (size_t)H * sizeof(float));
            off += H;
        }
        if (m->cfg.query_lang) memcpy(q + off, r->lang, (size_t)E * sizeof(float));
    }
}

/* Attention for B rows, then the attn and context events. */
static int attend(const Seq2Seq *m, Seq2SeqRun *r, const int *beams, const float *override, int B, int step,
                  const EventSink *sink, Status *st) {
    int S = r->S, H = m->cfg.hidden;
    attention_forward(&m->attn_shape, &m->pack.attn, r->energies, r->weights, r->context, r->centre, r->lo, r->hi,
                      r->attn_scratch, r->query, r->keys, r->keys_proj, override, S, B, step);
    /* Overflowing (finite) weights give NaN/Inf energies, which the softmax would silently turn
     * into zero attention: refuse them (-inf is only allowed outside a local window). */
    for (int b = 0; b < B; b++) {
        if (m->cfg.window == ATTN_LOCAL_P && isnan(r->centre[b]))
            return status_fail(st, "decoder step %d: the local-p attention centre is NaN: the model's weights "
                                   "overflow float32 on this input", step);
        for (int j = r->lo[b]; j <= r->hi[b]; j++)
            if (!isfinite(r->energies[(size_t)b * S + j]) || isnan(r->weights[(size_t)b * S + j]))
                return status_fail(st, "decoder step %d: the attention energy at source position %d is not finite "
                                       "(NaN or Inf): the model's weights overflow float32 on this input", step, j);
    }
    /* energies/weights rows are written with stride S by attention_forward; keep them at
     * stride max_src so seq2seq_last_weights can index rows (move from the back). */
    for (int b = B - 1; b > 0; b--) {
        memmove(r->energies + (size_t)b * r->max_src, r->energies + (size_t)b * S, (size_t)S * sizeof(float));
        memmove(r->weights + (size_t)b * r->max_src, r->weights + (size_t)b * S, (size_t)S * sizeof(float));
    }
    if (!sink || !sink->emit) return 0;
    Event ev;
    for (int b = 0; b < B; b++) {
        int beam = beams ? beams[b] : b;
        event_begin(&ev, "attn");
        event_int(&ev, "step", step);
        event_int(&ev, "beam", beam);
        event_str(&ev, "scorer", attention_scorer_name(m->cfg.scorer));
        event_str(&ev, "window", attention_window_name(m->cfg.window));
        event_floats(&ev, "query", r->query + (size_t)b * m->Q, m->Q);
        event_floats(&ev, "energies", r->energies + (size_t)b * r->max_src, S);
        event_floats(&ev, "weights", r->weights + (size_t)b * r->max_src, S);
        if (m->cfg.window != ATTN_GLOBAL) {
            event_float(&ev, "centre", r->centre[b]);
            event_int(&ev, "lo", r->lo[b]);
            event_int(&ev, "hi", r->hi[b]);
        }
        if (override) event_int(&ev, "override", 1);
        if (event_emit(sink, &ev)) return status_fail(st, "event sink aborted the run");
        event_begin(&ev, "context");
        event_int(&ev, "step", step);
        event_int(&ev, "beam", beam);
        event_floats(&ev, "vector", r->context + (size_t)b * H, H);
        if (event_emit(sink, &ev)) return status_fail(st, "event sink aborted the run");
    }
    return 0;
}

int seq2seq_decode_step(const Seq2Seq *m, Seq2SeqRun *r, float *state_out, float *logprobs,
                        const float *state_in, const int *tokens, const int *beams,
                        const float *override, int B, int step, const EventSink *sink, Status *st) {
    const Seq2SeqConfig *c = &m->cfg;
    int E = c->emb, H = c->hidden, G = rnn_gate_count(c->cell), Vt = vocab_size(m->tgt_vocab);
    int lstm = c->cell == RNN_LSTM, has_attn = c->scorer != ATTN_NONE, SS = m->state_size;
    assert(state_out != state_in);
    if (B < 1 || B > r->max_rows) return status_fail(st, "%d hypotheses at once; this run holds 1..%d", B, r->max_rows);
    if (r->S < 1) return status_fail(st, "decode step before the source was encoded");
    Event ev;

    /* embeddings into x[:, :E] */
    for (int b = 0; b < B; b++) {
        if (tokens[b] < 0 || tokens[b] >= Vt) return status_fail(st, "target token id %d is outside the vocabulary (0..%d)", tokens[b], Vt - 1);
        const float *e = m->w.tgt_emb + (size_t)tokens[b] * E;
        memcpy(r->x + (size_t)b * m->dec_in, e, (size_t)E * sizeof(float));
        if (sink && sink->emit) {
            event_begin(&ev, "embed");
            event_str(&ev, "side", "tgt");
            event_int(&ev, "step", step);
            event_int(&ev, "beam", beams ? beams[b] : b);
            event_int(&ev, "id", tokens[b]);
            event_str(&ev, "token", vocab_token(m->tgt_vocab, tokens[b]));
            event_floats(&ev, "vector", e, E);
            if (event_emit(sink, &ev)) return status_fail(st, "event sink aborted the run");
        }
    }

    /* Bahdanau: attend with the previous top state; the context joins the RNN input. */
    if (has_attn && !c->query_current) {
        for (int b = 0; b < B; b++)
            memcpy(r->hn + (size_t)b * H, seq2seq_state_h(m, (float *)state_in + (size_t)b * SS, c->layers - 1), (size_t)H * sizeof(float));
        build_query(m, r, r->hn, state_in, B);
        if (attend(m, r, beams, override, B, step, sink, st)) return -1;
        for (int b = 0; b < B; b++)
            memcpy(r->x + (size_t)b * m->dec_in + E, r->context + (size_t)b * H, (size_t)H * sizeof(float));
    } else if (has_attn && c->input_feed) {
        for (int b = 0; b < B; b++)
            memcpy(r->x + (size_t)b * m->dec_in + E, seq2seq_state_attn_hidden(m, (float *)state_in + (size_t)b * SS), (size_t)H * sizeof(float));
    }

    /* the RNN layers: gather each layer's state rows, step, scatter */
    for (int l = 0; l < c->layers; l++) {
        const float *in = l == 0 ? r->x : r->layer_in;
        int in_size = l == 0 ? m->dec_in : H;
        for (int b = 0; b < B; b++) {
            memcpy(r->hp + (size_t)b * H, seq2seq_state_h(m, (float *)state_in + (size_t)b * SS, l), (size_t)H * sizeof(float));
            if (lstm) memcpy(r->cp + (size_t)b * H, seq2seq_state_c(m, (float *)state_in + (size_t)b * SS, l), (size_t)H * sizeof(float));
        }
        rnn_cell_forward(c->cell, r->hn, lstm ? r->cn : NULL, r->dec_gates, r->cell_scratch, &m->pack.dec[l], in,
                         r->hp, lstm ? r->cp : NULL, B, in_size, H);
        for (int b = 0; b < B; b++) {
            float *row = state_out + (size_t)b * SS;
            memcpy(seq2seq_state_h(m, row, l), r->hn + (size_t)b * H, (size_t)H * sizeof(float));
            if (lstm) memcpy(seq2seq_state_c(m, row, l), r->cn + (size_t)b * H, (size_t)H * sizeof(float));
            if (!sink || !sink->emit) continue;
            event_begin(&ev, "dec_step");
            event_int(&ev, "step", step);
            event_int(&ev, "beam", beams ? beams[b] : b);
            event_int(&ev, "layer", l);
            event_int(&ev, "id", tokens[b]);
            event_str(&ev, "token", vocab_token(m->tgt_vocab, tokens[b]));
            event_floats(&ev, "x", in + (size_t)b * in_size, in_size);
            event_floats(&ev, "h_prev", r->hp + (size_t)b * H, H);
            event_floats(&ev, "h", r->hn + (size_t)b * H, H);
            if (lstm) {
                event_floats(&ev, "c_prev", r->cp + (size_t)b * H, H);
                event_floats(&ev, "c", r->cn + (size_t)b * H, H);
            }
            if (G > 1) event_floats(&ev, "gates", r->dec_gates + (size_t)b * G * H, G * H);
            if (event_emit(sink, &ev)) return status_fail(st, "event sink aborted the run");
        }
        memcpy(r->layer_in, r->hn, (size_t)B * H * sizeof(float));
    }
    const float *h_top = r->layer_in; /* (B, H) */

    /* Luong: attend with the current top state; h~ = tanh(Wc [c; h]) feeds the output. */
    const float *out_in = h_top;
    if (has_attn && c->query_current) {
        build_query(m, r, h_top, state_in, B);
        if (attend(m, r, beams, override, B, step, sink, st)) return -1;
        for (int b = 0; b < B; b++) {
            memcpy(r->wc_in + (size_t)b * 2 * H, r->context + (size_t)b * H, (size_t)H * sizeof(float));
            memcpy(r->wc_in + (size_t)b * 2 * H + H, h_top + (size_t)b * H, (size_t)H * sizeof(float));
        }
        tensor_linear_rows(r->attn_hidden, r->wc_in, m->w.Wc, m->pack.Wc_packed, NULL, B, 2 * H, H);
        for (size_t i = 0; i < (size_t)B * H; i++) r->attn_hidden[i] = fm_tanh(r->attn_hidden[i]);
        out_in = r->attn_hidden;
        if (sink && sink->emit) {
            for (int b = 0; b < B; b++) {
                event_begin(&ev, "attn_hidden");
                event_int(&ev, "step", step);
                event_int(&ev, "beam", beams ? beams[b] : b);
                event_floats(&ev, "vector", r->attn_hidden + (size_t)b * H, H);
                if (event_emit(sink, &ev)) return status_fail(st, "event sink aborted the run");
            }
        }
    }
    for (int b = 0; b < B; b++) {
        float *row = state_out + (size_t)b * SS;
        if (has_attn) memcpy(seq2seq_state_context(m, row), r->context + (size_t)b * H, (size_t)H * sizeof(float));
        else memset(seq2seq_state_context(m, row), 0, (size_t)H * sizeof(float));
        if (has_attn && c->query_current) memcpy(seq2seq_state_attn_hidden(m, row), r->attn_hidden + (size_t)b * H, (size_t)H * sizeof(float));
        else memset(seq2seq_state_attn_hidden(m, row), 0, (size_t)H * sizeof(float));
    }

    /* output layer */
    tensor_linear_rows(logprobs, out_in, m->w.out_w, m->pack.out_packed, m->w.out_b, B, H, Vt);
    for (size_t i = 0; i < (size_t)B * Vt; i++)
        if (!isfinite(logprobs[i]))
            return status_fail(st, "decoder step %d produced a non-finite output score (NaN or Inf): "
                                   "the model's weights overflow float32 on this input", step);
    for (int b = 0; b < B; b++) tensor_log_softmax(logprobs + (size_t)b * Vt, logprobs + (size_t)b * Vt, Vt);
    return 0;
}
