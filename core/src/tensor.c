/* tensor.c — BLAS-backed kernels with a naive reference beside each (see tensor.h). */
#include "attnstep/tensor.h"

#include <assert.h>
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "fastmath.h"

/* ------------------------------------------------------------------------ */
/* Linear: Y = X W^T + b                                                     */
/* ------------------------------------------------------------------------ */

static void linear(float *Y, const float *X, const float *W, const float *b,
                   int B, int N, int M, int accumulate) {
    assert(Y && X && W && B > 0 && N > 0 && M > 0);
    float beta = accumulate ? 1.0f : 0.0f;
    if (b) {
        for (int r = 0; r < B; r++) {
            float *y = Y + (size_t)r * M;
            if (accumulate) for (int i = 0; i < M; i++) y[i] += b[i];
            else memcpy(y, b, (size_t)M * sizeof *y);
        }
        beta = 1.0f;
    }
    if (B == 1) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, M, N, 1.0f, W, N, X, 1, beta, Y, 1);
    } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, M, N, 1.0f, X, N, W, N, beta, Y, M);
    }
}

void tensor_linear(float *Y, const float *X, const float *W, const float *b, int B, int N, int M) {
    linear(Y, X, W, b, B, N, M, 0);
}

void tensor_linear_acc(float *Y, const float *X, const float *W, const float *b, int B, int N, int M) {
    linear(Y, X, W, b, B, N, M, 1);
}

void tensor_linear_naive(float *Y, const float *X, const float *W, const float *b, int B, int N, int M) {
    for (int r = 0; r < B; r++) {
        for (int i = 0; i < M; i++) {
            double acc = b ? b[i] : 0.0;
            for (int k = 0; k < N; k++) acc += (double)X[(size_t)r * N + k] * W[(size_t)i * N + k];
            Y[(size_t)r * M + i] = (float)acc;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Matmul: Y = X W (+ Y)                                                     */
/* ------------------------------------------------------------------------ */

void tensor_matmul(float *Y, const float *X, const float *W, int B, int N, int M, int accumulate) {
    assert(Y && X && W && B > 0 && N > 0 && M > 0);
    float beta = accumulate ? 1.0f : 0.0f;
    if (B == 1) {
        cblas_sgemv(CblasRowMajor, CblasTrans, N, M, 1.0f, W, M, X, 1, beta, Y, 1);
    } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, M, N, 1.0f, X, N, W, M, beta, Y, M);
    }
}

void tensor_matmul_naive(float *Y, const float *X, const float *W, int B, int N, int M, int accumulate) {
    for (int r = 0; r < B; r++) {
        for (int j = 0; j < M; j++) {
            double acc = accumulate ? Y[(size_t)r * M + j] : 0.0;
            for (int k = 0; k < N; k++) acc += (double)X[(size_t)r * N + k] * W[(size_t)k * M + j];
            Y[(size_t)r * M + j] = (float)acc;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Elementwise and reductions                                                */
/* ------------------------------------------------------------------------ */

void tensor_softmax(float *y, const float *x, int n) {
    float mx = -INFINITY;
    for (int i = 0; i < n; i++) if (x[i] > mx) mx = x[i];
    if (mx == -INFINITY) {
        for (int i = 0; i < n; i++) y[i] = 0.0f;
        return;
    }
    double sum = fm_exp_shift_array(y, x, mx, n);
    float inv = (float)(1.0 / sum);
    for (int i = 0; i < n; i++) y[i] *= inv;
}

void tensor_log_softmax(float *y, const float *x, int n) {
    float mx = -INFINITY;
    for (int i = 0; i < n; i++) if (x[i] > mx) mx = x[i];
    double sum = 0.0;
    float chunk[256];
    for (int i = 0; i < n; i += 256) sum += fm_exp_shift_array(chunk, x + i, mx, n - i < 256 ? n - i : 256);
    float lse = mx + (float)log(sum);
    for (int i = 0; i < n; i++) y[i] = x[i] - lse;
}

float tensor_sigmoid(float x) { return fm_sigmoid(x); }

float tensor_tanh(float x) { return fm_tanh(x); }
float tensor_exp(float x) { return fm_exp(x); }

float tensor_dot(const float *a, const float *b, int n) {
    float acc = 0.0f;
    for (int i = 0; i < n; i++) acc += a[i] * b[i];
    return acc;
}

float tensor_norm(const float *a, int n) { return sqrtf(tensor_dot(a, a, n)); }

int tensor_argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) if (x[i] > x[best]) best = i;
    return best;
}

void tensor_set_threads(int n) { openblas_set_num_threads(n < 1 ? 1 : n); }
