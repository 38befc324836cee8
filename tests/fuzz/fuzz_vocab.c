/* fuzz_vocab.c — libFuzzer target for the vocabulary parser and the tokenisers.
 *
 * The first input byte picks what is fuzzed, the rest is the data:
 *   selector & 1 == 0: vocab_from_json(data). It must either fail with a message, or give a
 *     vocabulary whose tokens are distinct, look themselves up (vocab_id(token(i)) == i),
 *     and survive vocab_to_json -> vocab_from_json unchanged.
 *   selector & 1 == 1: vocab_encode(data) against a small fixed vocabulary, in word mode
 *     (selector & 2 == 0) or character mode, with max_tokens from selector >> 2
 *     (0 -> the default cap). It must either fail with a message, or give pieces that
 *     - are non-empty, valid lookups: ids[i] == vocab_id(piece) when known, else <unk>,
 *     - count the unknowns exactly (unknown_count == pieces with vocab_id < 0),
 *     - round-trip: in character mode the pieces joined are the text; in word mode they are
 *       the text (ASCII-lower-cased) with white space removed.
 * Never crash, never leak (ASan), never read past the input (the data is copied into an
 * exactly sized NUL-terminated buffer).
 *
 *   scripts/fuzz 60 fuzz_vocab     (or by hand:)
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icore/include tests/fuzz/fuzz_vocab.c \
 *       core/src/vocab.c core/src/status.c $(pkg-config --cflags --libs libcjson) -o fuzz_vocab
 *   ./fuzz_vocab -max_total_time=60 tests/fuzz/seeds/vocab
 *
 * fuzz-sources: core/src/vocab.c core/src/status.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnstep/vocab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const SMALL[] = {"<sos>", "<eos>", "<unk>", "the", "cat", "a", "é", "猫", ".", ",",
                                    "x", "b", "t", "h", "e", " ", "\t", "<2fr>", "", "don't"};

static Vocab *small_vocab(void) {
    static Vocab *v;
    if (!v) {
        Status st = {{0}};
        v = vocab_from_tokens(SMALL, (int)(sizeof SMALL / sizeof SMALL[0]), &st);
        if (!v) {
            fprintf(stderr, "small vocabulary: %s\n", st.message);
            abort();
        }
    }
    return v;
}

static void check_vocab(const Vocab *v) {
    int n = vocab_size(v);
    if (n < 1) abort();
    for (int i = 0; i < n; i++)
        if (vocab_id(v, vocab_token(v, i)) != i) abort(); /* distinct and findable */
    if (strcmp(vocab_token(v, -1), "<bad id>") || strcmp(vocab_token(v, n), "<bad id>")) abort();
    int unk = vocab_unk(v);
    if (unk < -1 || unk >= n) abort();
    char *json = vocab_to_json(v);
    if (!json) return; /* out of memory */
    Status st = {{0}};
    Vocab *w = vocab_from_json(json, &st);
    if (!w) {
        fprintf(stderr, "re-parse of vocab_to_json failed: %s\n", st.message);
        abort();
    }
    if (vocab_size(w) != n) abort();
    for (int i = 0; i < n; i++)
        if (strcmp(vocab_token(v, i), vocab_token(w, i))) abort();
    vocab_free(w);
    free(json);
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n'; }

static void check_encoding(const Vocab *v, const char *text, VocabMode mode, const VocabEncoding *enc) {
    if (enc->n < 0 || enc->n > VOCAB_MAX_TOKENS) abort();
    int unknown = 0;
    size_t total = 0;
    for (int i = 0; i < enc->n; i++) {
        const char *p = enc->pieces[i];
        if (!p || !p[0]) abort();
        int id = vocab_id(v, p);
        if (id < 0) {
            unknown++;
            if (enc->ids[i] != vocab_unk(v)) abort();
        } else if (enc->ids[i] != id) {
            abort();
        }
        total += strlen(p);
    }
    if (unknown != enc->unknown_count) abort();
    /* round trip */
    char *joined = malloc(total + 1);
    if (!joined) abort();
    size_t at = 0;
    for (int i = 0; i < enc->n; i++) {
        size_t len = strlen(enc->pieces[i]);
        memcpy(joined + at, enc->pieces[i], len);
        at += len;
    }
    joined[at] = '\0';
    if (mode == VOCAB_CHARS) {
        if (strcmp(joined, text)) abort();
    } else {
        size_t j = 0;
        for (const char *t = text; *t; t++) {
            if (is_ws(*t)) continue;
            char c = *t >= 'A' && *t <= 'Z' ? (char)(*t - 'A' + 'a') : *t;
            if (joined[j++] != c) abort();
        }
        if (j != at) abort();
        for (int i = 0; i < enc->n; i++)
            for (const char *q = enc->pieces[i]; *q; q++)
                if (is_ws(*q)) abort(); /* no white space inside a word piece */
    }
    free(joined);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t sel = data[0];
    char *text = malloc(size); /* size - 1 bytes of text + NUL */
    if (!text) return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    Status st = {{0}};
    if ((sel & 1) == 0) {
        Vocab *v = vocab_from_json(text, &st);
        if (!v) {
            if (!st.message[0]) abort();
        } else {
            if (st.message[0]) abort();
            check_vocab(v);
            vocab_free(v);
        }
    } else {
        const Vocab *v = small_vocab();
        VocabMode mode = (sel & 2) ? VOCAB_CHARS : VOCAB_WORDS;
        int max_tokens = sel >> 2; /* 0 = default cap; small caps exercise the limit */
        VocabEncoding *enc = malloc(sizeof *enc);
        if (!enc) abort();
        if (vocab_encode(v, text, mode, max_tokens, enc, &st) != 0) {
            if (!st.message[0]) abort();
            if (enc->n != 0) abort(); /* nothing left to free on failure */
        } else {
            if (st.message[0]) abort();
            if (max_tokens > 0 && enc->n > max_tokens) abort();
            check_encoding(v, text, mode, enc);
        }
        vocab_encoding_free(enc);
        free(enc);
    }
    free(text);
    return 0;
}
