/* whatif.c — the comparison partner trace, beam options, what-if (forced token), tree
 * selection and the comparison exports (see gui.h). The only GUI code besides
 * gui_run_model that calls the core's decoder. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "gui.h"
#include "i18n.h"

void gui_decode_options(const GuiState *g, DecodeOptions *o) {
    decode_options_default(o);
    if (g->beam > 0) {
        o->strategy = DECODE_BEAM;
        o->beam_size = g->beam;
        o->nbest = g->nbest < 1 ? 1 : g->nbest > g->beam ? g->beam : g->nbest;
        o->lenpen = (LengthPenalty)g->lenpen;
        o->alpha = g->alpha;
        o->coverage_beta = g->coverage;
        o->no_repeat_ngram = g->no_repeat;
    }
    o->min_len = g->min_len;
    o->max_len = g->max_len;
}

int gui_load_alt_trace(GuiState *g, const char *path, Status *st) {
    if (!g->have_ix) return status_fail(st, TR("load the main trace first"));
    FILE *f = fopen(path, "r");
    if (!f) return status_fail(st, TR("cannot open %.300s"), path);
    Trace *t = trace_new();
    if (!t) { fclose(f); return status_fail(st, TR("out of memory")); }
    int rc = trace_read_jsonl(t, f, st);
    fclose(f);
    if (rc) { trace_free(t); return status_prefix(st, "%s", path); }
    TraceIndex ix;
    if (tl_build(&ix, t, st)) { trace_free(t); return status_prefix(st, "%s", path); }
    int same = ix.S == g->ix.S;
    for (int j = 0; same && j < ix.S; j++) same = !strcmp(ix.src_tokens[j], g->ix.src_tokens[j]);
    if (!same) {
        tl_free(&ix);
        trace_free(t);
        return status_fail(st, TR("%.300s: its source differs from the loaded trace's, so the two cannot be compared"), path);
    }
    tl_free(&g->alt_ix);
    trace_free(g->alt_trace);
    g->alt_trace = t;
    g->alt_ix = ix;
    g->have_alt = 1;
    if (g->model) g->alt_ix.tgt_vocab = g->model->tgt_vocab;
    return 0;
}

void gui_whatif_reset(GuiState *g) {
    tl_free(&g->whatif_ix);
    trace_free(g->whatif_trace);
    g->whatif_trace = NULL;
    g->have_whatif = 0;
    g->whatif_step = -1;
    g->whatif_token = -1;
}

int gui_whatif(GuiState *g, int step, int token, Status *st) {
    if (!g->model) return status_fail(st, TR("what-if needs a model to decode with (this is a replayed trace)"));
    if (!g->have_ix) return status_fail(st, TR("no trace"));
    const TraceIndex *ix = &g->ix;
    if (step < 0 || step >= ix->n_steps || step >= DECODE_MAX_PREFIX)
        return status_fail(st, TR("what-if: step %d is outside the decode (steps 1..%d)"), step + 1, ix->n_steps);
    if (token < 0 || token >= vocab_size(g->model->tgt_vocab))
        return status_fail(st, TR("what-if: token id %d is not in the model's target vocabulary"), token);
    DecodeOptions o;
    gui_decode_options(g, &o);
    for (int s = 0; s < step; s++) {
        if (ix->steps[s].chosen < 0) return status_fail(st, TR("what-if: the shown path has no token at step %d"), s + 1);
        o.force_prefix[s] = ix->steps[s].chosen;
    }
    o.force_prefix[step] = token;
    o.force_prefix_len = step + 1;
    int ids[MODEL_MAX_SOURCE], n = 0;
    if (model_source_ids(g->model, g->input, ids, MODEL_MAX_SOURCE, &n, NULL, st)) return -1;
    Trace *t = trace_new();
    if (!t) return status_fail(st, TR("out of memory"));
    EventSink sink = trace_sink(t);
    DecodeResult res;
    int rc = decode_run_model(g->model, ids, n, &o, &sink, &res, st);
    decode_result_free(&res);
    if (rc) { trace_free(t); return status_prefix(st, TR("what-if")); }
    TraceIndex wix;
    if (tl_build(&wix, t, st)) { trace_free(t); return -1; }
    gui_whatif_reset(g);
    g->whatif_trace = t;
    g->whatif_ix = wix;
    g->whatif_ix.tgt_vocab = g->model->tgt_vocab;
    g->have_whatif = 1;
    g->whatif_step = step;
    g->whatif_token = token;
    return 0;
}

int gui_whatif_attention(GuiState *g, int step, const float *w, int n, Status *st) {
    if (!g->model) return status_fail(st, TR("what-if needs a model to decode with (this is a replayed trace)"));
    if (!g->have_ix) return status_fail(st, TR("no trace"));
    const TraceIndex *ix = &g->ix;
    if (step < 0 || step >= ix->n_steps || step >= DECODE_MAX_PREFIX)
        return status_fail(st, TR("attention what-if: step %d is outside the decode (steps 1..%d)"), step + 1, ix->n_steps);
    if (n != ix->S) return status_fail(st, TR("attention what-if: %d weights for %d source positions"), n, ix->S);
    float *wn = malloc((size_t)n * sizeof *wn);
    if (!wn) return status_fail(st, TR("out of memory"));
    double sum = 0;
    for (int j = 0; j < n; j++) {
        if (!(w[j] >= 0.0f) || !isfinite(w[j])) { free(wn); return status_fail(st, TR("attention what-if: weight %d is %g (weights must be >= 0)"), j + 1, w[j]); }
        sum += w[j];
    }
    if (!(sum > 0)) { free(wn); return status_fail(st, TR("attention what-if: the weights are all zero")); }
    for (int j = 0; j < n; j++) wn[j] = (float)(w[j] / sum);
    DecodeOptions o;
    gui_decode_options(g, &o);
    for (int s = 0; s < step; s++) {
        if (ix->steps[s].chosen < 0) { free(wn); return status_fail(st, TR("what-if: the shown path has no token at step %d"), s + 1); }
        o.force_prefix[s] = ix->steps[s].chosen;
    }
    o.force_prefix_len = step;
    o.override_step = step;
    o.override_weights = wn;
    o.override_len = n;
    int ids[MODEL_MAX_SOURCE], S = 0;
    if (model_source_ids(g->model, g->input, ids, MODEL_MAX_SOURCE, &S, NULL, st)) { free(wn); return -1; }
    Trace *t = trace_new();
    if (!t) { free(wn); return status_fail(st, TR("out of memory")); }
    EventSink sink = trace_sink(t);
    DecodeResult res;
    int rc = decode_run_model(g->model, ids, S, &o, &sink, &res, st);
    decode_result_free(&res);
    free(wn);
    if (rc) { trace_free(t); return status_prefix(st, TR("attention what-if")); }
    TraceIndex wix;
    if (tl_build(&wix, t, st)) { trace_free(t); return -1; }
    gui_whatif_reset(g);
    g->whatif_trace = t;
    g->whatif_ix = wix;
    g->whatif_ix.tgt_vocab = g->model->tgt_vocab;
    g->have_whatif = 1;
    g->whatif_step = step;
    g->whatif_token = -1;
    return 0;
}

int gui_select_node(GuiState *g, int node, Status *st) {
    if (!g->have_ix) return status_fail(st, TR("no trace"));
    return tl_select_node(&g->ix, node, st);
}

int gui_export_compare(const GuiState *g, const char *csv_path, const char *json_path, Status *st) {
    if (!g->have_ix) return status_fail(st, TR("nothing to export: no trace"));
    const TraceIndex *gix = g->ix.is_beam ? (g->have_alt ? &g->alt_ix : NULL) : &g->ix;
    const TraceIndex *bix = g->ix.is_beam ? &g->ix : (g->have_alt ? &g->alt_ix : NULL);
    CmpPath *p = calloc(CMP_MAX_PATHS + 2, sizeof *p);
    if (!p) return status_fail(st, TR("out of memory"));
    int rc = 0;
    if (csv_path) {
        CmpPath *gp = &p[0], *wp = &p[1], *bp = &p[2];
        int have_g = gix && !cmp_greedy_path(gix, gp);
        int nb = bix ? cmp_beam_paths(bix, bp, CMP_MAX_PATHS) : 0;
        int have_w = 0;
        if (g->have_whatif) {
            if (g->whatif_ix.is_beam) {
                CmpPath w[1];
                if (cmp_beam_paths(&g->whatif_ix, w, 1) == 1) { *wp = w[0]; have_w = 1; }
            } else have_w = !cmp_greedy_path(&g->whatif_ix, wp);
        }
        FILE *f = fopen(csv_path, "w");
        if (!f) rc = status_fail(st, TR("cannot write %.300s"), csv_path);
        else {
            rc = cmp_write_csv(f, have_g ? gp : NULL, bp, nb, have_w ? wp : NULL, st);
            if (fclose(f) && !rc) rc = status_fail(st, TR("cannot write %.300s"), csv_path);
            if (rc) status_prefix(st, "%s", csv_path);
        }
    }
    if (!rc && json_path) {
        if (!bix) rc = status_fail(st, TR("no beam-search trace: the tree JSON needs one (pick a beam width)"));
        else {
            FILE *f = fopen(json_path, "w");
            if (!f) rc = status_fail(st, TR("cannot write %.300s"), json_path);
            else {
                rc = cmp_write_tree_json(f, bix, st);
                if (fclose(f) && !rc) rc = status_fail(st, TR("cannot write %.300s"), json_path);
            }
        }
    }
    free(p);
    return rc ? -1 : 0;
}

void gui_drag_attention(GuiState *g, int step, int j, float value) {
    if (!g->have_ix || step < 0 || step >= g->ix.n_steps || !g->ix.steps[step].attn) return;
    int n = 0;
    const float *w = event_get_floats(g->ix.steps[step].attn, "weights", &n);
    if (!w || n > MODEL_MAX_SOURCE || j < 0 || j >= n) return;
    float v = value < 0 ? 0 : value > 1 ? 1 : value;
    double rest = 0;
    for (int k = 0; k < n; k++) if (k != j) rest += w[k];
    for (int k = 0; k < n; k++) {
        if (k == j) g->drag_weights[k] = v;
        else if (rest > 1e-6) g->drag_weights[k] = (float)(w[k] * (1.0 - v) / rest);
        else g->drag_weights[k] = n > 1 ? (1.0f - v) / (float)(n - 1) : 0.0f;
    }
    g->drag_step = step;
    g->drag_j = j;
}

void gui_drop_attention(GuiState *g) {
    if (g->drag_j < 0) return;
    int step = g->drag_step, j = g->drag_j, n = 0;
    g->drag_step = g->drag_j = -1;
    if (!g->have_ix || step >= g->ix.n_steps || !g->ix.steps[step].attn) return;
    event_get_floats(g->ix.steps[step].attn, "weights", &n);
    Status st = {{0}};
    if (gui_whatif_attention(g, step, g->drag_weights, n, &st)) {
        snprintf(g->message, sizeof g->message, "%.500s", st.message);
        g->message_error = 1;
        return;
    }
    const char *out = event_get_str(g->whatif_ix.run_end, "output");
    snprintf(g->message, sizeof g->message, TR("what-if: attention at step %d set to %.2f on source position %d; the decode now says \"%.200s\" (view 7 compares, R resets)"),
             step + 1, g->drag_weights[j], j + 1, out ? out : "");
    g->message_error = 0;
}

void gui_apply_pick(GuiState *g) {
    Status st = {{0}};
    ViewPick p = g->pick;
    g->pick.kind = PICK_NONE;
    if (p.kind == PICK_NODE) {
        if (gui_select_node(g, p.node, &st)) { snprintf(g->message, sizeof g->message, "%.500s", st.message); g->message_error = 1; return; }
        const TlHyp *h = &g->ix.hyps[p.node];
        snprintf(g->message, sizeof g->message, TR("selected \"%.80s\" (step %d, total log-prob %.4f): views 3-5 follow it; F forces it, R resets"),
                 h->token_str ? h->token_str : "?", h->step + 1, h->cum_logprob);
        g->message_error = 0;
    } else if (p.kind == PICK_TOKEN) {
        if (gui_whatif(g, p.step, p.token, &st)) { snprintf(g->message, sizeof g->message, "%.500s", st.message); g->message_error = 1; return; }
        CmpPath *a = calloc(2, sizeof *a);
        if (!a) return;
        int ok_w = g->whatif_ix.is_beam ? cmp_beam_paths(&g->whatif_ix, &a[0], 1) == 1 : !cmp_greedy_path(&g->whatif_ix, &a[0]);
        int ok_o = g->ix.is_beam ? cmp_beam_paths(&g->ix, &a[1], 1) == 1 : !cmp_greedy_path(&g->ix, &a[1]);
        char tb[32];
        const char *tk = tl_tgt_token(&g->whatif_ix, p.token, tb, sizeof tb);
        if (ok_w && ok_o)
            snprintf(g->message, sizeof g->message, TR("what-if: \"%.80s\" forced at step %d: total log-prob %.4f vs the model's %.4f (%+.4f); view 7 shows both, R resets"),
                     tk, p.step + 1, a[0].logprob, a[1].logprob, a[0].logprob - a[1].logprob);
        else
            snprintf(g->message, sizeof g->message, TR("what-if: \"%.80s\" forced at step %d; view 7 shows the result, R resets"), tk, p.step + 1);
        g->message_error = 0;
        free(a);
    }
}
