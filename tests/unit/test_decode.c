/* test_decode.c — greedy, beam search and sampling (decode.h, docs/decoding.md).
 *
 * Models: the PyTorch-made random-weight fixtures of tests/reference/fixtures/ (vocabulary
 * 10, several architectures), and a tiny tutorial-gru-bahdanau model built here with
 * safetensors_writer (target vocabulary SOS, EOS, a, b) small enough to enumerate every
 * output of up to 3 steps.
 *
 * What is proven: beam k=1 without penalties is greedy token for token; beam with
 * k >= |V|^T returns the exhaustive best (and the exhaustive n-best) under every length
 * penalty and the coverage penalty, with early stopping on; the n-best is sorted and
 * distinct and every logprob / score agrees with an independent re-scoring (decode_score
 * and the formulas of docs/decoding.md) to 1e-4; min_len, no_repeat_ngram, forced
 * prefixes, the attention override and the length cap do what they say; sampling is
 * reproducible per seed and top_k = 1 is greedy; the beam events form a consistent tree
 * and the JSONL of a run is byte-identical across runs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "attnstep/decode.h"
#include "attnstep/events.h"
#include "attnstep/safetensors.h"
#include "attnstep/seq2seq.h"
#include "attnstep/tensor.h"

#define FIXTURES ATTNSTEP_SOURCE_DIR "/tests/reference/fixtures"
#define TOL 1e-4

static const char *const MODELS[] = {
    "tutorial-gru-bahdanau", "gru-none", "gru-additive-prev-bi2-last", "lstm-general-localp2-current-feed",
    "gru-general-localm1-current", "elman-tanh-dot-current", "gru-concat-prev-qctx-qlang", "lstm-cosine-current",
};
#define NMODELS ((int)(sizeof MODELS / sizeof MODELS[0]))
static const char *const INPUTS[] = {"a b c d", "b a", "c c a b d e", "d"};
#define NINPUTS ((int)(sizeof INPUTS / sizeof INPUTS[0]))

static Seq2Seq *load_fixture(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.model.safetensors", FIXTURES, name);
    Status st = {0};
    Seq2Seq *m = seq2seq_load(path, &st);
    if (!m) fail_msg("%s", st.message);
    return m;
}

static int source(const Seq2Seq *m, const char *text, int *ids) {
    Status st = {0};
    int n = 0;
    if (seq2seq_source_ids(m, text, ids, SEQ2SEQ_MAX_SOURCE, &n, NULL, &st)) fail_msg("%s", st.message);
    return n;
}

static void run(const Seq2Seq *m, const int *src, int S, const DecodeOptions *o, const EventSink *sink, DecodeResult *res) {
    Status st = {0};
    if (decode_run(m, src, S, o, sink, res, &st)) fail_msg("decode_run: %s", st.message);
}

/* ---- the tiny model ---- */

static uint64_t rng_state;
static double normal(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    double u1 = ((double)(z >> 11) + 0.5) / 9007199254740992.0;
    double u2 = ((double)((z * 0x2545F4914F6CDD1Dull) >> 11) + 0.5) / 9007199254740992.0;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static void add(SafeTensorsWriter *w, const char *name, int rows, int cols, double sd) {
    float *data = malloc((size_t)rows * (cols ? cols : 1) * sizeof(float));
    int n = rows * (cols ? cols : 1);
    for (int i = 0; i < n; i++) data[i] = (float)(sd * normal());
    int64_t shape[2] = {rows, cols};
    Status st = {0};
    if (safetensors_writer_add(w, name, data, cols ? 2 : 1, shape, &st)) fail_msg("%s", st.message);
    free(data);
}

/* A tutorial-gru-bahdanau model, hidden 4, target vocabulary SOS EOS a (Vt 3) or
 * SOS EOS a b (Vt 4), random weights from seed; <eos> gets a lower bias so that longer
 * outputs compete and the length penalty and early stopping matter. */
static Seq2Seq *tiny_model(uint64_t seed, int Vt) {
    const int H = 4, Vs = 5;
    rng_state = seed;
    SafeTensorsWriter *w = safetensors_writer_new();
    Status st = {0};
    add(w, "encoder.embedding.weight", Vs, H, 1.0);
    add(w, "encoder.gru.weight_ih_l0", 3 * H, H, 0.6);
    add(w, "encoder.gru.weight_hh_l0", 3 * H, H, 0.6);
    add(w, "encoder.gru.bias_ih_l0", 3 * H, 0, 0.2);
    add(w, "encoder.gru.bias_hh_l0", 3 * H, 0, 0.2);
    add(w, "decoder.embedding.weight", Vt, H, 1.0);
    add(w, "decoder.attention.Wa.weight", H, H, 1.0);
    add(w, "decoder.attention.Wa.bias", H, 0, 0.3);
    add(w, "decoder.attention.Ua.weight", H, H, 1.0);
    add(w, "decoder.attention.Ua.bias", H, 0, 0.3);
    add(w, "decoder.attention.Va.weight", 1, H, 1.5);
    add(w, "decoder.attention.Va.bias", 1, 0, 0.3);
    add(w, "decoder.gru.weight_ih_l0", 3 * H, 2 * H, 0.6);
    add(w, "decoder.gru.weight_hh_l0", 3 * H, H, 0.6);
    add(w, "decoder.gru.bias_ih_l0", 3 * H, 0, 0.2);
    add(w, "decoder.gru.bias_hh_l0", 3 * H, 0, 0.2);
    add(w, "decoder.out.weight", Vt, H, 1.2);
    {
        float *bias = malloc((size_t)Vt * sizeof(float));
        for (int i = 0; i < Vt; i++) bias[i] = (float)(0.5 * normal()) - (i == 1 ? 1.0f : 0.0f);
        int64_t shape[1] = {Vt};
        if (safetensors_writer_add(w, "decoder.out.bias", bias, 1, shape, &st)) fail_msg("%s", st.message);
        free(bias);
    }
    if (safetensors_writer_meta(w, "arch", "tutorial-gru-bahdanau", &st) ||
        safetensors_writer_meta(w, "src_vocab", "[\"SOS\",\"EOS\",\"x\",\"y\",\"z\"]", &st) ||
        safetensors_writer_meta(w, "tgt_vocab", Vt == 3 ? "[\"SOS\",\"EOS\",\"a\"]" : "[\"SOS\",\"EOS\",\"a\",\"b\"]", &st))
        fail_msg("%s", st.message);
    char path[512];
    snprintf(path, sizeof path, "%s/test_decode_tiny_%llu_%d.safetensors", ATTNSTEP_BINARY_DIR, (unsigned long long)seed, Vt);
    if (safetensors_writer_save(w, path, &st)) fail_msg("%s", st.message);
    safetensors_writer_free(w);
    Seq2Seq *m = seq2seq_load(path, &st);
    if (!m) fail_msg("%s", st.message);
    remove(path);
    return m;
}

/* ---- scoring, independently of decode_beam.c (the formulas of docs/decoding.md) ---- */

static double lenpen(const DecodeOptions *o, int L) {
    if (o->lenpen == LENPEN_AVG) return pow(L, o->alpha);
    if (o->lenpen == LENPEN_GNMT) return pow((5.0 + L) / 6.0, o->alpha);
    return 1.0;
}

static double score_of(const DecodeOptions *o, double logprob, int L, const float *attn, int S) {
    double cp = 0.0;
    if (o->coverage_beta > 0.0f) {
        for (int j = 0; j < S; j++) {
            double c = 0.0;
            for (int t = 0; t < L; t++) c += attn[(size_t)t * S + j];
            c = c < 1e-6 ? 1e-6 : c > 1.0 ? 1.0 : c;
            cp += log(c);
        }
        cp *= o->coverage_beta;
    }
    return logprob / lenpen(o, L) + cp;
}

/* Checks a beam result: sorted (finished first, then unfinished, each by score), distinct,
 * logprob = decode_score (skipped with an attention override, which decode_score does not
 * apply), score = the formula, attention rows present. */
static void check_result(const Seq2Seq *m, const int *src, int S, const DecodeOptions *o, const DecodeResult *res) {
    Status st = {0};
    assert_true(res->count >= 1 && res->count <= o->nbest);
    for (int i = 0; i < res->count; i++) {
        const DecodeHyp *h = &res->hyps[i];
        assert_int_equal(h->steps, m->cfg.scorer == ATTN_NONE ? 0 : h->len + h->finished);
        for (int k = 0; k < h->len; k++) assert_int_not_equal(h->tokens[k], m->tgt_eos);
        double lp;
        if (decode_score(m, src, S, h->tokens, h->len, h->finished, &lp, &st)) fail_msg("%s", st.message);
        if (o->override_step < 0 && fabs(lp - h->logprob) > TOL) fail_msg("hyp %d: logprob %.6f, re-scored %.6f", i, h->logprob, lp);
        double want = score_of(o, h->logprob, h->len + h->finished, h->attention, S);
        if (fabs(want - h->score) > TOL) fail_msg("hyp %d: score %.6f, formula %.6f", i, h->score, want);
        if (i > 0) {
            const DecodeHyp *p = &res->hyps[i - 1];
            assert_true(p->finished >= h->finished);
            if (p->finished == h->finished) assert_true(p->score >= h->score);
        }
        for (int j = 0; j < i; j++) {
            const DecodeHyp *q = &res->hyps[j];
            int same = q->len == h->len && q->finished == h->finished && !memcmp(q->tokens, h->tokens, (size_t)h->len * sizeof(int));
            if (same) fail_msg("hyps %d and %d are identical", j, i);
        }
    }
}

/* ---- tests ---- */

static void test_beam1_is_greedy(void **state) {
    (void)state;
    int checked = 0;
    for (int mi = 0; mi < NMODELS; mi++) {
        Seq2Seq *m = load_fixture(MODELS[mi]);
        for (int ii = 0; ii < NINPUTS; ii++) {
            int src[SEQ2SEQ_MAX_SOURCE], S = source(m, INPUTS[ii], src);
            DecodeOptions o;
            decode_options_default(&o);
            o.max_len = 12;
            DecodeResult g, b;
            run(m, src, S, &o, NULL, &g);
            o.strategy = DECODE_BEAM;
            o.beam_size = 1;
            o.nbest = 1;
            for (int es = 0; es < 2; es++) {
                o.early_stop = es ? EARLY_STOP_K_DONE : EARLY_STOP_BOUND;
                run(m, src, S, &o, NULL, &b);
                assert_int_equal(g.hyps[0].len, b.hyps[0].len);
                assert_int_equal(g.hyps[0].finished, b.hyps[0].finished);
                assert_memory_equal(g.hyps[0].tokens, b.hyps[0].tokens, (size_t)g.hyps[0].len * sizeof(int));
                assert_true(fabs(g.hyps[0].logprob - b.hyps[0].logprob) < TOL);
                assert_int_equal(g.hyps[0].steps, b.hyps[0].steps);
                if (g.hyps[0].steps)
                    for (int k = 0; k < g.hyps[0].steps * S; k++) assert_true(fabsf(g.hyps[0].attention[k] - b.hyps[0].attention[k]) < 1e-5f);
                decode_result_free(&b);
                checked++;
            }
            decode_result_free(&g);
        }
        seq2seq_free(m);
    }
    assert_int_equal(checked, NMODELS * NINPUTS * 2);
}

/* Every output of at most T steps of a tiny model, scored by forced greedy decoding
 * (which also gives its attention rows). */
typedef struct Enum { int tokens[8]; int len; double logprob, score; } Enum;

static int by_score(const void *a, const void *b) {
    const Enum *x = a, *y = b;
    return x->score > y->score ? -1 : x->score < y->score;
}

static int early_stops; /* runs that stopped before the cap (the bound was used) */

/* With k = 64, every candidate of every step is kept or finishes when a step has at most
 * 64 candidates: (Vt-1)^t * Vt <= 64 for t < T. Vt 4: T = 3 (|V|^T = 64); Vt 3: T = 5
 * (candidates 48 at the last step). Then beam search is exhaustive up to early stopping,
 * so this proves the stopping bound too. */
static void exhaustive_case(int Vt, int T) {
    const int K = 64;
    const char *texts[] = {"x y z", "z", "y y x z"};
    const int nonstop[3] = {0, 2, 3}; /* the target ids that are not <eos> */
    for (uint64_t seed = 1; seed <= 4; seed++) {
        Seq2Seq *m = tiny_model(seed, Vt);
        assert_int_equal(vocab_size(m->tgt_vocab), Vt);
        for (int ti = 0; ti < 3; ti++) {
            int src[SEQ2SEQ_MAX_SOURCE], S = source(m, texts[ti], src);
            for (int cfg = 0; cfg < 10; cfg++) {
                DecodeOptions o;
                decode_options_default(&o);
                o.max_len = T;
                o.lenpen = (LengthPenalty)(cfg % 3);
                o.alpha = cfg < 3 ? 0.6f : cfg < 6 ? 1.5f : 3.0f;
                o.coverage_beta = cfg >= 8 ? 0.7f : 0.0f;
                /* enumerate: non-EOS tokens of length 0..T-1, then EOS */
                Enum all[64];
                int n = 0;
                for (int len = 0; len < T; len++) {
                    int count = 1;
                    for (int k = 0; k < len; k++) count *= Vt - 1;
                    for (int c = 0; c < count; c++) {
                        Enum *e = &all[n++];
                        e->len = len;
                        for (int k = 0, x = c; k < len; k++, x /= Vt - 1) e->tokens[k] = nonstop[x % (Vt - 1)];
                        DecodeOptions f;
                        decode_options_default(&f);
                        f.max_len = T;
                        for (int k = 0; k < len; k++) f.force_prefix[k] = e->tokens[k];
                        f.force_prefix[len] = m->tgt_eos;
                        f.force_prefix_len = len + 1;
                        DecodeResult r;
                        run(m, src, S, &f, NULL, &r);
                        assert_true(r.hyps[0].finished);
                        assert_int_equal(r.hyps[0].len, len);
                        e->logprob = r.hyps[0].logprob;
                        e->score = score_of(&o, e->logprob, len + 1, r.hyps[0].attention, S);
                        decode_result_free(&r);
                    }
                }
                qsort(all, (size_t)n, sizeof *all, by_score);
                o.strategy = DECODE_BEAM;
                o.beam_size = K;
                o.nbest = cfg % 2 ? 1 + cfg / 3 : n; /* n: every finished output */
                Trace *t = trace_new();
                EventSink sink = trace_sink(t);
                DecodeResult b;
                run(m, src, S, &o, &sink, &b);
                for (long e = 0; e < trace_count(t); e++) {
                    const char *why = event_get_str(trace_get(t, e), "stopped");
                    if (why && !strcmp(why, "bound")) early_stops++;
                }
                trace_free(t);
                check_result(m, src, S, &o, &b);
                assert_int_equal(b.count, o.nbest);
                for (int i = 0; i < b.count; i++) {
                    assert_true(b.hyps[i].finished);
                    if (fabs(b.hyps[i].score - all[i].score) > TOL)
                        fail_msg("Vt %d seed %d text %d cfg %d rank %d: beam %.6f, exhaustive %.6f", Vt, (int)seed, ti, cfg, i,
                                 b.hyps[i].score, all[i].score);
                    int near_tie = (i > 0 && all[i - 1].score - all[i].score < 1e-4) ||
                                   (i + 1 < n && all[i].score - all[i + 1].score < 1e-4);
                    if (!near_tie) {
                        assert_int_equal(b.hyps[i].len, all[i].len);
                        assert_memory_equal(b.hyps[i].tokens, all[i].tokens, (size_t)all[i].len * sizeof(int));
                    }
                }
                decode_result_free(&b);
            }
        }
        seq2seq_free(m);
    }
}

static void test_beam_exhaustive(void **state) {
    (void)state;
    early_stops = 0;
    exhaustive_case(4, 3);
    exhaustive_case(3, 5);
    assert_true(early_stops > 10); /* the bound did stop searches, and they were still exact */
}

static void test_nbest_sorted_distinct_rescored(void **state) {
    (void)state;
    for (int mi = 0; mi < NMODELS; mi++) {
        Seq2Seq *m = load_fixture(MODELS[mi]);
        for (int ii = 0; ii < NINPUTS; ii++) {
            int src[SEQ2SEQ_MAX_SOURCE], S = source(m, INPUTS[ii], src);
            for (int cfg = 0; cfg < 6; cfg++) {
                DecodeOptions o;
                decode_options_default(&o);
                o.strategy = DECODE_BEAM;
                o.beam_size = cfg < 3 ? 5 : 3;
                o.nbest = o.beam_size;
                o.max_len = 10;
                o.lenpen = (LengthPenalty)(cfg % 3);
                o.alpha = 1.0f;
                o.early_stop = cfg == 4 ? EARLY_STOP_K_DONE : EARLY_STOP_BOUND;
                if (cfg == 5 && m->cfg.scorer != ATTN_NONE) o.coverage_beta = 0.4f;
                DecodeResult b;
                run(m, src, S, &o, NULL, &b);
                check_result(m, src, S, &o, &b);
                decode_result_free(&b);
            }
        }
        seq2seq_free(m);
    }
}

/* Beam steps of several rows use the model's packed weights (Seq2SeqPack). After the weights
 * change, seq2seq_weights_changed makes them fall back to W itself and seq2seq_update_pack
 * brings the copies up to date (both give outputs that rescore exactly); an outdated pack
 * nobody was told about is what the contract forbids, and it visibly decodes the old model. */
static void test_pack_follows_weights(void **state) {
    (void)state;
    for (int mi = 0; mi < NMODELS; mi++) {
        Seq2Seq *m = load_fixture(MODELS[mi]);
        int src[SEQ2SEQ_MAX_SOURCE], S = source(m, INPUTS[2], src);
        DecodeOptions o;
        decode_options_default(&o);
        o.strategy = DECODE_BEAM;
        o.beam_size = 4;
        o.nbest = 4;
        o.max_len = 10;
        DecodeResult outdated, stale, updated;
        float *out_w = (float *)m->w.out_w; /* (Vt, H) inside m->block */
        long n = (long)vocab_size(m->tgt_vocab) * m->cfg.hidden;
        for (long i = 0; i < n; i++) out_w[i] = -out_w[i];
        run(m, src, S, &o, NULL, &outdated); /* the pack still holds the old out_w */
        seq2seq_weights_changed(m);
        assert_null(m->pack.out_packed);
        run(m, src, S, &o, NULL, &stale);
        check_result(m, src, S, &o, &stale);
        seq2seq_update_pack(m);
        assert_non_null(m->pack.out_packed);
        run(m, src, S, &o, NULL, &updated);
        check_result(m, src, S, &o, &updated);
        assert_int_equal(stale.count, updated.count);
        for (int k = 0; k < stale.count; k++) assert_float_equal(stale.hyps[k].logprob, updated.hyps[k].logprob, TOL);
        double moved = 0; /* steps after the first (several rows) decoded the old out_w */
        for (int k = 0; k < outdated.count && k < updated.count; k++) moved += fabs(outdated.hyps[k].logprob - updated.hyps[k].logprob);
        if (!(moved > 1e-3)) fail_msg("%s: a fresh-marked outdated pack decoded the new weights", MODELS[mi]);
        decode_result_free(&outdated);
        decode_result_free(&stale);
        decode_result_free(&updated);
        seq2seq_free(m);
    }
}

static void test_min_len_and_cap(void **state) {
    (void)state;
    Seq2Seq *m = load_fixture("tutorial-gru-bahdanau");
    int src[SEQ2SEQ_MAX_SOURCE], S = source(m, "a b c", src);
    DecodeOptions o;
    decode_options_default(&o);
    o.max_len = 12;
    for (int strategy = 0; strategy < 2; strategy++) {
        o.strategy = strategy ? DECODE_BEAM : DECODE_GREEDY;
        o.nbest = strategy ? 4 : 1;
        for (int min_len = 0; min_len <= 8; min_len += 2) {
            o.min_len = min_len;
            DecodeResult r;
            run(m, src, S, &o, NULL, &r);
            for (int i = 0; i < r.count; i++) assert_true(r.hyps[i].len >= min_len);
            decode_result_free(&r);
        }
    }
    /* cap 1 with <eos> blocked at step 0: nothing can finish, the n-best is unfinished */
    o.strategy = DECODE_BEAM;
    o.beam_size = 4;
    o.nbest = 3;
    o.min_len = 1;
    o.max_len = 1;
    DecodeResult r;
    run(m, src, S, &o, NULL, &r);
    check_result(m, src, S, &o, &r);
    assert_int_equal(r.count, 3);
    for (int i = 0; i < 3; i++) {
        assert_false(r.hyps[i].finished);
        assert_int_equal(r.hyps[i].len, 1);
    }
    decode_result_free(&r);
    seq2seq_free(m);
}

static int has_repeat(const int *tok, int len, int n) {
    for (int i = 0; i + n <= len; i++)
        for (int j = i + 1; j + n <= len; j++)
            if (!memcmp(tok + i, tok + j, (size_t)n * sizeof(int))) return 1;
    return 0;
}

static void test_no_repeat_ngram(void **state) {
    (void)state;
    int repeats_without = 0;
    for (int mi = 0; mi < NMODELS; mi++) {
        Seq2Seq *m = load_fixture(MODELS[mi]);
        int src[SEQ2SEQ_MAX_SOURCE], S = source(m, "a b c d", src);
        for (int n = 1; n <= 3; n++) {
            DecodeOptions o;
            decode_options_default(&o);
            o.strategy = DECODE_BEAM;
            o.beam_size = 4;
            o.nbest = 4;
            o.max_len = 14;
            DecodeResult r;
            run(m, src, S, &o, NULL, &r);
            for (int i = 0; i < r.count; i++) repeats_without += has_repeat(r.hyps[i].tokens, r.hyps[i].len, n);
            decode_result_free(&r);
            o.no_repeat_ngram = n;
            Trace *t = trace_new();
            EventSink sink = trace_sink(t);
            run(m, src, S, &o, &sink, &r);
            check_result(m, src, S, &o, &r);
            for (int i = 0; i < r.count; i++)
                if (has_repeat(r.hyps[i].tokens, r.hyps[i].len, n)) fail_msg("%s: n-gram of %d repeated in hyp %d", MODELS[mi], n, i);
            for (long e = 0; e < trace_count(t); e++) {
                const Event *ev = trace_get(t, e);
                if (strcmp(ev->type, "beam_finish")) continue;
                int len;
                const int *tok = event_get_ints(ev, "tokens", &len);
                assert_false(has_repeat(tok, len, n));
            }
            decode_result_free(&r);
            trace_free(t);
        }
        seq2seq_free(m);
    }
    assert_true(repeats_without > 0); /* the option had something to block */
}

static void test_forced_prefix_and_override(void **state) {
    (void)state;
    for (int mi = 0; mi < NMODELS; mi++) {
        Seq2Seq *m = load_fixture(MODELS[mi]);
        int src[SEQ2SEQ_MAX_SOURCE], S = source(m, "b c a", src);
        int Vt = vocab_size(m->tgt_vocab);
        DecodeOptions o;
        decode_options_default(&o);
        o.max_len = 9;
        o.force_prefix_len = 3;
        o.force_prefix[0] = Vt - 1;
        o.force_prefix[1] = Vt - 1;
        o.force_prefix[2] = Vt - 2;
        float uniform[SEQ2SEQ_MAX_SOURCE];
        if (m->cfg.scorer != ATTN_NONE) {
            for (int j = 0; j < S; j++) uniform[j] = j == 0 ? 1.0f : 0.0f;
            o.override_step = 4;
            o.override_weights = uniform;
            o.override_len = S;
        }
        for (int strategy = 0; strategy < 2; strategy++) {
            o.strategy = strategy ? DECODE_BEAM : DECODE_GREEDY;
            o.nbest = strategy ? 3 : 1;
            o.beam_size = 3;
            Trace *t = trace_new();
            EventSink sink = trace_sink(t);
            DecodeResult r;
            run(m, src, S, &o, &sink, &r);
            if (strategy) check_result(m, src, S, &o, &r);
            for (int i = 0; i < r.count; i++) {
                assert_true(r.hyps[i].len >= 3);
                assert_memory_equal(r.hyps[i].tokens, o.force_prefix, 3 * sizeof(int));
                if (o.override_step >= 0 && r.hyps[i].steps > 4)
                    assert_memory_equal(r.hyps[i].attention + (size_t)4 * S, uniform, (size_t)S * sizeof(float));
            }
            for (long e = 0; e < trace_count(t); e++) {
                const Event *ev = trace_get(t, e);
                if (strcmp(ev->type, "beam_expand")) continue;
                int n;
                event_get_ints(ev, "token", &n);
                long step = event_get_int(ev, "step", -1);
                assert_int_equal(event_get_int(ev, "forced", -1), step < 3);
                if (step < 3) assert_int_equal(n, 1);
            }
            decode_result_free(&r);
            trace_free(t);
        }
        seq2seq_free(m);
    }
}

static void test_sampling(void **state) {
    (void)state;
    Seq2Seq *m = load_fixture("gru-additive-prev-bi2-last");
    int src[SEQ2SEQ_MAX_SOURCE], S = source(m, "a b c d", src);
    DecodeOptions o;
    decode_options_default(&o);
    o.max_len = 12;
    DecodeResult g;
    run(m, src, S, &o, NULL, &g);
    o.strategy = DECODE_SAMPLE;
    o.temperature = 1.5f;
    int differ = 0;
    DecodeResult a, b;
    o.seed = 7;
    run(m, src, S, &o, NULL, &a);
    run(m, src, S, &o, NULL, &b);
    assert_string_equal(a.hyps[0].text, b.hyps[0].text);
    assert_true(a.hyps[0].logprob == b.hyps[0].logprob);
    decode_result_free(&b);
    for (uint64_t seed = 8; seed < 28; seed++) {
        o.seed = seed;
        run(m, src, S, &o, NULL, &b);
        differ += strcmp(a.hyps[0].text, b.hyps[0].text) != 0;
        decode_result_free(&b);
    }
    assert_true(differ > 0);
    decode_result_free(&a);
    /* top_k = 1: always the argmax, whatever the seed and temperature */
    o.top_k = 1;
    for (uint64_t seed = 1; seed < 6; seed++) {
        o.seed = seed;
        run(m, src, S, &o, NULL, &b);
        assert_string_equal(b.hyps[0].text, g.hyps[0].text);
        assert_true(fabs(b.hyps[0].logprob - g.hyps[0].logprob) < 1e-9);
        decode_result_free(&b);
    }
    decode_result_free(&g);
    seq2seq_free(m);
}

static char *jsonl(const Seq2Seq *m, const int *src, int S, const DecodeOptions *o, Trace **keep) {
    Trace *t = trace_new();
    EventSink sink = trace_sink(t);
    DecodeResult r;
    run(m, src, S, o, &sink, &r);
    decode_result_free(&r);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    Status st = {0};
    if (trace_write_jsonl(t, f, &st)) fail_msg("%s", st.message);
    fclose(f);
    if (keep) *keep = t;
    else trace_free(t);
    return buf;
}

static int contains(const int *a, int n, int v) {
    for (int i = 0; i < n; i++) if (a[i] == v) return 1;
    return 0;
}

static void test_beam_events(void **state) {
    (void)state;
    for (int mi = 0; mi < NMODELS; mi++) {
        Seq2Seq *m = load_fixture(MODELS[mi]);
        int src[SEQ2SEQ_MAX_SOURCE], S = source(m, "c a b", src);
        DecodeOptions o;
        decode_options_default(&o);
        o.strategy = DECODE_BEAM;
        o.beam_size = 4;
        o.nbest = 3;
        o.max_len = 8;
        o.min_len = 2;
        o.no_repeat_ngram = 2;
        o.lenpen = LENPEN_GNMT;
        Trace *t;
        char *one = jsonl(m, src, S, &o, &t);
        char *two = jsonl(m, src, S, &o, NULL);
        assert_string_equal(one, two);
        free(one);
        free(two);

        const int *kept = NULL;
        int nkept = 0, expands = 0, selects = 0, finishes = 0, seen_run_end = 0;
        long step = -1;
        int ids_seen[4096], nids = 1;
        ids_seen[0] = 0;
        for (long e = 0; e < trace_count(t); e++) {
            const Event *ev = trace_get(t, e);
            if (!strcmp(ev->type, "beam_expand")) {
                int np, nalive;
                const int *parent = event_get_ints(ev, "parent", &np);
                const int *alive = event_get_ints(ev, "alive", &nalive);
                assert_int_equal(event_get_int(ev, "step", -1), step + 1);
                step++;
                if (step == 0) { assert_int_equal(nalive, 1); assert_int_equal(alive[0], 0); }
                else {
                    assert_int_equal(nalive, nkept); /* the same ids; alive is in rank order */
                    for (int i = 0; i < nkept; i++) assert_true(contains(alive, nalive, kept[i]));
                }
                for (int i = 0; i < nalive; i++) assert_true(contains(parent, np, alive[i]));
                for (int i = 0; i < np; i++) assert_true(contains(alive, nalive, parent[i]));
                int n;
                assert_non_null(event_get_strs(ev, "token_str", &n)); assert_int_equal(n, np);
                assert_non_null(event_get_floats(ev, "score", &n)); assert_int_equal(n, np);
                assert_non_null(event_get_floats(ev, "cum_logprob", &n)); assert_int_equal(n, np);
                assert_non_null(event_get_floats(ev, "token_logprob", &n)); assert_int_equal(n, np);
                const Event *sel = trace_get(t, e + 1);
                assert_string_equal(sel->type, "beam_select");
                const char *const *status = event_get_strs(sel, "status", &n);
                assert_int_equal(n, np);
                const int *new_id = event_get_ints(sel, "new_id", &n);
                assert_int_equal(n, np);
                const int *token = event_get_ints(ev, "token", &n);
                nkept = 0;
                static int kept_buf[DECODE_MAX_BEAM];
                for (int i = 0; i < np; i++) {
                    if (!strcmp(status[i], "kept")) {
                        assert_true(new_id[i] > 0);
                        assert_false(contains(ids_seen, nids, new_id[i])); /* unique over the run */
                        ids_seen[nids++] = new_id[i];
                        kept_buf[nkept++] = new_id[i];
                    } else {
                        assert_int_equal(new_id[i], -1);
                        assert_true(!strcmp(status[i], "pruned_topk") || !strcmp(status[i], "blocked_ngram") ||
                                    !strcmp(status[i], "blocked_minlen") || !strcmp(status[i], "finished"));
                    }
                    if (!strcmp(status[i], "blocked_minlen")) { assert_int_equal(token[i], m->tgt_eos); assert_true(step < 2); }
                    if (!strcmp(status[i], "finished")) assert_int_equal(token[i], m->tgt_eos);
                    if (token[i] == m->tgt_eos && step < 2) assert_string_equal(status[i], "blocked_minlen");
                }
                assert_true(nkept <= o.beam_size);
                kept = kept_buf;
                expands++;
            } else if (!strcmp(ev->type, "beam_select")) {
                selects++;
            } else if (!strcmp(ev->type, "beam_finish")) {
                long id = event_get_int(ev, "hyp", -1);
                assert_true(id > 0);
                if (event_get_int(ev, "finished", -1)) {
                    assert_false(contains(ids_seen, nids, (int)id));
                    ids_seen[nids++] = (int)id;
                }
                finishes++;
            } else if (!strcmp(ev->type, "output")) {
                assert_null(event_get(ev, "chosen"));
            } else if (!strcmp(ev->type, "run_end")) {
                seen_run_end = 1;
                int n;
                event_get_strs(ev, "nbest", &n);
                assert_true(n >= 1 && n <= 3);
            }
        }
        assert_true(expands > 0);
        assert_int_equal(expands, selects);
        assert_true(finishes > 0);
        assert_true(seen_run_end);
        trace_free(t);
        seq2seq_free(m);
    }
}

static void test_bad_options(void **state) {
    (void)state;
    Seq2Seq *m = load_fixture("gru-none");
    int src[SEQ2SEQ_MAX_SOURCE], S = source(m, "a b", src);
    DecodeOptions o;
    decode_options_default(&o);
    o.strategy = DECODE_BEAM;
    o.beam_size = 2;
    o.nbest = 3;
    DecodeResult r;
    Status st = {0};
    assert_int_equal(decode_run(m, src, S, &o, NULL, &r, &st), -1);
    assert_non_null(strstr(st.message, "nbest"));
    o.nbest = 1;
    o.coverage_beta = 0.5f; /* no attention in gru-none */
    assert_int_equal(decode_run(m, src, S, &o, NULL, &r, &st), -1);
    assert_non_null(strstr(st.message, "coverage"));
    decode_result_free(&r);
    seq2seq_free(m);
}

int main(void) {
    tensor_set_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_beam1_is_greedy),
        cmocka_unit_test(test_beam_exhaustive),
        cmocka_unit_test(test_nbest_sorted_distinct_rescored),
        cmocka_unit_test(test_pack_follows_weights),
        cmocka_unit_test(test_min_len_and_cap),
        cmocka_unit_test(test_no_repeat_ngram),
        cmocka_unit_test(test_forced_prefix_and_override),
        cmocka_unit_test(test_sampling),
        cmocka_unit_test(test_beam_events),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
