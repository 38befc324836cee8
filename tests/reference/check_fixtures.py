#!/usr/bin/env python3
"""Independent re-check of the fixtures, numpy only (no torch).

Reads every `<case>.expected.safetensors` in fixtures/, loads the model file
named in its metadata, re-runs encoder and greedy decoder from the text of
docs/model-format.md (float64), and compares every tensor of the fixture.
It shares no model code with rnn_reference.py, so a misreading of the doc in
one of them shows up as a mismatch. Also re-tokenises `input`.

    /usr/bin/python3 tests/reference/check_fixtures.py
"""

import json
import math
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
TOL = 1e-5


def st_read(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert (8 + n) % 8 == 0, "data not 8-aligned"
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    out = {}
    end = 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        s, e = info["data_offsets"]
        assert s == end, "gap or overlap in %s" % path
        end = e
        out[name] = np.frombuffer(raw[8 + n + s:8 + n + e], dtype="<f4").reshape(info["shape"]).astype(np.float64)
    assert 8 + n + end == len(raw), "trailing bytes in %s" % path
    return out, meta


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def cell(kind, nonlin, x, h, c, W, U, b, bh):
    if kind == "gru":
        gi, gh = W @ x + b, U @ h + bh
        H = h.shape[0]
        r = sigmoid(gi[:H] + gh[:H])
        z = sigmoid(gi[H:2 * H] + gh[H:2 * H])
        n = np.tanh(gi[2 * H:] + r * gh[2 * H:])
        return (1 - z) * n + z * h, None, np.concatenate([r, z, n])
    a = W @ x + b + U @ h + bh
    if kind == "lstm":
        H = h.shape[0]
        i, f, g, o = sigmoid(a[:H]), sigmoid(a[H:2 * H]), np.tanh(a[2 * H:3 * H]), sigmoid(a[3 * H:])
        c2 = f * c + i * g
        return o * np.tanh(c2), c2, np.concatenate([i, f, g, o])
    return (np.tanh(a) if nonlin == "tanh" else np.maximum(a, 0)), None, None


def softmax(e):
    m = np.max(e)
    x = np.exp(e - m)
    return x / x.sum()


def run(model, meta, src_ids, T, force=None):
    """Greedy for T steps, or teacher forcing when `force` (target ids) is given."""
    arch = meta["arch"]
    W = dict(model)
    if arch == "tutorial-gru-bahdanau":
        H = W["encoder.embedding.weight"].shape[1]
        cfg = {"cell": "gru", "hidden": H, "emb": H, "layers": 1, "bidirectional": False,
               "attention": "additive", "query": "prev", "input_feed": False, "dec_init": "last"}
        W = {k.replace(".gru.", ".rnn."): v for k, v in W.items()}
        sos = 0
    else:
        cfg = json.loads(meta["config"])
        sos = json.loads(meta["tgt_vocab"]).index("<sos>")
    kind, H, E = cfg["cell"], cfg["hidden"], cfg["emb"]
    nonlin = cfg.get("nonlinearity", "tanh")
    L = cfg.get("layers", 1)
    bi = cfg.get("bidirectional", False)
    att = cfg["attention"]
    query = cfg.get("query", "prev")
    feed = cfg.get("input_feed", False)
    window = cfg.get("window", "global")
    D = cfg.get("window_d", 3)
    qctx, qlang = cfg.get("query_context", False), cfg.get("query_lang", False)
    ndir = 2 if bi else 1
    Hd = H // ndir
    got = {}
    # ---- encoder
    S = len(src_ids)
    emb = W["encoder.embedding.weight"][src_ids]
    got["enc.embed"] = emb
    inp = emb
    fin_h, fin_c = [], []
    for l in range(L):
        outs = []
        for d in range(ndir):
            sfx = "_l%d%s" % (l, "_reverse" if d else "")
            p = [W["encoder.rnn.%s%s" % (n, sfx)] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            h, c = np.zeros(Hd), np.zeros(Hd)
            hs, cs, gs = [None] * S, [None] * S, [None] * S
            for j in (range(S) if d == 0 else range(S - 1, -1, -1)):
                h, c2, g = cell(kind, nonlin, inp[j], h, c, *p)
                c = c2 if c2 is not None else c
                hs[j], cs[j], gs[j] = h, c, g
            got["enc.h.l%d.d%d" % (l, d)] = np.array(hs)
            if kind == "lstm":
                got["enc.c.l%d.d%d" % (l, d)] = np.array(cs)
            if kind != "elman":
                got["enc.gates.l%d.d%d" % (l, d)] = np.array(gs)
            outs.append(np.array(hs))
            fin_h.append(h)
            fin_c.append(c)
        inp = np.concatenate(outs, -1)
    keys = inp
    got["enc.outputs"] = keys
    if cfg.get("dec_init", "last") == "zeros":
        hst = [np.zeros(H) for _ in range(L)]
        cst = [np.zeros(H) for _ in range(L)]
    else:
        hst = [np.concatenate(fin_h[l * ndir:(l + 1) * ndir]) for l in range(L)]
        cst = [np.concatenate(fin_c[l * ndir:(l + 1) * ndir]) for l in range(L)]
    lang = emb[0]
    ctx_prev, htil_prev = np.zeros(H), np.zeros(H)
    y = sos
    rec = {k: [] for k in ("embed", "h", "c", "gates", "query", "energies", "weights",
                           "context", "attn_hidden", "center", "logprobs", "tokens")}
    A = "decoder.attention."

    def attend(q, t):
        rec["query"].append(q)
        if att == "additive":
            e = np.array([(W[A + "Va.weight"] @ np.tanh(W[A + "Wa.weight"] @ q + W[A + "Wa.bias"]
                                                         + W[A + "Ua.weight"] @ k + W[A + "Ua.bias"]))[0]
                          + W[A + "Va.bias"][0] for k in keys])
        elif att == "concat":
            e = np.array([(W[A + "v.weight"] @ np.tanh(W[A + "W.weight"] @ np.concatenate([q, k])))[0]
                          for k in keys])
        elif att == "dot":
            e = keys @ q
        elif att == "scaled_dot":
            e = keys @ q / math.sqrt(H)
        elif att == "cosine":
            e = W[A + "scale"][0] * (keys @ q) / np.maximum(np.linalg.norm(q) * np.linalg.norm(keys, axis=1), 1e-8)
        elif att == "general":
            e = np.array([q @ (W[A + "Wa.weight"] @ k) for k in keys])
        elif att == "location":
            e = (W[A + "Wa.weight"] @ q + W[A + "Wa.bias"])[:S]
        pos = np.arange(S)
        if window == "global":
            win = np.ones(S, bool)
        elif window == "local-m":
            p = min(t, S - 1)
            win = np.abs(pos - p) <= D
        else:
            p = (S - 1) * sigmoid((W[A + "vp.weight"] @ np.tanh(W[A + "Wp.weight"] @ q))[0])
            win = (pos >= math.ceil(p - D)) & (pos <= math.floor(p + D))
        if window != "global":
            rec["center"].append(p)
        e = np.where(win, e, -np.inf)
        w = softmax(e)
        if window == "local-p":
            sigma = D / 2.0
            w = w * np.exp(-(pos - p) ** 2 / (2 * sigma * sigma))
        ctx = w @ keys
        rec["energies"].append(e)
        rec["weights"].append(w)
        rec["context"].append(ctx)
        return ctx

    def qry(htop, ctx_prev):
        return np.concatenate([htop] + ([ctx_prev] if qctx else []) + ([lang] if qlang else []))

    for t in range(T):
        x = W["decoder.embedding.weight"][y]
        rec["embed"].append(x)
        ctx = ctx_prev
        if att == "none":
            xin = x
        elif query == "prev":
            ctx = attend(qry(hst[-1], ctx_prev), t)
            xin = np.concatenate([x, ctx])
        else:
            xin = np.concatenate([x, htil_prev]) if feed else x
        gates = []
        for l in range(L):
            p = [W["decoder.rnn.%s_l%d" % (n, l)] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            h2, c2, g = cell(kind, nonlin, xin, hst[l], cst[l], *p)
            hst[l] = h2
            if c2 is not None:
                cst[l] = c2
            gates.append(g)
            xin = h2
        rec["h"].append(np.array(hst))
        rec["c"].append(np.array(cst))
        rec["gates"].append(np.array(gates) if kind != "elman" else None)
        if att != "none" and query == "current":
            ctx = attend(qry(hst[-1], ctx_prev), t)
            htil = np.tanh(W["decoder.Wc.weight"] @ np.concatenate([ctx, hst[-1]]))
            rec["attn_hidden"].append(htil)
            logits = W["decoder.out.weight"] @ htil + W["decoder.out.bias"]
            htil_prev = htil
        else:
            logits = W["decoder.out.weight"] @ hst[-1] + W["decoder.out.bias"]
        m = logits.max()
        lp = logits - m - math.log(np.exp(logits - m).sum())
        rec["logprobs"].append(lp)
        y = int(np.argmax(lp))
        rec["tokens"].append(float(y))
        if force is not None:
            y = force[t]
        ctx_prev = ctx
    for k, v in rec.items():
        if v and v[0] is not None and not (k == "c" and kind != "lstm"):
            got["dec." + k] = np.array(v)
    return got


def check(path):
    exp, meta = st_read(path)
    model, mmeta = st_read(os.path.join(FIXTURES, meta["model"]))
    src_ids = json.loads(meta["src_ids"])
    src_vocab = json.loads(mmeta["src_vocab"])
    if mmeta["arch"] == "tutorial-gru-bahdanau":
        ids = [src_vocab.index(w) for w in meta["input"].split()] + [1]
    else:
        idx = {w: i for i, w in enumerate(src_vocab)}
        ids = [idx.get(w, idx.get("<unk>")) for w in meta["input"].split()] + [idx["<eos>"]]
    assert ids == src_ids, (path, ids, src_ids)
    T = exp["dec.logprobs"].shape[0]
    got = run(model, mmeta, src_ids, T)
    assert set(got) == set(exp), (path, sorted(set(got) ^ set(exp)))
    worst = 0.0
    for k in exp:
        a, b = exp[k], got[k]
        assert a.shape == b.shape, (path, k, a.shape, b.shape)
        assert np.array_equal(np.isinf(a), np.isinf(b)), (path, k, "-inf pattern")
        fin = np.isfinite(a)
        d = np.abs(a[fin] - b[fin]).max() if fin.any() else 0.0
        assert d <= TOL, "%s %s: diff %g" % (os.path.basename(path), k, d)
        worst = max(worst, d)
    tv = json.loads(mmeta["tgt_vocab"])
    assert json.loads(meta["tokens"]) == [tv[int(i)] for i in exp["dec.tokens"]]
    return worst, len(exp)


def check_batch(path):
    """Teacher-forced and greedy per-sentence numbers of a batch file, one
    sentence at a time (gradients are checked by rnn_reference.py only)."""
    exp, meta = st_read(path)
    model, mmeta = st_read(os.path.join(FIXTURES, meta["model"]))
    worst = 0.0
    for i, (src, tgt) in enumerate(zip(json.loads(meta["src_ids"]), json.loads(meta["targets"]))):
        tf = run(model, mmeta, src, len(tgt), force=tgt)
        gr = run(model, mmeta, src, int(meta["greedy_steps"]))
        pairs = [("tf.logprobs.s%d" % i, tf["dec.logprobs"]),
                 ("greedy.logprobs.s%d" % i, gr["dec.logprobs"]),
                 ("greedy.tokens.s%d" % i, gr["dec.tokens"])]
        if "dec.weights" in tf:
            pairs.append(("tf.weights.s%d" % i, tf["dec.weights"]))
        for k, v in pairs:
            assert exp[k].shape == v.shape, (k, exp[k].shape, v.shape)
            d = np.abs(exp[k] - v).max()
            assert d <= TOL, "%s %s: diff %g" % (os.path.basename(path), k, d)
            worst = max(worst, d)
    return worst


def main():
    n = 0
    for f in sorted(os.listdir(FIXTURES)):
        if not f.endswith(".expected.safetensors"):
            continue
        _, meta = st_read(os.path.join(FIXTURES, f))
        if "batch" in meta:  # the teacher-forcing/gradient file of a batch case
            worst = check_batch(os.path.join(FIXTURES, f))
            print("ok %-58s batch, max diff %.2e" % (f, worst))
            continue
        worst, k = check(os.path.join(FIXTURES, f))
        print("ok %-58s %2d tensors, max diff %.2e" % (f, k, worst))
        n += 1
    print("%d greedy fixtures agree with the numpy reading of docs/model-format.md" % n)


if __name__ == "__main__":
    sys.exit(main())
