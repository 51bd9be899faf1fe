"""Vocabulary: streamed counting (map per unit of shards, reduce by addition), pruning, subsampling, noise table.

Order is deterministic: count descending, then the word's UTF-8 bytes ascending. While counting,
a table that outgrows `max_vocab_size` drops the words seen fewer than `min_reduce` times and
raises `min_reduce` by one, as gensim does, so memory stays bounded whatever the corpus.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..kernels.strings import StringIndex
from ..run.config import VocabConfig
from ..run.errors import UserError
from ..run.threads import map_shards
from ..run.vocabfile import read_vocab_tsv, write_vocab_tsv
from .codes import CodesWriter, codes_path
from .corpus import read_unit, tokenize
from .shards import Shard, check_tokens, describe, unit_bytes, units

COMPACT_ROWS = 1 << 21
SCHEMA = pa.schema([("word", pa.string()), ("count", pa.int64())])


@dataclass
class Counts:
    """Word counts of part of a corpus; `tokens` counts every token, pruned or not."""
    table: pa.Table
    tokens: int
    min_reduce: int = 1
    rows: int = 0
    pending: list = field(default_factory=list)


def _compact(tables: list[pa.Table]) -> pa.Table:
    merged = pa.concat_tables(tables).group_by("word").aggregate([("count", "sum")])
    return merged.rename_columns(["word", "count"])


def _prune(c: Counts, max_vocab_size: int) -> None:
    c.table = _compact([c.table, *c.pending])
    c.pending = []
    while c.table.num_rows > max_vocab_size:
        c.table = c.table.filter(pc.greater_equal(c.table["count"], c.min_reduce))
        c.min_reduce += 1


def merge(parts: Iterable[Counts], max_vocab_size: int) -> Counts:
    """Reduce step: add the counts of the parts as they come, compacting (pruning if the union is too
    large) whenever the tables held outgrow COMPACT_ROWS or max_vocab_size, as count_unit does with
    its batches: a corpus of thousands of shards or pieces merges in bounded memory too."""
    out = Counts(SCHEMA.empty_table(), 0)
    held = 0
    for p in parts:
        out.tokens += p.tokens
        out.rows += p.rows
        out.min_reduce = max(out.min_reduce, p.min_reduce)
        out.pending.append(p.table)
        held += p.table.num_rows
        if held > max(COMPACT_ROWS, max_vocab_size):
            _prune(out, max_vocab_size)
            held = out.table.num_rows
    _prune(out, max_vocab_size)
    return out


def count_unit(unit: list[Shard], cfg: VocabConfig, codes: str | None = None) -> Counts:
    """Map step: the word counts of one unit (shards.units), in memory bounded by cfg.max_vocab_size.
    With `codes`, every batch's rows are also written there with their words dictionary-encoded
    (codes.CodesWriter), so that the encoding pass maps each batch's dictionary to ids instead of
    tokenizing again."""
    c = Counts(SCHEMA.empty_table(), 0)
    held = 0  # rows of the table plus the pending batch counts
    with CodesWriter(codes) as out:
        for texts in read_unit(unit, cfg):
            flat, lengths = tokenize(texts, cfg)
            c.tokens += len(flat)
            c.rows += len(texts)
            words = pc.dictionary_encode(flat)
            n = np.bincount(words.indices.to_numpy(), minlength=len(words.dictionary))
            c.pending.append(pa.table([words.dictionary, pa.array(n, pa.int64())], schema=SCHEMA))
            out.write(words, lengths)
            held += len(n)
            if held > max(COMPACT_ROWS, cfg.max_vocab_size):
                _prune(c, cfg.max_vocab_size)
                held = c.table.num_rows
    _prune(c, cfg.max_vocab_size)
    return c


class Vocab:
    """Words in frequency order with their counts; `total_tokens` is every token of the corpus."""

    def __init__(self, words: list[str], counts: np.ndarray, total_tokens: int):
        self.words = words
        self.counts = np.asarray(counts, dtype=np.int64)
        self.total_tokens = int(total_tokens)
        self._index: dict[str, int] | None = None
        self._arrow: pa.Array | None = None
        self._strings: StringIndex | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.words)

    def __reduce__(self) -> tuple:
        """Pickled (for another process: a Ray task or actor) as its words, counts and total; the indexes
        are built again there."""
        return Vocab, (self.words, self.counts, self.total_tokens)

    @property
    def index(self) -> dict[str, int]:
        if self._index is None:
            self._index = {w: i for i, w in enumerate(self.words)}
        return self._index

    @property
    def strings(self) -> StringIndex:
        """The words' hash index (kernels.strings), built once, by the first of the encoding threads."""
        with self._lock:
            if self._strings is None:
                self._strings = StringIndex(self.arrow)
        return self._strings

    @property
    def arrow(self) -> pa.Array:
        if self._arrow is None:
            self._arrow = pa.array(self.words, type=pa.string())
        return self._arrow

    def keep_probs(self, sample: float) -> np.ndarray:
        """word2vec's subsampling: keep a word of count c with p = (sqrt(c/t) + 1) * t/c, t = sample*N."""
        if sample <= 0:
            return np.ones(len(self), dtype=np.float32)
        t = sample * float(self.counts.sum())
        c = self.counts.astype(np.float64)
        return np.minimum(1.0, (np.sqrt(c / t) + 1.0) * t / c).astype(np.float32)

    def noise_table(self, power: float = 0.75) -> tuple[np.ndarray, np.ndarray]:
        """Walker alias table of the count**power distribution: (accept prob float32, alias int32)."""
        p = self.counts.astype(np.float64) ** power
        n = len(p)
        scaled = p * (n / p.sum())
        prob = np.ones(n, dtype=np.float64)
        alias = np.arange(n, dtype=np.int32)
        small = [i for i in range(n) if scaled[i] < 1.0]
        large = [i for i in range(n) if scaled[i] >= 1.0]
        while small and large:
            s, g = small.pop(), large.pop()
            prob[s], alias[s] = scaled[s], g
            scaled[g] -= 1.0 - scaled[s]
            (small if scaled[g] < 1.0 else large).append(g)
        return prob.astype(np.float32), alias

    def extended(self, new: Vocab, min_count: int) -> Vocab:
        """This vocabulary trained on (gensim's build_vocab(update=True)): its words keep their rows, in order,
        their counts adding `new`'s; then `new`'s other words seen min_count times, most frequent first."""
        index = self.index
        counts = self.counts.copy()
        added, added_counts = [], []
        for w, c in zip(new.words, new.counts.tolist()):
            if w in index:
                counts[index[w]] += c
            elif c >= min_count:
                added.append(w)
                added_counts.append(c)
        return Vocab(self.words + added, np.concatenate([counts, np.array(added_counts, np.int64)]),
                     self.total_tokens + new.total_tokens)

    def save(self, path: str) -> None:
        write_vocab_tsv(path, self.words, self.counts.tolist())

    @classmethod
    def load(cls, path: str, total_tokens: int | None = None) -> Vocab:
        words, counts = read_vocab_tsv(path)
        c = np.array(counts, dtype=np.int64)
        return cls(words, c, int(c.sum()) if total_tokens is None else total_tokens)


def finalize(counts: Counts, min_count: int, max_final_vocab: int | None) -> Vocab:
    t = counts.table.filter(pc.greater_equal(counts.table["count"], min_count))
    t = t.sort_by([("count", "descending"), ("word", "ascending")])
    if max_final_vocab is not None:
        t = t.slice(0, max_final_vocab)
    return Vocab(t["word"].to_pylist(), t["count"].to_numpy(), counts.tokens)


def count_units(shards: list[Shard], cfg: VocabConfig, codes: str | None = None) -> Counts:
    """Count the shards, unit by unit (shards.units) in parallel threads (pyarrow releases the GIL), and
    merge the counts; with `codes` (a folder), unit i's dictionary-encoded rows go to codes_path(codes, i)."""
    work = units(shards)
    parts = map_shards(lambda a: count_unit(a[1], cfg, codes and codes_path(codes, a[0])), list(enumerate(work)),
                       cfg.threads, f"counting {describe(shards)}", unit_bytes(work))
    return merge(parts, cfg.max_vocab_size)


def count_all(shards: list[Shard], cfg: VocabConfig, codes: str | None = None) -> Counts:
    """count_units of a whole corpus, which must hold tokens."""
    counts = count_units(shards, cfg, codes)
    check_tokens(counts.tokens, shards)
    return counts


def build_vocab(shards: list[Shard], cfg: VocabConfig, codes: str | None = None) -> Vocab:
    """The words seen at least min_count times (at most max_final_vocab of them); `codes`: count_all."""
    return vocab_of(count_all(shards, cfg, codes), cfg)


def vocab_of(counts: Counts, cfg: VocabConfig) -> Vocab:
    """finalize's vocabulary of the counts, which must hold a word."""
    vocab = finalize(counts, cfg.min_count, cfg.max_final_vocab)
    if len(vocab) == 0:
        raise UserError(f"no word is seen --min-count {cfg.min_count} times in {counts.tokens} tokens; "
                        "lower --min-count or give a larger corpus")
    return vocab


EOS, UNK = "</s>", "<unk>"


def build_lm_vocab(shards: list[Shard], cfg: VocabConfig, size: int, codes: str | None = None) -> Vocab:
    """A language model's vocabulary: the size - 1 most frequent tokens seen min_count times, counting
    the end-of-row token </s> (one per row), then <unk> for every other word; `codes`: count_all."""
    counts = count_all(shards, cfg, codes)
    words = counts.table.filter(pc.invert(pc.is_in(counts.table["word"], pa.array([EOS, UNK]))))
    eos = pa.table([pa.array([EOS]), pa.array([counts.rows], pa.int64())], schema=SCHEMA)
    counts.table = pa.concat_tables([words, eos])
    top = finalize(counts, cfg.min_count, size - 1)
    unk = counts.tokens + counts.rows - int(top.counts.sum())
    return Vocab(top.words + [UNK], np.append(top.counts, unk), counts.tokens)
