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

#ifdef FASTMATH_AVX2
static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Y (B, M) += X (B, N) W^T for a small batch B (2..8, fixed per instance so the
 * accumulators live in registers): streams W once, two rows at a time, each W load
 * feeding 2B FMAs, so a beam's k hypotheses cost far less than k matrix-vector products.
 * Bias and zeroing are done by the caller. */
/* GCC's loop vectoriser rewrites these hand-vectorised loops for small B into slower
 * shuffles (measured: B = 4 at half speed), so CMakeLists.txt builds this file with
 * -fno-tree-vectorize. */
#if defined(__AVX512F__)
/* 16 lanes: half the loads of the 8-lane form for the same FMAs. */
#define VEC __m512
#define VEC_LANES 16
#define VEC_ZERO() _mm512_setzero_ps()
#define VEC_LOAD(p) _mm512_loadu_ps(p)
#define VEC_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define VEC_HSUM(v) _mm512_reduce_add_ps(v)
#else
#define VEC __m256
#define VEC_LANES 8
#define VEC_ZERO() _mm256_setzero_ps()
#define VEC_LOAD(p) _mm256_loadu_ps(p)
#define VEC_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define VEC_HSUM(v) hsum8(v)
#endif
#define LINEAR_SMALL_BATCH(BB)                                                                  \
    static void linear_small_##BB(float *Y, const float *X, const float *W, int N, int M) {     \
        int NV = N - N % VEC_LANES;                                                             \
        for (int i = 0; i < M; i += 2) {                                                        \
            int pair = i + 1 < M;                                                               \
            const float *w0 = W + (size_t)i * N, *w1 = pair ? w0 + N : w0;                      \
            VEC a0[BB], a1[BB];                                                                 \
            for (int b = 0; b < BB; b++) { a0[b] = VEC_ZERO(); a1[b] = VEC_ZERO(); }            \
            for (int k = 0; k < NV; k += VEC_LANES) {                                           \
                VEC v0 = VEC_LOAD(w0 + k), v1 = VEC_LOAD(w1 + k);                               \
                for (int b = 0; b < BB; b++) {                                                  \
                    VEC x = VEC_LOAD(X + (size_t)b * N + k);                                    \
                    a0[b] = VEC_FMA(v0, x, a0[b]);                                              \
                    a1[b] = VEC_FMA(v1, x, a1[b]);                                              \
                }                                                                               \
            }                                                                                   \
            for (int b = 0; b < BB; b++) {                                                      \
                const float *x = X + (size_t)b * N;                                             \
                float s0 = VEC_HSUM(a0[b]), s1 = VEC_HSUM(a1[b]);                               \
                for (int k = NV; k < N; k++) { s0 += w0[k] * x[k]; s1 += w1[k] * x[k]; }        \
                Y[(size_t)b * M + i] += s0;                                                     \
                if (pair) Y[(size_t)b * M + i + 1] += s1;                                       \
            }                                                                                   \
        }                                                                                       \
    }
LINEAR_SMALL_BATCH(2)
LINEAR_SMALL_BATCH(3)
LINEAR_SMALL_BATCH(4)
LINEAR_SMALL_BATCH(5)
LINEAR_SMALL_BATCH(6)
LINEAR_SMALL_BATCH(7)
LINEAR_SMALL_BATCH(8)

/* Dispatches B = 2..8 to its kernel; 0 when B is out of range. */
static int linear_small(float *Y, const float *X, const float *W, int B, int N, int M) {
    static void (*const kernels[9])(float *, const float *, const float *, int, int) = {
        NULL, NULL, linear_small_2, linear_small_3, linear_small_4, linear_small_5, linear_small_6,
        linear_small_7, linear_small_8};
    if (B < 2 || B > 8) return 0;
    kernels[B](Y, X, W, N, M);
    return 1;
}
#endif

static void linear(float *Y, const float *X, const float *W, const float *b,
                   int B, int N, int M, int accumulate) {
    assert(Y && X && W && B > 0 && N > 0 && M > 0);
    float beta = accumulate ? 1.0f : 0.0f;
    if (b || (!accumulate && B > 1 && B <= 8)) {
        for (int r = 0; r < B; r++) {
            float *y = Y + (size_t)r * M;
            if (!b) { if (!accumulate) memset(y, 0, (size_t)M * sizeof *y); }
            else if (accumulate) for (int i = 0; i < M; i++) y[i] += b[i];
            else memcpy(y, b, (size_t)M * sizeof *y);
        }
        beta = 1.0f;
    }
    if (B == 1) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, M, N, 1.0f, W, N, X, 1, beta, Y, 1);
        return;
    }
#ifdef FASTMATH_AVX2
    if (beta == 1.0f && linear_small(Y, X, W, B, N, M)) return;
#endif
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, M, N, 1.0f, X, N, W, N, beta, Y, M);
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
    int i = 0;
    float acc = 0.0f;
#ifdef FASTMATH_AVX2
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    acc = hsum8(_mm256_add_ps(s0, s1));
#endif
    for (; i < n; i++) acc += a[i] * b[i];
    return acc;
}

float tensor_norm(const float *a, int n) { return sqrtf(tensor_dot(a, a, n)); }

int tensor_argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) if (x[i] > x[best]) best = i;
    return best;
}

void tensor_set_threads(int n) { openblas_set_num_threads(n < 1 ? 1 : n); }
