/* test_metrics.c — BLEU against hand-computed values, brevity penalty, clipping,
 * corpus-level summing, exact match, AER on hand-made alignments. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "attnstep/metrics.h"

/* splits a space-separated literal into at most 32 tokens (pointers into buf) */
typedef struct Toks {
    char buf[512];
    const char *t[32];
    int n;
} Toks;
static Toks *toks(Toks *k, const char *s) {
    strcpy(k->buf, s);
    k->n = 0;
    for (char *save = NULL, *p = strtok_r(k->buf, " ", &save); p; p = strtok_r(NULL, " ", &save)) k->t[k->n++] = p;
    return k;
}
static void add_pair(MetricsBleu *b, const char *hyp, const char *ref) {
    Toks h, r;
    toks(&h, hyp);
    toks(&r, ref);
    metrics_bleu_add(b, h.t, h.n, r.t, r.n);
}
static double bleu1(const char *hyp, const char *ref) {
    Toks h, r;
    MetricsBleu b;
    metrics_bleu_init(&b);
    toks(&h, hyp);
    toks(&r, ref);
    metrics_bleu_add(&b, h.t, h.n, r.t, r.n);
    return metrics_bleu_score(&b);
}

static void test_bleu_identical(void **state) {
    (void)state;
    assert_float_equal(bleu1("the cat sat on the mat", "the cat sat on the mat"), 100.0, 1e-9);
    assert_float_equal(bleu1("a b c d", "a b c d"), 100.0, 1e-9);
}

static void test_bleu_hand_cases(void **state) {
    (void)state;
    /* hyp "a b c d e f" vs ref "a b c d e g": p1 = 5/6, p2 = 4/5, p3 = 3/4, p4 = 2/3,
     * product = 120/360 = 1/3, BP = 1 (same length) -> BLEU = 100 * (1/3)^(1/4) = 75.98357 */
    assert_float_equal(bleu1("a b c d e f", "a b c d e g"), 100.0 * pow(1.0 / 3.0, 0.25), 1e-9);
    assert_float_equal(bleu1("a b c d e f", "a b c d e g"), 75.98357, 1e-4);
    /* hyp "the cat sat on the mat" vs ref "the cat is on the mat":
     * p1 = 5/6 (the x2, cat, on, mat), p2 = 3/5 (the cat, on the, the mat), p3 = 1/4 (on the mat),
     * p4 = 0/3 -> BLEU 0 without smoothing (multi-bleu.perl, sacrebleu smooth 'none') */
    MetricsBleu b;
    metrics_bleu_init(&b);
    add_pair(&b, "the cat sat on the mat", "the cat is on the mat");
    assert_float_equal(metrics_bleu_precision(&b, 1), 5.0 / 6.0, 1e-12);
    assert_float_equal(metrics_bleu_precision(&b, 2), 3.0 / 5.0, 1e-12);
    assert_float_equal(metrics_bleu_precision(&b, 3), 1.0 / 4.0, 1e-12);
    assert_float_equal(metrics_bleu_precision(&b, 4), 0.0, 1e-12);
    assert_float_equal(metrics_bleu_score(&b), 0.0, 1e-12);
    /* clipping: "the the the the" vs "the cat": p1 = min(4, 1)/4 = 1/4 */
    metrics_bleu_init(&b);
    add_pair(&b, "the the the the", "the cat");
    assert_float_equal(metrics_bleu_precision(&b, 1), 0.25, 1e-12);
}

static void test_bleu_brevity(void **state) {
    (void)state;
    /* hyp "a b c d" vs ref "a b c d e f": all precisions 1, c = 4, r = 6,
     * BP = exp(1 - 6/4) = exp(-0.5) = 0.60653 -> BLEU 60.653 */
    Toks h, r;
    MetricsBleu b;
    metrics_bleu_init(&b);
    add_pair(&b, "a b c d", "a b c d e f");
    assert_float_equal(metrics_bleu_brevity(&b), exp(-0.5), 1e-12);
    assert_float_equal(metrics_bleu_score(&b), 100.0 * exp(-0.5), 1e-9);
    /* a longer hypothesis is not rewarded: BP = 1; "a b c d e f" vs "a b c d":
     * p1 = 4/6, p2 = 3/5, p3 = 2/4, p4 = 1/3 -> (4*3*2*1 / (6*5*4*3))^(1/4) = (1/15)^(1/4) */
    metrics_bleu_init(&b);
    add_pair(&b, "a b c d e f", "a b c d");
    assert_float_equal(metrics_bleu_brevity(&b), 1.0, 1e-12);
    assert_float_equal(metrics_bleu_score(&b), 100.0 * pow(1.0 / 15.0, 0.25), 1e-9);
    /* empty hypothesis */
    metrics_bleu_init(&b);
    toks(&h, "a");
    toks(&r, "a b");
    metrics_bleu_add(&b, h.t, 0, r.t, r.n);
    assert_float_equal(metrics_bleu_score(&b), 0.0, 1e-12);
    assert_float_equal(metrics_bleu_brevity(&b), 0.0, 1e-12);
}

static void test_bleu_corpus_level_and_exact(void **state) {
    (void)state;
    /* counts are summed, not sentence scores averaged: sentence 1 is perfect (4/4, 3/3, 2/2, 1/1),
     * sentence 2 shares nothing (0/4, 0/3, 0/2, 0/1) -> p_n = 1/2 for every n, BP = 1 -> 50 */
    MetricsBleu b;
    metrics_bleu_init(&b);
    add_pair(&b, "a b c d", "a b c d");
    add_pair(&b, "w x y z", "a b c d");
    assert_float_equal(metrics_bleu_score(&b), 50.0, 1e-9);
    assert_float_equal(metrics_exact_match(&b), 0.5, 1e-12);
    /* ids give the same numbers as strings */
    MetricsBleu bi;
    metrics_bleu_init(&bi);
    int h1[] = {1, 2, 3, 4}, h2[] = {9, 8, 7, 6}, r1[] = {1, 2, 3, 4};
    metrics_bleu_add_ids(&bi, h1, 4, r1, 4);
    metrics_bleu_add_ids(&bi, h2, 4, r1, 4);
    assert_float_equal(metrics_bleu_score(&bi), 50.0, 1e-9);
    int hs[] = {1, 2, 3, 4, 5, 6}, rs[] = {1, 2, 3, 4, 5, 7};
    metrics_bleu_init(&bi);
    metrics_bleu_add_ids(&bi, hs, 6, rs, 6);
    assert_float_equal(metrics_bleu_score(&bi), 100.0 * pow(1.0 / 3.0, 0.25), 1e-9);
    metrics_bleu_init(&bi);
    assert_float_equal(metrics_exact_match(&bi), 0.0, 1e-12);
    assert_float_equal(metrics_bleu_score(&bi), 0.0, 1e-12);
    /* exact match needs equal length too */
    metrics_bleu_add_ids(&bi, hs, 5, rs, 5);
    metrics_bleu_add_ids(&bi, hs, 5, rs, 6);
    assert_float_equal(metrics_exact_match(&bi), 0.5, 1e-12);
}

/* gold: t0 sure {0}; t1 sure {1}, possible {1, 2}; t2 sure {2} */
static const int S0[] = {0}, S1[] = {1}, P1[] = {1, 2}, S2[] = {2};
static const CorpusLinks GOLD[3] = {{1, S0, 1, S0}, {1, S1, 2, P1}, {1, S2, 1, S2}};

static void test_aer_links(void **state) {
    (void)state;
    MetricsAer m;
    metrics_aer_init(&m);
    int perfect[3] = {0, 1, 2};
    metrics_aer_add_links(&m, perfect, 3, GOLD);
    assert_float_equal(metrics_aer(&m), 0.0, 1e-12);
    metrics_aer_init(&m);
    int wrong[3] = {1, 0, 0};
    metrics_aer_add_links(&m, wrong, 3, GOLD);
    assert_float_equal(metrics_aer(&m), 1.0, 1e-12);
    /* t1 -> 2 is possible only: |A| = 3, |S| = 3, |A∩S| = 2, |A∩P| = 3 -> 1 - 5/6 */
    metrics_aer_init(&m);
    int possible[3] = {0, 2, 2};
    metrics_aer_add_links(&m, possible, 3, GOLD);
    assert_float_equal(metrics_aer(&m), 1.0 - 5.0 / 6.0, 1e-12);
    /* a single token with only a possible hit: 1 - (0 + 1) / (1 + 1) = 0.5 */
    metrics_aer_init(&m);
    int one = 2;
    metrics_aer_add_links(&m, &one, 1, &GOLD[1]);
    assert_float_equal(metrics_aer(&m), 0.5, 1e-12);
    /* accumulated over a corpus: the perfect sentence and the wrong one:
     * |A| = 6, |S| = 6, |A∩S| = 3, |A∩P| = 3 -> 1 - 6/12 = 0.5 */
    metrics_aer_init(&m);
    metrics_aer_add_links(&m, perfect, 3, GOLD);
    metrics_aer_add_links(&m, wrong, 3, GOLD);
    assert_float_equal(metrics_aer(&m), 0.5, 1e-12);
    /* an unaligned token (-1) adds its sure links to |S| only: |A| = 2, |S| = 3, hits 2 + 2 */
    metrics_aer_init(&m);
    int partial[3] = {0, -1, 2};
    metrics_aer_add_links(&m, partial, 3, GOLD);
    assert_float_equal(metrics_aer(&m), 1.0 - 4.0 / 5.0, 1e-12);
    metrics_aer_init(&m);
    assert_float_equal(metrics_aer(&m), 0.0, 1e-12);
}

static void test_aer_attention(void **state) {
    (void)state;
    /* 3 target rows x 4 columns (3 source tokens + <eos>) */
    const float perfect[12] = {0.7f, 0.1f, 0.1f, 0.1f, 0.1f, 0.6f, 0.2f, 0.1f, 0.0f, 0.1f, 0.8f, 0.1f};
    MetricsAer m;
    metrics_aer_init(&m);
    metrics_aer_add(&m, perfect, 3, 4, 3, GOLD);
    assert_float_equal(metrics_aer(&m), 0.0, 1e-12);
    /* row 1 peaks at the possible column 2, row 2 at <eos>: |A| = 3, |S| = 3,
     * |A∩S| = 1, |A∩P| = 2 -> 1 - 3/6 = 0.5 */
    const float mixed[12] = {0.7f, 0.1f, 0.1f, 0.1f, 0.1f, 0.2f, 0.6f, 0.1f, 0.1f, 0.1f, 0.2f, 0.6f};
    metrics_aer_init(&m);
    metrics_aer_add(&m, mixed, 3, 4, 3, GOLD);
    assert_float_equal(metrics_aer(&m), 0.5, 1e-12);
    /* ties go to the first maximum */
    const float tie[4] = {0.5f, 0.5f, 0.0f, 0.0f};
    metrics_aer_init(&m);
    metrics_aer_add(&m, tie, 1, 4, 3, GOLD);
    assert_float_equal(metrics_aer(&m), 0.0, 1e-12);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bleu_identical),
        cmocka_unit_test(test_bleu_hand_cases),
        cmocka_unit_test(test_bleu_brevity),
        cmocka_unit_test(test_bleu_corpus_level_and_exact),
        cmocka_unit_test(test_aer_links),
        cmocka_unit_test(test_aer_attention),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
