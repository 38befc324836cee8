/* test_train_grad.c — the trainer's backward passes are proven three ways.
 *
 * (a) PyTorch: for both batch fixtures (tests/reference/fixtures/batch-*), a padded batch
 *     of 3 sentences with teacher forcing: the loss and d loss / d parameter of every
 *     tensor match autograd to 1e-4 (absolute + relative).
 * (b) Finite differences: tiny random models (train_model_new → seq2seq_from_safetensors)
 *     for every cell × scorer × window × query mode (prev; current; current + input feed),
 *     with layers, bidirectionality, dec_init, query_context and query_lang varied across
 *     the grid, on a padded batch of 3 rows of different source and target lengths:
 *     central differences (double) on random coordinates of every tensor.
 * (c) The trainer's teacher-forcing forward gives the same log-probs as
 *     seq2seq_encode + seq2seq_decode_step one sentence at a time (1e-5). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <cmocka.h>

#include "attnstep/safetensors.h"
#include "attnstep/seq2seq.h"
#include "attnstep/train.h"

#define FIXTURES ATTNSTEP_SOURCE_DIR "/tests/reference/fixtures"

/* ---- helpers ---- */

typedef struct Batch {
    int B, S, T;
    int src[3 * 16], src_len[3], tgt[3 * 16], tgt_len[3];
    TrainBatch tb;
} Batch;

static void batch_finish(Batch *b) {
    b->tb = (TrainBatch){b->B, b->S, b->T, b->src, b->src_len, b->tgt, b->tgt_len};
}

/* Fills a Batch from JSON arrays of id lists (padding with id 0). */
static void batch_from_json(Batch *bt, const char *src_json, const char *tgt_json) {
    cJSON *s = cJSON_Parse(src_json), *t = cJSON_Parse(tgt_json);
    assert_non_null(s);
    assert_non_null(t);
    bt->B = cJSON_GetArraySize(s);
    assert_int_equal(bt->B, 3);
    bt->S = bt->T = 0;
    for (int b = 0; b < bt->B; b++) {
        int n = cJSON_GetArraySize(cJSON_GetArrayItem(s, b)), k = cJSON_GetArraySize(cJSON_GetArrayItem(t, b));
        bt->src_len[b] = n;
        bt->tgt_len[b] = k;
        if (n > bt->S) bt->S = n;
        if (k > bt->T) bt->T = k;
    }
    assert_true(bt->S <= 16 && bt->T <= 16);
    for (int b = 0; b < bt->B; b++) {
        for (int i = 0; i < bt->S; i++)
            bt->src[b * bt->S + i] = i < bt->src_len[b] ? cJSON_GetArrayItem(cJSON_GetArrayItem(s, b), i)->valueint : 0;
        for (int i = 0; i < bt->T; i++)
            bt->tgt[b * bt->T + i] = i < bt->tgt_len[b] ? cJSON_GetArrayItem(cJSON_GetArrayItem(t, b), i)->valueint : 0;
    }
    cJSON_Delete(s);
    cJSON_Delete(t);
    batch_finish(bt);
}

/* (c): the trainer's log-probs equal seq2seq_decode_step's, sentence by sentence. */
static void check_against_decoder(const Seq2Seq *m, TrainActs *a, const Batch *bt) {
    Status st = {0};
    Seq2SeqRun *run = seq2seq_run_new(m, bt->S, 1, &st);
    assert_non_null(run);
    int Vt = vocab_size(m->tgt_vocab);
    float *s0 = malloc((size_t)m->state_size * sizeof(float)), *s1 = malloc((size_t)m->state_size * sizeof(float));
    float *lp = malloc((size_t)Vt * sizeof(float));
    for (int b = 0; b < bt->B; b++) {
        assert_int_equal(seq2seq_encode(m, run, bt->src + b * bt->S, bt->src_len[b], NULL, &st), 0);
        seq2seq_initial_state(m, run, s0);
        int tok = m->tgt_sos;
        for (int t = 0; t < bt->tgt_len[b]; t++) {
            assert_int_equal(seq2seq_decode_step(m, run, s1, lp, s0, &tok, NULL, NULL, 1, t, NULL, &st), 0);
            const float *mine = train_logprobs(a, t, b);
            for (int i = 0; i < Vt; i++)
                if (!(fabsf(mine[i] - lp[i]) <= 1e-5f + 1e-5f * fabsf(lp[i])))
                    fail_msg("row %d step %d logprob %d: trainer %.9g, decoder %.9g", b, t, i, mine[i], lp[i]);
            tok = bt->tgt[b * bt->T + t];
            float *x = s0; s0 = s1; s1 = x;
        }
    }
    free(s0); free(s1); free(lp);
    seq2seq_run_free(run);
}

/* ---- (a) PyTorch fixtures ---- */

static void fixture_case(const char *name) {
    char path[512];
    Status st = {0};
    snprintf(path, sizeof path, "%s/%s.model.safetensors", FIXTURES, name);
    Seq2Seq *m = seq2seq_load(path, &st);
    if (!m) fail_msg("%s", st.message);
    snprintf(path, sizeof path, "%s/%s.expected.safetensors", FIXTURES, name);
    SafeTensors *f = safetensors_load(path, &st);
    if (!f) fail_msg("%s", st.message);
    Batch bt;
    batch_from_json(&bt, safetensors_meta(f, "src_ids"), safetensors_meta(f, "targets"));
    TrainActs *a = train_acts_new(m, bt.B, bt.S, bt.T, &st);
    assert_non_null(a);
    float *grad = calloc((size_t)m->param_count, sizeof(float));
    float loss = train_forward(m, a, &bt.tb, 0.0f, NULL);
    train_backward(m, a, grad);
    float want = safetensors_find(f, "loss")->data[0];
    if (!(fabsf(loss - want) <= 1e-4f + 1e-4f * fabsf(want))) fail_msg("%s: loss %.9g, PyTorch %.9g", name, loss, want);
    /* teacher-forcing log-probs */
    for (int b = 0; b < bt.B; b++) {
        char key[64];
        snprintf(key, sizeof key, "tf.logprobs.s%d", b);
        const SafeTensor *x = safetensors_find(f, key);
        assert_non_null(x);
        int Vt = vocab_size(m->tgt_vocab);
        for (int t = 0; t < bt.tgt_len[b]; t++)
            for (int i = 0; i < Vt; i++) {
                float g = train_logprobs(a, t, b)[i], w = x->data[t * Vt + i];
                if (!(fabsf(g - w) <= 1e-4f + 1e-4f * fabsf(w))) fail_msg("%s %s[%d][%d]: %.9g vs PyTorch %.9g", name, key, t, i, g, w);
            }
    }
    TrainParam ps[128];
    int np = train_params(m, ps, 128);
    int checked = 0;
    double worst = 0.0;
    for (int p = 0; p < np; p++) {
        char key[128];
        snprintf(key, sizeof key, "grad.%.100s", ps[p].name);
        const SafeTensor *x = safetensors_find(f, key);
        if (!x) fail_msg("%s: fixture has no %s", name, key);
        assert_int_equal(x->numel, ps[p].numel);
        for (long i = 0; i < ps[p].numel; i++) {
            float g = grad[ps[p].offset + i], w = x->data[i];
            double err = fabs((double)g - w);
            if (err > worst) worst = err;
            if (!(err <= 1e-4 + 1e-4 * fabs(w))) fail_msg("%s %s[%ld]: trainer %.9g, PyTorch %.9g", name, key, i, g, w);
            checked++;
        }
    }
    /* every fixture gradient is a parameter */
    int grads_in_file = 0;
    for (int i = 0; i < f->count; i++) grads_in_file += !strncmp(f->tensors[i].name, "grad.", 5);
    assert_int_equal(grads_in_file, np);
    print_message("%s: loss %.6f, %d tensors / %d gradient values match PyTorch (worst abs error %.2g)\n", name, loss, np, checked, worst);
    check_against_decoder(m, a, &bt);
    free(grad);
    train_acts_free(a);
    safetensors_free(f);
    seq2seq_free(m);
}

static void test_fixture_gru(void **state) { (void)state; fixture_case("batch-gru-additive-prev-bi2"); }
static void test_fixture_lstm(void **state) { (void)state; fixture_case("batch-lstm-general-localp2-current-feed-bi"); }

/* ---- (b) finite differences ---- */

static uint64_t rs = 99;
static uint64_t rnd(void) {
    rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
    return rs;
}

typedef struct Combo {
    const char *cell, *nonlin, *attention, *window, *query;
    int feed, layers, bi, zeros, qctx, qlang, hidden, emb;
} Combo;

static Seq2Seq *tiny_model(const Combo *c, uint64_t seed) {
    char cfg[512];
    snprintf(cfg, sizeof cfg,
             "{\"cell\":\"%s\",\"nonlinearity\":\"%s\",\"hidden\":%d,\"emb\":%d,\"layers\":%d,\"bidirectional\":%s,"
             "\"attention\":\"%s\",\"window\":\"%s\",\"window_d\":1,\"query\":\"%s\",\"input_feed\":%s,\"dec_init\":\"%s\","
             "\"query_context\":%s,\"query_lang\":%s,\"max_src_len\":8}",
             c->cell, c->nonlin, c->hidden, c->emb, c->layers, c->bi ? "true" : "false", c->attention, c->window, c->query,
             c->feed ? "true" : "false", c->zeros ? "zeros" : "last", c->qctx ? "true" : "false", c->qlang ? "true" : "false");
    const char *vs = "[\"<pad>\",\"<unk>\",\"<sos>\",\"<eos>\",\"<2fr>\",\"a\",\"b\",\"c\"]";
    const char *vt = "[\"<pad>\",\"<unk>\",\"<sos>\",\"<eos>\",\"x\",\"y\",\"z\"]";
    Status st = {0};
    Seq2Seq *m;
    if (!strcmp(c->cell, "tutorial")) /* arch tutorial-gru-bahdanau: SOS/EOS at ids 0/1, H = E */
        m = train_model_new("tutorial-gru-bahdanau", NULL, c->hidden, "[\"SOS\",\"EOS\",\"<2fr>\",\"<pad>\",\"a\",\"b\",\"c\",\"d\"]",
                            "[\"SOS\",\"EOS\",\"x\",\"y\",\"z\",\"w\",\"v\"]", seed, NULL, NULL, 0, &st);
    else m = train_model_new("rnn-seq2seq", cfg, 0, vs, vt, seed, NULL, NULL, 0, &st);
    if (!m) fail_msg("%s: %s", cfg, st.message);
    /* larger weights than the default init so that gates and attention are not flat */
    for (long i = 0; i < m->param_count; i++) m->block[i] *= 1.6f;
    return m;
}

static void tiny_batch(Batch *bt) {
    /* rows of different lengths; sources start with <2fr> (id 4) for query_lang */
    static const int src[3][6] = {{4, 5, 6, 7, 5, 3}, {4, 7, 3, 0, 0, 0}, {4, 6, 5, 3, 0, 0}};
    static const int sl[3] = {6, 3, 4};
    static const int tgt[3][5] = {{4, 5, 6, 4, 3}, {6, 3, 0, 0, 0}, {5, 5, 4, 3, 0}};
    static const int tl[3] = {5, 2, 4};
    bt->B = 3; bt->S = 6; bt->T = 5;
    for (int b = 0; b < 3; b++) {
        for (int i = 0; i < 6; i++) bt->src[b * 6 + i] = src[b][i];
        for (int i = 0; i < 5; i++) bt->tgt[b * 5 + i] = tgt[b][i];
        bt->src_len[b] = sl[b];
        bt->tgt_len[b] = tl[b];
    }
    batch_finish(bt);
}

/* Zero pattern of the attention weights (local windows) of the last forward. */
static void weight_pattern(const TrainActs *a, const Seq2Seq *m, const Batch *bt, unsigned char *pat) {
    if (m->cfg.scorer == ATTN_NONE) return;
    for (int t = 0; t < bt->T; t++)
        for (int b = 0; b < bt->B; b++) {
            const float *w = train_weights(a, t, b);
            for (int j = 0; j < bt->S; j++) pat[(t * bt->B + b) * bt->S + j] = w[j] != 0.0f;
        }
}

/* Returns the number of coordinates checked; fails on a mismatch. */
static int fd_check(const Combo *c, uint64_t seed, int coords_per_tensor, double *worst_rel) {
    Seq2Seq *m = tiny_model(c, seed);
    Batch bt;
    tiny_batch(&bt);
    Status st = {0};
    TrainActs *a = train_acts_new(m, bt.B, bt.S, bt.T, &st);
    assert_non_null(a);
    float *grad = calloc((size_t)m->param_count, sizeof(float));
    train_forward(m, a, &bt.tb, 0.0f, NULL);
    check_against_decoder(m, a, &bt);
    train_backward(m, a, grad);
    TrainParam ps[128];
    int np = train_params(m, ps, 128), checked = 0;
    unsigned char pat0[16 * 3 * 16], pat1[16 * 3 * 16];
    for (int p = 0; p < np; p++) {
        int n = ps[p].numel < coords_per_tensor ? (int)ps[p].numel : coords_per_tensor;
        for (int k = 0; k < n; k++) {
            long i = ps[p].numel <= coords_per_tensor ? k : (long)(rnd() % (uint64_t)ps[p].numel);
            float *w = m->block + ps[p].offset + i;
            float keep = *w;
            double fd = 0.0, an = grad[ps[p].offset + i], err = 0.0, tol = 1e-3 + 2e-2 * fabs(an);
            int skip = 0;
            /* h = 1e-2; on a mismatch again with 1e-3 and 1e-4 (a ReLU kink inside ±h makes
             * the wider difference meaningless) */
            for (int attempt = 0; attempt < 3; attempt++) {
                float h = attempt == 0 ? 1e-2f : attempt == 1 ? 1e-3f : 1e-4f;
                *w = keep + h;
                double lp = train_forward(m, a, &bt.tb, 0.0f, NULL);
                weight_pattern(a, m, &bt, pat0);
                *w = keep - h;
                double lm = train_forward(m, a, &bt.tb, 0.0f, NULL);
                weight_pattern(a, m, &bt, pat1);
                *w = keep;
                skip = m->cfg.scorer != ATTN_NONE && memcmp(pat0, pat1, (size_t)bt.T * bt.B * bt.S); /* a window bound moved */
                fd = (lp - lm) / (2.0 * (double)h);
                err = fabs(fd - an);
                if (skip || err <= tol) break;
            }
            if (skip) continue;
            if (err / (fabs(an) + 1e-3) > *worst_rel && fabs(an) > 1e-3) *worst_rel = err / (fabs(an) + 1e-3);
            if (!(err <= tol))
                fail_msg("%s/%s/%s/%s%s L%d%s%s%s%s: d loss / d %s[%ld]: backward %.7g, finite difference %.7g",
                         c->cell, c->nonlin, c->attention, c->window, c->feed ? "+feed" : "", c->layers, c->bi ? " bi" : "",
                         c->zeros ? " zeros" : "", c->qctx ? " qctx" : "", c->qlang ? " qlang" : "", ps[p].name, i, an, fd);
            checked++;
        }
    }
    free(grad);
    train_acts_free(a);
    seq2seq_free(m);
    return checked;
}

static void test_finite_differences(void **state) {
    (void)state;
    static const char *cells[][2] = {{"elman", "tanh"}, {"elman", "relu"}, {"gru", "tanh"}, {"lstm", "tanh"}};
    static const char *scorers[] = {"additive", "concat", "dot", "general", "scaled_dot", "cosine", "location"};
    static const char *windows[] = {"global", "local-m", "local-p"};
    static const char *queries[][2] = {{"prev", ""}, {"current", ""}, {"current", "feed"}};
    int combos = 0, coords = 0;
    double worst = 0.0;
    for (int ci = 0; ci < 4; ci++) {
        /* no attention */
        Combo none = {cells[ci][0], cells[ci][1], "none", "global", "prev", 0, 1 + ci % 2, ci % 2 == 0, ci == 3, 0, 0, 4, 3};
        coords += fd_check(&none, 100 + ci, 24, &worst);
        combos++;
        for (int si = 0; si < 7; si++)
            for (int wi = 0; wi < 3; wi++)
                for (int qi = 0; qi < 3; qi++) {
                    int k = ((ci * 7 + si) * 3 + wi) * 3 + qi;
                    int direct = si == 2 || si == 4 || si == 5; /* dot / scaled_dot / cosine: Q = H */
                    Combo c = {cells[ci][0], cells[ci][1], scorers[si], windows[wi], queries[qi][0], queries[qi][1][0] != 0,
                               1 + (k % 2), (k / 2) % 2, (k % 5) == 0, !direct && (k % 3) != 0, !direct && (k % 4) < 2, 4, 3};
                    coords += fd_check(&c, 1000 + (uint64_t)k, 12, &worst);
                    combos++;
                }
    }
    print_message("finite differences: %d configurations, %d coordinates, worst relative error %.3g\n", combos, coords, worst);
}

/* The two featured paths with many coordinates per tensor. */
static void test_finite_differences_featured(void **state) {
    (void)state;
    Combo tut = {"tutorial", "tanh", "additive", "global", "prev", 0, 1, 0, 0, 0, 0, 6, 6};
    Combo gru = {"gru", "tanh", "additive", "global", "prev", 0, 1, 0, 0, 0, 0, 6, 4};
    Combo luong = {"lstm", "tanh", "general", "global", "current", 1, 2, 1, 0, 0, 0, 6, 4};
    Combo localp = {"lstm", "tanh", "general", "local-p", "current", 1, 1, 1, 0, 1, 1, 6, 4};
    double worst = 0.0;
    int n = fd_check(&tut, 7, 48, &worst) + fd_check(&gru, 6, 48, &worst) + fd_check(&luong, 8, 48, &worst) + fd_check(&localp, 9, 48, &worst);
    print_message("featured finite differences: %d coordinates, worst relative error %.3g\n", n, worst);
}

/* Dropout: with the mask generator reset before every forward, the masks are fixed and
 * the loss is a smooth function of the weights again. */
static void test_dropout_gradient(void **state) {
    (void)state;
    Combo c = {"lstm", "tanh", "additive", "global", "prev", 0, 2, 1, 0, 1, 1, 4, 3};
    Seq2Seq *m = tiny_model(&c, 77);
    Batch bt;
    tiny_batch(&bt);
    Status st = {0};
    TrainActs *a = train_acts_new(m, bt.B, bt.S, bt.T, &st);
    float *grad = calloc((size_t)m->param_count, sizeof(float));
    uint64_t rng = 5;
    float l0 = train_forward(m, a, &bt.tb, 0.3f, &rng);
    train_backward(m, a, grad);
    rng = 5;
    assert_true(train_forward(m, a, &bt.tb, 0.3f, &rng) == l0); /* same masks, same loss */
    assert_true(train_forward(m, a, &bt.tb, 0.0f, NULL) != l0); /* dropout changed something */
    TrainParam ps[128];
    int np = train_params(m, ps, 128), checked = 0;
    for (int p = 0; p < np; p++)
        for (int k = 0; k < 8 && k < ps[p].numel; k++) {
            long i = (long)(rnd() % (uint64_t)ps[p].numel);
            float *w = m->block + ps[p].offset + i, keep = *w, h = 1e-2f;
            *w = keep + h; rng = 5;
            double lp = train_forward(m, a, &bt.tb, 0.3f, &rng);
            *w = keep - h; rng = 5;
            double lm = train_forward(m, a, &bt.tb, 0.3f, &rng);
            *w = keep;
            double fd = (lp - lm) / (2.0 * h), an = grad[ps[p].offset + i];
            if (!(fabs(fd - an) <= 1e-3 + 2e-2 * fabs(an))) fail_msg("dropout: d loss / d %s[%ld]: backward %.7g, finite difference %.7g", ps[p].name, i, an, fd);
            checked++;
        }
    print_message("dropout 0.3: %d coordinates match finite differences\n", checked);
    free(grad);
    train_acts_free(a);
    seq2seq_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_gru),
        cmocka_unit_test(test_fixture_lstm),
        cmocka_unit_test(test_finite_differences_featured),
        cmocka_unit_test(test_finite_differences),
        cmocka_unit_test(test_dropout_gradient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
