/* attention.h — attention scorers and windows (docs/model-format.md has the formulas).
 *
 * What it is: for B queries over the S encoder outputs (keys), the energies, the
 * softmax weights (with the local window applied), and the context vectors.
 * What it is not: it does not pick the query (Bahdanau's previous state or Luong's
 * current one) or feed the context anywhere — seq2seq.c does — and allocates nothing.
 *
 *   AttnShape a = {ATTN_ADDITIVE, ATTN_GLOBAL, 3, H, Q, 0};
 *   attention_prepare_keys(&a, &w, keys_proj, keys, S);               // once per sentence
 *   attention_forward(&a, &w, energies, weights, context, centre, lo, hi,
 *                     scratch, query, keys, keys_proj, NULL, S, 1, step);
 */
#ifndef ATTNSTEP_ATTENTION_H
#define ATTNSTEP_ATTENTION_H

typedef enum AttnScorer {
    ATTN_NONE, ATTN_ADDITIVE, ATTN_CONCAT, ATTN_DOT, ATTN_GENERAL, ATTN_SCALED_DOT, ATTN_COSINE, ATTN_LOCATION,
    ATTN_SCORER_COUNT
} AttnScorer;

typedef enum AttnWindow { ATTN_GLOBAL, ATTN_LOCAL_M, ATTN_LOCAL_P } AttnWindow;

typedef struct AttnShape {
    AttnScorer scorer;
    AttnWindow window;
    int window_d;     /* D: half width of a local window */
    int H;            /* key size (encoder output size) */
    int Q;            /* query size */
    int max_src_len;  /* location scorer: rows of Wa */
} AttnShape;

typedef struct AttnWeights {
    const float *Wa_w, *Wa_b; /* additive (H,Q)+(H); general (Q,H); location (M,Q)+(M) */
    const float *Ua_w, *Ua_b; /* additive (H,H)+(H) */
    const float *Va_w, *Va_b; /* additive (1,H)+(1) */
    const float *W, *v;       /* concat (H,Q+H), (1,H) */
    const float *scale;       /* cosine (1) */
    const float *Wp, *vp;     /* local-p (H,Q), (1,H) */
    const float *Wa_packed;   /* Wa_w packed (tensor_pack; additive, location) for several query rows, or NULL */
} AttnWeights;

/* Names used in events and config: "none", "additive", "concat", "dot", "general",
 * "scaled_dot", "cosine", "location"; windows "global", "local-m", "local-p". */
const char *attention_scorer_name(AttnScorer s);
const char *attention_window_name(AttnWindow w);
/* -1 when the name is unknown. */
int attention_scorer_from_name(const char *name);
int attention_window_from_name(const char *name);
/* The scorer's formula for people, e.g. "v · tanh(Wa q + Ua h_j)". */
const char *attention_scorer_formula(AttnScorer s);

/* Floats per source position that attention_prepare_keys writes (0: nothing to prepare). */
int attention_keys_proj_size(const AttnShape *a);
/* Floats of scratch attention_forward needs for B queries over S positions. */
int attention_scratch_size(const AttnShape *a, int B, int S);

/* Query-independent work, once per sentence.
 * keys_proj: (S, attention_keys_proj_size) — additive Ua k_j + b; general Wa k_j; concat W[:, Q:] k_j
 * keys:      (S, H) encoder outputs */
void attention_prepare_keys(const AttnShape *a, const AttnWeights *w, float *keys_proj,
                            const float *keys, int S);

/* Scores B queries against S keys.
 * energies: (B, S) raw scores, -INFINITY outside a local window
 * weights:  (B, S) softmax (local-p: times the Gaussian, not renormalised), or override
 * context:  (B, H) Σ_j weights_j k_j
 * centre:   (B) window centre for local-m / local-p (NaN for global), may be NULL
 * lo, hi:   (B) window bounds (inclusive; 0 and S-1 for global), may be NULL
 * query:    (B, Q); keys: (S, H); keys_proj: from attention_prepare_keys
 * override: (S) weights to use instead of the softmax for every row, or NULL
 * step:     decoder step (the local-m centre) */
void attention_forward(const AttnShape *a, const AttnWeights *w, float *energies, float *weights,
                       float *context, float *centre, int *lo, int *hi, float *scratch,
                       const float *query, const float *keys, const float *keys_proj,
                       const float *override, int S, int B, int step);

#endif
