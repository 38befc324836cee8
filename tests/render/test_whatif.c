/* test_whatif.c — what-if from the GUI state is the core's forced-prefix decode: forcing a
 * token at step s (gui_whatif, the path of the click in view 3 or the F key in view 6)
 * gives a trace byte-identical to decode_run with force_prefix = the shown path's first s
 * tokens + that token; on the shipped beam-beats-greedy example forcing "des" at step 3
 * makes greedy find beam's output; the comparison partner is decoded alongside; beam
 * controls re-decode with the chosen options; bad requests get clear messages. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compare.h"
#include "gui.h"
#include "render_util.h"

#define SENTENCE "<2fr> the pages of the films worked in june ."

static void open_model(GuiState *g, int beam) {
    Status st = {{0}};
    gui_state_init(g);
    char path[1024];
    snprintf(path, sizeof path, "%s/assets/models/en-fr-es-luong-lstm.safetensors", ATTNSTEP_SOURCE_DIR);
    if (gui_load_model(g, path, &st)) fail_msg("%s", st.message);
    snprintf(g->input, sizeof g->input, "%s", SENTENCE);
    g->beam = beam;
    if (gui_run_model(g, &st)) fail_msg("%s", st.message);
}

/* JSONL text of a trace (malloc'd). */
static char *jsonl(const Trace *t) {
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    Status st = {{0}};
    if (!f || trace_write_jsonl(t, f, &st)) fail_msg("write: %s", st.message);
    fclose(f);
    return buf;
}

/* The core's own forced-prefix decode with the GUI's options, on its own copy of the model. */
static char *core_forced(const GuiState *g, const int *prefix, int n) {
    DecodeOptions o;
    gui_decode_options(g, &o);
    memcpy(o.force_prefix, prefix, (size_t)n * sizeof *prefix);
    o.force_prefix_len = n;
    Status st = {{0}};
    char path[1024];
    snprintf(path, sizeof path, "%s/assets/models/en-fr-es-luong-lstm.safetensors", ATTNSTEP_SOURCE_DIR);
    Seq2Seq *m = seq2seq_load(path, &st);
    if (!m) fail_msg("%s", st.message);
    int ids[SEQ2SEQ_MAX_SOURCE], S = 0;
    if (seq2seq_source_ids(m, SENTENCE, ids, SEQ2SEQ_MAX_SOURCE, &S, NULL, &st)) fail_msg("%s", st.message);
    Trace *t = trace_new();
    EventSink sink = trace_sink(t);
    DecodeResult res;
    if (decode_run(m, ids, S, &o, &sink, &res, &st)) fail_msg("%s", st.message);
    decode_result_free(&res);
    char *s = jsonl(t);
    trace_free(t);
    seq2seq_free(m);
    return s;
}

static int tid(const GuiState *g, const char *tok) {
    int id = vocab_id(g->model->tgt_vocab, tok);
    if (id < 0) fail_msg("no token %s", tok);
    return id;
}

static void test_greedy_whatif_is_forced_prefix(void **state) {
    (void)state;
    GuiState g;
    open_model(&g, 0);
    assert_false(g.ix.is_beam);
    assert_true(g.have_alt);            /* beam k = 5 alongside */
    assert_true(g.alt_ix.is_beam);
    assert_int_equal(g.alt_ix.beam_size, 5);
    assert_string_equal(event_get_str(g.ix.run_end, "output"), "les pages du films ont travaillé en juin .");
    Status st = {{0}};
    int des = tid(&g, "des");
    assert_int_equal(gui_whatif(&g, 2, des, &st), 0);
    assert_true(g.have_whatif);
    assert_int_equal(g.whatif_step, 2);
    int prefix[3] = {tid(&g, "les"), tid(&g, "pages"), des};
    char *want = core_forced(&g, prefix, 3), *got = jsonl(g.whatif_trace);
    assert_string_equal(got, want);
    free(want);
    free(got);
    /* forcing "des" makes greedy find beam's (better) output */
    assert_string_equal(event_get_str(g.whatif_ix.run_end, "output"), "les pages des films ont travaillé en juin .");
    CmpPath *p = calloc(2, sizeof *p);
    assert_int_equal(cmp_greedy_path(&g.whatif_ix, &p[0]), 0);
    assert_int_equal(cmp_greedy_path(&g.ix, &p[1]), 0);
    assert_float_equal(p[0].logprob, -0.8382, 1e-3);
    assert_true(p[0].logprob > p[1].logprob + 0.5);
    assert_string_equal(p[0].tok[2], "des");
    free(p);
    /* the click path: a pick in view 3 runs the same what-if, the status line has the difference */
    gui_whatif_reset(&g);
    assert_false(g.have_whatif);
    g.pick = (ViewPick){PICK_TOKEN, 2, des, -1, 0};
    gui_apply_pick(&g);
    assert_true(g.have_whatif);
    assert_false(g.message_error);
    assert_non_null(strstr(g.message, "+0.56"));
    /* bad requests */
    assert_int_equal(gui_whatif(&g, g.ix.n_steps, des, &st), -1);
    assert_non_null(strstr(st.message, "outside the decode"));
    assert_int_equal(gui_whatif(&g, 1, vocab_size(g.model->tgt_vocab), &st), -1);
    assert_non_null(strstr(st.message, "not in the model's target vocabulary"));
    assert_int_equal(gui_whatif(&g, -1, des, &st), -1);
    /* a new run forgets the what-if */
    assert_int_equal(gui_run_model(&g, &st), 0);
    assert_false(g.have_whatif);
    gui_state_free(&g);
}

static void test_beam_whatif_from_selected_node(void **state) {
    (void)state;
    GuiState g;
    open_model(&g, 5);
    assert_true(g.ix.is_beam);
    assert_true(g.have_alt);
    assert_false(g.alt_ix.is_beam);
    /* select the pruned candidate "d'" of step 3 ... */
    int node = -1;
    for (int i = 0; i < g.ix.n_hyps; i++)
        if (g.ix.hyps[i].step == 2 && !strcmp(g.ix.hyps[i].token_str, "d'") && g.ix.hyps[i].status == TL_KEPT) node = i;
    assert_true(node >= 0);
    Status st = {{0}};
    assert_int_equal(gui_select_node(&g, node, &st), 0);
    /* ... and force it (the F key) */
    g.pick = (ViewPick){PICK_TOKEN, g.ix.hyps[node].step, g.ix.hyps[node].token, -1, 0};
    gui_apply_pick(&g);
    assert_true(g.have_whatif);
    assert_true(g.whatif_ix.is_beam);
    int prefix[3] = {tid(&g, "les"), tid(&g, "pages"), tid(&g, "d'")};
    char *want = core_forced(&g, prefix, 3), *got = jsonl(g.whatif_trace);
    assert_string_equal(got, want);
    free(want);
    free(got);
    const char *out = event_get_str(g.whatif_ix.run_end, "output");
    assert_int_equal(strncmp(out, "les pages d' ", 12), 0);
    gui_state_free(&g);
}

static void test_controls_redecode(void **state) {
    (void)state;
    GuiState g;
    open_model(&g, 5);
    Status st = {{0}};
    /* n-best, length penalty and blocking reach the decoder */
    g.nbest = 4;
    g.lenpen = LENPEN_GNMT;
    g.alpha = 1.0f;
    g.no_repeat = 2;
    g.min_len = 3;
    assert_int_equal(gui_run_model(&g, &st), 0);
    assert_string_equal(event_get_str(g.ix.run, "lenpen"), "gnmt");
    assert_int_equal(event_get_int(g.ix.run, "nbest", 0), 4);
    assert_int_equal(event_get_int(g.ix.run, "no_repeat_ngram", 0), 2);
    assert_int_equal(event_get_int(g.ix.run, "min_len", 0), 3);
    int nb = 0;
    event_get_strs(g.ix.run_end, "nbest", &nb);
    assert_int_equal(nb, 4);
    /* the greedy partner shares the length limits, not the beam options */
    assert_string_equal(event_get_str(g.alt_ix.run, "strategy"), "greedy");
    g.max_len = 6;
    assert_int_equal(gui_run_model(&g, &st), 0);
    assert_int_equal(event_get_int(g.ix.run, "max_len", 0), 6);
    assert_int_equal(event_get_int(g.alt_ix.run, "max_len", 0), 6);
    assert_true(g.alt_ix.n_steps <= 6);
    g.max_len = 0;
    /* n-best above k is clamped, not an error */
    g.nbest = 9;
    assert_int_equal(gui_run_model(&g, &st), 0);
    event_get_strs(g.ix.run_end, "nbest", &nb);
    assert_int_equal(nb, 5);
    /* an impossible minimum length is refused with the core's message; the old trace stays */
    g.min_len = 5000;
    const Trace *before = g.trace;
    assert_int_equal(gui_run_model(&g, &st), -1);
    assert_non_null(strstr(st.message, "min-len"));
    assert_ptr_equal(g.trace, before);
    gui_state_free(&g);
}

static void test_whatif_needs_model(void **state) {
    (void)state;
    GuiState g;
    gui_state_init(&g);
    Status st = {{0}};
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/render/traces/en-fr-es-luong-lstm-greedy.jsonl", ATTNSTEP_SOURCE_DIR);
    assert_int_equal(gui_load_trace(&g, path, &st), 0);
    assert_int_equal(gui_whatif(&g, 1, 5, &st), -1);
    assert_non_null(strstr(st.message, "needs a model"));
    g.pick = (ViewPick){PICK_TOKEN, 1, 5, -1, 0};
    gui_apply_pick(&g);
    assert_true(g.message_error);
    gui_state_free(&g);
}

static void test_attention_whatif_is_override(void **state) {
    (void)state;
    GuiState g;
    open_model(&g, 0);
    Status st = {{0}};
    float w[11] = {0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0}; /* step 3 looks at the second "the" only (renormalised to 1) */
    assert_int_equal(gui_whatif_attention(&g, 2, w, 11, &st), 0);
    assert_true(g.have_whatif);
    assert_int_equal(g.whatif_token, -1);
    assert_int_equal(g.whatif_step, 2);
    /* the core's own decode: forced "les pages", override at step 2 */
    DecodeOptions o;
    gui_decode_options(&g, &o);
    o.force_prefix[0] = tid(&g, "les");
    o.force_prefix[1] = tid(&g, "pages");
    o.force_prefix_len = 2;
    float one[11] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    o.override_step = 2;
    o.override_weights = one;
    o.override_len = 11;
    char path[1024];
    snprintf(path, sizeof path, "%s/assets/models/en-fr-es-luong-lstm.safetensors", ATTNSTEP_SOURCE_DIR);
    Seq2Seq *m = seq2seq_load(path, &st);
    assert_non_null(m);
    int ids[SEQ2SEQ_MAX_SOURCE], S = 0;
    assert_int_equal(seq2seq_source_ids(m, SENTENCE, ids, SEQ2SEQ_MAX_SOURCE, &S, NULL, &st), 0);
    Trace *t = trace_new();
    EventSink sink = trace_sink(t);
    DecodeResult res;
    assert_int_equal(decode_run(m, ids, S, &o, &sink, &res, &st), 0);
    decode_result_free(&res);
    char *want = jsonl(t), *got = jsonl(g.whatif_trace);
    assert_string_equal(got, want);
    free(want);
    free(got);
    trace_free(t);
    seq2seq_free(m);
    /* the overridden step's attention event holds the new weights */
    const Event *a = g.whatif_ix.steps[2].attn;
    assert_non_null(a);
    int nw = 0;
    const float *wt = event_get_floats(a, "weights", &nw);
    assert_int_equal(nw, 11);
    assert_float_equal(wt[4], 1.0, 1e-6);
    assert_float_equal(wt[3], 0.0, 1e-6);
    assert_string_not_equal(event_get_str(g.whatif_ix.run_end, "output"), event_get_str(g.ix.run_end, "output"));
    /* bad weights */
    float neg[11] = {0, 0, 0, -1, 2, 0, 0, 0, 0, 0, 0}, zero[11] = {0};
    assert_int_equal(gui_whatif_attention(&g, 2, neg, 11, &st), -1);
    assert_non_null(strstr(st.message, "must be >= 0"));
    assert_int_equal(gui_whatif_attention(&g, 2, zero, 11, &st), -1);
    assert_non_null(strstr(st.message, "all zero"));
    assert_int_equal(gui_whatif_attention(&g, 2, w, 10, &st), -1);
    assert_non_null(strstr(st.message, "10 weights for 11 source positions"));
    assert_int_equal(gui_whatif_attention(&g, 99, w, 11, &st), -1);
    assert_non_null(strstr(st.message, "outside the decode"));
    w[0] = NAN;
    assert_int_equal(gui_whatif_attention(&g, 2, w, 11, &st), -1);
    gui_state_free(&g);
}

/* ---- the click paths, through the real frame code (gui_frame), as the window runs them ---- */
static void frame(Renderer *r, GuiState *g, float mx, float my, int pressed) {
    UiInput in = {mx, my, pressed, pressed, 0};
    draw_begin(&r->dl, font_measure, r->fonts, mx, my);
    gui_frame(g, &r->dl, r->w, r->h, &in);
    if (g->action == ACT_RUN) {
        Status st = {{0}};
        if (gui_run_model(g, &st)) fail_msg("%s", st.message);
    }
}

/* First mouse position over the view area where the view offers a pick of `kind`. */
static int find_pick(Renderer *r, GuiState *g, PickKind kind, float *fx, float *fy) {
    for (float y = 120; y < r->h - 80; y += 5)
        for (float x = 5; x < r->w; x += 5) {
            frame(r, g, x, y, 0);
            if (g->pick.kind == kind) { *fx = x; *fy = y; return 1; }
        }
    return 0;
}

static void test_clicks(void **state) {
    (void)state;
    (void)ru_frame; /* render_util.h helpers this file does not need */
    (void)ru_load;
    Renderer r;
    if (ru_open(&r, 1024, 576)) fail_msg("renderer");
    /* view 3: clicking a candidate bar runs the what-if for that step and token */
    GuiState g;
    open_model(&g, 0);
    g.view = VIEW_SEQ2SEQ;
    g.pos = g.ix.n_pos - 1;
    float x = 0, y = 0;
    assert_true(find_pick(&r, &g, PICK_TOKEN, &x, &y));
    ViewPick p = g.pick;
    assert_int_not_equal(p.token, g.ix.steps[p.step].chosen); /* the chosen one is not offered */
    assert_false(g.have_whatif);
    frame(&r, &g, x, y, 1);
    assert_true(g.have_whatif);
    assert_int_equal(g.whatif_step, p.step);
    assert_int_equal(g.whatif_ix.steps[p.step].chosen, p.token);
    assert_non_null(strstr(g.message, "what-if"));
    /* R resets (the app's key handler calls this) */
    gui_whatif_reset(&g);
    assert_false(g.have_whatif);
    /* view 7: the controls strip's first button is k "-": the comparison beam re-decodes with k = 4 */
    g.view = VIEW_COMPARE;
    int k0 = g.cmp_beam, hit = 0;
    for (float xx = 2; xx < 200 && !hit; xx += 2) {
        frame(&r, &g, xx, 97, 1);
        hit = g.cmp_beam != k0;
    }
    assert_true(hit);
    assert_int_equal(g.cmp_beam, k0 - 1);
    assert_true(g.have_alt);
    assert_int_equal(g.alt_ix.beam_size, k0 - 1);
    gui_state_free(&g);
    /* view 6: clicking a node selects it */
    open_model(&g, 5);
    g.view = VIEW_BEAM;
    g.pos = g.ix.n_pos - 1;
    assert_true(find_pick(&r, &g, PICK_NODE, &x, &y));
    p = g.pick;
    frame(&r, &g, x, y, 1);
    assert_int_equal(g.ix.sel_node, p.node);
    assert_true(g.ix.hyps[p.node].on_sel);
    assert_non_null(strstr(g.message, "selected"));
    gui_state_free(&g);
    /* view 4: drag an attention weight up and release: the decode continues with the dragged,
     * renormalised weights at that step (the core's attention override) */
    open_model(&g, 0);
    g.view = VIEW_ATTENTION;
    g.pos = ru_find_pos(&g.ix, 2, PH_CONTEXT, 0);
    assert_true(g.pos >= 0);
    assert_true(find_pick(&r, &g, PICK_WEIGHT, &x, &y));
    p = g.pick;
    assert_int_equal(p.step, 2);
    frame(&r, &g, x, y, 1); /* press: the drag starts at the bar's own height under the mouse */
    assert_int_equal(g.drag_j, p.token);
    UiInput held = {x, y - 30, 1, 0, 0};
    draw_begin(&r.dl, font_measure, r.fonts, held.mx, held.my);
    gui_frame(&g, &r.dl, r.w, r.h, &held); /* move while held: the weight follows the mouse */
    int n = 0;
    const float *w0 = event_get_floats(g.ix.steps[2].attn, "weights", &n);
    float sum = 0, dragged = g.drag_weights[p.token];
    for (int j = 0; j < n; j++) sum += g.drag_weights[j];
    assert_float_equal(sum, 1.0f, 1e-5);
    assert_true(dragged > w0[p.token] + 0.05f || dragged >= 0.999f);
    float want[MODEL_MAX_SOURCE];
    memcpy(want, g.drag_weights, (size_t)n * sizeof *want);
    assert_false(g.have_whatif);
    UiInput up = {x, y - 30, 0, 0, 0};
    draw_begin(&r.dl, font_measure, r.fonts, up.mx, up.my);
    gui_frame(&g, &r.dl, r.w, r.h, &up); /* release: decode */
    assert_int_equal(g.drag_j, -1);
    assert_true(g.have_whatif);
    assert_int_equal(g.whatif_token, -1);
    assert_int_equal(g.whatif_step, 2);
    int nw = 0;
    const float *got = event_get_floats(g.whatif_ix.steps[2].attn, "weights", &nw);
    assert_int_equal(nw, n);
    for (int j = 0; j < n; j++) assert_float_equal(got[j], want[j], 1e-6);
    assert_non_null(strstr(g.message, "what-if: attention at step 3"));
    gui_state_free(&g);
    ru_close(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greedy_whatif_is_forced_prefix),
        cmocka_unit_test(test_beam_whatif_from_selected_node),
        cmocka_unit_test(test_controls_redecode),
        cmocka_unit_test(test_whatif_needs_model),
        cmocka_unit_test(test_clicks),
        cmocka_unit_test(test_attention_whatif_is_override),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
