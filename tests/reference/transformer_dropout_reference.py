#!/usr/bin/env python3
"""PyTorch oracle for the tutorial-transformer's training dropout.

Writes tests/reference/fixtures/tfm-drop-<case>.model.safetensors and
tfm-drop-<case>.grad.safetensors. Regenerate with (Debian python3-torch 1.13):

    /usr/bin/python3 tests/reference/transformer_dropout_reference.py

The model is transformer_reference.py's Seq2SeqTransformer (the tutorial's), built with
dropout = p and run in train() mode, so nn.Transformer applies dropout everywhere it
does in training: PositionalEncoding's dropout on the source and on the target
embeddings, nn.MultiheadAttention's dropout on the softmax weights of every self, masked
self and cross attention, dropout1/2(/3) on each sublayer's output before its residual
add, and the feed-forward's dropout after the ReLU. The final encoder/decoder norms and
the generator have none.

So that the C side can run the very same masks, no random dropout runs here:

- every nn.Dropout module is replaced by MaskDropout, which multiplies its input by a
  given mask (the script asserts that no nn.Dropout is left in the model);
- nn.MultiheadAttention calls torch.nn.functional.dropout on its weights
  (multi_head_attention_forward: `attn_output_weights = dropout(attn_output_weights,
  p=dropout_p)`); that function is replaced by one that multiplies by the mask of the
  attention module being run (forward hooks say which), after asserting it is called
  with training=True, p and the mask's shape (H, N, Nk).

The masks are multipliers, 0 or 1/(1-p) in float32 (PyTorch's inverted dropout: kept
values scaled by 1/(1-p)), drawn here with a seeded torch.Generator; the script asserts
every mask is used exactly once. It also checks that masks of all ones reproduce the
model in eval() (the masks are the only difference between the two modes) and that the
masks change the loss.

Gradient file (fixtures/tfm-drop-<case>.grad.safetensors):
  mask.<site>       the masks, named as transformer.h's transformer_tape_mask:
                    enc.embed (S, d), dec.embed (T, d),
                    enc.l<L>.self.attn (H, S, S), dec.l<L>.self.attn (H, T, T),
                    dec.l<L>.cross.attn (H, T, S),
                    <enc|dec>.l<L>.<self|cross|ffn>.out (N, d), <enc|dec>.l<L>.ffn.hid (N, F)
  grad.<param>      autograd's gradient of the loss for every parameter
  logprobs (T, V)   log_softmax of the logits (with dropout)
Metadata: model, src_ids, tgt_in, tgt_out (JSON), p, loss (%.9g), sites (count).
The loss is the tutorial's train_epoch loss for one pair: CrossEntropyLoss(ignore_index =
PAD) of generator(transformer(...)) against tgt[1:].
"""

import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import transformer_reference as ref

FIXTURES = ref.FIXTURES
BOS, EOS, PAD = ref.BOS, ref.EOS, ref.PAD


class MaskDropout(nn.Module):
    """nn.Dropout replaced by x * mask; masks are queued (name, tensor) and used in order."""

    def __init__(self, names):
        super().__init__()
        self.names = list(names)
        self.queue = []

    def forward(self, x):
        assert self.queue, "MaskDropout %s: no mask queued" % self.names
        name, m = self.queue.pop(0)
        assert m.numel() == x.numel(), "%s: mask %s for input %s" % (name, tuple(m.shape), tuple(x.shape))
        USED.append(name)
        return x * m.view(x.shape)


USED = []
CURRENT = []      # names of the attention modules being run (innermost last)
MASKS = {}        # site -> mask tensor
P = None
_orig_dropout = F.dropout


def attn_dropout(input, p=0.5, training=True, inplace=False):
    assert CURRENT, "F.dropout called outside an attention module (an nn.Dropout left?)"
    assert training and abs(p - P) < 1e-12, "attention dropout called with p=%r training=%r" % (p, training)
    name = CURRENT[-1] + ".attn"
    m = MASKS[name]
    assert tuple(input.shape) == tuple(m.shape), "%s: mask %s for weights %s" % (name, tuple(m.shape), tuple(input.shape))
    USED.append(name)
    return input * m


def wire(model, p):
    """Replaces every dropout of model by a MaskDropout / the attention hook. Returns the
    list of (module, [site names in call order]) to fill before each forward."""
    slots = []
    pe = MaskDropout(["enc.embed", "dec.embed"])
    model.positional_encoding.dropout = pe
    slots.append((pe, ["enc.embed", "dec.embed"]))

    def hook_attn(mod, name):
        mod.dropout = p  # nn.MultiheadAttention's dropout_p
        def enter(*_):
            CURRENT.append(name)  # hooks return None: a value would replace the input/output

        def leave(*_):
            CURRENT.pop()

        mod.register_forward_pre_hook(enter)
        mod.register_forward_hook(leave)

    for n, layer in enumerate(model.transformer.encoder.layers):
        hook_attn(layer.self_attn, "enc.l%d.self" % n)
        for attr, site in (("dropout1", "enc.l%d.self.out"), ("dropout", "enc.l%d.ffn.hid"), ("dropout2", "enc.l%d.ffn.out")):
            md = MaskDropout([site % n])
            setattr(layer, attr, md)
            slots.append((md, [site % n]))
    for n, layer in enumerate(model.transformer.decoder.layers):
        hook_attn(layer.self_attn, "dec.l%d.self" % n)
        hook_attn(layer.multihead_attn, "dec.l%d.cross" % n)
        for attr, site in (("dropout1", "dec.l%d.self.out"), ("dropout2", "dec.l%d.cross.out"),
                           ("dropout", "dec.l%d.ffn.hid"), ("dropout3", "dec.l%d.ffn.out")):
            md = MaskDropout([site % n])
            setattr(layer, attr, md)
            slots.append((md, [site % n]))
    left = [name for name, mod in model.named_modules() if isinstance(mod, nn.Dropout)]
    assert not left, "nn.Dropout modules not replaced: %s" % left
    return slots


def site_shapes(model, S, T):
    d = model.generator.in_features
    H = model.transformer.encoder.layers[0].self_attn.num_heads
    Fh = model.transformer.encoder.layers[0].linear1.out_features
    shapes = {"enc.embed": (S, d), "dec.embed": (T, d)}
    for n in range(len(model.transformer.encoder.layers)):
        shapes["enc.l%d.self.attn" % n] = (H, S, S)
        shapes["enc.l%d.self.out" % n] = (S, d)
        shapes["enc.l%d.ffn.hid" % n] = (S, Fh)
        shapes["enc.l%d.ffn.out" % n] = (S, d)
    for n in range(len(model.transformer.decoder.layers)):
        shapes["dec.l%d.self.attn" % n] = (H, T, T)
        shapes["dec.l%d.self.out" % n] = (T, d)
        shapes["dec.l%d.cross.attn" % n] = (H, T, S)
        shapes["dec.l%d.cross.out" % n] = (T, d)
        shapes["dec.l%d.ffn.hid" % n] = (T, Fh)
        shapes["dec.l%d.ffn.out" % n] = (T, d)
    return shapes


def run(model, slots, masks, src, tgt):
    """The tutorial's train_epoch loss for one pair with the given masks."""
    global MASKS
    MASKS = masks
    USED.clear()
    for mod, names in slots:
        mod.queue = [(n, masks[n]) for n in names]
    S = src.shape[0]
    tgt_input = tgt[:-1, :]
    src_mask = torch.zeros((S, S)).type(torch.bool)
    tgt_mask = ref.generate_square_subsequent_mask(tgt_input.shape[0])
    model.zero_grad()
    logits = model(src, tgt_input, src_mask, tgt_mask, None, None, None)
    loss = torch.nn.CrossEntropyLoss(ignore_index=PAD)(logits.reshape(-1, logits.shape[-1]), tgt[1:, :].reshape(-1))
    assert sorted(USED) == sorted(masks), "masks used %s, given %s" % (sorted(USED), sorted(masks))
    assert len(USED) == len(set(USED)), "a mask used twice: %s" % USED
    return loss, logits


def drop_case(name, seed, n_enc, n_dec, norm_first, p, src_ids, tgt_ids):
    global P
    P = p
    src_vocab = ref.SPECIALS + list("abcdef")
    tgt_vocab = ref.SPECIALS + list("ABCDEF")
    d, nhead, ffn = 8, 2, 16
    model = ref.build(seed, n_enc, n_dec, d, nhead, ffn, len(src_vocab), len(tgt_vocab), norm_first)
    cfg = {"nhead": nhead}
    if norm_first:
        cfg["norm_first"] = True
    meta = {"arch": "tutorial-transformer", "src_vocab": ref.jdump(src_vocab), "tgt_vocab": ref.jdump(tgt_vocab),
            "config": ref.jdump(cfg), "name": name, "task": "attnstep dropout gradient fixture (random weights)",
            "train_source": "tests/reference/transformer_dropout_reference.py (seed %d)" % seed}
    ref.st_write(os.path.join(FIXTURES, name + ".model.safetensors"), dict(model.state_dict()), meta)

    src = torch.tensor(src_ids, dtype=torch.long).view(-1, 1)
    tgt = torch.tensor(tgt_ids, dtype=torch.long).view(-1, 1)
    S, T = len(src_ids), len(tgt_ids) - 1

    # reference without dropout (eval mode, the real nn.Dropout modules)
    model.eval()
    S_mask = torch.zeros((S, S)).type(torch.bool)
    with torch.no_grad():
        lg = model(src, tgt[:-1, :], S_mask, ref.generate_square_subsequent_mask(T), None, None, None)
        eval_loss = torch.nn.CrossEntropyLoss(ignore_index=PAD)(lg.reshape(-1, lg.shape[-1]), tgt[1:, :].reshape(-1)).item()

    slots = wire(model, p)
    model.train()
    F.dropout = attn_dropout
    try:
        shapes = site_shapes(model, S, T)
        ones = {k: torch.ones(v) for k, v in shapes.items()}
        with torch.no_grad():
            l1, _ = run(model, slots, ones, src, tgt)
        assert abs(l1.item() - eval_loss) <= 1e-6, "masks of ones %.9g != eval %.9g" % (l1.item(), eval_loss)

        scale = np.float32(1.0) / (np.float32(1.0) - np.float32(p))
        g = torch.Generator().manual_seed(seed)
        masks = {}
        for k in sorted(shapes):
            keep = torch.rand(shapes[k], generator=g) < (1.0 - p)
            assert keep.any() and not keep.all(), "%s: degenerate mask" % k
            masks[k] = keep.float() * float(scale)
        loss, logits = run(model, slots, masks, src, tgt)
        loss.backward()
        assert abs(loss.item() - eval_loss) > 1e-3, "dropout did not change the loss"
    finally:
        F.dropout = ref_dropout
    out = {"grad." + k: prm.grad for k, prm in model.named_parameters()}
    out["logprobs"] = F.log_softmax(logits[:, 0], dim=-1)
    for k, m in masks.items():
        out["mask." + k] = m
    gp = os.path.join(FIXTURES, name + ".grad.safetensors")
    ref.st_write(gp, out, {"model": name + ".model.safetensors", "src_ids": ref.jdump(src_ids),
                           "tgt_in": ref.jdump(tgt_ids[:-1]), "tgt_out": ref.jdump(tgt_ids[1:]),
                           "p": "%.9g" % p, "loss": "%.9g" % loss.item(), "sites": str(len(masks))})
    print("  %s: p %.2f, %d masks, loss %.6f (eval %.6f), %d bytes" % (
        os.path.basename(gp), p, len(masks), loss.item(), eval_loss, os.path.getsize(gp)))


ref_dropout = _orig_dropout


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    # post-norm 2+2 layers, a PAD target at the end (ignore_index); pre-norm 1+2 layers
    drop_case("tfm-drop-post", 600, 2, 2, False, 0.25, [BOS, 4, 7, 9, 5, 8, EOS], [BOS, 6, 9, 4, 7, EOS, PAD])
    drop_case("tfm-drop-prenorm", 700, 1, 2, True, 0.4, [BOS, 5, 5, 4, 9, EOS], [BOS, 5, 5, 8, 7, 9, EOS])


if __name__ == "__main__":
    main()
