#!/usr/bin/env python3
"""A paper estimate of word2vec replicas' speed on more cores and machines: the seconds of training from a
measured per-replica speed, and the bytes the syncs move (the driver's exchange schedule, cluster/word2vec.py).

Every exchange moves a replica's change to the first k rows of both matrices to the driver and the rows back
(k from sync_size); every epoch's end moves all rows both ways for every replica. All of it passes through
the driver, so its throughput (--driver-gbps: memory copies on one machine, its network link across machines)
bounds the syncs. Prints a Markdown table: replicas x threads, exchanges, GB moved, training seconds (corpus
tokens x epochs / (replicas x threads x per-thread words/s), threads scaling perfectly within a replica), sync
seconds at each of the driver's throughputs.

usage: tools/replica_estimate.py --tokens 8666946 --vocab 50939 --words-per-s 1.36e6
                                 [--layouts 2x1,16x1,2x8,4x16] [--driver-gbps 2,1.25] [--dim 100] [--epochs 5]
                                 [--sync-tokens 131072] [--sync-rows 1024]
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from streamnlp.cluster.word2vec import round_rows  # noqa: E402
from streamnlp.run.config import Word2VecConfig  # noqa: E402


def estimate(tokens: int, vocab: int, dim: int, epochs: int, replicas: int, sync_tokens: int,
             sync_rows: int) -> tuple[int, float]:
    """(exchanges, bytes) of a run: rounds of sync_tokens / replicas tokens a replica (the driver cuts rounds at
    its schedule's steps on whole sentences, so a run has somewhat more), each handing over the driver's
    round_rows; with sync_rows 0, every row of every replica at each epoch's end instead."""
    per_round = max(1, sync_tokens // replicas)
    per_epoch = -(-tokens // replicas // per_round)  # a replica's rounds in an epoch
    each = per_epoch * epochs  # a replica's exchanges, each doubling on its own count
    exchanges = replicas * each
    rows = replicas * sum(round_rows(n, n % per_epoch == 0, sync_rows, vocab) for n in range(1, each + 1)) \
        if sync_rows else epochs * replicas * vocab
    row_bytes = dim * 4 * 2 * 2  # float32, both matrices, up and down
    return exchanges, rows * row_bytes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, required=True, help="corpus tokens")
    ap.add_argument("--vocab", type=int, required=True, help="vocabulary size")
    ap.add_argument("--words-per-s", type=float, required=True, help="one 1-thread replica's measured words/s")
    ap.add_argument("--layouts", default="2x1,16x1,2x8,4x16", help="replicas x threads each")
    ap.add_argument("--driver-gbps", default="2,1.25", help="GB/s through the driver (copies; a 10 Gb/s link)")
    run = Word2VecConfig()  # a run's defaults
    ap.add_argument("--dim", type=int, default=run.dim)
    ap.add_argument("--epochs", type=int, default=run.epochs)
    ap.add_argument("--sync-tokens", type=int, default=run.sync_tokens)
    ap.add_argument("--sync-rows", type=int, default=run.sync_rows)
    a = ap.parse_args()
    rates = [float(x) for x in a.driver_gbps.split(",")]
    print("| replicas x threads | exchanges | GB moved | training s | " +
          " | ".join(f"sync s at {r:g} GB/s" for r in rates) + " |")
    print("|---" * (4 + len(rates)) + "|")
    for layout in a.layouts.split(","):
        r, t = (int(x) for x in layout.split("x"))
        exchanges, moved = estimate(a.tokens, a.vocab, a.dim, a.epochs, r, a.sync_tokens, a.sync_rows)
        train = a.tokens * a.epochs / (r * t * a.words_per_s)
        print(f"| {r} x {t} | {exchanges:,} | {moved / 1e9:.1f} | {train:.1f} | " +
              " | ".join(f"{moved / 1e9 / rate:.1f}" for rate in rates) + " |")


if __name__ == "__main__":
    main()
