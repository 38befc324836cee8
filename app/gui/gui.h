/* gui.h — the stepper's state and the frame it draws (shared by the window and `render`).
 *
 * What it is: GuiState holds the recorded trace, its timeline index, the position, the
 * view, theme, model choice, decoding strategy and the input text. gui_frame() is the
 * whole window as draw commands (top bar with view tabs and pickers, input box, the
 * current view, timeline, help overlay, tooltip) for a given size and input; the window
 * (app.c) and headless rendering (render.c) call the same function, so a PNG shows
 * exactly what the window shows. The app calls core only in gui_run_model() to
 * (re)compute a trace; views never do.
 * What it is not: no SDL here except through the backend in app.c / render.c.
 *
 *   GuiState g; gui_state_init(&g);
 *   gui_load_model(&g, "assets/models/reverse-tutorial.safetensors", &st);
 *   snprintf(g.input, sizeof g.input, "a b c");
 *   gui_run_model(&g, &st);
 *   gui_frame(&g, &dl, 1280, 720, &no_input);
 *   gui_state_free(&g);
 */
#ifndef ATTNSTEP_GUI_GUI_H
#define ATTNSTEP_GUI_GUI_H

#include "attnstep/decode.h"
#include "attnstep/events.h"
#include "attnstep/model.h"
#include "attnstep/seq2seq.h"
#include "draw.h"
#include "theme.h"
#include "timeline.h"
#include "views.h"

#define GUI_MAX_MODELS 64
#define GUI_INPUT_MAX 1024

typedef struct UiInput {
    float mx, my;        /* mouse (-1: none) */
    int down;            /* left button held */
    int pressed;         /* left button went down this frame */
    float wheel;         /* wheel steps this frame */
} UiInput;

typedef enum GuiAction { ACT_NONE, ACT_RUN, ACT_SCREENSHOT, ACT_EXPORT, ACT_FULLSCREEN, ACT_QUIT } GuiAction;

typedef struct GuiState {
    Trace *trace;            /* owned; NULL until a run or a loaded trace */
    TraceIndex ix;
    int have_ix;
    int pos;                 /* timeline position */
    ViewId view;
    int theme;               /* index for theme_by_index */
    Model *model;            /* owned (an RNN encoder–decoder or a Transformer, model.h), or NULL (trace replay) */
    char model_path[1024];
    char models[GUI_MAX_MODELS][1024]; /* assets/models/NAME.safetensors */
    int n_models;
    int beam;                /* 0: greedy, else beam width */
    char input[GUI_INPUT_MAX];
    int input_focus;
    int playing;
    float speed;             /* sub-steps per second while playing */
    float anim;              /* 0..1 transition into pos */
    int help;
    int menu;                /* open dropdown: 0 none, 1 model, 2 strategy, 3 theme */
    int dragging;            /* scrubbing the timeline */
    char message[512];       /* status line */
    int message_error;
    GuiAction action;        /* set by gui_frame when a widget asks the app for something */
    /* greedy vs beam (view 7), beam options and what-if (whatif.c) */
    Trace *alt_trace;        /* owned: the other strategy on the same input (greedy when the strategy is
                                beam, beam k = cmp_beam when it is greedy), or NULL */
    TraceIndex alt_ix;
    int have_alt;
    int cmp_beam;            /* beam width compared against greedy when the strategy is greedy (5) */
    int nbest;               /* beam options, as `attnstep translate`: n-best (clamped to 1..k) */
    int lenpen;              /* LengthPenalty */
    float alpha, coverage;   /* length penalty exponent, GNMT coverage beta */
    int min_len, max_len, no_repeat; /* 0: off / the model's cap */
    Trace *whatif_trace;     /* owned: the decode with a forced token, or NULL */
    TraceIndex whatif_ix;
    int have_whatif;
    int whatif_step, whatif_token;
    ViewPick pick;           /* what a click at the mouse would pick, this frame */
    int drag_step, drag_j;   /* view 4: the attention weight being dragged (-1: none) */
    float drag_weights[MODEL_MAX_SOURCE]; /* its step's weights as dragged, renormalised */
    struct LiveUi *live;     /* view 9, live training (live_train.h): owned, NULL until first shown */
} GuiState;

void gui_state_init(GuiState *g);
void gui_state_free(GuiState *g);
/* Lists assets/models/NAME.safetensors (next to the working directory, the executable, or
 * the source tree), skipping optimiser checkpoints (*.opt.safetensors). */
void gui_scan_models(GuiState *g);
/* The preferred trained model: default.safetensors, else the translation, dates, reverse
 * models, else the first listed. NULL when none. */
const char *gui_default_model(const GuiState *g);
/* A sentence the model's task understands (from its "task" metadata). */
const char *gui_default_input(const Model *m);
/* Loads a model file (replacing the current one on success). -1 with st. */
int gui_load_model(GuiState *g, const char *path, Status *st);
/* Decodes g->input with the model and strategy into a new trace; on success replaces the
 * trace and index and moves to the end position. -1 with st (the old trace stays). */
int gui_run_model(GuiState *g, Status *st);
/* Reads a JSONL trace file into g (the input box shows its source tokens). -1 with st. */
int gui_load_trace(GuiState *g, const char *path, Status *st);
/* Replaces the trace (takes ownership) and indexes it. -1 with st (t is freed). */
int gui_set_trace(GuiState *g, Trace *t, Status *st);
void gui_set_pos(GuiState *g, int pos);

/* The whole window as draw commands for a w×h window. in may be NULL (headless). */
void gui_frame(GuiState *g, DrawList *dl, int w, int h, const UiInput *in);
/* Writes the trace (JSONL) and the attention matrix of the shown hypothesis (CSV, one row
 * per target token, one column per source token). -1 with st. */
int gui_export(const GuiState *g, const char *jsonl_path, const char *csv_path, Status *st);

/* ---- greedy vs beam, what-if, tree selection (whatif.c) ---- */
/* The decode options of g's strategy and beam controls (no forced prefix). */
void gui_decode_options(const GuiState *g, DecodeOptions *o);
/* Reads a second JSONL trace as the comparison partner of the loaded one (must have the
 * same source tokens). -1 with st. */
int gui_load_alt_trace(GuiState *g, const char *path, Status *st);
/* What-if: forces `token` at decoder step `step` after the shown path's first `step`
 * tokens (the selected hypothesis's, else the output's) and decodes the rest with the
 * same options into g->whatif_*. -1 with st (no model, step out of range, bad token). */
int gui_whatif(GuiState *g, int step, int token, Status *st);
/* What-if on attention: at decoder step `step` the weights w (n = source length, >= 0,
 * renormalised to sum 1) replace the softmax weights; the shown path's first `step` tokens
 * are forced as in gui_whatif, the rest of the decode follows the model. The result is the
 * what-if (g->whatif_token = -1). -1 with st (no model, a model without attention or a
 * Transformer, step out of range, wrong count, negative/NaN or all-zero weights). */
int gui_whatif_attention(GuiState *g, int step, const float *w, int n, Status *st);
void gui_whatif_reset(GuiState *g);   /* back to the model's own choice */
/* Dragging an attention weight in view 4: source position j of decoder step `step` is set to
 * value (clamped to 0..1) and the other weights of the step are scaled so that all sum to 1
 * (kept in proportion; shared equally when j held all the weight). gui_drag_attention
 * starts or updates the drag (a no-op without an attention event at that step);
 * gui_drop_attention ends it and runs gui_whatif_attention with the dragged weights
 * (outcome or error in the status line). */
void gui_drag_attention(GuiState *g, int step, int j, float value);
void gui_drop_attention(GuiState *g);
/* Selects beam tree node ix.hyps[node] (-1: the best hypothesis): the per-step views
 * follow its path. -1 with st when out of range or the trace is not a beam trace. */
int gui_select_node(GuiState *g, int node, Status *st);
/* Acts on g->pick (a click in a view): PICK_TOKEN runs the what-if, PICK_NODE selects the
 * node; the outcome (or the error) goes to the status line. */
void gui_apply_pick(GuiState *g);
/* The comparison (greedy, beam n-best, what-if) as CSV; the beam tree as JSON (NULL: skip). */
int gui_export_compare(const GuiState *g, const char *csv_path, const char *json_path, Status *st);

/* Keyboard (app.c maps SDL keys onto these). */
void gui_step(GuiState *g, int delta);          /* ±1 sub-step */
void gui_step_decoder(GuiState *g, int delta);  /* ±1 decoder step */

/* `attnstep` / `attnstep gui` and `attnstep render` (commands.h). */
int cmd_gui(int argc, char **argv);
int cmd_render(int argc, char **argv);

#endif
