/* lesson_check.c — checks a parsed lesson against the real models (see lesson.h): every
 * slide's model is loaded, its input decoded with its strategy, and its view, position
 * and highlights are compared with what that run produced. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attnstep/decode.h"
#include "attnstep/events.h"
#include "attnstep/lesson.h"
#include "attnstep/model.h"

static int is_file(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

int lesson_find_model(const Lesson *l, const char *value, const char *const *dirs, int n_dirs, char *path, size_t n,
                      Status *st) {
    size_t vl = strlen(value);
    int is_path = strchr(value, '/') || (vl > 12 && !strcmp(value + vl - 12, ".safetensors"));
    const char *ldir = l->dir[0] ? l->dir : ".";
    if (is_path) {
        if (value[0] == '/') snprintf(path, n, "%s", value);
        else snprintf(path, n, "%s/%s", ldir, value);
        if (is_file(path)) return 0;
        return status_fail(st, "unknown model \"%.200s\": no file %.300s", value, path);
    }
    for (const char *c = value; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'))
            return status_fail(st, "unknown model \"%.200s\": a model name holds letters, digits, '-', '_' and '.'", value);
    for (int i = 0; i < n_dirs; i++) {
        snprintf(path, n, "%s/%s.safetensors", dirs[i], value);
        if (is_file(path)) return 0;
    }
    snprintf(path, n, "%s/../../assets/models/%s.safetensors", ldir, value);
    if (is_file(path)) return 0;
    char where[600];
    size_t len = 0;
    where[0] = 0;
    for (int i = 0; i < n_dirs && len < sizeof where - 100; i++)
        len += (size_t)snprintf(where + len, sizeof where - len, "%s%.200s", i ? ", " : "", dirs[i]);
    snprintf(where + len, sizeof where - len, "%s%.200s/../../assets/models", len ? ", " : "", ldir);
    return status_fail(st, "unknown model \"%.100s\": no %.100s.safetensors in %s", value, value, where);
}

/* ---- the counting sink: what a position can point at ---- */
typedef struct Counts {
    int enc, steps, attn;
} Counts;

static int count_emit(void *ctx, const Event *ev) {
    Counts *c = ctx;
    if (!strcmp(ev->type, "enc_step")) c->enc++;
    else if (!strcmp(ev->type, "attn")) c->attn++;
    if (!strcmp(ev->type, "dec_step") || !strcmp(ev->type, "output") || !strcmp(ev->type, "beam_expand")) {
        long s = event_get_int(ev, "step", -1);
        if (s + 1 > c->steps) c->steps = (int)s + 1;
    }
    return 0;
}

typedef struct ModelEntry {
    char value[512];
    char path[1024];
    Model *m;
    char error[STATUS_MESSAGE_MAX];
} ModelEntry;

typedef struct Run {
    char key[1700];
    int ok;
    char error[STATUS_MESSAGE_MAX];
    int unknown;               /* unknown source words */
    char unknown_words[300];
    LessonRunInfo info;
    char **src;                /* source pieces (owned), info.source_len - 1 of them + "<eos>" */
    int n_src;
    char **out;                /* output tokens (owned) */
    int n_out;
} Run;

static void run_clear(Run *r) {
    for (int i = 0; i < r->n_src; i++) free(r->src[i]);
    for (int i = 0; i < r->n_out; i++) free(r->out[i]);
    free(r->src);
    free(r->out);
    memset(r, 0, sizeof *r);
}

/* Decodes set's input with m into r. Returns 0 (r->ok says whether the decode worked), -1 on OOM. */
static int do_run(const Model *m, const LessonSettings *set, Run *r) {
    Status st = {{0}};
    VocabEncoding *enc = calloc(1, sizeof *enc);
    int *ids = malloc(MODEL_MAX_SOURCE * sizeof *ids);
    if (!enc || !ids) { free(enc); free(ids); return -1; }
    int n = 0;
    if (model_source_ids(m, set->input, ids, MODEL_MAX_SOURCE, &n, enc, &st)) {
        snprintf(r->error, sizeof r->error, "%s", st.message);
        vocab_encoding_free(enc);
        free(enc);
        free(ids);
        return 0;
    }
    r->unknown = enc->unknown_count;
    size_t ul = 0;
    r->src = calloc((size_t)enc->n + (size_t)n + 1, sizeof *r->src);
    if (!r->src) { vocab_encoding_free(enc); free(enc); free(ids); return -1; }
    for (int i = 0; i < enc->n; i++) {
        if ((enc->ids[i] < 0 || enc->ids[i] == m->src_unk) && ul < sizeof r->unknown_words - 40)
            ul += (size_t)snprintf(r->unknown_words + ul, sizeof r->unknown_words - ul, "%s\"%.30s\"", ul ? ", " : "", enc->pieces[i]);
        r->src[r->n_src] = strdup(enc->pieces[i] ? enc->pieces[i] : "");
        if (!r->src[r->n_src]) { vocab_encoding_free(enc); free(enc); free(ids); return -1; }
        r->n_src++;
    }
    vocab_encoding_free(enc);
    free(enc);
    /* the special tokens the model adds (<eos>, BOS/EOS) are drawn by the views too */
    for (int i = 0; i < n; i++) {
        r->src[r->n_src] = strdup(vocab_token(m->src_vocab, ids[i]));
        if (!r->src[r->n_src]) { free(ids); return -1; }
        r->n_src++;
    }
    DecodeOptions o;
    decode_options_default(&o);
    if (set->beam > 0) { o.strategy = DECODE_BEAM; o.beam_size = set->beam; o.nbest = 1; }
    Counts c = {0, 0, 0};
    EventSink sink = {count_emit, &c};
    DecodeResult res;
    memset(&res, 0, sizeof res);
    if (decode_run_model(m, ids, n, &o, &sink, &res, &st)) {
        snprintf(r->error, sizeof r->error, "%s", st.message);
        free(ids);
        decode_result_free(&res);
        return 0;
    }
    free(ids);
    r->ok = 1;
    r->info.source_len = n;
    r->info.enc_steps = c.enc;
    r->info.dec_steps = c.steps;
    r->info.has_attention = m->has_attention && c.attn > 0;
    r->info.transformer = m->kind == MODEL_TRANSFORMER;
    if (res.count > 0) {
        DecodeHyp *h = &res.hyps[0];
        r->info.out_len = h->len;
        snprintf(r->info.output, sizeof r->info.output, "%s", h->text ? h->text : "");
        r->out = calloc((size_t)h->len + 1, sizeof *r->out);
        if (!r->out) { decode_result_free(&res); return -1; }
        for (int i = 0; i < h->len; i++) {
            const char *t = vocab_token(m->tgt_vocab, h->tokens[i]);
            r->out[r->n_out] = strdup(t ? t : "");
            if (!r->out[r->n_out]) { decode_result_free(&res); return -1; }
            r->n_out++;
        }
        if (h->finished) {
            r->out[r->n_out] = strdup(vocab_token(m->tgt_vocab, m->tgt_eos));
            if (!r->out[r->n_out]) { decode_result_free(&res); return -1; }
            r->n_out++;
        }
    }
    decode_result_free(&res);
    return 0;
}

static void check_position(Lesson *l, const LessonSlide *s, const Run *r) {
    const LessonSettings *set = &s->set;
    const LessonPos *p = &set->pos;
    int line = set->line_pos ? set->line_pos : s->line;
    const char *inh = set->line_pos && set->line_pos > s->line ? "" : " (carried over from an earlier slide)";
    char pb[64];
    lesson_pos_format(p, pb, sizeof pb);
    const LessonRunInfo *ri = &r->info;
    if (p->kind == LESSON_POS_ENC_STEP && ri->enc_steps == 0)
        lesson_problem(l, line, 0, "position \"%s\"%s: this model has no encoder steps (a Transformer encodes the whole sentence at once: use start or encoder done)",
                       pb, inh);
    else if (p->kind == LESSON_POS_ENC_STEP && p->n > ri->source_len)
        lesson_problem(l, line, 0, "position \"%s\"%s out of range: the source has %d encoder steps (<eos> included)", pb, inh,
                       ri->source_len);
    if (p->kind != LESSON_POS_STEP) return;
    if (p->n > ri->dec_steps)
        lesson_problem(l, line, 0, "position \"%s\"%s out of range: this run has %d decoder steps (output \"%.200s\")", pb, inh,
                       ri->dec_steps, ri->output);
    if ((p->phase == LESSON_PHASE_ENERGIES || p->phase == LESSON_PHASE_WEIGHTS || p->phase == LESSON_PHASE_CONTEXT) &&
        !ri->has_attention)
        lesson_problem(l, line, 0, "position \"%s\"%s: the model has no attention, so the step has no %s", pb, inh,
                       p->phase == LESSON_PHASE_CONTEXT ? "context vector" : "attention weights");
    if ((p->beam || p->phase == LESSON_PHASE_CANDIDATES) && set->beam == 0)
        lesson_problem(l, line, 0, "position \"%s\"%s needs beam search (strategy: beam K)", pb, inh);
}

static void check_highlights(Lesson *l, const LessonSlide *s, const Run *r) {
    const LessonSettings *set = &s->set;
    for (int i = 0; i < set->n_hl; i++) {
        const LessonHighlight *h = &set->hl[i];
        if (h->kind == LESSON_HL_SOURCE && h->n > r->info.source_len)
            lesson_problem(l, h->line, 0, "highlight source %d out of range: the source has %d tokens (<eos> included)", h->n,
                           r->info.source_len);
        else if (h->kind == LESSON_HL_TARGET && h->n > r->info.out_len + 1)
            lesson_problem(l, h->line, 0, "highlight target %d out of range: the output \"%.200s\" has %d tokens (+ <eos>)", h->n,
                           r->info.output, r->info.out_len);
        else if (h->kind == LESSON_HL_TOKEN) {
            int found = 0;
            for (int k = 0; k < r->n_src && !found; k++) found = !strcmp(r->src[k], h->text);
            for (int k = 0; k < r->n_out && !found; k++) found = !strcmp(r->out[k], h->text);
            if (!found)
                lesson_problem(l, h->line, 1, "highlight \"%.100s\" is neither a source word nor an output word of this run", h->text);
        }
    }
}

int lesson_check(Lesson *l, const char *const *dirs, int n_dirs, LessonRunInfo *runs, Status *st) {
    ModelEntry *models = calloc(LESSON_MAX_SLIDES, sizeof *models);
    Run *run = calloc(1, sizeof *run);
    if (!models || !run) { free(models); free(run); return status_fail(st, "out of memory"); }
    int n_models = 0, rc = 0;
    if (runs) memset(runs, 0, (size_t)l->n_slides * sizeof *runs);
    for (int i = 0; i < l->n_slides && rc == 0; i++) {
        LessonSlide *s = &l->slides[i];
        LessonSettings *set = &s->set;
        int own_model = set->line_model > s->line;
        /* a training slide trains a fresh model in the app: nothing to load or decode here
         * (lesson.c checked task, arch, train-steps and snapshot) */
        if (set->view == LESSON_VIEW_TRAINING) continue;
        ModelEntry *me = NULL;
        if (set->model[0]) {
            for (int k = 0; k < n_models; k++)
                if (!strcmp(models[k].value, set->model)) me = &models[k];
            if (!me) {
                me = &models[n_models++];
                snprintf(me->value, sizeof me->value, "%s", set->model);
                Status ms = {{0}};
                if (lesson_find_model(l, set->model, dirs, n_dirs, me->path, sizeof me->path, &ms) == 0) {
                    me->m = model_load(me->path, &ms);
                    if (!me->m) snprintf(me->error, sizeof me->error, "model \"%.100s\": %.380s", set->model, ms.message);
                } else snprintf(me->error, sizeof me->error, "%s", ms.message);
                if (me->error[0]) lesson_problem(l, set->line_model ? set->line_model : s->line, 0, "%s", me->error);
            }
        }
        (void)own_model;
        if (set->view == LESSON_VIEW_NONE) {
            if (set->n_hl) lesson_problem(l, set->hl[0].line, 1, "highlight on a slide without a view has no effect");
            continue;
        }
        int vline = set->line_view ? set->line_view : s->line;
        if (!set->model[0]) { lesson_problem(l, vline, 0, "view \"%s\" needs a model (model: NAME)", lesson_view_name(set->view)); continue; }
        if (!me || !me->m) continue; /* already reported */
        if (!set->input[0]) { lesson_problem(l, vline, 0, "view \"%s\" needs an input sentence (input: ...)", lesson_view_name(set->view)); continue; }
        char key[sizeof run->key];
        snprintf(key, sizeof key, "%.1000s|%d|%.680s", me->path, set->beam, set->input);
        if (strcmp(key, run->key)) {
            run_clear(run);
            snprintf(run->key, sizeof run->key, "%s", key);
            if (do_run(me->m, set, run)) { rc = status_fail(st, "out of memory"); break; }
            int iline = set->line_input ? set->line_input : s->line;
            if (!run->ok) lesson_problem(l, iline, 0, "input \"%.120s\" with model %.100s: %.300s", set->input, set->model, run->error);
            else if (run->unknown)
                lesson_problem(l, iline, 0, "input: %d word%s unknown to model %.100s (%.200s) would be <unk>", run->unknown,
                               run->unknown > 1 ? "s" : "", set->model, run->unknown_words);
        }
        if (!run->ok) continue;
        if (runs) runs[i] = run->info;
        if (set->view == LESSON_VIEW_BEAM && set->beam == 0)
            lesson_problem(l, vline, 0, "view \"beam\" needs beam search (strategy: beam K)");
        if (set->view == LESSON_VIEW_TRANSFORMER && !run->info.transformer)
            lesson_problem(l, vline, 0, "view \"transformer\" needs a Transformer model; %.100s is an RNN encoder-decoder", set->model);
        int rnn_view = set->view == LESSON_VIEW_CELL || set->view == LESSON_VIEW_UNROLLED || set->view == LESSON_VIEW_SEQ2SEQ ||
                       set->view == LESSON_VIEW_ATTENTION || set->view == LESSON_VIEW_HEATMAP;
        if (rnn_view && run->info.transformer)
            lesson_problem(l, vline, 0, "view \"%s\" pictures an RNN encoder-decoder; %.100s is a Transformer (use transformer, beam or compare)",
                           lesson_view_name(set->view), set->model);
        else if ((set->view == LESSON_VIEW_ATTENTION || set->view == LESSON_VIEW_HEATMAP) && !run->info.has_attention)
            lesson_problem(l, vline, 0, "view \"%s\" needs an attention model; %.100s has none (use seq2seq)",
                           lesson_view_name(set->view), set->model);
        check_position(l, s, run);
        check_highlights(l, s, run);
    }
    run_clear(run);
    free(run);
    for (int k = 0; k < n_models; k++) model_free(models[k].m);
    free(models);
    return rc;
}
