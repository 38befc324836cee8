#!/usr/bin/env bash
# GUI monkey test (issue 10): the real main loop under SDL's dummy video driver receives
# 50,000 random events (keys, text with invalid UTF-8 and long runs, mouse, wheel, window
# sizes from 1x1 to 7680x4320, model and strategy switches; app/gui/monkey.c), then quits.
# Passes when the app exits 0 (sanitizer builds abort on any report, leaks included),
# every event was delivered and drawing times stayed bounded.
# usage: test_gui_monkey.sh path/to/attnstep SOURCE_DIR [EVENTS]
set -euo pipefail
bin="$(realpath "$1")"
src="$(realpath "$2")"
events="${3:-${MONKEY_EVENTS:-50000}}"
if ! "$bin" --help | grep -q render; then
  echo "SKIP: attnstep was built without the GUI (ATTNSTEP_GUI=OFF)"
  exit 0
fi
if ! ls "$src"/assets/models/*.safetensors >/dev/null 2>&1; then
  echo "SKIP: no trained model in assets/models (views are never shown on untrained models)"
  exit 0
fi
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$src/tests/render/lsan.supp}"
export SDL_VIDEODRIVER=dummy SDL_RENDER_DRIVER=software ATTNSTEP_ALLOW_HEADLESS_WINDOW=1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work" # screenshots (F12) and exports (Ctrl+E) land here
fail=0
for seed in 1 2; do
  if ! "$bin" gui --monkey "$events" --monkey-seed "$seed" >out.log 2>err.log; then
    echo "FAIL: seed $seed: exit status $?"; tail -30 err.log; fail=1; continue
  fi
  line=$(grep '^monkey:' err.log || true)
  echo "seed $seed: $line"
  read -r got p99 max < <(sed -E 's/^monkey: ([0-9]+) events.*p99 ([0-9.]+) max ([0-9.]+).*/\1 \2 \3/' <<<"$line")
  if [[ "$got" != "$events" ]]; then echo "FAIL: seed $seed delivered '$got' of $events events"; fail=1; fi
  # bounded: generous enough for sanitizer builds and 8K software rendering
  if ! awk -v p="$p99" -v m="$max" 'BEGIN { exit !(p < 250 && m < 5000) }'; then
    echo "FAIL: seed $seed: drawing time p99 $p99 ms / max $max ms"; fail=1
  fi
done
exit $fail
