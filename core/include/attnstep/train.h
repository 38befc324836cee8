/* train.h — training RNN encoder–decoders: batched teacher-forcing forward that keeps
 * what backward needs, handwritten backward passes, Adam, checkpoints, the loop.
 *
 * What it is: for the `rnn-seq2seq` / `tutorial-gru-bahdanau` models of seq2seq.h
 * (docs/model-format.md), the exact forward of seq2seq_encode + seq2seq_decode_step
 * run over a padded batch with teacher forcing (step 0 reads <sos>, step t reads
 * target[t-1]), its loss (mean NLL per target token, <eos> included; padded target
 * steps contribute nothing; padded source positions get -inf energies) and the gradient
 * of that loss for every parameter, written into one block laid out exactly like the
 * model's weight block (Seq2Seq.block, param_count floats, same order), so the
 * optimiser is one loop. Every cell (Elman tanh/relu, GRU, LSTM; uni/bi, L layers),
 * scorer (additive, concat, dot, general, scaled_dot, cosine, location), window (global,
 * local-m, local-p: gradient through the Gaussian only, bounds constant, as PyTorch's
 * reference does), query mode (prev / current + input feeding, query_context,
 * query_lang) and dec_init (last / zeros) is differentiated; docs/training.md lists the
 * proofs (tests/unit/test_train_grad.c: PyTorch fixtures to 1e-4 and finite differences).
 * What it is not: no decoding strategy (decode.h) and no file format of its own: the
 * checkpoint is the model file (safetensors) plus FILE.opt.safetensors.
 *
 * Numeric style (llm.c): activations live in one allocation sized for (batch, max
 * source, max target) (TrainActs); each layer is a *_forward / *_backward pair on plain
 * float* with outputs first. Sequences are stored time-major: row (s, b) of a (S, B, X)
 * buffer is at ((size_t)s * B + b) * X.
 *
 *   Status st = {0};
 *   TrainConfig tc; train_config_default(&tc);
 *   Trainer *tr = trainer_new(model, &tc, &st);             // model: Seq2Seq*, borrowed
 *   TrainData d; train_data_from_corpus(model, &corpus, &d, &st);
 *   for (int i = 0; i < 1000; i++) if (trainer_step(tr, &d, &loss, &st)) break;
 *   trainer_save(tr, "m.safetensors", extra_meta, &st);    // + m.safetensors.opt.safetensors
 */
#ifndef ATTNSTEP_TRAIN_H
#define ATTNSTEP_TRAIN_H

#include <stdint.h>

#include "corpus.h"
#include "seq2seq.h"
#include "status.h"
#include "transformer.h"

/* ------------------------------------------------------------------------ */
/* Building fresh models                                                     */
/* ------------------------------------------------------------------------ */

/* Creates a randomly initialised model (PyTorch's default inits: embeddings N(0,1),
 * RNN and Linear weights U(-1/sqrt(fan), 1/sqrt(fan))) with the given architecture
 * ("tutorial-gru-bahdanau" or "rnn-seq2seq"), config JSON (NULL for the tutorial, which
 * then needs hidden), and vocabularies (JSON arrays of tokens; the tutorial needs SOS/EOS
 * at ids 0/1). Extra metadata pairs (keys[i], values[i], n of them) are stored too.
 * NULL with st when the config or vocabularies are rejected (seq2seq's messages). */
Seq2Seq *train_model_new(const char *arch, const char *config_json, int tutorial_hidden,
                         const char *src_vocab_json, const char *tgt_vocab_json, uint64_t seed,
                         const char *const *meta_keys, const char *const *meta_values, int n_meta,
                         Status *st);

/* Writes m (its current weights) atomically to path as a model file, with m's metadata
 * plus the extra pairs (which replace same-named keys). -1 with st on I/O failure. */
int train_model_save(const Seq2Seq *m, const char *path, const char *const *keys,
                     const char *const *values, int n, Status *st);

/* Each parameter tensor of m, in block order: name, shape and its offset in the block.
 * Returns the count (<= max). */
typedef struct TrainParam {
    char name[96];
    int ndim;
    int64_t shape[2];
    long offset; /* floats from m->block */
    long numel;
} TrainParam;
int train_params(const Seq2Seq *m, TrainParam *out, int max);

/* ------------------------------------------------------------------------ */
/* Batches                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct TrainBatch {
    int B, S, T;          /* rows; longest source (its <eos> included); longest target (<eos> included) */
    const int *src;       /* (B, S) source ids ending with the source <eos>, padded with any valid id */
    const int *src_len;   /* (B) 1..S */
    const int *tgt;       /* (B, T) target ids ending with the target <eos>, padded with any valid id */
    const int *tgt_len;   /* (B) 1..T */
} TrainBatch;

/* ------------------------------------------------------------------------ */
/* Activations, forward and backward                                         */
/* ------------------------------------------------------------------------ */

typedef struct TrainActs TrainActs;

/* One allocation for batches of up to max_B rows, max_S source and max_T target tokens. */
TrainActs *train_acts_new(const Seq2Seq *m, int max_B, int max_S, int max_T, Status *st);
void train_acts_free(TrainActs *a); /* NULL is a no-op */

/* Teacher-forcing forward. Returns the loss (mean NLL per real target token).
 * dropout: probability in [0, 1) applied (inverted scaling) to the source and target
 * embeddings and to the output layer's input; 0 disables it. rng: state of the dropout
 * mask generator (advanced), may be NULL when dropout is 0. Asserts on a batch larger
 * than the activations or ids outside the vocabularies. */
float train_forward(const Seq2Seq *m, TrainActs *a, const TrainBatch *b, float dropout, uint64_t *rng);
/* log-probs of step t, row b from the last forward: (Vt). */
const float *train_logprobs(const TrainActs *a, int t, int b);
/* Attention weights of step t, row b from the last forward: (S) at stride S, or NULL. */
const float *train_weights(const TrainActs *a, int t, int b);
/* Adds d loss / d parameter of the last forward into grad: (m->param_count), block order. */
void train_backward(const Seq2Seq *m, TrainActs *a, float *grad);

/* ---- per-layer pairs (exposed for tests; the forward/backward above use them) ---- */

/* One RNN step for B rows with the input projection precomputed.
 * h: (B,H) out; c: (B,H) out, LSTM only; gates: (B,G*H) out (Elman: pre-activations unused,
 * may be anything); ghn: (B,H) out, GRU only (W_hn h + b_hn, needed by backward);
 * gh: (B,G*H) scratch; gi: (B,G*H) = x W_ih^T + b_ih; h_prev, c_prev: (B,H);
 * active: (B) 0 where the row is padding (its state is carried: h = h_prev), or NULL. */
void train_cell_forward(RnnCell cell, float *h, float *c, float *gates, float *ghn, float *gh,
                        const float *gi, const float *h_prev, const float *c_prev,
                        const float *w_hh, const float *b_hh, const unsigned char *active, int B, int H);
/* Backward of train_cell_forward.
 * dgi: (B,G*H) out, d loss / d gi (also d / d b_ih); dgh: (B,G*H) out, d / d gh;
 * dh_prev, dc_prev: (B,H) out (overwritten; dc_prev LSTM only);
 * dh, dc: (B,H) in, gradients w.r.t. h and c (dc LSTM only, may be NULL = zeros);
 * w_hh: (G*H, H). d W_hh and d b_hh are NOT accumulated here (callers batch them). */
void train_cell_backward(RnnCell cell, float *dgi, float *dgh, float *dh_prev, float *dc_prev,
                         const float *dh, const float *dc, const float *h, const float *c,
                         const float *gates, const float *ghn, const float *h_prev, const float *c_prev,
                         const float *w_hh, const unsigned char *active, int B, int H);

/* dW (M,N) += dY^T X; db (M) += Σ rows dY (db may be NULL); dX (rows,N) += dY W (dX may be
 * NULL). dY: (rows, M) with row stride ldy; X: (rows, N) with row stride ldx. */
void train_linear_backward(float *dX, float *dW, float *db, const float *dY, int ldy,
                           const float *X, int ldx, const float *W, int rows, int N, int M);

/* ------------------------------------------------------------------------ */
/* Data                                                                      */
/* ------------------------------------------------------------------------ */

/* Examples as model ids: source ids end with the model's source <eos>, targets with the
 * target <eos>. */
typedef struct TrainData {
    int n;
    int *src_off, *src_len, *tgt_off, *tgt_len; /* (n) */
    int *ids;                                   /* all ids, owned */
    int max_src, max_tgt;
} TrainData;

/* Maps a corpus onto m's vocabularies. Tokens missing from a vocabulary map to <unk>;
 * without one, -1 with st naming the token. Examples whose source exceeds
 * SEQ2SEQ_MAX_SOURCE are refused. */
int train_data_from_corpus(const Seq2Seq *m, const Corpus *c, TrainData *out, Status *st);
void train_data_free(TrainData *d); /* zeroed / NULL: no-op */

/* The training and dev data of a synthetic task, as model ids — the one corpus setup of
 * `attnstep train` and the GUI's live training. Generates n_train examples of cc's train
 * split and n_dev (0: none) of its dev split, both with seed data_seed (cc's own split and
 * seed are ignored; cc is not modified), and maps them onto the vocabularies of m (an RNN
 * model: train_data_from_corpus) or tm (a Transformer: transformer_train_data); exactly one
 * of m and tm is non-NULL (an assert), borrowed. The corpora are freed before returning;
 * train and dev are zeroed first, then filled, and belong to the caller (train_data_free;
 * dev stays zeroed when n_dev is 0). On failure: -1 with st ("training corpus: …",
 * "dev corpus: …", or the mapping's message naming the token or example), and both train
 * and dev are freed and zeroed. */
int train_data_for_task(const CorpusConfig *cc, uint64_t data_seed, int n_train, int n_dev, const Seq2Seq *m,
                        const Transformer *tm, TrainData *train, TrainData *dev, Status *st);

/* ------------------------------------------------------------------------ */
/* Optimiser and loop                                                        */
/* ------------------------------------------------------------------------ */

typedef enum TrainSchedule { TRAIN_LR_CONSTANT, TRAIN_LR_WARMUP_LINEAR } TrainSchedule;

typedef struct TrainConfig {
    int batch;            /* rows per step (default 32) */
    float lr;             /* peak learning rate (default 1e-3) */
    TrainSchedule schedule; /* default constant */
    int warmup;           /* warmup steps (linear from 0), WARMUP_LINEAR only */
    int total_steps;      /* decay to 0 at this step, WARMUP_LINEAR only */
    float clip;           /* global gradient-norm clip (default 1.0; 0 = off) */
    float beta1, beta2, eps; /* Adam: .9, .999, 1e-8 */
    float dropout;        /* default 0; RNNs: train_forward's sites; Transformer:
                             transformer_train_forward_dropout's (every nn.Transformer site) */
    uint64_t seed;        /* batch sampling and dropout (default 1) */
    int threads;          /* workers splitting each batch into contiguous row blocks (default 1;
                             at most TRAIN_MAX_THREADS). Results depend on this count (the
                             gradient is summed per block), so resume with the same value. */
} TrainConfig;

#define TRAIN_MAX_THREADS 8

void train_config_default(TrainConfig *c);
/* The learning rate at step (0-based). */
float train_lr(const TrainConfig *c, long step);

typedef struct Trainer {
    Seq2Seq *model;       /* borrowed; its block is updated in place (NULL for a Transformer) */
    Transformer *tfm;     /* trainer_new_transformer: borrowed, updated in place (model is NULL) */
    TransformerTape *tapes[TRAIN_MAX_THREADS]; /* Transformer: one tape per worker */
    float *params;        /* the block being trained (model->block or tfm->block) */
    long param_count;
    TrainConfig cfg;
    TrainActs *acts;      /* worker 0 (the whole batch when threads == 1) */
    float *grad, *adam_m, *adam_v; /* (param_count) each, one allocation */
    TrainActs *wacts[TRAIN_MAX_THREADS];  /* workers 1.. */
    float *wgrad[TRAIN_MAX_THREADS];      /* workers 1..: (param_count) */
    long step;            /* optimiser steps done */
    uint64_t rng;         /* batch sampling + dropout */
    int *batch_mem;       /* ids of the current batch */
    int max_S, max_T;
    float last_loss, last_grad_norm;
    long last_tokens;     /* target tokens of the last step */
} Trainer;

/* max_S / max_T: the longest source / target (with <eos>) any batch will hold. */
Trainer *trainer_new(Seq2Seq *m, const TrainConfig *cfg, int max_S, int max_T, Status *st);
void trainer_free(Trainer *t); /* NULL is a no-op; does not free the model */
/* The same loop for a tutorial-transformer (transformer.h): each worker runs its rows one
 * pair at a time through transformer_train_forward_dropout/backward (batch rows need no
 * padding masks: every pair has its own length), the per-token weights make the gradient
 * that of the batch's mean token loss (PAD targets excluded), and the positional table
 * gets no update (a fixed buffer in PyTorch). cfg.dropout > 0: each step draws one value
 * from t->rng (after the batch's examples) and pair r of the batch draws its masks from a
 * generator seeded by that value and r, so the masks are the same for any thread count and
 * a resumed run continues them bit for bit; cfg.dropout 0 draws nothing (the run is the one
 * it was before dropout existed). Data from transformer_train_data (BOS … EOS sources,
 * targets ending with EOS; the decoder reads BOS then the target shifted). max_S: longest
 * source with BOS and EOS; max_T: longest target with EOS (<= the model's max_len).
 * NULL with st on bad sizes, dropout outside [0, 1) or out of memory. */
Trainer *trainer_new_transformer(Transformer *m, const TrainConfig *cfg, int max_S, int max_T, Status *st);

/* Samples cfg.batch examples (uniformly, with replacement, from t->rng), runs forward,
 * backward, clipping and one Adam update. *loss receives the batch loss. When the loss or
 * the gradient norm is NaN/Inf, nothing is updated and -1 is returned with st saying so.
 * An update calls seq2seq_weights_changed on an RNN model (see seq2seq_update_pack). */
int trainer_step(Trainer *t, const TrainData *d, float *loss, Status *st);
/* Forward + backward on an explicit batch (no update): the gradient is left in t->grad.
 * With cfg.threads > 1 the rows are split into that many contiguous blocks run in parallel
 * (one OpenBLAS thread each); the block gradients are combined weighted by their token
 * counts, in a fixed order, so the result is deterministic. */
float trainer_gradient(Trainer *t, const TrainBatch *b);

/* Checkpoint: the model file at path (with m's metadata + the extra pairs, plus
 * train_steps) and the optimiser state (Adam moments, step, rng) at path + ".opt.safetensors",
 * committed so that a kill at any moment leaves a consistent pair for trainer_load_opt (the
 * new state goes to path + ".opt.next.safetensors" first, then the model, then the rename).
 * -1 with st on failure. */
int trainer_save(const Trainer *t, const char *path, const char *const *keys,
                 const char *const *values, int n, Status *st);
/* Restores the optimiser state of a checkpoint into t, whose model must be the one loaded
 * from path: the optimiser file whose step is that model's train_steps (completing an
 * interrupted checkpoint). -1 with st when it is missing, does not fit the model, or no
 * optimiser file matches the model's step. */
int trainer_load_opt(Trainer *t, const char *path, Status *st);

/* ------------------------------------------------------------------------ */
/* Evaluation                                                                */
/* ------------------------------------------------------------------------ */

/* Greedy decoding (argmax, stop at <eos> or max_len steps). out: (max_len) ids, <eos>
 * excluded; *n receives the count. attn_argmax (max_len) may be NULL: for each output token
 * the source position with the largest attention weight (-1 without attention).
 * run: a seq2seq run with max_rows >= 1 and max_src >= S. -1 with st on failure. */
int train_greedy(const Seq2Seq *m, Seq2SeqRun *run, const int *src, int S, int max_len,
                 int *out, int *n, int *attn_argmax, Status *st);

typedef struct TrainEval {
    int n;                 /* examples */
    double exact;          /* fraction decoded exactly */
    double token_acc;      /* position-wise correct tokens / reference tokens (<eos> excluded) */
    long exact_count, correct, total; /* the counts behind them (train_eval_add) */
} TrainEval;
/* Greedy-decodes the first n (<= d->n) examples of d and scores them. */
int train_evaluate(const Seq2Seq *m, const TrainData *d, int n, TrainEval *out, Status *st);
/* Scoring shared by both model kinds: adds one hypothesis (len ids) against its reference
 * (ref_len ids, <eos> excluded) to e (zeroed first); train_eval_finish sets the fractions. */
void train_eval_add(TrainEval *e, const int *hyp, int len, const int *ref, int ref_len);
void train_eval_finish(TrainEval *e);

/* ---- tutorial-transformer (core/src/transformer_fit.c) ---- */

/* Maps a corpus onto m's vocabularies: sources BOS … EOS, targets ending with EOS; tokens
 * missing from a vocabulary become UNK. -1 with st when a source or target exceeds the
 * model's position table / decoder length. */
int transformer_train_data(const Transformer *m, const Corpus *c, TrainData *out, Status *st);
/* Greedy-decodes the first n examples of transformer_train_data output and scores them. */
int transformer_evaluate(const Transformer *m, const TrainData *d, int n, TrainEval *out, Status *st);

#endif
