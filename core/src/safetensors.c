/* safetensors.c — hostile-input reader and atomic writer for .safetensors files
 * (see safetensors.h).
 *
 * Reading never trusts the file: every length, offset and shape is checked against the
 * bytes actually present before anything is allocated from it, so the largest allocation
 * is bounded by a small multiple of the input size. The first problem found (in the
 * order: container, header text, header JSON, each entry in header order, duplicate
 * names, overlaps) is reported as "<name>: <problem>" and nothing is leaked.
 *
 * Decisions not spelled out in the header:
 *  - The header may be padded with JSON white space after the object (the Python writer
 *    pads with spaces to a multiple of 8); anything else after the object is an error.
 *  - Bytes of the data section that no tensor covers (holes, trailing bytes) are
 *    accepted: they are harmless, unlike overlaps, which are rejected.
 *  - Unknown keys inside a tensor entry are ignored; a key given twice in any object
 *    is an error, since which one wins would be ambiguous.
 *  - Numbers in shape/data_offsets must be integral JSON numbers in [0, 2^53]; "1e3"
 *    is read as 1000 (JSON does not distinguish the spellings).
 *  - F64 values beyond the float range become ±inf; NaN stays NaN.
 *
 * Writing: header keys are "__metadata__" first (when there is metadata), then the
 * tensors in byte order of their names (strcmp); metadata keys are in byte order too.
 * The header is padded with spaces to a multiple of 8 bytes. Data is F32 little-endian.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* posix_memalign, fsync, O_NOFOLLOW */
#endif
#include "attnstep/safetensors.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define MAX_HEADER_BYTES 100000000ull /* 100 MB, as the reference implementation */
#define MAX_JSON_INT 9007199254740992.0 /* 2^53: larger doubles are not exact integers */

/* ---- small helpers ---------------------------------------------------------- */

typedef struct DType {
    const char *name;
    int size;
} DType;

static const DType DTYPES[] = {
    {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"F64", 8}, {"I64", 8}, {"I32", 4},
};
enum { DT_F32, DT_F16, DT_BF16, DT_F64, DT_I64, DT_I32, DT_COUNT };

static uint64_t le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static float bits_to_float(uint32_t b) {
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static uint32_t float_to_bits(float f) {
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* IEEE binary16 -> binary32, exact for every input (subnormals, inf, NaN payloads). */
static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { /* subnormal: normalise into a binary32 normal */
            exp = 127 - 15 + 1;
            while (!(mant & 0x400u)) {
                mant <<= 1;
                exp--;
            }
            mant &= 0x3ffu;
            bits = sign | exp << 23 | mant << 13;
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | mant << 13;
    } else {
        bits = sign | (exp + 127 - 15) << 23 | mant << 13;
    }
    return bits_to_float(bits);
}

static float double_to_float(double d) {
    if (d != d) return (float)d;                  /* NaN */
    if (d > 3.4028234663852886e38) return bits_to_float(0x7f800000u);
    if (d < -3.4028234663852886e38) return bits_to_float(0xff800000u);
    return (float)d;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if it is not one (overlong
 * forms, surrogates and code points above U+10FFFF are invalid). *cp gets the code point. */
static size_t utf8_next(const uint8_t *s, size_t n, uint32_t *cp) {
    uint8_t c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2; v = c & 0x1fu; min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3; v = c & 0x0fu; min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4; v = c & 0x07u; min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        v = v << 6 | (s[i] & 0x3fu);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
    *cp = v;
    return len;
}

/* Offset of the first invalid UTF-8 byte or NUL byte in s[0..n), or n when all is valid. */
static size_t utf8_check(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = utf8_next(s + i, n - i, &cp);
        if (len == 0 || cp == 0) return i;
        i += len;
    }
    return n;
}

static int valid_utf8_string(const char *s) {
    size_t n = strlen(s);
    return utf8_check((const uint8_t *)s, n) == n;
}

/* Copies s into out (size >= 8) for use inside a message: control characters become
 * '?', and long names are cut at a code-point boundary and end in "...". */
static const char *shown(char *out, size_t size, const char *s) {
    if (!s) s = "";
    size_t limit = size - 4, i = 0;
    for (; s[i] && i < limit; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (s[i]) {
        while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80) i--; /* do not cut a code point */
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
    return out;
}

static const char *json_kind(const cJSON *j) {
    if (cJSON_IsString(j)) return "a string";
    if (cJSON_IsNumber(j)) return "a number";
    if (cJSON_IsArray(j)) return "an array";
    if (cJSON_IsObject(j)) return "an object";
    if (cJSON_IsBool(j)) return "a boolean";
    if (cJSON_IsNull(j)) return "null";
    return "an invalid value";
}

static void format_shape(char *out, size_t size, const int64_t *shape, int ndim) {
    size_t used = 0;
    used += (size_t)snprintf(out, size, "[");
    for (int i = 0; i < ndim && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%" PRId64, i ? ", " : "", shape[i]);
    if (used < size) snprintf(out + used, size - used, "]");
}

static int cmp_cjson_key(const void *a, const void *b) {
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

/* First key that occurs twice among obj's children, or NULL. keys (scratch) holds n
 * pointers. Sorting keeps this O(n log n) for headers with millions of entries. */
static const char *duplicate_key(const cJSON *obj, const cJSON **keys, int n) {
    int k = 0;
    for (const cJSON *c = obj->child; c && k < n; c = c->next) keys[k++] = c;
    qsort(keys, (size_t)k, sizeof *keys, cmp_cjson_key);
    for (int i = 1; i < k; i++)
        if (cmp_cjson_key(&keys[i - 1], &keys[i]) == 0) return keys[i]->string ? keys[i]->string : "";
    return NULL;
}

/* Reads an integral JSON number in [0, 2^53]. 0 and *out set on success; otherwise -1
 * and why[] says what is wrong with it ("is negative (-3)", ...). */
static int json_uint(const cJSON *j, int64_t *out, char *why, size_t why_size) {
    if (!cJSON_IsNumber(j)) {
        snprintf(why, why_size, "is %s, not an integer", json_kind(j));
        return -1;
    }
    double d = j->valuedouble;
    if (d < 0) {
        snprintf(why, why_size, "is negative (%.15g)", d);
        return -1;
    }
    if (d > MAX_JSON_INT) {
        snprintf(why, why_size, "is too large (%.15g)", d);
        return -1;
    }
    if (d != (double)(int64_t)d) {
        snprintf(why, why_size, "is not an integer (%.15g)", d);
        return -1;
    }
    *out = (int64_t)d;
    return 0;
}

/* ---- reading ------------------------------------------------------------------ */

typedef struct Entry {
    SafeTensor t;   /* name owned until moved into the result */
    int dtype;
    uint64_t begin, end;
} Entry;

static int cmp_entry(const void *a, const void *b) {
    const Entry *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return strcmp(x->t.name, y->t.name);
}

void safetensors_free(SafeTensors *f) {
    if (!f) return;
    for (int i = 0; i < f->count; i++) {
        free(f->tensors[i].name);
        free(f->tensors[i].data);
    }
    free(f->tensors);
    for (int i = 0; i < f->meta_count; i++) {
        free(f->meta_keys[i]);
        free(f->meta_values[i]);
    }
    free(f->meta_keys);
    free(f->meta_values);
    free(f);
}

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

/* Fills f's metadata from the "__metadata__" object. -1 with st (no file prefix). */
static int parse_metadata(SafeTensors *f, const cJSON *meta, Status *st) {
    char buf[128];
    if (!cJSON_IsObject(meta))
        return status_fail(st, "\"__metadata__\" is %s, not an object of strings", json_kind(meta));
    int n = 0;
    for (const cJSON *c = meta->child; c; c = c->next) {
        if (!cJSON_IsString(c) || !c->valuestring)
            return status_fail(st, "metadata '%s' is %s, not a string", shown(buf, sizeof buf, c->string),
                               json_kind(c));
        n++;
    }
    if (n == 0) return 0;
    const cJSON **keys = malloc(sizeof *keys * (size_t)n);
    if (!keys) return status_fail(st, "out of memory reading the metadata");
    const char *dup = duplicate_key(meta, keys, n);
    free(keys);
    if (dup) return status_fail(st, "metadata key '%s' appears twice", shown(buf, sizeof buf, dup));
    f->meta_keys = calloc((size_t)n, sizeof *f->meta_keys);
    f->meta_values = calloc((size_t)n, sizeof *f->meta_values);
    if (!f->meta_keys || !f->meta_values) return status_fail(st, "out of memory reading the metadata");
    for (const cJSON *c = meta->child; c; c = c->next) {
        char *k = dup_str(c->string ? c->string : ""), *v = dup_str(c->valuestring);
        if (!k || !v) {
            free(k);
            free(v);
            return status_fail(st, "out of memory reading the metadata");
        }
        f->meta_keys[f->meta_count] = k;
        f->meta_values[f->meta_count] = v;
        f->meta_count++;
    }
    return 0;
}

/* Validates one tensor entry against the data section size. -1 with st (no file
 * prefix). On success e->t.name is still unset (the caller owns naming). */
static int parse_entry(Entry *e, const cJSON *j, const char *tname, uint64_t data_size, Status *st) {
    char nm[128], why[96];
    shown(nm, sizeof nm, tname);
    if (!cJSON_IsObject(j)) return status_fail(st, "tensor '%s': entry is %s, not an object", nm, json_kind(j));
    int nkeys = 0;
    for (const cJSON *c = j->child; c; c = c->next) nkeys++;
    const cJSON *keys[64];
    if (nkeys <= 64) {
        const char *dup = duplicate_key(j, keys, nkeys);
        if (dup) return status_fail(st, "tensor '%s': key '%s' appears twice", nm, shown(why, sizeof why, dup));
    } else {
        return status_fail(st, "tensor '%s': entry has %d keys (expected dtype, shape, data_offsets)", nm, nkeys);
    }

    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(j, "dtype");
    if (!dt) return status_fail(st, "tensor '%s': missing \"dtype\"", nm);
    if (!cJSON_IsString(dt) || !dt->valuestring)
        return status_fail(st, "tensor '%s': \"dtype\" is %s, not a string", nm, json_kind(dt));
    e->dtype = -1;
    for (int i = 0; i < DT_COUNT; i++)
        if (strcmp(dt->valuestring, DTYPES[i].name) == 0) e->dtype = i;
    if (e->dtype < 0)
        return status_fail(st, "tensor '%s': unknown dtype '%s' (supported: F32, F16, BF16, F64, I64, I32)", nm,
                           shown(why, 40, dt->valuestring));
    memcpy(e->t.dtype, DTYPES[e->dtype].name, strlen(DTYPES[e->dtype].name) + 1);

    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(j, "shape");
    if (!sh) return status_fail(st, "tensor '%s': missing \"shape\"", nm);
    if (!cJSON_IsArray(sh)) return status_fail(st, "tensor '%s': \"shape\" is %s, not an array", nm, json_kind(sh));
    int ndim = cJSON_GetArraySize(sh);
    if (ndim > SAFETENSORS_MAX_DIMS)
        return status_fail(st, "tensor '%s': shape has %d dimensions (at most %d are supported)", nm, ndim,
                           SAFETENSORS_MAX_DIMS);
    e->t.ndim = ndim;
    int d = 0;
    for (const cJSON *c = sh->child; c; c = c->next, d++)
        if (json_uint(c, &e->t.shape[d], why, sizeof why) != 0)
            return status_fail(st, "tensor '%s': shape[%d] %s", nm, d, why);
    /* Element count; the bound keeps numel * 8 bytes within int64. */
    int64_t numel = 1;
    int zero = 0;
    for (d = 0; d < ndim; d++) {
        int64_t s = e->t.shape[d];
        if (s == 0) zero = 1;
        else if (numel > INT64_MAX / 8 / s) numel = -1;
        if (numel > 0) numel *= s;
    }
    char shape_text[8 * 24];
    format_shape(shape_text, sizeof shape_text, e->t.shape, ndim);
    if (zero) numel = 0;
    else if (numel < 0)
        return status_fail(st, "tensor '%s': shape %s has too many elements (the product overflows)", nm,
                           shape_text);
    e->t.numel = numel;

    const cJSON *off = cJSON_GetObjectItemCaseSensitive(j, "data_offsets");
    if (!off) return status_fail(st, "tensor '%s': missing \"data_offsets\"", nm);
    if (!cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2)
        return status_fail(st, "tensor '%s': \"data_offsets\" must be an array [begin, end]", nm);
    int64_t be[2];
    if (json_uint(off->child, &be[0], why, sizeof why) != 0)
        return status_fail(st, "tensor '%s': data_offsets begin %s", nm, why);
    if (json_uint(off->child->next, &be[1], why, sizeof why) != 0)
        return status_fail(st, "tensor '%s': data_offsets end %s", nm, why);
    if (be[0] > be[1])
        return status_fail(st, "tensor '%s': data_offsets [%" PRId64 ", %" PRId64 "] begin after they end", nm,
                           be[0], be[1]);
    if ((uint64_t)be[1] > data_size)
        return status_fail(st,
                           "tensor '%s': data_offsets [%" PRId64 ", %" PRId64 "] run past the end of the data "
                           "section (%" PRIu64 " bytes)",
                           nm, be[0], be[1], data_size);
    int64_t need = numel * DTYPES[e->dtype].size;
    if (be[1] - be[0] != need)
        return status_fail(st,
                           "tensor '%s': data_offsets [%" PRId64 ", %" PRId64 "] hold %" PRId64
                           " bytes but %s %s needs %" PRId64,
                           nm, be[0], be[1], be[1] - be[0], e->t.dtype, shape_text, need);
    e->begin = (uint64_t)be[0];
    e->end = (uint64_t)be[1];
    return 0;
}

/* Converts n little-endian values of dtype at src into float32 at dst. */
static void convert(float *dst, const uint8_t *src, int64_t n, int dtype) {
    for (int64_t i = 0; i < n; i++) {
        switch (dtype) {
        case DT_F32: dst[i] = bits_to_float(le32(src + 4 * i)); break;
        case DT_F16: dst[i] = half_to_float(le16(src + 2 * i)); break;
        case DT_BF16: dst[i] = bits_to_float((uint32_t)le16(src + 2 * i) << 16); break;
        case DT_F64: {
            uint64_t b = le64(src + 8 * i);
            double v;
            memcpy(&v, &b, sizeof v);
            dst[i] = double_to_float(v);
            break;
        }
        case DT_I64: dst[i] = (float)(int64_t)le64(src + 8 * i); break;
        case DT_I32: dst[i] = (float)(int32_t)le32(src + 4 * i); break;
        default: assert(0);
        }
    }
}

/* The body of safetensors_parse; messages carry no file prefix (the caller adds it). */
static SafeTensors *parse(const uint8_t *bytes, size_t size, Status *st) {
    if (size == 0) return status_fail(st, "file is empty"), NULL;
    if (size < 8)
        return status_fail(st, "file is %zu bytes, too short to hold the 8-byte header length", size), NULL;
    uint64_t hlen = le64(bytes);
    if (hlen > MAX_HEADER_BYTES)
        return status_fail(st, "header length %" PRIu64 " bytes exceeds the 100 MB limit (file is %zu bytes)", hlen,
                           size),
               NULL;
    if (hlen > size - 8)
        return status_fail(st,
                           "header length %" PRIu64 " bytes runs past the end of the file (only %zu bytes follow "
                           "the length field)",
                           hlen, size - 8),
               NULL;
    if (hlen == 0) return status_fail(st, "header is empty (length 0)"), NULL;
    const uint8_t *header = bytes + 8;
    size_t bad = utf8_check(header, (size_t)hlen);
    if (bad < hlen)
        return status_fail(st, "header is not valid UTF-8 text (byte %zu of the header is 0x%02x)", bad,
                           header[bad]),
               NULL;

    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts((const char *)header, (size_t)hlen, &end, 0);
    if (!root) {
        size_t at = end && end >= (const char *)header ? (size_t)(end - (const char *)header) : 0;
        return status_fail(st, "header is not valid JSON (error near byte %zu of the header)", at), NULL;
    }
    for (const char *p = end; p && p < (const char *)header + hlen; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            cJSON_Delete(root);
            return status_fail(st, "header has extra text after the JSON object (at byte %zu of the header)",
                               (size_t)(p - (const char *)header)),
                   NULL;
        }
    }
    if (!cJSON_IsObject(root)) {
        status_fail(st, "header is %s, not a JSON object", json_kind(root));
        cJSON_Delete(root);
        return NULL;
    }

    uint64_t data_size = (uint64_t)(size - 8) - hlen;
    const uint8_t *data = header + hlen;
    SafeTensors *f = calloc(1, sizeof *f);
    Entry *entries = NULL;
    const cJSON **keys = NULL;
    int n_entries = 0, n_keys = 0;
    char nm[128];
    if (!f) goto oom;
    for (const cJSON *c = root->child; c; c = c->next) {
        n_keys++;
        if (!c->string || strcmp(c->string, "__metadata__") != 0) n_entries++;
    }
    if (n_keys > 1) {
        keys = malloc(sizeof *keys * (size_t)n_keys);
        if (!keys) goto oom;
        const char *dup = duplicate_key(root, keys, n_keys);
        if (dup) {
            if (strcmp(dup, "__metadata__") == 0) status_fail(st, "\"__metadata__\" appears twice in the header");
            else status_fail(st, "tensor name '%s' appears twice in the header", shown(nm, sizeof nm, dup));
            goto fail;
        }
    }
    if (n_entries > 0) {
        entries = calloc((size_t)n_entries, sizeof *entries);
        if (!entries) goto oom;
    }
    int k = 0;
    for (const cJSON *c = root->child; c; c = c->next) {
        if (c->string && strcmp(c->string, "__metadata__") == 0) {
            if (parse_metadata(f, c, st) != 0) goto fail; /* only one: duplicates were rejected */
            continue;
        }
        Entry *e = &entries[k];
        if (parse_entry(e, c, c->string, data_size, st) != 0) goto fail;
        e->t.name = dup_str(c->string ? c->string : "");
        if (!e->t.name) goto oom;
        k++;
    }
    if (n_entries > 1) qsort(entries, (size_t)n_entries, sizeof *entries, cmp_entry);
    /* Overlaps: in begin order, a non-empty tensor must start at or after every earlier end. */
    int last = -1;
    for (int i = 0; i < n_entries; i++) {
        if (entries[i].begin == entries[i].end) continue;
        if (last >= 0 && entries[i].begin < entries[last].end) {
            char nm2[128];
            status_fail(st,
                        "tensors '%s' [%" PRIu64 ", %" PRIu64 "] and '%s' [%" PRIu64 ", %" PRIu64
                        "] overlap in the data section",
                        shown(nm, sizeof nm, entries[last].t.name), entries[last].begin, entries[last].end,
                        shown(nm2, sizeof nm2, entries[i].t.name), entries[i].begin, entries[i].end);
            goto fail;
        }
        if (last < 0 || entries[i].end > entries[last].end) last = i;
    }
    /* Everything is consistent: allocate and convert. */
    if (n_entries > 0) {
        f->tensors = calloc((size_t)n_entries, sizeof *f->tensors);
        if (!f->tensors) goto oom;
    }
    for (int i = 0; i < n_entries; i++) {
        Entry *e = &entries[i];
        size_t bytes_out = (size_t)e->t.numel * sizeof(float);
        void *p = NULL;
        if (posix_memalign(&p, 16, bytes_out ? bytes_out : 16) != 0) goto oom;
        e->t.data = p;
        convert(e->t.data, data + e->begin, e->t.numel, e->dtype);
        f->tensors[i] = e->t; /* moves name and data */
        e->t.name = NULL;
        e->t.data = NULL;
        f->count++;
    }
    free(entries);
    free(keys);
    cJSON_Delete(root);
    return f;

oom:
    status_fail(st, "out of memory reading the header or tensors");
fail:
    for (int i = 0; i < n_entries && entries; i++) {
        free(entries[i].t.name);
        free(entries[i].t.data);
    }
    free(entries);
    free(keys);
    safetensors_free(f);
    cJSON_Delete(root);
    return NULL;
}

SafeTensors *safetensors_parse(const uint8_t *bytes, size_t size, const char *name, Status *st) {
    if (!name) name = "<memory>";
    if (st) st->message[0] = '\0';
    if (!bytes && size > 0) size = 0;
    SafeTensors *f = parse(bytes, size, st);
    if (!f) status_prefix(st, "%s", name);
    return f;
}

SafeTensors *safetensors_load(const char *path, Status *st) {
    if (st) st->message[0] = '\0';
    int fd = open(path, O_RDONLY);
    if (fd < 0) return status_fail(st, "%s: cannot open: %s", path, strerror(errno)), NULL;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        status_fail(st, "%s: cannot read: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(sb.st_mode)) {
        status_fail(st, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    if ((uint64_t)sb.st_size > (uint64_t)SIZE_MAX / 2) {
        status_fail(st, "%s: file is too large (%lld bytes)", path, (long long)sb.st_size);
        close(fd);
        return NULL;
    }
    size_t size = (size_t)sb.st_size, got = 0;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        status_fail(st, "%s: out of memory reading %zu bytes", path, size);
        close(fd);
        return NULL;
    }
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            status_fail(st, "%s: cannot read: %s", path, strerror(errno));
            free(buf);
            close(fd);
            return NULL;
        }
        if (r == 0) break; /* shrank while reading: parse what is there */
        got += (size_t)r;
    }
    close(fd);
    SafeTensors *f = safetensors_parse(buf, got, path, st);
    free(buf);
    return f;
}

const SafeTensor *safetensors_find(const SafeTensors *f, const char *name) {
    if (!f || !name) return NULL;
    for (int i = 0; i < f->count; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

const char *safetensors_meta(const SafeTensors *f, const char *key) {
    if (!f || !key) return NULL;
    for (int i = 0; i < f->meta_count; i++)
        if (strcmp(f->meta_keys[i], key) == 0) return f->meta_values[i];
    return NULL;
}

/* ---- writing ------------------------------------------------------------------ */

typedef struct WTensor {
    char *name;
    int ndim;
    int64_t shape[SAFETENSORS_MAX_DIMS];
    int64_t numel;
    float *data; /* numel values, owned (NULL when numel is 0) */
} WTensor;

struct SafeTensorsWriter {
    int count, cap;
    WTensor *t;
    int meta_count, meta_cap;
    char **keys, **values;
};

SafeTensorsWriter *safetensors_writer_new(void) { return calloc(1, sizeof(SafeTensorsWriter)); }

void safetensors_writer_free(SafeTensorsWriter *w) {
    if (!w) return;
    for (int i = 0; i < w->count; i++) {
        free(w->t[i].name);
        free(w->t[i].data);
    }
    free(w->t);
    for (int i = 0; i < w->meta_count; i++) {
        free(w->keys[i]);
        free(w->values[i]);
    }
    free(w->keys);
    free(w->values);
    free(w);
}

int safetensors_writer_add(SafeTensorsWriter *w, const char *name, const float *data, int ndim,
                           const int64_t *shape, Status *st) {
    assert(w && name);
    char nm[128];
    if (strcmp(name, "__metadata__") == 0) return status_fail(st, "'__metadata__' is reserved, not a tensor name");
    if (!valid_utf8_string(name)) return status_fail(st, "a tensor name is not valid UTF-8");
    shown(nm, sizeof nm, name);
    if (ndim < 0 || ndim > SAFETENSORS_MAX_DIMS)
        return status_fail(st, "tensor '%s': %d dimensions (0 to %d are supported)", nm, ndim, SAFETENSORS_MAX_DIMS);
    assert(ndim == 0 || shape);
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0) return status_fail(st, "tensor '%s': shape[%d] is negative (%" PRId64 ")", nm, d, shape[d]);
        if (shape[d] == 0) {
            numel = 0;
        } else if (numel > 0) {
            if (numel > INT64_MAX / 8 / shape[d] || (uint64_t)numel * (uint64_t)shape[d] > SIZE_MAX / sizeof(float))
                return status_fail(st, "tensor '%s': too many elements", nm);
            numel *= shape[d];
        }
    }
    assert(numel == 0 || data);
    for (int i = 0; i < w->count; i++)
        if (strcmp(w->t[i].name, name) == 0) return status_fail(st, "tensor '%s' was already added", nm);
    if (w->count == w->cap) {
        int cap = w->cap ? w->cap * 2 : 16;
        WTensor *t = realloc(w->t, sizeof *t * (size_t)cap);
        if (!t) return status_fail(st, "out of memory adding tensor '%s'", nm);
        w->t = t;
        w->cap = cap;
    }
    WTensor *t = &w->t[w->count];
    memset(t, 0, sizeof *t);
    t->name = dup_str(name);
    if (numel > 0) t->data = malloc((size_t)numel * sizeof(float));
    if (!t->name || (numel > 0 && !t->data)) {
        free(t->name);
        free(t->data);
        return status_fail(st, "out of memory adding tensor '%s'", nm);
    }
    if (numel > 0) memcpy(t->data, data, (size_t)numel * sizeof(float));
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++) t->shape[d] = shape[d];
    t->numel = numel;
    w->count++;
    return 0;
}

int safetensors_writer_meta(SafeTensorsWriter *w, const char *key, const char *value, Status *st) {
    assert(w && key && value);
    char nm[128];
    if (!valid_utf8_string(key)) return status_fail(st, "a metadata key is not valid UTF-8");
    if (!valid_utf8_string(value))
        return status_fail(st, "metadata '%s': value is not valid UTF-8", shown(nm, sizeof nm, key));
    char *v = dup_str(value);
    if (!v) return status_fail(st, "out of memory adding metadata '%s'", shown(nm, sizeof nm, key));
    for (int i = 0; i < w->meta_count; i++) {
        if (strcmp(w->keys[i], key) == 0) {
            free(w->values[i]);
            w->values[i] = v;
            return 0;
        }
    }
    if (w->meta_count == w->meta_cap) {
        int cap = w->meta_cap ? w->meta_cap * 2 : 8;
        char **k = realloc(w->keys, sizeof *k * (size_t)cap);
        if (k) w->keys = k;
        char **vs = k ? realloc(w->values, sizeof *vs * (size_t)cap) : NULL;
        if (vs) w->values = vs;
        if (!k || !vs) {
            free(v);
            return status_fail(st, "out of memory adding metadata '%s'", shown(nm, sizeof nm, key));
        }
        w->meta_cap = cap;
    }
    char *k = dup_str(key);
    if (!k) {
        free(v);
        return status_fail(st, "out of memory adding metadata '%s'", shown(nm, sizeof nm, key));
    }
    w->keys[w->meta_count] = k;
    w->values[w->meta_count] = v;
    w->meta_count++;
    return 0;
}

/* Growable byte buffer; oom sticks once an allocation fails. */
typedef struct Buf {
    char *p;
    size_t n, cap;
    int oom;
} Buf;

static void buf_put(Buf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void buf_str(Buf *b, const char *s) { buf_put(b, s, strlen(s)); }

/* Appends s as a JSON string literal (UTF-8 passes through; quotes, backslashes and
 * control characters are escaped). */
static void buf_json(Buf *b, const char *s) {
    buf_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"') buf_put(b, "\\\"", 2);
        else if (c == '\\') buf_put(b, "\\\\", 2);
        else if (c == '\n') buf_put(b, "\\n", 2);
        else if (c == '\t') buf_put(b, "\\t", 2);
        else if (c == '\r') buf_put(b, "\\r", 2);
        else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            buf_put(b, esc, 6);
        } else buf_put(b, s, 1);
    }
    buf_put(b, "\"", 1);
}

static int cmp_wtensor(const void *a, const void *b) {
    const WTensor *x = *(const WTensor *const *)a, *y = *(const WTensor *const *)b;
    return strcmp(x->name, y->name);
}

typedef struct MetaPair {
    const char *key, *value;
} MetaPair;

static int cmp_meta(const void *a, const void *b) {
    return strcmp(((const MetaPair *)a)->key, ((const MetaPair *)b)->key);
}

static int write_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t r = write(fd, c, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Builds the header (padded to a multiple of 8 with spaces) into hb and the tensor
 * order into order[w->count] (name order). -1 on out of memory. */
static int build_header(const SafeTensorsWriter *w, Buf *hb, const WTensor **order) {
    for (int i = 0; i < w->count; i++) order[i] = &w->t[i];
    qsort(order, (size_t)w->count, sizeof *order, cmp_wtensor);
    buf_str(hb, "{");
    int first = 1;
    if (w->meta_count > 0) {
        MetaPair *pairs = malloc(sizeof *pairs * (size_t)w->meta_count);
        if (!pairs) return -1;
        for (int i = 0; i < w->meta_count; i++) pairs[i] = (MetaPair){w->keys[i], w->values[i]};
        qsort(pairs, (size_t)w->meta_count, sizeof *pairs, cmp_meta);
        buf_str(hb, "\"__metadata__\":{");
        for (int i = 0; i < w->meta_count; i++) {
            if (i) buf_str(hb, ",");
            buf_json(hb, pairs[i].key);
            buf_str(hb, ":");
            buf_json(hb, pairs[i].value);
        }
        buf_str(hb, "}");
        free(pairs);
        first = 0;
    }
    int64_t offset = 0;
    char num[64];
    for (int i = 0; i < w->count; i++) {
        const WTensor *t = order[i];
        if (!first) buf_str(hb, ",");
        first = 0;
        buf_json(hb, t->name);
        buf_str(hb, ":{\"dtype\":\"F32\",\"shape\":[");
        for (int d = 0; d < t->ndim; d++) {
            snprintf(num, sizeof num, "%s%" PRId64, d ? "," : "", t->shape[d]);
            buf_str(hb, num);
        }
        int64_t end = offset + t->numel * 4;
        snprintf(num, sizeof num, "],\"data_offsets\":[%" PRId64 ",%" PRId64 "]}", offset, end);
        buf_str(hb, num);
        offset = end;
    }
    buf_str(hb, "}");
    while (hb->n % 8 != 0) buf_str(hb, " ");
    return hb->oom ? -1 : 0;
}

/* Writes the whole file to fd. -1 with errno set on a write error. */
static int write_file(int fd, const SafeTensorsWriter *w, const Buf *hb, const WTensor **order) {
    uint8_t len[8];
    uint64_t n = hb->n;
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)(n >> (8 * i));
    if (write_all(fd, len, 8) != 0 || write_all(fd, hb->p, hb->n) != 0) return -1;
    uint8_t chunk[4096];
    for (int i = 0; i < w->count; i++) {
        const WTensor *t = order[i];
        int64_t j = 0;
        while (j < t->numel) {
            size_t k = 0;
            for (; k + 4 <= sizeof chunk && j < t->numel; j++, k += 4) {
                uint32_t b = float_to_bits(t->data[j]);
                chunk[k] = (uint8_t)b;
                chunk[k + 1] = (uint8_t)(b >> 8);
                chunk[k + 2] = (uint8_t)(b >> 16);
                chunk[k + 3] = (uint8_t)(b >> 24);
            }
            if (write_all(fd, chunk, k) != 0) return -1;
        }
    }
    return 0;
}

int safetensors_writer_save(const SafeTensorsWriter *w, const char *path, Status *st) {
    assert(w && path);
    if (st) st->message[0] = '\0';
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 5);
    const WTensor **order = malloc(sizeof *order * (size_t)(w->count + 1));
    Buf hb = {0};
    if (!tmp || !order || build_header(w, &hb, order) != 0) {
        free(tmp);
        free((void *)order);
        free(hb.p);
        return status_fail(st, "%s: out of memory preparing the file", path);
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);

    int rc = -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        status_fail(st, "%s: cannot create the temporary file %s: %s", path, tmp, strerror(errno));
        goto done; /* nothing of ours to remove */
    }
    if (write_file(fd, w, &hb, order) != 0) {
        status_fail(st, "%s: cannot write %s: %s", path, tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        goto done;
    }
    if (fsync(fd) != 0) {
        status_fail(st, "%s: cannot flush %s to disk: %s", path, tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        goto done;
    }
    if (close(fd) != 0) {
        status_fail(st, "%s: cannot close %s: %s", path, tmp, strerror(errno));
        unlink(tmp);
        goto done;
    }
    if (rename(tmp, path) != 0) {
        status_fail(st, "%s: cannot replace the file: %s", path, strerror(errno));
        unlink(tmp);
        goto done;
    }
    /* Make the rename itself durable; a failure here leaves a complete file, so ignore it. */
    {
        const char *slash = strrchr(path, '/');
        char *dir = slash ? malloc((size_t)(slash - path) + 2) : NULL;
        if (dir) {
            size_t dl = slash == path ? 1 : (size_t)(slash - path);
            memcpy(dir, path, dl);
            dir[dl] = '\0';
        }
        int dfd = open(dir ? dir : ".", O_RDONLY);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    rc = 0;
done:
    free(tmp);
    free((void *)order);
    free(hb.p);
    return rc;
}
