/* test_seq2seq_reference.c — every RNN architecture against PyTorch.
 *
 * For each fixture in tests/reference/fixtures/ (made by tests/reference/rnn_reference.py
 * from the same weights), runs the encoder and 6 greedy decoder steps (argmax fed back,
 * EOS does not stop) and compares every intermediate, read back from the *events*, with
 * what PyTorch computed: embeddings, per-layer/direction hidden and cell states, gates,
 * queries, energies (-inf outside local windows), weights, window centres, contexts,
 * Luong attentional states and log-probs. Tolerance 1e-5 (absolute + relative).
 * The same steps are then run as a batch of 3 identical rows (the sgemm path). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "attnstep/seq2seq.h"
#include "attnstep/tensor.h"

#define FIXTURES ATTNSTEP_SOURCE_DIR "/tests/reference/fixtures"
#define TOL 1e-5f

static int compared; /* values compared in this case */

static void expect_close(const float *got, const float *want, int n, const char *what, int index) {
    for (int i = 0; i < n; i++) {
        int both_neg_inf = isinf(got[i]) && isinf(want[i]) && got[i] < 0 && want[i] < 0;
        if (both_neg_inf) { compared++; continue; }
        float tol = TOL + TOL * fabsf(want[i]);
        if (!(fabsf(got[i] - want[i]) <= tol)) {
            fail_msg("%s[%d] element %d: got %.9g, PyTorch %.9g", what, index, i, got[i], want[i]);
        }
        compared++;
    }
}

/* The first event of type whose int fields match (key, value) pairs; NULL-terminated keys. */
static const Event *find_event(const Trace *t, const char *type, ...) {
    for (long i = 0; i < trace_count(t); i++) {
        const Event *ev = trace_get(t, i);
        if (strcmp(ev->type, type)) continue;
        va_list ap;
        va_start(ap, type);
        int ok = 1;
        for (const char *key = va_arg(ap, const char *); key; key = va_arg(ap, const char *)) {
            long value = va_arg(ap, long);
            if (event_get_int(ev, key, -999) != value) ok = 0;
        }
        va_end(ap);
        if (ok) return ev;
    }
    return NULL;
}

static const float *event_vector(const Event *ev, const char *key, int want_n) {
    assert_non_null(ev);
    int n = 0;
    const float *v = event_get_floats(ev, key, &n);
    if (!v || n != want_n) fail_msg("event %s: field '%s' has %d values, want %d", ev->type, key, n, want_n);
    return v;
}

static const SafeTensor *need(const SafeTensors *f, const char *name) {
    const SafeTensor *t = safetensors_find(f, name);
    if (!t) fail_msg("fixture tensor '%s' missing", name);
    return t;
}

static void run_case(const char *expected_file) {
    char path[1024];
    Status st = {0};
    snprintf(path, sizeof path, "%s/%s", FIXTURES, expected_file);
    SafeTensors *exp = safetensors_load(path, &st);
    if (!exp) fail_msg("%s", st.message);
    snprintf(path, sizeof path, "%s/%s", FIXTURES, safetensors_meta(exp, "model"));
    Seq2Seq *m = seq2seq_load(path, &st);
    if (!m) fail_msg("%s", st.message);

    cJSON *ids = cJSON_Parse(safetensors_meta(exp, "src_ids"));
    int S = cJSON_GetArraySize(ids), src[SEQ2SEQ_MAX_SOURCE];
    for (int j = 0; j < S; j++) src[j] = cJSON_GetArrayItem(ids, j)->valueint;
    cJSON_Delete(ids);
    int T = atoi(safetensors_meta(exp, "steps"));
    const Seq2SeqConfig *c = &m->cfg;
    int H = c->hidden, E = c->emb, L = c->layers, G = rnn_gate_count(c->cell), Hd = m->Hd;
    int Vt = vocab_size(m->tgt_vocab), lstm = c->cell == RNN_LSTM, attn = c->scorer != ATTN_NONE;
    compared = 0;

    /* the source text gives the same ids (tokeniser + <eos>) */
    int text_ids[SEQ2SEQ_MAX_SOURCE], text_n = 0;
    assert_int_equal(seq2seq_source_ids(m, safetensors_meta(exp, "input"), text_ids, SEQ2SEQ_MAX_SOURCE, &text_n, NULL, &st), 0);
    assert_int_equal(text_n, S);
    for (int j = 0; j < S; j++) assert_int_equal(text_ids[j], src[j]);

    Trace *t = trace_new();
    EventSink sink = trace_sink(t);
    Seq2SeqRun *r = seq2seq_run_new(m, S, 3, &st);
    assert_non_null(r);
    assert_int_equal(seq2seq_encode(m, r, src, S, &sink, &st), 0);

    /* encoder */
    const float *want = need(exp, "enc.embed")->data;
    for (int j = 0; j < S; j++)
        expect_close(event_vector(find_event(t, "embed", "pos", (long)j, NULL), "vector", E), want + j * E, E, "enc.embed", j);
    for (int l = 0; l < L; l++) {
        for (int d = 0; d < (c->bidirectional ? 2 : 1); d++) {
            char name[64];
            snprintf(name, sizeof name, "enc.h.l%d.d%d", l, d);
            const float *wh = need(exp, name)->data;
            snprintf(name, sizeof name, "enc.c.l%d.d%d", l, d);
            const float *wc = lstm ? need(exp, name)->data : NULL;
            snprintf(name, sizeof name, "enc.gates.l%d.d%d", l, d);
            const float *wg = G > 1 ? need(exp, name)->data : NULL;
            for (int j = 0; j < S; j++) {
                const Event *ev = find_event(t, "enc_step", "pos", (long)j, "layer", (long)l, "dir", (long)d, NULL);
                expect_close(event_vector(ev, "h", Hd), wh + j * Hd, Hd, "enc.h", j);
                if (wc) expect_close(event_vector(ev, "c", Hd), wc + j * Hd, Hd, "enc.c", j);
                if (wg) expect_close(event_vector(ev, "gates", G * Hd), wg + j * G * Hd, G * Hd, "enc.gates", j);
            }
        }
    }
    expect_close(seq2seq_encoder_outputs(r), need(exp, "enc.outputs")->data, S * H, "enc.outputs", 0);

    /* decoder: T greedy steps, single row */
    float *state = calloc((size_t)m->state_size * 3, sizeof(float));
    float *next = calloc((size_t)m->state_size * 3, sizeof(float));
    float *logprobs = calloc((size_t)Vt * 3, sizeof(float));
    seq2seq_initial_state(m, r, state);
    int prev = m->tgt_sos;
    int tokens[64];
    for (int step = 0; step < T; step++) {
        trace_clear(t);
        assert_int_equal(seq2seq_decode_step(m, r, next, logprobs, state, &prev, NULL, NULL, 1, step, &sink, &st), 0);
        expect_close(event_vector(find_event(t, "embed", "step", (long)step, NULL), "vector", E),
                     need(exp, "dec.embed")->data + step * E, E, "dec.embed", step);
        for (int l = 0; l < L; l++) {
            const Event *ev = find_event(t, "dec_step", "step", (long)step, "layer", (long)l, NULL);
            expect_close(event_vector(ev, "h", H), need(exp, "dec.h")->data + (step * L + l) * H, H, "dec.h", step);
            if (lstm) expect_close(event_vector(ev, "c", H), need(exp, "dec.c")->data + (step * L + l) * H, H, "dec.c", step);
            if (G > 1) expect_close(event_vector(ev, "gates", G * H), need(exp, "dec.gates")->data + (step * L + l) * G * H, G * H, "dec.gates", step);
        }
        if (attn) {
            const Event *a = find_event(t, "attn", "step", (long)step, NULL);
            expect_close(event_vector(a, "query", m->Q), need(exp, "dec.query")->data + step * m->Q, m->Q, "dec.query", step);
            expect_close(event_vector(a, "energies", S), need(exp, "dec.energies")->data + step * S, S, "dec.energies", step);
            expect_close(event_vector(a, "weights", S), need(exp, "dec.weights")->data + step * S, S, "dec.weights", step);
            if (c->window != ATTN_GLOBAL) {
                float centre = (float)event_get_float(a, "centre", NAN);
                expect_close(&centre, need(exp, "dec.center")->data + step, 1, "dec.center", step);
            }
            expect_close(event_vector(find_event(t, "context", "step", (long)step, NULL), "vector", H),
                         need(exp, "dec.context")->data + step * H, H, "dec.context", step);
            if (c->query_current)
                expect_close(event_vector(find_event(t, "attn_hidden", "step", (long)step, NULL), "vector", H),
                             need(exp, "dec.attn_hidden")->data + step * H, H, "dec.attn_hidden", step);
        }
        expect_close(logprobs, need(exp, "dec.logprobs")->data + step * Vt, Vt, "dec.logprobs", step);
        int tok = tensor_argmax(logprobs, Vt);
        assert_int_equal(tok, (int)need(exp, "dec.tokens")->data[step]);
        tokens[step] = tok;
        prev = tok;
        float *swap = state; state = next; next = swap;
    }

    /* the same steps as a batch of 3 identical rows: the packed weights (tensor_linear_packed)
     * gives the same numbers */
    int SS = m->state_size;
    seq2seq_initial_state(m, r, state);
    for (int b = 1; b < 3; b++) memcpy(state + b * SS, state, (size_t)SS * sizeof(float));
    int prev3[3] = {m->tgt_sos, m->tgt_sos, m->tgt_sos};
    for (int step = 0; step < T; step++) {
        assert_int_equal(seq2seq_decode_step(m, r, next, logprobs, state, prev3, NULL, NULL, 3, step, NULL, &st), 0);
        for (int b = 0; b < 3; b++) {
            expect_close(logprobs + b * Vt, need(exp, "dec.logprobs")->data + step * Vt, Vt, "batched dec.logprobs", step);
            if (attn) expect_close(seq2seq_last_weights(r, b), need(exp, "dec.weights")->data + step * S, S, "batched dec.weights", step);
            prev3[b] = tokens[step];
        }
        float *swap = state; state = next; next = swap;
    }
    print_message("  %-55s %6d values match PyTorch\n", expected_file, compared);

    free(state);
    free(next);
    free(logprobs);
    seq2seq_run_free(r);
    trace_free(t);
    seq2seq_free(m);
    safetensors_free(exp);
}

static int is_greedy_fixture(const char *name) {
    size_t n = strlen(name);
    const char *suffix = ".expected.safetensors";
    size_t sn = strlen(suffix);
    if (n <= sn || strcmp(name + n - sn, suffix)) return 0;
    /* batch-X.expected.safetensors holds teacher-forced batch log-probs (trainer fixtures) */
    if (strncmp(name, "batch-", 6)) return 1;
    const char *dot = name + n - sn; /* ".sN.expected..." marks a per-sentence greedy fixture */
    while (dot > name && dot[-1] >= '0' && dot[-1] <= '9') dot--;
    return dot - name >= 2 && dot[-1] == 's' && dot[-2] == '.';
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_every_fixture_matches_pytorch(void **state) {
    (void)state;
    DIR *d = opendir(FIXTURES);
    assert_non_null(d);
    char *names[256];
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 256;)
        if (is_greedy_fixture(e->d_name)) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    assert_true(n >= 12); /* every architecture of docs/model-format.md is covered */
    for (int i = 0; i < n; i++) {
        run_case(names[i]);
        free(names[i]);
    }
}

int main(void) {
    tensor_set_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_fixture_matches_pytorch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
