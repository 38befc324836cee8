/* decode_beam.c — beam search (placeholder until implemented). */
#include "decode_internal.h"
int decode_beam_search(const Seq2Seq *m, const int *src_ids, int S, const DecodeOptions *o,
                       const EventSink *sink, DecodeResult *res, Status *st) {
    (void)m; (void)src_ids; (void)S; (void)o; (void)sink; (void)res;
    return status_fail(st, "beam search is not built yet");
}
