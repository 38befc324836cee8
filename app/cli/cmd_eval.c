/* cmd_eval.c — `attnstep eval`: greedy-decode a task split and score the model.
 *
 * Prints exact match, corpus BLEU (of the greedy outputs), token accuracy and the
 * alignment error rate of the attention (metrics.h: argmax of each row of the attention
 * the model computes for the *reference* target under teacher forcing, against the gold
 * sure/possible links), overall and by source length. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnstep/corpus.h"
#include "attnstep/metrics.h"
#include "attnstep/model.h"
#include "attnstep/seq2seq.h"
#include "attnstep/train.h"
#include "commands.h"

/* cmd_train.c */
int train_cli_corpus_config(const char *json, CorpusConfig *cc, Status *st);

static void usage(FILE *out) {
    fprintf(out,
            "usage: attnstep eval --model FILE [--task reverse|dates|translate] [--n N] [--split test|dev|train]\n"
            "                     [--seed S] [--lang fr|es|both] [--show K] [--csv FILE]\n"
            "\n"
            "Greedy-decodes N examples (default 1000) of the split (default test) and prints exact match,\n"
            "corpus BLEU, token accuracy and the attention's alignment error rate (AER: argmax of the\n"
            "attention over the reference target under teacher forcing vs the gold links), overall and\n"
            "by source length. The task and its settings (reverse\n"
            "alphabet and lengths, translate language) default to the model's `corpus` metadata.\n"
            "--show K prints the first K wrong outputs. --csv FILE also writes the by-length table as CSV\n"
            "(model,length,lo,hi,n,exact,bleu,token_accuracy,aer; `attnstep plot` draws such files).\n");
}

#define BUCKETS 8
static const int EDGES[BUCKETS] = {5, 10, 15, 20, 25, 30, 40, 1 << 30};

static int bucket_of(int src_len) {
    int bk = 0;
    while (src_len > EDGES[bk]) bk++;
    return bk;
}

/* Teacher-forced attention over the reference targets, in batches, into the AER
 * accumulators (overall and per source-length bucket). Rows are the target tokens
 * without <eos>; columns the source tokens plus the appended <eos>. */
static int eval_aer(const Seq2Seq *m, const Corpus *c, const TrainData *d, MetricsAer *aer, MetricsAer *b_aer, Status *st) {
    enum { BATCH = 64 };
    TrainActs *a = train_acts_new(m, BATCH, d->max_src, d->max_tgt, st);
    size_t cap = (size_t)BATCH * ((size_t)d->max_src + (size_t)d->max_tgt + 2);
    int *mem = malloc(cap * sizeof(int));
    float *att = malloc((size_t)d->max_src * (size_t)d->max_tgt * sizeof(float));
    int rc = -1;
    if (!a || !mem || !att) { if (a) status_fail(st, "out of memory"); goto out; }
    for (int i0 = 0; i0 < d->n; i0 += BATCH) {
        int B = d->n - i0 < BATCH ? d->n - i0 : BATCH, S = 1, T = 1;
        for (int b = 0; b < B; b++) {
            if (d->src_len[i0 + b] > S) S = d->src_len[i0 + b];
            if (d->tgt_len[i0 + b] > T) T = d->tgt_len[i0 + b];
        }
        int *src = mem, *tgt = src + (size_t)B * S, *sl = tgt + (size_t)B * T, *tl = sl + B;
        for (int b = 0; b < B; b++) {
            int i = i0 + b;
            for (int s = 0; s < S; s++) src[b * S + s] = s < d->src_len[i] ? d->ids[d->src_off[i] + s] : m->src_eos;
            for (int t = 0; t < T; t++) tgt[b * T + t] = t < d->tgt_len[i] ? d->ids[d->tgt_off[i] + t] : m->tgt_eos;
            sl[b] = d->src_len[i];
            tl[b] = d->tgt_len[i];
        }
        TrainBatch bt = {B, S, T, src, sl, tgt, tl};
        train_forward(m, a, &bt, 0.0f, NULL);
        for (int b = 0; b < B; b++) {
            const CorpusExample *e = &c->examples[i0 + b];
            int cols = sl[b];
            for (int t = 0; t < e->tgt_len; t++) memcpy(att + (size_t)t * cols, train_weights(a, t, b), (size_t)cols * sizeof(float));
            metrics_aer_add(aer, att, e->tgt_len, cols, e->src_len, e->links);
            metrics_aer_add(&b_aer[bucket_of(e->src_len)], att, e->tgt_len, cols, e->src_len, e->links);
        }
    }
    rc = 0;
out:
    free(att);
    free(mem);
    train_acts_free(a);
    return rc;
}

/* The Transformer's alignment: per example, the teacher-forced cross-attention of the last
 * decoder layer averaged over heads (transformer_train_cross_weights), rows the target
 * tokens without EOS, columns the source tokens plus EOS (the BOS column dropped, so the
 * columns mean what they mean for the RNN models). */
static int eval_aer_tfm(const Transformer *m, const Corpus *c, const TrainData *d, MetricsAer *aer, MetricsAer *b_aer,
                        MetricsAer *layer_aer, Status *st) {
    TransformerTape *tape = transformer_tape_new(m, d->max_src, d->max_tgt, st);
    float *att = malloc((size_t)d->max_src * (size_t)d->max_tgt * sizeof(float)), *row = malloc((size_t)d->max_src * sizeof(float));
    int *in = malloc((size_t)d->max_tgt * sizeof(int));
    int rc = -1;
    if (!tape || !att || !row || !in) { if (tape) status_fail(st, "out of memory"); goto out; }
    for (int i = 0; i < d->n; i++) {
        const int *src = d->ids + d->src_off[i], *tgt = d->ids + d->tgt_off[i];
        int S = d->src_len[i], T = d->tgt_len[i];
        in[0] = m->bos;
        for (int k = 1; k < T; k++) in[k] = tgt[k - 1];
        float loss;
        if (transformer_train_forward(m, tape, src, S, in, tgt, T, &loss, NULL, st)) goto out;
        const CorpusExample *e = &c->examples[i];
        int cols = S - 1;
        for (int t = 0; t < e->tgt_len; t++) {
            transformer_train_cross_weights(m, tape, t, row);
            memcpy(att + (size_t)t * cols, row + 1, (size_t)cols * sizeof(float));
        }
        metrics_aer_add(aer, att, e->tgt_len, cols, e->src_len, e->links);
        metrics_aer_add(&b_aer[bucket_of(e->src_len)], att, e->tgt_len, cols, e->src_len, e->links);
        for (int l = 0; l < m->cfg.dec_layers && l < TRANSFORMER_MAX_LAYERS; l++) { /* every layer, for the report */
            for (int t = 0; t < e->tgt_len; t++) {
                transformer_train_cross_weights_layer(m, tape, l, t, row);
                memcpy(att + (size_t)t * cols, row + 1, (size_t)cols * sizeof(float));
            }
            metrics_aer_add(&layer_aer[l], att, e->tgt_len, cols, e->src_len, e->links);
        }
    }
    rc = 0;
out:
    free(in);
    free(row);
    free(att);
    transformer_tape_free(tape);
    return rc;
}

int cmd_eval(int argc, char **argv) {
    const char *model = NULL, *task = NULL, *split = "test", *lang = NULL, *csv_path = NULL;
    FILE *csv = NULL;
    long n = 1000, show = 0;
    unsigned long long seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (i + 1 >= argc) { fprintf(stderr, "eval: %s needs a value (see attnstep eval --help)\n", a); return 2; }
        const char *v = argv[++i];
        char *end = NULL;
        if (!strcmp(a, "--model")) model = v;
        else if (!strcmp(a, "--task")) task = v;
        else if (!strcmp(a, "--split")) split = v;
        else if (!strcmp(a, "--lang")) lang = v;
        else if (!strcmp(a, "--csv")) csv_path = v;
        else if (!strcmp(a, "--n") || !strcmp(a, "--show") || !strcmp(a, "--seed")) {
            errno = 0;
            long long x = strtoll(v, &end, 10);
            if (errno || !end || *end || x < 0 || x > 100000000) { fprintf(stderr, "eval: %s expects a non-negative integer (got '%s')\n", a, v); return 2; }
            if (!strcmp(a, "--n")) n = (long)x;
            else if (!strcmp(a, "--show")) show = (long)x;
            else seed = (unsigned long long)x;
        } else { fprintf(stderr, "eval: unknown option '%s' (see attnstep eval --help)\n", a); return 2; }
    }
    if (!model) { fprintf(stderr, "eval: --model FILE is required\n"); return 2; }
    if (n < 1) { fprintf(stderr, "eval: --n must be at least 1\n"); return 2; }
    int sp = corpus_split_from_name(split);
    if (sp < 0) { fprintf(stderr, "eval: unknown split '%s' (train, dev or test)\n", split); return 2; }

    Status st = {0};
    Model *mm = model_load(model, &st);
    if (!mm) { fprintf(stderr, "eval: %s\n", st.message); return 1; }
    const Seq2Seq *m = mm->s2s;       /* one of these two */
    const Transformer *tm = mm->tfm;
    CorpusConfig cc;
    const char *meta = model_meta(mm, "corpus");
    int from_meta = meta && !train_cli_corpus_config(meta, &cc, &st);
    if (task) {
        int t = corpus_task_from_name(task);
        if (t < 0) { fprintf(stderr, "eval: unknown task '%s' (reverse, dates or translate)\n", task); model_free(mm); return 2; }
        if (!from_meta || cc.task != (CorpusTask)t) corpus_config_init(&cc, (CorpusTask)t);
    } else if (!from_meta) {
        fprintf(stderr, "eval: %s has no 'corpus' metadata; pass --task\n", model);
        model_free(mm);
        return 2;
    }
    if (lang) {
        int l = corpus_lang_from_name(lang);
        if (l < 0) { fprintf(stderr, "eval: unknown --lang '%s'\n", lang); model_free(mm); return 2; }
        cc.lang = (CorpusLang)l;
    }
    cc.split = (CorpusSplit)sp;
    cc.seed = seed;
    Corpus c = {0};
    TrainData d = {0};
    int rc = 1;
    Seq2SeqRun *run = NULL;
    TransformerRun *trun = NULL;
    int *hyp = NULL, *amax = NULL;
    if (corpus_generate(&cc, (int)n, &c, &st) || (tm ? transformer_train_data(tm, &c, &d, &st) : train_data_from_corpus(m, &c, &d, &st))) {
        fprintf(stderr, "eval: %s\n", st.message);
        goto done;
    }
    if (tm ? !(trun = transformer_run_new(tm, d.max_src, 1, &st)) : !(run = seq2seq_run_new(m, d.max_src, 1, &st))) { fprintf(stderr, "eval: %s\n", st.message); goto done; }
    int max_len = d.max_tgt * 2 + 5;
    hyp = malloc((size_t)max_len * sizeof *hyp);
    amax = malloc((size_t)max_len * sizeof *amax);
    if (!hyp || !amax) { fprintf(stderr, "eval: out of memory\n"); goto done; }
    long b_n[BUCKETS] = {0}, b_exact[BUCKETS] = {0}, b_ok[BUCKETS] = {0}, b_tok[BUCKETS] = {0};
    long exact = 0, ok = 0, tok = 0, shown = 0;
    MetricsBleu bleu, b_bleu[BUCKETS];
    MetricsAer aer, b_aer[BUCKETS];
    metrics_bleu_init(&bleu);
    metrics_aer_init(&aer);
    for (int k = 0; k < BUCKETS; k++) { metrics_bleu_init(&b_bleu[k]); metrics_aer_init(&b_aer[k]); }
    int has_attn = mm->has_attention;
    MetricsAer layer_aer[TRANSFORMER_MAX_LAYERS];
    for (int k = 0; k < TRANSFORMER_MAX_LAYERS; k++) metrics_aer_init(&layer_aer[k]);
    if (has_attn && (tm ? eval_aer_tfm(tm, &c, &d, &aer, b_aer, layer_aer, &st) : eval_aer(m, &c, &d, &aer, b_aer, &st))) { fprintf(stderr, "eval: %s\n", st.message); goto done; }
    for (int i = 0; i < d.n; i++) {
        int len;
        if (tm ? transformer_greedy(tm, trun, d.ids + d.src_off[i], d.src_len[i], max_len, hyp, &len, amax, &st)
               : train_greedy(m, run, d.ids + d.src_off[i], d.src_len[i], max_len, hyp, &len, amax, &st)) {
            fprintf(stderr, "eval: example %d: %s\n", i, st.message);
            goto done;
        }
        const int *ref = d.ids + d.tgt_off[i];
        int rl = d.tgt_len[i] - 1, same = len == rl, good = 0;
        for (int k = 0; k < rl; k++) {
            int hit = k < len && hyp[k] == ref[k];
            good += hit;
            if (!hit) same = 0;
        }
        int bk = bucket_of(c.examples[i].src_len);
        b_n[bk]++; b_exact[bk] += same; b_ok[bk] += good; b_tok[bk] += rl;
        metrics_bleu_add_ids(&bleu, hyp, len, ref, rl);
        metrics_bleu_add_ids(&b_bleu[bk], hyp, len, ref, rl);
        exact += same; ok += good; tok += rl;
        if (!same && shown < show) {
            const char *sep = corpus_task_mode(cc.task) == VOCAB_CHARS ? "" : " ";
            printf("  wrong: ");
            for (int k = 0; k < c.examples[i].src_len; k++) printf("%s%s", k ? sep : "", c.examples[i].src[k]);
            printf("\n    want: ");
            for (int k = 0; k < rl; k++) printf("%s%s", k ? sep : "", vocab_token(mm->tgt_vocab, ref[k]));
            printf("\n    got:  ");
            for (int k = 0; k < len; k++) printf("%s%s", k ? sep : "", vocab_token(mm->tgt_vocab, hyp[k]));
            printf("\n");
            shown++;
        }
    }
    const char *name = model_meta(mm, "name");
    printf("model %s (%s), task %s, split %s, %d examples\n", name ? name : model, mm->arch, corpus_task_name(cc.task),
           corpus_split_name(cc.split), d.n);
    printf("exact match     %.4f  (%ld/%d)\n", (double)exact / d.n, exact, d.n);
    printf("token accuracy  %.4f  (%ld/%ld, position-wise, <eos> excluded)\n", tok ? (double)ok / tok : 0.0, ok, tok);
    printf("BLEU            %.2f  (brevity penalty %.4f)\n", metrics_bleu_score(&bleu), metrics_bleu_brevity(&bleu));
    if (!has_attn) printf("AER             -  (no attention)\n");
    else
        printf("AER             %.4f  (attention argmax vs gold sure/possible links, teacher forcing%s)\n", metrics_aer(&aer),
               tm ? "; last decoder layer's cross-attention, mean over heads" : "");
    if (tm && has_attn) {
        printf("AER by layer   ");
        for (int l = 0; l < tm->cfg.dec_layers; l++) printf("%s layer %d %.4f", l ? "," : "", l + 1, metrics_aer(&layer_aer[l]));
        printf("  (each decoder layer's cross-attention, mean over heads)\n");
    }
    if (csv_path && !(csv = fopen(csv_path, "w"))) {
        fprintf(stderr, "eval: cannot write '%.200s': %s\n", csv_path, strerror(errno));
        goto done;
    }
    if (csv) fprintf(csv, "model,length,lo,hi,n,exact,bleu,token_accuracy,aer\n");
    printf("\nby source length (tokens, language tag included):\n");
    printf("  %-9s %6s %8s %8s %8s %8s\n", "length", "n", "exact", "BLEU", "tok acc", "AER");
    int lo = 1;
    for (int bk = 0; bk < BUCKETS; bk++) {
        if (b_n[bk]) {
            char range[32];
            if (EDGES[bk] >= (1 << 29)) snprintf(range, sizeof range, "%d+", lo);
            else snprintf(range, sizeof range, "%d-%d", lo, EDGES[bk]);
            char aer_s[16] = "-";
            if (has_attn) snprintf(aer_s, sizeof aer_s, "%.4f", metrics_aer(&b_aer[bk]));
            printf("  %-9s %6ld %8.4f %8.2f %8.4f %8s\n", range, b_n[bk], (double)b_exact[bk] / b_n[bk], metrics_bleu_score(&b_bleu[bk]),
                   b_tok[bk] ? (double)b_ok[bk] / b_tok[bk] : 0.0, aer_s);
            if (csv) /* the model name is a file stem or a name without commas or quotes in practice; quote it anyway */
                fprintf(csv, "\"%.200s\",%s,%d,%d,%ld,%.4f,%.2f,%.4f,%s\n", name ? name : model, range, lo,
                        EDGES[bk] >= (1 << 29) ? -1 : EDGES[bk], b_n[bk], (double)b_exact[bk] / b_n[bk], metrics_bleu_score(&b_bleu[bk]),
                        b_tok[bk] ? (double)b_ok[bk] / b_tok[bk] : 0.0, has_attn ? aer_s : "");
        }
        lo = EDGES[bk] + 1;
    }
    if (csv && fclose(csv)) { csv = NULL; fprintf(stderr, "eval: could not write '%.200s': %s\n", csv_path, strerror(errno)); goto done; }
    csv = NULL;
    rc = 0;
done:
    if (csv) fclose(csv);
    free(hyp);
    free(amax);
    seq2seq_run_free(run);
    transformer_run_free(trun);
    train_data_free(&d);
    corpus_free(&c);
    model_free(mm);
    return rc;
}
