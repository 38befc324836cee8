/* lesson_ui.c — lesson mode: slides, narration layout, highlights, zoom, pen, laser
 * (see lesson_ui.h). */
#include "lesson_ui.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "live_train.h"
#include "widgets.h"

/* ------------------------------------------------------------------------ */
/* the app's own strings, in the lesson's language (i18n.h)                 */
/* ------------------------------------------------------------------------ */

static const char *const HELP[] = {
    N_("PageDown  \xe2\x86\x92  \xe2\x86\x93  Space   next slide"), N_("PageUp  \xe2\x86\x90  \xe2\x86\x91  Backspace   previous slide"),
    N_("Home / End   first / last slide"), N_("[  ]   step the view back / forward"), N_("B or .   blank the screen"),
    N_("L   laser pointer on / off"), N_("P   pen (drag to draw; C clears)"), N_("Z or wheel   zoom at the mouse (0 resets)"),
    N_("T   theme      F11   full screen      F12   screenshot"), N_("N   speaker notes window"), N_("Esc or Q   quit"), NULL};

/* The slide's strings follow the lesson's language; the caller's language comes back after. */
static I18nLang lang_enter(const Deck *d) { return i18n_set(d->zh ? I18N_ZH : I18N_EN); }

/* ------------------------------------------------------------------------ */
/* deck state                                                                */
/* ------------------------------------------------------------------------ */

static ViewId view_of(LessonView v) {
    switch (v) {
    case LESSON_VIEW_CELL: return VIEW_CELL;
    case LESSON_VIEW_UNROLLED: return VIEW_UNROLLED;
    case LESSON_VIEW_SEQ2SEQ: return VIEW_SEQ2SEQ;
    case LESSON_VIEW_HEATMAP: return VIEW_HEATMAP;
    case LESSON_VIEW_BEAM: return VIEW_BEAM;
    case LESSON_VIEW_COMPARE: return VIEW_COMPARE;
    case LESSON_VIEW_TRANSFORMER: return VIEW_TRANSFORMER;
    case LESSON_VIEW_TRAINING: return VIEW_TRAINING;
    default: return VIEW_ATTENTION;
    }
}

int deck_open(Deck *d, const char *path, const char *const *dirs, int n_dirs, Status *st) {
    memset(d, 0, sizeof *d);
    gui_state_init(&d->g);
    d->g.theme = 2; /* projector: callers may change it */
    for (int i = 0; i < THEME_COUNT; i++)
        if (!strcmp(theme_by_index(i)->name, "projector")) d->g.theme = i;
    d->laser = 1;
    d->user_zoom = 1;
    d->user_zx = d->user_zy = 0.5f;
    for (int i = 0; i < n_dirs && i < 4; i++) d->dirs[d->n_dirs++] = dirs[i];
    snprintf(d->path, sizeof d->path, "%s", path);
    d->lesson = lesson_load(path, st);
    if (!d->lesson) { gui_state_free(&d->g); return -1; }
    if (lesson_check(d->lesson, d->dirs, d->n_dirs, NULL, st)) { deck_close(d); return -1; }
    d->zh = !strcmp(d->lesson->lang, "zh");
    gui_scan_models(&d->g);
    d->slide = -1;
    deck_goto(d, 0);
    return 0;
}

void deck_clear_strokes(Deck *d) {
    for (int i = 0; i < d->n_strokes; i++) free(d->strokes[i].xy);
    d->n_strokes = 0;
    d->drawing = 0;
}

void deck_close(Deck *d) {
    if (!d || !d->lesson) return;
    deck_clear_strokes(d);
    lesson_free(d->lesson);
    gui_state_free(&d->g);
    memset(d, 0, sizeof *d);
}

void deck_pen(Deck *d, int phase, float x, float y) {
    if (phase == 2) { d->drawing = 0; return; }
    if (phase == 0) {
        if (d->n_strokes >= DECK_MAX_STROKES) return;
        d->strokes[d->n_strokes++] = (DeckStroke){NULL, 0, 0};
        d->drawing = 1;
    }
    if (!d->drawing || !d->n_strokes) return;
    DeckStroke *s = &d->strokes[d->n_strokes - 1];
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 64;
        if (cap > 1 << 16) return; /* a very long stroke stops growing */
        float *xy = realloc(s->xy, (size_t)cap * 2 * sizeof *xy);
        if (!xy) return;
        s->xy = xy;
        s->cap = cap;
    }
    s->xy[2 * s->n] = x;
    s->xy[2 * s->n + 1] = y;
    s->n++;
}

int deck_resolve_pos(const TraceIndex *ix, const LessonPos *p) {
    if (!ix || ix->n_pos <= 0) return -1;
    if (p->beam && !ix->is_beam) return -1;
    switch (p->kind) {
    case LESSON_POS_START: return 0;
    case LESSON_POS_END: return ix->n_pos - 1;
    case LESSON_POS_ENC_DONE: {
        int last = 0; /* a Transformer has no encoder steps: its encoder is shown from the start */
        for (int i = 0; i < ix->n_pos; i++)
            if (ix->pos[i].phase == PH_ENC) last = i;
        return last;
    }
    case LESSON_POS_ENC_STEP: {
        int last = -1;
        for (int i = 0; i < ix->n_pos; i++) {
            if (ix->pos[i].phase != PH_ENC) continue;
            const Event *e = ix->enc[ix->pos[i].enc];
            if (tl_enc_pos(ix, ix->pos[i].enc) == p->n - 1 && event_get_int(e, "dir", 0) == 0) last = i;
        }
        return last;
    }
    case LESSON_POS_STEP: {
        int s = p->n - 1, last = -1;
        Phase want = PH_COUNT;
        switch (p->phase) {
        case LESSON_PHASE_ENERGIES: want = PH_ENERGY; break;
        case LESSON_PHASE_WEIGHTS: want = PH_WEIGHTS; break;
        case LESSON_PHASE_CONTEXT: want = PH_CONTEXT; break;
        case LESSON_PHASE_DECODER: want = PH_DECODER; break;
        case LESSON_PHASE_OUTPUT: want = PH_OUTPUT; break;
        case LESSON_PHASE_CANDIDATES: want = PH_EXPAND; break;
        case LESSON_PHASE_CHOSEN: want = PH_CHOSEN; break;
        case LESSON_PHASE_DONE: want = PH_COUNT; break;
        }
        for (int i = 0; i < ix->n_pos; i++) {
            if (ix->pos[i].step != s || ix->pos[i].phase == PH_END || ix->pos[i].phase == PH_ENC) continue;
            if (want == PH_COUNT) last = i;
            else if (ix->pos[i].phase == want) return i;
        }
        return last;
    }
    }
    return -1;
}

/* A training slide: the controller of view 9 for the slide's task and preset, trained
 * synchronously to train-steps (the same seed, so the same picture every time), showing
 * the slide's snapshot. A synchronous controller of the same task and preset that has not
 * gone past train-steps is trained on from where it is (the same batches in the same order:
 * the same numbers as a fresh run, test_lesson_slides checks it); anything else, e.g. a
 * controller the teacher trained further with Play, is rebuilt. In the window (d->live) the
 * worker thread is then started, paused: Play trains on live. */
static void training_goto(Deck *d, const LessonSettings *set) {
    Status st = {{0}};
    LiveUi *u = d->g.live;
    LiveTrain *lt = u ? u->lt : NULL;
    int reuse = lt && !lt->threaded && !lt->failed && (int)u->task == set->train_task && (int)u->arch == set->train_arch &&
                lt->step <= set->train_steps && lt->lr == lt->cfg.lr;
    if (reuse) {
        if (live_train_run(lt, set->train_steps - lt->step, &st)) { snprintf(d->message, sizeof d->message, "%.500s", st.message); return; }
    } else if (gui_training_render_setup(&d->g, lesson_train_task_name(set->train_task), lesson_train_arch_name(set->train_arch),
                                         set->train_steps, -1, 0, 0, &st)) {
        snprintf(d->message, sizeof d->message, "%.500s", st.message);
        return;
    }
    u = d->g.live;
    lt = u->lt;
    d->g.view = VIEW_TRAINING;
    u->menu = 0;
    u->sel = -1;
    if (set->snapshot >= lt->n_snaps)
        snprintf(d->message, sizeof d->message, TR("snapshot %d is not in this run (snapshots 0..%d)"), set->snapshot, lt->n_snaps - 1);
    else if (set->snapshot >= 0 && set->snapshot < lt->n_snaps - 1) u->sel = set->snapshot;
    if (d->live) {
        if (live_train_start(lt, &st)) snprintf(d->message, sizeof d->message, "%.500s", st.message);
        else u->threaded = 1;
    }
    d->run_ok = 1;
}

static void deck_goto_(Deck *d, int i);

void deck_goto(Deck *d, int i) {
    I18nLang old = lang_enter(d);
    deck_goto_(d, i);
    i18n_set(old);
}

static void deck_goto_(Deck *d, int i) {
    Lesson *l = d->lesson;
    if (!l || l->n_slides == 0) return;
    if (i < 0) i = 0;
    if (i >= l->n_slides) i = l->n_slides - 1;
    d->slide = i;
    deck_clear_strokes(d);
    d->user_zoom = 1;
    d->message[0] = 0;
    d->run_ok = 0;
    /* training the teacher started on a training slide stops when the slide is left */
    if (d->g.live && d->g.live->lt && d->g.live->lt->threaded) live_train_play(d->g.live->lt, 0);
    const LessonSettings *set = &l->slides[i].set;
    if (set->view == LESSON_VIEW_NONE) return;
    if (set->view == LESSON_VIEW_TRAINING) { training_goto(d, set); return; }
    if (!set->model[0]) { snprintf(d->message, sizeof d->message, "%s", TR("this slide's view needs a model")); return; }
    char path[1024];
    Status st = {{0}};
    if (lesson_find_model(l, set->model, d->dirs, d->n_dirs, path, sizeof path, &st)) {
        snprintf(d->message, sizeof d->message, "%s", st.message);
        return;
    }
    int rerun = !d->g.have_ix;
    if (strcmp(path, d->g.model_path)) {
        if (gui_load_model(&d->g, path, &st)) { snprintf(d->message, sizeof d->message, "%s", st.message); d->g.model_path[0] = 0; return; }
        rerun = 1;
    }
    if (strcmp(set->input, d->g.input) || set->beam != (d->g.ix.is_beam ? d->g.ix.beam_size : 0) || set->max_len != d->g.max_len) rerun = 1;
    if (rerun) {
        snprintf(d->g.input, sizeof d->g.input, "%s", set->input);
        d->g.beam = set->beam;
        d->g.max_len = set->max_len; /* lesson check decoded with the same cap */
        d->g.message[0] = 0;
        if (gui_run_model(&d->g, &st)) {
            snprintf(d->message, sizeof d->message, "%s", st.message);
            tl_free(&d->g.ix);
            d->g.have_ix = 0;
            return;
        }
        if (d->g.message[0]) snprintf(d->message, sizeof d->message, "%s", d->g.message);
    }
    d->g.view = view_of(set->view);
    int p = deck_resolve_pos(&d->g.ix, &set->pos);
    if (p < 0) {
        char pb[64];
        snprintf(d->message, sizeof d->message, TR("position \"%.60s\" is not in this run (lesson check names the problem)"),
                 lesson_pos_format(&set->pos, pb, sizeof pb));
        p = d->g.ix.n_pos - 1;
    }
    d->g.pos = p;
    d->g.anim = 1;
    d->run_ok = 1;
}

/* ------------------------------------------------------------------------ */
/* rich text layout                                                          */
/* ------------------------------------------------------------------------ */

static unsigned utf8_cp(const char *s, int n, int *len) {
    const unsigned char *p = (const unsigned char *)s;
    if (p[0] < 0x80 || n < 2) { *len = 1; return p[0]; }
    int l = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 1;
    if (l > n) l = n;
    unsigned cp = l == 2 ? (p[0] & 0x1Fu) : l == 3 ? (p[0] & 0x0Fu) : (p[0] & 0x07u);
    for (int i = 1; i < l; i++) cp = (cp << 6) | (p[i] & 0x3Fu);
    *len = l;
    return cp;
}

static int is_cjk(unsigned cp) {
    return (cp >= 0x2E80 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF00 && cp <= 0xFFEF) ||
           (cp >= 0xAC00 && cp <= 0xD7AF);
}
/* punctuation that must not start a line (kinsoku) / must not end one */
static int no_line_start(unsigned cp) {
    static const unsigned P[] = {0xFF0C, 0x3002, 0x3001, 0xFF1B, 0xFF1A, 0xFF1F, 0xFF01, 0xFF09, 0x300D, 0x300F, 0x300B,
                                 0x3009, 0x3011, 0x201D, 0x2019, 0x2026, 0xFF0E};
    for (size_t i = 0; i < sizeof P / sizeof P[0]; i++)
        if (cp == P[i]) return 1;
    return 0;
}
static int no_line_end(unsigned cp) { return cp == 0xFF08 || cp == 0x300C || cp == 0x300E || cp == 0x300A || cp == 0x201C || cp == 0x3010; }

typedef struct Piece {
    int off, len;       /* into rich->text */
    int style;
    float w;            /* width including a trailing space */
    float wtrim;        /* width without it */
    int breakable;      /* a line may break before this piece */
    int hard;           /* a hard line break comes before it */
    int cjk;            /* holds a code point DejaVu lacks: drawn (and measured) with the CJK font */
} Piece;

typedef struct Pieces { Piece *p; int n, cap; } Pieces;

static void add_piece(Pieces *ps, Piece pc) {
    if (ps->n == ps->cap) {
        int cap = ps->cap ? ps->cap * 2 : 64;
        Piece *q = realloc(ps->p, (size_t)cap * sizeof *q);
        if (!q) return;
        ps->p = q;
        ps->cap = cap;
    }
    ps->p[ps->n++] = pc;
}

static float measure(DrawList *dl, int size, const char *s, int len) {
    char buf[1024];
    if (len >= (int)sizeof buf) len = (int)sizeof buf - 1;
    memcpy(buf, s, (size_t)len);
    buf[len] = 0;
    return draw_text_width(dl, size, buf);
}

/* Splits a block's spans into pieces: words with their trailing space, single CJK characters. */
static void block_pieces(DrawList *dl, const LessonRich *r, const LessonBlock *b, int size, int code, Pieces *ps) {
    ps->n = 0;
    unsigned prev_cp = 0;
    int prev_space = 0, prev_cjk = 0;
    for (int k = 0; k < b->nspans; k++) {
        const LessonSpan *sp = &r->spans[b->span0 + k];
        const char *t = r->text + sp->off;
        int i = 0, first = 1;
        while (i < sp->len) {
            int start = i, len;
            unsigned cp = utf8_cp(t + i, sp->len - i, &len);
            int cjk = is_cjk(cp) && !code;
            if (cjk) i += len;
            else {
                /* a run of non-CJK characters up to and including spaces after it */
                while (i < sp->len) {
                    int l2;
                    unsigned c2 = utf8_cp(t + i, sp->len - i, &l2);
                    if (is_cjk(c2) && !code) break;
                    if (c2 == ' ') {
                        while (i < sp->len && t[i] == ' ') i++;
                        break;
                    }
                    i += l2;
                }
            }
            Piece pc = {sp->off + start, i - start, sp->style, 0, 0, 0, 0, 0};
            for (int q = start; q < i;) {
                int l4;
                if (utf8_cp(t + q, sp->len - q, &l4) >= 0x2E80) pc.cjk = 1;
                q += l4;
            }
            pc.hard = first && sp->hard_break;
            pc.breakable = ps->n > 0 && (prev_space || ((cjk || prev_cjk) && !no_line_start(cp) && !no_line_end(prev_cp)));
            if (code) pc.breakable = 0;
            int trail = 0;
            while (trail < pc.len && r->text[pc.off + pc.len - 1 - trail] == ' ') trail++;
            pc.w = measure(dl, size, r->text + pc.off, pc.len);
            pc.wtrim = trail ? measure(dl, size, r->text + pc.off, pc.len - trail) : pc.w;
            add_piece(ps, pc);
            prev_space = trail > 0;
            prev_cjk = cjk;
            {
                int l3;
                /* last code point of the piece */
                int o = pc.len - 1;
                while (o > 0 && ((unsigned char)r->text[pc.off + o] & 0xC0) == 0x80) o--;
                prev_cp = utf8_cp(r->text + pc.off + o, pc.len - o, &l3);
            }
            first = 0;
        }
    }
}

static Color style_color(const Theme *th, int style) {
    if (style & LESSON_STRONG) return th->dec;
    if (style & (LESSON_EM | LESSON_LINK)) return th->enc;
    return th->fg;
}

/* Draws pieces [a, b) on one line at (x, y), merging same-style neighbours. */
static void draw_line_pieces(DrawList *dl, const Theme *th, const LessonRich *r, const Piece *p, int a, int b, float x, float y,
                             int size, float lh) {
    char buf[2048];
    int i = a;
    while (i < b) {
        int j = i, len = 0;
        float w = 0;
        /* one draw command per run of the same style and the same font (font.c picks the CJK
         * font for a whole string that needs it, so runs never mix the two) */
        while (j < b && p[j].style == p[i].style && p[j].cjk == p[i].cjk && (j == i || !p[j].hard)) {
            int pl = p[j].len;
            if (len + pl >= (int)sizeof buf) break;
            memcpy(buf + len, r->text + p[j].off, (size_t)pl);
            len += pl;
            w += p[j].w;
            j++;
        }
        if (j == i) { j = i + 1; len = 0; } /* a single over-long piece: skip drawing its text */
        buf[len] = 0;
        if (p[i].style & LESSON_CODE) {
            float wt = w - (p[j - 1].w - p[j - 1].wtrim);
            draw_rect(dl, (Rect){x - size * 0.15f, y + lh * 0.06f, wt + size * 0.3f, lh * 0.9f}, th->panel);
        }
        if (len) draw_text(dl, x, y + (lh - draw_line_height(size)) / 2, size, style_color(th, p[i].style), buf);
        if (p[i].style & LESSON_LINK) draw_rect(dl, (Rect){x, y + lh * 0.92f, w, fmaxf(1, size / 16.0f)}, th->enc);
        x += w;
        i = j;
    }
}

float deck_layout_rich(DrawList *dl, const Theme *th, const LessonRich *r, Rect box, float fsize, int draw, int *overflow) {
    Pieces ps = {NULL, 0, 0};
    int size = (int)fsize;
    float y = box.y;
    for (int bi = 0; bi < r->n_blocks; bi++) {
        const LessonBlock *b = &r->blocks[bi];
        int bsize = size, code = b->kind == LESSON_BLOCK_CODE;
        if (b->kind == LESSON_BLOCK_HEADING) bsize = (int)(size * (b->level == 3 ? 1.15f : 1.05f));
        if (code) bsize = (int)(size * 0.82f);
        float lh = draw_line_height(bsize) * (code ? 1.1f : 1.28f);
        float indent = 0, first_indent = 0;
        if (b->kind == LESSON_BLOCK_ITEM) { indent = (b->level + 1) * 1.35f * size; first_indent = indent; }
        else if (b->level > 0) indent = first_indent = b->level * 1.35f * size;
        if (b->kind == LESSON_BLOCK_QUOTE || code) { indent += size * 0.8f; first_indent = indent; }
        if (b->kind == LESSON_BLOCK_HEADING && bi > 0) y += lh * 0.25f;
        if (b->kind == LESSON_BLOCK_RULE) {
            if (draw) draw_rect(dl, (Rect){box.x, y + lh * 0.4f, box.w, fmaxf(1, size / 12.0f)}, th->grid);
            y += lh * 0.8f;
            continue;
        }
        block_pieces(dl, r, b, bsize, code, &ps);
        float avail = box.w - indent;
        float y0 = y;
        /* bullet / number */
        if (draw && b->kind == LESSON_BLOCK_ITEM) {
            char mark[24];
            if (b->number > 0) snprintf(mark, sizeof mark, "%d.", b->number);
            else snprintf(mark, sizeof mark, "%s", b->level ? "\xe2\x80\x93" : "\xe2\x80\xa2");
            float mw = draw_text_width(dl, bsize, mark);
            draw_text(dl, box.x + indent - mw - size * 0.35f, y + (lh - draw_line_height(bsize)) / 2, bsize, th->fg_dim, mark);
        }
        int line_start = 0;
        float x = 0;
        for (int i = 0; i <= ps.n; i++) {
            int brk = i == ps.n;
            float unit_w = 0, unit_trim = 0;
            int unit_end = i;
            if (!brk) {
                /* the unbreakable unit starting at i */
                unit_end = i + 1;
                while (unit_end < ps.n && !ps.p[unit_end].breakable && !ps.p[unit_end].hard) unit_end++;
                for (int k = i; k < unit_end; k++) unit_w += ps.p[k].w;
                unit_trim = unit_w - (ps.p[unit_end - 1].w - ps.p[unit_end - 1].wtrim);
                if (ps.p[i].hard && i > line_start) brk = 1;
                else if (x > 0 && x + unit_trim > avail) brk = 1;
            }
            if (brk && i > line_start) {
                if (draw) draw_line_pieces(dl, th, r, ps.p, line_start, i, box.x + indent, y, bsize, lh);
                y += lh;
                line_start = i;
                x = 0;
            } else if (brk && i == ps.n && ps.n == 0) {
                y += lh; /* an empty block keeps its line */
            }
            if (i == ps.n) break;
            if (unit_trim > avail) *overflow = 1; /* a word wider than the whole line */
            x += unit_w;
            i = unit_end - 1;
        }
        if (draw && b->kind == LESSON_BLOCK_QUOTE)
            draw_rect(dl, (Rect){box.x + indent - size * 0.55f, y0, fmaxf(2, size / 8.0f), y - y0}, th->grid);
        if (code && draw) (void)0;
        y += lh * (b->kind == LESSON_BLOCK_ITEM && bi + 1 < r->n_blocks && r->blocks[bi + 1].kind == LESSON_BLOCK_ITEM ? 0.12f : 0.45f);
        (void)first_indent;
    }
    free(ps.p);
    float used = y - box.y;
    if (used > box.h + 0.5f) *overflow = 1;
    return used;
}

/* Picks the largest size from max down to min (step 2 px) at which r fits box; draws it.
 * Returns the size; *overflow when even min does not fit (drawn at min). */
static float fit_rich(DrawList *dl, const Theme *th, const LessonRich *r, Rect box, float max, float min, int *overflow) {
    float size = max;
    for (; size > min; size -= 2) {
        int of = 0;
        deck_layout_rich(dl, th, r, box, size, 0, &of);
        if (!of) break;
    }
    if (size < min) size = min;
    int of = 0;
    deck_layout_rich(dl, th, r, box, size, 1, &of);
    if (of) *overflow = 1;
    return size;
}

/* ------------------------------------------------------------------------ */
/* zoom and highlights on the view's draw commands                           */
/* ------------------------------------------------------------------------ */

typedef struct Zoom { float z, px, py, cx, cy; } Zoom; /* (x - px) * z + cx */

static Zoom zoom_for(Rect a, float z, float fx, float fy) {
    Zoom t = {z, a.x + fx * a.w, a.y + fy * a.h, a.x + a.w / 2, a.y + a.h / 2};
    /* keep the zoomed picture covering the area */
    float hw = a.w / (2 * z), hh = a.h / (2 * z);
    if (t.px < a.x + hw) t.px = a.x + hw;
    if (t.px > a.x + a.w - hw) t.px = a.x + a.w - hw;
    if (t.py < a.y + hh) t.py = a.y + hh;
    if (t.py > a.y + a.h - hh) t.py = a.y + a.h - hh;
    return t;
}
static float zx(const Zoom *t, float x) { return (x - t->px) * t->z + t->cx; }
static float zy(const Zoom *t, float y) { return (y - t->py) * t->z + t->cy; }

static Rect rect_intersect(Rect a, Rect b) {
    float x0 = fmaxf(a.x, b.x), y0 = fmaxf(a.y, b.y), x1 = fminf(a.x + a.w, b.x + b.w), y1 = fminf(a.y + a.h, b.y + b.h);
    return (Rect){x0, y0, fmaxf(0, x1 - x0), fmaxf(0, y1 - y0)};
}

static void apply_zoom(DrawList *dl, int k0, int k1, Rect area, const Zoom *t) {
    for (int k = k0; k < k1; k++) {
        DrawCmd *c = &dl->cmds[k];
        switch (c->kind) {
        case DRAW_RECT:
        case DRAW_RECT_LINE:
            c->x0 = zx(t, c->x0); c->y0 = zy(t, c->y0); c->x1 *= t->z; c->y1 *= t->z; c->thick *= t->z;
            break;
        case DRAW_LINE:
            c->x0 = zx(t, c->x0); c->y0 = zy(t, c->y0); c->x1 = zx(t, c->x1); c->y1 = zy(t, c->y1); c->thick *= t->z;
            break;
        case DRAW_TRI:
            c->x0 = zx(t, c->x0); c->y0 = zy(t, c->y0); c->x1 = zx(t, c->x1); c->y1 = zy(t, c->y1);
            c->x2 = zx(t, c->x2); c->y2 = zy(t, c->y2);
            break;
        case DRAW_TEXT: {
            c->x0 = zx(t, c->x0); c->y0 = zy(t, c->y0);
            float s = c->size * t->z;
            c->size = (int)(s > 96 ? 96 : s);
            break;
        }
        case DRAW_CLIP: {
            Rect r = c->x1 < 0 ? area : (Rect){zx(t, c->x0), zy(t, c->y0), c->x1 * t->z, c->y1 * t->z};
            r = rect_intersect(r, area);
            c->x0 = r.x; c->y0 = r.y; c->x1 = r.w; c->y1 = r.h;
            break;
        }
        }
    }
}

static void zoom_marks(DrawList *dl, int m0, int m1, const Zoom *t) {
    for (int k = m0; k < m1 && k < dl->n_marks; k++) {
        Rect *r = &dl->marks[k].r;
        *r = (Rect){zx(t, r->x), zy(t, r->y), r->w * t->z, r->h * t->z};
    }
}

/* An outline around every text command in [k0, k1) that reads `tok`; returns how many. */
static int highlight_text(DrawList *dl, const Theme *th, int k0, int k1, const char *tok, float thick) {
    if (!tok || !*tok) return 0;
    int drawn = 0;
    const char *shown = vk_tok(tok);
    int n = dl->count;
    for (int k = k0; k < k1 && k < n; k++) {
        DrawCmd c = dl->cmds[k];
        if (c.kind != DRAW_TEXT) continue;
        const char *t = dl->text + c.text_off;
        /* the token alone, or a label that starts with it ("des  -0.83" in the beam tree) */
        size_t tl = strlen(tok), sl = strlen(shown);
        int match = !strcmp(t, tok) || !strcmp(t, shown) || (!strncmp(t, tok, tl) && t[tl] == ' ' && t[tl + 1] == ' ') ||
                    (!strncmp(t, shown, sl) && t[sl] == ' ' && t[sl + 1] == ' ');
        /* a label the view shortened to fit ("euro…" for "european"): its kept start matches */
        size_t ll = strlen(t);
        if (!match && ll > 3 && !strcmp(t + ll - 3, "\xe2\x80\xa6") && ll - 3 < sl && !strncmp(t, shown, ll - 3)) match = 1;
        if (!match) continue;
        float w = draw_text_width(dl, c.size, t), h = draw_line_height(c.size), pad = c.size * 0.25f + thick;
        Rect r = {c.x0 - pad, c.y0 - pad * 0.5f, w + 2 * pad, h + pad};
        draw_rect(dl, r, color_alpha(th->accent, 60));
        draw_rect_line(dl, r, th->accent, thick);
        drawn++;
    }
    return drawn;
}

/* The highlight outline around every mark in [m0, m1) that shows the vector or cell hl names
 * (DrawMark): the token highlight's orange, outside the object so its colours stay readable,
 * a ring of the background inside it and a thin rim of the text colour outside (it reads on
 * white and black cells and next to the orange of a vector's values). Returns how many. */
static int highlight_marks(DrawList *dl, const Theme *th, int m0, int m1, const LessonHighlight *hl, float thick) {
    DrawMarkKind kind = MARK_CELL;
    if (hl->kind == LESSON_HL_VECTOR)
        kind = hl->vec == LESSON_VEC_ENC ? MARK_ENC : hl->vec == LESSON_VEC_DEC ? MARK_DEC : MARK_CONTEXT;
    else if (hl->kind != LESSON_HL_CELL) return 0;
    int drawn = 0, n = dl->n_marks;
    for (int k = m0; k < m1 && k < n; k++) {
        DrawMark mk = dl->marks[k];
        if (mk.kind != kind || mk.i != hl->n || (kind == MARK_CELL && mk.j != hl->m)) continue;
        float gap = fmaxf(2, thick * 0.6f), edge = fmaxf(1, thick * 0.4f);
        Rect ring = rect_inset(mk.r, -gap), r = rect_inset(mk.r, -gap - thick), out = rect_inset(r, -edge);
        draw_rect_line(dl, ring, th->bg, gap);
        draw_rect_line(dl, r, th->accent, thick);
        draw_rect_line(dl, out, th->fg, edge); /* a dark rim: it stands apart from orange values and markers */
        drawn++;
    }
    return drawn;
}

/* Every label the view drew lies inside its area (a label past the edge would be cut by the
 * clip: the localised labels of a Chinese lesson must fit as the English do). Sets the
 * overflow with the first label that does not. Not for a zoomed view. */
static void view_labels_fit(Deck *d, DrawList *dl, int k0, int k1, Rect view) {
    for (int k = k0; k < k1 && k < dl->count; k++) {
        const DrawCmd *c = &dl->cmds[k];
        if (c->kind != DRAW_TEXT) continue;
        const char *t = dl->text + c->text_off;
        float w = draw_text_width(dl, c->size, t), h = draw_line_height(c->size);
        if (c->x0 >= view.x - 1 && c->x0 + w <= view.x + view.w + 1 && c->y0 >= view.y - 1 && c->y0 + h * 0.8f <= view.y + view.h + 1) continue;
        d->overflow = 1;
        snprintf(d->overflow_what, sizeof d->overflow_what, "slide %d: the view's label \"%.80s\" runs past the view's edge (%.0f..%.0f of %.0f..%.0f)",
                 d->slide + 1, t, c->x0, c->x0 + w, view.x, view.x + view.w);
        return;
    }
}

static void fill_circle(DrawList *dl, float cx, float cy, float r, Color c) {
    const int N = 20;
    for (int i = 0; i < N; i++) {
        float a0 = 6.2831853f * i / N, a1 = 6.2831853f * (i + 1) / N;
        draw_tri(dl, cx, cy, cx + r * cosf(a0), cy + r * sinf(a0), cx + r * cosf(a1), cy + r * sinf(a1), c);
    }
}

/* ------------------------------------------------------------------------ */
/* the slide                                                                 */
/* ------------------------------------------------------------------------ */

/* The footer of a training slide: task, preset and the step of the snapshot shown. */
static void describe_training(const Deck *d, char *buf, size_t n) {
    const LiveUi *u = d->g.live;
    LiveTrain *lt = u->lt;
    live_train_lock(lt);
    int k = u->sel < 0 || u->sel >= lt->n_snaps ? lt->n_snaps - 1 : u->sel;
    long shown = lt->snaps[k]->step, now = lt->step;
    live_train_unlock(lt);
    snprintf(buf, n, TR("training: %s \xc2\xb7 %s \xc2\xb7 snapshot at step %ld (%ld trained)"), TR(live_task_name(u->task)),
             TR(live_arch_label(u->arch)), shown, now);
}

/* The footer's description of the position, in the lesson's language. */
static void describe(const Deck *d, char *buf, size_t n) {
    if (d->g.view == VIEW_TRAINING) { describe_training(d, buf, n); return; }
    vk_describe(&d->g.ix, d->g.pos, buf, n);
}

static void deck_frame_(Deck *d, DrawList *dl, int w, int h, const UiInput *in);

void deck_frame(Deck *d, DrawList *dl, int w, int h, const UiInput *in) {
    I18nLang old = lang_enter(d);
    deck_frame_(d, dl, w, h, in);
    i18n_set(old);
}

static void deck_frame_(Deck *d, DrawList *dl, int w, int h, const UiInput *in) {
    const Theme *th = theme_by_index(d->g.theme);
    const Lesson *l = d->lesson;
    d->overflow = 0;
    d->overflow_what[0] = 0;
    d->hl_missing = 0;
    d->hl_missing_what[0] = 0;
    d->view_cmd0 = d->view_cmd1 = 0;
    draw_rect(dl, (Rect){0, 0, (float)w, (float)h}, th->bg);
    if (!l || l->n_slides == 0) {
        ViewCtx vc = {.ix = NULL, .pos = 0, .th = th, .dl = dl, .area = (Rect){0, 0, (float)w, (float)h}, .anim = 1};
        vk_message(&vc, vc.area, TR("this lesson has no slides (## headings)"));
        return;
    }
    const LessonSlide *s = &l->slides[d->slide < 0 ? 0 : d->slide];
    float u = h / 1080.0f; /* layout unit: 1 px at 1080 lines */
    if (u * 1920 > w) u = w / 1920.0f;
    float m = 48 * u;
    int title_size = (int)(54 * u);
    /* title */
    float ty = 28 * u;
    draw_text_fit(dl, m, ty, title_size, th->fg, s->title, w - 2 * m);
    int title_over = draw_text_width(dl, title_size, s->title) > w - 2 * m;
    float head = ty + draw_line_height(title_size) + 14 * u;
    draw_rect(dl, (Rect){m, head - 6 * u, w - 2 * m, fmaxf(2, 4 * u)}, th->enc);
    /* footer */
    int fsz = (int)(24 * u);
    float foot_h = draw_line_height(fsz) + 20 * u, fy = h - foot_h + 10 * u;
    char buf[600];
    snprintf(buf, sizeof buf, "%d / %d", d->slide + 1, l->n_slides);
    float cw = draw_text_width(dl, fsz, buf);
    draw_text(dl, w - m - cw, fy, fsz, th->fg_dim, buf);
    float left_w = draw_text_fit(dl, m, fy, fsz, th->fg_dim, l->title, w * 0.3f);
    const LessonSettings *set = &s->set;
    int show_view = set->view != LESSON_VIEW_NONE;
    /* a training slide shows view 9 (or, after "open in stepper", the trained model's heatmap) */
    int training = show_view && d->run_ok && d->g.view == VIEW_TRAINING && d->g.live && d->g.live->lt;
    int have_run = show_view && d->run_ok && (training || d->g.have_ix);
    if (have_run) {
        describe(d, buf, sizeof buf);
        draw_text_fit(dl, m + left_w + 40 * u, fy, fsz, th->fg_dim, buf, w - cw - left_w - 2 * m - 80 * u);
    }
    /* body */
    float body_y = head + 18 * u, body_h = h - foot_h - body_y - 10 * u;
    Rect narr, view = {0, 0, 0, 0};
    if (show_view) {
        float nw = w * 0.34f;
        narr = (Rect){m, body_y, nw - m, body_h};
        view = (Rect){nw + 24 * u, body_y, w - nw - 24 * u - m * 0.5f, body_h};
    } else {
        float nw = fminf(w - 2 * m, 1500 * u);
        narr = (Rect){(w - nw) / 2, body_y + 10 * u, nw, body_h - 10 * u};
    }
    d->narr_area = narr;
    d->view_area = view;
    int of = 0;
    float max = show_view ? 34 * u : 40 * u, min = show_view ? 22 * u : 26 * u;
    d->text_size = fit_rich(dl, th, &s->body, narr, max, min, &of);
    if (of) {
        d->overflow = 1;
        snprintf(d->overflow_what, sizeof d->overflow_what, "slide %d \"%.120s\": the narration does not fit its box at %.0f px",
                 d->slide + 1, s->title, min);
    } else if (title_over) {
        d->overflow = 1;
        snprintf(d->overflow_what, sizeof d->overflow_what, "slide %d: the title \"%.120s\" is wider than the slide", d->slide + 1,
                 s->title);
    }
    if (show_view) {
        draw_rect(dl, (Rect){view.x - 12 * u, view.y, fmaxf(1, 2 * u), view.h}, th->grid);
        if (have_run) {
            const Zoom *zp = NULL;
            Zoom t;
            float z = d->user_zoom > 1 ? d->user_zoom : set->zoom;
            if (z > 1.001f) {
                t = d->user_zoom > 1 ? zoom_for(view, z, d->user_zx, d->user_zy) : zoom_for(view, z, set->zoom_x, set->zoom_y);
                zp = &t;
            }
            float mx = dl->mouse_x, my = dl->mouse_y;
            if (zp && mx >= 0) { dl->mouse_x = (mx - t.cx) / t.z + t.px; dl->mouse_y = (my - t.cy) / t.z + t.py; }
            draw_clip(dl, view);
            int k0 = dl->count, m0 = dl->n_marks;
            if (training) {
                UiInput vin = in ? *in : (UiInput){-1, -1, 0, 0, 0};
                vin.mx = dl->mouse_x; /* zoomed: the view's own coordinates */
                vin.my = dl->mouse_y;
                if (!rect_contains(view, in ? in->mx : -1, in ? in->my : -1)) vin.pressed = vin.down = 0;
                gui_training_frame(&d->g, dl, th, in ? &vin : NULL, view);
            } else {
                ViewCtx vc = {.ix = &d->g.ix, .pos = d->g.pos, .th = th, .dl = dl, .area = view, .anim = d->g.anim,
                              .alt = d->g.have_alt ? &d->g.alt_ix : NULL};
                view_draw(d->g.view, &vc);
            }
            int k1 = dl->count, m1 = dl->n_marks;
            dl->mouse_x = mx;
            dl->mouse_y = my;
            if (!zp && !d->overflow) view_labels_fit(d, dl, k0, k1, view);
            if (zp) { apply_zoom(dl, k0, k1, view, zp); zoom_marks(dl, m0, m1, zp); }
            d->view_cmd0 = k0;
            d->view_cmd1 = k1;
            draw_clip(dl, view);
            for (int i = 0; i < set->n_hl; i++) {
                const LessonHighlight *hl = &set->hl[i];
                const char *tok = hl->text;
                if (training) break; /* a training slide has no run of a lesson model to point into */
                int drawn;
                if (hl->kind == LESSON_HL_VECTOR || hl->kind == LESSON_HL_CELL) drawn = highlight_marks(dl, th, m0, m1, hl, fmaxf(3, 4 * u));
                else {
                    if (hl->kind == LESSON_HL_SOURCE) tok = hl->n - 1 < d->g.ix.S ? d->g.ix.src_tokens[hl->n - 1] : NULL;
                    else if (hl->kind == LESSON_HL_TARGET) tok = hl->n - 1 < d->g.ix.n_steps ? d->g.ix.steps[hl->n - 1].chosen_token : NULL;
                    drawn = highlight_text(dl, th, k0, k1, tok, fmaxf(2, 3 * u));
                }
                if (!drawn && !d->hl_missing) {
                    char hb[160];
                    d->hl_missing = 1;
                    snprintf(d->hl_missing_what, sizeof d->hl_missing_what, "slide %d: highlight %.150s (line %d) is not drawn by this view here",
                             d->slide + 1, lesson_highlight_format(hl, hb, sizeof hb), hl->line);
                }
            }
            draw_unclip(dl);
            if (d->message[0]) draw_text_fit(dl, view.x, view.y + view.h - draw_line_height(fsz), fsz, th->dec, d->message, view.w);
        } else {
            ViewCtx vc = {.ix = NULL, .pos = 0, .th = th, .dl = dl, .area = view, .anim = 1};
            vk_message(&vc, view, d->message[0] ? d->message : "\xe2\x80\xa6");
        }
    }
    /* pen strokes */
    for (int i = 0; i < d->n_strokes; i++) {
        const DeckStroke *st = &d->strokes[i];
        for (int k = 1; k < st->n; k++)
            draw_line(dl, st->xy[2 * k - 2], st->xy[2 * k - 1], st->xy[2 * k], st->xy[2 * k + 1], th->dec, fmaxf(3, 5 * u));
        if (st->n == 1) fill_circle(dl, st->xy[0], st->xy[1], fmaxf(2, 3 * u), th->dec);
    }
    if (!d->help && !d->blank) ui_tooltip(dl, th, (float)w, (float)h);
    if (d->help) {
        int hs = (int)(30 * u);
        float lh = draw_line_height(hs) * 1.3f, bh = lh * 12 + 40 * u, bw = fminf(w - 2 * m, 1100 * u);
        Rect box = {(w - bw) / 2, (h - bh) / 2, bw, bh};
        draw_rect(dl, box, color_alpha(th->tip_bg, 240));
        draw_rect_line(dl, box, th->fg_dim, fmaxf(1, 2 * u));
        for (int i = 0; HELP[i]; i++) draw_text_fit(dl, box.x + 30 * u, box.y + 20 * u + i * lh, hs, th->tip_fg, TR(HELP[i]), bw - 60 * u);
    }
    if (d->blank) draw_rect(dl, (Rect){0, 0, (float)w, (float)h}, (Color){0, 0, 0, 255});
    /* the laser pointer last, so it shows over everything but a blank screen */
    if (in && d->laser && !d->blank && in->mx >= 0) {
        fill_circle(dl, in->mx, in->my, 16 * u + 4, (Color){255, 40, 40, 70});
        fill_circle(dl, in->mx, in->my, 7 * u + 2, (Color){255, 20, 20, 255});
    }
}

static void deck_notes_frame_(Deck *d, DrawList *dl, int w, int h, double elapsed_s);

void deck_notes_frame(Deck *d, DrawList *dl, int w, int h, double elapsed_s) {
    I18nLang old = lang_enter(d);
    deck_notes_frame_(d, dl, w, h, elapsed_s);
    i18n_set(old);
}

static void deck_notes_frame_(Deck *d, DrawList *dl, int w, int h, double elapsed_s) {
    const Theme *th = theme_get("dark");
    const Lesson *l = d->lesson;
    draw_rect(dl, (Rect){0, 0, (float)w, (float)h}, th->bg);
    if (!l || !l->n_slides) return;
    const LessonSlide *s = &l->slides[d->slide];
    float u = h / 800.0f, m = 24 * u;
    int ts = (int)(30 * u), fs = (int)(22 * u);
    char buf[400];
    time_t now = time(NULL);
    struct tm tmv;
    localtime_r(&now, &tmv);
    int el = (int)elapsed_s;
    snprintf(buf, sizeof buf, "%02d:%02d    %d:%02d:%02d", tmv.tm_hour, tmv.tm_min, el / 3600, el / 60 % 60, el % 60);
    float cw = draw_text_width(dl, ts, buf);
    draw_text(dl, w - m - cw, m, ts, th->accent, buf);
    snprintf(buf, sizeof buf, "%d / %d  %.300s", d->slide + 1, l->n_slides, s->title);
    draw_text_fit(dl, m, m, ts, th->fg, buf, w - 3 * m - cw);
    float top = m + draw_line_height(ts) + 16 * u, bottom = h - m - draw_line_height(fs) * 1.5f;
    Rect box = {m, top, w - 2 * m, bottom - top};
    int of = 0;
    d->overflow = 0;
    d->overflow_what[0] = 0;
    if (s->notes.n_blocks) fit_rich(dl, th, &s->notes, box, 30 * u, 16 * u, &of);
    if (of) {
        d->overflow = 1;
        snprintf(d->overflow_what, sizeof d->overflow_what, "slide %d \"%.120s\": the speaker notes do not fit the notes window at %.0f px",
                 d->slide + 1, s->title, 16 * u);
    }
    if (!s->notes.n_blocks) draw_text(dl, m, top, fs, th->fg_dim, TR("(no notes for this slide)")); /* not over notes that are there */
    if (d->slide + 1 < l->n_slides) snprintf(buf, sizeof buf, TR("Next: %.200s"), l->slides[d->slide + 1].title);
    else snprintf(buf, sizeof buf, "%s", TR("(last slide)"));
    draw_rect(dl, (Rect){0, bottom, (float)w, (float)h - bottom}, th->panel);
    draw_text_fit(dl, m, bottom + 8 * u, fs, th->fg_dim, buf, w - 2 * m);
}
