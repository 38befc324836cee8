/* i18n.h — the app's own strings in the interface language: English or Chinese.
 *
 * What it is: one table of (English, Chinese) pairs for every label, caption, legend,
 * message, tooltip and control string the views and the window chrome draw. Code writes the
 * English text and passes it through TR(); in Chinese the table's translation comes back
 * (written for Chinese readers, with the shipped lessons' terms: 注意力能量, 上下文向量,
 * 波束搜索, 贪婪解码 ...), in English the text itself. A format string keeps its
 * conversions, in the same order, in both languages (test_i18n checks every pair), so
 *   snprintf(buf, n, TR("decoder step %d"), s + 1);
 * is checked by the compiler against the English format (the format_arg attribute) and is
 * safe in Chinese. draw_tooltip() translates its format itself.
 * The language is process-wide: the stepper sets it from `--lang` (default English), a
 * lesson from its `lang:` (deck_frame sets and restores it around each slide; the presenter
 * sets it once for the whole deck). TR() may be called from any thread — the live-training
 * worker formats its status messages with it — : the language is atomic, the table is built
 * once, and the miss counter is locked. Strings are
 * drawn with the CJK font when they hold Chinese (font.c picks WenQuanYi Micro Hei).
 * What it is not: no plural rules, no argument reordering, and the model's own tokens,
 * numbers and formulas are never translated. Messages of core (Status) stay English.
 * The table lives in i18n.c (UTF-8 source).
 *
 *   i18n_set(I18N_ZH);
 *   draw_text(dl, x, y, size, col, TR("query"));      // "查询"
 *   I18nLang old = i18n_set(I18N_EN);                 // returns the previous language
 */
#ifndef ATTNSTEP_GUI_I18N_H
#define ATTNSTEP_GUI_I18N_H

typedef enum I18nLang { I18N_EN, I18N_ZH } I18nLang;

/* Sets the interface language; returns the previous one. */
I18nLang i18n_set(I18nLang lang);
I18nLang i18n_get(void);
/* "en" -> I18N_EN, "zh" -> I18N_ZH; -1 otherwise. */
int i18n_parse(const char *name);

/* The text in the current language: en itself in English, its translation in Chinese (en
 * itself, counted as a miss, when the table has none). NULL stays NULL. */
const char *i18n_tr(const char *en)
#if defined(__GNUC__)
    __attribute__((format_arg(1)))
#endif
    ;
#define TR(s) i18n_tr(s)
/* Marks a literal for the table where it is stored (a static array) and translated later
 * with TR(); it expands to the literal. */
#define N_(s) s

/* ---- for tests ---- */
int i18n_count(void);                 /* pairs in the table */
const char *i18n_en(int i);           /* pair i's English (NULL out of range) */
const char *i18n_zh(int i);           /* pair i's Chinese */
const char *i18n_lookup_zh(const char *en); /* the Chinese of en, or NULL (no miss counted) */
/* 1 when s holds a letter outside its printf conversions: only such strings need a
 * translation (numbers, symbols and "%s" read the same in both languages). */
int i18n_has_letters(const char *s);
int i18n_misses(void);                /* Chinese lookups without a translation since the last reset */
const char *i18n_last_miss(void);     /* the English of the last one ("" none) */
void i18n_reset_misses(void);

#endif
