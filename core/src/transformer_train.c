/* transformer_train.c — teacher-forced forward with a tape and the handwritten backward
 * pass of the tutorial-transformer (see transformer.h): embeddings (× √d + positions),
 * multi-head attention (self, causal self, cross), LayerNorm, ReLU feed-forward, the
 * generator and cross-entropy with ignore_index = PAD; and nn.Transformer's dropout in
 * train() mode (transformer_train_forward_dropout): on the embeddings (the tutorial's
 * PositionalEncoding), on the attention weights inside every nn.MultiheadAttention, on
 * every sublayer's output before the residual add (dropout1/2/3) and after the
 * feed-forward's ReLU. A mask is a buffer of multipliers (0 or 1/(1-p)) kept in the tape,
 * so the backward pass multiplies by exactly what the forward did.
 *
 * Each residual sublayer keeps one record (Sub): its input, the LayerNorm statistics
 * (of its input when pre-norm, of input + output when post-norm), its internals and its
 * output. The backward pass walks the records in reverse. Numbers are float32 like
 * PyTorch's; tests/unit/test_transformer_grad.c checks the gradients against PyTorch
 * autograd and finite differences. */
#include <assert.h>
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attnstep/tensor.h"
#include "attnstep/transformer.h"

typedef struct Sub {
    float *x_in;        /* (N, d) residual stream in */
    float *a;           /* (N, d) LayerNorm(x_in) (pre-norm only) */
    float *mean, *rstd; /* (N) statistics of the sublayer's LayerNorm */
    float *s;           /* (N, d) x_in + y */
    float *x_out;       /* (N, d) residual stream out: LayerNorm(s) post-norm, s pre-norm */
    float *q, *k, *v;   /* attention: (N, d), (Nk, d), (Nk, d) */
    float *att;         /* (H, N, Nk) */
    float *ctx;         /* (N, d) */
    float *hid;         /* feed-forward: (N, ffn) after ReLU (and after its dropout) */
    /* dropout multipliers (0 or 1/(1-p)), read only when the forward had dropout on */
    float *m_att;       /* attention: (H, N, Nk) on the softmax weights */
    float *m_hid;       /* feed-forward: (N, ffn) after ReLU */
    float *m_out;       /* (N, d) on the sublayer output, before the residual add */
} Sub;

struct TransformerTape {
    int max_src, max_tgt, S, T;
    int d, H, F, enc_layers, dec_layers; /* the model's sizes, for transformer_tape_mask */
    float drop;                          /* p of the last forward (0: no dropout; masks unused) */
    float *m_src, *m_tgt;                /* (S, d), (T, d) embedding dropout multipliers */
    int *src, *tgt_in, *tgt_out;         /* (max_src), (max_tgt), (max_tgt) */
    Sub enc[TRANSFORMER_MAX_LAYERS][2];  /* self-attention, feed-forward */
    Sub dec[TRANSFORMER_MAX_LAYERS][3];  /* masked self-attention, cross-attention, feed-forward */
    float *enc_x0, *memory, *mem_mean, *mem_rstd; /* (S, d), (S, d), (S), (S) */
    float *dec_x0, *dec_y, *out_mean, *out_rstd;  /* (T, d), (T, d), (T), (T) */
    float *logp;                         /* (T, Vt) */
    float *y;                            /* (max(S, T), d) sublayer output scratch */
    /* backward scratch, R = max(S, T) rows */
    float *dx, *dtmp, *da, *dq, *dk, *dv, *dctx, *dmem, *dy; /* (R, d) */
    float *datt;                         /* (R) */
    float *dhid;                         /* (R, ffn) */
    float *dlogits;                      /* (T, Vt) */
    int count;                           /* targets that are not PAD */
    float *mem;
    int *imem;
};

/* ---- layout: one pass counts, the next hands out pointers ---- */

typedef struct Carver {
    float *base;
    size_t off;
} Carver;

static float *take(Carver *cv, size_t n) {
    float *p = cv->base ? cv->base + cv->off : NULL;
    cv->off += (n + 7) & ~(size_t)7;
    return p;
}

static void sub_layout(Carver *cv, Sub *s, size_t N, size_t Nk, size_t d, size_t H, size_t F, int kind /* 0 attn, 1 ffn */, int pre) {
    s->x_in = take(cv, N * d);
    s->a = pre ? take(cv, N * d) : NULL;
    s->mean = take(cv, N);
    s->rstd = take(cv, N);
    s->s = take(cv, N * d);
    s->x_out = take(cv, N * d);
    if (kind == 0) {
        s->q = take(cv, N * d);
        s->k = take(cv, Nk * d);
        s->v = take(cv, Nk * d);
        s->att = take(cv, H * N * Nk);
        s->ctx = take(cv, N * d);
        s->m_att = take(cv, H * N * Nk);
    } else {
        s->hid = take(cv, N * F);
        s->m_hid = take(cv, N * F);
    }
    s->m_out = take(cv, N * d);
}

static void tape_layout(const Transformer *m, TransformerTape *t, Carver *cv) {
    const TransformerConfig *c = &m->cfg;
    size_t d = (size_t)c->d, H = (size_t)c->nhead, F = (size_t)c->ffn, S = (size_t)t->max_src, T = (size_t)t->max_tgt;
    size_t R = S > T ? S : T, Vt = (size_t)vocab_size(m->tgt_vocab);
    int pre = c->norm_first;
    for (int l = 0; l < c->enc_layers; l++) {
        sub_layout(cv, &t->enc[l][0], S, S, d, H, F, 0, pre);
        sub_layout(cv, &t->enc[l][1], S, S, d, H, F, 1, pre);
    }
    for (int l = 0; l < c->dec_layers; l++) {
        sub_layout(cv, &t->dec[l][0], T, T, d, H, F, 0, pre);
        sub_layout(cv, &t->dec[l][1], T, S, d, H, F, 0, pre);
        sub_layout(cv, &t->dec[l][2], T, T, d, H, F, 1, pre);
    }
    t->enc_x0 = take(cv, S * d);
    t->memory = take(cv, S * d);
    t->mem_mean = take(cv, S);
    t->mem_rstd = take(cv, S);
    t->dec_x0 = take(cv, T * d);
    t->dec_y = take(cv, T * d);
    t->out_mean = take(cv, T);
    t->out_rstd = take(cv, T);
    t->logp = take(cv, T * Vt);
    t->m_src = take(cv, S * d);
    t->m_tgt = take(cv, T * d);
    t->y = take(cv, R * d);
    t->dx = take(cv, R * d);
    t->dtmp = take(cv, R * d);
    t->da = take(cv, R * d);
    t->dq = take(cv, R * d);
    t->dk = take(cv, R * d);
    t->dv = take(cv, R * d);
    t->dctx = take(cv, R * d);
    t->dmem = take(cv, S * d);
    t->dy = take(cv, R * d);
    t->datt = take(cv, R);
    t->dhid = take(cv, R * F);
    t->dlogits = take(cv, T * Vt);
}

TransformerTape *transformer_tape_new(const Transformer *m, int max_src, int max_tgt, Status *st) {
    int cap = m->cfg.max_pos < TRANSFORMER_MAX_SOURCE ? m->cfg.max_pos : TRANSFORMER_MAX_SOURCE;
    if (max_src < 1 || max_src > cap || max_tgt < 1 || max_tgt > m->cfg.max_len) {
        status_fail(st, "tape size out of range: %d source (1..%d), %d target positions (1..%d)", max_src, cap, max_tgt, m->cfg.max_len);
        return NULL;
    }
    TransformerTape *t = calloc(1, sizeof *t);
    if (!t) { status_fail(st, "out of memory"); return NULL; }
    t->max_src = max_src;
    t->max_tgt = max_tgt;
    t->d = m->cfg.d;
    t->H = m->cfg.nhead;
    t->F = m->cfg.ffn;
    t->enc_layers = m->cfg.enc_layers;
    t->dec_layers = m->cfg.dec_layers;
    Carver cv = {NULL, 0};
    tape_layout(m, t, &cv);
    t->mem = calloc(cv.off, sizeof(float));
    t->imem = calloc((size_t)max_src + 2 * (size_t)max_tgt, sizeof(int));
    if (!t->mem || !t->imem) {
        transformer_tape_free(t);
        status_fail(st, "out of memory for the training tape (%zu floats)", cv.off);
        return NULL;
    }
    cv = (Carver){t->mem, 0};
    tape_layout(m, t, &cv);
    t->src = t->imem;
    t->tgt_in = t->src + max_src;
    t->tgt_out = t->tgt_in + max_tgt;
    return t;
}

void transformer_tape_free(TransformerTape *t) {
    if (!t) return;
    free(t->mem);
    free(t->imem);
    free(t);
}

float *transformer_grad_of(const Transformer *m, float *grads, const float *weight) {
    assert(weight >= m->block && weight < m->block + m->param_count);
    return grads + (weight - m->block);
}

/* ======================================================================== */
/* Kernels                                                                   */
/* ======================================================================== */

/* Y (rows, M) = X (rows, N) W^T (W (M, N)) + b. */
static void linear(float *Y, const float *X, const float *W, const float *b, int rows, int N, int M) {
    tensor_linear(Y, X, W, b, rows, N, M);
}

/* dX (rows, N) += dY W; dW (M, N) += dY^T X; db (M) += Σ dY. Any may be NULL. */
static void linear_backward(float *dX, float *dW, float *db, const float *dY, const float *X, const float *W,
                            int rows, int N, int M) {
    if (dW) cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, N, rows, 1.0f, dY, M, X, N, 1.0f, dW, N);
    if (db)
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < M; i++) db[i] += dY[(size_t)r * M + i];
    if (dX) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, N, M, 1.0f, dY, M, W, N, 1.0f, dX, N);
}

/* out (N, d) = LayerNorm(x); mean, rstd (N) saved. out must not alias x. */
static void ln_forward(float *out, float *mean, float *rstd, const float *x, const float *w, const float *b,
                       int N, int d, float eps) {
    for (int i = 0; i < N; i++) {
        const float *xi = x + (size_t)i * d;
        double mu = 0.0, var = 0.0;
        for (int k = 0; k < d; k++) mu += xi[k];
        mu /= d;
        for (int k = 0; k < d; k++) var += (xi[k] - mu) * (xi[k] - mu);
        var /= d;
        float rs = (float)(1.0 / sqrt(var + (double)eps)), m = (float)mu;
        mean[i] = m;
        rstd[i] = rs;
        for (int k = 0; k < d; k++) out[(size_t)i * d + k] = (xi[k] - m) * rs * w[k] + b[k];
    }
}

/* dx (N, d) += d LayerNorm / dx · dout; dw, db (d) += their gradients. */
static void ln_backward(float *dx, float *dw, float *db, const float *dout, const float *x, const float *mean,
                        const float *rstd, const float *w, int N, int d) {
    for (int i = 0; i < N; i++) {
        const float *xi = x + (size_t)i * d, *go = dout + (size_t)i * d;
        float m = mean[i], rs = rstd[i];
        double sum_g = 0.0, sum_gx = 0.0;
        for (int k = 0; k < d; k++) {
            float xh = (xi[k] - m) * rs, g = go[k] * w[k];
            dw[k] += go[k] * xh;
            db[k] += go[k];
            sum_g += g;
            sum_gx += (double)g * xh;
        }
        float mg = (float)(sum_g / d), mgx = (float)(sum_gx / d);
        for (int k = 0; k < d; k++) {
            float xh = (xi[k] - m) * rs;
            dx[(size_t)i * d + k] += rs * (go[k] * w[k] - mg - xh * mgx);
        }
    }
}

typedef struct AttnGrads {
    float *in_w, *in_b, *out_w, *out_b;
} AttnGrads;

static AttnGrads attn_grads(const Transformer *m, float *g, const TfmAttnWeights *w) {
    return (AttnGrads){transformer_grad_of(m, g, w->in_w), transformer_grad_of(m, g, w->in_b),
                       transformer_grad_of(m, g, w->out_w), transformer_grad_of(m, g, w->out_b)};
}

/* Multi-head attention forward: y (N, d) from queries a (N, d) and keys/values kv (Nk, d);
 * causal: query i sees keys 0..i. Keeps q, k, v, att (the softmax, before dropout), ctx in
 * s. mk: (H, N, Nk) dropout multipliers on the weights (ctx = Σ_j att_j mk_j v_j, as
 * nn.MultiheadAttention's dropout(softmax) @ v), or NULL for none. */
static void mha_forward(float *y, Sub *s, const float *a, const float *kv, const TfmAttnWeights *w,
                        const float *mk, int N, int Nk, int d, int H, int causal) {
    int dh = d / H;
    float scale = 1.0f / sqrtf((float)dh);
    linear(s->q, a, w->in_w, w->in_b, N, d, d);
    linear(s->k, kv, w->in_w + (size_t)d * d, w->in_b + d, Nk, d, d);
    linear(s->v, kv, w->in_w + (size_t)2 * d * d, w->in_b + 2 * d, Nk, d, d);
    for (int h = 0; h < H; h++) {
        for (int i = 0; i < N; i++) {
            float *att = s->att + ((size_t)h * N + i) * Nk;
            const float *q = s->q + (size_t)i * d + h * dh;
            int n = causal ? i + 1 : Nk;
            for (int j = 0; j < n; j++) {
                const float *k = s->k + (size_t)j * d + h * dh;
                float sc = 0.0f;
                for (int e = 0; e < dh; e++) sc += q[e] * scale * k[e];
                att[j] = sc;
            }
            tensor_softmax(att, att, n);
            for (int j = n; j < Nk; j++) att[j] = 0.0f;
            float *ctx = s->ctx + (size_t)i * d + h * dh;
            memset(ctx, 0, (size_t)dh * sizeof(float));
            const float *mki = mk ? mk + ((size_t)h * N + i) * Nk : NULL;
            for (int j = 0; j < n; j++) {
                const float *v = s->v + (size_t)j * d + h * dh;
                float aj = mki ? att[j] * mki[j] : att[j];
                for (int e = 0; e < dh; e++) ctx[e] += aj * v[e];
            }
        }
    }
    linear(y, s->ctx, w->out_w, w->out_b, N, d, d);
}

/* Multi-head attention backward: da (N, d) += dL/da, dkv (Nk, d) += dL/dkv (da and dkv may
 * be the same buffer for self-attention), g += weight gradients. dy: (N, d). mk: the
 * forward's weight-dropout multipliers (H, N, Nk) or NULL. */
static void mha_backward(TransformerTape *t, float *da, float *dkv, AttnGrads g, const float *dy, const Sub *s,
                         const float *a, const float *kv, const TfmAttnWeights *w, const float *mk, int N, int Nk, int d,
                         int H, int causal) {
    int dh = d / H;
    float scale = 1.0f / sqrtf((float)dh);
    memset(t->dctx, 0, (size_t)N * d * sizeof(float));
    linear_backward(t->dctx, g.out_w, g.out_b, dy, s->ctx, w->out_w, N, d, d);
    memset(t->dq, 0, (size_t)N * d * sizeof(float));
    memset(t->dk, 0, (size_t)Nk * d * sizeof(float));
    memset(t->dv, 0, (size_t)Nk * d * sizeof(float));
    for (int h = 0; h < H; h++) {
        for (int i = 0; i < N; i++) {
            const float *att = s->att + ((size_t)h * N + i) * Nk;
            const float *dc = t->dctx + (size_t)i * d + h * dh, *q = s->q + (size_t)i * d + h * dh;
            int n = causal ? i + 1 : Nk;
            const float *mki = mk ? mk + ((size_t)h * N + i) * Nk : NULL;
            float dot = 0.0f;
            for (int j = 0; j < n; j++) {
                const float *v = s->v + (size_t)j * d + h * dh;
                float *dv = t->dv + (size_t)j * d + h * dh;
                float da_j = 0.0f, aj = mki ? att[j] * mki[j] : att[j];
                for (int e = 0; e < dh; e++) {
                    da_j += dc[e] * v[e];
                    dv[e] += aj * dc[e];
                }
                if (mki) da_j *= mki[j]; /* through the dropout to the softmax output */
                t->datt[j] = da_j;
                dot += att[j] * da_j;
            }
            float *dq = t->dq + (size_t)i * d + h * dh;
            for (int j = 0; j < n; j++) {
                float ds = att[j] * (t->datt[j] - dot) * scale;
                const float *k = s->k + (size_t)j * d + h * dh;
                float *dk = t->dk + (size_t)j * d + h * dh;
                for (int e = 0; e < dh; e++) {
                    dq[e] += ds * k[e];
                    dk[e] += ds * q[e];
                }
            }
        }
    }
    /* q was computed from the scaled dot product above as (q·scale)·k, so dq, dk carry the scale */
    linear_backward(da, g.in_w, g.in_b, t->dq, a, w->in_w, N, d, d);
    linear_backward(dkv, g.in_w + (size_t)d * d, g.in_b + d, t->dk, kv, w->in_w + (size_t)d * d, Nk, d, d);
    linear_backward(dkv, g.in_w + (size_t)2 * d * d, g.in_b + 2 * d, t->dv, kv, w->in_w + (size_t)2 * d * d, Nk, d, d);
}

/* y (N, d) = linear2(dropout(relu(linear1(a)))); s->hid keeps the hidden layer after the
 * dropout. mk: (N, F) multipliers or NULL. */
static void ffn_forward(float *y, Sub *s, const float *a, const TfmLayerWeights *w, const float *mk, int N, int d, int F) {
    linear(s->hid, a, w->lin1_w, w->lin1_b, N, d, F);
    for (size_t i = 0; i < (size_t)N * F; i++) s->hid[i] = s->hid[i] > 0.0f ? s->hid[i] : 0.0f;
    if (mk) for (size_t i = 0; i < (size_t)N * F; i++) s->hid[i] *= mk[i];
    linear(y, s->hid, w->lin2_w, w->lin2_b, N, F, d);
}

/* mk: the forward's hidden-layer multipliers (N, F) or NULL. s->hid is ReLU × mask, so
 * hid <= 0 wherever the ReLU or the mask blocked the gradient. */
static void ffn_backward(const Transformer *m, TransformerTape *t, float *grads, float *da, const float *dy, const Sub *s,
                         const float *a, const TfmLayerWeights *w, const float *mk, int N, int d, int F) {
    memset(t->dhid, 0, (size_t)N * F * sizeof(float));
    linear_backward(t->dhid, transformer_grad_of(m, grads, w->lin2_w), transformer_grad_of(m, grads, w->lin2_b),
                    dy, s->hid, w->lin2_w, N, F, d);
    if (mk) for (size_t i = 0; i < (size_t)N * F; i++) t->dhid[i] *= mk[i];
    for (size_t i = 0; i < (size_t)N * F; i++) if (s->hid[i] <= 0.0f) t->dhid[i] = 0.0f;
    linear_backward(da, transformer_grad_of(m, grads, w->lin1_w), transformer_grad_of(m, grads, w->lin1_b),
                    t->dhid, a, w->lin1_w, N, d, F);
}

/* ======================================================================== */
/* Sublayers: x_out = LN(x_in + f(x_in)) post-norm, x_in + f(LN(x_in)) pre-norm */
/* ======================================================================== */

static const float *sub_begin(const TransformerConfig *c, Sub *s, const float *x_in, const float *nw, const float *nb, int N) {
    memcpy(s->x_in, x_in, (size_t)N * c->d * sizeof(float));
    if (!c->norm_first) return s->x_in;
    ln_forward(s->a, s->mean, s->rstd, s->x_in, nw, nb, N, c->d, c->ln_eps);
    return s->a;
}

static void sub_end(const TransformerConfig *c, Sub *s, const float *y, const float *nw, const float *nb, int N) {
    size_t n = (size_t)N * c->d;
    for (size_t i = 0; i < n; i++) s->s[i] = s->x_in[i] + y[i];
    if (c->norm_first) memcpy(s->x_out, s->s, n * sizeof(float));
    else ln_forward(s->x_out, s->mean, s->rstd, s->s, nw, nb, N, c->d, c->ln_eps);
}

/* t->dx holds dL/dx_out on entry; turns it into dL/ds (post-norm). */
static void sub_end_backward(const Transformer *m, TransformerTape *t, float *grads, const Sub *s,
                             const float *nw, const float *nb, int N) {
    if (m->cfg.norm_first) return;
    int d = m->cfg.d;
    memset(t->dtmp, 0, (size_t)N * d * sizeof(float));
    ln_backward(t->dtmp, transformer_grad_of(m, grads, nw), transformer_grad_of(m, grads, nb), t->dx, s->s,
                s->mean, s->rstd, nw, N, d);
    memcpy(t->dx, t->dtmp, (size_t)N * d * sizeof(float));
}

/* t->dx holds dL/ds = dL/dx_in through the residual; adds the path through the sublayer
 * input, whose gradient is in t->da. */
static void sub_begin_backward(const Transformer *m, TransformerTape *t, float *grads, const Sub *s,
                               const float *nw, const float *nb, int N) {
    int d = m->cfg.d;
    if (m->cfg.norm_first) {
        ln_backward(t->dx, transformer_grad_of(m, grads, nw), transformer_grad_of(m, grads, nb), t->da, s->x_in,
                    s->mean, s->rstd, nw, N, d);
    } else {
        for (size_t i = 0; i < (size_t)N * d; i++) t->dx[i] += t->da[i];
    }
}

/* ======================================================================== */
/* Forward                                                                   */
/* ======================================================================== */

/* The trainer's generator (train_loop.c's and train.c's splitmix64). */
static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The dropout multipliers of one site: NULL when p is 0 (no dropout); otherwise mk (n),
 * freshly drawn when rng is given (each element 0 with probability p, else 1/(1-p): one
 * 24-bit uniform per element, in row-major order, as train.c's RNN dropout), or left as it
 * is (set by transformer_tape_mask or the previous forward) when rng is NULL. */
static const float *mask(float *mk, size_t n, float p, uint64_t *rng) {
    if (p <= 0.0f) return NULL;
    if (rng) {
        float keep = 1.0f - p, inv_keep = 1.0f / keep;
        for (size_t i = 0; i < n; i++) mk[i] = (float)((rng_next(rng) >> 40) * (1.0 / 16777216.0)) < keep ? inv_keep : 0.0f;
    }
    return mk;
}

/* x (n) *= mk (n) when mk is not NULL. */
static void mul(float *x, const float *mk, size_t n) {
    if (mk) for (size_t i = 0; i < n; i++) x[i] *= mk[i];
}

static void embed(const Transformer *m, float *x, const float *emb, const int *ids, int N) {
    int d = m->cfg.d;
    float scale = (float)sqrt((double)d);
    for (int i = 0; i < N; i++)
        for (int k = 0; k < d; k++) x[(size_t)i * d + k] = emb[(size_t)ids[i] * d + k] * scale + m->w.pos[(size_t)i * d + k];
}

static int train_forward(const Transformer *m, TransformerTape *t, const int *src, int S, const int *tgt_in,
                         const int *tgt_out, int T, float p, uint64_t *rng, float *loss, float *logprobs, Status *st) {
    const TransformerConfig *c = &m->cfg;
    int d = c->d, H = c->nhead, F = c->ffn, Vs = vocab_size(m->src_vocab), Vt = vocab_size(m->tgt_vocab);
    if (!(p >= 0.0f && p < 1.0f)) return status_fail(st, "dropout %g is outside [0, 1)", (double)p);
    if (S < 1 || S > t->max_src || T < 1 || T > t->max_tgt)
        return status_fail(st, "pair of %d source and %d target tokens; the tape holds %d and %d", S, T, t->max_src, t->max_tgt);
    for (int i = 0; i < S; i++) if (src[i] < 0 || src[i] >= Vs) return status_fail(st, "source id %d is outside the vocabulary (0..%d)", src[i], Vs - 1);
    for (int i = 0; i < T; i++)
        if (tgt_in[i] < 0 || tgt_in[i] >= Vt || tgt_out[i] < 0 || tgt_out[i] >= Vt)
            return status_fail(st, "target id at %d is outside the vocabulary (0..%d)", i, Vt - 1);
    t->S = S;
    t->T = T;
    t->drop = p;
    memcpy(t->src, src, (size_t)S * sizeof(int));
    memcpy(t->tgt_in, tgt_in, (size_t)T * sizeof(int));
    memcpy(t->tgt_out, tgt_out, (size_t)T * sizeof(int));
    size_t Sd = (size_t)S * d, Td = (size_t)T * d;

    /* encoder: every mask is drawn just before its use, in this order */
    embed(m, t->enc_x0, m->w.src_emb, src, S);
    mul(t->enc_x0, mask(t->m_src, Sd, p, rng), Sd);
    const float *x = t->enc_x0;
    for (int l = 0; l < c->enc_layers; l++) {
        const TfmLayerWeights *w = &m->w.enc[l];
        Sub *s = &t->enc[l][0];
        const float *a = sub_begin(c, s, x, w->norm_w[0], w->norm_b[0], S);
        mha_forward(t->y, s, a, a, &w->self_attn, mask(s->m_att, (size_t)H * S * S, p, rng), S, S, d, H, 0);
        mul(t->y, mask(s->m_out, Sd, p, rng), Sd);
        sub_end(c, s, t->y, w->norm_w[0], w->norm_b[0], S);
        s = &t->enc[l][1];
        a = sub_begin(c, s, t->enc[l][0].x_out, w->norm_w[1], w->norm_b[1], S);
        ffn_forward(t->y, s, a, w, mask(s->m_hid, (size_t)S * F, p, rng), S, d, F);
        mul(t->y, mask(s->m_out, Sd, p, rng), Sd);
        sub_end(c, s, t->y, w->norm_w[1], w->norm_b[1], S);
        x = s->x_out;
    }
    ln_forward(t->memory, t->mem_mean, t->mem_rstd, x, m->w.enc_norm_w, m->w.enc_norm_b, S, d, c->ln_eps);

    /* decoder */
    embed(m, t->dec_x0, m->w.tgt_emb, tgt_in, T);
    mul(t->dec_x0, mask(t->m_tgt, Td, p, rng), Td);
    x = t->dec_x0;
    for (int l = 0; l < c->dec_layers; l++) {
        const TfmLayerWeights *w = &m->w.dec[l];
        Sub *s = &t->dec[l][0];
        const float *a = sub_begin(c, s, x, w->norm_w[0], w->norm_b[0], T);
        mha_forward(t->y, s, a, a, &w->self_attn, mask(s->m_att, (size_t)H * T * T, p, rng), T, T, d, H, 1);
        mul(t->y, mask(s->m_out, Td, p, rng), Td);
        sub_end(c, s, t->y, w->norm_w[0], w->norm_b[0], T);
        s = &t->dec[l][1];
        a = sub_begin(c, s, t->dec[l][0].x_out, w->norm_w[1], w->norm_b[1], T);
        mha_forward(t->y, s, a, t->memory, &w->cross_attn, mask(s->m_att, (size_t)H * T * S, p, rng), T, S, d, H, 0);
        mul(t->y, mask(s->m_out, Td, p, rng), Td);
        sub_end(c, s, t->y, w->norm_w[1], w->norm_b[1], T);
        s = &t->dec[l][2];
        a = sub_begin(c, s, t->dec[l][1].x_out, w->norm_w[2], w->norm_b[2], T);
        ffn_forward(t->y, s, a, w, mask(s->m_hid, (size_t)T * F, p, rng), T, d, F);
        mul(t->y, mask(s->m_out, Td, p, rng), Td);
        sub_end(c, s, t->y, w->norm_w[2], w->norm_b[2], T);
        x = s->x_out;
    }
    ln_forward(t->dec_y, t->out_mean, t->out_rstd, x, m->w.dec_norm_w, m->w.dec_norm_b, T, d, c->ln_eps);
    linear(t->logp, t->dec_y, m->w.gen_w, m->w.gen_b, T, d, Vt);
    double sum = 0.0;
    t->count = 0;
    for (int i = 0; i < T; i++) {
        float *lp = t->logp + (size_t)i * Vt;
        tensor_log_softmax(lp, lp, Vt);
        if (tgt_out[i] == m->pad) continue;
        sum -= lp[tgt_out[i]];
        t->count++;
    }
    *loss = t->count ? (float)(sum / t->count) : 0.0f;
    if (logprobs) memcpy(logprobs, t->logp, (size_t)T * Vt * sizeof(float));
    return 0;
}

int transformer_train_forward(const Transformer *m, TransformerTape *t, const int *src, int S, const int *tgt_in,
                              const int *tgt_out, int T, float *loss, float *logprobs, Status *st) {
    return train_forward(m, t, src, S, tgt_in, tgt_out, T, 0.0f, NULL, loss, logprobs, st);
}

int transformer_train_forward_dropout(const Transformer *m, TransformerTape *t, const int *src, int S, const int *tgt_in,
                                      const int *tgt_out, int T, float p, uint64_t *rng, float *loss, float *logprobs,
                                      Status *st) {
    return train_forward(m, t, src, S, tgt_in, tgt_out, T, p, rng, loss, logprobs, st);
}

/* "enc.embed" / "dec.embed", or "<enc|dec>.l<N>.<self|cross|ffn>.<attn|hid|out>" */
float *transformer_tape_mask(TransformerTape *t, const char *site, int S, int T, long *numel) {
    long d = t->d, H = t->H, F = t->F;
    *numel = 0;
    if (!site || S < 1 || S > t->max_src || T < 1 || T > t->max_tgt) return NULL;
    int dec = !strncmp(site, "dec.", 4);
    if (!dec && strncmp(site, "enc.", 4)) return NULL;
    long N = dec ? T : S;
    if (!strcmp(site + 4, "embed")) {
        *numel = N * d;
        return dec ? t->m_tgt : t->m_src;
    }
    if (site[4] != 'l' || site[5] < '0' || site[5] > '9') return NULL;
    char *end;
    long l = strtol(site + 5, &end, 10);
    if (l < 0 || l >= (dec ? t->dec_layers : t->enc_layers) || *end != '.') return NULL;
    const char *part = end + 1;
    Sub *s = NULL;
    long Nk = N;
    size_t plen = 0;
    if (!strncmp(part, "self.", 5)) { s = dec ? &t->dec[l][0] : &t->enc[l][0]; plen = 5; }
    else if (dec && !strncmp(part, "cross.", 6)) { s = &t->dec[l][1]; Nk = S; plen = 6; }
    else if (!strncmp(part, "ffn.", 4)) { s = dec ? &t->dec[l][2] : &t->enc[l][1]; plen = 4; }
    else return NULL;
    const char *what = part + plen;
    int ffn = part[0] == 'f';
    if (!strcmp(what, "out")) { *numel = N * d; return s->m_out; }
    if (!ffn && !strcmp(what, "attn")) { *numel = H * N * Nk; return s->m_att; }
    if (ffn && !strcmp(what, "hid")) { *numel = N * F; return s->m_hid; }
    return NULL;
}

/* ======================================================================== */
/* Backward                                                                  */
/* ======================================================================== */

/* dx: (N, d) gradient of the embedding sublayer's output; mk: its dropout multipliers
 * (N, d) or NULL. */
static void embed_backward(const Transformer *m, float *grads, const float *emb, const int *ids, const float *dx,
                           const float *mk, int N) {
    int d = m->cfg.d;
    float scale = (float)sqrt((double)d);
    float *ge = transformer_grad_of(m, grads, emb), *gp = transformer_grad_of(m, grads, m->w.pos);
    for (int i = 0; i < N; i++)
        for (int k = 0; k < d; k++) {
            size_t o = (size_t)i * d + k;
            float g = mk ? dx[o] * mk[o] : dx[o];
            ge[(size_t)ids[i] * d + k] += scale * g;
            gp[o] += g;
        }
}

/* The gradient reaching a sublayer's output: dL/ds (t->dx), times the output's dropout
 * multipliers when the forward had dropout (into t->dy). (N, d). */
static const float *out_grad(TransformerTape *t, const Sub *s, int N) {
    if (t->drop <= 0.0f) return t->dx;
    size_t n = (size_t)N * t->d;
    for (size_t i = 0; i < n; i++) t->dy[i] = t->dx[i] * s->m_out[i];
    return t->dy;
}

void transformer_train_backward(const Transformer *m, TransformerTape *t, float *grads) {
    if (t->count) transformer_train_backward_weighted(m, t, grads, 1.0f / (float)t->count);
}

void transformer_train_cross_weights(const Transformer *m, const TransformerTape *t, int pos, float *out) {
    transformer_train_cross_weights_layer(m, t, m->cfg.dec_layers - 1, pos, out);
}

void transformer_train_cross_weights_layer(const Transformer *m, const TransformerTape *t, int layer, int pos, float *out) {
    const TransformerConfig *c = &m->cfg;
    int S = t->S, T = t->T, H = c->nhead;
    assert(pos >= 0 && pos < T && layer >= 0 && layer < c->dec_layers);
    const float *att = t->dec[layer][1].att; /* (H, T, S) */
    for (int j = 0; j < S; j++) out[j] = 0.0f;
    for (int h = 0; h < H; h++)
        for (int j = 0; j < S; j++) out[j] += att[((size_t)h * T + pos) * S + j] / (float)H;
}

void transformer_train_backward_weighted(const Transformer *m, TransformerTape *t, float *grads, float weight) {
    const TransformerConfig *c = &m->cfg;
    int d = c->d, H = c->nhead, F = c->ffn, S = t->S, T = t->T, Vt = vocab_size(m->tgt_vocab);
    int drop = t->drop > 0.0f;
    assert(S > 0 && T > 0);
    if (!t->count) return;

    /* loss → logits → generator → final decoder norm */
    for (int i = 0; i < T; i++) {
        float *dl = t->dlogits + (size_t)i * Vt;
        const float *lp = t->logp + (size_t)i * Vt;
        if (t->tgt_out[i] == m->pad) { memset(dl, 0, (size_t)Vt * sizeof(float)); continue; }
        for (int v = 0; v < Vt; v++) dl[v] = expf(lp[v]) * weight;
        dl[t->tgt_out[i]] -= weight;
    }
    memset(t->dtmp, 0, (size_t)T * d * sizeof(float));
    linear_backward(t->dtmp, transformer_grad_of(m, grads, m->w.gen_w), transformer_grad_of(m, grads, m->w.gen_b),
                    t->dlogits, t->dec_y, m->w.gen_w, T, d, Vt);
    const float *x_last = c->dec_layers ? t->dec[c->dec_layers - 1][2].x_out : t->dec_x0;
    memset(t->dx, 0, (size_t)T * d * sizeof(float));
    ln_backward(t->dx, transformer_grad_of(m, grads, m->w.dec_norm_w), transformer_grad_of(m, grads, m->w.dec_norm_b),
                t->dtmp, x_last, t->out_mean, t->out_rstd, m->w.dec_norm_w, T, d);

    /* decoder layers in reverse; cross-attention adds into dmem */
    memset(t->dmem, 0, (size_t)S * d * sizeof(float));
    for (int l = c->dec_layers - 1; l >= 0; l--) {
        const TfmLayerWeights *w = &m->w.dec[l];
        /* feed-forward */
        const Sub *s = &t->dec[l][2];
        const float *a = c->norm_first ? s->a : s->x_in;
        sub_end_backward(m, t, grads, s, w->norm_w[2], w->norm_b[2], T);
        memset(t->da, 0, (size_t)T * d * sizeof(float));
        ffn_backward(m, t, grads, t->da, out_grad(t, s, T), s, a, w, drop ? s->m_hid : NULL, T, d, F);
        sub_begin_backward(m, t, grads, s, w->norm_w[2], w->norm_b[2], T);
        /* cross-attention */
        s = &t->dec[l][1];
        a = c->norm_first ? s->a : s->x_in;
        sub_end_backward(m, t, grads, s, w->norm_w[1], w->norm_b[1], T);
        memset(t->da, 0, (size_t)T * d * sizeof(float));
        mha_backward(t, t->da, t->dmem, attn_grads(m, grads, &w->cross_attn), out_grad(t, s, T), s, a, t->memory,
                     &w->cross_attn, drop ? s->m_att : NULL, T, S, d, H, 0);
        sub_begin_backward(m, t, grads, s, w->norm_w[1], w->norm_b[1], T);
        /* masked self-attention */
        s = &t->dec[l][0];
        a = c->norm_first ? s->a : s->x_in;
        sub_end_backward(m, t, grads, s, w->norm_w[0], w->norm_b[0], T);
        memset(t->da, 0, (size_t)T * d * sizeof(float));
        mha_backward(t, t->da, t->da, attn_grads(m, grads, &w->self_attn), out_grad(t, s, T), s, a, a, &w->self_attn,
                     drop ? s->m_att : NULL, T, T, d, H, 1);
        sub_begin_backward(m, t, grads, s, w->norm_w[0], w->norm_b[0], T);
    }
    embed_backward(m, grads, m->w.tgt_emb, t->tgt_in, t->dx, drop ? t->m_tgt : NULL, T);

    /* memory → final encoder norm → encoder layers in reverse */
    const float *x_enc = c->enc_layers ? t->enc[c->enc_layers - 1][1].x_out : t->enc_x0;
    memset(t->dx, 0, (size_t)S * d * sizeof(float));
    ln_backward(t->dx, transformer_grad_of(m, grads, m->w.enc_norm_w), transformer_grad_of(m, grads, m->w.enc_norm_b),
                t->dmem, x_enc, t->mem_mean, t->mem_rstd, m->w.enc_norm_w, S, d);
    for (int l = c->enc_layers - 1; l >= 0; l--) {
        const TfmLayerWeights *w = &m->w.enc[l];
        const Sub *s = &t->enc[l][1];
        const float *a = c->norm_first ? s->a : s->x_in;
        sub_end_backward(m, t, grads, s, w->norm_w[1], w->norm_b[1], S);
        memset(t->da, 0, (size_t)S * d * sizeof(float));
        ffn_backward(m, t, grads, t->da, out_grad(t, s, S), s, a, w, drop ? s->m_hid : NULL, S, d, F);
        sub_begin_backward(m, t, grads, s, w->norm_w[1], w->norm_b[1], S);
        s = &t->enc[l][0];
        a = c->norm_first ? s->a : s->x_in;
        sub_end_backward(m, t, grads, s, w->norm_w[0], w->norm_b[0], S);
        memset(t->da, 0, (size_t)S * d * sizeof(float));
        mha_backward(t, t->da, t->da, attn_grads(m, grads, &w->self_attn), out_grad(t, s, S), s, a, a, &w->self_attn,
                     drop ? s->m_att : NULL, S, S, d, H, 0);
        sub_begin_backward(m, t, grads, s, w->norm_w[0], w->norm_b[0], S);
    }
    embed_backward(m, grads, m->w.src_emb, t->src, t->dx, drop ? t->m_src : NULL, S);
}
