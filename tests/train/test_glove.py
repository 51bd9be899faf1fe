"""GloVe: exact co-occurrence counts (pure-Python reference, any memory budget), the AdaGrad kernel
against NumPy, seeded runs, planted analogies on sample_corpus."""
import collections

import numpy as np
import pytest
from conftest import QUESTIONS, SAMPLE

from streamnlp.data.encode import encode_corpus
from streamnlp.data.shards import discover
from streamnlp.data.vocab import build_vocab
from streamnlp.kernels.glove import train_records
from streamnlp.run.config import VocabConfig
from streamnlp.run.threads import thread_limits
from streamnlp.train.cooccur import count_cooccurrences
from streamnlp.train.glove import init_params, train_glove, weighting
from streamnlp.vectors.evaluate import evaluate_word_analogies


def encoded(tmp_path, inputs, min_count=1):
    cfg = VocabConfig(min_count=min_count, block_tokens=4096)
    shards = discover([inputs])
    vocab = build_vocab(shards, cfg)
    return vocab, encode_corpus(shards, vocab, cfg, str(tmp_path / "cache"))


def all_records(co):
    rows, cols, xs = zip(*(co.read_bucket(b) for b in range(len(co.buckets))))
    rows, cols, xs = np.concatenate(rows), np.concatenate(cols), np.concatenate(xs)
    order = np.lexsort((cols, rows))
    return rows[order], cols[order], xs[order]


def reference_counts(corpus, window):
    X = collections.defaultdict(float)
    for _, ids, offsets in corpus.iter_blocks():
        for a, b in zip(offsets[:-1], offsets[1:]):
            sent = ids[a:b].tolist()
            for i in range(len(sent)):
                for j in range(max(0, i - window), min(len(sent), i + window + 1)):
                    if j != i:
                        X[sent[i], sent[j]] += 1.0 / abs(i - j)
    return X


def test_counts_equal_a_pure_python_reference(tmp_path, small_corpus):
    vocab, corpus = encoded(tmp_path, small_corpus)
    co = count_cooccurrences(corpus, len(vocab), 4, 64, str(tmp_path / "co"), seed=1)
    rows, cols, xs = all_records(co)
    ref = reference_counts(corpus, 4)
    assert co.n_records == len(ref) == len(rows)
    want = np.array([ref[r, c] for r, c in zip(rows.tolist(), cols.tolist())])
    assert np.allclose(xs, want, rtol=1e-6, atol=0)


def test_any_budget_and_thread_count_write_the_same_shuffled_records(tmp_path, monkeypatch):
    """The record files (counts, buckets, order) do not depend on --memory or --threads; the small budget
    really spills runs to disk."""
    from streamnlp.train import cooccur
    vocab, corpus = encoded(tmp_path, SAMPLE)
    monkeypatch.setattr(cooccur, "BUCKET_PAIRS", 1 << 16)  # several buckets from the small corpus
    spills = []
    monkeypatch.setattr(cooccur.RunFile, "remove", lambda self: spills.append(self.path))
    with thread_limits(2):
        big = count_cooccurrences(corpus, len(vocab), 10, 512, str(tmp_path / "big"), seed=1)
    big_spills = len(spills)
    with thread_limits(1):
        small = count_cooccurrences(corpus, len(vocab), 10, 0.05, str(tmp_path / "small"), seed=1)
    assert big_spills == 1 and len(spills) - big_spills > 2  # the dense table's run, then the spills too
    assert len(big.buckets) == len(small.buckets) > 3 and big.n_records == small.n_records
    for a, b in zip(big.buckets, small.buckets):
        assert open(a, "rb").read() == open(b, "rb").read()
    for a, b in zip(all_records(big), all_records(small)):
        assert np.array_equal(a, b)
    other_seed = count_cooccurrences(corpus, len(vocab), 10, 512, str(tmp_path / "seed2"), seed=2)
    assert open(other_seed.buckets[0], "rb").read() != open(big.buckets[0], "rb").read()


def test_train_records_matches_numpy_reference():
    rng = np.random.default_rng(3)
    V, D, n = 30, 8, 400
    rows, cols = rng.integers(0, V, n).astype(np.int32), rng.integers(0, V, n).astype(np.int32)
    logx, fx = weighting(rng.random(n).astype(np.float32) * 20 + 0.1, 10.0, 0.75)
    p = init_params(V, D, 1)
    ref = {k: v.astype(np.float64) for k, v in p.items()}
    costs, _ = train_records(rows, cols, logx, fx, *(p[k] for k in ("W", "C", "bw", "bc", "gW", "gC", "gbw", "gbc")),
                             np.float32(0.05), np.float32(100.0), 1)
    cost = 0.0
    for r in range(n):
        i, j = rows[r], cols[r]
        diff = ref["W"][i] @ ref["C"][j] + ref["bw"][i] + ref["bc"][j] - logx[r]
        cost += 0.5 * fx[r] * diff * diff
        fd = fx[r] * diff  # GloVe C: vectors step by eta * clipped gradient, biases by the bare gradient
        g1, g2 = np.clip(fd * ref["C"][j], -100, 100) * 0.05, np.clip(fd * ref["W"][i], -100, 100) * 0.05
        ref["W"][i] -= g1 / np.sqrt(ref["gW"][i])
        ref["C"][j] -= g2 / np.sqrt(ref["gC"][j])
        ref["gW"][i] += g1 * g1
        ref["gC"][j] += g2 * g2
        ref["bw"][i] -= fd / np.sqrt(ref["gbw"][i])
        ref["bc"][j] -= fd / np.sqrt(ref["gbc"][j])
        ref["gbw"][i] += fd * fd
        ref["gbc"][j] += fd * fd
    for k in p:
        assert np.allclose(p[k], ref[k], atol=1e-6), k
    assert costs.sum() == pytest.approx(cost, rel=1e-5)


# Calibrated on sample_corpus with the defaults, 2 threads, seeds 1..6: 0.210 0.254 0.263 0.303 0.297 0.358
# (other runs of seeds 1, 2: 0.225 0.233 0.275; with sample_corpus's 4 files one unit of work,
# seeds 1..6: 0.263 0.235 0.265 0.311 0.318 0.331). GloVe learns the planted relations less sharply than
# word2vec here, and less since the biases step as GloVe C's do (without eta; with eta these seeds gave
# 0.61-0.68, while realtext's WordSim was 0.011 lower). A kernel that learns nothing scores ~0.
MIN_ACCURACY = 0.15


@pytest.mark.parametrize("seed", [1, 2])
def test_planted_analogies_are_recovered(tmp_path, seed):
    kv = train_glove(SAMPLE, str(tmp_path / "run"), seed=seed, threads=2, write_text=False)
    assert evaluate_word_analogies(kv, QUESTIONS)[0] >= MIN_ACCURACY


def test_seeded_single_thread_runs_are_bit_identical_under_any_memory_limit(tmp_path):
    kw = dict(threads=1, seed=5, epochs=3, dim=16, write_text=False)
    for name, seed, memory in [("a", 5, 2048), ("b", 5, 2048), ("c", 6, 2048), ("d", 5, 16)]:
        train_glove(SAMPLE, str(tmp_path / name), **{**kw, "seed": seed, "memory": memory})
    a, b, c, d = (open(tmp_path / x / "vectors.bin", "rb").read() for x in "abcd")
    assert a == b == d
    assert a != c
