/* cmd_translate.c — placeholder until the seq2seq module lands. */
#include <stdio.h>
#include "commands.h"
int cmd_translate(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "translate: not built yet\n"); return 1; }
int cmd_trace(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "trace: not built yet\n"); return 1; }
