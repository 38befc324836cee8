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
/* The first two halving steps of GCC's _mm512_reduce_add_ps, in its order. */
static inline __m128 vec_to128(__m512 v) {
    __m256 t = _mm256_add_ps(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)), _mm512_castps512_ps256(v));
    return _mm_add_ps(_mm256_extractf128_ps(t, 1), _mm256_castps256_ps128(t));
}
#define LINEAR_R4_MAX_B 5 /* 4·B accumulators + 4 weight vectors + x fit the 32 registers */
#else
#define VEC __m256
#define VEC_LANES 8
#define VEC_ZERO() _mm256_setzero_ps()
#define VEC_LOAD(p) _mm256_loadu_ps(p)
#define VEC_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define VEC_HSUM(v) hsum8(v)
/* The first halving step of hsum8, in its order. */
static inline __m128 vec_to128(__m256 v) { return _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)); }
#define LINEAR_R4_MAX_B 2 /* 16 registers */
#endif

/* The totals of four accumulators at once, as one 4-lane vector (a, b, c, d), each
 * summed in exactly the order VEC_HSUM sums one accumulator ((x0 + x2) + (x1 + x3) after
 * the halving steps), so results are bit-identical to the one-at-a-time reduction (and
 * committed traces stay byte-identical). */
#if defined(__AVX512F__)
static inline __m128 vec_hsum4(__m512 a, __m512 b, __m512 c, __m512 d) {
    /* halving 1, two accumulators per instruction: [hi256 + lo256 of a | of b] */
    __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0xEE), _mm512_shuffle_f32x4(a, b, 0x44));
    __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0xEE), _mm512_shuffle_f32x4(c, d, 0x44));
    /* halving 2, all four: 128-bit lane j holds hi128 + lo128 of accumulator j */
    __m512 x = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0xDD), _mm512_shuffle_f32x4(ab, cd, 0x88));
    /* within each lane: (x0 + x2) and (x1 + x3), then their sum, in element 0 of the lane */
    __m512 t = _mm512_add_ps(x, _mm512_permute_ps(x, 0x4E));
    __m512 u = _mm512_add_ps(t, _mm512_permute_ps(t, 0xB1));
    return _mm512_castps512_ps128(_mm512_maskz_compress_ps(0x1111, u));
}
#else
static inline __m128 vec_hsum4(VEC a, VEC b, VEC c, VEC d) {
    __m128 r0 = vec_to128(a), r1 = vec_to128(b), r2 = vec_to128(c), r3 = vec_to128(d);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3); /* r0 = (a0, b0, c0, d0), r1 = (a1, ...), ... */
    return _mm_add_ps(_mm_add_ps(r0, r2), _mm_add_ps(r1, r3));
}
#endif

/* As LINEAR_SMALL_BATCH below, four rows of W at a time: each x load feeds 4 FMAs and the
 * four sums of a row of X are reduced together (one horizontal tree instead of four), which
 * matters when N is only a few vectors long. For B up to LINEAR_R4_MAX_B (registers). */
#define LINEAR_SMALL_BATCH_R4(BB)                                                               \
    static void linear_small_##BB(float *Y, const float *X, const float *W, int N, int M) {     \
        int NV = N - N % VEC_LANES, i = 0;                                                      \
        for (; i + 4 <= M; i += 4) {                                                            \
            const float *w0 = W + (size_t)i * N, *w1 = w0 + N, *w2 = w1 + N, *w3 = w2 + N;      \
            VEC a0[BB], a1[BB], a2[BB], a3[BB];                                                 \
            for (int b = 0; b < BB; b++) a0[b] = a1[b] = a2[b] = a3[b] = VEC_ZERO();            \
            for (int k = 0; k < NV; k += VEC_LANES) {                                           \
                VEC v0 = VEC_LOAD(w0 + k), v1 = VEC_LOAD(w1 + k);                               \
                VEC v2 = VEC_LOAD(w2 + k), v3 = VEC_LOAD(w3 + k);                               \
                for (int b = 0; b < BB; b++) {                                                  \
                    VEC x = VEC_LOAD(X + (size_t)b * N + k);                                    \
                    a0[b] = VEC_FMA(v0, x, a0[b]);                                              \
                    a1[b] = VEC_FMA(v1, x, a1[b]);                                              \
                    a2[b] = VEC_FMA(v2, x, a2[b]);                                              \
                    a3[b] = VEC_FMA(v3, x, a3[b]);                                              \
                }                                                                               \
            }                                                                                   \
            for (int b = 0; b < BB; b++) {                                                      \
                const float *x = X + (size_t)b * N;                                             \
                float *y = Y + (size_t)b * M + i;                                               \
                __m128 sum = vec_hsum4(a0[b], a1[b], a2[b], a3[b]);                             \
                if (NV == N) { /* lane-wise y + s: the same additions as the scalar tail */     \
                    _mm_storeu_ps(y, _mm_add_ps(_mm_loadu_ps(y), sum));                         \
                    continue;                                                                   \
                }                                                                               \
                float s[4];                                                                     \
                _mm_storeu_ps(s, sum);                                                          \
                for (int k = NV; k < N; k++) {                                                  \
                    s[0] += w0[k] * x[k]; s[1] += w1[k] * x[k];                                 \
                    s[2] += w2[k] * x[k]; s[3] += w3[k] * x[k];                                 \
                }                                                                               \
                y[0] += s[0]; y[1] += s[1]; y[2] += s[2]; y[3] += s[3];                         \
            }                                                                                   \
        }                                                                                       \
        for (; i < M; i++) {                                                                    \
            const float *w0 = W + (size_t)i * N;                                                \
            VEC a0[BB];                                                                         \
            for (int b = 0; b < BB; b++) a0[b] = VEC_ZERO();                                    \
            for (int k = 0; k < NV; k += VEC_LANES) {                                           \
                VEC v0 = VEC_LOAD(w0 + k);                                                      \
                for (int b = 0; b < BB; b++) a0[b] = VEC_FMA(v0, VEC_LOAD(X + (size_t)b * N + k), a0[b]); \
            }                                                                                   \
            for (int b = 0; b < BB; b++) {                                                      \
                const float *x = X + (size_t)b * N;                                             \
                float s0 = VEC_HSUM(a0[b]);                                                     \
                for (int k = NV; k < N; k++) s0 += w0[k] * x[k];                                \
                Y[(size_t)b * M + i] += s0;                                                     \
            }                                                                                   \
        }                                                                                       \
    }
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
LINEAR_SMALL_BATCH_R4(2)
#if LINEAR_R4_MAX_B >= 5
LINEAR_SMALL_BATCH_R4(3)
LINEAR_SMALL_BATCH_R4(4)
LINEAR_SMALL_BATCH_R4(5)
#else
LINEAR_SMALL_BATCH(3)
LINEAR_SMALL_BATCH(4)
LINEAR_SMALL_BATCH(5)
#endif
LINEAR_SMALL_BATCH(6)
LINEAR_SMALL_BATCH(7)
LINEAR_SMALL_BATCH(8)

/* Up to this many rows, Y += X W^T runs through the small-batch kernels (in row blocks, each
 * streaming W once) instead of OpenBLAS sgemm, which packs all of W on every call and costs
 * several times more for a few rows. Their users now: encoder passes of up to 8 tokens and
 * the Transformer's decoder steps (an RNN's beam steps run tensor_linear_packed on packed
 * copies). Row blocks up to ~24 rows would be 1.3-2.3x faster than sgemm; it stays at 8
 * because sgemm's summation order differs in the last bit, and the committed traces of the
 * tests (encoder passes of 9+ tokens) must stay byte-identical; raising it means
 * regenerating those fixtures. */
#ifndef LINEAR_SMALL_MAX_ROWS
#define LINEAR_SMALL_MAX_ROWS 8
#endif

/* Dispatches B = 2..LINEAR_SMALL_MAX_ROWS to the kernels, in balanced blocks of at most
 * LINEAR_R4_MAX_B rows (or 8 for the two-row kernels); 0 when B is out of range. Every
 * kernel computes each output in the same order, so the blocking never changes results. */
static int linear_small(float *Y, const float *X, const float *W, int B, int N, int M) {
    static void (*const kernels[9])(float *, const float *, const float *, int, int) = {
        NULL, NULL, linear_small_2, linear_small_3, linear_small_4, linear_small_5, linear_small_6,
        linear_small_7, linear_small_8};
    if (B < 2 || B > LINEAR_SMALL_MAX_ROWS) return 0;
    if (B <= 8 && (B <= LINEAR_R4_MAX_B || LINEAR_R4_MAX_B < 5)) { kernels[B](Y, X, W, N, M); return 1; }
    int per = LINEAR_R4_MAX_B >= 5 ? LINEAR_R4_MAX_B : 8;
    int blocks = (B + per - 1) / per, done = 0;
    for (int k = 0; k < blocks; k++) {
        int rows = (B - done) / (blocks - k); /* balanced: sizes differ by at most one */
        if (rows == 1) cblas_sgemv(CblasRowMajor, CblasNoTrans, M, N, 1.0f, W, N, X + (size_t)done * N, 1, 1.0f, Y + (size_t)done * M, 1);
        else kernels[rows](Y + (size_t)done * M, X + (size_t)done * N, W, N, M);
        done += rows;
    }
    return 1;
}
#endif

#ifndef LINEAR_SMALL_MAX_ROWS
#define LINEAR_SMALL_MAX_ROWS 8 /* no small-batch kernels: only where bias is copied first */
#endif

static void linear(float *Y, const float *X, const float *W, const float *b,
                   int B, int N, int M, int accumulate) {
    assert(Y && X && W && B > 0 && N > 0 && M > 0);
    float beta = accumulate ? 1.0f : 0.0f;
    if (b || (!accumulate && B > 1 && B <= LINEAR_SMALL_MAX_ROWS)) {
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
/* Linear on a packed weight: Y = X W^T + b, W stored as column panels        */
/* ------------------------------------------------------------------------ */

/* The packed layout: W (M, N) transposed and cut into panels of PANEL output columns;
 * panel j0 (columns j0 .. j0 + w - 1, w = min(PANEL, M - j0)) starts at P + j0·N and holds
 * row k of the transpose at P + j0·N + k·w. A kernel then streams each panel front to
 * back (the prefetchers see one sequential stream, also when W falls out of L2). */
#if defined(__AVX512F__)
#define PANEL_VECS 3 /* RR·3 accumulators + 3 weight vectors + 1 broadcast in 32 registers */
#define PACKED_MAX_ROWS 8
#define PANEL_LANES 16
#elif defined(FASTMATH_AVX2)
#define PANEL_VECS 2 /* RR·2 + 2 + 1 in 16 registers */
#define PACKED_MAX_ROWS 5
#define PANEL_LANES 8
#else
#define PANEL_VECS 2
#define PANEL_LANES 8
#endif
#define PANEL (PANEL_VECS * PANEL_LANES)

void tensor_pack(float *P, const float *W, int M, int N) {
    for (int j0 = 0; j0 < M; j0 += PANEL) {
        int w = M - j0 < PANEL ? M - j0 : PANEL;
        float *p = P + (size_t)j0 * N;
        for (int c = 0; c < w; c++) {
            const float *row = W + (size_t)(j0 + c) * N;
            for (int k = 0; k < N; k++) p[(size_t)k * w + c] = row[k];
        }
    }
}

#ifdef FASTMATH_AVX2
/* Y (RR, M) += X (RR, N) W^T for RR rows (fixed per instance, so the accumulators live in
 * registers): every weight vector of a panel row feeds RR broadcast FMAs. No horizontal
 * sums: each output is y + x0 w0 + x1 w1 + ... in k order, one FMA per term, so the kernel
 * runs at the FMA units' rate rather than at the dot-product form's. The last, narrower
 * panel goes a vector at a time, its last vector under a mask. Bias and zeroing are done
 * by the caller. */
#if defined(__AVX512F__)
typedef __mmask16 PanelMask;
static inline PanelMask panel_mask(int n) { return (PanelMask)((1u << n) - 1u); }
#define MASK_LOAD(p, m) _mm512_maskz_loadu_ps(m, p)
#define MASK_STORE(p, m, v) _mm512_mask_storeu_ps(p, m, v)
#define VEC_BCAST(p) _mm512_set1_ps(*(p))
#define VEC_STORE(p, v) _mm512_storeu_ps(p, v)
#else
typedef __m256i PanelMask;
static inline PanelMask panel_mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#define MASK_LOAD(p, m) _mm256_maskload_ps(p, m)
#define MASK_STORE(p, m, v) _mm256_maskstore_ps(p, m, v)
#define VEC_BCAST(p) _mm256_broadcast_ss(p)
#define VEC_STORE(p, v) _mm256_storeu_ps(p, v)
#endif

#define LINEAR_PACKED_ROWS(RR)                                                                  \
    static void linear_packed_##RR(float *Y, const float *X, const float *P, int N, int M) {    \
        int j0 = 0;                                                                             \
        for (; j0 + PANEL <= M; j0 += PANEL) {                                                  \
            const float *p = P + (size_t)j0 * N;                                                \
            VEC acc[RR][PANEL_VECS];                                                            \
            for (int r = 0; r < RR; r++)                                                        \
                for (int t = 0; t < PANEL_VECS; t++) acc[r][t] = VEC_LOAD(Y + (size_t)r * M + j0 + t * VEC_LANES); \
            for (int k = 0; k < N; k++, p += PANEL) {                                           \
                VEC wv[PANEL_VECS];                                                             \
                for (int t = 0; t < PANEL_VECS; t++) wv[t] = VEC_LOAD(p + t * VEC_LANES);       \
                for (int r = 0; r < RR; r++) {                                                  \
                    VEC x = VEC_BCAST(X + (size_t)r * N + k);                                   \
                    for (int t = 0; t < PANEL_VECS; t++) acc[r][t] = VEC_FMA(wv[t], x, acc[r][t]); \
                }                                                                               \
            }                                                                                   \
            for (int r = 0; r < RR; r++)                                                        \
                for (int t = 0; t < PANEL_VECS; t++) VEC_STORE(Y + (size_t)r * M + j0 + t * VEC_LANES, acc[r][t]); \
        }                                                                                       \
        int w = M - j0; /* the last panel's width, 0..PANEL-1 */                               \
        for (int c = 0; c < w; c += VEC_LANES) {                                                \
            const float *p = P + (size_t)j0 * N + c;                                            \
            PanelMask mask = panel_mask(w - c < VEC_LANES ? w - c : VEC_LANES);                 \
            VEC acc[RR];                                                                        \
            for (int r = 0; r < RR; r++) acc[r] = MASK_LOAD(Y + (size_t)r * M + j0 + c, mask);  \
            for (int k = 0; k < N; k++, p += w) {                                               \
                VEC wv = MASK_LOAD(p, mask);                                                    \
                for (int r = 0; r < RR; r++) acc[r] = VEC_FMA(wv, VEC_BCAST(X + (size_t)r * N + k), acc[r]); \
            }                                                                                   \
            for (int r = 0; r < RR; r++) MASK_STORE(Y + (size_t)r * M + j0 + c, mask, acc[r]);  \
        }                                                                                       \
    }
LINEAR_PACKED_ROWS(1)
LINEAR_PACKED_ROWS(2)
LINEAR_PACKED_ROWS(3)
LINEAR_PACKED_ROWS(4)
LINEAR_PACKED_ROWS(5)
#if PACKED_MAX_ROWS == 8
LINEAR_PACKED_ROWS(6)
LINEAR_PACKED_ROWS(7)
LINEAR_PACKED_ROWS(8)
#endif

/* Y += X W^T in balanced blocks of at most PACKED_MAX_ROWS rows, each streaming P once
 * (beyond ~64 rows sgemm would amortise its own packing; beams stay far below). */
static void linear_packed(float *Y, const float *X, const float *P, int B, int N, int M) {
    static void (*const kernels[PACKED_MAX_ROWS + 1])(float *, const float *, const float *, int, int) = {
        NULL, linear_packed_1, linear_packed_2, linear_packed_3, linear_packed_4, linear_packed_5,
#if PACKED_MAX_ROWS == 8
        linear_packed_6, linear_packed_7, linear_packed_8
#endif
    };
    int blocks = (B + PACKED_MAX_ROWS - 1) / PACKED_MAX_ROWS, done = 0;
    for (int k = 0; k < blocks; k++) {
        int rows = (B - done) / (blocks - k); /* sizes differ by at most one */
        kernels[rows](Y + (size_t)done * M, X + (size_t)done * N, P, N, M);
        done += rows;
    }
}
#else
/* Without AVX2: the same sums in plain C. */
static void linear_packed(float *Y, const float *X, const float *P, int B, int N, int M) {
    for (int r = 0; r < B; r++)
        for (int j0 = 0; j0 < M; j0 += PANEL) {
            int w = M - j0 < PANEL ? M - j0 : PANEL;
            const float *p = P + (size_t)j0 * N, *x = X + (size_t)r * N;
            float *y = Y + (size_t)r * M + j0;
            for (int k = 0; k < N; k++, p += w)
                for (int c = 0; c < w; c++) y[c] += x[k] * p[c];
        }
}
#endif

void tensor_linear_packed(float *Y, const float *X, const float *P, const float *b, int B, int N, int M) {
    assert(Y && X && P && B > 0 && N > 0 && M > 0);
    for (int r = 0; r < B; r++) {
        float *y = Y + (size_t)r * M;
        if (b) memcpy(y, b, (size_t)M * sizeof *y);
        else memset(y, 0, (size_t)M * sizeof *y);
    }
    linear_packed(Y, X, P, B, N, M);
}

void tensor_linear_rows(float *Y, const float *X, const float *W, const float *P, const float *b,
                        int B, int N, int M) {
    if (P && B > 1) tensor_linear_packed(Y, X, P, b, B, N, M);
    else tensor_linear(Y, X, W, b, B, N, M);
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

/* The largest of x (NaNs ignored, as the scalar `x[i] > mx` loop does; -inf when n is 0). */
static float max_array(const float *x, int n) {
    int i = 0;
    float mx = -INFINITY;
#ifdef FASTMATH_AVX2
    if (n >= 16) {
        __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0;
        /* max_ps(v, m) returns m when v is NaN: NaNs never enter m */
        for (; i + 16 <= n; i += 16) {
            m0 = _mm256_max_ps(_mm256_loadu_ps(x + i), m0);
            m1 = _mm256_max_ps(_mm256_loadu_ps(x + i + 8), m1);
        }
        float lanes[8];
        _mm256_storeu_ps(lanes, _mm256_max_ps(m0, m1));
        for (int k = 0; k < 8; k++) if (lanes[k] > mx) mx = lanes[k];
    }
#endif
    for (; i < n; i++) if (x[i] > mx) mx = x[i];
    return mx;
}

void tensor_softmax(float *y, const float *x, int n) {
    float mx = max_array(x, n);
    if (mx == -INFINITY) {
        for (int i = 0; i < n; i++) y[i] = 0.0f;
        return;
    }
    double sum = fm_exp_shift_array(y, x, mx, n);
    float inv = (float)(1.0 / sum);
    for (int i = 0; i < n; i++) y[i] *= inv;
}

void tensor_log_softmax(float *y, const float *x, int n) {
    float mx = max_array(x, n);
    double sum = 0.0;
    float chunk[256];
    for (int i = 0; i < n; i += 256) sum += fm_exp_shift_array(chunk, x + i, mx, n - i < 256 ? n - i : 256);
    float lse = mx + (float)log(sum);
    int i = 0;
#ifdef FASTMATH_AVX2
    const __m256 l = _mm256_set1_ps(lse);
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_sub_ps(_mm256_loadu_ps(x + i), l));
#endif
    for (; i < n; i++) y[i] = x[i] - lse;
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
