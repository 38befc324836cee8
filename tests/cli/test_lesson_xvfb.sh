#!/usr/bin/env bash
# Xvfb smoke test of the presenter window: `attnstep lesson` on a virtual display, driven
# with xdotool like a presentation clicker (PageDown/PageUp, arrows, End), B to blank, the
# pen, zoom, the speaker-notes window, F12 screenshots and Esc; checks which slide each
# screenshot shows (by size and by pixels: the blank one is black, the others are not) and
# the exit status.
# usage: test_lesson_xvfb.sh path/to/attnstep SOURCE_DIR   (skips, exit 0, without xvfb-run/xdotool)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/xvfb_lib.sh"
xvfb_setup "$@"
xvfb_skip_without_gui "$bin" lesson export --help
xvfb_enter_workdir
cat >drive.sh <<'INNER'
set -u
source "$XVFB_LIB"
bin="$1"; lesson="$2"
XVFB_KEY_DELAY=80 XVFB_KEY_PAUSE=0.4
xvfb_launch '^attnstep .+ lesson$' "$bin" lesson "$lesson" --windowed
k F12                      # slide 1
k Next Right               # clicker forward twice: slide 3
k F12
k b F12                    # blank
k b                        # back
k p
xdotool mousemove --window "$wid" 300 300 mousedown 1 mousemove --window "$wid" 500 400 mouseup 1
sleep 0.3
k F12                      # slide 3 with a pen stroke
k Prior                    # back: slide 2
k F12
k n                        # the notes window
notes=""
for _ in $(seq 1 30); do
  notes=$(xdotool search --name 'speaker notes' 2>/dev/null | head -1 || true)
  [[ -n "$notes" ]] && break
  sleep 0.1
done
echo "notes window: ${notes:-none}" >driver.log
xdotool windowfocus --sync "$wid" 2>/dev/null || true
k z 0 F1 F1 End            # zoom, reset, help on/off, last slide
k F12
xvfb_quit Escape "the presenter"
INNER
xvfb_drive 120 1280x800x24 "$bin" "$src/lessons/en/03-beam-search.md"

fail=0
xvfb_check_exit0 "presenter"
grep -q "^notes window: [0-9]" driver.log || { echo "FAIL: N did not open the speaker-notes window"; cat driver.log app.log; fail=1; }
for f in attnstep-slide-01-1.png attnstep-slide-03-1.png attnstep-slide-03-2.png attnstep-slide-03-3.png attnstep-slide-02-1.png attnstep-slide-05-1.png; do
  [[ -s $f ]] || { echo "FAIL: no screenshot $f (the slide keys did not move as a clicker expects)"; ls; cat app.log; fail=1; }
done
# pixels: the blank screenshot is black, the slides are not; the pen changes the slide
python3 - <<'PY' || fail=1
import struct, sys, zlib
def pixels(path):
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', path
    i, idat, w, h, ct = 8, b'', 0, 0, 0
    while i < len(data):
        n, t = struct.unpack('>I4s', data[i:i + 8])
        body = data[i + 8:i + 8 + n]
        if t == b'IHDR': w, h, bd, ct = struct.unpack('>IIBB', body[:10])
        if t == b'IDAT': idat += body
        i += 12 + n
    bpp = {2: 3, 6: 4}[ct]
    raw, out, prev = zlib.decompress(idat), [], bytearray(w * bpp)
    stride = w * bpp
    for y in range(h):
        f, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = row[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1: row[x] = (row[x] + a) & 255
            elif f == 2: row[x] = (row[x] + b) & 255
            elif f == 3: row[x] = (row[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[x] = (row[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out.append(bytes(row)); prev = row
    return w, h, bpp, out
def nonblack(path):
    w, h, bpp, rows = pixels(path)
    return sum(1 for r in rows for x in range(0, w * bpp, bpp) if r[x] | r[x + 1] | r[x + 2])
bad = 0
blank = nonblack('attnstep-slide-03-2.png')
if blank: print('FAIL: the blank screen has %d non-black pixels' % blank); bad = 1
for f in ['attnstep-slide-01-1.png', 'attnstep-slide-03-1.png', 'attnstep-slide-02-1.png']:
    if nonblack(f) < 100000: print('FAIL: %s looks empty' % f); bad = 1
a, b = pixels('attnstep-slide-03-1.png')[3], pixels('attnstep-slide-03-3.png')[3]
if a == b: print('FAIL: the pen stroke did not change the slide'); bad = 1
s1, s2 = pixels('attnstep-slide-01-1.png')[3], pixels('attnstep-slide-02-1.png')[3]
if s1 == s2: print('FAIL: slides 1 and 2 look the same'); bad = 1
sys.exit(bad)
PY
[[ $fail -eq 0 ]] && echo "test_lesson_xvfb: clicker keys, blank, pen, notes window, screenshots and Esc work in the presenter window"
exit $fail
