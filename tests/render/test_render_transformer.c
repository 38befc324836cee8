/* test_render_transformer.c — golden images of view 8 (the Transformer) replayed from
 * committed traces of the shipped Transformer models (tests/render/traces/, the traces named after the model),
 * the messages the RNN views show for a Transformer trace (and view 8 for an RNN trace),
 * the beam tree of a Transformer beam search, and a sweep that draws every view at every
 * position of the Transformer traces (nothing crashes, nothing reads past an array).
 * Same comparison and update rule as test_render_golden.c (ATTNSTEP_UPDATE_GOLDEN=1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <SDL2/SDL_image.h>

#include "render_util.h"

#define W 1024
#define H 576


static const RuCase CASES[] = {
    {"transformer-start-light", "reverse-transformer-greedy", VIEW_TRANSFORMER, -1, PH_START, 0, 0, -1, -1},
    {"transformer-dec4-light", "reverse-transformer-greedy", VIEW_TRANSFORMER, 3, PH_CHOSEN, 0, 0, -1, -1},
    {"transformer-end-dark", "reverse-transformer-greedy", VIEW_TRANSFORMER, -1, PH_END, 0, 1, -1, -1},
    {"transformer-dec2-projector", "reverse-transformer-greedy", VIEW_TRANSFORMER, 1, PH_OUTPUT, 0, 2, -1, -1},
    {"transformer-tooltip-light", "reverse-transformer-greedy", VIEW_TRANSFORMER, -1, PH_END, 0, 0, 870, 200},
    {"transformer-beam-end-light", "reverse-transformer-beam3", VIEW_TRANSFORMER, -1, PH_END, 0, 0, -1, -1},
    {"transformer-translate-dec7-light", "en-fr-es-transformer-greedy", VIEW_TRANSFORMER, 6, PH_CHOSEN, 0, 0, -1, -1},
    {"transformer-translate-end-projector", "en-fr-es-transformer-greedy", VIEW_TRANSFORMER, -1, PH_END, 0, 2, -1, -1},
    {"transformer-beamtree-light", "reverse-transformer-beam3", VIEW_BEAM, -1, PH_END, 0, 0, -1, -1},
    {"transformer-rnn-view-message-light", "reverse-transformer-greedy", VIEW_ATTENTION, -1, PH_END, 0, 0, -1, -1},
    {"transformer-view8-rnn-message-light", "reverse-tutorial-greedy", VIEW_TRANSFORMER, -1, PH_END, 0, 0, -1, -1},
};

static void test_goldens(void **state) {
    (void)state;
    assert_int_equal(ru_golden_cases(CASES, sizeof CASES / sizeof CASES[0], W, H), 0);
}

/* every view at every position of the Transformer traces, light theme, mouse in the middle */
static void test_sweep(void **state) {
    (void)state;
    Renderer r;
    if (ru_open(&r, W, H)) fail_msg("cannot open the renderer (fonts?)");
    const char *traces[] = {"reverse-transformer-greedy", "reverse-transformer-beam3", "en-fr-es-transformer-greedy"};
    for (int k = 0; k < 3; k++) {
        GuiState g;
        if (ru_load(&g, traces[k])) fail_msg("cannot load trace %s", traces[k]);
        assert_true(g.ix.n_pos > 3);
        for (int v = 0; v < VIEW_COUNT; v++)
            for (int p = 0; p < g.ix.n_pos; p++) ru_frame(&r, &g, v, p, 0, W / 2.0f, H / 2.0f);
        gui_state_free(&g);
    }
    ru_close(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_goldens), cmocka_unit_test(test_sweep)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
