/* fuzz_safetensors.c — libFuzzer entry point for the safetensors reader.
 *
 * Every input must either parse (and then every tensor's values must be readable and
 * the metadata consistent) or fail with a message that names the file; it must never
 * crash, hang, leak or read out of bounds (run under ASan/UBSan).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icore/include \
 *       tests/fuzz/fuzz_safetensors.c core/src/safetensors.c core/src/status.c -lcjson -lm
 *   ./a.out -max_total_time=60 tests/fuzz/seeds/safetensors
 * or simply: scripts/fuzz 60 fuzz_safetensors
 *
 * fuzz-sources: core/src/safetensors.c core/src/status.c
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attnstep/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Status st = {{0}};
    SafeTensors *f = safetensors_parse(data, size, "fuzz.safetensors", &st);
    if (!f) {
        if (strncmp(st.message, "fuzz.safetensors: ", 18) != 0) abort(); /* every message names the file */
        return 0;
    }
    if (st.message[0] != '\0') abort();
    volatile float sink = 0.0f;
    for (int i = 0; i < f->count; i++) {
        const SafeTensor *t = &f->tensors[i];
        if (t->ndim < 0 || t->ndim > SAFETENSORS_MAX_DIMS || t->numel < 0) abort();
        if (((uintptr_t)t->data & 15u) != 0) abort();
        int64_t numel = 1;
        int zero = 0;
        for (int d = 0; d < t->ndim; d++) zero |= t->shape[d] == 0;
        for (int d = 0; d < t->ndim && !zero; d++) numel *= t->shape[d]; /* bounded by the parser */
        if ((zero ? 0 : numel) != t->numel) abort();
        for (int64_t j = 0; j < t->numel; j++) sink += t->data[j]; /* ASan checks the bounds */
        if (safetensors_find(f, t->name) == NULL) abort();
    }
    for (int i = 0; i < f->meta_count; i++)
        if (safetensors_meta(f, f->meta_keys[i]) == NULL) abort();
    (void)sink;
    safetensors_free(f);
    return 0;
}
