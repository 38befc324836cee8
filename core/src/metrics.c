/* metrics.c — corpus BLEU, exact match, AER (see metrics.h). */
#include "attnstep/metrics.h"

#include <assert.h>
#include <math.h>
#include <string.h>

void metrics_bleu_init(MetricsBleu *b) { memset(b, 0, sizeof *b); }

/* Token equality over either strings or ids. */
typedef struct Seq {
    const char *const *s;
    const int *id;
    int n;
} Seq;

static int tok_eq(const Seq *a, int i, const Seq *b, int j) {
    return a->s ? !strcmp(a->s[i], b->s[j]) : a->id[i] == b->id[j];
}
static int gram_eq(const Seq *a, int i, const Seq *b, int j, int n) {
    for (int k = 0; k < n; k++)
        if (!tok_eq(a, i + k, b, j + k)) return 0;
    return 1;
}

/* O(len^2) per order: sentences are short, and nothing is allocated. */
static void bleu_add(MetricsBleu *b, const Seq *hyp, const Seq *ref) {
    for (int n = 1; n <= METRICS_BLEU_ORDER; n++) {
        int hn = hyp->n - n + 1, rn = ref->n - n + 1;
        if (hn <= 0) continue;
        b->total[n - 1] += hn;
        for (int i = 0; i < hn; i++) {
            int first = 1; /* count each distinct n-gram once, at its first occurrence */
            for (int k = 0; k < i && first; k++)
                if (gram_eq(hyp, k, hyp, i, n)) first = 0;
            if (!first) continue;
            int in_hyp = 0, in_ref = 0;
            for (int k = i; k < hn; k++) in_hyp += gram_eq(hyp, k, hyp, i, n);
            for (int k = 0; k < rn; k++) in_ref += gram_eq(ref, k, hyp, i, n);
            b->match[n - 1] += in_hyp < in_ref ? in_hyp : in_ref;
        }
    }
    b->hyp_len += hyp->n;
    b->ref_len += ref->n;
    b->sentences++;
    int same = hyp->n == ref->n;
    for (int i = 0; same && i < hyp->n; i++) same = tok_eq(hyp, i, ref, i);
    b->exact += same;
}

void metrics_bleu_add(MetricsBleu *b, const char *const *hyp, int hyp_len, const char *const *ref, int ref_len) {
    assert(hyp_len >= 0 && ref_len >= 0);
    Seq h = {hyp, NULL, hyp_len}, r = {ref, NULL, ref_len};
    bleu_add(b, &h, &r);
}

void metrics_bleu_add_ids(MetricsBleu *b, const int *hyp, int hyp_len, const int *ref, int ref_len) {
    assert(hyp_len >= 0 && ref_len >= 0);
    Seq h = {NULL, hyp, hyp_len}, r = {NULL, ref, ref_len};
    bleu_add(b, &h, &r);
}

double metrics_bleu_brevity(const MetricsBleu *b) {
    if (b->hyp_len <= 0) return 0.0;
    if (b->hyp_len >= b->ref_len) return 1.0;
    return exp(1.0 - (double)b->ref_len / (double)b->hyp_len);
}

double metrics_bleu_precision(const MetricsBleu *b, int n) {
    assert(n >= 1 && n <= METRICS_BLEU_ORDER);
    return b->total[n - 1] ? (double)b->match[n - 1] / (double)b->total[n - 1] : 0.0;
}

double metrics_bleu_score(const MetricsBleu *b) {
    double log_sum = 0.0;
    for (int n = 0; n < METRICS_BLEU_ORDER; n++) {
        if (b->match[n] == 0 || b->total[n] == 0) return 0.0;
        log_sum += log((double)b->match[n] / (double)b->total[n]);
    }
    return 100.0 * metrics_bleu_brevity(b) * exp(log_sum / METRICS_BLEU_ORDER);
}

double metrics_exact_match(const MetricsBleu *b) {
    return b->sentences ? (double)b->exact / (double)b->sentences : 0.0;
}

void metrics_aer_init(MetricsAer *m) { memset(m, 0, sizeof *m); }

static int contains(const int *list, int n, int x) {
    for (int i = 0; i < n; i++)
        if (list[i] == x) return 1;
    return 0;
}

void metrics_aer_add_links(MetricsAer *m, const int *align, int tgt_len, const CorpusLinks *links) {
    for (int t = 0; t < tgt_len; t++) {
        m->s += links[t].n_sure;
        if (align[t] < 0) continue;
        m->a++;
        m->a_s += contains(links[t].sure, links[t].n_sure, align[t]);
        m->a_p += contains(links[t].possible, links[t].n_possible, align[t]);
    }
}

void metrics_aer_add(MetricsAer *m, const float *attention, int tgt_len, int src_cols, int src_len,
                     const CorpusLinks *links) {
    assert(src_cols >= 1 && src_len >= 0 && src_len <= src_cols);
    for (int t = 0; t < tgt_len; t++) {
        const float *row = attention + (size_t)t * (size_t)src_cols;
        int best = 0;
        for (int j = 1; j < src_cols; j++)
            if (row[j] > row[best]) best = j;
        int a = best; /* a column >= src_len is never in S or P */
        m->s += links[t].n_sure;
        m->a++;
        m->a_s += contains(links[t].sure, links[t].n_sure, a);
        m->a_p += contains(links[t].possible, links[t].n_possible, a);
    }
}

double metrics_aer(const MetricsAer *m) {
    long long den = m->a + m->s;
    return den ? 1.0 - (double)(m->a_s + m->a_p) / (double)den : 0.0;
}
