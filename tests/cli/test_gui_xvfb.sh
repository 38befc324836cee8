#!/usr/bin/env bash
# Xvfb smoke test of the real window: start `attnstep gui` on a virtual display, drive it
# with xdotool (step, switch views, re-run a typed input, F12 screenshot, Ctrl+E export,
# F1 help, quit) and check its files and exit status.
# usage: test_gui_xvfb.sh path/to/attnstep SOURCE_DIR   (skips, exit 0, without xvfb-run/xdotool)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/xvfb_lib.sh"
xvfb_setup "$@"
has_render() { "$bin" --help | grep -q render; }
xvfb_skip_without_gui has_render
xvfb_find_model "views are never shown on untrained models"
xvfb_enter_workdir
cat >drive.sh <<'INNER'
set -u
source "$XVFB_LIB"
bin="$1"; model="$2"
XVFB_KEY_DELAY=60 XVFB_KEY_PAUSE=0.25
xvfb_launch '^attnstep$' "$bin" gui --model "$model" --input "a b c d"
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
xvfb_quit ctrl+q "the app"
INNER
xvfb_drive 110 1400x900x24 "$bin" "$model"
fail=0
xvfb_check_exit0 "the GUI session"
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
