/* seq2seq.h — RNN encoder–decoders with attention: load, encode, one decoder step.
 *
 * What it is: the `rnn-seq2seq` and `tutorial-gru-bahdanau` architectures of
 * docs/model-format.md — configuration, weights (one allocation, named pointers
 * into it, as in llm.c), the encoder over a whole source, and one decoder step for
 * B hypotheses at once (B = 1 greedy, B = k beam: one sgemm over k rows). Both emit
 * events (events.h) for every quantity a teacher would point at.
 * What it is not: it chooses no tokens — the strategies of decode.h do.
 *
 *   Seq2Seq *m = seq2seq_load("assets/models/x.safetensors", &st);
 *   Seq2SeqRun *r = seq2seq_run_new(m, max_src, max_rows, &st);
 *   seq2seq_encode(m, r, src_ids, S, sink, &st);
 *   seq2seq_initial_state(m, r, state);
 *   seq2seq_decode_step(m, r, next_state, logprobs, state, &sos, NULL, NULL, 1, 0, sink, &st);
 */
#ifndef ATTNSTEP_SEQ2SEQ_H
#define ATTNSTEP_SEQ2SEQ_H

#include "attention.h"
#include "events.h"
#include "rnn.h"
#include "safetensors.h"
#include "status.h"
#include "vocab.h"

#define SEQ2SEQ_MAX_LAYERS 4
#define SEQ2SEQ_MAX_SOURCE 512   /* tokens, including the appended <eos> */

/* ------------------------------------------------------------------------ */
/* Config, weights, model                                                    */
/* ------------------------------------------------------------------------ */

typedef struct Seq2SeqConfig {
    int tutorial;         /* arch tutorial-gru-bahdanau: RNN modules named "gru", SOS 0 / EOS 1 */
    RnnCell cell;
    int emb, hidden, layers, bidirectional;
    AttnScorer scorer;
    AttnWindow window;
    int window_d;
    int query_current;    /* 0: Bahdanau (previous state), 1: Luong (current state) */
    int input_feed;       /* Luong: h~(t-1) joins the RNN input */
    int dec_init_zeros;   /* 0: encoder's final state, 1: zeros */
    int query_context;    /* the query also holds c(t-1) */
    int query_lang;       /* the query also holds the embedding of source token 0 */
    int max_src_len;      /* location scorer only */
    VocabMode tokenizer;
    int max_len;          /* default decoding cap */
} Seq2SeqConfig;

typedef struct Seq2SeqWeights {
    const float *src_emb;                          /* (Vs, E) */
    RnnWeights enc[SEQ2SEQ_MAX_LAYERS][2];         /* [layer][direction] */
    const float *tgt_emb;                          /* (Vt, E) */
    RnnWeights dec[SEQ2SEQ_MAX_LAYERS];
    AttnWeights attn;
    const float *Wc;                               /* (H, 2H) Luong only */
    const float *out_w, *out_b;                    /* (Vt, H), (Vt) */
} Seq2SeqWeights;

/* The decoder's weights as a decoder step uses them: m->w's views plus packed copies
 * (tensor_pack: the form tensor_linear_packed runs several rows at the FMA rate with). The
 * packed pointers are NULL between seq2seq_weights_changed and seq2seq_update_pack. */
typedef struct Seq2SeqPack {
    RnnWeights dec[SEQ2SEQ_MAX_LAYERS];            /* m->w.dec plus w_ih_packed, w_hh_packed */
    AttnWeights attn;                              /* m->w.attn plus Wa_packed (additive, location) */
    const float *Wc_packed;                        /* Wc, Luong only, else NULL */
    const float *out_packed;                       /* out_w */
    float *mem;                                    /* the copies, owned */
} Seq2SeqPack;

typedef struct Seq2Seq {
    char arch[48];
    Seq2SeqConfig cfg;
    Vocab *src_vocab, *tgt_vocab;                  /* owned */
    int src_eos, src_unk, tgt_sos, tgt_eos, tgt_unk; /* ids; unk -1 when the vocabulary has none */
    /* derived sizes */
    int Hd;           /* encoder direction size */
    int Q;            /* query size */
    int dec_in;       /* decoder layer-0 input size */
    int state_size;   /* floats per hypothesis state (see seq2seq_state_*) */
    AttnShape attn_shape;
    Seq2SeqWeights w;                              /* pointers into `block` */
    float *block;                                  /* the one weights allocation, owned */
    Seq2SeqPack pack;                              /* whoever writes `block` calls seq2seq_weights_changed */
    long param_count;
    int meta_count;
    char **meta_keys, **meta_values;               /* the file's metadata, owned */
} Seq2Seq;

/* Loads a model file. NULL with st naming the file and the first problem (missing or
 * mis-shaped tensor, unexpected tensor, bad config key, NaN weights, ...). */
Seq2Seq *seq2seq_load(const char *path, Status *st);
/* Builds a model from an already parsed file (the file is not kept). */
Seq2Seq *seq2seq_from_safetensors(const SafeTensors *f, const char *name, Status *st);
void seq2seq_free(Seq2Seq *m); /* NULL is a no-op */
/* Call after writing m's weights (trainer_step does): the packed copies are out of date, so
 * steps of several rows read W itself (the same results to rounding, slower) until
 * seq2seq_update_pack rewrites them, which a caller that beam-decodes a model it trains
 * does once training stops. */
void seq2seq_weights_changed(Seq2Seq *m);
void seq2seq_update_pack(Seq2Seq *m);
const char *seq2seq_meta(const Seq2Seq *m, const char *key); /* NULL if absent */

/* ------------------------------------------------------------------------ */
/* Source text                                                               */
/* ------------------------------------------------------------------------ */

/* Tokenises text with the model's tokenizer and appends the source <eos>.
 * src_ids: (max_ids) out; *n receives the count. Unknown words map to <unk>; when the
 * vocabulary has none they fail, naming every unknown word. enc (may be NULL) receives the
 * pieces for display (caller frees with vocab_encoding_free). -1 with st on empty text, a
 * translation model's source without its leading target-language tag (<2fr>, <2es>),
 * too many tokens, invalid UTF-8 or control characters. */
int seq2seq_source_ids(const Seq2Seq *m, const char *text, int *src_ids, int max_ids, int *n,
                       VocabEncoding *enc, Status *st);

/* ------------------------------------------------------------------------ */
/* Run state: scratch for one sentence and up to max_rows hypotheses         */
/* ------------------------------------------------------------------------ */

typedef struct Seq2SeqRun Seq2SeqRun;

/* A run for sentences of up to max_src tokens and up to max_rows hypotheses per step; one
 * allocation, owned by the caller (seq2seq_run_free). NULL with st when a size is out of
 * range or memory runs out. */
Seq2SeqRun *seq2seq_run_new(const Seq2Seq *m, int max_src, int max_rows, Status *st);
void seq2seq_run_free(Seq2SeqRun *r); /* NULL is a no-op */

/* Encodes src_ids (S of them, <eos> included) and keeps the encoder outputs in r.
 * Emits embed (side src) and enc_step events. -1 with st when S exceeds what r or the
 * model accepts, an id is out of range, or the sink aborts. */
int seq2seq_encode(const Seq2Seq *m, Seq2SeqRun *r, const int *src_ids, int S,
                   const EventSink *sink, Status *st);
int seq2seq_source_len(const Seq2SeqRun *r);
const float *seq2seq_encoder_outputs(const Seq2SeqRun *r); /* (S, H) */

/* Writes the decoder's initial state (after seq2seq_encode). state: (state_size). */
void seq2seq_initial_state(const Seq2Seq *m, const Seq2SeqRun *r, float *state);
/* Views into a state row: h of layer l (H), c of layer l (H, LSTM only, else NULL),
 * previous context c(t-1) (H), previous attentional state h~(t-1) (H). */
float *seq2seq_state_h(const Seq2Seq *m, float *state, int layer);
float *seq2seq_state_c(const Seq2Seq *m, float *state, int layer);
float *seq2seq_state_context(const Seq2Seq *m, float *state);
float *seq2seq_state_attn_hidden(const Seq2Seq *m, float *state);

/* One decoder step for B hypotheses.
 * state_out: (B, state_size) new states; must not alias state_in
 * logprobs:  (B, Vt) log-softmax of the output layer
 * state_in:  (B, state_size)
 * tokens:    (B) previous tokens (<sos> at step 0)
 * beams:     (B) hypothesis ids written into events, or NULL for 0..B-1
 * override:  (S) attention weights replacing the softmax at this step, or NULL
 * Emits embed (side tgt), dec_step (one per layer), attn and context events, in the order
 * they are computed. -1 with st when B exceeds the run's rows, a token is out of range,
 * or the sink aborts. */
int seq2seq_decode_step(const Seq2Seq *m, Seq2SeqRun *r, float *state_out, float *logprobs,
                        const float *state_in, const int *tokens, const int *beams,
                        const float *override, int B, int step, const EventSink *sink, Status *st);
/* Attention weights of row b from the last decode step: (S), or NULL without attention. */
const float *seq2seq_last_weights(const Seq2SeqRun *r, int b);

#endif
