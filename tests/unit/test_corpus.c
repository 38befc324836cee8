/* test_corpus.c — synthetic tasks: determinism, disjoint splits, alignment invariants,
 * date correctness (valid dates, true weekdays, fixed strings), translation grammar
 * (agreement, reordering, negation with possible links, the app's default sentence),
 * vocabularies, and the parser agreeing with the generator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "attnstep/corpus.h"

static Corpus gen(CorpusTask task, CorpusSplit split, uint64_t seed, int n, CorpusLang lang) {
    CorpusConfig cfg;
    corpus_config_init(&cfg, task);
    cfg.split = split;
    cfg.seed = seed;
    cfg.lang = lang;
    Corpus c;
    Status st = {0};
    int rc = corpus_generate(&cfg, n, &c, &st);
    if (rc != 0) fprintf(stderr, "%s\n", st.message);
    assert_int_equal(rc, 0);
    assert_int_equal(c.n, n);
    return c;
}

/* tokens joined by single spaces (chars: joined as is) into buf */
static const char *join(const char *const *tok, int n, int chars, char *buf, size_t cap) {
    size_t w = 0;
    buf[0] = 0;
    for (int i = 0; i < n; i++) {
        int k = snprintf(buf + w, cap - w, "%s%s", (i && !chars) ? " " : "", tok[i]);
        assert_true(k >= 0 && (size_t)k < cap - w);
        w += (size_t)k;
    }
    return buf;
}

static int examples_equal(const CorpusExample *a, const CorpusExample *b) {
    if (a->src_len != b->src_len || a->tgt_len != b->tgt_len) return 0;
    for (int i = 0; i < a->src_len; i++)
        if (strcmp(a->src[i], b->src[i])) return 0;
    for (int t = 0; t < a->tgt_len; t++) {
        if (strcmp(a->tgt[t], b->tgt[t])) return 0;
        const CorpusLinks *x = &a->links[t], *y = &b->links[t];
        if (x->n_sure != y->n_sure || x->n_possible != y->n_possible) return 0;
        if (memcmp(x->sure, y->sure, sizeof(int) * (size_t)x->n_sure)) return 0;
        if (memcmp(x->possible, y->possible, sizeof(int) * (size_t)x->n_possible)) return 0;
    }
    return 1;
}

static void test_determinism(void **state) {
    (void)state;
    for (int task = 0; task < 3; task++) {
        Corpus a = gen((CorpusTask)task, CORPUS_TRAIN, 5, 300, CORPUS_LANG_BOTH);
        Corpus b = gen((CorpusTask)task, CORPUS_TRAIN, 5, 300, CORPUS_LANG_BOTH);
        Corpus c = gen((CorpusTask)task, CORPUS_TRAIN, 6, 300, CORPUS_LANG_BOTH);
        int differ = 0;
        for (int i = 0; i < 300; i++) {
            assert_true(examples_equal(&a.examples[i], &b.examples[i]));
            differ += !examples_equal(&a.examples[i], &c.examples[i]);
        }
        assert_true(differ > 250);
        corpus_free(&a);
        corpus_free(&b);
        corpus_free(&c);
    }
    /* a fixed expectation pins the generator across machines and refactors */
    Corpus r = gen(CORPUS_REVERSE, CORPUS_TRAIN, 1, 1, CORPUS_LANG_BOTH);
    char buf[256];
    assert_string_equal(join(r.examples[0].src, r.examples[0].src_len, 0, buf, sizeof buf), "j r h o i h s s q l e");
    corpus_free(&r);
    Corpus d = gen(CORPUS_DATES, CORPUS_TRAIN, 1, 1, CORPUS_LANG_BOTH);
    assert_string_equal(join(d.examples[0].src, d.examples[0].src_len, 1, buf, sizeof buf), "4th of march 1994");
    corpus_free(&d);
}

/* simple string set for the split test */
typedef struct StrSet {
    char **s;
    int n, cap;
} StrSet;
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void collect(StrSet *set, const Corpus *c, CorpusTask task) {
    char buf[4096];
    for (int i = 0; i < c->n; i++) {
        const CorpusExample *e = &c->examples[i];
        int skip = task == CORPUS_TRANSLATE; /* the split ignores the language tag */
        join(e->src + skip, e->src_len - skip, 0, buf, sizeof buf);
        if (set->n == set->cap) {
            set->cap = set->cap ? set->cap * 2 : 1024;
            set->s = realloc(set->s, sizeof(char *) * (size_t)set->cap);
        }
        set->s[set->n++] = strdup(buf);
        assert_int_equal(corpus_split_of(task, e->src, e->src_len), c->config.split);
    }
}

static void test_splits_disjoint(void **state) {
    (void)state;
    for (int task = 0; task < 3; task++) {
        StrSet sets[3] = {{0}};
        const int counts[3] = {3000, 600, 600};
        for (int sp = 0; sp < 3; sp++) {
            Corpus c = gen((CorpusTask)task, (CorpusSplit)sp, 11, counts[sp], CORPUS_LANG_BOTH);
            collect(&sets[sp], &c, (CorpusTask)task);
            corpus_free(&c);
            qsort(sets[sp].s, (size_t)sets[sp].n, sizeof(char *), cmp_str);
        }
        for (int sp = 0; sp < 3; sp++) {
            for (int i = 0; i < sets[sp].n; i++) {
                for (int other = 0; other < 3; other++) {
                    if (other == sp) continue;
                    assert_null(bsearch(&sets[sp].s[i], sets[other].s, (size_t)sets[other].n, sizeof(char *), cmp_str));
                }
            }
        }
        /* no duplicate source inside a split (translate: same English may carry two tags) */
        if (task != CORPUS_TRANSLATE)
            for (int i = 1; i < sets[0].n; i++) assert_true(strcmp(sets[0].s[i - 1], sets[0].s[i]) != 0);
        for (int sp = 0; sp < 3; sp++) {
            for (int i = 0; i < sets[sp].n; i++) free(sets[sp].s[i]);
            free(sets[sp].s);
        }
    }
}

static void check_links(const CorpusExample *e) {
    for (int t = 0; t < e->tgt_len; t++) {
        const CorpusLinks *l = &e->links[t];
        assert_true(l->n_sure >= 1);
        assert_true(l->n_possible >= l->n_sure);
        for (int k = 0; k < l->n_possible; k++) {
            assert_true(l->possible[k] >= 0 && l->possible[k] < e->src_len);
            if (k) assert_true(l->possible[k - 1] < l->possible[k]);
        }
        for (int k = 0; k < l->n_sure; k++) {
            int found = 0;
            for (int j = 0; j < l->n_possible; j++) found |= l->possible[j] == l->sure[k];
            assert_true(found);
            if (k) assert_true(l->sure[k - 1] < l->sure[k]);
        }
    }
}

static void test_every_target_token_has_a_sure_link(void **state) {
    (void)state;
    for (int task = 0; task < 3; task++) {
        Corpus c = gen((CorpusTask)task, CORPUS_TEST, 3, 1000, CORPUS_LANG_BOTH);
        for (int i = 0; i < c.n; i++) check_links(&c.examples[i]);
        corpus_free(&c);
    }
}

static void test_reverse_alignment(void **state) {
    (void)state;
    CorpusConfig cfg;
    corpus_config_init(&cfg, CORPUS_REVERSE);
    cfg.symbols = 5;
    cfg.min_len = 2;
    cfg.max_len = 7;
    Corpus c;
    Status st = {0};
    assert_int_equal(corpus_generate(&cfg, 500, &c, &st), 0);
    for (int i = 0; i < c.n; i++) {
        const CorpusExample *e = &c.examples[i];
        assert_true(e->src_len >= 2 && e->src_len <= 7);
        assert_int_equal(e->tgt_len, e->src_len);
        for (int t = 0; t < e->tgt_len; t++) {
            int j = e->src_len - 1 - t;
            assert_string_equal(e->tgt[t], e->src[j]);
            assert_true(e->src[j][0] >= 'a' && e->src[j][0] < 'a' + 5);
            assert_int_equal(e->links[t].n_sure, 1);
            assert_int_equal(e->links[t].sure[0], j);
            assert_int_equal(e->links[t].n_possible, 1);
        }
    }
    corpus_free(&c);
    /* a split too small for the request fails cleanly */
    cfg.symbols = 2;
    cfg.min_len = cfg.max_len = 2;
    assert_int_equal(corpus_generate(&cfg, 10, &c, &st), -1);
    assert_non_null(strstr(st.message, "distinct"));
    assert_null(c.examples);
    cfg.symbols = 40;
    assert_int_equal(corpus_generate(&cfg, 10, &c, &st), -1);
}

/* ---- dates ---- */

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
static int mdays(int y, int m) {
    static const int D[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : D[m - 1];
}
/* Sakamoto's algorithm, 0 = sunday (independent of the library's) */
static int dow_sun0(int y, int m, int d) {
    static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    y -= m < 3;
    return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

static void test_dates_valid_and_weekdays(void **state) {
    (void)state;
    static const char *const WD[7] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
    Corpus c = gen(CORPUS_DATES, CORPUS_TRAIN, 9, 3000, CORPUS_LANG_BOTH);
    int with_weekday = 0;
    for (int i = 0; i < c.n; i++) {
        const CorpusExample *e = &c.examples[i];
        char src[128], tgt[32];
        join(e->src, e->src_len, 1, src, sizeof src);
        join(e->tgt, e->tgt_len, 1, tgt, sizeof tgt);
        for (int k = 0; k < e->src_len; k++) assert_int_equal(strlen(e->src[k]), 1);
        assert_int_equal(strlen(tgt), 10);
        int y, m, d;
        assert_int_equal(sscanf(tgt, "%4d-%2d-%2d", &y, &m, &d), 3);
        assert_true(tgt[4] == '-' && tgt[7] == '-');
        assert_true(y >= 1950 && y <= 2049 && m >= 1 && m <= 12 && d >= 1 && d <= mdays(y, m));
        /* a leading weekday (full or 3 letters; the prefixes are unique) is the true one */
        int w = dow_sun0(y, m, d);
        for (int k = 0; k < 7; k++)
            if (!strncmp(src, WD[k], 3)) {
                assert_int_equal(k, w);
                with_weekday++;
            }
        /* a digit's sure link is the same digit, or a month name, or an implied digit
         * (leading zero of day/month, century of a two-digit year) */
        for (int t = 0; t < e->tgt_len; t++) {
            if (t == 4 || t == 7) continue;
            char s0 = e->src[e->links[t].sure[0]][0];
            if (s0 >= '0' && s0 <= '9')
                assert_true(s0 == e->tgt[t][0] || (e->tgt[t][0] == '0' && (t == 5 || t == 8)) || t < 2);
            else assert_true(s0 >= 'a' && s0 <= 'z' && (t == 5 || t == 6));
        }
    }
    assert_true(with_weekday > 100);
    corpus_free(&c);
}

static void expect_date(int y, int m, int d, int fmt, int us, const char *src, const char *tgt) {
    CorpusExample e;
    Status st = {0};
    int rc = corpus_dates_render(y, m, d, fmt, us, &e, &st);
    if (rc) fprintf(stderr, "%s\n", st.message);
    assert_int_equal(rc, 0);
    char a[128], b[32];
    assert_string_equal(join(e.src, e.src_len, 1, a, sizeof a), src);
    assert_string_equal(join(e.tgt, e.tgt_len, 1, b, sizeof b), tgt);
    check_links(&e);
    corpus_example_free(&e);
}

static void test_dates_fixed_strings(void **state) {
    (void)state;
    expect_date(2026, 11, 24, 0, 0, "tuesday 24 november 2026", "2026-11-24");
    expect_date(2026, 11, 24, 1, 0, "24/11/26", "2026-11-24");
    expect_date(2026, 11, 24, 2, 0, "nov 24th, 2026", "2026-11-24");
    expect_date(2026, 11, 24, 3, 0, "2026.11.24", "2026-11-24");
    expect_date(2026, 11, 24, 4, 0, "24 nov 2026", "2026-11-24");
    expect_date(2026, 11, 24, 5, 0, "november 24, 2026", "2026-11-24");
    expect_date(2026, 11, 24, 6, 1, "11/24/2026", "2026-11-24");
    expect_date(2026, 11, 24, 6, 0, "24/11/2026", "2026-11-24");
    expect_date(2000, 2, 29, 7, 0, "tuesday, february 29, 2000", "2000-02-29");
    expect_date(1999, 12, 31, 13, 0, "the 31st of december, 1999", "1999-12-31");
    expect_date(2001, 3, 2, 8, 0, "2nd of march 2001", "2001-03-02");
    expect_date(2013, 7, 3, 16, 0, "3/7/2013", "2013-07-03");
    expect_date(1969, 7, 20, 11, 0, "sun 20 jul 1969", "1969-07-20");
    expect_date(2011, 9, 11, 14, 0, "sep. 11, 2011", "2011-09-11");
    expect_date(2012, 12, 13, 2, 0, "dec 13th, 2012", "2012-12-13");
    /* links: "24 nov 2026": year digits -> year chars; month digits -> 'n' (sure), "nov" (possible) */
    CorpusExample e;
    Status st = {0};
    assert_int_equal(corpus_dates_render(2026, 11, 24, 4, 0, &e, &st), 0);
    for (int k = 0; k < 4; k++) assert_int_equal(e.links[k].sure[0], 7 + k);
    assert_int_equal(e.links[5].n_sure, 1);
    assert_int_equal(e.links[5].sure[0], 3);
    assert_int_equal(e.links[5].n_possible, 3);
    assert_int_equal(e.links[8].sure[0], 0);
    assert_int_equal(e.links[9].sure[0], 1);
    corpus_example_free(&e);
    /* bad requests */
    assert_int_equal(corpus_dates_render(2026, 2, 30, 0, 0, &e, &st), -1);
    assert_int_equal(corpus_dates_render(2026, 11, 5, 6, 1, &e, &st), -1); /* US order would be ambiguous */
    assert_int_equal(corpus_dates_render(1990, 1, 5, 1, 0, &e, &st), -1);  /* two-digit year before 2000 */
}

/* ---- translate ---- */

static CorpusExample tr(const char *en, CorpusLang lang, const char *expect) {
    CorpusExample e;
    Status st = {0};
    int rc = corpus_translate_english(en, lang, &e, &st);
    if (rc) fprintf(stderr, "%s: %s\n", en, st.message);
    assert_int_equal(rc, 0);
    char buf[1024];
    join(e.tgt, e.tgt_len, 0, buf, sizeof buf);
    if (strcmp(buf, expect)) fprintf(stderr, "%s\n  got      %s\n  expected %s\n", en, buf, expect);
    assert_string_equal(buf, expect);
    check_links(&e);
    return e;
}

static int has(const int *list, int n, int x) {
    for (int i = 0; i < n; i++)
        if (list[i] == x) return 1;
    return 0;
}

static void test_translate_default_sentence(void **state) {
    (void)state;
    CorpusExample e = tr(CORPUS_DEFAULT_SENTENCE, CORPUS_LANG_FR,
                         "la zone économique européenne a été signée en août 1992 .");
    /* src: 0 <2fr> 1 the 2 european 3 economic 4 area 5 was 6 signed 7 in 8 august 9 1992 10 . */
    assert_string_equal(e.src[0], "<2fr>");
    assert_int_equal(e.src_len, 11);
    assert_int_equal(e.links[0].sure[0], 1);                     /* la <- the */
    assert_true(has(e.links[0].possible, e.links[0].n_possible, 4)); /* la may look at area */
    assert_int_equal(e.links[1].sure[0], 4);                     /* zone <- area */
    assert_int_equal(e.links[2].sure[0], 3);                     /* économique <- economic */
    assert_int_equal(e.links[3].sure[0], 2);                     /* européenne <- european */
    assert_true(has(e.links[3].possible, e.links[3].n_possible, 4));
    assert_int_equal(e.links[4].sure[0], 5);                     /* a <- was */
    assert_int_equal(e.links[5].sure[0], 5);                     /* été <- was */
    assert_int_equal(e.links[6].sure[0], 6);                     /* signée <- signed */
    assert_true(has(e.links[6].possible, e.links[6].n_possible, 4)); /* agreement with zone */
    assert_int_equal(e.links[7].sure[0], 7);
    assert_int_equal(e.links[8].sure[0], 8);
    assert_int_equal(e.links[9].sure[0], 9);
    assert_int_equal(e.links[10].sure[0], 10);
    corpus_example_free(&e);
    e = tr(CORPUS_DEFAULT_SENTENCE, CORPUS_LANG_ES, "la zona económica europea fue firmada en agosto de 1992 .");
    assert_string_equal(e.src[0], "<2es>");
    assert_int_equal(e.links[8].sure[0], 9); /* de <- 1992, possibly august */
    assert_true(has(e.links[8].possible, e.links[8].n_possible, 8));
    corpus_example_free(&e);
    /* the generator reaches the same kind of sentence */
    Corpus c = gen(CORPUS_TRANSLATE, CORPUS_TRAIN, 1, 3000, CORPUS_LANG_FR);
    int passive_month_year = 0;
    char buf[2048];
    for (int i = 0; i < c.n; i++) {
        join(c.examples[i].tgt, c.examples[i].tgt_len, 0, buf, sizeof buf);
        if (strstr(buf, "a été") && strstr(buf, " en ") && strstr(buf, "ée en ")) passive_month_year++;
    }
    assert_true(passive_month_year > 0);
    corpus_free(&c);
}

static void test_translate_agreement(void **state) {
    (void)state;
    CorpusExample e;
    e = tr("the car is washed .", CORPUS_LANG_FR, "la voiture est lavée .");
    corpus_example_free(&e);
    e = tr("the market is washed .", CORPUS_LANG_FR, "le marché est lavé .");
    corpus_example_free(&e);
    e = tr("the cars were washed .", CORPUS_LANG_FR, "les voitures ont été lavées .");
    corpus_example_free(&e);
    e = tr("the car is washed .", CORPUS_LANG_ES, "el coche es lavado .");
    corpus_example_free(&e);
    e = tr("the big red car eats a good apple .", CORPUS_LANG_FR, "la grande voiture rouge mange une bonne pomme .");
    /* grande: sure big (2), possible car (4) */
    assert_int_equal(e.links[1].sure[0], 2);
    assert_true(has(e.links[1].possible, e.links[1].n_possible, 4));
    corpus_example_free(&e);
    e = tr("the big red car eats a good apple .", CORPUS_LANG_ES, "el gran coche rojo come una buena manzana .");
    corpus_example_free(&e);
    e = tr("a good market is sold .", CORPUS_LANG_ES, "un buen mercado es vendido .");
    corpus_example_free(&e);
    e = tr("this big house was sold .", CORPUS_LANG_ES, "esta gran casa fue vendida .");
    corpus_example_free(&e);
}

static void test_translate_agreement_more(void **state) {
    (void)state;
    CorpusExample e;
    e = tr("some old european kings sold three expensive houses .", CORPUS_LANG_FR,
           "des vieux rois européens ont vendu trois maisons chères .");
    corpus_example_free(&e);
    e = tr("some old european kings sold three expensive houses .", CORPUS_LANG_ES,
           "unos reyes europeos viejos vendieron tres casas caras .");
    corpus_example_free(&e);
    e = tr("the minister of the market signed the treaty of the cities .", CORPUS_LANG_FR,
           "le ministre du marché a signé le traité des villes .");
    /* du <- of (3) and the (4); possible market (5) */
    assert_int_equal(e.links[2].n_sure, 2);
    assert_true(has(e.links[2].sure, 2, 3) && has(e.links[2].sure, 2, 4));
    assert_true(has(e.links[2].possible, e.links[2].n_possible, 5));
    corpus_example_free(&e);
    e = tr("the minister of the market signed the treaty of the cities .", CORPUS_LANG_ES,
           "el ministro del mercado firmó el tratado de las ciudades .");
    corpus_example_free(&e);
    e = tr("she said that he will sign this contract .", CORPUS_LANG_FR, "elle a dit qu' il signera ce contrat .");
    corpus_example_free(&e);
    e = tr("she said that he will sign this contract .", CORPUS_LANG_ES, "ella dijo que él firmará este contrato .");
    corpus_example_free(&e);
    e = tr("a good car walks to the market on monday .", CORPUS_LANG_FR, "une bonne voiture marche au marché lundi .");
    corpus_example_free(&e);
    e = tr("a good car walks to the market on monday .", CORPUS_LANG_ES,
           "un buen coche camina al mercado el lunes .");
    corpus_example_free(&e);
    e = tr("the women will not be found near the sea because a boy of an old city broke 12 cups .", CORPUS_LANG_FR,
           "les femmes ne seront pas trouvées près de la mer parce qu' un garçon d' une vieille ville a cassé 12 "
           "tasses .");
    corpus_example_free(&e);
}

static void test_translate_negation(void **state) {
    (void)state;
    /* 0 <2fr> 1 the 2 boy 3 does 4 not 5 eat 6 the 7 apple 8 . */
    CorpusExample e = tr("the boy does not eat the apple .", CORPUS_LANG_FR, "le garçon ne mange pas la pomme .");
    const CorpusLinks *ne = &e.links[2], *mange = &e.links[3], *pas = &e.links[4];
    assert_int_equal(ne->n_sure, 1);
    assert_int_equal(ne->sure[0], 4);
    assert_true(has(ne->possible, ne->n_possible, 3) && has(ne->possible, ne->n_possible, 4));
    assert_int_equal(pas->n_sure, 1);
    assert_int_equal(pas->sure[0], 4);
    assert_true(has(pas->possible, pas->n_possible, 3) && has(pas->possible, pas->n_possible, 4));
    assert_int_equal(mange->sure[0], 5);
    assert_true(has(mange->possible, mange->n_possible, 3));
    corpus_example_free(&e);
    e = tr("the boy does not eat the apple .", CORPUS_LANG_ES, "el chico no come la manzana .");
    assert_int_equal(e.links[2].sure[0], 4);
    assert_true(has(e.links[2].possible, e.links[2].n_possible, 3));
    assert_int_equal(e.links[3].sure[0], 5);
    corpus_example_free(&e);
    e = tr("the boys did not eat the apples .", CORPUS_LANG_FR, "les garçons n' ont pas mangé les pommes .");
    corpus_example_free(&e);
    e = tr("the treaty was not signed .", CORPUS_LANG_FR, "le traité n' a pas été signé .");
    corpus_example_free(&e);
    e = tr("the treaty was not signed .", CORPUS_LANG_ES, "el tratado no fue firmado .");
    corpus_example_free(&e);
    e = tr("the law will not be signed .", CORPUS_LANG_FR, "la loi ne sera pas signée .");
    corpus_example_free(&e);
}

static void test_translate_rejects(void **state) {
    (void)state;
    CorpusExample e;
    Status st = {0};
    assert_int_equal(corpus_translate_english("the zebra eats the apple .", CORPUS_LANG_FR, &e, &st), -1);
    assert_non_null(strstr(st.message, "zebra"));
    assert_null(e.mem);
    assert_int_equal(corpus_translate_english("the cars eats the apple .", CORPUS_LANG_FR, &e, &st), -1);
    assert_int_equal(corpus_translate_english("a apple is eaten .", CORPUS_LANG_FR, &e, &st), -1);
    assert_int_equal(corpus_translate_english("the boy eats the apple", CORPUS_LANG_FR, &e, &st), -1);
    assert_int_equal(corpus_translate_english("the boy eats the apple .", CORPUS_LANG_BOTH, &e, &st), -1);
    assert_int_equal(corpus_translate_english("<2es> The boy eats the apple.", CORPUS_LANG_BOTH, &e, &st), 0);
    corpus_example_free(&e);
}

/* the parser reproduces every generated pair exactly */
static void test_translate_parser_matches_generator(void **state) {
    (void)state;
    Corpus c = gen(CORPUS_TRANSLATE, CORPUS_DEV, 21, 1000, CORPUS_LANG_BOTH);
    int max_len = 0;
    char buf[4096];
    for (int i = 0; i < c.n; i++) {
        const CorpusExample *g = &c.examples[i];
        if (g->src_len > max_len) max_len = g->src_len;
        join(g->src, g->src_len, 0, buf, sizeof buf);
        CorpusExample p;
        Status st = {0};
        int rc = corpus_translate_english(buf, CORPUS_LANG_BOTH, &p, &st);
        if (rc) fprintf(stderr, "%s\n%s\n", buf, st.message);
        assert_int_equal(rc, 0);
        assert_true(examples_equal(g, &p));
        corpus_example_free(&p);
    }
    corpus_free(&c);
    assert_true(max_len >= 30);
}

static void test_translate_long_sentences(void **state) {
    (void)state;
    Corpus c = gen(CORPUS_TRANSLATE, CORPUS_TRAIN, 2, 2000, CORPUS_LANG_BOTH);
    int max_len = 0, n30 = 0, fr = 0;
    for (int i = 0; i < c.n; i++) {
        if (c.examples[i].src_len > max_len) max_len = c.examples[i].src_len;
        n30 += c.examples[i].src_len - 1 >= 30; /* words, without the tag */
        fr += !strcmp(c.examples[i].src[0], "<2fr>");
    }
    assert_true(max_len - 1 >= 30);
    assert_true(n30 >= 10);
    assert_true(fr > 800 && fr < 1200);
    corpus_free(&c);
    CorpusConfig cfg;
    corpus_config_init(&cfg, CORPUS_TRANSLATE);
    cfg.max_src_len = 12;
    Status st = {0};
    assert_int_equal(corpus_generate(&cfg, 300, &c, &st), 0);
    for (int i = 0; i < c.n; i++) assert_true(c.examples[i].src_len <= 12);
    corpus_free(&c);
}

static int in_vocab(const CorpusVocab *v, const char *tok) {
    for (int i = 0; i < v->n; i++)
        if (!strcmp(v->tokens[i], tok)) return 1;
    return 0;
}

static void test_vocab_covers_corpus(void **state) {
    (void)state;
    for (int task = 0; task < 3; task++) {
        CorpusConfig cfg;
        corpus_config_init(&cfg, (CorpusTask)task);
        CorpusVocab vs, vt;
        Status st = {0};
        assert_int_equal(corpus_vocab(&cfg, 0, 1, &vs, &st), 0);
        assert_int_equal(corpus_vocab(&cfg, 1, 1, &vt, &st), 0);
        assert_string_equal(vs.tokens[0], "<pad>");
        assert_string_equal(vs.tokens[1], "<unk>");
        assert_string_equal(vs.tokens[2], "<sos>");
        assert_string_equal(vs.tokens[3], "<eos>");
        assert_string_equal(vt.tokens[3], "<eos>");
        for (int i = 5; i < vs.n; i++) assert_true(strcmp(vs.tokens[i - 1], vs.tokens[i]) < 0);
        Corpus c = gen((CorpusTask)task, CORPUS_TRAIN, 4, 3000, CORPUS_LANG_BOTH);
        for (int i = 0; i < c.n; i++) {
            const CorpusExample *e = &c.examples[i];
            for (int k = 0; k < e->src_len; k++) {
                if (!in_vocab(&vs, e->src[k])) fprintf(stderr, "missing source token '%s'\n", e->src[k]);
                assert_true(in_vocab(&vs, e->src[k]));
            }
            for (int k = 0; k < e->tgt_len; k++) {
                if (!in_vocab(&vt, e->tgt[k])) fprintf(stderr, "missing target token '%s'\n", e->tgt[k]);
                assert_true(in_vocab(&vt, e->tgt[k]));
            }
        }
        if (task == CORPUS_REVERSE) assert_int_equal(vs.n, 4 + 20);
        if (task == CORPUS_TRANSLATE) assert_true(vs.n > 300 && vt.n > 500);
        corpus_free(&c);
        corpus_vocab_free(&vs);
        corpus_vocab_free(&vt);
    }
}

static void test_names(void **state) {
    (void)state;
    assert_int_equal(corpus_task_from_name("dates"), CORPUS_DATES);
    assert_int_equal(corpus_task_from_name("nope"), -1);
    assert_int_equal(corpus_split_from_name("test"), CORPUS_TEST);
    assert_int_equal(corpus_lang_from_name("es"), CORPUS_LANG_ES);
    assert_string_equal(corpus_task_name(CORPUS_TRANSLATE), "translate");
    assert_int_equal(corpus_task_mode(CORPUS_DATES), VOCAB_CHARS);
    assert_int_equal(corpus_task_mode(CORPUS_REVERSE), VOCAB_WORDS);
    corpus_free(NULL);
    corpus_example_free(NULL);
    corpus_vocab_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_splits_disjoint),
        cmocka_unit_test(test_every_target_token_has_a_sure_link),
        cmocka_unit_test(test_reverse_alignment),
        cmocka_unit_test(test_dates_valid_and_weekdays),
        cmocka_unit_test(test_dates_fixed_strings),
        cmocka_unit_test(test_translate_default_sentence),
        cmocka_unit_test(test_translate_agreement),
        cmocka_unit_test(test_translate_agreement_more),
        cmocka_unit_test(test_translate_negation),
        cmocka_unit_test(test_translate_rejects),
        cmocka_unit_test(test_translate_parser_matches_generator),
        cmocka_unit_test(test_translate_long_sentences),
        cmocka_unit_test(test_vocab_covers_corpus),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
