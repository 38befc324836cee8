#!/usr/bin/env bash
# The bad-input table of docs/RELIABILITY.md, one check per row: every input a user can get
# wrong gets a clear message naming the problem and a non-zero exit (or, for inputs that are
# merely unusual, a correct result), and a failed write leaves the previous file intact.
# Broken models are made from the reference fixtures with python3's standard library
# (struct + json), no PyTorch. Rows already covered by test_translate.sh are not repeated.
# usage: test_bad_inputs.sh path/to/attnstep SOURCE_DIR
set -u
bin=$1
src=$2
fx=$src/tests/reference/fixtures
model=$fx/gru-additive-prev-bi2-last.model.safetensors      # words, has <unk>, additive attention
relu=$fx/elman-relu-additive-prev.model.safetensors          # unbounded (ReLU) hidden state
location=$fx/gru-location-current-m10.model.safetensors      # at most 10 source positions
tmp=$(mktemp -d)
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0
pass=0
skipped=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
skip() { echo "skip: $*"; skipped=$((skipped + 1)); }
# expect_error NAME MESSAGE-SUBSTRING COMMAND...: non-zero exit, stderr holds the message.
expect_error() {
    local name=$1 want=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -qF -- "$want" "$tmp/err"; then ok; else
        bad "$name (exit $rc, wanted '$want', stderr: $(head -c 400 "$tmp/err"))"; fi
}
# expect_ok NAME STDERR-SUBSTRING-OR-EMPTY COMMAND...: exit 0, output on stdout.
expect_ok() {
    local name=$1 want=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -eq 0 ] && [ -s "$tmp/out" ] && { [ -z "$want" ] || grep -qF -- "$want" "$tmp/err"; }; then ok; else
        bad "$name (exit $rc, wanted stderr '$want', stderr: $(head -c 400 "$tmp/err"))"; fi
}

# ---- broken models, made from a fixture ------------------------------------------------
cat >"$tmp/mk.py" <<'EOF'
import json, struct, sys
def load(p):
    b = open(p, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    return json.loads(b[8:8 + n]), b[8 + n:]
def save(p, h, data):
    hb = json.dumps(h, separators=(',', ':')).encode()
    hb += b' ' * (-len(hb) % 8)
    open(p, 'wb').write(struct.pack('<Q', len(hb)) + hb + data)
def floats(h, data, name, fn):
    s, e = h[name]['data_offsets']
    v = fn(list(struct.unpack('<%df' % ((e - s) // 4), data[s:e])))
    return data[:s] + struct.pack('<%df' % len(v), *v) + data[e:]
src, kind, out = sys.argv[1:4]
h, data = load(src)
md = h['__metadata__']
if kind == 'nan':                # one NaN weight
    data = floats(h, data, 'decoder.out.weight', lambda v: [float('nan')] + v[1:])
elif kind == 'inf':              # one +Inf weight
    data = floats(h, data, 'encoder.embedding.weight', lambda v: v[:3] + [float('inf')] + v[4:])
elif kind == 'overflow':         # every weight finite but 1e37: float32 overflows while decoding
    for k in h:
        if k != '__metadata__': data = floats(h, data, k, lambda v: [1e37] * len(v))
elif kind == 'tgt_vocab_longer': # tgt_vocab one token longer than decoder.embedding / decoder.out rows
    md['tgt_vocab'] = json.dumps(json.loads(md['tgt_vocab']) + ['extra'])
elif kind == 'src_vocab_shorter':
    md['src_vocab'] = json.dumps(json.loads(md['src_vocab'])[:-1])
elif kind == 'out_rows_fewer':   # vocabulary and embeddings agree, the output layer has one row less
    for name in ('decoder.out.weight', 'decoder.out.bias'):
        t = h[name]; t['shape'][0] -= 1
        s, e = t['data_offsets']; row = (e - s) // (t['shape'][0] + 1)
        t['data_offsets'] = [s, e - row]  # leaves unused bytes: allowed by the format
elif kind == 'arch_transformer':
    md['arch'] = 'tutorial-transformer'
elif kind == 'arch_unknown':
    md['arch'] = 'lstm-crf'
elif kind == 'no_arch':
    del md['arch']
elif kind == 'vocab_not_json':
    md['src_vocab'] = '["a", "b"'
elif kind == 'vocab_dup':
    v = json.loads(md['tgt_vocab']); v[-1] = v[-2]; md['tgt_vocab'] = json.dumps(v)
elif kind == 'no_eos':
    v = json.loads(md['tgt_vocab']); v[v.index('<eos>')] = 'EOS_'; md['tgt_vocab'] = json.dumps(v)
elif kind == 'config_unknown_key':
    c = json.loads(md['config']); c['dropout_p'] = 0.1; md['config'] = json.dumps(c)
elif kind == 'config_bad_value':
    c = json.loads(md['config']); c['cell'] = 'transformer'; md['config'] = json.dumps(c)
elif kind == 'missing_tensor':
    del h['decoder.out.bias']
elif kind == 'extra_tensor':
    t = dict(h['decoder.out.bias']); s, e = t['data_offsets']
    t['data_offsets'] = [len(data), len(data) + e - s]; h['decoder.extra.weight'] = t; data += data[s:e]
elif kind == 'shape_swapped':
    h['decoder.out.weight']['shape'] = h['decoder.out.weight']['shape'][::-1]
elif kind == 'offsets_past_end':
    h['decoder.out.bias']['data_offsets'] = [len(data) - 4, len(data) + 36]
elif kind in ('header_garbage', 'header_len_huge', 'data_truncated'):
    save(out, h, data)
    b = bytearray(open(out, 'rb').read())
    if kind == 'header_garbage': b[8:24] = b'\x00\xff garbage!!\x01\x02\x03'
    if kind == 'header_len_huge': b[0:8] = struct.pack('<Q', 1 << 62)
    if kind == 'data_truncated': b = b[:-100]
    open(out, 'wb').write(bytes(b)); sys.exit(0)
else:
    sys.exit('mk.py: unknown kind ' + kind)
save(out, h, data)
EOF
mk() { # kind [source model] -> prints the path of the broken model
    local out=$tmp/$1.safetensors
    python3 "$tmp/mk.py" "${2:-$model}" "$1" "$out" || { bad "could not build the $1 model"; }
    echo "$out"
}

# model file corrupted
expect_error "corrupted header" "header is not valid UTF-8" "$bin" translate --model "$(mk header_garbage)" "a b"
expect_error "header length beyond the file" "exceeds the 100 MB limit" "$bin" translate --model "$(mk header_len_huge)" "a b"
expect_error "data offsets past the end" "run past the end of the data section" "$bin" translate --model "$(mk offsets_past_end)" "a b"
expect_error "data section truncated" "data_truncated.safetensors" "$bin" translate --model "$(mk data_truncated)" "a b"
# weights
expect_error "NaN weight" "tensor 'decoder.out.weight' holds NaN at index 0" "$bin" translate --model "$(mk nan)" "a b"
expect_error "Inf weight" "tensor 'encoder.embedding.weight' holds Inf at index 3" "$bin" translate --model "$(mk inf)" "a b"
expect_error "weights overflowing float32" "the model's weights overflow float32" "$bin" translate --model "$(mk overflow "$relu")" "a b"
expect_error "weights overflowing float32 (trace)" "the model's weights overflow float32" "$bin" trace --model "$tmp/overflow.safetensors" "a b"
# vocabulary mismatch between model metadata and weights
expect_error "tgt_vocab longer than the decoder" "vocabulary mismatch: metadata 'tgt_vocab' has 11 tokens but tensor 'decoder.embedding.weight' has 10 rows" \
    "$bin" translate --model "$(mk tgt_vocab_longer)" "a b"
expect_error "src_vocab shorter than the encoder" "vocabulary mismatch: metadata 'src_vocab' has 10 tokens but tensor 'encoder.embedding.weight' has 11 rows" \
    "$bin" translate --model "$(mk src_vocab_shorter)" "a b"
expect_error "decoder.out rows differ from tgt_vocab" "vocabulary mismatch: metadata 'tgt_vocab' has 10 tokens but tensor 'decoder.out.weight' has 9 rows" \
    "$bin" translate --model "$(mk out_rows_fewer)" "a b"
expect_error "vocabulary not JSON" "metadata 'src_vocab': vocabulary is not valid JSON" "$bin" translate --model "$(mk vocab_not_json)" "a b"
expect_error "vocabulary with a duplicate" "vocabulary has the token 'e' twice" "$bin" translate --model "$(mk vocab_dup)" "a b"
expect_error "vocabulary without <eos>" "the target vocabulary has no '<eos>' token" "$bin" translate --model "$(mk no_eos)" "a b"
# wrong architecture / config
expect_error "RNN tensors labelled tutorial-transformer" "tensor 'src_tok_emb.embedding.weight' is missing (arch tutorial-transformer)" "$bin" translate --model "$(mk arch_transformer)" "a b"
expect_error "unknown arch" "arch 'lstm-crf' is not an RNN encoder-decoder" "$bin" translate --model "$(mk arch_unknown)" "a b"
expect_error "no arch" "metadata 'arch' is missing" "$bin" translate --model "$(mk no_arch)" "a b"
expect_error "unknown config key" "config: unknown key 'dropout_p'" "$bin" translate --model "$(mk config_unknown_key)" "a b"
expect_error "bad config value" "config: cell 'transformer' is not gru, lstm or elman" "$bin" translate --model "$(mk config_bad_value)" "a b"
expect_error "missing tensor" "tensor 'decoder.out.bias' [10] is missing" "$bin" translate --model "$(mk missing_tensor)" "a b"
expect_error "unexpected tensor" "unexpected tensor 'decoder.extra.weight'" "$bin" translate --model "$(mk extra_tensor)" "a b"
expect_error "mis-shaped tensor" "tensor 'decoder.out.weight' has shape [8, 10] but the config needs [10, 8]" "$bin" translate --model "$(mk shape_swapped)" "a b"
expect_error "broken model in compare" "header is not valid UTF-8" "$bin" compare --model "$tmp/header_garbage.safetensors" "a b"
# unreadable file (root reads anything: then the row is skipped; the directory row of
# test_translate.sh covers an unopenable model for root too)
cp "$model" "$tmp/unreadable.safetensors"
chmod 000 "$tmp/unreadable.safetensors"
if [ -r "$tmp/unreadable.safetensors" ]; then skip "unreadable model (running as root: chmod 000 does not stop reads)"; else
    expect_error "unreadable model" "Permission denied" "$bin" translate --model "$tmp/unreadable.safetensors" "a b"; fi

# ---- input text ------------------------------------------------------------------------
expect_ok "only unknown words (model has <unk>)" "note: 2 unknown words shown as <unk>: 'zebra' 'quux'" \
    "$bin" translate --model "$model" "zebra quux"
tr_model="$src/assets/models/en-fr-es-tutorial.safetensors"
if [[ -f "$tr_model" ]]; then
  expect_error "translation without its language tag" "this model needs the target language first: start the input with <2es> or <2fr>" \
      "$bin" translate --model "$tr_model" "the cat eats ."
else
  skip "translation without its language tag (no en-fr-es-tutorial model)"
fi
expect_error "escape sequence" "the text contains the control character U+001B at byte 1" "$bin" translate --model "$model" "$(printf 'a\033[31mb')"
expect_error "DEL" "control character U+007F" "$bin" translate --model "$model" "$(printf 'a\177b')"
expect_error "C1 control (U+0085)" "control character U+0085" "$bin" translate --model "$model" "$(printf 'a\302\205b')"
expect_error "invalid UTF-8" "the text is not valid UTF-8 (byte 2 is 0xff)" "$bin" translate --model "$model" "$(printf 'a \377 b')"
expect_ok "tab and newline are white space" "" "$bin" translate --model "$model" "$(printf 'a\tb\nc')"
long=$(python3 -c "print(' '.join(['a'] * 10000))")
expect_error "10,000-word input (trace)" "the text has 10000 tokens; at most 511 are allowed" "$bin" trace --model "$model" "$long"
expect_ok "510 words: the longest accepted input" "" "$bin" translate --model "$model" --max-len 5 "$(python3 -c "print(' '.join(['a'] * 510))")"
expect_ok "one 100,000-character word" "1 unknown word" "$bin" translate --model "$model" --max-len 5 "$(python3 -c "print('x' * 100000)")"
expect_error "input longer than a location model's window" "the text has 13 tokens; at most 9 are allowed" \
    "$bin" translate --model "$location" "a b c d e f g a b c d e f"

# ---- options ---------------------------------------------------------------------------
expect_error "beam 0" "--beam: '0' is not a whole number in 1..64" "$bin" translate --model "$model" --beam 0 "a"
expect_error "top-p above 1" "--top-p must be in (0, 1] (got 2)" "$bin" translate --model "$model" --sample --top-p 2 "a"
expect_error "min-len above the cap" "--min-len 60 is above the length cap 50" "$bin" translate --model "$model" --min-len 60 "a"
expect_error "forced prefix outside the vocabulary" "--force-prefix: 'zz' is not in the target vocabulary" "$bin" translate --model "$model" --force-prefix zz "a"

# ---- writing the trace: failures leave the previous file intact and no temporary --------
expect_error "--out into a missing directory" "cannot write '$tmp/nodir/t.jsonl.tmp': No such file or directory" \
    "$bin" trace --model "$model" --out "$tmp/nodir/t.jsonl" "a b"
[ ! -e "$tmp/nodir" ] && ok || bad "--out into a missing directory created it"
echo x >"$tmp/plainfile"
expect_error "--out below a plain file" "Not a directory" "$bin" trace --model "$model" --out "$tmp/plainfile/t.jsonl" "a b"
mkdir -p "$tmp/outdir/keep"
expect_error "--out is a directory" "cannot rename to '$tmp/outdir': Is a directory" "$bin" trace --model "$model" --out "$tmp/outdir" "a b"
[ -d "$tmp/outdir/keep" ] && [ ! -e "$tmp/outdir.tmp" ] && ok || bad "--out a directory: directory changed or temporary left"
# read-only location (root may write anyway: then skipped; the disk-full row below runs as root too)
mkdir -p "$tmp/ro"
echo previous >"$tmp/ro/t.jsonl"
chmod 555 "$tmp/ro"
if touch "$tmp/ro/probe" 2>/dev/null; then rm -f "$tmp/ro/probe"; skip "read-only directory (running as root: chmod 555 does not stop writes)"; else
    expect_error "--out into a read-only directory" "Permission denied" "$bin" trace --model "$model" --out "$tmp/ro/t.jsonl" "a b"
    [ "$(cat "$tmp/ro/t.jsonl")" = previous ] && ok || bad "read-only directory: previous trace changed"
fi
chmod 755 "$tmp/ro"
# disk full while writing: a 1 KiB file-size limit (SIGXFSZ ignored, so write() fails with EFBIG)
echo previous >"$tmp/full.jsonl"
expect_error "disk full while writing the trace" "could not write the trace: File too large" \
    bash -c 'trap "" XFSZ; ulimit -f 1; exec "$@"' _ "$bin" trace --model "$model" --out "$tmp/full.jsonl" "a b c d e f g"
[ "$(cat "$tmp/full.jsonl")" = previous ] && ok || bad "disk full: previous trace changed"
[ ! -e "$tmp/full.jsonl.tmp" ] && ok || bad "disk full: temporary file left behind"
# and a successful write replaces it
"$bin" trace --model "$model" --out "$tmp/full.jsonl" "a b" 2>/dev/null && head -1 "$tmp/full.jsonl" | grep -q '"type":"run"' && ok ||
    bad "trace --out did not replace the previous file"

echo "$pass passed, $fails failed, $skipped skipped"
[ $fails -eq 0 ]
