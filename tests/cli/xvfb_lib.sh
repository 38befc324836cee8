# shellcheck shell=bash disable=SC2034  # bin, src, model, fail, wid, app_pid are for the sourcing script
# xvfb_lib.sh — what the Xvfb window tests (test_gui_xvfb.sh, test_lesson_xvfb.sh,
# test_live_xvfb.sh) share: their skip checks, the work directory and environment, running a
# driver script on a virtual display, and inside that driver: starting the app, finding its
# window, sending keys and quitting. Sourced, never run (its name does not match test_*.sh,
# so CMake adds no test for it). Each test keeps its own GUI probe, key sequence and checks.
#
# A test:
#   source "$(dirname "${BASH_SOURCE[0]}")/xvfb_lib.sh"
#   xvfb_setup "$@"                          # bin, src; skips (exit 0) without xvfb-run/xdotool
#   xvfb_skip_without_gui "$bin" render --help   # skips when this command fails
#   xvfb_find_model "why a model is needed"  # model=..., or skips
#   xvfb_enter_workdir                       # a temporary directory (kept with KEEP_GUI_TEST=1)
#   cat >drive.sh <<'INNER'                  # runs on the display; $XVFB_LIB is exported
#   source "$XVFB_LIB"
#   xvfb_launch '^attnstep$' "$1" gui --model "$2"   # app.log; wid, app_pid
#   k Right F12                              # keys, XVFB_KEY_DELAY ms apart, then XVFB_KEY_PAUSE s
#   xvfb_quit Escape "the window"            # driver.log gets "exit N" (the app's status)
#   INNER
#   xvfb_drive 130 1280x800x24 "$bin" "$model"   # xvfb-run -n 130; fails the test if drive.sh fails
#   fail=0; xvfb_check_exit0 "the window"    # fail=1 unless the app exited 0
#
# Display numbers: each test has its own -n (110, 120, 130) and ctest never runs two of them
# at once (RESOURCE_LOCK xvfb in CMakeLists.txt: xvfb-run -a can hand two of them one display).

XVFB_LIB="$(realpath "${BASH_SOURCE[0]}")"
export XVFB_LIB

# ---- the test's side ----

# xvfb_setup BIN SOURCE_DIR: sets bin and src (absolute); skips without xvfb-run or xdotool.
xvfb_setup() {
  bin="$(realpath "$1")"
  src="$(realpath "$2")"
  if ! command -v xvfb-run >/dev/null || ! command -v xdotool >/dev/null; then
    echo "SKIP: xvfb-run or xdotool missing (apt-get install xvfb xdotool)"
    exit 0
  fi
}

# xvfb_skip_without_gui CMD...: skips when CMD (a probe of a GUI-only command) fails.
xvfb_skip_without_gui() {
  if ! "$@" >/dev/null 2>&1; then
    echo "SKIP: attnstep was built without the GUI (ATTNSTEP_GUI=OFF)"
    exit 0
  fi
}

# xvfb_find_model REASON: model = the first shipped model of reverse-tutorial, dates-tutorial,
# default; skips (saying REASON) when there is none.
xvfb_find_model() {
  model=""
  local m
  for m in reverse-tutorial dates-tutorial default; do
    [[ -f "$src/assets/models/$m.safetensors" ]] && model="$src/assets/models/$m.safetensors" && break
  done
  if [[ -z "$model" ]]; then
    echo "SKIP: no trained model in assets/models ($1)"
    exit 0
  fi
}

# xvfb_enter_workdir: the sanitizer and renderer environment, then cd into a fresh temporary
# directory, removed at exit unless KEEP_GUI_TEST is set.
xvfb_enter_workdir() {
  # sanitizer builds: only the justified third-party suppressions (tests/render/lsan.supp);
  # the software renderer keeps the GL driver (dlopen'ed, unsymbolisable) out of the process
  export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$src/tests/render/lsan.supp}"
  export SDL_RENDER_DRIVER=software
  work="$(mktemp -d)"
  trap '[[ -n "${KEEP_GUI_TEST:-}" ]] || rm -rf "$work"' EXIT
  cd "$work" || exit 1
}

# xvfb_drive DISPLAY_NUMBER SCREEN ARGS...: runs `bash drive.sh ARGS...` on a virtual display
# (xvfb-run -a -n DISPLAY_NUMBER, screen SCREEN, e.g. 1280x800x24), at most 120 s. When it
# fails: its exit status, app.log and driver.log, and the test exits 1.
xvfb_drive() {
  local n="$1" screen="$2"
  shift 2
  timeout 120 xvfb-run -a -n "$n" -s "-screen 0 $screen" bash drive.sh "$@" \
    || { echo "FAIL: drive.sh (exit $?)"; cat app.log driver.log 2>/dev/null; exit 1; }
}

# xvfb_check_exit0 WHAT: fail=1 (with the logs) unless driver.log says the app exited 0.
xvfb_check_exit0() {
  grep -q "^exit 0$" driver.log || { echo "FAIL: $1 did not exit 0:"; cat driver.log app.log; fail=1; }
}

# ---- the driver's side (inside drive.sh, on the virtual display) ----

XVFB_KEY_DELAY="${XVFB_KEY_DELAY:-60}" # ms between the keys of one k call
XVFB_KEY_PAUSE="${XVFB_KEY_PAUSE:-0.4}" # s after each k call

# xvfb_launch NAME_REGEX CMD...: starts CMD in the background (output in app.log; leak checks
# off for the window session only: SDL dlopen()s the X11 client libraries and dlclose()s them
# in SDL_Quit, so their process-lifetime allocations (XIM/locale caches) end up in
# "<unknown module>" and cannot be suppressed by name; ASan/UBSan errors still abort, and the
# headless tests (tests/render) keep full leak checks), waits up to 10 s for a window whose
# name matches NAME_REGEX and focuses it. Sets app_pid and wid; exits 1 when no window appears.
xvfb_launch() {
  xvfb_window_re="$1"
  shift
  unset SDL_VIDEODRIVER
  LSAN_OPTIONS="detect_leaks=0" "$@" >app.log 2>&1 &
  app_pid=$!
  wid=""
  for _ in $(seq 1 100); do
    xvfb_find_window
    [[ -n "$wid" ]] && break
    sleep 0.1
  done
  if [[ -z "$wid" ]]; then echo "no window appeared"; cat app.log; kill "$app_pid" 2>/dev/null; exit 1; fi
  xdotool windowfocus --sync "$wid" 2>/dev/null || true
}

# xvfb_find_window: sets wid to the newest window whose name matches xvfb_window_re ("" when
# none). A window id can go stale while the app starts (seen under ASan: X_SendEvent
# BadWindow on the first id found), so k and xvfb_quit look it up again when a send fails.
xvfb_find_window() {
  wid=$(xdotool search --name "$xvfb_window_re" 2>/dev/null | tail -1 || true)
}

# k KEY...: sends the keys to the window, then pauses.
k() {
  xdotool key --window "$wid" --delay "$XVFB_KEY_DELAY" "$@" 2>/dev/null \
    || { xvfb_find_window; xdotool key --window "$wid" --delay "$XVFB_KEY_DELAY" "$@"; }
  sleep "$XVFB_KEY_PAUSE"
}

# xvfb_quit KEY WHAT: sends KEY (which closes the window: no more keys to it), waits up to 5 s
# for the app to end and appends its exit status to driver.log ("exit N"); exits 1 (killing
# the app) when it is still running.
xvfb_quit() {
  xdotool key --window "$wid" "$1" 2>/dev/null || { xvfb_find_window; xdotool key --window "$wid" "$1" 2>/dev/null; } || true
  for _ in $(seq 1 50); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$app_pid" 2>/dev/null; then echo "$2 did not quit on $1"; kill "$app_pid"; exit 1; fi
  local rc=0
  wait "$app_pid" || rc=$?
  echo "exit $rc" >>driver.log
}
