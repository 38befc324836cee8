/* test_transformer_grad.c — the Transformer's backward pass (core/src/transformer_train.c).
 *
 * 1. PyTorch autograd: for tfm-grad-{post,prenorm} (tests/reference/transformer_reference.py:
 *    the tutorial's Seq2SeqTransformer, its train_epoch loss with CrossEntropyLoss(ignore_index
 *    = PAD), one pair, dropout off) the loss, the teacher-forced log-probs and the gradient of
 *    every parameter match (1e-5 absolute + 1e-4 relative).
 * 2. Finite differences: central differences of the loss against the analytic gradient for
 *    a spread of entries of every tensor (the position table included), post- and pre-norm.
 * 3. The teacher-forced log-probs equal the incremental (KV-cache) decoder's.
 *
 * Dropout (transformer_train_forward_dropout):
 * 4. PyTorch autograd with the same masks: tfm-drop-{post,prenorm}
 *    (tests/reference/transformer_dropout_reference.py: the tutorial model in train() mode,
 *    every nn.Dropout and nn.MultiheadAttention's weight dropout replaced by a given mask);
 *    the masks are loaded into the tape with transformer_tape_mask, then the loss, the
 *    log-probs and every parameter's gradient match (1e-5 absolute + 1e-4 relative).
 * 5. Finite differences with dropout on, masks drawn by the C side: every evaluation starts
 *    from the same generator state, so every forward uses the same masks.
 * 6. Masks of ones give the dropout-free numbers bit for bit; p = 0 draws nothing; the
 *    drawn masks hold 0 with frequency p and 1/(1-p) elsewhere; bad p and sites refused. */
#include <cjson/cJSON.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "attnstep/tensor.h"
#include "attnstep/transformer.h"

#define FIXTURES ATTNSTEP_SOURCE_DIR "/tests/reference/fixtures"

static int json_ids(const char *json, int *out, int max) {
    cJSON *a = cJSON_Parse(json);
    assert_non_null(a);
    int n = cJSON_GetArraySize(a);
    assert_true(n <= max);
    for (int i = 0; i < n; i++) out[i] = cJSON_GetArrayItem(a, i)->valueint;
    cJSON_Delete(a);
    return n;
}

typedef struct Pair {
    int src[32], tgt_in[32], tgt_out[32], S, T;
} Pair;

static float loss_of(const Transformer *m, TransformerTape *t, const Pair *p) {
    Status st = {0};
    float loss = 0;
    if (transformer_train_forward(m, t, p->src, p->S, p->tgt_in, p->tgt_out, p->T, &loss, NULL, &st)) fail_msg("%s", st.message);
    return loss;
}

/* The loss with dropout p, masks drawn from a generator started at `seed` (the same masks
 * for every call with the same seed), or seed 0: the masks already in the tape. */
static float loss_drop(const Transformer *m, TransformerTape *t, const Pair *p, float pdrop, uint64_t seed) {
    Status st = {0};
    float loss = 0;
    uint64_t rng = seed;
    if (transformer_train_forward_dropout(m, t, p->src, p->S, p->tgt_in, p->tgt_out, p->T, pdrop, seed ? &rng : NULL, &loss,
                                          NULL, &st))
        fail_msg("%s", st.message);
    return loss;
}

/* Central differences of the loss (dropout pdrop, masks from `seed`) against the analytic
 * gradient g of that same forward, for a spread of entries of every tensor. Returns the
 * number of entries checked; fails on any mismatch. */
static int fd_check(const char *name, Transformer *m, TransformerTape *t, const Pair *p, const float *g, float pdrop,
                    uint64_t seed) {
    int checked = 0, bad = 0, tensors = 0;
    double worst = 0.0;
    for (int k = 0; k < m->tensor_count; k++) {
        const TransformerTensor *tt = &m->tensors[k];
        float *w = m->block + (tt->data - m->block);
        const float *an = transformer_grad_of(m, (float *)g, tt->data);
        long stride = tt->numel / 5 + 1;
        int here = 0;
        for (long i = k % 3; i < tt->numel; i += stride) {
            /* a step that crosses a ReLU kink disagrees: retry smaller before calling it wrong */
            double fd = 0.0;
            int ok = 0;
            for (float h = 1e-2f; h >= 1e-4f && !ok; h /= 3.3f) {
                float keep = w[i];
                w[i] = keep + h;
                double up = pdrop > 0.0f ? loss_drop(m, t, p, pdrop, seed) : loss_of(m, t, p);
                w[i] = keep - h;
                double down = pdrop > 0.0f ? loss_drop(m, t, p, pdrop, seed) : loss_of(m, t, p);
                w[i] = keep;
                fd = (up - down) / (2.0 * h);
                ok = fabs(fd - an[i]) <= 2e-3 + 3e-2 * fabs(fd) + 1e-6 / h; /* float loss rounding / h */
            }
            checked++;
            here++;
            if (fabs(fd - an[i]) > worst && ok) worst = fabs(fd - an[i]);
            if (!ok) {
                bad++;
                print_message("    FD %s[%ld]: analytic %.6g, finite difference %.6g\n", tt->name, i, an[i], fd);
            }
        }
        tensors += here > 0;
    }
    print_message("  %-18s dropout %.2f: %d entries of %d tensors checked by finite differences, %d off (max |diff| %.2g)\n",
                  name, (double)pdrop, checked, tensors, bad, worst);
    assert_int_equal(tensors, m->tensor_count);
    assert_int_equal(bad, 0);
    return checked;
}

static void load_pair(const SafeTensors *exp, Pair *p) {
    p->S = json_ids(safetensors_meta(exp, "src_ids"), p->src, 32);
    p->T = json_ids(safetensors_meta(exp, "tgt_in"), p->tgt_in, 32);
    assert_int_equal(json_ids(safetensors_meta(exp, "tgt_out"), p->tgt_out, 32), p->T);
}

/* The fixture NAME.grad.safetensors, the model it names and its sentence pair. */
static SafeTensors *load_fixture(const char *name, Transformer **m, Pair *p) {
    char path[1024];
    Status st = {0};
    snprintf(path, sizeof path, "%s/%.200s.grad.safetensors", FIXTURES, name);
    SafeTensors *exp = safetensors_load(path, &st);
    if (!exp) fail_msg("%s", st.message);
    snprintf(path, sizeof path, "%s/%.200s", FIXTURES, safetensors_meta(exp, "model"));
    if (!(*m = transformer_load(path, &st))) fail_msg("%s", st.message);
    load_pair(exp, p);
    return exp;
}

/* The loss and log-probs (T, Vt) against the fixture's; returns the largest log-prob diff. */
static double check_loss_logprobs(const char *name, const SafeTensors *exp, float loss, const float *lp, int n) {
    float want_loss = strtof(safetensors_meta(exp, "loss"), NULL);
    if (fabsf(loss - want_loss) > 1e-5f + 1e-5f * fabsf(want_loss)) fail_msg("%s: loss %.9g, PyTorch %.9g", name, loss, want_loss);
    const SafeTensor *wlp = safetensors_find(exp, "logprobs");
    assert_non_null(wlp);
    double worst = 0.0;
    for (int i = 0; i < n; i++) {
        double e = fabs((double)lp[i] - wlp->data[i]);
        if (e > 1e-5 + 1e-5 * fabs(wlp->data[i])) fail_msg("%s: logprobs[%d] %.9g, PyTorch %.9g", name, i, lp[i], wlp->data[i]);
        if (e > worst) worst = e;
    }
    return worst;
}

/* Every parameter's gradient g against the fixture's grad.* (autograd); returns the count
 * compared, *worst the largest diff. */
static int check_grads(const char *name, const Transformer *m, const SafeTensors *exp, float *g, double *worst) {
    int compared = 0;
    *worst = 0.0;
    for (int k = 0; k < m->tensor_count; k++) {
        const TransformerTensor *tt = &m->tensors[k];
        char gname[128];
        snprintf(gname, sizeof gname, "grad.%.100s", tt->name);
        const SafeTensor *want = safetensors_find(exp, gname);
        if (!strcmp(tt->name, "positional_encoding.pos_embedding")) { assert_null(want); continue; } /* a buffer in PyTorch */
        if (!want) fail_msg("fixture has no %s", gname);
        assert_int_equal(want->numel, tt->numel);
        const float *got = transformer_grad_of(m, g, tt->data);
        for (long i = 0; i < tt->numel; i++) {
            double diff = fabs((double)got[i] - want->data[i]);
            if (diff > 1e-5 + 1e-4 * fabs(want->data[i])) fail_msg("%s: %s[%ld] = %.9g, PyTorch %.9g", name, gname, i, got[i], want->data[i]);
            if (diff > *worst) *worst = diff;
            compared++;
        }
    }
    return compared;
}

static void check_case(const char *name) {
    Status st = {0};
    Transformer *m;
    Pair p;
    SafeTensors *exp = load_fixture(name, &m, &p);
    int Vt = vocab_size(m->tgt_vocab);
    TransformerTape *t = transformer_tape_new(m, p.S, p.T, &st);
    if (!t) fail_msg("%s", st.message);
    float *lp = calloc((size_t)p.T * Vt, sizeof(float));
    float *g = calloc((size_t)m->param_count, sizeof(float));
    float loss = 0;
    if (transformer_train_forward(m, t, p.src, p.S, p.tgt_in, p.tgt_out, p.T, &loss, lp, &st)) fail_msg("%s", st.message);
    check_loss_logprobs(name, exp, loss, lp, p.T * Vt);
    transformer_train_backward(m, t, g);

    /* 1. every parameter's gradient against autograd */
    double worst;
    int compared = check_grads(name, m, exp, g, &worst);
    print_message("  %-18s loss %.6f; %d gradient values match autograd (max abs diff %.2g)\n", name, loss, compared, worst);

    /* 2. finite differences on a spread of entries of every tensor */
    assert_true(fd_check(name, m, t, &p, g, 0.0f, 0) > 100);

    /* 3. teacher forcing equals the incremental decoder fed the same tokens */
    TransformerRun *r = transformer_run_new(m, p.S, 1, &st);
    assert_int_equal(transformer_encode(m, r, p.src, p.S, NULL, &st), 0);
    float *state = calloc((size_t)m->state_size, sizeof(float)), *step_lp = calloc((size_t)Vt, sizeof(float));
    transformer_initial_state(m, r, state);
    for (int s = 0; s < p.T; s++) {
        assert_int_equal(transformer_decode_step(m, r, state, step_lp, state, &p.tgt_in[s], NULL, 1, s, NULL, &st), 0);
        for (int v = 0; v < Vt; v++) assert_true(fabsf(step_lp[v] - lp[s * Vt + v]) <= 1e-5f + 1e-5f * fabsf(lp[s * Vt + v]));
    }
    free(state);
    free(step_lp);
    transformer_run_free(r);
    free(lp);
    free(g);
    transformer_tape_free(t);
    transformer_free(m);
    safetensors_free(exp);
}

static void test_gradients_post_norm(void **unused) {
    (void)unused;
    check_case("tfm-grad-post");
}

static void test_gradients_pre_norm(void **unused) {
    (void)unused;
    check_case("tfm-grad-prenorm");
}

/* ---- dropout ---- */

/* every dropout site of m (transformer_tape_mask's names): n of them into names */
static int site_names(const Transformer *m, char names[][48], int max) {
    int n = 0;
    const char *enc[] = {"self.attn", "self.out", "ffn.hid", "ffn.out"};
    const char *dec[] = {"self.attn", "self.out", "cross.attn", "cross.out", "ffn.hid", "ffn.out"};
    assert_true(max >= 2 + 4 * m->cfg.enc_layers + 6 * m->cfg.dec_layers);
    snprintf(names[n++], 48, "enc.embed");
    snprintf(names[n++], 48, "dec.embed");
    for (int l = 0; l < m->cfg.enc_layers; l++)
        for (int k = 0; k < 4; k++) snprintf(names[n++], 48, "enc.l%d.%s", l, enc[k]);
    for (int l = 0; l < m->cfg.dec_layers; l++)
        for (int k = 0; k < 6; k++) snprintf(names[n++], 48, "dec.l%d.%s", l, dec[k]);
    return n;
}

/* 4. PyTorch's masks loaded into the tape: loss, log-probs and gradients against autograd;
 * then finite differences on those masks (rng NULL: the tape's masks) and on masks the C
 * side draws itself. */
static void check_dropout_case(const char *name) {
    Status st = {0};
    Transformer *m;
    Pair p;
    SafeTensors *exp = load_fixture(name, &m, &p);
    float pdrop = strtof(safetensors_meta(exp, "p"), NULL);
    assert_true(pdrop > 0.0f && pdrop < 1.0f);
    int Vt = vocab_size(m->tgt_vocab);
    TransformerTape *t = transformer_tape_new(m, p.S, p.T, &st);
    if (!t) fail_msg("%s", st.message);
    float plain = loss_of(m, t, &p);

    /* the fixture holds a mask for every site of the model, and the tape takes each */
    int sites = 0, zeros = 0;
    for (int i = 0; i < exp->count; i++) {
        const SafeTensor *e = &exp->tensors[i];
        if (strncmp(e->name, "mask.", 5)) continue;
        long n = 0;
        float *mk = transformer_tape_mask(t, e->name + 5, p.S, p.T, &n);
        if (!mk) fail_msg("%s: the tape has no dropout site %s", name, e->name + 5);
        if (n != e->numel) fail_msg("%s: site %s holds %ld multipliers, the fixture %ld", name, e->name + 5, n, (long)e->numel);
        memcpy(mk, e->data, (size_t)n * sizeof(float));
        for (long k = 0; k < n; k++) zeros += e->data[k] == 0.0f;
        sites++;
    }
    assert_int_equal(sites, 2 + 4 * m->cfg.enc_layers + 6 * m->cfg.dec_layers);
    assert_int_equal(sites, atoi(safetensors_meta(exp, "sites")));
    assert_true(zeros > 0);

    float *lp = calloc((size_t)p.T * Vt, sizeof(float));
    float *g = calloc((size_t)m->param_count, sizeof(float));
    float loss = 0;
    if (transformer_train_forward_dropout(m, t, p.src, p.S, p.tgt_in, p.tgt_out, p.T, pdrop, NULL, &loss, lp, &st))
        fail_msg("%s", st.message);
    double worst_lp = check_loss_logprobs(name, exp, loss, lp, p.T * Vt);
    if (fabsf(loss - plain) < 1e-3f) fail_msg("%s: the masks did not change the loss (%.9g)", name, loss);
    float want_loss = strtof(safetensors_meta(exp, "loss"), NULL);
    transformer_train_backward(m, t, g);
    double worst;
    int compared = check_grads(name, m, exp, g, &worst);
    print_message("  %-18s dropout %.2f, %d masks: loss %.7f (PyTorch %.7f, diff %.2g; without dropout %.6f), log-probs max abs "
                  "diff %.2g; %d gradient values match autograd (max abs diff %.2g)\n",
                  name, (double)pdrop, sites, loss, want_loss, fabs((double)loss - want_loss), plain, worst_lp, compared, worst);

    /* 5. finite differences: on PyTorch's masks (kept in the tape), then on masks drawn here */
    assert_true(fd_check(name, m, t, &p, g, pdrop, 0) > 100);
    memset(g, 0, (size_t)m->param_count * sizeof(float));
    loss_drop(m, t, &p, pdrop, 99);
    transformer_train_backward(m, t, g);
    assert_true(fd_check(name, m, t, &p, g, pdrop, 99) > 100);
    free(lp);
    free(g);
    transformer_tape_free(t);
    transformer_free(m);
    safetensors_free(exp);
}

static void test_dropout_pytorch_post(void **unused) { (void)unused; check_dropout_case("tfm-drop-post"); }
static void test_dropout_pytorch_pre(void **unused) { (void)unused; check_dropout_case("tfm-drop-prenorm"); }

/* 5. finite differences with C-drawn masks on the dropout-free fixtures' models */
static void check_dropout_fd(const char *name, float pdrop, uint64_t seed) {
    Status st = {0};
    Transformer *m;
    Pair p;
    SafeTensors *exp = load_fixture(name, &m, &p);
    TransformerTape *t = transformer_tape_new(m, p.S, p.T, &st);
    float *g = calloc((size_t)m->param_count, sizeof(float));
    float plain = loss_of(m, t, &p), loss = loss_drop(m, t, &p, pdrop, seed);
    assert_true(fabsf(loss - plain) > 1e-3f);
    transformer_train_backward(m, t, g);
    assert_true(fd_check(name, m, t, &p, g, pdrop, seed) > 100);
    free(g);
    transformer_tape_free(t);
    transformer_free(m);
    safetensors_free(exp);
}

static void test_dropout_fd(void **unused) {
    (void)unused;
    check_dropout_fd("tfm-grad-post", 0.1f, 5);
    check_dropout_fd("tfm-grad-prenorm", 0.5f, 6);
}

/* 6. the masks and the refusals */
static void test_dropout_masks(void **unused) {
    (void)unused;
    Status st = {0};
    Transformer *m;
    Pair p;
    SafeTensors *exp = load_fixture("tfm-grad-post", &m, &p);
    TransformerTape *t = transformer_tape_new(m, p.S, p.T, &st);
    long P = m->param_count;
    float *g0 = calloc((size_t)P, sizeof(float)), *g1 = calloc((size_t)P, sizeof(float));
    char names[64][48];
    int n_sites = site_names(m, names, 64);

    /* p = 0: the plain forward bit for bit, and the generator is not touched */
    float plain = loss_of(m, t, &p), loss = 0;
    transformer_train_backward(m, t, g0);
    uint64_t rng = 42;
    assert_int_equal(transformer_train_forward_dropout(m, t, p.src, p.S, p.tgt_in, p.tgt_out, p.T, 0.0f, &rng, &loss, NULL, &st), 0);
    assert_true(rng == 42);
    assert_memory_equal(&loss, &plain, sizeof loss);
    transformer_train_backward(m, t, g1);
    assert_memory_equal(g0, g1, (size_t)P * sizeof(float));

    /* drawn masks: 0 with frequency p, 1/(1-p) elsewhere; the generator advances */
    const float pd = 0.3f, scale = 1.0f / (1.0f - pd);
    long total = 0, zeros = 0, per_pair = 0;
    float *copy = NULL;
    for (uint64_t seed = 12345 + 19; seed >= 12345; seed--) { /* 20 pairs' masks; the last drawn from 12345 */
        rng = seed;
        assert_int_equal(transformer_train_forward_dropout(m, t, p.src, p.S, p.tgt_in, p.tgt_out, p.T, pd, &rng, &loss, NULL, &st), 0);
        assert_true(rng != seed);
        per_pair = 0;
        for (int k = 0; k < n_sites; k++) {
            long n = 0;
            const float *mk = transformer_tape_mask(t, names[k], p.S, p.T, &n);
            if (!mk || n < 1) fail_msg("no dropout site %s", names[k]);
            for (long i = 0; i < n; i++) {
                if (mk[i] != 0.0f && mk[i] != scale) fail_msg("%s[%ld] = %.9g (not 0 or 1/(1-p))", names[k], i, mk[i]);
                zeros += mk[i] == 0.0f;
            }
            per_pair += n;
        }
        total += per_pair;
    }
    double frac = (double)zeros / (double)total;
    print_message("  dropout 0.30: %ld of %ld multipliers are 0 (%.4f) over %d sites, 20 draws\n", zeros, total, frac, n_sites);
    assert_true(total > 20000);
    assert_true(fabs(frac - 0.3) < 0.01); /* 4 standard deviations */
    /* the same generator state gives the same masks and the same loss; another one others */
    copy = malloc((size_t)per_pair * sizeof(float));
    for (int k = 0, off = 0; k < n_sites; k++) {
        long n = 0;
        const float *mk = transformer_tape_mask(t, names[k], p.S, p.T, &n);
        memcpy(copy + off, mk, (size_t)n * sizeof(float));
        off += (int)n;
    }
    float again = loss_drop(m, t, &p, pd, 12345), other = loss_drop(m, t, &p, pd, 12346);
    assert_memory_equal(&again, &loss, sizeof loss);
    assert_true(other != loss);
    loss_drop(m, t, &p, pd, 12345);
    for (int k = 0, off = 0; k < n_sites; k++) {
        long n = 0;
        const float *mk = transformer_tape_mask(t, names[k], p.S, p.T, &n);
        assert_memory_equal(copy + off, mk, (size_t)n * sizeof(float));
        off += (int)n;
    }

    /* masks of ones: exactly the dropout-free loss and gradient */
    for (int k = 0; k < n_sites; k++) {
        long n = 0;
        float *mk = transformer_tape_mask(t, names[k], p.S, p.T, &n);
        for (long i = 0; i < n; i++) mk[i] = 1.0f;
    }
    assert_int_equal(transformer_train_forward_dropout(m, t, p.src, p.S, p.tgt_in, p.tgt_out, p.T, pd, NULL, &loss, NULL, &st), 0);
    assert_memory_equal(&loss, &plain, sizeof loss);
    memset(g1, 0, (size_t)P * sizeof(float));
    transformer_train_backward(m, t, g1);
    assert_memory_equal(g0, g1, (size_t)P * sizeof(float));

    /* refusals */
    const float bad_p[] = {-0.1f, 1.0f, 1.5f, NAN};
    for (int k = 0; k < 4; k++) {
        st = (Status){0};
        rng = 1;
        assert_int_equal(transformer_train_forward_dropout(m, t, p.src, p.S, p.tgt_in, p.tgt_out, p.T, bad_p[k], &rng, &loss, NULL, &st), -1);
        assert_non_null(strstr(st.message, "dropout"));
    }
    const char *bad_sites[] = {"enc.l2.self.attn", "enc.l0.cross.attn", "dec.l0.ffn.attn", "enc.l0.self.hid", "enc.l-1.self.out",
                               "enc.l0x.self.out", "enc.embedding", "foo", "", "dec.l0.self.out.x"};
    for (int k = 0; k < 10; k++) {
        long n = 7;
        assert_null(transformer_tape_mask(t, bad_sites[k], p.S, p.T, &n));
        assert_int_equal(n, 0);
    }
    long n = 7;
    assert_null(transformer_tape_mask(t, "enc.embed", p.S + 1, p.T, &n));
    assert_null(transformer_tape_mask(t, NULL, p.S, p.T, &n));
    assert_non_null(transformer_tape_mask(t, "dec.l1.cross.attn", p.S, p.T, &n));
    assert_int_equal(n, (long)m->cfg.nhead * p.T * p.S);
    free(copy);
    free(g0);
    free(g1);
    transformer_tape_free(t);
    transformer_free(m);
    safetensors_free(exp);
}

static void test_tape_limits(void **unused) {
    (void)unused;
    Status st = {0};
    Transformer *m = transformer_load(FIXTURES "/tfm-grad-post.model.safetensors", &st);
    assert_non_null(m);
    assert_null(transformer_tape_new(m, 0, 4, &st));
    assert_null(transformer_tape_new(m, 4, m->cfg.max_len + 1, &st));
    TransformerTape *t = transformer_tape_new(m, 4, 4, &st);
    int src[5] = {2, 4, 5, 3, 3}, tin[4] = {2, 4, 5, 6}, tout[4] = {4, 5, 6, 3};
    float loss;
    assert_int_equal(transformer_train_forward(m, t, src, 5, tin, tout, 4, &loss, NULL, &st), -1);
    src[1] = 99;
    assert_int_equal(transformer_train_forward(m, t, src, 4, tin, tout, 4, &loss, NULL, &st), -1);
    assert_non_null(strstr(st.message, "outside the vocabulary"));
    /* every target PAD: loss 0, no gradient */
    src[1] = 4;
    int pads[4] = {1, 1, 1, 1};
    assert_int_equal(transformer_train_forward(m, t, src, 4, tin, pads, 4, &loss, NULL, &st), 0);
    assert_true(loss == 0.0f);
    float *g = calloc((size_t)m->param_count, sizeof(float));
    transformer_train_backward(m, t, g);
    for (long i = 0; i < m->param_count; i++) assert_true(g[i] == 0.0f);
    free(g);
    transformer_tape_free(t);
    transformer_free(m);
}

int main(void) {
    tensor_set_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradients_post_norm),
        cmocka_unit_test(test_gradients_pre_norm),
        cmocka_unit_test(test_tape_limits),
        cmocka_unit_test(test_dropout_pytorch_post),
        cmocka_unit_test(test_dropout_pytorch_pre),
        cmocka_unit_test(test_dropout_fd),
        cmocka_unit_test(test_dropout_masks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
