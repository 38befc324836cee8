/* transformer.h — the `tutorial-transformer` encoder–decoder: load, encode, one decoder step.
 *
 * What it is: the Seq2SeqTransformer of PyTorch's "Language Translation with
 * nn.Transformer and torchtext" tutorial (docs/model-format.md, `tutorial-transformer`):
 * nn.Transformer encoder and decoder stacks (post-norm, or pre-norm with config
 * norm_first), multi-head self / masked-self / cross attention, ReLU feed-forward,
 * the final encoder and decoder LayerNorms, token embeddings × √d plus the sinusoidal
 * position table read from the file, the `generator` Linear and a log-softmax. Weights
 * are one allocation with named pointers into it (llm.c); the encoder runs once per
 * sentence and also projects the cross-attention keys/values of every decoder layer;
 * the decoder runs one position at a time for B hypotheses with a key/value cache held
 * in each hypothesis' state row, so greedy, sampling and beam search (which reorders
 * rows by parent) work exactly as for seq2seq.h. Both emit events (events.h).
 * What it is not: it chooses no tokens (decode.h does), and it does not train
 * (transformer_train.c, when present, holds the backward passes).
 *
 *   Transformer *m = transformer_load("tfm.safetensors", &st);
 *   int src[TRANSFORMER_MAX_SOURCE], S;
 *   transformer_source_ids(m, "a b c", src, TRANSFORMER_MAX_SOURCE, &S, NULL, &st); // BOS a b c EOS
 *   TransformerRun *r = transformer_run_new(m, S, 1, &st);
 *   transformer_encode(m, r, src, S, sink, &st);
 *   float *state = malloc(m->state_size * sizeof(float)), *lp = malloc(Vt * sizeof(float));
 *   transformer_initial_state(m, r, state);
 *   int tok = m->bos;
 *   for (int t = 0; t < transformer_greedy_max_steps(m, S); t++) {
 *       transformer_decode_step(m, r, state, lp, state, &tok, NULL, 1, t, sink, &st); // in place
 *       tok = tensor_argmax(lp, Vt);
 *       if (tok == m->eos) break;
 *   }
 *
 * Events (flat fields; every float array is a copy-on-record borrow):
 *   embed      side "src"|"tgt", pos, id, token, vector (d): embedding × √d + position row;
 *              tgt also step, beam
 *   tfm_attn   side "enc"|"dec", kind "self"|"masked_self"|"cross", layer, head, pos (query
 *              position), weights (keys: S for self/cross, pos+1 for masked_self);
 *              dec also step, beam
 *   tfm_block  side, block "layer"|"final_norm", layer (the stack's layer count for
 *              final_norm), pos, x_in (d), x_out (d): the residual stream into and out of the
 *              layer (out of the final LayerNorm for final_norm; its x_out on the encoder side
 *              is the memory, on the decoder side the generator's input); dec also step, beam
 * Order: encode emits per source position embed, then per layer for every query position
 * its heads' tfm_attn followed by the layer's tfm_block per position, then the final_norm
 * blocks. A decode step emits per row embed, then per layer the masked_self heads of every
 * row, the cross heads of every row, the tfm_block of every row; then final_norm blocks.
 */
#ifndef ATTNSTEP_TRANSFORMER_H
#define ATTNSTEP_TRANSFORMER_H

#include "events.h"
#include "safetensors.h"
#include "status.h"
#include "vocab.h"

#define TRANSFORMER_MAX_LAYERS 12
#define TRANSFORMER_MAX_SOURCE 512      /* tokens, BOS and EOS included */
#define TRANSFORMER_DEFAULT_MAX_LEN 128 /* decoder positions per state when config has no max_len */
#define TRANSFORMER_STATE_HEADER 8      /* floats before the cache in a state row (keeps it 32-byte aligned) */

/* The tutorial's special ids, the same in both vocabularies. */
enum { TRANSFORMER_UNK = 0, TRANSFORMER_PAD = 1, TRANSFORMER_BOS = 2, TRANSFORMER_EOS = 3 };

typedef struct TransformerConfig {
    int d;            /* model size (embedding size) */
    int nhead, dh;    /* heads, d / nhead */
    int ffn;          /* dim_feedforward */
    int enc_layers, dec_layers;
    int norm_first;   /* 0: post-norm x = LN(x + f(x)); 1: pre-norm x = x + f(LN(x)) */
    float ln_eps;     /* LayerNorm epsilon (config layer_norm_eps, default 1e-5) */
    int max_pos;      /* rows of positional_encoding.pos_embedding */
    int max_len;      /* decoder positions a state row holds (BOS included), <= max_pos */
    VocabMode tokenizer;
} TransformerConfig;

typedef struct TfmAttnWeights {
    const float *in_w;  /* (3d, d) rows q | k | v, as nn.MultiheadAttention.in_proj_weight */
    const float *in_b;  /* (3d) */
    const float *out_w; /* (d, d) */
    const float *out_b; /* (d) */
} TfmAttnWeights;

typedef struct TfmLayerWeights {
    TfmAttnWeights self_attn;
    TfmAttnWeights cross_attn;              /* decoder only (multihead_attn) */
    const float *lin1_w, *lin1_b;           /* (ffn, d), (ffn) */
    const float *lin2_w, *lin2_b;           /* (d, ffn), (d) */
    const float *norm_w[3], *norm_b[3];     /* norm1, norm2, norm3 (decoder only): (d) each */
} TfmLayerWeights;

typedef struct TransformerWeights {
    const float *src_emb;                   /* (Vs, d) */
    const float *tgt_emb;                   /* (Vt, d) */
    const float *pos;                       /* (max_pos, d) — the file's (max_pos, 1, d) */
    TfmLayerWeights enc[TRANSFORMER_MAX_LAYERS], dec[TRANSFORMER_MAX_LAYERS];
    const float *enc_norm_w, *enc_norm_b;   /* (d) */
    const float *dec_norm_w, *dec_norm_b;   /* (d) */
    const float *gen_w, *gen_b;             /* (Vt, d), (Vt) */
} TransformerWeights;

/* One stored tensor: its state_dict name, shape and data (inside Transformer.block). */
typedef struct TransformerTensor {
    char name[96];
    int ndim;
    int64_t shape[3];
    long numel;
    const float *data;
} TransformerTensor;

typedef struct Transformer {
    char arch[48];
    TransformerConfig cfg;
    Vocab *src_vocab, *tgt_vocab;           /* owned */
    int unk, pad, bos, eos;                 /* 0, 1, 2, 3 */
    int state_size;                         /* floats per hypothesis: header + 2 · dec_layers · max_len · d */
    TransformerWeights w;                   /* pointers into `block` */
    float *block;                           /* the one weights allocation, owned */
    long param_count;                       /* floats in block (position table included) */
    int tensor_count;
    TransformerTensor *tensors;             /* every tensor of the file, in block order, owned */
    int meta_count;
    char **meta_keys, **meta_values;        /* the file's metadata, owned */
} Transformer;

/* Loads a model file. NULL with st naming the file and the first problem: missing,
 * mis-shaped or unexpected tensor, bad config (nhead missing or not dividing d, unknown
 * key), vocabularies without the four special ids, NaN/Inf weights. */
Transformer *transformer_load(const char *path, Status *st);
/* Builds a model from an already parsed file (the file is not kept); name is for messages. */
Transformer *transformer_from_safetensors(const SafeTensors *f, const char *name, Status *st);
void transformer_free(Transformer *m); /* NULL is a no-op */
const char *transformer_meta(const Transformer *m, const char *key); /* NULL if absent */
/* The tensor of that state_dict name (for saving checkpoints, tests), or NULL. */
const TransformerTensor *transformer_find_tensor(const Transformer *m, const char *name);

/* Tokenises text with the model's tokenizer (config tokenizer, default words) and wraps it
 * in BOS … EOS. Unknown pieces become UNK (id 0), as the tutorial's vocabulary does.
 * src_ids: (max_ids) out; *n receives the count. enc (may be NULL) receives the pieces
 * (caller frees with vocab_encoding_free). -1 with st on empty text, too many tokens for
 * max_ids or the position table, invalid UTF-8 or control characters. */
int transformer_source_ids(const Transformer *m, const char *text, int *src_ids, int max_ids, int *n,
                           VocabEncoding *enc, Status *st);

/* The tutorial's greedy cap: greedy_decode(max_len = S + 5) outputs at most S + 4 tokens
 * after BOS (S counts BOS and EOS), further capped by cfg.max_len decoder positions. */
int transformer_greedy_max_steps(const Transformer *m, int S);

/* ------------------------------------------------------------------------ */
/* Run state: scratch for one sentence and up to max_rows hypotheses         */
/* ------------------------------------------------------------------------ */

typedef struct TransformerRun TransformerRun;

/* NULL with st when max_src is outside 1..min(TRANSFORMER_MAX_SOURCE, max_pos) or
 * max_rows outside 1..4096, or on out of memory. */
TransformerRun *transformer_run_new(const Transformer *m, int max_src, int max_rows, Status *st);
void transformer_run_free(TransformerRun *r); /* NULL is a no-op */

/* Encodes src_ids (S of them, BOS and EOS included), keeps the memory (the final
 * LayerNorm's output) and every decoder layer's cross-attention keys and values in r.
 * Emits embed (side src), tfm_attn (side enc, kind self) and tfm_block events. -1 with st
 * when S exceeds the run, an id is out of range, or the sink aborts. */
int transformer_encode(const Transformer *m, TransformerRun *r, const int *src_ids, int S,
                       const EventSink *sink, Status *st);
int transformer_source_len(const TransformerRun *r);
const float *transformer_memory(const TransformerRun *r); /* (S, d) */

/* Decoder state row (state_size floats):
 *   [0]                     number of positions cached (n), as a float
 *   [1, HEADER)             reserved (0)
 *   then per decoder layer l: K_l (max_len, d) then V_l (max_len, d), rows 0..n-1 valid —
 *   the masked self-attention keys and values of every past position.
 * Rows are plain floats: copying a row (beam reordering by parent) copies a hypothesis. */
void transformer_initial_state(const Transformer *m, const TransformerRun *r, float *state);
int transformer_state_len(const Transformer *m, const float *state); /* n */
/* Copies the valid part of a state row (header and n cached positions per layer): the
 * cheap form of memcpy(dst, src, state_size floats) for beam reordering. dst != src. */
void transformer_state_copy(const Transformer *m, float *dst, const float *src);

/* One decoder step for B hypotheses: row b feeds tokens[b] at position n_b (its state's n)
 * and appends that position's keys and values.
 * state_out: (B, state_size) new states; may be state_in itself (in-place append, no copy),
 *            otherwise must not overlap it (the cached prefix is copied)
 * logprobs:  (B, Vt) log-softmax of the generator
 * state_in:  (B, state_size)
 * tokens:    (B) input tokens (BOS at step 0, then the previous outputs)
 * beams:     (B) hypothesis ids written into events, or NULL for 0..B-1
 * step:      written into events only
 * -1 with st when B exceeds the run's rows, the source was not encoded, a token is out of
 * range, a state is full (n = max_len) or malformed, or the sink aborts. */
int transformer_decode_step(const Transformer *m, TransformerRun *r, float *state_out, float *logprobs,
                            const float *state_in, const int *tokens, const int *beams, int B, int step,
                            const EventSink *sink, Status *st);

/* Cross-attention weights of row b from the last decode step, averaged over the heads of
 * the last decoder layer: (S). For alignment views and AER, like seq2seq_last_weights. */
const float *transformer_last_cross_weights(const TransformerRun *r, int b);

/* ------------------------------------------------------------------------ */
/* Training: teacher-forced forward with a tape, and the backward pass       */
/* (core/src/transformer_train.c; train.h's loop runs them)                  */
/* ------------------------------------------------------------------------ */

typedef struct TransformerTape TransformerTape;

/* Activations of one sentence pair up to max_src source and max_tgt target positions.
 * NULL with st when a size is outside 1..max_pos (or 1..max_len for the target) or on
 * out of memory. */
TransformerTape *transformer_tape_new(const Transformer *m, int max_src, int max_tgt, Status *st);
void transformer_tape_free(TransformerTape *t); /* NULL is a no-op */

/* The tutorial's training forward for one pair (batch 1, no padding masks):
 * logits = generator(transformer(src_emb, tgt_emb, causal tgt mask)), loss =
 * CrossEntropyLoss(ignore_index = PAD): the mean over positions t with tgt_out[t] != PAD of
 * -log p(tgt_out[t]); 0 when every target is PAD.
 * src: (S) ids, BOS … EOS; tgt_in: (T) ids, BOS first; tgt_out: (T) ids (tgt_in shifted).
 * logprobs: (T, Vt) out, or NULL. Keeps every activation in t for the backward pass.
 * -1 with st on sizes beyond the tape or ids outside the vocabularies. */
int transformer_train_forward(const Transformer *m, TransformerTape *t, const int *src, int S, const int *tgt_in,
                              const int *tgt_out, int T, float *loss, float *logprobs, Status *st);

/* The same with nn.Transformer's dropout in train() mode, probability p in [0, 1) at every
 * place the tutorial model has it: the embeddings (PositionalEncoding's dropout, source and
 * target), the attention weights after the softmax in every self, masked self and cross
 * attention (nn.MultiheadAttention's dropout), each sublayer's output before its residual
 * add (dropout1/2/3), and the feed-forward's hidden layer after the ReLU. Inverted dropout:
 * a kept value is scaled by 1/(1-p). The masks stay in the tape and the backward pass
 * multiplies by the same ones. p = 0 is transformer_train_forward exactly (bit for bit;
 * rng is not touched). With rng (p > 0) fresh masks are drawn from *rng (advanced: one
 * splitmix64 draw per element, site by site in forward order); with rng NULL the masks
 * already in the tape are used as they are — those of the previous forward of the same S
 * and T, or set through transformer_tape_mask (zeros in a fresh tape). The attention
 * weights kept for transformer_train_cross_weights are the softmax before the dropout.
 * -1 with st when p is outside [0, 1) (or NaN), besides transformer_train_forward's cases. */
int transformer_train_forward_dropout(const Transformer *m, TransformerTape *t, const int *src, int S, const int *tgt_in,
                                      const int *tgt_out, int T, float p, uint64_t *rng, float *loss, float *logprobs,
                                      Status *st);
/* The dropout multipliers (0 or 1/(1-p)) of one site of a pair of S source and T target
 * positions, row-major, *numel of them, to read after a forward or to set before a forward
 * with rng NULL (tests use this to run PyTorch's masks). Sites (N = S in the encoder, T in
 * the decoder; d, H heads, F = ffn, layer index L from 0):
 *   "enc.embed", "dec.embed"          (N, d)      the embedding + position sum
 *   "<enc|dec>.l<L>.self.attn"        (H, N, N)   self-attention weights [head, query, key]
 *   "dec.l<L>.cross.attn"             (H, T, S)   cross-attention weights
 *   "<enc|dec>.l<L>.self.out", "dec.l<L>.cross.out", "<enc|dec>.l<L>.ffn.out"
 *                                     (N, d)      sublayer output (dropout1, 2, 3)
 *   "<enc|dec>.l<L>.ffn.hid"          (N, F)      after the ReLU
 * NULL (and *numel 0) for an unknown site, a layer the model does not have, or S, T beyond
 * the tape. The pointer stays valid until transformer_tape_free. */
float *transformer_tape_mask(TransformerTape *t, const char *site, int S, int T, long *numel);

/* Adds d loss / d weights of the last transformer_train_forward(_dropout) to grads:
 * (m->param_count) floats laid out as m->block, so the gradient of the tensor at
 * m->w.X is at transformer_grad_of(m, grads, m->w.X). The position table gets its
 * gradient too (PyTorch keeps it as a fixed buffer: ignore it to train as the tutorial). */
void transformer_train_backward(const Transformer *m, TransformerTape *t, float *grads);
/* The same with every non-PAD target position weighted by `weight` instead of 1/count:
 * with weight = 1/(tokens of a whole batch), summing over the batch's pairs gives the
 * gradient of the batch's mean token loss (train.h's trainer does this). */
void transformer_train_backward_weighted(const Transformer *m, TransformerTape *t, float *grads, float weight);
float *transformer_grad_of(const Transformer *m, float *grads, const float *weight);
/* Cross-attention of target position pos (0..T-1) in the last forward, last decoder layer,
 * averaged over heads: out (S). The alignment eval's AER scores. */
void transformer_train_cross_weights(const Transformer *m, const TransformerTape *t, int pos, float *out);
/* The same for decoder layer `layer` (0..dec_layers-1). */
void transformer_train_cross_weights_layer(const Transformer *m, const TransformerTape *t, int layer, int pos, float *out);

/* ------------------------------------------------------------------------ */
/* Fresh models, model files, data and greedy evaluation for training        */
/* (core/src/transformer_fit.c; the loop itself is train.h's Trainer)        */
/* ------------------------------------------------------------------------ */

typedef struct TransformerShape {
    int d, nhead, ffn, enc_layers, dec_layers; /* sizes */
    int norm_first;                            /* pre-norm */
    int max_pos;                               /* rows of the sinusoidal table */
    int max_len;                               /* decoder positions per state (<= max_pos) */
    VocabMode tokenizer;
} TransformerShape;

/* A randomly initialised model as the tutorial builds it: Xavier-uniform for every matrix
 * (p.dim() > 1, embeddings included), nn.Linear's U(±1/sqrt(fan_in)) for linear1/linear2/
 * generator biases, zero attention biases, LayerNorm 1/0, and the sinusoidal table (sin on
 * even, cos on odd dimensions). The vocabularies (JSON arrays) must hold <unk> <pad> <bos>
 * <eos> at ids 0..3. Extra metadata pairs are stored. NULL with st on bad sizes (named). */
Transformer *transformer_new(const TransformerShape *shape, const char *src_vocab_json, const char *tgt_vocab_json,
                             uint64_t seed, const char *const *meta_keys, const char *const *meta_values, int n_meta,
                             Status *st);
/* Writes m atomically to path (its tensors, its metadata + the extra pairs, which replace
 * same-named keys). -1 with st on I/O failure. */
int transformer_save(const Transformer *m, const char *path, const char *const *keys, const char *const *values,
                     int n, Status *st);

/* Greedy decoding without events: out (max_len) ids, EOS excluded, *n their count;
 * attn_argmax (max_len, may be NULL): per output token the source position (0 = BOS) with the
 * largest head-averaged last-layer cross-attention. run: max_src >= S. -1 with st on failure. */
int transformer_greedy(const Transformer *m, TransformerRun *run, const int *src, int S, int max_len, int *out, int *n,
                       int *attn_argmax, Status *st);

#endif
