"""The counting passes as Ray tasks: word counts per unit of shards merged by a tree reduce, and GloVe's
co-occurrence counts per unit, partitioned by key to reducers and merged. Each gives what the local pass
gives: the same vocabulary byte for byte (while the counts stay under --max-vocab-size, below which
nothing is pruned and merging is addition), and the same co-occurrence records."""
from __future__ import annotations

import shutil
import tempfile
from typing import Any

import numpy as np

from ..data.encode import encode_corpus
from ..data.shards import Shard, check_tokens, units
from ..data.vocab import Counts, Vocab, count_unit, merge, vocab_of
from ..run.config import VocabConfig
from ..run.threads import thread_limits
from ..train.cooccur import Run, count_sources, merge_runs
from .connect import get, nodes

FAN_IN = 8  # counts merged by one reduce task


def count_all_ray(ray: Any, shards: list[Shard], cfg: VocabConfig) -> Counts:
    """count_unit on every unit (shards.units) as a Ray task, the counts merged FAN_IN at a time by tasks
    until one is left."""
    count = ray.remote(count_unit).options(num_cpus=1)
    merge_task = ray.remote(lambda max_vocab_size, *parts: merge(parts, max_vocab_size)).options(num_cpus=1)
    level = [count.remote(unit, cfg) for unit in units(shards)]
    while len(level) > 1:
        level = [merge_task.remote(cfg.max_vocab_size, *level[i:i + FAN_IN]) for i in range(0, len(level), FAN_IN)]
    counts = get(ray, level[0])
    check_tokens(counts.tokens, shards)
    return counts


def build_vocab_ray(ray: Any, shards: list[Shard], cfg: VocabConfig) -> Vocab:
    """build_vocab with the counting pass on the cluster."""
    return vocab_of(count_all_ray(ray, shards, cfg), cfg)


def cooccurrence_runs_ray(ray: Any, shards: list[Shard], vocab: Vocab, cfg: VocabConfig, window: int,
                          memory_mb: float, partitions: int) -> list[Any]:
    """GloVe's counts as Ray tasks: a map task per unit encodes it and counts its pairs (count_sources,
    within memory_mb), split into `partitions` ranges of keys; a reduce task per range merges them. Returns
    the ranges' sorted, reduced runs (object refs, in key order): the records the local count makes."""
    V = len(vocab)
    # ranges of rows holding about equal shares of the tokens (rows are words in frequency order), so the
    # reducers, and the driver that reads one range at a time, hold about equal shares of X
    share = np.cumsum(vocab.counts) / max(1, int(vocab.counts.sum()))
    rows = np.searchsorted(share, np.arange(1, partitions) / partitions, side="right")
    bounds = np.concatenate([[0], np.asarray(rows, np.int64) * V, [V * V]]).astype(np.int64)
    cpus = max([n["cpus"] for n in nodes(ray)] or [1])  # a node runs this many map tasks at once
    count_unit_pairs = ray.remote(_count_unit_pairs).options(num_cpus=1, num_returns=partitions)
    shared = ray.put(vocab)
    maps = [count_unit_pairs.remote(unit, shared, cfg, window, memory_mb / cpus, bounds) for unit in units(shards)]
    reduce_task = ray.remote(_merge_partition).options(num_cpus=1, num_returns=2)
    return [reduce_task.remote(memory_mb / cpus, *[m[p] for m in maps]) for p in range(partitions)]


def _count_unit_pairs(unit: list[Shard], vocab: Vocab, cfg: VocabConfig, window: int, memory_mb: float,
                      bounds: np.ndarray) -> Any:
    """One unit's co-occurrence run, cut at the key bounds, on one thread (the task's CPU)."""
    folder = tempfile.mkdtemp(prefix="streamnlp-cooccur-")
    try:
        with thread_limits(1):
            corpus = encode_corpus(unit, vocab, cfg, folder, threads=1)
            sources, budget = count_sources(corpus, len(vocab), window, memory_mb, folder)
        merged = list(merge_runs(sources, budget))
        keys = np.concatenate([r.keys for r in merged]) if merged else np.empty(0, np.int64)
        vals = np.concatenate([r.vals for r in merged]) if merged else np.empty(0, np.int64)
        corpus.release()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    cuts = np.searchsorted(keys, bounds)
    return tuple(Run(keys[a:b].copy(), vals[a:b].copy()) for a, b in zip(cuts[:-1], cuts[1:]))


def _merge_partition(memory_mb: float, *runs: Run) -> tuple[int, Run]:
    """The maps' runs of one key range merged: (its record count, the run)."""
    merged = list(merge_runs([r for r in runs if r.n], max(1 << 10, int(memory_mb * 2**20) // 16)))
    if not merged:
        return 0, Run(np.empty(0, np.int64), np.empty(0, np.int64))
    keys = np.concatenate([r.keys for r in merged])
    return len(keys), Run(keys, np.concatenate([r.vals for r in merged]))
