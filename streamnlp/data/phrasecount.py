"""Finding phrases (word2phrase, gensim's Phrases): one streaming pass counts words and the pairs of words that
follow each other in a row, scores the pairs as gensim does, and keeps those above the threshold; --passes 2
counts again on the text joined by them (phrases of phrases: trigrams and more).

Counts live in Arrow tables merged by addition, pruned as the vocabulary's are (tables that outgrow
max_vocab_size drop the entries seen fewer than min_reduce times, min_reduce rising by one), so memory stays
bounded; pairs are counted per batch on the batch's dictionary codes and merged by their words' hashes.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..kernels.hashing import string_hashes
from ..run.config import PhrasesConfig, make_config, to_json
from ..run.errors import UserError
from ..run.rundir import prepare, write_run_files
from ..run.threads import map_shards
from .corpus import read_unit, tokenize
from .phrases import Phrases
from .shards import Shard, check_tokens, discover, unit_bytes, units

WORDS = pa.schema([("h", pa.uint64()), ("word", pa.string()), ("count", pa.int64())])
PAIRS = pa.schema([("ha", pa.uint64()), ("hb", pa.uint64()), ("count", pa.int64())])
COMPACT_ROWS = 1 << 21
CHUNK_TOKENS = 1 << 21  # tokens of a unit counted at once
FILE = "phrases.tsv"


@dataclass
class PairCounts:
    """Word counts (each word with its 64-bit hash) and pair counts keyed by the two words' hashes: integer
    keys merge faster than strings (realtext, 2 threads, in process: 3.3 -> 1.8 s). A collision of two words'
    hashes is detected (named_pairs refuses), never silently merged."""
    words: pa.Table
    pairs: pa.Table
    tokens: int = 0
    min_reduce: int = 1
    # one chunk's counts as count_batch made them: words sorted by hash, pairs by their words' hashes, and
    # each pair's words as rows of `words` (merge_sorted's input); None once merged by Arrow
    ranks: tuple[np.ndarray, np.ndarray] | None = None


def _sum(tables: list[pa.Table], keys: list[str]) -> pa.Table:
    return pa.concat_tables(tables).group_by(keys).aggregate([("count", "sum")]).rename_columns([*keys, "count"])


def _prune(c: PairCounts, words: list[pa.Table], pairs: list[pa.Table], max_size: int) -> None:
    """Fold the pending tables in; while words and pairs together outgrow max_size, drop the rare ones."""
    if words:
        c.words = _sum([c.words, *words], ["h", "word"])
    if pairs:
        c.pairs = _sum([c.pairs, *pairs], ["ha", "hb"])
    while c.words.num_rows + c.pairs.num_rows > max_size:
        c.words = c.words.filter(pc.greater_equal(c.words["count"], c.min_reduce))
        c.pairs = c.pairs.filter(pc.greater_equal(c.pairs["count"], c.min_reduce))
        c.min_reduce += 1


def pair_codes(idx: np.ndarray, lengths: np.ndarray, n_words: int) -> np.ndarray:
    """a * n_words + b for every two codes a, b that follow each other within a row."""
    codes = idx[:-1] * n_words + idx[1:]
    ends = np.cumsum(lengths)[:-1]  # a row's end: its last token and the next row's first are no pair
    within = np.ones(len(codes), dtype=bool)
    within[ends[(ends > 0) & (ends <= len(codes))] - 1] = False
    return codes[within]


def count_batch(flat: pa.Array, lengths: np.ndarray) -> PairCounts:
    """The word counts and the pair counts of one batch of tokens (`lengths` tokens a row), sorted by hash
    (words renumbered in their hashes' order, so the pairs' codes sort as their hashes do)."""
    words = pc.dictionary_encode(flat)
    dic = words.dictionary.cast(pa.string())
    h = string_hashes(dic)
    by_hash = np.argsort(h)
    rank = np.empty(len(dic), np.int64)
    rank[by_hash] = np.arange(len(dic))
    idx = rank[words.indices.to_numpy()]
    n_words = np.bincount(idx, minlength=len(dic))
    codes, n_pairs = np.unique(pair_codes(idx, lengths.astype(np.int64), len(dic)), return_counts=True)
    ra, rb = codes // max(len(dic), 1), codes % max(len(dic), 1)
    h = h[by_hash]
    return PairCounts(pa.table([pa.array(h), dic.take(pa.array(by_hash)), pa.array(n_words, pa.int64())],
                               schema=WORDS),
                      pa.table([pa.array(h[ra]), pa.array(h[rb]), pa.array(n_pairs, pa.int64())], schema=PAIRS),
                      ranks=(ra, rb))


def merge_sorted(parts: list[PairCounts]) -> tuple[pa.Table, pa.Table]:
    """The words and pairs of count_batch's outputs added up, without Arrow's group-by (0.6-0.7 s of realtext's
    1.5 s pass): every word gets its rank among all hashes, each part's pairs become sorted codes of two ranks,
    and one stable sort of the parts' runs brings equal codes together. Two words of one hash are refused."""
    all_h = np.concatenate([p.words["h"].to_numpy() for p in parts])
    uniq, first, inverse = np.unique(all_h, return_index=True, return_inverse=True)
    n_words = len(uniq)
    all_words = pa.concat_arrays([p.words["word"].combine_chunks() for p in parts])
    words = all_words.take(pa.array(first))
    if pc.all(pc.equal(all_words, words.take(pa.array(inverse)))).as_py() is False:  # None: no words at all
        raise RuntimeError("two words share a 64-bit hash; the phrases pass cannot tell them apart")
    counts = np.zeros(n_words, np.int64)
    np.add.at(counts, inverse, np.concatenate([p.words["count"].to_numpy() for p in parts]))
    codes, at = [], 0
    for p in parts:
        g = inverse[at:at + p.words.num_rows].astype(np.int64)
        at += p.words.num_rows
        codes.append(g[p.ranks[0]] * n_words + g[p.ranks[1]])
    code = np.concatenate(codes)
    order = np.argsort(code, kind="stable")  # the parts' sorted runs merged
    code = code[order]
    n = np.concatenate([p.pairs["count"].to_numpy() for p in parts])[order]
    starts = np.flatnonzero(np.concatenate([[True], code[1:] != code[:-1]])) if len(code) else np.zeros(0, np.int64)
    code, n = code[starts], (np.add.reduceat(n, starts) if len(starts) else n)
    return (pa.table([pa.array(uniq), words, pa.array(counts)], schema=WORDS),
            pa.table([pa.array(uniq[code // max(n_words, 1)]), pa.array(uniq[code % max(n_words, 1)]),
                      pa.array(n, pa.int64())], schema=PAIRS))


def count_unit(unit: list[Shard], cfg, model: Phrases | None) -> PairCounts:
    """Map step: the counts of one unit of shards, its tokens joined by `model` first (a later pass). Batches
    are counted together up to CHUNK_TOKENS: one chunk's tables hold each word and pair once, so a unit of
    realtext's size needs no merge of its own (realtext, 2 threads, in process: 1.9 -> 1.5 s)."""
    c = PairCounts(WORDS.empty_table(), PAIRS.empty_table())
    chunk: list[tuple[pa.Array, np.ndarray]] = []
    counted: list[PairCounts] = []  # the chunks' counts not yet folded into c

    def count_chunk() -> None:
        counted.append(count_batch(pa.concat_arrays([f for f, _ in chunk]), np.concatenate([n for _, n in chunk])))
        chunk.clear()

    for texts in read_unit(unit, cfg):
        flat, lengths = tokenize(texts, cfg, phrases=model)
        c.tokens += len(flat)
        chunk.append((flat, lengths))
        if sum(len(f) for f, _ in chunk) >= CHUNK_TOKENS:
            count_chunk()
        if sum(p.words.num_rows + p.pairs.num_rows for p in counted) > max(COMPACT_ROWS, cfg.max_vocab_size):
            _prune(c, [p.words for p in counted], [p.pairs for p in counted], cfg.max_vocab_size)
            counted.clear()
    if chunk:
        count_chunk()
    one = counted[0] if len(counted) == 1 else None
    if one is not None and c.words.num_rows == 0 and one.words.num_rows + one.pairs.num_rows <= cfg.max_vocab_size:
        one.tokens = c.tokens
        return one
    _prune(c, [p.words for p in counted], [p.pairs for p in counted], cfg.max_vocab_size)
    return c


def count_all(shards: list[Shard], cfg, model: Phrases | None, desc: str) -> PairCounts:
    """Reduce step: the units' counts added as they come, compacted and pruned in bounded memory."""
    us = units(shards)
    out = PairCounts(WORDS.empty_table(), PAIRS.empty_table())
    held = 0
    parts: list[PairCounts] = []
    for part in map_shards(lambda u: count_unit(u, cfg, model), us, cfg.threads, desc, unit_bytes(us)):
        out.tokens += part.tokens
        out.min_reduce = max(out.min_reduce, part.min_reduce)
        parts.append(part)
        held += part.words.num_rows + part.pairs.num_rows
        if held > max(COMPACT_ROWS, cfg.max_vocab_size):
            _prune(out, [p.words for p in parts], [p.pairs for p in parts], cfg.max_vocab_size)
            parts, held = [], out.words.num_rows + out.pairs.num_rows
    if out.words.num_rows == 0 and parts and all(p.ranks is not None for p in parts):
        out.words, out.pairs = merge_sorted(parts)  # nothing pruned yet: every pair's words are at hand
        parts = []
    _prune(out, [p.words for p in parts], [p.pairs for p in parts], cfg.max_vocab_size)
    check_tokens(out.tokens, shards)
    return out


def named_pairs(c: PairCounts) -> tuple[pa.Array, pa.Array, np.ndarray, np.ndarray]:
    """(a, b, n_a, n_b) of every counted pair: its words and their counts, looked up by hash. A pair one of
    whose words was pruned is dropped from the result's rows by the caller (n 0)."""
    if pc.count_distinct(c.words["h"]).as_py() != c.words.num_rows:
        raise RuntimeError("two words share a 64-bit hash; the phrases pass cannot tell them apart")
    at_a = pc.index_in(c.pairs["ha"], value_set=c.words["h"])
    at_b = pc.index_in(c.pairs["hb"], value_set=c.words["h"])
    n_a = pc.fill_null(pc.take(c.words["count"], at_a), 0).to_numpy(zero_copy_only=False).astype(np.float64)
    n_b = pc.fill_null(pc.take(c.words["count"], at_b), 0).to_numpy(zero_copy_only=False).astype(np.float64)
    return pc.take(c.words["word"], at_a), pc.take(c.words["word"], at_b), n_a, n_b


def scores(c: PairCounts, scoring: str, min_count: int, pairs: pa.Table | None = None
           ) -> tuple[pa.Array, pa.Array, np.ndarray]:
    """(a, b, score) of every pair of `pairs` (c's by default), scored as gensim's scorers do: default
    (word2phrase's) (n_ab - min_count) / (n_a n_b) * vocabulary size (c's words and pairs counted, gensim's
    len(vocab)); npmi ln(p_ab / (p_a p_b)) / -ln(p_ab), -inf below min_count. A pair whose word was pruned
    scores -inf."""
    pairs = c.pairs if pairs is None else pairs
    a, b, n_a, n_b = named_pairs(PairCounts(c.words, pairs))
    n_ab = pairs["count"].to_numpy().astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if scoring == "npmi":
            total = float(c.tokens)
            p_ab = n_ab / total
            s = np.where(n_ab >= min_count, np.log(p_ab / ((n_a / total) * (n_b / total))) / -np.log(p_ab), -np.inf)
        else:
            s = (n_ab - min_count) / (n_a * n_b) * (c.words.num_rows + c.pairs.num_rows)
    return a, b, np.where((n_a > 0) & (n_b > 0), s, -np.inf)


def find_phrases(c: PairCounts, scoring: str, min_count: int, threshold: float) -> pa.Table:
    """The pairs scoring above the threshold (a, b, count, score), best first (ties by their words). Only
    pairs that can pass are looked up: npmi scores -inf below min_count, and the default score is not
    positive at or below it (realtext: 2.5M pairs, 0.17M scored)."""
    pairs = c.pairs
    if scoring == "npmi" or threshold >= 0:
        floor = min_count if scoring == "npmi" else min_count + 1
        pairs = pairs.filter(pc.greater_equal(pairs["count"], floor))
    a, b, s = scores(c, scoring, min_count, pairs)
    keep = pa.array(s > threshold)
    t = pa.table({"a": a.filter(keep), "b": b.filter(keep), "count": pairs["count"].filter(keep),
                  "score": pa.array(s[s > threshold], pa.float64())})
    return t.sort_by([("score", "descending"), ("a", "ascending"), ("b", "ascending")])


def npmi_ok(threshold: float, scoring: str) -> None:
    if scoring == "npmi" and not -1.0 <= threshold <= 1.0:
        raise UserError(f"--threshold {threshold}: npmi scores lie in [-1, 1]; pick a threshold there")


def learn_phrases(inputs: list[str] | str, out: str, **config) -> Phrases:
    """`stream-train phrases`: --passes counting passes over `inputs`, each on the tokens joined by the levels
    found before it; writes OUT/phrases.tsv, config.json and metrics.json; returns the model."""
    t0 = time.perf_counter()
    cfg = make_config(PhrasesConfig, config)
    npmi_ok(cfg.threshold, cfg.scoring)
    if cfg.phrases or cfg.ray:
        raise UserError(f"--{'phrases' if cfg.phrases else 'ray'}: the phrases pass runs on the text as it is, on one "
                        "machine; for phrases of phrases use --passes")
    prepare(out)
    shards = discover([inputs] if isinstance(inputs, str) else list(inputs))
    model = Phrases([], cfg.delimiter)
    per_pass = []
    for k in range(cfg.passes):
        t = time.perf_counter()
        counts = count_all(shards, cfg, model if len(model) else None, f"phrases, pass {k + 1}/{cfg.passes}")
        found = find_phrases(counts, cfg.scoring, cfg.min_count, cfg.threshold)
        model = Phrases([*model.levels, found], cfg.delimiter)
        per_pass.append({"seconds": round(time.perf_counter() - t, 3), "tokens": counts.tokens,
                         "words": counts.words.num_rows, "pairs": counts.pairs.num_rows, "phrases": found.num_rows,
                         "min_reduce": counts.min_reduce})
    model.save(out)
    write_run_files(out, to_json(cfg), {"seconds": round(time.perf_counter() - t0, 3), "passes": per_pass,
                                        "phrases": len(model)})
    return model
