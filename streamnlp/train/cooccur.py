"""GloVe's co-occurrence matrix X in bounded memory: count, spill sorted runs, merge, shuffle.

As Stanford's cooccur + shuffle: pairs of frequent words add into dense per-thread tables, the
rest are sort-reduced per piece of corpus into sorted runs, which are merged in memory and
spilled to disk as one run whenever they outgrow their share of `--memory`. At the end all runs
and the dense tables are merged (a bounded k-way merge) into (row, col, count) records, which go
to buckets on disk by a hash of their key; each bucket is permuted in memory, so training streams a
shuffled file. How many buckets there are depends on the corpus's size and the window, not on the
memory budget, and the permutations on the seed and the bucket: any budget gives the same file.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
from dataclasses import dataclass

import numba
import numpy as np

from ..data.encode import EncodedCorpus
from ..kernels.common import sub_blocks
from ..kernels.glove import count_piece, reduce_sorted, scatter_records, sum_tables, unpack_sorted
from ..kernels.hashing import GOLDEN
from ..run.atomic import write_json

RECORD = np.dtype([("row", "<i4"), ("col", "<i4"), ("x", "<f4")])
SUB_TOKENS = 16384
MAX_EXACT_WINDOW = 20
MAX_BUCKETS = 256  # files open at once while scattering
BUCKET_PAIRS = 1 << 23  # pairs a bucket may hold at most (2 * window * tokens bound them): ~1M records


def weight_scale(window: int) -> int:
    """Integer weights scale/d are exact (scale = lcm(1..window)) up to MAX_EXACT_WINDOW; beyond, 2**24."""
    return math.lcm(*range(1, window + 1)) if window <= MAX_EXACT_WINDOW else 1 << 24


@dataclass
class Run:
    keys: np.ndarray  # int64 center * V + context, sorted, unique
    vals: np.ndarray  # int64 weight sums (count * scale)

    @property
    def n(self) -> int:
        return len(self.keys)

    def read(self, start: int, count: int) -> Run:
        return Run(self.keys[start:start + count], self.vals[start:start + count])


class RunFile:
    """A sorted run on disk (keys in PATH.keys, values in PATH.vals), appended piece by piece, read in slices."""

    def __init__(self, path: str, run: Run | None = None):
        self.path, self.n = path, 0
        open(path + ".keys", "wb").close()
        open(path + ".vals", "wb").close()
        if run is not None:
            self.append(run)

    def append(self, run: Run) -> None:
        with open(self.path + ".keys", "ab") as f:
            f.write(run.keys.tobytes())
        with open(self.path + ".vals", "ab") as f:
            f.write(run.vals.tobytes())
        self.n += run.n

    def read(self, start: int, count: int) -> Run:
        count = max(0, min(count, self.n - start))
        arrays = []
        for part in ("keys", "vals"):
            with open(f"{self.path}.{part}", "rb") as f:
                f.seek(8 * start)
                arrays.append(np.fromfile(f, dtype=np.int64, count=count))
        return Run(*arrays)

    def remove(self) -> None:
        os.unlink(self.path + ".keys")
        os.unlink(self.path + ".vals")


def _reduce(keys: np.ndarray, vals: np.ndarray) -> Run:
    """The run of keys and values sorted by key, equal keys summed; the inputs are let go as it goes."""
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    vals = vals[order]
    del order
    n = reduce_sorted(keys, vals)
    return Run(keys[:n], vals[:n]) if 10 * n >= 9 * len(keys) else Run(keys[:n].copy(), vals[:n].copy())


def merge_runs(sources: list, budget: int):
    """Bounded k-way merge of sorted runs (Run in memory or RunFile, read alike): yields reduced Run
    pieces in key order. Each round tops every source up to budget / len(sources) records held and
    emits every key up to the smallest last key read, which no source can add to later: at most
    ~2 * budget records held."""
    chunk = max(4096, budget // max(1, len(sources)))
    pos = [0] * len(sources)
    held = [Run(np.empty(0, np.int64), np.empty(0, np.int64)) for _ in sources]
    while True:
        for s, src in enumerate(sources):
            if held[s].n < chunk and pos[s] < src.n:
                more = src.read(pos[s], chunk)
                pos[s] += more.n
                held[s] = Run(np.concatenate([held[s].keys, more.keys]), np.concatenate([held[s].vals, more.vals]))
        live = [s for s in range(len(sources)) if held[s].n]
        if not live:
            return
        exhausted = [pos[s] >= src.n for s, src in enumerate(sources)]
        limit = min((held[s].keys[-1] for s in live if not exhausted[s]), default=np.iinfo(np.int64).max)
        parts_k, parts_v = [], []
        for s in live:
            cut = int(np.searchsorted(held[s].keys, limit, side="right"))
            parts_k.append(held[s].keys[:cut])
            parts_v.append(held[s].vals[:cut])
            held[s] = Run(held[s].keys[cut:], held[s].vals[cut:])
        yield _reduce(np.concatenate(parts_k), np.concatenate(parts_v))


class Cooccurrence:
    """The shuffled record file and what training needs to know about it."""

    def __init__(self, folder: str, buckets: list[str], n_records: int, scale: int):
        self.folder, self.buckets, self.n_records, self.scale = folder, buckets, n_records, scale

    def remove(self) -> None:
        """Delete the records and their manifest; the folder too if nothing else is in it."""
        for path in [*self.buckets, os.path.join(self.folder, "manifest.json")]:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        with contextlib.suppress(OSError):
            os.rmdir(self.folder)

    def read_bucket(self, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, cols, x) of bucket b, in its shuffled order."""
        rec = np.fromfile(self.buckets[b], dtype=RECORD)
        return rec["row"].copy(), rec["col"].copy(), rec["x"].copy()


def cooccurrences(corpus: EncodedCorpus, V: int, window: int, memory_mb: float, folder: str,
                  seed: int) -> Cooccurrence:
    """The shuffled records in `folder` if an earlier run counted them from the same corpus and settings
    (a resumed run), else count them now; the manifest is written last, so a killed count is redone."""
    manifest = os.path.join(folder, "manifest.json")
    key = json.dumps([corpus.key, window, seed, "hashed"])
    if os.path.exists(manifest):
        with open(manifest) as f:
            meta = json.load(f)
        if meta["key"] == key and all(os.path.exists(p) for p in meta["buckets"]):
            return Cooccurrence(folder, meta["buckets"], meta["n_records"], meta["scale"])
        os.unlink(manifest)
    co = count_cooccurrences(corpus, V, window, memory_mb, folder, seed)
    write_json(manifest, {"key": key, "buckets": co.buckets, "n_records": co.n_records, "scale": co.scale})
    return co


def count_cooccurrences(corpus: EncodedCorpus, V: int, window: int, memory_mb: float, folder: str,
                        seed: int) -> Cooccurrence:
    """Count X over the encoded corpus within about `memory_mb` MB of buffers, write it shuffled to `folder`.
    Runs on Numba's current thread count (one dense table per thread)."""
    sources, run_cap = count_sources(corpus, V, window, memory_mb, folder)
    return shuffle_records(sources, V, weight_scale(window), folder, seed, run_cap,
                           bucket_count(corpus.n_tokens, window))


def bucket_count(tokens: int, window: int) -> int:
    """Buckets for the records of `tokens` tokens: one per BUCKET_PAIRS of their pairs' bound (2 window
    tokens), at most MAX_BUCKETS. A function of the corpus alone, so any memory budget, and the cluster's
    count, write the same buckets."""
    return int(min(MAX_BUCKETS, max(1, -(-2 * window * tokens // BUCKET_PAIRS))))


def count_sources(corpus: EncodedCorpus, V: int, window: int, memory_mb: float, folder: str) -> tuple[list, int]:
    """The corpus's pairs as sorted runs (in memory, or spilled to `folder` past their share of memory_mb)
    and the frequent pairs' dense table as one run; merged (merge_runs, holding the returned number of
    records per round) they are X's records in key order."""
    os.makedirs(folder, exist_ok=True)
    budget = int(memory_mb * 2**20)
    scale = weight_scale(window)
    weights = np.array([0] + [round(scale / d) for d in range(1, window + 1)], dtype=np.int64)
    threads = numba.get_num_threads()
    K = min(V, math.isqrt(budget // 2 // (8 * threads)))
    dense = np.zeros((threads, K, K), dtype=np.int64)
    # the other half of the budget: packed pairs of a piece (1/16), memory runs (1/16) and their merge
    # (about 5x theirs: merge_runs' copies, _reduce's order and gathers)
    pair_cap = max(2 * window * SUB_TOKENS, budget // 16 // 8)  # packed int64 pairs
    run_cap = max(1 << 10, budget // 16 // 16)  # records (int64 key + int64 value) held before a spill
    packed = np.empty(pair_cap, dtype=np.int64)
    mem_runs: list[Run] = []
    disk_runs: list[RunFile] = []

    def spill() -> None:
        run = RunFile(os.path.join(folder, f"run-{len(disk_runs):05d}.bin"))
        for piece in merge_runs(mem_runs, run_cap):
            run.append(piece)
        mem_runs.clear()
        disk_runs.append(run)

    for _, ids, offsets in corpus.iter_blocks():
        subs = sub_blocks(offsets, SUB_TOKENS)
        sub_pairs = (offsets[subs[1:]] - offsets[subs[:-1]]) * 2 * window
        max_len = int(np.diff(offsets).max())
        first = 0
        while first < len(subs) - 1:
            last = first + 1  # take sub-blocks while their worst-case pairs fit the buffer
            while last < len(subs) - 1 and sub_pairs[first:last + 1].sum() <= pair_cap:
                last += 1
            starts = np.concatenate([[0], np.cumsum(sub_pairs[first:last])]).astype(np.int64)
            if starts[-1] > len(packed):
                packed = np.empty(starts[-1], dtype=np.int64)
            n = count_piece(ids, offsets, subs[first:last + 1], max_len, window, weights, V, dense,
                            starts[:-1], packed)
            at = 0
            for s, c in zip(starts[:-1], n):  # the sub-blocks' pairs to the front, then sorted in place
                packed[at:at + c] = packed[s:s + c]
                at += c
            pairs = packed[:at]
            pairs.sort()
            if len(pairs):
                mem_runs.append(Run(*unpack_sorted(pairs, window, weights)))
            if sum(r.n for r in mem_runs) > run_cap:
                spill()
            first = last
    del packed
    sum_tables(dense)
    dense_run = RunFile(os.path.join(folder, "run-dense.bin"))
    step = max(1, run_cap // max(K, 1))
    for r in range(0, K, step):  # row slices: keys r * V + c are in order, temporaries stay small
        rows, cols = np.nonzero(dense[0, r:r + step])
        dense_run.append(Run((rows.astype(np.int64) + r) * V + cols, dense[0, rows + r, cols]))
    del dense
    return disk_runs + mem_runs + [dense_run], run_cap


def shuffle_records(sources: list, V: int, scale: int, folder: str, seed: int, chunk: int,
                    n_buckets: int) -> Cooccurrence:
    """Merge every run (holding about `chunk` records per round) into records scattered over `n_buckets`
    buckets by their key's hash, then permute each bucket in memory (32 bytes a record then: read,
    permutation, permuted copy) with a generator seeded by (seed, bucket)."""
    paths = [os.path.join(folder, f"bucket-{b:05d}.bin") for b in range(n_buckets)]
    seed_mix = np.uint64(seed * int(GOLDEN) % 2**64)
    files = [open(p, "wb") for p in paths]
    n_records = 0
    try:
        for run in merge_runs(sources, chunk):
            words = np.empty((run.n, 3), dtype=np.int32)  # RECORD's bytes: row, col, x's float32 bits
            bounds = scatter_records(run.keys, run.vals, V, np.float64(scale), seed_mix, n_buckets, words,
                                     words.view(np.float32))
            n_records += run.n
            for b in np.flatnonzero(np.diff(bounds)):
                files[b].write(words[bounds[b]:bounds[b + 1]].tobytes())
    finally:
        for f in files:
            f.close()
    for s in sources:
        if isinstance(s, RunFile):
            s.remove()
    for b, p in enumerate(paths):
        rec = np.fromfile(p, dtype=RECORD)
        perm = np.random.default_rng([seed, b]).permutation(len(rec))
        out = np.empty(len(rec), dtype=RECORD)
        for name in RECORD.names:  # column by column: gathers of plain arrays are fast
            out[name] = rec[name][perm]
        out.tofile(p)
    return Cooccurrence(folder, paths, n_records, scale)
