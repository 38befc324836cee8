/* cmd_corpus.c — placeholder until the corpus module lands. */
#include <stdio.h>
#include "commands.h"
int cmd_corpus(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "corpus: not built yet\n"); return 1; }
