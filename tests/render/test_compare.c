/* test_compare.c — greedy vs beam (view 7), the beam tree with the greedy overlay and node
 * selection, on the shipped example where beam beats greedy (en-fr-es-luong-lstm, "<2fr>
 * the pages of the films worked in june .", tests/cli/test_compare_beam_wins.sh): the
 * paths read out of the traces carry the values the CLI prints, the exports hold them, a
 * selected node drives the per-step views, and golden images of views 7 and 6 (same
 * tolerance as test_render_golden.c; ATTNSTEP_UPDATE_GOLDEN=1 rewrites them; the actual
 * image goes to <build>/render-actual/ on failure). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <SDL2/SDL_image.h>
#include <cjson/cJSON.h>

#include "compare.h"
#include "render_util.h"

#define W 1024
#define H 576
#define BEAM "en-fr-es-luong-lstm-beam5"
#define GREEDY "en-fr-es-luong-lstm-greedy"

typedef struct Case Case;
static int find_pos(const TraceIndex *ix, const Case *c);

/* main trace + its partner */
static void load_pair(GuiState *g, const char *main, const char *alt) {
    if (ru_load(g, main)) fail_msg("cannot load %s", main);
    char path[1024];
    Status st = {{0}};
    snprintf(path, sizeof path, "%s/tests/render/traces/%s.jsonl", ATTNSTEP_SOURCE_DIR, alt);
    if (gui_load_alt_trace(g, path, &st)) fail_msg("%s", st.message);
}

static int node_of(const TraceIndex *ix, int step, const char *tok, int parent_on_greedy) {
    for (int i = 0; i < ix->n_hyps; i++) {
        const TlHyp *h = &ix->hyps[i];
        if (h->step == step && !strcmp(h->token_str, tok) && (!parent_on_greedy || h->on_greedy)) return i;
    }
    return -1;
}

static void test_paths(void **state) {
    (void)state;
    GuiState g;
    load_pair(&g, BEAM, GREEDY);
    CmpPath *p = calloc(5, sizeof *p);
    assert_non_null(p);
    assert_int_equal(cmp_greedy_path(&g.alt_ix, &p[0]), 0);
    assert_int_equal(cmp_beam_paths(&g.ix, &p[1], 3), 3);
    assert_int_equal(cmp_greedy_path(&g.ix, &p[4]), -1); /* a beam trace has no greedy path */
    /* greedy: "les pages du films ont travaillé en juin ." + <eos>, 10 steps */
    assert_int_equal(p[0].n, 10);
    assert_true(p[0].finished);
    assert_string_equal(p[0].tok[2], "du");
    assert_string_equal(p[0].text, "les pages du films ont travaillé en juin .");
    assert_float_equal(p[0].logprob, -1.4076, 1e-4);
    assert_float_equal(p[0].cum[p[0].n - 1], p[0].logprob, 1e-4); /* the running sum is the run's log-prob */
    assert_float_equal(p[0].cum[2], -0.8154, 1e-4);
    /* beam best: "des", the reference translation */
    assert_int_equal(p[1].n, 10);
    assert_string_equal(p[1].tok[2], "des");
    assert_string_equal(p[1].text, "les pages des films ont travaillé en juin .");
    assert_float_equal(p[1].logprob, -0.8382, 1e-4);
    assert_float_equal(p[1].cum[9], p[1].logprob, 1e-5);
    assert_float_equal(p[1].cum[2], -0.8320, 1e-4);
    /* beam's second best is greedy's output, third "d' les" */
    assert_string_equal(p[2].text, p[0].text);
    assert_float_equal(p[2].logprob, p[0].logprob, 1e-4);
    assert_string_equal(p[3].text, "les pages d' les films ont travaillé en juin .");
    assert_int_equal(p[3].n, 11);
    for (int k = 1; k < 3; k++) assert_true(p[k].logprob >= p[k + 1].logprob);
    /* the divergence: greedy ahead at step 2 (locally best token), behind from step 3 */
    assert_int_equal(cmp_divergence(&p[0], &p[1]), 2);
    assert_int_equal(cmp_divergence(&p[0], &p[2]), -1);
    assert_true(p[0].cum[2] > p[1].cum[2]);
    assert_true(p[0].token_lp[2] > p[1].token_lp[2]);
    assert_true(p[0].cum[3] < p[1].cum[3] - 0.5);
    assert_true(p[1].logprob > p[0].logprob); /* strictly */
    free(p);
    gui_state_free(&g);
}

static void test_greedy_overlay_and_selection(void **state) {
    (void)state;
    GuiState g;
    load_pair(&g, BEAM, GREEDY);
    TraceIndex *ix = &g.ix;
    /* the greedy overlay follows greedy's tokens while they stay in the beam */
    CmpPath *gp = calloc(1, sizeof *gp);
    assert_non_null(gp);
    assert_int_equal(cmp_greedy_path(&g.alt_ix, gp), 0);
    for (int s = 0; s < gp->n; s++) {
        int found = 0;
        for (int i = 0; i < ix->n_hyps; i++)
            if (ix->hyps[i].step == s && ix->hyps[i].on_greedy) { assert_int_equal(ix->hyps[i].token, gp->token[s]); found++; }
        assert_int_equal(found, 1);
    }
    /* the best path shows "des" at step 2 */
    assert_int_equal(ix->sel_node, -1);
    assert_string_equal(ix->steps[2].chosen_token, "des");
    int best_parent = ix->steps[3].beam;
    /* select greedy's "du" node: the per-step views follow it */
    int du = node_of(ix, 2, "du", 1);
    assert_true(du >= 0);
    Status st = {{0}};
    assert_int_equal(gui_select_node(&g, du, &st), 0);
    assert_int_equal(ix->sel_node, du);
    assert_string_equal(ix->steps[2].chosen_token, "du");
    assert_string_equal(ix->steps[0].chosen_token, "les");
    assert_int_equal(ix->steps[2].beam, ix->hyps[du].parent);
    assert_non_null(ix->steps[2].attn);
    assert_int_equal(event_get_int(ix->steps[2].attn, "beam", -1), ix->hyps[du].parent);
    assert_int_equal(ix->steps[3].beam, -1); /* after the node: no focus */
    assert_true(ix->hyps[du].on_sel);
    /* select a node deeper on greedy's path (step 5) */
    int deep = node_of(ix, 5, gp->tok[5], 1);
    assert_true(deep >= 0);
    assert_int_equal(gui_select_node(&g, deep, &st), 0);
    assert_string_equal(ix->steps[2].chosen_token, "du");
    assert_int_equal(ix->steps[3].beam, ix->hyps[node_of(ix, 2, "du", 1)].id);
    /* back to the best */
    assert_int_equal(gui_select_node(&g, -1, &st), 0);
    assert_string_equal(ix->steps[2].chosen_token, "des");
    assert_int_equal(ix->steps[3].beam, best_parent);
    /* bad input */
    assert_int_equal(gui_select_node(&g, ix->n_hyps, &st), -1);
    assert_non_null(strstr(st.message, "no tree node"));
    GuiState gg;
    if (ru_load(&gg, GREEDY)) fail_msg("load");
    assert_int_equal(gui_select_node(&gg, 0, &st), -1);
    assert_non_null(strstr(st.message, "beam-search trace"));
    gui_state_free(&gg);
    free(gp);
    gui_state_free(&g);
}

/* --no-repeat-ngram 2 on "a b a b a b" (reverse model): reversing would repeat "b a", so the
 * tree has blocked candidates, drawn dashed in red, struck through, with the n-gram tag
 * (golden beam-blocked-dec4-light). */
static void test_blocked(void **state) {
    (void)state;
    GuiState g;
    if (ru_load(&g, "reverse-tutorial-beam3norepeat")) fail_msg("load");
    int blocked = 0;
    for (int i = 0; i < g.ix.n_hyps; i++)
        if (g.ix.hyps[i].status == TL_BLOCKED) {
            blocked++;
            assert_string_equal(g.ix.hyps[i].reason, "blocked_ngram");
            assert_int_equal(g.ix.hyps[i].rank, -1);
        }
    assert_true(blocked > 0);
    assert_string_equal(event_get_str(g.ix.run_end, "output"), "b a a b o a");
    gui_state_free(&g);
}

static void test_alt_must_match(void **state) {
    (void)state;
    GuiState g;
    if (ru_load(&g, BEAM)) fail_msg("load");
    char path[1024];
    Status st = {{0}};
    snprintf(path, sizeof path, "%s/tests/render/traces/reverse-tutorial-greedy.jsonl", ATTNSTEP_SOURCE_DIR);
    assert_int_equal(gui_load_alt_trace(&g, path, &st), -1);
    assert_non_null(strstr(st.message, "source differs"));
    assert_false(g.have_alt);
    assert_int_equal(gui_load_alt_trace(&g, "/nonexistent/x.jsonl", &st), -1);
    assert_non_null(strstr(st.message, "cannot open"));
    gui_state_free(&g);
}

static void test_exports(void **state) {
    (void)state;
    GuiState g;
    load_pair(&g, BEAM, GREEDY);
    char csv[1024], json[1024];
    snprintf(csv, sizeof csv, "%s/compare-test.csv", ATTNSTEP_BINARY_DIR);
    snprintf(json, sizeof json, "%s/compare-test-tree.json", ATTNSTEP_BINARY_DIR);
    Status st = {{0}};
    assert_int_equal(gui_export_compare(&g, csv, json, &st), 0);
    char *c = ru_read_file(csv);
    assert_non_null(c);
    assert_non_null(strstr(c, "step,greedy_token,greedy_token_logprob,greedy_cum_logprob,beam_1_token"));
    assert_non_null(strstr(c, "\n2,\"du\","));
    assert_non_null(strstr(c, ",\"des\","));
    assert_non_null(strstr(c, "\ntotal,\"les pages du films ont travaillé en juin .\",,-1.4075"));
    assert_non_null(strstr(c, ",2\n")); /* the divergence step ends the totals row */
    free(c);
    char *j = ru_read_file(json);
    assert_non_null(j);
    cJSON *root = cJSON_Parse(j);
    assert_non_null(root);
    cJSON *nodes = cJSON_GetObjectItem(root, "nodes");
    assert_int_equal(cJSON_GetArraySize(nodes), g.ix.n_hyps + 1);
    /* every kept node's parent is a node; the best path reaches the root */
    int kept = 0;
    for (int i = 0; i < cJSON_GetArraySize(nodes); i++) {
        cJSON *n = cJSON_GetArrayItem(nodes, i);
        int parent = cJSON_GetObjectItem(n, "parent")->valueint;
        if (i == 0) { assert_int_equal(parent, -1); continue; }
        int found = 0;
        for (int k = 0; k < cJSON_GetArraySize(nodes) && !found; k++)
            found = cJSON_GetObjectItem(cJSON_GetArrayItem(nodes, k), "id")->valueint == parent;
        assert_true(found);
        kept += !strcmp(cJSON_GetObjectItem(n, "status")->valuestring, "kept");
    }
    assert_true(kept > 0);
    cJSON *nb = cJSON_GetObjectItem(root, "nbest");
    assert_int_equal(cJSON_GetArraySize(nb), 3);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(nb, 0), "text")->valuestring, "les pages des films ont travaillé en juin .");
    assert_float_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(nb, 0), "logprob")->valuedouble, -0.8382, 1e-4);
    cJSON_Delete(root);
    free(j);
    /* a greedy-only state has no tree */
    GuiState gg;
    if (ru_load(&gg, GREEDY)) fail_msg("load");
    assert_int_equal(gui_export_compare(&gg, NULL, json, &st), -1);
    assert_non_null(strstr(st.message, "beam"));
    assert_int_equal(gui_export_compare(&g, "/nonexistent/dir/x.csv", NULL, &st), -1);
    assert_non_null(strstr(st.message, "cannot write"));
    gui_state_free(&gg);
    gui_state_free(&g);
}

/* ---- golden images ---- */
struct Case {
    const char *name, *main, *alt;
    int view, step;   /* decoder step, -1: end */
    Phase phase;
    int theme;
    const char *select; /* token of greedy's node at step `sel_step` to select, or NULL */
    int sel_step;
    float mx, my;
};

static const Case CASES[] = {
    {"compare-end-light", BEAM, GREEDY, VIEW_COMPARE, -1, PH_END, 0, NULL, 0, -1, -1},
    {"compare-dec3-light", BEAM, GREEDY, VIEW_COMPARE, 2, PH_CHOSEN, 0, NULL, 0, -1, -1},
    {"compare-greedy-main-dark", GREEDY, BEAM, VIEW_COMPARE, -1, PH_END, 1, NULL, 0, -1, -1},
    {"compare-end-projector", BEAM, GREEDY, VIEW_COMPARE, -1, PH_END, 2, NULL, 0, -1, -1},
    {"compare-no-partner-light", BEAM, NULL, VIEW_COMPARE, -1, PH_END, 0, NULL, 0, -1, -1},
    {"beam-luong-end-light", BEAM, GREEDY, VIEW_BEAM, -1, PH_END, 0, NULL, 0, -1, -1},
    {"beam-luong-dec3-light", BEAM, GREEDY, VIEW_BEAM, 2, PH_CHOSEN, 0, NULL, 0, -1, -1},
    {"beam-luong-select-du-light", BEAM, GREEDY, VIEW_BEAM, 3, PH_CHOSEN, 0, "du", 2, -1, -1},
    {"beam-luong-dec3-hover-light", BEAM, GREEDY, VIEW_BEAM, 2, PH_CHOSEN, 0, NULL, 0, 420, 221},
    {"seq2seq-luong-select-du-light", BEAM, GREEDY, VIEW_SEQ2SEQ, -1, PH_END, 0, "du", 2, -1, -1},
    {"heatmap-luong-select-du-light", BEAM, GREEDY, VIEW_HEATMAP, -1, PH_END, 0, "du", 2, -1, -1},
    {"beam-blocked-dec4-light", "reverse-tutorial-beam3norepeat", NULL, VIEW_BEAM, 3, PH_CHOSEN, 0, NULL, 0, -1, -1},
};

static int find_pos(const TraceIndex *ix, const Case *c) { return ru_find_pos(ix, c->step, c->phase, 0); }

/* The expansion animates parent by parent: part-way through the transition into a step's
 * candidates fewer nodes are drawn than when it has settled (anim 1, what headless shows). */
static int count_cmds(Renderer *r, GuiState *g, float anim) {
    g->anim = anim;
    draw_begin(&r->dl, font_measure, r->fonts, -1, -1);
    gui_frame(g, &r->dl, r->w, r->h, NULL);
    return r->dl.count;
}

static void test_expand_animation(void **state) {
    (void)state;
    Renderer r;
    if (ru_open(&r, W, H)) fail_msg("renderer");
    GuiState g;
    load_pair(&g, BEAM, GREEDY);
    g.view = VIEW_BEAM;
    Case c = {"", BEAM, GREEDY, VIEW_BEAM, 3, PH_EXPAND, 0, NULL, 0, -1, -1};
    g.pos = find_pos(&g.ix, &c);
    assert_true(g.pos >= 0);
    int early = count_cmds(&r, &g, 0.1f), late = count_cmds(&r, &g, 0.7f), settled = count_cmds(&r, &g, 1.0f);
    assert_true(early < late);  /* one parent's candidates, then four of the five */
    assert_true(late <= settled);
    assert_true(early < settled);
    /* another phase does not animate this way */
    c.phase = PH_CHOSEN;
    g.pos = find_pos(&g.ix, &c);
    assert_int_equal(count_cmds(&r, &g, 0.2f), count_cmds(&r, &g, 1.0f));
    gui_state_free(&g);
    ru_close(&r);
}

static void test_goldens(void **state) {
    (void)state;
    Renderer r;
    if (ru_open(&r, W, H)) fail_msg("cannot open the renderer (fonts?)");
    int failures = 0;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const Case *c = &CASES[i];
        GuiState g;
        if (c->alt) load_pair(&g, c->main, c->alt);
        else if (ru_load(&g, c->main)) fail_msg("load %s", c->main);
        if (c->select) {
            Status st = {{0}};
            int node = node_of(&g.ix, c->sel_step, c->select, 1);
            if (node < 0 || gui_select_node(&g, node, &st)) fail_msg("%s: cannot select", c->name);
        }
        int pos = find_pos(&g.ix, c);
        if (pos < 0) fail_msg("%s: no such position", c->name);
        SDL_Surface *s = ru_frame(&r, &g, c->view, pos, c->theme, c->mx, c->my);
        failures += ru_check_golden(s, c->name);
        gui_state_free(&g);
    }
    ru_close(&r);
    assert_int_equal(failures, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),   cmocka_unit_test(test_greedy_overlay_and_selection), cmocka_unit_test(test_alt_must_match), cmocka_unit_test(test_blocked), cmocka_unit_test(test_expand_animation),
        cmocka_unit_test(test_exports), cmocka_unit_test(test_goldens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
