/* monkey.c — random SDL events for the GUI monkey test (monkey.h). */
#include "monkey.h"

#include <stdlib.h>
#include <string.h>

/* ======================================================================== */
/* Random numbers (xorshift64*, deterministic for a seed)                     */
/* ======================================================================== */

static uint32_t next_u32(Monkey *mk) {
    mk->rng ^= mk->rng >> 12;
    mk->rng ^= mk->rng << 25;
    mk->rng ^= mk->rng >> 27;
    return (uint32_t)((mk->rng * 2685821657736338717ull) >> 32);
}

static int below(Monkey *mk, int n) { return (int)(next_u32(mk) % (uint32_t)n); }

/* ======================================================================== */
/* Lifetime                                                                   */
/* ======================================================================== */

int monkey_init(Monkey *mk, long total, uint64_t seed) {
    memset(mk, 0, sizeof *mk);
    if (total <= 0) return 0;
    mk->frame_ms = malloc(MONKEY_MAX_FRAMES * sizeof *mk->frame_ms);
    if (!mk->frame_ms) return -1;
    mk->total = total;
    mk->rng = seed * 0x9E3779B97F4A7C15ull + 1;
    return 0;
}

void monkey_free(Monkey *mk) {
    free(mk->frame_ms);
    mk->frame_ms = NULL;
}

/* ======================================================================== */
/* Events                                                                     */
/* ======================================================================== */

/* Keys the app reacts to, weighted by repetition; plus random printable keys. */
static const SDL_Keycode keys[] = {
    SDLK_RIGHT, SDLK_RIGHT, SDLK_RIGHT, SDLK_LEFT, SDLK_LEFT, SDLK_LEFT, SDLK_HOME, SDLK_END,
    SDLK_SPACE, SDLK_TAB, SDLK_TAB, SDLK_RETURN, SDLK_RETURN, SDLK_BACKSPACE, SDLK_BACKSPACE,
    SDLK_ESCAPE, SDLK_F1, SDLK_F11, SDLK_t, SDLK_b, SDLK_m, SDLK_u, SDLK_e, SDLK_q, SDLK_PLUS,
    SDLK_MINUS, SDLK_PAGEUP, SDLK_PAGEDOWN, SDLK_UP, SDLK_DOWN, SDLK_1, SDLK_2, SDLK_3, SDLK_4,
    SDLK_5, SDLK_6, SDLK_7, SDLK_8, SDLK_9, SDLK_0, SDLK_F12, SDLK_DELETE, SDLK_KP_ENTER,
};

static void push_key(Monkey *mk) {
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_KEYDOWN;
    SDL_Keycode k = keys[below(mk, (int)(sizeof keys / sizeof keys[0]))];
    /* screenshots and full screen are slow on huge windows: keep them rare */
    if ((k == SDLK_F12 || k == SDLK_F11) && below(mk, 20)) k = SDLK_RIGHT;
    /* model switches re-decode: rare too */
    if ((k == SDLK_m || k == SDLK_b) && below(mk, 8)) k = SDLK_LEFT;
    if (below(mk, 6) == 0) k = 'a' + below(mk, 26);
    e.key.keysym.sym = k;
    int r = below(mk, 10);
    e.key.keysym.mod = r == 0 ? KMOD_LSHIFT : r == 1 ? KMOD_LCTRL : r == 2 ? KMOD_LALT : KMOD_NONE;
    if (k == SDLK_e && e.key.keysym.mod == KMOD_LCTRL && below(mk, 10)) e.key.keysym.mod = KMOD_NONE; /* exports: rare */
    SDL_PushEvent(&e);
    e.type = SDL_KEYUP;
    SDL_PushEvent(&e);
}

/* Text: words, UTF-8 (Latin, CJK), invalid bytes, control characters, long runs. */
static void push_text(Monkey *mk) {
    static const char *pieces[] = {"the ", "european ", "area ", "a ", "b ", "c ", "1992 ", ". ", "été ",
                                   "注意力 ", "<eos> ", "<unk> ", "  ", "zzzz ", "\t", "\x7f"};
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_TEXTINPUT;
    int r = below(mk, 4);
    if (r == 0) { /* raw bytes: invalid UTF-8, NUL-terminated */
        int n = 1 + below(mk, SDL_TEXTINPUTEVENT_TEXT_SIZE - 2);
        for (int i = 0; i < n; i++) e.text.text[i] = (char)(1 + below(mk, 255));
    } else {
        snprintf(e.text.text, sizeof e.text.text, "%s", pieces[below(mk, (int)(sizeof pieces / sizeof pieces[0]))]);
    }
    int repeat = below(mk, 30) == 0 ? 40 : 1; /* now and then a very long string */
    for (int i = 0; i < repeat; i++) SDL_PushEvent(&e);
}

static void push_mouse(Monkey *mk, SDL_Window *win) {
    int w = 1, h = 1;
    SDL_GetWindowSize(win, &w, &h);
    SDL_Event e;
    memset(&e, 0, sizeof e);
    int x = below(mk, w + 40) - 20, y = below(mk, h + 40) - 20; /* sometimes outside */
    int r = below(mk, 10);
    if (r < 5) {
        e.type = SDL_MOUSEMOTION;
        e.motion.x = x; e.motion.y = y;
        e.motion.state = below(mk, 3) == 0 ? SDL_BUTTON_LMASK : 0;
        SDL_PushEvent(&e);
    } else if (r < 9) {
        e.type = SDL_MOUSEBUTTONDOWN;
        e.button.button = below(mk, 4) ? SDL_BUTTON_LEFT : SDL_BUTTON_RIGHT;
        e.button.x = x; e.button.y = y;
        SDL_PushEvent(&e);
        if (below(mk, 3)) { e.type = SDL_MOUSEBUTTONUP; SDL_PushEvent(&e); }
    } else {
        e.type = SDL_MOUSEWHEEL;
        e.wheel.y = below(mk, 7) - 3;
        e.wheel.x = below(mk, 3) - 1;
        SDL_PushEvent(&e);
    }
}

static void resize(Monkey *mk, SDL_Window *win) {
    static const int sizes[][2] = {{1, 1}, {2, 3}, {40, 30}, {320, 200}, {800, 520}, {1280, 760},
                                   {1920, 1080}, {3840, 2160}, {7680, 4320}, {7680, 1}, {1, 4320}};
    int i = below(mk, (int)(sizeof sizes / sizeof sizes[0]));
    SDL_SetWindowMinimumSize(win, 1, 1);
    SDL_SetWindowSize(win, sizes[i][0], sizes[i][1]);
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_WINDOWEVENT;
    e.window.event = below(mk, 2) ? SDL_WINDOWEVENT_RESIZED : SDL_WINDOWEVENT_LEAVE;
    e.window.data1 = sizes[i][0];
    e.window.data2 = sizes[i][1];
    SDL_PushEvent(&e);
}

void monkey_push(Monkey *mk, SDL_Window *win) {
    if (mk->total <= 0 || mk->quit_sent) return;
    int burst = 1 + below(mk, 16);
    for (int i = 0; i < burst && mk->pushed < mk->total; i++, mk->pushed++) {
        int r = below(mk, 100);
        if (r < 40) push_key(mk);
        else if (r < 55) push_text(mk);
        else if (r < 99) push_mouse(mk, win);
        else resize(mk, win);
    }
    if (mk->pushed >= mk->total) {
        SDL_Event q;
        memset(&q, 0, sizeof q);
        q.type = SDL_QUIT;
        SDL_PushEvent(&q);
        mk->quit_sent = 1;
    }
}

/* ======================================================================== */
/* Frame times                                                                */
/* ======================================================================== */

void monkey_frame_time(Monkey *mk, double ms) {
    if (mk->total <= 0 || mk->frames >= MONKEY_MAX_FRAMES) return;
    mk->frame_ms[mk->frames++] = (float)ms;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

void monkey_report(const Monkey *mk, FILE *out) {
    if (mk->total <= 0) return;
    long n = mk->frames;
    if (n == 0) { fprintf(out, "monkey: %ld events, 0 frames\n", mk->pushed); return; }
    float *s = malloc((size_t)n * sizeof *s);
    if (!s) { fprintf(out, "monkey: %ld events, %ld frames\n", mk->pushed, n); return; }
    memcpy(s, mk->frame_ms, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_float);
    fprintf(out, "monkey: %ld events, %ld frames, draw ms median %.2f p99 %.2f max %.2f\n", mk->pushed, n,
            s[n / 2], s[(n * 99) / 100], s[n - 1]);
    free(s);
}
