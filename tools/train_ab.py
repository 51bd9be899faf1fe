#!/usr/bin/env python3
"""A/B of word2vec kernel settings: seconds of one training epoch alone, per thread count and variant.

The corpus is counted and encoded once and held in memory; each (threads, variant) then trains one
epoch from fresh weights, `--reps` times, in this one process, so the figures compare the kernel and
nothing else. `--private N` also trains one epoch (default settings but --model) split over N
processes of one thread, each with its own weights: the kernel's scaling with nothing shared between
cores. `--code DIR` times another checkout's package (DIR/streamnlp, imported under another name) beside
this one's, epoch by epoch in turn, so a change to the kernels is compared within seconds rather than
between runs minutes apart (this machine's speed drifts by 30% and more within minutes).

usage: tools/train_ab.py --corpus DIR [--threads 1,2] [--vary shared_negatives=true,false] [--model sg] [--reps 2]
                         [--private N] [--hs] [--code DIR]
"""
from __future__ import annotations

import argparse
import importlib
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import streamnlp.train.word2vec as w2v  # noqa: E402
from streamnlp.data.prepare import prepare_corpus  # noqa: E402
from streamnlp.kernels.common import sub_blocks  # noqa: E402
from streamnlp.run.config import Word2VecConfig  # noqa: E402
from streamnlp.run.rundir import make_config  # noqa: E402


def other_code(checkout: str, work: str):
    """The word2vec trainer module and make_config of the package in checkout/streamnlp, copied into work
    as streamnlp_other (its imports are relative, so the copy imports itself, not this checkout)."""
    src = os.path.join(checkout, "streamnlp")
    if not os.path.isfile(os.path.join(src, "__init__.py")):
        print(f"--code {checkout}: no streamnlp package there; name a checkout of this repository", file=sys.stderr)
        sys.exit(2)
    shutil.copytree(src, os.path.join(work, "streamnlp_other"), ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, work)
    return (importlib.import_module("streamnlp_other.train.word2vec"),
            importlib.import_module("streamnlp_other.run.rundir").make_config)


def epoch_seconds(cfg, n_words, tables, tree, blocks, starts, n_tokens, w2v=w2v) -> tuple[float, float]:
    """One epoch's training seconds and its loss per positive pair (tree: --hs's, tree_of), trained by the
    word2vec module w2v (this checkout's, or --code's)."""
    weights = w2v.init_weights(n_words, cfg.dim, cfg.seed, w2v.Trainer.spare_rows(cfg, n_words))
    tr = w2v.Trainer(cfg, *tables, *weights, n_tokens, tree=tree if cfg.hs else None)
    w2v.warm_up(cfg)
    t0 = time.perf_counter()
    loss, pairs = 0.0, 0
    for b, ids, offsets in blocks:
        block_loss, block_pairs = tr.block(0, b, int(starts[b]), ids, offsets)
        loss, pairs = loss + block_loss, pairs + block_pairs
    return time.perf_counter() - t0, loss / max(pairs, 1)


def private_worker(args) -> float:
    """One process, one thread, its own weights: one epoch's share of pieces; its training seconds."""
    settings, tables, tree, n_words, n_tokens, pieces = args
    numba.set_num_threads(1)
    cfg = make_config(Word2VecConfig, settings)
    weights = w2v.init_weights(n_words, cfg.dim, cfg.seed, w2v.Trainer.spare_rows(cfg, n_words))
    tr = w2v.Trainer(cfg, *tables, *weights, n_tokens, tree=tree)
    w2v.warm_up(cfg)
    t0 = time.perf_counter()
    for k, start, ids, offsets in pieces:
        tr.block(0, k, start, ids, offsets)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--model", default="sg")
    ap.add_argument("--vary", default="window=5", help="a word2vec setting and its values, e.g. window=5,10")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--private", type=int, default=0, help="also time one epoch over N one-thread processes")
    ap.add_argument("--hs", action="store_true", help="hierarchical softmax alone (--hs --negative 0)")
    ap.add_argument("--code", help="another checkout whose package is timed beside this one, epoch by epoch")
    a = ap.parse_args()
    key, _, values = a.vary.partition("=")
    kind = str(Word2VecConfig.__dataclass_fields__[key].type)
    cast = (lambda v: v.lower() in ("1", "true", "yes")) if kind == "bool" else (
        int if kind.startswith("int") else float if "float" in kind else str)
    threads = [int(t) for t in a.threads.split(",")]
    codes = [("here", w2v, make_config)]
    if a.code:
        copy = tempfile.TemporaryDirectory(prefix="train-ab-code-")  # removed when the process ends
        codes.append((a.code, *other_code(a.code, copy.name)))
    base = {"model": a.model, "epochs": 1, **({"hs": True, "negative": 0} if a.hs else {})}
    with tempfile.TemporaryDirectory(prefix="train-ab-") as work:  # the blocks are held in memory below
        vocab, corpus, _ = prepare_corpus([a.corpus], work,
                                          make_config(Word2VecConfig, {**base, "threads": max(threads)}))
        blocks = list(corpus.iter_blocks(0))
    cfg0 = make_config(Word2VecConfig, base)
    tables = (vocab.keep_probs(cfg0.sample), *vocab.noise_table(cfg0.ns_exponent))
    tree = w2v.tree_of(vocab) if a.hs or key == "hs" else None  # built once for every run that takes it
    results = []
    for _ in range(a.reps):
        for t in threads:
            numba.set_num_threads(min(t, numba.config.NUMBA_NUM_THREADS))
            for v in values.split(","):
                for name, module, config_of in codes:
                    cfg = config_of(module.Word2VecConfig, {**base, key: cast(v)})
                    s, loss = epoch_seconds(cfg, len(vocab), tables, tree, blocks, corpus.starts, corpus.n_tokens,
                                            module)
                    results.append({"model": a.model, "threads": t, key: cast(v), "seconds": round(s, 3),
                                    "loss": round(loss, 4), **({"code": name} if a.code else {})})
                    print(json.dumps(results[-1]), flush=True)
    if a.private:
        pieces = []  # whole-sentence pieces of ~64k tokens, dealt round-robin so the processes share evenly
        for b, ids, off in blocks:
            cuts = sub_blocks(off, 65536)
            for c0, c1 in zip(cuts[:-1], cuts[1:]):
                pieces.append((len(pieces), int(corpus.starts[b] + off[c0]), ids[off[c0]:off[c1]],
                               off[c0:c1 + 1] - off[c0]))
        own_tree = tree if a.hs else None  # (the private runs take the base settings, not --vary's)
        jobs = [(base, tables, own_tree, len(vocab), corpus.n_tokens, pieces[i::a.private]) for i in range(a.private)]
        with mp.get_context("spawn").Pool(a.private) as pool:
            secs = pool.map(private_worker, jobs)
        results.append({"model": a.model, "private_processes": a.private, "seconds_max": round(max(secs), 3),
                        "seconds_mean": round(float(np.mean(secs)), 3)})
        print(json.dumps(results[-1]), flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
