#!/usr/bin/env bash
# Xvfb smoke test of the real window: start `attnstep gui` on a virtual display, drive it
# with xdotool (step, switch views, re-run a typed input, F12 screenshot, Ctrl+E export,
# F1 help, quit) and check its files and exit status.
# usage: test_gui_xvfb.sh path/to/attnstep SOURCE_DIR   (skips, exit 0, without xvfb-run/xdotool)
set -euo pipefail
bin="$(realpath "$1")"
src="$(realpath "$2")"
if ! command -v xvfb-run >/dev/null || ! command -v xdotool >/dev/null; then
  echo "SKIP: xvfb-run or xdotool missing (apt-get install xvfb xdotool)"
  exit 0
fi
if ! "$bin" --help | grep -q render; then
  echo "SKIP: attnstep was built without the GUI (ATTNSTEP_GUI=OFF)"
  exit 0
fi
model=""
for m in reverse-tutorial dates-tutorial default; do
  [[ -f "$src/assets/models/$m.safetensors" ]] && model="$src/assets/models/$m.safetensors" && break
done
if [[ -z "$model" ]]; then
  echo "SKIP: no trained model in assets/models (views are never shown on untrained models)"
  exit 0
fi
# sanitizer builds: only the justified third-party suppressions (tests/render/lsan.supp);
# the software renderer keeps the GL driver (dlopen'ed, unsymbolisable) out of the process
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$src/tests/render/lsan.supp}"
export SDL_RENDER_DRIVER=software
work="$(mktemp -d)"
trap '[[ -n "${KEEP_GUI_TEST:-}" ]] || rm -rf "$work"' EXIT
cd "$work"
cat >drive.sh <<'INNER'
set -u
bin="$1"; model="$2"
unset SDL_VIDEODRIVER
# Sanitizer builds: leak checking is off for the window session only. SDL dlopen()s the X11
# client libraries and dlclose()s them in SDL_Quit, so their process-lifetime allocations
# (XIM/locale caches) end up in "<unknown module>" and cannot be suppressed by name.
# ASan/UBSan errors still abort; the headless tests (tests/render) keep full leak checks.
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
k() { xdotool key --window "$wid" --delay 60 "$@"; sleep 0.25; }
k Right Right shift+Right 4 5 6 1 2 3
k F12
k ctrl+e
k F1
k Escape
k End Home
k Tab ctrl+u
xdotool type --window "$wid" --delay 40 "a b c"
k Return
k F12
sleep 0.3
xdotool key --window "$wid" ctrl+q 2>/dev/null || true
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then echo "the app did not quit on Ctrl+Q"; kill "$pid"; exit 1; fi
wait "$pid"; rc=$?
cat app.log
exit $rc
INNER
if ! xvfb-run -a -n 110 -s "-screen 0 1400x900x24" bash drive.sh "$bin" "$model"; then
  echo "FAIL: the GUI session failed"
  exit 1
fi
fail=0
for f in attnstep-screenshot-1.png attnstep-screenshot-2.png attnstep-trace-1.jsonl attnstep-attention-1.csv; do
  if [[ ! -s "$f" ]]; then echo "FAIL: $f was not written"; fail=1; fi
done
if [[ -s attnstep-screenshot-1.png ]] && cmp -s attnstep-screenshot-1.png attnstep-screenshot-2.png; then
  echo "FAIL: the screenshots before and after re-running a new input are identical"; fail=1
fi
if [[ -s attnstep-trace-1.jsonl ]] && ! head -1 attnstep-trace-1.jsonl | grep -q '"type":"run"'; then
  echo "FAIL: the exported trace does not start with a run event"; fail=1
fi
# without a display, the app says so and points to `attnstep render`
out=$(env -u DISPLAY -u WAYLAND_DISPLAY SDL_VIDEODRIVER=dummy "$bin" gui --model "$model" 2>&1 || true)
if ! grep -q "attnstep render" <<<"$out"; then echo "FAIL: no-display message does not mention attnstep render: $out"; fail=1; fi
[[ $fail -eq 0 ]] && echo "ok: window opened, keys handled, screenshot/export written, quit cleanly"
exit $fail
