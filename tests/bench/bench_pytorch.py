#!/usr/bin/python3
"""PyTorch baseline for `attnstep bench --pytorch`.

Loads the very safetensors file the C bench wrote (tutorial-gru-bahdanau), builds the
PyTorch tutorial's EncoderRNN / AttnDecoderRNN (tests/reference/rnn_reference.py), and
times the same quantities in eager mode. Inference runs under torch.inference_mode() with
1 thread (OPENBLAS_NUM_THREADS=1 and torch.set_num_threads(1)); training uses --threads T
(the C bench runs this script once per thread count, setting OPENBLAS_NUM_THREADS=T too).
Prints "name<TAB>median<TAB>p10<TAB>p90<TAB>cpu_median" in µs (wall time, and the CPU
time, which other processes on a busy machine do not inflate: of the calling thread for
inference, of the whole process for training), with the names the C bench uses.

The training step is the C trainer's step (core/src/train_loop.c, trainer_step) on the
same model: batch 64, source and target length 12 (11 ids + EOS), teacher forcing
(step 0 reads SOS, step t reads target[t-1]), mean NLL over all target tokens, dropout 0,
backward, global gradient-norm clip 1.0, one Adam step (lr 1e-3, .9/.999, eps 1e-8).
The examples are the ones the C bench builds: source ids 2 + (i*7919 + j*104729) % (V-2),
target = the source reversed (the reverse task), both ending with EOS (id 1).

usage: bench_pytorch.py MODEL.safetensors SOURCE_LEN REPEATS [--threads T] [--no-infer]
                        [--train-repeats N] [--train-steps K] [--first-decode]
  --first-decode  load the model, greedy-decode the source once, print the tokens, exit
                  (the C bench times this whole process: PyTorch's start-up time)
"""
import json
import os
import sys
import time

args = sys.argv[1:]


def opt(name, default):
    if name in args:
        i = args.index(name)
        v = args[i + 1]
        del args[i:i + 2]
        return int(v)
    return default


def flag(name):
    if name in args:
        args.remove(name)
        return True
    return False


THREADS = opt("--threads", 1)
TRAIN_REPEATS = opt("--train-repeats", 0)
TRAIN_STEPS = opt("--train-steps", 2)
NO_INFER = flag("--no-infer")
FIRST_DECODE = flag("--first-decode")
TRANSFORMER = flag("--transformer")
TFM_STEPS = opt("--tfm-steps", 13)

os.environ.setdefault("OPENBLAS_NUM_THREADS", str(THREADS))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from rnn_reference import AttnDecoderRNN, EncoderRNN, st_read  # noqa: E402

torch.set_num_threads(THREADS)


def timed(fn, repeats, inner, cpu_clock=time.thread_time):
    """(median, p10, p90) of the wall time per call in µs, and the median CPU time of
    this thread per call (not inflated when other processes take the CPU)."""
    fn()  # warm-up
    samples, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), cpu_clock()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner * 1e6)
        cpu.append((cpu_clock() - c0) / inner * 1e6)
    samples.sort()
    cpu.sort()
    n = len(samples)
    return samples[n // 2], samples[n // 10], samples[(n * 9) // 10], cpu[n // 2]


def load(path, dropout=0.0):
    tensors, meta = st_read(path)
    V = len(json.loads(meta["tgt_vocab"]))
    H = tensors["encoder.embedding.weight"].shape[1]
    enc = EncoderRNN(V, H, dropout_p=dropout)
    dec = AttnDecoderRNN(H, V, dropout_p=dropout, max_length=12)
    enc.load_state_dict({k[len("encoder."):]: torch.from_numpy(v.copy()) for k, v in tensors.items() if k.startswith("encoder.")})
    dec.load_state_dict({k[len("decoder."):]: torch.from_numpy(v.copy()) for k, v in tensors.items() if k.startswith("decoder.")})
    return enc, dec, V, H


def inference(enc, dec, V, H, S, repeats, inner):
    enc.eval()
    dec.eval()
    src = torch.tensor([[2 + (j * 37) % (V - 2) for j in range(S - 1)] + [1]])
    results = []
    with torch.inference_mode():
        enc_out, enc_hidden = enc(src)
        results.append(("encoder pass (S tokens)", timed(lambda: enc(src), repeats, inner)))

        tok1 = torch.tensor([[3]])

        def greedy_step():
            out, _, _ = dec.forward_step(tok1, enc_hidden, enc_out)
            F.log_softmax(out, dim=-1)
        results.append(("greedy decoder step", timed(greedy_step, repeats, inner)))

        k = 5
        tok5 = torch.arange(2, 2 + k).view(k, 1)
        hid5 = enc_hidden.expand(1, k, H).contiguous()
        out5 = enc_out.expand(k, S, H).contiguous()

        def beam_step():
            out, _, _ = dec.forward_step(tok5, hid5, out5)
            F.log_softmax(out, dim=-1)
        results.append(("beam-5 decoder step (5 rows)", timed(beam_step, repeats, inner)))

        dec_inner = max(1, inner // 20)

        def greedy_decode():
            eo, eh = enc(src)
            inp, hid = torch.tensor([[0]]), eh
            for _ in range(30):
                out, hid, _ = dec.forward_step(inp, hid, eo)
                lp = F.log_softmax(out, dim=-1)
                inp = lp.topk(1)[1].squeeze(-1)
        results.append(("greedy decode, 30 steps, no trace", timed(greedy_decode, repeats, dec_inner)))

        def beam_decode():
            # the beams as one batch: step 0 from the single SOS row, then k rows
            eo, eh = enc(src)
            inp, hid, keys = torch.tensor([[0]]), eh, eo
            scores = torch.zeros(1)
            for _ in range(30):
                out, hid, _ = dec.forward_step(inp, hid, keys)
                lp = F.log_softmax(out.squeeze(1), dim=-1) + scores.unsqueeze(1)
                scores, flat = lp.view(-1).topk(k)
                parent = torch.div(flat, V, rounding_mode="floor")
                inp = (flat % V).view(-1, 1)
                hid = hid[:, parent, :]
                keys = eo.expand(len(parent), S, H)
        results.append(("beam-5 decode, 30 steps, no trace", timed(beam_decode, repeats, dec_inner)))
    return results


def examples(V, n=512, L=12):
    src, tgt = [], []
    for i in range(n):
        s = [2 + (i * 7919 + j * 104729) % (V - 2) for j in range(L - 1)]
        src.append(s + [1])
        tgt.append(s[::-1] + [1])
    return torch.tensor(src), torch.tensor(tgt)


def training(enc, dec, V, repeats, steps):
    enc.train()
    dec.train()
    src_all, tgt_all = examples(V)
    B = 64
    params = list(enc.parameters()) + list(dec.parameters())
    opt_ = torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    state = {"i": 0}

    def step():
        i = state["i"]
        state["i"] = (i + B) % (len(src_all) - B)
        src, tgt = src_all[i:i + B], tgt_all[i:i + B]
        opt_.zero_grad(set_to_none=True)
        eo, eh = enc(src)
        logp, _, _ = dec(eo, eh, tgt)  # teacher forcing, (B, T, V) log-probs
        loss = F.nll_loss(logp.reshape(-1, V), tgt.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt_.step()
    return timed(step, repeats, steps, time.process_time)  # CPU time of every thread


def transformer(path, repeats, inner, steps):
    """The tutorial-transformer file through the tutorial's Seq2SeqTransformer, decoded as
    its greedy_decode does (the whole prefix through the decoder at every step: the
    tutorial keeps no cache); the beam-5 rows run the 5 hypotheses as a batch."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
    from transformer_reference import Seq2SeqTransformer, generate_square_subsequent_mask
    tensors, meta = st_read(path)
    cfg = json.loads(meta.get("config", "{}"))
    d = tensors["src_tok_emb.embedding.weight"].shape[1]
    vs, vt = tensors["src_tok_emb.embedding.weight"].shape[0], tensors["tgt_tok_emb.embedding.weight"].shape[0]
    n_enc = len({k.split(".")[3] for k in tensors if k.startswith("transformer.encoder.layers.")})
    n_dec = len({k.split(".")[3] for k in tensors if k.startswith("transformer.decoder.layers.")})
    ffn = tensors["transformer.encoder.layers.0.linear1.weight"].shape[0]
    maxlen = tensors["positional_encoding.pos_embedding"].shape[0]
    m = Seq2SeqTransformer(n_enc, n_dec, d, cfg["nhead"], vs, vt, dim_feedforward=ffn,
                           norm_first=bool(cfg.get("norm_first", False)), maxlen=maxlen)
    m.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()})
    m.eval()
    src_vocab = json.loads(meta["src_vocab"])
    BOS, EOS = 2, 3
    ids = [BOS] + [src_vocab.index(w) for w in "a b c d e f g h i j k l".split()] + [EOS]
    S = len(ids)
    src = torch.tensor(ids).view(-1, 1)
    src_mask = torch.zeros(S, S).type(torch.bool)
    res = []
    with torch.inference_mode():
        res.append(("transformer encoder pass", timed(lambda: m.encode(src, src_mask), repeats, inner)))
        memory = m.encode(src, src_mask)
        ys1 = torch.tensor([BOS] + [4 + p for p in range(6)]).view(-1, 1)  # 7 positions: the step at position 6
        mask7 = generate_square_subsequent_mask(7).type(torch.bool)

        def step1():
            out = m.decode(ys1, memory, mask7).transpose(0, 1)
            F.log_softmax(m.generator(out[:, -1]), dim=-1)
        res.append(("transformer greedy step (position 6)", timed(step1, repeats, inner)))
        ys5, mem5 = ys1.expand(7, 5).contiguous(), memory.expand(S, 5, d).contiguous()

        def step5():
            out = m.decode(ys5, mem5, mask7).transpose(0, 1)
            F.log_softmax(m.generator(out[:, -1]), dim=-1)
        res.append(("transformer beam-5 step (position 6)", timed(step5, repeats, inner)))

        def greedy():
            mem = m.encode(src, src_mask)
            ys = torch.ones(1, 1).fill_(BOS).type(torch.long)
            for _ in range(S + 4):
                tgt_mask = generate_square_subsequent_mask(ys.size(0)).type(torch.bool)
                out = m.decode(ys, mem, tgt_mask).transpose(0, 1)
                _, nxt = torch.max(m.generator(out[:, -1]), dim=1)
                ys = torch.cat([ys, torch.ones(1, 1).type_as(src.data).fill_(nxt.item())], dim=0)
                if nxt.item() == EOS:
                    break
        res.append(("transformer greedy decode, no trace", timed(greedy, repeats, max(1, inner // 20))))

        def beam():
            k = 5
            mem = m.encode(src, src_mask)
            ys = torch.full((1, 1), BOS, dtype=torch.long)
            scores = torch.zeros(1)
            for _ in range(steps):  # as many decoder steps as the C beam decode takes
                n = ys.size(1)
                tgt_mask = generate_square_subsequent_mask(ys.size(0)).type(torch.bool)
                out = m.decode(ys, mem.expand(S, n, d), tgt_mask).transpose(0, 1)
                lp = F.log_softmax(m.generator(out[:, -1]), dim=-1) + scores.unsqueeze(1)
                scores, flat = lp.view(-1).topk(k)
                parent = torch.div(flat, vt, rounding_mode="floor")
                ys = torch.cat([ys[:, parent], (flat % vt).view(1, -1)], dim=0)
        res.append(("transformer beam-5 decode, no trace", timed(beam, repeats, max(1, inner // 20))))
    return res


def main():
    path, S, repeats = args[0], int(args[1]), int(args[2])
    if TRANSFORMER:
        for name, (med, p10, p90, cpu) in transformer(path, repeats, 200, TFM_STEPS):
            print(f"{name}\t{med:.3f}\t{p10:.3f}\t{p90:.3f}\t{cpu:.3f}")
        return
    enc, dec, V, H = load(path)
    if FIRST_DECODE:
        enc.eval()
        dec.eval()
        with torch.inference_mode():
            src = torch.tensor([[2 + (j * 37) % (V - 2) for j in range(S - 1)] + [1]])
            eo, eh = enc(src)
            inp, hid, out_ids = torch.tensor([[0]]), eh, []
            for _ in range(30):
                out, hid, _ = dec.forward_step(inp, hid, eo)
                inp = F.log_softmax(out, dim=-1).topk(1)[1].squeeze(-1)
                out_ids.append(int(inp))
                if out_ids[-1] == 1:
                    break
        print(" ".join(map(str, out_ids)))
        return
    results = [] if NO_INFER else inference(enc, dec, V, H, S, repeats, 200)
    if TRAIN_REPEATS > 0:
        t = "thread" if THREADS == 1 else "threads"
        results.append((f"train step, batch 64, {THREADS} {t}", training(enc, dec, V, TRAIN_REPEATS, TRAIN_STEPS)))
    for name, (med, p10, p90, cpu) in results:
        print(f"{name}\t{med:.3f}\t{p10:.3f}\t{p90:.3f}\t{cpu:.3f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
