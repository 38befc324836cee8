/* corpus_dates.c — the `dates` task: human-written dates -> ISO YYYY-MM-DD, character
 * level, with gold character alignments (conventions in docs/corpus.md and below). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus_internal.h"

static const char *const MONTHS[12] = {"january", "february", "march",     "april",   "may",      "june",
                                       "july",    "august",   "september", "october", "november", "december"};
static const char *const MON3[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                     "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const WEEKDAYS[7] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
static const char *const WD3[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

#define YEAR_MIN 1950
#define YEAR_MAX 2049 /* two-digit years are generated only for 2000..2049 and read as 20yy */

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
static int days_in_month(int y, int m) {
    static const int D[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : D[m - 1];
}
/* 0 = monday. Days since 1970-01-01 by Hinnant's days_from_civil; that day was a thursday. */
static int weekday(int y, int m, int d) {
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long days = era * 146097 + doe - 719468;
    return (int)(((days + 3) % 7 + 7) % 7);
}

/* Appends s one character per token; returns the position of its first character. */
static int emit(CorpusBuilder *b, const char *s) {
    int start = b->src_n;
    char tok[2] = {0, 0};
    for (; *s; s++) {
        tok[0] = *s;
        cb_src(b, tok);
    }
    return start;
}

static const char *ordinal_suffix(int d) {
    if (d >= 11 && d <= 13) return "th";
    switch (d % 10) {
    case 1: return "st";
    case 2: return "nd";
    case 3: return "rd";
    default: return "th";
    }
}

typedef struct Field {
    int start, len;  /* characters of the whole field (day: digits + ordinal suffix) */
    int digits;      /* numeric fields: how many digit characters (day/month); 0 for a month name */
} Field;

enum {
    F_WD_D_MONTH_Y,      /* tuesday 24 november 2026 */
    F_DD_MM_YY,          /* 24/11/26 */
    F_MON_DTH_Y,         /* nov 24th, 2026 */
    F_Y_DOT_MM_DD,       /* 2026.11.24 */
    F_D_MON_Y,           /* 24 nov 2026 */
    F_MONTH_D_Y,         /* november 24, 2026 */
    F_SLASH_PADDED,      /* 24/11/2026, or US 11/24/2026 when the day is > 12 */
    F_WD_MONTH_D_Y,      /* tuesday, november 24, 2026 */
    F_DTH_OF_MONTH_Y,    /* 24th of november 2026 */
    F_DD_DOT_MM_Y,       /* 24.11.2026 */
    F_ISO,               /* 2026-11-24 */
    F_WD3_D_MON_Y,       /* tue 24 nov 2026 */
    F_D_MONTH_Y,         /* 24 november 2026 */
    F_THE_DTH_OF_MONTH_Y, /* the 24th of november, 2026 */
    F_MONDOT_D_Y,        /* nov. 24, 2026 */
    F_D_MON_Y_DASH,      /* 24-nov-2026 */
    F_SLASH_UNPADDED,    /* 3/7/2026, or US 11/24/2026 when the day is > 12 */
    F_COUNT
};
_Static_assert(F_COUNT == CORPUS_DATE_FORMATS, "corpus.h lists the formats");

static Field num_field(CorpusBuilder *b, int v, int pad) {
    char s[16];
    snprintf(s, sizeof s, pad ? "%02d" : "%d", v);
    Field f = {emit(b, s), (int)strlen(s), (int)strlen(s)};
    return f;
}
static Field day_ordinal(CorpusBuilder *b, int d) {
    char s[16];
    snprintf(s, sizeof s, "%d%s", d, ordinal_suffix(d));
    Field f = {emit(b, s), (int)strlen(s), d >= 10 ? 2 : 1};
    return f;
}
static Field name_field(CorpusBuilder *b, const char *s) {
    Field f = {emit(b, s), (int)strlen(s), 0};
    return f;
}
static Field year_field(CorpusBuilder *b, int y, int two) {
    char s[16];
    snprintf(s, sizeof s, two ? "%02d" : "%04d", two ? y % 100 : y);
    Field f = {emit(b, s), (int)strlen(s), (int)strlen(s)};
    return f;
}

/* Two target digits for a day or month field (value v). */
static void link_two(CorpusBuilder *b, int v, Field f) {
    char tok[2] = {0, 0};
    int t0, t1;
    tok[0] = (char)('0' + v / 10);
    t0 = cb_tgt(b, tok);
    tok[0] = (char)('0' + v % 10);
    t1 = cb_tgt(b, tok);
    if (f.digits == 2) {
        cb_sure(b, t0, f.start);
        cb_sure(b, t1, f.start + 1);
    } else { /* one digit (leading zero implied) or a month name: the first character */
        cb_sure(b, t0, f.start);
        cb_sure(b, t1, f.start);
    }
    for (int i = 0; i < f.len; i++) {
        cb_poss(b, t0, f.start + i);
        cb_poss(b, t1, f.start + i);
    }
}

static void link_dash(CorpusBuilder *b, Field next, int own_dash) {
    int t = cb_tgt(b, "-");
    cb_sure(b, t, own_dash >= 0 ? own_dash : next.start);
    for (int i = 0; i < next.len; i++) cb_poss(b, t, next.start + i);
}

static int is_slash(int fmt) { return fmt == F_SLASH_PADDED || fmt == F_SLASH_UNPADDED; }

/* Writes one date in format fmt (us: month first, only for the slash formats). */
static void render(CorpusBuilder *b, int y, int m, int d, int fmt, int us) {
    int wd = weekday(y, m, d);
    Field fy = {0, 0, 0}, fm = {0, 0, 0}, fd = {0, 0, 0};
    int dash1 = -1, dash2 = -1;
    switch (fmt) {
    case F_WD_D_MONTH_Y:
        emit(b, WEEKDAYS[wd]), emit(b, " ");
        fd = num_field(b, d, 0), emit(b, " ");
        fm = name_field(b, MONTHS[m - 1]), emit(b, " ");
        fy = year_field(b, y, 0);
        break;
    case F_DD_MM_YY:
        fd = num_field(b, d, 1), emit(b, "/");
        fm = num_field(b, m, 1), emit(b, "/");
        fy = year_field(b, y, 1);
        break;
    case F_MON_DTH_Y:
        fm = name_field(b, MON3[m - 1]), emit(b, " ");
        fd = day_ordinal(b, d), emit(b, ", ");
        fy = year_field(b, y, 0);
        break;
    case F_Y_DOT_MM_DD:
        fy = year_field(b, y, 0), emit(b, ".");
        fm = num_field(b, m, 1), emit(b, ".");
        fd = num_field(b, d, 1);
        break;
    case F_D_MON_Y:
        fd = num_field(b, d, 0), emit(b, " ");
        fm = name_field(b, MON3[m - 1]), emit(b, " ");
        fy = year_field(b, y, 0);
        break;
    case F_MONTH_D_Y:
        fm = name_field(b, MONTHS[m - 1]), emit(b, " ");
        fd = num_field(b, d, 0), emit(b, ", ");
        fy = year_field(b, y, 0);
        break;
    case F_SLASH_PADDED:
    case F_SLASH_UNPADDED: {
        int pad = fmt == F_SLASH_PADDED;
        if (us) { /* US order; unambiguous because the day is > 12 */
            fm = num_field(b, m, pad), emit(b, "/");
            fd = num_field(b, d, pad), emit(b, "/");
        } else {
            fd = num_field(b, d, pad), emit(b, "/");
            fm = num_field(b, m, pad), emit(b, "/");
        }
        fy = year_field(b, y, 0);
        break;
    }
    case F_WD_MONTH_D_Y:
        emit(b, WEEKDAYS[wd]), emit(b, ", ");
        fm = name_field(b, MONTHS[m - 1]), emit(b, " ");
        fd = num_field(b, d, 0), emit(b, ", ");
        fy = year_field(b, y, 0);
        break;
    case F_DTH_OF_MONTH_Y:
        fd = day_ordinal(b, d), emit(b, " of ");
        fm = name_field(b, MONTHS[m - 1]), emit(b, " ");
        fy = year_field(b, y, 0);
        break;
    case F_DD_DOT_MM_Y:
        fd = num_field(b, d, 1), emit(b, ".");
        fm = num_field(b, m, 1), emit(b, ".");
        fy = year_field(b, y, 0);
        break;
    case F_ISO:
        fy = year_field(b, y, 0), dash1 = emit(b, "-");
        fm = num_field(b, m, 1), dash2 = emit(b, "-");
        fd = num_field(b, d, 1);
        break;
    case F_WD3_D_MON_Y:
        emit(b, WD3[wd]), emit(b, " ");
        fd = num_field(b, d, 0), emit(b, " ");
        fm = name_field(b, MON3[m - 1]), emit(b, " ");
        fy = year_field(b, y, 0);
        break;
    case F_D_MONTH_Y:
        fd = num_field(b, d, 0), emit(b, " ");
        fm = name_field(b, MONTHS[m - 1]), emit(b, " ");
        fy = year_field(b, y, 0);
        break;
    case F_THE_DTH_OF_MONTH_Y:
        emit(b, "the ");
        fd = day_ordinal(b, d), emit(b, " of ");
        fm = name_field(b, MONTHS[m - 1]), emit(b, ", ");
        fy = year_field(b, y, 0);
        break;
    case F_MONDOT_D_Y:
        fm = name_field(b, MON3[m - 1]), emit(b, ". ");
        fd = num_field(b, d, 0), emit(b, ", ");
        fy = year_field(b, y, 0);
        break;
    case F_D_MON_Y_DASH:
    default:
        fd = num_field(b, d, 0), emit(b, "-");
        fm = name_field(b, MON3[m - 1]), emit(b, "-");
        fy = year_field(b, y, 0);
        break;
    }
    /* target: YYYY-MM-DD */
    char ys[16];
    snprintf(ys, sizeof ys, "%04d", y);
    for (int k = 0; k < 4; k++) {
        char tok[2] = {ys[k], 0};
        int t = cb_tgt(b, tok);
        if (fy.len == 4) cb_sure(b, t, fy.start + k);
        else cb_sure(b, t, k < 2 ? fy.start : fy.start + (k - 2)); /* "20" implied by the first digit */
        for (int i = 0; i < fy.len; i++) cb_poss(b, t, fy.start + i);
    }
    link_dash(b, fm, dash1);
    link_two(b, m, fm);
    link_dash(b, fd, dash2);
    link_two(b, d, fd);
}

int corpus_dates_sample(CorpusBuilder *b, const CorpusConfig *cfg, uint64_t *rng) {
    (void)cfg;
    int y = YEAR_MIN + crng_below(rng, YEAR_MAX - YEAR_MIN + 1);
    int m = 1 + crng_below(rng, 12);
    int d = 1 + crng_below(rng, days_in_month(y, m));
    int fmt = crng_below(rng, F_COUNT);
    if (fmt == F_DD_MM_YY && y < 2000) fmt = F_DD_DOT_MM_Y;
    int us = is_slash(fmt) && d > 12 && crng_pct(rng, 50);
    render(b, y, m, d, fmt, us);
    return 0;
}

int corpus_dates_render(int year, int month, int day, int format, int us_order, CorpusExample *out, Status *st) {
    memset(out, 0, sizeof *out);
    if (year < 1000 || year > 9999 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
        return status_fail(st, "dates: %04d-%02d-%02d is not a valid date (years 1000..9999)", year, month, day);
    if (format < 0 || format >= F_COUNT)
        return status_fail(st, "dates: format must be 0..%d (got %d)", F_COUNT - 1, format);
    if (format == F_DD_MM_YY && (year < 2000 || year > 2099))
        return status_fail(st, "dates: two-digit years stand for 2000..2099 (got %d)", year);
    if (us_order && !(is_slash(format) && day > 12))
        return status_fail(st, "dates: the US order is only written for slash formats with a day above 12");
    CorpusBuilder *b = malloc(sizeof *b);
    if (!b) return status_fail(st, "dates: out of memory");
    cb_reset(b);
    render(b, year, month, day, format, us_order);
    int rc = cb_finish(b, out);
    free(b);
    return rc ? status_fail(st, "dates: out of memory") : 0;
}

int corpus_dates_vocab(int side, CorpusAddFn add, void *ctx) {
    int seen[256] = {0};
    const char *extra = side == 0 ? "0123456789 /.,-stndrhofe" : "0123456789-";
    for (const char *p = extra; *p; p++) seen[(unsigned char)*p] = 1;
    if (side == 0) {
        for (int i = 0; i < 12; i++)
            for (const char *p = MONTHS[i]; *p; p++) seen[(unsigned char)*p] = 1;
        for (int i = 0; i < 7; i++)
            for (const char *p = WEEKDAYS[i]; *p; p++) seen[(unsigned char)*p] = 1;
        /* MON3 / WD3 are prefixes of the full names */
    }
    for (int c = 1; c < 256; c++) {
        if (!seen[c]) continue;
        char tok[2] = {(char)c, 0};
        if (add(ctx, tok) != 0) return -1;
    }
    return 0;
}
