/* tensor.h — the numeric kernels every layer is built from.
 *
 * Plain row-major float buffers; no allocation, no shapes stored: every pointer
 * carries its shape in a comment. Each BLAS-backed kernel has a naive reference
 * (`*_naive`) beside it; tests check one against the other. Batch 1 goes through
 * sgemv (sgemm with one row is several times slower in OpenBLAS 0.3.21).
 *
 *   float y[4];
 *   tensor_linear(y, x, W, b, 1, 3, 4);   // y = x W^T + b, W is (4, 3) as in torch.nn.Linear
 */
#ifndef ATTNSTEP_TENSOR_H
#define ATTNSTEP_TENSOR_H

/* Y = X W^T + b (+ Y when accumulate), the torch.nn.Linear convention.
 * Y: (B, M) output; X: (B, N); W: (M, N); b: (M) or NULL. Y must not alias X or W. */
void tensor_linear(float *Y, const float *X, const float *W, const float *b, int B, int N, int M);
void tensor_linear_acc(float *Y, const float *X, const float *W, const float *b, int B, int N, int M);
void tensor_linear_naive(float *Y, const float *X, const float *W, const float *b, int B, int N, int M);

/* P (M·N floats) = W (M, N) packed for tensor_linear_packed: transposed, in panels of a
 * few vectors' worth of output columns (core/src/tensor.c). P must not alias W. */
void tensor_pack(float *P, const float *W, int M, int N);
/* Y = X W^T + b from W packed by tensor_pack: the form for decoding several hypotheses at
 * once (beam search), where every weight is loaded once per block of up to 8 rows and
 * feeds one FMA per row, with no horizontal sums. Results differ from tensor_linear's in
 * the last bits (another summation order). Y (B, M) must not alias X or P; b (M) or NULL. */
void tensor_linear_packed(float *Y, const float *X, const float *P, const float *b, int B, int N, int M);
/* Y = X W^T + b for B rows: through P (W packed) when it is given and B > 1, else as
 * tensor_linear. */
void tensor_linear_rows(float *Y, const float *X, const float *W, const float *P, const float *b,
                        int B, int N, int M);

/* Y (B, M) = X (B, N) W (N, M) + Y when accumulate — plain matmul, no transpose. */
void tensor_matmul(float *Y, const float *X, const float *W, int B, int N, int M, int accumulate);
void tensor_matmul_naive(float *Y, const float *X, const float *W, int B, int N, int M, int accumulate);

/* Softmax over n values; -inf entries get weight 0. If every entry is -inf the
 * result is all zeros (callers guarantee at least one finite entry). y may alias x. */
void tensor_softmax(float *y, const float *x, int n);
/* log-softmax over n values; y may alias x. */
void tensor_log_softmax(float *y, const float *x, int n);

/* Vectorisable approximations (absolute error < 2e-7 for tanh/sigmoid, 2 ulp for exp;
 * see core/src/fastmath.h); the same functions every layer uses. */
float tensor_sigmoid(float x);
float tensor_tanh(float x);
float tensor_exp(float x);
float tensor_dot(const float *a, const float *b, int n);
float tensor_norm(const float *a, int n);
/* Index of the largest value; the lowest index wins ties. n >= 1. */
int tensor_argmax(const float *x, int n);

/* Fixes the BLAS thread count (1 unless the caller asks otherwise); call once at start-up. */
void tensor_set_threads(int n);

#endif
