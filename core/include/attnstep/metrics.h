/* metrics.h — corpus BLEU, exact match and alignment error rate (AER).
 *
 * What it is: accumulators fed one sentence at a time and read at the end, on
 * pre-tokenised text (tokens as strings, or ids). What it is not: no tokenisation,
 * no smoothing, no multiple references, no allocation (all state is in the structs).
 *
 * BLEU is Papineni et al. (2002) corpus BLEU as multi-bleu.perl and sacrebleu with
 * tokenize='none', smooth_method='none' compute it: clipped n-gram matches (n = 1..4)
 * summed over the corpus, uniform weights, brevity penalty exp(1 - r/c) when the total
 * hypothesis length c is shorter than the total reference length r; 0 when any n-gram
 * order has no match; reported on 0..100.
 *
 * AER (Och & Ney 2003) = 1 - (|A∩S| + |A∩P|) / (|A| + |S|), summed over the corpus,
 * where A holds one link per target token: (t, argmax_j attention[t][j]), and S ⊆ P
 * are the gold sure/possible links (CorpusLinks from corpus.h). Compute the attention
 * of the *reference* target (teacher forcing), so that rows match the gold tokens.
 *
 *   MetricsBleu b; metrics_bleu_init(&b);
 *   MetricsAer a; metrics_aer_init(&a);
 *   for each example: metrics_bleu_add(&b, hyp, hyp_len, ref, ref_len);
 *                     metrics_aer_add(&a, attn, ex->tgt_len, src_cols, ex->src_len, ex->links);
 *   printf("BLEU %.2f AER %.3f\n", metrics_bleu_score(&b), metrics_aer(&a));
 */
#ifndef ATTNSTEP_METRICS_H
#define ATTNSTEP_METRICS_H

#include "corpus.h"

#define METRICS_BLEU_ORDER 4

typedef struct MetricsBleu {
    long long match[METRICS_BLEU_ORDER]; /* clipped n-gram matches, n = 1..4 */
    long long total[METRICS_BLEU_ORDER]; /* hypothesis n-grams */
    long long hyp_len, ref_len;
    long long sentences, exact;          /* exact-match count rides along */
} MetricsBleu;

void metrics_bleu_init(MetricsBleu *b);
/* Adds one hypothesis/reference pair of token strings (compared with strcmp). */
void metrics_bleu_add(MetricsBleu *b, const char *const *hyp, int hyp_len, const char *const *ref, int ref_len);
/* Same with token ids (e.g. model outputs without <eos>). */
void metrics_bleu_add_ids(MetricsBleu *b, const int *hyp, int hyp_len, const int *ref, int ref_len);
/* Corpus BLEU in 0..100 (0 for an empty corpus or an empty hypothesis side). */
double metrics_bleu_score(const MetricsBleu *b);
/* The brevity penalty alone, in (0, 1]; 0 when there is no hypothesis token. */
double metrics_bleu_brevity(const MetricsBleu *b);
/* Modified n-gram precision of order n (1..4) in 0..1; 0 when there is no n-gram. */
double metrics_bleu_precision(const MetricsBleu *b, int n);
/* Fraction (0..1) of the added pairs whose hypothesis equals the reference token for
 * token; 0 for an empty corpus. */
double metrics_exact_match(const MetricsBleu *b);

typedef struct MetricsAer {
    long long a;     /* |A|: links proposed */
    long long s;     /* |S|: gold sure links */
    long long a_s;   /* |A∩S| */
    long long a_p;   /* |A∩P| */
} MetricsAer;

void metrics_aer_init(MetricsAer *m);
/* attention: [tgt_len x src_cols] row-major weights (rows need not be normalised);
 * the argmax of each row over all src_cols columns (first maximum on ties) is the
 * proposed source position. Columns >= src_len (an <eos> the model appended) are
 * never gold, so a row whose argmax lands there counts in |A| only. links: the gold
 * links of the tgt_len target tokens. */
void metrics_aer_add(MetricsAer *m, const float *attention, int tgt_len, int src_cols, int src_len,
                     const CorpusLinks *links);
/* Same with the proposed source position of each target token given directly
 * (align[t] < 0: no link for token t, it adds nothing to |A|). */
void metrics_aer_add_links(MetricsAer *m, const int *align, int tgt_len, const CorpusLinks *links);
/* 1 - (|A∩S| + |A∩P|) / (|A| + |S|) in 0..1; 0 when |A| + |S| = 0. */
double metrics_aer(const MetricsAer *m);

#endif
