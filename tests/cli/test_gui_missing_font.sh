#!/usr/bin/env bash
# Missing font (issue 10 bad-input table): with a fontconfig configuration that knows no
# fonts, `attnstep render` and the window both refuse with a message naming the Debian
# package to install, exit 1, and write nothing.
# usage: test_gui_missing_font.sh path/to/attnstep SOURCE_DIR
set -euo pipefail
bin="$(realpath "$1")"
src="$(realpath "$2")"
if ! "$bin" --help | grep -q render; then echo "SKIP: built without the GUI"; exit 0; fi
model="$src/assets/models/reverse-tutorial.safetensors"
if [[ ! -f "$model" ]]; then echo "SKIP: no reverse-tutorial model"; exit 0; fi
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$src/tests/render/lsan.supp}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/fonts.conf" <<CONF
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><cachedir>$work/cache</cachedir></fontconfig>
CONF
export FONTCONFIG_FILE="$work/fonts.conf"
want='font "DejaVu Sans" not found by fontconfig: install the package fonts-dejavu-core'
fail=0
set +e
out=$(SDL_VIDEODRIVER=dummy "$bin" render --model "$model" --input "a b c" --out "$work/x.png" 2>&1); rc=$?
set -e
if [[ $rc -ne 1 || "$out" != *"$want"* ]]; then echo "FAIL: render: exit $rc, output: $out"; fail=1; fi
if [[ -e "$work/x.png" ]]; then echo "FAIL: render wrote a PNG without a font"; fail=1; fi
set +e
out=$(SDL_VIDEODRIVER=dummy SDL_RENDER_DRIVER=software ATTNSTEP_ALLOW_HEADLESS_WINDOW=1 "$bin" gui --model "$model" --input "a b c" 2>&1); rc=$?
set -e
if [[ $rc -ne 1 || "$out" != *"$want"* ]]; then echo "FAIL: gui: exit $rc, output: $out"; fail=1; fi
[[ $fail -eq 0 ]] && echo "missing font: render and gui name fonts-dejavu-core"
exit $fail
