/* status.h — user-facing errors for attnstep's core.
 *
 * Two tiers (DESIGN §2): programmer errors (wrong shapes, NULL where not allowed)
 * are asserts; everything a user can cause (bad file, unknown word, too long an
 * input, out of memory) is reported through a Status and a return code of -1.
 * The message is complete English, ready to show as is; the core never prints
 * and never exits.
 *
 *   Status st = {0};
 *   if (model_load(&m, "x.safetensors", &st) != 0) { fprintf(stderr, "%s\n", st.message); ... }
 */
#ifndef ATTNSTEP_STATUS_H
#define ATTNSTEP_STATUS_H

#define STATUS_MESSAGE_MAX 512

typedef struct Status {
    char message[STATUS_MESSAGE_MAX]; /* empty on success */
} Status;

/* Formats the message into st (when st is not NULL) and returns -1, so that
 * `return status_fail(st, "...", ...);` is the idiom for failing. */
int status_fail(Status *st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Prepends "context: " to an existing message (e.g. the file name). Returns -1. */
int status_prefix(Status *st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
