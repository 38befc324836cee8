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

#include "i18n.h"
#include "render_util.h"

#define W 1024
#define H 576


static const RuCase CASES[] = {
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
    /* --no-repeat-ngram 2 --min-len 5 on "a b a b c": pruned nodes of all three reasons, each
     * blocking reason with its tag and legend entry; the tooltip names the repeated 2-gram */
    {"beam-reasons-dec5-light", "reverse-tutorial-beam3blocked", VIEW_BEAM, 4, PH_CHOSEN, 0, 0, -1, -1},
    {"beam-reasons-dec5-hover-light", "reverse-tutorial-beam3blocked", VIEW_BEAM, 4, PH_CHOSEN, 0, 0, 690, 323},
    {"beam-reasons-end-projector", "reverse-tutorial-beam3blocked", VIEW_BEAM, -1, PH_END, 0, 2, -1, -1},
    /* local-p (D = 10): the Gaussian window over the weights, cut at lo = 4 */
    {"attention-localp-dec11-weights-light", "en-fr-es-gru-local-p-greedy", VIEW_ATTENTION, 10, PH_WEIGHTS, 0, 0, -1, -1},
    {"attention-localp-dec11-hover-dark", "en-fr-es-gru-local-p-greedy", VIEW_ATTENTION, 10, PH_CONTEXT, 0, 1, 864, 380},
};

/* The same marks with the labels in Chinese (--lang zh). */
static const RuCase CASES_ZH[] = {
    {"beam-reasons-zh-dec5-light", "reverse-tutorial-beam3blocked", VIEW_BEAM, 4, PH_CHOSEN, 0, 0, -1, -1},
    {"attention-localp-zh-dec11-light", "en-fr-es-gru-local-p-greedy", VIEW_ATTENTION, 10, PH_WEIGHTS, 0, 0, -1, -1},
};

static void test_goldens(void **state) {
    (void)state;
    assert_int_equal(ru_golden_cases(CASES, sizeof CASES / sizeof CASES[0], W, H), 0);
}

static void test_goldens_zh(void **state) {
    (void)state;
    I18nLang old = i18n_set(I18N_ZH);
    int failures = ru_golden_cases(CASES_ZH, sizeof CASES_ZH / sizeof CASES_ZH[0], W, H);
    i18n_set(old);
    assert_int_equal(failures, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_goldens), cmocka_unit_test(test_goldens_zh)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
