/* decode_beam.c — beam search (see decode.h; exact semantics in docs/decoding.md).
 *
 * What it is: the search loop around seq2seq_decode_step. All alive hypotheses run
 * through ONE decoder step per output position (B rows, B = number of alive
 * hypotheses, 1 at step 0); after selection the state rows are gathered by parent.
 * Every choice is an event: per step beam_expand (candidates), beam_select (their
 * fate), beam_finish (hypotheses that emitted <eos>, and at the end those that reach
 * the n-best without one), then run_end with the ranked n-best.
 *
 * Summary of the semantics (docs/decoding.md has the long form):
 *  - length L of a hypothesis = decoder steps taken = output tokens, <eos> included
 *    when it was emitted;
 *  - score = logprob / lp(L) + cp, lp = 1 | L^alpha | ((5+L)/6)^alpha,
 *    cp = beta * sum_j log(min(max(cov_j, 1e-6), 1)), cov_j = sum over the hypothesis's
 *    steps of its attention weight on source position j (0 when beta = 0). Every
 *    candidate at one step has the same L, so without coverage ranking by score is
 *    ranking by cumulative log-prob;
 *  - candidates: per alive hypothesis the 2k best *allowed* tokens by token log-prob
 *    (ties: lower id), plus the blocked tokens (min length, repeated n-gram) that
 *    rank above the last of them, shown with their reason. k+1 per parent is already
 *    enough (below), so the search is not approximated by this cut;
 *  - selection: allowed candidates sorted by score desc, then parent row asc, then token
 *    id asc. Walking that order: <eos> at rank < k finishes the hypothesis ("finished"),
 *    <eos> at rank >= k is "pruned_topk"; any other token is "kept" while fewer than k
 *    were kept, else "pruned_topk" (fairseq / Hugging Face convention). The next step's
 *    rows are the kept candidates in that order;
 *  - stop: after the step cap (decode_length_cap: <eos> counts as a step), when no
 *    hypothesis is alive, or by early stopping: EARLY_STOP_K_DONE when k hypotheses have
 *    finished; EARLY_STOP_BOUND when >= nbest have finished and no alive hypothesis can
 *    reach more than the nbest-th finished score. The bound used: log-probs only fall,
 *    lp grows with L for alpha >= 0 and cp <= 0, so any completion of an alive
 *    hypothesis with log-prob P scores at most P / lp(cap);
 *  - n-best: the finished hypotheses by score (ties: smaller id first); if fewer than
 *    nbest finished, hypotheses alive when the search stopped (they reached the cap)
 *    fill the list after them, by score, marked unfinished.
 * Why 2k (indeed k+1) candidates per parent lose nothing: within one parent every child
 * has the same length and coverage, so children rank by token log-prob. A child of
 * sibling rank > k+1 has at least k non-<eos> siblings ranked above it; it can neither
 * be kept (k kept before it) nor finish (its rank is >= k).
 *
 * Memory: the hypothesis tree (every kept or finished hypothesis: parent, token,
 * cumulative log-prob and the attention row of the step that made it) grows with the
 * steps actually taken; per-row buffers are sized by k. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attnstep/tensor.h"
#include "decode_internal.h"

#define COVERAGE_FLOOR 1e-6

/* ------------------------------------------------------------------------ */
/* The hypothesis tree                                                      */
/* ------------------------------------------------------------------------ */

typedef struct Node {
    int parent;      /* node id, -1 for the root */
    int token;       /* the token this hypothesis ends with (-1 for the root) */
    int steps;       /* tokens on the path, <eos> included */
} Node;

typedef struct Tree {
    Node *nodes;     /* (cap_nodes) */
    float *attn;     /* (cap_nodes, S) the attention row of the step that made node i; NULL without attention */
    int count, cap_nodes, S;
    int has_attn;    /* rows are kept (the model has attention) */
} Tree;

/* Adds a node; row (S floats, may be NULL) is copied. Returns its id, -1 on out of memory. */
static int tree_add(Tree *t, int parent, int token, const float *row) {
    if (t->count == t->cap_nodes) {
        int n = t->cap_nodes ? 2 * t->cap_nodes : 64;
        Node *nodes = realloc(t->nodes, (size_t)n * sizeof *nodes);
        if (!nodes) return -1;
        t->nodes = nodes;
        if (t->has_attn) {
            float *attn = realloc(t->attn, (size_t)n * t->S * sizeof *attn);
            if (!attn) return -1;
            t->attn = attn;
        }
        t->cap_nodes = n;
    }
    int id = t->count++;
    t->nodes[id].parent = parent;
    t->nodes[id].token = token;
    t->nodes[id].steps = parent >= 0 ? t->nodes[parent].steps + 1 : 0;
    if (t->has_attn) {
        if (row) memcpy(t->attn + (size_t)id * t->S, row, (size_t)t->S * sizeof(float));
        else memset(t->attn + (size_t)id * t->S, 0, (size_t)t->S * sizeof(float));
    }
    return id;
}

/* The path of node id: tokens (steps of them, <eos> included when it ends with one) and,
 * when attn_out is not NULL and the tree has attention, the rows (steps, S). Returns steps. */
static int tree_path(const Tree *t, int id, int *tokens, float *attn_out) {
    int steps = t->nodes[id].steps;
    for (int n = id, i = steps - 1; i >= 0; n = t->nodes[n].parent, i--) {
        tokens[i] = t->nodes[n].token;
        if (attn_out && t->attn) memcpy(attn_out + (size_t)i * t->S, t->attn + (size_t)n * t->S, (size_t)t->S * sizeof(float));
    }
    return steps;
}

/* ------------------------------------------------------------------------ */
/* Scores                                                                   */
/* ------------------------------------------------------------------------ */

/* lp(L) for L >= 1 decoder steps. */
static double length_penalty(const DecodeOptions *o, int len) {
    switch (o->lenpen) {
    case LENPEN_AVG: return pow((double)len, (double)o->alpha);
    case LENPEN_GNMT: return pow((5.0 + (double)len) / 6.0, (double)o->alpha);
    default: return 1.0;
    }
}

/* beta * sum_j log(min(max(cov_j, floor), 1)); cov: (S). 0 when beta = 0. */
static double coverage_penalty(const DecodeOptions *o, const double *cov, int S) {
    if (o->coverage_beta <= 0.0f) return 0.0;
    double sum = 0.0;
    for (int j = 0; j < S; j++) {
        double c = cov[j] < COVERAGE_FLOOR ? COVERAGE_FLOOR : cov[j] > 1.0 ? 1.0 : cov[j];
        sum += log(c);
    }
    return (double)o->coverage_beta * sum;
}

double decode_hyp_score(const DecodeOptions *o, const DecodeHyp *h, int S) {
    int L = h->len + (h->finished ? 1 : 0);
    double cp = 0.0;
    if (o->coverage_beta > 0.0f && h->attention && h->steps > 0) {
        for (int j = 0; j < S; j++) {
            double c = 0.0;
            for (int t = 0; t < h->steps; t++) c += h->attention[(size_t)t * S + j];
            cp += log(c < COVERAGE_FLOOR ? COVERAGE_FLOOR : c > 1.0 ? 1.0 : c);
        }
        cp *= (double)o->coverage_beta;
    }
    return h->logprob / length_penalty(o, L < 1 ? 1 : L) + cp;
}

/* ------------------------------------------------------------------------ */
/* Candidates                                                               */
/* ------------------------------------------------------------------------ */

enum { ST_NONE, ST_KEPT, ST_PRUNED, ST_NGRAM, ST_MINLEN, ST_FINISHED };
static const char *const STATUS_NAME[] = {"", "kept", "pruned_topk", "blocked_ngram", "blocked_minlen", "finished"};

typedef struct Cand {
    int row;         /* parent row this step */
    int token;
    float token_lp;
    double cum;      /* parent log-prob + token_lp */
    double score;    /* normalised, with coverage */
    int status;      /* ST_* ; ST_NGRAM / ST_MINLEN set at generation */
    int new_id;      /* kept: the new hypothesis id; else -1 */
    int rank;        /* position in the selection order; -1 when blocked */
} Cand;

typedef struct Finished {
    int id, parent, step;
    double logprob, score;
} Finished;

/* Selection order: score desc, parent row asc, token asc. */
static int cand_order(const void *a, const void *b) {
    const Cand *x = *(const Cand *const *)a, *y = *(const Cand *const *)b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    return x->token < y->token ? -1 : x->token > y->token;
}

/* Inserts (v, lp) into top (sorted by lp desc, id asc; n of at most M). Ids arrive in
 * increasing order, so an equal lp goes after the entries already there. */
static void top_insert(int *top_id, float *top_lp, int *n, int M, int v, float lp) {
    if (*n == M && !(lp > top_lp[M - 1])) return;
    int pos = *n < M ? (*n)++ : M - 1;
    while (pos > 0 && lp > top_lp[pos - 1]) {
        top_id[pos] = top_id[pos - 1];
        top_lp[pos] = top_lp[pos - 1];
        pos--;
    }
    top_id[pos] = v;
    top_lp[pos] = lp;
}

/* Marks in mark[] (Vt, all zero on entry) the tokens blocked after `tokens` (len of them,
 * no <eos>) at step t, and lists them in blocked[] (count returned; at most len + 1). */
static int find_blocked(const Model *m, const DecodeOptions *o, const int *tokens, int len, int t,
                        unsigned char *mark, int *blocked) {
    int nb = 0, n = o->no_repeat_ngram;
    if (t < o->min_len) {
        mark[m->tgt_eos] = ST_MINLEN;
        blocked[nb++] = m->tgt_eos;
    }
    if (n > 0 && len >= n - 1) {
        /* the new n-gram is tokens[len-n+1 .. len-1] + v; block v when that prefix occurred before */
        for (int i = 0; i + n - 1 < len; i++) {
            int same = 1;
            for (int j = 0; j < n - 1 && same; j++) same = tokens[i + j] == tokens[len - n + 1 + j];
            int v = tokens[i + n - 1];
            if (same && !mark[v]) {
                mark[v] = ST_NGRAM;
                blocked[nb++] = v;
            }
        }
    }
    return nb;
}

/* ------------------------------------------------------------------------ */
/* Events                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct EventScratch {
    int *parent, *token, *new_id, *rank;
    const char **token_str, **status;
    float *token_lp, *cum, *score;
} EventScratch;

static int emit_expand_select(const Model *m, const Cand *c, int nc, const int *row_id, int B, int t, int forced,
                              const char *stopped, EventScratch *e, const EventSink *sink, Status *st) {
    if (!sink || !sink->emit) return 0;
    for (int i = 0; i < nc; i++) {
        e->parent[i] = row_id[c[i].row];
        e->token[i] = c[i].token;
        e->token_str[i] = vocab_token(m->tgt_vocab, c[i].token);
        e->token_lp[i] = c[i].token_lp;
        e->cum[i] = (float)c[i].cum;
        e->score[i] = (float)c[i].score;
        e->status[i] = STATUS_NAME[c[i].status];
        e->new_id[i] = c[i].new_id;
        e->rank[i] = c[i].rank;
    }
    Event ev;
    event_begin(&ev, "beam_expand");
    event_int(&ev, "step", t);
    event_ints(&ev, "alive", row_id, B);
    event_int(&ev, "norm_len", t + 1);
    event_int(&ev, "forced", forced);
    event_ints(&ev, "parent", e->parent, nc);
    event_ints(&ev, "token", e->token, nc);
    event_strs(&ev, "token_str", e->token_str, nc);
    event_floats(&ev, "token_logprob", e->token_lp, nc);
    event_floats(&ev, "cum_logprob", e->cum, nc);
    event_floats(&ev, "score", e->score, nc);
    if (event_emit(sink, &ev)) return status_fail(st, "event sink aborted the run");
    event_begin(&ev, "beam_select");
    event_int(&ev, "step", t);
    event_strs(&ev, "status", e->status, nc);
    event_ints(&ev, "new_id", e->new_id, nc);
    event_ints(&ev, "rank", e->rank, nc);
    if (stopped) event_str(&ev, "stopped", stopped);
    if (event_emit(sink, &ev)) return status_fail(st, "event sink aborted the run");
    return 0;
}

/* beam_finish for hypothesis id (path in tree). */
static int emit_finish(const Model *m, const Tree *tree, int id, int step, double logprob, double score,
                       int finished, const char *reason, int *path, const EventSink *sink, Status *st) {
    if (!sink || !sink->emit) return 0;
    int steps = tree_path(tree, id, path, NULL);
    int len = steps - (finished ? 1 : 0);
    DecodeHyp h; /* only for its text */
    if (decode_fill_hyp(m, &h, path, len, NULL, 0, 0, finished, logprob, score, st)) return -1;
    Event ev;
    event_begin(&ev, "beam_finish");
    event_int(&ev, "step", step);
    event_int(&ev, "hyp", id);
    event_int(&ev, "parent", tree->nodes[id].parent);
    event_ints(&ev, "tokens", path, len);
    event_str(&ev, "text", h.text);
    event_float(&ev, "logprob", logprob);
    event_float(&ev, "score", score);
    event_int(&ev, "len", len);
    event_int(&ev, "norm_len", steps);
    event_int(&ev, "finished", finished);
    event_str(&ev, "reason", reason);
    int rc = event_emit(sink, &ev) ? status_fail(st, "event sink aborted the run") : 0;
    free(h.tokens);
    free(h.text);
    free(h.attention);
    return rc;
}

/* Finished hypotheses, kept sorted by score desc, id asc. */
static int finished_order(const Finished *a, const Finished *b) {
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* ------------------------------------------------------------------------ */
/* The search                                                               */
/* ------------------------------------------------------------------------ */

int decode_beam_search(const Model *m, const int *src_ids, int S, const DecodeOptions *o,
                       const EventSink *sink, DecodeResult *res, Status *st) {
    const int K = o->beam_size, Vt = vocab_size(m->tgt_vocab), SS = m->state_size;
    const int cap = decode_length_cap(m, o, S), has_attn = m->has_attention;
    const int M = 2 * K < Vt ? 2 * K : Vt;                 /* allowed candidates per parent */
    const int per = M + cap + 1 < Vt ? M + cap + 1 : Vt;   /* + blocked ones (<= len + 1) */
    const size_t NC = (size_t)K * per;
    int rc = -1;

    Tree tree = {.S = S, .has_attn = has_attn};
    ModelRun *r = model_run_new(m, S, K, st);
    float *states = malloc((size_t)3 * K * SS * sizeof(float));  /* cur, next, step output */
    float *logprobs = malloc((size_t)K * Vt * sizeof(float));
    double *cov = calloc((size_t)2 * K * S, sizeof(double));   /* cur, next: (K, S) each */
    double *cov_new = malloc((size_t)K * S * sizeof(double));  /* parent coverage incl. this step */
    double *row_lp = malloc((size_t)2 * K * sizeof(double));
    double *row_cp = malloc((size_t)K * sizeof(double));
    int *row_id = malloc((size_t)2 * K * sizeof(int));
    int *row_tok = malloc((size_t)2 * K * sizeof(int));
    Cand *cands = malloc(NC * sizeof(Cand));
    Cand **order = malloc(NC * sizeof(Cand *));
    int *top_id = malloc((size_t)M * sizeof(int));
    float *top_lp = malloc((size_t)M * sizeof(float));
    unsigned char *mark = calloc((size_t)Vt, 1);
    int *blocked = malloc(((size_t)cap + 2) * sizeof(int));
    int *path = malloc(((size_t)cap + 2) * sizeof(int));
    float *path_attn = has_attn ? malloc(((size_t)cap + 1) * S * sizeof(float)) : NULL;
    Finished *fin = NULL;
    int nfin = 0, fin_cap = 0, nfin_total = 0;
    int *step_fin = malloc((size_t)K * sizeof(int));
    float *st_cur, *st_next, *st_out;
    double *cov_cur, *cov_next, *lp_cur, *lp_next;
    int *id_cur, *id_next, *tok_cur, *tok_next;
    int B = 1, t = 0;
    const char *stopped = NULL;
    const double lp_cap = length_penalty(o, cap);
    EventScratch e = {
        .parent = malloc(NC * sizeof(int)), .token = malloc(NC * sizeof(int)),
        .new_id = malloc(NC * sizeof(int)), .rank = malloc(NC * sizeof(int)),
        .token_str = malloc(NC * sizeof(char *)), .status = malloc(NC * sizeof(char *)),
        .token_lp = malloc(NC * sizeof(float)), .cum = malloc(NC * sizeof(float)), .score = malloc(NC * sizeof(float)),
    };
    if (!r || !states || !logprobs || !cov || !cov_new || !row_lp || !row_cp || !row_id || !row_tok ||
        !cands || !order || !top_id || !top_lp || !mark || !blocked || !path || (has_attn && !path_attn) || !step_fin ||
        !e.parent || !e.token || !e.new_id || !e.rank || !e.token_str || !e.status || !e.token_lp || !e.cum || !e.score) {
        if (r) status_fail(st, "out of memory for beam search (k = %d)", K);
        goto done;
    }

    /* Row buffers: [cur] (this step's parents) and [next] (the kept candidates); the
     * decoder step writes its new states by parent row into st_out. */
    st_cur = states; st_next = states + (size_t)K * SS; st_out = states + (size_t)2 * K * SS;
    cov_cur = cov; cov_next = cov + (size_t)K * S;
    lp_cur = row_lp; lp_next = row_lp + K;
    id_cur = row_id; id_next = row_id + K; tok_cur = row_tok; tok_next = row_tok + K;
    if (model_encode(m, r, src_ids, S, sink, st)) goto done;
    model_initial_state(m, r, st_cur);
    if (tree_add(&tree, -1, -1, NULL) < 0) { status_fail(st, "out of memory for beam search"); goto done; }
    id_cur[0] = 0;
    tok_cur[0] = m->tgt_sos;
    lp_cur[0] = 0.0;

    for (t = 0; t < cap && B > 0 && !stopped; t++) {
        const float *override = t == o->override_step ? o->override_weights : NULL;
        if (model_decode_step(m, r, st_out, logprobs, st_cur, tok_cur, id_cur, override, B, t, sink, st)) goto done;
        for (int b = 0; b < B; b++)
            if (decode_emit_output(m, o, logprobs + (size_t)b * Vt, t, id_cur[b], -1, "", sink, st)) goto done;

        /* coverage of each parent including this step's row, and its penalty */
        for (int b = 0; b < B; b++) {
            double *cn = cov_new + (size_t)b * S;
            const float *w = has_attn ? model_last_weights(m, r, b) : NULL;
            for (int j = 0; j < S; j++) cn[j] = cov_cur[(size_t)b * S + j] + (w ? (double)w[j] : 0.0);
            row_cp[b] = coverage_penalty(o, cn, S);
        }
        const double lp_len = length_penalty(o, t + 1);
        const int forced = t < o->force_prefix_len;

        /* candidates, parent by parent, in sibling rank order */
        int nc = 0;
        for (int b = 0; b < B; b++) {
            const float *lpb = logprobs + (size_t)b * Vt;
            if (forced) {
                int v = o->force_prefix[t];
                cands[nc++] = (Cand){.row = b, .token = v, .token_lp = lpb[v], .status = ST_NONE, .new_id = -1, .rank = -1};
                continue;
            }
            int len = o->no_repeat_ngram > 0 ? tree_path(&tree, id_cur[b], path, NULL) : 0;
            int nb = find_blocked(m, o, path, len, t, mark, blocked);
            int ntop = 0;
            for (int v = 0; v < Vt; v++)
                if (!mark[v]) top_insert(top_id, top_lp, &ntop, M, v, lpb[v]);
            /* merge the blocked tokens that rank above the last allowed candidate; the
             * merged ones are swapped to the tail blocked[left..nb) */
            int i = 0, left = nb;
            for (;;) {
                int q_best = -1; /* the best blocked token not yet merged */
                for (int q = 0; q < left; q++) {
                    int v = blocked[q], bv = q_best >= 0 ? blocked[q_best] : -1;
                    if (q_best < 0 || lpb[v] > lpb[bv] || (lpb[v] == lpb[bv] && v < bv)) q_best = q;
                }
                int best = q_best >= 0 ? blocked[q_best] : -1;
                int take_blocked = best >= 0 &&
                    (i < ntop ? (lpb[best] > top_lp[i] || (lpb[best] == top_lp[i] && best < top_id[i])) : ntop < M);
                if (take_blocked) {
                    cands[nc++] = (Cand){.row = b, .token = best, .token_lp = lpb[best], .status = mark[best], .new_id = -1, .rank = -1};
                    blocked[q_best] = blocked[left - 1];
                    blocked[--left] = best;
                } else if (i < ntop) {
                    cands[nc++] = (Cand){.row = b, .token = top_id[i], .token_lp = top_lp[i], .status = ST_NONE, .new_id = -1, .rank = -1};
                    i++;
                } else {
                    break;
                }
            }
            for (int q = 0; q < nb; q++) mark[blocked[q]] = 0;
        }
        int norder = 0;
        for (int i = 0; i < nc; i++) {
            Cand *c = &cands[i];
            c->cum = lp_cur[c->row] + (double)c->token_lp;
            c->score = c->cum / lp_len + row_cp[c->row];
            if (c->status == ST_NONE) order[norder++] = c;
        }
        qsort(order, (size_t)norder, sizeof *order, cand_order);

        /* selection */
        int kept = 0, nstep_fin = 0;
        for (int i = 0; i < norder; i++) {
            Cand *c = order[i];
            c->rank = i;
            const float *w = has_attn ? model_last_weights(m, r, c->row) : NULL;
            if (c->token == m->tgt_eos) {
                if (i >= K) { c->status = ST_PRUNED; continue; }
                int id = tree_add(&tree, id_cur[c->row], c->token, w);
                if (id < 0) { status_fail(st, "out of memory for beam search"); goto done; }
                if (nfin == fin_cap) {
                    int n = fin_cap ? 2 * fin_cap : 16;
                    Finished *f = realloc(fin, (size_t)n * sizeof *f);
                    if (!f) { status_fail(st, "out of memory for beam search"); goto done; }
                    fin = f;
                    fin_cap = n;
                }
                Finished f = {.id = id, .parent = id_cur[c->row], .step = t, .logprob = c->cum, .score = c->score};
                int pos = nfin++;
                while (pos > 0 && finished_order(&f, &fin[pos - 1]) < 0) { fin[pos] = fin[pos - 1]; pos--; }
                fin[pos] = f;
                nfin_total++;
                step_fin[nstep_fin++] = id;
                c->status = ST_FINISHED;
            } else if (kept < K) {
                int id = tree_add(&tree, id_cur[c->row], c->token, w);
                if (id < 0) { status_fail(st, "out of memory for beam search"); goto done; }
                c->status = ST_KEPT;
                c->new_id = id;
                id_next[kept] = id;
                tok_next[kept] = c->token;
                lp_next[kept] = c->cum;
                memcpy(st_next + (size_t)kept * SS, st_out + (size_t)c->row * SS, (size_t)SS * sizeof(float));
                memcpy(cov_next + (size_t)kept * S, cov_new + (size_t)c->row * S, (size_t)S * sizeof(double));
                kept++;
            } else {
                c->status = ST_PRUNED;
            }
        }

        /* stopping */
        if (o->early_stop == EARLY_STOP_K_DONE && nfin_total >= K) stopped = "k_done";
        else if (o->early_stop == EARLY_STOP_BOUND && nfin >= o->nbest && kept > 0) {
            double best = -INFINITY;
            for (int b = 0; b < kept; b++) if (lp_next[b] > best) best = lp_next[b];
            if (best / lp_cap <= fin[o->nbest - 1].score) stopped = "bound";
        }
        if (!stopped && kept == 0) stopped = "no_alive";
        if (!stopped && t + 1 == cap) stopped = "length_cap";

        if (emit_expand_select(m, cands, nc, id_cur, B, t, forced, stopped, &e, sink, st)) goto done;
        for (int i = 0; i < nstep_fin; i++) {
            int id = step_fin[i];
            const Finished *f = NULL;
            for (int q = 0; q < nfin && !f; q++) if (fin[q].id == id) f = &fin[q];
            if (emit_finish(m, &tree, id, t, f->logprob, f->score, 1, "eos", path, sink, st)) goto done;
        }

        /* the kept candidates become the rows of the next step */
        { float *s = st_cur; st_cur = st_next; st_next = s; }
        { double *s = cov_cur; cov_cur = cov_next; cov_next = s; }
        { double *s = lp_cur; lp_cur = lp_next; lp_next = s; }
        { int *s = id_cur; id_cur = id_next; id_next = s; }
        { int *s = tok_cur; tok_cur = tok_next; tok_next = s; }
        B = kept;
    }

    /* n-best: finished first (sorted), then the alive hypotheses (the cap or early stop
     * ended them) in row order, which is their score order. */
    {
        int n = 0;
        res->source_len = S;
        for (int i = 0; i < nfin && n < o->nbest; i++, n++) {
            int steps = tree_path(&tree, fin[i].id, path, path_attn);
            if (decode_fill_hyp(m, &res->hyps[n], path, steps - 1, path_attn, steps, S, 1, fin[i].logprob, fin[i].score, st)) goto done;
            res->count = n + 1;
        }
        for (int b = 0; b < B && n < o->nbest; b++, n++) {
            int steps = tree_path(&tree, id_cur[b], path, path_attn);
            double score = lp_cur[b] / length_penalty(o, steps) + coverage_penalty(o, cov_cur + (size_t)b * S, S);
            if (decode_fill_hyp(m, &res->hyps[n], path, steps, path_attn, steps, S, 0, lp_cur[b], score, st)) goto done;
            res->count = n + 1;
            if (emit_finish(m, &tree, id_cur[b], t - 1, lp_cur[b], score, 0, "length_cap", path, sink, st)) goto done;
        }
        if (n == 0) {
            status_fail(st, "beam search ended without a hypothesis (every continuation was blocked)");
            goto done;
        }
    }
    rc = decode_emit_run_end(res, sink, st);
done:
    model_run_free(r);
    free(states); free(logprobs); free(cov); free(cov_new); free(row_lp); free(row_cp);
    free(row_id); free(row_tok); free(cands); free(order); free(top_id); free(top_lp);
    free(mark); free(blocked); free(path); free(path_attn); free(fin); free(step_fin);
    free(e.parent); free(e.token); free(e.new_id); free(e.rank); free(e.token_str); free(e.status);
    free(e.token_lp); free(e.cum); free(e.score);
    free(tree.nodes); free(tree.attn);
    return rc;
}
