/* test_replay.c — views are pure functions of the position: stepping forward N sub-steps
 * and then back N gives identical frames (pixel for pixel), for every view, including
 * with a tooltip under the mouse. Also: a resize reflows without leaving the window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "render_util.h"

static uint64_t hash_surface(SDL_Surface *s) {
    uint64_t h = 1469598103934665603ull;
    for (int y = 0; y < s->h; y++) {
        const uint8_t *p = (const uint8_t *)s->pixels + y * s->pitch;
        for (int x = 0; x < s->w * 4; x++) h = (h ^ p[x]) * 1099511628211ull;
    }
    return h;
}

static void replay(const char *trace, int w, int h) {
    Renderer r;
    if (ru_open(&r, w, h)) fail_msg("cannot open the renderer");
    GuiState g;
    if (ru_load(&g, trace)) fail_msg("cannot load %s", trace);
    int n = g.ix.n_pos;
    uint64_t *fw = calloc((size_t)n * VIEW_COUNT, sizeof *fw);
    assert_non_null(fw);
    for (int v = 0; v < VIEW_COUNT; v++) {
        g.pos = 0;
        for (int p = 0; p < n; p++) {
            gui_set_pos(&g, p);
            fw[v * n + p] = hash_surface(ru_frame(&r, &g, v, g.pos, v % THEME_COUNT, w * 0.45f, h * 0.5f));
            /* every command stays inside the window */
            for (int i = 0; i < r.dl.count; i++) {
                const DrawCmd *c = &r.dl.cmds[i];
                if (c->kind == DRAW_RECT) {
                    if (!(c->x0 >= -1 && c->y0 >= -1 && c->x0 + c->x1 <= w + 1 && c->y0 + c->y1 <= h + 1))
                        fail_msg("%s view %d position %d: rect (%.0f,%.0f %.0fx%.0f) leaves the %dx%d window", trace, v + 1, p,
                                 c->x0, c->y0, c->x1, c->y1, w, h);
                }
            }
        }
        for (int p = n - 1; p >= 0; p--) {
            gui_set_pos(&g, p);
            uint64_t back = hash_surface(ru_frame(&r, &g, v, g.pos, v % THEME_COUNT, w * 0.45f, h * 0.5f));
            if (back != fw[v * n + p]) fail_msg("%s view %d position %d: the frame differs after stepping back", trace, v + 1, p);
        }
    }
    free(fw);
    gui_state_free(&g);
    ru_close(&r);
}

static void test_replay_greedy(void **state) { (void)state; replay("reverse-tutorial-greedy", 800, 520); }
static void test_replay_beam(void **state) { (void)state; replay("reverse-tutorial-beam3", 1100, 600); }

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_replay_greedy), cmocka_unit_test(test_replay_beam)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
