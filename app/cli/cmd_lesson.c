/* cmd_lesson.c — `attnstep lesson`: check lesson files, present them, export their slides.
 *
 *   attnstep lesson check FILE...          every problem as FILE:LINE: error|warning: message
 *   attnstep lesson FILE [options]         presenter mode (app/gui/lesson_app.c)
 *   attnstep lesson export FILE --out DIR  every slide to DIR/slide-NN.png (headless)
 * Exit codes: 0 ok, 1 a lesson has errors (or cannot be read), 2 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attnstep/lesson.h"
#include "commands.h"

#ifdef ATTNSTEP_GUI
int lesson_present(int argc, char **argv); /* app/gui/lesson_app.c */
int lesson_export(int argc, char **argv);  /* app/gui/lesson_app.c */
#endif

static void usage(FILE *out) {
    fprintf(out,
            "usage: attnstep lesson check FILE...          check lessons: every problem with its line number\n"
#ifdef ATTNSTEP_GUI
            "       attnstep lesson FILE [--windowed] [--theme T] [--slide N] [--notes] [--display N]\n"
            "                                               present a lesson (full screen, projector theme)\n"
            "       attnstep lesson export FILE --out DIR [--size WxH] [--theme T]\n"
            "                                               every slide to DIR/slide-NN.png, without a display\n"
#endif
            "lesson format: docs/lessons.md\n");
}

/* The directories searched for `model: NAME` (besides LESSONDIR/../../assets/models):
 * ./assets/models and EXEDIR/../assets/models. Fills dirs (static storage). */
int lesson_model_dirs(const char **dirs, int max) {
    static char exe_dir[1100];
    int n = 0;
    if (n < max) dirs[n++] = "assets/models";
    char exe[1024];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0 && n < max) {
        exe[len] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(exe_dir, sizeof exe_dir, "%s/../assets/models", exe);
            dirs[n++] = exe_dir;
        }
    }
    return n;
}

static int check_files(int argc, char **argv) {
    if (argc < 1) { usage(stderr); return 2; }
    const char *dirs[4];
    int nd = lesson_model_dirs(dirs, 4);
    int bad = 0;
    for (int i = 0; i < argc; i++) {
        Status st = {{0}};
        Lesson *l = lesson_load(argv[i], &st);
        if (!l) { fprintf(stderr, "%s: error: %s\n", argv[i], st.message); bad = 1; continue; }
        if (lesson_check(l, dirs, nd, NULL, &st)) { fprintf(stderr, "%s: error: %s\n", argv[i], st.message); bad = 1; }
        /* in file order (parse problems come before model checks otherwise); the sort is
         * stable enough for a report: ties keep their order of discovery */
        for (int k = 1; k < l->n_problems; k++)
            for (int j = k; j > 0 && l->problems[j - 1].line > l->problems[j].line; j--) {
                LessonProblem t = l->problems[j];
                l->problems[j] = l->problems[j - 1];
                l->problems[j - 1] = t;
            }
        for (int k = 0; k < l->n_problems; k++) {
            const LessonProblem *p = &l->problems[k];
            fprintf(stderr, "%s:%d: %s: %s\n", argv[i], p->line, p->warning ? "warning" : "error", p->message);
        }
        int shown = l->n_problems, total = l->n_errors + l->n_warnings;
        if (total > shown) fprintf(stderr, "%s: %d more problems not shown\n", argv[i], total - shown);
        if (l->n_errors) bad = 1;
        printf("%s: %d slide%s, %d error%s, %d warning%s\n", argv[i], l->n_slides, l->n_slides == 1 ? "" : "s", l->n_errors,
               l->n_errors == 1 ? "" : "s", l->n_warnings, l->n_warnings == 1 ? "" : "s");
        lesson_free(l);
    }
    return bad;
}

int cmd_lesson(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "check")) return check_files(argc - 2, argv + 2);
#ifdef ATTNSTEP_GUI
    if (!strcmp(argv[1], "export")) return lesson_export(argc - 1, argv + 1);
    return lesson_present(argc, argv);
#else
    fprintf(stderr, "attnstep lesson: this build has no GUI: only `attnstep lesson check FILE` is available\n");
    return 2;
#endif
}
