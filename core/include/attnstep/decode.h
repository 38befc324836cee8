/* decode.h — decoding strategies: greedy, beam search, sampling, and what-if
 * interventions (forced prefix, attention override), every choice an event.
 *
 * What it is: the loop around seq2seq_decode_step that picks tokens, and the events
 * that explain each pick (output, beam_expand, beam_select, beam_finish, run, run_end).
 * What it is not: numerics of a step (seq2seq.h) or drawing (the GUI reads the events).
 * Exact semantics (what length counts, when EOS scores, normalisation) are in
 * docs/decoding.md.
 *
 *   DecodeOptions o; decode_options_default(&o);
 *   o.strategy = DECODE_BEAM; o.beam_size = 5;
 *   DecodeResult res;
 *   if (decode_run(m, src_ids, S, &o, sink, &res, &st)) ...;
 *   printf("%s\n", res.hyps[0].text);
 *   decode_result_free(&res);
 */
#ifndef ATTNSTEP_DECODE_H
#define ATTNSTEP_DECODE_H

#include <stdint.h>

#include "events.h"
#include "model.h"
#include "seq2seq.h"
#include "status.h"

#define DECODE_MAX_BEAM 64
#define DECODE_MAX_NBEST 64
#define DECODE_MAX_PREFIX 256

typedef enum DecodeStrategy { DECODE_GREEDY, DECODE_BEAM, DECODE_SAMPLE } DecodeStrategy;
typedef enum LengthPenalty { LENPEN_NONE, LENPEN_AVG, LENPEN_GNMT } LengthPenalty;
typedef enum EarlyStop {
    EARLY_STOP_BOUND,   /* stop when the best alive hypothesis cannot beat the worst finished one */
    EARLY_STOP_K_DONE,  /* stop when k hypotheses have finished */
} EarlyStop;

typedef struct DecodeOptions {
    DecodeStrategy strategy;
    /* beam search */
    int beam_size;            /* k >= 1 */
    int nbest;                /* 1..k hypotheses returned */
    LengthPenalty lenpen;
    float alpha;              /* length penalty exponent */
    float coverage_beta;      /* GNMT coverage penalty weight (0: off) */
    int no_repeat_ngram;      /* block repeated n-grams of this size (0: off) */
    EarlyStop early_stop;
    /* lengths */
    int min_len;              /* EOS blocked until this many tokens were output */
    int max_len;              /* cap on decoder steps, EOS included (0: the model's max_len);
                                 a hypothesis reaching it without EOS ends unfinished */
    float max_len_ratio;      /* cap = ratio × source length (0: off); the smaller cap wins */
    /* sampling */
    float temperature;        /* > 0 */
    int top_k;                /* 0: off */
    float top_p;              /* 1: off */
    uint64_t seed;
    /* interventions */
    int force_prefix[DECODE_MAX_PREFIX]; /* target ids forced at steps 0..len-1 */
    int force_prefix_len;
    int override_step;        /* -1: none */
    const float *override_weights; /* (override_len) = source length, borrowed */
    int override_len;
    /* events */
    int output_top;           /* output events carry all logprobs when Vt <= this, else the top this many */
} DecodeOptions;

void decode_options_default(DecodeOptions *o);
const char *decode_strategy_name(DecodeStrategy s);
const char *decode_lenpen_name(LengthPenalty p);

typedef struct DecodeHyp {
    int len;              /* output tokens, EOS excluded */
    int *tokens;          /* (len) ids, owned */
    float *attention;     /* (steps, S) attention rows of every step (EOS step included), owned, or NULL */
    int steps;            /* rows of attention: len + (finished ? 1 : 0) */
    int finished;         /* emitted EOS */
    double logprob;       /* sum of token log-probs, EOS included when finished */
    double score;         /* the ranking score (normalised / penalised for beam) */
    char *text;           /* tokens joined by spaces (chars joined without), owned */
} DecodeHyp;

typedef struct DecodeResult {
    int count;                         /* 1 for greedy / sampling, nbest for beam */
    DecodeHyp hyps[DECODE_MAX_NBEST];  /* best first */
    int source_len;                    /* S, including <eos> */
} DecodeResult;

/* Decodes one source. Emits run, then per step the model's events plus output (and the
 * beam events), then run_end with the n-best. res is filled on success and must be
 * released with decode_result_free (also after failure: it is then empty).
 * -1 with st on bad options (named), or when the model or sink fails. */
int decode_run(const Seq2Seq *m, const int *src_ids, int S, const DecodeOptions *o,
               const EventSink *sink, DecodeResult *res, Status *st);
void decode_result_free(DecodeResult *res);

/* Sum of log-probs the model gives to tokens (EOS appended when with_eos) — an
 * independent re-scoring by forced decoding. -1 with st on failure. */
int decode_score(const Seq2Seq *m, const int *src_ids, int S, const int *tokens, int n, int with_eos,
                 double *logprob, Status *st);

/* The beam ranking score of h (docs/decoding.md): logprob / lp(L) + cp, L = h->len +
 * h->finished decoder steps, lp and cp from o's lenpen, alpha and coverage_beta, cp from
 * h's attention rows (h->steps rows of S; cp = 0 without them). Beam results already hold
 * it in h->score; this scores any hypothesis (e.g. greedy's) the same way. */
double decode_hyp_score(const DecodeOptions *o, const DecodeHyp *h, int S);

/* Checks o against the model and source length; -1 with st naming the bad option. */
int decode_check_options(const Seq2Seq *m, const DecodeOptions *o, int S, Status *st);

/* The same three for any model (model.h: RNN encoder–decoders and the tutorial-transformer);
 * the Seq2Seq forms above wrap these. For a Transformer the default length cap is the
 * tutorial's greedy_decode cap (S + 4 outputs) and every cap is bounded by the decoder's
 * max_len positions; the attention rows of hypotheses (coverage, GUI) are the last decoder
 * layer's cross-attention averaged over heads; attention overrides are refused. */
int decode_run_model(const Model *m, const int *src_ids, int S, const DecodeOptions *o,
                     const EventSink *sink, DecodeResult *res, Status *st);
int decode_score_model(const Model *m, const int *src_ids, int S, const int *tokens, int n, int with_eos,
                       double *logprob, Status *st);
int decode_check_options_model(const Model *m, const DecodeOptions *o, int S, Status *st);

#endif
