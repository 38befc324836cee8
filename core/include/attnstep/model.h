/* model.h — one handle for every model the decoders step: the RNN encoder–decoders of
 * seq2seq.h and the tutorial-transformer of transformer.h.
 *
 * What it is: a small dispatch layer (load by the file's `arch`, tokenise, run state,
 * encode, one decoder step for B rows, the alignment row of the last step) so that
 * decode.h's greedy, sampling and beam search, and the commands built on them, work the
 * same for both kinds. The wrapped model keeps its own events (seq2seq: enc_step,
 * dec_step, attn, context; transformer: tfm_attn, tfm_block).
 * What it is not: numerics (seq2seq.c, transformer.c) or token choice (decode.c).
 *
 *   Model *m = model_load("assets/models/reverse-transformer.safetensors", &st);
 *   int src[MODEL_MAX_SOURCE], S;
 *   model_source_ids(m, "a b c", src, MODEL_MAX_SOURCE, &S, NULL, &st);
 *   DecodeResult res;
 *   decode_run_model(m, src, S, &opts, sink, &res, &st);
 *   model_free(m);
 */
#ifndef ATTNSTEP_MODEL_H
#define ATTNSTEP_MODEL_H

#include "events.h"
#include "seq2seq.h"
#include "status.h"
#include "transformer.h"
#include "vocab.h"

#define MODEL_MAX_SOURCE 512 /* = SEQ2SEQ_MAX_SOURCE = TRANSFORMER_MAX_SOURCE */

typedef enum ModelKind { MODEL_SEQ2SEQ, MODEL_TRANSFORMER } ModelKind;

typedef struct Model {
    ModelKind kind;
    const Seq2Seq *s2s;          /* MODEL_SEQ2SEQ */
    const Transformer *tfm;      /* MODEL_TRANSFORMER */
    int owned;                   /* model_load: model_free frees the wrapped model */
    const char *arch;
    const Vocab *src_vocab, *tgt_vocab;
    VocabMode tokenizer;
    int src_unk;                 /* id of the unknown source token, -1 when none */
    int tgt_sos, tgt_eos;        /* the decoder's first input (<sos> / BOS) and its end token */
    int state_size;              /* floats per hypothesis state row */
    int has_attention;           /* one alignment row (S) per step: seq2seq with a scorer; the
                                    Transformer's last-layer cross-attention averaged over heads */
    int can_override;            /* attention overrides (seq2seq with attention only) */
    int max_positions;           /* hard cap on decoder steps (Transformer: its state's max_len), 0: none */
} Model;

/* Wrap a model the caller keeps (no allocation; out borrows m). */
void model_from_seq2seq(Model *out, const Seq2Seq *m);
void model_from_transformer(Model *out, const Transformer *m);
/* Loads either kind by the file's `arch` metadata. NULL with st (the loader's message). */
Model *model_load(const char *path, Status *st);
/* Frees a model_load result and what it wraps. NULL is a no-op; do not call on wrappers. */
void model_free(Model *m);
const char *model_meta(const Model *m, const char *key); /* NULL if absent */
const char *model_name(const Model *m);                  /* metadata name, or "(unnamed)" */
/* Source ids as the model expects them (seq2seq: tokens + <eos>; Transformer: BOS tokens EOS). */
int model_source_ids(const Model *m, const char *text, int *src_ids, int max_ids, int *n, VocabEncoding *enc, Status *st);
/* The default cap on decoder steps for a source of S ids (seq2seq: config max_len;
 * Transformer: the tutorial's greedy_decode cap, S + 4). */
int model_default_max_len(const Model *m, int S);

typedef struct ModelRun ModelRun;
ModelRun *model_run_new(const Model *m, int max_src, int max_rows, Status *st);
void model_run_free(ModelRun *r); /* NULL is a no-op */
int model_encode(const Model *m, ModelRun *r, const int *src_ids, int S, const EventSink *sink, Status *st);
void model_initial_state(const Model *m, const ModelRun *r, float *state);
/* One decoder step for B rows (seq2seq_decode_step's contract; state_out must not overlap
 * state_in). override (S weights) is refused with st for a Transformer. */
int model_decode_step(const Model *m, ModelRun *r, float *state_out, float *logprobs, const float *state_in,
                      const int *tokens, const int *beams, const float *override, int B, int step,
                      const EventSink *sink, Status *st);
/* Alignment row of row b from the last step: (S), or NULL without attention. */
const float *model_last_weights(const Model *m, const ModelRun *r, int b);

#endif
