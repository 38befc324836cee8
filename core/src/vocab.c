/* vocab.c — vocabularies and tokenisers (see vocab.h).
 *
 * Lookup is an open-addressing hash table (FNV-1a, linear probing, load <= 1/2) over
 * token ids, so building and looking up stay linear/constant for vocabularies of up to
 * 1,000,000 tokens.
 *
 * Decisions not spelled out in the header:
 *  - Tokens must be valid UTF-8 (they are shown in the GUI); the empty string is allowed.
 *  - "White space" for the word tokeniser is ASCII space, tab and newline (other
 *    ASCII white space is a control character and is rejected).
 *  - Control characters are C0 (except tab and newline), DEL and C1 (U+0080..U+009F).
 *  - Every occurrence of . , ! ? ; : is its own token ("3.5" -> "3" "." "5").
 *  - The character tokeniser does not lower-case.
 *  - max_tokens <= 0 or above VOCAB_MAX_TOKENS means VOCAB_MAX_TOKENS.
 */
#include "attnstep/vocab.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define VOCAB_LIMIT 1000000

struct Vocab {
    int n;
    char **tokens;     /* n owned strings, by id */
    int *table;        /* cap slots: a token id or -1 */
    uint32_t mask;     /* cap - 1, cap a power of two >= 2n */
    int unk;           /* id of the unknown token or -1 */
};

static uint32_t hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* Slot holding the token s[0..n) or the empty slot where it would go. */
static uint32_t find_slot(const Vocab *v, const char *s, size_t n) {
    uint32_t i = hash(s, n) & v->mask;
    for (;;) {
        int id = v->table[i];
        if (id < 0) return i;
        if (strncmp(v->tokens[id], s, n) == 0 && v->tokens[id][n] == '\0') return i;
        i = (i + 1) & v->mask;
    }
}

static int lookup(const Vocab *v, const char *s, size_t n) { return v->table[find_slot(v, s, n)]; }

/* Length of the valid UTF-8 sequence at s (NUL-terminated), 0 if invalid. */
static int utf8_len(const unsigned char *s, uint32_t *cp) {
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    int len;
    uint32_t v, min;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2; v = c & 0x1fu; min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3; v = c & 0x0fu; min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4; v = c & 0x07u; min = 0x10000;
    } else {
        return 0;
    }
    for (int i = 1; i < len; i++) { /* a NUL terminator fails the test, so no overrun */
        if ((s[i] & 0xc0) != 0x80) return 0;
        v = v << 6 | (s[i] & 0x3fu);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
    *cp = v;
    return len;
}

static int valid_utf8(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        int len = utf8_len(p, &cp);
        if (!len) return 0;
        p += len;
    }
    return 1;
}

/* Copies a token for a message: at most 60 bytes, whole code points, then "...". */
static const char *shown(char out[72], const char *s) {
    size_t i = 0;
    for (; s[i] && i < 60; i++) out[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
    if (s[i]) {
        while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80) i--;
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
    return out;
}

void vocab_free(Vocab *v) {
    if (!v) return;
    for (int i = 0; i < v->n; i++) free(v->tokens[i]);
    free(v->tokens);
    free(v->table);
    free(v);
}

/* Allocates a vocabulary with room for n tokens (none added yet). NULL on out of memory. */
static Vocab *vocab_alloc(int n) {
    Vocab *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    uint32_t cap = 16;
    while (cap < 2u * (uint32_t)n) cap *= 2;
    v->tokens = calloc((size_t)n, sizeof *v->tokens);
    v->table = malloc(sizeof *v->table * cap);
    if (!v->tokens || !v->table) {
        free(v->tokens);
        free(v->table);
        free(v);
        return NULL;
    }
    for (uint32_t i = 0; i < cap; i++) v->table[i] = -1;
    v->mask = cap - 1;
    v->unk = -1;
    return v;
}

/* Appends token s as the next id. -1 with st on a duplicate, bad UTF-8 or out of memory. */
static int vocab_push(Vocab *v, const char *s, Status *st) {
    char buf[72];
    if (!valid_utf8(s)) return status_fail(st, "vocabulary token %d is not valid UTF-8", v->n);
    size_t n = strlen(s);
    uint32_t slot = find_slot(v, s, n);
    if (v->table[slot] >= 0)
        return status_fail(st, "vocabulary has the token '%s' twice (ids %d and %d)", shown(buf, s),
                           v->table[slot], v->n);
    char *copy = malloc(n + 1);
    if (!copy) return status_fail(st, "out of memory building a vocabulary of %d tokens", v->n + 1);
    memcpy(copy, s, n + 1);
    v->tokens[v->n] = copy;
    v->table[slot] = v->n;
    v->n++;
    return 0;
}

static void find_unk(Vocab *v) {
    static const char *const spellings[] = {"<unk>", "<UNK>", "UNK"};
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0] && v->unk < 0; i++)
        v->unk = lookup(v, spellings[i], strlen(spellings[i]));
}

Vocab *vocab_from_tokens(const char *const *tokens, int n, Status *st) {
    if (st) st->message[0] = '\0';
    if (n <= 0) return status_fail(st, "vocabulary is empty"), NULL;
    if (n > VOCAB_LIMIT)
        return status_fail(st, "vocabulary has %d tokens; at most %d are supported", n, VOCAB_LIMIT), NULL;
    assert(tokens);
    Vocab *v = vocab_alloc(n);
    if (!v) return status_fail(st, "out of memory building a vocabulary of %d tokens", n), NULL;
    for (int i = 0; i < n; i++) {
        if (!tokens[i]) {
            status_fail(st, "vocabulary token %d is missing (NULL)", i);
            vocab_free(v);
            return NULL;
        }
        if (vocab_push(v, tokens[i], st) != 0) {
            vocab_free(v);
            return NULL;
        }
    }
    find_unk(v);
    return v;
}

Vocab *vocab_from_json(const char *json, Status *st) {
    if (st) st->message[0] = '\0';
    if (!json) return status_fail(st, "vocabulary is missing"), NULL;
    cJSON *root = cJSON_Parse(json);
    if (!root) return status_fail(st, "vocabulary is not valid JSON"), NULL;
    if (!cJSON_IsArray(root)) {
        cJSON_Delete(root);
        return status_fail(st, "vocabulary is not a JSON array of strings"), NULL;
    }
    int n = 0;
    for (const cJSON *c = root->child; c; c = c->next) {
        if (!cJSON_IsString(c) || !c->valuestring) {
            status_fail(st, "vocabulary entry %d is not a string", n);
            cJSON_Delete(root);
            return NULL;
        }
        if (++n > VOCAB_LIMIT) {
            status_fail(st, "vocabulary has more than %d tokens", VOCAB_LIMIT);
            cJSON_Delete(root);
            return NULL;
        }
    }
    if (n == 0) {
        cJSON_Delete(root);
        return status_fail(st, "vocabulary is empty"), NULL;
    }
    Vocab *v = vocab_alloc(n);
    if (!v) {
        cJSON_Delete(root);
        return status_fail(st, "out of memory building a vocabulary of %d tokens", n), NULL;
    }
    for (const cJSON *c = root->child; c; c = c->next) {
        if (vocab_push(v, c->valuestring, st) != 0) {
            vocab_free(v);
            cJSON_Delete(root);
            return NULL;
        }
    }
    cJSON_Delete(root);
    find_unk(v);
    return v;
}

char *vocab_to_json(const Vocab *v) {
    assert(v);
    cJSON *arr = cJSON_CreateArray();
    if (!arr) return NULL;
    for (int i = 0; i < v->n; i++) {
        cJSON *s = cJSON_CreateString(v->tokens[i]);
        if (!s || !cJSON_AddItemToArray(arr, s)) {
            cJSON_Delete(s);
            cJSON_Delete(arr);
            return NULL;
        }
    }
    char *text = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    if (!text) return NULL;
    /* cJSON allocates with malloc unless hooks are installed (the core installs none),
     * but copy anyway so the contract "free() it" holds regardless. */
    size_t len = strlen(text) + 1;
    char *out = malloc(len);
    if (out) memcpy(out, text, len);
    cJSON_free(text);
    return out;
}

int vocab_size(const Vocab *v) { return v ? v->n : 0; }

const char *vocab_token(const Vocab *v, int id) {
    if (!v || id < 0 || id >= v->n) return "<bad id>";
    return v->tokens[id];
}

int vocab_id(const Vocab *v, const char *token) {
    if (!v || !token) return -1;
    return lookup(v, token, strlen(token));
}

int vocab_unk(const Vocab *v) { return v ? v->unk : -1; }

/* ---- tokenising ----------------------------------------------------------------- */

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n'; }

static int is_punct(unsigned char c) {
    return c == '.' || c == ',' || c == '!' || c == '?' || c == ';' || c == ':';
}

/* Visits the pieces of text in order: calls emit(piece, len, ctx) for each (text is
 * already validated). Returns -1 as soon as emit does, else 0. */
typedef int (*EmitFn)(const char *piece, size_t len, void *ctx);

static int split(const char *text, VocabMode mode, EmitFn emit, void *ctx) {
    const unsigned char *p = (const unsigned char *)text;
    if (mode == VOCAB_CHARS) {
        while (*p) {
            uint32_t cp;
            int len = utf8_len(p, &cp);
            if (emit((const char *)p, (size_t)len, ctx) != 0) return -1;
            p += len;
        }
        return 0;
    }
    while (*p) {
        if (is_space(*p)) {
            p++;
        } else if (is_punct(*p)) {
            if (emit((const char *)p, 1, ctx) != 0) return -1;
            p++;
        } else {
            const unsigned char *start = p;
            while (*p && !is_space(*p) && !is_punct(*p)) p++;
            if (emit((const char *)start, (size_t)(p - start), ctx) != 0) return -1;
        }
    }
    return 0;
}

static int count_piece(const char *piece, size_t len, void *ctx) {
    (void)piece;
    (void)len;
    (*(long *)ctx)++;
    return 0;
}

typedef struct Filler {
    const Vocab *v;
    VocabEncoding *enc;
    int lower;
} Filler;

static int fill_piece(const char *piece, size_t len, void *ctx) {
    Filler *f = ctx;
    char *copy = malloc(len + 1);
    if (!copy) return -1;
    memcpy(copy, piece, len);
    copy[len] = '\0';
    if (f->lower)
        for (size_t i = 0; i < len; i++)
            if (copy[i] >= 'A' && copy[i] <= 'Z') copy[i] = (char)(copy[i] - 'A' + 'a');
    VocabEncoding *enc = f->enc;
    int id = lookup(f->v, copy, len);
    if (id < 0) {
        enc->unknown_count++;
        id = f->v->unk;
    }
    enc->pieces[enc->n] = copy;
    enc->ids[enc->n] = id;
    enc->n++;
    return 0;
}

int vocab_encode(const Vocab *v, const char *text, VocabMode mode, int max_tokens, VocabEncoding *enc,
                 Status *st) {
    assert(v && text && enc);
    memset(enc, 0, sizeof *enc);
    if (st) st->message[0] = '\0';
    if (max_tokens <= 0 || max_tokens > VOCAB_MAX_TOKENS) max_tokens = VOCAB_MAX_TOKENS;

    /* Validate: UTF-8, no control characters. Positions are byte offsets. */
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        uint32_t cp;
        int len = utf8_len(p, &cp);
        size_t at = (size_t)(p - (const unsigned char *)text);
        if (!len) return status_fail(st, "the text is not valid UTF-8 (byte %zu is 0x%02x)", at, *p);
        if ((cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7f && cp <= 0x9f))
            return status_fail(st,
                               "the text contains the control character U+%04X at byte %zu; only tab and "
                               "newline are allowed",
                               (unsigned)cp, at);
        p += len;
    }

    long count = 0;
    split(text, mode, count_piece, &count);
    if (count > max_tokens)
        return status_fail(st, "the text has %ld tokens; at most %d are allowed", count, max_tokens);

    Filler f = {v, enc, mode == VOCAB_WORDS};
    if (split(text, mode, fill_piece, &f) != 0) {
        vocab_encoding_free(enc);
        return status_fail(st, "out of memory tokenising the text");
    }
    return 0;
}

void vocab_encoding_free(VocabEncoding *enc) {
    if (!enc) return;
    for (int i = 0; i < enc->n && i < VOCAB_MAX_TOKENS; i++) {
        free(enc->pieces[i]);
        enc->pieces[i] = NULL;
    }
    enc->n = 0;
    enc->unknown_count = 0;
}
