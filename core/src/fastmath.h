/* fastmath.h — exp, tanh and sigmoid over arrays, for the elementwise loops of cells,
 * attention and softmax. Private to core/src.
 *
 * One scheme everywhere (Cephes single precision: Cody–Waite range reduction, degree-6
 * polynomial, 2^n built in the exponent bits), in AVX2+FMA intrinsics when the compiler
 * targets them (8 lanes) and in plain C otherwise; both give the same results to the last
 * bit or two. Accuracy: exp within 2 ulp of expf on [-87.3, 88.3] (clamped outside);
 * tanh = 1 − 2/(e^{2x}+1) and sigmoid = 1/(1+e^{-x}) within 2e-7 absolute.
 * tests/unit/test_tensor.c checks them against libm over a dense grid.
 * (GCC does not vectorise the scalar form: the clamps before the float→int conversion
 * stay branches under strict IEEE semantics.) */
#ifndef ATTNSTEP_FASTMATH_H
#define ATTNSTEP_FASTMATH_H

#include <math.h>
#include <stdint.h>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define FASTMATH_AVX2 1
#endif

#define FM_LOG2E 1.44269504088896341f
#define FM_LN2_HI 0.693359375f
#define FM_LN2_LO -2.12194440e-4f
#define FM_P0 1.9875691500e-4f
#define FM_P1 1.3981999507e-3f
#define FM_P2 8.3334519073e-3f
#define FM_P3 4.1665795894e-2f
#define FM_P4 1.6666665459e-1f
#define FM_P5 5.0000001201e-1f

static inline float fm_exp(float x) {
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.3f ? 88.3f : x;
    float t = x * FM_LOG2E;
    t = t == t ? t : 0.0f; /* NaN: converting it to int is undefined; r below keeps the NaN */
    int32_t ni = (int32_t)(t + (t >= 0.0f ? 0.5f : -0.5f));
    float n = (float)ni;
    float r = x - n * FM_LN2_HI;
    r = r - n * FM_LN2_LO;
    float p = FM_P0;
    p = p * r + FM_P1;
    p = p * r + FM_P2;
    p = p * r + FM_P3;
    p = p * r + FM_P4;
    p = p * r + FM_P5;
    p = p * r * r + r + 1.0f;
    union { int32_t i; float f; } scale; /* 2^n in the exponent bits */
    scale.i = (ni + 127) << 23;
    return p * scale.f;
}

static inline float fm_tanh(float x) { return 1.0f - 2.0f / (fm_exp(2.0f * x) + 1.0f); }
static inline float fm_sigmoid(float x) { return 1.0f / (1.0f + fm_exp(-x)); }

#ifdef FASTMATH_AVX2
static inline __m256 fm_exp8(__m256 x) {
    x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.3f)), _mm256_set1_ps(-87.3f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(FM_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(FM_LN2_HI), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(FM_LN2_LO), r);
    __m256 p = _mm256_set1_ps(FM_P0);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(FM_P1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(FM_P2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(FM_P3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(FM_P4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(FM_P5));
    p = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}
#endif

/* y[i] = tanh(x[i]) for n values; y may alias x. */
static inline void fm_tanh_array(float *y, const float *x, int n) {
    int i = 0;
#ifdef FASTMATH_AVX2
    const __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f);
    for (; i + 8 <= n; i += 8) {
        __m256 e = fm_exp8(_mm256_mul_ps(two, _mm256_loadu_ps(x + i)));
        _mm256_storeu_ps(y + i, _mm256_sub_ps(one, _mm256_div_ps(two, _mm256_add_ps(e, one))));
    }
#endif
    for (; i < n; i++) y[i] = fm_tanh(x[i]);
}

/* y[i] = sigmoid(x[i]) for n values; y may alias x. */
static inline void fm_sigmoid_array(float *y, const float *x, int n) {
    int i = 0;
#ifdef FASTMATH_AVX2
    const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
    for (; i + 8 <= n; i += 8) {
        __m256 e = fm_exp8(_mm256_sub_ps(zero, _mm256_loadu_ps(x + i)));
        _mm256_storeu_ps(y + i, _mm256_div_ps(one, _mm256_add_ps(one, e)));
    }
#endif
    for (; i < n; i++) y[i] = fm_sigmoid(x[i]);
}

/* y[i] = exp(x[i] - shift) for n values (x may hold -inf: gives 0); returns Σ y. y may alias x. */
static inline double fm_exp_shift_array(float *y, const float *x, float shift, int n) {
    int i = 0;
    double sum = 0.0;
#ifdef FASTMATH_AVX2
    const __m256 s = _mm256_set1_ps(shift), ninf = _mm256_set1_ps(-INFINITY);
    __m256 acc = _mm256_setzero_ps();
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 e = fm_exp8(_mm256_sub_ps(v, s));
        e = _mm256_andnot_ps(_mm256_cmp_ps(v, ninf, _CMP_EQ_OQ), e);
        _mm256_storeu_ps(y + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, acc);
    for (int k = 0; k < 8; k++) sum += lanes[k];
#endif
    for (; i < n; i++) {
        y[i] = x[i] == -INFINITY ? 0.0f : fm_exp(x[i] - shift);
        sum += y[i];
    }
    return sum;
}

#endif
