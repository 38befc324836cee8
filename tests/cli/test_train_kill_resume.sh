#!/usr/bin/env bash
# Training never loses work (issue 10): a run killed with SIGKILL at a random moment and
# continued with --resume ends with the same model file, byte for byte, as a run that was
# never interrupted; and at the moment of the kill the checkpoint on disk is always a whole,
# loadable model (atomic writes: temporary file, fsync, rename).
# usage: test_train_kill_resume.sh path/to/attnstep SOURCE_DIR
set -euo pipefail
bin="$(realpath "$1")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
opts=(--task reverse --hidden 32 --steps 1200 --batch 16 --n-train 2000 --n-dev 20 --dev-every 25
      --log-every 1000 --seed 3 --schedule linear --warmup 50 --dropout 0.1 --name kill-test)
"$bin" train "${opts[@]}" --out straight.safetensors >straight.log 2>&1
fail=0
RANDOM=7
for trial in 1 2 3 4; do
  out="killed$trial.safetensors"
  delay_ms=$((100 + RANDOM % 1500))
  "$bin" train "${opts[@]}" --out "$out" >"killed$trial.log" 2>&1 &
  pid=$!
  sleep "$(awk -v d="$delay_ms" 'BEGIN { printf "%.3f", d / 1000 }')"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [[ -f "$out" ]]; then
    # the checkpoint left by the kill must load and decode
    if ! "$bin" translate --model "$out" "a b c" >/dev/null 2>"check$trial.log"; then
      echo "FAIL: trial $trial: checkpoint after kill -9 at ${delay_ms} ms does not load:"; cat "check$trial.log"; fail=1; continue
    fi
    "$bin" train --out "$out" --resume --steps 1200 --dev-every 25 >>"killed$trial.log" 2>&1
    how="resumed"
  else
    # killed before the first checkpoint: nothing to lose, start again
    "$bin" train "${opts[@]}" --out "$out" >>"killed$trial.log" 2>&1
    how="restarted (no checkpoint yet)"
  fi
  if cmp -s straight.safetensors "$out" && cmp -s straight.safetensors.opt.safetensors "$out.opt.safetensors"; then
    echo "trial $trial: kill -9 after ${delay_ms} ms, $how: identical to the uninterrupted run"
  else
    echo "FAIL: trial $trial: kill -9 after ${delay_ms} ms, $how: differs from the uninterrupted run"; fail=1
  fi
done
exit $fail
