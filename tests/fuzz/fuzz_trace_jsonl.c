/* fuzz_trace_jsonl.c — libFuzzer target for trace_read_jsonl.
 *
 * Feeds the input bytes through fmemopen to the JSONL reader. Whatever it accepted
 * (all lines, or the lines before the first bad one) must write, re-read without
 * error, and write again byte for byte the same. A refusal must carry a "line N: "
 * message. ASan catches out-of-bounds reads and leaks.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address -Icore/include tests/fuzz/fuzz_trace_jsonl.c \
 *         core/src/events.c core/src/status.c -lm -o fuzz_trace_jsonl
 *   ./fuzz_trace_jsonl -max_total_time=60 tests/fuzz/seeds/trace_jsonl
 * or simply: scripts/fuzz 60 fuzz_trace_jsonl
 *
 * fuzz-sources: core/src/events.c core/src/status.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnstep/events.h"

static char *write_all(const Trace *t, size_t *len) {
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f) abort();
    Status st = {0};
    if (trace_write_jsonl(t, f, &st) != 0) abort();
    fclose(f);
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0; /* fmemopen refuses an empty buffer on some libcs */
    FILE *in = fmemopen((void *)data, size, "r");
    if (!in) return 0;
    Trace *t = trace_new();
    if (!t) abort();
    Status st = {0};
    int rc = trace_read_jsonl(t, in, &st);
    fclose(in);
    if (rc != 0 && strncmp(st.message, "line ", 5) != 0) abort();
    if (rc == 0 && st.message[0]) abort();

    size_t la, lb;
    char *a = write_all(t, &la);
    Trace *t2 = trace_new();
    if (!t2) abort();
    if (la > 0) {
        in = fmemopen(a, la, "r");
        if (!in) abort();
        Status st2 = {0};
        if (trace_read_jsonl(t2, in, &st2) != 0) {
            fprintf(stderr, "re-read failed: %s\n", st2.message);
            abort();
        }
        fclose(in);
    }
    if (trace_count(t2) != trace_count(t)) abort();
    char *b = write_all(t2, &lb);
    if (la != lb || memcmp(a, b, la) != 0) {
        fprintf(stderr, "round trip differs:\n%.*s\n---\n%.*s\n", (int)la, a, (int)lb, b);
        abort();
    }
    free(a);
    free(b);
    trace_free(t);
    trace_free(t2);
    return 0;
}
