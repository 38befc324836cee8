/* test_render_golden.c — golden images of every view at a few positions, replayed from
 * committed traces of trained models (tests/render/traces), drawn with the window's own
 * frame code into a software renderer (SDL dummy driver). Compared with a tolerance: mean
 * absolute difference per channel <= 1.5 and at most 0.5 % of pixels differing by more
 * than 48 in some channel (font rasteriser versions differ slightly). On failure the
 * actual image is saved as <build>/render-actual/<name>.png.
 * ATTNSTEP_UPDATE_GOLDEN=1 rewrites the goldens (review them before committing). */
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

typedef struct Case {
    const char *name;   /* golden file name */
    const char *trace;
    int view;           /* ViewId */
    int step;           /* decoder step (-1: encoder position enc) */
    Phase phase;        /* phase within the step; PH_END: the end; PH_ENC: encoder position `enc` */
    int enc;
    int theme;          /* 0 light, 1 dark, 2 projector */
    float mx, my;       /* mouse (tooltip), -1: none */
} Case;

static const Case CASES[] = {
    {"cell-enc4-light", "reverse-tutorial-greedy", VIEW_CELL, -1, PH_ENC, 3, 0, -1, -1},
    {"cell-dec2-dark", "reverse-tutorial-greedy", VIEW_CELL, 1, PH_OUTPUT, 0, 1, -1, -1},
    {"unrolled-enc5-light", "reverse-tutorial-greedy", VIEW_UNROLLED, -1, PH_ENC, 4, 0, -1, -1},
    {"unrolled-end-projector", "reverse-tutorial-greedy", VIEW_UNROLLED, -1, PH_END, 0, 2, -1, -1},
    {"seq2seq-dec3-light", "reverse-tutorial-greedy", VIEW_SEQ2SEQ, 2, PH_CHOSEN, 0, 0, -1, -1},
    {"seq2seq-end-dark", "reverse-tutorial-greedy", VIEW_SEQ2SEQ, -1, PH_END, 0, 1, -1, -1},
    {"attention-dec2-energy-light", "reverse-tutorial-greedy", VIEW_ATTENTION, 1, PH_ENERGY, 0, 0, -1, -1},
    {"attention-dec2-weights-light", "reverse-tutorial-greedy", VIEW_ATTENTION, 1, PH_WEIGHTS, 0, 0, -1, -1},
    {"attention-dec2-context-light", "reverse-tutorial-greedy", VIEW_ATTENTION, 1, PH_CONTEXT, 0, 0, -1, -1},
    {"attention-dec4-projector", "reverse-tutorial-greedy", VIEW_ATTENTION, 3, PH_CONTEXT, 0, 2, -1, -1},
    {"attention-dates-dec6-light", "dates-tutorial-greedy", VIEW_ATTENTION, 5, PH_CONTEXT, 0, 0, -1, -1},
    {"heatmap-dec5-light", "reverse-tutorial-greedy", VIEW_HEATMAP, 4, PH_WEIGHTS, 0, 0, -1, -1},
    {"heatmap-end-dark", "reverse-tutorial-greedy", VIEW_HEATMAP, -1, PH_END, 0, 1, -1, -1},
    {"heatmap-dates-end-light", "dates-tutorial-greedy", VIEW_HEATMAP, -1, PH_END, 0, 0, -1, -1},
    {"beam-dec4-light", "reverse-tutorial-beam3", VIEW_BEAM, 3, PH_CHOSEN, 0, 0, -1, -1},
    {"beam-end-dark", "reverse-tutorial-beam3", VIEW_BEAM, -1, PH_END, 0, 1, -1, -1},
    {"beam-greedy-message-light", "reverse-tutorial-greedy", VIEW_BEAM, -1, PH_END, 0, 0, -1, -1},
    {"seq2seq-beam-dec3-light", "reverse-tutorial-beam3", VIEW_SEQ2SEQ, 2, PH_OUTPUT, 0, 0, -1, -1},
};

static void test_goldens(void **state) {
    (void)state;
    Renderer r;
    if (ru_open(&r, W, H)) fail_msg("cannot open the renderer (fonts?)");
    int failures = 0;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const Case *c = &CASES[i];
        GuiState g;
        if (ru_load(&g, c->trace)) fail_msg("cannot load trace %s", c->trace);
        int pos = ru_find_pos(&g.ix, c->step, c->phase, c->enc);
        if (pos < 0) fail_msg("%s: no such position", c->name);
        SDL_Surface *s = ru_frame(&r, &g, c->view, pos, c->theme, c->mx, c->my);
        failures += ru_check_golden(s, c->name);
        gui_state_free(&g);
    }
    ru_close(&r);
    assert_int_equal(failures, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_goldens)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
