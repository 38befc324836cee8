/* rnn.c — Elman, GRU and LSTM cells (see rnn.h for the equations). */
#include "attnstep/rnn.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "attnstep/tensor.h"

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

int rnn_scratch_size(RnnCell cell, int B, int H) { return 2 * B * rnn_gate_count(cell) * H; }

/* ------------------------------------------------------------------------ */
/* The cell given both projections: gi = x W_ih^T + b_ih, gh = h W_hh^T + b_hh */
/* ------------------------------------------------------------------------ */

static void cell_combine(RnnCell cell, float *h_out, float *c_out, float *gates_out,
                         const float *gi, const float *gh, const float *h_prev, const float *c_prev,
                         int B, int H) {
    int G = rnn_gate_count(cell);
    for (int b = 0; b < B; b++) {
        const float *xi = gi + (size_t)b * G * H, *hh = gh + (size_t)b * G * H;
        const float *hp = h_prev + (size_t)b * H;
        float *ho = h_out + (size_t)b * H;
        float *go = gates_out ? gates_out + (size_t)b * G * H : NULL;
        switch (cell) {
        case RNN_GRU:
            for (int i = 0; i < H; i++) {
                float r = tensor_sigmoid(xi[i] + hh[i]);
                float z = tensor_sigmoid(xi[H + i] + hh[H + i]);
                float n = tanhf(xi[2 * H + i] + r * hh[2 * H + i]);
                ho[i] = (1.0f - z) * n + z * hp[i];
                if (go) { go[i] = r; go[H + i] = z; go[2 * H + i] = n; }
            }
            break;
        case RNN_LSTM: {
            const float *cp = c_prev + (size_t)b * H;
            float *co = c_out + (size_t)b * H;
            for (int i = 0; i < H; i++) {
                float ig = tensor_sigmoid(xi[i] + hh[i]);
                float fg = tensor_sigmoid(xi[H + i] + hh[H + i]);
                float gg = tanhf(xi[2 * H + i] + hh[2 * H + i]);
                float og = tensor_sigmoid(xi[3 * H + i] + hh[3 * H + i]);
                co[i] = fg * cp[i] + ig * gg;
                ho[i] = og * tanhf(co[i]);
                if (go) { go[i] = ig; go[H + i] = fg; go[2 * H + i] = gg; go[3 * H + i] = og; }
            }
            break;
        }
        case RNN_ELMAN_RELU:
            for (int i = 0; i < H; i++) { float a = xi[i] + hh[i]; ho[i] = a > 0.0f ? a : 0.0f; }
            break;
        default:
            for (int i = 0; i < H; i++) ho[i] = tanhf(xi[i] + hh[i]);
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
    float *gh = scratch; /* (B, G*H) */
    tensor_linear(gh, h_prev, w->w_hh, w->b_hh, B, H, G * H);
    cell_combine(cell, h_out, c_out, gates_out, gi, gh, h_prev, c_prev, B, H);
}

void rnn_cell_forward(RnnCell cell, float *h_out, float *c_out, float *gates_out, float *scratch,
                      const RnnWeights *w, const float *x, const float *h_prev, const float *c_prev,
                      int B, int I, int H) {
    int G = rnn_gate_count(cell);
    float *gi = scratch;                       /* (B, G*H) */
    float *rest = scratch + (size_t)B * G * H; /* (B, G*H) */
    tensor_linear(gi, x, w->w_ih, w->b_ih, B, I, G * H);
    rnn_cell_forward_pre(cell, h_out, c_out, gates_out, rest, w, gi, h_prev, c_prev, B, H);
}
