/* test_events.c — event builders/accessors, the trace recorder (copies, stable
 * pointers, clear), the JSONL writer (exact bytes) and reader (round trip, errors). */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "attnstep/events.h"

/* ---- helpers ------------------------------------------------------------ */

/* The JSON line(s) of one event; caller frees. */
static char *event_json(const Event *ev) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    Status st = {0};
    assert_int_equal(event_write_json(f, ev, &st), 0);
    fclose(f);
    return buf;
}

static char *trace_json(const Trace *t, size_t *len_out) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    Status st = {0};
    assert_int_equal(trace_write_jsonl(t, f, &st), 0);
    fclose(f);
    if (len_out) *len_out = len;
    return buf;
}

/* Reads text into t; returns the reader's result, message in st. */
static int read_text(Trace *t, const char *text, size_t len, Status *st) {
    FILE *f = fmemopen((void *)text, len, "r");
    assert_non_null(f);
    int rc = trace_read_jsonl(t, f, st);
    fclose(f);
    return rc;
}

/* Reads text that must fail; checks the message contains `expect`. */
static void expect_read_error(const char *text, const char *expect) {
    Trace *t = trace_new();
    Status st = {0};
    int rc = read_text(t, text, strlen(text), &st);
    if (rc != -1 || !strstr(st.message, expect)) {
        print_error("input:    %s\nexpected: %s\ngot:      rc=%d \"%s\"\n", text, expect, rc, st.message);
        fail();
    }
    trace_free(t);
}

/* ---- builders and accessors --------------------------------------------- */

static void test_builders_and_accessors(void **state) {
    (void)state;
    float v[3] = {0.5f, -INFINITY, 2.0f};
    int ids[2] = {4, 7};
    const char *toks[2] = {"le", "chat"};
    Event ev;
    event_begin(&ev, "attn");
    event_int(&ev, "step", 3);
    event_float(&ev, "score", -1.25);
    event_str(&ev, "scorer", "additive");
    event_floats(&ev, "energies", v, 3);
    event_ints(&ev, "ids", ids, 2);
    event_strs(&ev, "src", toks, 2);
    event_ints(&ev, "empty_i", NULL, 0);
    event_floats(&ev, "empty_f", NULL, 0);
    assert_string_equal(ev.type, "attn");
    assert_int_equal(ev.seq, 0);
    assert_int_equal(ev.nfields, 8);

    assert_non_null(event_get(&ev, "step"));
    assert_null(event_get(&ev, "nope"));
    assert_int_equal(event_get_int(&ev, "step", -1), 3);
    assert_int_equal(event_get_int(&ev, "nope", -1), -1);
    assert_int_equal(event_get_int(&ev, "score", -1), -1); /* not an int */
    assert_true(event_get_float(&ev, "score", 0.0) == -1.25);
    assert_true(event_get_float(&ev, "step", 0.0) == 3.0); /* ints widen */
    assert_true(event_get_float(&ev, "scorer", 9.0) == 9.0);
    assert_string_equal(event_get_str(&ev, "scorer"), "additive");
    assert_null(event_get_str(&ev, "step"));

    int n = -1;
    const float *e = event_get_floats(&ev, "energies", &n);
    assert_ptr_equal(e, v); /* borrowed, not copied */
    assert_int_equal(n, 3);
    assert_true(isinf(e[1]) && e[1] < 0);
    assert_ptr_equal(event_get_ints(&ev, "ids", &n), ids);
    assert_int_equal(n, 2);
    assert_ptr_equal(event_get_strs(&ev, "src", &n), toks);
    assert_int_equal(n, 2);

    /* wrong kinds and absent keys: NULL, n = 0 */
    n = 5;
    assert_null(event_get_floats(&ev, "ids", &n));
    assert_int_equal(n, 0);
    n = 5;
    assert_null(event_get_ints(&ev, "energies", &n));
    assert_int_equal(n, 0);
    n = 5;
    assert_null(event_get_strs(&ev, "step", &n));
    assert_int_equal(n, 0);
    n = 5;
    assert_null(event_get_floats(&ev, "nope", &n));
    assert_int_equal(n, 0);

    /* empty arrays are ambiguous on read: any array accessor gives n = 0 (non-NULL) */
    n = 5;
    assert_non_null(event_get_floats(&ev, "empty_i", &n));
    assert_int_equal(n, 0);
    n = 5;
    assert_non_null(event_get_floats(&ev, "empty_f", &n));
    assert_int_equal(n, 0);
    n = 5;
    assert_non_null(event_get_ints(&ev, "empty_f", &n));
    assert_int_equal(n, 0);
    n = 5;
    assert_non_null(event_get_strs(&ev, "empty_i", &n));
    assert_int_equal(n, 0);
}

static int count_emit(void *ctx, const Event *ev) {
    (void)ev;
    ++*(int *)ctx;
    return 0;
}

static void test_emit_null_sink(void **state) {
    (void)state;
    Event ev;
    event_begin(&ev, "run");
    assert_int_equal(event_emit(NULL, &ev), 0);
    EventSink none = {NULL, NULL};
    assert_int_equal(event_emit(&none, &ev), 0);
    int calls = 0;
    EventSink counting = {count_emit, &calls};
    assert_int_equal(event_emit(&counting, &ev), 0);
    assert_int_equal(calls, 1);
}

/* ---- the recorder --------------------------------------------------------- */

static void test_recorder_copies_everything(void **state) {
    (void)state;
    Trace *t = trace_new();
    assert_non_null(t);
    EventSink sink = trace_sink(t);
    float v[3] = {1.0f, 2.0f, 3.0f};
    int ids[2] = {10, 11};
    char type[16] = "context", key[16] = "vector", word[16] = "chat";
    char w0[8] = "le", w1[8] = "chien";
    const char *words[2] = {w0, w1};
    Event ev;
    event_begin(&ev, type);
    ev.seq = 99; /* replaced by the recorder */
    event_floats(&ev, key, v, 3);
    event_ints(&ev, "ids", ids, 2);
    event_str(&ev, "token", word);
    event_strs(&ev, "src", words, 2);
    assert_int_equal(event_emit(&sink, &ev), 0);
    assert_int_equal(event_emit(&sink, &ev), 0);

    /* scribble over every source buffer */
    v[0] = v[1] = v[2] = -7.0f;
    ids[0] = ids[1] = -1;
    strcpy(type, "XXXX");
    strcpy(key, "YYYY");
    strcpy(word, "ZZZZ");
    strcpy(w0, "AA");
    strcpy(w1, "BB");

    assert_int_equal(trace_count(t), 2);
    for (long k = 0; k < 2; k++) {
        const Event *r = trace_get(t, k);
        assert_int_equal(r->seq, k);
        assert_string_equal(r->type, "context");
        int n;
        const float *rv = event_get_floats(r, "vector", &n);
        assert_non_null(rv);
        assert_int_equal(n, 3);
        assert_true(rv[0] == 1.0f && rv[1] == 2.0f && rv[2] == 3.0f);
        const int *ri = event_get_ints(r, "ids", &n);
        assert_int_equal(n, 2);
        assert_true(ri[0] == 10 && ri[1] == 11);
        assert_string_equal(event_get_str(r, "token"), "chat");
        const char *const *rs = event_get_strs(r, "src", &n);
        assert_int_equal(n, 2);
        assert_string_equal(rs[0], "le");
        assert_string_equal(rs[1], "chien");
    }
    /* keys and types are interned: one copy shared by both events */
    assert_ptr_equal(trace_get(t, 0)->type, trace_get(t, 1)->type);
    assert_ptr_equal(trace_get(t, 0)->fields[0].key, trace_get(t, 1)->fields[0].key);
    trace_free(t);
    trace_free(NULL);
}

static void test_100k_events_pointers_stable(void **state) {
    (void)state;
    Trace *t = trace_new();
    EventSink sink = trace_sink(t);
    enum { N = 100000 };
    const Event *first = NULL, *mid = NULL;
    const float *first_v = NULL;
    for (int k = 0; k < N; k++) {
        float v[4] = {(float)k, (float)k + 0.5f, -INFINITY, 1.0f / (float)(k + 1)};
        Event ev;
        event_begin(&ev, k % 2 ? "attn" : "context");
        event_int(&ev, "step", k);
        event_floats(&ev, "weights", v, 4);
        event_str(&ev, "scorer", k % 3 ? "dot" : "additive");
        assert_int_equal(event_emit(&sink, &ev), 0);
        if (k == 0) {
            first = trace_get(t, 0);
            first_v = event_get_floats(first, "weights", NULL);
        }
        if (k == N / 2) mid = trace_get(t, k);
    }
    assert_int_equal(trace_count(t), N);
    assert_ptr_equal(trace_get(t, 0), first);
    assert_ptr_equal(trace_get(t, N / 2), mid);
    assert_ptr_equal(event_get_floats(first, "weights", NULL), first_v);
    assert_true(first_v[0] == 0.0f && first_v[1] == 0.5f);
    for (long k = 0; k < N; k += 997) {
        const Event *r = trace_get(t, k);
        assert_int_equal(r->seq, k);
        assert_int_equal(event_get_int(r, "step", -1), k);
        int n;
        const float *w = event_get_floats(r, "weights", &n);
        assert_int_equal(n, 4);
        assert_true(w[0] == (float)k && isinf(w[2]));
        assert_string_equal(event_get_str(r, "scorer"), k % 3 ? "dot" : "additive");
    }
    assert_int_equal(mid->seq, N / 2);

    /* clear forgets the events and numbers from 0 again; the trace stays usable */
    trace_clear(t);
    assert_int_equal(trace_count(t), 0);
    Event ev;
    event_begin(&ev, "run");
    event_str(&ev, "model", "m");
    assert_int_equal(event_emit(&sink, &ev), 0);
    assert_int_equal(trace_count(t), 1);
    assert_int_equal(trace_get(t, 0)->seq, 0);
    assert_string_equal(event_get_str(trace_get(t, 0), "model"), "m");
    trace_free(t);
}

/* ---- JSON formatting ------------------------------------------------------ */

static void check_float_text(double x, const char *want) {
    Event ev;
    event_begin(&ev, "t");
    event_float(&ev, "x", x);
    char *got = event_json(&ev);
    char expect[128];
    snprintf(expect, sizeof expect, "{\"seq\":0,\"type\":\"t\",\"x\":%s}\n", want);
    assert_string_equal(got, expect);
    free(got);
}

static void test_json_numbers(void **state) {
    (void)state;
    check_float_text(1.0, "1.0");
    check_float_text(-0.5, "-0.5");
    check_float_text(1e-07, "1e-07");
    check_float_text(0.0, "0.0");
    check_float_text(-0.0, "-0.0");
    check_float_text(100000000.0, "100000000.0");
    check_float_text(1e20, "1e+20");
    check_float_text(0.1, "0.1");
    check_float_text(-INFINITY, "null");
    check_float_text(INFINITY, "null"); /* programmer error, still valid JSON */
    check_float_text(NAN, "null");

    float fv[8] = {1.0f, -0.5f, -INFINITY, 0.1f, 123456789.0f, 1e-7f, 3.0e38f, -2.0f};
    int iv[3] = {0, -5, 2147483647};
    Event ev;
    event_begin(&ev, "output");
    ev.seq = 42;
    event_floats(&ev, "logprobs", fv, 8);
    event_ints(&ev, "ids", iv, 3);
    event_int(&ev, "big", -9000000000L);
    event_floats(&ev, "none", NULL, 0);
    char *got = event_json(&ev);
    assert_string_equal(got, "{\"seq\":42,\"type\":\"output\",\"logprobs\":[1.0,-0.5,null,0.100000001,123456792.0,"
                             "1.00000001e-07,3.00000001e+38,-2.0],\"ids\":[0,-5,2147483647],\"big\":-9000000000,"
                             "\"none\":[]}\n");
    free(got);
}

static void test_json_strings(void **state) {
    (void)state;
    const char *toks[3] = {"a\"b\\c", "\t\n\x01\x1f\x7f", "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80"};
    Event ev;
    event_begin(&ev, "run");
    event_strs(&ev, "src", toks, 3);
    event_str(&ev, "bad", "x\xff" "y\xc3"); /* invalid UTF-8: each bad byte becomes U+FFFD */
    event_str(&ev, "k\"ey", "");
    char *got = event_json(&ev);
    assert_string_equal(got, "{\"seq\":0,\"type\":\"run\",\"src\":[\"a\\\"b\\\\c\",\"\\u0009\\u000a\\u0001\\u001f\x7f\","
                             "\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"],\"bad\":\"x\xef\xbf\xbdy\xef\xbf\xbd\","
                             "\"k\\\"ey\":\"\"}\n");
    free(got);
}

static void test_json_locale_independent(void **state) {
    (void)state;
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "de_DE"};
    const char *set = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !set; i++) set = setlocale(LC_NUMERIC, names[i]);
    if (!set) skip(); /* no comma-decimal locale installed */
    float v[2] = {1.5f, -0.25f};
    Event ev;
    event_begin(&ev, "t");
    event_float(&ev, "x", 2.5);
    event_floats(&ev, "v", v, 2);
    char *got = event_json(&ev);
    Trace *t = trace_new();
    Status st = {0};
    int rc = read_text(t, got, strlen(got), &st);
    setlocale(LC_NUMERIC, "C");
    assert_string_equal(got, "{\"seq\":0,\"type\":\"t\",\"x\":2.5,\"v\":[1.5,-0.25]}\n");
    assert_int_equal(rc, 0);
    assert_true(event_get_float(trace_get(t, 0), "x", 0) == 2.5);
    free(got);
    trace_free(t);
}

/* ---- round trip ------------------------------------------------------------- */

static void test_round_trip_byte_identical(void **state) {
    (void)state;
    Trace *t = trace_new();
    EventSink sink = trace_sink(t);
    const char *src[4] = {"<2fr>", "the", "\"quoted\"\n", "\xe4\xb8\xad\xf0\x9f\x98\x80"};
    float e[5] = {0.25f, -INFINITY, -1e-30f, 3.14159274f, -0.0f};
    float tiny[2] = {1e-45f, 3.40282347e38f};
    int ids[4] = {0, 1, -2147483647 - 1, 2147483647};
    for (int step = 0; step < 3; step++) {
        Event ev;
        event_begin(&ev, "attn");
        event_int(&ev, "step", step);
        event_int(&ev, "beam", 0);
        event_str(&ev, "scorer", "additive");
        event_floats(&ev, "energies", e, 5);
        event_floats(&ev, "weights", tiny, 2);
        event_ints(&ev, "window", ids, 4);
        event_strs(&ev, "src", src, 4);
        event_float(&ev, "score", -12.345678901234);
        event_float(&ev, "huge", 1e300);
        event_int(&ev, "min", -9223372036854775807L - 1);
        event_floats(&ev, "empty", NULL, 0);
        event_strs(&ev, "no_tokens", NULL, 0);
        event_str(&ev, "esc", "tab\there \\ back / slash \x1b");
        assert_int_equal(event_emit(&sink, &ev), 0);
        e[0] += 0.125f;
    }
    size_t la, lb;
    char *a = trace_json(t, &la);
    Trace *t2 = trace_new();
    Status st = {0};
    assert_int_equal(read_text(t2, a, la, &st), 0);
    assert_int_equal(trace_count(t2), 3);
    char *b = trace_json(t2, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);

    /* and the values came back exactly */
    const Event *r = trace_get(t2, 1);
    assert_int_equal(r->seq, 1);
    assert_string_equal(r->type, "attn");
    int n;
    const float *re = event_get_floats(r, "energies", &n);
    assert_int_equal(n, 5);
    assert_true(re[0] == 0.375f && isinf(re[1]) && re[1] < 0 && re[2] == -1e-30f && re[3] == 3.14159274f);
    assert_true(re[4] == 0.0f && signbit(re[4]));
    const float *rt = event_get_floats(r, "weights", &n);
    assert_true(rt[0] == 1e-45f && rt[1] == 3.40282347e38f);
    const int *ri = event_get_ints(r, "window", &n);
    assert_int_equal(n, 4);
    assert_memory_equal(ri, ids, sizeof ids);
    const char *const *rs = event_get_strs(r, "src", &n);
    assert_int_equal(n, 4);
    for (int k = 0; k < 4; k++) assert_string_equal(rs[k], src[k]);
    assert_int_equal(event_get_int(r, "min", 0), -9223372036854775807L - 1);
    assert_true(event_get_float(r, "huge", 0) == 1e300);
    assert_string_equal(event_get_str(r, "esc"), "tab\there \\ back / slash \x1b");
    assert_non_null(event_get_strs(r, "no_tokens", &n));
    assert_int_equal(n, 0);
    free(a);
    free(b);
    trace_free(t);
    trace_free(t2);
}

static void test_long_line_round_trip(void **state) {
    (void)state;
    enum { N = 200000 };
    float *v = malloc(sizeof(float) * N);
    unsigned s = 1;
    for (int i = 0; i < N; i++) {
        s = s * 1664525u + 1013904223u;
        v[i] = ((float)(s >> 8) / 16777216.0f - 0.5f) * 1e3f;
    }
    v[17] = -INFINITY;
    Trace *t = trace_new();
    Event ev;
    event_begin(&ev, "output");
    event_floats(&ev, "logprobs", v, N);
    Status st = {0};
    assert_int_equal(trace_append(t, &ev, &st), 0);
    size_t la, lb;
    char *a = trace_json(t, &la);
    assert_true(la > (size_t)N * 5);
    Trace *t2 = trace_new();
    assert_int_equal(read_text(t2, a, la, &st), 0);
    int n;
    const float *r = event_get_floats(trace_get(t2, 0), "logprobs", &n);
    assert_int_equal(n, N);
    assert_memory_equal(r, v, sizeof(float) * N);
    char *b = trace_json(t2, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(a);
    free(b);
    free(v);
    trace_free(t);
    trace_free(t2);
}

/* ---- reading hand-written JSONL -------------------------------------------- */

static void test_read_hand_written(void **state) {
    (void)state;
    const char *text = "\xEF\xBB\xBF"
                       "{\"seq\":7,\"type\":\"embed\",\"pos\":2,\"side\":\"src\",\"vector\":[1,2.5,-3e2,null]}\n"
                       "\n"
                       "   \t\r\n"
                       "  { \"type\" : \"run\" , \"seq\" : 3 , \"name\":\"caf\\u00e9 \\ud83d\\ude00 \\/ \\b\\f\\n\\r\\t\\\"\\\\\","
                       " \"ids\" : [ 1 , -2 ] , \"w\":[\"a\",\"\\u4e2d\"], \"e\":[], \"x\":1E5, \"y\":-0 }\r\n"
                       "{\"seq\":0,\"type\":\"run_end\"}"; /* no final newline */
    Trace *t = trace_new();
    Status st = {0};
    int rc = read_text(t, text, strlen(text), &st);
    if (rc) print_error("%s\n", st.message);
    assert_int_equal(rc, 0);
    assert_int_equal(trace_count(t), 3);

    const Event *a = trace_get(t, 0);
    assert_int_equal(a->seq, 7); /* seq kept from the file */
    assert_string_equal(a->type, "embed");
    assert_int_equal(event_get_int(a, "pos", -1), 2);
    assert_string_equal(event_get_str(a, "side"), "src");
    int n;
    const float *v = event_get_floats(a, "vector", &n);
    assert_int_equal(n, 4);
    assert_true(v[0] == 1.0f && v[1] == 2.5f && v[2] == -300.0f && isinf(v[3]) && v[3] < 0);

    const Event *b = trace_get(t, 1);
    assert_int_equal(b->seq, 3);
    assert_string_equal(b->type, "run");
    assert_string_equal(event_get_str(b, "name"), "caf\xc3\xa9 \xf0\x9f\x98\x80 / \b\f\n\r\t\"\\");
    const int *ids = event_get_ints(b, "ids", &n);
    assert_int_equal(n, 2);
    assert_true(ids[0] == 1 && ids[1] == -2);
    const char *const *w = event_get_strs(b, "w", &n);
    assert_int_equal(n, 2);
    assert_string_equal(w[0], "a");
    assert_string_equal(w[1], "\xe4\xb8\xad");
    assert_non_null(event_get_floats(b, "e", &n));
    assert_int_equal(n, 0);
    assert_int_equal(event_get(b, "e")->kind, FIELD_FLOATS);
    assert_int_equal(event_get(b, "x")->kind, FIELD_FLOAT);
    assert_true(event_get_float(b, "x", 0) == 1e5);
    assert_int_equal(event_get(b, "y")->kind, FIELD_INT);
    assert_int_equal(event_get_int(b, "y", 5), 0);

    assert_int_equal(trace_get(t, 2)->seq, 0);
    assert_int_equal(trace_get(t, 2)->nfields, 0);

    /* canonical re-write of what was read */
    char *out = trace_json(t, NULL);
    assert_string_equal(out, "{\"seq\":7,\"type\":\"embed\",\"pos\":2,\"side\":\"src\",\"vector\":[1.0,2.5,-300.0,null]}\n"
                             "{\"seq\":3,\"type\":\"run\",\"name\":\"caf\xc3\xa9 \xf0\x9f\x98\x80 / \\u0008\\u000c\\u000a"
                             "\\u000d\\u0009\\\"\\\\\",\"ids\":[1,-2],\"w\":[\"a\",\"\xe4\xb8\xad\"],\"e\":[],\"x\":100000.0,"
                             "\"y\":0}\n"
                             "{\"seq\":0,\"type\":\"run_end\"}\n");
    free(out);

    /* a recorder after reading numbers from its count */
    Event ev;
    event_begin(&ev, "more");
    assert_int_equal(trace_append(t, &ev, &st), 0);
    assert_int_equal(trace_get(t, 3)->seq, 3);
    trace_free(t);
}

static void test_read_errors(void **state) {
    (void)state;
    expect_read_error("[1,2]\n", "line 1: a JSON object expected");
    expect_read_error("42\n", "line 1: a JSON object expected");
    expect_read_error("\n{\"seq\":0}\n", "line 2: missing \"type\"");
    expect_read_error("{\"type\":\"run\"}\n", "line 1: missing \"seq\"");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":{\"a\":1}}\n", "line 1: nested objects are not supported");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":[1,{}]}\n", "line 1: nested objects are not supported");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":[[1]]}\n", "line 1: nested arrays are not supported");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":\"abc}\n", "line 1: unterminated string");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":[\"abc\\\"]}\n", "line 1: unterminated string");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":\"a\\qb\"}\n", "line 1: bad escape");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":\"a\\u12g4\"}\n", "line 1: bad \\u escape");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":\"\\ud800\"}\n", "line 1: unpaired surrogate");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":\"\\udc00\\ud800\"}\n", "line 1: unpaired surrogate");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":\"\\u0000\"}\n", "line 1: \\u0000 is not allowed");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":\"a\tb\"}\n", "line 1: control character");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":\"\xc3\x28\"}\n", "line 1: invalid UTF-8");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":\"\xed\xa0\x80\"}\n", "line 1: invalid UTF-8");
    expect_read_error("{\"seq\":0,\"type\":\"run\"} x\n", "line 1: unexpected 'x' after the object");
    expect_read_error("{\"seq\":0,\"type\":\"run\"}{}\n", "line 1: unexpected '{' after the object");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":null}\n", "line 1: null is only allowed inside an array of numbers");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":[\"a\",null]}\n", "line 1: null is only allowed inside an array of numbers");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":[1,\"a\"]}\n", "line 1: array mixes strings and numbers");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":[\"a\",1]}\n", "line 1: array mixes strings and numbers");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":[null,\"a\"]}\n", "line 1: array mixes strings and numbers");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":true}\n", "line 1: true/false are not supported");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":[1,]}\n", "line 1: value expected");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":[1 2]}\n", "line 1: ',' or ']' expected");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":1,}\n", "line 1: a key (string) expected");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\" 1}\n", "line 1: ':' expected after key \"x\"");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":1,\"x\":2}\n", "line 1: duplicate key \"x\"");
    expect_read_error("{\"seq\":0,\"seq\":1,\"type\":\"run\"}\n", "line 1: duplicate key \"seq\"");
    expect_read_error("{\"seq\":1.0,\"type\":\"run\"}\n", "line 1: \"seq\" must be an integer");
    expect_read_error("{\"seq\":\"1\",\"type\":\"run\"}\n", "line 1: \"seq\" must be an integer");
    expect_read_error("{\"seq\":-1,\"type\":\"run\"}\n", "line 1: \"seq\" must not be negative");
    expect_read_error("{\"seq\":0,\"type\":3}\n", "line 1: \"type\" must be a string");
    expect_read_error("{\"seq\":0,\"type\":\"\"}\n", "line 1: \"type\" must not be empty");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":01}\n", "line 1: ',' or '}' expected");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":1.}\n", "line 1: bad number");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":-}\n", "line 1: bad number");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":1e}\n", "line 1: bad number");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":+1}\n", "line 1: value expected, found '+'");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":NaN}\n", "line 1: value expected, found 'N'");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":1e999}\n", "line 1: number out of range");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":[1e39]}\n", "line 1: number out of range");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":99999999999999999999}\n", "line 1: integer out of range");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":[2147483648]}\n", "line 1: integer out of range");
    expect_read_error("{\"seq\":0,\"type\":\"run\"\n", "line 1: ',' or '}' expected, found end of line");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":[1,2\n", "line 1: ',' or ']' expected");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"x\":\x01}\n", "line 1: value expected, found byte 0x01");
    expect_read_error("{\"seq\":0,\"type\":\"run\",\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1,\"f\":1,\"g\":1,\"h\":1,\"i\":1,"
                      "\"j\":1,\"k\":1,\"l\":1,\"m\":1,\"n\":1,\"o\":1,\"p\":1,\"q\":1,\"r\":1,\"s\":1,\"t\":1,\"u\":1,"
                      "\"v\":1,\"w\":1,\"x\":1,\"y\":1}\n",
                      "line 1: more than 24 fields");

    /* the events of the lines before the bad one are kept */
    const char *text = "{\"seq\":0,\"type\":\"a\"}\n\n{\"seq\":1,\"type\":\"b\"}\n{\"seq\":2}\n{\"seq\":3,\"type\":\"c\"}\n";
    Trace *t = trace_new();
    Status st = {0};
    assert_int_equal(read_text(t, text, strlen(text), &st), -1);
    assert_string_equal(st.message, "line 4: missing \"type\" (column 1)");
    assert_int_equal(trace_count(t), 2);
    assert_string_equal(trace_get(t, 1)->type, "b");

    /* embedded NUL bytes are just bad input */
    static const char nul[] = "{\"seq\":0,\"type\":\"a\0\"}\n";
    assert_int_equal(read_text(t, nul, sizeof nul - 1, &st), -1);
    assert_non_null(strstr(st.message, "line 1: control character"));
    trace_free(t);
}

static void test_line_too_long(void **state) {
    (void)state;
    size_t len = ((size_t)64 << 20) + 16;
    char *text = malloc(len);
    assert_non_null(text);
    memset(text, ' ', len);
    text[len - 1] = '\n';
    Trace *t = trace_new();
    Status st = {0};
    assert_int_equal(read_text(t, text, len, &st), -1);
    assert_string_equal(st.message, "line 1: longer than 64 MiB");
    assert_int_equal(trace_count(t), 0);
    free(text);
    trace_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builders_and_accessors),
        cmocka_unit_test(test_emit_null_sink),
        cmocka_unit_test(test_recorder_copies_everything),
        cmocka_unit_test(test_100k_events_pointers_stable),
        cmocka_unit_test(test_json_numbers),
        cmocka_unit_test(test_json_strings),
        cmocka_unit_test(test_json_locale_independent),
        cmocka_unit_test(test_round_trip_byte_identical),
        cmocka_unit_test(test_long_line_round_trip),
        cmocka_unit_test(test_read_hand_written),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_line_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
