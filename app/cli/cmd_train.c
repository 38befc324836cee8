/* cmd_train.c — `attnstep train`: train an RNN encoder–decoder on a synthetic task.
 *
 * Builds the vocabularies from corpus_vocab, a fresh model (train_model_new) or, with
 * --resume, the checkpoint at --out (model + FILE.opt.safetensors, continuing bit-for-bit
 * with the settings stored in the model's `train_config` metadata unless an option on the
 * command line overrides one: resume_settings), then runs Adam steps, printing a progress
 * line and checkpointing (atomically) at every dev evaluation.
 * docs/training.md documents every option and the --resume rules. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "attnstep/corpus.h"
#include "attnstep/tensor.h"
#include "attnstep/train.h"
#include "commands.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: attnstep train --task reverse|dates|translate --out FILE [options]\n"
            "       attnstep train --out FILE --resume [--steps N] [optimisation/run options to override]\n"
            "\n"
            "model (a new model; not with --resume):\n"
            "  --arch tutorial-gru-bahdanau|rnn-seq2seq|tutorial-transformer   (default tutorial-gru-bahdanau)\n"
            "  Transformer: --d D (64)  --heads N (4)  --ffn F (4D)  --enc-layers L (2)  --dec-layers L (2)  --norm-first\n"
            "  --hidden H (128)  --emb E (= H)  --layers L (1)  --bidirectional  --cell gru|lstm|elman\n"
            "  --nonlinearity tanh|relu  --attention none|additive|concat|dot|general|scaled_dot|cosine|location\n"
            "  --window global|local-m|local-p  --window-d D (3)  --query prev|current  --input-feed\n"
            "  --dec-init last|zeros  --query-context  --query-lang  --max-src-len M (location)\n"
            "  --name NAME        shown by the app (default: the output file name)\n"
            "data:\n"
            "  --task reverse|dates|translate  --lang fr|es|both (translate)  --n-train N (20000)\n"
            "  --n-dev N (300)  --data-seed S (1)  --symbols K --min-len A --max-len B (reverse)\n"
            "  --max-src-len-data L  drop examples with longer sources\n"
            "optimisation:\n"
            "  --steps N (2000)  --batch B (32)  --lr LR (0.001)  --schedule constant|linear\n"
            "  --warmup W (0; linear: warmup steps, then linear decay to 0 at --steps)\n"
            "  --clip C (1.0, global gradient norm; 0 = off)  --dropout P (0)  --seed S (1)\n"
            "run:\n"
            "  --out FILE  checkpoint/model path (FILE.opt.safetensors holds the optimiser state)\n"
            "  --threads T (1: worker threads splitting each batch)\n"
            "  --dev-every N (250; also the checkpoint interval)  --log-every N (50)\n"
            "  --resume  continue the checkpoint at --out with the settings stored in it (the\n"
            "            optimisation and run options, --n-train, --n-dev, --data-seed); one given\n"
            "            overrides its stored value, with a note saying what that changes (--seed\n"
            "            cannot change); --steps is the total, not extra steps; the model options,\n"
            "            --name, --task, --lang, --symbols, --min-len, --max-len and\n"
            "            --max-src-len-data are refused (the checkpoint fixes them)\n");
}

typedef struct Opts {
    const char *task, *arch, *cell, *nonlin, *attention, *window, *query, *dec_init, *out, *name, *lang, *schedule;
    int hidden, emb, layers, bi, window_d, feed, qctx, qlang, max_src_len;
    int tfm_d, tfm_heads, tfm_ffn, tfm_enc, tfm_dec, tfm_norm_first;
    int n_train, n_dev, symbols, min_len, max_len, max_src_data;
    long steps;
    int batch, warmup, threads, dev_every, log_every, resume;
    double lr, clip, dropout;
    uint64_t seed, data_seed;
} Opts;

static int num(const char *opt, const char *s, double lo, double hi, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || !end || *end || end == s || !(v >= lo && v <= hi)) {
        fprintf(stderr, "train: %s expects a number in %g..%g (got '%s')\n", opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static char *json_tokens(const CorpusVocab *v, int tutorial) {
    cJSON *a = cJSON_CreateArray();
    /* tutorial: SOS and EOS must be ids 0 and 1 (corpus_vocab puts <pad> <unk> <sos> <eos> first) */
    if (tutorial) {
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

/* Corpus settings stored in model metadata "corpus" (eval reuses them). */
int train_cli_corpus_config(const char *json, CorpusConfig *cc, Status *st);
int train_cli_corpus_config(const char *json, CorpusConfig *cc, Status *st) {
    cJSON *j = json ? cJSON_Parse(json) : NULL;
    if (!j) return status_fail(st, "the model has no usable 'corpus' metadata (pass --task)");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "task");
    int task = cJSON_IsString(v) ? corpus_task_from_name(v->valuestring) : -1;
    if (task < 0) { cJSON_Delete(j); return status_fail(st, "corpus metadata names no known task"); }
    corpus_config_init(cc, (CorpusTask)task);
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "lang")) && cJSON_IsString(v)) {
        int l = corpus_lang_from_name(v->valuestring);
        if (l >= 0) cc->lang = (CorpusLang)l;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "symbols")) && cJSON_IsNumber(v)) cc->symbols = v->valueint;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "min_len")) && cJSON_IsNumber(v)) cc->min_len = v->valueint;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "max_len")) && cJSON_IsNumber(v)) cc->max_len = v->valueint;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "max_src_len")) && cJSON_IsNumber(v)) cc->max_src_len = v->valueint;
    cJSON_Delete(j);
    return 0;
}

static char *corpus_json(const CorpusConfig *cc) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "task", corpus_task_name(cc->task));
    cJSON_AddStringToObject(j, "lang", cc->lang == CORPUS_LANG_FR ? "fr" : cc->lang == CORPUS_LANG_ES ? "es" : "both");
    cJSON_AddNumberToObject(j, "symbols", cc->symbols);
    cJSON_AddNumberToObject(j, "min_len", cc->min_len);
    cJSON_AddNumberToObject(j, "max_len", cc->max_len);
    cJSON_AddNumberToObject(j, "max_src_len", cc->max_src_len);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

/* ------------------------------------------------------------------------ */
/* The run settings of a checkpoint (metadata train_config) and --resume      */
/* ------------------------------------------------------------------------ */

/* What a changed setting does to a resumed run (the note printed when an option overrides
 * the checkpoint's value). */
typedef enum SetEffect {
    EFFECT_WEIGHTS,  /* the optimisation from here on: the weights differ from an uninterrupted run's */
    EFFECT_ROUNDING, /* --threads: the same sums in another grouping, the weights differ by rounding */
    EFFECT_INTERVAL, /* --dev-every: checkpoints and dev evaluations; weights unaffected, train_loss and dev figures differ */
    EFFECT_DEV_SET,  /* --n-dev: the dev figures only */
    EFFECT_NONE,     /* --log-every: the progress lines only */
    EFFECT_STEPS,    /* --steps: the total; changes the linear schedule's decay */
    EFFECT_FIXED,    /* --seed: consumed at the start, the generator state continues: cannot change */
} SetEffect;

typedef enum SetKind { SET_INT, SET_LONG, SET_DOUBLE, SET_STR, SET_U64 } SetKind;

/* One setting: its option, its train_config key (written in this order), where it lives in
 * Opts. Every key here is stored in a fresh run's checkpoints, and --resume takes each from
 * the checkpoint unless its option is on the command line (docs/training.md). */
typedef struct Setting {
    const char *opt, *key;
    SetKind kind;
    size_t off;
    SetEffect effect;
} Setting;

static const Setting SETTINGS[] = {
    {"--batch", "batch", SET_INT, offsetof(Opts, batch), EFFECT_WEIGHTS},
    {"--lr", "lr", SET_DOUBLE, offsetof(Opts, lr), EFFECT_WEIGHTS},
    {"--schedule", "schedule", SET_STR, offsetof(Opts, schedule), EFFECT_WEIGHTS},
    {"--warmup", "warmup", SET_INT, offsetof(Opts, warmup), EFFECT_WEIGHTS},
    {"--clip", "clip", SET_DOUBLE, offsetof(Opts, clip), EFFECT_WEIGHTS},
    {"--dropout", "dropout", SET_DOUBLE, offsetof(Opts, dropout), EFFECT_WEIGHTS},
    {"--seed", "seed", SET_U64, offsetof(Opts, seed), EFFECT_FIXED},
    {"--data-seed", "data_seed", SET_U64, offsetof(Opts, data_seed), EFFECT_WEIGHTS},
    {"--n-train", "n_train", SET_INT, offsetof(Opts, n_train), EFFECT_WEIGHTS},
    {"--n-dev", "n_dev", SET_INT, offsetof(Opts, n_dev), EFFECT_DEV_SET},
    {"--steps", "steps", SET_LONG, offsetof(Opts, steps), EFFECT_STEPS},
    {"--threads", "threads", SET_INT, offsetof(Opts, threads), EFFECT_ROUNDING},
    {"--dev-every", "dev_every", SET_INT, offsetof(Opts, dev_every), EFFECT_INTERVAL},
    {"--log-every", "log_every", SET_INT, offsetof(Opts, log_every), EFFECT_NONE},
};
#define N_SETTINGS ((int)(sizeof SETTINGS / sizeof SETTINGS[0]))

/* Options that define the model, its vocabularies or its corpus: a checkpoint fixes them,
 * so --resume refuses them instead of ignoring them. */
static const char *const MODEL_OPTS[] = {
    "--task", "--lang", "--symbols", "--min-len", "--max-len", "--max-src-len-data", "--arch", "--cell",
    "--nonlinearity", "--hidden", "--emb", "--layers", "--bidirectional", "--attention", "--window", "--window-d",
    "--query", "--input-feed", "--dec-init", "--query-context", "--query-lang", "--max-src-len", "--d", "--heads",
    "--ffn", "--enc-layers", "--dec-layers", "--norm-first", "--name"};

static int setting_index(const char *opt) {
    for (int k = 0; k < N_SETTINGS; k++)
        if (!strcmp(opt, SETTINGS[k].opt)) return k;
    return -1;
}

static int is_model_opt(const char *opt) {
    for (size_t k = 0; k < sizeof MODEL_OPTS / sizeof MODEL_OPTS[0]; k++)
        if (!strcmp(opt, MODEL_OPTS[k])) return 1;
    return 0;
}

static void *setting_ptr(const Setting *s, Opts *o) { return (char *)o + s->off; }
static const void *setting_cptr(const Setting *s, const Opts *o) { return (const char *)o + s->off; }

static void setting_format(char *buf, size_t n, const Setting *s, const Opts *o) {
    const void *p = setting_cptr(s, o);
    switch (s->kind) {
    case SET_INT: snprintf(buf, n, "%d", *(const int *)p); break;
    case SET_LONG: snprintf(buf, n, "%ld", *(const long *)p); break;
    case SET_DOUBLE: snprintf(buf, n, "%g", *(const double *)p); break;
    case SET_STR: snprintf(buf, n, "%.40s", *(const char *const *)p); break;
    case SET_U64: snprintf(buf, n, "%" PRIu64, *(const uint64_t *)p); break;
    }
}

static int setting_equal(const Setting *s, const Opts *a, const Opts *b) {
    const void *p = setting_cptr(s, a), *q = setting_cptr(s, b);
    switch (s->kind) {
    case SET_INT: return *(const int *)p == *(const int *)q;
    case SET_LONG: return *(const long *)p == *(const long *)q;
    case SET_DOUBLE: return *(const double *)p == *(const double *)q;
    case SET_STR: return !strcmp(*(const char *const *)p, *(const char *const *)q);
    case SET_U64: return *(const uint64_t *)p == *(const uint64_t *)q;
    }
    return 0;
}

static void setting_copy(const Setting *s, Opts *dst, const Opts *src) {
    size_t n = s->kind == SET_INT ? sizeof(int) : s->kind == SET_LONG ? sizeof(long) : s->kind == SET_DOUBLE ? sizeof(double)
             : s->kind == SET_STR ? sizeof(const char *) : sizeof(uint64_t);
    memcpy(setting_ptr(s, dst), setting_cptr(s, src), n);
}

/* The settings in force, as the train_config metadata (seeds as strings: 64 bits). */
static char *train_config_json(const Opts *o) {
    cJSON *j = cJSON_CreateObject();
    for (int k = 0; k < N_SETTINGS; k++) {
        const Setting *s = &SETTINGS[k];
        const void *p = setting_cptr(s, o);
        char buf[32];
        switch (s->kind) {
        case SET_INT: cJSON_AddNumberToObject(j, s->key, *(const int *)p); break;
        case SET_LONG: cJSON_AddNumberToObject(j, s->key, (double)*(const long *)p); break;
        case SET_DOUBLE: cJSON_AddNumberToObject(j, s->key, *(const double *)p); break;
        case SET_STR: cJSON_AddStringToObject(j, s->key, *(const char *const *)p); break;
        case SET_U64: setting_format(buf, sizeof buf, s, o); cJSON_AddStringToObject(j, s->key, buf); break;
        }
    }
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

/* Reads a checkpoint's train_config into o: each key present (of the right type) replaces
 * o's value and sets bit k of *stored. -1 when json is NULL or not a JSON object. */
static int read_train_config(const char *json, Opts *o, unsigned *stored) {
    *stored = 0;
    cJSON *j = json ? cJSON_Parse(json) : NULL;
    if (!cJSON_IsObject(j)) { cJSON_Delete(j); return -1; }
    for (int k = 0; k < N_SETTINGS; k++) {
        const Setting *s = &SETTINGS[k];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, s->key);
        void *p = setting_ptr(s, o);
        if (s->kind == SET_STR || s->kind == SET_U64) {
            if (!cJSON_IsString(v)) continue;
            if (s->kind == SET_STR) *(const char **)p = !strcmp(v->valuestring, "linear") ? "linear" : "constant"; /* schedule */
            else *(uint64_t *)p = strtoull(v->valuestring, NULL, 10);
        } else {
            if (!cJSON_IsNumber(v)) continue;
            if (s->kind == SET_INT) *(int *)p = v->valueint;
            else if (s->kind == SET_LONG) *(long *)p = (long)v->valuedouble;
            else *(double *)p = v->valuedouble;
        }
        *stored |= 1u << k;
    }
    cJSON_Delete(j);
    return 0;
}

/* --resume: o holds the command line (defaults where an option was not given; bit k of
 * given set when SETTINGS[k]'s option was) and becomes the settings the run continues with:
 * the checkpoint's train_config, overridden by each option given. An override that differs
 * from the stored value gets a note on stderr saying what it changes (none for --log-every);
 * a setting the checkpoint does not record falls back to the default with a note, except
 * --steps, which must then be given. at_step: the checkpoint's step (-1 if unknown).
 * Returns 0, or 2 (usage: --seed changed, --steps missing or not past at_step) or 1 (no
 * train_config) after printing the message. */
static int resume_settings(Opts *o, unsigned given, const char *train_config, long at_step) {
    Opts cli = *o;
    unsigned stored;
    if (read_train_config(train_config, o, &stored)) {
        fprintf(stderr, "train: %.200s has no train_config metadata: it was not written by attnstep train\n", o->out);
        return 1;
    }
    long ck_steps = o->steps;
    for (int k = 0; k < N_SETTINGS; k++) {
        const Setting *s = &SETTINGS[k];
        unsigned bit = 1u << k;
        char now[64], was[64];
        setting_format(now, sizeof now, s, &cli);
        setting_format(was, sizeof was, s, o);
        if (!(stored & bit)) {
            if (s->effect == EFFECT_STEPS && !(given & bit)) {
                fprintf(stderr, "train: %.200s does not record how many steps its run was to take: pass --steps N (the total)\n", o->out);
                return 2;
            }
            if (!(given & bit))
                fprintf(stderr, "train: note: the checkpoint does not record %s: using the default %s\n", s->opt, now);
            setting_copy(s, o, &cli);
            continue;
        }
        if (!(given & bit) || setting_equal(s, &cli, o)) continue;
        switch (s->effect) {
        case EFFECT_FIXED:
            fprintf(stderr, "train: %s cannot change on --resume (the checkpoint's is %s): batch sampling and dropout continue from the generator state saved with it\n", s->opt, was);
            return 2;
        case EFFECT_WEIGHTS:
            fprintf(stderr, "train: note: %s %s overrides the checkpoint's %s: from step %ld on, the weights differ from those of a run that never stopped\n",
                    s->opt, now, was, at_step + 1);
            break;
        case EFFECT_ROUNDING:
            fprintf(stderr, "train: note: %s %s overrides the checkpoint's %s: each batch gradient is summed in %s blocks instead of %s, so from step %ld on the weights differ (by rounding) from those of a run that never stopped\n",
                    s->opt, now, was, now, was, at_step + 1);
            break;
        case EFFECT_INTERVAL:
            fprintf(stderr, "train: note: %s %s overrides the checkpoint's %s: the weights are unaffected, but checkpoints and dev evaluations come every %s steps, so the train_loss and dev figures stored in the checkpoints differ from those of a run that never stopped\n",
                    s->opt, now, was, now);
            break;
        case EFFECT_DEV_SET:
            fprintf(stderr, "train: note: %s %s overrides the checkpoint's %s: the weights are unaffected, but the dev figures are measured on %s examples instead of %s\n",
                    s->opt, now, was, now, was);
            break;
        case EFFECT_STEPS: /* below, once the schedule is known */
        case EFFECT_NONE: break;
        }
        setting_copy(s, o, &cli);
    }
    if (at_step >= 0 && o->steps < at_step) {
        fprintf(stderr, "train: the checkpoint is already at step %ld: --steps is the total number of steps, not the number to add (pass more than %ld to continue)\n", at_step, at_step);
        return 2;
    }
    if (o->steps != ck_steps && (stored & (1u << setting_index("--steps"))) && !strcmp(o->schedule, "linear") && at_step >= 0) {
        TrainConfig a, b;
        train_config_default(&a);
        a.lr = (float)o->lr;
        a.schedule = TRAIN_LR_WARMUP_LINEAR;
        a.warmup = o->warmup;
        b = a;
        a.total_steps = (int)ck_steps;
        b.total_steps = (int)o->steps;
        fprintf(stderr, "train: note: --steps %ld overrides the checkpoint's %ld: the linear schedule now decays to 0 at step %ld instead of %ld, so step %ld runs at learning rate %.3g instead of %.3g and the weights differ from those of a run of either length that never stopped\n",
                o->steps, ck_steps, o->steps, ck_steps, at_step + 1, train_lr(&b, at_step), train_lr(&a, at_step));
    }
    return 0;
}

static void fmt_duration(char *buf, size_t n, double s) {
    if (!(s >= 0) || s > 1e7) { snprintf(buf, n, "?"); return; }
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else if (t >= 60) snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, n, "%lds", t);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Transformer vocabularies: the tutorial's <unk> <pad> <bos> <eos> at ids 0..3, then the
 * corpus tokens (its own specials skipped). */
static char *json_tokens_tfm(const CorpusVocab *v) {
    static const char *const specials[] = {"<unk>", "<pad>", "<bos>", "<eos>", "<sos>"};
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < 4; i++) cJSON_AddItemToArray(a, cJSON_CreateString(specials[i]));
    for (int i = 0; i < v->n; i++) {
        int skip = 0;
        for (int k = 0; k < 5; k++) skip |= !strcmp(v->tokens[i], specials[k]);
        if (!skip) cJSON_AddItemToArray(a, cJSON_CreateString(v->tokens[i]));
    }
    char *s = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    return s;
}

/* Loads a checkpoint of either kind (by its arch metadata). */
static int load_any(const char *path, Seq2Seq **m, Transformer **tm, Status *st) {
    SafeTensors *f = safetensors_load(path, st);
    if (!f) return -1;
    const char *arch = safetensors_meta(f, "arch");
    const char *slash = strrchr(path, '/');
    if (arch && !strcmp(arch, "tutorial-transformer")) *tm = transformer_from_safetensors(f, slash ? slash + 1 : path, st);
    else *m = seq2seq_from_safetensors(f, slash ? slash + 1 : path, st);
    safetensors_free(f);
    return *m || *tm ? 0 : -1;
}

int cmd_train(int argc, char **argv) {
    Opts o = {.arch = "tutorial-gru-bahdanau", .cell = "gru", .nonlin = "tanh", .attention = "additive", .window = "global",
              .query = "prev", .dec_init = "last", .lang = "both", .schedule = "constant", .hidden = 128, .emb = 0, .layers = 1,
              .window_d = 3, .n_train = 20000, .n_dev = 300, .symbols = -1, .min_len = -1, .max_len = -1, .steps = 2000,
              .batch = 32, .threads = 1, .dev_every = 250, .log_every = 50, .lr = 1e-3, .clip = 1.0, .seed = 1, .data_seed = 1};
    unsigned given = 0;          /* bit k: SETTINGS[k]'s option is on the command line */
    const char *model_opt = NULL; /* the first option that defines the model or its corpus */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        int si = setting_index(a);
        if (si >= 0) given |= 1u << si;
        if (!model_opt && is_model_opt(a)) model_opt = a;
        int flag = 1;
        if (!strcmp(a, "--bidirectional")) o.bi = 1;
        else if (!strcmp(a, "--input-feed")) o.feed = 1;
        else if (!strcmp(a, "--query-context")) o.qctx = 1;
        else if (!strcmp(a, "--query-lang")) o.qlang = 1;
        else if (!strcmp(a, "--resume")) o.resume = 1;
        else if (!strcmp(a, "--norm-first")) o.tfm_norm_first = 1;
        else flag = 0;
        if (flag) continue;
        if (i + 1 >= argc) { fprintf(stderr, "train: %s needs a value (see attnstep train --help)\n", a); return 2; }
        const char *v = argv[++i];
        double d;
#define NUM(name, lo, hi, dst) else if (!strcmp(a, name)) { if (num(a, v, lo, hi, &d)) return 2; dst = d; }
        if (!strcmp(a, "--task")) o.task = v;
        else if (!strcmp(a, "--arch")) o.arch = v;
        else if (!strcmp(a, "--cell")) o.cell = v;
        else if (!strcmp(a, "--nonlinearity")) o.nonlin = v;
        else if (!strcmp(a, "--attention")) o.attention = v;
        else if (!strcmp(a, "--window")) o.window = v;
        else if (!strcmp(a, "--query")) o.query = v;
        else if (!strcmp(a, "--dec-init")) o.dec_init = v;
        else if (!strcmp(a, "--out")) o.out = v;
        else if (!strcmp(a, "--name")) o.name = v;
        else if (!strcmp(a, "--lang")) o.lang = v;
        else if (!strcmp(a, "--schedule")) o.schedule = v;
        else if (!strcmp(a, "--seed")) { if (num(a, v, 0, 1e18, &d)) return 2; o.seed = (uint64_t)d; }
        else if (!strcmp(a, "--data-seed")) { if (num(a, v, 0, 1e18, &d)) return 2; o.data_seed = (uint64_t)d; }
        else if (!strcmp(a, "--steps")) { if (num(a, v, 1, 1e9, &d)) return 2; o.steps = (long)d; }
        NUM("--hidden", 2, 4096, o.hidden)
        NUM("--emb", 1, 4096, o.emb)
        NUM("--d", 2, 4096, o.tfm_d)
        NUM("--heads", 1, 256, o.tfm_heads)
        NUM("--ffn", 1, 65536, o.tfm_ffn)
        NUM("--enc-layers", 1, TRANSFORMER_MAX_LAYERS, o.tfm_enc)
        NUM("--dec-layers", 1, TRANSFORMER_MAX_LAYERS, o.tfm_dec)
        NUM("--layers", 1, SEQ2SEQ_MAX_LAYERS, o.layers)
        NUM("--window-d", 1, 1000, o.window_d)
        NUM("--max-src-len", 1, SEQ2SEQ_MAX_SOURCE, o.max_src_len)
        NUM("--n-train", 1, 5e6, o.n_train)
        NUM("--n-dev", 0, 1e5, o.n_dev)
        NUM("--symbols", 2, 26, o.symbols)
        NUM("--min-len", 1, 64, o.min_len)
        NUM("--max-len", 1, 64, o.max_len)
        NUM("--max-src-len-data", 0, SEQ2SEQ_MAX_SOURCE - 1, o.max_src_data)
        NUM("--batch", 1, 4096, o.batch)
        NUM("--warmup", 0, 1e9, o.warmup)
        else if (!strcmp(a, "--threads")) { if (num(a, v, 1, TRAIN_MAX_THREADS, &d)) return 2; o.threads = (int)d; }
        NUM("--dev-every", 1, 1e9, o.dev_every)
        NUM("--log-every", 1, 1e9, o.log_every)
        NUM("--lr", 0, 10, o.lr)
        NUM("--clip", 0, 1e6, o.clip)
        NUM("--dropout", 0, 0.95, o.dropout)
        else { fprintf(stderr, "train: unknown option '%s' (see attnstep train --help)\n", a); return 2; }
#undef NUM
    }
    if (!o.out) { fprintf(stderr, "train: --out FILE is required (the model and checkpoint path)\n"); return 2; }
    if (strcmp(o.schedule, "constant") && strcmp(o.schedule, "linear")) { fprintf(stderr, "train: --schedule is constant or linear\n"); return 2; }
    /* worker threads split each batch; every worker runs single-threaded BLAS (faster than
     * OpenBLAS's own threads on these per-time-step matrices) */
    tensor_set_threads(1);

    Status st = {0};
    Seq2Seq *m = NULL;
    Transformer *tm = NULL;
    CorpusConfig cc;
    int rc = 1;
    char *vs = NULL, *vt = NULL, *cfg_json = NULL, *corpus_meta = NULL, *tcfg = NULL;
    TrainData dtrain = {0}, ddev = {0};
    Trainer *tr = NULL;

    long ck_step = -1; /* --resume: the checkpoint's step (train_steps), -1 when unknown */
    if (o.resume) {
        if (model_opt) {
            fprintf(stderr, "train: %.60s cannot be used with --resume: the model, its vocabularies and its corpus come from the checkpoint (drop the option)\n", model_opt);
            return 2;
        }
        struct stat sb;
        if (stat(o.out, &sb)) { fprintf(stderr, "train: --resume: no checkpoint at %s\n", o.out); return 1; }
        if (load_any(o.out, &m, &tm, &st)) { fprintf(stderr, "train: %s\n", st.message); return 1; }
        if (tm) o.arch = "tutorial-transformer";
        const char *at = tm ? transformer_meta(tm, "train_steps") : seq2seq_meta(m, "train_steps");
        ck_step = at ? strtol(at, NULL, 10) : -1;
        if ((rc = resume_settings(&o, given, tm ? transformer_meta(tm, "train_config") : seq2seq_meta(m, "train_config"), ck_step))) goto done;
        rc = 1;
        if (ck_step >= 0 && o.steps == ck_step) {
            fprintf(stderr, "train: nothing to do: %.200s is already at step %ld of %ld (pass a larger --steps to continue)\n", o.out, ck_step, o.steps);
            rc = 0;
            goto done;
        }
        if (train_cli_corpus_config(tm ? transformer_meta(tm, "corpus") : seq2seq_meta(m, "corpus"), &cc, &st)) { fprintf(stderr, "train: %s\n", st.message); goto done; }
    } else {
        if (!o.task) { fprintf(stderr, "train: --task reverse|dates|translate is required\n"); return 2; }
        int task = corpus_task_from_name(o.task);
        if (task < 0) { fprintf(stderr, "train: unknown task '%s' (reverse, dates or translate)\n", o.task); return 2; }
        int lang = corpus_lang_from_name(o.lang);
        if (lang < 0) { fprintf(stderr, "train: unknown --lang '%s' (fr, es or both)\n", o.lang); return 2; }
        int tutorial = !strcmp(o.arch, "tutorial-gru-bahdanau"), transformer = !strcmp(o.arch, "tutorial-transformer");
        if (!tutorial && !transformer && strcmp(o.arch, "rnn-seq2seq")) {
            fprintf(stderr, "train: --arch is tutorial-gru-bahdanau, rnn-seq2seq or tutorial-transformer (got '%s')\n", o.arch);
            return 2;
        }
        corpus_config_init(&cc, (CorpusTask)task);
        cc.lang = (CorpusLang)lang;
        if (o.symbols > 0) cc.symbols = o.symbols;
        if (o.min_len > 0) cc.min_len = o.min_len;
        if (o.max_len > 0) cc.max_len = o.max_len;
        cc.max_src_len = o.max_src_data;
        CorpusVocab sv = {0}, tv = {0};
        if (corpus_vocab(&cc, 0, 1, &sv, &st) || corpus_vocab(&cc, 1, 1, &tv, &st)) {
            fprintf(stderr, "train: %s\n", st.message);
            corpus_vocab_free(&sv);
            goto done;
        }
        vs = transformer ? json_tokens_tfm(&sv) : json_tokens(&sv, tutorial);
        vt = transformer ? json_tokens_tfm(&tv) : json_tokens(&tv, tutorial);
        corpus_vocab_free(&sv);
        corpus_vocab_free(&tv);
        const char *tok = corpus_task_mode(cc.task) == VOCAB_CHARS ? "chars" : "words";
        char buf[1024];
        TransformerShape shape = {0};
        if (transformer) {
            shape.d = o.tfm_d ? o.tfm_d : 64;
            shape.nhead = o.tfm_heads ? o.tfm_heads : 4;
            shape.ffn = o.tfm_ffn ? o.tfm_ffn : 4 * shape.d;
            shape.enc_layers = o.tfm_enc ? o.tfm_enc : 2;
            shape.dec_layers = o.tfm_dec ? o.tfm_dec : 2;
            shape.norm_first = o.tfm_norm_first;
            shape.max_pos = 128;
            shape.max_len = cc.task == CORPUS_TRANSLATE ? 80 : 48;
            shape.tokenizer = corpus_task_mode(cc.task);
            snprintf(buf, sizeof buf, "{\"d\":%d,\"nhead\":%d,\"ffn\":%d,\"enc_layers\":%d,\"dec_layers\":%d,\"norm_first\":%s}", shape.d,
                     shape.nhead, shape.ffn, shape.enc_layers, shape.dec_layers, shape.norm_first ? "true" : "false");
        } else if (tutorial) {
            if (strcmp(o.cell, "gru") || strcmp(o.attention, "additive") || strcmp(o.query, "prev") || o.layers != 1 || o.bi ||
                (o.emb && o.emb != o.hidden) || o.feed || strcmp(o.window, "global") || o.qctx || o.qlang || strcmp(o.dec_init, "last")) {
                fprintf(stderr, "train: the tutorial-gru-bahdanau arch is fixed (1-layer GRU, additive attention, query prev, emb = hidden); use --arch rnn-seq2seq for other settings\n");
                goto done;
            }
            snprintf(buf, sizeof buf, "{\"tokenizer\":\"%s\",\"max_len\":%d}", tok, cc.task == CORPUS_TRANSLATE ? 80 : 40);
        } else {
            int max_src = o.max_src_len;
            if (!strcmp(o.attention, "location") && !max_src) max_src = cc.task == CORPUS_TRANSLATE ? 64 : 40;
            snprintf(buf, sizeof buf,
                     "{\"cell\":\"%s\",\"nonlinearity\":\"%s\",\"hidden\":%d,\"emb\":%d,\"layers\":%d,\"bidirectional\":%s,"
                     "\"attention\":\"%s\",\"window\":\"%s\",\"window_d\":%d,\"query\":\"%s\",\"input_feed\":%s,\"dec_init\":\"%s\","
                     "\"query_context\":%s,\"query_lang\":%s%s%.0d,\"tokenizer\":\"%s\",\"max_len\":%d}",
                     o.cell, o.nonlin, o.hidden, o.emb ? o.emb : o.hidden, o.layers, o.bi ? "true" : "false", o.attention, o.window,
                     o.window_d, o.query, o.feed ? "true" : "false", o.dec_init, o.qctx ? "true" : "false", o.qlang ? "true" : "false",
                     max_src ? ",\"max_src_len\":" : "", max_src, tok, cc.task == CORPUS_TRANSLATE ? 80 : 40);
        }
        cfg_json = strdup(buf);
        corpus_meta = corpus_json(&cc);
        tcfg = train_config_json(&o);
        const char *name = o.name;
        if (!name) { const char *sl = strrchr(o.out, '/'); name = sl ? sl + 1 : o.out; }
        const char *keys[] = {"name", "task", "corpus", "train_config"};
        const char *vals[] = {name, corpus_task_name(cc.task), corpus_meta, tcfg};
        if (transformer) tm = transformer_new(&shape, vs, vt, o.seed, keys, vals, 4, &st);
        else m = train_model_new(o.arch, cfg_json, o.hidden, vs, vt, o.seed, keys, vals, 4, &st);
        if (!m && !tm) { fprintf(stderr, "train: %s\n", st.message); goto done; }
    }

    /* data */
    if (train_data_for_task(&cc, o.data_seed, o.n_train, o.n_dev, m, tm, &dtrain, &ddev, &st)) { fprintf(stderr, "train: %s\n", st.message); goto done; }

    TrainConfig tc;
    train_config_default(&tc);
    tc.batch = o.batch;
    tc.lr = (float)o.lr;
    tc.schedule = !strcmp(o.schedule, "linear") ? TRAIN_LR_WARMUP_LINEAR : TRAIN_LR_CONSTANT;
    tc.warmup = o.warmup;
    tc.total_steps = (int)o.steps;
    tc.clip = (float)o.clip;
    tc.dropout = (float)o.dropout;
    tc.seed = o.seed;
    tc.threads = o.threads;
    if (!(tr = tm ? trainer_new_transformer(tm, &tc, dtrain.max_src, dtrain.max_tgt, &st) : trainer_new(m, &tc, dtrain.max_src, dtrain.max_tgt, &st))) { fprintf(stderr, "train: %s\n", st.message); goto done; }
    if (o.resume) {
        if (trainer_load_opt(tr, o.out, &st)) { fprintf(stderr, "train: %s\n", st.message); goto done; }
        if (tr->step > o.steps) {
            fprintf(stderr, "train: the checkpoint is already at step %ld: --steps is the total number of steps, not the number to add (pass more than %ld to continue)\n", tr->step, tr->step);
            rc = 2;
            goto done;
        }
        fprintf(stderr, "train: resuming %s at step %ld of %ld\n", o.out, tr->step, o.steps);
    } else {
        fprintf(stderr, "train: %s %s on %s: %ld parameters, %d training / %d dev examples, %ld steps of %d\n",
                o.arch, cfg_json, corpus_task_name(cc.task), tr->param_count, dtrain.n, ddev.n, o.steps, o.batch);
    }
    if (!tcfg) tcfg = train_config_json(&o); /* resume: the settings in force now */

    double t0 = now(), t_log = t0, loss_acc = 0.0;
    double ckpt_loss_acc = 0.0; /* since the last checkpoint: the stored train_loss, the same whether or not the run was resumed */
    long ckpt_n = 0;
    long tok_acc = 0, tok_total = 0, n_acc = 0, start_step = tr->step;
    TrainEval ev = {0};
    int have_ev = 0;
    float last_loss = NAN;
    while (tr->step < o.steps) {
        float loss;
        if (trainer_step(tr, &dtrain, &loss, &st)) {
            fprintf(stderr, "\ntrain: %s\n", st.message);
            goto done;
        }
        loss_acc += loss;
        n_acc++;
        ckpt_loss_acc += loss;
        ckpt_n++;
        tok_acc += tr->last_tokens;
        tok_total += tr->last_tokens;
        int dev_now = ddev.n > 0 && (tr->step % o.dev_every == 0 || tr->step == o.steps);
        if (dev_now) {
            if (tm ? transformer_evaluate(tm, &ddev, ddev.n, &ev, &st) : train_evaluate(m, &ddev, ddev.n, &ev, &st)) { fprintf(stderr, "train: dev: %s\n", st.message); goto done; }
            have_ev = 1;
        }
        if (tr->step % o.log_every == 0 || dev_now || tr->step == o.steps) {
            double t = now();
            double tps = tok_acc / (t - t_log > 1e-9 ? t - t_log : 1e-9);
            double rate = (tr->step - start_step) / (t - t0);
            char eta[32];
            fmt_duration(eta, sizeof eta, (o.steps - tr->step) / (rate > 0 ? rate : 1e-9));
            last_loss = (float)(loss_acc / n_acc);
            fprintf(stderr, "step %6ld/%ld  loss %.4f  lr %.2e  |g| %.2f  %7.0f tok/s  ETA %s", tr->step, o.steps, last_loss,
                    train_lr(&tc, tr->step - 1), tr->last_grad_norm, tps, eta);
            if (have_ev) fprintf(stderr, "  dev exact %.3f  tok %.3f", ev.exact, ev.token_acc);
            fputc('\n', stderr);
            loss_acc = 0; n_acc = 0; tok_acc = 0; t_log = t;
        }
        if (dev_now || tr->step == o.steps) {
            char sloss[32], sexact[32], stok[32];
            snprintf(sloss, sizeof sloss, "%.6f", ckpt_loss_acc / (double)ckpt_n); /* a step was just taken: ckpt_n >= 1 */
            ckpt_loss_acc = 0;
            ckpt_n = 0;
            snprintf(sexact, sizeof sexact, "%.4f", have_ev ? ev.exact : 0.0);
            snprintf(stok, sizeof stok, "%.4f", have_ev ? ev.token_acc : 0.0);
            const char *keys[] = {"train_loss", "dev_exact_match", "dev_token_accuracy", "train_config"};
            const char *vals[] = {sloss, sexact, stok, tcfg};
            if (trainer_save(tr, o.out, keys, vals, 4, &st)) { fprintf(stderr, "train: checkpoint: %s\n", st.message); goto done; }
        }
    }
    double el = now() - t0;
    fprintf(stderr, "train: done, %ld steps in %.1f s (%.0f target tokens/s); model at %s\n", tr->step - start_step, el,
            el > 0 ? tok_total / el : 0.0, o.out);
    rc = 0;
done:
    trainer_free(tr);
    train_data_free(&dtrain);
    train_data_free(&ddev);
    seq2seq_free(m);
    transformer_free(tm);
    free(vs); free(vt); free(cfg_json); free(corpus_meta); free(tcfg);
    return rc;
}
