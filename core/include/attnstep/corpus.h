/* corpus.h — deterministic synthetic tasks with gold alignments (DESIGN §6).
 *
 * What it is: generators for three tasks, each example carrying its source tokens,
 * its target tokens and, for every target token, the gold alignment in the
 * Och & Ney (2003) style: *sure* source positions (the word that produced the target
 * token) and *possible* source positions (words it legitimately depends on, e.g. the
 * noun a French determiner agrees with). possible ⊇ sure always holds, and every
 * target token has at least one sure link.
 *
 *   reverse    symbols "a".."t" (configurable) -> the same sequence reversed, word level
 *   dates      human-written dates -> ISO "YYYY-MM-DD", character level on both sides
 *   translate  English -> French / Spanish, word level, source token 0 is "<2fr>" or "<2es>"
 *
 * Positions index the source tokens exactly as produced here (the language tag of
 * `translate` is position 0); an <eos> the model appends is not a position.
 *
 * What it is not: no tokeniser (tokens are produced already split; see vocab.h for
 * the text tokeniser the models use), no file I/O, no model vocabulary ids.
 *
 * Determinism: an own PRNG (splitmix64) seeded from CorpusConfig.seed; the same config
 * yields byte-identical examples on every machine (no rand(), no floating point in
 * the sampling). Splits: each example's split is a hash of its source text (for
 * translate: of the English words, so the FR and ES versions of a sentence share a
 * split); 80 % train, 10 % dev, 10 % test; a corpus never holds the same source twice.
 *
 *   CorpusConfig cfg; corpus_config_init(&cfg, CORPUS_TRANSLATE);
 *   cfg.seed = 7; cfg.split = CORPUS_TEST; cfg.lang = CORPUS_LANG_FR;
 *   Corpus c; Status st = {0};
 *   if (corpus_generate(&cfg, 1000, &c, &st) != 0) { puts(st.message); ... }
 *   const CorpusExample *e = &c.examples[0];
 *   for (int i = 0; i < e->tgt_len; i++)  // e->links[i].sure[0] is a source position
 *       printf("%s <- %s\n", e->tgt[i], e->src[e->links[i].sure[0]]);
 *   corpus_free(&c);
 */
#ifndef ATTNSTEP_CORPUS_H
#define ATTNSTEP_CORPUS_H

#include <stdint.h>

#include "status.h"
#include "vocab.h"

typedef enum CorpusTask { CORPUS_REVERSE = 0, CORPUS_DATES = 1, CORPUS_TRANSLATE = 2 } CorpusTask;
typedef enum CorpusSplit { CORPUS_TRAIN = 0, CORPUS_DEV = 1, CORPUS_TEST = 2 } CorpusSplit;
/* Target language of `translate`; BOTH picks French or Spanish per example (50/50). */
typedef enum CorpusLang { CORPUS_LANG_BOTH = 0, CORPUS_LANG_FR = 1, CORPUS_LANG_ES = 2 } CorpusLang;

/* The app's default input; the grammar parses it (corpus_translate_english). */
#define CORPUS_DEFAULT_SENTENCE "the european economic area was signed in august 1992 ."

typedef struct CorpusConfig {
    CorpusTask task;
    CorpusSplit split;  /* which split to draw from (default train) */
    uint64_t seed;      /* default 1 */
    CorpusLang lang;    /* translate only (default BOTH) */
    int symbols;        /* reverse only: alphabet size 2..26, symbols "a".. (default 20) */
    int min_len;        /* reverse only: sequence length range, 1..64 (default 3..12) */
    int max_len;
    int max_src_len;    /* any task: reject examples with more source tokens; 0 = no limit */
} CorpusConfig;

/* Fills cfg with the defaults above for task. */
void corpus_config_init(CorpusConfig *cfg, CorpusTask task);

/* Gold links of one target token. `possible` includes every `sure` position; both
 * lists are sorted ascending without duplicates; n_sure >= 1. */
typedef struct CorpusLinks {
    int n_sure;
    const int *sure;
    int n_possible;
    const int *possible;
} CorpusLinks;

/* One example. All pointers point into the single block `mem` (owned; released by
 * corpus_example_free); tokens are NUL-terminated UTF-8 strings. For character-level
 * tasks (dates) each token is one code point (the space is the token " "). */
typedef struct CorpusExample {
    int src_len;
    const char **src;         /* [src_len] */
    int tgt_len;
    const char **tgt;         /* [tgt_len] */
    const CorpusLinks *links; /* [tgt_len] */
    void *mem;
} CorpusExample;

typedef struct Corpus {
    CorpusConfig config;
    int n;
    CorpusExample *examples; /* [n], owned; corpus_free */
} Corpus;

/* Generates n distinct examples of cfg->split. On success returns 0 and fills out
 * (caller owns; corpus_free). Returns -1 with st (out zeroed) on bad settings, on out of
 * memory, or when the split cannot supply n distinct examples (e.g. reverse with tiny
 * alphabets/lengths). Cost: about 20 ms per 1000 translate examples (debug build). */
int corpus_generate(const CorpusConfig *cfg, int n, Corpus *out, Status *st);
void corpus_free(Corpus *c);               /* NULL / zeroed: no-op; leaves *c zeroed */
void corpus_example_free(CorpusExample *e); /* NULL / zeroed: no-op; leaves *e zeroed */

/* The split an example with this source belongs to (a pure function of the source
 * tokens; for translate the leading language tag is ignored). */
CorpusSplit corpus_split_of(CorpusTask task, const char *const *src, int src_len);

/* Parses an English sentence of the translate grammar (lower case, tokens separated by
 * spaces, "." as its own token; an optional leading "<2fr>"/"<2es>" overrides lang) and
 * produces its translation with gold alignment exactly as the generator would. lang must
 * be FR or ES unless the sentence carries a tag. -1 with st (naming the offending word)
 * when the sentence is not in the grammar; out is then zeroed. Caller frees out with
 * corpus_example_free. */
int corpus_translate_english(const char *english, CorpusLang lang, CorpusExample *out, Status *st);

/* dates: the formats, by number (docs/corpus.md shows each):
 *   0 "tuesday 24 november 2026"   1 "24/11/26"            2 "nov 24th, 2026"
 *   3 "2026.11.24"                 4 "24 nov 2026"         5 "november 24, 2026"
 *   6 "24/11/2026" (US "11/24/2026" only when the day is > 12, so always unambiguous)
 *   7 "tuesday, november 24, 2026" 8 "24th of november 2026" 9 "24.11.2026"
 *   10 "2026-11-24"                11 "tue 24 nov 2026"    12 "24 november 2026"
 *   13 "the 24th of november, 2026" 14 "nov. 24, 2026"     15 "24-nov-2026"
 *   16 "3/7/2026" (unpadded; US order as in 6)
 * The generator draws years 1950..2049; format 1 only for 2000..2049 (yy reads as 20yy). */
#define CORPUS_DATE_FORMATS 17
/* Renders one date as the generator would (us_order: month first; only for formats 6
 * and 16 with day > 12). -1 with st on an invalid date/format; caller frees out with
 * corpus_example_free. */
int corpus_dates_render(int year, int month, int day, int format, int us_order, CorpusExample *out, Status *st);

/* Whether the task's tokens are characters (dates) or words (reverse, translate). */
VocabMode corpus_task_mode(CorpusTask task);

/* Every token the task can produce on one side (side 0 = source, 1 = target), sorted by
 * strcmp, without duplicates; with_specials puts "<pad>" "<unk>" "<sos>" "<eos>" first
 * (ids 0..3). Depends on cfg->task and, for reverse, cfg->symbols (translate lists both
 * languages and both tags whatever cfg->lang). 0 on success (caller frees with
 * corpus_vocab_free), -1 with st on out of memory. */
typedef struct CorpusVocab {
    int n;
    char **tokens; /* [n], each owned */
} CorpusVocab;
int corpus_vocab(const CorpusConfig *cfg, int side, int with_specials, CorpusVocab *out, Status *st);
void corpus_vocab_free(CorpusVocab *v); /* NULL / zeroed: no-op */

/* Names <-> enums for the CLI: "reverse" "dates" "translate", "train" "dev" "test",
 * "both" "fr" "es". The *_from_name functions return -1 for an unknown name. */
const char *corpus_task_name(CorpusTask task);
const char *corpus_split_name(CorpusSplit split);
int corpus_task_from_name(const char *name);
int corpus_split_from_name(const char *name);
int corpus_lang_from_name(const char *name);

#endif
