/* controls.h — the beam-search controls strip shown above views 6 (beam tree) and 7
 * (greedy vs beam): k, n-best, length penalty and α, coverage β, min/max length, n-gram
 * blocking (each change re-decodes: g->action = ACT_RUN), and the what-if / selection
 * buttons (force the selected hypothesis, reset).
 * What it is not: no decoding here (the app runs gui_run_model on ACT_RUN).
 *
 *   float ch = gui_controls_height(g, th);    // 0 when the view has no controls
 *   if (ch > 0) gui_controls(g, dl, th, in, (Rect){0, y, w, ch});
 */
#ifndef ATTNSTEP_GUI_CONTROLS_H
#define ATTNSTEP_GUI_CONTROLS_H

#include "gui.h"

float gui_controls_height(const GuiState *g, const Theme *th);
void gui_controls(GuiState *g, DrawList *dl, const Theme *th, const UiInput *in, Rect r);

#endif
