#!/usr/bin/env python3
"""Quality against the number of word2vec replicas (--ray local:R): does averaging keep what one replica learns?

Each configuration trains in a fresh process: R replicas of one thread each on a Ray cluster started for it
with R CPUs, so on a machine with fewer cores they are time-sliced (speed means nothing then; quality does).
`--sync` names the averaging schedules to compare: `rows` (the default: the frequent rows every
--sync-tokens, every row at each epoch's end) and `epoch` (every row at each epoch's end only: the
control, as Spark MLlib averages). Prints one JSON line per run: analogy (questions-words, restrict_vocab
30000), WordSim-353 and SimLex-999 Spearman (gensim's test files), seconds.

usage: tools/replica_quality.py --corpus DIR [--models sg,cbow] [--replicas 1,2,4,8] [--sync rows,epoch]
                                [--epochs 5] [--seeds 1] [--out /tmp/replica-quality] [--flags "--sync-tokens N"]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import quality  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(corpus: str, model: str, replicas: int, sync: str, epochs: int, seed: int, out: str,
        flags: list[str]) -> dict:
    folder = os.path.join(out, f"{model}-r{replicas}-{sync}-s{seed}")
    args = [sys.executable, "-m", "streamnlp", "word2vec", corpus, "--out", folder, "--model", model,
            "--ray", f"local:{replicas}", "--replicas", str(replicas), "--threads", "1", "--epochs", str(epochs),
            "--seed", str(seed), "--no-write-text", *(["--sync-rows", "0"] if sync == "epoch" else []), *flags]
    t0 = time.perf_counter()
    subprocess.run(args, check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                   env={**os.environ, "RAY_AUTH_MODE": os.environ.get("RAY_AUTH_MODE", "disabled")})
    row = {"model": model, "replicas": replicas, "sync": sync, "seed": seed, "flags": " ".join(flags),
           "seconds": round(time.perf_counter() - t0, 1), **quality(os.path.join(folder, "vectors.bin"))}
    with open(os.path.join(folder, "metrics.json")) as f:
        row["final_loss"] = json.load(f)["final_loss"]
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--models", default="sg,cbow")
    ap.add_argument("--replicas", default="1,2,4,8")
    ap.add_argument("--sync", default="rows,epoch", help="rows, epoch or both; one replica runs once")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seeds", default="1", help="seeds, each a run of every configuration (e.g. 1,2,3)")
    ap.add_argument("--out", default="/tmp/replica-quality")
    ap.add_argument("--flags", default="", help="more stream-train flags for every run (e.g. \"--sync-tokens 262144\")")
    a = ap.parse_args()
    for model in a.models.split(","):
        for r in [int(x) for x in a.replicas.split(",")]:
            for sync in a.sync.split(",") if r > 1 else ["rows"]:
                for seed in [int(x) for x in a.seeds.split(",")]:
                    print(json.dumps(run(a.corpus, model, r, sync, a.epochs, seed, a.out, a.flags.split())), flush=True)


if __name__ == "__main__":
    main()
