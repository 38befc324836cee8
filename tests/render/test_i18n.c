/* test_i18n.c — the interface strings' table (app/gui/i18n.c):
 *  - every Chinese entry keeps its English format's conversions, in order (a mismatch would
 *    make printf read the wrong arguments), no English key twice, none empty;
 *  - every string the GUI sources hand to TR(), mark with N_() or give draw_tooltip as its
 *    format has a translation (the sources are scanned as C: escapes, adjacent literals);
 *  - TR() in English returns its argument itself, in Chinese the translation, and counts a
 *    missing one; the language is set and restored;
 *  - every view, drawn in Chinese at several positions (with the mouse over values so the
 *    tooltips are formatted too), asks for no string the table lacks, and the window chrome
 *    (gui_frame, --lang zh) is Chinese. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "i18n.h"
#include "live_train.h"
#include "render_util.h"

/* The printf conversions of s, one letter each ('%' for "%%"), e.g. "d.s" for "%d %.2f %s"
 * gives "dfs"; flags, width and precision are skipped, length modifiers kept. */
static void conversions(const char *s, char *out, size_t n) {
    size_t k = 0;
    for (; *s; s++) {
        if (*s != '%') continue;
        s++;
        while (*s && strchr("-+ #0123456789.*", *s)) s++;
        while (*s && strchr("hlLqjzt", *s)) {
            if (k + 1 < n) out[k++] = *s;
            s++;
        }
        if (!*s) break;
        if (k + 1 < n) out[k++] = *s;
    }
    out[k] = 0;
}

static void test_table_is_consistent(void **state) {
    int n = i18n_count();
    assert_true(n > 350);
    for (int i = 0; i < n; i++) {
        const char *en = i18n_en(i), *zh = i18n_zh(i);
        assert_non_null(en);
        assert_non_null(zh);
        assert_true(*en && *zh);
        char ce[64], cz[64];
        conversions(en, ce, sizeof ce);
        conversions(zh, cz, sizeof cz);
        if (strcmp(ce, cz)) fprintf(stderr, "conversions differ: \"%s\" (%s) vs \"%s\" (%s)\n", en, ce, zh, cz);
        assert_string_equal(ce, cz);
        for (int j = 0; j < i; j++) {
            if (!strcmp(en, i18n_en(j))) fprintf(stderr, "twice: \"%s\"\n", en);
            assert_true(strcmp(en, i18n_en(j)) != 0);
        }
        assert_ptr_equal(i18n_lookup_zh(en), zh);
    }
    assert_null(i18n_en(n));
    assert_null(i18n_lookup_zh("no such string in the table"));
}

/* ---- the source scanner ---- */

/* Parses the C string literal(s) at *p (adjacent ones concatenated) into out; 0 when *p is
 * not a literal. Advances *p past them. */
static int parse_literals(const char **p, char *out, size_t n) {
    const char *s = *p;
    size_t k = 0;
    int got = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
        if (*s != '"') break;
        got = 1;
        s++;
        while (*s && *s != '"') {
            int c = (unsigned char)*s++;
            if (c == '\\') {
                int e = (unsigned char)*s++;
                if (e == 'x') {
                    c = 0;
                    while ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')) {
                        c = c * 16 + (*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10);
                        s++;
                    }
                    c &= 255;
                } else if (e >= '0' && e <= '7') {
                    c = e - '0';
                    for (int d = 0; d < 2 && *s >= '0' && *s <= '7'; d++) c = c * 8 + (*s++ - '0');
                } else c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
            }
            if (k + 1 < n) out[k++] = (char)c;
        }
        if (*s == '"') s++;
    }
    out[k] = 0;
    *p = s;
    return got;
}

static void test_every_source_string_is_translated(void **state) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/app/gui", ATTNSTEP_SOURCE_DIR);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int found = 0, missing = 0, files = 0;
    static char lit[4096];
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 3 || strcmp(e->d_name + l - 2, ".c") || !strcmp(e->d_name, "i18n.c")) continue;
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *src = ru_read_file(path);
        assert_non_null(src);
        files++;
        for (const char *p = src; *p; p++) {
            const char *q = NULL;
            if ((!strncmp(p, "TR(", 3) || !strncmp(p, "N_(", 3)) && (p == src || !(p[-1] == '_' || (p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= 'a' && p[-1] <= 'z'))))
                q = p + 3;
            else if (!strncmp(p, "draw_tooltip(", 13) && p > src && p[-1] != '_') { /* its first argument (the DrawList), then the format */
                q = p + 13;
                while (*q && *q != ',' && *q != ')' && *q != '"') q++;
                if (*q != ',') q = NULL;
                else q++;
            }
            if (!q || !parse_literals(&q, lit, sizeof lit) || !i18n_has_letters(lit)) continue;
            found++;
            if (!i18n_lookup_zh(lit)) {
                fprintf(stderr, "%s: no Chinese for \"%s\"\n", e->d_name, lit);
                missing++;
            }
        }
        free(src);
    }
    closedir(d);
    assert_true(files > 20);
    assert_true(found > 350);
    assert_int_equal(missing, 0);
}

static void test_tr_follows_the_language(void **state) {
    I18nLang old = i18n_set(I18N_EN);
    const char *q = "query";
    assert_ptr_equal(TR(q), q);
    assert_int_equal(i18n_set(I18N_ZH), I18N_EN);
    assert_int_equal(i18n_get(), I18N_ZH);
    i18n_reset_misses();
    assert_string_equal(TR("query"), "\xe6\x9f\xa5\xe8\xaf\xa2"); /* 查询 */
    char buf[128];
    snprintf(buf, sizeof buf, TR("decoder step %d: %s"), 3, TR("softmax weights"));
    assert_string_equal(buf, "\xe8\xa7\xa3\xe7\xa0\x81\xe7\xac\xac 3 \xe6\xad\xa5\xef\xbc\x9a" "softmax \xe6\x9d\x83\xe9\x87\x8d"); /* 解码第 3 步：softmax 权重 */
    assert_int_equal(i18n_misses(), 0);
    assert_string_equal(TR("not in the table"), "not in the table");
    assert_string_equal(TR("%.2f"), "%.2f"); /* no letters: the same in every language, not a miss */
    assert_string_equal(TR("1992"), "1992");
    assert_int_equal(i18n_misses(), 1);
    assert_string_equal(i18n_last_miss(), "not in the table");
    assert_null(TR(NULL));
    i18n_reset_misses();
    assert_int_equal(i18n_misses(), 0);
    assert_int_equal(i18n_parse("zh"), I18N_ZH);
    assert_int_equal(i18n_parse("en"), I18N_EN);
    assert_int_equal(i18n_parse("fr"), -1);
    assert_int_equal(i18n_parse(NULL), -1);
    i18n_set(old);
}

/* 1 when the frame has a text command reading t. */
static int has_text(const DrawList *dl, const char *t) {
    for (int k = 0; k < dl->count; k++)
        if (dl->cmds[k].kind == DRAW_TEXT && !strcmp(dl->text + dl->cmds[k].text_off, t)) return 1;
    return 0;
}

/* Every view of the window, in Chinese, at the start, an encoder step, each sub-step of a
 * decoder step and the end, with the mouse over a grid of points (tooltips): no string the
 * table lacks. Then the chrome is Chinese and English comes back unchanged. */
static void test_every_view_in_chinese(void **state) {
    Renderer r;
    assert_int_equal(ru_open(&r, 1280, 720), 0);
    static const struct { const char *model, *input; int beam, min_len, no_repeat; } runs[] = {
        {"en-fr-es-tutorial", "<2fr> the european economic area was signed in august 1992 .", 0, 0, 0},
        {"en-fr-es-luong-lstm", "<2es> she will not sing .", 3, 0, 0},
        {"reverse-bigru-bahdanau", "a b c d e", 0, 0, 0},
        {"dates-tutorial", "march 3, 1999", 0, 0, 0},
        {"reverse-transformer", "a b c d", 3, 0, 0},
        /* the beam tree's blocking reasons (n-gram, min length) and their legend */
        {"reverse-tutorial", "a b a b c", 3, 5, 2},
        /* local-p: the Gaussian window in view 4 */
        {"en-fr-es-gru-local-p", "<2fr> the white ship of the european economic area does not sing in august 1992 .", 0, 0, 0},
    };
    const char *traces[] = {runs[0].model, runs[1].model, runs[2].model, runs[3].model, runs[4].model, runs[5].model, runs[6].model};
    I18nLang old = i18n_set(I18N_ZH);
    i18n_reset_misses();
    int frames = 0;
    for (size_t t = 0; t < sizeof runs / sizeof runs[0]; t++) {
        GuiState g;
        gui_state_init(&g);
        char path[1024];
        Status st = {{0}};
        snprintf(path, sizeof path, "%s/assets/models/%s.safetensors", ATTNSTEP_SOURCE_DIR, runs[t].model);
        assert_int_equal(gui_load_model(&g, path, &st), 0);
        snprintf(g.input, sizeof g.input, "%s", runs[t].input);
        g.beam = runs[t].beam;
        g.min_len = runs[t].min_len;
        g.no_repeat = runs[t].no_repeat;
        if (gui_run_model(&g, &st)) fprintf(stderr, "%s: %s\n", runs[t].model, st.message);
        assert_true(g.have_ix && g.have_alt); /* view 7 gets its partner */
        int n_pos = g.ix.n_pos;
        int picks[] = {0, 2, n_pos / 3, n_pos / 3 + 1, n_pos / 3 + 2, n_pos / 3 + 3, n_pos / 2, n_pos - 1};
        for (int v = 0; v < VIEW_COUNT; v++)
            for (size_t k = 0; k < sizeof picks / sizeof picks[0]; k++) {
                int pos = picks[k] < 0 ? 0 : picks[k] >= n_pos ? n_pos - 1 : picks[k];
                for (float my = 90; my < 700; my += 45)
                    for (float mx = 30; mx < 1280; mx += 60) {
                        g.view = (ViewId)v;
                        g.pos = pos;
                        g.anim = 1;
                        draw_begin(&r.dl, font_measure, r.fonts, mx, my);
                        UiInput in = {mx, my, 0, 0, 0};
                        gui_frame(&g, &r.dl, 1280, 720, &in);
                        frames++;
                        if (i18n_misses()) fprintf(stderr, "%s view %d pos %d: no Chinese for \"%s\"\n", traces[t], v + 1, pos, i18n_last_miss());
                        assert_int_equal(i18n_misses(), 0);
                    }
            }
        /* the chrome */
        g.view = VIEW_HEATMAP;
        g.help = 1;
        draw_begin(&r.dl, font_measure, r.fonts, -1, -1);
        gui_frame(&g, &r.dl, 1280, 720, NULL);
        assert_true(has_text(&r.dl, "\xe8\xbe\x93\xe5\x85\xa5")); /* 输入 */
        assert_true(has_text(&r.dl, "\xe6\x8c\x89\xe9\x94\xae")); /* 按键 (the help's title) */
        assert_false(has_text(&r.dl, "input"));
        if (i18n_misses()) fprintf(stderr, "the window's chrome: no Chinese for \"%s\"\n", i18n_last_miss());
        assert_int_equal(i18n_misses(), 0);
        i18n_set(I18N_EN);
        draw_begin(&r.dl, font_measure, r.fonts, -1, -1);
        gui_frame(&g, &r.dl, 1280, 720, NULL);
        assert_true(has_text(&r.dl, "input"));
        assert_true(has_text(&r.dl, "Keys"));
        i18n_set(I18N_ZH);
        gui_state_free(&g);
    }
    assert_true(frames > 1000);
    i18n_set(old);
    ru_close(&r);
}

/* 1 when s holds a CJK character (UTF-8 lead byte E3..E9: 、。 and the ideographs). */
static int has_cjk(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s >= 0xE3 && (unsigned char)*s <= 0xE9) return 1;
    return 0;
}

#define ASSERT_ZH(msg)                                                                                              \
    do {                                                                                                            \
        printf("zh: %s\n", (msg));                                                                                  \
        if (i18n_misses()) fprintf(stderr, "no Chinese for \"%s\"\n", i18n_last_miss());                             \
        assert_int_equal(i18n_misses(), 0);                                                                         \
        assert_true(has_cjk(msg));                                                                                  \
    } while (0)

/* The messages of the status line in Chinese: the stepper's runs and what-if (state.c,
 * whatif.c) and the training controller (live_train.c), including those its worker thread
 * formats. */
static void test_messages_in_chinese(void **state) {
    (void)state;
    I18nLang old = i18n_set(I18N_ZH);
    i18n_reset_misses();
    GuiState g;
    gui_state_init(&g);
    Status st = {{0}};
    char path[1024];
    snprintf(path, sizeof path, "%s/assets/models/reverse-tutorial.safetensors", ATTNSTEP_SOURCE_DIR);
    assert_int_equal(gui_run_model(&g, &st), -1); /* no model yet */
    ASSERT_ZH(st.message);
    assert_int_equal(gui_load_model(&g, path, &st), 0);
    snprintf(g.input, sizeof g.input, "a b a b c");
    g.beam = 3;
    assert_int_equal(gui_run_model(&g, &st), 0);
    assert_int_equal(gui_whatif(&g, 99, 4, &st), -1);
    ASSERT_ZH(st.message);
    float w1[2] = {1, 0};
    assert_int_equal(gui_whatif_attention(&g, 0, w1, 2, &st), -1);
    ASSERT_ZH(st.message);
    int node = -1;
    for (int i = 0; i < g.ix.n_hyps && node < 0; i++)
        if (g.ix.hyps[i].status == TL_KEPT) node = i;
    assert_true(node >= 0);
    g.pick = (ViewPick){PICK_NODE, g.ix.hyps[node].step, g.ix.hyps[node].token, node, 0};
    gui_apply_pick(&g);
    ASSERT_ZH(g.message);
    g.pick = (ViewPick){PICK_TOKEN, 1, g.ix.hyps[node].token, -1, 0};
    gui_apply_pick(&g);
    ASSERT_ZH(g.message);
    assert_int_equal(gui_export_compare(&g, "/nonexistent/dir/x.csv", NULL, &st), -1);
    ASSERT_ZH(st.message);
    gui_state_free(&g);

    /* the training controller: synchronous, then its worker thread */
    LiveConfig c;
    live_config_default(&c, LIVE_REVERSE);
    c.hidden = 0;
    assert_null(live_train_new(&c, &st));
    ASSERT_ZH(st.message);
    live_config_default(&c, LIVE_REVERSE);
    c.n_train = 200;
    c.n_dev = 10;
    LiveTrain *lt = live_train_new(&c, &st);
    assert_non_null(lt);
    live_train_set_lr(lt, 5.0f);
    ASSERT_ZH(lt->message);
    live_train_save(lt, "");
    ASSERT_ZH(lt->message);
    live_train_play(lt, 1);
    ASSERT_ZH(lt->message); /* no worker yet */
    live_train_reset(lt);
    ASSERT_ZH(lt->message);
    assert_int_equal(live_train_start(lt, &st), 0);
    live_train_set_lr(lt, 0.001f);
    live_train_wait(lt);
    live_train_lock(lt);
    char msg[600];
    snprintf(msg, sizeof msg, "%s", lt->message);
    live_train_unlock(lt);
    ASSERT_ZH(msg); /* formatted by the worker */
    assert_non_null(strstr(msg, "0.001"));
    live_train_free(lt);
    i18n_set(old);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_consistent),
        cmocka_unit_test(test_every_source_string_is_translated),
        cmocka_unit_test(test_tr_follows_the_language),
        cmocka_unit_test(test_every_view_in_chinese),
        cmocka_unit_test(test_messages_in_chinese),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
