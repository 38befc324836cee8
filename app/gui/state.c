/* state.c — the stepper's state: models, runs, traces, export (see gui.h). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attnstep/corpus.h"
#include "gui.h"
#include "i18n.h"
#include "live_train.h"

#ifndef ATTNSTEP_SOURCE_DIR
#define ATTNSTEP_SOURCE_DIR "."
#endif

void gui_state_init(GuiState *g) {
    memset(g, 0, sizeof *g);
    g->view = VIEW_ATTENTION;
    g->speed = 2.0f;
    g->anim = 1.0f;
    g->cmp_beam = 5;
    g->nbest = 3;
    g->alpha = 0.6f;
    g->whatif_step = g->whatif_token = -1;
    g->drag_step = g->drag_j = -1;
}

void gui_state_free(GuiState *g) {
    if (!g) return;
    tl_free(&g->ix);
    trace_free(g->trace);
    tl_free(&g->alt_ix);
    trace_free(g->alt_trace);
    tl_free(&g->whatif_ix);
    trace_free(g->whatif_trace);
    model_free(g->model);
    gui_training_free(g);
    memset(g, 0, sizeof *g);
}

static int cmp_str(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

static int scan_dir(GuiState *g, const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)) && g->n_models < GUI_MAX_MODELS) {
        size_t n = strlen(e->d_name);
        if (n < 13 || strcmp(e->d_name + n - 12, ".safetensors")) continue;
        if (n > 16 && !strcmp(e->d_name + n - 16, ".opt.safetensors")) continue;
        snprintf(g->models[g->n_models++], sizeof g->models[0], "%s/%s", dir, e->d_name);
        found++;
    }
    closedir(d);
    return found;
}

void gui_scan_models(GuiState *g) {
    g->n_models = 0;
    if (!scan_dir(g, "assets/models")) {
        char exe[1024], dir[1100];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        int ok = 0;
        if (n > 0) {
            exe[n] = 0;
            char *slash = strrchr(exe, '/');
            if (slash) *slash = 0;
            snprintf(dir, sizeof dir, "%s/../assets/models", exe);
            ok = scan_dir(g, dir);
        }
        if (!ok) scan_dir(g, ATTNSTEP_SOURCE_DIR "/assets/models");
    }
    qsort(g->models, (size_t)g->n_models, sizeof g->models[0], cmp_str);
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

const char *gui_default_model(const GuiState *g) {
    static const char *prefer[] = {"default.safetensors", "en-fr-es-tutorial.safetensors", "dates-tutorial.safetensors",
                                   "reverse-tutorial.safetensors"};
    for (size_t k = 0; k < sizeof prefer / sizeof prefer[0]; k++)
        for (int i = 0; i < g->n_models; i++)
            if (!strcmp(base_name(g->models[i]), prefer[k])) return g->models[i];
    return g->n_models ? g->models[0] : NULL;
}

const char *gui_default_input(const Model *m) {
    const char *task = m ? model_meta(m, "task") : NULL;
    if (task && !strcmp(task, "translate")) return "<2fr> " CORPUS_DEFAULT_SENTENCE;
    if (task && !strcmp(task, "dates")) return "the 14th of february, 1971";
    if (task && !strcmp(task, "reverse")) return "a t t e n t i o n";
    return "a b c d";
}

int gui_load_model(GuiState *g, const char *path, Status *st) {
    Model *m = model_load(path, st);
    if (!m) return -1;
    model_free(g->model);
    g->model = m;
    snprintf(g->model_path, sizeof g->model_path, "%s", path);
    if (g->have_ix) g->ix.tgt_vocab = m->tgt_vocab;
    if (g->have_alt) g->alt_ix.tgt_vocab = m->tgt_vocab;
    if (g->have_whatif) g->whatif_ix.tgt_vocab = m->tgt_vocab;
    return 0;
}

int gui_set_trace(GuiState *g, Trace *t, Status *st) {
    TraceIndex ix;
    if (tl_build(&ix, t, st)) { trace_free(t); return -1; }
    tl_free(&g->ix);
    trace_free(g->trace);
    g->trace = t;
    g->ix = ix;
    g->have_ix = 1;
    if (g->model) g->ix.tgt_vocab = g->model->tgt_vocab;
    g->beam = g->ix.is_beam ? g->ix.beam_size : 0; /* the strategy picker shows the trace's */
    if (g->ix.is_beam) { /* and the controls strip its beam options */
        const Event *r = g->ix.run;
        const char *lp = event_get_str(r, "lenpen");
        g->nbest = (int)event_get_int(r, "nbest", g->nbest);
        g->lenpen = lp && !strcmp(lp, "avg") ? LENPEN_AVG : lp && !strcmp(lp, "gnmt") ? LENPEN_GNMT : LENPEN_NONE;
        g->alpha = (float)event_get_float(r, "alpha", g->alpha);
        g->coverage = (float)event_get_float(r, "coverage", g->coverage);
        g->min_len = (int)event_get_int(r, "min_len", g->min_len);
        g->no_repeat = (int)event_get_int(r, "no_repeat_ngram", g->no_repeat);
    }
    /* the comparison partner and a what-if belong to the previous trace */
    tl_free(&g->alt_ix);
    trace_free(g->alt_trace);
    g->alt_trace = NULL;
    g->have_alt = 0;
    gui_whatif_reset(g);
    g->pos = g->ix.n_pos - 1;
    g->anim = 1;
    return 0;
}

int gui_run_model(GuiState *g, Status *st) {
    if (!g->model) return status_fail(st, TR("no model loaded"));
    int ids[MODEL_MAX_SOURCE], n = 0;
    VocabEncoding enc;
    memset(&enc, 0, sizeof enc);
    if (model_source_ids(g->model, g->input, ids, MODEL_MAX_SOURCE, &n, &enc, st)) { vocab_encoding_free(&enc); return -1; }
    char unk[256] = "";
    if (enc.unknown_count > 0) {
        size_t len = 0;
        for (int i = 0; i < enc.n && len < sizeof unk - 40; i++)
            if (enc.ids[i] == vocab_unk(g->model->src_vocab) || enc.ids[i] < 0)
                len += (size_t)snprintf(unk + len, sizeof unk - len, "%s\"%s\"", len ? ", " : "", enc.pieces[i]);
    }
    int unknown = enc.unknown_count;
    vocab_encoding_free(&enc);
    DecodeOptions o;
    gui_decode_options(g, &o);
    Trace *t = trace_new();
    if (!t) return status_fail(st, TR("out of memory"));
    EventSink sink = trace_sink(t);
    DecodeResult res;
    int rc = decode_run_model(g->model, ids, n, &o, &sink, &res, st);
    decode_result_free(&res);
    if (rc) { trace_free(t); return -1; }
    int beam = g->beam;
    if (gui_set_trace(g, t, st)) return -1;
    /* view 7's partner: greedy for a beam run, beam (k = cmp_beam, same options) for a greedy one */
    g->beam = beam > 0 ? 0 : (g->cmp_beam > 0 ? g->cmp_beam : 5);
    DecodeOptions oa;
    gui_decode_options(g, &oa);
    g->beam = beam;
    Trace *ta = trace_new();
    if (!ta) return status_fail(st, TR("out of memory"));
    EventSink sa = trace_sink(ta);
    if (decode_run_model(g->model, ids, n, &oa, &sa, &res, st) || tl_build(&g->alt_ix, ta, st)) {
        decode_result_free(&res);
        trace_free(ta);
        return status_prefix(st, TR("the comparison decode"));
    }
    decode_result_free(&res);
    g->alt_trace = ta;
    g->have_alt = 1;
    g->alt_ix.tgt_vocab = g->model->tgt_vocab;
    if (unknown) {
        if (unknown > 1) snprintf(g->message, sizeof g->message, TR("%d unknown words mapped to <unk>: %.300s"), unknown, unk);
        else snprintf(g->message, sizeof g->message, TR("%d unknown word mapped to <unk>: %.300s"), unknown, unk);
        g->message_error = 1;
    }
    return 0;
}

void gui_set_pos(GuiState *g, int pos) {
    if (!g->have_ix) return;
    if (pos < 0) pos = 0;
    if (pos >= g->ix.n_pos) pos = g->ix.n_pos - 1;
    if (pos != g->pos) g->anim = 0;
    g->pos = pos;
}

void gui_step(GuiState *g, int delta) { gui_set_pos(g, g->pos + delta); }

void gui_step_decoder(GuiState *g, int delta) {
    if (!g->have_ix) return;
    gui_set_pos(g, delta > 0 ? tl_next_step(&g->ix, g->pos) : tl_prev_step(&g->ix, g->pos));
}

static void csv_field(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int gui_export(const GuiState *g, const char *jsonl_path, const char *csv_path, Status *st) {
    if (!g->have_ix) return status_fail(st, TR("nothing to export: no trace"));
    FILE *f = fopen(jsonl_path, "w");
    if (!f) return status_fail(st, TR("cannot write %.300s"), jsonl_path);
    int rc = trace_write_jsonl(g->trace, f, st);
    if (fclose(f) && !rc) rc = status_fail(st, TR("cannot write %.300s"), jsonl_path);
    if (rc) return -1;
    f = fopen(csv_path, "w");
    if (!f) return status_fail(st, TR("cannot write %.300s"), csv_path);
    const TraceIndex *ix = &g->ix;
    csv_field(f, "target \\ source");
    for (int j = 0; j < ix->S; j++) { fputc(',', f); csv_field(f, ix->src_tokens[j]); }
    fputc('\n', f);
    for (int s = 0; s < ix->n_steps; s++) {
        if (!ix->steps[s].attn) continue;
        char ib[32];
        csv_field(f, ix->steps[s].chosen_token ? ix->steps[s].chosen_token : tl_tgt_token(ix, ix->steps[s].chosen, ib, sizeof ib));
        int nw = 0;
        const float *w = event_get_floats(ix->steps[s].attn, "weights", &nw);
        for (int j = 0; j < ix->S; j++) fprintf(f, ",%.6f", j < nw && isfinite(w[j]) ? w[j] : 0.0f);
        fputc('\n', f);
    }
    if (fclose(f)) return status_fail(st, TR("cannot write %.300s"), csv_path);
    return 0;
}

int gui_load_trace(GuiState *g, const char *path, Status *st) {
    FILE *f = fopen(path, "r");
    if (!f) return status_fail(st, TR("cannot open %.300s"), path);
    Trace *t = trace_new();
    if (!t) { fclose(f); return status_fail(st, TR("out of memory")); }
    int rc = trace_read_jsonl(t, f, st);
    fclose(f);
    if (rc) { trace_free(t); return status_prefix(st, "%s", path); }
    if (gui_set_trace(g, t, st)) return status_prefix(st, "%s", path);
    /* the input box shows the source tokens */
    size_t len = 0;
    for (int i = 0; i < g->ix.S && len < sizeof g->input - 2; i++) {
        const char *tk = g->ix.src_tokens[i];
        if (i == g->ix.S - 1 && (!strcmp(tk, "EOS") || !strcmp(tk, "<eos>"))) break;
        if (i == 0 && !strcmp(tk, "<bos>") && g->ix.arch && !strcmp(g->ix.arch, "tutorial-transformer")) continue; /* added by the model */
        len += (size_t)snprintf(g->input + len, sizeof g->input - len, "%s%s", len ? " " : "", tk);
    }
    return 0;
}

