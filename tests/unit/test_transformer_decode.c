/* test_transformer_decode.c — decode.h's strategies on a trained Transformer (the shipped
 * assets/models/reverse-transformer.safetensors) through model.h.
 *
 * - model_load picks the Transformer by arch; an RNN model loads as before;
 * - greedy decode_run_model == transformer_greedy (tokens and the attention argmax) and is
 *   correct (reversal); its trace holds tfm_attn events for every layer, head and kind with
 *   weights summing to 1, and output events for every step;
 * - beam k=1 == greedy; beam k=4's best scores >= greedy and re-scores (decode_score_model)
 *   to its logprob; hypothesis attention rows sum to 1;
 * - forced prefix, seeded sampling, the default cap (S + 4), a --max-len beyond the cache,
 *   and the refused attention override. */
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
#include "attnstep/model.h"

#define MODEL ATTNSTEP_SOURCE_DIR "/assets/models/reverse-transformer.safetensors"

static Model *load(void) {
    Status st = {0};
    Model *m = model_load(MODEL, &st);
    if (!m) fprintf(stderr, "%s\n", st.message);
    assert_non_null(m);
    assert_int_equal(m->kind, MODEL_TRANSFORMER);
    return m;
}

static void ids(const Model *m, const char *text, int *src, int *S) {
    Status st = {0};
    assert_int_equal(model_source_ids(m, text, src, MODEL_MAX_SOURCE, S, NULL, &st), 0);
}

static void test_load_kinds(void **unused) {
    (void)unused;
    Model *m = load();
    assert_string_equal(m->arch, "tutorial-transformer");
    assert_int_equal(m->tgt_sos, 2);
    assert_int_equal(m->tgt_eos, 3);
    assert_true(m->has_attention);
    assert_false(m->can_override);
    model_free(m);
    Status st = {0};
    Model *r = model_load(ATTNSTEP_SOURCE_DIR "/assets/models/reverse-tutorial.safetensors", &st);
    assert_non_null(r);
    assert_int_equal(r->kind, MODEL_SEQ2SEQ);
    model_free(r);
    st = (Status){0};
    assert_null(model_load("/nonexistent/x.safetensors", &st));
    assert_true(st.message[0] != '\0');
}

static void test_greedy_and_trace(void **unused) {
    (void)unused;
    Model *m = load();
    int src[MODEL_MAX_SOURCE], S;
    ids(m, "a b c d e f g", src, &S);
    assert_int_equal(S, 9);
    DecodeOptions o;
    decode_options_default(&o);
    Trace *t = trace_new();
    EventSink sink = trace_sink(t);
    DecodeResult res;
    Status st = {0};
    assert_int_equal(decode_run_model(m, src, S, &o, &sink, &res, &st), 0);
    assert_string_equal(res.hyps[0].text, "g f e d c b a");
    assert_true(res.hyps[0].finished);
    /* == transformer_greedy */
    TransformerRun *run = transformer_run_new(m->tfm, S, 1, &st);
    int out[64], n, amax[64];
    assert_int_equal(transformer_greedy(m->tfm, run, src, S, 64, out, &n, amax, &st), 0);
    assert_int_equal(n, res.hyps[0].len);
    assert_memory_equal(out, res.hyps[0].tokens, (size_t)n * sizeof(int));
    assert_non_null(res.hyps[0].attention);
    assert_int_equal(res.hyps[0].steps, n + 1);
    for (int k = 0; k < n; k++) {
        const float *row = res.hyps[0].attention + (size_t)k * S;
        int best = 0;
        double sum = 0.0;
        for (int j = 0; j < S; j++) { sum += row[j]; if (row[j] > row[best]) best = j; }
        assert_float_equal(sum, 1.0, 1e-4);
        assert_int_equal(best, amax[k]);
    }
    /* events */
    const TransformerConfig *c = &m->tfm->cfg;
    long enc_self = 0, dec_self = 0, cross = 0, outputs = 0, blocks = 0;
    for (long i = 0; i < trace_count(t); i++) {
        const Event *ev = trace_get(t, i);
        if (!strcmp(ev->type, "output")) outputs++;
        if (!strcmp(ev->type, "tfm_block")) blocks++;
        if (strcmp(ev->type, "tfm_attn")) continue;
        const char *kind = event_get_str(ev, "kind");
        int nw;
        const float *w = event_get_floats(ev, "weights", &nw);
        double sum = 0.0;
        for (int j = 0; j < nw; j++) sum += w[j];
        assert_float_equal(sum, 1.0, 1e-4);
        if (!strcmp(kind, "self")) { enc_self++; assert_int_equal(nw, S); }
        else if (!strcmp(kind, "masked_self")) { dec_self++; assert_int_equal(nw, event_get_int(ev, "pos", -1) + 1); }
        else { cross++; assert_int_equal(nw, S); }
    }
    int steps = n + 1;
    assert_int_equal(enc_self, (long)c->enc_layers * c->nhead * S);
    assert_int_equal(dec_self, (long)c->dec_layers * c->nhead * steps);
    assert_int_equal(cross, (long)c->dec_layers * c->nhead * steps);
    assert_int_equal(outputs, steps);
    assert_true(blocks > 0);
    assert_string_equal(event_get_str(trace_get(t, 0), "arch"), "tutorial-transformer");
    transformer_run_free(run);
    decode_result_free(&res);
    trace_free(t);
    model_free(m);
}

static void test_beam(void **unused) {
    (void)unused;
    Model *m = load();
    int src[MODEL_MAX_SOURCE], S;
    ids(m, "h g a b c", src, &S);
    DecodeOptions o;
    decode_options_default(&o);
    DecodeResult g, b1, b4;
    Status st = {0};
    assert_int_equal(decode_run_model(m, src, S, &o, NULL, &g, &st), 0);
    o.strategy = DECODE_BEAM;
    o.beam_size = 1;
    assert_int_equal(decode_run_model(m, src, S, &o, NULL, &b1, &st), 0);
    assert_string_equal(b1.hyps[0].text, g.hyps[0].text);
    assert_float_equal(b1.hyps[0].logprob, g.hyps[0].logprob, 1e-5);
    o.beam_size = 4;
    o.nbest = 3;
    Trace *t = trace_new();
    EventSink sink = trace_sink(t);
    assert_int_equal(decode_run_model(m, src, S, &o, &sink, &b4, &st), 0);
    assert_int_equal(b4.count, 3);
    assert_string_equal(b4.hyps[0].text, "c b a g h");
    assert_true(b4.hyps[0].score >= g.hyps[0].score - 1e-6);
    for (int i = 0; i < b4.count; i++) {
        double lp;
        assert_int_equal(decode_score_model(m, src, S, b4.hyps[i].tokens, b4.hyps[i].len, b4.hyps[i].finished, &lp, &st), 0);
        assert_float_equal(lp, b4.hyps[i].logprob, 1e-3);
        for (int k = 0; k < b4.hyps[i].steps; k++) {
            double sum = 0.0;
            for (int j = 0; j < S; j++) sum += b4.hyps[i].attention[(size_t)k * S + j];
            assert_float_equal(sum, 1.0, 1e-4);
        }
    }
    long expand = 0, beams_seen = 0;
    for (long i = 0; i < trace_count(t); i++) {
        const Event *ev = trace_get(t, i);
        if (!strcmp(ev->type, "beam_expand")) expand++;
        if (!strcmp(ev->type, "tfm_attn") && event_get_int(ev, "beam", 0) > 0) beams_seen++;
    }
    assert_true(expand > 0);
    assert_true(beams_seen > 0); /* rows of other hypotheses carry their beam id */
    trace_free(t);
    decode_result_free(&g);
    decode_result_free(&b1);
    decode_result_free(&b4);
    model_free(m);
}

static void test_prefix_sampling_caps(void **unused) {
    (void)unused;
    Model *m = load();
    int src[MODEL_MAX_SOURCE], S;
    ids(m, "a b c d", src, &S);
    DecodeOptions o;
    decode_options_default(&o);
    DecodeResult r;
    Status st = {0};
    /* forced prefix */
    o.force_prefix[0] = vocab_id(m->tgt_vocab, "a");
    o.force_prefix_len = 1;
    assert_int_equal(decode_run_model(m, src, S, &o, NULL, &r, &st), 0);
    assert_int_equal(r.hyps[0].tokens[0], o.force_prefix[0]);
    decode_result_free(&r);
    o.force_prefix_len = 0;
    /* seeded sampling repeats */
    o.strategy = DECODE_SAMPLE;
    o.temperature = 3.0f;
    o.seed = 11;
    DecodeResult s1, s2;
    assert_int_equal(decode_run_model(m, src, S, &o, NULL, &s1, &st), 0);
    assert_int_equal(decode_run_model(m, src, S, &o, NULL, &s2, &st), 0);
    assert_string_equal(s1.hyps[0].text, s2.hyps[0].text);
    decode_result_free(&s1);
    decode_result_free(&s2);
    /* default cap: the tutorial's S + 4; min_len beyond it is refused */
    decode_options_default(&o);
    o.min_len = 100;
    assert_int_equal(decode_run_model(m, src, S, &o, NULL, &r, &st), -1);
    assert_non_null(strstr(st.message, "length cap 10"));
    /* a max_len beyond the decoder cache is bounded by it */
    decode_options_default(&o);
    o.max_len = 5000;
    o.min_len = m->max_positions;
    st = (Status){0};
    assert_int_equal(decode_run_model(m, src, S, &o, NULL, &r, &st), 0);
    assert_int_equal(r.hyps[0].len + r.hyps[0].finished, m->max_positions);
    decode_result_free(&r);
    /* attention override refused */
    decode_options_default(&o);
    float w[16] = {0};
    w[0] = 1.0f;
    o.override_step = 0;
    o.override_weights = w;
    o.override_len = S;
    st = (Status){0};
    assert_int_equal(decode_run_model(m, src, S, &o, NULL, &r, &st), -1);
    assert_non_null(strstr(st.message, "RNN models only"));
    model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_kinds),
        cmocka_unit_test(test_greedy_and_trace),
        cmocka_unit_test(test_beam),
        cmocka_unit_test(test_prefix_sampling_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
