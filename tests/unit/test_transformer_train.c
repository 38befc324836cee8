/* test_transformer_train.c — the training loop for the tutorial-transformer end to end.
 *
 * - transformer_new: the tutorial's shapes, the sinusoidal table, bad sizes named;
 * - the trainer's forward equals the inference forward: teacher-forced log-probs of the
 *   tape == transformer_decode_step fed the same tokens (1e-5), for post- and pre-norm;
 * - a tiny model trains on `reverse`: the loss falls and dev exact match rises;
 * - the batch gradient with 2 workers equals 1 worker (token-weighted sum), and the
 *   positional table gets no gradient;
 * - checkpoint + resume is bit-for-bit; a model file round-trips through transformer_save;
 * - dropout (transformer_train_forward_dropout's sites): dropout outside [0, 1) is refused;
 *   the masks do not depend on the worker count (2 workers give the 1-worker gradient);
 *   dropout 0 draws nothing from the generator; resume is bit-for-bit with dropout on; a
 *   short run with dropout learns and two runs give the same weights bit for bit. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "attnstep/corpus.h"
#include "attnstep/train.h"
#include "attnstep/transformer.h"

/* vocabulary JSON with <unk> <pad> <bos> <eos> first */
static char *vocab_json(const CorpusConfig *cc, int side) {
    CorpusVocab v;
    Status st = {0};
    assert_int_equal(corpus_vocab(cc, side, 1, &v, &st), 0);
    size_t cap = 128;
    for (int i = 0; i < v.n; i++) cap += strlen(v.tokens[i]) + 4;
    char *s = malloc(cap);
    strcpy(s, "[\"<unk>\",\"<pad>\",\"<bos>\",\"<eos>\"");
    for (int i = 0; i < v.n; i++) {
        const char *t = v.tokens[i];
        if (!strcmp(t, "<unk>") || !strcmp(t, "<pad>") || !strcmp(t, "<sos>") || !strcmp(t, "<eos>")) continue;
        strcat(s, ",\"");
        strcat(s, t);
        strcat(s, "\"");
    }
    strcat(s, "]");
    corpus_vocab_free(&v);
    return s;
}

/* train_loop.c's generator (splitmix64), to count the trainer's draws */
static uint64_t rng_advance(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct Fixture {
    CorpusConfig cc;
    char *vs, *vt;
    Transformer *m;
    TrainData train, dev;
} Fixture;

static void fixture(Fixture *f, int norm_first, uint64_t seed) {
    memset(f, 0, sizeof *f);
    corpus_config_init(&f->cc, CORPUS_REVERSE);
    f->cc.symbols = 8;
    f->cc.min_len = 2;
    f->cc.max_len = 6;
    f->vs = vocab_json(&f->cc, 0);
    f->vt = vocab_json(&f->cc, 1);
    TransformerShape sh = {.d = 32, .nhead = 4, .ffn = 64, .enc_layers = 1, .dec_layers = 1, .norm_first = norm_first,
                           .max_pos = 32, .max_len = 16, .tokenizer = VOCAB_WORDS};
    Status st = {0};
    const char *k[] = {"name"}, *v[] = {"tiny"};
    f->m = transformer_new(&sh, f->vs, f->vt, seed, k, v, 1, &st);
    if (!f->m) fprintf(stderr, "%s\n", st.message);
    assert_non_null(f->m);
    Corpus c;
    f->cc.seed = 3;
    f->cc.split = CORPUS_TRAIN;
    assert_int_equal(corpus_generate(&f->cc, 2000, &c, &st), 0);
    assert_int_equal(transformer_train_data(f->m, &c, &f->train, &st), 0);
    corpus_free(&c);
    f->cc.split = CORPUS_DEV;
    assert_int_equal(corpus_generate(&f->cc, 100, &c, &st), 0);
    assert_int_equal(transformer_train_data(f->m, &c, &f->dev, &st), 0);
    corpus_free(&c);
}

static void fixture_free(Fixture *f) {
    transformer_free(f->m);
    train_data_free(&f->train);
    train_data_free(&f->dev);
    free(f->vs);
    free(f->vt);
}

static void test_new_model(void **unused) {
    (void)unused;
    Fixture f;
    fixture(&f, 0, 1);
    const Transformer *m = f.m;
    assert_int_equal(m->cfg.d, 32);
    assert_int_equal(m->cfg.nhead, 4);
    assert_int_equal(m->cfg.enc_layers, 1);
    assert_string_equal(vocab_token(m->src_vocab, 2), "<bos>");
    /* sinusoidal table: row p, dims 2i / 2i+1 = sin / cos(p · 10000^(-2i/d)) */
    for (int p = 0; p < 32; p++)
        for (int i = 0; i < 16; i++) {
            double a = p * exp(-(2.0 * i) * log(10000.0) / 32.0);
            assert_float_equal(m->w.pos[p * 32 + 2 * i], (float)sin(a), 1e-6);
            assert_float_equal(m->w.pos[p * 32 + 2 * i + 1], (float)cos(a), 1e-6);
        }
    for (int k = 0; k < 32; k++) {
        assert_float_equal(m->w.enc[0].norm_w[0][k], 1.0f, 0.0);
        assert_float_equal(m->w.dec[0].self_attn.in_b[k], 0.0f, 0.0);
    }
    /* bad sizes are named */
    TransformerShape bad = {.d = 30, .nhead = 4, .ffn = 64, .enc_layers = 1, .dec_layers = 1, .max_pos = 32, .max_len = 16};
    Status st = {0};
    assert_null(transformer_new(&bad, f.vs, f.vt, 1, NULL, NULL, 0, &st));
    assert_non_null(strstr(st.message, "must divide d"));
    TransformerShape ok = {.d = 32, .nhead = 4, .ffn = 64, .enc_layers = 1, .dec_layers = 1, .max_pos = 32, .max_len = 16};
    st = (Status){0};
    assert_null(transformer_new(&ok, "[\"a\",\"b\"]", f.vt, 1, NULL, NULL, 0, &st));
    assert_non_null(strstr(st.message, "special tokens"));
    /* dropout outside [0, 1) refused, inside accepted */
    TrainConfig tc;
    train_config_default(&tc);
    const float bad_p[] = {1.0f, -0.1f, NAN};
    for (int k = 0; k < 3; k++) {
        tc.dropout = bad_p[k];
        st = (Status){0};
        assert_null(trainer_new_transformer(f.m, &tc, f.train.max_src, f.train.max_tgt, &st));
        assert_non_null(strstr(st.message, "dropout"));
    }
    tc.dropout = 0.1f;
    Trainer *tr = trainer_new_transformer(f.m, &tc, f.train.max_src, f.train.max_tgt, &st);
    assert_non_null(tr);
    trainer_free(tr);
    fixture_free(&f);
}

/* tape log-probs == step-by-step inference log-probs */
static void check_forward_equals_inference(int norm_first) {
    Fixture f;
    fixture(&f, norm_first, 7);
    const Transformer *m = f.m;
    int Vt = vocab_size(m->tgt_vocab);
    Status st = {0};
    TransformerTape *tape = transformer_tape_new(m, f.dev.max_src, f.dev.max_tgt, &st);
    TransformerRun *run = transformer_run_new(m, f.dev.max_src, 1, &st);
    assert_non_null(tape);
    assert_non_null(run);
    float *lp_tape = malloc((size_t)f.dev.max_tgt * Vt * sizeof(float)), *lp = malloc((size_t)Vt * sizeof(float));
    float *state = malloc((size_t)m->state_size * sizeof(float));
    double worst = 0.0;
    for (int i = 0; i < 20; i++) {
        const int *src = f.dev.ids + f.dev.src_off[i], *tgt = f.dev.ids + f.dev.tgt_off[i];
        int S = f.dev.src_len[i], T = f.dev.tgt_len[i], in[64];
        in[0] = m->bos;
        for (int k = 1; k < T; k++) in[k] = tgt[k - 1];
        float loss;
        assert_int_equal(transformer_train_forward(m, tape, src, S, in, tgt, T, &loss, lp_tape, &st), 0);
        assert_int_equal(transformer_encode(m, run, src, S, NULL, &st), 0);
        transformer_initial_state(m, run, state);
        for (int t = 0; t < T; t++) {
            assert_int_equal(transformer_decode_step(m, run, state, lp, state, &in[t], NULL, 1, t, NULL, &st), 0);
            for (int v = 0; v < Vt; v++) {
                double e = fabs((double)lp[v] - lp_tape[(size_t)t * Vt + v]);
                if (e > worst) worst = e;
            }
        }
    }
    assert_true(worst < 1e-4);
    free(lp_tape); free(lp); free(state);
    transformer_tape_free(tape);
    transformer_run_free(run);
    fixture_free(&f);
}
static void test_forward_equals_inference_post(void **unused) { (void)unused; check_forward_equals_inference(0); }
static void test_forward_equals_inference_pre(void **unused) { (void)unused; check_forward_equals_inference(1); }

/* Runs `steps` trainer steps; *first and *last receive the mean loss of the first and the
 * last 20. */
static void train_steps(Trainer *tr, const TrainData *d, int steps, double *first, double *last) {
    Status st = {0};
    *first = *last = 0;
    for (int s = 0; s < steps; s++) {
        float loss;
        assert_int_equal(trainer_step(tr, d, &loss, &st), 0);
        if (s < 20) *first += loss / 20;
        if (s >= steps - 20) *last += loss / 20;
    }
}

static void test_trains(void **unused) {
    (void)unused;
    Fixture f;
    fixture(&f, 0, 1);
    TrainConfig tc;
    train_config_default(&tc);
    tc.batch = 32;
    tc.lr = 2e-3f;
    tc.schedule = TRAIN_LR_WARMUP_LINEAR;
    tc.warmup = 30;
    tc.total_steps = 400;
    Status st = {0};
    Trainer *tr = trainer_new_transformer(f.m, &tc, f.train.max_src, f.train.max_tgt, &st);
    assert_non_null(tr);
    TrainEval ev0, ev;
    assert_int_equal(transformer_evaluate(f.m, &f.dev, f.dev.n, &ev0, &st), 0);
    double first, last;
    train_steps(tr, &f.train, 400, &first, &last);
    assert_int_equal(transformer_evaluate(f.m, &f.dev, f.dev.n, &ev, &st), 0);
    fprintf(stderr, "loss %.3f -> %.3f, dev exact %.2f -> %.2f, token acc %.2f\n", first, last, ev0.exact, ev.exact, ev.token_acc);
    assert_true(last < 0.35 * first);
    assert_true(ev.exact > 0.5);
    assert_true(ev.exact > ev0.exact + 0.4);
    trainer_free(tr);
    fixture_free(&f);
}

static void check_threads_and_fixed_positions(float dropout) {
    Fixture f;
    fixture(&f, 1, 2);
    TrainConfig tc;
    train_config_default(&tc);
    tc.batch = 7;
    tc.dropout = dropout;
    Status st = {0};
    Trainer *t1 = trainer_new_transformer(f.m, &tc, f.train.max_src, f.train.max_tgt, &st);
    tc.threads = 2;
    Trainer *t2 = trainer_new_transformer(f.m, &tc, f.train.max_src, f.train.max_tgt, &st);
    assert_non_null(t1);
    assert_non_null(t2);
    int S = f.train.max_src, T = f.train.max_tgt;
    int *src = calloc((size_t)7 * S, sizeof(int)), *tgt = calloc((size_t)7 * T, sizeof(int)), sl[7], tl[7];
    for (int b = 0; b < 7; b++) {
        for (int s = 0; s < f.train.src_len[b]; s++) src[b * S + s] = f.train.ids[f.train.src_off[b] + s];
        for (int k = 0; k < f.train.tgt_len[b]; k++) tgt[b * T + k] = f.train.ids[f.train.tgt_off[b] + k];
        sl[b] = f.train.src_len[b];
        tl[b] = f.train.tgt_len[b];
    }
    TrainBatch bt = {7, S, T, src, sl, tgt, tl};
    uint64_t r1 = t1->rng;
    float l1 = trainer_gradient(t1, &bt), l2 = trainer_gradient(t2, &bt);
    assert_float_equal(l1, l2, 1e-5);
    /* dropout: one draw from the generator per batch seeds the pairs' masks; none without */
    uint64_t once = r1;
    (void)rng_advance(&once);
    assert_true(t1->rng == (dropout > 0.0f ? once : r1));
    assert_true(t2->rng == t1->rng);
    double worst = 0.0;
    for (long i = 0; i < f.m->param_count; i++) {
        double e = fabs((double)t1->grad[i] - t2->grad[i]);
        if (e > worst) worst = e;
    }
    assert_true(worst < 1e-5);
    /* the position table gets no gradient */
    const float *gp = transformer_grad_of(f.m, t1->grad, f.m->w.pos);
    for (int i = 0; i < f.m->cfg.max_pos * f.m->cfg.d; i++) assert_true(gp[i] == 0.0f);
    /* and the rest does */
    const float *ge = transformer_grad_of(f.m, t1->grad, f.m->w.gen_w);
    double g2 = 0.0;
    for (int i = 0; i < 100; i++) g2 += ge[i] * ge[i];
    assert_true(g2 > 0.0);
    /* the batch loss is the token-weighted mean of the pair losses (without dropout) */
    if (dropout > 0.0f) {
        /* masks: the loss is not the dropout-free one */
        tc.dropout = 0.0f;
        tc.threads = 1;
        Trainer *t0 = trainer_new_transformer(f.m, &tc, f.train.max_src, f.train.max_tgt, &st);
        assert_non_null(t0);
        float l0 = trainer_gradient(t0, &bt);
        fprintf(stderr, "batch loss with dropout %.2f: %.4f (1 worker), %.4f (2 workers); without: %.4f; |dgrad| max %.2g\n",
                (double)dropout, l1, l2, l0, worst);
        assert_true(fabsf(l0 - l1) > 1e-3f);
        trainer_free(t0);
        free(src);
        free(tgt);
        trainer_free(t1);
        trainer_free(t2);
        fixture_free(&f);
        return;
    }
    TransformerTape *tape = transformer_tape_new(f.m, S, T, &st);
    double sum = 0.0;
    long tokens = 0;
    for (int b = 0; b < 7; b++) {
        int in[64];
        in[0] = f.m->bos;
        for (int k = 1; k < tl[b]; k++) in[k] = tgt[b * T + k - 1];
        float loss;
        assert_int_equal(transformer_train_forward(f.m, tape, src + b * S, sl[b], in, tgt + b * T, tl[b], &loss, NULL, &st), 0);
        sum += (double)loss * tl[b];
        tokens += tl[b];
    }
    assert_float_equal(l1, sum / tokens, 1e-5);
    transformer_tape_free(tape);
    free(src);
    free(tgt);
    trainer_free(t1);
    trainer_free(t2);
    fixture_free(&f);
}

static void test_threads_and_fixed_positions(void **unused) { (void)unused; check_threads_and_fixed_positions(0.0f); }
static void test_threads_with_dropout(void **unused) { (void)unused; check_threads_and_fixed_positions(0.2f); }

static void run_steps(Trainer *tr, const TrainData *d, int n) {
    Status st = {0};
    for (int i = 0; i < n; i++) {
        float loss;
        assert_int_equal(trainer_step(tr, d, &loss, &st), 0);
    }
}

static void check_resume_bit_for_bit(float dropout) {
    char path[] = "/tmp/attnstep-tfm-resume-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    Fixture a, b;
    fixture(&a, 0, 5);
    fixture(&b, 0, 5);
    TrainConfig tc;
    train_config_default(&tc);
    tc.batch = 8;
    tc.schedule = TRAIN_LR_WARMUP_LINEAR;
    tc.warmup = 5;
    tc.total_steps = 40;
    tc.dropout = dropout;
    Status st = {0};
    Trainer *ta = trainer_new_transformer(a.m, &tc, a.train.max_src, a.train.max_tgt, &st);
    run_steps(ta, &a.train, 40);
    Trainer *tb = trainer_new_transformer(b.m, &tc, b.train.max_src, b.train.max_tgt, &st);
    run_steps(tb, &b.train, 20);
    const char *k[] = {"note"}, *v[] = {"half"};
    assert_int_equal(trainer_save(tb, path, k, v, 1, &st), 0);
    trainer_free(tb);
    /* reload */
    Transformer *m2 = transformer_load(path, &st);
    if (!m2) fprintf(stderr, "%s\n", st.message);
    assert_non_null(m2);
    assert_string_equal(transformer_meta(m2, "note"), "half");
    assert_string_equal(transformer_meta(m2, "train_steps"), "20");
    assert_string_equal(transformer_meta(m2, "name"), "tiny");
    assert_memory_equal(m2->block, b.m->block, (size_t)b.m->param_count * sizeof(float));
    Trainer *tc2 = trainer_new_transformer(m2, &tc, b.train.max_src, b.train.max_tgt, &st);
    assert_int_equal(trainer_load_opt(tc2, path, &st), 0);
    assert_int_equal(tc2->step, 20);
    run_steps(tc2, &b.train, 20);
    assert_memory_equal(m2->block, a.m->block, (size_t)a.m->param_count * sizeof(float));
    assert_memory_equal(tc2->adam_m, ta->adam_m, (size_t)a.m->param_count * sizeof(float));
    assert_memory_equal(tc2->adam_v, ta->adam_v, (size_t)a.m->param_count * sizeof(float));
    assert_true(tc2->rng == ta->rng);
    trainer_free(ta);
    trainer_free(tc2);
    transformer_free(m2);
    fixture_free(&a);
    fixture_free(&b);
    char op[512];
    snprintf(op, sizeof op, "%.400s.opt.safetensors", path);
    remove(op);
    remove(path);
}

static void test_resume_bit_for_bit(void **unused) { (void)unused; check_resume_bit_for_bit(0.0f); }
static void test_resume_with_dropout(void **unused) { (void)unused; check_resume_bit_for_bit(0.15f); }

/* a short run with dropout learns (the training loss falls, greedy dev decoding — dropout
 * off — improves), and a second run from the same seed gives the same weights bit for bit */
static void test_trains_with_dropout(void **unused) {
    (void)unused;
    Fixture a, b;
    fixture(&a, 0, 1);
    fixture(&b, 0, 1);
    TrainConfig tc;
    train_config_default(&tc);
    tc.batch = 32;
    tc.lr = 2e-3f;
    tc.schedule = TRAIN_LR_WARMUP_LINEAR;
    tc.warmup = 30;
    tc.total_steps = 300;
    tc.dropout = 0.1f;
    Status st = {0};
    Trainer *ta = trainer_new_transformer(a.m, &tc, a.train.max_src, a.train.max_tgt, &st);
    Trainer *tb = trainer_new_transformer(b.m, &tc, b.train.max_src, b.train.max_tgt, &st);
    assert_non_null(ta);
    assert_non_null(tb);
    TrainEval ev0, ev;
    assert_int_equal(transformer_evaluate(a.m, &a.dev, a.dev.n, &ev0, &st), 0);
    double first, last;
    train_steps(ta, &a.train, 300, &first, &last);
    assert_int_equal(transformer_evaluate(a.m, &a.dev, a.dev.n, &ev, &st), 0);
    fprintf(stderr, "dropout 0.1: loss %.3f -> %.3f, dev exact %.2f -> %.2f, token acc %.2f -> %.2f\n", first, last, ev0.exact,
            ev.exact, ev0.token_acc, ev.token_acc);
    assert_true(last < 0.5 * first);
    assert_true(ev.token_acc > ev0.token_acc + 0.3);
    /* bit for bit: the same settings twice */
    run_steps(tb, &b.train, 300);
    assert_memory_equal(a.m->block, b.m->block, (size_t)a.m->param_count * sizeof(float));
    assert_true(ta->rng == tb->rng);
    trainer_free(ta);
    trainer_free(tb);
    fixture_free(&a);
    fixture_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_model),
        cmocka_unit_test(test_forward_equals_inference_post),
        cmocka_unit_test(test_forward_equals_inference_pre),
        cmocka_unit_test(test_threads_and_fixed_positions),
        cmocka_unit_test(test_threads_with_dropout),
        cmocka_unit_test(test_resume_bit_for_bit),
        cmocka_unit_test(test_resume_with_dropout),
        cmocka_unit_test(test_trains),
        cmocka_unit_test(test_trains_with_dropout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
