"""A phrases model (stream-train phrases' OUT/phrases.tsv): levels of word pairs with their counts and scores,
joined into one token each (`new_york`) as a corpus is read, greedily from the left, a level at a time.
data/phrasecount.py finds them."""
from __future__ import annotations

import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..run.atomic import atomic_write
from ..run.errors import UserError

FILE = "phrases.tsv"
HEADER = ["level", "a", "b", "count", "score"]


class Phrases:
    """Levels of phrases, each a set of word pairs with their counts and scores; join() applies them."""

    def __init__(self, levels: list[pa.Table], delimiter: str = "_"):
        self.levels, self.delimiter = levels, delimiter  # each: a, b, count, score
        self._lookup = [self._build(t) for t in levels]

    def _build(self, t: pa.Table) -> tuple[pa.Array, pa.Array, np.ndarray, np.ndarray, pa.Array]:
        t = t.combine_chunks()
        firsts = pc.unique(t["a"].chunk(0)) if t.num_rows else pa.array([], pa.string())
        seconds = pc.unique(t["b"].chunk(0)) if t.num_rows else pa.array([], pa.string())
        ia = pc.index_in(t["a"], value_set=firsts).to_numpy(zero_copy_only=False).astype(np.int64)
        ib = pc.index_in(t["b"], value_set=seconds).to_numpy(zero_copy_only=False).astype(np.int64)
        keys = ia * max(len(seconds), 1) + ib
        order = np.argsort(keys)
        joined = pc.binary_join_element_wise(t["a"].chunk(0), t["b"].chunk(0), self.delimiter) if t.num_rows \
            else pa.array([], pa.string())
        return firsts, seconds, keys[order], order.astype(np.int64), joined

    def __len__(self) -> int:
        return sum(t.num_rows for t in self.levels)

    def join(self, flat: pa.Array, lengths: np.ndarray) -> tuple[pa.Array, np.ndarray]:
        """The tokens (`lengths` a row) with every phrase of each level joined into one token."""
        for firsts, seconds, keys, order, joined in self._lookup:
            if not len(keys) or not len(flat):
                continue
            words = pc.dictionary_encode(flat)
            dic = words.dictionary
            in_a = pc.fill_null(pc.index_in(dic, value_set=firsts), -1).to_numpy().astype(np.int64)
            in_b = pc.fill_null(pc.index_in(dic, value_set=seconds), -1).to_numpy().astype(np.int64)
            idx = words.indices.to_numpy().astype(np.int64)
            from ..kernels.phrases import join_pairs  # here: the phrases pass's first counting needs no Numba
            out, lengths = join_pairs(idx, lengths.astype(np.int64), in_a[idx], in_b[idx], keys, order,
                                      len(seconds), len(dic))
            flat = pc.take(pa.concat_arrays([dic, joined.cast(dic.type)]), pa.array(out))
        return flat, lengths

    def save(self, folder: str) -> None:
        with atomic_write(os.path.join(folder, FILE), "w") as f:
            f.write("\t".join(HEADER) + "\n")
            for level, t in enumerate(self.levels, 1):
                for a, b, n, s in zip(*(t[k].to_pylist() for k in ("a", "b", "count", "score"))):
                    f.write(f"{level}\t{a}\t{b}\t{n}\t{s!r}\n")

    @classmethod
    def load(cls, folder: str) -> Phrases:
        path = os.path.join(folder, FILE) if os.path.isdir(folder) else folder
        if not os.path.exists(path):
            raise UserError(f"--phrases {folder}: no {FILE}; pass the --out folder of a `stream-train phrases` run")
        levels: dict[int, list[tuple]] = {}
        with open(path, encoding="utf-8") as f:
            header = f.readline().rstrip("\n").split("\t")
            if header != HEADER:
                raise UserError(f"--phrases {path}: not a phrases file; pass a `stream-train phrases` run folder")
            for lineno, line in enumerate(f, 2):
                parts = line.rstrip("\n").split("\t")
                try:
                    if len(parts) != 5:
                        raise ValueError(f"{len(parts)} fields, not 5")
                    levels.setdefault(int(parts[0]), []).append((parts[1], parts[2], int(parts[3]), float(parts[4])))
                except ValueError as e:
                    raise UserError(f"--phrases {path}:{lineno}: {e}; re-create the file") from None
        delimiter = "_"
        meta = os.path.join(os.path.dirname(path), "config.json")
        if os.path.exists(meta):
            with open(meta) as f:
                delimiter = json.load(f).get("delimiter", "_")
        return cls([table(levels[k]) for k in sorted(levels)], delimiter)


def table(rows: list[tuple]) -> pa.Table:
    cols = list(zip(*rows)) if rows else [[], [], [], []]
    return pa.table({"a": pa.array(cols[0], pa.string()), "b": pa.array(cols[1], pa.string()),
                     "count": pa.array(cols[2], pa.int64()), "score": pa.array(cols[3], pa.float64())})
