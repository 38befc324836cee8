/* test_vocab.c — vocabulary building and lookup, word and character tokenisation,
 * unknown words surfaced, bad text rejected with clear messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "attnstep/vocab.h"

static void expect_message(const Status *st, const char *want) {
    if (!strstr(st->message, want)) fail_msg("message \"%s\" lacks \"%s\"", st->message, want);
}

static Vocab *words(void) {
    static const char *const toks[] = {"<sos>", "<eos>", "<unk>", "the", "european", "economic",
                                       "area", ".", ",", "?", "été", "cat"};
    Status st = {{0}};
    Vocab *v = vocab_from_tokens(toks, (int)(sizeof toks / sizeof toks[0]), &st);
    if (!v) fail_msg("%s", st.message);
    return v;
}

static void test_lookups(void **state) {
    (void)state;
    Status st = {{0}};
    Vocab *v = vocab_from_json("[\"<sos>\",\"<eos>\",\"the\",\"caf\\u00e9\",\"a\\\"b\"]", &st);
    if (!v) fail_msg("%s", st.message);
    assert_string_equal(st.message, "");
    assert_int_equal(vocab_size(v), 5);
    assert_int_equal(vocab_id(v, "<sos>"), 0);
    assert_int_equal(vocab_id(v, "<eos>"), 1);
    assert_int_equal(vocab_id(v, "the"), 2);
    assert_int_equal(vocab_id(v, "café"), 3);
    assert_int_equal(vocab_id(v, "a\"b"), 4);
    assert_int_equal(vocab_id(v, "The"), -1);
    assert_int_equal(vocab_id(v, "th"), -1);
    assert_int_equal(vocab_id(v, ""), -1);
    assert_string_equal(vocab_token(v, 2), "the");
    assert_string_equal(vocab_token(v, 5), "<bad id>");
    assert_string_equal(vocab_token(v, -1), "<bad id>");
    assert_int_equal(vocab_unk(v), -1);
    char *json = vocab_to_json(v);
    assert_non_null(json);
    assert_string_equal(json, "[\"<sos>\",\"<eos>\",\"the\",\"café\",\"a\\\"b\"]");
    Vocab *again = vocab_from_json(json, &st);
    assert_non_null(again);
    for (int i = 0; i < 5; i++) assert_string_equal(vocab_token(again, i), vocab_token(v, i));
    free(json);
    vocab_free(again);
    vocab_free(v);
    vocab_free(NULL);
}

static void test_unk_spellings(void **state) {
    (void)state;
    Status st = {{0}};
    const char *const a[] = {"x", "UNK"}, *const b[] = {"<UNK>", "y"}, *const c[] = {"<pad>", "<unk>"};
    Vocab *v = vocab_from_tokens(a, 2, &st);
    assert_int_equal(vocab_unk(v), 1);
    vocab_free(v);
    v = vocab_from_tokens(b, 2, &st);
    assert_int_equal(vocab_unk(v), 0);
    vocab_free(v);
    v = vocab_from_tokens(c, 2, &st);
    assert_int_equal(vocab_unk(v), 1);
    vocab_free(v);
}

static void test_bad_vocabularies_rejected(void **state) {
    (void)state;
    Status st = {{0}};
    assert_null(vocab_from_json("[\"a\",\"b\",\"a\"]", &st));
    expect_message(&st, "vocabulary has the token 'a' twice (ids 0 and 2)");
    const char *const dup[] = {"x", "y", "y"};
    assert_null(vocab_from_tokens(dup, 3, &st));
    expect_message(&st, "token 'y' twice (ids 1 and 2)");
    assert_null(vocab_from_json("[\"a\", 3]", &st));
    expect_message(&st, "vocabulary entry 1 is not a string");
    assert_null(vocab_from_json("[\"a\"", &st));
    expect_message(&st, "not valid JSON");
    assert_null(vocab_from_json("{\"a\":0}", &st));
    expect_message(&st, "not a JSON array");
    assert_null(vocab_from_json("[]", &st));
    expect_message(&st, "vocabulary is empty");
    assert_null(vocab_from_tokens(dup, 0, &st));
    expect_message(&st, "vocabulary is empty");
    const char *const bad[] = {"ok", "\xc3\x28"};
    assert_null(vocab_from_tokens(bad, 2, &st));
    expect_message(&st, "vocabulary token 1 is not valid UTF-8");
}

static void test_large_vocabulary(void **state) {
    (void)state;
    const int n = 1000000;
    char **toks = malloc(sizeof *toks * (size_t)n);
    assert_non_null(toks);
    for (int i = 0; i < n; i++) {
        toks[i] = malloc(16);
        snprintf(toks[i], 16, "w%d", i);
    }
    Status st = {{0}};
    Vocab *v = vocab_from_tokens((const char *const *)toks, n, &st);
    if (!v) fail_msg("%s", st.message);
    assert_int_equal(vocab_size(v), n);
    for (int i = 0; i < n; i += 9973) assert_int_equal(vocab_id(v, toks[i]), i);
    assert_int_equal(vocab_id(v, toks[n - 1]), n - 1);
    assert_int_equal(vocab_id(v, "w1000000"), -1);
    vocab_free(v);
    assert_null(vocab_from_tokens((const char *const *)toks, n + 1, &st) /* never reads past n */);
    expect_message(&st, "1000001 tokens; at most 1000000");
    for (int i = 0; i < n; i++) free(toks[i]);
    free(toks);
}

static void test_word_tokeniser(void **state) {
    (void)state;
    Vocab *v = words();
    VocabEncoding enc;
    Status st = {{0}};
    assert_int_equal(vocab_encode(v, "  The European\teconomic\narea.", VOCAB_WORDS, 0, &enc, &st), 0);
    assert_string_equal(st.message, "");
    assert_int_equal(enc.n, 5);
    const char *want[] = {"the", "european", "economic", "area", "."};
    for (int i = 0; i < 5; i++) {
        assert_string_equal(enc.pieces[i], want[i]);
        assert_int_equal(enc.ids[i], vocab_id(v, want[i]));
    }
    assert_int_equal(enc.unknown_count, 0);
    vocab_encoding_free(&enc);
    assert_int_equal(enc.n, 0);
    vocab_encoding_free(&enc); /* twice is fine */

    /* Every punctuation mark splits off; non-ASCII letters keep their case. */
    assert_int_equal(vocab_encode(v, "ÉTÉ, été?!;:x", VOCAB_WORDS, 0, &enc, &st), 0);
    const char *want2[] = {"ÉtÉ", ",", "été", "?", "!", ";", ":", "x"};
    assert_int_equal(enc.n, 8);
    for (int i = 0; i < 8; i++) assert_string_equal(enc.pieces[i], want2[i]);
    assert_int_equal(enc.ids[2], vocab_id(v, "été"));
    vocab_encoding_free(&enc);

    assert_int_equal(vocab_encode(v, "   \n ", VOCAB_WORDS, 0, &enc, &st), 0);
    assert_int_equal(enc.n, 0);
    vocab_encoding_free(&enc);
    vocab_free(v);
}

static void test_unknown_words_counted(void **state) {
    (void)state;
    Vocab *v = words();
    VocabEncoding enc;
    Status st = {{0}};
    assert_int_equal(vocab_encode(v, "the dog saw the cat .", VOCAB_WORDS, 0, &enc, &st), 0);
    assert_int_equal(enc.n, 6);
    assert_int_equal(enc.unknown_count, 2);
    assert_int_equal(enc.ids[1], vocab_unk(v));
    assert_int_equal(enc.ids[2], 2);
    assert_string_equal(enc.pieces[1], "dog"); /* the text is kept for the UI */
    assert_string_equal(enc.pieces[2], "saw");
    assert_int_equal(enc.ids[4], vocab_id(v, "cat"));
    vocab_encoding_free(&enc);

    /* Without <unk> unknown pieces get -1, still never dropped. */
    Vocab *nounk = vocab_from_json("[\"<sos>\",\"<eos>\",\"a\"]", &st);
    assert_int_equal(vocab_encode(nounk, "a b a", VOCAB_WORDS, 0, &enc, &st), 0);
    assert_int_equal(enc.n, 3);
    assert_int_equal(enc.ids[0], 2);
    assert_int_equal(enc.ids[1], -1);
    assert_int_equal(enc.unknown_count, 1);
    vocab_encoding_free(&enc);
    vocab_free(nounk);
    vocab_free(v);
}

static void test_char_tokeniser(void **state) {
    (void)state;
    Status st = {{0}};
    Vocab *v = vocab_from_json("[\"<sos>\",\"<eos>\",\"<unk>\",\"J\",\"a\",\"n\",\" \",\"1\",\"é\",\"日\"]", &st);
    assert_non_null(v);
    VocabEncoding enc;
    assert_int_equal(vocab_encode(v, "Jan 1é日\xf0\x9f\x98\x80", VOCAB_CHARS, 0, &enc, &st), 0);
    assert_int_equal(enc.n, 8);
    const char *want[] = {"J", "a", "n", " ", "1", "é", "日", "\xf0\x9f\x98\x80"};
    for (int i = 0; i < 8; i++) assert_string_equal(enc.pieces[i], want[i]);
    assert_int_equal(enc.ids[0], 3); /* no lower-casing at character level */
    assert_int_equal(enc.ids[3], 6);
    assert_int_equal(enc.ids[6], 9);
    assert_int_equal(enc.ids[7], 2);
    assert_int_equal(enc.unknown_count, 1);
    vocab_encoding_free(&enc);
    vocab_free(v);
}

static void test_invalid_utf8_rejected(void **state) {
    (void)state;
    Vocab *v = words();
    VocabEncoding enc;
    Status st = {{0}};
    const char *bad[] = {"ab\xff", "ab\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ok \xe2\x82"};
    const char *where[] = {"byte 2 is 0xff", "byte 2 is 0xc3", "byte 0 is 0xc0", "byte 0 is 0xed",
                           "byte 0 is 0xf4", "byte 3 is 0xe2"};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(vocab_encode(v, bad[i], VOCAB_WORDS, 0, &enc, &st), -1);
        expect_message(&st, "the text is not valid UTF-8");
        expect_message(&st, where[i]);
        assert_int_equal(enc.n, 0);
        vocab_encoding_free(&enc);
    }
    vocab_free(v);
}

static void test_control_characters_rejected(void **state) {
    (void)state;
    Vocab *v = words();
    VocabEncoding enc;
    Status st = {{0}};
    assert_int_equal(vocab_encode(v, "the\x07 cat", VOCAB_WORDS, 0, &enc, &st), -1);
    assert_string_equal(st.message,
                        "the text contains the control character U+0007 at byte 3; only tab and newline are allowed");
    assert_int_equal(vocab_encode(v, "a\rb", VOCAB_CHARS, 0, &enc, &st), -1);
    expect_message(&st, "U+000D at byte 1");
    assert_int_equal(vocab_encode(v, "a\x7f", VOCAB_WORDS, 0, &enc, &st), -1);
    expect_message(&st, "U+007F");
    assert_int_equal(vocab_encode(v, "a\xc2\x85", VOCAB_WORDS, 0, &enc, &st), -1);
    expect_message(&st, "U+0085");
    /* Tab and newline are fine, also at character level. */
    assert_int_equal(vocab_encode(v, "a\tb\n", VOCAB_CHARS, 0, &enc, &st), 0);
    assert_int_equal(enc.n, 4);
    assert_string_equal(enc.pieces[1], "\t");
    vocab_encoding_free(&enc);
    vocab_free(v);
}

static void test_max_tokens(void **state) {
    (void)state;
    Vocab *v = words();
    VocabEncoding enc;
    Status st = {{0}};
    assert_int_equal(vocab_encode(v, "the cat, the area.", VOCAB_WORDS, 6, &enc, &st), 0);
    assert_int_equal(enc.n, 6);
    vocab_encoding_free(&enc);
    assert_int_equal(vocab_encode(v, "the cat, the area.", VOCAB_WORDS, 5, &enc, &st), -1);
    assert_string_equal(st.message, "the text has 6 tokens; at most 5 are allowed");
    assert_int_equal(enc.n, 0);
    assert_int_equal(vocab_encode(v, "abcdef", VOCAB_CHARS, 3, &enc, &st), -1);
    expect_message(&st, "has 6 tokens; at most 3");

    /* The hard cap VOCAB_MAX_TOKENS applies when max_tokens is 0 or larger. */
    size_t n = 2 * VOCAB_MAX_TOKENS + 10;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i += 2) {
        big[i] = 'a';
        big[i + 1] = ' ';
    }
    big[n] = '\0';
    assert_int_equal(vocab_encode(v, big, VOCAB_WORDS, 0, &enc, &st), -1);
    expect_message(&st, "the text has 4101 tokens; at most 4096 are allowed");
    assert_int_equal(vocab_encode(v, big, VOCAB_WORDS, 100000, &enc, &st), -1);
    expect_message(&st, "at most 4096");
    big[2 * VOCAB_MAX_TOKENS] = '\0';
    assert_int_equal(vocab_encode(v, big, VOCAB_WORDS, 0, &enc, &st), 0);
    assert_int_equal(enc.n, VOCAB_MAX_TOKENS);
    assert_int_equal(enc.unknown_count, VOCAB_MAX_TOKENS);
    vocab_encoding_free(&enc);
    free(big);
    vocab_free(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_unk_spellings),
        cmocka_unit_test(test_bad_vocabularies_rejected),
        cmocka_unit_test(test_large_vocabulary),
        cmocka_unit_test(test_word_tokeniser),
        cmocka_unit_test(test_unknown_words_counted),
        cmocka_unit_test(test_char_tokeniser),
        cmocka_unit_test(test_invalid_utf8_rejected),
        cmocka_unit_test(test_control_characters_rejected),
        cmocka_unit_test(test_max_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
