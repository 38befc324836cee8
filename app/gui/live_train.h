/* live_train.h — the training controller behind the app's live-training view (view 9).
 *
 * What it is: a LiveTrain owns one fresh RNN encoder–decoder for a task (reverse with a
 * small alphabet, dates, or a small French translate), its training and dev data, a core
 * Trainer (train.h), a fixed example sentence with its gold alignment, and optionally a
 * background thread (pthreads) that runs batches. Every `snapshot_every` steps it records
 * a LiveSnap: the step, the mean training loss since the previous snapshot, dev exact and
 * token accuracy (greedy, first n_dev dev examples), the example's attention matrix
 * computed TEACHER-FORCED (train_forward on the example with its reference target: row t
 * is where the decoder looks while producing reference token t, <eos> row included) and
 * the example's greedy output at that moment. From the matrix it derives, over the
 * reference rows (the <eos> row excluded; for dates also the two dashes, which come from
 * the output format and have no source character): the mean row entropy (nats), the mean
 * row maximum and the fraction of rows whose argmax is a gold link (corpus.h, "possible"
 * set). "Sharp" = mean row maximum >= 0.9 and every scored row's argmax on a gold link.
 * Every `loss_every` steps it appends the mean loss to a finer loss curve.
 * The UI reads snapshots and the loss curve between live_train_lock/unlock; it never
 * touches the trainer or the model: every command (play, step, reset, learning rate, save)
 * is queued and executed by the worker between two batches.
 * Without a thread (tests, `attnstep render`), live_train_run() runs steps in the caller
 * and commands execute at once: the same code, the same numbers (deterministic for a
 * seed: reset replays the run bit for bit).
 * What it is not: no drawing (view_training.c), no SDL.
 *
 *   LiveConfig c; live_config_default(&c, LIVE_REVERSE);
 *   Status st = {0};
 *   LiveTrain *lt = live_train_new(&c, &st);           // snapshot 0 taken
 *   live_train_run(lt, 500, &st);                      // synchronous: 500 batches
 *   live_train_lock(lt);
 *   const LiveSnap *s = lt->snaps[lt->n_snaps - 1];    // immutable once published
 *   printf("%ld %.3f %.3f\n", s->step, s->loss, s->entropy);
 *   live_train_unlock(lt);
 *   live_train_free(lt);
 *
 * Threaded: live_train_start(lt, &st) then live_train_play(lt, 1); live_train_free stops
 * and joins the thread.
 */
#ifndef ATTNSTEP_GUI_LIVE_TRAIN_H
#define ATTNSTEP_GUI_LIVE_TRAIN_H

#include <pthread.h>
#include <stdint.h>

#include "attnstep/corpus.h"
#include "attnstep/seq2seq.h"
#include "attnstep/status.h"
#include "attnstep/train.h"
#include "draw.h"

typedef enum LiveTask { LIVE_REVERSE, LIVE_DATES, LIVE_TRANSLATE, LIVE_TASK_COUNT } LiveTask;

/* Architecture and attention presets (all hidden `hidden`, one layer). */
typedef enum LiveArch {
    LIVE_ARCH_BI_ADDITIVE, /* rnn-seq2seq: bidirectional GRU encoder, additive, query = previous state (Bahdanau 2015) */
    LIVE_ARCH_ADDITIVE,   /* tutorial-gru-bahdanau: GRU, additive (Bahdanau), query = previous state; its
                             attention on reverse is the anti-diagonal shifted by one (docs/models.md) */
    LIVE_ARCH_DOT,        /* rnn-seq2seq: GRU, dot (Luong), query = current state, input feeding */
    LIVE_ARCH_GENERAL,    /* rnn-seq2seq: LSTM, general (Luong), query = current state, input feeding */
    LIVE_ARCH_SCALED_DOT, /* rnn-seq2seq: GRU, scaled dot, query = current state, input feeding */
    LIVE_ARCH_NONE,       /* rnn-seq2seq: GRU, no attention (the baseline: no heatmap) */
    LIVE_ARCH_COUNT
} LiveArch;

const char *live_task_name(LiveTask t);   /* "reverse", "dates", "translate" */
const char *live_arch_name(LiveArch a);   /* "bi-additive", "additive", "dot", "general", "scaled_dot", "none" */
const char *live_arch_label(LiveArch a);  /* "BiGRU + additive (Bahdanau 2015)", ... */
int live_task_from_name(const char *s);   /* -1 when unknown */
int live_arch_from_name(const char *s);   /* -1 when unknown */

#define LIVE_EXAMPLE_MAX 256

typedef struct LiveConfig {
    LiveTask task;
    LiveArch arch;
    int hidden;          /* 64 */
    int batch;           /* 32 */
    float lr;            /* 0.003 */
    float clip;          /* 1.0 */
    uint64_t seed;       /* model init and batch sampling (1) */
    uint64_t data_seed;  /* corpora (1) */
    int n_train;         /* training examples (reverse 5000, dates 10000, translate 10000) */
    int n_dev;           /* dev examples scored at each snapshot (100) */
    int snapshot_every;  /* steps between snapshots (reverse 10, dates 50, translate 100) */
    int loss_every;      /* steps per point of the loss curve (10) */
    long max_steps;      /* the worker pauses after this many steps (reverse 2000, dates 6000, translate 20000); 0: never */
    int threads;         /* trainer worker threads (1: the other core stays with the UI) */
    char example[LIVE_EXAMPLE_MAX]; /* "" = the task's default example; reverse: symbols separated
                                       by spaces; translate: an English sentence of the grammar
                                       (tag optional, French by default); dates: only the default */
} LiveConfig;

void live_config_default(LiveConfig *c, LiveTask task);

#define LIVE_MAX_TOK 64      /* example tokens per side, <eos> included */
#define LIVE_MAX_SNAPS 240   /* when full, every other snapshot is dropped (first and last kept)
                                and snapshot_every doubles: the strip always covers the run */
#define LIVE_MAX_LOSS 2000   /* loss points; when full, pairs are averaged and loss_every doubles */

typedef struct LiveSnap {
    long step;           /* optimiser steps done */
    double seconds;      /* training wall time up to this snapshot (pauses excluded) */
    float loss;          /* mean batch loss since the previous snapshot (NaN at step 0) */
    float lr;            /* learning rate in force */
    float dev_exact, dev_token; /* greedy on the dev examples, 0..1 */
    float entropy;       /* mean row entropy of attn over the reference rows, nats (NaN: no attention) */
    float max_weight;    /* mean row maximum over the reference rows (NaN: no attention) */
    float align;         /* fraction of reference rows whose argmax is a gold link (NaN: no attention) */
    int sharp;           /* max_weight >= LIVE_SHARP_MAX and align >= LIVE_SHARP_ALIGN */
    int T, S;            /* rows (reference tokens + <eos>), columns (source tokens + <eos>) */
    float *attn;         /* (T, S) teacher-forced weights, owned; NULL without attention */
    char output[512];    /* the example's greedy output now (tokens joined like the target) */
    int output_ok;       /* the output equals the reference */
} LiveSnap;

#define LIVE_SHARP_MAX 0.9f
#define LIVE_SHARP_ALIGN 1.0f

typedef enum LiveCmdKind { LIVE_CMD_RESET, LIVE_CMD_LR, LIVE_CMD_SAVE } LiveCmdKind;
typedef struct LiveCmd {
    LiveCmdKind kind;
    float lr;
    char path[1024];
} LiveCmd;
#define LIVE_MAX_CMDS 8

typedef struct LiveTrain {
    LiveConfig cfg;
    /* the example (constant for the controller's life) */
    int ex_S, ex_T;                      /* with <eos> */
    char ex_src[LIVE_MAX_TOK][48];       /* tokens as shown ("<eos>" last) */
    char ex_tgt[LIVE_MAX_TOK][48];
    unsigned char ex_gold[LIVE_MAX_TOK][LIVE_MAX_TOK]; /* [t][s]: 2 sure, 1 possible, 0 none */
    char ex_src_text[LIVE_EXAMPLE_MAX], ex_tgt_text[LIVE_EXAMPLE_MAX];
    int has_attention;
    long param_count;
    int n_train, n_dev;

    /* ---- published state: read and written under mu ---- */
    pthread_mutex_t mu;
    pthread_cond_t wake;                 /* the worker waits for work */
    pthread_cond_t idle;                 /* signalled after each command / step */
    LiveSnap *snaps[LIVE_MAX_SNAPS];     /* each immutable once published; freed on reset/free */
    int n_snaps;
    int snap_every;                      /* current spacing (grows when the list is thinned) */
    float loss_pts[LIVE_MAX_LOSS];       /* mean loss of each loss_every-step block */
    long loss_step[LIVE_MAX_LOSS];       /* the step ending each block */
    int n_loss;
    int loss_every;                      /* current block size */
    long step;                           /* optimiser steps done */
    double seconds;                      /* training wall time (pauses excluded) */
    float lr;                            /* learning rate in force */
    double steps_per_s;                  /* recent speed */
    int playing;                         /* the worker runs batches */
    int step_req;                        /* single steps requested while paused */
    long stop_at;                        /* the worker pauses at this step (0: never) */
    LiveCmd cmds[LIVE_MAX_CMDS];
    int n_cmds;
    long done_cmds;                      /* commands executed so far */
    long saved_count;                    /* successful saves so far */
    char saved_path[1024];               /* the last saved file */
    char message[512];                   /* the last command's outcome / error, for the status line */
    int message_error;
    int failed;                          /* the loss became NaN/Inf: training stopped (message says why) */
    int quit;
    int threaded;
    int busy;                            /* the worker is executing a command */
    float pace;                          /* max steps per second while playing (0: full speed) */
    int parked;                          /* the worker waits for work */

    /* ---- worker-only (the thread, or the caller in synchronous mode) ---- */
    pthread_t thread;
    Seq2Seq *model;
    Trainer *trainer;
    TrainData train, dev;
    TrainActs *ex_acts;                  /* batch of one: the example */
    Seq2SeqRun *ex_run;                  /* greedy decoding of the example */
    int ex_src_ids[LIVE_MAX_TOK], ex_tgt_ids[LIVE_MAX_TOK];
    char *vocab_src, *vocab_tgt, *config_json, *meta_corpus, *meta_train; /* for (re)building */
    double acc_loss; long acc_n;         /* since the last snapshot */
    double blk_loss; long blk_n;         /* since the last loss point */
    double speed_t0; long speed_s0;      /* speed window */
} LiveTrain;

/* Builds the data, the model (seeded), the trainer and snapshot 0. NULL with st on a bad
 * config (names the field) or an example outside the task. */
LiveTrain *live_train_new(const LiveConfig *cfg, Status *st);
/* Stops and joins the worker (if any), frees everything. NULL is a no-op. */
void live_train_free(LiveTrain *lt);

/* Starts the background worker (paused). -1 with st when the thread cannot start. */
int live_train_start(LiveTrain *lt, Status *st);
/* Synchronous mode only (no worker): runs n batches now, taking snapshots on the way.
 * Stops early at a NaN/Inf loss (-1 with st). */
int live_train_run(LiveTrain *lt, long n, Status *st);

/* Commands (threaded: queued for the worker and executed between batches; synchronous:
 * at once). The outcome goes to lt->message. */
void live_train_play(LiveTrain *lt, int on);       /* run / pause */
void live_train_step(LiveTrain *lt);               /* one batch (when paused) */
void live_train_reset(LiveTrain *lt);              /* fresh model with the same seed, step 0 */
void live_train_set_lr(LiveTrain *lt, float lr);   /* (0, 1]: takes effect at the next batch */
void live_train_save(LiveTrain *lt, const char *path); /* trainer_save: a model file the stepper opens */
/* Threaded: blocks until every queued command has run and no single step is pending. */
void live_train_wait(LiveTrain *lt);

void live_train_lock(LiveTrain *lt);
void live_train_unlock(LiveTrain *lt);

/* The first snapshot that is sharp (LiveSnap.sharp), or -1. Call under the lock. */
int live_train_first_sharp(const LiveTrain *lt);
/* Slow motion: at most `steps_per_s` batches per second while playing (0: full speed). */
void live_train_set_pace(LiveTrain *lt, float steps_per_s);

/* ------------------------------------------------------------------------ */
/* View 9 (view_training.c): the window's live-training panel                */
/* ------------------------------------------------------------------------ */

struct GuiState;
struct DrawList;
struct Theme;
struct UiInput;

/* The panel's own state, kept in GuiState.live (NULL until view 9 is first shown). */
typedef struct LiveUi {
    LiveTrain *lt;           /* owned; NULL when building it failed (message says why) */
    LiveTask task;           /* the pickers' choice (a change rebuilds the controller) */
    LiveArch arch;
    int sel;                 /* the snapshot shown: index, or -1 = follow the latest */
    int menu;                /* open picker: 0 none, 1 task, 2 architecture */
    int slow;                /* slow motion on */
    int threaded;            /* the controller runs a worker thread (the window; not render/tests) */
    long open_after_save;    /* "open in stepper": the save count to wait for, or -1 */
    char message[600];       /* the panel's last outcome (errors of building, saving, opening) */
    int message_error;
} LiveUi;

/* Creates g->live (if needed) and a controller for cfg (replacing any), threaded or not.
 * -1 with st (also kept in the panel's message). */
int gui_training_open(struct GuiState *g, const LiveConfig *cfg, int threaded, Status *st);
void gui_training_free(struct GuiState *g);          /* frees g->live; NULL is a no-op */
/* Draws view 9 into area (below the top bar) and acts on clicks. Opens a threaded
 * reverse controller on first use. */
void gui_training_frame(struct GuiState *g, struct DrawList *dl, const struct Theme *th, const struct UiInput *in, Rect area);
/* Keys of view 9 (SDL keycodes); 1 when handled. */
int gui_training_key(struct GuiState *g, int sym, int shift);
/* Something moves (training playing, a save to open pending): the window keeps drawing. */
int gui_training_active(const struct GuiState *g);
/* Called each frame by the window: opens the saved model in the stepper once saved. */
void gui_training_poll(struct GuiState *g);
/* `attnstep render --view 9`: opens a controller for task/arch (names; NULL = reverse, dot),
 * runs `steps` batches synchronously (unless threaded), shows snapshot `scrub` (-1: the
 * latest) and, with log, prints the snapshot table. -1 with st on a bad name or value. */
int gui_training_render_setup(struct GuiState *g, const char *task, const char *arch, long steps, int scrub, int log, int threaded,
                              Status *st);
/* `render --live-seconds`: plays the threaded controller for up to `seconds` while the caller's
 * draw_frame draws view 9 at 60 Hz; prints frame times and when the first sharp snapshot
 * reached the UI. */
int gui_training_live_bench(struct GuiState *g, double seconds, void (*draw_frame)(void *ctx), void *ctx, Status *st);

#endif
