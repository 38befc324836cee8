/* rnn.h — Elman, GRU and LSTM cells with PyTorch's equations and gate order.
 *
 * What it is: one time step of a cell for B rows at once (B = 1 for a single
 * sentence, B = k for the k hypotheses of a beam), on plain float buffers.
 * What it is not: it does not loop over time or layers — encoders and decoders
 * (seq2seq.c) do — and it allocates nothing.
 *
 * Equations (torch.nn.GRU / LSTM / RNN), gi = x W_ih^T + b_ih, gh = h W_hh^T + b_hh:
 *   GRU   r = σ(gi_r + gh_r)  z = σ(gi_z + gh_z)  n = tanh(gi_n + r ⊙ gh_n)  h' = (1−z) ⊙ n + z ⊙ h
 *   LSTM  i,f,o = σ(·)  g = tanh(·)  c' = f ⊙ c + i ⊙ g  h' = o ⊙ tanh(c')
 *   Elman h' = tanh(gi + gh) (or relu)
 * Gate blocks are laid out in that order: GRU [r z n], LSTM [i f g o].
 *
 *   RnnWeights w = {w_ih, w_hh, b_ih, b_hh};
 *   rnn_cell_forward(RNN_GRU, h_new, NULL, gates, scratch, &w, x, h, NULL, 1, I, H);
 */
#ifndef ATTNSTEP_RNN_H
#define ATTNSTEP_RNN_H

typedef enum RnnCell { RNN_ELMAN_TANH, RNN_ELMAN_RELU, RNN_GRU, RNN_LSTM } RnnCell;

typedef struct RnnWeights {
    const float *w_ih; /* (G*H, I) */
    const float *w_hh; /* (G*H, H) */
    const float *b_ih; /* (G*H) */
    const float *b_hh; /* (G*H) */
    /* w_ih, w_hh packed (tensor_pack) for stepping several rows at once (the model's
     * Seq2SeqPack owns them), or NULL; see tensor_linear_rows. */
    const float *w_ih_packed, *w_hh_packed;
} RnnWeights;

/* G: 1 (Elman), 3 (GRU), 4 (LSTM). */
int rnn_gate_count(RnnCell cell);
/* "elman", "elman-relu", "gru", "lstm". */
const char *rnn_cell_name(RnnCell cell);
/* Scratch floats rnn_cell_forward needs for B rows of size H. */
int rnn_scratch_size(RnnCell cell, int B, int H);

/* One step for B rows.
 * h_out:     (B, H) new hidden state (must not alias h_prev)
 * c_out:     (B, H) new cell state, LSTM only (NULL otherwise)
 * gates_out: (B, G*H) gate activations (GRU r,z,n; LSTM i,f,g,o), or NULL; Elman: ignored
 * scratch:   rnn_scratch_size(cell, B, H) floats
 * x:         (B, I) input; h_prev: (B, H); c_prev: (B, H) LSTM only */
void rnn_cell_forward(RnnCell cell, float *h_out, float *c_out, float *gates_out, float *scratch,
                      const RnnWeights *w, const float *x, const float *h_prev, const float *c_prev,
                      int B, int I, int H);

/* Same, with the input projection already computed (gi: (B, G*H) = x W_ih^T + b_ih),
 * as encoders do for a whole sequence in one sgemm. scratch: 2*B*G*H floats. */
void rnn_cell_forward_pre(RnnCell cell, float *h_out, float *c_out, float *gates_out, float *scratch,
                          const RnnWeights *w, const float *gi, const float *h_prev, const float *c_prev,
                          int B, int H);

#endif
