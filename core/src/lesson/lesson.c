/* lesson.c — the lesson parser (see lesson.h): md4c walks the Markdown; this file turns
 * its callbacks into slides, directives and rich narration, recording every problem with
 * its line number. The only file of attnstep that includes md4c. */
#include "attnstep/lesson.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <md4c.h>

#include "attnstep/decode.h"

/* ------------------------------------------------------------------------ */
/* problems                                                                  */
/* ------------------------------------------------------------------------ */

void lesson_problem(Lesson *l, int line, int warning, const char *fmt, ...) {
    if (warning) l->n_warnings++;
    else l->n_errors++;
    if (l->n_problems >= LESSON_PROBLEMS_MAX) return;
    if (l->n_problems == l->cap_problems) {
        int cap = l->cap_problems ? l->cap_problems * 2 : 16;
        LessonProblem *p = realloc(l->problems, (size_t)cap * sizeof *p);
        if (!p) return; /* counted above; the message is lost, never the count */
        l->problems = p;
        l->cap_problems = cap;
    }
    LessonProblem *p = &l->problems[l->n_problems++];
    p->line = line;
    p->warning = warning;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->message, sizeof p->message, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------------ */
/* names                                                                     */
/* ------------------------------------------------------------------------ */

static const char *VIEW_NAMES[LESSON_VIEW_COUNT] = {"cell", "unrolled", "seq2seq", "attention", "heatmap", "beam", "compare", "transformer", "training"};
#define VIEW_HELP "none, cell, unrolled, seq2seq, attention, heatmap, beam, compare, transformer, training"

int lesson_view_parse(const char *s) {
    if (!strcmp(s, "none")) return LESSON_VIEW_NONE;
    if (s[0] >= '1' && s[0] < '1' + LESSON_VIEW_COUNT && !s[1]) return s[0] - '1';
    for (int i = 0; i < LESSON_VIEW_COUNT; i++)
        if (!strcmp(s, VIEW_NAMES[i])) return i;
    return -2;
}

const char *lesson_view_name(LessonView v) {
    if (v >= 0 && v < LESSON_VIEW_COUNT) return VIEW_NAMES[v];
    return "none";
}

/* The live-training names: the GUI's (app/gui/live_train.c TASK_NAMES, ARCH_NAMES and
 * live_config_default's snapshot_every), index for index; test_lesson_slides checks it. */
static const char *const TRAIN_TASKS[LESSON_TRAIN_TASKS] = {"reverse", "dates", "translate"};
static const int TRAIN_SNAP_EVERY[LESSON_TRAIN_TASKS] = {10, 50, 100};
static const char *const TRAIN_ARCHS[LESSON_TRAIN_ARCHS] = {"bi-additive", "additive", "dot", "general", "scaled_dot", "none"};
#define TASK_HELP "reverse, dates, translate"
#define ARCH_HELP "bi-additive, additive, dot, general, scaled_dot, none"

const char *lesson_train_task_name(int t) { return t >= 0 && t < LESSON_TRAIN_TASKS ? TRAIN_TASKS[t] : "?"; }
const char *lesson_train_arch_name(int a) { return a >= 0 && a < LESSON_TRAIN_ARCHS ? TRAIN_ARCHS[a] : "?"; }
int lesson_train_snapshot_every(int t) { return t >= 0 && t < LESSON_TRAIN_TASKS ? TRAIN_SNAP_EVERY[t] : 1; }

int lesson_train_task_parse(const char *s) {
    for (int i = 0; i < LESSON_TRAIN_TASKS; i++)
        if (!strcmp(s, TRAIN_TASKS[i])) return i;
    return -1;
}

int lesson_train_arch_parse(const char *s) {
    for (int i = 0; i < LESSON_TRAIN_ARCHS; i++)
        if (!strcmp(s, TRAIN_ARCHS[i])) return i;
    if (!strcmp(s, "scaled-dot")) return 4; /* directive keys turn '_' into '-': accept both */
    return -1;
}

static const struct { const char *name; LessonPhase phase; } PHASES[] = {
    {"energies", LESSON_PHASE_ENERGIES}, {"energy", LESSON_PHASE_ENERGIES},
    {"attention", LESSON_PHASE_WEIGHTS}, {"weights", LESSON_PHASE_WEIGHTS}, {"softmax", LESSON_PHASE_WEIGHTS},
    {"context", LESSON_PHASE_CONTEXT}, {"decoder", LESSON_PHASE_DECODER}, {"rnn", LESSON_PHASE_DECODER},
    {"output", LESSON_PHASE_OUTPUT}, {"distribution", LESSON_PHASE_OUTPUT},
    {"candidates", LESSON_PHASE_CANDIDATES}, {"expand", LESSON_PHASE_CANDIDATES},
    {"chosen", LESSON_PHASE_CHOSEN}, {"token", LESSON_PHASE_CHOSEN}, {"selection", LESSON_PHASE_CHOSEN},
    {"done", LESSON_PHASE_DONE},
};

static const char *phase_name(LessonPhase p) {
    switch (p) {
    case LESSON_PHASE_ENERGIES: return "energies";
    case LESSON_PHASE_WEIGHTS: return "weights";
    case LESSON_PHASE_CONTEXT: return "context";
    case LESSON_PHASE_DECODER: return "decoder";
    case LESSON_PHASE_OUTPUT: return "output";
    case LESSON_PHASE_CANDIDATES: return "candidates";
    case LESSON_PHASE_CHOSEN: return "chosen";
    default: return "";
    }
}

/* Splits s (lower-cased copy) into at most max words. */
static int split_words(const char *s, char *buf, size_t n, char **words, int max) {
    size_t len = 0;
    for (; *s && len + 1 < n; s++) buf[len++] = (char)tolower((unsigned char)*s);
    buf[len] = 0;
    int k = 0;
    char *p = buf;
    while (*p) {
        while (*p == ' ' || *p == '\t') *p++ = 0;
        if (!*p) break;
        if (k == max) return max + 1;
        words[k++] = p;
        while (*p && *p != ' ' && *p != '\t') p++;
    }
    return k;
}

/* A positive decimal integer up to 1e6, or -1. */
static int parse_count(const char *s) {
    if (!*s) return -1;
    long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        v = v * 10 + (*s - '0');
        if (v > 1000000) return -1;
    }
    return (int)v;
}

#define POS_HELP "start, encoder step N, encoder done, step N [energies|weights|context|decoder|output|chosen], beam step N [candidates], end"

static int pos_parse(const char *s, LessonPos *pos, Status *st);

int lesson_pos_parse(const char *s, LessonPos *out, Status *st) {
    LessonPos p;
    if (pos_parse(s, &p, st)) return -1;
    *out = p; /* *out is untouched on failure */
    return 0;
}

static int pos_parse(const char *s, LessonPos *pos, Status *st) {
    char buf[256], *w[6];
    int k = split_words(s, buf, sizeof buf, w, 5);
    memset(pos, 0, sizeof *pos);
    if (k == 1 && !strcmp(w[0], "start")) { pos->kind = LESSON_POS_START; return 0; }
    if (k == 1 && !strcmp(w[0], "end")) { pos->kind = LESSON_POS_END; return 0; }
    if (k >= 2 && !strcmp(w[0], "encoder")) {
        if (k == 2 && !strcmp(w[1], "done")) { pos->kind = LESSON_POS_ENC_DONE; return 0; }
        if (k == 3 && !strcmp(w[1], "step")) {
            int n = parse_count(w[2]);
            if (n < 1) return status_fail(st, "position \"%.100s\": the encoder step must be a number from 1", s);
            pos->kind = LESSON_POS_ENC_STEP;
            pos->n = n;
            return 0;
        }
    }
    int i = 0;
    if (k >= 1 && !strcmp(w[0], "beam")) { pos->beam = 1; i = 1; }
    if (k - i >= 2 && k - i <= 3 && !strcmp(w[i], "step")) {
        int n = parse_count(w[i + 1]);
        if (n < 1) return status_fail(st, "position \"%.100s\": the decoder step must be a number from 1", s);
        pos->kind = LESSON_POS_STEP;
        pos->n = n;
        pos->phase = LESSON_PHASE_DONE;
        if (k - i == 3) {
            size_t j = 0;
            for (; j < sizeof PHASES / sizeof PHASES[0]; j++)
                if (!strcmp(w[i + 2], PHASES[j].name)) break;
            if (j == sizeof PHASES / sizeof PHASES[0])
                return status_fail(st, "position \"%.100s\": unknown sub-step \"%.40s\" (energies, weights, context, decoder, output, chosen, candidates)",
                                   s, w[i + 2]);
            pos->phase = PHASES[j].phase;
        }
        if (pos->beam && pos->phase != LESSON_PHASE_DONE && pos->phase != LESSON_PHASE_CANDIDATES && pos->phase != LESSON_PHASE_CHOSEN)
            return status_fail(st, "position \"%.100s\": a beam step has the sub-steps candidates and selection only", s);
        return 0;
    }
    return status_fail(st, "unknown position \"%.100s\" (%s)", s, POS_HELP);
}

const char *lesson_pos_format(const LessonPos *p, char *buf, size_t n) {
    switch (p->kind) {
    case LESSON_POS_START: snprintf(buf, n, "start"); break;
    case LESSON_POS_END: snprintf(buf, n, "end"); break;
    case LESSON_POS_ENC_DONE: snprintf(buf, n, "encoder done"); break;
    case LESSON_POS_ENC_STEP: snprintf(buf, n, "encoder step %d", p->n); break;
    case LESSON_POS_STEP:
        snprintf(buf, n, "%sstep %d%s%s", p->beam ? "beam " : "", p->n, p->phase == LESSON_PHASE_DONE ? "" : " ",
                 phase_name(p->phase));
        break;
    }
    return buf;
}

/* ------------------------------------------------------------------------ */
/* rich text                                                                 */
/* ------------------------------------------------------------------------ */

static void rich_free(LessonRich *r) {
    free(r->blocks);
    free(r->spans);
    free(r->text);
    memset(r, 0, sizeof *r);
}

static int grow(void **p, int *cap, int need, size_t elem) {
    if (need <= *cap) return 0;
    int c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* the md4c walk                                                             */
/* ------------------------------------------------------------------------ */

#define MAX_DEPTH 32

typedef struct Parse {
    Lesson *l;
    const char *doc;
    size_t len;
    int *line_start;            /* offsets of line starts */
    int n_lines;
    int last_line;
    int oom;
    /* where text goes */
    LessonRich *rich;           /* current slide's body or notes; NULL before the first slide */
    int cur_block;              /* index into rich->blocks, -1 none */
    int style;                  /* active span styles */
    int style_depth[5];         /* nesting count per style bit */
    int pending_break;
    int list_depth, quote_depth;
    int ol_next[MAX_DEPTH];     /* next number per list level (0: bullet) */
    int in_heading;             /* level of the heading being read, 0 none */
    char heading[256];
    int heading_len, heading_line;
    int heading_block;          /* level 3+: its block index in rich */
    int in_code;                /* 1 ordinary code block, 2 attnstep directives, 3 ignored (html) */
    char *code;                 /* directive text */
    int code_len, code_cap;
    int *code_lines;            /* source line of each directive line */
    int n_code_lines, cap_code_lines;
    int code_line;              /* line of the code block's first text */
    int in_slide_text_warned;
    LessonSettings front;       /* the lesson-level defaults (before the first slide) */
    int rich_overflow_warned;
    int pending_soft;           /* a soft line break waits for the next text */
    int snap_kind, snap_val;    /* the block's snapshot directive: 0 none, 1 index, 2 step N, 3 last */
} Parse;

static int line_of(Parse *p, const char *ptr) {
    if (ptr < p->doc || ptr > p->doc + p->len) return p->last_line;
    int off = (int)(ptr - p->doc), lo = 0, hi = p->n_lines - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (p->line_start[mid] <= off) lo = mid;
        else hi = mid - 1;
    }
    p->last_line = lo + 1;
    return lo + 1;
}

static LessonSlide *cur_slide(Parse *p) { return p->l->n_slides ? &p->l->slides[p->l->n_slides - 1] : NULL; }

static LessonBlock *new_block(Parse *p, LessonBlockKind kind, int level, int line) {
    LessonRich *r = p->rich;
    if (!r) return NULL;
    if (grow((void **)&r->blocks, &r->cap_blocks, r->n_blocks + 1, sizeof *r->blocks)) { p->oom = 1; return NULL; }
    LessonBlock *b = &r->blocks[r->n_blocks];
    memset(b, 0, sizeof *b);
    b->kind = kind;
    b->level = level;
    b->span0 = r->n_spans;
    b->line = line;
    p->cur_block = r->n_blocks++;
    p->pending_break = 0;
    p->pending_soft = 0;
    return b;
}

/* Appends text to the current block as a span with the active style. */
static void add_text(Parse *p, const char *s, int n, int extra_style) {
    LessonRich *r = p->rich;
    if (!r || n <= 0) return;
    if (r->text_len + n > LESSON_RICH_MAX) {
        if (!p->rich_overflow_warned)
            lesson_problem(p->l, p->last_line, 0, "slide text longer than %d bytes: the rest is cut", LESSON_RICH_MAX);
        p->rich_overflow_warned = 1;
        return;
    }
    if (p->cur_block < 0) new_block(p, LESSON_BLOCK_PARA, p->list_depth + p->quote_depth, p->last_line);
    if (p->cur_block < 0) return;
    LessonBlock *b = &r->blocks[p->cur_block];
    if (b->nspans == 0) b->line = p->last_line; /* the block starts where its text does */
    int style = p->style | extra_style;
    if (grow((void **)&r->text, &r->cap_text, r->text_len + n + 1, 1)) { p->oom = 1; return; }
    /* merge with the previous span when the style is the same and no break lies between */
    LessonSpan *last = b->nspans ? &r->spans[b->span0 + b->nspans - 1] : NULL;
    if (last && last->style == style && !p->pending_break && last->off + last->len == r->text_len) {
        memcpy(r->text + r->text_len, s, (size_t)n);
        r->text_len += n;
        last->len += n;
        r->text[r->text_len] = 0;
        return;
    }
    if (grow((void **)&r->spans, &r->cap_spans, r->n_spans + 1, sizeof *r->spans)) { p->oom = 1; return; }
    LessonSpan *sp = &r->spans[r->n_spans++];
    sp->style = style;
    sp->off = r->text_len;
    sp->len = n;
    sp->hard_break = p->pending_break;
    p->pending_break = 0;
    memcpy(r->text + r->text_len, s, (size_t)n);
    r->text_len += n;
    r->text[r->text_len] = 0;
    b->nspans++;
}

/* Decodes an HTML entity into UTF-8 (the few a lesson uses, and numeric ones). */
static int entity_utf8(const char *s, int n, char out[8]) {
    static const struct { const char *name; const char *utf8; } E[] = {
        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&nbsp;", "\xc2\xa0"},
        {"&middot;", "\xc2\xb7"}, {"&times;", "\xc3\x97"}, {"&rarr;", "\xe2\x86\x92"}, {"&hellip;", "\xe2\x80\xa6"},
    };
    for (size_t i = 0; i < sizeof E / sizeof E[0]; i++)
        if ((int)strlen(E[i].name) == n && !memcmp(s, E[i].name, (size_t)n)) { snprintf(out, 8, "%s", E[i].utf8); return (int)strlen(out); }
    unsigned long cp = 0;
    if (n >= 4 && s[1] == '#') {
        char tmp[16];
        if (n - 3 >= (int)sizeof tmp) return 0;
        memcpy(tmp, s + 2, (size_t)(n - 3));
        tmp[n - 3] = 0;
        char *e;
        cp = (tmp[0] == 'x' || tmp[0] == 'X') ? strtoul(tmp + 1, &e, 16) : strtoul(tmp, &e, 10);
        if (*e || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    } else return 0;
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 63)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 63)); out[2] = (char)(0x80 | (cp & 63));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 63));
    out[2] = (char)(0x80 | ((cp >> 6) & 63)); out[3] = (char)(0x80 | (cp & 63));
    return 4;
}

static void code_append(Parse *p, const char *s, int n) {
    if (p->code_len + n + 1 > LESSON_RICH_MAX) return;
    if (grow((void **)&p->code, &p->code_cap, p->code_len + n + 1, 1)) { p->oom = 1; return; }
    for (int i = 0; i < n; i++) {
        if (p->code_len == 0 || p->code[p->code_len - 1] == '\n') {
            if (grow((void **)&p->code_lines, &p->cap_code_lines, p->n_code_lines + 1, sizeof(int))) { p->oom = 1; return; }
            int ln = line_of(p, s + i);
            p->code_lines[p->n_code_lines++] = ln;
        }
        p->code[p->code_len++] = s[i];
    }
    p->code[p->code_len] = 0;
}

/* ---- directives ---- */

static void trim(char *s) {
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = 0;
    size_t i = 0;
    while (s[i] == ' ' || s[i] == '\t') i++;
    if (i) memmove(s, s + i, n - i + 1);
}

static const char *DIRECTIVES = "model, input, strategy, beam, max-length, view, position, highlight, zoom, lang, task, arch, train-steps, snapshot";
enum { K_MODEL, K_INPUT, K_STRATEGY, K_BEAM, K_VIEW, K_POSITION, K_HIGHLIGHT, K_ZOOM, K_LANG, K_TASK, K_ARCH, K_TRAIN_STEPS, K_SNAPSHOT,
       K_MAX_LENGTH, K_COUNT };

const char *lesson_vector_name(LessonVector v) {
    switch (v) {
    case LESSON_VEC_ENC: return "enc";
    case LESSON_VEC_DEC: return "dec";
    case LESSON_VEC_CONTEXT: return "context";
    }
    return "?";
}

const char *lesson_highlight_format(const LessonHighlight *h, char *buf, size_t n) {
    switch (h->kind) {
    case LESSON_HL_SOURCE: snprintf(buf, n, "source %d", h->n); break;
    case LESSON_HL_TARGET: snprintf(buf, n, "target %d", h->n); break;
    case LESSON_HL_VECTOR: snprintf(buf, n, "vector %s %d", lesson_vector_name(h->vec), h->n); break;
    case LESSON_HL_CELL: snprintf(buf, n, "cell %d %d", h->n, h->m); break;
    default: snprintf(buf, n, "\"%.100s\"", h->text); break;
    }
    return buf;
}

/* "cell I J" (also "cell target I source J", in either order) and "vector KIND N": 0 with h
 * filled, or -1 with a message in st. w[0] is "cell" or "vector"; k words. */
static int parse_structured_highlight(char **w, int k, const char *val, LessonHighlight *h, Status *st) {
    if (!strcmp(w[0], "cell")) {
        int t = -1, s = -1;
        if (k == 3) { t = parse_count(w[1]); s = parse_count(w[2]); }
        else if (k == 5) {
            for (int i = 1; i < 5; i += 2) {
                if (!strcmp(w[i], "target") || !strcmp(w[i], "row")) t = parse_count(w[i + 1]);
                else if (!strcmp(w[i], "source") || !strcmp(w[i], "column")) s = parse_count(w[i + 1]);
                else return status_fail(st, "highlight \"%.60s\": write cell I J or cell target I source J (I: the output word, J: the source word)", val);
            }
        } else return status_fail(st, "highlight \"%.60s\": write cell I J or cell target I source J (I: the output word, J: the source word)", val);
        if (t < 1 || s < 1) return status_fail(st, "highlight \"%.60s\": a cell's target and source word numbers must be 1 or more", val);
        h->kind = LESSON_HL_CELL;
        h->n = t;
        h->m = s;
        return 0;
    }
    /* vector */
    static const struct { const char *name; LessonVector v; } V[] = {
        {"enc", LESSON_VEC_ENC}, {"encoder", LESSON_VEC_ENC}, {"h", LESSON_VEC_ENC},
        {"dec", LESSON_VEC_DEC}, {"decoder", LESSON_VEC_DEC}, {"s", LESSON_VEC_DEC},
        {"context", LESSON_VEC_CONTEXT}, {"c", LESSON_VEC_CONTEXT},
    };
    if (k != 3) return status_fail(st, "highlight \"%.60s\": write vector enc N, vector dec N or vector context N", val);
    size_t i = 0;
    for (; i < sizeof V / sizeof V[0]; i++)
        if (!strcmp(w[1], V[i].name)) break;
    if (i == sizeof V / sizeof V[0])
        return status_fail(st, "highlight \"%.60s\": unknown vector \"%.20s\" (enc N: encoder state h_N, dec N: decoder state s_N, context N: context vector c_N)", val, w[1]);
    int n = parse_count(w[2]);
    if (n < (V[i].v == LESSON_VEC_DEC ? 0 : 1))
        return status_fail(st, "highlight \"%.60s\": the %s number must be %s", val, V[i].v == LESSON_VEC_DEC ? "decoder step" : "position",
                           V[i].v == LESSON_VEC_DEC ? "0 (the initial state) or more" : "1 or more");
    h->kind = LESSON_HL_VECTOR;
    h->vec = V[i].v;
    h->n = n;
    return 0;
}

/* Applies one "key: value" to set (slide or front); front-only keys when front. */
static void directive(Parse *p, LessonSettings *set, int front, int line, char *key, char *val, int *seen) {
    Lesson *l = p->l;
    for (char *c = key; *c; c++) *c = *c == '_' ? '-' : (char)tolower((unsigned char)*c);
    static const char *keys[K_COUNT] = {"model", "input", "strategy", "beam", "view", "position", "highlight", "zoom", "lang",
                                        "task", "arch", "train-steps", "snapshot", "max-length"};
    int k = 0;
    for (; k < (int)(sizeof keys / sizeof keys[0]); k++)
        if (!strcmp(key, keys[k])) break;
    if (k == (int)(sizeof keys / sizeof keys[0])) {
        lesson_problem(l, line, 0, "unknown directive \"%.60s\" (known: %s)", key, DIRECTIVES);
        return;
    }
    if (k != K_HIGHLIGHT && seen[k]) { lesson_problem(l, line, 0, "directive \"%s\" given twice in one block (line %d)", key, seen[k]); return; }
    seen[k] = line;
    if (!*val && k != 1) { lesson_problem(l, line, 0, "directive \"%s\" needs a value", key); return; }
    Status st = {{0}};
    switch (k) {
    case 0:
        if (strlen(val) >= sizeof set->model) { lesson_problem(l, line, 0, "model name too long"); return; }
        snprintf(set->model, sizeof set->model, "%s", val);
        set->line_model = line;
        break;
    case 1:
        if (strlen(val) >= sizeof set->input) { lesson_problem(l, line, 0, "input longer than %d bytes", (int)sizeof set->input - 1); return; }
        snprintf(set->input, sizeof set->input, "%s", val);
        set->line_input = line;
        break;
    case 2: case 3: {
        char buf[128], *w[3];
        int n = split_words(val, buf, sizeof buf, w, 2);
        int beam = -1;
        if (k == 2 && n == 1 && !strcmp(w[0], "greedy")) beam = 0;
        else if (k == 2 && n == 2 && !strcmp(w[0], "beam")) beam = parse_count(w[1]);
        else if (k == 3 && n == 1) beam = parse_count(w[0]);
        else {
            lesson_problem(l, line, 0, "%s \"%.60s\": write \"strategy: greedy\" or \"strategy: beam K\"", key, val);
            return;
        }
        if (beam < 0 || beam > DECODE_MAX_BEAM || (k == 3 && beam < 1) || (n == 2 && beam < 1)) {
            lesson_problem(l, line, 0, "beam width \"%.60s\" must be 1..%d", val, DECODE_MAX_BEAM);
            return;
        }
        set->beam = beam;
        set->line_strategy = line;
        break;
    }
    case 4: {
        char buf[64];
        snprintf(buf, sizeof buf, "%.60s", val);
        for (char *c = buf; *c; c++) *c = (char)tolower((unsigned char)*c);
        int v = lesson_view_parse(buf);
        if (v == -2) { lesson_problem(l, line, 0, "unknown view \"%.60s\" (" VIEW_HELP ")", val); return; }
        set->view = (LessonView)v;
        set->line_view = line;
        break;
    }
    case 5:
        if (lesson_pos_parse(val, &set->pos, &st)) { lesson_problem(l, line, 0, "%s", st.message); return; }
        set->line_pos = line;
        break;
    case 6: {
        if (set->n_hl >= LESSON_MAX_HIGHLIGHTS) { lesson_problem(l, line, 0, "more than %d highlights on one slide", LESSON_MAX_HIGHLIGHTS); return; }
        LessonHighlight h = {0};
        h.line = line;
        char buf[160], *w[6];
        int n = split_words(val, buf, sizeof buf, w, 5);
        if (n >= 2 && n <= 5 && (!strcmp(w[0], "cell") || !strcmp(w[0], "vector"))) {
            if (parse_structured_highlight(w, n, val, &h, &st)) { lesson_problem(l, line, 0, "%s", st.message); return; }
        } else if (n == 2 && (!strcmp(w[0], "source") || !strcmp(w[0], "target"))) {
            h.n = parse_count(w[1]);
            if (h.n < 1) { lesson_problem(l, line, 0, "highlight \"%.60s\": the token number must be 1 or more", val); return; }
            h.kind = !strcmp(w[0], "source") ? LESSON_HL_SOURCE : LESSON_HL_TARGET;
        } else {
            size_t vl = strlen(val);
            if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') { val[vl - 1] = 0; val++; }
            if (!*val || strlen(val) >= sizeof h.text) { lesson_problem(l, line, 0, "highlight: give source N, target N, cell I J, vector enc|dec|context N or a token (under %d bytes)", (int)sizeof h.text); return; }
            h.kind = LESSON_HL_TOKEN;
            snprintf(h.text, sizeof h.text, "%s", val);
        }
        set->hl[set->n_hl++] = h;
        break;
    }
    case 7: {
        float z = 0, x = 0.5f, y = 0.5f;
        char tail = 0;
        int n = sscanf(val, "%f at %f , %f %c", &z, &x, &y, &tail);
        if (!(n == 3 || (n == 1 && !strchr(val, ' ')))) {
            lesson_problem(l, line, 0, "zoom \"%.60s\": write \"zoom: 2\" or \"zoom: 2 at 0.3,0.6\"", val);
            return;
        }
        if (!(z >= 1 && z <= 8) || !(x >= 0 && x <= 1) || !(y >= 0 && y <= 1)) {
            lesson_problem(l, line, 0, "zoom \"%.60s\": the factor must be 1..8 and the centre 0..1 (fractions of the view)", val);
            return;
        }
        set->zoom = z;
        set->zoom_x = x;
        set->zoom_y = y;
        set->line_zoom = line;
        break;
    }
    case 8:
        if (!front) { lesson_problem(l, line, 0, "lang belongs in the block before the first slide"); return; }
        if (strcmp(val, "en") && strcmp(val, "zh")) { lesson_problem(l, line, 0, "unknown lang \"%.20s\" (en, zh)", val); return; }
        snprintf(l->lang, sizeof l->lang, "%s", val);
        break;
    case K_TASK: case K_ARCH: {
        char buf[64];
        snprintf(buf, sizeof buf, "%.60s", val);
        for (char *c = buf; *c; c++) *c = (char)tolower((unsigned char)*c);
        int v = k == K_TASK ? lesson_train_task_parse(buf) : lesson_train_arch_parse(buf);
        if (v < 0) {
            lesson_problem(l, line, 0, "unknown %s \"%.60s\" (%s)", key, val, k == K_TASK ? TASK_HELP : ARCH_HELP);
            return;
        }
        if (k == K_TASK) { set->train_task = v; set->line_task = line; }
        else { set->train_arch = v; set->line_arch = line; }
        break;
    }
    case K_TRAIN_STEPS: {
        int n = parse_count(val);
        if (n < 0 || n > LESSON_TRAIN_MAX_STEPS) {
            lesson_problem(l, line, 0, "train-steps \"%.60s\" must be a number of batches from 0 to %d", val, LESSON_TRAIN_MAX_STEPS);
            return;
        }
        set->train_steps = n;
        set->line_train_steps = line;
        break;
    }
    case K_MAX_LENGTH: {
        char buf[64];
        snprintf(buf, sizeof buf, "%.60s", val);
        for (char *c = buf; *c; c++) *c = (char)tolower((unsigned char)*c);
        int n = !strcmp(buf, "model") || !strcmp(buf, "auto") ? 0 : parse_count(buf);
        if (n < 0 || n > LESSON_MAX_LENGTH) {
            lesson_problem(l, line, 0, "max-length \"%.60s\" must be a number of decoder steps from 1 to %d (<eos> included), or \"model\" for the model's own cap",
                           val, LESSON_MAX_LENGTH);
            return;
        }
        set->max_len = n;
        set->line_max_len = line;
        break;
    }
    case K_SNAPSHOT: {
        char buf[64], *w[3];
        int n = split_words(val, buf, sizeof buf, w, 2);
        if (n == 1 && !strcmp(w[0], "last")) { p->snap_kind = 3; p->snap_val = -1; }
        else if (n == 1 && parse_count(w[0]) >= 0) { p->snap_kind = 1; p->snap_val = parse_count(w[0]); }
        else if (n == 2 && !strcmp(w[0], "step") && parse_count(w[1]) >= 0) { p->snap_kind = 2; p->snap_val = parse_count(w[1]); }
        else {
            lesson_problem(l, line, 0, "snapshot \"%.60s\": write \"snapshot: K\" (0 is step 0), \"snapshot: step N\" or \"snapshot: last\"", val);
            return;
        }
        set->line_snapshot = line;
        break;
    }
    }
}

/* After a slide's block: training directives against the slide's view, the snapshot
 * against the run it names. seen[k]: line of directive k in this block (0 none). */
static void check_training(Parse *p, LessonSlide *s, const int *seen) {
    Lesson *l = p->l;
    LessonSettings *set = &s->set;
    static const int train_keys[] = {K_TASK, K_ARCH, K_TRAIN_STEPS, K_SNAPSHOT};
    static const char *const train_names[] = {"task", "arch", "train-steps", "snapshot"};
    if (set->view != LESSON_VIEW_TRAINING) {
        for (int i = 0; i < 4; i++)
            if (seen[train_keys[i]])
                lesson_problem(l, seen[train_keys[i]], 0, "%s belongs on a training slide (view: training); this slide's view is %s",
                               train_names[i], lesson_view_name(set->view));
        if (p->snap_kind) { set->snapshot = -1; p->snap_kind = 0; }
        return;
    }
    static const int other_keys[] = {K_MODEL, K_INPUT, K_STRATEGY, K_BEAM, K_POSITION, K_HIGHLIGHT, K_MAX_LENGTH};
    static const char *const other_names[] = {"model", "input", "strategy", "beam", "position", "highlight", "max-length"};
    for (int i = 0; i < 7; i++)
        if (seen[other_keys[i]])
            lesson_problem(l, seen[other_keys[i]], 1, "%s has no effect on a training slide (it trains a fresh model: task, arch, train-steps)",
                           other_names[i]);
    int every = lesson_train_snapshot_every(set->train_task), last = set->train_steps / every;
    const char *task = lesson_train_task_name(set->train_task);
    if (seen[K_TRAIN_STEPS] && set->line_train_steps == seen[K_TRAIN_STEPS] && set->train_steps % every) /* accepted here */
        lesson_problem(l, seen[K_TRAIN_STEPS], 1, "train-steps %d: %s takes a snapshot every %d steps, so the last one shown is step %d",
                       set->train_steps, task, every, last * every);
    if (p->snap_kind == 1 || p->snap_kind == 2) {
        int k = p->snap_val;
        if (p->snap_kind == 2 && k % every) {
            lesson_problem(l, set->line_snapshot, 0, "snapshot \"step %d\": %s takes a snapshot every %d steps (step %d or %d)", k, task, every,
                           k / every * every, (k / every + 1) * every);
            k = -1;
        } else {
            if (p->snap_kind == 2) k /= every;
            if (k > last) {
                lesson_problem(l, set->line_snapshot, 0, "snapshot %s%d out of range: %d training steps on %s give snapshots 0..%d (steps 0..%d, every %d)",
                               p->snap_kind == 2 ? "step " : "", p->snap_val, set->train_steps, task, last, last * every, every);
                k = -1;
            }
        }
        set->snapshot = k;
    } else if (p->snap_kind == 3) set->snapshot = -1;
    p->snap_kind = 0;
}

static void parse_directives(Parse *p) {
    LessonSlide *s = cur_slide(p);
    int front = s == NULL;
    LessonSettings *set = front ? &p->front : &s->set;
    if (s) {
        if (s->has_directives) lesson_problem(p->l, p->code_line, 0, "a second attnstep block on slide \"%.80s\" (one per slide)", s->title);
        s->has_directives = 1;
    }
    int seen[K_COUNT] = {0};
    p->snap_kind = 0;
    char *text = p->code ? p->code : (char *)"";
    int li = 0;
    for (char *line = text; line && *line; li++) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        int ln = li < p->n_code_lines ? p->code_lines[li] : p->code_line + li;
        char buf[1200];
        snprintf(buf, sizeof buf, "%s", line);
        trim(buf);
        if (buf[0] && buf[0] != '#') {
            char *colon = strchr(buf, ':');
            if (!colon) lesson_problem(p->l, ln, 0, "\"%.60s\" is not a directive (write key: value)", buf);
            else {
                *colon = 0;
                char *val = colon + 1;
                trim(buf);
                trim(val);
                directive(p, set, front, ln, buf, val, seen);
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    if (s) check_training(p, s, seen);
    else if (seen[K_SNAPSHOT]) {
        lesson_problem(p->l, seen[K_SNAPSHOT], 0, "snapshot is per slide: it belongs in a training slide's block");
        p->snap_kind = 0;
    }
}

/* ---- md4c callbacks ---- */

static int enter_block(MD_BLOCKTYPE type, void *detail, void *ud) {
    Parse *p = ud;
    if (p->oom) return 1;
    switch (type) {
    case MD_BLOCK_H: {
        p->in_heading = (int)((MD_BLOCK_H_DETAIL *)detail)->level;
        p->heading_len = 0;
        p->heading[0] = 0;
        p->heading_line = 0;
        p->heading_block = -1;
        if (p->in_heading >= 3 && p->rich) {
            if (new_block(p, LESSON_BLOCK_HEADING, p->in_heading, p->last_line)) p->heading_block = p->cur_block;
        }
        break;
    }
    case MD_BLOCK_CODE: {
        MD_BLOCK_CODE_DETAIL *d = detail;
        p->code_len = 0;
        p->n_code_lines = 0;
        p->code_line = p->last_line + 1;
        if (d->lang.size == 8 && !memcmp(d->lang.text, "attnstep", 8)) p->in_code = 2;
        else {
            p->in_code = 1;
            new_block(p, LESSON_BLOCK_CODE, p->list_depth + p->quote_depth, p->last_line);
        }
        break;
    }
    case MD_BLOCK_HTML: p->in_code = 3; break;
    case MD_BLOCK_P: {
        LessonBlock *b = p->rich && p->cur_block >= 0 ? &p->rich->blocks[p->cur_block] : NULL;
        if (b && b->kind == LESSON_BLOCK_ITEM && b->nspans == 0) break; /* the item's own first paragraph */
        new_block(p, p->quote_depth ? LESSON_BLOCK_QUOTE : LESSON_BLOCK_PARA, p->list_depth + p->quote_depth, p->last_line);
        break;
    }
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
        if (p->list_depth < MAX_DEPTH - 1) p->list_depth++;
        p->ol_next[p->list_depth] = type == MD_BLOCK_OL ? (int)((MD_BLOCK_OL_DETAIL *)detail)->start : 0;
        if (type == MD_BLOCK_OL && p->ol_next[p->list_depth] < 1) p->ol_next[p->list_depth] = 1;
        if (p->ol_next[p->list_depth] > 1000000) p->ol_next[p->list_depth] = 1000000;
        p->cur_block = -1;
        break;
    case MD_BLOCK_LI: {
        LessonBlock *b = new_block(p, LESSON_BLOCK_ITEM, p->list_depth > 0 ? p->list_depth - 1 : 0, p->last_line);
        if (b && p->ol_next[p->list_depth] > 0) b->number = p->ol_next[p->list_depth]++;
        break;
    }
    case MD_BLOCK_QUOTE:
        if (p->quote_depth < MAX_DEPTH) p->quote_depth++;
        p->cur_block = -1;
        break;
    case MD_BLOCK_HR: new_block(p, LESSON_BLOCK_RULE, 0, p->last_line); p->cur_block = -1; break;
    default: break;
    }
    return p->oom;
}

static int is_notes_heading(const char *s) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.60s", s);
    trim(buf);
    for (char *c = buf; *c; c++) *c = (char)tolower((unsigned char)*c);
    size_t n = strlen(buf);
    if (n && buf[n - 1] == ':') buf[n - 1] = 0;
    return !strcmp(buf, "notes") || !strcmp(buf, "speaker notes") || !strcmp(buf, "\xe5\xa4\x87\xe6\xb3\xa8") /* 备注 */ ||
           !strcmp(buf, "\xe8\xae\xb2\xe7\xa8\xbf") /* 讲稿 */;
}

static void new_slide(Parse *p) {
    Lesson *l = p->l;
    if (l->n_slides >= LESSON_MAX_SLIDES) {
        if (l->n_slides == LESSON_MAX_SLIDES) lesson_problem(l, p->heading_line, 0, "more than %d slides: the rest is ignored", LESSON_MAX_SLIDES);
        l->n_slides++; /* counts; cur_slide() must not be used past the cap */
        return;
    }
    if (grow((void **)&l->slides, &l->cap_slides, l->n_slides + 1, sizeof *l->slides)) { p->oom = 1; return; }
    LessonSlide *s = &l->slides[l->n_slides];
    memset(s, 0, sizeof *s);
    /* settings carry over; highlights and zoom are per slide */
    s->set = l->n_slides ? l->slides[l->n_slides - 1].set : p->front;
    s->set.n_hl = 0;
    s->set.zoom = 1;
    s->set.zoom_x = s->set.zoom_y = 0.5f;
    s->set.line_zoom = 0;
    s->set.snapshot = -1;
    s->set.line_snapshot = 0;
    l->n_slides++;
    snprintf(s->title, sizeof s->title, "%s", p->heading);
    trim(s->title);
    s->line = p->heading_line ? p->heading_line : p->last_line;
    if (!s->title[0]) lesson_problem(l, s->line, 1, "slide %d has an empty title", l->n_slides);
    p->rich = &s->body;
    p->cur_block = -1;
    p->rich_overflow_warned = 0;
}

static int leave_block(MD_BLOCKTYPE type, void *detail, void *ud) {
    Parse *p = ud;
    if (p->oom) return 1;
    switch (type) {
    case MD_BLOCK_H: {
        int level = p->in_heading;
        p->in_heading = 0;
        if (level == 1) {
            if (p->l->n_slides == 0 && !p->l->title[0]) snprintf(p->l->title, sizeof p->l->title, "%s", p->heading);
            else lesson_problem(p->l, p->heading_line, 0, "a level-1 heading (#) inside the lesson: slides start with ##");
            trim(p->l->title);
        } else if (level == 2) {
            new_slide(p);
            if (p->l->n_slides > LESSON_MAX_SLIDES) p->rich = NULL;
        } else if (p->rich && is_notes_heading(p->heading)) {
            /* drop the heading block, switch to the notes */
            if (p->heading_block >= 0 && p->heading_block == p->rich->n_blocks - 1) {
                p->rich->n_spans = p->rich->blocks[p->heading_block].span0;
                p->rich->n_blocks--;
            }
            LessonSlide *s = cur_slide(p);
            if (s && p->rich == &s->body) p->rich = &s->notes;
            else lesson_problem(p->l, p->heading_line, 0, "a second Notes heading on one slide");
        }
        p->cur_block = -1;
        break;
    }
    case MD_BLOCK_CODE:
        if (p->in_code == 2) parse_directives(p);
        p->in_code = 0;
        p->cur_block = -1;
        break;
    case MD_BLOCK_HTML: p->in_code = 0; break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
        if (p->list_depth > 0) p->list_depth--;
        p->cur_block = -1;
        break;
    case MD_BLOCK_QUOTE:
        if (p->quote_depth > 0) p->quote_depth--;
        p->cur_block = -1;
        break;
    case MD_BLOCK_LI:
    case MD_BLOCK_P: p->cur_block = -1; break;
    default: break;
    }
    return p->oom;
}

static int style_bit(MD_SPANTYPE t) {
    switch (t) {
    case MD_SPAN_EM: return LESSON_EM;
    case MD_SPAN_STRONG: return LESSON_STRONG;
    case MD_SPAN_CODE: return LESSON_CODE;
    case MD_SPAN_A: return LESSON_LINK;
    case MD_SPAN_DEL: return LESSON_STRIKE;
    default: return 0;
    }
}

static int bit_index(int bit) { int i = 0; while (bit > 1) { bit >>= 1; i++; } return i; }

static int enter_span(MD_SPANTYPE type, void *detail, void *ud) {
    Parse *p = ud;
    int b = style_bit(type);
    if (b) { p->style_depth[bit_index(b)]++; p->style |= b; }
    return 0;
}

static int leave_span(MD_SPANTYPE type, void *detail, void *ud) {
    Parse *p = ud;
    int b = style_bit(type);
    if (b && --p->style_depth[bit_index(b)] <= 0) { p->style_depth[bit_index(b)] = 0; p->style &= ~b; }
    return 0;
}

/* The code point at s (n bytes available; the text is valid UTF-8). */
static unsigned cp_at(const char *s, int n) {
    const unsigned char *u = (const unsigned char *)s;
    if (n <= 0) return 0;
    if (u[0] < 0x80) return u[0];
    int l = (u[0] & 0xE0) == 0xC0 ? 2 : (u[0] & 0xF0) == 0xE0 ? 3 : 4;
    if (l > n) return 0xFFFD;
    unsigned cp = l == 2 ? (u[0] & 0x1Fu) : l == 3 ? (u[0] & 0x0Fu) : (u[0] & 0x07u);
    for (int i = 1; i < l; i++) cp = (cp << 6) | (u[i] & 0x3Fu);
    return cp;
}

static int on_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *ud) {
    Parse *p = ud;
    if (p->oom) return 1;
    int n = (int)size;
    line_of(p, text);
    if (p->in_heading) {
        /* collect the heading's text (slide titles, the Notes test); level 3+ headings
         * are also narration blocks, filled below */
        if (!p->heading_line) p->heading_line = p->last_line;
        const char *s = text;
        int m = n;
        char tmp[8];
        if (type == MD_TEXT_ENTITY) { m = entity_utf8(text, n, tmp); s = tmp; }
        else if (type == MD_TEXT_SOFTBR || type == MD_TEXT_BR) { s = " "; m = 1; }
        else if (type == MD_TEXT_NULLCHAR) { s = "\xef\xbf\xbd"; m = 3; }
        else if (type == MD_TEXT_HTML) m = 0;
        if (m > 0 && p->heading_len + m < (int)sizeof p->heading) {
            memcpy(p->heading + p->heading_len, s, (size_t)m);
            p->heading_len += m;
            p->heading[p->heading_len] = 0;
        }
        if (p->in_heading <= 2) return 0;
    }
    if (p->in_code == 2) { code_append(p, text, n); return p->oom; }
    if (p->in_code == 3) return 0;
    if (!p->rich) {
        if (!p->in_heading && !p->in_slide_text_warned && type != MD_TEXT_SOFTBR) {
            int blank = 1;
            for (int i = 0; i < n; i++)
                if (!isspace((unsigned char)text[i])) blank = 0;
            if (!blank) {
                lesson_problem(p->l, p->last_line, 1, "text before the first slide (## heading) is not shown");
                p->in_slide_text_warned = 1;
            }
        }
        return 0;
    }
    if (p->pending_soft && type != MD_TEXT_SOFTBR) {
        /* a soft break is a space, except between two CJK characters (Chinese has none) */
        p->pending_soft = 0;
        const LessonRich *r = p->rich;
        int last_cjk = 0;
        if (r->text_len > 0 && p->cur_block >= 0) {
            int o = r->text_len - 1;
            while (o > 0 && ((unsigned char)r->text[o] & 0xC0) == 0x80) o--;
            last_cjk = cp_at(r->text + o, r->text_len - o) >= 0x2E80;
        }
        if (!(last_cjk && n > 0 && cp_at(text, n) >= 0x2E80)) add_text(p, " ", 1, 0);
    }
    switch (type) {
    case MD_TEXT_NORMAL: add_text(p, text, n, 0); break;
    case MD_TEXT_CODE:
        if (p->in_code == 1) {
            /* code block lines: keep '\n' as hard breaks */
            int start = 0;
            for (int i = 0; i <= n; i++) {
                if (i == n || text[i] == '\n') {
                    if (i > start) add_text(p, text + start, i - start, LESSON_CODE);
                    if (i < n) p->pending_break = 1;
                    start = i + 1;
                }
            }
        } else add_text(p, text, n, 0);
        break;
    case MD_TEXT_SOFTBR: p->pending_soft = 1; break;
    case MD_TEXT_BR: p->pending_break = 1; break;
    case MD_TEXT_ENTITY: {
        char tmp[8];
        int m = entity_utf8(text, n, tmp);
        if (m) add_text(p, tmp, m, 0);
        else add_text(p, text, n, 0);
        break;
    }
    case MD_TEXT_NULLCHAR: add_text(p, "\xef\xbf\xbd", 3, 0); break;
    default: break; /* raw HTML: not shown */
    }
    return p->oom;
}

/* Replaces invalid UTF-8 with U+FFFD so every consumer (fonts, measuring) gets valid text.
 * Returns a new buffer (NUL-terminated) or NULL on out of memory; *bad counts repairs. */
static char *valid_utf8(const char *s, size_t n, size_t *out_n, int *bad) {
    char *o = malloc(n * 3 + 1);
    if (!o) return NULL;
    size_t j = 0;
    *bad = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        int ok = len > 0 && i + (size_t)len <= n;
        unsigned cp = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
        for (int k = 1; ok && k < len; k++) {
            if (((unsigned char)s[i + k] & 0xC0) != 0x80) ok = 0;
            else cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3F);
        }
        if (ok && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
                   (cp >= 0xD800 && cp <= 0xDFFF)))
            ok = 0;
        if (ok && c == 0) ok = 0;
        if (ok) { memcpy(o + j, s + i, (size_t)len); j += (size_t)len; i += (size_t)len; }
        else { memcpy(o + j, "\xef\xbf\xbd", 3); j += 3; i++; (*bad)++; }
    }
    o[j] = 0;
    *out_n = j;
    return o;
}

Lesson *lesson_parse(const char *text, size_t len, Status *st) {
    if (len > LESSON_MAX_BYTES) { status_fail(st, "lesson larger than %d bytes", LESSON_MAX_BYTES); return NULL; }
    Lesson *l = calloc(1, sizeof *l);
    if (!l) { status_fail(st, "out of memory"); return NULL; }
    snprintf(l->lang, sizeof l->lang, "en");
    int bad = 0;
    size_t n = 0;
    char *doc = valid_utf8(text ? text : "", text ? len : 0, &n, &bad);
    Parse p;
    memset(&p, 0, sizeof p);
    p.l = l;
    p.cur_block = -1;
    p.front.view = LESSON_VIEW_NONE;
    p.front.zoom = 1;
    p.front.zoom_x = p.front.zoom_y = 0.5f;
    p.front.train_arch = LESSON_TRAIN_DEFAULT_ARCH;
    p.front.snapshot = -1;
    p.last_line = 1;
    if (!doc) { free(l); status_fail(st, "out of memory"); return NULL; }
    p.doc = doc;
    p.len = n;
    p.line_start = malloc((n + 2) * sizeof(int));
    if (!p.line_start) { free(doc); free(l); status_fail(st, "out of memory"); return NULL; }
    p.line_start[p.n_lines++] = 0;
    for (size_t i = 0; i < n; i++)
        if (doc[i] == '\n') p.line_start[p.n_lines++] = (int)i + 1;
    if (bad) lesson_problem(l, 0, 1, "%d byte%s of invalid UTF-8 replaced by U+FFFD", bad, bad > 1 ? "s" : "");
    MD_PARSER parser = {0};
    parser.abi_version = 0;
    parser.flags = MD_FLAG_NOHTML | MD_FLAG_STRIKETHROUGH;
    parser.enter_block = enter_block;
    parser.leave_block = leave_block;
    parser.enter_span = enter_span;
    parser.leave_span = leave_span;
    parser.text = on_text;
    int rc = md_parse(doc, (MD_SIZE)n, &parser, &p);
    if (l->n_slides > LESSON_MAX_SLIDES) l->n_slides = LESSON_MAX_SLIDES;
    free(p.code);
    free(p.code_lines);
    free(p.line_start);
    free(doc);
    if (p.oom || rc < 0) {
        lesson_free(l);
        status_fail(st, "out of memory while parsing the lesson");
        return NULL;
    }
    if (l->n_slides == 0) lesson_problem(l, 0, 0, "no slides: every slide starts with a level-2 heading (## Title)");
    return l;
}

Lesson *lesson_load(const char *path, Status *st) {
    FILE *f = fopen(path, "rb");
    if (!f) { status_fail(st, "cannot open %.400s: %s", path, strerror(errno)); return NULL; }
    char *buf = malloc(LESSON_MAX_BYTES + 1);
    if (!buf) { fclose(f); status_fail(st, "out of memory"); return NULL; }
    size_t n = fread(buf, 1, LESSON_MAX_BYTES + 1, f);
    int err = ferror(f);
    fclose(f);
    if (err) { free(buf); status_fail(st, "cannot read %.400s", path); return NULL; }
    if (n > LESSON_MAX_BYTES) { free(buf); status_fail(st, "%.400s: larger than %d bytes", path, LESSON_MAX_BYTES); return NULL; }
    Lesson *l = lesson_parse(buf, n, st);
    free(buf);
    if (!l) return NULL;
    const char *slash = strrchr(path, '/');
    if (slash) snprintf(l->dir, sizeof l->dir, "%.*s", (int)(slash - path) > 1000 ? 1000 : (int)(slash - path), path);
    else snprintf(l->dir, sizeof l->dir, ".");
    return l;
}

void lesson_free(Lesson *l) {
    if (!l) return;
    for (int i = 0; i < l->n_slides; i++) {
        rich_free(&l->slides[i].body);
        rich_free(&l->slides[i].notes);
    }
    free(l->slides);
    free(l->problems);
    free(l);
}
