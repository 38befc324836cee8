/* test_live_train.c — the live-training controller (app/gui/live_train.h) and view 9.
 *
 * A real model really trains here (reverse, GRU + dot attention, hidden 64, a few hundred
 * batches, about a second): the loss falls, the example's teacher-forced attention sharpens
 * (entropy falls, the argmax lands on the anti-diagonal), reset replays the run bit for bit,
 * the worker thread obeys play / pause / step / learning rate / save / reset, the saved file
 * opens in the stepper, bad settings are refused with a message, and view 9 after a short
 * deterministic run matches its golden images (tolerance as test_render_golden;
 * ATTNSTEP_UPDATE_GOLDEN=1 rewrites them, actual images go to <build>/render-actual). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <SDL2/SDL_image.h>
#include <SDL2/SDL_keycode.h>

#include "live_train.h"
#include "render_util.h"

static LiveTrain *reverse_run(long steps) {
    LiveConfig c;
    live_config_default(&c, LIVE_REVERSE);
    Status st = {{0}};
    LiveTrain *lt = live_train_new(&c, &st);
    if (!lt) fail_msg("live_train_new: %s", st.message);
    if (steps > 0 && live_train_run(lt, steps, &st)) fail_msg("live_train_run: %s", st.message);
    return lt;
}

static void test_loss_and_entropy_fall(void **state) {
    (void)state;
    LiveTrain *lt = reverse_run(300);
    assert_int_equal(lt->step, 300);
    assert_int_equal(lt->ex_S, 9); /* a b c d e f g h <eos> */
    assert_int_equal(lt->ex_T, 9);
    assert_true(lt->has_attention);
    assert_int_equal(lt->n_snaps, 31); /* steps 0, 10, ..., 300 */
    const LiveSnap *s0 = lt->snaps[0], *s1 = lt->snaps[1], *sl = lt->snaps[lt->n_snaps - 1];
    assert_int_equal(s0->step, 0);
    assert_true(isnan(s0->loss));
    assert_int_equal(sl->step, 300);
    /* the loss falls: the mean over the last 10 batches is far below the first 10 */
    printf("loss %.3f -> %.3f, entropy %.3f -> %.3f, max %.3f -> %.3f, align %.2f -> %.2f, dev exact %.2f -> %.2f\n", s1->loss,
           sl->loss, s0->entropy, sl->entropy, s0->max_weight, sl->max_weight, s0->align, sl->align, s0->dev_exact, sl->dev_exact);
    assert_true(s1->loss > 1.5f);
    assert_true(sl->loss < 0.5f * s1->loss);
    assert_true(lt->n_loss == 30 && lt->loss_step[29] == 300);
    assert_true(lt->loss_pts[29] < 0.5f * lt->loss_pts[0]);
    /* the untrained attention is a blur near uniform (ln 9 = 2.20 nats); trained, it is sharp */
    assert_true(s0->entropy > 1.5f);
    assert_true(sl->entropy < 0.5f);
    assert_true(sl->entropy < s0->entropy - 1.0f);
    assert_true(sl->max_weight >= 0.9f);
    assert_true(sl->align == 1.0f);
    assert_true(sl->sharp);
    for (int t = 0; t < 8; t++) { /* the anti-diagonal: row t's largest weight at source 7 - t */
        int best = 0;
        for (int j = 0; j < 9; j++)
            if (sl->attn[t * 9 + j] > sl->attn[t * 9 + best]) best = j;
        assert_int_equal(best, 7 - t);
    }
    /* each row is a distribution */
    for (int t = 0; t < 9; t++) {
        double sum = 0;
        for (int j = 0; j < 9; j++) sum += sl->attn[t * 9 + j];
        assert_true(fabs(sum - 1.0) < 1e-4);
    }
    assert_true(sl->dev_exact > s0->dev_exact + 0.3f);
    assert_string_equal(sl->output, "h g f e d c b a");
    assert_true(sl->output_ok);
    int first = live_train_first_sharp(lt);
    assert_true(first > 0);
    printf("first sharp snapshot: step %ld\n", lt->snaps[first]->step);
    live_train_free(lt);
}

static void test_reset_is_reproducible(void **state) {
    (void)state;
    LiveTrain *lt = reverse_run(60);
    const LiveSnap *a = lt->snaps[lt->n_snaps - 1];
    float loss = a->loss, ent = a->entropy, attn[81], pts[6];
    memcpy(attn, a->attn, sizeof attn);
    memcpy(pts, lt->loss_pts, sizeof pts);
    live_train_reset(lt);
    assert_int_equal(lt->step, 0);
    assert_int_equal(lt->n_snaps, 1);
    assert_int_equal(lt->n_loss, 0);
    Status st = {{0}};
    assert_int_equal(live_train_run(lt, 60, &st), 0);
    const LiveSnap *b = lt->snaps[lt->n_snaps - 1];
    assert_int_equal(b->step, 60);
    assert_true(b->loss == loss && b->entropy == ent); /* bit for bit */
    assert_memory_equal(b->attn, attn, sizeof attn);
    assert_memory_equal(lt->loss_pts, pts, sizeof pts);
    /* a different learning rate gives a different run */
    live_train_reset(lt);
    live_train_set_lr(lt, 0.01f);
    assert_true(lt->lr == 0.01f && lt->trainer->cfg.lr == 0.01f);
    assert_int_equal(live_train_run(lt, 60, &st), 0);
    assert_true(lt->snaps[lt->n_snaps - 1]->loss != loss);
    live_train_free(lt);
}

static void wait_step(LiveTrain *lt, long step, double timeout_s) {
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        live_train_lock(lt);
        long s = lt->step;
        live_train_unlock(lt);
        if (s >= step) return;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) + 1e-9 * (t.tv_nsec - t0.tv_nsec) > timeout_s) fail_msg("step %ld not reached in %.0f s (at %ld)", step, timeout_s, s);
        nanosleep(&(struct timespec){0, 2000000}, NULL);
    }
}

static void test_worker_thread(void **state) {
    (void)state;
    LiveTrain *lt = reverse_run(0);
    Status st = {{0}};
    assert_int_equal(live_train_start(lt, &st), 0);
    assert_int_equal(live_train_run(lt, 1, &st), -1); /* synchronous stepping is refused while a worker runs */
    live_train_play(lt, 1);
    wait_step(lt, 120, 60);
    live_train_play(lt, 0);
    live_train_wait(lt);
    live_train_lock(lt);
    long at = lt->step;
    int n = lt->n_snaps;
    assert_false(lt->playing);
    assert_true(at >= 120);
    assert_int_equal(lt->snaps[n - 1]->step, at); /* pausing takes a snapshot of where it stopped */
    for (int i = 1; i < n; i++) assert_true(lt->snaps[i]->step > lt->snaps[i - 1]->step);
    live_train_unlock(lt);
    /* Step: exactly one batch and its snapshot */
    live_train_step(lt);
    live_train_wait(lt);
    live_train_lock(lt);
    assert_int_equal(lt->step, at + 1);
    assert_int_equal(lt->snaps[lt->n_snaps - 1]->step, at + 1);
    live_train_unlock(lt);
    /* learning rate, then save: an ordinary model file the stepper opens */
    live_train_set_lr(lt, 0.001f);
    char path[1024];
    snprintf(path, sizeof path, "%s/live-train-test.safetensors", ATTNSTEP_BINARY_DIR);
    live_train_save(lt, path);
    live_train_wait(lt);
    live_train_lock(lt);
    assert_true(lt->lr == 0.001f);
    assert_int_equal(lt->saved_count, 1);
    assert_false(lt->message_error);
    assert_string_equal(lt->saved_path, path);
    live_train_unlock(lt);
    Model *m = model_load(path, &st);
    if (!m) fail_msg("%s", st.message);
    assert_string_equal(model_meta(m, "task"), "reverse");
    assert_string_equal(model_name(m), "live-reverse-dot");
    model_free(m);
    GuiState g;
    gui_state_init(&g);
    assert_int_equal(gui_load_model(&g, path, &st), 0);
    snprintf(g.input, sizeof g.input, "a b c d e f g h");
    assert_int_equal(gui_run_model(&g, &st), 0);
    assert_true(g.have_ix && g.ix.n_steps >= 1);
    gui_state_free(&g);
    /* a save into a missing directory says so */
    live_train_save(lt, "/nonexistent-dir/x.safetensors");
    live_train_wait(lt);
    live_train_lock(lt);
    assert_true(lt->message_error);
    assert_int_equal(lt->saved_count, 1);
    live_train_unlock(lt);
    /* reset from the thread: back to step 0 */
    live_train_reset(lt);
    live_train_wait(lt);
    live_train_lock(lt);
    assert_int_equal(lt->step, 0);
    assert_int_equal(lt->n_snaps, 1);
    live_train_unlock(lt);
    live_train_play(lt, 1);
    wait_step(lt, 5, 60);
    live_train_free(lt); /* stops a playing worker */
    unlink(path);
    char opt[1100];
    snprintf(opt, sizeof opt, "%s.opt.safetensors", path);
    unlink(opt);
}

static void expect_refused(const LiveConfig *c, const char *needle) {
    Status st = {{0}};
    LiveTrain *lt = live_train_new(c, &st);
    if (lt) fail_msg("accepted a bad config (expected '%s')", needle);
    printf("refused: %s\n", st.message);
    assert_non_null(strstr(st.message, needle));
}

static void test_bad_settings(void **state) {
    (void)state;
    LiveConfig c;
    live_config_default(&c, LIVE_REVERSE);
    snprintf(c.example, sizeof c.example, "a b z");
    expect_refused(&c, "symbols a..h");
    live_config_default(&c, LIVE_REVERSE);
    snprintf(c.example, sizeof c.example, "   ");
    expect_refused(&c, "empty");
    live_config_default(&c, LIVE_REVERSE);
    c.lr = 0;
    expect_refused(&c, "learning rate");
    live_config_default(&c, LIVE_REVERSE);
    c.hidden = 1;
    expect_refused(&c, "hidden");
    live_config_default(&c, LIVE_REVERSE);
    c.task = (LiveTask)7;
    expect_refused(&c, "unknown task");
    live_config_default(&c, LIVE_DATES);
    snprintf(c.example, sizeof c.example, "1 jan 2000");
    expect_refused(&c, "dates example is fixed");
    live_config_default(&c, LIVE_TRANSLATE);
    snprintf(c.example, sizeof c.example, "the zorblax eats .");
    expect_refused(&c, "example");
    live_config_default(&c, LIVE_TRANSLATE);
    snprintf(c.example, sizeof c.example, "the white ship does not sing to the big red car .");
    expect_refused(&c, "more than 8");
    /* names */
    assert_int_equal(live_task_from_name("dates"), LIVE_DATES);
    assert_int_equal(live_task_from_name("nope"), -1);
    assert_int_equal(live_arch_from_name("general"), LIVE_ARCH_GENERAL);
    assert_int_equal(live_arch_from_name(NULL), -1);
    /* the other tasks and the baseline build (snapshot 0 only: no training here) */
    Status st = {{0}};
    live_config_default(&c, LIVE_DATES);
    c.n_train = 200;
    c.n_dev = 10;
    LiveTrain *lt = live_train_new(&c, &st);
    if (!lt) fail_msg("%s", st.message);
    assert_string_equal(lt->ex_src_text, "the 14th of february, 1971");
    assert_string_equal(lt->ex_tgt_text, "1971-02-14");
    live_train_free(lt);
    live_config_default(&c, LIVE_TRANSLATE);
    c.n_train = 200;
    c.n_dev = 10;
    c.arch = LIVE_ARCH_NONE;
    lt = live_train_new(&c, &st);
    if (!lt) fail_msg("%s", st.message);
    assert_string_equal(lt->ex_tgt_text, "le bateau blanc ne chante pas .");
    assert_false(lt->has_attention);
    assert_null(lt->snaps[0]->attn);
    assert_true(isnan(lt->snaps[0]->entropy));
    live_train_free(lt);
}

/* g: a fresh GUI state with view 9 open on the default reverse run (synchronous controller). */
static void open_reverse_view(GuiState *g) {
    gui_state_init(g);
    LiveConfig c;
    live_config_default(&c, LIVE_REVERSE);
    Status st = {{0}};
    if (gui_training_open(g, &c, 0, &st)) fail_msg("%s", st.message);
}

/* ---- golden images of view 9 ---- */

static void test_view_goldens(void **state) {
    (void)state;
    Renderer r;
    if (ru_open(&r, 1024, 576)) fail_msg("cannot open the renderer (fonts?)");
    GuiState g;
    open_reverse_view(&g);
    Status st = {{0}};
    assert_int_equal(live_train_run(g.live->lt, 200, &st), 0);
    int failures = 0;
    /* the latest snapshot (sharp), light theme */
    failures += ru_check_golden(ru_frame(&r, &g, VIEW_TRAINING, 0, 0, -1, -1), "training-reverse-200-light");
    /* scrubbed back to step 20 (still a blur), dark theme, a tooltip on a heatmap cell */
    g.live->sel = 2;
    assert_int_equal(g.live->lt->snaps[2]->step, 20);
    failures += ru_check_golden(ru_frame(&r, &g, VIEW_TRAINING, 0, 1, 620, 225), "training-reverse-step20-dark");
    /* projector theme at the window's minimum size: nothing may overlap */
    ru_close(&r);
    if (ru_open(&r, 800, 520)) fail_msg("cannot open the renderer (fonts?)");
    g.live->sel = -1;
    failures += ru_check_golden(ru_frame(&r, &g, VIEW_TRAINING, 0, 2, -1, -1), "training-reverse-200-projector-small");
    gui_state_free(&g);
    ru_close(&r);
    assert_int_equal(failures, 0);
}

/* The panel's keys and "open in stepper" (synchronous controller: commands run at once). */
static void test_panel_keys_and_open(void **state) {
    (void)state;
    GuiState g;
    open_reverse_view(&g);
    Status st = {{0}};
    LiveTrain *lt = g.live->lt;
    assert_int_equal(live_train_run(lt, 30, &st), 0);
    assert_int_equal(lt->n_snaps, 4);
    assert_true(gui_training_key(&g, SDLK_LEFT, 0));
    assert_int_equal(g.live->sel, 2);
    assert_true(gui_training_key(&g, SDLK_HOME, 0));
    assert_int_equal(g.live->sel, 0);
    assert_true(gui_training_key(&g, SDLK_END, 0));
    assert_int_equal(g.live->sel, -1);
    assert_true(gui_training_key(&g, SDLK_PERIOD, 0));
    assert_int_equal(lt->step, 31);
    assert_int_equal(lt->snaps[lt->n_snaps - 1]->step, 31);
    assert_true(gui_training_key(&g, SDLK_RIGHTBRACKET, 0));
    assert_true(lt->lr == 0.01f);
    assert_true(gui_training_key(&g, SDLK_LEFTBRACKET, 0));
    assert_true(lt->lr == 0.003f);
    assert_false(gui_training_key(&g, SDLK_x, 0));
    /* O: save, then the next poll opens the file in the stepper on the example, in view 5 */
    assert_true(gui_training_key(&g, SDLK_o, 0));
    assert_int_equal(lt->saved_count, 1);
    gui_training_poll(&g);
    assert_int_equal(g.view, VIEW_HEATMAP);
    assert_non_null(g.model);
    assert_true(g.have_ix);
    assert_string_equal(g.input, "a b c d e f g h");
    assert_non_null(strstr(g.model_path, "attnstep-live-reverse-dot.safetensors"));
    assert_true(g.n_models >= 1);
    /* R: reset, back to step 0 */
    assert_true(gui_training_key(&g, SDLK_r, 0));
    assert_int_equal(lt->step, 0);
    gui_state_free(&g);
    unlink("attnstep-live-reverse-dot.safetensors");
    unlink("attnstep-live-reverse-dot.safetensors.opt.safetensors");
}

int main(void) {
    (void)ru_load;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loss_and_entropy_fall),
        cmocka_unit_test(test_reset_is_reproducible),
        cmocka_unit_test(test_worker_thread),
        cmocka_unit_test(test_bad_settings),
        cmocka_unit_test(test_view_goldens),
        cmocka_unit_test(test_panel_keys_and_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
