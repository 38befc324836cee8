/* cmd_compare.c — `attnstep compare`: greedy and beam search on one sentence, side by side.
 *
 * Prints both outputs, their total log-probs and normalised scores (greedy's output is
 * scored with the beam's length and coverage penalties, decode_hyp_score, so the two
 * numbers are comparable), a per-step table with each side's token and cumulative
 * log-prob (re-scored by forced decoding, decode_score), and the first step where the two
 * differ, or "identical". Options are those of translate (cli_decode.h); beam search uses
 * --beam K (default 5); both sides share --min-len, --max-len, --max-len-ratio and
 * --force-prefix. Exit codes: 0, 1 (model, input or decoding error), 2 (usage). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_decode.h"
#include "commands.h"

#define USAGE                                                                                         \
    "usage: attnstep compare --model FILE [options] \"sentence\"\n"                                   \
    "decodes the sentence greedily and with beam search (--beam K, default 5) and prints both side\n" \
    "by side: outputs, total log-probs, normalised scores, and the first step where they differ"

/* Cumulative log-prob after each step of h (steps = len + finished values), by forced
 * decoding of each prefix. -1 on failure (message printed). */
static int cumulative(const CliDecode *c, const DecodeHyp *h, double *cum) {
    Status st = {0};
    int steps = h->len + (h->finished ? 1 : 0);
    for (int t = 0; t < steps; t++) {
        int with_eos = t == h->len; /* the last step of a finished hypothesis is its <eos> */
        int n = with_eos ? h->len : t + 1;
        if (decode_score_model(c->model, c->src_ids, c->src_len, h->tokens, n, with_eos, &cum[t], &st)) {
            fprintf(stderr, "error: %s\n", st.message);
            return -1;
        }
    }
    return 0;
}

/* Prints s left-aligned in a column of width characters (UTF-8 aware: printf's %-16s counts
 * bytes, which shifts the columns after "travaillé"). Longer strings are printed whole. */
static void print_padded(const char *s, int width) {
    int chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) chars += (*p & 0xC0) != 0x80;
    printf("%s%*s", s, chars < width ? width - chars : 0, "");
}

static const char *step_token(const CliDecode *c, const DecodeHyp *h, int t) {
    if (t < h->len) return vocab_token(c->model->tgt_vocab, h->tokens[t]);
    if (t == h->len && h->finished) return vocab_token(c->model->tgt_vocab, c->model->tgt_eos);
    return "";
}

static int step_id(const CliDecode *c, const DecodeHyp *h, int t) {
    if (t < h->len) return h->tokens[t];
    if (t == h->len && h->finished) return c->model->tgt_eos;
    return -1;
}

static const char *t_or_end(const char *token) {
    return *token ? token : "(ended)";
}

static void print_side(const char *label, const DecodeHyp *h) {
    printf("%-12s %s%s\n", label, h->text, h->finished ? "" : "   (no <eos>: length cap reached)");
}

int cmd_compare(int argc, char **argv) {
    CliDecode c;
    int rc = cli_decode_parse(argc, argv, &c, USAGE);
    if (rc) return rc == 1 ? 0 : rc;
    if (c.opts.strategy == DECODE_SAMPLE) {
        fprintf(stderr, "compare runs greedy and beam search; --sample is not supported here (use translate)\n");
        return 2;
    }
    c.opts.strategy = DECODE_BEAM; /* --beam K given or the default k = 5 */
    if ((rc = cli_decode_prepare(&c))) { cli_decode_release(&c); return rc; }

    Status st = {0};
    DecodeOptions greedy_opts = c.opts;
    greedy_opts.strategy = DECODE_GREEDY;
    DecodeResult g, b;
    memset(&g, 0, sizeof g);
    memset(&b, 0, sizeof b);
    double *cum = NULL;
    if (decode_run_model(c.model, c.src_ids, c.src_len, &greedy_opts, NULL, &g, &st) ||
        decode_run_model(c.model, c.src_ids, c.src_len, &c.opts, NULL, &b, &st)) {
        fprintf(stderr, "error: %s\n", st.message);
        rc = 1;
        goto done;
    }
    const DecodeHyp *gh = &g.hyps[0], *bh = &b.hyps[0];
    int gsteps = gh->len + gh->finished, bsteps = bh->len + bh->finished;
    int T = gsteps > bsteps ? gsteps : bsteps;
    cum = malloc(((size_t)gsteps + bsteps + 2) * sizeof *cum);
    if (!cum) { fprintf(stderr, "error: out of memory\n"); rc = 1; goto done; }
    double *gcum = cum, *bcum = cum + gsteps + 1;
    if (cumulative(&c, gh, gcum) || cumulative(&c, bh, bcum)) { rc = 1; goto done; }

    double gscore = decode_hyp_score(&c.opts, gh, g.source_len);
    char beam_label[32];
    snprintf(beam_label, sizeof beam_label, "beam k=%d", c.opts.beam_size);
    printf("source       %s\n", c.text);
    printf("scoring      lenpen %s", decode_lenpen_name(c.opts.lenpen));
    if (c.opts.lenpen != LENPEN_NONE) printf(" (alpha %g)", c.opts.alpha);
    if (c.opts.coverage_beta > 0.0f) printf(", coverage beta %g", c.opts.coverage_beta);
    printf("; length = decoder steps, <eos> included\n\n");
    print_side("greedy", gh);
    print_side(beam_label, bh);
    printf("\n%-12s %12s %12s\n", "", "greedy", beam_label);
    printf("%-12s %12.4f %12.4f\n", "logprob", gh->logprob, bh->logprob);
    printf("%-12s %12.4f %12.4f\n", "score", gscore, bh->score);
    printf("%-12s %12d %12d\n", "steps", gsteps, bsteps);

    int diverge = -1;
    for (int t = 0; t < T && diverge < 0; t++)
        if (step_id(&c, gh, t) != step_id(&c, bh, t)) diverge = t;

    printf("\n%-5s %-16s %10s   %-16s %10s %9s\n", "step", "greedy", "cum", beam_label, "cum", "beam-gr");
    for (int t = 0; t < T; t++) {
        char gcol[24] = "", bcol[24] = "";
        if (t < gsteps) snprintf(gcol, sizeof gcol, "%10.4f", gcum[t]);
        if (t < bsteps) snprintf(bcol, sizeof bcol, "%10.4f", bcum[t]);
        printf("%-5d ", t);
        print_padded(step_token(&c, gh, t), 16);
        printf(" %10s   ", gcol);
        print_padded(step_token(&c, bh, t), 16);
        printf(" %10s", bcol);
        if (t < gsteps && t < bsteps) printf(" %+9.4f", bcum[t] - gcum[t]);
        else printf(" %9s", "");
        printf("%s\n", t == diverge ? "   <- first divergence" : "");
    }
    if (diverge < 0) {
        printf("\nidentical\n");
    } else {
        printf("\nfirst divergence at step %d: greedy '%s', beam '%s'\n", diverge,
               t_or_end(step_token(&c, gh, diverge)), t_or_end(step_token(&c, bh, diverge)));
        if (bh->logprob > gh->logprob) printf("beam's output is more probable by %.4f (log-prob)\n", bh->logprob - gh->logprob);
        else if (bh->logprob < gh->logprob) printf("greedy's output is more probable by %.4f (log-prob); beam ranks by score\n", gh->logprob - bh->logprob);
    }
    if (b.count > 1) {
        printf("\nbeam n-best\n");
        for (int i = 0; i < b.count; i++)
            printf("%d\tscore %.4f\tlogprob %.4f\t%s%s\n", i + 1, b.hyps[i].score, b.hyps[i].logprob, b.hyps[i].text,
                   b.hyps[i].finished ? "" : "\t(no <eos>: length cap reached)");
    }
done:
    free(cum);
    decode_result_free(&g);
    decode_result_free(&b);
    cli_decode_release(&c);
    return rc;
}
