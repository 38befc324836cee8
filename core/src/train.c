/* train.c — batched teacher-forcing forward and handwritten backward (see train.h).
 *
 * Sections: helpers → cells → attention → activations → forward → backward.
 * Layouts are time-major: (S, B, X) / (T, B, X). Forward mirrors seq2seq_encode and
 * seq2seq_decode_step exactly (test_train_grad checks the log-probs against them). */
#include "attnstep/train.h"

#include <assert.h>
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attnstep/tensor.h"

/* ======================================================================== */
/* Helpers                                                                   */
/* ======================================================================== */

/* Branch-free exp / tanh / sigmoid that GCC vectorises (Cephes-style exp: range reduction
 * + degree-6 polynomial, ~2 ulp; tanh abs error < 3e-7). NaN inputs give garbage, which
 * the NaN checks on the loss and gradient norm catch. */
static inline float fexp(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    /* round to nearest by the 1.5 * 2^23 trick (|x log2 e| < 128), which vectorises where
     * floorf is a library call */
    float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    uint32_t bits = (uint32_t)((int32_t)n + 127) << 23; /* 2^n in the exponent field */
    float sc;
    memcpy(&sc, &bits, sizeof sc);
    return p * sc;
}
static inline float ftanh(float x) { return 1.0f - 2.0f / (fexp(2.0f * x) + 1.0f); }
static inline float sigm(float x) { return 1.0f / (1.0f + fexp(-x)); }

/* Y (rows, M) = X W^T (+ b) (+ Y when acc), with row strides. */
static void linear_fw(float *Y, int ldy, const float *X, int ldx, const float *W, const float *b,
                      int rows, int N, int M, int acc) {
    float beta = acc ? 1.0f : 0.0f;
    if (b) {
        for (int r = 0; r < rows; r++) {
            float *y = Y + (size_t)r * ldy;
            if (acc) for (int i = 0; i < M; i++) y[i] += b[i];
            else memcpy(y, b, (size_t)M * sizeof *y);
        }
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, M, N, 1.0f, X, ldx, W, N, beta, Y, ldy);
}

void train_linear_backward(float *dX, float *dW, float *db, const float *dY, int ldy,
                           const float *X, int ldx, const float *W, int rows, int N, int M) {
    if (rows <= 0) return;
    if (dW) cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, N, rows, 1.0f, dY, ldy, X, ldx, 1.0f, dW, N);
    if (db)
        for (int r = 0; r < rows; r++) {
            const float *d = dY + (size_t)r * ldy;
            for (int i = 0; i < M; i++) db[i] += d[i];
        }
    if (dX) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, N, M, 1.0f, dY, ldy, W, N, 1.0f, dX, N);
}

/* splitmix64 */
static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static float rng_uniform(uint64_t *s) { return (float)((rng_next(s) >> 40) * (1.0 / 16777216.0)); }

/* ======================================================================== */
/* Cells                                                                     */
/* ======================================================================== */

/* One row of a GRU / LSTM step (separate functions with restrict pointers vectorise). */
static void gru_row(float *restrict o, float *restrict g, float *restrict gh_n, const float *restrict xi,
                    const float *restrict hh, const float *restrict hp, int H) {
    for (int i = 0; i < H; i++) {
        float r = sigm(xi[i] + hh[i]);
        float z = sigm(xi[H + i] + hh[H + i]);
        float n = ftanh(xi[2 * H + i] + r * hh[2 * H + i]);
        o[i] = (1.0f - z) * n + z * hp[i];
        g[i] = r;
        g[H + i] = z;
        g[2 * H + i] = n;
        gh_n[i] = hh[2 * H + i];
    }
}

static void lstm_row(float *restrict o, float *restrict co, float *restrict g, const float *restrict xi,
                     const float *restrict hh, const float *restrict cp, int H) {
    for (int i = 0; i < H; i++) {
        float ig = sigm(xi[i] + hh[i]);
        float fg = sigm(xi[H + i] + hh[H + i]);
        float gg = ftanh(xi[2 * H + i] + hh[2 * H + i]);
        float og = sigm(xi[3 * H + i] + hh[3 * H + i]);
        float cn = fg * cp[i] + ig * gg;
        co[i] = cn;
        o[i] = og * ftanh(cn);
        g[i] = ig;
        g[H + i] = fg;
        g[2 * H + i] = gg;
        g[3 * H + i] = og;
    }
}

void train_cell_forward(RnnCell cell, float *h, float *c, float *gates, float *ghn, float *gh,
                        const float *gi, const float *h_prev, const float *c_prev,
                        const float *w_hh, const float *b_hh, const unsigned char *active, int B, int H) {
    int G = rnn_gate_count(cell);
    linear_fw(gh, G * H, h_prev, H, w_hh, b_hh, B, H, G * H, 0);
    for (int b = 0; b < B; b++) {
        const float *xi = gi + (size_t)b * G * H, *hh = gh + (size_t)b * G * H, *hp = h_prev + (size_t)b * H;
        float *ho = h + (size_t)b * H, *go = gates + (size_t)b * G * H;
        if (active && !active[b]) {
            memcpy(ho, hp, (size_t)H * sizeof *ho);
            if (cell == RNN_LSTM) memcpy(c + (size_t)b * H, c_prev + (size_t)b * H, (size_t)H * sizeof *c);
            memset(go, 0, (size_t)G * H * sizeof *go);
            if (cell == RNN_GRU) memset(ghn + (size_t)b * H, 0, (size_t)H * sizeof *ghn);
            continue;
        }
        switch (cell) {
        case RNN_GRU: gru_row(ho, go, ghn + (size_t)b * H, xi, hh, hp, H); break;
        case RNN_LSTM: lstm_row(ho, c + (size_t)b * H, go, xi, hh, c_prev + (size_t)b * H, H); break;
        case RNN_ELMAN_RELU:
            for (int i = 0; i < H; i++) { float v = xi[i] + hh[i]; ho[i] = v > 0.0f ? v : 0.0f; }
            break;
        default:
            for (int i = 0; i < H; i++) ho[i] = ftanh(xi[i] + hh[i]);
            break;
        }
    }
}

void train_cell_backward(RnnCell cell, float *dgi, float *dgh, float *dh_prev, float *dc_prev,
                         const float *dh, const float *dc, const float *h, const float *c,
                         const float *gates, const float *ghn, const float *h_prev, const float *c_prev,
                         const float *w_hh, const unsigned char *active, int B, int H) {
    int G = rnn_gate_count(cell);
    for (int b = 0; b < B; b++) {
        const float *d = dh + (size_t)b * H, *go = gates + (size_t)b * G * H, *hp = h_prev + (size_t)b * H;
        float *gi = dgi + (size_t)b * G * H, *gh = dgh + (size_t)b * G * H, *dhp = dh_prev + (size_t)b * H;
        if (active && !active[b]) {
            memset(gi, 0, (size_t)G * H * sizeof *gi);
            memset(gh, 0, (size_t)G * H * sizeof *gh);
            memcpy(dhp, d, (size_t)H * sizeof *dhp);
            if (cell == RNN_LSTM) {
                if (dc) memcpy(dc_prev + (size_t)b * H, dc + (size_t)b * H, (size_t)H * sizeof *dc_prev);
                else memset(dc_prev + (size_t)b * H, 0, (size_t)H * sizeof *dc_prev);
            }
            continue;
        }
        switch (cell) {
        case RNN_GRU:
            for (int i = 0; i < H; i++) {
                float r = go[i], z = go[H + i], n = go[2 * H + i], hn = ghn[(size_t)b * H + i];
                float dn = d[i] * (1.0f - z);
                float dz = d[i] * (hp[i] - n);
                dhp[i] = d[i] * z;
                float dnp = dn * (1.0f - n * n);
                float dr = dnp * hn;
                float drp = dr * r * (1.0f - r);
                float dzp = dz * z * (1.0f - z);
                gi[i] = drp; gh[i] = drp;
                gi[H + i] = dzp; gh[H + i] = dzp;
                gi[2 * H + i] = dnp; gh[2 * H + i] = dnp * r;
            }
            break;
        case RNN_LSTM: {
            const float *cc = c + (size_t)b * H, *cp = c_prev + (size_t)b * H;
            float *dcp = dc_prev + (size_t)b * H;
            for (int i = 0; i < H; i++) {
                float ig = go[i], fg = go[H + i], gg = go[2 * H + i], og = go[3 * H + i];
                float tc = ftanh(cc[i]);
                float dct = (dc ? dc[(size_t)b * H + i] : 0.0f) + d[i] * og * (1.0f - tc * tc);
                float dog = d[i] * tc;
                float dig = dct * gg, dfg = dct * cp[i], dgg = dct * ig;
                dcp[i] = dct * fg;
                gi[i] = dig * ig * (1.0f - ig);
                gi[H + i] = dfg * fg * (1.0f - fg);
                gi[2 * H + i] = dgg * (1.0f - gg * gg);
                gi[3 * H + i] = dog * og * (1.0f - og);
            }
            memcpy(gh, gi, (size_t)G * H * sizeof *gh);
            memset(dhp, 0, (size_t)H * sizeof *dhp);
            break;
        }
        case RNN_ELMAN_RELU: {
            const float *ho = h + (size_t)b * H;
            for (int i = 0; i < H; i++) gi[i] = ho[i] > 0.0f ? d[i] : 0.0f;
            memcpy(gh, gi, (size_t)H * sizeof *gh);
            memset(dhp, 0, (size_t)H * sizeof *dhp);
            break;
        }
        default: {
            const float *ho = h + (size_t)b * H;
            for (int i = 0; i < H; i++) gi[i] = d[i] * (1.0f - ho[i] * ho[i]);
            memcpy(gh, gi, (size_t)H * sizeof *gh);
            memset(dhp, 0, (size_t)H * sizeof *dhp);
            break;
        }
        }
    }
    /* dh_prev += dgh W_hh (GRU's direct z-path was written above; others start at 0) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, G * H, 1.0f, dgh, G * H, w_hh, H, 1.0f, dh_prev, H);
}

/* ======================================================================== */
/* Activations                                                               */
/* ======================================================================== */

struct TrainActs {
    int max_B, max_S, max_T;
    int B, S, T;                 /* of the last forward */
    int G, H, Hd, E, L, ndir, Q, P, Vt, din, qp_size;
    const TrainBatch *batch;     /* of the last forward (borrowed) */
    int *src, *tgt_in, *tgt_out; /* (S*B) time-major src ids; (T*B) decoder inputs / targets */
    int *src_len, *tgt_len;      /* (B) */
    unsigned char *enc_active;   /* (S*B) */
    float dropout;
    /* encoder */
    float *enc_x;                /* (S,B,E) embeddings after dropout */
    float *enc_x_mask;           /* (S,B,E) dropout scale or NULL */
    float *enc_out[SEQ2SEQ_MAX_LAYERS];                 /* (S,B,H) */
    float *enc_gates[SEQ2SEQ_MAX_LAYERS][2];            /* (S,B,G*Hd) */
    float *enc_ghn[SEQ2SEQ_MAX_LAYERS][2];              /* (S,B,Hd) GRU */
    float *enc_c[SEQ2SEQ_MAX_LAYERS][2];                /* (S,B,Hd) LSTM */
    float *enc_gi;               /* (S,B,G*Hd) scratch / d gi */
    float *enc_gh;               /* (S,B,G*Hd) scratch / d gh */
    float *zeros;                /* (B*max(H,E)) */
    float *keys_proj;            /* (S,B,P) */
    float *lang;                 /* (B,E) */
    /* decoder */
    float *dec_x;                /* (T,B,din) layer-0 input */
    float *dec_x_mask;           /* (T,B,E) dropout scale or NULL */
    float *dec_h[SEQ2SEQ_MAX_LAYERS];     /* (T+1,B,H) slot 0: initial state */
    float *dec_c[SEQ2SEQ_MAX_LAYERS];     /* (T+1,B,H) LSTM */
    float *dec_gates[SEQ2SEQ_MAX_LAYERS]; /* (T,B,G*H) */
    float *dec_ghn[SEQ2SEQ_MAX_LAYERS];   /* (T,B,H) */
    float *dec_dgi[SEQ2SEQ_MAX_LAYERS];   /* (T,B,G*H) backward */
    float *dec_dgh[SEQ2SEQ_MAX_LAYERS];   /* (T,B,G*H) backward */
    float *gi, *gh;              /* (B,G*H) scratch */
    float *query;                /* (T,B,Q) */
    float *qproj;                /* (T,B,qp_size) additive Wa q + b; concat W[:, :Q] q; location Wa q + b */
    float *energies, *soft, *weights; /* (T,B,S) */
    float *centre;               /* (T,B) */
    int *lo, *hi;                /* (T,B) */
    float *lp_t;                 /* (T,B,H) tanh(Wp q) (local-p) */
    float *attn_th;              /* (T,B,S,H) additive/concat: tanh(qproj + keys_proj_j) */
    float *context;              /* (T,B,H) */
    float *wc_in;                /* (T,B,2H) [c; h] */
    float *htil;                 /* (T,B,H) */
    float *out_in;               /* (T,B,H) output layer input after dropout */
    float *out_mask;             /* (T,B,H) dropout scale or NULL */
    float *logprobs;             /* (T,B,Vt) */
    float *dlogits;              /* (T,B,Vt) */
    float *dout_in;              /* (T,B,H) */
    /* backward scratch */
    float *dh[SEQ2SEQ_MAX_LAYERS], *dc[SEQ2SEQ_MAX_LAYERS]; /* (B,H) */
    float *dh_tmp, *dc_tmp;      /* (B,H) */
    float *dx;                   /* (B, max(din, H)) */
    float *dquery;               /* (B,Q) */
    float *dctx, *dctx_carry, *dhtil_carry, *dtop; /* (B,H) */
    float *dkeys;                /* (S,B,H) */
    float *dkeys_proj;           /* (S,B,P) */
    float *dqp;                  /* (T,B,qp_size) d projected query, kept per step for the deferred dWa */
    float *dlang;                /* (B,E) */
    float *dxemb;                /* (T,B,E) d target embeddings */
    float *datt;                 /* (S) */
    float *tmp;                  /* (2 * max(H, Q)) */
    float *denc[2];              /* (S,B,max(E,H)) */
    float *dfinal_h, *dfinal_c;  /* (L,B,H) */
    float *mem;
};

TrainActs *train_acts_new(const Seq2Seq *m, int max_B, int max_S, int max_T, Status *st) {
    if (max_B < 1 || max_S < 1 || max_S > SEQ2SEQ_MAX_SOURCE || max_T < 1 || max_T > 10000) {
        status_fail(st, "training batch size out of range (%d rows, %d source, %d target tokens)", max_B, max_S, max_T);
        return NULL;
    }
    TrainActs *a = calloc(1, sizeof *a);
    if (!a) { status_fail(st, "out of memory"); return NULL; }
    const Seq2SeqConfig *c = &m->cfg;
    a->max_B = max_B; a->max_S = max_S; a->max_T = max_T;
    a->G = rnn_gate_count(c->cell); a->H = c->hidden; a->Hd = m->Hd; a->E = c->emb; a->L = c->layers;
    a->ndir = c->bidirectional ? 2 : 1; a->Q = m->Q; a->P = attention_keys_proj_size(&m->attn_shape);
    a->Vt = vocab_size(m->tgt_vocab); a->din = m->dec_in;
    a->qp_size = c->scorer == ATTN_LOCATION ? c->max_src_len : a->H;
    size_t B = (size_t)max_B, S = (size_t)max_S, T = (size_t)max_T, H = (size_t)a->H, E = (size_t)a->E;
    size_t G = (size_t)a->G, Hd = (size_t)a->Hd, L = (size_t)a->L, Q = (size_t)a->Q, P = (size_t)(a->P ? a->P : 1);
    size_t Vt = (size_t)a->Vt, din = (size_t)a->din, qp = (size_t)a->qp_size;
    size_t EH = E > H ? E : H, HQ = H > Q ? H : Q, DX = din > H ? din : H;
    int lstm = c->cell == RNN_LSTM, gru = c->cell == RNN_GRU;

    float **ptr[200];
    size_t size[200];
    int n = 0;
#define ADD(p, sz) do { ptr[n] = (float **)(p); size[n] = (sz); n++; } while (0)
    ADD(&a->src, S * B); ADD(&a->tgt_in, T * B); ADD(&a->tgt_out, T * B); ADD(&a->src_len, B); ADD(&a->tgt_len, B);
    ADD(&a->enc_active, (S * B + 3) / 4);
    ADD(&a->enc_x, S * B * E); ADD(&a->enc_x_mask, S * B * E);
    for (size_t l = 0; l < L; l++) {
        ADD(&a->enc_out[l], S * B * H);
        for (int d = 0; d < a->ndir; d++) {
            ADD(&a->enc_gates[l][d], S * B * G * Hd);
            if (gru) ADD(&a->enc_ghn[l][d], S * B * Hd);
            if (lstm) ADD(&a->enc_c[l][d], S * B * Hd);
        }
        ADD(&a->dec_h[l], (T + 1) * B * H);
        if (lstm) ADD(&a->dec_c[l], (T + 1) * B * H);
        ADD(&a->dec_gates[l], T * B * G * H);
        if (gru) ADD(&a->dec_ghn[l], T * B * H);
        ADD(&a->dec_dgi[l], T * B * G * H); ADD(&a->dec_dgh[l], T * B * G * H);
        ADD(&a->dh[l], B * H); ADD(&a->dc[l], B * H);
    }
    ADD(&a->enc_gi, S * B * G * Hd); ADD(&a->enc_gh, S * B * G * Hd); ADD(&a->zeros, B * EH);
    ADD(&a->keys_proj, S * B * P); ADD(&a->lang, B * E);
    ADD(&a->dec_x, T * B * din); ADD(&a->dec_x_mask, T * B * E);
    ADD(&a->gi, B * G * H); ADD(&a->gh, B * G * H);
    ADD(&a->query, T * B * Q); ADD(&a->qproj, T * B * qp);
    ADD(&a->energies, T * B * S); ADD(&a->soft, T * B * S); ADD(&a->weights, T * B * S);
    ADD(&a->centre, T * B); ADD(&a->lo, T * B); ADD(&a->hi, T * B);
    ADD(&a->lp_t, T * B * H);
    ADD(&a->attn_th, c->scorer == ATTN_ADDITIVE || c->scorer == ATTN_CONCAT ? T * B * S * H : 1); ADD(&a->context, T * B * H); ADD(&a->wc_in, T * B * 2 * H);
    ADD(&a->htil, T * B * H); ADD(&a->out_in, T * B * H); ADD(&a->out_mask, T * B * H);
    ADD(&a->logprobs, T * B * Vt); ADD(&a->dlogits, T * B * Vt); ADD(&a->dout_in, T * B * H);
    ADD(&a->dh_tmp, B * H); ADD(&a->dc_tmp, B * H); ADD(&a->dx, B * DX); ADD(&a->dquery, B * Q);
    ADD(&a->dctx, B * H); ADD(&a->dctx_carry, B * H); ADD(&a->dhtil_carry, B * H); ADD(&a->dtop, B * H);
    ADD(&a->dkeys, S * B * H); ADD(&a->dkeys_proj, S * B * P); ADD(&a->dqp, T * B * qp); ADD(&a->dlang, B * E);
    ADD(&a->dxemb, T * B * E);
    ADD(&a->datt, S); ADD(&a->tmp, 2 * HQ); ADD(&a->denc[0], S * B * EH); ADD(&a->denc[1], S * B * EH);
    ADD(&a->dfinal_h, L * B * H); ADD(&a->dfinal_c, L * B * H);
#undef ADD
    assert(n <= 200);
    size_t total = 0;
    for (int i = 0; i < n; i++) total += (size[i] + 15) & ~(size_t)15; /* 64-byte aligned pieces */
    a->mem = aligned_alloc(64, total * sizeof(float));
    if (!a->mem) { free(a); status_fail(st, "out of memory for training activations (%zu floats)", total); return NULL; }
    memset(a->mem, 0, total * sizeof(float));
    size_t off = 0;
    for (int i = 0; i < n; i++) { *ptr[i] = a->mem + off; off += (size[i] + 15) & ~(size_t)15; }
    return a;
}

void train_acts_free(TrainActs *a) {
    if (!a) return;
    free(a->mem);
    free(a);
}

const float *train_logprobs(const TrainActs *a, int t, int b) {
    assert(t >= 0 && t < a->T && b >= 0 && b < a->B);
    return a->logprobs + ((size_t)t * a->B + b) * a->Vt;
}

const float *train_weights(const TrainActs *a, int t, int b) {
    assert(t >= 0 && t < a->T && b >= 0 && b < a->B);
    return a->weights + ((size_t)t * a->B + b) * a->S;
}

/* ======================================================================== */
/* Attention (one decoder step, B rows)                                      */
/* ======================================================================== */

/* Forward of one step: fills qproj, energies, soft, weights, centre, lo, hi, lp_t and
 * context rows of step t (pointers already offset to the step). keys: (S,B,H);
 * keys_proj: (S,B,P); query: (B,Q). */
static void attn_forward(const Seq2Seq *m, TrainActs *a, int t, const float *query, float *qproj,
                         float *energies, float *soft, float *weights, float *centre, int *lo, int *hi,
                         float *lp_t, float *th, float *context, const float *keys) {
    const AttnWeights *w = &m->w.attn;
    const AttnShape *sh = &m->attn_shape;
    int B = a->B, S = a->S, H = a->H, Q = a->Q, P = a->P;
    switch (sh->scorer) {
    case ATTN_ADDITIVE: linear_fw(qproj, H, query, Q, w->Wa_w, w->Wa_b, B, Q, H, 0); break;
    case ATTN_LOCATION: linear_fw(qproj, a->qp_size, query, Q, w->Wa_w, w->Wa_b, B, Q, a->qp_size, 0); break;
    default: break;
    }
    if (sh->scorer == ATTN_CONCAT) /* W[:, :Q] q: W rows have stride Q+H */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, H, Q, 1.0f, query, Q, w->W, Q + H, 0.0f, qproj, H);
    if (sh->window == ATTN_LOCAL_P) {
        linear_fw(lp_t, H, query, Q, w->Wp, NULL, B, Q, H, 0);
        for (size_t i = 0; i < (size_t)B * H; i++) lp_t[i] = ftanh(lp_t[i]);
    }
    for (int b = 0; b < B; b++) {
        int Sb = a->src_len[b];
        const float *q = query + (size_t)b * Q;
        float *e = energies + (size_t)b * S, *sm = soft + (size_t)b * S, *wt = weights + (size_t)b * S;
        for (int j = 0; j < Sb; j++) {
            const float *k = keys + ((size_t)j * B + b) * H;
            const float *kp = a->keys_proj + ((size_t)j * B + b) * P;
            switch (sh->scorer) {
            case ATTN_ADDITIVE:
            case ATTN_CONCAT: {
                const float *qp = qproj + (size_t)b * H;
                float *tj = th + ((size_t)b * S + j) * H;
                for (int i = 0; i < H; i++) tj[i] = ftanh(qp[i] + kp[i]);
                e[j] = sh->scorer == ATTN_ADDITIVE ? tensor_dot(w->Va_w, tj, H) + w->Va_b[0] : tensor_dot(w->v, tj, H);
                break;
            }
            case ATTN_DOT: e[j] = tensor_dot(q, k, H); break;
            case ATTN_SCALED_DOT: e[j] = tensor_dot(q, k, H) * (1.0f / sqrtf((float)H)); break;
            case ATTN_COSINE: {
                float den = tensor_norm(q, H) * tensor_norm(k, H);
                if (den < 1e-8f) den = 1e-8f;
                e[j] = w->scale[0] * tensor_dot(q, k, H) / den;
                break;
            }
            case ATTN_GENERAL: e[j] = tensor_dot(q, kp, Q); break;
            case ATTN_LOCATION: e[j] = qproj[(size_t)b * a->qp_size + j]; break;
            default: assert(0);
            }
        }
        float p = NAN;
        int l = 0, h = Sb - 1;
        if (sh->window == ATTN_LOCAL_M) {
            p = (float)(t < Sb - 1 ? t : Sb - 1);
            l = (int)p - sh->window_d;
            h = (int)p + sh->window_d;
        } else if (sh->window == ATTN_LOCAL_P) {
            float u = tensor_dot(w->vp, lp_t + (size_t)b * H, H);
            p = (float)(Sb - 1) * sigm(u);
            l = (int)ceilf(p - (float)sh->window_d);
            h = (int)floorf(p + (float)sh->window_d);
        }
        if (l < 0) l = 0;
        if (h > Sb - 1) h = Sb - 1;
        for (int j = 0; j < S; j++) if (j < l || j > h) e[j] = -INFINITY;
        tensor_softmax(sm, e, S);
        memcpy(wt, sm, (size_t)S * sizeof *wt);
        if (sh->window == ATTN_LOCAL_P) {
            float sigma = (float)sh->window_d / 2.0f;
            for (int j = l; j <= h; j++) {
                float d = (float)j - p;
                wt[j] *= expf(-(d * d) / (2.0f * sigma * sigma));
            }
        }
        centre[b] = p; lo[b] = l; hi[b] = h;
        float *cx = context + (size_t)b * H;
        memset(cx, 0, (size_t)H * sizeof *cx);
        for (int j = l; j <= h; j++) {
            float aw = wt[j];
            const float *k = keys + ((size_t)j * B + b) * H;
            for (int i = 0; i < H; i++) cx[i] += aw * k[i];
        }
    }
}

/* Backward of one step. dcontext: (B,H) in. Writes dquery (B,Q) (overwritten); adds into
 * dkeys (S,B,H), dkeys_proj (S,B,P) and the attention parameter gradients. */
static void attn_backward(const Seq2Seq *m, TrainActs *a, float *grad, const float *dcontext, const float *query,
                          const float *qproj, const float *soft, const float *weights, const float *centre,
                          const int *lo, const int *hi, const float *lp_t, const float *th, const float *keys,
                          float *dqp) {
    const AttnWeights *w = &m->w.attn;
    const AttnShape *sh = &m->attn_shape;
    const float *blk = m->block;
#define GP(p) ((p) ? grad + ((p) - blk) : NULL)
    int B = a->B, S = a->S, H = a->H, Q = a->Q, P = a->P;
    float *dq = a->dquery, *de = a->datt;
    memset(dq, 0, (size_t)B * Q * sizeof *dq);
    memset(dqp, 0, (size_t)B * a->qp_size * sizeof *dqp);
    float sigma = (float)sh->window_d / 2.0f;
    for (int b = 0; b < B; b++) {
        const float *dc = dcontext + (size_t)b * H, *q = query + (size_t)b * Q;
        const float *sm = soft + (size_t)b * S, *wt = weights + (size_t)b * S;
        int l = lo[b], h = hi[b];
        float dp = 0.0f, p = centre[b];
        /* context = Σ w_j k_j ; local-p: w_j = s_j g_j */
        float dot_sd = 0.0f;
        for (int j = l; j <= h; j++) {
            const float *k = keys + ((size_t)j * B + b) * H;
            float *dk = a->dkeys + ((size_t)j * B + b) * H;
            float dw = tensor_dot(dc, k, H);
            for (int i = 0; i < H; i++) dk[i] += wt[j] * dc[i];
            float ds = dw;
            if (sh->window == ATTN_LOCAL_P) {
                float d = (float)j - p;
                float g = expf(-(d * d) / (2.0f * sigma * sigma));
                ds = dw * g;
                dp += dw * sm[j] * g * d / (sigma * sigma);
            }
            de[j] = ds;
            dot_sd += sm[j] * ds;
        }
        for (int j = l; j <= h; j++) de[j] = sm[j] * (de[j] - dot_sd);
        if (sh->window == ATTN_LOCAL_P) {
            int Sb = a->src_len[b];
            const float *lt = lp_t + (size_t)b * H;
            float sg = sigm(tensor_dot(w->vp, lt, H));
            float du = dp * (float)(Sb - 1) * sg * (1.0f - sg);
            float *dvp = GP(w->vp);
            float *dpre = a->tmp; /* (H) */
            for (int i = 0; i < H; i++) {
                dvp[i] += du * lt[i];
                dpre[i] = du * w->vp[i] * (1.0f - lt[i] * lt[i]);
            }
            train_linear_backward(dq + (size_t)b * Q, GP(w->Wp), NULL, dpre, H, q, Q, w->Wp, 1, Q, H);
        }
        /* scorer */
        float *dqb = dq + (size_t)b * Q;
        for (int j = l; j <= h; j++) {
            float dej = de[j];
            const float *k = keys + ((size_t)j * B + b) * H;
            float *dk = a->dkeys + ((size_t)j * B + b) * H;
            const float *kp = a->keys_proj + ((size_t)j * B + b) * P;
            float *dkp = a->dkeys_proj + ((size_t)j * B + b) * P;
            switch (sh->scorer) {
            case ATTN_ADDITIVE:
            case ATTN_CONCAT: {
                const float *v = sh->scorer == ATTN_ADDITIVE ? w->Va_w : w->v;
                float *dv = GP(v);
                float *dqpb = dqp + (size_t)b * H;
                const float *tj = th + ((size_t)b * S + j) * H;
                for (int i = 0; i < H; i++) {
                    dv[i] += dej * tj[i];
                    float dpre = dej * v[i] * (1.0f - tj[i] * tj[i]);
                    dqpb[i] += dpre;
                    dkp[i] += dpre;
                }
                if (sh->scorer == ATTN_ADDITIVE) GP(w->Va_b)[0] += dej;
                break;
            }
            case ATTN_DOT:
            case ATTN_SCALED_DOT: {
                float sc = sh->scorer == ATTN_SCALED_DOT ? 1.0f / sqrtf((float)H) : 1.0f;
                for (int i = 0; i < H; i++) { dqb[i] += dej * sc * k[i]; dk[i] += dej * sc * q[i]; }
                break;
            }
            case ATTN_COSINE: {
                float qn = tensor_norm(q, H), kn = tensor_norm(k, H), dot = tensor_dot(q, k, H);
                float den = qn * kn, s = w->scale[0];
                if (den < 1e-8f) {
                    GP(w->scale)[0] += dej * dot / 1e-8f;
                    for (int i = 0; i < H; i++) { dqb[i] += dej * s * k[i] / 1e-8f; dk[i] += dej * s * q[i] / 1e-8f; }
                } else {
                    GP(w->scale)[0] += dej * dot / den;
                    for (int i = 0; i < H; i++) {
                        dqb[i] += dej * s * (k[i] / den - dot * q[i] / (qn * qn * den));
                        dk[i] += dej * s * (q[i] / den - dot * k[i] / (kn * kn * den));
                    }
                }
                break;
            }
            case ATTN_GENERAL:
                for (int i = 0; i < Q; i++) { dqb[i] += dej * kp[i]; dkp[i] += dej * q[i]; }
                break;
            case ATTN_LOCATION:
                dqp[(size_t)b * a->qp_size + j] += dej;
                break;
            default: assert(0);
            }
        }
    }
    /* d query through the projection; its weight gradient is taken over all steps at once
     * after the time loop (attn_weight_grads) */
    switch (sh->scorer) {
    case ATTN_ADDITIVE:
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, Q, H, 1.0f, dqp, H, w->Wa_w, Q, 1.0f, dq, Q);
        break;
    case ATTN_LOCATION:
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, Q, a->qp_size, 1.0f, dqp, a->qp_size, w->Wa_w, Q, 1.0f, dq, Q);
        break;
    case ATTN_CONCAT: /* W[:, :Q] with leading dimension Q+H */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, Q, H, 1.0f, dqp, H, w->W, Q + H, 1.0f, dq, Q);
        break;
    default: break;
    }
#undef GP
}

/* d Wa (and its bias) of the query projection, from every step's d projected query
 * (a->dqp, (T,B,qp_size)) and query (a->query, (T,B,Q)). */
static void attn_weight_grads(const Seq2Seq *m, TrainActs *a, float *grad) {
    const AttnWeights *w = &m->w.attn;
    const float *blk = m->block;
    int rows = a->T * a->B, H = a->H, Q = a->Q;
    switch (m->attn_shape.scorer) {
    case ATTN_ADDITIVE:
        train_linear_backward(NULL, grad + (w->Wa_w - blk), grad + (w->Wa_b - blk), a->dqp, H, a->query, Q, w->Wa_w, rows, Q, H);
        break;
    case ATTN_LOCATION:
        train_linear_backward(NULL, grad + (w->Wa_w - blk), grad + (w->Wa_b - blk), a->dqp, a->qp_size, a->query, Q, w->Wa_w, rows, Q,
                              a->qp_size);
        break;
    case ATTN_CONCAT:
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, Q, rows, 1.0f, a->dqp, H, a->query, Q, 1.0f, grad + (w->W - blk), Q + H);
        break;
    default: break;
    }
}

/* ======================================================================== */
/* Forward                                                                   */
/* ======================================================================== */

float train_forward(const Seq2Seq *m, TrainActs *a, const TrainBatch *bt, float dropout, uint64_t *rng) {
    const Seq2SeqConfig *c = &m->cfg;
    int B = bt->B, S = bt->S, T = bt->T;
    assert(B >= 1 && B <= a->max_B && S >= 1 && S <= a->max_S && T >= 1 && T <= a->max_T);
    a->B = B; a->S = S; a->T = T; a->batch = bt;
    int H = a->H, Hd = a->Hd, E = a->E, G = a->G, L = a->L, Q = a->Q, Vt = a->Vt, din = a->din;
    int lstm = c->cell == RNN_LSTM, has_attn = c->scorer != ATTN_NONE;
    int Vs = vocab_size(m->src_vocab); /* only read by asserts */
    (void)Vs;
    size_t th_on = c->scorer == ATTN_ADDITIVE || c->scorer == ATTN_CONCAT;
    a->dropout = dropout;
    float keep = 1.0f - dropout, inv_keep = dropout > 0.0f ? 1.0f / keep : 1.0f;
    assert(dropout >= 0.0f && dropout < 1.0f && (dropout == 0.0f || rng));

    for (int b = 0; b < B; b++) {
        assert(bt->src_len[b] >= 1 && bt->src_len[b] <= S && bt->tgt_len[b] >= 1 && bt->tgt_len[b] <= T);
        a->src_len[b] = bt->src_len[b];
        a->tgt_len[b] = bt->tgt_len[b];
        for (int s = 0; s < S; s++) {
            int id = bt->src[(size_t)b * S + s];
            assert(id >= 0 && id < Vs);
            a->src[(size_t)s * B + b] = id;
            a->enc_active[(size_t)s * B + b] = s < bt->src_len[b];
        }
        for (int t = 0; t < T; t++) {
            int id = bt->tgt[(size_t)b * T + t];
            assert(id >= 0 && id < Vt);
            a->tgt_out[(size_t)t * B + b] = id;
            a->tgt_in[(size_t)t * B + b] = t == 0 ? m->tgt_sos : bt->tgt[(size_t)b * T + t - 1];
        }
    }
    memset(a->zeros, 0, (size_t)B * (H > E ? H : E) * sizeof(float));

    /* ---- encoder embeddings ---- */
    for (int r = 0; r < S * B; r++) {
        memcpy(a->enc_x + (size_t)r * E, m->w.src_emb + (size_t)a->src[r] * E, (size_t)E * sizeof(float));
        if (dropout > 0.0f)
            for (int i = 0; i < E; i++) {
                float mk = rng_uniform(rng) < keep ? inv_keep : 0.0f;
                a->enc_x_mask[(size_t)r * E + i] = mk;
                a->enc_x[(size_t)r * E + i] *= mk;
            }
    }
    for (int b = 0; b < B; b++) memcpy(a->lang + (size_t)b * E, m->w.src_emb + (size_t)a->src[b] * E, (size_t)E * sizeof(float));

    /* ---- encoder layers ---- */
    const float *in = a->enc_x;
    int in_size = E;
    for (int l = 0; l < L; l++) {
        float *out = a->enc_out[l];
        for (int d = 0; d < a->ndir; d++) {
            const RnnWeights *w = &m->w.enc[l][d];
            linear_fw(a->enc_gi, G * Hd, in, in_size, w->w_ih, w->b_ih, S * B, in_size, G * Hd, 0);
            /* h_prev rows: gathered from out (stride H) into a contiguous (B,Hd) buffer */
            for (int k = 0; k < S; k++) {
                int pos = d ? S - 1 - k : k, prev = d ? pos + 1 : pos - 1;
                float *hp = a->dh_tmp, *hn = a->dc_tmp; /* (B,Hd) scratch, reused as forward temporaries */
                if (k == 0) memset(hp, 0, (size_t)B * Hd * sizeof(float));
                else for (int b = 0; b < B; b++) memcpy(hp + (size_t)b * Hd, out + ((size_t)prev * B + b) * H + (size_t)d * Hd, (size_t)Hd * sizeof(float));
                const float *cp = lstm ? (k == 0 ? a->zeros : a->enc_c[l][d] + (size_t)prev * B * Hd) : NULL;
                train_cell_forward(c->cell, hn, lstm ? a->enc_c[l][d] + (size_t)pos * B * Hd : NULL,
                                   a->enc_gates[l][d] + (size_t)pos * B * G * Hd,
                                   c->cell == RNN_GRU ? a->enc_ghn[l][d] + (size_t)pos * B * Hd : NULL, a->enc_gh,
                                   a->enc_gi + (size_t)pos * B * G * Hd, hp, cp, w->w_hh, w->b_hh,
                                   a->enc_active + (size_t)pos * B, B, Hd);
                for (int b = 0; b < B; b++) memcpy(out + ((size_t)pos * B + b) * H + (size_t)d * Hd, hn + (size_t)b * Hd, (size_t)Hd * sizeof(float));
            }
        }
        in = out;
        in_size = H;
    }
    const float *keys = a->enc_out[L - 1];
    if (has_attn) {
        switch (c->scorer) {
        case ATTN_ADDITIVE: linear_fw(a->keys_proj, H, keys, H, m->w.attn.Ua_w, m->w.attn.Ua_b, S * B, H, H, 0); break;
        case ATTN_GENERAL: linear_fw(a->keys_proj, Q, keys, H, m->w.attn.Wa_w, NULL, S * B, H, Q, 0); break;
        case ATTN_CONCAT:
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, S * B, H, H, 1.0f, keys, H, m->w.attn.W + Q, Q + H, 0.0f, a->keys_proj, H);
            break;
        default: break;
        }
    }

    /* ---- decoder initial state ---- */
    for (int l = 0; l < L; l++) {
        float *h0 = a->dec_h[l], *c0 = lstm ? a->dec_c[l] : NULL;
        if (c->dec_init_zeros) {
            memset(h0, 0, (size_t)B * H * sizeof(float));
            if (lstm) memset(c0, 0, (size_t)B * H * sizeof(float));
            continue;
        }
        for (int b = 0; b < B; b++)
            for (int d = 0; d < a->ndir; d++) {
                int pos = d ? 0 : S - 1;
                memcpy(h0 + (size_t)b * H + (size_t)d * Hd, a->enc_out[l] + ((size_t)pos * B + b) * H + (size_t)d * Hd, (size_t)Hd * sizeof(float));
                if (lstm) memcpy(c0 + (size_t)b * H + (size_t)d * Hd, a->enc_c[l][d] + ((size_t)pos * B + b) * Hd, (size_t)Hd * sizeof(float));
            }
    }

    /* ---- decoder steps ---- */
    /* teacher forcing: every step's input embedding is known, so their share of the layer-0
     * input projection is one sgemm over all steps (kept in dec_dgi[0], free until backward) */
    for (int r = 0; r < T * B; r++) {
        float *x = a->dec_x + (size_t)r * din;
        memcpy(x, m->w.tgt_emb + (size_t)a->tgt_in[r] * E, (size_t)E * sizeof(float));
        if (dropout > 0.0f)
            for (int i = 0; i < E; i++) {
                float mk = rng_uniform(rng) < keep ? inv_keep : 0.0f;
                a->dec_x_mask[(size_t)r * E + i] = mk;
                x[i] *= mk;
            }
    }
    float *gi_emb = a->dec_dgi[0]; /* (T,B,G*H) */
    {
        const RnnWeights *w0 = &m->w.dec[0];
        for (int r = 0; r < T * B; r++) memcpy(gi_emb + (size_t)r * G * H, w0->b_ih, (size_t)G * H * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T * B, G * H, E, 1.0f, a->dec_x, din, w0->w_ih, din, 1.0f, gi_emb, G * H);
    }
    for (int t = 0; t < T; t++) {
        size_t tb = (size_t)t * B;
        float *x = a->dec_x + tb * din;
        float *query = a->query + tb * Q;
        const float *ctx_prev = t > 0 ? a->context + (tb - B) * H : a->zeros;
        #define BUILD_QUERY(hsrc) do { \
            for (int b = 0; b < B; b++) { \
                float *qq = query + (size_t)b * Q; \
                memcpy(qq, (hsrc) + (size_t)b * H, (size_t)H * sizeof(float)); \
                int off = H; \
                if (c->query_context) { memcpy(qq + off, ctx_prev + (size_t)b * H, (size_t)H * sizeof(float)); off += H; } \
                if (c->query_lang) memcpy(qq + off, a->lang + (size_t)b * E, (size_t)E * sizeof(float)); \
            } } while (0)
        #define ATTEND() attn_forward(m, a, t, query, a->qproj + tb * a->qp_size, a->energies + tb * S, \
                                      a->soft + tb * S, a->weights + tb * S, a->centre + tb, a->lo + tb, a->hi + tb, \
                                      a->lp_t + tb * H, a->attn_th + tb * S * H * th_on, a->context + tb * H, keys)
        if (has_attn && !c->query_current) {
            BUILD_QUERY(a->dec_h[L - 1] + tb * H);
            ATTEND();
            for (int b = 0; b < B; b++) memcpy(x + (size_t)b * din + E, a->context + (tb + b) * H, (size_t)H * sizeof(float));
        } else if (has_attn && c->input_feed) {
            for (int b = 0; b < B; b++) {
                if (t == 0) memset(x + (size_t)b * din + E, 0, (size_t)H * sizeof(float));
                else memcpy(x + (size_t)b * din + E, a->htil + (tb - B + b) * H, (size_t)H * sizeof(float));
            }
        }
        for (int l = 0; l < L; l++) {
            const RnnWeights *w = &m->w.dec[l];
            if (l == 0) {
                memcpy(a->gi, gi_emb + tb * G * H, (size_t)B * G * H * sizeof(float));
                if (din > E) /* + the context / h~ columns */
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, G * H, din - E, 1.0f, x + E, din, w->w_ih + E, din, 1.0f, a->gi, G * H);
            } else {
                linear_fw(a->gi, G * H, a->dec_h[l - 1] + (tb + B) * H, H, w->w_ih, w->b_ih, B, H, G * H, 0);
            }
            train_cell_forward(c->cell, a->dec_h[l] + (tb + B) * H, lstm ? a->dec_c[l] + (tb + B) * H : NULL,
                               a->dec_gates[l] + tb * G * H, c->cell == RNN_GRU ? a->dec_ghn[l] + tb * H : NULL, a->gh,
                               a->gi, a->dec_h[l] + tb * H, lstm ? a->dec_c[l] + tb * H : NULL, w->w_hh, w->b_hh, NULL, B, H);
        }
        const float *h_top = a->dec_h[L - 1] + (tb + B) * H;
        const float *oin = h_top;
        if (has_attn && c->query_current) {
            BUILD_QUERY(h_top);
            ATTEND();
            float *wc = a->wc_in + tb * 2 * H, *ht = a->htil + tb * H;
            for (int b = 0; b < B; b++) {
                memcpy(wc + (size_t)b * 2 * H, a->context + (tb + b) * H, (size_t)H * sizeof(float));
                memcpy(wc + (size_t)b * 2 * H + H, h_top + (size_t)b * H, (size_t)H * sizeof(float));
            }
            linear_fw(ht, H, wc, 2 * H, m->w.Wc, NULL, B, 2 * H, H, 0);
            for (size_t i = 0; i < (size_t)B * H; i++) ht[i] = ftanh(ht[i]);
            oin = ht;
        }
        #undef BUILD_QUERY
        #undef ATTEND
        float *oi = a->out_in + tb * H;
        memcpy(oi, oin, (size_t)B * H * sizeof(float));
        if (dropout > 0.0f)
            for (size_t i = 0; i < (size_t)B * H; i++) {
                float mk = rng_uniform(rng) < keep ? inv_keep : 0.0f;
                a->out_mask[tb * H + i] = mk;
                oi[i] *= mk;
            }
    }

    /* ---- output layer and loss ---- */
    linear_fw(a->logprobs, Vt, a->out_in, H, m->w.out_w, m->w.out_b, T * B, H, Vt, 0);
    double nll = 0.0;
    long ntok = 0;
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            float *lp = a->logprobs + ((size_t)t * B + b) * Vt;
            /* non-finite logits (diverged weights) give a NaN loss, without feeding NaN to
             * the softmax kernels */
            int finite = 1;
            for (int i = 0; i < Vt; i++) finite &= isfinite(lp[i]) != 0;
            if (!finite) { for (int i = 0; i < Vt; i++) lp[i] = NAN; }
            else tensor_log_softmax(lp, lp, Vt);
            if (t < a->tgt_len[b]) { nll -= lp[a->tgt_out[(size_t)t * B + b]]; ntok++; }
        }
    return (float)(nll / (double)ntok);
}

/* ======================================================================== */
/* Backward                                                                  */
/* ======================================================================== */

void train_backward(const Seq2Seq *m, TrainActs *a, float *grad) {
    const Seq2SeqConfig *c = &m->cfg;
    const float *blk = m->block;
#define GP(p) ((p) ? grad + ((p) - blk) : NULL)
    int B = a->B, S = a->S, T = a->T;
    int H = a->H, Hd = a->Hd, E = a->E, G = a->G, L = a->L, Q = a->Q, P = a->P, Vt = a->Vt, din = a->din;
    int lstm = c->cell == RNN_LSTM, gru = c->cell == RNN_GRU, has_attn = c->scorer != ATTN_NONE;
    const float *keys = a->enc_out[L - 1];
    size_t th_on = c->scorer == ATTN_ADDITIVE || c->scorer == ATTN_CONCAT;

    /* ---- loss and output layer ---- */
    long ntok = 0;
    for (int b = 0; b < B; b++) ntok += a->tgt_len[b];
    float inv = 1.0f / (float)ntok;
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            size_t r = (size_t)t * B + b;
            float *dl = a->dlogits + r * Vt;
            const float *lp = a->logprobs + r * Vt;
            if (t >= a->tgt_len[b]) { memset(dl, 0, (size_t)Vt * sizeof *dl); continue; }
            for (int i = 0; i < Vt; i++) dl[i] = expf(lp[i]) * inv;
            dl[a->tgt_out[r]] -= inv;
        }
    memset(a->dout_in, 0, (size_t)T * B * H * sizeof(float));
    train_linear_backward(a->dout_in, GP(m->w.out_w), GP(m->w.out_b), a->dlogits, Vt, a->out_in, H, m->w.out_w, T * B, H, Vt);
    if (a->dropout > 0.0f) for (size_t i = 0; i < (size_t)T * B * H; i++) a->dout_in[i] *= a->out_mask[i];

    /* ---- decoder steps, last to first ---- */
    for (int l = 0; l < L; l++) {
        memset(a->dh[l], 0, (size_t)B * H * sizeof(float));
        if (lstm) memset(a->dc[l], 0, (size_t)B * H * sizeof(float));
    }
    memset(a->dctx_carry, 0, (size_t)B * H * sizeof(float));
    memset(a->dhtil_carry, 0, (size_t)B * H * sizeof(float));
    memset(a->dkeys, 0, (size_t)S * B * H * sizeof(float));
    if (P) memset(a->dkeys_proj, 0, (size_t)S * B * P * sizeof(float));
    memset(a->dlang, 0, (size_t)B * E * sizeof(float));
    float *dEt = GP(m->w.tgt_emb);

    for (int t = T - 1; t >= 0; t--) {
        size_t tb = (size_t)t * B;
        const float *query = a->query + tb * Q;
        #define ATTN_BACK(dctx) attn_backward(m, a, grad, dctx, query, a->qproj + tb * a->qp_size, a->soft + tb * S, \
                                              a->weights + tb * S, a->centre + tb, a->lo + tb, a->hi + tb, a->lp_t + tb * H, \
                                              a->attn_th + tb * S * H * th_on, keys, a->dqp + tb * a->qp_size)
        /* distributes dquery: [h; c(t-1)?; lang?] -> dhq (B,H) += , dctx_carry =, dlang += */
        #define SPLIT_DQUERY(dhq) do { \
            for (int b = 0; b < B; b++) { \
                const float *dq = a->dquery + (size_t)b * Q; \
                float *dhb = (dhq) + (size_t)b * H; \
                for (int i = 0; i < H; i++) dhb[i] += dq[i]; \
                int off = H; \
                if (c->query_context) { memcpy(a->dctx_carry + (size_t)b * H, dq + off, (size_t)H * sizeof(float)); off += H; } \
                if (c->query_lang) for (int i = 0; i < E; i++) a->dlang[(size_t)b * E + i] += dq[off + i]; \
            } } while (0)

        /* gradient w.r.t. the top decoder state of this step */
        float *dtop = a->dtop;
        if (has_attn && c->query_current) {
            /* h~ = tanh(Wc [c; h]) */
            float *dpre = a->dh_tmp;
            const float *ht = a->htil + tb * H, *dout = a->dout_in + tb * H;
            for (size_t i = 0; i < (size_t)B * H; i++) {
                float d = dout[i] + a->dhtil_carry[i];
                dpre[i] = d * (1.0f - ht[i] * ht[i]);
            }
            /* d[c; h] = dpre Wc, split into d context (Wc columns 0..H) and d h_top (H..2H) */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, H, 1.0f, dpre, H, m->w.Wc, 2 * H, 0.0f, a->dctx, H);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, H, 1.0f, dpre, H, m->w.Wc + H, 2 * H, 0.0f, dtop, H);
            train_linear_backward(NULL, GP(m->w.Wc), NULL, dpre, H, a->wc_in + tb * 2 * H, 2 * H, m->w.Wc, B, 2 * H, H);
            for (size_t i = 0; i < (size_t)B * H; i++) a->dctx[i] += a->dctx_carry[i];
            memset(a->dctx_carry, 0, (size_t)B * H * sizeof(float));
            ATTN_BACK(a->dctx);
            SPLIT_DQUERY(dtop);
        } else {
            memcpy(dtop, a->dout_in + tb * H, (size_t)B * H * sizeof(float));
        }
        for (size_t i = 0; i < (size_t)B * H; i++) a->dh[L - 1][i] += dtop[i];

        /* RNN layers, top to bottom: dh[l] holds d / d h_l(t); becomes d / d h_l(t-1) */
        for (int l = L - 1; l >= 0; l--) {
            const RnnWeights *w = &m->w.dec[l];
            float *dgi = a->dec_dgi[l] + tb * G * H, *dgh = a->dec_dgh[l] + tb * G * H;
            train_cell_backward(c->cell, dgi, dgh, a->dh_tmp, lstm ? a->dc_tmp : NULL, a->dh[l], lstm ? a->dc[l] : NULL,
                                a->dec_h[l] + (tb + B) * H, lstm ? a->dec_c[l] + (tb + B) * H : NULL,
                                a->dec_gates[l] + tb * G * H, gru ? a->dec_ghn[l] + tb * H : NULL,
                                a->dec_h[l] + tb * H, lstm ? a->dec_c[l] + tb * H : NULL, w->w_hh, NULL, B, H);
            memcpy(a->dh[l], a->dh_tmp, (size_t)B * H * sizeof(float));
            if (lstm) memcpy(a->dc[l], a->dc_tmp, (size_t)B * H * sizeof(float));
            if (l > 0) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, G * H, 1.0f, dgi, G * H, w->w_ih, H, 0.0f, a->dx, H);
                for (size_t i = 0; i < (size_t)B * H; i++) a->dh[l - 1][i] += a->dx[i];
            } else if (din > E) {
                /* layer 0: only the context / h~ columns are needed now (dx rows at stride din,
                 * columns E..din); the embedding columns are done for all steps after the loop */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, din - E, G * H, 1.0f, dgi, G * H, w->w_ih + E, din, 0.0f,
                            a->dx + E, din);
            }
        }
        if (has_attn && !c->query_current) {
            for (int b = 0; b < B; b++)
                for (int i = 0; i < H; i++) a->dctx[(size_t)b * H + i] = a->dx[(size_t)b * din + E + i] + a->dctx_carry[(size_t)b * H + i];
            memset(a->dctx_carry, 0, (size_t)B * H * sizeof(float));
            ATTN_BACK(a->dctx);
            SPLIT_DQUERY(a->dh[L - 1]); /* the query was h_top(t-1) */
        } else if (has_attn && c->input_feed) {
            for (int b = 0; b < B; b++)
                memcpy(a->dhtil_carry + (size_t)b * H, a->dx + (size_t)b * din + E, (size_t)H * sizeof(float));
        }
        #undef ATTN_BACK
        #undef SPLIT_DQUERY
    }
    if (has_attn) attn_weight_grads(m, a, grad);
    /* target embeddings: d x[:, :E] = dgi W_ih[:, :E] over all steps at once */
    {
        const RnnWeights *w0 = &m->w.dec[0];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T * B, E, G * H, 1.0f, a->dec_dgi[0], G * H, w0->w_ih, din, 0.0f,
                    a->dxemb, E);
        for (size_t r = 0; r < (size_t)T * B; r++) {
            const float *dx = a->dxemb + r * E;
            float *de = dEt + (size_t)a->tgt_in[r] * E;
            if (a->dropout > 0.0f) {
                const float *mk = a->dec_x_mask + r * E;
                for (int i = 0; i < E; i++) de[i] += dx[i] * mk[i];
            } else {
                for (int i = 0; i < E; i++) de[i] += dx[i];
            }
        }
    }
    /* deferred decoder weight gradients: dW_ih over all steps, dW_hh and biases */
    for (int l = 0; l < L; l++) {
        const RnnWeights *w = &m->w.dec[l];
        const float *X = l == 0 ? a->dec_x : a->dec_h[l - 1] + (size_t)B * H;
        int lsz = l == 0 ? din : H;
        train_linear_backward(NULL, GP(w->w_ih), GP(w->b_ih), a->dec_dgi[l], G * H, X, lsz, w->w_ih, T * B, lsz, G * H);
        train_linear_backward(NULL, GP(w->w_hh), GP(w->b_hh), a->dec_dgh[l], G * H, a->dec_h[l], H, w->w_hh, T * B, H, G * H);
    }

    /* ---- keys ---- */
    if (has_attn && P) {
        const AttnWeights *aw = &m->w.attn;
        switch (c->scorer) {
        case ATTN_ADDITIVE:
            train_linear_backward(a->dkeys, GP(aw->Ua_w), GP(aw->Ua_b), a->dkeys_proj, H, keys, H, aw->Ua_w, S * B, H, H);
            break;
        case ATTN_GENERAL:
            train_linear_backward(a->dkeys, GP(aw->Wa_w), NULL, a->dkeys_proj, Q, keys, H, aw->Wa_w, S * B, H, Q);
            break;
        case ATTN_CONCAT: {
            float *dW = GP(aw->W);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, H, S * B, 1.0f, a->dkeys_proj, H, keys, H, 1.0f, dW + Q, Q + H);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, S * B, H, H, 1.0f, a->dkeys_proj, H, aw->W + Q, Q + H, 1.0f, a->dkeys, H);
            break;
        }
        default: break;
        }
    }

    /* ---- encoder ---- */
    /* decoder initial state -> encoder final states */
    for (int l = 0; l < L; l++) {
        if (c->dec_init_zeros) {
            memset(a->dfinal_h + (size_t)l * B * H, 0, (size_t)B * H * sizeof(float));
            if (lstm) memset(a->dfinal_c + (size_t)l * B * H, 0, (size_t)B * H * sizeof(float));
        } else {
            memcpy(a->dfinal_h + (size_t)l * B * H, a->dh[l], (size_t)B * H * sizeof(float));
            if (lstm) memcpy(a->dfinal_c + (size_t)l * B * H, a->dc[l], (size_t)B * H * sizeof(float));
        }
    }
    float *dout = a->dkeys; /* d / d enc_out[L-1] (S,B,H) */
    for (int l = L - 1; l >= 0; l--) {
        int in_size = l == 0 ? E : H;
        const float *in = l == 0 ? a->enc_x : a->enc_out[l - 1];
        float *din_buf = a->denc[l % 2];
        memset(din_buf, 0, (size_t)S * B * in_size * sizeof(float));
        for (int d = 0; d < a->ndir; d++) {
            const RnnWeights *w = &m->w.enc[l][d];
            float *dh = a->dh_tmp, *dc = a->dc_tmp; /* carries (B,Hd) */
            float *hp = a->gi;                      /* (B,Hd) gathered h_prev */
            float *dhn = a->gh;                     /* (B,Hd) dh of the position */
            float *dhp = a->dx;                     /* (B,Hd) d h_prev of the position */
            for (int b = 0; b < B; b++) {
                memcpy(dh + (size_t)b * Hd, a->dfinal_h + ((size_t)l * B + b) * H + (size_t)d * Hd, (size_t)Hd * sizeof(float));
                if (lstm) memcpy(dc + (size_t)b * Hd, a->dfinal_c + ((size_t)l * B + b) * H + (size_t)d * Hd, (size_t)Hd * sizeof(float));
            }
            float *dgi_all = a->enc_gi, *dgh_all = a->enc_gh;
            for (int k = S - 1; k >= 0; k--) {
                int pos = d ? S - 1 - k : k, prev = d ? pos + 1 : pos - 1;
                for (int b = 0; b < B; b++) {
                    const float *src = dout + ((size_t)pos * B + b) * H + (size_t)d * Hd;
                    for (int i = 0; i < Hd; i++) dhn[(size_t)b * Hd + i] = dh[(size_t)b * Hd + i] + src[i];
                    if (k == 0) memset(hp + (size_t)b * Hd, 0, (size_t)Hd * sizeof(float));
                    else memcpy(hp + (size_t)b * Hd, a->enc_out[l] + ((size_t)prev * B + b) * H + (size_t)d * Hd, (size_t)Hd * sizeof(float));
                }
                /* h at pos (for Elman) gathered into dh_tmp? use the output rows directly: need contiguous (B,Hd) */
                float *hcur = a->dctx; /* (B,Hd) */
                for (int b = 0; b < B; b++) memcpy(hcur + (size_t)b * Hd, a->enc_out[l] + ((size_t)pos * B + b) * H + (size_t)d * Hd, (size_t)Hd * sizeof(float));
                const float *cprev = lstm ? (k == 0 ? a->zeros : a->enc_c[l][d] + (size_t)prev * B * Hd) : NULL;
                float *dc_out = lstm ? a->dtop : NULL; /* (B,Hd) */
                train_cell_backward(c->cell, dgi_all + (size_t)pos * B * G * Hd, dgh_all + (size_t)pos * B * G * Hd, dhp, dc_out,
                                    dhn, lstm ? dc : NULL, hcur, lstm ? a->enc_c[l][d] + (size_t)pos * B * Hd : NULL,
                                    a->enc_gates[l][d] + (size_t)pos * B * G * Hd, gru ? a->enc_ghn[l][d] + (size_t)pos * B * Hd : NULL,
                                    hp, cprev, w->w_hh, a->enc_active + (size_t)pos * B, B, Hd);
                memcpy(dh, dhp, (size_t)B * Hd * sizeof(float));
                if (lstm) memcpy(dc, dc_out, (size_t)B * Hd * sizeof(float));
            }
            /* dW_hh += dgh^T h_prev over every position at once: h_prev of position p is the output
             * row of p-1 (forward) or p+1 (backward); the first position's h_prev is zero */
            if (S > 1) {
                const float *dg = dgh_all + (d ? 0 : (size_t)B * G * Hd);
                const float *hx = a->enc_out[l] + (d ? (size_t)B * H : 0) + (size_t)d * Hd;
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G * Hd, Hd, (S - 1) * B, 1.0f, dg, G * Hd, hx, H, 1.0f, GP(w->w_hh), Hd);
            }
            /* b_hh: Σ dgh; W_ih, b_ih, d input: over all positions at once */
            float *dbhh = GP(w->b_hh);
            for (size_t r = 0; r < (size_t)S * B; r++)
                for (int i = 0; i < G * Hd; i++) dbhh[i] += dgh_all[r * G * Hd + i];
            train_linear_backward(din_buf, GP(w->w_ih), GP(w->b_ih), dgi_all, G * Hd, in, in_size, w->w_ih, S * B, in_size, G * Hd);
        }
        dout = din_buf;
    }
    /* embeddings */
    float *dEs = GP(m->w.src_emb);
    for (int r = 0; r < S * B; r++) {
        if (!a->enc_active[r]) continue;
        float *de = dEs + (size_t)a->src[r] * E;
        const float *g = dout + (size_t)r * E;
        if (a->dropout > 0.0f) for (int i = 0; i < E; i++) de[i] += g[i] * a->enc_x_mask[(size_t)r * E + i];
        else for (int i = 0; i < E; i++) de[i] += g[i];
    }
    if (c->query_lang)
        for (int b = 0; b < B; b++) {
            float *de = dEs + (size_t)a->src[b] * E;
            for (int i = 0; i < E; i++) de[i] += a->dlang[(size_t)b * E + i];
        }
#undef GP
}
