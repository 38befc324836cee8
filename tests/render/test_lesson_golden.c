/* test_lesson_golden.c — lesson slides against golden images (tests/render/golden,
 * render_util.h's tolerance; ATTNSTEP_UPDATE_GOLDEN=1 rewrites them):
 *  - a cell highlight: the three crossing cells of "la zone économique européenne" in the
 *    alignment heatmap;
 *  - vector highlights: h4, the query s2 and the context c3 in the attention step;
 *  - a Chinese slide: the attention view with its own labels in Chinese (lang: zh), and the
 *    beam tree's legend in Chinese;
 *  - the stepper window with --lang zh (gui_frame: chrome and view in Chinese).
 * The lesson is written here (not a shipped one), so editing a lesson never moves a golden. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "i18n.h"
#include "lesson_ui.h"
#include "render_util.h"

static const char *DIRS[] = {ATTNSTEP_SOURCE_DIR "/assets/models"};

static const char *LESSON_EN =
    "# Golden slides\n"
    "## Reordering: three cells\n"
    "```attnstep\n"
    "model: en-fr-es-tutorial\n"
    "input: <2fr> the european economic area was signed in august 1992 .\n"
    "view: heatmap\n"
    "position: end\n"
    "highlight: cell 2 5\n"
    "highlight: cell 3 4\n"
    "highlight: cell 4 3\n"
    "```\n\n"
    "\"zone\" looks at \"area\", \"économique\" at \"economic\", \"européenne\" back at \"european\".\n"
    "## The context vector\n"
    "```attnstep\n"
    "view: attention\n"
    "position: step 3 context\n"
    "highlight: vector enc 4\n"
    "highlight: vector dec 2\n"
    "highlight: vector context 3\n"
    "```\n\n"
    "c3 is almost h4; the query is s2.\n";

static const char *LESSON_ZH =
    "# 金标准幻灯片\n"
    "```attnstep\n"
    "lang: zh\n"
    "```\n"
    "## 注意力的一步\n"
    "```attnstep\n"
    "model: en-fr-es-tutorial\n"
    "input: <2fr> the european economic area was signed in august 1992 .\n"
    "view: attention\n"
    "position: step 3 weights\n"
    "highlight: cell 3 4\n"
    "```\n\n"
    "视图自己的标签、图例和说明都是中文。\n"
    "## 波束搜索树\n"
    "```attnstep\n"
    "model: en-fr-es-luong-lstm\n"
    "input: <2fr> the pages of the films worked in june .\n"
    "strategy: beam 3\n"
    "view: beam\n"
    "position: beam step 3\n"
    "```\n\n"
    "图例也是中文。\n";

static char *write_lesson(const char *text) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/attnstep-golden-lesson-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? path : NULL;
}

/* Renders every slide of the lesson text and compares slide i with names[i]. */
static int check_deck(Renderer *r, const char *text, const char *const *names, int n) {
    char *path = write_lesson(text);
    assert_non_null(path);
    Deck d;
    Status st = {{0}};
    assert_int_equal(deck_open(&d, path, DIRS, 1, &st), 0);
    for (int k = 0; k < d.lesson->n_problems; k++) fprintf(stderr, "line %d: %s\n", d.lesson->problems[k].line, d.lesson->problems[k].message);
    assert_int_equal(d.lesson->n_errors + d.lesson->n_warnings, 0);
    assert_int_equal(d.lesson->n_slides, n);
    int failures = 0;
    for (int i = 0; i < n; i++) {
        deck_goto(&d, i);
        assert_string_equal(d.message, "");
        draw_begin(&r->dl, font_measure, r->fonts, -1, -1);
        deck_frame(&d, &r->dl, r->w, r->h, NULL);
        assert_false(d.overflow);
        assert_false(d.hl_missing);
        backend_draw(r->cv.backend, &r->dl, theme_by_index(d.g.theme)->bg);
        SDL_RenderPresent(r->cv.renderer);
        failures += ru_check_golden(r->cv.surface, names[i]);
    }
    deck_close(&d);
    unlink(path);
    return failures;
}

static void test_highlight_slides(void **state) {
    Renderer r;
    assert_int_equal(ru_open(&r, 1280, 720), 0);
    static const char *names[] = {"lesson-cell-highlight-projector", "lesson-vector-highlight-projector"};
    int failures = check_deck(&r, LESSON_EN, names, 2);
    ru_close(&r);
    assert_int_equal(failures, 0);
}

static void test_chinese_slides(void **state) {
    Renderer r;
    assert_int_equal(ru_open(&r, 1280, 720), 0);
    static const char *names[] = {"lesson-zh-attention-projector", "lesson-zh-beam-projector"};
    int failures = check_deck(&r, LESSON_ZH, names, 2);
    assert_int_equal(i18n_get(), I18N_EN); /* the deck restored the caller's language */
    ru_close(&r);
    assert_int_equal(failures, 0);
}

/* The stepper window in Chinese (attnstep gui/render --lang zh): the chrome and the view. */
static void test_window_in_chinese(void **state) {
    Renderer r;
    assert_int_equal(ru_open(&r, 1280, 720), 0);
    GuiState g;
    assert_int_equal(ru_load(&g, "en-fr-es-luong-lstm-greedy"), 0);
    I18nLang old = i18n_set(I18N_ZH);
    int pos = ru_find_pos(&g.ix, 2, PH_WEIGHTS, 0);
    assert_true(pos > 0);
    int failures = ru_check_golden(ru_frame(&r, &g, VIEW_HEATMAP, pos, 0, -1, -1), "heatmap-zh-dec3-light");
    i18n_set(old);
    gui_state_free(&g);
    ru_close(&r);
    assert_int_equal(failures, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_highlight_slides),
        cmocka_unit_test(test_chinese_slides),
        cmocka_unit_test(test_window_in_chinese),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
