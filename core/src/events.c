/* events.c — event builders and accessors, the trace recorder, the JSONL writer and
 * reader (see events.h for the contract, docs/trace-format.md for the format).
 *
 * Memory layout of a Trace:
 *  - events live in fixed-size chunks of EVENTS_PER_CHUNK Event structs; a chunk is
 *    never moved or freed before trace_free, so `const Event *` from trace_get stays
 *    valid while the trace grows (only the small array of chunk pointers is realloc'd);
 *  - everything an event points to (strings, arrays, copies of keys) lives in a
 *    chained list of data blocks (a bump arena) that is likewise never moved;
 *  - keys and type names are interned: one arena copy per distinct string.
 * trace_clear rewinds both (count = 0, blocks emptied, intern table emptied) and
 * keeps the memory for reuse.
 *
 * JSON output rules (the single formatter, write_event):
 *  - {"seq":N,"type":"T"} then the fields in order, no spaces, one '\n' at the end;
 *  - ints with %ld; floats with %.9g, always holding '.' or 'e' ("1.0", "1e+20");
 *    the decimal separator is forced to '.' whatever the C locale says;
 *  - -inf is null (read back as -inf inside number arrays). +inf and NaN are programmer
 *    errors in values the core emits; they are written as null too (and so read back as
 *    -inf), which keeps the output valid JSON. A *scalar* float field that is not finite
 *    is written as null and cannot be read back (null is accepted only inside arrays);
 *    emitters keep scalar floats finite;
 *  - strings: '"' and '\\' escaped, bytes below 0x20 as \u00XX (lowercase hex), valid
 *    UTF-8 passed through byte for byte; a byte that does not start a valid UTF-8
 *    sequence is replaced by U+FFFD, so the output is always valid UTF-8 JSON.
 *
 * The reader is a hand-written scanner for exactly this subset of JSON (flat object;
 * numbers, strings, arrays of numbers/null or of strings). It works on one line at a
 * time in a growable buffer (at most LINE_MAX_BYTES), decodes strings in place (an
 * unescaped string is never longer than its escaped form), validates array syntax in
 * a first pass and converts in a second, then appends the event through the same deep
 * copy as trace_append. Every read is bounded by the line length; nothing is recursive.
 */
#include "attnstep/events.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ========================================================================== */
/* building events                                                            */
/* ========================================================================== */

void event_begin(Event *ev, const char *type) {
    assert(ev && type);
    ev->type = type;
    ev->seq = 0;
    ev->nfields = 0;
}

/* The next free field of ev, keyed `key`. Asserts (programmer errors): room left, a
 * key, not "seq"/"type" (those are the record's own keys), no duplicate key. */
static EventField *add_field(Event *ev, const char *key, FieldKind kind) {
    assert(ev && key);
    assert(ev->nfields >= 0 && ev->nfields < EVENT_MAX_FIELDS && "too many fields in one event");
    assert(strcmp(key, "seq") != 0 && strcmp(key, "type") != 0 && "seq and type are reserved keys");
#ifndef NDEBUG
    for (int i = 0; i < ev->nfields; i++) assert(strcmp(ev->fields[i].key, key) != 0 && "duplicate key in event");
#endif
    EventField *f = &ev->fields[ev->nfields++];
    f->key = key;
    f->kind = kind;
    f->n = 0;
    return f;
}

void event_int(Event *ev, const char *key, long value) {
    add_field(ev, key, FIELD_INT)->v.i = value;
}

void event_float(Event *ev, const char *key, double value) {
    add_field(ev, key, FIELD_FLOAT)->v.f = value;
}

void event_str(Event *ev, const char *key, const char *value) {
    assert(value);
    add_field(ev, key, FIELD_STR)->v.s = value;
}

void event_ints(Event *ev, const char *key, const int *values, int n) {
    assert(n >= 0 && (values || n == 0));
    EventField *f = add_field(ev, key, FIELD_INTS);
    f->n = n;
    f->v.ints = values;
}

void event_floats(Event *ev, const char *key, const float *values, int n) {
    assert(n >= 0 && (values || n == 0));
    EventField *f = add_field(ev, key, FIELD_FLOATS);
    f->n = n;
    f->v.floats = values;
}

void event_strs(Event *ev, const char *key, const char *const *values, int n) {
    assert(n >= 0 && (values || n == 0));
    EventField *f = add_field(ev, key, FIELD_STRS);
    f->n = n;
    f->v.strs = values;
}

/* ========================================================================== */
/* reading events                                                             */
/* ========================================================================== */

/* Returned for a present but empty array, so callers can tell "empty" (non-NULL,
 * n = 0) from "absent" (NULL, n = 0). Never dereferenced by a correct caller. */
static const float empty_floats[1];
static const int empty_ints[1];
static const char *const empty_strs[1];

static int is_array_kind(FieldKind k) {
    return k == FIELD_INTS || k == FIELD_FLOATS || k == FIELD_STRS;
}

const EventField *event_get(const Event *ev, const char *key) {
    assert(ev && key);
    for (int i = 0; i < ev->nfields; i++)
        if (strcmp(ev->fields[i].key, key) == 0) return &ev->fields[i];
    return NULL;
}

long event_get_int(const Event *ev, const char *key, long fallback) {
    const EventField *f = event_get(ev, key);
    return f && f->kind == FIELD_INT ? f->v.i : fallback;
}

/* An int field is widened to double (a hand-written "1" for a float-valued key). */
double event_get_float(const Event *ev, const char *key, double fallback) {
    const EventField *f = event_get(ev, key);
    if (!f) return fallback;
    if (f->kind == FIELD_FLOAT) return f->v.f;
    if (f->kind == FIELD_INT) return (double)f->v.i;
    return fallback;
}

const char *event_get_str(const Event *ev, const char *key) {
    const EventField *f = event_get(ev, key);
    return f && f->kind == FIELD_STR ? f->v.s : NULL;
}

/* For all three array accessors: an array field of *any* array kind with n = 0 gives a
 * non-NULL empty array and *n = 0, because "[]" read back from JSON has no kind. */
const float *event_get_floats(const Event *ev, const char *key, int *n) {
    const EventField *f = event_get(ev, key);
    int dummy;
    if (!n) n = &dummy;
    *n = 0;
    if (!f || !is_array_kind(f->kind)) return NULL;
    if (f->n == 0) return empty_floats;
    if (f->kind != FIELD_FLOATS) return NULL;
    *n = f->n;
    return f->v.floats;
}

const int *event_get_ints(const Event *ev, const char *key, int *n) {
    const EventField *f = event_get(ev, key);
    int dummy;
    if (!n) n = &dummy;
    *n = 0;
    if (!f || !is_array_kind(f->kind)) return NULL;
    if (f->n == 0) return empty_ints;
    if (f->kind != FIELD_INTS) return NULL;
    *n = f->n;
    return f->v.ints;
}

const char *const *event_get_strs(const Event *ev, const char *key, int *n) {
    const EventField *f = event_get(ev, key);
    int dummy;
    if (!n) n = &dummy;
    *n = 0;
    if (!f || !is_array_kind(f->kind)) return NULL;
    if (f->n == 0) return empty_strs;
    if (f->kind != FIELD_STRS) return NULL;
    *n = f->n;
    return f->v.strs;
}

/* ========================================================================== */
/* sinks                                                                      */
/* ========================================================================== */

int event_emit(const EventSink *sink, Event *ev) {
    assert(ev);
    if (!sink || !sink->emit) return 0;
    return sink->emit(sink->ctx, ev);
}

/* ========================================================================== */
/* the trace recorder                                                         */
/* ========================================================================== */

#define EVENTS_PER_CHUNK 256
#define BLOCK_BYTES ((size_t)64 * 1024)

typedef struct Block {
    struct Block *next;
    size_t cap, used;
    max_align_t data[]; /* cap bytes */
} Block;

struct Trace {
    Event **chunks;     /* chunks[k] holds events k*EVENTS_PER_CHUNK ...; never moved */
    long nchunks, chunks_cap;
    long count;
    Block *head, *cur;  /* data arena: blocks before cur are full (or skipped) */
    const char **intern; /* open-addressing set of arena copies of keys and types */
    size_t intern_cap, intern_count;
    Status status;      /* why the sink last refused an event (see trace_sink) */
};

Trace *trace_new(void) {
    Trace *t = calloc(1, sizeof *t);
    return t;
}

void trace_free(Trace *t) {
    if (!t) return;
    for (long k = 0; k < t->nchunks; k++) free(t->chunks[k]);
    free(t->chunks);
    for (Block *b = t->head; b;) {
        Block *next = b->next;
        free(b);
        b = next;
    }
    free(t->intern);
    free(t);
}

void trace_clear(Trace *t) {
    assert(t);
    t->count = 0;
    for (Block *b = t->head; b; b = b->next) b->used = 0;
    t->cur = t->head;
    if (t->intern) memset(t->intern, 0, t->intern_cap * sizeof *t->intern);
    t->intern_count = 0;
    t->status.message[0] = '\0';
}

long trace_count(const Trace *t) {
    assert(t);
    return t->count;
}

const Event *trace_get(const Trace *t, long index) {
    assert(t && index >= 0 && index < t->count);
    return &t->chunks[index / EVENTS_PER_CHUNK][index % EVENTS_PER_CHUNK];
}

/* size bytes aligned to align (a power of two) in the data arena; NULL on out of memory. */
static void *arena_alloc(Trace *t, size_t size, size_t align) {
    if (size > SIZE_MAX / 2) return NULL;
    Block *b = t->cur;
    for (;;) {
        if (b) {
            size_t off = (b->used + align - 1) & ~(align - 1);
            if (off <= b->cap && size <= b->cap - off) {
                b->used = off + size;
                t->cur = b;
                return (char *)b->data + off;
            }
            if (b->next) { /* a block kept by trace_clear */
                b = b->next;
                continue;
            }
        }
        size_t cap = size + align > BLOCK_BYTES ? size + align : BLOCK_BYTES;
        Block *nb = malloc(sizeof(Block) + cap);
        if (!nb) return NULL;
        nb->next = NULL;
        nb->cap = cap;
        nb->used = 0;
        if (b) b->next = nb;
        else t->head = nb;
        b = nb;
    }
}

static char *arena_strdup(Trace *t, const char *s) {
    size_t len = strlen(s);
    char *p = arena_alloc(t, len + 1, 1);
    if (p) memcpy(p, s, len + 1);
    return p;
}

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The interned arena copy of s; NULL on out of memory. */
static const char *intern(Trace *t, const char *s) {
    if (t->intern_count + 1 > t->intern_cap / 2) {
        size_t cap = t->intern_cap ? t->intern_cap * 2 : 64;
        const char **slots = calloc(cap, sizeof *slots);
        if (!slots) return NULL;
        for (size_t i = 0; i < t->intern_cap; i++) {
            const char *o = t->intern[i];
            if (!o) continue;
            size_t j = (size_t)hash_str(o) & (cap - 1);
            while (slots[j]) j = (j + 1) & (cap - 1);
            slots[j] = o;
        }
        free(t->intern);
        t->intern = slots;
        t->intern_cap = cap;
    }
    size_t j = (size_t)hash_str(s) & (t->intern_cap - 1);
    while (t->intern[j]) {
        if (strcmp(t->intern[j], s) == 0) return t->intern[j];
        j = (j + 1) & (t->intern_cap - 1);
    }
    char *copy = arena_strdup(t, s);
    if (!copy) return NULL;
    t->intern[j] = copy;
    t->intern_count++;
    return copy;
}

/* The slot for event number t->count (not yet counted); NULL on out of memory. */
static Event *next_slot(Trace *t) {
    long k = t->count / EVENTS_PER_CHUNK;
    if (k >= t->nchunks) {
        if (t->nchunks == t->chunks_cap) {
            long cap = t->chunks_cap ? t->chunks_cap * 2 : 16;
            Event **c = realloc(t->chunks, (size_t)cap * sizeof *c);
            if (!c) return NULL;
            t->chunks = c;
            t->chunks_cap = cap;
        }
        Event *chunk = malloc(sizeof(Event) * EVENTS_PER_CHUNK);
        if (!chunk) return NULL;
        t->chunks[t->nchunks++] = chunk;
    }
    return &t->chunks[k][t->count % EVENTS_PER_CHUNK];
}

/* Deep-copies ev into t with the given seq. On failure the event is not counted (the
 * arena bytes it used are reclaimed by the next trace_clear). */
static int append_with_seq(Trace *t, const Event *ev, long seq, Status *st) {
    assert(t && ev && ev->type);
    assert(ev->nfields >= 0 && ev->nfields <= EVENT_MAX_FIELDS);
    Event *dst = next_slot(t);
    if (!dst) goto oom;
    dst->seq = seq;
    dst->nfields = 0;
    dst->type = intern(t, ev->type);
    if (!dst->type) goto oom;
    for (int i = 0; i < ev->nfields; i++) {
        const EventField *f = &ev->fields[i];
        EventField *g = &dst->fields[i];
        assert(f->key);
        g->key = intern(t, f->key);
        if (!g->key) goto oom;
        g->kind = f->kind;
        g->n = 0;
        switch (f->kind) {
        case FIELD_INT: g->v.i = f->v.i; break;
        case FIELD_FLOAT: g->v.f = f->v.f; break;
        case FIELD_STR:
            assert(f->v.s);
            if (!(g->v.s = arena_strdup(t, f->v.s))) goto oom;
            break;
        case FIELD_INTS:
        case FIELD_FLOATS:
        case FIELD_STRS: {
            assert(f->n >= 0);
            g->n = f->n;
            if (f->n == 0) {
                g->v.ints = NULL;
                break;
            }
            if (f->kind == FIELD_INTS) {
                int *p = arena_alloc(t, sizeof(int) * (size_t)f->n, _Alignof(int));
                if (!p) goto oom;
                memcpy(p, f->v.ints, sizeof(int) * (size_t)f->n);
                g->v.ints = p;
            } else if (f->kind == FIELD_FLOATS) {
                float *p = arena_alloc(t, sizeof(float) * (size_t)f->n, _Alignof(float));
                if (!p) goto oom;
                memcpy(p, f->v.floats, sizeof(float) * (size_t)f->n);
                g->v.floats = p;
            } else {
                const char **p = arena_alloc(t, sizeof(char *) * (size_t)f->n, _Alignof(const char *));
                if (!p) goto oom;
                for (int j = 0; j < f->n; j++) {
                    assert(f->v.strs[j]);
                    if (!(p[j] = arena_strdup(t, f->v.strs[j]))) goto oom;
                }
                g->v.strs = p;
            }
            break;
        }
        default: assert(!"unknown field kind"); break;
        }
    }
    dst->nfields = ev->nfields;
    t->count++;
    return 0;
oom:
    return status_fail(st, "out of memory while recording event %ld (type \"%s\")", t->count, ev->type);
}

int trace_append(Trace *t, const Event *ev, Status *st) {
    assert(t);
    return append_with_seq(t, ev, t->count, st);
}

static int trace_emit(void *ctx, const Event *ev) {
    Trace *t = ctx;
    return trace_append(t, ev, &t->status);
}

/* The reason for a refused event is kept in the trace (events.h has no accessor yet). */
EventSink trace_sink(Trace *t) {
    assert(t);
    EventSink s = {trace_emit, t};
    return s;
}

/* ========================================================================== */
/* JSON writer                                                                */
/* ========================================================================== */

typedef struct Writer {
    FILE *out;
    int err;
} Writer;

static void w_bytes(Writer *w, const char *s, size_t n) {
    if (!w->err && n && fwrite(s, 1, n, w->out) != n) w->err = 1;
}

static void w_str(Writer *w, const char *s) {
    w_bytes(w, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (at most `avail` bytes, s[0] >= 0x80),
 * or 0 when it is not valid (overlong, surrogate, above U+10FFFF, truncated). */
static size_t utf8_seq_len(const unsigned char *s, size_t avail) {
    unsigned c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;      /* no overlongs */
        else if (c == 0xED) hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        else if (c == 0xF4) hi = 0x8F; /* <= U+10FFFF */
    } else
        return 0;
    if (avail < len) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return len;
}

static void w_json_string(Writer *w, const char *str) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str), i = 0, run = 0; /* s[run..i) is pending verbatim output */
    w_bytes(w, "\"", 1);
    while (i < n) {
        unsigned c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t len = utf8_seq_len(s + i, n - i);
            if (len) {
                i += len;
                continue;
            }
        }
        w_bytes(w, (const char *)s + run, i - run);
        if (c == '"') w_bytes(w, "\\\"", 2);
        else if (c == '\\') w_bytes(w, "\\\\", 2);
        else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            w_bytes(w, esc, 6);
        } else
            w_bytes(w, "\xEF\xBF\xBD", 3); /* invalid UTF-8 byte -> U+FFFD */
        run = ++i;
    }
    w_bytes(w, (const char *)s + run, i - run);
    w_bytes(w, "\"", 1);
}

/* x as JSON into buf (at least 48 bytes): null when not finite, else %.9g with the
 * decimal separator forced to '.' and ".0" appended when there is neither '.' nor 'e'. */
static size_t format_float(char *buf, size_t size, double x) {
    if (!isfinite(x)) {
        memcpy(buf, "null", 5);
        return 4;
    }
    char raw[48];
    int len = snprintf(raw, sizeof raw, "%.9g", x);
    assert(len > 0 && (size_t)len < sizeof raw);
    size_t o = 0;
    int has_point = 0;
    for (int i = 0; i < len && o + 3 < size; i++) {
        char c = raw[i];
        if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e') {
            buf[o++] = c;
        } else if (!has_point) { /* the locale's decimal separator, maybe multi-byte */
            buf[o++] = '.';
            has_point = 1;
        }
        /* further bytes of a multi-byte separator are dropped */
    }
    if (!has_point && !memchr(buf, 'e', o)) {
        buf[o++] = '.';
        buf[o++] = '0';
    }
    buf[o] = '\0';
    return o;
}

static void w_float(Writer *w, double x) {
    char buf[48];
    size_t len = format_float(buf, sizeof buf, x);
    w_bytes(w, buf, len);
}

static void w_long(Writer *w, long x) {
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%ld", x);
    w_bytes(w, buf, (size_t)len);
}

static void write_event(Writer *w, const Event *ev) {
    assert(ev && ev->type);
    w_str(w, "{\"seq\":");
    w_long(w, ev->seq);
    w_str(w, ",\"type\":");
    w_json_string(w, ev->type);
    for (int i = 0; i < ev->nfields; i++) {
        const EventField *f = &ev->fields[i];
        assert(f->key);
        w_bytes(w, ",", 1);
        w_json_string(w, f->key);
        w_bytes(w, ":", 1);
        switch (f->kind) {
        case FIELD_INT: w_long(w, f->v.i); break;
        case FIELD_FLOAT: w_float(w, f->v.f); break;
        case FIELD_STR: assert(f->v.s); w_json_string(w, f->v.s); break;
        case FIELD_INTS:
        case FIELD_FLOATS:
        case FIELD_STRS:
            assert(f->n >= 0 && (f->n == 0 || f->v.ints));
            w_bytes(w, "[", 1);
            for (int j = 0; j < f->n; j++) {
                if (j) w_bytes(w, ",", 1);
                if (f->kind == FIELD_INTS) w_long(w, f->v.ints[j]);
                else if (f->kind == FIELD_FLOATS) w_float(w, f->v.floats[j]);
                else {
                    assert(f->v.strs[j]);
                    w_json_string(w, f->v.strs[j]);
                }
            }
            w_bytes(w, "]", 1);
            break;
        default: assert(!"unknown field kind"); break;
        }
    }
    w_str(w, "}\n");
}

int event_write_json(FILE *out, const Event *ev, Status *st) {
    assert(out && ev);
    Writer w = {out, 0};
    write_event(&w, ev);
    if (w.err) return status_fail(st, "could not write event %ld: %s", ev->seq, strerror(errno));
    return 0;
}

int trace_write_jsonl(const Trace *t, FILE *out, Status *st) {
    assert(t && out);
    Writer w = {out, 0};
    for (long i = 0; i < t->count && !w.err; i++) write_event(&w, trace_get(t, i));
    if (w.err) return status_fail(st, "could not write the trace: %s", strerror(errno));
    return 0;
}

/* ========================================================================== */
/* JSONL reader                                                               */
/* ========================================================================== */

#define LINE_MAX_BYTES ((size_t)64 * 1024 * 1024) /* a longer line is refused */
#define READ_BLOCK ((size_t)64 * 1024)

/* Growable byte buffer. */
typedef struct Buf {
    char *p;
    size_t len, cap;
} Buf;

/* Makes room for `extra` more bytes (plus a NUL). 0, or -1 on out of memory. */
static int buf_reserve(Buf *b, size_t extra) {
    if (extra > SIZE_MAX / 4 - b->len) return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

typedef struct Reader {
    FILE *in;
    char *block;       /* READ_BLOCK bytes read ahead */
    size_t bpos, blen;
    int eof;
    Buf line;          /* the current line, NUL-terminated (may also hold NULs) */
    long lineno;
    Buf scratch;       /* arrays of the current line (offsets, see Pending) */
    Buf num;           /* one number's text, for strtod */
    char sep[8];       /* the C library's current decimal separator */
    size_t seplen;
    Status *st;
} Reader;

/* Reads the next line (without '\n') into r->line. 1 = a line, 0 = end of input,
 * -1 = error (st set). */
static int next_line(Reader *r) {
    r->line.len = 0;
    int got = 0;
    for (;;) {
        if (r->bpos == r->blen) {
            if (r->eof) break;
            r->blen = fread(r->block, 1, READ_BLOCK, r->in);
            r->bpos = 0;
            if (r->blen == 0) {
                if (ferror(r->in))
                    return status_fail(r->st, "line %ld: read error: %s", r->lineno + 1, strerror(errno));
                r->eof = 1;
                break;
            }
        }
        got = 1;
        const char *start = r->block + r->bpos;
        const char *nl = memchr(start, '\n', r->blen - r->bpos);
        size_t take = nl ? (size_t)(nl - start) : r->blen - r->bpos;
        if (take > LINE_MAX_BYTES - r->line.len)
            return status_fail(r->st, "line %ld: longer than %zu MiB", r->lineno + 1, LINE_MAX_BYTES >> 20);
        if (buf_reserve(&r->line, take) != 0)
            return status_fail(r->st, "line %ld: out of memory", r->lineno + 1);
        memcpy(r->line.p + r->line.len, start, take);
        r->line.len += take;
        r->bpos += take + (nl ? 1 : 0);
        if (nl) break;
    }
    if (!got) return 0;
    r->lineno++;
    if (buf_reserve(&r->line, 0) != 0) return status_fail(r->st, "line %ld: out of memory", r->lineno);
    r->line.p[r->line.len] = '\0';
    return 1;
}

/* One field of the line being parsed; arrays are offsets into r->scratch until the
 * whole line is parsed (the scratch buffer may move while it grows). */
typedef struct Pending {
    const char *key;
    FieldKind kind;
    int n;
    long i;
    double f;
    const char *s;
    size_t off;
} Pending;

typedef struct Parser {
    Reader *r;
    char *s;     /* the line (mutable: strings are unescaped in place) */
    size_t n, i; /* length, cursor */
} Parser;

static int perr(Parser *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* "line N: <msg> (column C)" with C the 1-based byte column of the cursor. */
static int perr(Parser *p, const char *fmt, ...) {
    char msg[STATUS_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return status_fail(p->r->st, "line %ld: %s (column %zu)", p->r->lineno, msg, p->i + 1);
}

static void skip_ws(Parser *p) {
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\r')) p->i++;
}

/* A printable description of the byte under the cursor, for messages. */
static const char *describe(Parser *p, char *buf, size_t size) {
    if (p->i >= p->n) return "end of line";
    unsigned char c = (unsigned char)p->s[p->i];
    if (c > 0x20 && c < 0x7f) snprintf(buf, size, "'%c'", c);
    else snprintf(buf, size, "byte 0x%02x", c);
    return buf;
}

static int hex4(const char *s, unsigned *out) {
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = s[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The string whose opening quote is under the cursor. With decode, its unescaped
 * UTF-8 is written in place from the opening quote's next byte and NUL-terminated, and
 * *out points at it; without, it is only validated. The cursor ends after the closing
 * quote. Rejects: unterminated, raw control bytes, bad escapes, lone surrogates,
 * \u0000 (C strings cannot hold it), invalid UTF-8. */
static int parse_string(Parser *p, int decode, char **out) {
    assert(p->s[p->i] == '"');
    size_t start = ++p->i, o = start;
    for (;;) {
        if (p->i >= p->n) {
            p->i = start - 1;
            return perr(p, "unterminated string");
        }
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == '"') break;
        if (c < 0x20) return perr(p, "control character (byte 0x%02x) in a string must be escaped", c);
        if (c >= 0x80) {
            size_t len = utf8_seq_len((const unsigned char *)p->s + p->i, p->n - p->i);
            if (!len) return perr(p, "invalid UTF-8 in a string");
            if (decode) memmove(p->s + o, p->s + p->i, len);
            o += len;
            p->i += len;
            continue;
        }
        if (c != '\\') {
            if (decode) p->s[o] = (char)c;
            o++;
            p->i++;
            continue;
        }
        /* an escape */
        if (p->i + 1 >= p->n) {
            p->i = start - 1;
            return perr(p, "unterminated string");
        }
        char e = p->s[p->i + 1], ch = 0;
        switch (e) {
        case '"': ch = '"'; break;
        case '\\': ch = '\\'; break;
        case '/': ch = '/'; break;
        case 'b': ch = '\b'; break;
        case 'f': ch = '\f'; break;
        case 'n': ch = '\n'; break;
        case 'r': ch = '\r'; break;
        case 't': ch = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (p->n - p->i < 6 || hex4(p->s + p->i + 2, &cp) != 0)
                return perr(p, "bad \\u escape in a string (four hex digits expected)");
            size_t used = 6;
            if (cp >= 0xDC00 && cp <= 0xDFFF) return perr(p, "unpaired surrogate \\u%04x in a string", cp);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (p->n - p->i < 12 || p->s[p->i + 6] != '\\' || p->s[p->i + 7] != 'u' ||
                    hex4(p->s + p->i + 8, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
                    return perr(p, "unpaired surrogate \\u%04x in a string", cp);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                used = 12;
            }
            if (cp == 0) return perr(p, "\\u0000 is not allowed in a string");
            char tmp[4];
            size_t len = put_utf8(tmp, cp); /* len <= used: decoding never grows */
            if (decode) memcpy(p->s + o, tmp, len);
            o += len;
            p->i += used;
            continue;
        }
        default: {
            char d[24];
            p->i++;
            return perr(p, "bad escape '\\' followed by %s in a string", describe(p, d, sizeof d));
        }
        }
        if (decode) p->s[o] = ch;
        o++;
        p->i += 2;
    }
    if (decode) {
        p->s[o] = '\0'; /* o <= index of the closing quote */
        *out = p->s + start;
    }
    p->i++;
    return 0;
}

/* Validates the JSON number under the cursor (-?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?) and
 * moves past it; *is_float when it has a fraction or an exponent. */
static int scan_number(Parser *p, int *is_float) {
    size_t i = p->i;
    const char *s = p->s;
    *is_float = 0;
    if (i < p->n && s[i] == '-') i++;
    if (i >= p->n || s[i] < '0' || s[i] > '9') {
        p->i = i;
        return perr(p, "bad number: digit expected");
    }
    if (s[i] == '0') i++;
    else
        while (i < p->n && s[i] >= '0' && s[i] <= '9') i++;
    if (i < p->n && s[i] == '.') {
        *is_float = 1;
        i++;
        if (i >= p->n || s[i] < '0' || s[i] > '9') {
            p->i = i;
            return perr(p, "bad number: digit expected after '.'");
        }
        while (i < p->n && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < p->n && (s[i] == 'e' || s[i] == 'E')) {
        *is_float = 1;
        i++;
        if (i < p->n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= p->n || s[i] < '0' || s[i] > '9') {
            p->i = i;
            return perr(p, "bad number: digit expected in the exponent");
        }
        while (i < p->n && s[i] >= '0' && s[i] <= '9') i++;
    }
    p->i = i;
    return 0;
}

/* The number text s[from..to) NUL-terminated in r->num, with '.' replaced by the C
 * library's decimal separator (strtod follows the locale); NULL on out of memory. */
static const char *number_text(Parser *p, size_t from, size_t to) {
    Reader *r = p->r;
    r->num.len = 0;
    if (buf_reserve(&r->num, (to - from) + sizeof r->sep) != 0) return NULL;
    for (size_t k = from; k < to; k++) {
        if (p->s[k] == '.') {
            memcpy(r->num.p + r->num.len, r->sep, r->seplen);
            r->num.len += r->seplen;
        } else
            r->num.p[r->num.len++] = p->s[k];
    }
    r->num.p[r->num.len] = '\0';
    return r->num.p;
}

/* Converts the already validated number s[from..to). kind: FIELD_INT (long),
 * FIELD_INTS (int), FIELD_FLOAT (double) or FIELD_FLOATS (float). */
static int convert_number(Parser *p, size_t from, size_t to, FieldKind kind, void *out) {
    const char *text = number_text(p, from, to);
    size_t save = p->i;
    p->i = from;
    if (!text) return perr(p, "out of memory");
    char *end;
    errno = 0;
    if (kind == FIELD_INT || kind == FIELD_INTS) {
        long v = strtol(text, &end, 10);
        if (*end) return perr(p, "bad number");
        if (errno == ERANGE || (kind == FIELD_INTS && (v < INT_MIN || v > INT_MAX)))
            return perr(p, "integer out of range");
        if (kind == FIELD_INT) *(long *)out = v;
        else *(int *)out = (int)v;
    } else if (kind == FIELD_FLOAT) {
        double v = strtod(text, &end);
        if (*end) return perr(p, "bad number");
        if (isinf(v)) return perr(p, "number out of range");
        *(double *)out = v;
    } else {
        float v = strtof(text, &end);
        if (*end) return perr(p, "bad number");
        if (isinf(v)) return perr(p, "number out of range for a float");
        *(float *)out = v;
    }
    p->i = save;
    return 0;
}

/* The literal word under the cursor is `word`? */
static int at_word(Parser *p, const char *word) {
    size_t len = strlen(word);
    return p->n - p->i >= len && memcmp(p->s + p->i, word, len) == 0;
}

/* Message for a value that is none of the accepted kinds (cursor at it). */
static int bad_value(Parser *p, int in_array) {
    char d[24];
    if (p->i >= p->n) return perr(p, "value expected");
    char c = p->s[p->i];
    if (c == '{') return perr(p, "nested objects are not supported");
    if (c == '[') return perr(p, in_array ? "nested arrays are not supported" : "value expected");
    if (at_word(p, "true") || at_word(p, "false")) return perr(p, "true/false are not supported (use 0/1)");
    if (at_word(p, "null")) return perr(p, "null is only allowed inside an array of numbers");
    return perr(p, "value expected, found %s", describe(p, d, sizeof d));
}

/* Reserves n elements of size sz in the scratch buffer (aligned for it); the offset. */
static int scratch_alloc(Parser *p, size_t n, size_t sz, size_t *off) {
    Buf *b = &p->r->scratch;
    size_t start = (b->len + 7) & ~(size_t)7;
    if (n > (SIZE_MAX / 4) / sz || buf_reserve(b, (start - b->len) + n * sz) != 0) return perr(p, "out of memory");
    b->len = start + n * sz;
    *off = start;
    return 0;
}

/* The array whose '[' is under the cursor: pass 1 validates and counts, pass 2
 * converts into scratch. */
static int parse_array(Parser *p, Pending *f) {
    size_t open = p->i;
    long count = 0;
    int strings = 0, numbers = 0, floats = 0;
    p->i++;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == ']') {
        p->i++;
        f->kind = FIELD_FLOATS; /* "[]": no kind to read; accessors treat all alike */
        f->n = 0;
        return 0;
    }
    for (;;) { /* pass 1 */
        skip_ws(p);
        char c = p->i < p->n ? p->s[p->i] : 0;
        if (c == '"') {
            if (numbers) return perr(p, "array mixes strings and numbers");
            strings = 1;
            if (parse_string(p, 0, NULL) != 0) return -1;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            if (strings) return perr(p, "array mixes strings and numbers");
            numbers = 1;
            int is_float;
            if (scan_number(p, &is_float) != 0) return -1;
            floats |= is_float;
        } else if (at_word(p, "null")) {
            if (strings) return perr(p, "null is only allowed inside an array of numbers");
            numbers = floats = 1;
            p->i += 4;
        } else
            return bad_value(p, 1);
        count++;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == ']') break;
        char d[24];
        return perr(p, "',' or ']' expected in an array, found %s", describe(p, d, sizeof d));
    }
    size_t close = p->i;
    if (count > INT_MAX) return perr(p, "array too long");
    f->n = (int)count;
    f->kind = strings ? FIELD_STRS : floats ? FIELD_FLOATS : FIELD_INTS;
    size_t sz = strings ? sizeof(char *) : f->kind == FIELD_FLOATS ? sizeof(float) : sizeof(int);
    if (scratch_alloc(p, (size_t)count, sz, &f->off) != 0) return -1;
    p->i = open + 1;
    for (long k = 0; k < count; k++) { /* pass 2: syntax known to be good */
        skip_ws(p);
        char *elem = p->r->scratch.p + f->off + (size_t)k * sz;
        if (strings) {
            char *s;
            if (parse_string(p, 1, &s) != 0) return -1;
            memcpy(elem, &s, sizeof s);
        } else if (p->s[p->i] == 'n') {
            float v = -INFINITY;
            memcpy(elem, &v, sizeof v);
            p->i += 4;
        } else {
            size_t from = p->i;
            int is_float;
            if (scan_number(p, &is_float) != 0) return -1;
            if (f->kind == FIELD_FLOATS) {
                float v;
                if (convert_number(p, from, p->i, FIELD_FLOATS, &v) != 0) return -1;
                memcpy(elem, &v, sizeof v);
            } else {
                int v;
                if (convert_number(p, from, p->i, FIELD_INTS, &v) != 0) return -1;
                memcpy(elem, &v, sizeof v);
            }
        }
        skip_ws(p);
        p->i++; /* ',' (or the final ']') */
    }
    assert(p->i == close + 1);
    (void)close;
    return 0;
}

/* Parses one non-blank line into an event and appends it to t. */
static int parse_line(Reader *r, Trace *t) {
    Parser P = {r, r->line.p, r->line.len, 0}, *p = &P;
    Pending fields[EVENT_MAX_FIELDS];
    int nfields = 0, have_seq = 0;
    long seq = 0;
    const char *type = NULL;
    char d[24];
    r->scratch.len = 0;

    skip_ws(p);
    if (p->i >= p->n || p->s[p->i] != '{') return perr(p, "a JSON object expected, found %s", describe(p, d, sizeof d));
    p->i++;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == '}') p->i++;
    else
        for (;;) {
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != '"') return perr(p, "a key (string) expected, found %s", describe(p, d, sizeof d));
            size_t key_at = p->i;
            char *key;
            if (parse_string(p, 1, &key) != 0) return -1;
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != ':')
                return perr(p, "':' expected after key \"%.64s\", found %s", key, describe(p, d, sizeof d));
            p->i++;
            skip_ws(p);
            size_t value_at = p->i;
            char c = p->i < p->n ? p->s[p->i] : 0;
            int is_seq = strcmp(key, "seq") == 0, is_type = strcmp(key, "type") == 0;
            int dup = (is_seq && have_seq) || (is_type && type);
            for (int k = 0; k < nfields && !dup; k++) dup = strcmp(fields[k].key, key) == 0;
            if (dup) {
                p->i = key_at;
                return perr(p, "duplicate key \"%.64s\"", key);
            }
            if (is_seq) {
                int is_float;
                if (c != '-' && (c < '0' || c > '9')) return perr(p, "\"seq\" must be an integer");
                if (scan_number(p, &is_float) != 0) return -1;
                if (is_float) {
                    p->i = value_at;
                    return perr(p, "\"seq\" must be an integer");
                }
                if (convert_number(p, value_at, p->i, FIELD_INT, &seq) != 0) return -1;
                if (seq < 0) {
                    p->i = value_at;
                    return perr(p, "\"seq\" must not be negative");
                }
                have_seq = 1;
            } else if (is_type) {
                char *s;
                if (c != '"') return perr(p, "\"type\" must be a string");
                if (parse_string(p, 1, &s) != 0) return -1;
                if (!*s) {
                    p->i = value_at;
                    return perr(p, "\"type\" must not be empty");
                }
                type = s;
            } else {
                if (nfields == EVENT_MAX_FIELDS) {
                    p->i = key_at;
                    return perr(p, "more than %d fields in one event", EVENT_MAX_FIELDS);
                }
                Pending *f = &fields[nfields];
                memset(f, 0, sizeof *f);
                f->key = key;
                if (c == '"') {
                    char *s;
                    if (parse_string(p, 1, &s) != 0) return -1;
                    f->kind = FIELD_STR;
                    f->s = s;
                } else if (c == '-' || (c >= '0' && c <= '9')) {
                    int is_float;
                    if (scan_number(p, &is_float) != 0) return -1;
                    f->kind = is_float ? FIELD_FLOAT : FIELD_INT;
                    if (convert_number(p, value_at, p->i, f->kind, is_float ? (void *)&f->f : (void *)&f->i) != 0)
                        return -1;
                } else if (c == '[') {
                    if (parse_array(p, f) != 0) return -1;
                } else
                    return bad_value(p, 0);
                nfields++;
            }
            skip_ws(p);
            if (p->i < p->n && p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->i < p->n && p->s[p->i] == '}') {
                p->i++;
                break;
            }
            return perr(p, "',' or '}' expected, found %s", describe(p, d, sizeof d));
        }
    skip_ws(p);
    if (p->i < p->n) return perr(p, "unexpected %s after the object", describe(p, d, sizeof d));
    p->i = 0;
    if (!have_seq) return perr(p, "missing \"seq\"");
    if (!type) return perr(p, "missing \"type\"");

    Event ev;
    ev.type = type;
    ev.seq = seq;
    ev.nfields = nfields;
    for (int k = 0; k < nfields; k++) {
        const Pending *f = &fields[k];
        EventField *g = &ev.fields[k];
        g->key = f->key;
        g->kind = f->kind;
        g->n = f->n;
        switch (f->kind) {
        case FIELD_INT: g->v.i = f->i; break;
        case FIELD_FLOAT: g->v.f = f->f; break;
        case FIELD_STR: g->v.s = f->s; break;
        case FIELD_INTS: g->v.ints = f->n ? (const int *)(void *)(r->scratch.p + f->off) : NULL; break;
        case FIELD_FLOATS: g->v.floats = f->n ? (const float *)(void *)(r->scratch.p + f->off) : NULL; break;
        case FIELD_STRS: g->v.strs = f->n ? (const char *const *)(void *)(r->scratch.p + f->off) : NULL; break;
        }
    }
    if (append_with_seq(t, &ev, seq, r->st) != 0) return status_prefix(r->st, "line %ld", r->lineno);
    return 0;
}

static int is_blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
    return 1;
}

int trace_read_jsonl(Trace *t, FILE *in, Status *st) {
    assert(t && in);
    Reader r;
    memset(&r, 0, sizeof r);
    r.in = in;
    r.st = st;
    /* The decimal separator strtod expects in the current C locale. */
    char probe[16];
    snprintf(probe, sizeof probe, "%.1f", 1.5);
    const char *sep = probe + 1, *sep_end = strchr(sep, '5');
    r.seplen = sep_end && sep_end > sep && (size_t)(sep_end - sep) < sizeof r.sep ? (size_t)(sep_end - sep) : 1;
    memcpy(r.sep, sep_end && sep_end > sep ? sep : ".", r.seplen);

    int rc = 0;
    r.block = malloc(READ_BLOCK);
    if (!r.block) rc = status_fail(st, "line 1: out of memory");
    while (rc == 0) {
        int got = next_line(&r);
        if (got < 0) rc = -1;
        if (got <= 0) break;
        char *s = r.line.p;
        size_t n = r.line.len;
        if (r.lineno == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) { /* a UTF-8 BOM */
            memmove(s, s + 3, n - 2);
            r.line.len = n -= 3;
        }
        if (is_blank(s, n)) continue;
        rc = parse_line(&r, t);
    }
    free(r.block);
    free(r.line.p);
    free(r.scratch.p);
    free(r.num.p);
    return rc;
}
