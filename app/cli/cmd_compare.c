/* cmd_compare.c — placeholder until beam search lands. */
#include <stdio.h>
#include "commands.h"
int cmd_compare(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "compare: not built yet\n"); return 1; }
