/* train_loop.c — data, Adam with clipping, checkpoints, greedy evaluation (train.h). */
#include "attnstep/train.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnstep/safetensors.h"
#include "attnstep/tensor.h"

static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* ======================================================================== */
/* Data                                                                      */
/* ======================================================================== */

static int token_id(const Vocab *v, int unk, const char *tok, const char *side, Status *st) {
    int id = vocab_id(v, tok);
    if (id >= 0) return id;
    if (unk >= 0) return unk;
    return status_fail(st, "the %s token '%s' is not in the model's vocabulary (and it has no <unk>)", side, tok), -2;
}

int train_data_from_corpus(const Seq2Seq *m, const Corpus *c, TrainData *out, Status *st) {
    memset(out, 0, sizeof *out);
    size_t total = 0;
    for (int i = 0; i < c->n; i++) total += (size_t)c->examples[i].src_len + (size_t)c->examples[i].tgt_len + 2;
    out->ids = malloc((total + 1) * sizeof(int));
    out->src_off = malloc(((size_t)c->n + 1) * 4 * sizeof(int));
    if (!out->ids || !out->src_off) { train_data_free(out); return status_fail(st, "out of memory for %d examples", c->n); }
    out->src_len = out->src_off + c->n + 1;
    out->tgt_off = out->src_len + c->n + 1;
    out->tgt_len = out->tgt_off + c->n + 1;
    size_t off = 0;
    for (int i = 0; i < c->n; i++) {
        const CorpusExample *e = &c->examples[i];
        if (e->src_len + 1 > SEQ2SEQ_MAX_SOURCE) { train_data_free(out); return status_fail(st, "example %d has %d source tokens (at most %d)", i, e->src_len, SEQ2SEQ_MAX_SOURCE - 1); }
        out->src_off[i] = (int)off;
        for (int k = 0; k < e->src_len; k++) {
            int id = token_id(m->src_vocab, m->src_unk, e->src[k], "source", st);
            if (id < -1) { train_data_free(out); return -1; }
            out->ids[off++] = id;
        }
        out->ids[off++] = m->src_eos;
        out->src_len[i] = e->src_len + 1;
        out->tgt_off[i] = (int)off;
        for (int k = 0; k < e->tgt_len; k++) {
            int id = token_id(m->tgt_vocab, m->tgt_unk, e->tgt[k], "target", st);
            if (id < -1) { train_data_free(out); return -1; }
            out->ids[off++] = id;
        }
        out->ids[off++] = m->tgt_eos;
        out->tgt_len[i] = e->tgt_len + 1;
        if (out->src_len[i] > out->max_src) out->max_src = out->src_len[i];
        if (out->tgt_len[i] > out->max_tgt) out->max_tgt = out->tgt_len[i];
    }
    out->n = c->n;
    return 0;
}

void train_data_free(TrainData *d) {
    if (!d) return;
    free(d->ids);
    free(d->src_off);
    memset(d, 0, sizeof *d);
}

int train_data_for_task(const CorpusConfig *cc, uint64_t data_seed, int n_train, int n_dev, const Seq2Seq *m,
                        const Transformer *tm, TrainData *train, TrainData *dev, Status *st) {
    assert((m != NULL) != (tm != NULL));
    memset(train, 0, sizeof *train);
    memset(dev, 0, sizeof *dev);
    CorpusConfig c = *cc;
    Corpus ctrain = {0}, cdev = {0};
    int rc = -1;
    c.seed = data_seed;
    c.split = CORPUS_TRAIN;
    if (corpus_generate(&c, n_train, &ctrain, st)) { status_prefix(st, "training corpus"); goto done; }
    c.split = CORPUS_DEV;
    if (n_dev > 0 && corpus_generate(&c, n_dev, &cdev, st)) { status_prefix(st, "dev corpus"); goto done; }
    if (tm ? transformer_train_data(tm, &ctrain, train, st) || (n_dev > 0 && transformer_train_data(tm, &cdev, dev, st))
           : train_data_from_corpus(m, &ctrain, train, st) || (n_dev > 0 && train_data_from_corpus(m, &cdev, dev, st)))
        goto done;
    rc = 0;
done:
    if (rc) {
        train_data_free(train);
        train_data_free(dev);
    }
    corpus_free(&ctrain);
    corpus_free(&cdev);
    return rc;
}

/* ======================================================================== */
/* Config and schedule                                                       */
/* ======================================================================== */

void train_config_default(TrainConfig *c) {
    *c = (TrainConfig){.batch = 32, .lr = 1e-3f, .schedule = TRAIN_LR_CONSTANT, .warmup = 0, .total_steps = 0,
                       .clip = 1.0f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .dropout = 0.0f, .seed = 1, .threads = 1};
}

float train_lr(const TrainConfig *c, long step) {
    if (c->schedule == TRAIN_LR_CONSTANT) return c->lr;
    if (c->warmup > 0 && step < c->warmup) return c->lr * (float)(step + 1) / (float)c->warmup;
    if (c->total_steps <= c->warmup) return c->lr;
    double left = (double)(c->total_steps - step) / (double)(c->total_steps - c->warmup);
    if (left < 0.0) left = 0.0;
    return (float)(c->lr * left);
}

/* ======================================================================== */
/* Trainer                                                                   */
/* ======================================================================== */

Trainer *trainer_new(Seq2Seq *m, const TrainConfig *cfg, int max_S, int max_T, Status *st) {
    Trainer *t = calloc(1, sizeof *t);
    if (!t) { status_fail(st, "out of memory"); return NULL; }
    t->model = m;
    t->cfg = *cfg;
    t->max_S = max_S;
    t->max_T = max_T;
    t->rng = cfg->seed * 0x9E3779B97F4A7C15ull + 0x1234567;
    if (cfg->batch < 1 || cfg->batch > 4096) { status_fail(st, "batch size %d is outside 1..4096", cfg->batch); free(t); return NULL; }
    if (cfg->threads < 1 || cfg->threads > TRAIN_MAX_THREADS || cfg->threads > cfg->batch) {
        status_fail(st, "%d training threads: use 1..%d and no more than the batch size", cfg->threads, TRAIN_MAX_THREADS);
        free(t);
        return NULL;
    }
    int rows = (cfg->batch + cfg->threads - 1) / cfg->threads;
    if (!(t->acts = train_acts_new(m, rows, max_S, max_T, st))) { free(t); return NULL; }
    size_t P = (size_t)m->param_count;
    for (int k = 1; k < cfg->threads; k++) {
        t->wacts[k] = train_acts_new(m, rows, max_S, max_T, st);
        t->wgrad[k] = malloc(P * sizeof(float));
        if (!t->wacts[k] || !t->wgrad[k]) { trainer_free(t); if (!st || !st->message[0]) status_fail(st, "out of memory"); return NULL; }
    }
    t->grad = calloc(3 * P, sizeof(float));
    t->batch_mem = malloc((size_t)cfg->batch * ((size_t)max_S + (size_t)max_T + 3) * sizeof(int));
    if (!t->grad || !t->batch_mem) { trainer_free(t); status_fail(st, "out of memory for %zu parameters", P); return NULL; }
    t->adam_m = t->grad + P;
    t->adam_v = t->grad + 2 * P;
    t->params = m->block;
    t->param_count = m->param_count;
    return t;
}

Trainer *trainer_new_transformer(Transformer *m, const TrainConfig *cfg, int max_S, int max_T, Status *st) {
    if (cfg->batch < 1 || cfg->batch > 4096) { status_fail(st, "batch size %d is outside 1..4096", cfg->batch); return NULL; }
    if (cfg->threads < 1 || cfg->threads > TRAIN_MAX_THREADS || cfg->threads > cfg->batch) {
        status_fail(st, "%d training threads: use 1..%d and no more than the batch size", cfg->threads, TRAIN_MAX_THREADS);
        return NULL;
    }
    if (!(cfg->dropout >= 0.0f && cfg->dropout < 1.0f)) { status_fail(st, "dropout %g is outside [0, 1)", (double)cfg->dropout); return NULL; }
    if (max_T > TRANSFORMER_MAX_SOURCE) { status_fail(st, "targets of %d tokens: at most %d", max_T, TRANSFORMER_MAX_SOURCE); return NULL; }
    Trainer *t = calloc(1, sizeof *t);
    if (!t) { status_fail(st, "out of memory"); return NULL; }
    t->tfm = m;
    t->cfg = *cfg;
    t->max_S = max_S;
    t->max_T = max_T;
    t->rng = cfg->seed * 0x9E3779B97F4A7C15ull + 0x1234567;
    size_t P = (size_t)m->param_count;
    for (int k = 0; k < cfg->threads; k++) {
        if (!(t->tapes[k] = transformer_tape_new(m, max_S, max_T, st))) { trainer_free(t); return NULL; }
        if (k > 0 && !(t->wgrad[k] = malloc(P * sizeof(float)))) { trainer_free(t); status_fail(st, "out of memory"); return NULL; }
    }
    t->grad = calloc(3 * P, sizeof(float));
    t->batch_mem = malloc((size_t)cfg->batch * ((size_t)max_S + (size_t)max_T + 3) * sizeof(int));
    if (!t->grad || !t->batch_mem) { trainer_free(t); status_fail(st, "out of memory for %zu parameters", P); return NULL; }
    t->adam_m = t->grad + P;
    t->adam_v = t->grad + 2 * P;
    t->params = m->block;
    t->param_count = m->param_count;
    return t;
}

void trainer_free(Trainer *t) {
    if (!t) return;
    train_acts_free(t->acts);
    for (int k = 1; k < TRAIN_MAX_THREADS; k++) { train_acts_free(t->wacts[k]); free(t->wgrad[k]); }
    for (int k = 0; k < TRAIN_MAX_THREADS; k++) transformer_tape_free(t->tapes[k]);
    free(t->grad);
    free(t->batch_mem);
    free(t);
}

typedef struct Work {
    const Seq2Seq *m;
    TrainActs *acts;
    float *grad;
    TrainBatch batch;
    float dropout;
    uint64_t rng;
    float loss;
    long tokens;
    const Transformer *tfm;  /* instead of m */
    TransformerTape *tape;
    int row0;                /* Transformer: the block's first row in the batch */
} Work;

/* A Transformer worker: each pair alone (source BOS … EOS, decoder input BOS + target
 * without its last token, output the target), every token weighted 1 / the block's tokens.
 * With dropout, pair r of the batch draws its masks from its own generator, seeded from
 * the batch's draw w->rng and r alone, so the masks do not depend on the thread count. */
static void tfm_work(Work *w) {
    const Transformer *m = w->tfm;
    memset(w->grad, 0, (size_t)m->param_count * sizeof(float));
    const TrainBatch *b = &w->batch;
    long tokens = 0;
    for (int r = 0; r < b->B; r++) tokens += b->tgt_len[r];
    double sum = 0.0;
    int in[TRANSFORMER_MAX_SOURCE];
    for (int r = 0; r < b->B; r++) {
        const int *tgt = b->tgt + (size_t)r * b->T;
        int T = b->tgt_len[r];
        in[0] = m->bos;
        for (int k = 1; k < T; k++) in[k] = tgt[k - 1];
        float loss;
        Status st = {0};
        uint64_t seq = w->rng + (uint64_t)(w->row0 + r), prng = rng_next(&seq);
        if (transformer_train_forward_dropout(m, w->tape, b->src + (size_t)r * b->S, b->src_len[r], in, tgt, T, w->dropout,
                                              w->dropout > 0.0f ? &prng : NULL, &loss, NULL, &st)) {
            w->loss = NAN;
            return;
        }
        sum += (double)loss * T;
        if (!isfinite(loss)) break;
        transformer_train_backward_weighted(m, w->tape, w->grad, 1.0f / (float)tokens);
    }
    w->loss = (float)(sum / (double)tokens);
}

static void *work_run(void *arg) {
    Work *w = arg;
    if (w->tfm) { tfm_work(w); return NULL; }
    memset(w->grad, 0, (size_t)w->m->param_count * sizeof(float));
    w->loss = train_forward(w->m, w->acts, &w->batch, w->dropout, &w->rng);
    if (isfinite(w->loss)) train_backward(w->m, w->acts, w->grad);
    return NULL;
}

/* Runs block 0 of w here and waits for blocks 1..K-1 (started on threads; a block whose
 * thread could not start runs here), then combines the block gradients into t->grad (block
 * 0's buffer) weighted by their token counts, in a fixed order, so a run is deterministic
 * for a given K. Returns the batch loss Σ_k tokens_k loss_k / total. */
static float finish_blocks(Trainer *t, Work *w, int K, const int *started, pthread_t *th, long total, long P) {
    if (w[0].batch.B > 0) work_run(&w[0]);
    for (int k = 1; k < K; k++) {
        if (started[k]) pthread_join(th[k], NULL);
        else if (w[k].batch.B > 0) work_run(&w[k]); /* could not start a thread: run it here */
    }
    float s0 = (float)w[0].tokens / (float)total;
    double loss = (double)w[0].loss * w[0].tokens;
    if (K > 1)
        for (long i = 0; i < P; i++) t->grad[i] *= s0;
    for (int k = 1; k < K; k++) {
        if (w[k].batch.B < 1) continue;
        float sk = (float)w[k].tokens / (float)total;
        const float *g = t->wgrad[k];
        for (long i = 0; i < P; i++) t->grad[i] += sk * g[i];
        loss += (double)w[k].loss * w[k].tokens;
    }
    return (float)(loss / (double)total);
}

/* The Transformer's batch gradient: K contiguous row blocks, combined weighted by their
 * token counts in a fixed order (as for seq2seq below). */
static float tfm_gradient(Trainer *t, const TrainBatch *b, int K) {
    if (K > b->B) K = b->B;
    if (K < 1) K = 1;
    Work w[TRAIN_MAX_THREADS];
    memset(w, 0, sizeof w);
    pthread_t th[TRAIN_MAX_THREADS];
    int per = (b->B + K - 1) / K, started[TRAIN_MAX_THREADS] = {0};
    long total = 0;
    /* dropout: one draw per batch seeds every pair's masks; none without dropout, so a
     * run with dropout 0 samples exactly the batches it did before dropout existed */
    uint64_t drop_seed = t->cfg.dropout > 0.0f ? rng_next(&t->rng) : 0;
    for (int k = 0; k < K; k++) {
        int r0 = k * per, r1 = r0 + per < b->B ? r0 + per : b->B;
        if (r1 < r0) r1 = r0;
        w[k].tfm = t->tfm;
        w[k].dropout = t->cfg.dropout;
        w[k].rng = drop_seed;
        w[k].row0 = r0;
        w[k].tape = t->tapes[k];
        w[k].grad = k ? t->wgrad[k] : t->grad;
        w[k].batch = (TrainBatch){r1 - r0, b->S, b->T, b->src + (size_t)r0 * b->S, b->src_len + r0, b->tgt + (size_t)r0 * b->T, b->tgt_len + r0};
        for (int r = r0; r < r1; r++) w[k].tokens += b->tgt_len[r];
        total += w[k].tokens;
        if (k > 0 && w[k].batch.B > 0) started[k] = pthread_create(&th[k], NULL, work_run, &w[k]) == 0;
    }
    if (w[0].batch.B < 1) memset(t->grad, 0, (size_t)t->param_count * sizeof(float));
    return finish_blocks(t, w, K, started, th, total, t->param_count);
}

float trainer_gradient(Trainer *t, const TrainBatch *b) {
    int K = t->cfg.threads;
    if (t->tfm) {
        float loss = tfm_gradient(t, b, K);
        /* the positional table is a fixed buffer (PyTorch's register_buffer): no update */
        memset(transformer_grad_of(t->tfm, t->grad, t->tfm->w.pos), 0, (size_t)t->tfm->cfg.max_pos * t->tfm->cfg.d * sizeof(float));
        return loss;
    }
    if (K <= 1) {
        memset(t->grad, 0, (size_t)t->model->param_count * sizeof(float));
        float loss = train_forward(t->model, t->acts, b, t->cfg.dropout, &t->rng);
        if (isfinite(loss)) train_backward(t->model, t->acts, t->grad);
        return loss;
    }
    if (K > b->B) K = b->B;
    Work w[TRAIN_MAX_THREADS];
    memset(w, 0, sizeof w);
    pthread_t th[TRAIN_MAX_THREADS];
    int per = (b->B + K - 1) / K, started[TRAIN_MAX_THREADS] = {0};
    long total = 0;
    for (int k = 0; k < K; k++) {
        int r0 = k * per, r1 = r0 + per < b->B ? r0 + per : b->B;
        w[k] = (Work){t->model, k ? t->wacts[k] : t->acts, k ? t->wgrad[k] : t->grad,
                      {r1 - r0, b->S, b->T, b->src + (size_t)r0 * b->S, b->src_len + r0, b->tgt + (size_t)r0 * b->T, b->tgt_len + r0},
                      t->cfg.dropout, rng_next(&t->rng), 0.0f, 0, NULL, NULL, 0};
        for (int r = r0; r < r1; r++) w[k].tokens += b->tgt_len[r];
        total += w[k].tokens;
        if (w[k].batch.B < 1) continue;
        if (k > 0) started[k] = pthread_create(&th[k], NULL, work_run, &w[k]) == 0;
    }
    return finish_blocks(t, w, K, started, th, total, t->model->param_count);
}

/* One Adam step over the whole block (w, m, v, g: (n)); g is scaled by `scale` (clipping).
 * sqrtf never sees a negative argument here, so errno handling can go and the loop
 * vectorises (GCC). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-math-errno")))
#endif
static void adam_update(float *restrict w, float *restrict m, float *restrict v, const float *restrict g, long n,
                        float scale, float lr, float b1, float b2, float eps, float c1, float c2) {
    for (long i = 0; i < n; i++) {
        float gi = g[i] * scale;
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        w[i] -= lr * (m[i] * c1) / (sqrtf(v[i] * c2) + eps);
    }
}

int trainer_step(Trainer *t, const TrainData *d, float *loss_out, Status *st) {
    int B = t->cfg.batch;
    if (d->n < 1) return status_fail(st, "no training examples");
    int *idx = t->batch_mem;                    /* (B) */
    int S = 1, T = 1;
    for (int b = 0; b < B; b++) {
        idx[b] = (int)(rng_next(&t->rng) % (uint64_t)d->n);
        if (d->src_len[idx[b]] > S) S = d->src_len[idx[b]];
        if (d->tgt_len[idx[b]] > T) T = d->tgt_len[idx[b]];
    }
    if (S > t->max_S || T > t->max_T) return status_fail(st, "an example is longer than the trainer was sized for (%d/%d source, %d/%d target)", S, t->max_S, T, t->max_T);
    /* layout: src (B,S) then tgt (B,T); lengths after */
    int *bs = idx + B, *bt = bs + (size_t)B * S, *bsl = bt + (size_t)B * T, *btl = bsl + B;
    for (int b = 0; b < B; b++) {
        int i = idx[b];
        int spad = t->tfm ? t->tfm->pad : t->model->src_eos, tpad = t->tfm ? t->tfm->pad : t->model->tgt_eos;
        for (int s = 0; s < S; s++) bs[(size_t)b * S + s] = s < d->src_len[i] ? d->ids[d->src_off[i] + s] : spad;
        for (int k = 0; k < T; k++) bt[(size_t)b * T + k] = k < d->tgt_len[i] ? d->ids[d->tgt_off[i] + k] : tpad;
        bsl[b] = d->src_len[i];
        btl[b] = d->tgt_len[i];
    }
    TrainBatch batch = {B, S, T, bs, bsl, bt, btl};
    float loss = trainer_gradient(t, &batch);
    long P = t->param_count;
    double norm2 = 0.0;
    for (long i = 0; i < P; i++) norm2 += (double)t->grad[i] * t->grad[i];
    float norm = (float)sqrt(norm2);
    t->last_loss = loss;
    t->last_grad_norm = norm;
    t->last_tokens = 0;
    for (int b = 0; b < B; b++) t->last_tokens += btl[b];
    if (loss_out) *loss_out = loss;
    if (!isfinite(loss) || !isfinite(norm))
        return status_fail(st, "step %ld: the %s is %s; stopping without updating (the last checkpoint is intact)",
                           t->step + 1, isfinite(loss) ? "gradient norm" : "loss", isnan(isfinite(loss) ? norm : loss) ? "NaN" : "infinite");
    float scale = t->cfg.clip > 0.0f && norm > t->cfg.clip ? t->cfg.clip / norm : 1.0f;
    float lr = train_lr(&t->cfg, t->step);
    float b1 = t->cfg.beta1, b2 = t->cfg.beta2, eps = t->cfg.eps;
    t->step++;
    float c1 = 1.0f / (1.0f - powf(b1, (float)t->step)), c2 = 1.0f / (1.0f - powf(b2, (float)t->step));
    adam_update(t->params, t->adam_m, t->adam_v, t->grad, P, scale, lr, b1, b2, eps, c1, c2);
    if (t->model) seq2seq_weights_changed(t->model); /* beam steps read W until seq2seq_update_pack */
    return 0;
}

/* ======================================================================== */
/* Checkpoints                                                               */
/* ======================================================================== */

static void opt_path(char *buf, size_t size, const char *path) { snprintf(buf, size, "%s.opt.safetensors", path); }
static void opt_next_path(char *buf, size_t size, const char *path) { snprintf(buf, size, "%s.opt.next.safetensors", path); }

/* A checkpoint is committed in three atomic renames: the new optimiser state to
 * FILE.opt.next.safetensors, the model to FILE, then the next state over FILE.opt.safetensors.
 * A kill between any two leaves a model whose train_steps matches one of the two optimiser
 * files, which trainer_load_opt picks (before, a kill between the optimiser file and the
 * model left a newer optimiser state beside an older model, and --resume mixed them). */
int trainer_save(const Trainer *t, const char *path, const char *const *keys, const char *const *values, int n, Status *st) {
    char op[4096], next[4096];
    opt_path(op, sizeof op, path);
    opt_next_path(next, sizeof next, path);
    SafeTensorsWriter *w = safetensors_writer_new();
    if (!w) return status_fail(st, "out of memory");
    int64_t shape[1] = {t->param_count};
    char step[32], rng[32], params[32];
    snprintf(step, sizeof step, "%ld", t->step);
    snprintf(rng, sizeof rng, "%" PRIu64, t->rng);
    snprintf(params, sizeof params, "%ld", t->param_count);
    int rc = -1;
    if (safetensors_writer_add(w, "adam.m", t->adam_m, 1, shape, st) || safetensors_writer_add(w, "adam.v", t->adam_v, 1, shape, st) ||
        safetensors_writer_meta(w, "step", step, st) || safetensors_writer_meta(w, "rng", rng, st) ||
        safetensors_writer_meta(w, "param_count", params, st) || safetensors_writer_save(w, next, st))
        goto done;
    /* the model file, with train_steps */
    const char **k2 = malloc(((size_t)n + 1) * sizeof *k2), **v2 = malloc(((size_t)n + 1) * sizeof *v2);
    if (!k2 || !v2) { free(k2); free(v2); status_fail(st, "out of memory"); goto done; }
    for (int i = 0; i < n; i++) { k2[i] = keys[i]; v2[i] = values[i]; }
    k2[n] = "train_steps";
    v2[n] = step;
    rc = t->tfm ? transformer_save(t->tfm, path, k2, v2, n + 1, st) : train_model_save(t->model, path, k2, v2, n + 1, st);
    free(k2);
    free(v2);
    if (!rc && rename(next, op) != 0) rc = status_fail(st, "cannot rename %.1000s to %.1000s: %s", next, op, strerror(errno));
done:
    safetensors_writer_free(w);
    return rc;
}

/* The optimiser file for a model at train_steps `want` (NULL: any): op when its step is
 * want, else next when that one's is (a checkpoint interrupted before its last rename, which
 * is completed here). The loaded file is returned (caller frees); NULL with st otherwise. */
static SafeTensors *load_matching_opt(const char *op, const char *next, const char *want, Status *st) {
    SafeTensors *f = safetensors_load(op, st);
    const char *step = f ? safetensors_meta(f, "step") : NULL;
    if (f && (!want || (step && !strcmp(step, want)))) return f;
    Status st2 = {0};
    SafeTensors *g = safetensors_load(next, &st2);
    const char *step2 = g ? safetensors_meta(g, "step") : NULL;
    if (g && want && step2 && !strcmp(step2, want)) {
        safetensors_free(f);
        (void)rename(next, op); /* on failure the state is still good; only the name stays behind */
        return g;
    }
    safetensors_free(g);
    if (f) status_fail(st, "%.1000s is the optimiser state of step %.40s, but the model file is at step %.40s "
                           "(an interrupted checkpoint?): cannot resume consistently", op, step ? step : "?", want);
    safetensors_free(f);
    return NULL;
}

int trainer_load_opt(Trainer *t, const char *path, Status *st) {
    char op[4096], next[4096];
    opt_path(op, sizeof op, path);
    opt_next_path(next, sizeof next, path);
    const char *want = t->tfm ? transformer_meta(t->tfm, "train_steps") : seq2seq_meta(t->model, "train_steps");
    SafeTensors *f = load_matching_opt(op, next, want, st);
    if (!f) return -1;
    int rc = -1;
    const SafeTensor *m = safetensors_find(f, "adam.m"), *v = safetensors_find(f, "adam.v");
    const char *step = safetensors_meta(f, "step"), *rng = safetensors_meta(f, "rng");
    if (!m || !v || !step || !rng || m->numel != t->param_count || v->numel != t->param_count) {
        status_fail(st, "%s: not an optimiser state for this model (%ld parameters)", op, t->param_count);
        goto done;
    }
    memcpy(t->adam_m, m->data, (size_t)m->numel * sizeof(float));
    memcpy(t->adam_v, v->data, (size_t)v->numel * sizeof(float));
    t->step = strtol(step, NULL, 10);
    t->rng = strtoull(rng, NULL, 10);
    rc = 0;
done:
    safetensors_free(f);
    return rc;
}

/* ======================================================================== */
/* Greedy evaluation                                                         */
/* ======================================================================== */

int train_greedy(const Seq2Seq *m, Seq2SeqRun *run, const int *src, int S, int max_len,
                 int *out, int *n, int *attn_argmax, Status *st) {
    *n = 0;
    if (seq2seq_encode(m, run, src, S, NULL, st)) return -1;
    size_t SS = (size_t)m->state_size;
    int Vt = vocab_size(m->tgt_vocab);
    float *mem = malloc((2 * SS + (size_t)Vt) * sizeof(float));
    if (!mem) return status_fail(st, "out of memory");
    float *s0 = mem, *s1 = mem + SS, *lp = mem + 2 * SS;
    seq2seq_initial_state(m, run, s0);
    int tok = m->tgt_sos, rc = 0;
    for (int t = 0; t < max_len; t++) {
        if (seq2seq_decode_step(m, run, s1, lp, s0, &tok, NULL, NULL, 1, t, NULL, st)) { rc = -1; break; }
        tok = tensor_argmax(lp, Vt);
        if (tok == m->tgt_eos) break;
        out[*n] = tok;
        if (attn_argmax) {
            const float *w = m->cfg.scorer != ATTN_NONE ? seq2seq_last_weights(run, 0) : NULL;
            attn_argmax[*n] = w ? tensor_argmax(w, S) : -1;
        }
        (*n)++;
        float *tmp = s0; s0 = s1; s1 = tmp;
    }
    free(mem);
    return rc;
}

void train_eval_add(TrainEval *e, const int *hyp, int len, const int *ref, int ref_len) {
    int same = len == ref_len;
    for (int k = 0; k < ref_len; k++) {
        int ok = k < len && hyp[k] == ref[k];
        e->correct += ok;
        if (!ok) same = 0;
    }
    e->total += ref_len;
    e->exact_count += same;
    e->n++;
}

void train_eval_finish(TrainEval *e) {
    e->exact = e->n ? (double)e->exact_count / e->n : 0.0;
    e->token_acc = e->total ? (double)e->correct / (double)e->total : 0.0;
}

int train_evaluate(const Seq2Seq *m, const TrainData *d, int n, TrainEval *out, Status *st) {
    memset(out, 0, sizeof *out);
    if (n > d->n) n = d->n;
    Seq2SeqRun *run = seq2seq_run_new(m, d->max_src > 0 ? d->max_src : 1, 1, st);
    if (!run) return -1;
    int max_len = d->max_tgt * 2 + 5;
    int *hyp = malloc((size_t)max_len * sizeof(int));
    if (!hyp) { seq2seq_run_free(run); return status_fail(st, "out of memory"); }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        int len;
        if (train_greedy(m, run, d->ids + d->src_off[i], d->src_len[i], max_len, hyp, &len, NULL, st)) { rc = -1; break; }
        train_eval_add(out, hyp, len, d->ids + d->tgt_off[i], d->tgt_len[i] - 1);
    }
    train_eval_finish(out);
    free(hyp);
    seq2seq_run_free(run);
    return rc;
}
