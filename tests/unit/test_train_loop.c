/* test_train_loop.c — the training loop end to end on a tiny `reverse` task.
 *
 * - a tiny tutorial-gru-bahdanau model trains for a few hundred steps: the loss falls
 *   and greedy exact match on the dev split rises past measured thresholds;
 * - checkpoint + resume is bit-for-bit: N steps straight == N/2, save, load (model file +
 *   FILE.opt.safetensors), N/2 more (identical weights, Adam moments and step);
 * - a NaN loss stops the step without updating, and the last checkpoint stays intact;
 * - the learning-rate schedule. */
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

/* vocabulary JSON of the task with SOS/EOS first (tutorial ids 0/1) */
static char *vocab_json(const CorpusConfig *cc, int side) {
    CorpusVocab v;
    Status st = {0};
    assert_int_equal(corpus_vocab(cc, side, 1, &v, &st), 0);
    size_t cap = 64;
    for (int i = 0; i < v.n; i++) cap += strlen(v.tokens[i]) + 4;
    char *s = malloc(cap);
    strcpy(s, "[\"<sos>\",\"<eos>\"");
    for (int i = 0; i < v.n; i++) {
        if (!strcmp(v.tokens[i], "<sos>") || !strcmp(v.tokens[i], "<eos>")) continue;
        strcat(s, ",\"");
        strcat(s, v.tokens[i]);
        strcat(s, "\"");
    }
    strcat(s, "]");
    corpus_vocab_free(&v);
    return s;
}

typedef struct Setup {
    Seq2Seq *m;
    TrainData train, dev;
} Setup;

static void setup_reverse(Setup *s, int hidden, uint64_t seed) {
    CorpusConfig cc;
    corpus_config_init(&cc, CORPUS_REVERSE);
    cc.symbols = 8;
    cc.min_len = 2;
    cc.max_len = 6;
    char *vs = vocab_json(&cc, 0), *vt = vocab_json(&cc, 1);
    Status st = {0};
    const char *keys[] = {"name", "task"};
    const char *vals[] = {"tiny reverse", "reverse"};
    s->m = train_model_new("tutorial-gru-bahdanau", NULL, hidden, vs, vt, seed, keys, vals, 2, &st);
    if (!s->m) fail_msg("%s", st.message);
    free(vs);
    free(vt);
    Corpus c;
    cc.seed = 3;
    assert_int_equal(corpus_generate(&cc, 2000, &c, &st), 0);
    assert_int_equal(train_data_from_corpus(s->m, &c, &s->train, &st), 0);
    corpus_free(&c);
    cc.split = CORPUS_DEV;
    assert_int_equal(corpus_generate(&cc, 200, &c, &st), 0);
    assert_int_equal(train_data_from_corpus(s->m, &c, &s->dev, &st), 0);
    corpus_free(&c);
}

static void teardown(Setup *s) {
    train_data_free(&s->train);
    train_data_free(&s->dev);
    seq2seq_free(s->m);
}

static void tiny_config(TrainConfig *tc) {
    train_config_default(tc);
    tc->batch = 16;
    tc->lr = 5e-3f;
    tc->seed = 11;
}

static void test_loss_falls_exact_rises(void **state) {
    (void)state;
    Setup s;
    setup_reverse(&s, 32, 5);
    TrainConfig tc;
    tiny_config(&tc);
    Status st = {0};
    Trainer *tr = trainer_new(s.m, &tc, s.train.max_src, s.train.max_tgt, &st);
    assert_non_null(tr);
    TrainEval e0, e1;
    assert_int_equal(train_evaluate(s.m, &s.dev, s.dev.n, &e0, &st), 0);
    double first = 0, last = 0;
    const int steps = 400;
    for (int i = 0; i < steps; i++) {
        float loss;
        assert_int_equal(trainer_step(tr, &s.train, &loss, &st), 0);
        if (i < 20) first += loss / 20;
        if (i >= steps - 20) last += loss / 20;
    }
    assert_null(s.m->pack.out_packed); /* the beam steps' packed copies were out of date */
    seq2seq_update_pack(s.m);
    assert_non_null(s.m->pack.out_packed);
    assert_int_equal(train_evaluate(s.m, &s.dev, s.dev.n, &e1, &st), 0);
    print_message("loss %.3f -> %.3f; dev exact %.3f -> %.3f, token accuracy %.3f -> %.3f\n", first, last, e0.exact, e1.exact,
                  e0.token_acc, e1.token_acc);
    /* measured: loss 2.16 -> 0.10, dev exact 0.00 -> 0.85, token accuracy 0.01 -> 0.92 */
    assert_true(first > 1.8);
    assert_true(last < 0.5);
    assert_true(e0.exact < 0.05);
    assert_true(e1.exact > 0.5);
    assert_true(e1.token_acc > 0.8);
    trainer_free(tr);
    teardown(&s);
}

static void test_resume_bit_for_bit(void **state) {
    (void)state;
    const int N = 40;
    char path[256];
    snprintf(path, sizeof path, "/tmp/attnstep-test-resume-%d.safetensors", (int)getpid());
    Status st = {0};
    TrainConfig tc;
    tiny_config(&tc);
    tc.dropout = 0.1f; /* the dropout masks' generator state must resume too */
    tc.schedule = TRAIN_LR_WARMUP_LINEAR;
    tc.warmup = 5;
    tc.total_steps = N;

    /* straight */
    Setup a;
    setup_reverse(&a, 16, 9);
    Trainer *ta = trainer_new(a.m, &tc, a.train.max_src, a.train.max_tgt, &st);
    assert_non_null(ta);
    for (int i = 0; i < N; i++) assert_int_equal(trainer_step(ta, &a.train, NULL, &st), 0);

    /* half, save, reload, half */
    Setup b;
    setup_reverse(&b, 16, 9);
    Trainer *tb = trainer_new(b.m, &tc, b.train.max_src, b.train.max_tgt, &st);
    for (int i = 0; i < N / 2; i++) assert_int_equal(trainer_step(tb, &b.train, NULL, &st), 0);
    if (trainer_save(tb, path, NULL, NULL, 0, &st)) fail_msg("%s", st.message);
    trainer_free(tb);
    Seq2Seq *m2 = seq2seq_load(path, &st);
    if (!m2) fail_msg("%s", st.message);
    assert_string_equal(seq2seq_meta(m2, "train_steps"), "20");
    assert_string_equal(seq2seq_meta(m2, "task"), "reverse");
    Trainer *tc2 = trainer_new(m2, &tc, b.train.max_src, b.train.max_tgt, &st);
    if (trainer_load_opt(tc2, path, &st)) fail_msg("%s", st.message);
    assert_int_equal(tc2->step, N / 2);
    for (int i = 0; i < N / 2; i++) assert_int_equal(trainer_step(tc2, &b.train, NULL, &st), 0);

    assert_int_equal(a.m->param_count, m2->param_count);
    assert_int_equal(ta->step, tc2->step);
    assert_true(ta->rng == tc2->rng);
    assert_memory_equal(a.m->block, m2->block, (size_t)a.m->param_count * sizeof(float));
    assert_memory_equal(ta->adam_m, tc2->adam_m, (size_t)a.m->param_count * sizeof(float));
    assert_memory_equal(ta->adam_v, tc2->adam_v, (size_t)a.m->param_count * sizeof(float));
    trainer_free(ta);
    trainer_free(tc2);
    seq2seq_free(m2);
    teardown(&a);
    teardown(&b);
    char op[300];
    snprintf(op, sizeof op, "%s.opt.safetensors", path);
    unlink(path);
    unlink(op);
}

/* Copies file a to b (test helper). */
static void copy_file(const char *a, const char *b) {
    FILE *in = fopen(a, "rb"), *out = fopen(b, "wb");
    if (!in || !out) fail_msg("cannot copy %s to %s", a, b);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
}

/* A checkpoint killed between its renames: the model file decides, and trainer_load_opt
 * takes the optimiser file of the model's step (finishing the commit), or says why not. */
static void test_interrupted_checkpoint(void **state) {
    (void)state;
    char path[256], op[300], next[300], m3[300], o3[300], m5[300], o5[300];
    snprintf(path, sizeof path, "/tmp/attnstep-test-ckpt-%d.safetensors", (int)getpid());
    snprintf(op, sizeof op, "%s.opt.safetensors", path);
    snprintf(next, sizeof next, "%s.opt.next.safetensors", path);
    snprintf(m3, sizeof m3, "%s.m3", path);
    snprintf(o3, sizeof o3, "%s.o3", path);
    snprintf(m5, sizeof m5, "%s.m5", path);
    snprintf(o5, sizeof o5, "%s.o5", path);
    Status st = {0};
    TrainConfig tc;
    tiny_config(&tc);
    Setup s;
    setup_reverse(&s, 16, 9);
    Trainer *t = trainer_new(s.m, &tc, s.train.max_src, s.train.max_tgt, &st);
    assert_non_null(t);
    for (int i = 0; i < 3; i++) assert_int_equal(trainer_step(t, &s.train, NULL, &st), 0);
    if (trainer_save(t, path, NULL, NULL, 0, &st)) fail_msg("%s", st.message);
    assert_int_equal(access(next, F_OK), -1); /* a completed checkpoint leaves no next file */
    copy_file(path, m3);
    copy_file(op, o3);
    for (int i = 0; i < 2; i++) assert_int_equal(trainer_step(t, &s.train, NULL, &st), 0);
    if (trainer_save(t, path, NULL, NULL, 0, &st)) fail_msg("%s", st.message);
    copy_file(path, m5);
    copy_file(op, o5);
    trainer_free(t);

    /* killed after writing the next state: model 3, optimiser 3, next 5 -> step 3 */
    copy_file(m3, path); copy_file(o3, op); copy_file(o5, next);
    Seq2Seq *m = seq2seq_load(path, &st);
    Trainer *r = trainer_new(m, &tc, s.train.max_src, s.train.max_tgt, &st);
    if (trainer_load_opt(r, path, &st)) fail_msg("%s", st.message);
    assert_int_equal(r->step, 3);
    trainer_free(r);
    seq2seq_free(m);
    /* killed after writing the model: model 5, optimiser 3, next 5 -> step 5, commit finished */
    copy_file(m5, path); copy_file(o3, op); copy_file(o5, next);
    m = seq2seq_load(path, &st);
    r = trainer_new(m, &tc, s.train.max_src, s.train.max_tgt, &st);
    if (trainer_load_opt(r, path, &st)) fail_msg("%s", st.message);
    assert_int_equal(r->step, 5);
    assert_int_equal(access(next, F_OK), -1);
    trainer_free(r);
    /* model 5 beside optimiser 3 and no next state: refused, naming both steps */
    copy_file(o3, op);
    r = trainer_new(m, &tc, s.train.max_src, s.train.max_tgt, &st);
    assert_int_equal(trainer_load_opt(r, path, &st), -1);
    assert_non_null(strstr(st.message, "step 3"));
    assert_non_null(strstr(st.message, "step 5"));
    trainer_free(r);
    seq2seq_free(m);
    teardown(&s);
    const char *files[] = {path, op, next, m3, o3, m5, o5};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) unlink(files[i]);
}

static void test_nan_stops_checkpoint_intact(void **state) {
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "/tmp/attnstep-test-nan-%d.safetensors", (int)getpid());
    Setup s;
    setup_reverse(&s, 16, 4);
    TrainConfig tc;
    tiny_config(&tc);
    Status st = {0};
    Trainer *tr = trainer_new(s.m, &tc, s.train.max_src, s.train.max_tgt, &st);
    for (int i = 0; i < 10; i++) assert_int_equal(trainer_step(tr, &s.train, NULL, &st), 0);
    assert_int_equal(trainer_save(tr, path, NULL, NULL, 0, &st), 0);
    size_t bytes = (size_t)s.m->param_count * sizeof(float);
    float *good = malloc(bytes);
    memcpy(good, s.m->block, bytes);
    /* poison the output bias: every log-prob becomes NaN */
    float *out_b = s.m->block + (s.m->w.out_b - s.m->block);
    int Vt = vocab_size(s.m->tgt_vocab);
    for (int i = 0; i < Vt; i++) out_b[i] = NAN;
    float loss = 0;
    memcpy(good, s.m->block, bytes); /* the state the failed step must leave untouched */
    long step = tr->step;
    assert_int_equal(trainer_step(tr, &s.train, &loss, &st), -1);
    assert_true(isnan(loss));
    assert_non_null(strstr(st.message, "NaN"));
    assert_int_equal(tr->step, step);
    assert_memory_equal(good, s.m->block, bytes); /* no update applied */
    /* the checkpoint still holds the last good weights and loads */
    Seq2Seq *back = seq2seq_load(path, &st);
    if (!back) fail_msg("%s", st.message);
    for (int i = 0; i < Vt; i++) out_b[i] = back->w.out_b[i];
    assert_memory_equal(back->block, s.m->block, bytes);
    seq2seq_free(back);
    free(good);
    trainer_free(tr);
    teardown(&s);
    char op[300];
    snprintf(op, sizeof op, "%s.opt.safetensors", path);
    unlink(path);
    unlink(op);
}

/* Worker threads: the gradient of a batch split over 2 or 3 workers equals the 1-worker
 * gradient (to rounding: blocks are summed in another order), and 2-worker training runs
 * are bit-for-bit repeatable. */
static void test_threads(void **state) {
    (void)state;
    Status st = {0};
    TrainConfig tc;
    tiny_config(&tc);
    Setup s;
    setup_reverse(&s, 16, 21);
    /* a fixed batch: the first 16 examples */
    int B = 16, S = s.train.max_src, T = s.train.max_tgt;
    int *src = calloc((size_t)B * S, sizeof(int)), *tgt = calloc((size_t)B * T, sizeof(int)), sl[16], tl[16];
    for (int b = 0; b < B; b++) {
        sl[b] = s.train.src_len[b];
        tl[b] = s.train.tgt_len[b];
        for (int i = 0; i < sl[b]; i++) src[b * S + i] = s.train.ids[s.train.src_off[b] + i];
        for (int i = 0; i < tl[b]; i++) tgt[b * T + i] = s.train.ids[s.train.tgt_off[b] + i];
    }
    TrainBatch bt = {B, S, T, src, sl, tgt, tl};
    long P = s.m->param_count;
    float *g1 = malloc((size_t)P * sizeof(float));
    float loss[4];
    for (int k = 1; k <= 3; k++) {
        tc.threads = k;
        Trainer *tr = trainer_new(s.m, &tc, S, T, &st);
        if (!tr) fail_msg("%s", st.message);
        loss[k] = trainer_gradient(tr, &bt);
        if (k == 1) memcpy(g1, tr->grad, (size_t)P * sizeof(float));
        else {
            double worst = 0;
            for (long i = 0; i < P; i++) {
                double d = fabs((double)tr->grad[i] - g1[i]) / (1e-3 + fabs(g1[i]));
                if (d > worst) worst = d;
            }
            print_message("%d workers: loss %.7f vs %.7f, gradient worst relative difference %.2g\n", k, loss[k], loss[1], worst);
            assert_true(worst < 1e-4);
            assert_true(fabsf(loss[k] - loss[1]) < 1e-5f);
        }
        trainer_free(tr);
    }
    free(g1); free(src); free(tgt);
    teardown(&s);
    /* repeatable */
    float *w[2];
    for (int run = 0; run < 2; run++) {
        setup_reverse(&s, 16, 21);
        tc.threads = 2;
        tc.dropout = 0.1f;
        Trainer *tr = trainer_new(s.m, &tc, s.train.max_src, s.train.max_tgt, &st);
        for (int i = 0; i < 10; i++) assert_int_equal(trainer_step(tr, &s.train, NULL, &st), 0);
        w[run] = malloc((size_t)P * sizeof(float));
        memcpy(w[run], s.m->block, (size_t)P * sizeof(float));
        trainer_free(tr);
        teardown(&s);
    }
    assert_memory_equal(w[0], w[1], (size_t)P * sizeof(float));
    free(w[0]); free(w[1]);
}

static void test_schedule(void **state) {
    (void)state;
    TrainConfig c;
    train_config_default(&c);
    assert_true(train_lr(&c, 0) == 1e-3f && train_lr(&c, 100000) == 1e-3f);
    c.schedule = TRAIN_LR_WARMUP_LINEAR;
    c.warmup = 10;
    c.total_steps = 110;
    c.lr = 1.0f;
    assert_true(fabsf(train_lr(&c, 0) - 0.1f) < 1e-6f);
    assert_true(fabsf(train_lr(&c, 9) - 1.0f) < 1e-6f);
    assert_true(fabsf(train_lr(&c, 10) - 1.0f) < 1e-6f);
    assert_true(fabsf(train_lr(&c, 60) - 0.5f) < 1e-6f);
    assert_true(train_lr(&c, 110) == 0.0f && train_lr(&c, 200) == 0.0f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_resume_bit_for_bit),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_interrupted_checkpoint),
        cmocka_unit_test(test_nan_stops_checkpoint_intact),
        cmocka_unit_test(test_loss_falls_exact_rises),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
