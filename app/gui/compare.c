/* compare.c — greedy and beam paths out of trace indexes, CSV and JSON export (compare.h). */
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void path_reset(CmpPath *p) {
    memset(p, 0, sizeof *p);
    p->hyp = -1;
    p->rank = -1;
    p->text = "";
}

int cmp_greedy_path(const TraceIndex *ix, CmpPath *p) {
    path_reset(p);
    if (!ix || ix->is_beam) return -1;
    double cum = 0;
    for (int s = 0; s < ix->n_steps; s++) {
        const Event *o = ix->steps[s].output;
        if (!o || !event_get(o, "chosen")) break;
        if (p->n >= CMP_MAX_STEPS) { p->truncated = 1; break; }
        float lp = (float)event_get_float(o, "chosen_logprob", NAN);
        cum += lp;
        p->token[p->n] = (int)event_get_int(o, "chosen", -1);
        p->tok[p->n] = event_get_str(o, "chosen_token");
        p->token_lp[p->n] = lp;
        p->cum[p->n] = cum;
        p->n++;
    }
    if (p->n == 0) return -1;
    p->logprob = cum;
    p->score = cum;
    if (ix->run_end) {
        int nl = 0, nf = 0, ns = 0;
        const float *lp = event_get_floats(ix->run_end, "nbest_logprob", &nl);
        const float *sc = event_get_floats(ix->run_end, "nbest_score", &ns);
        const int *fin = event_get_ints(ix->run_end, "nbest_finished", &nf);
        if (nl > 0) p->logprob = lp[0];
        if (ns > 0) p->score = sc[0];
        if (nf > 0) p->finished = fin[0];
        const char *t = event_get_str(ix->run_end, "output");
        if (t) p->text = t;
    }
    return 0;
}

/* Index into ix->hyps of the node with hypothesis id `id` created at `step`, or -1. */
static int node_of(const TraceIndex *ix, int id, int step) {
    for (int i = 0; i < ix->n_hyps; i++)
        if (ix->hyps[i].id == id && ix->hyps[i].step == step) return i;
    return -1;
}

/* Index of the node with id `id` (any step), or -1. */
static int node_by_id(const TraceIndex *ix, int id) {
    if (id <= 0) return -1; /* 0 is the root */
    for (int i = 0; i < ix->n_hyps; i++)
        if (ix->hyps[i].id == id) return i;
    return -1;
}

int cmp_node_path(const TraceIndex *ix, int node, CmpPath *p) {
    path_reset(p);
    if (!ix || node < 0 || node >= ix->n_hyps) return -1;
    int chain[CMP_MAX_STEPS + 1], n = 0;
    int cur = node;
    while (cur >= 0 && n <= CMP_MAX_STEPS) {
        chain[n++] = cur;
        cur = node_by_id(ix, ix->hyps[cur].parent);
    }
    if (n > CMP_MAX_STEPS) { p->truncated = 1; n = CMP_MAX_STEPS; }
    for (int k = 0; k < n; k++) {
        const TlHyp *h = &ix->hyps[chain[n - 1 - k]];
        p->token[k] = h->token;
        p->tok[k] = h->token_str;
        p->token_lp[k] = h->token_logprob;
        p->cum[k] = h->cum_logprob;
    }
    p->n = n;
    const TlHyp *last = &ix->hyps[node];
    p->logprob = last->cum_logprob;
    p->score = last->score;
    p->finished = last->status == TL_FINISHED;
    p->hyp = last->id;
    return 0;
}

int cmp_beam_paths(const TraceIndex *ix, CmpPath *p, int max) {
    if (!ix || !ix->is_beam || !ix->run_end) return 0;
    int nb = 0, nl = 0, ns = 0, nf = 0;
    const char *const *nbest = event_get_strs(ix->run_end, "nbest", &nb);
    const float *lp = event_get_floats(ix->run_end, "nbest_logprob", &nl);
    const float *sc = event_get_floats(ix->run_end, "nbest_score", &ns);
    const int *fin = event_get_ints(ix->run_end, "nbest_finished", &nf);
    int count = 0;
    for (int r = 0; r < nb && count < max; r++) {
        /* the beam_finish event of this output (same text, same log-prob) */
        const Event *f = NULL;
        for (int i = 0; i < ix->n_finish && !f; i++) {
            const char *t = event_get_str(ix->finish[i], "text");
            double l = event_get_float(ix->finish[i], "logprob", NAN);
            if (t && !strcmp(t, nbest[r]) && (r >= nl || fabs(l - lp[r]) < 1e-5)) f = ix->finish[i];
        }
        if (!f) continue;
        int hyp = (int)event_get_int(f, "hyp", -1), step = (int)event_get_int(f, "step", -1);
        int node = node_of(ix, hyp, step);
        if (node < 0) node = node_by_id(ix, hyp);
        if (cmp_node_path(ix, node, &p[count])) continue;
        p[count].rank = r;
        p[count].text = nbest[r];
        if (r < nl) p[count].logprob = lp[r];
        if (r < ns) p[count].score = sc[r];
        if (r < nf) p[count].finished = fin[r];
        count++;
    }
    return count;
}

int cmp_divergence(const CmpPath *a, const CmpPath *b) {
    int n = a->n > b->n ? a->n : b->n;
    for (int t = 0; t < n; t++) {
        int x = t < a->n ? a->token[t] : -1, y = t < b->n ? b->token[t] : -1;
        if (x != y) return t;
    }
    return -1;
}

static void csv_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int cmp_write_csv(FILE *f, const CmpPath *greedy, const CmpPath *beam, int n_beam, const CmpPath *what_if, Status *st) {
    const CmpPath *cols[CMP_MAX_PATHS + 2];
    char names[CMP_MAX_PATHS + 2][32];
    int nc = 0;
    if (greedy) { cols[nc] = greedy; snprintf(names[nc++], sizeof names[0], "greedy"); }
    for (int i = 0; i < n_beam && i < CMP_MAX_PATHS; i++) { cols[nc] = &beam[i]; snprintf(names[nc++], sizeof names[0], "beam_%d", i + 1); }
    if (what_if) { cols[nc] = what_if; snprintf(names[nc++], sizeof names[0], "what_if"); }
    if (nc == 0) return status_fail(st, "nothing to compare");
    int T = 0;
    for (int c = 0; c < nc; c++) if (cols[c]->n > T) T = cols[c]->n;
    int div = greedy && n_beam > 0 ? cmp_divergence(greedy, &beam[0]) : -1;
    fputs("step", f);
    for (int c = 0; c < nc; c++) fprintf(f, ",%s_token,%s_token_logprob,%s_cum_logprob", names[c], names[c], names[c]);
    fputs(",first_divergence\n", f);
    for (int t = 0; t < T; t++) {
        fprintf(f, "%d", t);
        for (int c = 0; c < nc; c++) {
            const CmpPath *p = cols[c];
            if (t < p->n) {
                fputc(',', f);
                csv_str(f, p->tok[t] ? p->tok[t] : "");
                fprintf(f, ",%.6f,%.6f", p->token_lp[t], p->cum[t]);
            } else fputs(",,,", f);
        }
        fprintf(f, ",%d\n", t == div);
    }
    fputs("total", f);
    for (int c = 0; c < nc; c++) {
        fputc(',', f);
        csv_str(f, cols[c]->text);
        fprintf(f, ",,%.6f", cols[c]->logprob);
    }
    fprintf(f, ",%d\n", div);
    if (ferror(f)) return status_fail(st, "write error");
    return 0;
}

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *u = (const unsigned char *)(s ? s : ""); *u; u++) {
        if (*u == '"' || *u == '\\') fprintf(f, "\\%c", *u);
        else if (*u < 0x20) fprintf(f, "\\u%04x", *u);
        else fputc(*u, f);
    }
    fputc('"', f);
}

static void json_num(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, "%.9g", v);
    else fputs("null", f);
}

int cmp_write_tree_json(FILE *f, const TraceIndex *ix, Status *st) {
    if (!ix || !ix->is_beam) return status_fail(st, "the tree needs a beam-search trace (this one is %s)", ix ? ix->strategy : "empty");
    static const char *status_name[] = {"kept", "pruned", "finished", "blocked"};
    fputs("{\"model\":", f);
    json_str(f, ix->model);
    fputs(",\"source\":[", f);
    for (int j = 0; j < ix->S; j++) { if (j) fputc(',', f); json_str(f, ix->src_tokens[j]); }
    fprintf(f, "],\"beam_size\":%d,\"nodes\":[\n", ix->beam_size);
    fputs("{\"id\":0,\"parent\":-1,\"step\":-1,\"token\":-1,\"token_str\":\"<start>\",\"token_logprob\":0,\"cum_logprob\":0,"
          "\"score\":0,\"status\":\"kept\",\"reason\":\"\",\"rank\":0,\"on_best\":true,\"on_greedy\":true}",
          f);
    for (int i = 0; i < ix->n_hyps; i++) {
        const TlHyp *h = &ix->hyps[i];
        fprintf(f, ",\n{\"id\":%d,\"parent\":%d,\"step\":%d,\"token\":%d,\"token_str\":", h->id, h->parent, h->step, h->token);
        json_str(f, h->token_str);
        fputs(",\"token_logprob\":", f);
        json_num(f, h->token_logprob);
        fputs(",\"cum_logprob\":", f);
        json_num(f, h->cum_logprob);
        fputs(",\"score\":", f);
        json_num(f, h->score);
        fprintf(f, ",\"status\":\"%s\",\"reason\":", status_name[h->status & 3]);
        json_str(f, h->reason);
        fprintf(f, ",\"rank\":%d,\"on_best\":%s,\"on_greedy\":%s}", h->rank, h->on_best ? "true" : "false", h->on_greedy ? "true" : "false");
    }
    fputs("\n],\"nbest\":[", f);
    CmpPath *p = malloc(sizeof *p * CMP_MAX_PATHS);
    int n = p ? cmp_beam_paths(ix, p, CMP_MAX_PATHS) : 0;
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s{\"rank\":%d,\"hyp\":%d,\"text\":", i ? "," : "", p[i].rank + 1, p[i].hyp);
        json_str(f, p[i].text);
        fputs(",\"logprob\":", f);
        json_num(f, p[i].logprob);
        fputs(",\"score\":", f);
        json_num(f, p[i].score);
        fprintf(f, ",\"finished\":%s}", p[i].finished ? "true" : "false");
    }
    free(p);
    fputs("]}\n", f);
    if (ferror(f)) return status_fail(st, "write error");
    return 0;
}
