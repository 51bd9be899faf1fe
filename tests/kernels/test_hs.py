"""Hierarchical softmax: the Huffman tree is an optimal prefix code, the skip-gram step equals a NumPy replay of
word2vec.c's update over the pairs it trained, the step follows the loss's gradient, and both models learn."""
import heapq
import json
import os

import numpy as np
import pytest
from conftest import ROOT

from streamnlp.cli import main
from streamnlp.data.encode import encode_corpus
from streamnlp.data.shards import discover
from streamnlp.data.vocab import build_vocab
from streamnlp.kernels.huffman import huffman_tree
from streamnlp.kernels.sgns import hs_update, table_sigmoid
from streamnlp.run.config import Word2VecConfig
from streamnlp.train.word2vec import Trainer, init_weights, tree_of


def test_the_tree_is_an_optimal_prefix_code():
    counts = np.sort(np.random.default_rng(3).integers(1, 1000, 200))[::-1].astype(np.int64)
    points, codes, lengths = huffman_tree(counts)
    V = len(counts)
    words = ["".join(map(str, codes[w, :lengths[w]])) for w in range(V)]
    assert len(set(words)) == V and min(lengths) >= 1
    assert not any(a != b and b.startswith(a) for a in words for b in words)  # prefix-free
    assert (points[:, 0] == V - 2).all() and all(0 <= points[w, :lengths[w]].max() <= V - 2 for w in range(V))
    heap = [int(c) for c in counts]  # Huffman's weighted length: the sum of all merges
    heapq.heapify(heap)
    optimal = 0
    while len(heap) > 1:
        a, b = heapq.heappop(heap), heapq.heappop(heap)
        optimal += a + b
        heapq.heappush(heap, a + b)
    assert int((counts * lengths).sum()) == optimal


def reference_step(x, syn1, path, code, alpha):
    """word2vec.c's hierarchical-softmax step for one input vector x: returns its change, updates syn1."""
    neu1e = np.zeros_like(x)
    for node, c in zip(path, code):
        f = np.float32(x @ syn1[node])
        g = np.float32((1 - c - table_sigmoid(f)) * alpha)
        neu1e += g * syn1[node]
        syn1[node] += g * x
    return neu1e


def test_skip_gram_steps_replay_word2vec_c(tmp_path, small_corpus):
    cfg = Word2VecConfig(min_count=1, hs=True, negative=0, window=3, sample=0.0, seed=4, dim=8)
    shards = discover([small_corpus])
    vocab = build_vocab(shards, cfg)
    corpus = encode_corpus(shards, vocab, cfg, str(tmp_path / "cache"))
    tree = tree_of(vocab)
    syn0, syn1 = init_weights(len(vocab), 8, 1)
    rng = np.random.default_rng(0)
    syn1[:len(vocab), :8] = rng.standard_normal((len(vocab), 8)).astype(np.float32) * 0.1  # nodes not at 0
    start0, start1 = syn0[:, :8].copy(), syn1[:, :8].copy()
    tr = Trainer(cfg, vocab.keep_probs(0.0), *vocab.noise_table(), syn0, syn1, corpus.n_tokens, 1, tree)
    ids, offsets = corpus.read_block(0)
    ids, offsets = ids[:offsets[3]], offsets[:4]  # three sentences
    trace = np.zeros((1, len(ids) * 2 * cfg.window, 2), np.int32)
    trace_n = np.zeros(1, np.int64)
    tr.block(0, 0, 0, ids, offsets, trace, trace_n, schedule=(0.0, 1e12))  # the learning rate stays alpha
    points, codes, lengths = tree
    alpha = np.float32(cfg.effective_alpha())
    for center, context in trace[0, :trace_n[0]]:
        n = lengths[center]
        start0[context] += reference_step(start0[context].copy(), start1, points[center, :n], codes[center, :n],
                                          alpha)
    assert trace_n[0] > 20
    assert np.allclose(tr.syn0[:, :8], start0, atol=1e-6) and np.allclose(tr.syn1[:, :8], start1, atol=1e-6)


@pytest.mark.parametrize("code", [0, 1])
def test_the_step_follows_the_losss_gradient(code):
    """With a tiny rate the step is -alpha times the gradient of -log p(path) (exact sigmoid; the kernel's
    table is exact to about 1e-3)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 6)).astype(np.float32) * 0.3
    syn1 = rng.standard_normal((3, 6)).astype(np.float32) * 0.3
    path, codes = np.array([2, 0], np.int32), np.array([code, 1 - code], np.uint8)

    def loss(x, syn1):
        s = [1 / (1 + np.exp(-(x[0] @ syn1[n]))) for n in path]
        return -sum(np.log(p if c == 0 else 1 - p) for p, c in zip(s, codes))

    alpha = np.float32(1e-3)
    grad = np.zeros((1, 6), np.float32)
    after = syn1.copy()
    hs_update(x, 0, path, codes, 2, after, alpha, grad)
    eps = 1e-3
    num_x = np.array([(loss(x + eps * e, syn1) - loss(x - eps * e, syn1)) / (2 * eps) for e in np.eye(6)[:, None, :]])
    assert np.allclose(grad[0] / alpha, -num_x.reshape(-1), atol=5e-3)
    num_n = np.zeros_like(syn1)
    for node in path:
        for d in range(6):
            up, down = syn1.copy(), syn1.copy()
            up[node, d] += eps
            down[node, d] -= eps
            num_n[node, d] = (loss(x, up) - loss(x, down)) / (2 * eps)
    # the second node's step sees the first's input unchanged: syn1 moves by -alpha * its gradient
    assert np.allclose((after - syn1) / alpha, -num_n, atol=5e-3)


@pytest.mark.parametrize("model", ["sg", "cbow"])
def test_both_models_learn_the_planted_relations(tmp_path, model, capsys):
    out = str(tmp_path / model)
    assert main(["word2vec", os.path.join(ROOT, "sample_corpus"), "--out", out, "--model", model, "--hs",
                 "--negative", "0", "--threads", "2", "--epochs", "3"]) == 0
    capsys.readouterr()
    assert main(["eval", "analogy", out, os.path.join(ROOT, "sample_corpus", "_eval", "questions-words.txt"),
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] >= 0.9
