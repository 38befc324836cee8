/* live_train.c — the live-training controller (see live_train.h). */
#include "live_train.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attnstep/tensor.h"
#include "i18n.h"

/* ------------------------------------------------------------------------ */
/* Names and defaults                                                        */
/* ------------------------------------------------------------------------ */

static const char *const TASK_NAMES[LIVE_TASK_COUNT] = {"reverse", "dates", "translate"};
static const char *const ARCH_NAMES[LIVE_ARCH_COUNT] = {"bi-additive", "additive", "dot", "general", "scaled_dot", "none"};
static const char *const ARCH_LABELS[LIVE_ARCH_COUNT] = {
    "BiGRU + additive (Bahdanau)", "GRU + additive (tutorial)", "GRU + dot (Luong)", "LSTM + general (Luong)",
    "GRU + scaled dot", "GRU, no attention"};

const char *live_task_name(LiveTask t) { return t >= 0 && t < LIVE_TASK_COUNT ? TASK_NAMES[t] : "?"; }
const char *live_arch_name(LiveArch a) { return a >= 0 && a < LIVE_ARCH_COUNT ? ARCH_NAMES[a] : "?"; }
const char *live_arch_label(LiveArch a) { return a >= 0 && a < LIVE_ARCH_COUNT ? ARCH_LABELS[a] : "?"; }

int live_task_from_name(const char *s) {
    for (int i = 0; s && i < LIVE_TASK_COUNT; i++)
        if (!strcmp(s, TASK_NAMES[i])) return i;
    return -1;
}

int live_arch_from_name(const char *s) {
    for (int i = 0; s && i < LIVE_ARCH_COUNT; i++)
        if (!strcmp(s, ARCH_NAMES[i])) return i;
    return -1;
}

void live_config_default(LiveConfig *c, LiveTask task) {
    memset(c, 0, sizeof *c);
    c->task = task;
    c->arch = LIVE_ARCH_DOT;
    c->hidden = 64;
    c->batch = 32;
    c->lr = 0.003f;
    c->clip = 1.0f;
    c->seed = 1;
    c->data_seed = 1;
    c->n_dev = 100;
    c->loss_every = 10;
    c->threads = 1;
    switch (task) {
    case LIVE_REVERSE: c->n_train = 5000; c->snapshot_every = 10; c->max_steps = 2000; break;
    case LIVE_DATES: c->n_train = 10000; c->snapshot_every = 50; c->max_steps = 6000; break;
    default: c->n_train = 10000; c->snapshot_every = 100; c->max_steps = 20000; break;
    }
}

/* The corpus settings of a task (reverse: 8 symbols, lengths 3..8; translate: French,
 * sources of at most 8 tokens with the tag). */
static void task_corpus(LiveTask task, CorpusConfig *cc) {
    corpus_config_init(cc, task == LIVE_REVERSE ? CORPUS_REVERSE : task == LIVE_DATES ? CORPUS_DATES : CORPUS_TRANSLATE);
    if (task == LIVE_REVERSE) { cc->symbols = 8; cc->min_len = 3; cc->max_len = 8; }
    if (task == LIVE_TRANSLATE) { cc->lang = CORPUS_LANG_FR; cc->max_src_len = 8; }
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------------------ */
/* The example                                                               */
/* ------------------------------------------------------------------------ */

static int set_example(LiveTrain *lt, const CorpusExample *e, Status *st) {
    if (e->src_len + 1 > LIVE_MAX_TOK || e->tgt_len + 1 > LIVE_MAX_TOK)
        return status_fail(st, TR("the example is too long (%d source, %d target tokens; at most %d)"), e->src_len, e->tgt_len, LIVE_MAX_TOK - 1);
    int chars = corpus_task_mode(lt->cfg.task == LIVE_DATES ? CORPUS_DATES : CORPUS_REVERSE) == VOCAB_CHARS;
    lt->ex_S = e->src_len + 1;
    lt->ex_T = e->tgt_len + 1;
    memset(lt->ex_gold, 0, sizeof lt->ex_gold);
    size_t ls = 0, lg = 0;
    lt->ex_src_text[0] = lt->ex_tgt_text[0] = 0;
    for (int s = 0; s < e->src_len; s++) {
        snprintf(lt->ex_src[s], sizeof lt->ex_src[s], "%.47s", e->src[s]);
        if (ls < sizeof lt->ex_src_text - 1)
            ls += (size_t)snprintf(lt->ex_src_text + ls, sizeof lt->ex_src_text - ls, "%s%.47s", s && !chars ? " " : "", e->src[s]);
    }
    for (int t = 0; t < e->tgt_len; t++) {
        snprintf(lt->ex_tgt[t], sizeof lt->ex_tgt[t], "%.47s", e->tgt[t]);
        if (lg < sizeof lt->ex_tgt_text - 1)
            lg += (size_t)snprintf(lt->ex_tgt_text + lg, sizeof lt->ex_tgt_text - lg, "%s%.47s", t && !chars ? " " : "", e->tgt[t]);
        for (int k = 0; k < e->links[t].n_possible; k++) lt->ex_gold[t][e->links[t].possible[k]] = 1;
        for (int k = 0; k < e->links[t].n_sure; k++) lt->ex_gold[t][e->links[t].sure[k]] = 2;
    }
    snprintf(lt->ex_src[e->src_len], sizeof lt->ex_src[0], "<eos>");
    snprintf(lt->ex_tgt[e->tgt_len], sizeof lt->ex_tgt[0], "<eos>");
    return 0;
}

static int build_example(LiveTrain *lt, Status *st) {
    const char *text = lt->cfg.example;
    CorpusExample e;
    memset(&e, 0, sizeof e);
    int rc = 0;
    if (lt->cfg.task == LIVE_REVERSE) {
        char buf[LIVE_EXAMPLE_MAX];
        snprintf(buf, sizeof buf, "%s", text[0] ? text : "a b c d e f g h");
        const char *tok[LIVE_MAX_TOK];
        int n = 0;
        for (char *save = NULL, *p = strtok_r(buf, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
            if (n >= LIVE_MAX_TOK - 1) return status_fail(st, TR("the reverse example has more than %d symbols"), LIVE_MAX_TOK - 1);
            if (strlen(p) != 1 || p[0] < 'a' || p[0] > 'h')
                return status_fail(st, TR("the reverse example uses the symbols a..h separated by spaces (got '%.40s')"), p);
            tok[n++] = p;
        }
        if (n < 1) return status_fail(st, TR("the reverse example is empty (symbols a..h separated by spaces)"));
        /* built by hand: the gold alignment of reversal is the anti-diagonal */
        int sure[LIVE_MAX_TOK];
        CorpusLinks links[LIVE_MAX_TOK];
        const char *tgt[LIVE_MAX_TOK];
        for (int t = 0; t < n; t++) {
            tgt[t] = tok[n - 1 - t];
            sure[t] = n - 1 - t;
            links[t] = (CorpusLinks){1, &sure[t], 1, &sure[t]};
        }
        CorpusExample h = {.src_len = n, .src = tok, .tgt_len = n, .tgt = tgt, .links = links};
        return set_example(lt, &h, st);
    }
    if (lt->cfg.task == LIVE_DATES) {
        if (text[0]) return status_fail(st, TR("the dates example is fixed (\"the 14th of february, 1971\"): custom dates are not supported"));
        rc = corpus_dates_render(1971, 2, 14, 13, 0, &e, st);
    } else {
        rc = corpus_translate_english(text[0] ? text : "<2fr> the white ship does not sing .", CORPUS_LANG_FR, &e, st);
        if (!rc && e.src_len > 8) {
            corpus_example_free(&e);
            return status_fail(st, TR("the translate example has more than 8 tokens (the small translate task trains on at most 8)"));
        }
    }
    if (rc) return status_prefix(st, TR("example"));
    rc = set_example(lt, &e, st);
    corpus_example_free(&e);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Model, data, trainer                                                      */
/* ------------------------------------------------------------------------ */

static char *json_tokens(const CorpusVocab *v, int tutorial) {
    cJSON *a = cJSON_CreateArray();
    if (tutorial) { /* the tutorial arch wants SOS and EOS at ids 0 and 1 */
        cJSON_AddItemToArray(a, cJSON_CreateString("<sos>"));
        cJSON_AddItemToArray(a, cJSON_CreateString("<eos>"));
    }
    for (int i = 0; i < v->n; i++) {
        if (tutorial && (!strcmp(v->tokens[i], "<sos>") || !strcmp(v->tokens[i], "<eos>"))) continue;
        cJSON_AddItemToArray(a, cJSON_CreateString(v->tokens[i]));
    }
    char *s = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    return s;
}

static int build_specs(LiveTrain *lt, const CorpusConfig *cc, Status *st) {
    const LiveConfig *c = &lt->cfg;
    int tutorial = c->arch == LIVE_ARCH_ADDITIVE;
    CorpusVocab sv = {0}, tv = {0};
    if (corpus_vocab(cc, 0, 1, &sv, st) || corpus_vocab(cc, 1, 1, &tv, st)) { corpus_vocab_free(&sv); return -1; }
    lt->vocab_src = json_tokens(&sv, tutorial);
    lt->vocab_tgt = json_tokens(&tv, tutorial);
    corpus_vocab_free(&sv);
    corpus_vocab_free(&tv);
    const char *tok = c->task == LIVE_DATES ? "chars" : "words";
    int max_len = c->task == LIVE_TRANSLATE ? 80 : 40;
    char buf[1024];
    if (tutorial) snprintf(buf, sizeof buf, "{\"tokenizer\":\"%s\",\"max_len\":%d}", tok, max_len);
    else {
        static const char *const scorer[LIVE_ARCH_COUNT] = {"additive", "additive", "dot", "general", "scaled_dot", "none"};
        int bi = c->arch == LIVE_ARCH_BI_ADDITIVE, luong = c->arch != LIVE_ARCH_BI_ADDITIVE && c->arch != LIVE_ARCH_NONE;
        snprintf(buf, sizeof buf,
                 "{\"cell\":\"%s\",\"nonlinearity\":\"tanh\",\"hidden\":%d,\"emb\":%d,\"layers\":1,\"bidirectional\":%s,"
                 "\"attention\":\"%s\",\"window\":\"global\",\"window_d\":3,\"query\":\"%s\",\"input_feed\":%s,"
                 "\"dec_init\":\"last\",\"query_context\":false,\"query_lang\":false,\"tokenizer\":\"%s\",\"max_len\":%d}",
                 c->arch == LIVE_ARCH_GENERAL ? "lstm" : "gru", c->hidden, c->hidden, bi ? "true" : "false", scorer[c->arch],
                 luong ? "current" : "prev", luong ? "true" : "false", tok, max_len);
    }
    lt->config_json = strdup(buf);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "task", corpus_task_name(cc->task));
    cJSON_AddStringToObject(j, "lang", cc->lang == CORPUS_LANG_FR ? "fr" : cc->lang == CORPUS_LANG_ES ? "es" : "both");
    cJSON_AddNumberToObject(j, "symbols", cc->symbols);
    cJSON_AddNumberToObject(j, "min_len", cc->min_len);
    cJSON_AddNumberToObject(j, "max_len", cc->max_len);
    cJSON_AddNumberToObject(j, "max_src_len", cc->max_src_len);
    lt->meta_corpus = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    j = cJSON_CreateObject();
    char seed[32], dseed[32];
    snprintf(seed, sizeof seed, "%" PRIu64, c->seed);
    snprintf(dseed, sizeof dseed, "%" PRIu64, c->data_seed);
    cJSON_AddNumberToObject(j, "batch", c->batch);
    cJSON_AddNumberToObject(j, "lr", c->lr);
    cJSON_AddStringToObject(j, "schedule", "constant");
    cJSON_AddNumberToObject(j, "warmup", 0);
    cJSON_AddNumberToObject(j, "clip", c->clip);
    cJSON_AddNumberToObject(j, "dropout", 0);
    cJSON_AddStringToObject(j, "seed", seed);
    cJSON_AddStringToObject(j, "data_seed", dseed);
    cJSON_AddNumberToObject(j, "n_train", c->n_train);
    cJSON_AddNumberToObject(j, "n_dev", c->n_dev);
    cJSON_AddNumberToObject(j, "threads", c->threads);
    cJSON_AddStringToObject(j, "source", "attnstep live training (view 9)");
    lt->meta_train = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!lt->vocab_src || !lt->vocab_tgt || !lt->config_json || !lt->meta_corpus || !lt->meta_train) return status_fail(st, TR("out of memory"));
    return 0;
}

static void free_model(LiveTrain *lt) {
    trainer_free(lt->trainer);
    train_acts_free(lt->ex_acts);
    seq2seq_run_free(lt->ex_run);
    seq2seq_free(lt->model);
    lt->trainer = NULL;
    lt->ex_acts = NULL;
    lt->ex_run = NULL;
    lt->model = NULL;
}

/* A fresh model (seeded), its trainer and the example's buffers. */
static int build_model(LiveTrain *lt, float lr, Status *st) {
    const LiveConfig *c = &lt->cfg;
    const char *arch = c->arch == LIVE_ARCH_ADDITIVE ? "tutorial-gru-bahdanau" : "rnn-seq2seq";
    char name[96];
    snprintf(name, sizeof name, "live-%s-%s", live_task_name(c->task), live_arch_name(c->arch));
    const char *task = live_task_name(c->task);
    const char *keys[] = {"name", "task", "corpus", "train_config"};
    const char *vals[] = {name, task, lt->meta_corpus, lt->meta_train};
    lt->model = train_model_new(arch, lt->config_json, c->hidden, lt->vocab_src,
                                lt->vocab_tgt, c->seed, keys, vals, 4, st);
    if (!lt->model) return -1;
    Seq2Seq *m = lt->model;
    for (int s = 0; s < lt->ex_S - 1; s++) {
        int id = vocab_id(m->src_vocab, lt->ex_src[s]);
        if (id < 0) { free_model(lt); return status_fail(st, TR("the example's source token '%.40s' is not in the task's vocabulary"), lt->ex_src[s]); }
        lt->ex_src_ids[s] = id;
    }
    lt->ex_src_ids[lt->ex_S - 1] = m->src_eos;
    for (int t = 0; t < lt->ex_T - 1; t++) {
        int id = vocab_id(m->tgt_vocab, lt->ex_tgt[t]);
        if (id < 0) { free_model(lt); return status_fail(st, TR("the example's target token '%.40s' is not in the task's vocabulary"), lt->ex_tgt[t]); }
        lt->ex_tgt_ids[t] = id;
    }
    lt->ex_tgt_ids[lt->ex_T - 1] = m->tgt_eos;
    TrainConfig tc;
    train_config_default(&tc);
    tc.batch = c->batch;
    tc.lr = lr;
    tc.clip = c->clip;
    tc.seed = c->seed;
    tc.threads = c->threads;
    int mS = lt->train.max_src > lt->ex_S ? lt->train.max_src : lt->ex_S;
    int mT = lt->train.max_tgt > lt->ex_T ? lt->train.max_tgt : lt->ex_T;
    if (!(lt->trainer = trainer_new(m, &tc, mS, mT, st)) || !(lt->ex_acts = train_acts_new(m, 1, lt->ex_S, lt->ex_T, st)) ||
        !(lt->ex_run = seq2seq_run_new(m, lt->ex_S, 1, st))) {
        free_model(lt);
        return -1;
    }
    lt->has_attention = m->cfg.scorer != ATTN_NONE;
    lt->param_count = m->param_count;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Snapshots (worker side)                                                   */
/* ------------------------------------------------------------------------ */

static void snap_free(LiveSnap *s) {
    if (!s) return;
    free(s->attn);
    free(s);
}

/* Computes a snapshot of the current model (no lock held). NULL on out of memory. */
static LiveSnap *snap_take(LiveTrain *lt, Status *st) {
    LiveSnap *s = calloc(1, sizeof *s);
    if (!s) { status_fail(st, TR("out of memory")); return NULL; }
    Seq2Seq *m = lt->model;
    s->step = lt->trainer->step;
    s->loss = lt->acc_n ? (float)(lt->acc_loss / (double)lt->acc_n) : NAN;
    s->lr = lt->trainer->cfg.lr;
    s->T = lt->ex_T;
    s->S = lt->ex_S;
    s->entropy = s->max_weight = s->align = NAN;
    /* teacher-forced attention of the example */
    int S = lt->ex_S, T = lt->ex_T;
    TrainBatch b = {1, S, T, lt->ex_src_ids, &S, lt->ex_tgt_ids, &T};
    train_forward(m, lt->ex_acts, &b, 0.0f, NULL);
    if (lt->has_attention) {
        s->attn = malloc((size_t)S * (size_t)T * sizeof(float));
        if (!s->attn) { free(s); status_fail(st, TR("out of memory")); return NULL; }
        double ent = 0, mx = 0, hit = 0;
        int rows = 0;
        for (int t = 0; t < T; t++) {
            const float *w = train_weights(lt->ex_acts, t, 0);
            for (int j = 0; j < S; j++) s->attn[(size_t)t * S + j] = w ? w[j] : 0.0f;
            if (t == T - 1) continue; /* the <eos> row has no gold link */
            /* dates: the dashes come from the output format, not from a source character
             * (the corpus links them to the next field by convention): not scored */
            if (lt->cfg.task == LIVE_DATES && !strcmp(lt->ex_tgt[t], "-")) continue;
            rows++;
            const float *r = s->attn + (size_t)t * S;
            double e = 0, best = -1;
            int arg = 0;
            for (int j = 0; j < S; j++) {
                if (r[j] > 0) e -= r[j] * log(r[j]);
                if (r[j] > best) { best = r[j]; arg = j; }
            }
            ent += e;
            mx += best;
            hit += lt->ex_gold[t][arg] > 0;
        }
        int n = rows > 0 ? rows : 1;
        s->entropy = (float)(ent / n);
        s->max_weight = (float)(mx / n);
        s->align = (float)(hit / n);
        s->sharp = s->max_weight >= LIVE_SHARP_MAX && s->align >= LIVE_SHARP_ALIGN;
    }
    /* the example's greedy output */
    int out[LIVE_MAX_TOK * 2 + 5], n = 0;
    int chars = lt->cfg.task == LIVE_DATES;
    if (train_greedy(m, lt->ex_run, lt->ex_src_ids, S, T * 2 + 5, out, &n, NULL, st) == 0) {
        size_t len = 0;
        for (int i = 0; i < n && len < sizeof s->output - 1; i++)
            len += (size_t)snprintf(s->output + len, sizeof s->output - len, "%s%.60s", i && !chars ? " " : "", vocab_token(m->tgt_vocab, out[i]));
        int ok = n == T - 1;
        for (int i = 0; ok && i < n; i++) ok = out[i] == lt->ex_tgt_ids[i];
        s->output_ok = ok;
    } else snprintf(s->output, sizeof s->output, TR("(greedy decoding failed: %.200s)"), st->message);
    TrainEval ev = {0};
    if (lt->dev.n > 0 && train_evaluate(m, &lt->dev, lt->dev.n, &ev, st) == 0) {
        s->dev_exact = (float)ev.exact;
        s->dev_token = (float)ev.token_acc;
    }
    lt->acc_loss = 0;
    lt->acc_n = 0;
    return s;
}

/* Publishes s (takes ownership); thins the list when full. Lock held. */
static void snap_publish(LiveTrain *lt, LiveSnap *s, double seconds) {
    s->seconds = seconds;
    if (lt->n_snaps == LIVE_MAX_SNAPS) {
        int k = 0;
        for (int i = 0; i < lt->n_snaps; i++) {
            if (i % 2 == 0 || i == lt->n_snaps - 1) lt->snaps[k++] = lt->snaps[i];
            else snap_free(lt->snaps[i]);
        }
        lt->n_snaps = k;
        lt->snap_every *= 2;
    }
    lt->snaps[lt->n_snaps++] = s;
}

static void clear_published(LiveTrain *lt) {
    for (int i = 0; i < lt->n_snaps; i++) snap_free(lt->snaps[i]);
    lt->n_snaps = 0;
    lt->n_loss = 0;
    lt->snap_every = lt->cfg.snapshot_every;
    lt->loss_every = lt->cfg.loss_every;
    lt->step = 0;
    lt->seconds = 0;
    lt->failed = 0;
    lt->steps_per_s = 0;
}

/* Takes and publishes a snapshot of the current model. */
static int snapshot_now(LiveTrain *lt, Status *st) {
    double t0 = now_s();
    LiveSnap *s = snap_take(lt, st);
    if (!s) return -1;
    double dt = now_s() - t0;
    pthread_mutex_lock(&lt->mu);
    lt->seconds += dt;
    snap_publish(lt, s, lt->seconds);
    pthread_mutex_unlock(&lt->mu);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Steps and commands (worker side)                                          */
/* ------------------------------------------------------------------------ */

static void set_message(LiveTrain *lt, int error, const char *msg) {
    snprintf(lt->message, sizeof lt->message, "%.500s", msg);
    lt->message_error = error;
}

/* One batch (+ the loss point and snapshot it completes). Lock not held. */
static int one_step(LiveTrain *lt, int force_snapshot, Status *st) {
    double t0 = now_s();
    float loss = 0;
    if (trainer_step(lt->trainer, &lt->train, &loss, st)) {
        pthread_mutex_lock(&lt->mu);
        lt->failed = 1;
        lt->playing = 0;
        lt->step_req = 0;
        char msg[600];
        snprintf(msg, sizeof msg, TR("training stopped at step %ld: %.400s (press Reset, perhaps with a lower learning rate)"),
                 lt->trainer->step, st->message);
        set_message(lt, 1, msg);
        pthread_mutex_unlock(&lt->mu);
        return -1;
    }
    lt->acc_loss += loss;
    lt->acc_n++;
    lt->blk_loss += loss;
    lt->blk_n++;
    long step = lt->trainer->step;
    double dt = now_s() - t0;
    pthread_mutex_lock(&lt->mu);
    lt->step = step;
    lt->seconds += dt;
    if (lt->blk_n >= lt->loss_every) {
        if (lt->n_loss == LIVE_MAX_LOSS) { /* merge pairs: the curve keeps its whole span */
            int k = 0;
            for (int i = 0; i + 1 < lt->n_loss; i += 2, k++) {
                lt->loss_pts[k] = 0.5f * (lt->loss_pts[i] + lt->loss_pts[i + 1]);
                lt->loss_step[k] = lt->loss_step[i + 1];
            }
            lt->n_loss = k;
            lt->loss_every *= 2;
        }
        lt->loss_pts[lt->n_loss] = (float)(lt->blk_loss / (double)lt->blk_n);
        lt->loss_step[lt->n_loss++] = step;
        lt->blk_loss = 0;
        lt->blk_n = 0;
    }
    double t = now_s();
    if (t - lt->speed_t0 >= 0.5) {
        if (lt->speed_t0 > 0) lt->steps_per_s = (double)(step - lt->speed_s0) / (t - lt->speed_t0);
        lt->speed_t0 = t;
        lt->speed_s0 = step;
    }
    int snap = force_snapshot || step % lt->snap_every == 0;
    float pace = lt->pace;
    if (lt->stop_at > 0 && step >= lt->stop_at) {
        lt->playing = 0;
        lt->stop_at = 0;
        snap = 1;
        char msg[160];
        snprintf(msg, sizeof msg, TR("paused at step %ld (the run's length): Play continues"), step);
        set_message(lt, 0, msg);
    }
    pthread_mutex_unlock(&lt->mu);
    int rc = snap ? snapshot_now(lt, st) : 0;
    if (pace > 0 && lt->threaded) { /* slow motion: wait out the rest of this step's share (commands wake us) */
        double until = t0 + 1.0 / pace;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double left = until - now_s();
        if (left > 0) {
            long ns = ts.tv_nsec + (long)(left * 1e9);
            ts.tv_sec += ns / 1000000000L;
            ts.tv_nsec = ns % 1000000000L;
            pthread_mutex_lock(&lt->mu);
            if (!lt->n_cmds && !lt->quit && lt->playing) pthread_cond_timedwait(&lt->wake, &lt->mu, &ts);
            pthread_mutex_unlock(&lt->mu);
        }
    }
    return rc;
}

static void exec_cmd(LiveTrain *lt, const LiveCmd *c) {
    Status st = {{0}};
    char msg[1200];
    if (c->kind == LIVE_CMD_LR) {
        if (lt->trainer) lt->trainer->cfg.lr = c->lr;
        pthread_mutex_lock(&lt->mu);
        lt->lr = c->lr;
        snprintf(msg, sizeof msg, TR("learning rate %g from step %ld"), c->lr, lt->step);
        set_message(lt, 0, msg);
        pthread_mutex_unlock(&lt->mu);
    } else if (c->kind == LIVE_CMD_RESET) {
        pthread_mutex_lock(&lt->mu);
        float lr = lt->lr;
        pthread_mutex_unlock(&lt->mu);
        free_model(lt);
        lt->acc_loss = lt->blk_loss = 0;
        lt->acc_n = lt->blk_n = 0;
        lt->speed_t0 = 0;
        int rc = build_model(lt, lr, &st);
        pthread_mutex_lock(&lt->mu);
        clear_published(lt);
        lt->playing = 0;
        lt->step_req = 0;
        if (rc) { lt->failed = 1; snprintf(msg, sizeof msg, TR("reset failed: %.500s"), st.message); set_message(lt, 1, msg); }
        else {
            snprintf(msg, sizeof msg, TR("reset: a fresh model from seed %llu (learning rate %g)"), (unsigned long long)lt->cfg.seed, lr);
            set_message(lt, 0, msg);
        }
        pthread_mutex_unlock(&lt->mu);
        if (!rc && snapshot_now(lt, &st)) {
            pthread_mutex_lock(&lt->mu);
            set_message(lt, 1, st.message);
            pthread_mutex_unlock(&lt->mu);
        }
    } else {
        char sloss[32], sexact[32], stok[32];
        pthread_mutex_lock(&lt->mu);
        const LiveSnap *last = lt->n_snaps ? lt->snaps[lt->n_snaps - 1] : NULL;
        snprintf(sloss, sizeof sloss, "%.6f", last && isfinite(last->loss) ? last->loss : 0.0);
        snprintf(sexact, sizeof sexact, "%.4f", last ? last->dev_exact : 0.0);
        snprintf(stok, sizeof stok, "%.4f", last ? last->dev_token : 0.0);
        pthread_mutex_unlock(&lt->mu);
        const char *keys[] = {"train_loss", "dev_exact_match", "dev_token_accuracy"};
        const char *vals[] = {sloss, sexact, stok};
        int rc = lt->model ? trainer_save(lt->trainer, c->path, keys, vals, 3, &st) : status_fail(&st, TR("no model (reset failed)"));
        pthread_mutex_lock(&lt->mu);
        if (rc) { snprintf(msg, sizeof msg, TR("save failed: %.500s"), st.message); set_message(lt, 1, msg); }
        else {
            snprintf(lt->saved_path, sizeof lt->saved_path, "%s", c->path);
            lt->saved_count++;
            snprintf(msg, sizeof msg, TR("saved step %ld to %.900s"), lt->trainer->step, c->path);
            set_message(lt, 0, msg);
        }
        pthread_mutex_unlock(&lt->mu);
    }
}

static void *worker(void *arg) {
    LiveTrain *lt = arg;
    Status st = {{0}};
    int was_playing = 0;
    pthread_mutex_lock(&lt->mu);
    while (!lt->quit) {
        if (lt->n_cmds > 0) {
            LiveCmd c = lt->cmds[0];
            memmove(lt->cmds, lt->cmds + 1, (size_t)(lt->n_cmds - 1) * sizeof c);
            lt->n_cmds--;
            lt->busy = 1;
            pthread_mutex_unlock(&lt->mu);
            exec_cmd(lt, &c);
            pthread_mutex_lock(&lt->mu);
            lt->busy = 0;
            lt->done_cmds++;
            was_playing = lt->playing;
            pthread_cond_broadcast(&lt->idle);
            continue;
        }
        int can = lt->model && !lt->failed;
        if (can && (lt->playing || lt->step_req > 0)) {
            int single = !lt->playing;
            if (single) lt->step_req--;
            was_playing = lt->playing;
            pthread_mutex_unlock(&lt->mu);
            one_step(lt, single, &st);
            pthread_mutex_lock(&lt->mu);
            pthread_cond_broadcast(&lt->idle);
            continue;
        }
        lt->step_req = 0;
        if (was_playing && lt->model && !lt->failed && (lt->n_snaps == 0 || lt->snaps[lt->n_snaps - 1]->step != lt->step)) {
            /* paused: the strip ends at the current step */
            was_playing = 0;
            pthread_mutex_unlock(&lt->mu);
            if (snapshot_now(lt, &st)) {
                pthread_mutex_lock(&lt->mu);
                set_message(lt, 1, st.message);
                pthread_mutex_unlock(&lt->mu);
            }
            pthread_mutex_lock(&lt->mu);
            continue;
        }
        was_playing = 0;
        lt->parked = 1;
        pthread_cond_broadcast(&lt->idle);
        pthread_cond_wait(&lt->wake, &lt->mu);
        lt->parked = 0;
    }
    pthread_mutex_unlock(&lt->mu);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Public API                                                                */
/* ------------------------------------------------------------------------ */

LiveTrain *live_train_new(const LiveConfig *cfg, Status *st) {
    const LiveConfig *c = cfg;
    if (c->task < 0 || c->task >= LIVE_TASK_COUNT) { status_fail(st, TR("unknown task %d (reverse, dates or translate)"), (int)c->task); return NULL; }
    if (c->arch < 0 || c->arch >= LIVE_ARCH_COUNT) { status_fail(st, TR("unknown architecture %d"), (int)c->arch); return NULL; }
    if (c->hidden < 4 || c->hidden > 512) { status_fail(st, TR("hidden size %d is outside 4..512"), c->hidden); return NULL; }
    if (c->batch < 1 || c->batch > 512) { status_fail(st, TR("batch size %d is outside 1..512"), c->batch); return NULL; }
    if (!(c->lr > 0 && c->lr <= 1)) { status_fail(st, TR("learning rate %g is outside (0, 1]"), c->lr); return NULL; }
    if (c->n_train < 10 || c->n_train > 200000) { status_fail(st, TR("%d training examples: use 10..200000"), c->n_train); return NULL; }
    if (c->n_dev < 0 || c->n_dev > 5000) { status_fail(st, TR("%d dev examples: use 0..5000"), c->n_dev); return NULL; }
    if (c->snapshot_every < 1 || c->snapshot_every > 1000000) { status_fail(st, TR("snapshot every %d steps: use 1..1000000"), c->snapshot_every); return NULL; }
    if (c->loss_every < 1 || c->loss_every > 100000) { status_fail(st, TR("loss point every %d steps: use 1..100000"), c->loss_every); return NULL; }
    if (c->threads < 1 || c->threads > TRAIN_MAX_THREADS) { status_fail(st, TR("%d trainer threads: use 1..%d"), c->threads, TRAIN_MAX_THREADS); return NULL; }
    if (c->max_steps < 0) { status_fail(st, TR("max steps %ld is negative"), c->max_steps); return NULL; }
    LiveTrain *lt = calloc(1, sizeof *lt);
    if (!lt) { status_fail(st, TR("out of memory")); return NULL; }
    lt->cfg = *c;
    lt->cfg.example[LIVE_EXAMPLE_MAX - 1] = 0;
    pthread_mutex_init(&lt->mu, NULL);
    pthread_cond_init(&lt->wake, NULL);
    pthread_cond_init(&lt->idle, NULL);
    lt->lr = c->lr;
    lt->stop_at = c->max_steps;
    clear_published(lt);
    tensor_set_threads(1); /* one BLAS thread: the trainer's workers split batches, the other core draws */
    CorpusConfig cc;
    task_corpus(c->task, &cc);
    if (build_example(lt, st) || build_specs(lt, &cc, st)) goto fail;
    /* a throwaway model maps the corpora onto the vocabularies (train_data needs one) */
    if (build_model(lt, c->lr, st)) goto fail;
    if (train_data_for_task(&cc, c->data_seed, c->n_train, c->n_dev, lt->model, NULL, &lt->train, &lt->dev, st)) goto fail;
    free_model(lt); /* rebuilt with trainer buffers sized for the data */
    if (build_model(lt, c->lr, st)) goto fail;
    lt->n_train = lt->train.n;
    lt->n_dev = lt->dev.n;
    if (snapshot_now(lt, st)) goto fail;
    return lt;
fail:
    live_train_free(lt);
    return NULL;
}

void live_train_free(LiveTrain *lt) {
    if (!lt) return;
    if (lt->threaded) {
        pthread_mutex_lock(&lt->mu);
        lt->quit = 1;
        pthread_cond_broadcast(&lt->wake);
        pthread_mutex_unlock(&lt->mu);
        pthread_join(lt->thread, NULL);
    }
    free_model(lt);
    train_data_free(&lt->train);
    train_data_free(&lt->dev);
    for (int i = 0; i < lt->n_snaps; i++) snap_free(lt->snaps[i]);
    free(lt->vocab_src);
    free(lt->vocab_tgt);
    free(lt->config_json);
    free(lt->meta_corpus);
    free(lt->meta_train);
    pthread_mutex_destroy(&lt->mu);
    pthread_cond_destroy(&lt->wake);
    pthread_cond_destroy(&lt->idle);
    free(lt);
}

int live_train_start(LiveTrain *lt, Status *st) {
    if (lt->threaded) return 0;
    if (pthread_create(&lt->thread, NULL, worker, lt)) return status_fail(st, TR("cannot start the training thread"));
    lt->threaded = 1;
    return 0;
}

int live_train_run(LiveTrain *lt, long n, Status *st) {
    if (lt->threaded) return status_fail(st, TR("live_train_run is for the synchronous mode (a worker thread is running)"));
    for (long i = 0; i < n; i++) {
        if (!lt->model || lt->failed) return status_fail(st, "%s", lt->message[0] ? lt->message : TR("no model"));
        if (one_step(lt, 0, st)) return -1;
    }
    return 0;
}

static void post(LiveTrain *lt, const LiveCmd *c) {
    if (!lt->threaded) {
        exec_cmd(lt, c);
        lt->done_cmds++;
        return;
    }
    pthread_mutex_lock(&lt->mu);
    if (lt->n_cmds < LIVE_MAX_CMDS) {
        lt->cmds[lt->n_cmds++] = *c;
        pthread_cond_broadcast(&lt->wake);
    } else
        set_message(lt, 1, TR("busy: too many commands waiting (try again)"));
    pthread_mutex_unlock(&lt->mu);
}

void live_train_play(LiveTrain *lt, int on) {
    pthread_mutex_lock(&lt->mu);
    if (on && lt->failed) set_message(lt, 1, TR("training stopped: press Reset first"));
    else {
        lt->playing = on && lt->threaded;
        if (lt->playing && lt->stop_at == 0 && lt->cfg.max_steps > 0) lt->stop_at = lt->step + lt->cfg.max_steps;
        if (!lt->threaded && on) set_message(lt, 1, TR("no training thread (synchronous mode)"));
    }
    pthread_cond_broadcast(&lt->wake);
    pthread_mutex_unlock(&lt->mu);
}

void live_train_step(LiveTrain *lt) {
    if (!lt->threaded) {
        Status st = {{0}};
        if (lt->model && !lt->failed) one_step(lt, 1, &st);
        return;
    }
    pthread_mutex_lock(&lt->mu);
    if (lt->playing) lt->playing = 0; /* Step pauses, like the stepper's arrow keys */
    else if (lt->step_req < 100) lt->step_req++;
    pthread_cond_broadcast(&lt->wake);
    pthread_mutex_unlock(&lt->mu);
}

void live_train_reset(LiveTrain *lt) {
    LiveCmd c = {.kind = LIVE_CMD_RESET};
    post(lt, &c);
}

void live_train_set_lr(LiveTrain *lt, float lr) {
    if (!(lr > 0 && lr <= 1)) {
        pthread_mutex_lock(&lt->mu);
        char msg[120];
        snprintf(msg, sizeof msg, TR("learning rate %g is outside (0, 1]"), lr);
        set_message(lt, 1, msg);
        pthread_mutex_unlock(&lt->mu);
        return;
    }
    LiveCmd c = {.kind = LIVE_CMD_LR, .lr = lr};
    post(lt, &c);
}

void live_train_save(LiveTrain *lt, const char *path) {
    LiveCmd c = {.kind = LIVE_CMD_SAVE};
    if (!path || !path[0] || strlen(path) >= sizeof c.path) {
        pthread_mutex_lock(&lt->mu);
        set_message(lt, 1, TR("save: no file name, or a name longer than 1023 bytes"));
        pthread_mutex_unlock(&lt->mu);
        return;
    }
    snprintf(c.path, sizeof c.path, "%s", path);
    post(lt, &c);
}

void live_train_wait(LiveTrain *lt) {
    if (!lt->threaded) return;
    pthread_mutex_lock(&lt->mu);
    while (lt->n_cmds > 0 || lt->step_req > 0 || lt->busy || (!lt->playing && !lt->parked)) pthread_cond_wait(&lt->idle, &lt->mu);
    pthread_mutex_unlock(&lt->mu);
}

void live_train_lock(LiveTrain *lt) { pthread_mutex_lock(&lt->mu); }
void live_train_unlock(LiveTrain *lt) { pthread_mutex_unlock(&lt->mu); }

int live_train_first_sharp(const LiveTrain *lt) {
    for (int i = 0; i < lt->n_snaps; i++)
        if (lt->snaps[i]->sharp) return i;
    return -1;
}

void live_train_set_pace(LiveTrain *lt, float steps_per_s) {
    pthread_mutex_lock(&lt->mu);
    lt->pace = steps_per_s > 0 ? steps_per_s : 0;
    pthread_cond_broadcast(&lt->wake);
    pthread_mutex_unlock(&lt->mu);
}
