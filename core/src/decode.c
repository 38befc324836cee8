/* decode.c — the decoding loop: options, greedy and sampling, forced prefixes,
 * attention overrides, run/output/run_end events, re-scoring (see decode.h).
 * Beam search lives in decode_beam.c. */
#include "attnstep/decode.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnstep/tensor.h"
#include "decode_internal.h"

/* ======================================================================== */
/* Options                                                                   */
/* ======================================================================== */

void decode_options_default(DecodeOptions *o) {
    memset(o, 0, sizeof *o);
    o->strategy = DECODE_GREEDY;
    o->beam_size = 5;
    o->nbest = 1;
    o->lenpen = LENPEN_NONE;
    o->alpha = 0.6f;
    o->early_stop = EARLY_STOP_BOUND;
    o->temperature = 1.0f;
    o->top_p = 1.0f;
    o->seed = 1;
    o->override_step = -1;
    o->output_top = 1000;
}

const char *decode_strategy_name(DecodeStrategy s) {
    return s == DECODE_BEAM ? "beam" : s == DECODE_SAMPLE ? "sample" : "greedy";
}

const char *decode_lenpen_name(LengthPenalty p) {
    return p == LENPEN_AVG ? "avg" : p == LENPEN_GNMT ? "gnmt" : "none";
}

/* The cap on decoder steps (EOS, when emitted, is one of them) for a source of S tokens;
 * a hypothesis that reaches it without EOS ends unfinished, as in the PyTorch tutorial. */
int decode_length_cap(const Model *m, const DecodeOptions *o, int S) {
    int cap = o->max_len > 0 ? o->max_len : model_default_max_len(m, S);
    if (o->max_len_ratio > 0.0f) {
        int r = (int)floorf(o->max_len_ratio * (float)S);
        if (r < cap) cap = r;
    }
    if (m->max_positions > 0 && cap > m->max_positions) cap = m->max_positions; /* the Transformer's cache */
    return cap < 1 ? 1 : cap;
}

int decode_check_options(const Seq2Seq *m, const DecodeOptions *o, int S, Status *st) {
    Model w;
    model_from_seq2seq(&w, m);
    return decode_check_options_model(&w, o, S, st);
}

int decode_check_options_model(const Model *m, const DecodeOptions *o, int S, Status *st) {
    int Vt = vocab_size(m->tgt_vocab);
    if (o->beam_size < 1 || o->beam_size > DECODE_MAX_BEAM) return status_fail(st, "--beam must be 1..%d (got %d)", DECODE_MAX_BEAM, o->beam_size);
    if (o->strategy == DECODE_BEAM && (o->nbest < 1 || o->nbest > o->beam_size))
        return status_fail(st, "--nbest must be 1..beam size %d (got %d)", o->beam_size, o->nbest);
    if (!(o->alpha >= 0.0f && o->alpha <= 10.0f)) return status_fail(st, "--alpha must be 0..10 (got %g)", o->alpha);
    if (!(o->coverage_beta >= 0.0f && o->coverage_beta <= 10.0f)) return status_fail(st, "--coverage must be 0..10 (got %g)", o->coverage_beta);
    if (o->coverage_beta > 0.0f && !m->has_attention) return status_fail(st, "--coverage needs a model with attention");
    if (o->min_len < 0) return status_fail(st, "--min-len must be >= 0 (got %d)", o->min_len);
    if (o->max_len < 0 || o->max_len > 10000) return status_fail(st, "--max-len must be 1..10000 (got %d)", o->max_len);
    if (!(o->max_len_ratio >= 0.0f && o->max_len_ratio <= 100.0f)) return status_fail(st, "--max-len-ratio must be 0..100 (got %g)", o->max_len_ratio);
    if (o->min_len > decode_length_cap(m, o, S)) return status_fail(st, "--min-len %d is above the length cap %d", o->min_len, decode_length_cap(m, o, S));
    if (o->no_repeat_ngram < 0 || o->no_repeat_ngram > 16) return status_fail(st, "--no-repeat-ngram must be 0..16 (got %d)", o->no_repeat_ngram);
    if (!(o->temperature > 0.0f && o->temperature <= 100.0f)) return status_fail(st, "--temperature must be in (0, 100] (got %g)", o->temperature);
    if (o->top_k < 0) return status_fail(st, "--top-k must be >= 0 (got %d)", o->top_k);
    if (!(o->top_p > 0.0f && o->top_p <= 1.0f)) return status_fail(st, "--top-p must be in (0, 1] (got %g)", o->top_p);
    if (o->force_prefix_len < 0 || o->force_prefix_len > DECODE_MAX_PREFIX) return status_fail(st, "the forced prefix holds at most %d tokens", DECODE_MAX_PREFIX);
    if (o->force_prefix_len > decode_length_cap(m, o, S)) return status_fail(st, "the forced prefix (%d tokens) is longer than the length cap %d", o->force_prefix_len, decode_length_cap(m, o, S));
    for (int i = 0; i < o->force_prefix_len; i++)
        if (o->force_prefix[i] < 0 || o->force_prefix[i] >= Vt) return status_fail(st, "forced token %d has id %d, outside the target vocabulary", i, o->force_prefix[i]);
    if (o->override_step >= 0) {
        if (!m->can_override)
            return status_fail(st, m->kind == MODEL_TRANSFORMER ? "an attention override works on RNN models only (a Transformer has many heads)"
                                                                : "an attention override needs a model with attention");
        if (!o->override_weights || o->override_len != S)
            return status_fail(st, "the attention override has %d weights but the source has %d positions", o->override_len, S);
        for (int j = 0; j < S; j++)
            if (!(o->override_weights[j] >= 0.0f && o->override_weights[j] <= 1.0f)) return status_fail(st, "attention override weight %d is %g, not in [0, 1]", j, o->override_weights[j]);
    }
    if (o->output_top < 1) return status_fail(st, "output_top must be >= 1");
    return 0;
}

/* ======================================================================== */
/* Results and shared event helpers                                          */
/* ======================================================================== */

void decode_result_free(DecodeResult *res) {
    if (!res) return;
    for (int i = 0; i < res->count && i < DECODE_MAX_NBEST; i++) {
        free(res->hyps[i].tokens);
        free(res->hyps[i].attention);
        free(res->hyps[i].text);
    }
    memset(res, 0, sizeof *res);
}

/* Joins target tokens with spaces (character models: without). NULL on out of memory. */
static char *join_tokens(const Model *m, const int *tokens, int n) {
    const char *sep = m->tokenizer == VOCAB_CHARS ? "" : " ";
    size_t size = 1;
    for (int i = 0; i < n; i++) size += strlen(vocab_token(m->tgt_vocab, tokens[i])) + 1;
    char *s = malloc(size), *p = s;
    if (!s) return NULL;
    *p = '\0';
    for (int i = 0; i < n; i++) p += sprintf(p, "%s%s", i ? sep : "", vocab_token(m->tgt_vocab, tokens[i]));
    return s;
}

/* Fills h from a token list and attention rows (both copied). -1 with st on out of memory. */
int decode_fill_hyp(const Model *m, DecodeHyp *h, const int *tokens, int len, const float *attention,
                    int steps, int S, int finished, double logprob, double score, Status *st) {
    memset(h, 0, sizeof *h);
    h->tokens = malloc(((size_t)len + 1) * sizeof(int));
    h->text = h->tokens ? (memcpy(h->tokens, tokens, (size_t)len * sizeof(int)), join_tokens(m, tokens, len)) : NULL;
    if (attention && steps > 0) {
        h->attention = malloc((size_t)steps * S * sizeof(float));
        if (h->attention) memcpy(h->attention, attention, (size_t)steps * S * sizeof(float));
    }
    if (!h->tokens || !h->text || (attention && steps > 0 && !h->attention)) {
        free(h->tokens); free(h->text); free(h->attention);
        memset(h, 0, sizeof *h);
        return status_fail(st, "out of memory for a hypothesis");
    }
    h->len = len;
    h->steps = attention ? steps : 0;
    h->finished = finished;
    h->logprob = logprob;
    h->score = score;
    return 0;
}

/* The run event: model, source, settings. */
int decode_emit_run(const Model *m, const int *src_ids, int S, const DecodeOptions *o, const EventSink *sink, Status *st) {
    if (!sink || !sink->emit) return 0;
    const char *tokens[SEQ2SEQ_MAX_SOURCE];
    for (int j = 0; j < S; j++) tokens[j] = vocab_token(m->src_vocab, src_ids[j]);
    Event ev;
    event_begin(&ev, "run");
    event_str(&ev, "model", model_name(m));
    event_str(&ev, "arch", m->arch);
    if (m->kind == MODEL_TRANSFORMER) {
        const TransformerConfig *c = &m->tfm->cfg;
        event_int(&ev, "enc_layers", c->enc_layers);
        event_int(&ev, "dec_layers", c->dec_layers);
        event_int(&ev, "heads", c->nhead);
        event_int(&ev, "d_model", c->d);
        event_int(&ev, "ffn", c->ffn);
        event_int(&ev, "norm_first", c->norm_first);
    } else {
        const Seq2SeqConfig *c = &m->s2s->cfg;
        event_str(&ev, "cell", rnn_cell_name(c->cell));
        event_str(&ev, "scorer", attention_scorer_name(c->scorer));
        event_str(&ev, "window", attention_window_name(c->window));
        if (c->window != ATTN_GLOBAL) event_int(&ev, "window_d", c->window_d);
        event_str(&ev, "query", c->query_current ? "current" : "prev");
        event_int(&ev, "layers", c->layers);
        event_int(&ev, "hidden", c->hidden);
        event_int(&ev, "bidirectional", c->bidirectional);
    }
    event_strs(&ev, "src_tokens", tokens, S);
    event_ints(&ev, "src_ids", src_ids, S);
    event_str(&ev, "strategy", decode_strategy_name(o->strategy));
    event_int(&ev, "beam_size", o->strategy == DECODE_BEAM ? o->beam_size : 1);
    event_int(&ev, "max_len", decode_length_cap(m, o, S));
    if (o->strategy == DECODE_BEAM) {
        event_int(&ev, "nbest", o->nbest);
        event_str(&ev, "lenpen", decode_lenpen_name(o->lenpen));
        event_float(&ev, "alpha", o->alpha);
        event_float(&ev, "coverage", o->coverage_beta);
        event_int(&ev, "min_len", o->min_len);
        event_int(&ev, "no_repeat_ngram", o->no_repeat_ngram);
    }
    if (o->strategy == DECODE_SAMPLE) {
        event_float(&ev, "temperature", o->temperature);
        event_int(&ev, "top_k", o->top_k);
        event_float(&ev, "top_p", o->top_p);
        event_int(&ev, "seed", (long)o->seed);
    }
    if (o->force_prefix_len) event_ints(&ev, "force_prefix", o->force_prefix, o->force_prefix_len);
    if (o->override_step >= 0) event_int(&ev, "override_step", o->override_step);
    return event_emit(sink, &ev) ? status_fail(st, "event sink aborted the run") : 0;
}

/* The run_end event: the ranked outputs. */
int decode_emit_run_end(const DecodeResult *res, const EventSink *sink, Status *st) {
    if (!sink || !sink->emit) return 0;
    const char *texts[DECODE_MAX_NBEST];
    float logprobs[DECODE_MAX_NBEST], scores[DECODE_MAX_NBEST];
    int finished[DECODE_MAX_NBEST], lens[DECODE_MAX_NBEST];
    for (int i = 0; i < res->count; i++) {
        texts[i] = res->hyps[i].text;
        logprobs[i] = (float)res->hyps[i].logprob;
        scores[i] = (float)res->hyps[i].score;
        finished[i] = res->hyps[i].finished;
        lens[i] = res->hyps[i].len;
    }
    Event ev;
    event_begin(&ev, "run_end");
    event_str(&ev, "output", res->count ? res->hyps[0].text : "");
    if (res->count) event_ints(&ev, "tokens", res->hyps[0].tokens, res->hyps[0].len);
    event_strs(&ev, "nbest", texts, res->count);
    event_floats(&ev, "nbest_logprob", logprobs, res->count);
    event_floats(&ev, "nbest_score", scores, res->count);
    event_ints(&ev, "nbest_len", lens, res->count);
    event_ints(&ev, "nbest_finished", finished, res->count);
    return event_emit(sink, &ev) ? status_fail(st, "event sink aborted the run") : 0;
}

/* The output event of one row: the distribution and the chosen token. how: "argmax",
 * "sampled", "forced" or "" (beam: chosen later by beam_select). */
int decode_emit_output(const Model *m, const DecodeOptions *o, const float *logprobs, int step, int beam,
                       int chosen, const char *how, const EventSink *sink, Status *st) {
    if (!sink || !sink->emit) return 0;
    int Vt = vocab_size(m->tgt_vocab);
    Event ev;
    event_begin(&ev, "output");
    event_int(&ev, "step", step);
    event_int(&ev, "beam", beam);
    int top_ids[64];
    float top_lp[64];
    if (Vt <= o->output_top) {
        event_floats(&ev, "logprobs", logprobs, Vt);
    } else {
        int k = o->output_top < 64 ? o->output_top : 64;
        for (int i = 0; i < k; i++) { top_ids[i] = -1; top_lp[i] = -INFINITY; }
        for (int v = 0; v < Vt; v++) {
            if (logprobs[v] <= top_lp[k - 1]) continue;
            int pos = k - 1;
            while (pos > 0 && logprobs[v] > top_lp[pos - 1]) { top_lp[pos] = top_lp[pos - 1]; top_ids[pos] = top_ids[pos - 1]; pos--; }
            top_lp[pos] = logprobs[v];
            top_ids[pos] = v;
        }
        event_ints(&ev, "top_ids", top_ids, k);
        event_floats(&ev, "top_logprobs", top_lp, k);
    }
    if (chosen >= 0) {
        event_int(&ev, "chosen", chosen);
        event_str(&ev, "chosen_token", vocab_token(m->tgt_vocab, chosen));
        event_float(&ev, "chosen_logprob", logprobs[chosen]);
        event_str(&ev, "how", how);
    }
    return event_emit(sink, &ev) ? status_fail(st, "event sink aborted the run") : 0;
}

/* ======================================================================== */
/* Sampling                                                                  */
/* ======================================================================== */

/* splitmix64: small, seedable, the same on every machine. */
static uint64_t next_random(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct Candidate { int id; float p; } Candidate;

static int by_prob_desc(const void *a, const void *b) {
    const Candidate *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? 1 : -1;
    return x->id - y->id;
}

/* Draws a token from logprobs with temperature, top-k and top-p; allowed[v] == 0 excludes v.
 * cand: (Vt) scratch. */
static int sample_token(const float *logprobs, const unsigned char *allowed, int Vt, const DecodeOptions *o,
                        uint64_t *rng, Candidate *cand) {
    int n = 0;
    float mx = -INFINITY;
    for (int v = 0; v < Vt; v++) if (allowed[v] && logprobs[v] / o->temperature > mx) mx = logprobs[v] / o->temperature;
    double sum = 0.0;
    for (int v = 0; v < Vt; v++) {
        if (!allowed[v]) continue;
        cand[n].id = v;
        cand[n].p = expf(logprobs[v] / o->temperature - mx);
        sum += cand[n].p;
        n++;
    }
    qsort(cand, (size_t)n, sizeof *cand, by_prob_desc);
    if (o->top_k > 0 && o->top_k < n) n = o->top_k;
    double kept = 0.0;
    for (int i = 0; i < n; i++) kept += cand[i].p;
    if (o->top_p < 1.0f) {
        double acc = 0.0;
        for (int i = 0; i < n; i++) {
            acc += cand[i].p;
            if (acc >= o->top_p * kept) { n = i + 1; break; }
        }
        kept = 0.0;
        for (int i = 0; i < n; i++) kept += cand[i].p;
    }
    (void)sum;
    double u = (double)(next_random(rng) >> 11) / 9007199254740992.0 * kept;
    double acc = 0.0;
    for (int i = 0; i < n; i++) {
        acc += cand[i].p;
        if (u < acc) return cand[i].id;
    }
    return cand[n - 1].id;
}

/* ======================================================================== */
/* Greedy and sampling                                                       */
/* ======================================================================== */

static int decode_single(const Model *m, const int *src_ids, int S, const DecodeOptions *o,
                         const EventSink *sink, DecodeResult *res, Status *st) {
    int Vt = vocab_size(m->tgt_vocab), SS = m->state_size, cap = decode_length_cap(m, o, S);
    int rc = -1;
    ModelRun *r = model_run_new(m, S, 1, st);
    float *mem = malloc(((size_t)2 * SS + Vt + (size_t)cap * S) * sizeof(float));
    int *tokens = malloc(((size_t)cap + 1) * sizeof(int));
    unsigned char *allowed = malloc((size_t)Vt);
    Candidate *cand = malloc((size_t)Vt * sizeof *cand);
    if (!r || !mem || !tokens || !allowed || !cand) {
        if (r) status_fail(st, "out of memory for decoding");
        goto done;
    }
    float *state = mem, *next = mem + SS, *logprobs = mem + 2 * SS, *attn = mem + 2 * SS + Vt;
    if (model_encode(m, r, src_ids, S, sink, st)) goto done;
    model_initial_state(m, r, state);
    uint64_t rng = o->seed;
    int len = 0, finished = 0, prev = m->tgt_sos;
    double total = 0.0;
    for (int t = 0; t < cap && !finished; t++) {
        const float *override = t == o->override_step ? o->override_weights : NULL;
        if (model_decode_step(m, r, next, logprobs, state, &prev, NULL, override, 1, t, sink, st)) goto done;
        const float *w = model_last_weights(m, r, 0);
        if (m->has_attention) memcpy(attn + (size_t)t * S, w, (size_t)S * sizeof(float));
        int tok;
        const char *how;
        if (t < o->force_prefix_len) {
            tok = o->force_prefix[t];
            how = "forced";
        } else {
            for (int v = 0; v < Vt; v++) allowed[v] = 1;
            if (t < o->min_len) allowed[m->tgt_eos] = 0;
            if (o->strategy == DECODE_SAMPLE) {
                tok = sample_token(logprobs, allowed, Vt, o, &rng, cand);
                how = "sampled";
            } else {
                tok = -1;
                for (int v = 0; v < Vt; v++) if (allowed[v] && (tok < 0 || logprobs[v] > logprobs[tok])) tok = v;
                how = "argmax";
            }
        }
        if (decode_emit_output(m, o, logprobs, t, 0, tok, how, sink, st)) goto done;
        total += logprobs[tok];
        if (tok == m->tgt_eos) finished = 1;
        else tokens[len++] = tok;
        prev = tok;
        float *swap = state; state = next; next = swap;
    }
    res->source_len = S;
    res->count = 1;
    if (decode_fill_hyp(m, &res->hyps[0], tokens, len, m->has_attention ? attn : NULL,
                        len + finished, S, finished, total, total, st)) {
        res->count = 0;
        goto done;
    }
    rc = decode_emit_run_end(res, sink, st);
done:
    model_run_free(r);
    free(mem);
    free(tokens);
    free(allowed);
    free(cand);
    return rc;
}

int decode_run(const Seq2Seq *m, const int *src_ids, int S, const DecodeOptions *o,
               const EventSink *sink, DecodeResult *res, Status *st) {
    Model w;
    model_from_seq2seq(&w, m);
    return decode_run_model(&w, src_ids, S, o, sink, res, st);
}

int decode_run_model(const Model *m, const int *src_ids, int S, const DecodeOptions *o,
                     const EventSink *sink, DecodeResult *res, Status *st) {
    memset(res, 0, sizeof *res);
    if (decode_check_options_model(m, o, S, st)) return -1;
    if (decode_emit_run(m, src_ids, S, o, sink, st)) return -1;
    int rc = o->strategy == DECODE_BEAM ? decode_beam_search(m, src_ids, S, o, sink, res, st)
                                        : decode_single(m, src_ids, S, o, sink, res, st);
    if (rc) decode_result_free(res);
    return rc;
}

/* ======================================================================== */
/* Re-scoring by forced decoding                                             */
/* ======================================================================== */

int decode_score(const Seq2Seq *m, const int *src_ids, int S, const int *tokens, int n, int with_eos,
                 double *logprob, Status *st) {
    Model w;
    model_from_seq2seq(&w, m);
    return decode_score_model(&w, src_ids, S, tokens, n, with_eos, logprob, st);
}

int decode_score_model(const Model *m, const int *src_ids, int S, const int *tokens, int n, int with_eos,
                       double *logprob, Status *st) {
    int Vt = vocab_size(m->tgt_vocab), SS = m->state_size, rc = -1;
    ModelRun *r = model_run_new(m, S, 1, st);
    float *mem = malloc(((size_t)2 * SS + Vt) * sizeof(float));
    if (!r || !mem) {
        if (r) status_fail(st, "out of memory");
        goto done;
    }
    float *state = mem, *next = mem + SS, *logprobs = mem + 2 * SS;
    if (model_encode(m, r, src_ids, S, NULL, st)) goto done;
    model_initial_state(m, r, state);
    double total = 0.0;
    int prev = m->tgt_sos;
    for (int t = 0; t < n + (with_eos ? 1 : 0); t++) {
        int tok = t < n ? tokens[t] : m->tgt_eos;
        if (tok < 0 || tok >= Vt) { status_fail(st, "token %d has id %d, outside the target vocabulary", t, tok); goto done; }
        if (model_decode_step(m, r, next, logprobs, state, &prev, NULL, NULL, 1, t, NULL, st)) goto done;
        total += logprobs[tok];
        prev = tok;
        float *swap = state; state = next; next = swap;
    }
    *logprob = total;
    rc = 0;
done:
    model_run_free(r);
    free(mem);
    return rc;
}
