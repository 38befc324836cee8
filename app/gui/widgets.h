/* widgets.h — immediate-mode widgets (microui-style): each call draws and, given the
 * frame's UiInput, reports whether it was clicked. No retained state beyond GuiState.
 *
 *   if (ui_button(dl, th, in, r, "Play", active)) ...;
 */
#ifndef ATTNSTEP_GUI_WIDGETS_H
#define ATTNSTEP_GUI_WIDGETS_H

#include "gui.h"

/* A button; 1 when pressed this frame. active draws it selected. */
int ui_button(DrawList *dl, const Theme *th, const UiInput *in, Rect r, const char *label, int active);
/* A dropdown list under anchor; returns the picked index, -1 when none, -2 when the
 * click landed outside (close it). */
int ui_menu(DrawList *dl, const Theme *th, const UiInput *in, Rect anchor, const char *const *items, int n, int selected);
/* A single-line text box; returns 1 when clicked (focus it). Shows a caret when focused. */
int ui_textbox(DrawList *dl, const Theme *th, const UiInput *in, Rect r, const char *text, int focused);
/* The timeline bar: ticks for encoder steps (blue), decoder steps (red), beam expansions;
 * returns the position under the mouse while scrubbing (-1 otherwise). */
int ui_timeline(DrawList *dl, const Theme *th, const UiInput *in, Rect r, const TraceIndex *ix, int pos, int dragging);
/* The tooltip box near the mouse (multi-line text, '\n' separated). */
void ui_tooltip(DrawList *dl, const Theme *th, float w, float h);
/* The F1 help overlay listing every key. */
void ui_help(DrawList *dl, const Theme *th, Rect area);

#endif
