/* events.h — the event stream: the contract between the core and the GUI (DESIGN §3).
 *
 * What it is: an Event is a type name plus a small list of named fields (ints,
 * floats, strings and arrays of them). The core builds an Event on the stack
 * with *borrowed* pointers into its scratch buffers and hands it to an
 * EventSink; a sink that keeps events (the TraceRecorder) copies every value,
 * so a recorded event is self-contained and stays valid after the core moves on.
 * What it is not: it computes nothing and never draws.
 *
 * JSONL: one object per line, keys in field order after "seq" and "type":
 *   {"seq":12,"type":"attn","step":0,"beam":0,"scorer":"additive","energies":[0.5,null],...}
 * Events are flat: values are numbers, strings, or arrays of one of those.
 * Floats are written with 9 significant digits (float32 round-trips exactly) and
 * always carry a '.' or an exponent ("1.0", "2.5e-07") so a reader tells them from
 * ints by their text; -inf (outside a local-attention window) is written as null
 * and read back as -inf. Same events ⇒ byte-identical JSONL.
 *
 *   Trace *t = trace_new();
 *   EventSink sink = trace_sink(t);
 *   ... core calls emit(&sink, &ev) ...
 *   trace_write_jsonl(t, stdout, &st);
 *   trace_free(t);
 */
#ifndef ATTNSTEP_EVENTS_H
#define ATTNSTEP_EVENTS_H

#include <stdio.h>
#include "status.h"

typedef enum FieldKind {
    FIELD_INT,     /* i */
    FIELD_FLOAT,   /* f (a double in memory, written as a float32-exact %.9g) */
    FIELD_STR,     /* s: UTF-8, JSON-escaped on output */
    FIELD_INTS,    /* ints[n] */
    FIELD_FLOATS,  /* floats[n]; -INFINITY allowed (null in JSON) */
    FIELD_STRS,    /* strs[n] */
} FieldKind;

typedef struct EventField {
    const char *key; /* static string literal (or arena copy in a recorded event) */
    FieldKind kind;
    int n;           /* element count for array kinds; 0 for scalars */
    union {
        long i;
        double f;
        const char *s;
        const int *ints;
        const float *floats;
        const char *const *strs;
    } v;
} EventField;

#define EVENT_MAX_FIELDS 24

typedef struct Event {
    const char *type;  /* "run", "embed", "enc_step", "dec_step", "attn", "context", "output",
                          "beam_expand", "beam_select", "beam_finish", "run_end", "tfm_attn", "tfm_block" */
    long seq;          /* assigned by the recorder; the core leaves it 0 */
    int nfields;
    EventField fields[EVENT_MAX_FIELDS];
} Event;

/* ---- building events (core side; all pointers are borrowed until emit returns) ---- */
void event_begin(Event *ev, const char *type);
void event_int(Event *ev, const char *key, long value);
void event_float(Event *ev, const char *key, double value);
void event_str(Event *ev, const char *key, const char *value);
void event_ints(Event *ev, const char *key, const int *values, int n);
void event_floats(Event *ev, const char *key, const float *values, int n);
void event_strs(Event *ev, const char *key, const char *const *values, int n);

/* ---- reading events (GUI / tests side) ---- */
/* The field named key, or NULL. */
const EventField *event_get(const Event *ev, const char *key);
/* Scalar int of key, or fallback when absent or not an int. */
long event_get_int(const Event *ev, const char *key, long fallback);
double event_get_float(const Event *ev, const char *key, double fallback);
const char *event_get_str(const Event *ev, const char *key); /* NULL when absent */
/* Float array of key and its length in *n, or NULL (and *n = 0). */
const float *event_get_floats(const Event *ev, const char *key, int *n);
const int *event_get_ints(const Event *ev, const char *key, int *n);
const char *const *event_get_strs(const Event *ev, const char *key, int *n);

/* ---- sinks ---- */
typedef struct EventSink {
    /* Called once per event; must copy whatever it keeps. Returns 0, or -1 to
     * abort the run (e.g. out of memory), with the reason in the sink's own state. */
    int (*emit)(void *ctx, const Event *ev);
    void *ctx;
} EventSink;

/* Sends ev to sink; a NULL sink (or NULL emit) accepts everything and keeps nothing. */
int event_emit(const EventSink *sink, Event *ev);

/* ---- the trace recorder: an append-only arena of self-contained events ---- */
typedef struct Trace Trace;

Trace *trace_new(void);          /* NULL on out of memory */
void trace_free(Trace *t);       /* NULL is a no-op */
void trace_clear(Trace *t);      /* forget all events, keep the memory */
EventSink trace_sink(Trace *t);  /* a sink that appends copies to t, numbering seq from 0 */
long trace_count(const Trace *t);
const Event *trace_get(const Trace *t, long index); /* 0 <= index < count; valid until clear/free */
/* Appends a copy of ev (its seq is replaced by the running index). -1 with st on out of memory. */
int trace_append(Trace *t, const Event *ev, Status *st);

/* Writes one event as one JSON line (with '\n') — the single formatter every writer uses. */
int event_write_json(FILE *out, const Event *ev, Status *st);
/* Writes every event as JSONL. -1 with st on a write error. */
int trace_write_jsonl(const Trace *t, FILE *out, Status *st);
/* Reads JSONL produced by trace_write_jsonl (or by hand) and appends its events to t.
 * Every line must be a flat JSON object with "seq" and a string "type". A number
 * written with '.' or an exponent is a float, otherwise an int; an array holding any
 * float (or null) is FIELD_FLOATS, an array of ints FIELD_INTS, an empty array
 * FIELD_FLOATS with n = 0 (the accessors return n = 0 for either). Hostile input is
 * expected: -1 with "line N: ..." in st on the first problem, t keeps the events
 * of the lines before it. Blank lines are skipped. */
int trace_read_jsonl(Trace *t, FILE *in, Status *st);

#endif
