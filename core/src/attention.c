/* attention.c — scorers, windows and context vectors (see attention.h). */
#include "attnstep/attention.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "attnstep/tensor.h"
#include "fastmath.h"

/* ------------------------------------------------------------------------ */
/* Names                                                                     */
/* ------------------------------------------------------------------------ */

static const char *const SCORER_NAMES[ATTN_SCORER_COUNT] = {
    "none", "additive", "concat", "dot", "general", "scaled_dot", "cosine", "location"};
static const char *const SCORER_FORMULAS[ATTN_SCORER_COUNT] = {
    "(no attention)",
    "Va · tanh(Wa q + Ua h_j)",
    "v · tanh(W [q; h_j])",
    "q · h_j",
    "q · (Wa h_j)",
    "q · h_j / sqrt(H)",
    "scale · cos(q, h_j)",
    "(Wa q)_j",
};
static const char *const WINDOW_NAMES[3] = {"global", "local-m", "local-p"};

const char *attention_scorer_name(AttnScorer s) { return (unsigned)s < ATTN_SCORER_COUNT ? SCORER_NAMES[s] : "?"; }
const char *attention_scorer_formula(AttnScorer s) { return (unsigned)s < ATTN_SCORER_COUNT ? SCORER_FORMULAS[s] : "?"; }
const char *attention_window_name(AttnWindow w) { return (unsigned)w < 3 ? WINDOW_NAMES[w] : "?"; }

int attention_scorer_from_name(const char *name) {
    for (int i = 0; i < ATTN_SCORER_COUNT; i++) if (!strcmp(name, SCORER_NAMES[i])) return i;
    return -1;
}

int attention_window_from_name(const char *name) {
    for (int i = 0; i < 3; i++) if (!strcmp(name, WINDOW_NAMES[i])) return i;
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Sizes and key preparation                                                 */
/* ------------------------------------------------------------------------ */

int attention_keys_proj_size(const AttnShape *a) {
    switch (a->scorer) {
    case ATTN_ADDITIVE: case ATTN_CONCAT: return a->H;
    case ATTN_GENERAL: return a->Q;
    default: return 0;
    }
}

int attention_scratch_size(const AttnShape *a, int B, int S) {
    /* a projected query per row (H or M), plus one H-vector for tanh terms */
    int per_row = a->H > a->max_src_len ? a->H : a->max_src_len;
    return B * per_row + a->H;
}

void attention_prepare_keys(const AttnShape *a, const AttnWeights *w, float *keys_proj,
                            const float *keys, int S) {
    int H = a->H, Q = a->Q;
    switch (a->scorer) {
    case ATTN_ADDITIVE:
        tensor_linear(keys_proj, keys, w->Ua_w, w->Ua_b, S, H, H);
        break;
    case ATTN_GENERAL:
        tensor_linear(keys_proj, keys, w->Wa_w, NULL, S, H, Q);
        break;
    case ATTN_CONCAT: /* W[:, Q:] k_j: W rows have stride Q+H */
        for (int j = 0; j < S; j++)
            for (int i = 0; i < H; i++)
                keys_proj[(size_t)j * H + i] = tensor_dot(w->W + (size_t)i * (Q + H) + Q, keys + (size_t)j * H, H);
        break;
    default:
        break;
    }
}

/* ------------------------------------------------------------------------ */
/* Energies for one query                                                    */
/* ------------------------------------------------------------------------ */

/* e: (S) energies of query q; qproj: the query's projection (additive: Wa q + b (H),
 * location: Wa q + b (M), computed for all rows at once by the caller; concat: scratch (H)
 * filled here); tmp: scratch (H). */
static void score_row(const AttnShape *a, const AttnWeights *w, float *e, float *qproj, float *tmp,
                      const float *q, const float *keys, const float *keys_proj, int S) {
    int H = a->H, Q = a->Q;
    switch (a->scorer) {
    case ATTN_ADDITIVE:
        for (int j = 0; j < S; j++) {
            const float *kp = keys_proj + (size_t)j * H;
            for (int i = 0; i < H; i++) tmp[i] = qproj[i] + kp[i];
            fm_tanh_array(tmp, tmp, H);
            e[j] = tensor_dot(w->Va_w, tmp, H) + w->Va_b[0];
        }
        break;
    case ATTN_CONCAT:
        for (int i = 0; i < H; i++) qproj[i] = tensor_dot(w->W + (size_t)i * (Q + H), q, Q);
        for (int j = 0; j < S; j++) {
            const float *kp = keys_proj + (size_t)j * H;
            for (int i = 0; i < H; i++) tmp[i] = qproj[i] + kp[i];
            fm_tanh_array(tmp, tmp, H);
            e[j] = tensor_dot(w->v, tmp, H);
        }
        break;
    case ATTN_DOT:
    case ATTN_SCALED_DOT: {
        float scale = a->scorer == ATTN_SCALED_DOT ? 1.0f / sqrtf((float)H) : 1.0f;
        for (int j = 0; j < S; j++) e[j] = tensor_dot(q, keys + (size_t)j * H, H) * scale;
        break;
    }
    case ATTN_COSINE: {
        float qn = tensor_norm(q, H);
        for (int j = 0; j < S; j++) {
            const float *k = keys + (size_t)j * H;
            float denom = qn * tensor_norm(k, H);
            if (denom < 1e-8f) denom = 1e-8f;
            e[j] = w->scale[0] * tensor_dot(q, k, H) / denom;
        }
        break;
    }
    case ATTN_GENERAL:
        for (int j = 0; j < S; j++) e[j] = tensor_dot(q, keys_proj + (size_t)j * Q, Q);
        break;
    case ATTN_LOCATION:
        for (int j = 0; j < S; j++) e[j] = qproj[j];
        break;
    default:
        assert(0 && "attention_forward called without a scorer");
    }
}

/* local-p centre p = (S-1) σ(vp · tanh(Wp q)); tmp: scratch (H). */
static float local_p_centre(const AttnShape *a, const AttnWeights *w, float *tmp, const float *q, int S) {
    tensor_linear(tmp, q, w->Wp, NULL, 1, a->Q, a->H);
    fm_tanh_array(tmp, tmp, a->H);
    return (float)(S - 1) * fm_sigmoid(tensor_dot(w->vp, tmp, a->H));
}

/* ------------------------------------------------------------------------ */
/* Forward                                                                   */
/* ------------------------------------------------------------------------ */

void attention_forward(const AttnShape *a, const AttnWeights *w, float *energies, float *weights,
                       float *context, float *centre, int *lo, int *hi, float *scratch,
                       const float *query, const float *keys, const float *keys_proj,
                       const float *override, int S, int B, int step) {
    assert(a->scorer != ATTN_NONE && S > 0 && B > 0);
    assert(a->scorer != ATTN_LOCATION || S <= a->max_src_len);
    int H = a->H;
    float *tmp = scratch;          /* (H) */
    float *qall = scratch + H;     /* (B, P) query projections */
    if (a->scorer == ATTN_ADDITIVE) tensor_linear_rows(qall, query, w->Wa_w, w->Wa_packed, w->Wa_b, B, a->Q, H);
    if (a->scorer == ATTN_LOCATION) tensor_linear_rows(qall, query, w->Wa_w, w->Wa_packed, w->Wa_b, B, a->Q, a->max_src_len);
    for (int b = 0; b < B; b++) {
        const float *q = query + (size_t)b * a->Q;
        float *e = energies + (size_t)b * S, *wt = weights + (size_t)b * S;
        float *qproj = qall + (size_t)b * (a->scorer == ATTN_LOCATION ? a->max_src_len : (a->scorer == ATTN_ADDITIVE ? H : 0));
        score_row(a, w, e, qproj, tmp, q, keys, keys_proj, S);

        float p = NAN;
        int l = 0, h = S - 1;
        if (a->window == ATTN_LOCAL_M) {
            p = (float)(step < S - 1 ? step : S - 1);
            l = (int)p - a->window_d;
            h = (int)p + a->window_d;
        } else if (a->window == ATTN_LOCAL_P) {
            p = local_p_centre(a, w, tmp, q, S);
            if (p == p) {
                l = (int)ceilf(p - (float)a->window_d);
                h = (int)floorf(p + (float)a->window_d);
            } /* else NaN (overflowing weights): converting it to int is undefined; the caller reports it */
        }
        if (l < 0) l = 0;
        if (h > S - 1) h = S - 1;
        for (int j = 0; j < S; j++) if (j < l || j > h) e[j] = -INFINITY;
        tensor_softmax(wt, e, S);
        if (a->window == ATTN_LOCAL_P) {
            float sigma = (float)a->window_d / 2.0f;
            for (int j = l; j <= h; j++) {
                float d = (float)j - p;
                wt[j] *= expf(-(d * d) / (2.0f * sigma * sigma));
            }
        }
        if (override) memcpy(wt, override, (size_t)S * sizeof *wt);
        if (centre) centre[b] = p;
        if (lo) lo[b] = l;
        if (hi) hi[b] = h;

        float *c = context + (size_t)b * H;
        memset(c, 0, (size_t)H * sizeof *c);
        for (int j = 0; j < S; j++) {
            float aw = wt[j];
            if (aw == 0.0f) continue;
            const float *k = keys + (size_t)j * H;
            for (int i = 0; i < H; i++) c[i] += aw * k[i];
        }
    }
}
