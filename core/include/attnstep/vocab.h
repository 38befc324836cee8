/* vocab.h — token <-> id, and word / character tokenisers.
 *
 * What it is: a vocabulary loaded from a model's metadata (a JSON array of token
 * strings in id order) and the tokeniser that turns user text into ids.
 * Unknown words are never dropped silently: they map to <unk> (when the vocabulary
 * has one) and are reported to the caller in a VocabEncoding, so the CLI/GUI can show them.
 * What it is not: it does not decide where <sos>/<eos> go — the model does.
 *
 * Word level: text is lower-cased (ASCII letters only; other UTF-8 kept as is) and split on
 * white space; punctuation . , ! ? ; : is split off into its own token (the PyTorch
 * tutorial's normalizeString does the same). Character level: every UTF-8 code point is
 * a token (space included, as "▁" is not used: a space is the token " ").
 *
 *   Vocab *v = vocab_from_json("[\"<sos>\",\"<eos>\",\"the\"]", &st);
 *   VocabEncoding enc; vocab_encode(v, "The cat", VOCAB_WORDS, &enc, &st);
 *   // enc.ids = {2, <unk or error>}, enc.unknown_count = 1
 */
#ifndef ATTNSTEP_VOCAB_H
#define ATTNSTEP_VOCAB_H

#include "status.h"

typedef struct Vocab Vocab;

typedef enum VocabMode { VOCAB_WORDS, VOCAB_CHARS } VocabMode;

/* Parses a JSON array of distinct strings. NULL with st on bad JSON, a non-string
 * element, a duplicate token, an empty array, or more than 1,000,000 tokens. */
Vocab *vocab_from_json(const char *json, Status *st);
/* Builds from a C array of strings (copied). NULL with st on duplicates / out of memory. */
Vocab *vocab_from_tokens(const char *const *tokens, int n, Status *st);
void vocab_free(Vocab *v); /* NULL is a no-op */
/* JSON array of the tokens in id order; caller frees with free(). NULL on out of memory. */
char *vocab_to_json(const Vocab *v);

int vocab_size(const Vocab *v);
const char *vocab_token(const Vocab *v, int id);   /* "<bad id>" when out of range */
int vocab_id(const Vocab *v, const char *token);    /* -1 when absent */
/* Id of a special token by its usual spellings: "<unk>" also matches "UNK" / "<UNK>"; -1 if none. */
int vocab_unk(const Vocab *v);

#define VOCAB_MAX_TOKENS 4096

typedef struct VocabEncoding {
    int n;                              /* token count */
    int ids[VOCAB_MAX_TOKENS];          /* ids; unknown pieces get vocab_unk() (or -1 when there is none) */
    char *pieces[VOCAB_MAX_TOKENS];     /* the text of each piece (owned; vocab_encoding_free) */
    int unknown_count;                  /* pieces not in the vocabulary */
} VocabEncoding;

/* Tokenises text. -1 with st when the text is not valid UTF-8, holds control characters
 * other than tab/newline, or yields more than max_tokens pieces (st says how many).
 * Unknown pieces do not fail: they are counted and flagged with id vocab_unk() / -1. */
int vocab_encode(const Vocab *v, const char *text, VocabMode mode, int max_tokens,
                 VocabEncoding *enc, Status *st);
void vocab_encoding_free(VocabEncoding *enc); /* frees the pieces; safe on a zeroed struct */

#endif
