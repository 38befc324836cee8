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
    int enc, steps, attn, tfm_attn;
    long events;               /* every event so far */
    long first_dec, first_attn; /* index of the first dec_step / attn event (-1: none yet) */
} Counts;

static int count_emit(void *ctx, const Event *ev) {
    Counts *c = ctx;
    c->events++;
    if (!strcmp(ev->type, "enc_step")) c->enc++;
    else if (!strcmp(ev->type, "attn")) {
        c->attn++;
        if (c->first_attn < 0) c->first_attn = c->events;
    } else if (!strcmp(ev->type, "dec_step") && c->first_dec < 0) c->first_dec = c->events;
    else if (!strcmp(ev->type, "tfm_attn")) c->tfm_attn++;
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
    o.max_len = set->max_len; /* the presenter decodes with the same cap (gui_decode_options) */
    Counts c = {0, 0, 0, 0, 0, -1, -1};
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
    r->info.decoder_first = c.first_dec >= 0 && c.first_attn >= 0 && c.first_dec < c.first_attn;
    r->info.transformer = m->kind == MODEL_TRANSFORMER;
    r->info.has_cells = r->info.has_attention || (r->info.transformer && c.tfm_attn > 0);
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
    r->info.tgt_len = r->n_out;
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

/* ---- what a position shows (the GUI's timeline order, app/gui/timeline.c) ---- */

typedef enum { Q_WEIGHTS, Q_CONTEXT, Q_STATE } Quantity;

/* 1 when decoder step i's (1-based) quantity q has been computed at position p. */
static int dec_shown(const LessonPos *p, const LessonRunInfo *ri, int i, Quantity q) {
    if (p->kind == LESSON_POS_END) return 1;
    if (p->kind != LESSON_POS_STEP) return 0;
    if (i != p->n) return i < p->n;
    int attn_first = !ri->decoder_first;
    switch (p->phase) {
    case LESSON_PHASE_ENERGIES: return q == Q_STATE && !attn_first;
    case LESSON_PHASE_WEIGHTS: return q == Q_WEIGHTS || (q == Q_STATE && !attn_first);
    case LESSON_PHASE_CONTEXT: return q != Q_STATE || !attn_first;
    case LESSON_PHASE_DECODER: return q == Q_STATE || attn_first;
    default: return 1; /* output, chosen, candidates, the whole step */
    }
}

/* The decoder step (1-based) a one-step view shows at p: the position's step, the last at
 * the end, 0 before decoding. */
static int view_step(const LessonPos *p, const LessonRunInfo *ri) {
    if (p->kind == LESSON_POS_END) return ri->tgt_len;
    return p->kind == LESSON_POS_STEP ? p->n : 0;
}

/* The decoder step whose cell view 1 shows at p (its RNN has run, else the first step while
 * it waits): 0 when it shows an encoder cell. *pending: that step has not run yet. */
static int cell_view_step(const LessonPos *p, const LessonRunInfo *ri, int *pending) {
    *pending = 0;
    if (p->kind == LESSON_POS_END) return ri->tgt_len;
    if (p->kind != LESSON_POS_STEP) return 0;
    for (int t = p->n; t >= 1; t--)
        if (dec_shown(p, ri, t, Q_STATE)) return t;
    *pending = 1;
    return p->n == 1 ? 1 : 0;
}

/* NULL when view v draws highlight h at position p, else why not (a warning). */
static const char *hl_not_drawn(const LessonSettings *set, const LessonRunInfo *ri, const LessonHighlight *h, char *why, size_t n) {
    const LessonPos *p = &set->pos;
    LessonView v = set->view;
    char pb[64];
    lesson_pos_format(p, pb, sizeof pb);
    if (h->kind == LESSON_HL_CELL) {
        if (v != LESSON_VIEW_HEATMAP && v != LESSON_VIEW_ATTENTION && v != LESSON_VIEW_TRANSFORMER) {
            snprintf(why, n, "view \"%s\" draws no attention cells (heatmap, attention and transformer do)", lesson_view_name(v));
            return why;
        }
        if (v == LESSON_VIEW_ATTENTION && view_step(p, ri) != h->n) {
            snprintf(why, n, "the attention view at position \"%s\" shows the weights of step %d, not of target word %d", pb, view_step(p, ri), h->n);
            return why;
        }
        if (v == LESSON_VIEW_TRANSFORMER) {
            if (p->kind != LESSON_POS_END && view_step(p, ri) < h->n) {
                snprintf(why, n, "at position \"%s\" the cross-attention row of target word %d is not drawn yet", pb, h->n);
                return why;
            }
            return NULL;
        }
        if (!dec_shown(p, ri, h->n, Q_WEIGHTS)) {
            snprintf(why, n, "at position \"%s\" the attention weights of target word %d are not computed yet", pb, h->n);
            return why;
        }
        return NULL;
    }
    /* vectors */
    if (v == LESSON_VIEW_TRANSFORMER || v == LESSON_VIEW_HEATMAP || v == LESSON_VIEW_BEAM || v == LESSON_VIEW_COMPARE) {
        snprintf(why, n, "view \"%s\" draws no %s (cell, unrolled, seq2seq and attention do)", lesson_view_name(v),
                 h->vec == LESSON_VEC_ENC ? "encoder states" : h->vec == LESSON_VEC_DEC ? "decoder states" : "context vectors");
        return why;
    }
    if (h->vec == LESSON_VEC_ENC) {
        int enc_done = p->kind == LESSON_POS_START ? 0 : p->kind == LESSON_POS_ENC_STEP ? p->n : ri->source_len;
        if (v == LESSON_VIEW_CELL) {
            int pending, k = cell_view_step(p, ri, &pending);
            int e = p->kind == LESSON_POS_ENC_STEP ? p->n : p->kind == LESSON_POS_START ? 0 : k ? -1 : ri->source_len;
            if (e < 0 || (h->n != e && h->n != e - 1)) {
                snprintf(why, n, "the cell view at position \"%s\" shows %s, not h%d", pb, e < 0 ? "a decoder cell" : "another encoder step", h->n);
                return why;
            }
            return NULL;
        }
        if (v == LESSON_VIEW_ATTENTION) {
            if (view_step(p, ri) < 1) { snprintf(why, n, "the attention view at position \"%s\" shows no step yet", pb); return why; }
            return NULL;
        }
        if (h->n > enc_done) { snprintf(why, n, "at position \"%s\" the encoder has not computed h%d yet", pb, h->n); return why; }
        return NULL;
    }
    if (h->vec == LESSON_VEC_CONTEXT && v != LESSON_VIEW_ATTENTION && v != LESSON_VIEW_CELL) {
        snprintf(why, n, "view \"%s\" draws no context vectors (attention and cell do)", lesson_view_name(v));
        return why;
    }
    if (v == LESSON_VIEW_UNROLLED) {
        snprintf(why, n, "view \"unrolled\" draws the encoder only (its states: vector enc N)");
        return why;
    }
    if (v == LESSON_VIEW_ATTENTION) {
        int k = view_step(p, ri);
        if (k < 1) { snprintf(why, n, "the attention view at position \"%s\" shows no step yet", pb); return why; }
        if (h->vec == LESSON_VEC_DEC) {
            int qn = ri->decoder_first ? k : k - 1;
            if (h->n != qn) {
                snprintf(why, n, "the attention view at step %d draws the query s%d, not s%d", k, qn, h->n);
                return why;
            }
            return NULL;
        }
        if (h->n != k) { snprintf(why, n, "the attention view at position \"%s\" shows c%d, not c%d", pb, k, h->n); return why; }
        if (!dec_shown(p, ri, k, Q_CONTEXT)) { snprintf(why, n, "at position \"%s\" the context vector c%d is not computed yet", pb, k); return why; }
        return NULL;
    }
    if (v == LESSON_VIEW_CELL) {
        int pending, k = cell_view_step(p, ri, &pending);
        if (k == 0) { snprintf(why, n, "the cell view at position \"%s\" shows an encoder cell", pb); return why; }
        if (h->vec == LESSON_VEC_DEC && (h->n == k - 1 || (h->n == k && !pending))) return NULL;
        if (h->vec == LESSON_VEC_CONTEXT && h->n == k && dec_shown(p, ri, k, Q_CONTEXT)) return NULL;
        snprintf(why, n, "the cell view at position \"%s\" shows decoder step %d%s (s%d, s%d and c%d)", pb, k, pending ? ", not run yet" : "",
                 k - 1, k, k);
        return why;
    }
    /* seq2seq: a decoder cell box, once it has run */
    if (h->n < 1) { snprintf(why, n, "view \"seq2seq\" draws the decoder's cells from step 1: s0 is the encoder's last state"); return why; }
    if (!dec_shown(p, ri, h->n, Q_STATE)) { snprintf(why, n, "at position \"%s\" decoder step %d has not run yet", pb, h->n); return why; }
    return NULL;
}

static void check_highlights(Lesson *l, const LessonSlide *s, const Run *r) {
    const LessonSettings *set = &s->set;
    const LessonRunInfo *ri = &r->info;
    for (int i = 0; i < set->n_hl; i++) {
        const LessonHighlight *h = &set->hl[i];
        char hb[160], why[300];
        lesson_highlight_format(h, hb, sizeof hb);
        if (h->kind == LESSON_HL_SOURCE && h->n > ri->source_len)
            lesson_problem(l, h->line, 0, "highlight source %d out of range: the source has %d tokens (<eos> included)", h->n,
                           ri->source_len);
        else if (h->kind == LESSON_HL_TARGET && h->n > ri->out_len + 1)
            lesson_problem(l, h->line, 0, "highlight target %d out of range: the output \"%.200s\" has %d tokens (+ <eos>)", h->n,
                           ri->output, ri->out_len);
        else if (h->kind == LESSON_HL_TOKEN) {
            int found = 0;
            for (int k = 0; k < r->n_src && !found; k++) found = !strcmp(r->src[k], h->text);
            for (int k = 0; k < r->n_out && !found; k++) found = !strcmp(r->out[k], h->text);
            if (!found)
                lesson_problem(l, h->line, 1, "highlight \"%.100s\" is neither a source word nor an output word of this run", h->text);
        } else if (h->kind == LESSON_HL_CELL) {
            if (!ri->has_cells)
                lesson_problem(l, h->line, 0, "highlight %s: the model %.100s has no attention, so there are no attention cells", hb, set->model);
            else if (h->n > ri->tgt_len)
                lesson_problem(l, h->line, 0, "highlight %s out of range: the output \"%.200s\" has %d target words (<eos> included), the rows of the heatmap",
                               hb, ri->output, ri->tgt_len);
            else if (h->m > ri->source_len)
                lesson_problem(l, h->line, 0, "highlight %s out of range: the source has %d words (<eos> included), the columns of the heatmap", hb,
                               ri->source_len);
            else if (hl_not_drawn(set, ri, h, why, sizeof why))
                lesson_problem(l, h->line, 1, "highlight %s is not drawn: %s", hb, why);
        } else if (h->kind == LESSON_HL_VECTOR) {
            if (ri->transformer)
                lesson_problem(l, h->line, 0, "highlight %s: %.100s is a Transformer; vector highlights point at an RNN's states (h_j, s_i, c_i)", hb,
                               set->model);
            else if (h->vec == LESSON_VEC_ENC && h->n > ri->source_len)
                lesson_problem(l, h->line, 0, "highlight %s out of range: the encoder has %d states h1..h%d (<eos> included)", hb, ri->source_len,
                               ri->source_len);
            else if (h->vec == LESSON_VEC_CONTEXT && !ri->has_attention)
                lesson_problem(l, h->line, 0, "highlight %s: the model %.100s has no attention, so there is no context vector", hb, set->model);
            else if (h->vec != LESSON_VEC_ENC && h->n > ri->tgt_len)
                lesson_problem(l, h->line, 0, "highlight %s out of range: this run has %d decoder steps (output \"%.200s\")", hb, ri->tgt_len, ri->output);
            else if (hl_not_drawn(set, ri, h, why, sizeof why))
                lesson_problem(l, h->line, 1, "highlight %s is not drawn: %s", hb, why);
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
        snprintf(key, sizeof key, "%.1000s|%d|%d|%.670s", me->path, set->beam, set->max_len, set->input);
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
        if (set->max_len > 0 && me->m->max_positions > 0 && set->max_len > me->m->max_positions && set->line_max_len > s->line)
            lesson_problem(l, set->line_max_len, 1, "max-length %d: %.100s holds at most %d decoder positions, so it stops there", set->max_len,
                           set->model, me->m->max_positions);
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
