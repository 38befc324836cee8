#!/usr/bin/env bash
# test_lessons.sh — every shipped lesson passes `attnstep lesson check`; each Chinese lesson is
# a full translation of its English one (same slides, same directives); a bad lesson is
# reported with line numbers and exit code 1, an unreadable one with exit code 1.
# usage: test_lessons.sh ATTNSTEP_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
src=$2
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src"
# sanitizer builds: only the justified third-party suppressions (fontconfig caches, tests/render/lsan.supp)
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$src/tests/render/lsan.supp}"

n=0
for f in lessons/en/*.md lessons/zh/*.md; do
  n=$((n + 1))
  if ! out=$("$bin" lesson check "$f" 2>&1); then echo "FAIL: $f does not pass lesson check:"; echo "$out"; fail=1; continue; fi
  if ! grep -q ": [1-9][0-9]* slides*, 0 errors, 0 warnings$" <<<"$out"; then echo "FAIL: $f: $out"; fail=1; fi
done
[ "$n" -ge 16 ] || { echo "FAIL: expected 8 English and 8 Chinese lessons, found $n files"; fail=1; }

# directives of every slide, in order, without the lesson-level lang line
directives() { awk '/^```attnstep$/{d=1; b=""; next} /^```$/{if(d && b != "") printf "%s--\n", b; d=0; next} d && !/^lang:/{b = b $0 "\n"}' "$1"; }
slides() { grep -c '^## ' "$1"; }
for en in lessons/en/*.md; do
  zh=lessons/zh/$(basename "$en")
  [ -f "$zh" ] || { echo "FAIL: $en has no Chinese version $zh"; fail=1; continue; }
  [ "$(slides "$en")" = "$(slides "$zh")" ] || { echo "FAIL: $en and $zh have different slide counts"; fail=1; }
  if ! diff <(directives "$en") <(directives "$zh") >"$tmp/d"; then echo "FAIL: $en and $zh differ in directives:"; cat "$tmp/d"; fail=1; fi
  grep -q '^lang: zh$' "$zh" || { echo "FAIL: $zh does not declare lang: zh"; fail=1; }
  # Chinese narration: most non-code lines of the Chinese lesson hold CJK characters
  cjk=$(grep -v '^\(```\|model:\|input:\|view:\|position:\|highlight:\|zoom:\|strategy:\|lang:\|task:\|arch:\|train-steps:\|snapshot:\|    \|$\)' "$zh" | grep -cP '[\x{4e00}-\x{9fff}]')
  [ "$cjk" -ge 20 ] || { echo "FAIL: $zh has only $cjk lines of Chinese text"; fail=1; }
done

# the example in docs/lessons.md is a lesson that passes the check
awk '/^````markdown$/{f=1; next} /^````$/{f=0} f' docs/lessons.md | sed 's/  *\xe2\x86\x90 .*$//' >"$tmp/example.md"
out=$("$bin" lesson check "$tmp/example.md" 2>&1)
grep -q "example.md: 1 slide, 0 errors, 0 warnings" <<<"$out" || { echo "FAIL: the example of docs/lessons.md: $out"; fail=1; }

# expect_check_errors WHAT FILE MESSAGE...: `lesson check FILE` exits 1 and prints every MESSAGE.
expect_check_errors() {
  local what="$1" file="$2" out rc=0 want
  shift 2
  out=$("$bin" lesson check "$file" 2>&1) || rc=$?
  [ $rc -eq 1 ] || { echo "FAIL: $what: exit code $rc, expected 1"; fail=1; }
  for want in "$@"; do
    grep -qF "$want" <<<"$out" || { echo "FAIL: $what: missing \"$want\" in:"; echo "$out"; fail=1; }
  done
}

# a bad lesson: each problem on its line, exit code 1, no crash
cat >"$tmp/bad.md" <<'LESSON'
## One
```attnstep
model: no-such-model
view: pie
```
## Two
```attnstep
model: reverse-tutorial
input: a b c
view: attention
position: step 9 weights
speed: fast
```
LESSON
expect_check_errors "bad lesson" "$tmp/bad.md" "bad.md:3: error: unknown model \"no-such-model\"" "bad.md:4: error: unknown view \"pie\"" \
            "bad.md:11: error: position \"step 9 weights\" out of range: this run has 4 decoder steps" \
            "bad.md:12: error: unknown directive \"speed\"" "bad.md: 2 slides, 4 errors, 0 warnings"

# a bad training lesson (view: training, lesson 8): each problem on its line
cat >"$tmp/bad-training.md" <<'LESSON'
## Train
```attnstep
view: training
task: sort
arch: lstm
train-steps: 60
snapshot: 9
```
## Heatmap
```attnstep
view: heatmap
task: dates
```
LESSON
expect_check_errors "bad training lesson" "$tmp/bad-training.md" "bad-training.md:4: error: unknown task \"sort\" (reverse, dates, translate)" \
            "bad-training.md:5: error: unknown arch \"lstm\"" \
            "bad-training.md:7: error: snapshot 9 out of range: 60 training steps on reverse give snapshots 0..6" \
            "bad-training.md:12: error: task belongs on a training slide" "bad-training.md: 2 slides, 5 errors, 0 warnings"

out=$("$bin" lesson check "$tmp/missing.md" 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -q "cannot open .*missing.md: No such file or directory" <<<"$out" || { echo "FAIL: missing file: rc $rc: $out"; fail=1; }
printf '\xff\xfe\x00## x\n' >"$tmp/binary.md"
out=$("$bin" lesson check "$tmp/binary.md" 2>&1)
rc=$?
[ $rc -le 1 ] && grep -q "invalid UTF-8" <<<"$out" || { echo "FAIL: binary lesson: rc $rc: $out"; fail=1; }
"$bin" lesson check >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: lesson check without a file must be a usage error (2)"; fail=1; }

# export (GUI builds): every slide of a lesson becomes a PNG, without a display
if "$bin" lesson export --help >/dev/null 2>&1; then
  out=$(SDL_VIDEODRIVER=dummy "$bin" lesson export lessons/zh/03-beam-search.md --out "$tmp/png" --size 1280x720 2>&1)
  rc=$?
  pngs=$(find "$tmp/png" -name 'slide-*.png' | wc -l)
  [ $rc -eq 0 ] && [ "$pngs" -eq "$(slides lessons/zh/03-beam-search.md)" ] || { echo "FAIL: export: rc $rc, $pngs PNGs: $out"; fail=1; }
  head -c 8 "$tmp/png/slide-01.png" | od -An -tx1 | grep -q "89 50 4e 47 0d 0a 1a 0a" || { echo "FAIL: export: slide-01.png is not a PNG"; fail=1; }
  # a training slide (lesson 8) exports without a display
  printf '## t\n```attnstep\nview: training\ntrain-steps: 20\nsnapshot: step 10\n```\n\nText.\n' >"$tmp/train.md"
  out=$(SDL_VIDEODRIVER=dummy "$bin" lesson export "$tmp/train.md" --out "$tmp/png-train" --size 1280x720 2>&1)
  rc=$?
  [ $rc -eq 0 ] && [ -s "$tmp/png-train/slide-01.png" ] || { echo "FAIL: export of a training slide: rc $rc: $out"; fail=1; }
  SDL_VIDEODRIVER=dummy "$bin" lesson export "$tmp/bad.md" --out "$tmp/png-bad" >/dev/null 2>&1
  [ $? -eq 1 ] || { echo "FAIL: exporting a lesson with errors must exit 1"; fail=1; }
fi

[ $fail -eq 0 ] && echo "test_lessons: $n lessons pass lesson check; translations match; bad lessons reported"
exit $fail
