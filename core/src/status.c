/* status.c — formatting user-facing error messages (see status.h). */
#include "attnstep/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int status_fail(Status *st, const char *fmt, ...) {
    if (!st) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->message, sizeof st->message, fmt, ap);
    va_end(ap);
    return -1;
}

int status_prefix(Status *st, const char *fmt, ...) {
    if (!st) return -1;
    char prefix[STATUS_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char old[STATUS_MESSAGE_MAX];
    memcpy(old, st->message, sizeof old);
    size_t used = strlen(prefix);
    if (used > sizeof st->message - 3) used = sizeof st->message - 3;
    memcpy(st->message, prefix, used);
    memcpy(st->message + used, ": ", 2);
    used += 2;
    size_t rest = strnlen(old, sizeof old - 1);
    if (rest > sizeof st->message - 1 - used) rest = sizeof st->message - 1 - used;
    memcpy(st->message + used, old, rest);
    st->message[used + rest] = '\0';
    return -1;
}
