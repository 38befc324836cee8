#!/usr/bin/env python3
"""PyTorch oracle for attnstep's RNN encoder-decoders with attention.

Writes the fixtures in tests/reference/fixtures/ (see README.md next to this
file). Regenerate with:

    /usr/bin/python3 tests/reference/rnn_reference.py

Contents:
  (a) EncoderRNN / BahdanauAttention / AttnDecoderRNN: a reimplementation of
      the PyTorch tutorial "NLP From Scratch: Translation with a Sequence to
      Sequence Network and Attention" (arch `tutorial-gru-bahdanau`).
  (b) Seq2Seq: the generic `rnn-seq2seq` architecture of docs/model-format.md
      (nn.GRU / nn.LSTM / nn.RNN, every scorer, window and query option),
      written with differentiable torch ops; works on padded batches.
  (c) manual cells (PyTorch's own equations) used to record gate activations;
      the script asserts they reproduce nn.GRU / nn.LSTM / nn.RNN to 1e-6.

Everything runs in float32 on the CPU with one thread and fixed seeds, so the
output files are byte-identical from run to run on the same machine.
"""

import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
T_STEPS = 6          # greedy steps per fixture; EOS does not stop decoding
CELL_TOL = 1e-6      # manual cell vs nn module
BATCH_TOL = 1e-5     # padded batch vs one sentence at a time
ARGMAX_MARGIN = 1e-2  # minimum top1 - top2 log-prob gap at every greedy step
WINDOW_MARGIN = 1e-3  # local-p: minimum distance of p +- D from an integer

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


# --------------------------------------------------------------------------
# safetensors (tiny writer and reader; F32 only)
# --------------------------------------------------------------------------

def st_write(path, tensors, metadata):
    """Write `tensors` (name -> tensor/array, stored as little-endian F32) and
    `metadata` (str -> str) to `path`. Tensors are laid out in sorted name
    order; the JSON header is padded with spaces so data starts 8-aligned."""
    header = {}
    if metadata:
        header["__metadata__"] = {k: str(metadata[k]) for k in sorted(metadata)}
    blobs = []
    off = 0
    for name in sorted(tensors):
        t = tensors[name]
        if isinstance(t, torch.Tensor):
            t = t.detach().cpu().numpy()
        a = np.ascontiguousarray(np.asarray(t, dtype="<f4"))
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * ((-(8 + len(h))) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def st_read(path):
    """Return (dict name -> float32 numpy array, metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, info in header.items():
        assert info["dtype"] == "F32"
        s, e = info["data_offsets"]
        out[name] = np.frombuffer(raw[base + s:base + e], dtype="<f4").reshape(info["shape"])
    return out, meta


def jdump(x):
    return json.dumps(x, separators=(",", ":"), ensure_ascii=False)


# --------------------------------------------------------------------------
# (a) the tutorial's modules, written from its description
# --------------------------------------------------------------------------

class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size, dropout_p=0.1):
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, inp):
        emb = self.dropout(self.embedding(inp))
        output, hidden = self.gru(emb)
        return output, hidden


class BahdanauAttention(nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)

    def forward(self, query, keys):
        # query (B,1,H), keys (B,S,H)
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))  # (B,S,1)
        scores = scores.squeeze(2).unsqueeze(1)                        # (B,1,S)
        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights, keys)                             # (B,1,H)
        return context, weights


class AttnDecoderRNN(nn.Module):
    SOS = 0

    def __init__(self, hidden_size, output_size, dropout_p=0.1, max_length=T_STEPS):
        super().__init__()
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attention = BahdanauAttention(hidden_size)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)
        self.dropout = nn.Dropout(dropout_p)
        self.max_length = max_length

    def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
        bsz = encoder_outputs.size(0)
        dec_input = torch.full((bsz, 1), self.SOS, dtype=torch.long)
        dec_hidden = encoder_hidden
        outputs, attentions = [], []
        for i in range(self.max_length):
            out, dec_hidden, w = self.forward_step(dec_input, dec_hidden, encoder_outputs)
            outputs.append(out)
            attentions.append(w)
            if target_tensor is not None:
                dec_input = target_tensor[:, i].unsqueeze(1)
            else:
                _, topi = out.topk(1)
                dec_input = topi.squeeze(-1).detach()
        outputs = F.log_softmax(torch.cat(outputs, dim=1), dim=-1)
        return outputs, dec_hidden, torch.cat(attentions, dim=1)

    def forward_step(self, inp, hidden, encoder_outputs):
        emb = self.dropout(self.embedding(inp))        # (B,1,H)
        query = hidden.permute(1, 0, 2)                # (B,1,H)
        context, w = self.attention(query, encoder_outputs)
        gru_in = torch.cat((emb, context), dim=2)
        output, hidden = self.gru(gru_in, hidden)
        output = self.out(output)
        return output, hidden, w


# --------------------------------------------------------------------------
# (c) manual cells: PyTorch's equations, for gate activations
# --------------------------------------------------------------------------

def cell_manual(kind, nonlin, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One step. Returns (h', c' or None, gates or None); gates are the
    activations after their nonlinearity: GRU [r,z,n], LSTM [i,f,g,o]."""
    if kind == "gru":
        gi = x @ w_ih.t() + b_ih
        gh = h @ w_hh.t() + b_hh
        i_r, i_z, i_n = gi.chunk(3, -1)
        h_r, h_z, h_n = gh.chunk(3, -1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        h2 = (1 - z) * n + z * h
        return h2, None, torch.cat([r, z, n], -1)
    if kind == "lstm":
        g = x @ w_ih.t() + b_ih + h @ w_hh.t() + b_hh
        i, f, gg, o = g.chunk(4, -1)
        i, f, gg, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(gg), torch.sigmoid(o)
        c2 = f * c + i * gg
        h2 = o * torch.tanh(c2)
        return h2, c2, torch.cat([i, f, gg, o], -1)
    a = x @ w_ih.t() + b_ih + h @ w_hh.t() + b_hh
    return (torch.tanh(a) if nonlin == "tanh" else torch.relu(a)), None, None


def rnn_weights(rnn, layer, reverse=False):
    sfx = "_l%d%s" % (layer, "_reverse" if reverse else "")
    return tuple(getattr(rnn, n + sfx) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))


def close(a, b, tol, what):
    a = a.detach() if isinstance(a, torch.Tensor) else torch.as_tensor(a)
    b = b.detach() if isinstance(b, torch.Tensor) else torch.as_tensor(b)
    assert a.shape == b.shape, (what, a.shape, b.shape)
    d = (a - b).abs().max().item() if a.numel() else 0.0
    assert d <= tol, "%s: max diff %g > %g" % (what, d, tol)


def make_rnn(kind, nonlin, inp, hid, layers=1, bidirectional=False):
    if kind == "gru":
        return nn.GRU(inp, hid, layers, batch_first=True, bidirectional=bidirectional)
    if kind == "lstm":
        return nn.LSTM(inp, hid, layers, batch_first=True, bidirectional=bidirectional)
    return nn.RNN(inp, hid, layers, nonlinearity=nonlin, batch_first=True,
                  bidirectional=bidirectional)


def encoder_trace(rnn, kind, nonlin, layers, bi, emb):
    """Manual L-layer (bi)directional encoder over emb (S,E) from zero states.
    Records per layer/direction h, c, gates in source-position order and
    asserts agreement with `rnn` (and with a one-layer module per layer)."""
    S = emb.shape[0]
    ndir = 2 if bi else 1
    Hd = rnn.hidden_size
    rec = {}
    inp = emb
    fin_h, fin_c = [], []
    for l in range(layers):
        outs = []
        for d in range(ndir):
            w = rnn_weights(rnn, l, d == 1)
            h = torch.zeros(Hd)
            c = torch.zeros(Hd)
            hs, cs, gs = [None] * S, [None] * S, [None] * S
            order = range(S) if d == 0 else range(S - 1, -1, -1)
            for j in order:
                h, c2, g = cell_manual(kind, nonlin, inp[j], h, c, *w)
                if c2 is not None:
                    c = c2
                hs[j], cs[j], gs[j] = h, c, g
            rec["enc.h.l%d.d%d" % (l, d)] = torch.stack(hs)
            if kind == "lstm":
                rec["enc.c.l%d.d%d" % (l, d)] = torch.stack(cs)
            if kind != "elman":
                rec["enc.gates.l%d.d%d" % (l, d)] = torch.stack(gs)
            outs.append(torch.stack(hs))
            fin_h.append(h)
            fin_c.append(c)
        layer_out = torch.cat(outs, -1)
        # this layer alone through a one-layer nn module with the same weights
        one = make_rnn(kind, nonlin, inp.shape[1], Hd, 1, bi)
        with torch.no_grad():
            for d in range(ndir):
                for src, dst in zip(rnn_weights(rnn, l, d == 1), rnn_weights(one, 0, d == 1)):
                    dst.copy_(src)
            o1, _ = one(inp[None])
        close(layer_out, o1[0], CELL_TOL, "encoder layer %d vs nn module" % l)
        inp = layer_out
    with torch.no_grad():
        out, hn = rnn(emb[None])
    if kind == "lstm":
        hn, cn = hn
        close(torch.stack(fin_c), cn[:, 0], CELL_TOL, "encoder final c")
    close(inp, out[0], CELL_TOL, "encoder outputs vs nn module")
    close(torch.stack(fin_h), hn[:, 0], CELL_TOL, "encoder final h")
    return rec, inp


# --------------------------------------------------------------------------
# (b) generic rnn-seq2seq
# --------------------------------------------------------------------------

def cfg_get(cfg, key):
    defaults = {"nonlinearity": "tanh", "layers": 1, "bidirectional": False,
                "window": "global", "window_d": 3, "input_feed": False,
                "dec_init": "last", "query_context": False, "query_lang": False,
                "query": "prev"}
    return cfg.get(key, defaults.get(key))


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        H, E = cfg["hidden"], cfg["emb"]
        Q = H + (H if cfg_get(cfg, "query_context") else 0) + (E if cfg_get(cfg, "query_lang") else 0)
        self.kind = cfg["attention"]
        self.window = cfg_get(cfg, "window")
        self.D = cfg_get(cfg, "window_d")
        self.H, self.Q = H, Q
        k = self.kind
        if k == "additive":
            self.Wa = nn.Linear(Q, H)
            self.Ua = nn.Linear(H, H)
            self.Va = nn.Linear(H, 1)
        elif k == "concat":
            self.W = nn.Linear(Q + H, H, bias=False)
            self.v = nn.Linear(H, 1, bias=False)
        elif k in ("dot", "scaled_dot", "cosine"):
            assert Q == H, "%s needs Q == H" % k
            if k == "cosine":
                self.scale = nn.Parameter(torch.ones(1))
        elif k == "general":
            self.Wa = nn.Linear(H, Q, bias=False)
        elif k == "location":
            self.M = cfg["max_src_len"]
            self.Wa = nn.Linear(Q, self.M)
        else:
            raise ValueError(k)
        if self.window == "local-p":
            self.Wp = nn.Linear(Q, H, bias=False)
            self.vp = nn.Linear(H, 1, bias=False)

    def scores(self, q, keys):
        """q (B,Q), keys (B,S,H) -> energies (B,S) before masking."""
        k = self.kind
        if k == "additive":
            return self.Va(torch.tanh(self.Wa(q)[:, None, :] + self.Ua(keys))).squeeze(-1)
        if k == "concat":
            qe = q[:, None, :].expand(-1, keys.shape[1], -1)
            return self.v(torch.tanh(self.W(torch.cat([qe, keys], -1)))).squeeze(-1)
        if k == "dot":
            return (keys * q[:, None, :]).sum(-1)
        if k == "scaled_dot":
            return (keys * q[:, None, :]).sum(-1) / math.sqrt(self.H)
        if k == "cosine":
            dot = (keys * q[:, None, :]).sum(-1)
            den = torch.clamp(q.norm(dim=-1)[:, None] * keys.norm(dim=-1), min=1e-8)
            return self.scale * dot / den
        if k == "general":
            return (self.Wa(keys) * q[:, None, :]).sum(-1)
        if k == "location":
            S = keys.shape[1]
            assert S <= self.M, "source longer than max_src_len"
            return self.Wa(q)[:, :S]
        raise ValueError(k)

    def forward(self, q, keys, lengths, t):
        """Returns dict: energies (B,S) with -inf outside the window/padding,
        weights (B,S), context (B,H), center (B) for local windows."""
        B, S, _ = keys.shape
        pos = torch.arange(S)[None, :].expand(B, S)
        valid = pos < lengths[:, None]
        e = self.scores(q, keys)
        center = None
        if self.window == "global":
            win = valid
        elif self.window == "local-m":
            center = torch.clamp(lengths - 1, max=t).to(q.dtype)  # min(t, S-1)
            win = valid & ((pos.to(q.dtype) - center[:, None]).abs() <= self.D)
        elif self.window == "local-p":
            center = (lengths - 1).to(q.dtype) * torch.sigmoid(self.vp(torch.tanh(self.Wp(q)))).squeeze(-1)
            lo = torch.ceil(center - self.D).detach()
            hi = torch.floor(center + self.D).detach()
            pf = pos.to(q.dtype)
            win = valid & (pf >= lo[:, None]) & (pf <= hi[:, None])
        else:
            raise ValueError(self.window)
        e = e.masked_fill(~win, float("-inf"))
        w = F.softmax(e, dim=-1)
        if self.window == "local-p":
            sigma = self.D / 2.0
            w = w * torch.exp(-(pos.to(q.dtype) - center[:, None]) ** 2 / (2 * sigma * sigma))
        ctx = torch.bmm(w[:, None, :], keys).squeeze(1)
        return {"energies": e, "weights": w, "context": ctx, "center": center}


class Seq2SeqEncoder(nn.Module):
    def __init__(self, cfg, Vs):
        super().__init__()
        H, E = cfg["hidden"], cfg["emb"]
        bi = cfg_get(cfg, "bidirectional")
        assert not bi or H % 2 == 0
        self.embedding = nn.Embedding(Vs, E)
        self.rnn = make_rnn(cfg["cell"], cfg_get(cfg, "nonlinearity"), E, H // 2 if bi else H,
                            cfg_get(cfg, "layers"), bi)


class Seq2SeqDecoder(nn.Module):
    def __init__(self, cfg, Vt):
        super().__init__()
        H, E = cfg["hidden"], cfg["emb"]
        att = cfg["attention"]
        query = cfg_get(cfg, "query")
        if att == "none":
            in0 = E
        elif query == "prev":
            in0 = E + H
        else:
            in0 = E + H if cfg_get(cfg, "input_feed") else E
        self.embedding = nn.Embedding(Vt, E)
        self.rnn = make_rnn(cfg["cell"], cfg_get(cfg, "nonlinearity"), in0, H, cfg_get(cfg, "layers"))
        if att != "none":
            self.attention = Attention(cfg)
            if query == "current":
                self.Wc = nn.Linear(2 * H, H, bias=False)
        self.out = nn.Linear(H, Vt)


class Seq2Seq(nn.Module):
    """The `rnn-seq2seq` architecture of docs/model-format.md."""

    def __init__(self, cfg, Vs, Vt, sos, rnn_name="rnn"):
        super().__init__()
        self.cfg = cfg
        self.kind = cfg["cell"]
        self.nonlin = cfg_get(cfg, "nonlinearity")
        self.L = cfg_get(cfg, "layers")
        self.H = cfg["hidden"]
        self.bi = cfg_get(cfg, "bidirectional")
        self.att = cfg["attention"]
        self.query = cfg_get(cfg, "query")
        self.feed = cfg_get(cfg, "input_feed")
        self.qctx = cfg_get(cfg, "query_context")
        self.qlang = cfg_get(cfg, "query_lang")
        self.sos = sos
        self.encoder = Seq2SeqEncoder(cfg, Vs)
        self.decoder = Seq2SeqDecoder(cfg, Vt)

    # ---- encoder
    def encode(self, src, lengths):
        """src (B,S) long, lengths (B) long. Returns emb, outputs (B,S,H) (zeros
        at padding), h0 (L,B,H), c0 (L,B,H) or None."""
        B, S = src.shape
        emb = self.encoder.embedding(src)
        rnn = self.encoder.rnn
        if bool((lengths == S).all()):
            out, hn = rnn(emb)
        else:
            packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
            out_p, hn = rnn(packed)
            out, _ = pad_packed_sequence(out_p, batch_first=True, total_length=S)
        cn = None
        if self.kind == "lstm":
            hn, cn = hn

        def merge(x):  # (L*ndir,B,Hd) -> (L,B,H) as [forward; backward]
            if not self.bi:
                return x
            return torch.stack([torch.cat([x[2 * l], x[2 * l + 1]], -1) for l in range(self.L)])

        if cfg_get(self.cfg, "dec_init") == "zeros":
            h0 = torch.zeros(self.L, B, self.H)
            c0 = torch.zeros(self.L, B, self.H) if cn is not None else None
        else:
            h0 = merge(hn)
            c0 = merge(cn) if cn is not None else None
        return emb, out, h0, c0

    # ---- one decoder step
    def step(self, y_prev, state, keys, lengths, lang, ctx_prev, htil_prev, t, trace=False):
        dec = self.decoder
        h, c = state
        rec = {}
        x = dec.embedding(y_prev)  # (B,E)
        rec["embed"] = x
        h_top = h[-1]

        def attend(q):
            rec["query"] = q
            a = dec.attention(q, keys, lengths, t)
            rec.update(a)
            return a["context"]

        def query_of(htop):
            parts = [htop]
            if self.qctx:
                parts.append(ctx_prev)
            if self.qlang:
                parts.append(lang)
            return torch.cat(parts, -1)

        ctx = ctx_prev
        htil = htil_prev
        if self.att == "none":
            inp = x
        elif self.query == "prev":
            ctx = attend(query_of(h_top))
            inp = torch.cat([x, ctx], -1)
        else:
            inp = torch.cat([x, htil_prev], -1) if self.feed else x
        st = (h, c) if self.kind == "lstm" else h
        out, st2 = dec.rnn(inp[:, None, :], st)
        if self.kind == "lstm":
            h2, c2 = st2
        else:
            h2, c2 = st2, None
        if trace:
            self._check_dec_cells(inp, h, c, h2, c2, out[:, 0], rec)
        h_top2 = h2[-1]
        if self.att != "none" and self.query == "current":
            ctx = attend(query_of(h_top2))
            htil = torch.tanh(dec.Wc(torch.cat([ctx, h_top2], -1)))
            rec["attn_hidden"] = htil
            logits = dec.out(htil)
        else:
            logits = dec.out(h_top2)
        lp = F.log_softmax(logits, -1)
        rec["h"] = h2.transpose(0, 1)  # (B,L,H)
        if c2 is not None:
            rec["c"] = c2.transpose(0, 1)
        rec["logprobs"] = lp
        return lp, (h2, c2), ctx, htil, rec

    def _check_dec_cells(self, inp, h, c, h2, c2, top_out, rec):
        x = inp
        gates, hs, cs = [], [], []
        for l in range(self.L):
            hl, cl, g = cell_manual(self.kind, self.nonlin, x, h[l],
                                    c[l] if c is not None else None,
                                    *rnn_weights(self.decoder.rnn, l))
            hs.append(hl)
            cs.append(cl)
            gates.append(g)
            x = hl
        close(torch.stack(hs), h2, CELL_TOL, "decoder h vs nn module")
        close(hs[-1], top_out, CELL_TOL, "decoder output vs nn module")
        if c2 is not None:
            close(torch.stack(cs), c2, CELL_TOL, "decoder c vs nn module")
        if self.kind != "elman":
            rec["gates"] = torch.stack(gates).transpose(0, 1)  # (B,L,G*H)

    # ---- whole decodes
    def run(self, src, lengths, T, targets=None, trace=False):
        """Greedy (targets None; always T steps, argmax fed back, EOS does not
        stop) or teacher forcing (targets (B,T) long: step t reads targets[:,t-1]).
        Returns logprobs (B,T,V), tokens (B,T), per-step records, encoder parts."""
        emb, keys, h, c = self.encode(src, lengths)
        B = src.shape[0]
        lang = emb[:, 0] if self.qlang else None
        ctx = torch.zeros(B, self.H)
        htil = torch.zeros(B, self.H)
        y = torch.full((B,), self.sos, dtype=torch.long)
        lps, toks, recs = [], [], []
        for t in range(T):
            lp, (h, c), ctx, htil, rec = self.step(y, (h, c), keys, lengths, lang, ctx, htil, t, trace)
            tok = lp.argmax(-1)
            lps.append(lp)
            toks.append(tok)
            recs.append(rec)
            y = tok if targets is None else targets[:, t]
        return torch.stack(lps, 1), torch.stack(toks, 1), recs, (emb, keys)


# --------------------------------------------------------------------------
# weights, checks, fixture writing
# --------------------------------------------------------------------------

def init_weights(model, seed):
    """Normal weights, scaled so that activations are neither saturated nor
    tiny and attention / greedy tokens are not degenerate."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if name.endswith("attention.scale"):
                std, mean = 0.5, 4.0                      # cosine: a usable temperature
            elif "embedding" in name:
                std, mean = 1.0, 0.0
            elif ".bias" in name or "bias_" in name:
                std, mean = 0.2, 0.0
            elif ".attention." in name or ".out." in name:
                std, mean = 0.9, 0.0
            else:
                std, mean = 0.45, 0.0
            p.copy_(mean + std * torch.randn(p.shape))


def margin_ok(logprobs):
    """Every step's argmax beats the runner-up by ARGMAX_MARGIN."""
    top = logprobs.topk(2, -1).values
    return bool(((top[..., 0] - top[..., 1]) >= ARGMAX_MARGIN).all())


def quality_ok(out, min_distinct=3, peak=1.6):
    """Reject degenerate draws: the greedy tokens must vary (>= min_distinct
    distinct ids over the T steps) and global attention must not be flat (mean
    over steps of the largest weight >= peak / S), so that a wrong key order or
    a token not fed back shows in the numbers."""
    if len(set(out["dec.tokens"].tolist())) < min_distinct:
        return False
    if "dec.weights" in out and "dec.center" not in out:
        w = out["dec.weights"]
        if w.max(-1).values.mean().item() < peak / w.shape[-1]:
            return False
    return True


def window_ok(centers, D):
    if centers is None:
        return True
    for p in centers.reshape(-1).tolist():
        for v in (p - D, p + D):
            if abs(v - round(v)) < WINDOW_MARGIN:
                return False
    return True


def vocab(n_words, specials, extra=()):
    letters = "abcdefghijklmnopqrstuvwxyz"
    return list(specials) + list(extra) + [letters[i] for i in range(n_words)]


SPECIALS = ["<pad>", "<unk>", "<sos>", "<eos>"]


def encode_words(words, voc):
    idx = {w: i for i, w in enumerate(voc)}
    ids = [idx.get(w, idx.get("<unk>")) for w in words]
    assert None not in ids, words
    return ids + [idx["<eos>"]]


def model_meta(arch, src_vocab, tgt_vocab, cfg, name):
    m = {"arch": arch, "src_vocab": jdump(src_vocab), "tgt_vocab": jdump(tgt_vocab),
         "name": name, "task": "attnstep reference fixture (random weights)",
         "train_source": "tests/reference/rnn_reference.py"}
    if cfg is not None:
        m["config"] = jdump(cfg)
    return m


def state_tensors(model):
    return {k: v for k, v in model.state_dict().items()}


def written(path):
    print("  wrote %s (%d bytes)" % (os.path.relpath(path, HERE), os.path.getsize(path)))


def greedy_expected(model, src_ids, sample):
    """Trace one sentence (B=1) greedily for T_STEPS; returns tensors and the
    greedy log-probs (T,V). Asserts manual cells == nn modules."""
    src = torch.tensor([src_ids])
    lengths = torch.tensor([len(src_ids)])
    with torch.no_grad():
        lps, toks, recs, (emb, keys) = model.run(src, lengths, T_STEPS, trace=True)
        enc_rec, enc_out = encoder_trace(model.encoder.rnn, model.kind, model.nonlin, model.L,
                                         model.bi, emb[0])
    close(enc_out, keys[0], CELL_TOL, "encoder trace vs model encode")
    out = dict(enc_rec)
    out["enc.embed"] = emb[0]
    out["enc.outputs"] = keys[0]
    for key in ("embed", "h", "c", "gates", "query", "energies", "weights", "context",
                "attn_hidden", "center"):
        if key in recs[0] and recs[0][key] is not None:
            out["dec." + key] = torch.stack([r[key][0] for r in recs])
    out["dec.logprobs"] = lps[0]
    out["dec.tokens"] = toks[0].float()
    return out, lps[0], toks[0]


def expected_meta(case, model_file, inp, src_ids, tokens, extra=None):
    m = {"case": case, "model": model_file, "input": inp, "src_ids": jdump(src_ids),
         "tokens": jdump(tokens), "steps": str(T_STEPS),
         "note": "greedy, argmax fed back, EOS does not stop decoding"}
    if extra:
        m.update(extra)
    return m


def tutorial_case(name, seed, n_words, sentence):
    H = 8
    src_vocab = ["SOS", "EOS"] + vocab(n_words, [])
    tgt_vocab = ["SOS", "EOS"] + vocab(n_words, [])[::-1]
    while True:
        torch.manual_seed(seed)
        enc = EncoderRNN(len(src_vocab), H).eval()
        dec = AttnDecoderRNN(H, len(tgt_vocab)).eval()
        both = nn.ModuleDict({"encoder": enc, "decoder": dec})
        init_weights(both, seed)
        src_ids = [src_vocab.index(w) for w in sentence.split()] + [1]  # tensorFromSentence
        src = torch.tensor([src_ids])
        rec = {"q": [], "e": []}
        hook = dec.attention.Va.register_forward_hook(lambda m, i, o: rec["e"].append(o[0, :, 0].clone()))
        with torch.no_grad():
            enc_out, enc_h = enc(src)
            # the tutorial's own loop
            lp_all, _, att_all = dec(enc_out, enc_h)
            rec["e"].clear()
            # traced: the same steps one at a time
            hid = enc_h
            y = torch.tensor([[0]])
            steps = {k: [] for k in ("embed", "h", "gates", "query", "energies", "weights",
                                     "context", "logprobs", "tokens")}
            for t in range(T_STEPS):
                x = dec.embedding(y)[0, 0]
                q = hid.permute(1, 0, 2)[0, 0]
                out, hid2, w = dec.forward_step(y, hid, enc_out)
                ctx = torch.bmm(w, enc_out)[0, 0]
                h_manual, _, g = cell_manual("gru", "tanh", torch.cat([x, ctx]), hid[0, 0], None,
                                             *rnn_weights(dec.gru, 0))
                close(h_manual, hid2[0, 0], CELL_TOL, "tutorial decoder cell")
                lp = F.log_softmax(out[0, 0], -1)
                tok = lp.argmax()
                for k, v in (("embed", x), ("h", hid2[:, 0]), ("gates", g[None]), ("query", q),
                             ("energies", rec["e"][-1]), ("weights", w[0, 0]), ("context", ctx),
                             ("logprobs", lp), ("tokens", tok.float())):
                    steps[k].append(v)
                hid = hid2
                y = tok.view(1, 1)
            hook.remove()
            lps = torch.stack(steps["logprobs"])
            close(lps, lp_all[0], 1e-6, "tutorial loop vs traced steps")
            close(torch.stack(steps["weights"]), att_all[0], 1e-6, "tutorial attention")
            enc_rec, enc_out_m = encoder_trace(enc.gru, "gru", "tanh", 1, False,
                                               enc.embedding(src)[0])
        if margin_ok(lps) and quality_ok({"dec.tokens": lps.argmax(-1).float(),
                                          "dec.weights": torch.stack(steps["weights"])}):
            break
        seed += 1000
    # cross-check: the same weights as rnn-seq2seq with the documented config
    cfg = {"cell": "gru", "hidden": H, "emb": H, "layers": 1, "bidirectional": False,
           "attention": "additive", "query": "prev", "input_feed": False, "dec_init": "last"}
    gen = Seq2Seq(cfg, len(src_vocab), len(tgt_vocab), sos=0).eval()
    sd = {k.replace(".gru.", ".rnn."): v for k, v in both.state_dict().items()}
    gen.load_state_dict(sd, strict=True)
    with torch.no_grad():
        glp, _, _, _ = gen.run(src, torch.tensor([len(src_ids)]), T_STEPS)
    close(glp[0], lps, 1e-6, "tutorial vs rnn-seq2seq with the documented config")

    out = dict(enc_rec)
    out["enc.embed"] = enc.embedding(src)[0]
    out["enc.outputs"] = enc_out[0]
    for k, v in steps.items():
        out["dec." + k] = torch.stack(v)
    mfile = name + ".model.safetensors"
    p = os.path.join(FIXTURES, mfile)
    st_write(p, state_tensors(both), model_meta("tutorial-gru-bahdanau", src_vocab, tgt_vocab,
                                                None, name))
    written(p)
    toks = [tgt_vocab[int(i)] for i in steps["tokens"]]
    p = os.path.join(FIXTURES, name + ".expected.safetensors")
    st_write(p, out, expected_meta(name, mfile, sentence, src_ids, toks, {"seed": str(seed)}))
    written(p)
    return seed


def lang_vocab(cfg):
    return ["<2fr>", "<2es>"] if cfg_get(cfg, "query_lang") else []


def generic_case(name, cfg, seed, n_src, n_tgt, sentence):
    src_vocab = vocab(n_src, SPECIALS, lang_vocab(cfg))
    tgt_vocab = vocab(n_tgt, SPECIALS)
    src_ids = encode_words(sentence.split(), src_vocab)
    first_seed = seed
    while True:
        torch.manual_seed(seed)
        model = Seq2Seq(cfg, len(src_vocab), len(tgt_vocab), sos=tgt_vocab.index("<sos>")).eval()
        init_weights(model, seed)
        out, lps, toks = greedy_expected(model, src_ids, sentence)
        # scaled_dot of tanh-bounded vectors is inherently flat: ask less of it
        peak = 1.1 if cfg["attention"] == "scaled_dot" else 1.6
        if margin_ok(lps) and quality_ok(out, peak=peak) and window_ok(
                out.get("dec.center") if cfg_get(cfg, "window") == "local-p" else None,
                cfg_get(cfg, "window_d")):
            break
        seed += 1000
        assert seed < first_seed + 100 * 1000, "no usable seed for " + name
    mfile = name + ".model.safetensors"
    p = os.path.join(FIXTURES, mfile)
    st_write(p, state_tensors(model), model_meta("rnn-seq2seq", src_vocab, tgt_vocab, cfg, name))
    written(p)
    p = os.path.join(FIXTURES, name + ".expected.safetensors")
    st_write(p, out, expected_meta(name, mfile, sentence, src_ids,
                                   [tgt_vocab[int(i)] for i in toks], {"seed": str(seed)}))
    written(p)
    return model, src_vocab, tgt_vocab


def batch_case(name, cfg, seed, n_src, n_tgt, sentences, targets):
    """One padded batch: teacher forcing over `targets` (words; <eos> appended)
    with loss and gradients, plus batched greedy decoding; and per-sentence
    greedy fixtures that must give the same numbers one sentence at a time."""
    src_vocab = vocab(n_src, SPECIALS, lang_vocab(cfg))
    tgt_vocab = vocab(n_tgt, SPECIALS)
    pad_s, pad_t = src_vocab.index("<pad>"), tgt_vocab.index("<pad>")
    eos_t = tgt_vocab.index("<eos>")
    src_ids = [encode_words(s.split(), src_vocab) for s in sentences]
    tgt_ids = [[tgt_vocab.index(w) for w in tg.split()] + [eos_t] for tg in targets]
    B = len(sentences)
    S = max(map(len, src_ids))
    T = max(map(len, tgt_ids))
    src = torch.tensor([s + [pad_s] * (S - len(s)) for s in src_ids])
    lengths = torch.tensor([len(s) for s in src_ids])
    tgt = torch.tensor([s + [pad_t] * (T - len(s)) for s in tgt_ids])
    tmask = torch.tensor([[1.0] * len(s) + [0.0] * (T - len(s)) for s in tgt_ids])
    first_seed = seed
    while True:
        torch.manual_seed(seed)
        model = Seq2Seq(cfg, len(src_vocab), len(tgt_vocab), sos=tgt_vocab.index("<sos>")).eval()
        init_weights(model, seed)
        singles = []
        ok = True
        for i in range(B):
            out, lps, toks = greedy_expected(model, src_ids[i], sentences[i])
            ok &= margin_ok(lps) and quality_ok(out, min_distinct=2)
            if cfg_get(cfg, "window") == "local-p":
                ok &= window_ok(out["dec.center"], cfg_get(cfg, "window_d"))
            singles.append((out, lps, toks))
        with torch.no_grad():
            glps, gtoks, grecs, _ = model.run(src, lengths, T_STEPS)
        if cfg_get(cfg, "window") == "local-p":
            ok &= window_ok(torch.stack([r["center"] for r in grecs]), cfg_get(cfg, "window_d"))
        # teacher forcing, with autograd
        model.zero_grad()
        tlps, _, trecs, _ = model.run(src, lengths, T, targets=tgt)
        if cfg_get(cfg, "window") == "local-p":
            ok &= window_ok(torch.stack([r["center"] for r in trecs]).detach(), cfg_get(cfg, "window_d"))
        if ok:
            break
        seed += 1000
        assert seed < first_seed + 100 * 1000, "no usable seed for " + name
    nll = -tlps.gather(-1, tgt[..., None]).squeeze(-1)      # (B,T)
    loss = (nll * tmask).sum() / tmask.sum()
    loss.backward()
    # batch vs one sentence at a time
    for i in range(B):
        close(glps[i], singles[i][1], BATCH_TOL, "batched greedy vs single, sentence %d" % i)
        assert torch.equal(gtoks[i], singles[i][2])
        with torch.no_grad():
            s_lps, _, s_recs, _ = model.run(torch.tensor([src_ids[i]]), lengths[i:i + 1],
                                            len(tgt_ids[i]),
                                            targets=torch.tensor([tgt_ids[i]]))
        close(tlps[i, :len(tgt_ids[i])], s_lps[0], BATCH_TOL, "teacher forcing batch vs single %d" % i)
    # gradients vs one sentence at a time (sum of per-sentence token NLL / tokens)
    acc = {n: torch.zeros_like(p) for n, p in model.named_parameters()}
    ntok = float(tmask.sum())
    for i in range(B):
        m2 = Seq2Seq(cfg, len(src_vocab), len(tgt_vocab), sos=model.sos).eval()
        m2.load_state_dict(model.state_dict())
        s_lps, _, _, _ = m2.run(torch.tensor([src_ids[i]]), lengths[i:i + 1], len(tgt_ids[i]),
                                targets=torch.tensor([tgt_ids[i]]))
        (-s_lps[0].gather(-1, torch.tensor(tgt_ids[i])[:, None]).sum() / ntok).backward()
        for n, p in m2.named_parameters():
            acc[n] += p.grad
    for n, p in model.named_parameters():
        close(p.grad, acc[n], BATCH_TOL, "gradient %s batch vs singles" % n)

    mfile = name + ".model.safetensors"
    p = os.path.join(FIXTURES, mfile)
    st_write(p, state_tensors(model), model_meta("rnn-seq2seq", src_vocab, tgt_vocab, cfg, name))
    written(p)
    bt = {"loss": loss.detach().reshape(1)}
    for n, prm in model.named_parameters():
        bt["grad." + n] = prm.grad
    for i in range(B):
        Ti, Si = len(tgt_ids[i]), len(src_ids[i])
        bt["tf.logprobs.s%d" % i] = tlps[i, :Ti]
        if "weights" in trecs[0]:
            bt["tf.weights.s%d" % i] = torch.stack([r["weights"][i, :Si] for r in trecs[:Ti]])
        bt["greedy.logprobs.s%d" % i] = glps[i]
        bt["greedy.tokens.s%d" % i] = gtoks[i].float()
    meta = {"case": name, "model": mfile, "batch": str(B), "inputs": jdump(sentences),
            "src_ids": jdump(src_ids), "targets": jdump(tgt_ids),
            "target_tokens": jdump([[tgt_vocab[j] for j in s] for s in tgt_ids]),
            "greedy_steps": str(T_STEPS), "seed": str(seed),
            "loss": "sum over sentences and target tokens (incl. <eos>) of -logprob(target) "
                    "/ number of target tokens; grad.* = d loss / d parameter",
            "teacher_forcing": "step 0 reads <sos>, step t reads target[t-1]"}
    p = os.path.join(FIXTURES, name + ".expected.safetensors")
    st_write(p, bt, meta)
    written(p)
    for i in range(B):
        out, _, toks = singles[i]
        p = os.path.join(FIXTURES, "%s.s%d.expected.safetensors" % (name, i))
        st_write(p, out, expected_meta("%s.s%d" % (name, i), mfile, sentences[i], src_ids[i],
                                       [tgt_vocab[int(j)] for j in toks], {"seed": str(seed)}))
        written(p)


def base(cell, attention, query, **kw):
    cfg = {"cell": cell, "hidden": 8, "emb": kw.pop("emb", 6), "layers": 1,
           "bidirectional": False, "attention": attention, "query": query,
           "input_feed": False, "dec_init": "last"}
    cfg.update(kw)
    return cfg


CASES = [
    ("gru-additive-prev-bi2-last",
     base("gru", "additive", "prev", layers=2, bidirectional=True, emb=7), 11, 7, 6, "c a f b zz"),
    ("lstm-general-current-feed-zeros",
     base("lstm", "general", "current", input_feed=True, dec_init="zeros"), 12, 6, 7, "b d a e"),
    ("elman-tanh-dot-current",
     {"cell": "elman", "hidden": 8, "emb": 6, "attention": "dot", "query": "current"},
     13, 6, 6, "a c e b f"),
    ("elman-relu-additive-prev",
     base("elman", "additive", "prev", nonlinearity="relu", emb=8), 14, 6, 6, "f e d c"),
    ("gru-scaled_dot-current-feed",
     base("gru", "scaled_dot", "current", input_feed=True), 15, 7, 6, "g a b a c q"),
    ("lstm-cosine-current", base("lstm", "cosine", "current", emb=7), 16, 6, 7, "d d a f e"),
    ("gru-location-current-m10", base("gru", "location", "current", max_src_len=10), 17, 6, 6,
     "e b c a b f"),
    ("gru-concat-prev-qctx-qlang",
     base("gru", "concat", "prev", query_context=True, query_lang=True), 18, 6, 6,
     "<2fr> a c b d"),
    ("gru-general-localm1-current",
     base("gru", "general", "current", window="local-m", window_d=1), 19, 6, 6, "b a f c e"),
    ("lstm-general-localp2-current-feed",
     base("lstm", "general", "current", window="local-p", window_d=2, input_feed=True, emb=8),
     20, 6, 6, "a f c x d e"),
    ("gru-none", base("gru", "none", "prev"), 21, 6, 6, "c e a"),
    ("lstm-bi1-additive-prev", base("lstm", "additive", "prev", bidirectional=True), 22, 7, 6,
     "f a g c b"),
]

BATCHES = [
    ("batch-gru-additive-prev-bi2",
     base("gru", "additive", "prev", layers=2, bidirectional=True, emb=7), 31, 7, 6,
     ["a c f b e", "d b", "g a zz c"], ["f b a", "c d e b a", "e"]),
    ("batch-lstm-general-localp2-current-feed-bi",
     base("lstm", "general", "current", bidirectional=True, window="local-p", window_d=2,
          input_feed=True), 32, 7, 6,
     ["b a c", "e f g a d c", "a d q b"], ["a b c d", "d", "b b e"]),
]


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    print("tutorial-gru-bahdanau")
    tutorial_case("tutorial-gru-bahdanau", 10, 8, "c a f e b")
    for name, cfg, seed, ns, nt, sentence in CASES:
        print(name)
        generic_case(name, cfg, seed, ns, nt, sentence)
    for name, cfg, seed, ns, nt, sentences, targets in BATCHES:
        print(name)
        batch_case(name, cfg, seed, ns, nt, sentences, targets)
    # round trip through the reader
    total = 0
    for f in sorted(os.listdir(FIXTURES)):
        if f.endswith(".safetensors"):
            t, m = st_read(os.path.join(FIXTURES, f))
            assert t and m
            total += os.path.getsize(os.path.join(FIXTURES, f))
    print("total fixture size: %d bytes" % total)


if __name__ == "__main__":
    sys.exit(main())
