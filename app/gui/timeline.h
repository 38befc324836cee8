/* timeline.h — the trace as a sequence of teachable sub-steps.
 *
 * What it is: an index over a recorded Trace (events.h) that finds, for every encoder
 * position and decoder step, the events a view draws, and lists the timeline positions:
 *   start → one per enc_step event → per decoder step, in the order the model computed
 *   them: attention energies → softmax weights → context → decoder RNN → output
 *   distribution → chosen token (beam: candidates expanded → selection) → end.
 * (A Luong model computes the decoder RNN first; the order follows the trace.)
 * Views are pure functions of (index, position): tl_shown() says whether a quantity is
 * visible at a position, so stepping back is as exact as stepping forward.
 * With beam search the "focus" hypothesis of each step is the ancestor of the final best
 * hypothesis (run_end's first n-best), so the encoder–decoder, attention and heatmap
 * views follow the path that won; the beam tree shows every hypothesis.
 * What it is not: it computes no numerics and draws nothing; the index borrows the
 * Trace's events (valid until the trace is cleared or freed).
 *
 *   TraceIndex ix; Status st = {0};
 *   if (tl_build(&ix, trace, &st)) { puts(st.message); ... }
 *   for (int p = 0; p < ix.n_pos; p++) printf("%s\n", tl_describe(&ix, p, buf, sizeof buf));
 *   tl_free(&ix);
 */
#ifndef ATTNSTEP_GUI_TIMELINE_H
#define ATTNSTEP_GUI_TIMELINE_H

#include <stddef.h>

#include "attnstep/events.h"
#include "attnstep/status.h"
#include "attnstep/vocab.h"

typedef enum Phase {
    PH_START,    /* source tokens, nothing computed */
    PH_ENC,      /* one encoder cell step (TlPos.enc) */
    PH_ENERGY,   /* attention energies of step t */
    PH_WEIGHTS,  /* softmax weights */
    PH_CONTEXT,  /* context vector (weighted sum) */
    PH_DECODER,  /* decoder RNN step */
    PH_OUTPUT,   /* output distribution (FC + softmax) */
    PH_EXPAND,   /* beam: candidates of every hypothesis */
    PH_CHOSEN,   /* greedy: chosen token; beam: selection (kept / pruned / finished) */
    PH_END,      /* run_end: the output */
    PH_COUNT
} Phase;

typedef struct TlPos {
    Phase phase;
    int enc;   /* PH_ENC: index into TraceIndex.enc; else the number of encoder steps done */
    int step;  /* decoder step (from 0); -1 before decoding */
} TlPos;

#define TL_MAX_LAYERS 4

typedef struct TlStep {
    int beam;                                /* focus hypothesis id at this step */
    const Event *embed, *attn, *context, *attn_hidden, *output;
    const Event *dec[TL_MAX_LAYERS];         /* dec_step per layer */
    const Event *expand, *select;            /* beam only */
    int chosen;                              /* token id fed to the next step (-1 unknown) */
    const char *chosen_token;                /* its text */
} TlStep;

typedef struct TlHyp {                       /* a node of the beam tree */
    int id, parent, step;                    /* step at which it was created (its token's step) */
    int token;
    const char *token_str;
    float token_logprob, cum_logprob, score;
    int status;                              /* TL_KEPT, TL_PRUNED, TL_FINISHED, TL_BLOCKED */
    int on_best, on_greedy;                  /* on the final best path / on the greedy path */
    int on_sel;                              /* on the path to the selected node (tl_select_node) */
    int cand;                                /* candidate index within the step's expand event */
    int rank;                                /* selection order within the step (-1: blocked) */
    const char *reason;                      /* status text ("pruned_topk", ...) */
} TlHyp;

enum { TL_KEPT, TL_PRUNED, TL_FINISHED, TL_BLOCKED };

typedef struct TraceIndex {
    const Trace *trace;
    const Event *run, *run_end;
    /* run settings */
    const char *model, *arch, *cell, *scorer, *window, *query, *strategy;
    int hidden, layers, bidirectional, beam_size, is_beam;
    const char *const *src_tokens;
    int S;
    /* encoder */
    const Event **enc;        /* enc_step events in trace order */
    int n_enc;
    int enc_layers, enc_dirs;
    const Event **enc_at;     /* [layer][dir][pos] flattened: (l * dirs + d) * S + pos; NULL when absent */
    /* decoder */
    TlStep *steps;
    int n_steps;
    int phase_order[PH_COUNT];/* rank of each decoder phase within a step; -1 when absent */
    const Event **finish;     /* beam_finish events */
    int n_finish;
    TlHyp *hyps;              /* beam tree nodes, one per candidate; NULL for greedy */
    int n_hyps;
    /* timeline */
    TlPos *pos;
    int n_pos;
    /* optional, set by the caller after tl_build: the model's target vocabulary, so output
     * distributions can name every token (borrowed; NULL: ids are shown as "#id") */
    const Vocab *tgt_vocab;
    int sel_node;             /* beam: the selected tree node (index into hyps) the per-step views
                                 follow, -1: the final best hypothesis (tl_select_node) */
} TraceIndex;

/* Indexes t. -1 with st when the trace has no run event or is inconsistent (named). */
int tl_build(TraceIndex *ix, const Trace *t, Status *st);
void tl_free(TraceIndex *ix); /* zeroed or NULL: no-op */
/* Beam: makes the per-step events (TlStep) follow the path to node ix->hyps[node] (its
 * token is the chosen one of its step; later steps have no focus hypothesis), or the best
 * hypothesis again for node -1. -1 with st when node is out of range or not a beam trace. */
int tl_select_node(TraceIndex *ix, int node, Status *st);

/* 1 when quantity `phase` of decoder step `step` is visible at position p
 * (earlier steps are always fully visible). PH_ENC: use tl_enc_shown. */
int tl_shown(const TraceIndex *ix, int p, int step, Phase phase);
/* 1 when enc_step event i (index into ix->enc) is visible at position p. */
int tl_enc_shown(const TraceIndex *ix, int p, int i);
/* The decoder step a position belongs to (-1 before decoding). */
int tl_step_of(const TraceIndex *ix, int p);
/* Next/previous position starting a different decoder step (clamped; encoder positions
 * count as step -1, end as the last step + 1). */
int tl_next_step(const TraceIndex *ix, int p);
int tl_prev_step(const TraceIndex *ix, int p);
/* A one-line description of position p ("step 3 · softmax weights"). Returns buf. */
const char *tl_describe(const TraceIndex *ix, int p, char *buf, size_t n);
const char *tl_phase_name(Phase ph);
/* Parses a --step argument: an integer position (negative counts from the end),
 * "end", or "dN.phase" is not supported; returns -1 when out of range. */
int tl_parse_pos(const TraceIndex *ix, const char *s);

/* The source position of enc_step event i. */
static inline int tl_enc_pos(const TraceIndex *ix, int i) { return (int)event_get_int(ix->enc[i], "pos", 0); }
/* The top-layer encoder event at source position pos for direction dir, or NULL. */
const Event *tl_enc_top(const TraceIndex *ix, int pos, int dir);
/* Visible target tokens: the chosen token of each step whose choice is shown at p. */
int tl_chosen_shown(const TraceIndex *ix, int p, int step);
/* Text of target id: from tgt_vocab, else from the trace's own token strings, else "#id".
 * Returns a pointer into the trace/vocabulary or into buf. */
const char *tl_tgt_token(const TraceIndex *ix, int id, char *buf, size_t n);

#endif
