/* test_timeline.c — the timeline/state logic over committed traces of trained models:
 * positions, phase order, visibility, decoder-step jumps, the beam focus path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "gui.h"

static void load(GuiState *g, const char *name) {
    char path[1024];
    Status st = {{0}};
    gui_state_init(g);
    snprintf(path, sizeof path, "%s/tests/render/traces/%s.jsonl", ATTNSTEP_SOURCE_DIR, name);
    if (gui_load_trace(g, path, &st)) fail_msg("%s", st.message);
}

static void test_greedy_positions(void **state) {
    (void)state;
    GuiState g;
    load(&g, "reverse-tutorial-greedy");
    const TraceIndex *ix = &g.ix;
    assert_int_equal(ix->S, 10); /* 9 symbols + <eos> */
    assert_int_equal(ix->n_enc, 10);
    assert_false(ix->is_beam);
    /* Bahdanau order: energies, weights, context, decoder, output, chosen */
    assert_int_equal(ix->phase_order[PH_ENERGY], 0);
    assert_int_equal(ix->phase_order[PH_WEIGHTS], 1);
    assert_int_equal(ix->phase_order[PH_CONTEXT], 2);
    assert_int_equal(ix->phase_order[PH_DECODER], 3);
    assert_int_equal(ix->phase_order[PH_OUTPUT], 4);
    assert_int_equal(ix->phase_order[PH_CHOSEN], 5);
    assert_int_equal(ix->phase_order[PH_EXPAND], -1);
    assert_int_equal(ix->n_pos, 2 + ix->n_enc + 6 * ix->n_steps);
    assert_int_equal(ix->pos[0].phase, PH_START);
    assert_int_equal(ix->pos[1].phase, PH_ENC);
    assert_int_equal(ix->pos[ix->n_pos - 1].phase, PH_END);
    /* the chosen tokens spell the output */
    char out[256] = "";
    for (int s = 0; s < ix->n_steps; s++) {
        assert_non_null(ix->steps[s].attn);
        assert_non_null(ix->steps[s].output);
        const char *tk = ix->steps[s].chosen_token;
        assert_non_null(tk);
        if (strcmp(tk, "<eos>")) { if (*out) strcat(out, " "); strcat(out, tk); }
    }
    assert_string_equal(out, event_get_str(ix->run_end, "output"));
    gui_state_free(&g);
}

static void test_visibility_is_monotone(void **state) {
    (void)state;
    GuiState g;
    load(&g, "reverse-tutorial-greedy");
    const TraceIndex *ix = &g.ix;
    for (int s = 0; s < ix->n_steps; s++)
        for (int ph = PH_ENERGY; ph <= PH_CHOSEN; ph++) {
            if (ix->phase_order[ph] < 0) continue;
            int seen = 0;
            for (int p = 0; p < ix->n_pos; p++) {
                int v = tl_shown(ix, p, s, (Phase)ph);
                if (seen) assert_true(v); /* once shown, stays shown */
                seen |= v;
            }
            assert_true(seen);
        }
    for (int i = 0; i < ix->n_enc; i++) {
        assert_false(tl_enc_shown(ix, 0, i));
        assert_true(tl_enc_shown(ix, 1 + i, i));
        if (i + 1 < ix->n_enc) assert_false(tl_enc_shown(ix, 1 + i, i + 1));
    }
    /* exactly the position of a phase reveals it */
    int p = 1 + ix->n_enc + 1; /* step 0, weights */
    assert_int_equal(ix->pos[p].phase, PH_WEIGHTS);
    assert_true(tl_shown(ix, p, 0, PH_WEIGHTS));
    assert_false(tl_shown(ix, p, 0, PH_CONTEXT));
    assert_false(tl_shown(ix, p, 1, PH_ENERGY));
    gui_state_free(&g);
}

static void test_step_jumps(void **state) {
    (void)state;
    GuiState g;
    load(&g, "reverse-tutorial-greedy");
    const TraceIndex *ix = &g.ix;
    int first_dec = 1 + ix->n_enc;
    assert_int_equal(tl_next_step(ix, 0), first_dec);
    assert_int_equal(tl_next_step(ix, 3), first_dec);
    assert_int_equal(tl_next_step(ix, first_dec), first_dec + 6);
    assert_int_equal(tl_next_step(ix, first_dec + 2), first_dec + 6);
    assert_int_equal(tl_prev_step(ix, first_dec + 8), first_dec + 6);
    assert_int_equal(tl_prev_step(ix, first_dec + 6), first_dec);
    assert_int_equal(tl_next_step(ix, ix->n_pos - 1), ix->n_pos - 1);
    assert_int_equal(tl_prev_step(ix, 0), 0);
    /* GuiState stepping clamps */
    gui_set_pos(&g, 0);
    gui_step(&g, -1);
    assert_int_equal(g.pos, 0);
    gui_step_decoder(&g, 1);
    assert_int_equal(g.pos, first_dec);
    gui_set_pos(&g, 1 << 20);
    assert_int_equal(g.pos, ix->n_pos - 1);
    assert_int_equal(tl_parse_pos(ix, "end"), ix->n_pos - 1);
    assert_int_equal(tl_parse_pos(ix, "-1"), ix->n_pos - 1);
    assert_int_equal(tl_parse_pos(ix, "0"), 0);
    assert_int_equal(tl_parse_pos(ix, "99999"), -1);
    assert_int_equal(tl_parse_pos(ix, "x"), -1);
    gui_state_free(&g);
}

static void test_beam_focus_path(void **state) {
    (void)state;
    GuiState g;
    load(&g, "reverse-tutorial-beam3");
    const TraceIndex *ix = &g.ix;
    assert_true(ix->is_beam);
    assert_int_equal(ix->beam_size, 3);
    assert_true(ix->phase_order[PH_EXPAND] >= 0);
    assert_true(ix->phase_order[PH_EXPAND] < ix->phase_order[PH_CHOSEN]);
    assert_true(ix->n_hyps > 0);
    /* the focus hypothesis of step s+1 is a kept child of the focus of step s */
    char out[256] = "";
    for (int s = 0; s < ix->n_steps; s++) {
        const TlStep *ts = &ix->steps[s];
        if (ts->beam < 0) break;
        assert_non_null(ts->attn);
        if (s + 1 < ix->n_steps && ix->steps[s + 1].beam >= 0) {
            int found = 0;
            for (int i = 0; i < ix->n_hyps; i++)
                if (ix->hyps[i].id == ix->steps[s + 1].beam) {
                    assert_int_equal(ix->hyps[i].parent, ts->beam);
                    assert_int_equal(ix->hyps[i].status, TL_KEPT);
                    assert_true(ix->hyps[i].on_best);
                    found = 1;
                }
            assert_true(found);
        }
        assert_non_null(ts->chosen_token);
        if (strcmp(ts->chosen_token, "<eos>")) { if (*out) strcat(out, " "); strcat(out, ts->chosen_token); }
    }
    assert_string_equal(out, event_get_str(ix->run_end, "output"));
    /* kept nodes per step never exceed k */
    for (int s = 0; s < ix->n_steps; s++) {
        int kept = 0;
        for (int i = 0; i < ix->n_hyps; i++) kept += ix->hyps[i].step == s && ix->hyps[i].status == TL_KEPT;
        assert_true(kept <= 3);
    }
    gui_state_free(&g);
}

static void test_bad_traces(void **state) {
    (void)state;
    Trace *t = trace_new();
    Status st = {{0}};
    TraceIndex ix;
    assert_int_equal(tl_build(&ix, t, &st), -1); /* no run event */
    assert_non_null(strstr(st.message, "run"));
    tl_free(&ix);
    tl_free(NULL);
    trace_free(t);
    GuiState g;
    gui_state_init(&g);
    assert_int_equal(gui_load_trace(&g, "/nonexistent/trace.jsonl", &st), -1);
    gui_state_free(&g);
}

static void test_export(void **state) {
    (void)state;
    GuiState g;
    load(&g, "reverse-tutorial-greedy");
    char jp[1024], cp[1024];
    snprintf(jp, sizeof jp, "%s/test_timeline_export.jsonl", ATTNSTEP_BINARY_DIR);
    snprintf(cp, sizeof cp, "%s/test_timeline_export.csv", ATTNSTEP_BINARY_DIR);
    Status st = {{0}};
    assert_int_equal(gui_export(&g, jp, cp, &st), 0);
    FILE *f = fopen(cp, "r");
    assert_non_null(f);
    char line[4096];
    int rows = 0;
    while (fgets(line, sizeof line, f)) rows++;
    fclose(f);
    assert_int_equal(rows, 1 + g.ix.n_steps);
    /* the JSONL re-reads into the same positions */
    GuiState h;
    gui_state_init(&h);
    assert_int_equal(gui_load_trace(&h, jp, &st), 0);
    assert_int_equal(h.ix.n_pos, g.ix.n_pos);
    gui_state_free(&h);
    gui_state_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greedy_positions), cmocka_unit_test(test_visibility_is_monotone),
        cmocka_unit_test(test_step_jumps),       cmocka_unit_test(test_beam_focus_path),
        cmocka_unit_test(test_bad_traces),       cmocka_unit_test(test_export),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
