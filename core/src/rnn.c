/* rnn.c — Elman, GRU and LSTM cells (see rnn.h for the equations). */
#include "attnstep/rnn.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "attnstep/tensor.h"
#include "fastmath.h"

int rnn_gate_count(RnnCell cell) {
    switch (cell) {
    case RNN_GRU: return 3;
    case RNN_LSTM: return 4;
    default: return 1;
    }
}

const char *rnn_cell_name(RnnCell cell) {
    switch (cell) {
    case RNN_GRU: return "gru";
    case RNN_LSTM: return "lstm";
    case RNN_ELMAN_RELU: return "elman-relu";
    default: return "elman";
    }
}

int rnn_scratch_size(RnnCell cell, int B, int H) { return 3 * B * rnn_gate_count(cell) * H; }

/* ------------------------------------------------------------------------ */
/* The cell given both projections: gi = x W_ih^T + b_ih, gh = h W_hh^T + b_hh */
/* ------------------------------------------------------------------------ */

/* Elementwise part of a step. gates_out is required here (callers pass scratch when they
 * do not keep the gates): pre-activations are summed into it, then the vectorised
 * sigmoid/tanh of fastmath.h turn them into gate values in place. */
static void cell_combine(RnnCell cell, float *restrict h_out, float *restrict c_out, float *restrict gates_out,
                         const float *restrict gi, const float *restrict gh, const float *restrict h_prev,
                         const float *restrict c_prev, int B, int H) {
    int G = rnn_gate_count(cell);
    for (int b = 0; b < B; b++) {
        const float *restrict xi = gi + (size_t)b * G * H, *restrict hh = gh + (size_t)b * G * H;
        const float *restrict hp = h_prev + (size_t)b * H;
        float *restrict ho = h_out + (size_t)b * H;
        float *restrict a = gates_out + (size_t)b * G * H;
        switch (cell) {
        case RNN_GRU: /* a = [r z n] */
            for (int i = 0; i < 2 * H; i++) a[i] = xi[i] + hh[i];
            fm_sigmoid_array(a, a, 2 * H);
            for (int i = 0; i < H; i++) a[2 * H + i] = xi[2 * H + i] + a[i] * hh[2 * H + i];
            fm_tanh_array(a + 2 * H, a + 2 * H, H);
            for (int i = 0; i < H; i++) ho[i] = (1.0f - a[H + i]) * a[2 * H + i] + a[H + i] * hp[i];
            break;
        case RNN_LSTM: { /* a = [i f g o] */
            const float *restrict cp = c_prev + (size_t)b * H;
            float *restrict co = c_out + (size_t)b * H;
            for (int i = 0; i < 4 * H; i++) a[i] = xi[i] + hh[i];
            fm_sigmoid_array(a, a, 2 * H);
            fm_tanh_array(a + 2 * H, a + 2 * H, H);
            fm_sigmoid_array(a + 3 * H, a + 3 * H, H);
            for (int i = 0; i < H; i++) co[i] = a[H + i] * cp[i] + a[i] * a[2 * H + i];
            fm_tanh_array(ho, co, H);
            for (int i = 0; i < H; i++) ho[i] *= a[3 * H + i];
            break;
        }
        case RNN_ELMAN_RELU:
            for (int i = 0; i < H; i++) { float v = xi[i] + hh[i]; ho[i] = v > 0.0f ? v : 0.0f; }
            break;
        default:
            for (int i = 0; i < H; i++) ho[i] = xi[i] + hh[i];
            fm_tanh_array(ho, ho, H);
            break;
        }
    }
}

void rnn_cell_forward_pre(RnnCell cell, float *h_out, float *c_out, float *gates_out, float *scratch,
                          const RnnWeights *w, const float *gi, const float *h_prev, const float *c_prev,
                          int B, int H) {
    assert(h_out != h_prev);
    assert(cell != RNN_LSTM || (c_out && c_prev));
    int G = rnn_gate_count(cell);
    float *gh = scratch;                                         /* (B, G*H) */
    float *gates = gates_out ? gates_out : scratch + (size_t)B * G * H; /* (B, G*H) */
    tensor_linear_rows(gh, h_prev, w->w_hh, w->w_hh_packed, w->b_hh, B, H, G * H);
    cell_combine(cell, h_out, c_out, gates, gi, gh, h_prev, c_prev, B, H);
}

void rnn_cell_forward(RnnCell cell, float *h_out, float *c_out, float *gates_out, float *scratch,
                      const RnnWeights *w, const float *x, const float *h_prev, const float *c_prev,
                      int B, int I, int H) {
    int G = rnn_gate_count(cell);
    float *gi = scratch;                       /* (B, G*H) */
    float *rest = scratch + (size_t)B * G * H; /* (2B, G*H) */
    tensor_linear_rows(gi, x, w->w_ih, w->w_ih_packed, w->b_ih, B, I, G * H);
    rnn_cell_forward_pre(cell, h_out, c_out, gates_out, rest, w, gi, h_prev, c_prev, B, H);
}
