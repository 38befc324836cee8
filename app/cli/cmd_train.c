/* cmd_train.c — placeholder until the trainer lands. */
#include <stdio.h>
#include "commands.h"
int cmd_train(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "train: not built yet\n"); return 1; }
