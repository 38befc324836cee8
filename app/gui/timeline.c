/* timeline.c — the trace index and its positions (see timeline.h). */
#include "timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is(const Event *ev, const char *type) { return !strcmp(ev->type, type); }

void tl_free(TraceIndex *ix) {
    if (!ix) return;
    free(ix->enc);
    free(ix->enc_at);
    free(ix->steps);
    free(ix->finish);
    free(ix->hyps);
    free(ix->pos);
    memset(ix, 0, sizeof *ix);
}

static const char *str_or(const Event *ev, const char *key, const char *fallback) {
    const char *s = event_get_str(ev, key);
    return s ? s : fallback;
}

/* Builds the beam tree nodes and marks the best and greedy paths. */
static int build_beam(TraceIndex *ix, const Event **expand, const Event **select, int n_steps, Status *st) {
    int total = 0;
    for (int s = 0; s < n_steps; s++) {
        int n = 0;
        if (expand[s]) event_get_ints(expand[s], "parent", &n);
        total += n;
    }
    ix->hyps = calloc(total ? (size_t)total : 1, sizeof *ix->hyps);
    if (!ix->hyps) return status_fail(st, "out of memory");
    for (int s = 0; s < n_steps; s++) {
        if (!expand[s]) continue;
        int n = 0, nt, nts, ntl, ncl, nsc, nst = 0, nid = 0;
        const int *parent = event_get_ints(expand[s], "parent", &n);
        const int *token = event_get_ints(expand[s], "token", &nt);
        const char *const *tstr = event_get_strs(expand[s], "token_str", &nts);
        const float *tl = event_get_floats(expand[s], "token_logprob", &ntl);
        const float *cl = event_get_floats(expand[s], "cum_logprob", &ncl);
        const float *sc = event_get_floats(expand[s], "score", &nsc);
        const char *const *status = select[s] ? event_get_strs(select[s], "status", &nst) : NULL;
        const int *new_id = select[s] ? event_get_ints(select[s], "new_id", &nid) : NULL;
        int nrk = 0;
        const int *rank = select[s] ? event_get_ints(select[s], "rank", &nrk) : NULL;
        if (nt != n || nts != n || ntl != n || ncl != n || nsc != n || (status && nst != n) || (new_id && nid != n))
            return status_fail(st, "beam_expand/beam_select of step %d: arrays of different lengths", s);
        for (int k = 0; k < n; k++) {
            TlHyp *h = &ix->hyps[ix->n_hyps++];
            h->id = new_id ? new_id[k] : -1;
            h->parent = parent[k];
            h->step = s;
            h->token = token[k];
            h->token_str = tstr[k];
            h->token_logprob = tl[k];
            h->cum_logprob = cl[k];
            h->score = sc[k];
            h->cand = k;
            h->rank = rank && nrk == n ? rank[k] : k;
            h->reason = status ? status[k] : "";
            if (!status) h->status = TL_PRUNED;
            else if (!strcmp(status[k], "kept")) h->status = TL_KEPT;
            else if (!strcmp(status[k], "finished")) h->status = TL_FINISHED;
            else if (!strncmp(status[k], "blocked", 7)) h->status = TL_BLOCKED;
            else h->status = TL_PRUNED;
        }
    }
    /* finished candidates take their id from beam_finish (matched by step and parent) */
    for (int f = 0; f < ix->n_finish; f++) {
        const Event *e = ix->finish[f];
        int step = (int)event_get_int(e, "step", -1), parent = (int)event_get_int(e, "parent", -1);
        int hyp = (int)event_get_int(e, "hyp", -1);
        for (int i = 0; i < ix->n_hyps; i++) {
            TlHyp *h = &ix->hyps[i];
            if (h->step == step && h->parent == parent && h->id < 0 && h->status == TL_FINISHED) { h->id = hyp; break; }
            if (h->step == step && h->id == hyp) break; /* a length-capped hypothesis keeps its id */
        }
    }
    return 0;
}

static TlHyp *hyp_by_id(TraceIndex *ix, int id) {
    if (id < 0) return NULL;
    for (int i = 0; i < ix->n_hyps; i++)
        if (ix->hyps[i].id == id) return &ix->hyps[i];
    return NULL;
}

/* The per-step events of the focus hypothesis focus[s] of every step, and the chosen token:
 * greedy from the output event, beam the candidate on the best path (by_sel: on the
 * selected path). */
static void assign_steps(TraceIndex *ix, const int *focus, int by_sel) {
    const Trace *t = ix->trace;
    long n = trace_count(t);
    int n_steps = ix->n_steps;
    for (int s = 0; s < n_steps; s++) {
        TlStep *ts = &ix->steps[s];
        const Event *ex = ts->expand, *se = ts->select;
        memset(ts, 0, sizeof *ts);
        ts->expand = ex;
        ts->select = se;
        ts->beam = focus[s];
        ts->chosen = -1;
    }
    for (long i = 0; i < n; i++) {
        const Event *ev = trace_get(t, i);
        long s = event_get_int(ev, "step", -1);
        if (s < 0 || s >= n_steps) continue;
        TlStep *ts = &ix->steps[s];
        if (event_get_int(ev, "beam", -2) != ts->beam) continue;
        if (is(ev, "embed")) ts->embed = ev;
        else if (is(ev, "attn")) ts->attn = ev;
        else if (is(ev, "context")) ts->context = ev;
        else if (is(ev, "attn_hidden")) ts->attn_hidden = ev;
        else if (is(ev, "output")) ts->output = ev;
        else if (is(ev, "dec_step")) {
            int l = (int)event_get_int(ev, "layer", 0);
            if (l >= 0 && l < TL_MAX_LAYERS) ts->dec[l] = ev;
        }
    }
    for (int s = 0; s < n_steps; s++) {
        TlStep *ts = &ix->steps[s];
        if (!ix->is_beam) {
            if (ts->output) {
                ts->chosen = (int)event_get_int(ts->output, "chosen", -1);
                ts->chosen_token = event_get_str(ts->output, "chosen_token");
            }
        } else if (ts->beam >= 0) {
            /* the candidate of this step on the best (selected) path */
            for (int i = 0; i < ix->n_hyps; i++) {
                TlHyp *h = &ix->hyps[i];
                if (h->step == s && h->parent == ts->beam && (by_sel ? h->on_sel : h->on_best)) {
                    ts->chosen = h->token;
                    ts->chosen_token = h->token_str;
                }
            }
        }
    }
}

int tl_select_node(TraceIndex *ix, int node, Status *st) {
    if (!ix->is_beam) return status_fail(st, "only a beam-search trace has hypotheses to select");
    if (node < -1 || node >= ix->n_hyps) return status_fail(st, "no tree node %d (the tree has %d)", node, ix->n_hyps);
    int *focus = malloc((ix->n_steps ? (size_t)ix->n_steps : 1) * sizeof *focus);
    if (!focus) return status_fail(st, "out of memory");
    for (int i = 0; i < ix->n_hyps; i++) ix->hyps[i].on_sel = 0;
    if (node < 0) {
        /* the best path: the focus of each step is the parent of its on_best candidate */
        for (int s = 0; s < ix->n_steps; s++) focus[s] = -1;
        for (int i = 0; i < ix->n_hyps; i++)
            if (ix->hyps[i].on_best && ix->hyps[i].step >= 0 && ix->hyps[i].step < ix->n_steps) focus[ix->hyps[i].step] = ix->hyps[i].parent;
        if (ix->n_steps > 0 && focus[0] < 0) focus[0] = 0;
        ix->sel_node = -1;
        assign_steps(ix, focus, 0);
        free(focus);
        return 0;
    }
    for (int s = 0; s < ix->n_steps; s++) focus[s] = -1;
    TlHyp *h = &ix->hyps[node];
    int guard = 0;
    while (h && guard++ <= ix->n_steps) {
        h->on_sel = 1;
        if (h->step >= 0 && h->step < ix->n_steps) focus[h->step] = h->parent;
        h = h->parent > 0 ? hyp_by_id(ix, h->parent) : NULL;
    }
    ix->sel_node = node;
    assign_steps(ix, focus, 1);
    free(focus);
    return 0;
}

int tl_build(TraceIndex *ix, const Trace *t, Status *st) {
    memset(ix, 0, sizeof *ix);
    ix->trace = t;
    long n = trace_count(t);
    const Event **expand = NULL, **select = NULL;
    int *focus = NULL;
    int n_steps = 0;
    for (long i = 0; i < n; i++) {
        const Event *ev = trace_get(t, i);
        if (!ix->run && is(ev, "run")) ix->run = ev;
        else if (is(ev, "run_end")) ix->run_end = ev;
        else if (is(ev, "enc_step")) ix->n_enc++;
        else if (is(ev, "beam_finish")) ix->n_finish++;
        if (!is(ev, "run") && !is(ev, "run_end") && !is(ev, "enc_step") && !(is(ev, "embed") && event_get_str(ev, "side") &&
                                                                            !strcmp(event_get_str(ev, "side"), "src"))) {
            long s = event_get_int(ev, "step", -1);
            if (s >= 0 && s + 1 > n_steps) n_steps = (int)s + 1;
        }
    }
    if (!ix->run) return status_fail(st, "the trace has no 'run' event (is it an attnstep trace?)");
    if (n_steps > 100000) return status_fail(st, "the trace has too many decoder steps (%d)", n_steps);
    const Event *r = ix->run;
    ix->model = str_or(r, "model", "?");
    ix->arch = str_or(r, "arch", "?");
    ix->cell = str_or(r, "cell", "?");
    ix->scorer = str_or(r, "scorer", "none");
    ix->window = str_or(r, "window", "global");
    ix->query = str_or(r, "query", "prev");
    ix->strategy = str_or(r, "strategy", "greedy");
    ix->hidden = (int)event_get_int(r, "hidden", 0);
    ix->layers = (int)event_get_int(r, "layers", 1);
    ix->bidirectional = (int)event_get_int(r, "bidirectional", 0);
    ix->beam_size = (int)event_get_int(r, "beam_size", 1);
    ix->is_beam = !strcmp(ix->strategy, "beam");
    ix->src_tokens = event_get_strs(r, "src_tokens", &ix->S);
    if (!ix->src_tokens || ix->S <= 0) return status_fail(st, "the run event has no src_tokens");

    /* encoder */
    ix->enc = calloc(ix->n_enc ? (size_t)ix->n_enc : 1, sizeof *ix->enc);
    ix->finish = calloc(ix->n_finish ? (size_t)ix->n_finish : 1, sizeof *ix->finish);
    ix->steps = calloc(n_steps ? (size_t)n_steps : 1, sizeof *ix->steps);
    expand = calloc(n_steps ? (size_t)n_steps : 1, sizeof *expand);
    select = calloc(n_steps ? (size_t)n_steps : 1, sizeof *select);
    focus = malloc((n_steps ? (size_t)n_steps : 1) * sizeof *focus);
    if (!ix->enc || !ix->finish || !ix->steps || !expand || !select || !focus) { status_fail(st, "out of memory"); goto fail; }
    ix->n_steps = n_steps;
    int ne = 0, nf = 0;
    ix->enc_layers = 1;
    ix->enc_dirs = 1;
    for (long i = 0; i < n; i++) {
        const Event *ev = trace_get(t, i);
        if (is(ev, "enc_step")) {
            ix->enc[ne++] = ev;
            int l = (int)event_get_int(ev, "layer", 0), d = (int)event_get_int(ev, "dir", 0);
            int p = (int)event_get_int(ev, "pos", -1);
            if (l < 0 || l >= TL_MAX_LAYERS || d < 0 || d > 1 || p < 0 || p >= ix->S) {
                status_fail(st, "enc_step seq %ld: layer %d, dir %d or pos %d out of range", ev->seq, l, d, p);
                goto fail;
            }
            if (l + 1 > ix->enc_layers) ix->enc_layers = l + 1;
            if (d + 1 > ix->enc_dirs) ix->enc_dirs = d + 1;
        } else if (is(ev, "beam_finish")) {
            ix->finish[nf++] = ev;
        } else if (is(ev, "beam_expand") || is(ev, "beam_select")) {
            long s = event_get_int(ev, "step", -1);
            if (s >= 0 && s < n_steps) (is(ev, "beam_expand") ? expand : select)[s] = ev;
        }
    }
    ix->enc_at = calloc((size_t)(ix->enc_layers * ix->enc_dirs * ix->S), sizeof *ix->enc_at);
    if (!ix->enc_at) { status_fail(st, "out of memory"); goto fail; }
    for (int i = 0; i < ix->n_enc; i++) {
        const Event *ev = ix->enc[i];
        int l = (int)event_get_int(ev, "layer", 0), d = (int)event_get_int(ev, "dir", 0);
        ix->enc_at[(l * ix->enc_dirs + d) * ix->S + tl_enc_pos(ix, i)] = ev;
    }

    /* focus hypothesis per step */
    for (int s = 0; s < n_steps; s++) focus[s] = ix->is_beam ? -1 : 0;
    if (ix->is_beam) {
        if (build_beam(ix, expand, select, n_steps, st)) goto fail;
        const Event *best = NULL;
        int nb = 0;
        const char *const *nbest = ix->run_end ? event_get_strs(ix->run_end, "nbest", &nb) : NULL;
        for (int f = 0; f < ix->n_finish && !best; f++) {
            const char *text = event_get_str(ix->finish[f], "text");
            if (nb > 0 && text && !strcmp(text, nbest[0])) best = ix->finish[f];
        }
        if (!best && ix->n_finish > 0) best = ix->finish[0];
        if (best) {
            int s = (int)event_get_int(best, "step", -1);
            int parent = (int)event_get_int(best, "parent", -1);
            TlHyp *fin = hyp_by_id(ix, (int)event_get_int(best, "hyp", -1));
            if (fin) fin->on_best = 1;
            while (s >= 0 && s < n_steps) {
                focus[s] = parent;
                TlHyp *h = hyp_by_id(ix, parent);
                if (!h) break;
                h->on_best = 1;
                parent = h->parent;
                s = h->step;
            }
        } else {
            for (int s = 0; s < n_steps; s++) focus[s] = 0;
        }
        /* the greedy path: from hypothesis 0, follow each node's best-ranked candidate while it is kept */
        int cur = 0;
        for (int s = 0; s < n_steps && cur >= 0; s++) {
            TlHyp *bestc = NULL;
            for (int i = 0; i < ix->n_hyps; i++) {
                TlHyp *h = &ix->hyps[i];
                if (h->step == s && h->parent == cur && h->status != TL_BLOCKED &&
                    (!bestc || h->token_logprob > bestc->token_logprob))
                    bestc = h;
            }
            if (!bestc) break;
            bestc->on_greedy = 1;
            cur = bestc->status == TL_KEPT ? bestc->id : -1;
        }
    }

    for (int s = 0; s < n_steps; s++) {
        ix->steps[s].expand = expand[s];
        ix->steps[s].select = select[s];
    }
    ix->sel_node = -1;
    assign_steps(ix, focus, 0);

    /* phase order within a step, from the first step's events */
    for (int k = 0; k < PH_COUNT; k++) ix->phase_order[k] = -1;
    if (n_steps > 0) {
        const TlStep *s0 = &ix->steps[0];
        double key[PH_COUNT];
        for (int k = 0; k < PH_COUNT; k++) key[k] = -1;
        if (s0->attn) { key[PH_ENERGY] = (double)s0->attn->seq; key[PH_WEIGHTS] = s0->attn->seq + 0.5; }
        if (s0->context) key[PH_CONTEXT] = (double)s0->context->seq;
        if (s0->dec[0]) key[PH_DECODER] = (double)s0->dec[0]->seq;
        if (s0->output) key[PH_OUTPUT] = (double)s0->output->seq;
        if (s0->expand) key[PH_EXPAND] = (double)s0->expand->seq;
        key[PH_CHOSEN] = 1e18;
        int rank = 0;
        for (;;) {
            int best = -1;
            for (int k = PH_ENERGY; k <= PH_CHOSEN; k++)
                if (key[k] >= 0 && ix->phase_order[k] < 0 && (best < 0 || key[k] < key[best])) best = k;
            if (best < 0) break;
            ix->phase_order[best] = rank++;
        }
    }

    /* positions */
    int nph = 0;
    for (int k = 0; k < PH_COUNT; k++) nph += ix->phase_order[k] >= 0;
    ix->n_pos = 2 + ix->n_enc + n_steps * nph;
    ix->pos = calloc((size_t)ix->n_pos, sizeof *ix->pos);
    if (!ix->pos) { status_fail(st, "out of memory"); goto fail; }
    int np = 0;
    ix->pos[np++] = (TlPos){PH_START, 0, -1};
    for (int i = 0; i < ix->n_enc; i++) ix->pos[np++] = (TlPos){PH_ENC, i, -1};
    for (int s = 0; s < n_steps; s++)
        for (int r = 0; r < nph; r++)
            for (int k = 0; k < PH_COUNT; k++)
                if (ix->phase_order[k] == r) ix->pos[np++] = (TlPos){(Phase)k, ix->n_enc, s};
    ix->pos[np++] = (TlPos){PH_END, ix->n_enc, n_steps};
    ix->n_pos = np;
    free(expand);
    free(select);
    free(focus);
    return 0;
fail:
    free(expand);
    free(select);
    free(focus);
    tl_free(ix);
    return -1;
}

int tl_shown(const TraceIndex *ix, int p, int step, Phase phase) {
    if (p < 0 || p >= ix->n_pos || step < 0 || step >= ix->n_steps) return 0;
    const TlPos *q = &ix->pos[p];
    if (q->phase == PH_END) return 1;
    if (q->step < 0 || step > q->step) return 0;
    if (step < q->step) return 1;
    return ix->phase_order[phase] >= 0 && ix->phase_order[phase] <= ix->phase_order[q->phase];
}

int tl_enc_shown(const TraceIndex *ix, int p, int i) {
    if (p < 0 || p >= ix->n_pos) return 0;
    const TlPos *q = &ix->pos[p];
    if (q->phase == PH_START) return 0;
    if (q->phase == PH_ENC) return i <= q->enc;
    return 1;
}

int tl_step_of(const TraceIndex *ix, int p) {
    if (p < 0 || p >= ix->n_pos) return -1;
    return ix->pos[p].step;
}

int tl_next_step(const TraceIndex *ix, int p) {
    if (p < 0) return 0;
    if (p >= ix->n_pos - 1) return ix->n_pos - 1;
    int s = ix->pos[p].step;
    for (int q = p + 1; q < ix->n_pos; q++)
        if (ix->pos[q].step != s) return q;
    return ix->n_pos - 1;
}

int tl_prev_step(const TraceIndex *ix, int p) {
    if (p <= 0) return 0;
    if (p >= ix->n_pos) p = ix->n_pos - 1;
    int s = ix->pos[p].step;
    int first = p;
    while (first > 0 && ix->pos[first - 1].step == s) first--;
    if (first < p) return first;
    if (first == 0) return 0;
    int s2 = ix->pos[first - 1].step;
    int q = first - 1;
    while (q > 0 && ix->pos[q - 1].step == s2) q--;
    return q;
}

int tl_chosen_shown(const TraceIndex *ix, int p, int step) { return tl_shown(ix, p, step, PH_CHOSEN); }

const Event *tl_enc_top(const TraceIndex *ix, int pos, int dir) {
    if (pos < 0 || pos >= ix->S || dir < 0 || dir >= ix->enc_dirs) return NULL;
    return ix->enc_at[((ix->enc_layers - 1) * ix->enc_dirs + dir) * ix->S + pos];
}

const char *tl_phase_name(Phase ph) {
    switch (ph) {
    case PH_START: return "start";
    case PH_ENC: return "encoder step";
    case PH_ENERGY: return "attention energies";
    case PH_WEIGHTS: return "softmax weights";
    case PH_CONTEXT: return "context vector";
    case PH_DECODER: return "decoder RNN";
    case PH_OUTPUT: return "output distribution";
    case PH_EXPAND: return "beam candidates";
    case PH_CHOSEN: return "chosen token";
    case PH_END: return "end";
    default: return "?";
    }
}

const char *tl_describe(const TraceIndex *ix, int p, char *buf, size_t n) {
    if (p < 0 || p >= ix->n_pos) { snprintf(buf, n, "-"); return buf; }
    const TlPos *q = &ix->pos[p];
    switch (q->phase) {
    case PH_START: snprintf(buf, n, "start: %d source tokens", ix->S); break;
    case PH_ENC: {
        const Event *e = ix->enc[q->enc];
        const char *tok = event_get_str(e, "token");
        int l = (int)event_get_int(e, "layer", 0), d = (int)event_get_int(e, "dir", 0);
        char extra[64] = "";
        if (ix->enc_layers > 1 || ix->enc_dirs > 1)
            snprintf(extra, sizeof extra, " (layer %d, %s)", l + 1, d ? "backward" : "forward");
        snprintf(buf, n, "encoder step %d/%d: \"%s\"%s", tl_enc_pos(ix, q->enc) + 1, ix->S, tok ? tok : "?", extra);
        break;
    }
    case PH_END: {
        const char *out = ix->run_end ? event_get_str(ix->run_end, "output") : NULL;
        snprintf(buf, n, "end: \"%s\"", out ? out : "");
        break;
    }
    case PH_CHOSEN:
        if (ix->is_beam) snprintf(buf, n, "decoder step %d: beam selection", q->step + 1);
        else {
            const char *tok = ix->steps[q->step].chosen_token;
            snprintf(buf, n, "decoder step %d: chosen token \"%s\"", q->step + 1, tok ? tok : "?");
        }
        break;
    default: snprintf(buf, n, "decoder step %d: %s", q->step + 1, tl_phase_name(q->phase)); break;
    }
    return buf;
}

int tl_parse_pos(const TraceIndex *ix, const char *s) {
    if (!s || !*s) return -1;
    if (!strcmp(s, "end")) return ix->n_pos - 1;
    char *e;
    long v = strtol(s, &e, 10);
    if (*e) return -1;
    if (v < 0) v += ix->n_pos;
    if (v < 0 || v >= ix->n_pos) return -1;
    return (int)v;
}

const char *tl_tgt_token(const TraceIndex *ix, int id, char *buf, size_t n) {
    if (ix->tgt_vocab && id >= 0 && id < vocab_size(ix->tgt_vocab)) return vocab_token(ix->tgt_vocab, id);
    for (int s = 0; s < ix->n_steps; s++)
        if (ix->steps[s].chosen == id && ix->steps[s].chosen_token) return ix->steps[s].chosen_token;
    for (int i = 0; i < ix->n_hyps; i++)
        if (ix->hyps[i].token == id && ix->hyps[i].token_str) return ix->hyps[i].token_str;
    for (int s = 0; s < ix->n_steps; s++) {
        const Event *e = ix->steps[s].embed;
        if (e && event_get_int(e, "id", -1) == id && event_get_str(e, "token")) return event_get_str(e, "token");
    }
    snprintf(buf, n, "#%d", id);
    return buf;
}
