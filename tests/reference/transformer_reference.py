#!/usr/bin/env python3
"""PyTorch oracle for attnstep's `tutorial-transformer` architecture.

Writes tests/reference/fixtures/tfm-<case>.model.safetensors and
tfm-<case>.greedy.safetensors (not `.expected.`: rnn_reference.py's tests read every
*.expected.safetensors as an RNN fixture), plus the gradient fixtures below. Regenerate with:

    /usr/bin/python3 tests/reference/transformer_reference.py

The model is `Seq2SeqTransformer` of PyTorch's tutorial "Language Translation
with nn.Transformer and torchtext", written here from its description:
nn.Transformer (sequence-first, ReLU FFN, dropout modules present but the model
runs in eval()), TokenEmbedding (nn.Embedding × sqrt(d)), PositionalEncoding
(a registered buffer `pos_embedding` of shape (maxlen, 1, d), sin on even and
cos on odd dimensions) and `generator` (nn.Linear to the target vocabulary).
The fixtures use maxlen 24 instead of the tutorial's 5000 to stay small; the
C loader reads maxlen from the tensor's shape.

Decoding is the tutorial's greedy_decode: the source wrapped in BOS ... EOS,
ys = [BOS], at most (S + 5) - 1 iterations, each recomputing the whole decoder
over ys with the causal mask and taking the last position, stopping after EOS.
Intermediates of that last position are recorded by a layer-by-layer forward
built from the same modules (nn.MultiheadAttention called with need_weights and
per-head weights); the script asserts that it reproduces model.encode /
model.decode to 1e-6 at every position and step, so the recorded numbers are
nn.Transformer's own. The C side computes the decoder incrementally with a
key/value cache and is checked against these full recomputations.

Expected file tensors (L_e / L_d layers, H heads, S source tokens incl. BOS/EOS,
T greedy steps, d model size, V target vocabulary):
  enc.embed (S, d)               token embedding × sqrt(d) + position row
  enc.x_out.l{N} (S, d)          output of encoder layer N (input of N+1)
  enc.attn.l{N} (H, S, S)        per-head self-attention weights [head, query, key]
  enc.memory (S, d)              after the final encoder LayerNorm
  dec.embed (T, d)               input token of step t at position t (BOS at step 0)
  dec.x_out.l{N} (T, d)          output of decoder layer N at the newest position
  dec.self.l{N} (T, H, T)        masked self-attention weights of the newest position
                                 over positions 0..t (zeros after t)
  dec.cross.l{N} (T, H, S)       cross-attention weights of the newest position
  dec.out (T, d)                 after the final decoder LayerNorm
  dec.logprobs (T, V)            log_softmax(generator(out))
  dec.tokens (T)                 greedy argmax (ends with EOS unless the cap was hit)
Metadata: model (file name), input (source text), src_ids (JSON), steps (T).

Everything runs in float32 on the CPU with one thread and fixed seeds, so the
files are byte-identical from run to run on the same machine.
"""

import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
UNK, PAD, BOS, EOS = 0, 1, 2, 3
SPECIALS = ["<unk>", "<pad>", "<bos>", "<eos>"]
MAXLEN = 24
CHECK_TOL = 1e-6
ARGMAX_MARGIN = 1e-2

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def st_write(path, tensors, metadata):
    """F32 safetensors: tensors in sorted name order, header padded to 8 bytes."""
    header = {}
    if metadata:
        header["__metadata__"] = {k: str(metadata[k]) for k in sorted(metadata)}
    blobs, off = [], 0
    for name in sorted(tensors):
        t = tensors[name]
        if isinstance(t, torch.Tensor):
            t = t.detach().cpu().numpy()
        a = np.ascontiguousarray(np.asarray(t, dtype="<f4"))
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * ((-(8 + len(h))) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def jdump(x):
    return json.dumps(x, separators=(",", ":"), ensure_ascii=False)


# --------------------------------------------------------------------------
# the tutorial's modules
# --------------------------------------------------------------------------

class PositionalEncoding(nn.Module):
    def __init__(self, emb_size, dropout, maxlen=5000):
        super().__init__()
        den = torch.exp(-torch.arange(0, emb_size, 2) * math.log(10000) / emb_size)
        pos = torch.arange(0, maxlen).reshape(maxlen, 1)
        pos_embedding = torch.zeros((maxlen, emb_size))
        pos_embedding[:, 0::2] = torch.sin(pos * den)
        pos_embedding[:, 1::2] = torch.cos(pos * den)
        pos_embedding = pos_embedding.unsqueeze(-2)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("pos_embedding", pos_embedding)

    def forward(self, token_embedding):
        return self.dropout(token_embedding + self.pos_embedding[:token_embedding.size(0), :])


class TokenEmbedding(nn.Module):
    def __init__(self, vocab_size, emb_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_size)
        self.emb_size = emb_size

    def forward(self, tokens):
        return self.embedding(tokens.long()) * math.sqrt(self.emb_size)


class Seq2SeqTransformer(nn.Module):
    def __init__(self, num_encoder_layers, num_decoder_layers, emb_size, nhead, src_vocab_size,
                 tgt_vocab_size, dim_feedforward=512, dropout=0.1, norm_first=False, maxlen=5000):
        super().__init__()
        self.transformer = nn.Transformer(d_model=emb_size, nhead=nhead,
                                          num_encoder_layers=num_encoder_layers,
                                          num_decoder_layers=num_decoder_layers,
                                          dim_feedforward=dim_feedforward, dropout=dropout,
                                          norm_first=norm_first)
        self.generator = nn.Linear(emb_size, tgt_vocab_size)
        self.src_tok_emb = TokenEmbedding(src_vocab_size, emb_size)
        self.tgt_tok_emb = TokenEmbedding(tgt_vocab_size, emb_size)
        self.positional_encoding = PositionalEncoding(emb_size, dropout=dropout, maxlen=maxlen)

    def encode(self, src, src_mask):
        return self.transformer.encoder(self.positional_encoding(self.src_tok_emb(src)), src_mask)

    def decode(self, tgt, memory, tgt_mask):
        return self.transformer.decoder(self.positional_encoding(self.tgt_tok_emb(tgt)), memory, tgt_mask)

    def forward(self, src, trg, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask, memory_key_padding_mask):
        src_emb = self.positional_encoding(self.src_tok_emb(src))
        tgt_emb = self.positional_encoding(self.tgt_tok_emb(trg))
        outs = self.transformer(src_emb, tgt_emb, src_mask, tgt_mask, None,
                                src_padding_mask, tgt_padding_mask, memory_key_padding_mask)
        return self.generator(outs)


def generate_square_subsequent_mask(sz):
    mask = (torch.triu(torch.ones((sz, sz))) == 1).transpose(0, 1)
    return mask.float().masked_fill(mask == 0, float("-inf")).masked_fill(mask == 1, float(0.0))


# --------------------------------------------------------------------------
# layer-by-layer forward with per-head weights (same modules)
# --------------------------------------------------------------------------

def mha(attn, q, kv, mask):
    out, w = attn(q, kv, kv, attn_mask=mask, need_weights=True, average_attn_weights=False)
    return out, w[0]  # batch 1: (L, 1, d), (H, Lq, Lk)


def enc_layer(layer, x, mask):
    if layer.norm_first:
        sa, w = mha(layer.self_attn, layer.norm1(x), layer.norm1(x), mask)
        x = x + sa
        x = x + layer.linear2(F.relu(layer.linear1(layer.norm2(x))))
    else:
        sa, w = mha(layer.self_attn, x, x, mask)
        x = layer.norm1(x + sa)
        x = layer.norm2(x + layer.linear2(F.relu(layer.linear1(x))))
    return x, w


def dec_layer(layer, x, memory, mask):
    if layer.norm_first:
        h = layer.norm1(x)
        sa, ws = mha(layer.self_attn, h, h, mask)
        x = x + sa
        ca, wc = mha(layer.multihead_attn, layer.norm2(x), memory, None)
        x = x + ca
        x = x + layer.linear2(F.relu(layer.linear1(layer.norm3(x))))
    else:
        sa, ws = mha(layer.self_attn, x, x, mask)
        x = layer.norm1(x + sa)
        ca, wc = mha(layer.multihead_attn, x, memory, None)
        x = layer.norm2(x + ca)
        x = layer.norm3(x + layer.linear2(F.relu(layer.linear1(x))))
    return x, ws, wc


def close(a, b, tol, what):
    d = (a - b).abs().max().item()
    assert d <= tol, "%s: max diff %g > %g" % (what, d, tol)


# --------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------

def build(seed, n_enc, n_dec, d, nhead, ffn, vs, vt, norm_first):
    torch.manual_seed(seed)
    m = Seq2SeqTransformer(n_enc, n_dec, d, nhead, vs, vt, dim_feedforward=ffn,
                           norm_first=norm_first, maxlen=MAXLEN)
    with torch.no_grad():
        for name, p in m.named_parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)  # as the tutorial does
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.2 * torch.randn_like(p))  # biases (zeros by default) made visible
    m.eval()
    return m


def greedy_trace(m, src_ids):
    """The tutorial's translate/greedy_decode with every intermediate recorded."""
    S = len(src_ids)
    src = torch.tensor(src_ids, dtype=torch.long).view(-1, 1)
    src_mask = torch.zeros(S, S).type(torch.bool)
    rec = {}
    with torch.no_grad():
        memory = m.encode(src, src_mask)
        x = m.positional_encoding(m.src_tok_emb(src))
        rec["enc.embed"] = x[:, 0].clone()
        for n, layer in enumerate(m.transformer.encoder.layers):
            x, w = enc_layer(layer, x, src_mask)
            rec["enc.x_out.l%d" % n] = x[:, 0].clone()
            rec["enc.attn.l%d" % n] = w.clone()
        mem2 = m.transformer.encoder.norm(x)
        close(mem2, memory, CHECK_TOL, "encoder layer-by-layer vs model.encode")
        rec["enc.memory"] = memory[:, 0].clone()

        max_len = S + 5
        ys = torch.ones(1, 1).fill_(BOS).type(torch.long)
        steps = {"embed": [], "out": [], "logprobs": [], "tokens": []}
        L = len(m.transformer.decoder.layers)
        per_layer = {k: [[] for _ in range(L)] for k in ("x_out", "self", "cross")}
        for i in range(max_len - 1):
            tgt_mask = generate_square_subsequent_mask(ys.size(0)).type(torch.bool)
            out = m.decode(ys, memory, tgt_mask)
            out = out.transpose(0, 1)
            prob = m.generator(out[:, -1])
            _, next_word = torch.max(prob, dim=1)
            next_word = next_word.item()
            # the same step, layer by layer
            y = m.positional_encoding(m.tgt_tok_emb(ys))
            steps["embed"].append(y[-1, 0].clone())
            for n, layer in enumerate(m.transformer.decoder.layers):
                y, ws, wc = dec_layer(layer, y, memory, tgt_mask)
                per_layer["x_out"][n].append(y[-1, 0].clone())
                row = torch.zeros(ws.shape[0], MAXLEN)
                row[:, :ws.shape[2]] = ws[:, -1, :]
                per_layer["self"][n].append(row)
                per_layer["cross"][n].append(wc[:, -1, :].clone())
            y = m.transformer.decoder.norm(y)
            close(y.transpose(0, 1), out, CHECK_TOL, "decoder layer-by-layer vs model.decode")
            lp = F.log_softmax(m.generator(y[-1, 0]), dim=-1)
            top2 = torch.topk(lp, 2).values
            assert top2[0] - top2[1] >= ARGMAX_MARGIN, "argmax too close at step %d" % i
            assert int(torch.argmax(lp)) == next_word
            steps["out"].append(y[-1, 0].clone())
            steps["logprobs"].append(lp)
            steps["tokens"].append(float(next_word))
            ys = torch.cat([ys, torch.ones(1, 1).type_as(src.data).fill_(next_word)], dim=0)
            if next_word == EOS:
                break
    T = len(steps["tokens"])
    rec["dec.embed"] = torch.stack(steps["embed"])
    rec["dec.out"] = torch.stack(steps["out"])
    rec["dec.logprobs"] = torch.stack(steps["logprobs"])
    rec["dec.tokens"] = torch.tensor(steps["tokens"])
    for n in range(L):
        rec["dec.x_out.l%d" % n] = torch.stack(per_layer["x_out"][n])
        rec["dec.self.l%d" % n] = torch.stack(per_layer["self"][n])[:, :, :T]
        rec["dec.cross.l%d" % n] = torch.stack(per_layer["cross"][n])
    return rec, T


def case(name, seed, n_enc, n_dec, d, nhead, ffn, n_src, n_tgt, norm_first, sentence, min_steps, tokenizer="words"):
    letters = "abcdefghijklmnopqrstuvwxyz"
    src_vocab = SPECIALS + [letters[i] for i in range(n_src)]
    tgt_vocab = SPECIALS + [letters[i].upper() for i in range(n_tgt)]
    pieces = sentence.split() if tokenizer == "words" else list(sentence)
    src_ids = [BOS] + [src_vocab.index(w) if w in src_vocab else UNK for w in pieces] + [EOS]
    # the first seed (from `seed` on) whose greedy run is long enough and has clear argmaxes
    for s in range(seed, seed + 500):
        m = build(s, n_enc, n_dec, d, nhead, ffn, len(src_vocab), len(tgt_vocab), norm_first)
        try:
            rec, T = greedy_trace(m, src_ids)
        except AssertionError as e:
            if "argmax too close" in str(e):
                continue
            raise
        if T >= min_steps:
            break
    else:
        raise SystemExit("%s: no seed gives %d steps" % (name, min_steps))
    cfg = {"nhead": nhead}
    if norm_first:
        cfg["norm_first"] = True
    if tokenizer != "words":
        cfg["tokenizer"] = tokenizer
    meta = {"arch": "tutorial-transformer", "src_vocab": jdump(src_vocab), "tgt_vocab": jdump(tgt_vocab),
            "config": jdump(cfg), "name": name, "task": "attnstep reference fixture (random weights)",
            "train_source": "tests/reference/transformer_reference.py (seed %d)" % s}
    mp = os.path.join(FIXTURES, name + ".model.safetensors")
    st_write(mp, dict(m.state_dict()), meta)
    ep = os.path.join(FIXTURES, name + ".greedy.safetensors")
    st_write(ep, rec, {"model": name + ".model.safetensors", "input": sentence,
                       "src_ids": jdump(src_ids), "steps": str(T)})
    print("  %s: seed %d, S=%d, T=%d, tokens %s, %d + %d bytes" % (
        name, s, len(src_ids), T, [int(t) for t in rec["dec.tokens"]],
        os.path.getsize(mp), os.path.getsize(ep)))


def grad_case(name, seed, norm_first, src_ids, tgt_ids):
    """A small model (d=8, 2 heads, 2+2 layers, FFN 16, vocabularies of 10), the tutorial's
    train_epoch loss for one pair (batch 1, dropout off) and autograd's gradient of every
    parameter: tfm-<case>.model.safetensors and tfm-<case>.grad.safetensors with
    grad.<param name>, logprobs (T, V), metadata model, src_ids, tgt_in, tgt_out, loss."""
    src_vocab = SPECIALS + list("abcdef")
    tgt_vocab = SPECIALS + list("ABCDEF")
    m = build(seed, 2, 2, 8, 2, 16, len(src_vocab), len(tgt_vocab), norm_first)
    cfg = {"nhead": 2}
    if norm_first:
        cfg["norm_first"] = True
    meta = {"arch": "tutorial-transformer", "src_vocab": jdump(src_vocab), "tgt_vocab": jdump(tgt_vocab),
            "config": jdump(cfg), "name": name, "task": "attnstep gradient fixture (random weights)",
            "train_source": "tests/reference/transformer_reference.py (seed %d)" % seed}
    st_write(os.path.join(FIXTURES, name + ".model.safetensors"), dict(m.state_dict()), meta)
    src = torch.tensor(src_ids, dtype=torch.long).view(-1, 1)
    tgt = torch.tensor(tgt_ids, dtype=torch.long).view(-1, 1)
    S = src.shape[0]
    tgt_input = tgt[:-1, :]
    src_mask = torch.zeros((S, S)).type(torch.bool)
    tgt_mask = generate_square_subsequent_mask(tgt_input.shape[0])
    m.zero_grad()
    logits = m(src, tgt_input, src_mask, tgt_mask, None, None, None)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=PAD)
    tgt_out = tgt[1:, :]
    loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
    loss.backward()
    out = {"grad." + k: p.grad for k, p in m.named_parameters()}
    out["logprobs"] = F.log_softmax(logits[:, 0], dim=-1)
    gp = os.path.join(FIXTURES, name + ".grad.safetensors")
    st_write(gp, out, {"model": name + ".model.safetensors", "src_ids": jdump(src_ids),
                       "tgt_in": jdump(tgt_ids[:-1]), "tgt_out": jdump(tgt_ids[1:]),
                       "loss": "%.9g" % loss.item()})
    print("  %s: loss %.6f, %d bytes" % (os.path.basename(gp), loss.item(), os.path.getsize(gp)))


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    # d=16, 2 heads, 2+2 layers, FFN 32, vocabularies of 12
    case("tfm-post", 100, 2, 2, 16, 2, 32, 8, 8, False, "c a f e b", 5)
    case("tfm-prenorm", 200, 2, 2, 16, 2, 32, 8, 8, True, "d b a g", 5)
    # other shapes: 4 heads of 4, one encoder layer, three decoder layers, characters, an unknown piece
    case("tfm-h4-l1x3-chars", 300, 1, 3, 16, 4, 24, 8, 9, False, "bad cafe!", 5, tokenizer="chars")
    # training gradients (a PAD target at the end checks ignore_index)
    grad_case("tfm-grad-post", 400, False, [BOS, 4, 7, 9, 5, 8, EOS], [BOS, 6, 9, 4, 7, EOS, PAD])
    grad_case("tfm-grad-prenorm", 500, True, [BOS, 5, 5, 4, EOS], [BOS, 5, 5, 8, 7, 9, EOS])


if __name__ == "__main__":
    main()
