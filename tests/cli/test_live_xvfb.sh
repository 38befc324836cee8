#!/usr/bin/env bash
# Xvfb smoke test of view 9 (live training) in the real window: key 9 opens it (a fresh
# reverse model, the worker thread paused), Space trains in the background while the window
# keeps drawing, Space pauses, O saves the model and opens it in the stepper (view 5), F12
# screenshots at each stage, Esc quits. Checks the exit status, that the screenshots differ
# (step 0, trained, the stepper), and that the saved file is a model `attnstep render` decodes.
# usage: test_live_xvfb.sh path/to/attnstep SOURCE_DIR   (skips, exit 0, without xvfb-run/xdotool)
set -euo pipefail
bin="$(realpath "$1")"
src="$(realpath "$2")"
if ! command -v xvfb-run >/dev/null || ! command -v xdotool >/dev/null; then
  echo "SKIP: xvfb-run or xdotool missing (apt-get install xvfb xdotool)"
  exit 0
fi
if ! "$bin" render --help >/dev/null 2>&1; then
  echo "SKIP: attnstep was built without the GUI (ATTNSTEP_GUI=OFF)"
  exit 0
fi
model=""
for m in reverse-tutorial dates-tutorial default; do
  [[ -f "$src/assets/models/$m.safetensors" ]] && model="$src/assets/models/$m.safetensors" && break
done
if [[ -z "$model" ]]; then
  echo "SKIP: no trained model in assets/models (the window opens on one)"
  exit 0
fi
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$src/tests/render/lsan.supp}"
export SDL_RENDER_DRIVER=software
work="$(mktemp -d)"
trap '[[ -n "${KEEP_GUI_TEST:-}" ]] || rm -rf "$work"' EXIT
cd "$work"
cat >drive.sh <<'INNER'
set -u
bin="$1"; model="$2"
unset SDL_VIDEODRIVER
# leak checks off for the window session only (X11 libraries dlopen'ed by SDL; see test_gui_xvfb.sh)
LSAN_OPTIONS="detect_leaks=0" "$bin" gui --model "$model" --input "a b c d" >app.log 2>&1 &
pid=$!
wid=""
for _ in $(seq 1 100); do
  wid=$(xdotool search --name '^attnstep$' 2>/dev/null | head -1 || true)
  [[ -n "$wid" ]] && break
  sleep 0.1
done
if [[ -z "$wid" ]]; then echo "no window appeared"; cat app.log; kill "$pid" 2>/dev/null; exit 1; fi
xdotool windowfocus --sync "$wid" 2>/dev/null || true
k() { xdotool key --window "$wid" --delay 60 "$@"; sleep 0.4; }
k 9                 # view 9: a fresh reverse model, paused at step 0
k F12
k space             # train in the background
sleep 3
k space             # pause
k F12
k o                 # save and open in the stepper
sleep 1
k F12
xdotool key --window "$wid" Escape 2>/dev/null || true
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then echo "the window did not quit on Escape"; kill "$pid"; exit 1; fi
wait "$pid"
echo "exit $?" >driver.log
INNER
timeout 120 xvfb-run -a -n 130 -s "-screen 0 1280x800x24" bash drive.sh "$bin" "$model" || { echo "FAIL: drive.sh (exit $?)"; cat app.log driver.log 2>/dev/null; exit 1; }

fail=0
grep -q "^exit 0$" driver.log || { echo "FAIL: the window did not exit 0:"; cat driver.log app.log; fail=1; }
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
