#!/usr/bin/python3
"""Plots the decode-scaling CSV of `attnstep bench --scaling FILE.csv` (scripts/bench).

usage: plot_scaling.py scaling.csv out.png
Left: time per decoder step against source length, one line per beam width.
Right: time per decoder step against beam width, one line per source length.
Needs python3-matplotlib (not part of the default tests).
"""
import csv
import sys
from collections import defaultdict

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    by_beam, by_len = defaultdict(list), defaultdict(list)
    for r in rows:
        k, s, us = int(r["beam"]), int(r["src_len"]), float(r.get("per_step_cpu_us") or r["per_step_us"])
        by_beam[k].append((s, us))
        by_len[s].append((k, us))
    H = rows[0]["hidden"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    for k in sorted(by_beam):
        pts = sorted(by_beam[k])
        a.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=f"beam {k}")
    a.set_xlabel("source length (tokens, <eos> included)")
    a.set_ylabel("µs per decoder step (CPU time, median of 30-step decodes)")
    a.set_title(f"GRU + additive attention, H={H}, V=500, trace off")
    a.legend()
    a.grid(alpha=0.3)
    for s in sorted(by_len):
        if s not in (4, 12, 32, 64):
            continue
        pts = sorted(by_len[s])
        b.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=f"source {s}")
    b.set_xlabel("beam width k (rows per step)")
    b.set_ylabel("µs per decoder step (CPU time)")
    b.set_title("per-step cost against beam width")
    b.legend()
    b.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
