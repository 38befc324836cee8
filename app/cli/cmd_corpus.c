/* cmd_corpus.c — `attnstep corpus`: print a synthetic task corpus with gold alignments. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnstep/corpus.h"
#include "commands.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: attnstep corpus --task reverse|dates|translate --n N --seed S\n"
            "                       [--split train|dev|test] [--lang fr|es|both] [--format tsv|jsonl]\n"
            "                       [--symbols K] [--min-len A] [--max-len B] [--max-src-len L]\n"
            "       attnstep corpus --task translate --sentence \"the european economic area ...\" --lang fr|es\n"
            "       attnstep corpus --task T --vocab src|tgt\n"
            "\n"
            "Prints N distinct examples of the split (default train) with their gold alignments.\n"
            "The same options always print the same examples; train, dev and test never share a source.\n"
            "  --task       reverse: symbol sequences -> reversed; dates: written dates -> YYYY-MM-DD\n"
            "               (character level); translate: English -> French/Spanish (<2fr>/<2es> tag)\n"
            "  --n          number of examples (default 10)\n"
            "  --seed       unsigned 64-bit seed (default 1)\n"
            "  --lang       translate target language (default both: each example picks one)\n"
            "  --format     tsv (default): source \\t target \\t alignment, where the alignment lists\n"
            "               \"s-t\" for sure links and \"s?t\" for possible-only links (Moses order: source\n"
            "               position s, then target position t, both from 0); word-level tokens are\n"
            "               joined by spaces, characters (dates) are joined as they are.\n"
            "               jsonl: {\"src\":[...],\"tgt\":[...],\"sure\":[[s,...] per target token],\n"
            "               \"possible\":[[s,...] per target token]} (possible includes sure)\n"
            "  --symbols, --min-len, --max-len   reverse alphabet size (2..26, default 20) and lengths (3..12)\n"
            "  --max-src-len  drop examples with more source tokens than this (0 = no limit)\n"
            "  --sentence   translate one English sentence of the grammar (prints one example)\n"
            "  --vocab      print the task's source or target vocabulary, one token per line\n"
            "               (with <pad> <unk> <sos> <eos> first)\n");
}

static int parse_long(const char *opt, const char *s, long long lo, long long hi, long long *out) {
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || !end || *end || end == s || v < lo || v > hi) {
        fprintf(stderr, "corpus: %s expects an integer in %lld..%lld (got '%s')\n", opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static void json_string(FILE *out, const char *s) {
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
        else if (c < 0x20) fprintf(out, "\\u%04x", c);
        else fputc(c, out);
    }
    fputc('"', out);
}

static void print_tokens(FILE *out, const char *const *tok, int n, int chars) {
    for (int i = 0; i < n; i++) {
        if (i && !chars) fputc(' ', out);
        fputs(tok[i], out);
    }
}

static void print_tsv(FILE *out, const CorpusExample *e, int chars) {
    print_tokens(out, e->src, e->src_len, chars);
    fputc('\t', out);
    print_tokens(out, e->tgt, e->tgt_len, chars);
    fputc('\t', out);
    int first = 1;
    for (int t = 0; t < e->tgt_len; t++) {
        const CorpusLinks *l = &e->links[t];
        for (int k = 0; k < l->n_possible; k++) {
            int s = l->possible[k], sure = 0;
            for (int j = 0; j < l->n_sure; j++) sure |= l->sure[j] == s;
            fprintf(out, "%s%d%c%d", first ? "" : " ", s, sure ? '-' : '?', t);
            first = 0;
        }
    }
    fputc('\n', out);
}

static void print_json_list(FILE *out, const char *const *tok, int n) {
    fputc('[', out);
    for (int i = 0; i < n; i++) {
        if (i) fputc(',', out);
        json_string(out, tok[i]);
    }
    fputc(']', out);
}

static void print_jsonl(FILE *out, const CorpusExample *e, const char *task, const char *split) {
    fprintf(out, "{\"task\":\"%s\",\"split\":\"%s\",\"src\":", task, split);
    print_json_list(out, e->src, e->src_len);
    fputs(",\"tgt\":", out);
    print_json_list(out, e->tgt, e->tgt_len);
    for (int which = 0; which < 2; which++) {
        fputs(which ? ",\"possible\":[" : ",\"sure\":[", out);
        for (int t = 0; t < e->tgt_len; t++) {
            const CorpusLinks *l = &e->links[t];
            int n = which ? l->n_possible : l->n_sure;
            const int *p = which ? l->possible : l->sure;
            fputs(t ? ",[" : "[", out);
            for (int k = 0; k < n; k++) fprintf(out, "%s%d", k ? "," : "", p[k]);
            fputc(']', out);
        }
        fputc(']', out);
    }
    fputs("}\n", out);
}

int cmd_corpus(int argc, char **argv) {
    CorpusConfig cfg;
    corpus_config_init(&cfg, CORPUS_REVERSE);
    int task = -1, split = CORPUS_TRAIN, lang = CORPUS_LANG_BOTH, jsonl = 0, vocab_side = -1;
    long long n = 10, v = 0;
    int symbols = -1, min_len = -1, max_len = -1, max_src = 0, lang_given = 0;
    const char *sentence = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "corpus: unexpected argument '%s' (options start with --; see --help)\n", a);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "corpus: %s needs a value (see --help)\n", a);
            return 2;
        }
        const char *val = argv[++i];
        if (!strcmp(a, "--task")) {
            if ((task = corpus_task_from_name(val)) < 0) {
                fprintf(stderr, "corpus: unknown task '%s' (reverse, dates or translate)\n", val);
                return 2;
            }
        } else if (!strcmp(a, "--split")) {
            if ((split = corpus_split_from_name(val)) < 0) {
                fprintf(stderr, "corpus: unknown split '%s' (train, dev or test)\n", val);
                return 2;
            }
        } else if (!strcmp(a, "--lang")) {
            if ((lang = corpus_lang_from_name(val)) < 0) {
                fprintf(stderr, "corpus: unknown language '%s' (fr, es or both)\n", val);
                return 2;
            }
            lang_given = 1;
        } else if (!strcmp(a, "--format")) {
            if (!strcmp(val, "tsv")) jsonl = 0;
            else if (!strcmp(val, "jsonl")) jsonl = 1;
            else {
                fprintf(stderr, "corpus: unknown format '%s' (tsv or jsonl)\n", val);
                return 2;
            }
        } else if (!strcmp(a, "--n")) {
            if (parse_long(a, val, 0, 10000000, &n)) return 2;
        } else if (!strcmp(a, "--seed")) {
            char *end = NULL;
            errno = 0;
            unsigned long long s = strtoull(val, &end, 10);
            if (errno || !end || *end || end == val || val[0] == '-') {
                fprintf(stderr, "corpus: --seed expects an unsigned integer (got '%s')\n", val);
                return 2;
            }
            cfg.seed = (uint64_t)s;
        } else if (!strcmp(a, "--symbols")) {
            if (parse_long(a, val, 2, 26, &v)) return 2;
            symbols = (int)v;
        } else if (!strcmp(a, "--min-len")) {
            if (parse_long(a, val, 1, 64, &v)) return 2;
            min_len = (int)v;
        } else if (!strcmp(a, "--max-len")) {
            if (parse_long(a, val, 1, 64, &v)) return 2;
            max_len = (int)v;
        } else if (!strcmp(a, "--max-src-len")) {
            if (parse_long(a, val, 0, 100000, &v)) return 2;
            max_src = (int)v;
        } else if (!strcmp(a, "--sentence")) {
            sentence = val;
        } else if (!strcmp(a, "--vocab")) {
            if (!strcmp(val, "src")) vocab_side = 0;
            else if (!strcmp(val, "tgt")) vocab_side = 1;
            else {
                fprintf(stderr, "corpus: --vocab expects src or tgt (got '%s')\n", val);
                return 2;
            }
        } else {
            fprintf(stderr, "corpus: unknown option '%s' (see --help)\n", a);
            return 2;
        }
    }
    if (task < 0) {
        fprintf(stderr, "corpus: --task is required (reverse, dates or translate)\n");
        usage(stderr);
        return 2;
    }
    uint64_t seed = cfg.seed;
    corpus_config_init(&cfg, (CorpusTask)task);
    cfg.seed = seed;
    cfg.split = (CorpusSplit)split;
    cfg.lang = (CorpusLang)lang;
    if (symbols > 0) cfg.symbols = symbols;
    if (min_len > 0) cfg.min_len = min_len;
    if (max_len > 0) cfg.max_len = max_len;
    cfg.max_src_len = max_src;
    if (lang_given && task != CORPUS_TRANSLATE) fprintf(stderr, "corpus: note: --lang only affects translate\n");
    Status st = {0};
    int chars = corpus_task_mode((CorpusTask)task) == VOCAB_CHARS;

    if (vocab_side >= 0) {
        CorpusVocab voc;
        if (corpus_vocab(&cfg, vocab_side, 1, &voc, &st) != 0) {
            fprintf(stderr, "%s\n", st.message);
            return 1;
        }
        for (int i = 0; i < voc.n; i++) printf("%s\n", voc.tokens[i]);
        corpus_vocab_free(&voc);
        return 0;
    }
    if (sentence) {
        if (task != CORPUS_TRANSLATE) {
            fprintf(stderr, "corpus: --sentence needs --task translate\n");
            return 2;
        }
        CorpusExample e;
        if (corpus_translate_english(sentence, (CorpusLang)lang, &e, &st) != 0) {
            fprintf(stderr, "%s\n", st.message);
            return 1;
        }
        if (jsonl) print_jsonl(stdout, &e, "translate", "none");
        else print_tsv(stdout, &e, 0);
        corpus_example_free(&e);
        return 0;
    }
    Corpus c;
    if (corpus_generate(&cfg, (int)n, &c, &st) != 0) {
        fprintf(stderr, "%s\n", st.message);
        return 1;
    }
    for (int i = 0; i < c.n; i++) {
        if (jsonl) print_jsonl(stdout, &c.examples[i], corpus_task_name(cfg.task), corpus_split_name(cfg.split));
        else print_tsv(stdout, &c.examples[i], chars);
    }
    corpus_free(&c);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "corpus: could not write the output: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
