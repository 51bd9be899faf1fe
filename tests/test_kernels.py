"""kernels/sgns.py: the shared update against a NumPy reference; the fused kernel trains on iter_pairs' pairs."""
import numpy as np
import pytest
import reference

from streamnlp.config import Word2VecConfig
from streamnlp.corpus import discover
from streamnlp.encode import encode_corpus
from streamnlp.kernels.sgns import ns_update
from streamnlp.pairs import block_pairs
from streamnlp.vocab import build_vocab
from streamnlp.word2vec import Trainer, init_weights


@pytest.mark.parametrize("m", [1, 4])
def test_ns_update_matches_numpy_reference(m):
    rng = np.random.default_rng(0)
    V, D = 20, 16
    syn1 = (rng.standard_normal((V, D)) * 0.3).astype(np.float32)
    inp = (rng.standard_normal((m, D)) * 0.3).astype(np.float32)
    targets = np.array([3, 7, 11, 0, 19], dtype=np.int64)
    alpha = np.float32(0.025)
    want_syn1, want_grad, want_loss = reference.ns_step(inp, targets, syn1, 0.025)
    grad = np.zeros((m, D), np.float32)
    g = np.zeros((m, len(targets)), np.float32)
    got_syn1 = syn1.copy()
    loss = ns_update(inp, m, targets, len(targets), got_syn1, alpha, grad, g)
    assert np.allclose(got_syn1, want_syn1, atol=1e-6)
    assert np.allclose(grad, want_grad, atol=1e-6)
    assert loss == pytest.approx(want_loss, rel=1e-5)


@pytest.mark.parametrize("model, shared", [("sg", True), ("sg", False), ("cbow", True)])
def test_fused_kernel_trains_on_exactly_the_iter_pairs_stream(tmp_path, small_corpus, model, shared):
    cfg = Word2VecConfig(min_count=1, model=model, shared_negatives=shared, window=4, sample=1e-2, seed=9)
    shards = discover([small_corpus])
    vocab = build_vocab(shards, cfg)
    corpus = encode_corpus(shards, vocab, cfg, str(tmp_path / "cache"))
    prob, alias = vocab.noise_table()
    keep = vocab.keep_probs(cfg.sample)
    syn0, syn1 = init_weights(len(vocab), 8, 1)
    tr = Trainer(cfg, keep, prob, alias, syn0, syn1, corpus.n_tokens)
    ids, offsets = corpus.read_block(0)
    trace = np.zeros((1, len(ids) * 2 * cfg.window, 2), np.int32)
    trace_n = np.zeros(1, np.int64)
    _, n_pairs = tr.block(3, 0, 0, ids, offsets, trace, trace_n)
    center, context, _ = block_pairs(ids, offsets, window=4, seed=9, epoch=3, block=0, keep=keep)
    assert n_pairs == trace_n[0] == len(center) > 100
    assert np.array_equal(trace[0, :n_pairs, 0], center)
    assert np.array_equal(trace[0, :n_pairs, 1], context)
    assert not np.array_equal(tr.syn0, init_weights(len(vocab), 8, 1)[0])
