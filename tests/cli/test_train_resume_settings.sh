#!/usr/bin/env bash
# `attnstep train --resume` continues with the settings stored in the checkpoint
# (train_config: --steps, --dev-every, --log-every, the optimiser settings, ...) unless an
# option on the command line overrides one; an override that changes the run says so on
# stderr; --seed and the model/corpus options cannot change; --steps is the total.
# docs/training.md, "Checkpoints and --resume".
# usage: test_train_resume_settings.sh path/to/attnstep SOURCE_DIR
set -uo pipefail
bin="$(realpath "$1")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
pass=0 fails=0
check() { if [[ $2 -eq 0 ]]; then pass=$((pass + 1)); else echo "FAIL: $1"; fails=$((fails + 1)); fi; }

# set_config FILE KEY=VALUE|KEY- ...: rewrites the model file's train_config metadata (a
# JSON value, or - to remove the key), as a checkpoint killed earlier or written by an older
# attnstep would hold it. The tensors are untouched (their offsets are relative to the data).
set_config() {
  python3 - "$@" <<'PY'
import json, struct, sys
path, edits = sys.argv[1], sys.argv[2:]
data = open(path, 'rb').read()
n = struct.unpack('<Q', data[:8])[0]
header = json.loads(data[8:8 + n])
tc = json.loads(header['__metadata__']['train_config'])
for e in edits:
    if e.endswith('-'): del tc[e[:-1]]
    else: k, v = e.split('=', 1); tc[k] = json.loads(v)
header['__metadata__']['train_config'] = json.dumps(tc, separators=(',', ':'))
h = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode()
h += b' ' * (-len(h) % 8)
open(path, 'wb').write(struct.pack('<Q', len(h)) + h + data[8 + n:])
PY
}
# data_of FILE: the tensor bytes of a model file (the weights, without the metadata)
data_of() { python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d[8+struct.unpack("<Q",d[:8])[0]:])' "$1"; }
same_weights() { cmp -s <(data_of "$1") <(data_of "$2") && cmp -s "$1.opt.safetensors" "$2.opt.safetensors"; }

common=(--task reverse --hidden 16 --batch 8 --n-train 300 --n-dev 10 --dev-every 10 --log-every 5 --seed 2 --lr 0.003 --name rs)
"$bin" train "${common[@]}" --steps 40 --out a.safetensors 2>a.log; check "the uninterrupted 40-step run" $?

# A checkpoint at step 20 of a 40-step run (constant schedule: a 20-step run is exactly the
# first half; only its train_config says 20), resumed with no option at all.
fresh_half() {
  "$bin" train "${common[@]}" --steps 20 --out "$1" 2>/dev/null && set_config "$1" steps=40
}
fresh_half b.safetensors; check "the 20-step run" $?
"$bin" train --out b.safetensors --resume 2>b.log; check "a resume without options runs" $?
grep -q "resuming b.safetensors at step 20 of 40" b.log; check "the resume takes --steps 40 from the checkpoint ($(head -1 b.log))" $?
grep -q "^step     25/40 " b.log; check "the resume takes --log-every 5 from the checkpoint" $?
grep -q "^step     30/40 .*dev exact" b.log; check "the resume takes --dev-every 10 from the checkpoint" $?
! grep -q "note:" b.log; check "no note when nothing is overridden" $?
cmp -s a.safetensors b.safetensors && cmp -s a.safetensors.opt.safetensors b.safetensors.opt.safetensors
check "resumed without --dev-every: model and optimiser files identical to the uninterrupted run" $?

# The same options given explicitly with their stored values: no note, the same files.
fresh_half c.safetensors
"$bin" train --out c.safetensors --resume --steps 40 --dev-every 10 --lr 0.003 --threads 1 2>c.log; check "a resume repeating the stored values" $?
! grep -q "note:" c.log && cmp -s a.safetensors c.safetensors; check "repeating the stored values changes nothing" $?

# --dev-every overridden: a note says the weights are unaffected; they are, the record is not.
fresh_half d.safetensors
"$bin" train --out d.safetensors --resume --dev-every 20 2>d.log; check "a resume with --dev-every 20" $?
grep -q "note: --dev-every 20 overrides the checkpoint's 10: the weights are unaffected" d.log; check "the --dev-every override is stated ($(grep note d.log))" $?
same_weights a.safetensors d.safetensors; check "--dev-every 20: the same weights and optimiser state" $?
! cmp -s a.safetensors d.safetensors; check "--dev-every 20: the stored record differs (train_loss, train_config)" $?
grep -q '\\"dev_every\\":20' d.safetensors; check "the checkpoint records the settings in force (dev_every 20)" $?

# an optimiser override: allowed, stated, and it does change the weights
fresh_half e.safetensors
"$bin" train --out e.safetensors --resume --lr 0.001 2>e.log; check "a resume with --lr 0.001" $?
grep -q "note: --lr 0.001 overrides the checkpoint's 0.003: from step 21 on, the weights differ" e.log; check "the --lr override is stated ($(grep note e.log))" $?
! same_weights a.safetensors e.safetensors; check "--lr 0.001 changes the weights" $?
fresh_half e2.safetensors
"$bin" train --out e2.safetensors --resume --threads 2 2>e2.log; check "a resume with --threads 2" $?
grep -q "note: --threads 2 overrides the checkpoint's 1: .*by rounding" e2.log; check "the --threads override is stated" $?

# refused: --seed (the generator state continues), model and corpus options; --steps below
# the checkpoint (it is the total); a finished checkpoint has nothing to do
fresh_half f.safetensors
cp f.safetensors f0.safetensors
expect_refusal() {
  local what="$1" needle="$2"
  shift 2
  "$bin" train --out f.safetensors --resume "$@" >/dev/null 2>f.log
  local rc=$?
  [[ $rc -eq 2 ]] && grep -q -- "$needle" f.log && cmp -s f.safetensors f0.safetensors
  check "$what: refused with exit 2 and the checkpoint untouched (exit $rc: $(cat f.log))" $?
}
expect_refusal "--seed 5" "--seed cannot change on --resume (the checkpoint's is 2)" --seed 5
expect_refusal "--hidden 32" "--hidden cannot be used with --resume" --hidden 32
expect_refusal "--task dates" "--task cannot be used with --resume" --task dates
expect_refusal "--steps 10" "already at step 20: --steps is the total number of steps" --steps 10
"$bin" train --out f.safetensors --resume --seed 2 --steps 20 2>f.log; check "--seed repeating the stored value and --steps at the checkpoint are accepted" $?
grep -q "nothing to do: f.safetensors is already at step 20 of 20" f.log && cmp -s f.safetensors f0.safetensors
check "--steps equal to the checkpoint's step: nothing to do, nothing rewritten ($(cat f.log))" $?

# --steps with the linear schedule moves the decay: stated with the learning rates
"$bin" train "${common[@]}" --schedule linear --steps 20 --out g.safetensors 2>/dev/null
"$bin" train --out g.safetensors --resume --steps 40 2>g.log; check "a linear-schedule resume with --steps 40" $?
grep -q "note: --steps 40 overrides the checkpoint's 20: the linear schedule now decays to 0 at step 40 instead of 20, so step 21 runs at learning rate 0.0015 instead of 0" g.log
check "the moved linear decay is stated ($(grep note g.log))" $?
# with the constant schedule, extending --steps is exactly the longer run: no note
"$bin" train "${common[@]}" --steps 20 --out h.safetensors 2>/dev/null
"$bin" train --out h.safetensors --resume --steps 40 2>h.log; check "a constant-schedule resume with --steps 40" $?
! grep -q "note:" h.log && cmp -s a.safetensors h.safetensors; check "constant schedule: --steps 40 on resume = the uninterrupted 40-step run, no note" $?

# a checkpoint written before dev_every/log_every were stored: the defaults, with a note
fresh_half k.safetensors
set_config k.safetensors dev_every- log_every-
"$bin" train --out k.safetensors --resume 2>k.log; check "resuming a checkpoint without dev_every/log_every" $?
grep -q "note: the checkpoint does not record --dev-every: using the default 250" k.log; check "the fallback for --dev-every is stated" $?
grep -q "note: the checkpoint does not record --log-every: using the default 50" k.log; check "the fallback for --log-every is stated" $?
# ... and one without steps (a live-training save) needs --steps
fresh_half l.safetensors
set_config l.safetensors steps-
"$bin" train --out l.safetensors --resume >/dev/null 2>l.log; rc=$?
[[ $rc -eq 2 ]] && grep -q "does not record how many steps its run was to take: pass --steps N" l.log; check "no stored steps and no --steps: refused (exit $rc: $(cat l.log))" $?

echo "$pass passed, $fails failed"
[[ $fails -eq 0 ]]
