"""vocab.py: counts against a plain Counter, order, pruning, subsampling formula, noise table, vocab.tsv."""
import collections

import numpy as np
import pyarrow as pa
import pytest
from conftest import random_rows, write_parquet

import streamnlp.data.vocab as vocab_module
from streamnlp.data.shards import discover
from streamnlp.data.vocab import SCHEMA, Counts, Vocab, build_vocab, merge
from streamnlp.kernels.common import draw_noise, next_u64
from streamnlp.run.config import VocabConfig
from streamnlp.run.errors import UserError


def counter_of(rows):
    return collections.Counter(w for r in rows for w in r.split())


def test_counts_and_order_match_a_plain_counter(tmp_path):
    rows = random_rows(400, seed=3)
    write_parquet(str(tmp_path / "a.parquet"), rows[:250])
    write_parquet(str(tmp_path / "b.parquet"), rows[250:])
    vocab = build_vocab(discover([str(tmp_path)]), VocabConfig(min_count=3, batch_rows=17, threads=2))
    c = counter_of(rows)
    expected = sorted(((w, n) for w, n in c.items() if n >= 3), key=lambda x: (-x[1], x[0].encode()))
    assert list(zip(vocab.words, vocab.counts.tolist())) == expected
    assert vocab.total_tokens == sum(c.values())


def test_max_final_vocab_keeps_the_most_frequent(small_corpus):
    full = build_vocab(discover([small_corpus]), VocabConfig(min_count=1))
    top = build_vocab(discover([small_corpus]), VocabConfig(min_count=1, max_final_vocab=10))
    assert top.words == full.words[:10]


def test_pruning_bounds_the_table_and_keeps_frequent_words(tmp_path):
    rows = ["common " + f"rare{i}" for i in range(3000)]
    write_parquet(str(tmp_path / "a.parquet"), rows)
    vocab = build_vocab(discover([str(tmp_path)]), VocabConfig(min_count=1, max_vocab_size=100, batch_rows=64))
    assert len(vocab) <= 100
    assert vocab.words[0] == "common" and vocab.counts[0] == 3000
    assert vocab.total_tokens == 6000


def test_merge_adds_the_parts_as_they_come_in_bounded_memory(monkeypatch):
    """Thousands of shards or pieces: the parts are summed as the map yields them, compacted every
    COMPACT_ROWS rows held, never all held at once."""
    monkeypatch.setattr(vocab_module, "COMPACT_ROWS", 500)
    held, compact = [], vocab_module._compact
    monkeypatch.setattr(vocab_module, "_compact", lambda ts: held.append(sum(t.num_rows for t in ts)) or compact(ts))
    words = [[f"w{k + i}" for i in range(100)] for k in range(40)]
    parts = (Counts(pa.table([pa.array(w), pa.array([k + 1] * 100, pa.int64())], schema=SCHEMA), 7 * (k + 1),
                    rows=k) for k, w in enumerate(words))
    out = merge(parts, 400)  # the union (139 words) is never pruned
    expected = collections.Counter({w: 0 for ws in words for w in ws})
    for k, ws in enumerate(words):
        expected.update({w: k + 1 for w in ws})
    assert dict(zip(out.table["word"].to_pylist(), out.table["count"].to_pylist())) == expected
    assert out.tokens == 7 * 820 and out.rows == 780
    assert len(held) > 6 and max(held) <= 140 + 600


def test_empty_vocabulary_is_a_user_error(small_corpus):
    with pytest.raises(UserError, match="--min-count"):
        build_vocab(discover([small_corpus]), VocabConfig(min_count=10**9))


def test_keep_probs_follow_word2vec():
    v = Vocab(["a", "b", "c"], np.array([1000, 100, 1]), 1101)
    keep = v.keep_probs(1e-2)
    t = 1e-2 * 1101
    expected = [min(1.0, (np.sqrt(c / t) + 1) * t / c) for c in (1000, 100, 1)]
    assert np.allclose(keep, expected, rtol=1e-6)
    assert np.all(v.keep_probs(0) == 1)


def test_alias_table_draws_unigram_to_the_three_quarters():
    counts = np.array([500, 200, 100, 50, 10, 5, 1])
    v = Vocab([str(i) for i in range(7)], counts, counts.sum())
    prob, alias = v.noise_table()
    x = np.uint64(12345)
    draws = np.zeros(7)
    for _ in range(200_000):
        x = next_u64(x)
        draws[draw_noise(x, prob, alias)] += 1
    p = counts ** 0.75 / (counts ** 0.75).sum()
    assert np.allclose(draws / draws.sum(), p, atol=0.004)


@pytest.mark.parametrize("power", [0.75, 0.5, 0.0, -0.5])
def test_alias_table_holds_exactly_count_to_the_power(power):
    """Each slot i is drawn 1/n of the time and yields i with prob[i], else alias[i]: summed per word, that
    is count**power normalized (gensim's ns_exponent; fastText's 0.5, uniform at 0, rare words first below)."""
    counts = np.array([900, 500, 200, 100, 50, 10, 5, 2, 1])
    prob, alias = Vocab([str(i) for i in range(9)], counts, counts.sum()).noise_table(power)
    drawn = prob.astype(np.float64).copy()
    np.add.at(drawn, alias, 1.0 - prob)
    p = counts ** power / (counts ** power).sum()
    assert np.allclose(drawn / len(counts), p, atol=1e-6)


def test_vocab_tsv_round_trip(tmp_path):
    v = Vocab(["the", "ünïcode", "x"], np.array([5, 3, 1]), 20)
    v.save(str(tmp_path / "vocab.tsv"))
    back = Vocab.load(str(tmp_path / "vocab.tsv"))
    assert back.words == v.words and back.counts.tolist() == [5, 3, 1]
