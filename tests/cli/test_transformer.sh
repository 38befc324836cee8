#!/usr/bin/env bash
# The decoding commands on a Transformer, unchanged: translate (greedy, beam, sampling,
# forced prefix), trace (tfm_attn events, byte-identical across runs), compare, eval (exact
# match, BLEU, AER of the last layer's head-averaged cross-attention), train + --resume
# of a tiny Transformer (with and without dropout), and the Transformer-specific refusals.
# usage: test_transformer.sh path/to/attnstep SOURCE_DIR
set -u
bin=$1
src=$2
model=$src/assets/models/reverse-transformer.safetensors
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

out=$("$bin" translate --model "$model" "a b c d e")
[ "$out" = "e d c b a" ]; check "greedy reverses ($out)" $?
out=$("$bin" translate --model "$model" --beam 4 --nbest 2 --scores "a b c")
[ "$(echo "$out" | wc -l)" -eq 2 ] && echo "$out" | head -1 | grep -q "c b a$"; check "beam n-best ($out)" $?
out=$("$bin" translate --model "$model" --sample --seed 5 "a b c")
[ -n "$out" ]; check "sampling" $?
out=$("$bin" translate --model "$model" --force-prefix "b" "a b c")
[ "${out%% *}" = "b" ]; check "forced prefix ($out)" $?
"$bin" trace --model "$model" --out "$tmp/t1.jsonl" "a b c" 2>/dev/null; check "trace" $?
"$bin" trace --model "$model" --out "$tmp/t2.jsonl" "a b c" 2>/dev/null
cmp -s "$tmp/t1.jsonl" "$tmp/t2.jsonl"; check "trace byte-identical" $?
grep -q '"type":"tfm_attn","side":"dec","kind":"cross"' "$tmp/t1.jsonl"; check "trace holds cross-attention" $?
grep -q '"kind":"masked_self"' "$tmp/t1.jsonl"; check "trace holds masked self-attention" $?
grep -q '"type":"run_end","output":"c b a"' "$tmp/t1.jsonl"; check "trace run_end" $?
"$bin" compare --model "$model" --beam 3 "a b c d" >"$tmp/cmp" 2>&1; check "compare runs" $?
grep -q "identical" "$tmp/cmp"; check "compare: greedy = beam here" $?
"$bin" eval --model "$model" --n 200 >"$tmp/eval" 2>&1; check "eval runs" $?
grep -q "exact match     1.0000" "$tmp/eval"; check "eval exact match 1.0 ($(head -3 "$tmp/eval" | tail -1))" $?
grep -q "^AER .*mean over heads" "$tmp/eval"; check "eval reports the cross-attention AER" $?
grep -q "^AER by layer  *layer 1 [0-9.]*, layer 2 " "$tmp/eval"; check "eval reports the AER of every layer" $?
expect_error "min-len above the cap" "is above the length cap" "$bin" translate --model "$model" --min-len 60 "a b c"

# train a tiny Transformer, resume it bit-for-bit
tiny="--task reverse --arch tutorial-transformer --d 16 --heads 2 --ffn 32 --enc-layers 1 --dec-layers 1 --batch 8 --n-train 500 --n-dev 20 --dev-every 10 --log-every 10 --lr 0.003 --name tiny"
"$bin" train $tiny --steps 20 --out "$tmp/a.safetensors" 2>"$tmp/train.log"; check "train a tiny Transformer" $?
"$bin" train $tiny --steps 10 --out "$tmp/b.safetensors" 2>/dev/null
"$bin" train --resume --steps 20 --out "$tmp/b.safetensors" 2>"$tmp/resume.log"; check "resume" $?
grep -q "resuming" "$tmp/resume.log"; check "resume says so" $?
cmp -s "$tmp/a.safetensors" "$tmp/b.safetensors"; check "resume is bit-for-bit" $?
"$bin" translate --model "$tmp/a.safetensors" "a b" >/dev/null; check "a trained checkpoint decodes" $?
# dropout: a different run, resumed bit-for-bit (the masks continue from the saved generator)
"$bin" train $tiny --steps 20 --dropout 0.1 --out "$tmp/d.safetensors" 2>/dev/null; check "train with dropout" $?
"$bin" train $tiny --steps 10 --dropout 0.1 --out "$tmp/e.safetensors" 2>/dev/null
"$bin" train --resume --steps 20 --out "$tmp/e.safetensors" 2>/dev/null; check "resume with dropout" $?
cmp -s "$tmp/d.safetensors" "$tmp/e.safetensors"; check "dropout resume is bit-for-bit" $?
! cmp -s "$tmp/a.safetensors" "$tmp/d.safetensors"; check "dropout changes the weights" $?
expect_error "dropout out of range" "--dropout" "$bin" train $tiny --steps 2 --dropout 0.99 --out "$tmp/c.safetensors"
expect_error "heads must divide d" "must divide d" "$bin" train $tiny --steps 2 --heads 3 --out "$tmp/c.safetensors"

echo "$pass passed, $fails failed"
[ "$fails" -eq 0 ]
