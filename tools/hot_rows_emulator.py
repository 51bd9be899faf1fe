#!/usr/bin/env python3
"""Hot rows under k work units at once, emulated on one thread: what many cores do to their values.

On a 2-core machine at most two units overlap, so what k threads' hot-row copies do to each other
cannot be seen there. This trains skip-gram (or CBOW) with the real kernel one unit at a time, in groups of k:
every unit of a group starts from the same copied rows and the group adds up their changes. That is
the worst case of the asynchronous reality, where the k starting points are staggered; rows not
copied are trained one unit after another. `--copies both` copies input and output rows (what the
kernel once did: it blew up on 16 cores); `auto` does what Trainer.block does for k
(word2vec.hot_copies: output rows too only for k <= 2). A unit stands for a sync interval. Prints
one JSON line per k with the largest weight and the analogy accuracy (gensim's questions-words.txt,
restrict_vocab 30000, needs gensim).

usage: tools/hot_rows_emulator.py --corpus DIR [--k 1,2,4,8,16] [--unit-tokens 4096] [--hot-rows 256]
                                  [--copies both|auto] [--model sg|cbow] [--epochs 1]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import streamnlp.train.word2vec as w2v  # noqa: E402
from streamnlp.data.prepare import prepare_corpus  # noqa: E402
from streamnlp.kernels.common import sub_blocks  # noqa: E402
from streamnlp.kernels.sgns import Step, variant, worker  # noqa: E402
from streamnlp.run.config import Word2VecConfig  # noqa: E402
from streamnlp.run.rundir import make_config  # noqa: E402
from streamnlp.train.word2vec import NO_TRACE, NO_TRACE_N, NO_TREE  # noqa: E402
from streamnlp.vectors.keyed import KeyedVectors  # noqa: E402


def train(cfg, vocab, corpus, blocks, k: int, unit: int, hot: int, hot_out: int) -> np.ndarray:
    V = len(vocab)
    keep = vocab.keep_probs(cfg.sample)
    prob, alias = vocab.noise_table()
    syn0, syn1 = w2v.init_weights(V, cfg.dim, cfg.seed, hot)
    base0, base1 = (np.zeros((max(hot, 1), syn0.shape[1]), np.float32) for _ in range(2))
    total, uid = float(cfg.epochs * corpus.n_tokens), 0
    train_worker = worker(variant(cfg.model == "sg", cfg.shared_negatives), w2v.model_columns(cfg.dim, syn0))
    for epoch in range(cfg.epochs):
        for b, ids, offsets in blocks:
            subs = sub_blocks(offsets, unit)
            units = list(zip(subs[:-1], subs[1:]))
            pos0, max_len = float(epoch * corpus.n_tokens + corpus.starts[b]), int(np.diff(offsets).max())
            for g in range(0, len(units), k):
                start0, start1 = syn0[:hot].copy(), syn1[:hot_out].copy()
                change0, change1 = np.zeros_like(start0), np.zeros_like(start1)
                for s0, s1 in units[g:g + k]:  # each from the group's starting rows, pushed whole at its end
                    syn0[:hot], syn1[:hot_out] = start0, start1
                    step = Step(cfg.sample > 0, cfg.window, cfg.negative, cfg.effective_alpha(), pos0, total, cfg.seed,
                                epoch, uid, V, hot, hot_out, 1 << 40, np.float32(1.0), False)
                    train_worker(0, np.zeros(1, np.int64), step, ids, offsets, np.array([s0, s1], np.int64), max_len,
                                 syn0, syn1, base0, base1, keep, prob, alias, np.zeros(1), np.zeros(1, np.int64),
                                 NO_TRACE, NO_TRACE_N, *NO_TREE)
                    uid += 1
                    change0 += syn0[:hot] - start0
                    change1 += syn1[:hot_out] - start1
                syn0[:hot], syn1[:hot_out] = start0 + change0, start1 + change1
    return syn0[:V, :cfg.dim]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--k", default="1,2,4,8,16", help="work units at once")
    ap.add_argument("--unit-tokens", type=int, default=4096)
    ap.add_argument("--hot-rows", type=int, default=256)
    ap.add_argument("--copies", choices=["both", "auto"], default="auto")
    ap.add_argument("--model", choices=["sg", "cbow"], default="sg")
    ap.add_argument("--epochs", type=int, default=1)
    a = ap.parse_args()
    from gensim.test.utils import datapath
    numba.set_num_threads(1)
    cfg = make_config(Word2VecConfig, {"model": a.model, "epochs": a.epochs})
    with tempfile.TemporaryDirectory(prefix="hot-emu-") as work:  # the blocks are held in memory below
        vocab, corpus, _ = prepare_corpus([a.corpus], work, cfg)
        blocks = list(corpus.iter_blocks(0))
    for k in map(int, a.k.split(",")):
        hot_out = a.hot_rows if a.copies == "both" else w2v.hot_copies(a.hot_rows, k)[0]
        t0 = time.perf_counter()
        with np.errstate(all="ignore"):
            vectors = train(cfg, vocab, corpus, blocks, k, a.unit_tokens, a.hot_rows, hot_out)
            accuracy = KeyedVectors(vocab.words, vectors).evaluate_word_analogies(datapath("questions-words.txt"))[0]
        print(json.dumps({"model": a.model, "k": k, "unit_tokens": a.unit_tokens, "hot_rows": a.hot_rows,
                          "output_rows_copied": hot_out,
                          "epochs": a.epochs, "max_abs_weight": float(np.abs(vectors).max()),
                          "analogy": round(accuracy, 4), "seconds": round(time.perf_counter() - t0, 1)}), flush=True)


if __name__ == "__main__":
    main()
