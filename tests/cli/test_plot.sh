#!/usr/bin/env bash
# `attnstep eval --csv` and `attnstep plot`: the by-length table as CSV (same numbers as the
# printed table), drawn as a PNG chart; bad CSVs and options get clear messages.
# usage: test_plot.sh path/to/attnstep SOURCE_DIR
set -uo pipefail
bin="$(realpath "$1")"
src="$(realpath "$2")"
if ! "$bin" --help | grep -q plot; then echo "SKIP: built without the GUI"; exit 0; fi
model="$src/assets/models/reverse-tutorial.safetensors"
if [[ ! -f "$model" ]]; then echo "SKIP: no reverse-tutorial model"; exit 0; fi
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$src/tests/render/lsan.supp}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
pass=0 fails=0
check() { if [[ "$2" == 0 ]]; then pass=$((pass + 1)); else echo "FAIL: $1"; fails=$((fails + 1)); fi; }

"$bin" eval --model "$model" --n 60 --csv "$tmp/r.csv" >"$tmp/table" 2>"$tmp/err"; check "eval --csv exits 0" $?
head -1 "$tmp/r.csv" | grep -qx 'model,length,lo,hi,n,exact,bleu,token_accuracy,aer'; check "CSV header" $?
# every printed bucket row appears in the CSV with the same n, exact and BLEU
rows=0
while read -r range n exact bleu _tok _aer; do
  rows=$((rows + 1))
  grep -q ",$range,[0-9]*,-\?[0-9]*,$n,$exact,$bleu," "$tmp/r.csv"; check "bucket $range ($n, $exact, $bleu) in the CSV" $?
done < <(sed -n '/^by source length/,$p' "$tmp/table" | tail -n +3)
[[ $rows -ge 1 && $(($(wc -l <"$tmp/r.csv") - 1)) -eq $rows ]]; check "one CSV row per printed bucket ($rows)" $?

cat >"$tmp/b.csv" <<'CSV'
model,length,lo,hi,n,exact,bleu,token_accuracy,aer
"no attention",1-5,1,5,10,0.9000,95.00,0.9500,
"no attention",6-10,6,10,20,0.5000,60.00,0.7000,
CSV
"$bin" plot --out "$tmp/p.png" --title "test chart" "$tmp/r.csv" "$tmp/b.csv"; check "plot exits 0" $?
file "$tmp/p.png" | grep -q 'PNG image data, 1280 x 720'; check "plot writes a 1280x720 PNG" $?
"$bin" plot --metric aer --size 800x600 --theme projector --out "$tmp/q.png" "$tmp/r.csv" "$tmp/b.csv"; check "plot --metric aer (a model without AER is skipped)" $?
file "$tmp/q.png" | grep -q 'PNG image data, 800 x 600'; check "--size 800x600" $?

expect() { # name message command...
  local name=$1 msg=$2; shift 2
  local out; out=$("$@" 2>&1); local rc=$?
  [[ $rc -ne 0 && "$out" == *"$msg"* ]]; check "$name (exit $rc: $out)" $?
}
printf 'a,b\n' >"$tmp/bad1.csv"
printf 'model,length,lo,hi,n,exact,bleu,token_accuracy,aer\n"m",1-5,1,5,x,1,2,3,4\n' >"$tmp/bad2.csv"
printf 'model,length,lo,hi,n,exact,bleu,token_accuracy,aer\n"m",1-5,1,5\n' >"$tmp/bad3.csv"
expect "not an eval CSV" "not a CSV of \`attnstep eval --csv\`" "$bin" plot --out "$tmp/x.png" "$tmp/bad1.csv"
expect "bad n on line 2" "bad2.csv:2: bad 'n' value 'x'" "$bin" plot --out "$tmp/x.png" "$tmp/bad2.csv"
expect "too few fields" "bad3.csv:2: expected 9 comma-separated fields" "$bin" plot --out "$tmp/x.png" "$tmp/bad3.csv"
expect "missing file" "cannot open" "$bin" plot --out "$tmp/x.png" "$tmp/none.csv"
expect "unknown metric" "unknown --metric 'f1'" "$bin" plot --metric f1 --out "$tmp/x.png" "$tmp/b.csv"
expect "no --out" "--out FILE.png is required" "$bin" plot "$tmp/b.csv"
expect "no CSV" "give at least one CSV" "$bin" plot --out "$tmp/x.png"
expect "eval --csv into a missing directory" "cannot write" "$bin" eval --model "$model" --n 5 --csv "$tmp/no/dir.csv"
[[ ! -e "$tmp/x.png" ]]; check "no PNG written on errors" $?
echo "$pass passed, $fails failed"
[[ $fails -eq 0 ]]
