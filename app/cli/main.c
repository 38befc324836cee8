/* main.c — `attnstep <command> [options]`: dispatches to app/cli/cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "attnstep/tensor.h"
#include "commands.h"

typedef struct Command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} Command;

static const Command COMMANDS[] = {
    {"translate", cmd_translate, "decode a sentence and print the output"},
    {"trace", cmd_trace, "decode a sentence and write the JSONL event stream"},
    {"compare", cmd_compare, "decode greedily and with beam search, side by side"},
    {"train", cmd_train, "train a model on a synthetic task (checkpoints, resume)"},
    {"eval", cmd_eval, "BLEU, exact match and attention AER of a model on a task's test split"},
    {"bench", cmd_bench, "time the core on a reference model (optionally against PyTorch)"},
    {"corpus", cmd_corpus, "generate a synthetic task corpus with gold alignments"},
    {"lesson", cmd_lesson, "check, present (classroom mode) or export a lesson file"},
#ifdef ATTNSTEP_GUI
    {"gui", cmd_gui, "open the stepper window (the default without a command)"},
    {"render", cmd_render, "draw any view at any step to a PNG, without a display"},
    {"plot", cmd_plot, "draw eval --csv tables (metric by source length) as a PNG chart"},
#endif
};
static const int COMMAND_COUNT = (int)(sizeof COMMANDS / sizeof COMMANDS[0]);

static void usage(FILE *out) {
    fprintf(out, "usage: attnstep <command> [options]   (attnstep <command> --help for details)\n\ncommands:\n");
    for (int i = 0; i < COMMAND_COUNT; i++) fprintf(out, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
}

int main(int argc, char **argv) {
    tensor_set_threads(1);
    if (argc < 2) {
#ifdef ATTNSTEP_GUI
        return cmd_gui(argc, argv);
#endif
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--lesson")) return cmd_lesson(argc - 1, argv + 1); /* attnstep --lesson FILE */
    for (int i = 0; i < COMMAND_COUNT; i++) {
        if (!strcmp(argv[1], COMMANDS[i].name)) return COMMANDS[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "attnstep: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
