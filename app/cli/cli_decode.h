/* cli_decode.h — the options shared by translate, trace and compare: model, input text,
 * decoding strategy and its settings; loading the model and turning the text into ids. */
#ifndef ATTNSTEP_CLI_DECODE_H
#define ATTNSTEP_CLI_DECODE_H

#include "attnstep/decode.h"
#include "attnstep/model.h"

typedef struct CliDecode {
    const char *model_path;
    const char *text;
    const char *out_path;        /* --out (trace) */
    const char *force_prefix;    /* --force-prefix text, resolved into opts.force_prefix */
    int scores;                  /* --scores: always print scores */
    DecodeOptions opts;
    /* filled by cli_decode_prepare */
    Model *model;                /* an RNN encoder–decoder or a Transformer (model.h) */
    int src_ids[MODEL_MAX_SOURCE];
    int src_len;
} CliDecode;

/* Prints the decoding options' help lines. */
void cli_decode_usage(FILE *out);
/* Parses argv (argv[0] is the command name). Returns 0, 2 after printing a usage error,
 * or 1 when --help was printed (caller returns 0). */
int cli_decode_parse(int argc, char **argv, CliDecode *c, const char *usage_line);
/* Loads the model, tokenises the text (reporting unknown words on stderr), resolves the
 * forced prefix. Returns 0, or 1 after printing the error. */
int cli_decode_prepare(CliDecode *c);
void cli_decode_release(CliDecode *c);

#endif
