#!/usr/bin/env bash
# End-to-end checks of `attnstep translate` and `attnstep trace` on PyTorch-checked fixture
# models: the greedy output is the PyTorch greedy output up to <eos>, traces are
# byte-identical across runs, and every bad input gets a clear message and a non-zero exit.
# usage: test_translate.sh path/to/attnstep SOURCE_DIR
set -u
bin=$1
src=$2
fx=$src/tests/reference/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
pass=0
check() { # name, condition-exit-status
    if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else echo "FAIL: $1"; fails=$((fails + 1)); fi
}
expect_error() { # name, expected message substring, command...
    local name=$1 want=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -ne 0 ] && grep -qF -- "$want" "$tmp/err"; then pass=$((pass + 1)); else
        echo "FAIL: $name (exit $rc, stderr: $(cat "$tmp/err"))"; fails=$((fails + 1)); fi
}

# 1. greedy output = PyTorch's greedy tokens up to the first <eos> (tutorial: EOS)
model=$fx/gru-additive-prev-bi2-last.model.safetensors
want=$(python3 -c "
import json,struct,sys
b=open('$fx/gru-additive-prev-bi2-last.expected.safetensors','rb').read()
n=struct.unpack('<Q',b[:8])[0]; m=json.loads(b[8:8+n])['__metadata__']
print(m['input']); t=json.loads(m['tokens']); print(' '.join(t[:t.index('<eos>')] if '<eos>' in t else t))")
input=$(echo "$want" | sed -n 1p)
expected=$(echo "$want" | sed -n 2p)
got=$("$bin" translate --model "$model" --max-len 6 "$input" 2>"$tmp/err")
check "translate output '$got' = PyTorch '$expected'" "$([ "$got" = "$expected" ]; echo $?)"
grep -q "unknown word" "$tmp/err"; check "unknown word reported on stderr" $?

# 2. trace: JSONL, starts with run, ends with run_end, byte-identical twice
"$bin" trace --model "$model" --out "$tmp/a.jsonl" "$input" 2>/dev/null
"$bin" trace --model "$model" "$input" >"$tmp/b.jsonl" 2>/dev/null
cmp -s "$tmp/a.jsonl" "$tmp/b.jsonl"; check "trace is byte-identical across runs" $?
for opts in "--beam 4 --nbest 2" "--sample --temperature 1.5 --top-k 5 --seed 11"; do
  # shellcheck disable=SC2086
  "$bin" trace --model "$model" $opts --out "$tmp/c.jsonl" "$input" 2>/dev/null
  # shellcheck disable=SC2086
  "$bin" trace --model "$model" $opts --out "$tmp/d.jsonl" "$input" 2>/dev/null
  cmp -s "$tmp/c.jsonl" "$tmp/d.jsonl"; check "trace $opts is byte-identical across runs" $?
done
head -1 "$tmp/a.jsonl" | grep -q '"type":"run"'; check "trace starts with run" $?
tail -1 "$tmp/a.jsonl" | grep -q '"type":"run_end"'; check "trace ends with run_end" $?
[ "$(grep -c '"type":"attn"' "$tmp/a.jsonl")" -ge 1 ]; check "trace has attention events" $?

# 3. help and errors
"$bin" translate --help >"$tmp/out"; check "translate --help exits 0" $?
grep -q -- "--beam" "$tmp/out"; check "translate --help lists --beam" $?
"$bin" trace --help >/dev/null; check "trace --help exits 0" $?
expect_error "missing model file" "No such file" "$bin" translate --model "$tmp/none.safetensors" "a b"
expect_error "directory as model" "$tmp" "$bin" translate --model "$tmp" "a b"
: >"$tmp/empty.safetensors"
expect_error "zero-length model" "empty.safetensors" "$bin" translate --model "$tmp/empty.safetensors" "a b"
head -c 100 "$model" >"$tmp/trunc.safetensors"
expect_error "truncated model" "trunc.safetensors" "$bin" translate --model "$tmp/trunc.safetensors" "a b"
expect_error "empty input" "empty" "$bin" translate --model "$model" "   "
expect_error "no input" "no input sentence" "$bin" translate --model "$model"
expect_error "no model" "--model FILE is required" "$bin" translate "a b"
expect_error "unknown option" "unknown option '--frobnicate'" "$bin" translate --model "$model" --frobnicate 1 "a b"
expect_error "bad number" "--beam: 'x' is not a whole number" "$bin" translate --model "$model" --beam x "a b"
expect_error "control characters" "control character" "$bin" translate --model "$model" "$(printf 'a\001b')"
long=$(python3 -c "print(' '.join(['a']*10000))")
expect_error "10,000-word input" "at most" "$bin" translate --model "$model" "$long"
expect_error "tutorial model without <unk>" "unknown word" "$bin" translate --model "$fx/tutorial-gru-bahdanau.model.safetensors" "zebra a"
expect_error "unknown command" "unknown command" "$bin" frobnicate

echo "$pass passed, $fails failed"
[ $fails -eq 0 ]
