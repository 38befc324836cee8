/* test_transformer_reference.c — the tutorial-transformer against PyTorch.
 *
 * For each tfm-*.greedy.safetensors fixture (made by tests/reference/transformer_reference.py
 * from the tutorial's Seq2SeqTransformer, decoding with its greedy_decode, which recomputes
 * the whole decoder every step), runs the encoder and the greedy steps with the key/value
 * cache and compares every intermediate, read back from the *events*, with PyTorch:
 * embeddings, every encoder layer's output, every head's self-attention weights, the
 * memory, every decoder layer's output at the new position, every head's masked-self and
 * cross-attention weights, the final norm's output, log-probs and the chosen tokens.
 * Tolerance 1e-5 (absolute + relative). The same steps then run as a batch of 3 identical
 * rows (sgemm path, copying states), and malformed model files must fail with specific
 * messages. */
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

#include "attnstep/tensor.h"
#include "attnstep/transformer.h"

#define FIXTURES ATTNSTEP_SOURCE_DIR "/tests/reference/fixtures"
#define TOL 1e-5f

static int compared;

static void expect_close(const float *got, const float *want, int n, const char *what, int index) {
    for (int i = 0; i < n; i++) {
        float tol = TOL + TOL * fabsf(want[i]);
        if (!(fabsf(got[i] - want[i]) <= tol))
            fail_msg("%s[%d] element %d: got %.9g, PyTorch %.9g", what, index, i, got[i], want[i]);
        compared++;
    }
}

/* The first event of type with string field side (or NULL: any) whose int fields match
 * the (key, long value) pairs; NULL-terminated. */
static const Event *find_event(const Trace *t, const char *type, const char *side, const char *kind, ...) {
    for (long i = 0; i < trace_count(t); i++) {
        const Event *ev = trace_get(t, i);
        if (strcmp(ev->type, type)) continue;
        if (side && (!event_get_str(ev, "side") || strcmp(event_get_str(ev, "side"), side))) continue;
        if (kind && (!event_get_str(ev, "kind") || strcmp(event_get_str(ev, "kind"), kind))) continue;
        va_list ap;
        va_start(ap, kind);
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
    if (!ev) fail_msg("event missing");
    int n = 0;
    const float *v = event_get_floats(ev, key, &n);
    if (!v || n != want_n) fail_msg("event %s: field '%s' has %d values, want %d", ev->type, key, n, want_n);
    return v;
}

static const SafeTensor *need(const SafeTensors *f, const char *fmt, ...) {
    char name[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    const SafeTensor *t = safetensors_find(f, name);
    if (!t) fail_msg("fixture tensor '%s' missing", name);
    return t;
}

static long count_type(const Trace *t, const char *type) {
    long n = 0;
    for (long i = 0; i < trace_count(t); i++) n += !strcmp(trace_get(t, i)->type, type);
    return n;
}

static void run_case(const char *expected_file) {
    char path[1024];
    Status st = {0};
    snprintf(path, sizeof path, "%s/%s", FIXTURES, expected_file);
    SafeTensors *exp = safetensors_load(path, &st);
    if (!exp) fail_msg("%s", st.message);
    snprintf(path, sizeof path, "%s/%s", FIXTURES, safetensors_meta(exp, "model"));
    Transformer *m = transformer_load(path, &st);
    if (!m) fail_msg("%s", st.message);

    cJSON *ids = cJSON_Parse(safetensors_meta(exp, "src_ids"));
    int S = cJSON_GetArraySize(ids), src[TRANSFORMER_MAX_SOURCE];
    for (int j = 0; j < S; j++) src[j] = cJSON_GetArrayItem(ids, j)->valueint;
    cJSON_Delete(ids);
    int T = atoi(safetensors_meta(exp, "steps"));
    const TransformerConfig *c = &m->cfg;
    int d = c->d, H = c->nhead, Vt = vocab_size(m->tgt_vocab);
    compared = 0;

    /* the source text gives the same ids (tokeniser, UNK, BOS ... EOS) */
    int text_ids[TRANSFORMER_MAX_SOURCE], text_n = 0;
    if (transformer_source_ids(m, safetensors_meta(exp, "input"), text_ids, TRANSFORMER_MAX_SOURCE, &text_n, NULL, &st)) fail_msg("%s", st.message);
    assert_int_equal(text_n, S);
    for (int j = 0; j < S; j++) assert_int_equal(text_ids[j], src[j]);

    Trace *t = trace_new();
    EventSink sink = trace_sink(t);
    TransformerRun *r = transformer_run_new(m, S, 3, &st);
    assert_non_null(r);
    if (transformer_encode(m, r, src, S, &sink, &st)) fail_msg("%s", st.message);

    /* encoder */
    for (int j = 0; j < S; j++)
        expect_close(event_vector(find_event(t, "embed", "src", NULL, "pos", (long)j, NULL), "vector", d),
                     need(exp, "enc.embed")->data + j * d, d, "enc.embed", j);
    for (int l = 0; l < c->enc_layers; l++) {
        const float *xo = need(exp, "enc.x_out.l%d", l)->data, *aw = need(exp, "enc.attn.l%d", l)->data;
        for (int j = 0; j < S; j++) {
            const Event *b = find_event(t, "tfm_block", "enc", NULL, "layer", (long)l, "pos", (long)j, NULL);
            assert_string_equal(event_get_str(b, "block"), "layer");
            expect_close(event_vector(b, "x_out", d), xo + j * d, d, "enc.x_out", l);
            const float *xi = l ? need(exp, "enc.x_out.l%d", l - 1)->data : need(exp, "enc.embed")->data;
            expect_close(event_vector(b, "x_in", d), xi + j * d, d, "enc.x_in", l);
            for (int h = 0; h < H; h++)
                expect_close(event_vector(find_event(t, "tfm_attn", "enc", "self", "layer", (long)l, "head", (long)h, "pos", (long)j, NULL), "weights", S),
                             aw + (h * S + j) * S, S, "enc.attn", l);
        }
    }
    for (int j = 0; j < S; j++)
        expect_close(event_vector(find_event(t, "tfm_block", "enc", NULL, "layer", (long)c->enc_layers, "pos", (long)j, NULL), "x_out", d),
                     need(exp, "enc.memory")->data + j * d, d, "enc.memory", j);
    expect_close(transformer_memory(r), need(exp, "enc.memory")->data, S * d, "memory", 0);
    assert_int_equal(count_type(t, "tfm_attn"), (long)c->enc_layers * H * S);

    /* decoder: the greedy loop of the tutorial, single row, state updated in place */
    size_t SS = (size_t)m->state_size;
    float *state = calloc(SS * 3, sizeof(float)), *next = calloc(SS * 3, sizeof(float));
    float *logprobs = calloc((size_t)Vt * 3, sizeof(float));
    transformer_initial_state(m, r, state);
    int prev = m->bos, tokens[64], steps = 0;
    int cap = transformer_greedy_max_steps(m, S);
    for (int step = 0; step < cap; step++) {
        assert_true(step < T);
        trace_clear(t);
        if (transformer_decode_step(m, r, state, logprobs, state, &prev, NULL, 1, step, &sink, &st)) fail_msg("%s", st.message);
        assert_int_equal(transformer_state_len(m, state), step + 1);
        expect_close(event_vector(find_event(t, "embed", "tgt", NULL, "step", (long)step, NULL), "vector", d),
                     need(exp, "dec.embed")->data + step * d, d, "dec.embed", step);
        for (int l = 0; l < c->dec_layers; l++) {
            const Event *b = find_event(t, "tfm_block", "dec", NULL, "layer", (long)l, "step", (long)step, NULL);
            assert_int_equal(event_get_int(b, "pos", -1), step);
            expect_close(event_vector(b, "x_out", d), need(exp, "dec.x_out.l%d", l)->data + step * d, d, "dec.x_out", step);
            const float *ws = need(exp, "dec.self.l%d", l)->data, *wc = need(exp, "dec.cross.l%d", l)->data;
            for (int h = 0; h < H; h++) {
                expect_close(event_vector(find_event(t, "tfm_attn", "dec", "masked_self", "layer", (long)l, "head", (long)h, NULL), "weights", step + 1),
                             ws + (step * H + h) * T, step + 1, "dec.self", step);
                expect_close(event_vector(find_event(t, "tfm_attn", "dec", "cross", "layer", (long)l, "head", (long)h, NULL), "weights", S),
                             wc + (step * H + h) * S, S, "dec.cross", step);
            }
            if (l == c->dec_layers - 1) { /* the mean over heads, for alignment */
                float mean[TRANSFORMER_MAX_SOURCE];
                for (int j = 0; j < S; j++) {
                    mean[j] = 0;
                    for (int h = 0; h < H; h++) mean[j] += wc[(step * H + h) * S + j] / (float)H;
                }
                expect_close(transformer_last_cross_weights(r, 0), mean, S, "last_cross_weights", step);
            }
        }
        expect_close(event_vector(find_event(t, "tfm_block", "dec", NULL, "layer", (long)c->dec_layers, NULL), "x_out", d),
                     need(exp, "dec.out")->data + step * d, d, "dec.out", step);
        expect_close(logprobs, need(exp, "dec.logprobs")->data + step * Vt, Vt, "dec.logprobs", step);
        int tok = tensor_argmax(logprobs, Vt);
        assert_int_equal(tok, (int)need(exp, "dec.tokens")->data[step]);
        tokens[step] = tok;
        steps = step + 1;
        prev = tok;
        if (tok == m->eos) break;
    }
    assert_int_equal(steps, T);

    /* the same steps as a batch of 3 identical rows into separate buffers */
    transformer_initial_state(m, r, state);
    for (int b = 1; b < 3; b++) memcpy(state + b * SS, state, SS * sizeof(float));
    int prev3[3] = {m->bos, m->bos, m->bos};
    for (int step = 0; step < T; step++) {
        if (transformer_decode_step(m, r, next, logprobs, state, prev3, NULL, 3, step, NULL, &st)) fail_msg("%s", st.message);
        for (int b = 0; b < 3; b++) {
            expect_close(logprobs + b * Vt, need(exp, "dec.logprobs")->data + step * Vt, Vt, "batched dec.logprobs", step);
            prev3[b] = tokens[step];
        }
        float *swap = state; state = next; next = swap;
    }
    print_message("  %-40s %6d values match PyTorch\n", expected_file, compared);

    free(state);
    free(next);
    free(logprobs);
    transformer_run_free(r);
    trace_free(t);
    transformer_free(m);
    safetensors_free(exp);
}

static int is_tfm_fixture(const char *name) {
    size_t n = strlen(name);
    const char *suffix = ".greedy.safetensors";
    size_t sn = strlen(suffix);
    return !strncmp(name, "tfm-", 4) && n > sn && !strcmp(name + n - sn, suffix);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_every_fixture_matches_pytorch(void **state) {
    (void)state;
    DIR *d = opendir(FIXTURES);
    assert_non_null(d);
    char *names[64];
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 64;)
        if (is_tfm_fixture(e->d_name)) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    assert_true(n >= 3); /* post-norm, pre-norm, other head/layer counts */
    for (int i = 0; i < n; i++) {
        run_case(names[i]);
        free(names[i]);
    }
}

/* Beam-style reordering: rows copied from a parent continue exactly like the parent. */
static void test_row_reorder_continues_parent(void **unused) {
    (void)unused;
    Status st = {0};
    Transformer *m = transformer_load(FIXTURES "/tfm-post.model.safetensors", &st);
    if (!m) fail_msg("%s", st.message);
    int src[16], S;
    assert_int_equal(transformer_source_ids(m, "a b c", src, 16, &S, NULL, &st), 0);
    assert_int_equal(S, 5);
    TransformerRun *r = transformer_run_new(m, S, 2, &st);
    assert_int_equal(transformer_encode(m, r, src, S, NULL, &st), 0);
    size_t SS = (size_t)m->state_size;
    int Vt = vocab_size(m->tgt_vocab);
    float *a = calloc(SS * 2, sizeof(float)), *b = calloc(SS * 2, sizeof(float)), *lp = calloc((size_t)Vt * 2, sizeof(float));
    float *single = calloc(SS, sizeof(float)), *lp1 = calloc((size_t)Vt, sizeof(float));
    transformer_initial_state(m, r, a);
    transformer_initial_state(m, r, a + SS);
    int tok2[2] = {m->bos, m->bos};
    assert_int_equal(transformer_decode_step(m, r, b, lp, a, tok2, NULL, 2, 0, NULL, &st), 0);
    tok2[0] = 4; tok2[1] = 5; /* different histories */
    assert_int_equal(transformer_decode_step(m, r, a, lp, b, tok2, NULL, 2, 1, NULL, &st), 0);
    /* reorder: both rows now continue row 1 (history BOS 5) */
    memcpy(b, a + SS, SS * sizeof(float));
    memset(b + SS, 0x7f, SS * sizeof(float)); /* garbage beyond the copied prefix is never read */
    transformer_state_copy(m, b + SS, a + SS);
    tok2[0] = tok2[1] = 6;
    assert_int_equal(transformer_decode_step(m, r, a, lp, b, tok2, NULL, 2, 2, NULL, &st), 0);
    /* the same history decoded alone */
    transformer_initial_state(m, r, single);
    int seq[3] = {m->bos, 5, 6};
    for (int s = 0; s < 3; s++) assert_int_equal(transformer_decode_step(m, r, single, lp1, single, &seq[s], NULL, 1, s, NULL, &st), 0);
    for (int k = 0; k < Vt; k++) {
        assert_true(fabsf(lp[k] - lp1[k]) <= 1e-6f);
        assert_true(fabsf(lp[Vt + k] - lp1[k]) <= 1e-6f);
    }
    /* a full state is a user-visible error, not a crash */
    float *full = calloc(SS, sizeof(float));
    full[0] = (float)m->cfg.max_len;
    int tok = m->bos;
    assert_int_equal(transformer_decode_step(m, r, full, lp1, full, &tok, NULL, 1, 0, NULL, &st), -1);
    assert_non_null(strstr(st.message, "decoder positions"));
    tok = Vt;
    assert_int_equal(transformer_decode_step(m, r, single, lp1, single, &tok, NULL, 1, 3, NULL, &st), -1);
    assert_non_null(strstr(st.message, "outside the vocabulary"));
    free(full);
    free(a); free(b); free(lp); free(single); free(lp1);
    transformer_run_free(r);
    transformer_free(m);
}

/* ---- malformed files: copy the good model with one change, expect a specific message ---- */

typedef struct Mutation {
    const char *drop;         /* tensor left out */
    const char *reshape;      /* tensor whose first dimension loses one row */
    const char *config;       /* replacement config JSON */
    const char *add;          /* extra tensor */
    const char *expect;       /* substring of the message */
} Mutation;

static void check_mutation(const Mutation *mu) {
    Status st = {0};
    SafeTensors *f = safetensors_load(FIXTURES "/tfm-post.model.safetensors", &st);
    if (!f) fail_msg("%s", st.message);
    SafeTensorsWriter *w = safetensors_writer_new();
    for (int i = 0; i < f->count; i++) {
        const SafeTensor *t = &f->tensors[i];
        if (mu->drop && !strcmp(t->name, mu->drop)) continue;
        int64_t shape[SAFETENSORS_MAX_DIMS];
        memcpy(shape, t->shape, sizeof shape);
        if (mu->reshape && !strcmp(t->name, mu->reshape)) shape[0]--;
        assert_int_equal(safetensors_writer_add(w, t->name, t->data, t->ndim, shape, &st), 0);
    }
    if (mu->add) {
        float z[4] = {0};
        int64_t shape[1] = {4};
        assert_int_equal(safetensors_writer_add(w, mu->add, z, 1, shape, &st), 0);
    }
    for (int i = 0; i < f->meta_count; i++) {
        const char *v = f->meta_values[i];
        if (mu->config && !strcmp(f->meta_keys[i], "config")) v = mu->config;
        assert_int_equal(safetensors_writer_meta(w, f->meta_keys[i], v, &st), 0);
    }
    const char *out = ATTNSTEP_BINARY_DIR "/tfm-mutated.safetensors";
    assert_int_equal(safetensors_writer_save(w, out, &st), 0);
    safetensors_writer_free(w);
    safetensors_free(f);
    Transformer *m = transformer_load(out, &st);
    assert_null(m);
    if (!strstr(st.message, mu->expect)) fail_msg("message '%s' does not say '%s'", st.message, mu->expect);
    assert_non_null(strstr(st.message, "tfm-mutated.safetensors"));
    print_message("  %s\n", st.message);
    remove(out);
}

static void test_malformed_models(void **unused) {
    (void)unused;
    const Mutation cases[] = {
        {.drop = "transformer.decoder.layers.1.multihead_attn.out_proj.bias",
         .expect = "tensor 'transformer.decoder.layers.1.multihead_attn.out_proj.bias' [16] is missing"},
        {.drop = "transformer.encoder.norm.weight", .expect = "tensor 'transformer.encoder.norm.weight' [16] is missing"},
        {.drop = "generator.bias", .expect = "tensor 'generator.bias' [12] is missing"},
        {.reshape = "transformer.encoder.layers.1.linear2.weight",
         .expect = "tensor 'transformer.encoder.layers.1.linear2.weight' has shape [15, 32] but the model needs [16, 32]"},
        {.reshape = "transformer.decoder.layers.0.self_attn.in_proj_weight",
         .expect = "has shape [47, 16] but the model needs [48, 16]"},
        {.reshape = "positional_encoding.pos_embedding", .config = "{\"nhead\":2,\"max_len\":24}",
         .expect = "max_len must be 2..23"},
        {.config = "{\"nhead\":3}", .expect = "nhead 3 does not divide the model size d = 16"},
        {.config = "{\"norm_first\":false}", .expect = "'nhead' is missing"},
        {.config = "{\"nhead\":2,\"activation\":\"gelu\"}", .expect = "unknown key 'activation'"},
        {.config = "{\"nhead\":2,\"norm_first\":1}", .expect = "'norm_first' must be true or false"},
        {.add = "transformer.decoder.layers.0.norm4.weight", .expect = "unexpected tensor 'transformer.decoder.layers.0.norm4.weight'"},
        {.drop = "transformer.decoder.layers.0.self_attn.in_proj_weight", .expect = "transformer.decoder.layers.0.self_attn.in_proj_weight"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_mutation(&cases[i]);
}

int main(void) {
    tensor_set_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_fixture_matches_pytorch),
        cmocka_unit_test(test_row_reorder_continues_parent),
        cmocka_unit_test(test_malformed_models),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
