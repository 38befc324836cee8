/* compare.h — greedy and beam paths read out of two trace indexes, for view 7 (greedy vs
 * beam), the comparison CSV and the beam tree JSON.
 *
 * What it is: a CmpPath is one decoded output as the trace recorded it, step by step: the
 * token, its log-prob and the cumulative log-prob after that step (<eos> included as the
 * last step of a finished output). Greedy paths come from the output events (token
 * log-prob = chosen_logprob; cumulative = the running sum of those, which is what the
 * core reports as the run's log-prob); beam paths from the tree nodes on the way from
 * the root to each n-best hypothesis (token_logprob and cum_logprob of beam_expand).
 * Nothing here calls the model; the numbers are the trace's.
 * What it is not: no drawing (view_compare.c) and no decoding (state.c).
 *
 *   CmpPath g, b[3];
 *   cmp_greedy_path(&greedy_ix, &g);
 *   int n = cmp_beam_paths(&beam_ix, b, 3);
 *   int d = cmp_divergence(&g, &b[0]);      // -1: identical
 *   cmp_write_csv(f, &g, b, n, &st);
 */
#ifndef ATTNSTEP_GUI_COMPARE_H
#define ATTNSTEP_GUI_COMPARE_H

#include <stdio.h>

#include "attnstep/status.h"
#include "timeline.h"

#define CMP_MAX_STEPS 256
#define CMP_MAX_PATHS 8

typedef struct CmpPath {
    int n;                            /* steps (<eos> included when finished); at most CMP_MAX_STEPS */
    int truncated;                    /* the output had more steps than CMP_MAX_STEPS */
    int token[CMP_MAX_STEPS];
    const char *tok[CMP_MAX_STEPS];   /* borrowed from the trace */
    float token_lp[CMP_MAX_STEPS];
    double cum[CMP_MAX_STEPS];
    int finished;                     /* ended with <eos> */
    double logprob, score;            /* the run's totals (run_end / beam_finish) */
    int hyp;                          /* beam: the final hypothesis id; greedy: -1 */
    int rank;                         /* beam: n-best rank from 0; greedy: -1 */
    const char *text;                 /* the output text (borrowed) */
} CmpPath;

/* The greedy output of a greedy (or sampled) trace. -1 when ix is a beam trace or has no
 * output events. */
int cmp_greedy_path(const TraceIndex *ix, CmpPath *p);
/* The n-best of a beam trace in run_end order, at most max. Returns the count (0 when ix
 * is not a beam trace). */
int cmp_beam_paths(const TraceIndex *ix, CmpPath *p, int max);
/* The path from the root to tree node ix->hyps[node] (that node's token last). -1 when
 * node is out of range. */
int cmp_node_path(const TraceIndex *ix, int node, CmpPath *p);
/* First step where the two token sequences differ (a path that ended counts as
 * different from one that goes on); -1 when identical. */
int cmp_divergence(const CmpPath *a, const CmpPath *b);
/* The comparison as CSV: one row per step with, per path, token, token log-prob and
 * cumulative log-prob, then the first divergence and the totals. what_if may be NULL. */
int cmp_write_csv(FILE *f, const CmpPath *greedy, const CmpPath *beam, int n_beam, const CmpPath *what_if, Status *st);
/* The beam tree as JSON: {"model", "source", "beam_size", "nodes": [{"id", "parent",
 * "step", "token", "token_str", "token_logprob", "cum_logprob", "score", "status",
 * "reason", "rank", "on_best", "on_greedy"}...], "nbest": [...]} with the root as id 0,
 * parent -1. -1 with st when ix is not a beam trace or on a write error. */
int cmp_write_tree_json(FILE *f, const TraceIndex *ix, Status *st);

#endif
