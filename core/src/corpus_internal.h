/* corpus_internal.h — shared between corpus.c, corpus_dates.c and corpus_translate.c.
 * Not a public header: names are prefixed cb_/crng_ and only used inside core/src. */
#ifndef ATTNSTEP_CORPUS_INTERNAL_H
#define ATTNSTEP_CORPUS_INTERNAL_H

#include <stdint.h>

#include "attnstep/corpus.h"

/* splitmix64: state advances by a constant, output is a mixed copy; identical on
 * every platform. */
static inline uint64_t crng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
/* Uniform integer in [0, n) (n >= 1); the modulo bias (< 2^-40 for our n) is irrelevant. */
static inline int crng_below(uint64_t *s, int n) { return (int)(crng_next(s) % (uint64_t)n); }
/* 1 with probability pct/100. */
static inline int crng_pct(uint64_t *s, int pct) { return crng_below(s, 100) < pct; }

#define CB_MAX_TOKENS 256
#define CB_MAX_LINKS 24
#define CB_TEXT 8192

/* Example builder: fixed-capacity scratch (no allocation until cb_finish). Overflow sets
 * `overflow`; the generator then drops the example. */
typedef struct CorpusBuilder {
    int src_n, tgt_n;
    int src_off[CB_MAX_TOKENS], tgt_off[CB_MAX_TOKENS];
    int n_sure[CB_MAX_TOKENS], n_poss[CB_MAX_TOKENS];
    int sure[CB_MAX_TOKENS][CB_MAX_LINKS], poss[CB_MAX_TOKENS][CB_MAX_LINKS];
    int text_len;
    char text[CB_TEXT];
    int overflow;
} CorpusBuilder;

void cb_reset(CorpusBuilder *b);
int cb_src(CorpusBuilder *b, const char *tok);  /* appends a source token; returns its position */
int cb_tgt(CorpusBuilder *b, const char *tok);  /* appends a target token; returns its index */
void cb_sure(CorpusBuilder *b, int t, int src_pos);  /* negative src_pos ignored */
void cb_poss(CorpusBuilder *b, int t, int src_pos);  /* negative src_pos ignored */
void cb_set_tgt(CorpusBuilder *b, int t, const char *tok); /* replaces target token t's text */
const char *cb_tgt_text(const CorpusBuilder *b, int t);
const char *cb_src_text(const CorpusBuilder *b, int p);
/* Packs the builder into one allocation; -1 on out of memory. */
int cb_finish(const CorpusBuilder *b, CorpusExample *out);

/* Task generators: one random example into b (after cb_reset). Return 0, or -1 if the
 * draw must be discarded. */
int corpus_reverse_sample(CorpusBuilder *b, const CorpusConfig *cfg, uint64_t *rng);
int corpus_dates_sample(CorpusBuilder *b, const CorpusConfig *cfg, uint64_t *rng);
int corpus_translate_sample(CorpusBuilder *b, const CorpusConfig *cfg, uint64_t *rng);

/* Vocabulary enumeration: calls add(ctx, token) for every token of one side (duplicates
 * allowed; the caller sorts and deduplicates). */
typedef int (*CorpusAddFn)(void *ctx, const char *tok);
int corpus_dates_vocab(int side, CorpusAddFn add, void *ctx);
int corpus_translate_vocab(int side, CorpusAddFn add, void *ctx);

#endif
