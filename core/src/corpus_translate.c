/* corpus_translate.c — the `translate` task: a generated English grammar realised in
 * English, French and Spanish from one abstract sentence, with gold word alignments.
 *
 * Pipeline: sample (or parse) a Sent (noun phrases, clauses, adverbials) -> realise the
 * English source (recording every word's position) -> realise the target, adding sure
 * and possible links to those positions -> French elision (le/la/de/que/ne before a
 * vowel -> l' d' qu' n'). Alignment conventions are listed in docs/corpus.md. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus_internal.h"
#include "corpus_translate_lex.h"

enum { LANG_FR = 1, LANG_ES = 2 };
enum { DET_NONE, DET_THE, DET_A, DET_SOME, DET_THIS };
enum { T_PRESENT, T_PAST, T_FUTURE };
enum { ADV_PP, ADV_MONTH, ADV_MONTH_YEAR, ADV_YEAR, ADV_WEEKDAY, ADV_DEICTIC };

typedef struct Np {
    int pron;   /* -1, 0 he, 1 she */
    int det;    /* DET_* */
    int num;    /* 0 none, 1..10 number word, 11..20 digits */
    int nadj;
    int adj[2]; /* English order */
    int noun;
    int plural;
    int of;     /* -1 or the Np index of an "of" complement */
    int p_det, p_num, p_adj[2], p_noun, p_pron, p_of;
} Np;

typedef struct Adv {
    int kind;   /* ADV_* */
    int prep;   /* ADV_PP */
    int np;     /* ADV_PP */
    int month, year, day, deictic;
    int p_prep, p_month, p_year, p_day, p_deictic;
} Adv;

typedef struct Clause {
    int subj;   /* Np index */
    int verb, tense, passive, neg;
    int obj;    /* Np index or -1 */
    int comp;   /* Clause index of a "that" complement or -1 */
    int pp;     /* Adv index or -1 */
    int time;   /* Adv index or -1 */
    int p_aux, p_not, p_be, p_verb, p_that;
} Clause;

#define MAX_NP 16
#define MAX_ADV 8
#define MAX_CL 4

typedef struct Sent {
    int lang;
    Np np[MAX_NP];
    int n_np;
    Adv adv[MAX_ADV];
    int n_adv;
    Clause cl[MAX_CL];
    int n_cl;
    int main_cl, because_cl; /* because_cl -1 when absent */
    int p_because, p_period;
} Sent;

/* ---- morphology ------------------------------------------------------------- */

#define WBUF 64

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}
static const char *cat2(char *buf, const char *a, size_t keep, const char *b) {
    snprintf(buf, WBUF, "%.*s%s", (int)keep, a, b);
    return buf;
}
static int ascii_vowel_end(const char *s) {
    size_t n = strlen(s);
    return n && strchr("aeiou", s[n - 1]) != NULL;
}

static const char *en_noun(const Noun *n, int pl, char *buf) {
    if (!pl) return n->en;
    if (n->en_pl) return n->en_pl;
    size_t len = strlen(n->en);
    if (len >= 2 && n->en[len - 1] == 'y' && !strchr("aeiou", n->en[len - 2])) return cat2(buf, n->en, len - 1, "ies");
    if (ends_with(n->en, "s") || ends_with(n->en, "x") || ends_with(n->en, "ch") || ends_with(n->en, "sh"))
        return cat2(buf, n->en, len, "es");
    return cat2(buf, n->en, len, "s");
}
static const char *fr_plural(const char *w, char *buf) {
    size_t len = strlen(w);
    if (ends_with(w, "s") || ends_with(w, "x") || ends_with(w, "z")) return w;
    if (ends_with(w, "eau") || ends_with(w, "eu")) return cat2(buf, w, len, "x");
    if (ends_with(w, "al")) return cat2(buf, w, len - 2, "aux");
    return cat2(buf, w, len, "s");
}
static const char *es_plural(const char *w, char *buf) {
    return cat2(buf, w, strlen(w), ascii_vowel_end(w) ? "s" : "es");
}
static const char *fr_noun(const Noun *n, int pl, char *buf) {
    return !pl ? n->fr : n->fr_pl ? n->fr_pl : fr_plural(n->fr, buf);
}
static const char *es_noun(const Noun *n, int pl, char *buf) {
    return !pl ? n->es : n->es_pl ? n->es_pl : es_plural(n->es, buf);
}

/* form: 0 m sg, 1 f sg, 2 m pl, 3 f pl */
static const char *fr_adj(const Adj *a, int form, char *buf) {
    if (a->fr[form]) return a->fr[form];
    const char *m = a->fr[0];
    char fbuf[WBUF];
    const char *f = a->fr[1] ? a->fr[1] : ends_with(m, "e") ? m : cat2(fbuf, m, strlen(m), "e");
    switch (form) {
    case 1: return f == fbuf ? cat2(buf, f, strlen(f), "") : f;
    case 2: return fr_plural(m, buf);
    default: return cat2(buf, f, strlen(f), "s");
    }
}
static const char *es_adj(const Adj *a, int form, char *buf) {
    if (a->es[form]) return a->es[form];
    const char *m = a->es[0];
    char fbuf[WBUF];
    const char *f = a->es[1] ? a->es[1] : ends_with(m, "o") ? cat2(fbuf, m, strlen(m) - 1, "a") : m;
    switch (form) {
    case 1: return f == fbuf ? cat2(buf, f, strlen(f), "") : f;
    case 2: return es_plural(m, buf);
    default: return es_plural(f, buf);
    }
}

/* French forms: 0 present 3sg, 1 present 3pl, 2 past participle, 3 future 3sg, 4 future 3pl */
static const char *fr_verb(const Verb *v, int f, char *buf) {
    if (v->fr[f]) return v->fr[f];
    const char *inf = v->fr_inf;
    size_t n = strlen(inf);
    if (ends_with(inf, "er")) {
        static const char *const E[5] = {"e", "ent", "é", "era", "eront"};
        return cat2(buf, inf, n - 2, E[f]);
    }
    if (ends_with(inf, "ir")) {
        static const char *const E[5] = {"it", "issent", "i", "ira", "iront"};
        return cat2(buf, inf, n - 2, E[f]);
    }
    static const char *const E[5] = {"", "ent", "u", "ra", "ront"}; /* -re */
    return cat2(buf, inf, n - 2, E[f]);
}
/* Spanish forms: 0 present 3sg, 1 present 3pl, 2 preterite 3sg, 3 preterite 3pl,
 * 4 future 3sg, 5 future 3pl, 6 past participle */
static const char *es_verb(const Verb *v, int f, char *buf) {
    if (v->es[f]) return v->es[f];
    const char *inf = v->es_inf;
    size_t n = strlen(inf);
    if (f == 4) return cat2(buf, inf, n, "á");
    if (f == 5) return cat2(buf, inf, n, "án");
    static const char *const AR[7] = {"a", "an", "ó", "aron", "", "", "ado"};
    static const char *const ER[7] = {"e", "en", "ió", "ieron", "", "", "ido"};
    return cat2(buf, inf, n - 2, ends_with(inf, "ar") ? AR[f] : ER[f]); /* -er and -ir share these forms */
}
/* Past participle agreeing in gender (g 'm'/'f') and number. */
static const char *fr_pp_agree(const Verb *v, char g, int pl, char *buf) {
    char pb[WBUF];
    const char *pp = fr_verb(v, 2, pb);
    size_t n = strlen(pp);
    const char *suffix = g == 'f' ? (pl ? "es" : "e") : (pl ? (ends_with(pp, "s") ? "" : "s") : "");
    return cat2(buf, pp, n, suffix);
}
static const char *es_pp_agree(const Verb *v, char g, int pl, char *buf) {
    char pb[WBUF];
    const char *pp = es_verb(v, 6, pb);
    size_t n = strlen(pp);
    if (ends_with(pp, "o")) return cat2(buf, pp, n - 1, g == 'f' ? (pl ? "as" : "a") : (pl ? "os" : "o"));
    return cat2(buf, pp, n, pl ? "s" : "");
}

static const char *en_verb_form(const Verb *v, int f) { return v->en[f]; }

/* "an" before a vowel sound (a european, a union, an economic, an old). */
static int en_takes_an(const char *w) {
    if (!strncmp(w, "eu", 2) || !strncmp(w, "uni", 3) || !strncmp(w, "use", 3) || !strncmp(w, "one", 3)) return 0;
    return strchr("aeiou", w[0]) != NULL;
}

/* ---- English realisation ---------------------------------------------------- */

typedef struct Ctx {
    CorpusBuilder *b;
    Sent *s;
} Ctx;

static int en(Ctx *c, const char *w) { return cb_src(c->b, w); }

/* The English word after the determiner (to choose "a" or "an"). */
static const char *np_first_word_after_det(const Np *np, char *buf) {
    if (np->num >= 1 && np->num <= 10) return EN_NUM[np->num];
    if (np->num > 10) return "1";
    if (np->nadj) return ADJS[np->adj[0]].en;
    return en_noun(&NOUNS[np->noun], np->plural, buf);
}

static void en_np(Ctx *c, int i) {
    Np *np = &c->s->np[i];
    char buf[WBUF];
    np->p_det = np->p_num = np->p_pron = np->p_of = -1;
    np->p_adj[0] = np->p_adj[1] = -1;
    if (np->pron >= 0) {
        np->p_pron = np->p_noun = en(c, np->pron ? "she" : "he");
        return;
    }
    switch (np->det) {
    case DET_THE: np->p_det = en(c, "the"); break;
    case DET_A: np->p_det = en(c, en_takes_an(np_first_word_after_det(np, buf)) ? "an" : "a"); break;
    case DET_SOME: np->p_det = en(c, "some"); break;
    case DET_THIS: np->p_det = en(c, np->plural ? "these" : "this"); break;
    default: break;
    }
    if (np->num >= 1 && np->num <= 10) np->p_num = en(c, EN_NUM[np->num]);
    else if (np->num > 10) {
        snprintf(buf, sizeof buf, "%d", np->num);
        np->p_num = en(c, buf);
    }
    for (int k = 0; k < np->nadj; k++) np->p_adj[k] = en(c, ADJS[np->adj[k]].en);
    np->p_noun = en(c, en_noun(&NOUNS[np->noun], np->plural, buf));
    if (np->of >= 0) {
        np->p_of = en(c, "of");
        en_np(c, np->of);
    }
}

static void en_adv(Ctx *c, int i) {
    Adv *a = &c->s->adv[i];
    char buf[16];
    a->p_prep = a->p_month = a->p_year = a->p_day = a->p_deictic = -1;
    switch (a->kind) {
    case ADV_PP:
        a->p_prep = en(c, PREPS[a->prep].en);
        en_np(c, a->np);
        break;
    case ADV_MONTH:
    case ADV_MONTH_YEAR:
        a->p_prep = en(c, "in");
        a->p_month = en(c, EN_MONTHS[a->month]);
        if (a->kind == ADV_MONTH_YEAR) {
            snprintf(buf, sizeof buf, "%d", a->year);
            a->p_year = en(c, buf);
        }
        break;
    case ADV_YEAR:
        a->p_prep = en(c, "in");
        snprintf(buf, sizeof buf, "%d", a->year);
        a->p_year = en(c, buf);
        break;
    case ADV_WEEKDAY:
        a->p_prep = en(c, "on");
        a->p_day = en(c, EN_DAYS[a->day]);
        break;
    default:
        a->p_deictic = en(c, EN_DEICTIC[a->deictic]);
        break;
    }
}

static int np_plural(const Sent *s, int i) { return s->np[i].pron >= 0 ? 0 : s->np[i].plural; }

static void en_clause(Ctx *c, int i) {
    Clause *cl = &c->s->cl[i];
    const Verb *v = &VERBS[cl->verb];
    en_np(c, cl->subj);
    int pl = np_plural(c->s, cl->subj);
    cl->p_aux = cl->p_not = cl->p_be = cl->p_verb = cl->p_that = -1;
    if (cl->passive) {
        if (cl->tense == T_FUTURE) {
            cl->p_aux = en(c, "will");
            if (cl->neg) cl->p_not = en(c, "not");
            cl->p_be = en(c, "be");
        } else {
            cl->p_aux = en(c, cl->tense == T_PRESENT ? (pl ? "are" : "is") : (pl ? "were" : "was"));
            if (cl->neg) cl->p_not = en(c, "not");
        }
        cl->p_verb = en(c, en_verb_form(v, 3));
    } else if (cl->neg) {
        cl->p_aux = en(c, cl->tense == T_PRESENT ? (pl ? "do" : "does") : cl->tense == T_PAST ? "did" : "will");
        cl->p_not = en(c, "not");
        cl->p_verb = en(c, en_verb_form(v, 0));
    } else if (cl->tense == T_FUTURE) {
        cl->p_aux = en(c, "will");
        cl->p_verb = en(c, en_verb_form(v, 0));
    } else {
        cl->p_verb = en(c, en_verb_form(v, cl->tense == T_PAST ? 2 : (pl ? 0 : 1)));
    }
    if (cl->comp >= 0) {
        cl->p_that = en(c, "that");
        en_clause(c, cl->comp);
    }
    if (cl->obj >= 0) en_np(c, cl->obj);
    if (cl->pp >= 0) en_adv(c, cl->pp);
    if (cl->time >= 0) en_adv(c, cl->time);
}

static void en_sentence(Ctx *c) {
    Sent *s = c->s;
    cb_src(c->b, s->lang == LANG_FR ? "<2fr>" : "<2es>");
    en_clause(c, s->main_cl);
    s->p_because = -1;
    if (s->because_cl >= 0) {
        s->p_because = en(c, "because");
        en_clause(c, s->because_cl);
    }
    s->p_period = en(c, ".");
}

/* ---- target realisation ------------------------------------------------------ */

static int tg(Ctx *c, const char *w, int sure) {
    int t = cb_tgt(c->b, w);
    cb_sure(c->b, t, sure);
    return t;
}
static void poss(Ctx *c, int t, int p) { cb_poss(c->b, t, p); }

static char np_gender(const Sent *s, int i) {
    const Np *np = &s->np[i];
    if (np->pron >= 0) return np->pron ? 'f' : 'm';
    return s->lang == LANG_FR ? NOUNS[np->noun].fr_g : NOUNS[np->noun].es_g;
}

/* Determiner + optional contraction with a preceding preposition word ("de", "à", "a"). */
static void tg_det(Ctx *c, int i, const char *prep_last, int p_prep) {
    const Sent *s = c->s;
    const Np *np = &s->np[i];
    int fem = np_gender(s, i) == 'f', pl = np->plural, fr = s->lang == LANG_FR;
    const char *d = NULL;
    switch (np->det) {
    case DET_THE: d = fr ? (pl ? "les" : fem ? "la" : "le") : (pl ? (fem ? "las" : "los") : fem ? "la" : "el"); break;
    case DET_A: d = fr ? (fem ? "une" : "un") : (fem ? "una" : "un"); break;
    case DET_SOME: d = fr ? "des" : (fem ? "unas" : "unos"); break;
    case DET_THIS: d = fr ? (pl ? "ces" : fem ? "cette" : "ce") : (pl ? (fem ? "estas" : "estos") : fem ? "esta" : "este"); break;
    default: break;
    }
    if (prep_last) {
        const char *merged = NULL;
        if (d && fr && !strcmp(prep_last, "de") && !strcmp(d, "le")) merged = "du";
        if (d && fr && !strcmp(prep_last, "de") && !strcmp(d, "les")) merged = "des";
        if (d && fr && !strcmp(prep_last, "à") && !strcmp(d, "le")) merged = "au";
        if (d && fr && !strcmp(prep_last, "à") && !strcmp(d, "les")) merged = "aux";
        if (d && !fr && !strcmp(prep_last, "de") && !strcmp(d, "el")) merged = "del";
        if (d && !fr && !strcmp(prep_last, "a") && !strcmp(d, "el")) merged = "al";
        if (merged) {
            int t = tg(c, merged, p_prep);
            cb_sure(c->b, t, np->p_det);
            poss(c, t, np->p_noun);
            return;
        }
        tg(c, prep_last, p_prep);
    }
    if (d) {
        int t = tg(c, d, np->p_det);
        poss(c, t, np->p_noun);
    }
}

static void tg_adj(Ctx *c, int i, int k, int pre) {
    const Sent *s = c->s;
    const Np *np = &s->np[i];
    const Adj *a = &ADJS[np->adj[k]];
    int form = (np_gender(s, i) == 'f') + 2 * np->plural;
    char buf[WBUF];
    const char *w;
    if (s->lang == LANG_FR) w = fr_adj(a, form, buf);
    else if (pre && a->es_apoc && !np->plural && (form == 0 || a->es_apoc_fem)) w = a->es_apoc;
    else w = es_adj(a, form, buf);
    int t = tg(c, w, np->p_adj[k]);
    poss(c, t, np->p_noun);
}

static int adj_pre(const Sent *s, int adj) {
    return s->lang == LANG_FR ? ADJS[adj].fr_pre : ADJS[adj].es_pre;
}

static void tg_np(Ctx *c, int i, const char *prep_last, int p_prep) {
    const Sent *s = c->s;
    const Np *np = &s->np[i];
    char buf[WBUF];
    int fr = s->lang == LANG_FR;
    if (np->pron >= 0) {
        if (prep_last) tg(c, prep_last, p_prep);
        tg(c, fr ? (np->pron ? "elle" : "il") : (np->pron ? "ella" : "él"), np->p_pron);
        return;
    }
    tg_det(c, i, prep_last, p_prep);
    if (np->num) {
        const char *w;
        if (np->num == 1) w = np_gender(s, i) == 'f' ? (fr ? "une" : "una") : "un";
        else if (np->num <= 10) w = fr ? FR_NUM[np->num] : ES_NUM[np->num];
        else {
            snprintf(buf, sizeof buf, "%d", np->num);
            w = buf;
        }
        int t = tg(c, w, np->p_num);
        if (np->num == 1) poss(c, t, np->p_noun);
    }
    for (int k = 0; k < np->nadj; k++)
        if (adj_pre(s, np->adj[k])) tg_adj(c, i, k, 1);
    const Noun *n = &NOUNS[np->noun];
    tg(c, fr ? fr_noun(n, np->plural, buf) : es_noun(n, np->plural, buf), np->p_noun);
    for (int k = np->nadj - 1; k >= 0; k--) /* mirror order after the noun */
        if (!adj_pre(s, np->adj[k])) tg_adj(c, i, k, 0);
    if (np->of >= 0) tg_np(c, np->of, "de", np->p_of);
}

static void tg_adv(Ctx *c, int i) {
    const Sent *s = c->s;
    const Adv *a = &s->adv[i];
    int fr = s->lang == LANG_FR;
    char buf[16];
    switch (a->kind) {
    case ADV_PP: {
        const Prep *p = &PREPS[a->prep];
        const char *const *w = fr ? p->fr : p->es;
        if (w[1]) {
            tg(c, w[0], a->p_prep);
            tg_np(c, a->np, w[1], a->p_prep);
        } else if (!strcmp(w[0], "de") || !strcmp(w[0], "à") || !strcmp(w[0], "a")) {
            tg_np(c, a->np, w[0], a->p_prep);
        } else {
            tg(c, w[0], a->p_prep);
            tg_np(c, a->np, NULL, -1);
        }
        break;
    }
    case ADV_MONTH:
    case ADV_MONTH_YEAR:
    case ADV_YEAR:
        tg(c, "en", a->p_prep);
        if (a->kind != ADV_YEAR) tg(c, fr ? FR_MONTHS[a->month] : ES_MONTHS[a->month], a->p_month);
        if (a->kind != ADV_MONTH) {
            if (a->kind == ADV_MONTH_YEAR && !fr) {
                int t = tg(c, "de", a->p_year); /* "agosto de 1992" */
                poss(c, t, a->p_month);
            }
            snprintf(buf, sizeof buf, "%d", a->year);
            tg(c, buf, a->p_year);
        }
        break;
    case ADV_WEEKDAY:
        if (fr) {
            int t = tg(c, FR_DAYS[a->day], a->p_day);
            poss(c, t, a->p_prep);
        } else {
            int t = tg(c, "el", a->p_prep);
            poss(c, t, a->p_day);
            tg(c, ES_DAYS[a->day], a->p_day);
        }
        break;
    default:
        tg(c, fr ? FR_DEICTIC[a->deictic] : ES_DEICTIC[a->deictic], a->p_deictic);
        break;
    }
}

/* Finite verb token: also possibly linked to its subject (number agreement). */
static int tg_fin(Ctx *c, const char *w, int sure, int subj_head) {
    int t = tg(c, w, sure);
    poss(c, t, subj_head);
    return t;
}

static void tg_neg_word(Ctx *c, const char *w, const Clause *cl) {
    int t = tg(c, w, cl->p_not);
    poss(c, t, cl->p_aux);
    poss(c, t, cl->p_be);
}

static void tg_clause(Ctx *c, int i);

static void tg_verb_fr(Ctx *c, const Clause *cl) {
    const Sent *s = c->s;
    const Verb *v = &VERBS[cl->verb];
    int pl = np_plural(s, cl->subj), h = s->np[cl->subj].p_noun;
    char buf[WBUF];
    if (cl->passive) {
        const char *aux = cl->tense == T_PRESENT ? (pl ? "sont" : "est")
                          : cl->tense == T_PAST  ? (pl ? "ont" : "a")
                                                 : (pl ? "seront" : "sera");
        int aux_src = cl->tense == T_FUTURE ? cl->p_be : cl->p_aux;
        if (cl->neg) tg_neg_word(c, "ne", cl);
        int t = tg_fin(c, aux, aux_src, h);
        poss(c, t, cl->p_aux);
        if (cl->neg) tg_neg_word(c, "pas", cl);
        if (cl->tense == T_PAST) {
            t = tg(c, "été", cl->p_aux);
            poss(c, t, cl->p_verb);
        }
        t = tg(c, fr_pp_agree(v, np_gender(s, cl->subj), pl, buf), cl->p_verb);
        poss(c, t, cl->p_aux);
        poss(c, t, cl->p_be);
        poss(c, t, h);
        return;
    }
    if (cl->tense == T_PAST) {
        if (cl->neg) tg_neg_word(c, "ne", cl);
        int t = tg_fin(c, pl ? "ont" : "a", cl->neg ? cl->p_aux : cl->p_verb, h);
        poss(c, t, cl->p_verb);
        if (cl->neg) tg_neg_word(c, "pas", cl);
        t = tg(c, fr_verb(v, 2, buf), cl->p_verb);
        poss(c, t, cl->p_aux);
        return;
    }
    if (cl->neg) tg_neg_word(c, "ne", cl);
    int t = tg_fin(c, fr_verb(v, cl->tense == T_PRESENT ? pl : 3 + pl, buf), cl->p_verb, h);
    poss(c, t, cl->p_aux);
    if (cl->neg) tg_neg_word(c, "pas", cl);
}

static void tg_verb_es(Ctx *c, const Clause *cl) {
    const Sent *s = c->s;
    const Verb *v = &VERBS[cl->verb];
    int pl = np_plural(s, cl->subj), h = s->np[cl->subj].p_noun;
    char buf[WBUF];
    if (cl->neg) tg_neg_word(c, "no", cl);
    if (cl->passive) {
        const char *aux = cl->tense == T_PRESENT ? (pl ? "son" : "es")
                          : cl->tense == T_PAST  ? (pl ? "fueron" : "fue")
                                                 : (pl ? "serán" : "será");
        int t = tg_fin(c, aux, cl->tense == T_FUTURE ? cl->p_be : cl->p_aux, h);
        poss(c, t, cl->p_aux);
        t = tg(c, es_pp_agree(v, np_gender(s, cl->subj), pl, buf), cl->p_verb);
        poss(c, t, cl->p_aux);
        poss(c, t, cl->p_be);
        poss(c, t, h);
        return;
    }
    int f = cl->tense == T_PRESENT ? pl : cl->tense == T_PAST ? 2 + pl : 4 + pl;
    int t = tg_fin(c, es_verb(v, f, buf), cl->p_verb, h);
    poss(c, t, cl->p_aux);
}

static void tg_clause(Ctx *c, int i) {
    const Sent *s = c->s;
    const Clause *cl = &s->cl[i];
    tg_np(c, cl->subj, NULL, -1);
    if (s->lang == LANG_FR) tg_verb_fr(c, cl);
    else tg_verb_es(c, cl);
    if (cl->comp >= 0) {
        tg(c, "que", cl->p_that);
        tg_clause(c, cl->comp);
    }
    if (cl->obj >= 0) tg_np(c, cl->obj, NULL, -1);
    if (cl->pp >= 0) tg_adv(c, cl->pp);
    if (cl->time >= 0) tg_adv(c, cl->time);
}

static int fr_vowel_initial(const char *w) {
    const unsigned char *u = (const unsigned char *)w;
    if (strchr("aeiouy", u[0]) && u[0]) return 1;
    /* à â é è ê î ô (UTF-8 0xC3 xx) */
    return u[0] == 0xC3 && (u[1] == 0xA0 || u[1] == 0xA2 || u[1] == 0xA9 || u[1] == 0xA8 || u[1] == 0xAA ||
                            u[1] == 0xAE || u[1] == 0xB4);
}

static void fr_elide(CorpusBuilder *b) {
    static const char *const FULL[5] = {"le", "la", "de", "que", "ne"};
    static const char *const ELIDED[5] = {"l'", "l'", "d'", "qu'", "n'"};
    for (int t = 0; t + 1 < b->tgt_n; t++) {
        if (!fr_vowel_initial(cb_tgt_text(b, t + 1))) continue;
        for (int k = 0; k < 5; k++)
            if (!strcmp(cb_tgt_text(b, t), FULL[k])) {
                cb_set_tgt(b, t, ELIDED[k]);
                break;
            }
    }
}

static void realize(CorpusBuilder *b, Sent *s) {
    Ctx c = {b, s};
    en_sentence(&c);
    tg_clause(&c, s->main_cl);
    if (s->because_cl >= 0) {
        if (s->lang == LANG_FR) {
            tg(&c, "parce", s->p_because);
            tg(&c, "que", s->p_because);
        } else {
            tg(&c, "porque", s->p_because);
        }
        tg_clause(&c, s->because_cl);
    }
    tg(&c, ".", s->p_period);
    if (s->lang == LANG_FR) fr_elide(b);
}

/* ---- sampling ---------------------------------------------------------------- */

static int new_np(Sent *s) {
    if (s->n_np >= MAX_NP) return -1;
    Np *np = &s->np[s->n_np];
    memset(np, 0, sizeof *np);
    np->pron = -1;
    np->of = -1;
    return s->n_np++;
}

static int sample_np(Sent *s, uint64_t *r, int allow_of, int allow_pron) {
    int i = new_np(s);
    if (i < 0) return -1;
    Np *np = &s->np[i];
    if (allow_pron && crng_pct(r, 10)) {
        np->pron = crng_below(r, 2);
        return i;
    }
    np->noun = crng_below(r, N_NOUNS);
    int d = crng_below(r, 100);
    if (d < 50) {
        np->det = DET_THE;
        np->plural = crng_pct(r, 30);
        if (np->plural && crng_pct(r, 20)) np->num = 2 + crng_below(r, 9);
    } else if (d < 65) {
        np->det = DET_A;
    } else if (d < 73) {
        np->det = DET_SOME;
        np->plural = 1;
    } else if (d < 83) {
        np->det = DET_THIS;
        np->plural = crng_pct(r, 30);
    } else {
        np->det = DET_NONE;
        np->num = crng_pct(r, 25) ? DIGITS_FIRST + crng_below(r, DIGITS_LAST - DIGITS_FIRST + 1)
                                  : 1 + crng_below(r, 10);
        np->plural = np->num > 1;
    }
    int na = crng_below(r, 100);
    np->nadj = na < 45 ? 0 : na < 80 ? 1 : 2;
    if (np->nadj >= 1) np->adj[0] = crng_below(r, N_ADJS);
    if (np->nadj == 2) {
        int tries = 0;
        for (;;) {
            int b = crng_below(r, N_ADJS);
            const Adj *x = &ADJS[np->adj[0]], *y = &ADJS[b];
            if (x->cls != y->cls && !(x->fr_pre && y->fr_pre)) {
                if (y->cls < x->cls) {
                    np->adj[1] = np->adj[0];
                    np->adj[0] = b;
                } else {
                    np->adj[1] = b;
                }
                break;
            }
            if (++tries > 50) {
                np->nadj = 1;
                break;
            }
        }
    }
    if (allow_of && crng_pct(r, 20)) {
        int j = sample_np(s, r, 0, 0);
        s->np[i].of = j; /* may be -1 when the pool is full */
    }
    return i;
}

static int new_adv(Sent *s) {
    if (s->n_adv >= MAX_ADV) return -1;
    memset(&s->adv[s->n_adv], 0, sizeof s->adv[0]);
    return s->n_adv++;
}

static int sample_clause(Sent *s, uint64_t *r, int allow_say) {
    if (s->n_cl >= MAX_CL) return -1;
    int i = s->n_cl++;
    Clause cl;
    memset(&cl, 0, sizeof cl);
    cl.obj = cl.comp = cl.pp = cl.time = -1;
    cl.subj = sample_np(s, r, 1, 1);
    if (cl.subj < 0) return -1;
    int kind = crng_below(r, 100);
    if (allow_say && kind < 20) {
        do cl.verb = crng_below(r, N_VERBS);
        while (VERBS[cl.verb].type != V_SAY);
    } else {
        int want = kind < 45 ? -1 /* passive */ : kind < 80 ? V_TRANS : V_INTRANS;
        do cl.verb = crng_below(r, N_VERBS);
        while (VERBS[cl.verb].type != (want == V_INTRANS ? V_INTRANS : V_TRANS));
        cl.passive = want == -1;
    }
    cl.tense = crng_below(r, 3);
    cl.neg = crng_pct(r, 25);
    int type = VERBS[cl.verb].type;
    if (type == V_SAY) {
        s->cl[i] = cl;
        int j = sample_clause(s, r, 0);
        if (j < 0) return -1;
        s->cl[i].comp = j;
        return i;
    }
    if (type == V_TRANS && !cl.passive) cl.obj = sample_np(s, r, 1, 0);
    if (cl.passive && crng_pct(r, 30)) {
        cl.pp = new_adv(s);
        if (cl.pp >= 0) {
            s->adv[cl.pp].kind = ADV_PP;
            s->adv[cl.pp].prep = P_BY;
            s->adv[cl.pp].np = sample_np(s, r, 0, 0);
            if (s->adv[cl.pp].np < 0) return -1;
        }
    } else if (crng_pct(r, 35)) {
        cl.pp = new_adv(s);
        if (cl.pp >= 0) {
            s->adv[cl.pp].kind = ADV_PP;
            s->adv[cl.pp].prep = P_FIRST_ADVERBIAL + crng_below(r, N_PREPS - P_FIRST_ADVERBIAL);
            s->adv[cl.pp].np = sample_np(s, r, 0, 0);
            if (s->adv[cl.pp].np < 0) return -1;
        }
    }
    if (crng_pct(r, 30)) {
        cl.time = new_adv(s);
        if (cl.time >= 0) {
            Adv *a = &s->adv[cl.time];
            int k = crng_below(r, 100);
            a->month = crng_below(r, 12);
            a->year = YEAR_FIRST + crng_below(r, YEAR_LAST - YEAR_FIRST + 1);
            a->day = crng_below(r, 7);
            if (k < 20) a->kind = ADV_MONTH;
            else if (k < 50) a->kind = ADV_MONTH_YEAR;
            else if (k < 65) a->kind = ADV_YEAR;
            else if (k < 85) a->kind = ADV_WEEKDAY;
            else {
                a->kind = ADV_DEICTIC;
                a->deictic = cl.tense == T_PAST ? 0 : cl.tense == T_FUTURE ? 2 : 1;
            }
        }
    }
    s->cl[i] = cl;
    return i;
}

static int sample_sentence(Sent *s, const CorpusConfig *cfg, uint64_t *r) {
    memset(s, 0, sizeof *s);
    int lang_draw = crng_below(r, 2);
    s->lang = cfg->lang == CORPUS_LANG_FR ? LANG_FR : cfg->lang == CORPUS_LANG_ES ? LANG_ES
                                                                                 : (lang_draw ? LANG_ES : LANG_FR);
    s->main_cl = sample_clause(s, r, 1);
    if (s->main_cl < 0) return -1;
    s->because_cl = -1;
    if (crng_pct(r, 25)) {
        s->because_cl = sample_clause(s, r, 0);
        if (s->because_cl < 0) return -1;
    }
    return 0;
}

int corpus_translate_sample(CorpusBuilder *b, const CorpusConfig *cfg, uint64_t *rng) {
    Sent *s = malloc(sizeof *s);
    if (!s) return -1;
    int rc = sample_sentence(s, cfg, rng);
    if (rc == 0) realize(b, s);
    free(s);
    return rc;
}

/* ---- parsing ------------------------------------------------------------------ */

typedef struct Parser {
    char *tok[CB_MAX_TOKENS];
    int n, i;
    Sent *s;
    Status *st;
    int failed;
} Parser;

static const char *peek(const Parser *p, int k) { return p->i + k < p->n ? p->tok[p->i + k] : ""; }
static int accept(Parser *p, const char *w) {
    if (strcmp(peek(p, 0), w)) return 0;
    p->i++;
    return 1;
}
static int perr(Parser *p, const char *what) {
    if (!p->failed) {
        if (p->i < p->n)
            status_fail(p->st, "translate: \"%s\" (word %d) is not in the grammar here: expected %s", p->tok[p->i],
                        p->i + 1, what);
        else status_fail(p->st, "translate: the sentence ends early: expected %s", what);
    }
    p->failed = 1;
    return -1;
}

static int find_noun(const char *w, int *pl) {
    char buf[WBUF];
    for (int k = 0; k < N_NOUNS; k++) {
        if (!strcmp(NOUNS[k].en, w)) {
            *pl = 0;
            return k;
        }
        if (!strcmp(en_noun(&NOUNS[k], 1, buf), w)) {
            *pl = 1;
            return k;
        }
    }
    return -1;
}
static int find_adj(const char *w) {
    for (int k = 0; k < N_ADJS; k++)
        if (!strcmp(ADJS[k].en, w)) return k;
    return -1;
}
static int find_verb(const char *w, int form) {
    for (int k = 0; k < N_VERBS; k++)
        if (!strcmp(VERBS[k].en[form], w)) return k;
    return -1;
}
static int find_in(const char *const *list, int n, const char *w) {
    for (int k = 0; k < n; k++)
        if (!strcmp(list[k], w)) return k;
    return -1;
}
static int parse_int(const char *w, int lo, int hi) {
    if (!*w || strlen(w) > 4) return -1;
    for (const char *q = w; *q; q++)
        if (!isdigit((unsigned char)*q)) return -1;
    int v = atoi(w);
    return (v >= lo && v <= hi && w[0] != '0') ? v : -1;
}

static int parse_np(Parser *p, int allow_of, int allow_pron) {
    int i = new_np(p->s);
    if (i < 0) return perr(p, "a shorter sentence (too many noun phrases)");
    Np *np = &p->s->np[i];
    if (allow_pron && (accept(p, "he") || accept(p, "she"))) {
        np->pron = !strcmp(p->tok[p->i - 1], "she");
        return i;
    }
    int this_pl = -1;
    if (accept(p, "the")) np->det = DET_THE;
    else if (accept(p, "a") || accept(p, "an")) np->det = DET_A;
    else if (accept(p, "some")) np->det = DET_SOME;
    else if (accept(p, "this")) np->det = DET_THIS, this_pl = 0;
    else if (accept(p, "these")) np->det = DET_THIS, this_pl = 1;
    int nw = find_in(EN_NUM, 11, peek(p, 0));
    int nd = parse_int(peek(p, 0), DIGITS_FIRST, DIGITS_LAST);
    if (nw >= 1) np->num = nw, p->i++;
    else if (nd > 0) np->num = nd, p->i++;
    while (np->nadj < 2 && find_adj(peek(p, 0)) >= 0) np->adj[np->nadj++] = find_adj(p->tok[p->i++]);
    int pl = 0;
    np->noun = find_noun(peek(p, 0), &pl);
    if (np->noun < 0) return perr(p, "a noun");
    p->i++;
    np->plural = pl;
    int ok = np->det == DET_THE ? (!np->num || (np->num > 1 && pl))
             : np->det == DET_A ? (!pl && !np->num)
             : np->det == DET_SOME ? (pl && !np->num)
             : np->det == DET_THIS ? (!np->num && this_pl == pl)
                                   : (np->num && (np->num > 1) == pl);
    if (!ok) {
        p->i--;
        return perr(p, "a noun agreeing in number with its determiner/number");
    }
    if (allow_of && !strcmp(peek(p, 0), "of")) {
        p->i++;
        int j = parse_np(p, 0, 0);
        if (j < 0) return -1;
        p->s->np[i].of = j;
    }
    return i;
}

static int parse_adverbials(Parser *p, Clause *cl) {
    /* PP (not a time expression), then a time expression; both optional */
    const char *w = peek(p, 0);
    int is_time_in = !strcmp(w, "in") && (find_in(EN_MONTHS, 12, peek(p, 1)) >= 0 ||
                                          parse_int(peek(p, 1), YEAR_FIRST, YEAR_LAST) > 0);
    int is_time_on = !strcmp(w, "on") && find_in(EN_DAYS, 7, peek(p, 1)) >= 0;
    if (!is_time_in && !is_time_on) {
        for (int k = P_BY; k < N_PREPS; k++) {
            if (strcmp(w, PREPS[k].en)) continue;
            int a = new_adv(p->s);
            if (a < 0) return perr(p, "a shorter sentence");
            p->i++;
            p->s->adv[a].kind = ADV_PP;
            p->s->adv[a].prep = k;
            p->s->adv[a].np = parse_np(p, 0, 0);
            if (p->s->adv[a].np < 0) return -1;
            cl->pp = a;
            break;
        }
    }
    w = peek(p, 0);
    int month = find_in(EN_MONTHS, 12, peek(p, 1));
    int year = parse_int(peek(p, 1), YEAR_FIRST, YEAR_LAST);
    int day = find_in(EN_DAYS, 7, peek(p, 1));
    int deictic = find_in(EN_DEICTIC, 3, w);
    if ((!strcmp(w, "in") && (month >= 0 || year > 0)) || (!strcmp(w, "on") && day >= 0) || deictic >= 0) {
        int a = new_adv(p->s);
        if (a < 0) return perr(p, "a shorter sentence");
        Adv *ad = &p->s->adv[a];
        if (deictic >= 0) {
            ad->kind = ADV_DEICTIC, ad->deictic = deictic, p->i++;
        } else if (day >= 0) {
            ad->kind = ADV_WEEKDAY, ad->day = day, p->i += 2;
        } else if (month >= 0) {
            p->i += 2;
            ad->month = month;
            ad->kind = ADV_MONTH;
            int y = parse_int(peek(p, 0), YEAR_FIRST, YEAR_LAST);
            if (y > 0) ad->kind = ADV_MONTH_YEAR, ad->year = y, p->i++;
        } else {
            ad->kind = ADV_YEAR, ad->year = year, p->i += 2;
        }
        cl->time = a;
    }
    return 0;
}

static int parse_clause(Parser *p, int allow_say) {
    Sent *s = p->s;
    if (s->n_cl >= MAX_CL) return perr(p, "fewer clauses");
    int i = s->n_cl++;
    Clause cl;
    memset(&cl, 0, sizeof cl);
    cl.obj = cl.comp = cl.pp = cl.time = -1;
    cl.subj = parse_np(p, 1, 1);
    if (cl.subj < 0) return -1;
    const char *w = peek(p, 0);
    if (!strcmp(w, "does") || !strcmp(w, "do") || !strcmp(w, "did")) {
        p->i++;
        cl.tense = w[1] == 'i' ? T_PAST : T_PRESENT;
        if (!accept(p, "not")) return perr(p, "\"not\"");
        cl.neg = 1;
        if ((cl.verb = find_verb(peek(p, 0), 0)) < 0) return perr(p, "a verb (base form)");
        p->i++;
    } else if (accept(p, "will")) {
        cl.tense = T_FUTURE;
        cl.neg = accept(p, "not");
        if (accept(p, "be")) {
            cl.passive = 1;
            if ((cl.verb = find_verb(peek(p, 0), 3)) < 0) return perr(p, "a past participle");
        } else if ((cl.verb = find_verb(peek(p, 0), 0)) < 0) {
            return perr(p, "a verb (base form) or \"be\"");
        }
        p->i++;
    } else if (!strcmp(w, "is") || !strcmp(w, "are") || !strcmp(w, "was") || !strcmp(w, "were")) {
        p->i++;
        cl.tense = w[0] == 'w' ? T_PAST : T_PRESENT;
        cl.passive = 1;
        cl.neg = accept(p, "not");
        if ((cl.verb = find_verb(peek(p, 0), 3)) < 0) return perr(p, "a past participle");
        p->i++;
    } else {
        int v;
        if ((v = find_verb(w, 1)) >= 0 || (v = find_verb(w, 0)) >= 0) cl.tense = T_PRESENT;
        else if ((v = find_verb(w, 2)) >= 0) cl.tense = T_PAST;
        else return perr(p, "a verb");
        cl.verb = v;
        p->i++;
    }
    int type = VERBS[cl.verb].type;
    if (cl.passive && type != V_TRANS) {
        p->i--;
        return perr(p, "a transitive verb for the passive");
    }
    s->cl[i] = cl;
    if (type == V_SAY) {
        if (!allow_say) {
            p->i--;
            return perr(p, "a verb that is not a verb of saying (only one \"that\" clause per sentence)");
        }
        if (!accept(p, "that")) return perr(p, "\"that\"");
        int j = parse_clause(p, 0);
        if (j < 0) return -1;
        s->cl[i].comp = j;
        return i;
    }
    if (type == V_TRANS && !cl.passive) {
        cl.obj = parse_np(p, 1, 0);
        if (cl.obj < 0) return -1;
    }
    if (parse_adverbials(p, &cl) != 0) return -1;
    s->cl[i] = cl;
    return i;
}

int corpus_translate_english(const char *english, CorpusLang lang, CorpusExample *out, Status *st) {
    memset(out, 0, sizeof *out);
    if (!english) return status_fail(st, "translate: no sentence given");
    size_t len = strlen(english);
    char *text = malloc(2 * len + 2);
    Sent *s = malloc(sizeof *s);
    CorpusBuilder *b = malloc(sizeof *b);
    Parser *p = malloc(sizeof *p);
    int rc = -1;
    if (!text || !s || !b || !p) {
        status_fail(st, "translate: out of memory");
        goto done;
    }
    /* lower-case ASCII, split "." and "," off words, split on white space */
    size_t w = 0;
    for (size_t k = 0; k < len; k++) {
        char ch = english[k];
        if (ch == '.' || ch == ',') {
            text[w++] = ' ', text[w++] = ch, ch = ' ';
        }
        text[w++] = (char)tolower((unsigned char)ch);
    }
    text[w] = 0;
    memset(p, 0, sizeof *p);
    memset(s, 0, sizeof *s);
    p->s = s;
    p->st = st;
    for (char *save = NULL, *t = strtok_r(text, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
        if (p->n >= CB_MAX_TOKENS - 1) {
            status_fail(st, "translate: the sentence has more than %d words", CB_MAX_TOKENS - 2);
            goto done;
        }
        p->tok[p->n++] = t;
    }
    s->lang = lang == CORPUS_LANG_FR ? LANG_FR : lang == CORPUS_LANG_ES ? LANG_ES : 0;
    if (p->n && (!strcmp(p->tok[0], "<2fr>") || !strcmp(p->tok[0], "<2es>"))) {
        s->lang = p->tok[0][2] == 'f' ? LANG_FR : LANG_ES;
        p->i = 1;
    }
    if (!s->lang) {
        status_fail(st, "translate: choose the target language (fr or es) or start the sentence with <2fr>/<2es>");
        goto done;
    }
    int first = p->i;
    s->because_cl = -1;
    s->main_cl = parse_clause(p, 1);
    if (s->main_cl < 0) goto done;
    if (accept(p, "because")) {
        s->because_cl = parse_clause(p, 0);
        if (s->because_cl < 0) goto done;
    }
    if (!accept(p, ".")) {
        perr(p, p->i < p->n ? "\".\" (the end of the sentence) or \"because\"" : "\".\" at the end");
        goto done;
    }
    if (p->i != p->n) {
        perr(p, "nothing after the final \".\"");
        goto done;
    }
    cb_reset(b);
    realize(b, s);
    if (b->overflow) {
        status_fail(st, "translate: the sentence is too long");
        goto done;
    }
    /* the grammar must reproduce the input exactly (agreement, a/an, verb forms) */
    if (b->src_n - 1 != p->n - first) {
        status_fail(st, "translate: the sentence is not in the grammar");
        goto done;
    }
    for (int k = 1; k < b->src_n; k++) {
        if (strcmp(cb_src_text(b, k), p->tok[first + k - 1])) {
            status_fail(st, "translate: \"%s\" (word %d) should be \"%s\" in this grammar (agreement)",
                        p->tok[first + k - 1], first + k, cb_src_text(b, k));
            goto done;
        }
    }
    if (cb_finish(b, out) != 0) {
        status_fail(st, "translate: out of memory");
        goto done;
    }
    rc = 0;
done:
    free(text);
    free(s);
    free(b);
    free(p);
    return rc;
}

/* ---- vocabulary ---------------------------------------------------------------- */

#define ADD(w)                                  \
    do {                                        \
        if (add(ctx, (w)) != 0) return -1;      \
    } while (0)

static int add_list(CorpusAddFn add, void *ctx, const char *const *list, int n) {
    for (int k = 0; k < n; k++)
        if (list[k][0]) ADD(list[k]);
    return 0;
}

static int add_numbers(CorpusAddFn add, void *ctx) {
    char buf[16];
    for (int y = YEAR_FIRST; y <= YEAR_LAST; y++) {
        snprintf(buf, sizeof buf, "%d", y);
        ADD(buf);
    }
    for (int v = DIGITS_FIRST; v <= DIGITS_LAST; v++) {
        snprintf(buf, sizeof buf, "%d", v);
        ADD(buf);
    }
    return 0;
}

int corpus_translate_vocab(int side, CorpusAddFn add, void *ctx) {
    char buf[WBUF];
    if (add_numbers(add, ctx) != 0) return -1;
    ADD(".");
    if (side == 0) {
        static const char *const EN_FUNC[] = {"<2fr>", "<2es>", "the", "a", "an", "some", "this", "these",
                                              "he", "she", "does", "do", "did", "will", "not", "be",
                                              "is", "are", "was", "were", "that", "because"};
        if (add_list(add, ctx, EN_FUNC, (int)(sizeof EN_FUNC / sizeof EN_FUNC[0]))) return -1;
        if (add_list(add, ctx, EN_NUM, 11) || add_list(add, ctx, EN_MONTHS, 12) || add_list(add, ctx, EN_DAYS, 7) ||
            add_list(add, ctx, EN_DEICTIC, 3))
            return -1;
        for (int k = 0; k < N_PREPS; k++) ADD(PREPS[k].en);
        for (int k = 0; k < N_NOUNS; k++) {
            ADD(NOUNS[k].en);
            ADD(en_noun(&NOUNS[k], 1, buf));
        }
        for (int k = 0; k < N_ADJS; k++) ADD(ADJS[k].en);
        for (int k = 0; k < N_VERBS; k++)
            for (int f = 0; f < 4; f++) ADD(VERBS[k].en[f]);
        return 0;
    }
    static const char *const FUNC[] = {
        /* French */
        "le", "la", "les", "un", "une", "des", "ce", "cette", "ces", "du", "au", "aux", "l'", "d'", "qu'", "n'",
        "il", "elle", "ne", "pas", "a", "ont", "est", "sont", "sera", "seront", "été", "que", "parce", "en",
        /* Spanish */
        "el", "los", "las", "una", "unos", "unas", "este", "esta", "estos", "estas", "del", "al", "él", "ella",
        "no", "es", "son", "fue", "fueron", "será", "serán", "porque", "de"};
    if (add_list(add, ctx, FUNC, (int)(sizeof FUNC / sizeof FUNC[0]))) return -1;
    if (add_list(add, ctx, FR_NUM, 11) || add_list(add, ctx, ES_NUM, 11) || add_list(add, ctx, FR_MONTHS, 12) ||
        add_list(add, ctx, ES_MONTHS, 12) || add_list(add, ctx, FR_DAYS, 7) || add_list(add, ctx, ES_DAYS, 7) ||
        add_list(add, ctx, FR_DEICTIC, 3) || add_list(add, ctx, ES_DEICTIC, 3))
        return -1;
    for (int k = 0; k < N_PREPS; k++)
        for (int j = 0; j < 2; j++) {
            if (PREPS[k].fr[j]) ADD(PREPS[k].fr[j]);
            if (PREPS[k].es[j]) ADD(PREPS[k].es[j]);
        }
    for (int k = 0; k < N_NOUNS; k++)
        for (int pl = 0; pl < 2; pl++) {
            ADD(fr_noun(&NOUNS[k], pl, buf));
            ADD(es_noun(&NOUNS[k], pl, buf));
        }
    for (int k = 0; k < N_ADJS; k++) {
        for (int f = 0; f < 4; f++) {
            ADD(fr_adj(&ADJS[k], f, buf));
            ADD(es_adj(&ADJS[k], f, buf));
        }
        if (ADJS[k].es_apoc) ADD(ADJS[k].es_apoc);
    }
    for (int k = 0; k < N_VERBS; k++) {
        for (int f = 0; f < 5; f++) ADD(fr_verb(&VERBS[k], f, buf));
        for (int f = 0; f < 7; f++) ADD(es_verb(&VERBS[k], f, buf));
        for (int g = 0; g < 2; g++)
            for (int pl = 0; pl < 2; pl++) {
                ADD(fr_pp_agree(&VERBS[k], g ? 'f' : 'm', pl, buf));
                ADD(es_pp_agree(&VERBS[k], g ? 'f' : 'm', pl, buf));
            }
    }
    return 0;
}
