"""GloVe driver: count co-occurrences (cooccur.py), then AdaGrad epochs over the shuffled records.

Writes W + C (word plus context vectors, GloVe's default output) as vectors.bin / vectors.txt,
with vocab.tsv, config.json, metrics.json (cost per epoch) and checkpoints like word2vec.
"""
from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

import numba
import numpy as np
from tqdm import tqdm

from ..data.encode import EncodedCorpus
from ..data.prepare import finish_run, prepare_corpus
from ..data.vocab import Vocab
from ..kernels.glove import train_records
from ..run import checkpoint, rundir
from ..run.budget import headroom_mb
from ..run.config import GloveConfig, to_json
from ..run.interrupt import StopRequest, at_position, stop_requests
from ..run.threads import thread_limits, threads_or_default
from ..vectors import w2vfile
from ..vectors.keyed import KeyedVectors
from .cooccur import Cooccurrence, cooccurrences

PARAMS = ("W", "C", "bw", "bc", "gW", "gC", "gbw", "gbc")


def init_params(n_words: int, dim: int, seed: int) -> dict[str, np.ndarray]:
    """GloVe C's start: vectors and biases uniform in [-0.5/D, 0.5/D), AdaGrad sums 1."""
    rng = np.random.default_rng(seed)
    p = {k: ((rng.random(shape, dtype=np.float32) - np.float32(0.5)) / np.float32(dim))
         for k, shape in (("W", (n_words, dim)), ("C", (n_words, dim)), ("bw", n_words), ("bc", n_words))}
    p.update(gW=np.ones((n_words, dim), np.float32), gC=np.ones((n_words, dim), np.float32),
             gbw=np.ones(n_words, np.float32), gbc=np.ones(n_words, np.float32))
    return p


def weighting(x: np.ndarray, x_max: float, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(log x, f(x) = min(1, (x / x_max)^alpha)) as float32."""
    return np.log(x).astype(np.float32), np.minimum(1.0, (x / x_max) ** alpha).astype(np.float32)


def train_glove(inputs: Sequence[str] | str, out: str, **config: Any) -> KeyedVectors:
    """Train GloVe on the shards named by `inputs`, write the run into `out`, return W + C as vectors."""
    t_start = time.perf_counter()
    cfg, inputs, ckpt_dir, saved = rundir.start_run(GloveConfig, inputs, out, config)
    threads = min(threads_or_default(cfg.threads), numba.config.NUMBA_NUM_THREADS)  # thread_limits' bound
    with thread_limits(threads):
        vocab, corpus, timings = prepare_corpus(
            inputs, out, cfg, resume=saved[1] if saved is not None else None)
        t0 = time.perf_counter()
        co = cooccurrences(corpus, len(vocab), cfg.window, headroom_mb(cfg.memory), os.path.join(out, "cooccur"),
                           cfg.seed)
        timings["count_seconds"] = time.perf_counter() - t0
        return fit(cfg, out, saved, vocab, co, corpus.layout, corpus.n_tokens, threads, t_start, timings, corpus)


def fit(cfg: GloveConfig, out: str, saved: Any, vocab: Vocab, co: Cooccurrence, layout: str, trained_tokens: int,
        threads: int, t_start: float, timings: dict[str, float], *corpora: EncodedCorpus) -> KeyedVectors:
    """GloVe's epochs over counted records, the outputs and the run's end: what a run here and a run whose
    counts came from a cluster share. `layout` names what a checkpoint's position counts in."""
    ckpt_dir = os.path.join(out, "checkpoints")
    if saved is not None:
        params, state = saved
    else:
        params = init_params(len(vocab), cfg.dim, cfg.seed)
        state = {"epoch": 0, "bucket": 0, "cost": 0.0, "epoch_cost": [], "skipped": 0, "train_seconds": 0.0,
                 "corpus_tokens": vocab.total_tokens, "corpus_layout": layout}
    earlier, epochs_before = state["train_seconds"], state["epoch"] + state["bucket"] / len(co.buckets)
    with stop_requests() as stop:  # until the outputs are written: a signal never leaves half of them
        state = _epochs(params, co, state, ckpt_dir, cfg, threads, stop)
        t_out = time.perf_counter()
        vectors = params["W"] + params["C"]
        w2vfile.write_vectors(out, vocab.words, vectors, text=cfg.write_text)
        train_seconds = state["train_seconds"] - earlier
        metrics = {
            "model": "glove", "tokens": vocab.total_tokens, "trained_tokens": trained_tokens,
            "vocab_size": len(vocab), "cooccurrence_records": co.n_records, "epochs": cfg.epochs,
            "threads": threads, **rundir.run_times(time.perf_counter() - t_start, train_seconds, earlier),
            "records_per_s": round(co.n_records * (cfg.epochs - epochs_before) / max(train_seconds, 1e-9)),
            "write_seconds": round(time.perf_counter() - t_out, 3),
            **{k: round(v, 3) for k, v in timings.items()}, "cost_per_epoch": state["epoch_cost"],
            "final_cost": state["epoch_cost"][-1] if state["epoch_cost"] else None,
            "skipped_nonfinite": state["skipped"], "resumed": saved is not None,
        }
        rundir.write_run_files(out, {**to_json(cfg), "threads": threads}, metrics)
        finish_run(cfg, ckpt_dir, *corpora)
        if not (cfg.keep_cache or cfg.cache_dir):
            co.remove()
    return KeyedVectors(vocab.words, vectors)


def _epochs(p: dict[str, np.ndarray], co: Cooccurrence, state: dict, ckpt_dir: str, cfg: GloveConfig,
            threads: int, stop: StopRequest | None = None) -> dict:
    eta, clip = np.float32(cfg.eta), np.float32(cfg.grad_clip)
    held = {}  # buckets kept in memory across epochs while they fit in what --memory leaves
    room = headroom_mb(cfg.memory) * 2**20
    bar = tqdm(total=cfg.epochs * co.n_records, initial=state["epoch"] * co.n_records, unit="rec", unit_scale=True,
               desc="glove", mininterval=1.0, disable=None)
    ckpt = checkpoint.Periodic(cfg.checkpoint_every, lambda epoch, bucket: checkpoint.save(
        ckpt_dir, p, {**state, "epoch": epoch, "bucket": bucket, "config": to_json(cfg)}), stop,
        lambda epoch, bucket: at_position(epoch, cfg.epochs, bucket, len(co.buckets), "buckets of records"))

    with bar:
        for epoch in range(state["epoch"], cfg.epochs):
            first = state["bucket"] if epoch == state["epoch"] else 0
            for b in range(first, len(co.buckets)):
                if b not in held:
                    rows, cols, x = co.read_bucket(b)
                    chunk = (rows, cols, *weighting(x, cfg.x_max, cfg.alpha))
                    if cfg.epochs - epoch > 1 and room >= 16 * len(rows):
                        room -= 16 * len(rows)
                        held[b] = chunk
                else:
                    chunk = held[b]
                t0 = time.perf_counter()
                costs, skipped = train_records(*chunk, *(p[k] for k in PARAMS), eta, clip, threads)
                state["train_seconds"] += time.perf_counter() - t0
                state["cost"] += float(costs.sum())
                state["skipped"] += int(skipped.sum())
                bar.update(len(chunk[0]))
                ckpt.tick(epoch, b + 1)
            state["epoch_cost"].append(round(state["cost"] / max(co.n_records, 1), 6))
            bar.set_postfix(cost=f"{state['epoch_cost'][-1]:.4f}", refresh=False)
            state["cost"], state["bucket"], state["epoch"] = 0.0, 0, epoch + 1
    ckpt.end(cfg.epochs, 0, keep=cfg.keep_checkpoints)
    return state
