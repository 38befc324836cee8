/* test_safetensors.c — round trips, dtype conversion, byte-identical output, one test per
 * malformed-file case (each checking the specific message), and atomic saving. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "attnstep/safetensors.h"

#define NAME "t.safetensors"

/* ---- helpers ------------------------------------------------------------------ */

/* A file image: 8-byte little-endian length of header, header, then data. Caller frees. */
static uint8_t *image(const char *header, const void *data, size_t data_len, size_t *size) {
    size_t h = strlen(header);
    *size = 8 + h + data_len;
    uint8_t *b = malloc(*size ? *size : 1);
    assert_non_null(b);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)h >> (8 * i));
    memcpy(b + 8, header, h);
    if (data_len) memcpy(b + 8 + h, data, data_len);
    return b;
}

static void expect_message(const Status *st, const char *want) {
    if (strncmp(st->message, NAME ": ", strlen(NAME ": ")) != 0)
        fail_msg("message does not start with the file name: \"%s\"", st->message);
    if (!strstr(st->message, want)) fail_msg("message \"%s\" lacks \"%s\"", st->message, want);
}

/* Parses header + data_len zero bytes and expects failure with a message containing want. */
static void expect_bad(const char *header, size_t data_len, const char *want) {
    uint8_t *zeros = calloc(data_len ? data_len : 1, 1);
    size_t size;
    uint8_t *b = image(header, zeros, data_len, &size);
    Status st = {{0}};
    SafeTensors *f = safetensors_parse(b, size, NAME, &st);
    if (f) fail_msg("accepted a bad header: %s", header);
    expect_message(&st, want);
    free(b);
    free(zeros);
}

static void expect_bad_bytes(const uint8_t *b, size_t size, const char *want) {
    Status st = {{0}};
    SafeTensors *f = safetensors_parse(b, size, NAME, &st);
    assert_null(f);
    expect_message(&st, want);
}

static SafeTensors *expect_good(const char *header, const void *data, size_t data_len) {
    size_t size;
    uint8_t *b = image(header, data, data_len, &size);
    Status st = {{0}};
    SafeTensors *f = safetensors_parse(b, size, NAME, &st);
    if (!f) fail_msg("rejected a good file: %s", st.message);
    assert_string_equal(st.message, "");
    free(b);
    return f;
}

/* A fresh directory under the build tree; caller removes it with rm_tree. */
static char *temp_dir(void) {
    char *d = malloc(512);
    assert_non_null(d);
    snprintf(d, 512, "%s/tmp_safetensors_XXXXXX", ATTNSTEP_BINARY_DIR);
    assert_non_null(mkdtemp(d));
    return d;
}

static char *join(const char *dir, const char *name) {
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    assert_non_null(p);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static uint8_t *read_all(const char *path, size_t *size) {
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *size = (size_t)n;
    return b;
}

static void write_bytes(const char *path, const void *b, size_t n) {
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    if (n) assert_int_equal(fwrite(b, 1, n, fp), n);
    fclose(fp);
}

static int exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

static SafeTensorsWriter *sample_writer(int reversed) {
    static const float w[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -0.5f};
    static const float b[3] = {0.25f, -1e-30f, 3e30f};
    static const float s[1] = {42.0f};
    const int64_t ws[2] = {3, 4}, bs[1] = {3}, es[2] = {0, 5};
    SafeTensorsWriter *wr = safetensors_writer_new();
    assert_non_null(wr);
    Status st = {{0}};
    for (int k = 0; k < 4; k++) {
        int i = reversed ? 3 - k : k;
        int rc = 0;
        if (i == 0) rc = safetensors_writer_add(wr, "decoder.out.weight", w, 2, ws, &st);
        if (i == 1) rc = safetensors_writer_add(wr, "decoder.out.bias", b, 1, bs, &st);
        if (i == 2) rc = safetensors_writer_add(wr, "scale", s, 0, NULL, &st);
        if (i == 3) rc = safetensors_writer_add(wr, "empty", NULL, 2, es, &st);
        assert_int_equal(rc, 0);
    }
    if (reversed) {
        assert_int_equal(safetensors_writer_meta(wr, "src_vocab", "[\"<sos>\",\"<eos>\",\"été\"]", &st), 0);
        assert_int_equal(safetensors_writer_meta(wr, "arch", "placeholder", &st), 0);
        assert_int_equal(safetensors_writer_meta(wr, "arch", "tutorial-gru-bahdanau", &st), 0);
    } else {
        assert_int_equal(safetensors_writer_meta(wr, "arch", "tutorial-gru-bahdanau", &st), 0);
        assert_int_equal(safetensors_writer_meta(wr, "src_vocab", "[\"<sos>\",\"<eos>\",\"été\"]", &st), 0);
    }
    assert_int_equal(safetensors_writer_meta(wr, "note", "tab\there \"quoted\" back\\slash\nline", &st), 0);
    return wr;
}

/* ---- round trips ------------------------------------------------------------------ */

static void test_round_trip(void **state) {
    (void)state;
    char *dir = temp_dir();
    char *path = join(dir, "m.safetensors");
    SafeTensorsWriter *wr = sample_writer(0);
    Status st = {{0}};
    assert_int_equal(safetensors_writer_save(wr, path, &st), 0);
    assert_string_equal(st.message, "");
    safetensors_writer_free(wr);

    SafeTensors *f = safetensors_load(path, &st);
    if (!f) fail_msg("%s", st.message);
    assert_int_equal(f->count, 4);
    /* File order of data_offsets = name order (zero-size "empty" sorts by offset/name). */
    const SafeTensor *w = safetensors_find(f, "decoder.out.weight");
    assert_non_null(w);
    assert_string_equal(w->dtype, "F32");
    assert_int_equal(w->ndim, 2);
    assert_int_equal(w->shape[0], 3);
    assert_int_equal(w->shape[1], 4);
    assert_int_equal(w->numel, 12);
    assert_int_equal((uintptr_t)w->data % 16, 0);
    for (int i = 0; i < 11; i++) assert_true(w->data[i] == (float)(i + 1));
    assert_true(w->data[11] == -0.5f);
    const SafeTensor *b = safetensors_find(f, "decoder.out.bias");
    assert_non_null(b);
    assert_true(b->data[0] == 0.25f && b->data[1] == -1e-30f && b->data[2] == 3e30f);
    const SafeTensor *s = safetensors_find(f, "scale");
    assert_non_null(s);
    assert_int_equal(s->ndim, 0);
    assert_int_equal(s->numel, 1);
    assert_true(s->data[0] == 42.0f);
    const SafeTensor *e = safetensors_find(f, "empty");
    assert_non_null(e);
    assert_int_equal(e->ndim, 2);
    assert_int_equal(e->numel, 0);
    assert_null(safetensors_find(f, "decoder.out"));
    assert_null(safetensors_find(NULL, "scale"));

    assert_int_equal(f->meta_count, 3);
    assert_string_equal(safetensors_meta(f, "arch"), "tutorial-gru-bahdanau");
    assert_string_equal(safetensors_meta(f, "src_vocab"), "[\"<sos>\",\"<eos>\",\"été\"]");
    assert_string_equal(safetensors_meta(f, "note"), "tab\there \"quoted\" back\\slash\nline");
    assert_null(safetensors_meta(f, "missing"));
    safetensors_free(f);
    safetensors_free(NULL);
    safetensors_writer_free(NULL);

    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
    free(path);
    free(dir);
}

static void test_same_content_gives_identical_bytes(void **state) {
    (void)state;
    char *dir = temp_dir();
    char *p1 = join(dir, "a.safetensors"), *p2 = join(dir, "b.safetensors");
    Status st = {{0}};
    SafeTensorsWriter *w1 = sample_writer(0), *w2 = sample_writer(1);
    assert_int_equal(safetensors_writer_save(w1, p1, &st), 0);
    assert_int_equal(safetensors_writer_save(w2, p2, &st), 0);
    size_t n1, n2;
    uint8_t *b1 = read_all(p1, &n1), *b2 = read_all(p2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--) h = h << 8 | b1[i];
    assert_int_equal(h % 8, 0); /* padded so the data starts 8-aligned */
    /* Saving again over the existing file gives the same bytes. */
    assert_int_equal(safetensors_writer_save(w1, p2, &st), 0);
    free(b2);
    b2 = read_all(p2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    char *tmp = join(dir, "b.safetensors.tmp");
    assert_false(exists(tmp)); /* no temporary left behind */
    free(tmp);
    free(b1);
    free(b2);
    safetensors_writer_free(w1);
    safetensors_writer_free(w2);
    unlink(p1);
    unlink(p2);
    rmdir(dir);
    free(p1);
    free(p2);
    free(dir);
}

static void test_exact_layout_of_a_small_file(void **state) {
    (void)state;
    char *dir = temp_dir();
    char *path = join(dir, "x.safetensors");
    SafeTensorsWriter *wr = safetensors_writer_new();
    Status st = {{0}};
    const float v[2] = {1.0f, -2.0f};
    const int64_t shape[1] = {2};
    assert_int_equal(safetensors_writer_add(wr, "b", v, 1, shape, &st), 0);
    assert_int_equal(safetensors_writer_add(wr, "a", v, 1, shape, &st), 0);
    assert_int_equal(safetensors_writer_meta(wr, "k", "v", &st), 0);
    assert_int_equal(safetensors_writer_save(wr, path, &st), 0);
    safetensors_writer_free(wr);
    const char *want = "{\"__metadata__\":{\"k\":\"v\"},"
                       "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                       "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
    size_t hl = strlen(want), padded = (hl + 7) / 8 * 8, n;
    uint8_t *b = read_all(path, &n);
    assert_int_equal(n, 8 + padded + 16);
    assert_int_equal(b[0], padded & 0xff);
    assert_int_equal(b[1], padded >> 8);
    for (int i = 2; i < 8; i++) assert_int_equal(b[i], 0);
    assert_memory_equal(b + 8, want, hl);
    for (size_t i = hl; i < padded; i++) assert_int_equal(b[8 + i], ' ');
    const uint8_t data[8] = {0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0};
    assert_memory_equal(b + 8 + padded, data, 8);
    assert_memory_equal(b + 8 + padded + 8, data, 8);
    free(b);
    unlink(path);
    rmdir(dir);
    free(path);
    free(dir);
}

static void test_f16_bf16_conversion(void **state) {
    (void)state;
    /* F16: 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal), +inf, -0.0, 1/3 (rounded). */
    const uint16_t h[7] = {0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x8000, 0x3555};
    /* BF16: 1.0, -5.0, 3.140625, 1e-40-ish subnormal 0x0001. */
    const uint16_t bf[4] = {0x3f80, 0xc0a0, 0x4049, 0x0001};
    uint8_t data[22];
    for (int i = 0; i < 7; i++) {
        data[2 * i] = (uint8_t)h[i];
        data[2 * i + 1] = (uint8_t)(h[i] >> 8);
    }
    for (int i = 0; i < 4; i++) {
        data[14 + 2 * i] = (uint8_t)bf[i];
        data[14 + 2 * i + 1] = (uint8_t)(bf[i] >> 8);
    }
    SafeTensors *f = expect_good("{\"bf\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[14,22]},"
                                 "\"h\":{\"dtype\":\"F16\",\"shape\":[7],\"data_offsets\":[0,14]}}",
                                 data, sizeof data);
    assert_int_equal(f->count, 2);
    assert_string_equal(f->tensors[0].name, "h"); /* file order of data_offsets */
    assert_string_equal(f->tensors[1].name, "bf");
    const SafeTensor *t = safetensors_find(f, "h");
    assert_string_equal(t->dtype, "F16");
    assert_true(t->data[0] == 1.0f);
    assert_true(t->data[1] == -2.0f);
    assert_true(t->data[2] == 65504.0f);
    assert_true(t->data[3] == ldexpf(1.0f, -24));
    assert_true(isinf(t->data[4]) && t->data[4] > 0);
    assert_true(t->data[5] == 0.0f && signbit(t->data[5]));
    assert_true(t->data[6] == 0.333251953125f);
    const SafeTensor *b = safetensors_find(f, "bf");
    assert_string_equal(b->dtype, "BF16");
    assert_int_equal(b->numel, 4);
    assert_true(b->data[0] == 1.0f);
    assert_true(b->data[1] == -5.0f);
    assert_true(b->data[2] == 3.140625f);
    assert_true(b->data[3] > 0 && b->data[3] < 1e-38f);
    assert_int_equal((uintptr_t)b->data % 16, 0);
    safetensors_free(f);
}

static void test_f64_i64_i32_conversion(void **state) {
    (void)state;
    uint8_t data[8 * 3 + 8 * 2 + 4 * 2];
    const double d[3] = {0.1, -1e300, 12345.5};
    const int64_t l[2] = {-7, 1LL << 40};
    const int32_t i32[2] = {-2147483647 - 1, 99};
    for (int k = 0; k < 3; k++) {
        uint64_t u;
        memcpy(&u, &d[k], 8);
        for (int j = 0; j < 8; j++) data[8 * k + j] = (uint8_t)(u >> (8 * j));
    }
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < 8; j++) data[24 + 8 * k + j] = (uint8_t)((uint64_t)l[k] >> (8 * j));
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < 4; j++) data[40 + 4 * k + j] = (uint8_t)((uint32_t)i32[k] >> (8 * j));
    SafeTensors *f = expect_good("{\"d\":{\"dtype\":\"F64\",\"shape\":[3],\"data_offsets\":[0,24]},"
                                 "\"l\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[24,40]},"
                                 "\"i\":{\"dtype\":\"I32\",\"shape\":[1,2],\"data_offsets\":[40,48]}}",
                                 data, sizeof data);
    const SafeTensor *t = safetensors_find(f, "d");
    assert_true(t->data[0] == 0.1f);
    assert_true(isinf(t->data[1]) && t->data[1] < 0);
    assert_true(t->data[2] == 12345.5f);
    t = safetensors_find(f, "l");
    assert_true(t->data[0] == -7.0f && t->data[1] == 1099511627776.0f);
    t = safetensors_find(f, "i");
    assert_true(t->data[0] == -2147483648.0f && t->data[1] == 99.0f);
    safetensors_free(f);
}

static void test_accepts_padding_holes_and_empty_tensors(void **state) {
    (void)state;
    uint8_t data[16] = {0};
    /* Trailing spaces after the object, an unused gap before "a", zero-size tensors whose
     * offsets sit inside another tensor, an unknown extra key, and no tensors at all. */
    SafeTensors *f = expect_good("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12],\"x\":1},"
                                 "\"z\":{\"dtype\":\"F32\",\"shape\":[0,7],\"data_offsets\":[8,8]},"
                                 "\"__metadata__\":{}}   \n",
                                 data, sizeof data);
    assert_int_equal(f->count, 2);
    assert_int_equal(f->meta_count, 0);
    safetensors_free(f);
    f = expect_good("{}", NULL, 0);
    assert_int_equal(f->count, 0);
    safetensors_free(f);
}

/* ---- malformed files: one test per problem ------------------------------------------ */

static void test_empty_file(void **state) {
    (void)state;
    char *dir = temp_dir();
    char *path = join(dir, "empty.safetensors");
    write_bytes(path, "", 0);
    Status st = {{0}};
    assert_null(safetensors_load(path, &st));
    assert_non_null(strstr(st.message, path));
    assert_non_null(strstr(st.message, "file is empty"));
    expect_bad_bytes((const uint8_t *)"", 0, "file is empty");
    unlink(path);
    rmdir(dir);
    free(path);
    free(dir);
}

static void test_truncated_below_8_bytes(void **state) {
    (void)state;
    const uint8_t b[5] = {1, 0, 0, 0, 0};
    expect_bad_bytes(b, sizeof b, "file is 5 bytes, too short to hold the 8-byte header length");
}

static void test_huge_header_length(void **state) {
    (void)state;
    uint8_t b[16];
    memset(b, 0xff, 8);
    memcpy(b + 8, "{}      ", 8);
    expect_bad_bytes(b, sizeof b, "header length 18446744073709551615 bytes exceeds the 100 MB limit");
    uint64_t h = 100000001;
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(h >> (8 * i));
    expect_bad_bytes(b, sizeof b, "exceeds the 100 MB limit");
}

static void test_header_past_eof(void **state) {
    (void)state;
    uint8_t b[12] = {100, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' '};
    expect_bad_bytes(b, sizeof b, "header length 100 bytes runs past the end of the file (only 4 bytes follow");
}

static void test_header_length_zero(void **state) {
    (void)state;
    const uint8_t b[8] = {0};
    expect_bad_bytes(b, sizeof b, "header is empty");
}

static void test_bad_json(void **state) {
    (void)state;
    expect_bad("{\"a\": {\"dtype\": \"F32\",", 0, "header is not valid JSON (error near byte");
    expect_bad("{\"a\": tru}", 0, "header is not valid JSON");
    expect_bad("{} x", 0, "header has extra text after the JSON object (at byte 3 of the header)");
}

static void test_header_not_utf8(void **state) {
    (void)state;
    expect_bad("{\"caf\xe9\":{}}", 0, "header is not valid UTF-8 text (byte 5 of the header is 0xe9)");
    uint8_t b[12] = {4, 0, 0, 0, 0, 0, 0, 0, '{', 0, '}', ' '};
    expect_bad_bytes(b, sizeof b, "header is not valid UTF-8 text (byte 1 of the header is 0x00)");
}

static void test_header_not_an_object(void **state) {
    (void)state;
    expect_bad("[1, 2]", 0, "header is an array, not a JSON object");
    expect_bad("\"F32\"", 0, "header is a string, not a JSON object");
}

static void test_entry_not_an_object(void **state) {
    (void)state;
    expect_bad("{\"w\": [1]}", 0, "tensor 'w': entry is an array, not an object");
}

static void test_missing_dtype(void **state) {
    (void)state;
    expect_bad("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "tensor 'w': missing \"dtype\"");
    expect_bad("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
               "tensor 'w': \"dtype\" is a number, not a string");
}

static void test_unknown_dtype(void **state) {
    (void)state;
    expect_bad("{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
               "tensor 'w': unknown dtype 'Q4' (supported: F32, F16, BF16, F64, I64, I32)");
    expect_bad("{\"w\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "unknown dtype 'f32'");
}

static void test_missing_or_bad_shape(void **state) {
    (void)state;
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "tensor 'w': missing \"shape\"");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":3,\"data_offsets\":[0,4]}}", 4,
               "tensor 'w': \"shape\" is a number, not an array");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[1,\"2\"],\"data_offsets\":[0,4]}}", 4,
               "tensor 'w': shape[1] is a string, not an integer");
}

static void test_negative_shape(void **state) {
    (void)state;
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-3],\"data_offsets\":[0,4]}}", 4,
               "tensor 'w': shape[1] is negative (-3)");
}

static void test_fractional_shape(void **state) {
    (void)state;
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,4]}}", 4,
               "tensor 'w': shape[0] is not an integer (2.5)");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[1e300],\"data_offsets\":[0,4]}}", 4,
               "tensor 'w': shape[0] is too large (1e+300)");
}

static void test_too_many_dims(void **state) {
    (void)state;
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4,
               "tensor 'w': shape has 9 dimensions (at most 8 are supported)");
}

static void test_shape_product_overflow(void **state) {
    (void)state;
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4,
               "tensor 'w': shape [4294967296, 4294967296] has too many elements (the product overflows)");
}

static void test_shape_product_mismatch_with_offsets(void **state) {
    (void)state;
    expect_bad("{\"decoder.out.weight\":{\"dtype\":\"F32\",\"shape\":[3,4],\"data_offsets\":[0,40]}}", 48,
               "tensor 'decoder.out.weight': data_offsets [0, 40] hold 40 bytes but F32 [3, 4] needs 48");
    expect_bad("{\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,12]}}", 12,
               "tensor 'h': data_offsets [0, 12] hold 12 bytes but F16 [3] needs 6");
}

static void test_bad_data_offsets(void **state) {
    (void)state;
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "tensor 'w': missing \"data_offsets\"");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8,
               "tensor 'w': \"data_offsets\" must be an array [begin, end]");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0.5,4]}}", 8,
               "tensor 'w': data_offsets begin is not an integer (0.5)");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,-4]}}", 8,
               "tensor 'w': data_offsets end is negative (-4)");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8,
               "tensor 'w': data_offsets [8, 4] begin after they end");
}

static void test_offsets_past_the_end(void **state) {
    (void)state;
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", 8,
               "tensor 'w': data_offsets [0, 12] run past the end of the data section (8 bytes)");
}

static void test_overlapping_tensors(void **state) {
    (void)state;
    expect_bad("{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]},"
               "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
               12, "tensors 'a' [0, 8] and 'b' [4, 12] overlap in the data section");
    /* A tensor inside a larger one, not adjacent in begin order. */
    expect_bad("{\"big\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
               "\"mid\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
               "\"in\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
               16, "tensors 'big' [0, 16] and 'mid' [4, 8] overlap");
}

static void test_duplicate_names(void **state) {
    (void)state;
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
               "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
               8, "tensor name 'w' appears twice in the header");
    expect_bad("{\"__metadata__\":{},\"__metadata__\":{}}", 0, "\"__metadata__\" appears twice in the header");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
               "tensor 'w': key 'dtype' appears twice");
    expect_bad("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", 0, "metadata key 'a' appears twice");
}

static void test_bad_metadata(void **state) {
    (void)state;
    expect_bad("{\"__metadata__\":{\"arch\":\"x\",\"steps\":100}}", 0, "metadata 'steps' is a number, not a string");
    expect_bad("{\"__metadata__\":[\"arch\"]}", 0, "\"__metadata__\" is an array, not an object of strings");
    expect_bad("{\"__metadata__\":{\"cfg\":{\"a\":\"b\"}}}", 0, "metadata 'cfg' is an object, not a string");
}

static void test_names_in_messages_are_sanitised(void **state) {
    (void)state;
    char header[600];
    char longname[301];
    memset(longname, 'x', 300);
    longname[300] = '\0';
    snprintf(header, sizeof header, "{\"%s\":[]}", longname);
    expect_bad(header, 0, "tensor 'xxxxxxxxxx");
    expect_bad(header, 0, "...': entry is an array, not an object");
    expect_bad("{\"a\\u001b[31mb\":1}", 0, "tensor 'a?[31mb': entry is a number");
}

static void test_load_missing_file_and_directory(void **state) {
    (void)state;
    Status st = {{0}};
    assert_null(safetensors_load(ATTNSTEP_BINARY_DIR "/no/such/file.safetensors", &st));
    assert_non_null(strstr(st.message, "/no/such/file.safetensors: cannot open: "));
    assert_null(safetensors_load(ATTNSTEP_BINARY_DIR, &st));
    assert_non_null(strstr(st.message, ": not a regular file"));
}

/* ---- writing failures ---------------------------------------------------------------- */

static void test_writer_rejects_bad_input(void **state) {
    (void)state;
    SafeTensorsWriter *wr = safetensors_writer_new();
    Status st = {{0}};
    const float v[1] = {1};
    const int64_t one[1] = {1}, neg[1] = {-1}, nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(safetensors_writer_add(wr, "w", v, 1, one, &st), 0);
    assert_int_equal(safetensors_writer_add(wr, "w", v, 1, one, &st), -1);
    assert_string_equal(st.message, "tensor 'w' was already added");
    assert_int_equal(safetensors_writer_add(wr, "n", v, 1, neg, &st), -1);
    assert_non_null(strstr(st.message, "shape[0] is negative (-1)"));
    assert_int_equal(safetensors_writer_add(wr, "d", v, 9, nine, &st), -1);
    assert_non_null(strstr(st.message, "9 dimensions"));
    assert_int_equal(safetensors_writer_add(wr, "__metadata__", v, 1, one, &st), -1);
    assert_non_null(strstr(st.message, "reserved"));
    assert_int_equal(safetensors_writer_add(wr, "bad\xff", v, 1, one, &st), -1);
    assert_non_null(strstr(st.message, "not valid UTF-8"));
    assert_int_equal(safetensors_writer_meta(wr, "k", "bad\xc3", &st), -1);
    assert_non_null(strstr(st.message, "not valid UTF-8"));
    safetensors_writer_free(wr);
}

/* Writes a recognisable "previous" file at path. */
static void write_previous(const char *path) { write_bytes(path, "previous contents", 17); }

static void assert_previous_intact(const char *path) {
    size_t n;
    uint8_t *b = read_all(path, &n);
    assert_int_equal(n, 17);
    assert_memory_equal(b, "previous contents", 17);
    free(b);
}

static void test_atomic_save_when_tmp_cannot_be_created(void **state) {
    (void)state;
    char *dir = temp_dir();
    char *path = join(dir, "m.safetensors"), *tmp = join(dir, "m.safetensors.tmp");
    write_previous(path);
    /* The temporary's name is taken by a directory: creating it fails (even as root). */
    assert_int_equal(mkdir(tmp, 0755), 0);
    SafeTensorsWriter *wr = sample_writer(0);
    Status st = {{0}};
    assert_int_equal(safetensors_writer_save(wr, path, &st), -1);
    assert_non_null(strstr(st.message, path));
    assert_non_null(strstr(st.message, "cannot create the temporary file"));
    assert_previous_intact(path);
    rmdir(tmp);
    safetensors_writer_free(wr);
    unlink(path);
    rmdir(dir);
    free(path);
    free(tmp);
    free(dir);
}

static void test_atomic_save_into_read_only_directory(void **state) {
    (void)state;
    if (geteuid() == 0) skip(); /* root ignores directory permissions */
    char *dir = temp_dir();
    char *path = join(dir, "m.safetensors"), *tmp = join(dir, "m.safetensors.tmp");
    write_previous(path);
    assert_int_equal(chmod(dir, 0555), 0);
    SafeTensorsWriter *wr = sample_writer(0);
    Status st = {{0}};
    assert_int_equal(safetensors_writer_save(wr, path, &st), -1);
    assert_non_null(strstr(st.message, "Permission denied"));
    assert_previous_intact(path);
    assert_false(exists(tmp));
    chmod(dir, 0755);
    safetensors_writer_free(wr);
    unlink(path);
    rmdir(dir);
    free(path);
    free(tmp);
    free(dir);
}

static void test_atomic_save_when_path_is_a_directory(void **state) {
    (void)state;
    char *dir = temp_dir();
    char *path = join(dir, "m.safetensors"), *tmp = join(dir, "m.safetensors.tmp");
    char *inside = join(path, "keep");
    assert_int_equal(mkdir(path, 0755), 0);
    write_previous(inside);
    SafeTensorsWriter *wr = sample_writer(0);
    Status st = {{0}};
    assert_int_equal(safetensors_writer_save(wr, path, &st), -1);
    assert_non_null(strstr(st.message, path));
    assert_non_null(strstr(st.message, "cannot replace the file"));
    assert_false(exists(tmp));      /* the temporary was removed */
    assert_previous_intact(inside); /* the directory is untouched */
    /* A path whose parent does not exist fails cleanly too. */
    char *nowhere = join(dir, "missing/m.safetensors");
    assert_int_equal(safetensors_writer_save(wr, nowhere, &st), -1);
    assert_non_null(strstr(st.message, "No such file or directory"));
    safetensors_writer_free(wr);
    unlink(inside);
    rmdir(path);
    rmdir(dir);
    free(nowhere);
    free(inside);
    free(path);
    free(tmp);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_same_content_gives_identical_bytes),
        cmocka_unit_test(test_exact_layout_of_a_small_file),
        cmocka_unit_test(test_f16_bf16_conversion),
        cmocka_unit_test(test_f64_i64_i32_conversion),
        cmocka_unit_test(test_accepts_padding_holes_and_empty_tensors),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_truncated_below_8_bytes),
        cmocka_unit_test(test_huge_header_length),
        cmocka_unit_test(test_header_past_eof),
        cmocka_unit_test(test_header_length_zero),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_header_not_utf8),
        cmocka_unit_test(test_header_not_an_object),
        cmocka_unit_test(test_entry_not_an_object),
        cmocka_unit_test(test_missing_dtype),
        cmocka_unit_test(test_unknown_dtype),
        cmocka_unit_test(test_missing_or_bad_shape),
        cmocka_unit_test(test_negative_shape),
        cmocka_unit_test(test_fractional_shape),
        cmocka_unit_test(test_too_many_dims),
        cmocka_unit_test(test_shape_product_overflow),
        cmocka_unit_test(test_shape_product_mismatch_with_offsets),
        cmocka_unit_test(test_bad_data_offsets),
        cmocka_unit_test(test_offsets_past_the_end),
        cmocka_unit_test(test_overlapping_tensors),
        cmocka_unit_test(test_duplicate_names),
        cmocka_unit_test(test_bad_metadata),
        cmocka_unit_test(test_names_in_messages_are_sanitised),
        cmocka_unit_test(test_load_missing_file_and_directory),
        cmocka_unit_test(test_writer_rejects_bad_input),
        cmocka_unit_test(test_atomic_save_when_tmp_cannot_be_created),
        cmocka_unit_test(test_atomic_save_into_read_only_directory),
        cmocka_unit_test(test_atomic_save_when_path_is_a_directory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
