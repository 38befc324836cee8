/* test_transformer_grad.c — the Transformer's backward pass (core/src/transformer_train.c).
 *
 * 1. PyTorch autograd: for tfm-grad-{post,prenorm} (tests/reference/transformer_reference.py:
 *    the tutorial's Seq2SeqTransformer, its train_epoch loss with CrossEntropyLoss(ignore_index
 *    = PAD), one pair, dropout off) the loss, the teacher-forced log-probs and the gradient of
 *    every parameter match (1e-5 absolute + 1e-4 relative).
 * 2. Finite differences: central differences of the loss against the analytic gradient for
 *    a spread of entries of every tensor (the position table included), post- and pre-norm.
 * 3. The teacher-forced log-probs equal the incremental (KV-cache) decoder's. */
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

static void check_case(const char *name) {
    char path[1024];
    Status st = {0};
    snprintf(path, sizeof path, "%s/%s.grad.safetensors", FIXTURES, name);
    SafeTensors *exp = safetensors_load(path, &st);
    if (!exp) fail_msg("%s", st.message);
    snprintf(path, sizeof path, "%s/%s", FIXTURES, safetensors_meta(exp, "model"));
    Transformer *m = transformer_load(path, &st);
    if (!m) fail_msg("%s", st.message);
    Pair p;
    p.S = json_ids(safetensors_meta(exp, "src_ids"), p.src, 32);
    p.T = json_ids(safetensors_meta(exp, "tgt_in"), p.tgt_in, 32);
    assert_int_equal(json_ids(safetensors_meta(exp, "tgt_out"), p.tgt_out, 32), p.T);
    int Vt = vocab_size(m->tgt_vocab);
    TransformerTape *t = transformer_tape_new(m, p.S, p.T, &st);
    if (!t) fail_msg("%s", st.message);
    float *lp = calloc((size_t)p.T * Vt, sizeof(float));
    float *g = calloc((size_t)m->param_count, sizeof(float));
    float loss = 0;
    if (transformer_train_forward(m, t, p.src, p.S, p.tgt_in, p.tgt_out, p.T, &loss, lp, &st)) fail_msg("%s", st.message);
    float want_loss = strtof(safetensors_meta(exp, "loss"), NULL);
    if (fabsf(loss - want_loss) > 1e-5f + 1e-5f * fabsf(want_loss)) fail_msg("%s: loss %.9g, PyTorch %.9g", name, loss, want_loss);
    const SafeTensor *wlp = safetensors_find(exp, "logprobs");
    assert_non_null(wlp);
    for (int i = 0; i < p.T * Vt; i++)
        if (fabsf(lp[i] - wlp->data[i]) > 1e-5f + 1e-5f * fabsf(wlp->data[i])) fail_msg("%s: logprobs[%d] %.9g, PyTorch %.9g", name, i, lp[i], wlp->data[i]);
    transformer_train_backward(m, t, g);

    /* 1. every parameter's gradient against autograd */
    int compared = 0;
    double worst = 0.0;
    for (int k = 0; k < m->tensor_count; k++) {
        const TransformerTensor *tt = &m->tensors[k];
        char gname[128];
        snprintf(gname, sizeof gname, "grad.%s", tt->name);
        const SafeTensor *want = safetensors_find(exp, gname);
        if (!strcmp(tt->name, "positional_encoding.pos_embedding")) { assert_null(want); continue; } /* a buffer in PyTorch */
        if (!want) fail_msg("fixture has no %s", gname);
        assert_int_equal(want->numel, tt->numel);
        const float *got = transformer_grad_of(m, g, tt->data);
        for (long i = 0; i < tt->numel; i++) {
            double diff = fabs((double)got[i] - want->data[i]);
            if (diff > 1e-5 + 1e-4 * fabs(want->data[i])) fail_msg("%s: %s[%ld] = %.9g, PyTorch %.9g", name, gname, i, got[i], want->data[i]);
            if (diff > worst) worst = diff;
            compared++;
        }
    }
    print_message("  %-18s loss %.6f; %d gradient values match autograd (max abs diff %.2g)\n", name, loss, compared, worst);

    /* 2. finite differences on a spread of entries of every tensor */
    int checked = 0, bad = 0;
    for (int k = 0; k < m->tensor_count; k++) {
        const TransformerTensor *tt = &m->tensors[k];
        float *w = m->block + (tt->data - m->block);
        const float *an = transformer_grad_of(m, g, tt->data);
        long stride = tt->numel / 5 + 1;
        for (long i = k % 3; i < tt->numel; i += stride) {
            /* a step that crosses a ReLU kink disagrees: retry smaller before calling it wrong */
            double fd = 0.0;
            int ok = 0;
            for (float h = 1e-2f; h >= 1e-4f && !ok; h /= 3.3f) {
                float keep = w[i];
                w[i] = keep + h;
                double up = loss_of(m, t, &p);
                w[i] = keep - h;
                double down = loss_of(m, t, &p);
                w[i] = keep;
                fd = (up - down) / (2.0 * h);
                ok = fabs(fd - an[i]) <= 2e-3 + 3e-2 * fabs(fd) + 1e-6 / h; /* float loss rounding / h */
            }
            checked++;
            if (!ok) {
                bad++;
                print_message("    FD %s[%ld]: analytic %.6g, finite difference %.6g\n", tt->name, i, an[i], fd);
            }
        }
    }
    print_message("  %-18s %d entries checked by finite differences, %d off\n", name, checked, bad);
    assert_true(checked > 100);
    assert_int_equal(bad, 0);

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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
