/* decode_internal.h — helpers shared by decode.c and decode_beam.c; not public API. */
#ifndef ATTNSTEP_DECODE_INTERNAL_H
#define ATTNSTEP_DECODE_INTERNAL_H

#include "attnstep/decode.h"

/* Fills h from a token list and attention rows (steps × S, both copied; attention may be
 * NULL). -1 with st on out of memory (h is then zeroed). */
int decode_fill_hyp(const Model *m, DecodeHyp *h, const int *tokens, int len, const float *attention,
                    int steps, int S, int finished, double logprob, double score, Status *st);
/* The output event of one row: the distribution (all log-probs, or the top o->output_top)
 * and, when chosen >= 0, the chosen token and how it was chosen ("argmax", "sampled",
 * "forced"). Beam search passes chosen = -1: beam_select says what survives. */
int decode_emit_output(const Model *m, const DecodeOptions *o, const float *logprobs, int step, int beam,
                       int chosen, const char *how, const EventSink *sink, Status *st);
/* run (model, source, settings) and run_end (the ranked outputs) events. */
int decode_emit_run(const Model *m, const int *src_ids, int S, const DecodeOptions *o, const EventSink *sink, Status *st);
int decode_emit_run_end(const DecodeResult *res, const EventSink *sink, Status *st);
/* The cap on decoder steps for a source of S tokens (EOS counts as a step). */
int decode_length_cap(const Model *m, const DecodeOptions *o, int S);

/* The beam search (decode_beam.c). */
int decode_beam_search(const Model *m, const int *src_ids, int S, const DecodeOptions *o,
                       const EventSink *sink, DecodeResult *res, Status *st);

#endif
