/* corpus.c — example builder, split hashing, generation loop, vocabularies, and the
 * `reverse` task (see corpus.h). dates: corpus_dates.c; translate: corpus_translate.c. */
#include "attnstep/corpus.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "corpus_internal.h"

/* ---- names ---------------------------------------------------------------- */

static const char *const TASK_NAMES[] = {"reverse", "dates", "translate"};
static const char *const SPLIT_NAMES[] = {"train", "dev", "test"};
static const char *const LANG_NAMES[] = {"both", "fr", "es"};

const char *corpus_task_name(CorpusTask task) {
    return (task >= 0 && (int)task < 3) ? TASK_NAMES[task] : "unknown";
}
const char *corpus_split_name(CorpusSplit split) {
    return (split >= 0 && (int)split < 3) ? SPLIT_NAMES[split] : "unknown";
}
static int name_index(const char *const *names, const char *name) {
    if (!name) return -1;
    for (int i = 0; i < 3; i++)
        if (!strcmp(names[i], name)) return i;
    return -1;
}
int corpus_task_from_name(const char *name) { return name_index(TASK_NAMES, name); }
int corpus_split_from_name(const char *name) { return name_index(SPLIT_NAMES, name); }
int corpus_lang_from_name(const char *name) { return name_index(LANG_NAMES, name); }

VocabMode corpus_task_mode(CorpusTask task) { return task == CORPUS_DATES ? VOCAB_CHARS : VOCAB_WORDS; }

void corpus_config_init(CorpusConfig *cfg, CorpusTask task) {
    memset(cfg, 0, sizeof *cfg);
    cfg->task = task;
    cfg->split = CORPUS_TRAIN;
    cfg->seed = 1;
    cfg->lang = CORPUS_LANG_BOTH;
    cfg->symbols = 20;
    cfg->min_len = 3;
    cfg->max_len = 12;
    cfg->max_src_len = 0;
}

/* ---- builder -------------------------------------------------------------- */

void cb_reset(CorpusBuilder *b) {
    b->src_n = b->tgt_n = 0;
    b->text_len = 0;
    b->overflow = 0;
}

static int add_text(CorpusBuilder *b, const char *tok) {
    size_t n = strlen(tok) + 1;
    if (b->text_len + (int)n > CB_TEXT) {
        b->overflow = 1;
        return 0;
    }
    int off = b->text_len;
    memcpy(b->text + off, tok, n);
    b->text_len += (int)n;
    return off;
}

int cb_src(CorpusBuilder *b, const char *tok) {
    if (b->src_n >= CB_MAX_TOKENS) {
        b->overflow = 1;
        return CB_MAX_TOKENS - 1;
    }
    b->src_off[b->src_n] = add_text(b, tok);
    return b->src_n++;
}

int cb_tgt(CorpusBuilder *b, const char *tok) {
    if (b->tgt_n >= CB_MAX_TOKENS) {
        b->overflow = 1;
        return CB_MAX_TOKENS - 1;
    }
    int t = b->tgt_n++;
    b->tgt_off[t] = add_text(b, tok);
    b->n_sure[t] = b->n_poss[t] = 0;
    return t;
}

void cb_set_tgt(CorpusBuilder *b, int t, const char *tok) {
    assert(t >= 0 && t < b->tgt_n);
    b->tgt_off[t] = add_text(b, tok);
}

const char *cb_tgt_text(const CorpusBuilder *b, int t) { return b->text + b->tgt_off[t]; }
const char *cb_src_text(const CorpusBuilder *b, int p) { return b->text + b->src_off[p]; }

static void add_link(int *list, int *n, int pos, int *overflow) {
    for (int i = 0; i < *n; i++)
        if (list[i] == pos) return;
    if (*n >= CB_MAX_LINKS) {
        *overflow = 1;
        return;
    }
    int i = *n;
    while (i > 0 && list[i - 1] > pos) { /* keep sorted */
        list[i] = list[i - 1];
        i--;
    }
    list[i] = pos;
    (*n)++;
}

void cb_sure(CorpusBuilder *b, int t, int src_pos) {
    if (src_pos < 0) return;
    assert(t >= 0 && t < b->tgt_n && src_pos < b->src_n);
    add_link(b->sure[t], &b->n_sure[t], src_pos, &b->overflow);
    add_link(b->poss[t], &b->n_poss[t], src_pos, &b->overflow);
}

void cb_poss(CorpusBuilder *b, int t, int src_pos) {
    if (src_pos < 0) return;
    assert(t >= 0 && t < b->tgt_n && src_pos < b->src_n);
    add_link(b->poss[t], &b->n_poss[t], src_pos, &b->overflow);
}

/* Layout of the block: [src ptrs][tgt ptrs][links][ints][text]. */
int cb_finish(const CorpusBuilder *b, CorpusExample *out) {
    memset(out, 0, sizeof *out);
    int n_ints = 0;
    for (int t = 0; t < b->tgt_n; t++) n_ints += b->n_sure[t] + b->n_poss[t];
    size_t sz_ptr = sizeof(char *) * (size_t)(b->src_n + b->tgt_n);
    size_t sz_links = sizeof(CorpusLinks) * (size_t)b->tgt_n;
    size_t sz_ints = sizeof(int) * (size_t)n_ints;
    /* text is re-packed: only the live tokens (cb_set_tgt may leave dead text) */
    size_t sz_text = 0;
    for (int i = 0; i < b->src_n; i++) sz_text += strlen(cb_src_text(b, i)) + 1;
    for (int i = 0; i < b->tgt_n; i++) sz_text += strlen(cb_tgt_text(b, i)) + 1;
    char *mem = malloc(sz_ptr + sz_links + sz_ints + sz_text + 1);
    if (!mem) return -1;
    const char **src = (const char **)(void *)mem;
    const char **tgt = src + b->src_n;
    CorpusLinks *links = (CorpusLinks *)(void *)(mem + sz_ptr);
    int *ints = (int *)(void *)(mem + sz_ptr + sz_links);
    char *text = mem + sz_ptr + sz_links + sz_ints;
    for (int i = 0; i < b->src_n; i++) {
        const char *s = cb_src_text(b, i);
        size_t n = strlen(s) + 1;
        memcpy(text, s, n);
        src[i] = text;
        text += n;
    }
    for (int i = 0; i < b->tgt_n; i++) {
        const char *s = cb_tgt_text(b, i);
        size_t n = strlen(s) + 1;
        memcpy(text, s, n);
        tgt[i] = text;
        text += n;
    }
    for (int t = 0; t < b->tgt_n; t++) {
        links[t].n_sure = b->n_sure[t];
        links[t].sure = ints;
        memcpy(ints, b->sure[t], sizeof(int) * (size_t)b->n_sure[t]);
        ints += b->n_sure[t];
        links[t].n_possible = b->n_poss[t];
        links[t].possible = ints;
        memcpy(ints, b->poss[t], sizeof(int) * (size_t)b->n_poss[t]);
        ints += b->n_poss[t];
    }
    out->src_len = b->src_n;
    out->src = src;
    out->tgt_len = b->tgt_n;
    out->tgt = tgt;
    out->links = links;
    out->mem = mem;
    return 0;
}

void corpus_example_free(CorpusExample *e) {
    if (!e) return;
    free(e->mem);
    memset(e, 0, sizeof *e);
}

void corpus_free(Corpus *c) {
    if (!c) return;
    for (int i = 0; i < c->n; i++) corpus_example_free(&c->examples[i]);
    free(c->examples);
    memset(c, 0, sizeof *c);
}

/* ---- hashing and splits ------------------------------------------------------ */

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t hash_tokens(const char *const *tok, int n) {
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a over the tokens, 0x1f between them */
    for (int i = 0; i < n; i++) {
        for (const unsigned char *p = (const unsigned char *)tok[i]; *p; p++) {
            h ^= *p;
            h *= 0x100000001b3ull;
        }
        h ^= 0x1f;
        h *= 0x100000001b3ull;
    }
    return mix64(h);
}

CorpusSplit corpus_split_of(CorpusTask task, const char *const *src, int src_len) {
    if (task == CORPUS_TRANSLATE && src_len > 0 && !strncmp(src[0], "<2", 2)) {
        src++;
        src_len--;
    }
    uint64_t bucket = hash_tokens(src, src_len) % 10u;
    return bucket < 8 ? CORPUS_TRAIN : bucket == 8 ? CORPUS_DEV : CORPUS_TEST;
}

/* ---- reverse ----------------------------------------------------------------- */

int corpus_reverse_sample(CorpusBuilder *b, const CorpusConfig *cfg, uint64_t *rng) {
    int n = cfg->min_len + crng_below(rng, cfg->max_len - cfg->min_len + 1);
    int sym[64];
    char tok[2] = {0, 0};
    for (int i = 0; i < n; i++) {
        sym[i] = crng_below(rng, cfg->symbols);
        tok[0] = (char)('a' + sym[i]);
        cb_src(b, tok);
    }
    for (int i = 0; i < n; i++) {
        tok[0] = (char)('a' + sym[n - 1 - i]);
        int t = cb_tgt(b, tok);
        cb_sure(b, t, n - 1 - i);
    }
    return 0;
}

/* ---- generation loop ------------------------------------------------------------ */

typedef struct HashSet {
    uint64_t *slots; /* 0 = empty; stored hashes are forced non-zero */
    size_t cap;
} HashSet;

/* 1 if inserted, 0 if present. cap is a power of two, kept at most half full by the caller. */
static int hs_insert(HashSet *h, uint64_t key) {
    if (!key) key = 1;
    size_t i = (size_t)key & (h->cap - 1);
    while (h->slots[i]) {
        if (h->slots[i] == key) return 0;
        i = (i + 1) & (h->cap - 1);
    }
    h->slots[i] = key;
    return 1;
}

int corpus_generate(const CorpusConfig *cfg, int n, Corpus *out, Status *st) {
    memset(out, 0, sizeof *out);
    if (n < 0 || n > 10000000) return status_fail(st, "corpus: the example count must be 0..10000000 (got %d)", n);
    if ((int)cfg->task < 0 || (int)cfg->task > 2) return status_fail(st, "corpus: unknown task %d", (int)cfg->task);
    if ((int)cfg->split < 0 || (int)cfg->split > 2) return status_fail(st, "corpus: unknown split %d", (int)cfg->split);
    if ((int)cfg->lang < 0 || (int)cfg->lang > 2) return status_fail(st, "corpus: unknown language %d", (int)cfg->lang);
    if (cfg->max_src_len < 0) return status_fail(st, "corpus: max source length must be >= 0");
    if (cfg->task == CORPUS_REVERSE) {
        if (cfg->symbols < 2 || cfg->symbols > 26)
            return status_fail(st, "corpus: reverse needs 2..26 symbols (got %d)", cfg->symbols);
        if (cfg->min_len < 1 || cfg->max_len > 64 || cfg->min_len > cfg->max_len)
            return status_fail(st, "corpus: reverse lengths must satisfy 1 <= min <= max <= 64 (got %d..%d)",
                               cfg->min_len, cfg->max_len);
    }
    CorpusBuilder *b = malloc(sizeof *b);
    HashSet hs = {0};
    hs.cap = 1024;
    while (hs.cap < (size_t)n * 2 + 2) hs.cap *= 2;
    hs.slots = calloc(hs.cap, sizeof *hs.slots);
    out->examples = calloc((size_t)(n ? n : 1), sizeof *out->examples);
    if (!b || !hs.slots || !out->examples) {
        free(b);
        free(hs.slots);
        free(out->examples);
        out->examples = NULL;
        return status_fail(st, "corpus: out of memory for %d examples", n);
    }
    out->config = *cfg;
    /* one stream per (seed, task); the split only filters, so splits are disjoint */
    uint64_t rng = mix64(cfg->seed ^ 0x5eed000000000000ull) ^ ((uint64_t)cfg->task << 56);
    long long attempts = 0, max_attempts = 200000 + 400LL * n;
    while (out->n < n) {
        if (++attempts > max_attempts) {
            int got = out->n;
            corpus_free(out);
            free(b);
            free(hs.slots);
            return status_fail(st,
                               "corpus: the %s split of task %s cannot supply %d distinct examples "
                               "with these settings (found %d)",
                               corpus_split_name(cfg->split), corpus_task_name(cfg->task), n, got);
        }
        cb_reset(b);
        int rc = cfg->task == CORPUS_REVERSE ? corpus_reverse_sample(b, cfg, &rng)
                 : cfg->task == CORPUS_DATES ? corpus_dates_sample(b, cfg, &rng)
                                             : corpus_translate_sample(b, cfg, &rng);
        if (rc != 0 || b->overflow) continue;
        if (cfg->max_src_len > 0 && b->src_n > cfg->max_src_len) continue;
        const char *toks[CB_MAX_TOKENS];
        for (int i = 0; i < b->src_n; i++) toks[i] = cb_src_text(b, i);
        if (corpus_split_of(cfg->task, toks, b->src_n) != cfg->split) continue;
        if (!hs_insert(&hs, hash_tokens(toks, b->src_n))) continue;
        if (cb_finish(b, &out->examples[out->n]) != 0) {
            corpus_free(out);
            free(b);
            free(hs.slots);
            return status_fail(st, "corpus: out of memory after %d examples", n);
        }
        out->n++;
    }
    free(b);
    free(hs.slots);
    return 0;
}

/* ---- vocabularies -------------------------------------------------------------- */

typedef struct TokList {
    int n, cap;
    char **tok;
    int oom;
} TokList;

static int toklist_add(void *ctx, const char *tok) {
    TokList *l = ctx;
    if (l->oom) return -1;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 256;
        char **t = realloc(l->tok, sizeof(char *) * (size_t)cap);
        if (!t) {
            l->oom = 1;
            return -1;
        }
        l->tok = t;
        l->cap = cap;
    }
    size_t len = strlen(tok) + 1;
    char *s = malloc(len);
    if (!s) {
        l->oom = 1;
        return -1;
    }
    memcpy(s, tok, len);
    l->tok[l->n++] = s;
    return 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void corpus_vocab_free(CorpusVocab *v) {
    if (!v) return;
    for (int i = 0; i < v->n; i++) free(v->tokens[i]);
    free(v->tokens);
    memset(v, 0, sizeof *v);
}

int corpus_vocab(const CorpusConfig *cfg, int side, int with_specials, CorpusVocab *out, Status *st) {
    memset(out, 0, sizeof *out);
    TokList l = {0};
    static const char *const SPECIALS[] = {"<pad>", "<unk>", "<sos>", "<eos>"};
    int n_spec = with_specials ? 4 : 0;
    for (int i = 0; i < n_spec; i++) toklist_add(&l, SPECIALS[i]);
    if (cfg->task == CORPUS_REVERSE) {
        char tok[2] = {0, 0};
        int syms = cfg->symbols < 1 ? 1 : cfg->symbols > 26 ? 26 : cfg->symbols;
        for (int i = 0; i < syms; i++) {
            tok[0] = (char)('a' + i);
            toklist_add(&l, tok);
        }
    } else if (cfg->task == CORPUS_DATES) {
        corpus_dates_vocab(side, toklist_add, &l);
    } else {
        corpus_translate_vocab(side, toklist_add, &l);
    }
    if (l.oom) {
        for (int i = 0; i < l.n; i++) free(l.tok[i]);
        free(l.tok);
        return status_fail(st, "corpus: out of memory listing the vocabulary");
    }
    qsort(l.tok + n_spec, (size_t)(l.n - n_spec), sizeof(char *), cmp_str);
    int w = n_spec;
    for (int i = n_spec; i < l.n; i++) {
        if (w > n_spec && !strcmp(l.tok[w - 1], l.tok[i])) {
            free(l.tok[i]);
            continue;
        }
        l.tok[w++] = l.tok[i];
    }
    out->n = w;
    out->tokens = l.tok;
    return 0;
}
