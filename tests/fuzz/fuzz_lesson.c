/* fuzz_lesson.c — libFuzzer target for the lesson parser (lesson_parse).
 *
 * Any bytes must parse without crashing or leaking; the result must be self-consistent:
 * every span lies inside its slide's text, every block's spans exist, every stored
 * problem has a message and a line inside the file, counts never fall below what is
 * stored, and the canonical text of every position parses back to the same position.
 * (lesson_check is not fuzzed here: it loads models; fuzz_model_load covers those.)
 *
 *   scripts/fuzz 60 fuzz_lesson
 *
 * fuzz-sources: core/src/lesson/lesson.c core/src/status.c
 * fuzz-libs: md4c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnstep/lesson.h"

static void check_rich(const LessonRich *r) {
    for (int b = 0; b < r->n_blocks; b++) {
        const LessonBlock *bl = &r->blocks[b];
        if (bl->span0 < 0 || bl->nspans < 0 || bl->span0 + bl->nspans > r->n_spans) abort();
        for (int s = 0; s < bl->nspans; s++) {
            const LessonSpan *sp = &r->spans[bl->span0 + s];
            if (sp->off < 0 || sp->len <= 0 || sp->off + sp->len > r->text_len) abort();
            if (memchr(r->text + sp->off, 0, (size_t)sp->len)) abort(); /* NUL-free */
        }
    }
    if (r->text_len > LESSON_RICH_MAX) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Status st = {{0}};
    Lesson *l = lesson_parse((const char *)data, size, &st);
    if (!l) {
        if (!st.message[0]) abort(); /* a refusal names its reason */
        return 0;
    }
    int lines = 1;
    for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
    if (l->n_problems > l->n_errors + l->n_warnings || l->n_slides > LESSON_MAX_SLIDES) abort();
    for (int i = 0; i < l->n_problems; i++)
        if (!l->problems[i].message[0] || l->problems[i].line < 0 || l->problems[i].line > lines) abort();
    for (int i = 0; i < l->n_slides; i++) {
        const LessonSlide *s = &l->slides[i];
        check_rich(&s->body);
        check_rich(&s->notes);
        if (s->set.n_hl < 0 || s->set.n_hl > LESSON_MAX_HIGHLIGHTS) abort();
        if (s->set.view < LESSON_VIEW_NONE || s->set.view >= LESSON_VIEW_COUNT) abort();
        char buf[64];
        LessonPos p;
        lesson_pos_format(&s->set.pos, buf, sizeof buf);
        if (lesson_pos_parse(buf, &p, &st) || p.kind != s->set.pos.kind || p.n != s->set.pos.n ||
            p.phase != s->set.pos.phase || p.beam != s->set.pos.beam)
            abort();
    }
    lesson_free(l);
    return 0;
}
