#!/usr/bin/env bash
# Xvfb smoke test of view 9 (live training) in the real window: key 9 opens it (a fresh
# reverse model, the worker thread paused), Space trains in the background while the window
# keeps drawing, Space pauses, O saves the model and opens it in the stepper (view 5), F12
# screenshots at each stage, Esc quits. Checks the exit status, that the screenshots differ
# (step 0, trained, the stepper), and that the saved file is a model `attnstep render` decodes.
# usage: test_live_xvfb.sh path/to/attnstep SOURCE_DIR   (skips, exit 0, without xvfb-run/xdotool)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/xvfb_lib.sh"
xvfb_setup "$@"
xvfb_skip_without_gui "$bin" render --help
xvfb_find_model "the window opens on one"
xvfb_enter_workdir
cat >drive.sh <<'INNER'
set -u
source "$XVFB_LIB"
bin="$1"; model="$2"
XVFB_KEY_DELAY=60 XVFB_KEY_PAUSE=0.4
xvfb_launch '^attnstep$' "$bin" gui --model "$model" --input "a b c d"
k 9                 # view 9: a fresh reverse model, paused at step 0
k F12
k space             # train in the background
sleep 3
k space             # pause
k F12
k o                 # save and open in the stepper
sleep 1
k F12
xvfb_quit Escape "the window"
INNER
xvfb_drive 130 1280x800x24 "$bin" "$model"

fail=0
xvfb_check_exit0 "the window"
for f in attnstep-screenshot-1.png attnstep-screenshot-2.png attnstep-screenshot-3.png; do
  [[ -s $f ]] || { echo "FAIL: no screenshot $f"; ls; cat app.log; fail=1; }
done
if [[ $fail -eq 0 ]]; then
  cmp -s attnstep-screenshot-1.png attnstep-screenshot-2.png && { echo "FAIL: training did not change view 9"; fail=1; }
  cmp -s attnstep-screenshot-2.png attnstep-screenshot-3.png && { echo "FAIL: O did not open the stepper"; fail=1; }
fi
saved=attnstep-live-reverse-dot.safetensors
[[ -s $saved && -s $saved.opt.safetensors ]] || { echo "FAIL: O did not save $saved (+ optimiser state)"; ls; fail=1; }
if [[ -s $saved ]]; then
  SDL_VIDEODRIVER=dummy "$bin" render --model "$saved" --input "a b c d e f g h" --view 5 --out saved.png >render.log 2>&1 \
    || { echo "FAIL: the saved model does not decode:"; cat render.log; fail=1; }
fi
[[ $fail -eq 0 ]] && echo "test_live_xvfb: view 9 trains in the window, pauses, saves and opens the model in the stepper"
exit $fail
