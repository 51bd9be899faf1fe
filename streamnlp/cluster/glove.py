"""GloVe with its counting on a Ray cluster: the vocabulary and the co-occurrence records counted by Ray tasks
(cluster/passes.py), the records shuffled into OUT/cooccur as a local run's are, then trained here.

Training stays on the driver's cores: an epoch over realtext's records takes about 3 s on 2 cores, while
counting is most of a run's time and what grows with the corpus.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from typing import Any

import numba
import numpy as np

from ..data.shards import Shard, discover
from ..data.vocab import Vocab
from ..run import rundir
from ..run.atomic import write_json
from ..run.config import GloveConfig
from ..run.errors import UserError
from ..run.threads import thread_limits, threads_or_default
from ..train.cooccur import Cooccurrence, Run, bucket_count, shuffle_records, weight_scale
from ..train.glove import fit
from ..vectors.keyed import KeyedVectors
from .connect import cluster, get
from .passes import build_vocab_ray, cooccurrence_runs_ray


def train_glove_ray(inputs: Sequence[str] | str, out: str, **config: Any) -> KeyedVectors:
    """train_glove with config["ray"] naming the cluster that counts."""
    t_start = time.perf_counter()
    cfg, inputs, ckpt_dir, saved = rundir.start_run(GloveConfig, inputs, out, config)
    threads = min(threads_or_default(cfg.threads), numba.config.NUMBA_NUM_THREADS)
    with cluster(cfg.ray) as ray:
        shards = discover(inputs)
        layout = hashlib.sha1(json.dumps([s.key() for s in shards]).encode()).hexdigest()
        if saved is not None and saved[1].get("corpus_layout") != layout:
            raise UserError(f"--resume: {ckpt_dir} was counted from other inputs (or on one machine); resume with "
                            "the same inputs and --ray, or start a new run")
        t0 = time.perf_counter()
        vocab_path = os.path.join(out, "vocab.tsv")
        if saved is not None and os.path.exists(vocab_path):
            vocab = Vocab.load(vocab_path, total_tokens=saved[1]["corpus_tokens"])
        else:
            vocab = build_vocab_ray(ray, shards, cfg)
            vocab.save(vocab_path)
        t1 = time.perf_counter()
        co = count_ray(ray, shards, vocab, cfg, os.path.join(out, "cooccur"), layout)
        timings = {"vocab_seconds": t1 - t0, "count_seconds": time.perf_counter() - t1}
    with thread_limits(threads):
        return fit(cfg, out, saved, vocab, co, layout, int(vocab.counts.sum()), threads, t_start, timings)


def count_ray(ray: Any, shards: list[Shard], vocab: Vocab, cfg: GloveConfig, folder: str,
              layout: str) -> Cooccurrence:
    """The shuffled records in `folder`: those a run counted from the same shards and settings (a resumed
    run), or counted now on the cluster; the manifest is written last, so a killed count is redone."""
    manifest = os.path.join(folder, "manifest.json")
    key = json.dumps([layout, len(vocab), cfg.window, cfg.seed, "ray", "hashed"])
    if os.path.exists(manifest):
        with open(manifest) as f:
            meta = json.load(f)
        if meta["key"] == key and all(os.path.exists(p) for p in meta["buckets"]):
            return Cooccurrence(folder, meta["buckets"], meta["n_records"], meta["scale"])
        os.unlink(manifest)
    os.makedirs(folder, exist_ok=True)
    parts = cooccurrence_runs_ray(ray, shards, vocab, cfg, cfg.window, cfg.memory, partitions=16)
    budget = int(cfg.memory * 2**20)
    co = shuffle_records([Partitions(ray, parts)], len(vocab), weight_scale(cfg.window), folder, cfg.seed,
                         max(1 << 10, budget // 8 // 16), bucket_count(int(vocab.counts.sum()), cfg.window))
    write_json(manifest, {"key": key, "buckets": co.buckets, "n_records": co.n_records, "scale": co.scale})
    return co


class Partitions:
    """The reducers' runs (disjoint key ranges, in order) read as one sorted run, each fetched from the
    cluster when reading reaches it and let go once read past: the driver holds one range at a time."""

    def __init__(self, ray: Any, parts: list[Any]):
        self.ray, self.parts = ray, [run for _, run in parts]
        self.sizes = np.array(get(ray, [n for n, _ in parts]), dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)])
        self.n = int(self.starts[-1])
        self._held: tuple[int, Run] | None = None

    def read(self, start: int, count: int) -> Run:
        keys, vals = [], []
        while count > 0 and start < self.n:
            p = int(np.searchsorted(self.starts, start, side="right")) - 1
            if self._held is None or self._held[0] != p:
                self.parts[:p] = [None] * p  # read past: the cluster may free them
                self._held = (p, get(self.ray, self.parts[p]))
            run = self._held[1]
            piece = run.read(start - int(self.starts[p]), count)
            keys.append(piece.keys)
            vals.append(piece.vals)
            start += piece.n
            count -= piece.n
        if not keys:
            return Run(np.empty(0, np.int64), np.empty(0, np.int64))
        return Run(np.concatenate(keys), np.concatenate(vals))

