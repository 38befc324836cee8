/* test_tensor.c — every BLAS kernel against its naive reference; softmax edge cases. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "attnstep/tensor.h"

static float frand(unsigned *s) {
    *s = *s * 1664525u + 1013904223u;
    return ((*s >> 8) / 16777216.0f) * 2.0f - 1.0f;
}

static void check_linear(int B, int N, int M, int with_bias, int acc) {
    unsigned s = 42u + (unsigned)(B * 131 + N * 7 + M);
    float *X = malloc(sizeof(float) * B * N), *W = malloc(sizeof(float) * M * N), *b = malloc(sizeof(float) * M);
    float *Y = malloc(sizeof(float) * B * M), *R = malloc(sizeof(float) * B * M);
    for (int i = 0; i < B * N; i++) X[i] = frand(&s);
    for (int i = 0; i < M * N; i++) W[i] = frand(&s);
    for (int i = 0; i < M; i++) b[i] = frand(&s);
    for (int i = 0; i < B * M; i++) Y[i] = R[i] = frand(&s);
    if (acc) {
        tensor_linear_acc(Y, X, W, with_bias ? b : NULL, B, N, M);
        float *T = malloc(sizeof(float) * B * M);
        tensor_linear_naive(T, X, W, with_bias ? b : NULL, B, N, M);
        for (int i = 0; i < B * M; i++) R[i] += T[i];
        free(T);
    } else {
        tensor_linear(Y, X, W, with_bias ? b : NULL, B, N, M);
        tensor_linear_naive(R, X, W, with_bias ? b : NULL, B, N, M);
    }
    for (int i = 0; i < B * M; i++) assert_float_equal(Y[i], R[i], 1e-4f * (1.0f + fabsf(R[i])));
    free(X); free(W); free(b); free(Y); free(R);
}

static void test_linear_matches_naive(void **state) {
    (void)state;
    int shapes[][3] = {{1, 3, 4}, {1, 128, 384}, {5, 128, 384}, {7, 33, 17}, {64, 256, 500}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int bias = 0; bias < 2; bias++)
            for (int acc = 0; acc < 2; acc++) check_linear(shapes[i][0], shapes[i][1], shapes[i][2], bias, acc);
}

/* tensor_linear_packed on tensor_pack(W) gives tensor_linear_naive's Y for every row count
 * the kernels block differently (1..11, 64, 70) and column counts that leave a narrow last
 * panel and a partial vector, and writes nothing past Y's B*M floats; tensor_pack keeps
 * every weight exactly (X = I gives W^T back). */
static void test_linear_packed_matches_naive(void **state) {
    (void)state;
    int Bs[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 64, 70};
    int NMs[][2] = {{1, 1}, {3, 7}, {128, 384}, {33, 17}, {128, 500}, {256, 128}, {5, 63}, {9, 65}, {2, 129}, {4, 48}, {6, 96}};
    enum { GUARD = 40 };
    for (size_t t = 0; t < sizeof NMs / sizeof NMs[0]; t++)
        for (size_t bi = 0; bi < sizeof Bs / sizeof Bs[0]; bi++) {
            int B = Bs[bi], N = NMs[t][0], M = NMs[t][1];
            unsigned s = 11u + (unsigned)(t * 97 + bi);
            float *X = malloc(sizeof(float) * B * N), *W = malloc(sizeof(float) * M * N), *b = malloc(sizeof(float) * M);
            float *P = malloc(sizeof(float) * M * N), *Y = malloc(sizeof(float) * (B * M + GUARD)), *R = malloc(sizeof(float) * B * M);
            for (int i = 0; i < B * N; i++) X[i] = frand(&s);
            for (int i = 0; i < M * N; i++) W[i] = frand(&s);
            for (int i = 0; i < M; i++) b[i] = frand(&s);
            tensor_pack(P, W, M, N);
            if (bi == 0) { /* X = I (N rows) reads W^T back out of P exactly */
                float *I = calloc((size_t)N * N, sizeof(float)), *WT = malloc(sizeof(float) * N * M);
                for (int k = 0; k < N; k++) I[(size_t)k * N + k] = 1.0f;
                tensor_linear_packed(WT, I, P, NULL, N, N, M);
                for (int i = 0; i < M; i++)
                    for (int k = 0; k < N; k++) assert_true(WT[(size_t)k * M + i] == W[(size_t)i * N + k]);
                free(I); free(WT);
            }
            for (int bias = 0; bias < 2; bias++) {
                for (int i = 0; i < B * M + GUARD; i++) Y[i] = 7.0f;
                tensor_linear_naive(R, X, W, bias ? b : NULL, B, N, M);
                tensor_linear_packed(Y, X, P, bias ? b : NULL, B, N, M);
                for (int i = 0; i < B * M; i++) assert_float_equal(Y[i], R[i], 1e-4f * (1.0f + fabsf(R[i])));
                for (int i = B * M; i < B * M + GUARD; i++) assert_true(Y[i] == 7.0f);
                tensor_linear_rows(Y, X, W, P, bias ? b : NULL, B, N, M);
                for (int i = 0; i < B * M; i++) assert_float_equal(Y[i], R[i], 1e-4f * (1.0f + fabsf(R[i])));
                tensor_linear_rows(Y, X, W, NULL, bias ? b : NULL, B, N, M); /* no pack: tensor_linear */
                for (int i = 0; i < B * M; i++) assert_float_equal(Y[i], R[i], 1e-4f * (1.0f + fabsf(R[i])));
            }
            free(X); free(W); free(b); free(P); free(Y); free(R);
        }
}

static void test_matmul_matches_naive(void **state) {
    (void)state;
    int shapes[][3] = {{1, 5, 3}, {4, 12, 9}, {16, 64, 64}};
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        int B = shapes[t][0], N = shapes[t][1], M = shapes[t][2];
        unsigned s = 7u + (unsigned)t;
        float *X = malloc(sizeof(float) * B * N), *W = malloc(sizeof(float) * N * M);
        float *Y = malloc(sizeof(float) * B * M), *R = malloc(sizeof(float) * B * M);
        for (int i = 0; i < B * N; i++) X[i] = frand(&s);
        for (int i = 0; i < N * M; i++) W[i] = frand(&s);
        for (int acc = 0; acc < 2; acc++) {
            for (int i = 0; i < B * M; i++) Y[i] = R[i] = 0.5f;
            tensor_matmul(Y, X, W, B, N, M, acc);
            tensor_matmul_naive(R, X, W, B, N, M, acc);
            for (int i = 0; i < B * M; i++) assert_float_equal(Y[i], R[i], 1e-4f * (1.0f + fabsf(R[i])));
        }
        free(X); free(W); free(Y); free(R);
    }
}

static void test_softmax_handles_masked_entries(void **state) {
    (void)state;
    float x[4] = {1.0f, -INFINITY, 3.0f, -INFINITY}, y[4];
    tensor_softmax(y, x, 4);
    assert_float_equal(y[1], 0.0f, 0.0f);
    assert_float_equal(y[3], 0.0f, 0.0f);
    assert_float_equal(y[0], 1.0f / (1.0f + expf(2.0f)), 1e-6f);
    assert_float_equal(y[0] + y[2], 1.0f, 1e-6f);
    float all_masked[2] = {-INFINITY, -INFINITY};
    tensor_softmax(y, all_masked, 2);
    assert_float_equal(y[0] + y[1], 0.0f, 0.0f);
}

static void test_log_softmax_is_log_of_softmax(void **state) {
    (void)state;
    float x[5] = {100.0f, 101.0f, -3.0f, 0.0f, 99.5f}, ls[5], sm[5];
    tensor_log_softmax(ls, x, 5);
    tensor_softmax(sm, x, 5);
    for (int i = 0; i < 5; i++) assert_float_equal(expf(ls[i]), sm[i], 2e-6f);
    assert_int_equal(tensor_argmax(x, 5), 1);
    float tie[3] = {2.0f, 2.0f, 1.0f};
    assert_int_equal(tensor_argmax(tie, 3), 0);
}

/* The vectorised exp/tanh/sigmoid (core/src/fastmath.h, reached through the kernels that
 * use them) against libm over a dense grid, including the clamped tails. */
static void test_fast_math_matches_libm(void **state) {
    (void)state;
    float x[4001], y[4001];
    for (int i = 0; i <= 4000; i++) x[i] = -20.0f + 0.01f * (float)i;
    for (int i = 0; i <= 4000; i++) {
        assert_float_equal(tensor_tanh(x[i]), tanhf(x[i]), 2e-7f);
        assert_float_equal(tensor_sigmoid(x[i]), 1.0f / (1.0f + expf(-x[i])), 2e-7f);
        float e = expf(x[i] / 4.0f), got = tensor_exp(x[i] / 4.0f);
        assert_float_equal(got, e, 3e-7f * e);
    }
    /* softmax over a long vector goes through the 8-lane path: compare with libm */
    float s[4001];
    tensor_softmax(s, x, 4001);
    double z = 0.0;
    for (int i = 0; i <= 4000; i++) z += exp((double)x[i] - 20.0);
    for (int i = 0; i <= 4000; i += 97) assert_float_equal(s[i], (float)(exp((double)x[i] - 20.0) / z), 1e-6f * (float)(exp((double)x[i] - 20.0) / z) + 1e-12f);
    tensor_log_softmax(y, x, 4001);
    for (int i = 0; i <= 4000; i += 97) assert_float_equal(y[i], (float)((double)x[i] - 20.0 - log(z)), 2e-5f);
    assert_float_equal(tensor_tanh(100.0f), 1.0f, 0.0f);
    assert_float_equal(tensor_tanh(-100.0f), -1.0f, 0.0f);
    assert_float_equal(tensor_exp(-1000.0f), 0.0f, 1e-37f);
}

int main(void) {
    tensor_set_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_matches_naive),
        cmocka_unit_test(test_linear_packed_matches_naive),
        cmocka_unit_test(test_matmul_matches_naive),
        cmocka_unit_test(test_softmax_handles_masked_entries),
        cmocka_unit_test(test_log_softmax_is_log_of_softmax),
        cmocka_unit_test(test_fast_math_matches_libm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
