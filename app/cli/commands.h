/* commands.h — the `attnstep <command>` entry points. Each returns the process
 * exit code (0 ok, 1 user error, 2 usage error) and prints its own messages;
 * only main() exits. */
#ifndef ATTNSTEP_CLI_COMMANDS_H
#define ATTNSTEP_CLI_COMMANDS_H

int cmd_translate(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_corpus(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_lesson(int argc, char **argv); /* cmd_lesson.c: check / present / export lessons */
/* Directories searched for a lesson's `model: NAME` (cmd_lesson.c); returns the count. */
int lesson_model_dirs(const char **dirs, int max);
#ifdef ATTNSTEP_GUI
int cmd_gui(int argc, char **argv);    /* app/gui/app.c: the window (also `attnstep` alone) */
int cmd_render(int argc, char **argv); /* app/gui/render.c: headless PNG of any view */
int cmd_plot(int argc, char **argv);   /* app/gui/plot.c: eval --csv tables as a line chart PNG */
int cmd_bench_gui(int argc, char **argv); /* app/gui/bench_gui.c: `attnstep bench --gui` */
#endif

#endif
