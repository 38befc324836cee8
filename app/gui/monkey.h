/* monkey.h — the GUI monkey test: random SDL events pushed into the real main loop.
 *
 * What it is: `attnstep gui --monkey N [--monkey-seed S]` runs the ordinary window loop
 * while this module pushes N random events (keys with modifiers, text input including
 * invalid UTF-8 and long runs of text, mouse motion/clicks/drags, wheel, window resizes
 * from 1×1 up to 7680×4320, model and strategy switches) and then SDL_QUIT. Keys that
 * would end the program (Esc, Ctrl+Q) are delivered but their quit request is ignored.
 * It records the drawing time of every frame (gui_frame + backend), so the test can check
 * that frame times stay bounded, and prints a summary on stderr.
 * What it is not: no numerics, no assertions — tests/cli/test_gui_monkey.sh judges the
 * exit status, the sanitizer output and the summary.
 *
 *   Monkey mk; monkey_init(&mk, 50000, 1);
 *   while (!quit) { monkey_push(&mk, win); ...events...; t0 = now; draw; monkey_frame_time(&mk, now - t0); }
 *   monkey_report(&mk, stderr);
 */
#ifndef ATTNSTEP_GUI_MONKEY_H
#define ATTNSTEP_GUI_MONKEY_H

#include <stdint.h>
#include <stdio.h>

#include <SDL2/SDL.h>

#define MONKEY_MAX_FRAMES 200000

typedef struct Monkey {
    long total;        /* events to push; 0: the monkey is off */
    long pushed;       /* pushed so far */
    uint64_t rng;
    int quit_sent;
    long frames;
    float *frame_ms;   /* owned: drawing time per frame, MONKEY_MAX_FRAMES at most */
} Monkey;

/* Off when total <= 0. Returns -1 when the frame-time buffer cannot be allocated. */
int monkey_init(Monkey *mk, long total, uint64_t seed);
void monkey_free(Monkey *mk);
/* Pushes the next burst (1–16 events) onto SDL's queue; after the last one, SDL_QUIT.
 * No-op when the monkey is off. */
void monkey_push(Monkey *mk, SDL_Window *win);
void monkey_frame_time(Monkey *mk, double ms);
/* "monkey: N events, F frames, draw ms median M p99 P max X" on out. */
void monkey_report(const Monkey *mk, FILE *out);

#endif
