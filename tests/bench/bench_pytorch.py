#!/usr/bin/python3
"""PyTorch baseline for `attnstep bench --pytorch`.

Loads the very safetensors file the C bench wrote (tutorial-gru-bahdanau), builds the
PyTorch tutorial's EncoderRNN / AttnDecoderRNN (tests/reference/rnn_reference.py), and
times the same quantities in eager mode, 1 thread (OPENBLAS_NUM_THREADS=1 and
torch.set_num_threads(1)), inference mode. Prints "name<TAB>median<TAB>p10<TAB>p90" in µs,
with the names the C bench uses.

usage: bench_pytorch.py MODEL.safetensors SOURCE_LEN REPEATS
"""
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from rnn_reference import AttnDecoderRNN, EncoderRNN, st_read  # noqa: E402

torch.set_num_threads(1)


def timed(fn, repeats, inner):
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner * 1e6)
    samples.sort()
    n = len(samples)
    return samples[n // 2], samples[n // 10], samples[(n * 9) // 10]


def main():
    path, S, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    tensors, meta = st_read(path)
    V = len(json.loads(meta["tgt_vocab"]))
    H = tensors["encoder.embedding.weight"].shape[1]
    enc, dec = EncoderRNN(V, H), AttnDecoderRNN(H, V, max_length=30)
    enc.load_state_dict({k[len("encoder."):]: torch.from_numpy(v.copy()) for k, v in tensors.items() if k.startswith("encoder.")})
    dec.load_state_dict({k[len("decoder."):]: torch.from_numpy(v.copy()) for k, v in tensors.items() if k.startswith("decoder.")})
    enc.eval()
    dec.eval()
    src = torch.tensor([[2 + (j * 37) % (V - 2) for j in range(S - 1)] + [1]])
    results = []
    with torch.inference_mode():
        enc_out, enc_hidden = enc(src)
        results.append(("encoder pass (S tokens)", timed(lambda: enc(src), repeats, 200)))

        tok1 = torch.tensor([[3]])

        def greedy_step():
            out, _, _ = dec.forward_step(tok1, enc_hidden, enc_out)
            F.log_softmax(out, dim=-1)
        results.append(("greedy decoder step", timed(greedy_step, repeats, 200)))

        k = 5
        tok5 = torch.arange(2, 2 + k).view(k, 1)
        hid5 = enc_hidden.expand(1, k, H).contiguous()
        out5 = enc_out.expand(k, S, H).contiguous()

        def beam_step():
            out, _, _ = dec.forward_step(tok5, hid5, out5)
            F.log_softmax(out, dim=-1)
        results.append(("beam-5 decoder step (5 rows)", timed(beam_step, repeats, 200)))

        def greedy_decode():
            eo, eh = enc(src)
            inp, hid = torch.tensor([[0]]), eh
            for _ in range(30):
                out, hid, _ = dec.forward_step(inp, hid, eo)
                lp = F.log_softmax(out, dim=-1)
                inp = lp.topk(1)[1].squeeze(-1)
        results.append(("greedy decode, 30 steps, no trace", timed(greedy_decode, repeats, 10)))

        def beam_decode():
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
        results.append(("beam-5 decode, 30 steps, no trace", timed(beam_decode, repeats, 10)))
    for name, (med, p10, p90) in results:
        print(f"{name}\t{med:.3f}\t{p10:.3f}\t{p90:.3f}")


if __name__ == "__main__":
    main()
