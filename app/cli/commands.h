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

#endif
