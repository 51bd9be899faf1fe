"""Hierarchical softmax: the Huffman tree is an optimal prefix code, skip-gram's windows train on the centers'
paths as a NumPy replay does, the step follows the path's log-likelihood gradient, and both models learn."""
import heapq
import json
import os

import numpy as np
import pytest
import reference
from conftest import ROOT

from streamnlp.cli import main
from streamnlp.data.encode import encode_corpus
from streamnlp.data.shards import discover
from streamnlp.data.vocab import build_vocab
from streamnlp.kernels.huffman import huffman_tree, path_targets
from streamnlp.kernels.sgns import HS_SKIP, ns_update
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


def test_path_targets_put_the_code_0_nodes_first():
    counts = np.array([50, 30, 20, 10, 5, 2], np.int64)
    points, codes, lengths = huffman_tree(counts)
    targets, npos = path_targets(points, codes, lengths)
    for w in range(len(counts)):
        n = lengths[w]
        zeros = list(points[w, :n][codes[w, :n] == 0])
        ones = list(points[w, :n][codes[w, :n] == 1])
        assert list(targets[w, :n]) == zeros + ones and npos[w] == len(zeros)


def test_skip_gram_trains_the_traced_windows_on_the_centers_paths(tmp_path, small_corpus):
    """Replayed window by window with the NumPy reference step (the path's code-0 nodes labelled 1), the
    fused kernel's updates come out the same."""
    cfg = Word2VecConfig(min_count=1, hs=True, negative=0, window=3, sample=0.0, seed=4, dim=8)
    shards = discover([small_corpus])
    vocab = build_vocab(shards, cfg)
    corpus = encode_corpus(shards, vocab, cfg, str(tmp_path / "cache"))
    tree = tree_of(vocab)
    syn0, syn1 = init_weights(len(vocab), 8, 1)
    syn1[:len(vocab), :8] = np.random.default_rng(0).standard_normal((len(vocab), 8)).astype(np.float32) * 0.1
    want0, want1 = syn0[:, :8].astype(np.float64), syn1[:, :8].astype(np.float64)
    tr = Trainer(cfg, vocab.keep_probs(0.0), *vocab.noise_table(), syn0, syn1, corpus.n_tokens, 1, tree)
    ids, offsets = corpus.read_block(0)
    ids, offsets = ids[:offsets[3]], offsets[:4]  # three sentences
    trace = np.zeros((1, len(ids) * 2 * cfg.window, 2), np.int32)
    trace_n = np.zeros(1, np.int64)
    tr.block(0, 0, 0, ids, offsets, trace, trace_n, schedule=(0.0, 1e12))  # the learning rate stays alpha
    targets, npos, lengths = tree
    pairs = trace[0, :trace_n[0]]
    assert len(pairs) > 20
    at = 0
    while at < len(pairs):  # a window: the traced pairs of one center position, in a row
        center = pairs[at, 0]
        end = at + 1
        while end < len(pairs) and pairs[end, 0] == center and pairs[end, 1] not in pairs[at:end, 1]:
            end += 1
        rows = pairs[at:end, 1]
        path = targets[center, :lengths[center]]
        want1, grad, _ = reference.ns_step(want0[rows], path, want1, cfg.effective_alpha(), npos[center])
        want0[rows] += grad
        at = end
    assert np.allclose(tr.syn0[:, :8], want0, atol=1e-5) and np.allclose(tr.syn1[:, :8], want1, atol=1e-5)


@pytest.mark.parametrize("code", [0, 1])
def test_the_step_follows_the_gradient_of_the_paths_log_likelihood(code):
    """With a tiny rate the step on a path (code-0 nodes labelled 1) is -alpha times the gradient of
    -log p(path) = -sum log sigmoid((1 - 2 code) x . node), exact sigmoid (the kernel's table is exact to
    about 1e-3)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 6)).astype(np.float32) * 0.3
    syn1 = rng.standard_normal((3, 6)).astype(np.float32) * 0.3
    nodes, codes = np.array([2, 0]), np.array([code, 1 - code])
    order = np.argsort(codes, kind="stable")  # code 0 first

    def loss(x, syn1):
        return -sum(np.log(1 / (1 + np.exp(-(1 - 2 * c) * (x[0] @ syn1[n])))) for n, c in zip(nodes, codes))

    alpha = np.float32(1e-3)
    grad, g = np.zeros((1, 6), np.float32), np.zeros((1, 2), np.float32)
    after = syn1.copy()
    ns_update(x, np.zeros(1, np.int64), 0, 1, nodes[order][None].astype(np.int64), 0, 2, after, alpha, grad, g,
              np.int64(1), HS_SKIP, 6)
    eps = 1e-3
    num_x = np.array([(loss(x + eps * e, syn1) - loss(x - eps * e, syn1)) / (2 * eps) for e in np.eye(6)[:, None, :]])
    assert np.allclose(grad[0] / alpha, -num_x.reshape(-1), atol=5e-3)
    num_n = np.zeros_like(syn1)
    for node in nodes:
        for d in range(6):
            up, down = syn1.copy(), syn1.copy()
            up[node, d] += eps
            down[node, d] -= eps
            num_n[node, d] = (loss(x, up) - loss(x, down)) / (2 * eps)
    assert np.allclose((after - syn1) / alpha, -num_n, atol=5e-3)


def test_nodes_scored_past_six_take_no_step():
    """word2vec.c and gensim skip a path's node whose score is past +-MAX_EXP (6); negative sampling does not."""
    x = np.full((1, 4), 1.0, np.float32)
    syn1 = np.array([[2.0, 2.0, 2.0, 2.0], [0.1, 0.0, 0.0, 0.0]], np.float32)  # scores 8 and 0.1
    for skip, moved in ((HS_SKIP, [False, True]), (np.float32(np.inf), [True, True])):
        after = syn1.copy()
        ns_update(x, np.zeros(1, np.int64), 0, 1, np.array([[1, 0]], np.int64), 0, 2, after, np.float32(0.1),
                  np.zeros((1, 4), np.float32), np.zeros((1, 2), np.float32), np.int64(1), skip, 4)
        assert [not np.array_equal(after[n], syn1[n]) for n in (0, 1)] == moved


@pytest.mark.parametrize("model", ["sg", "cbow"])
def test_both_models_learn_the_planted_relations(tmp_path, model, capsys):
    out = str(tmp_path / model)
    assert main(["word2vec", os.path.join(ROOT, "sample_corpus"), "--out", out, "--model", model, "--hs",
                 "--negative", "0", "--threads", "2", "--epochs", "3"]) == 0
    capsys.readouterr()
    assert main(["eval", "analogy", out, os.path.join(ROOT, "sample_corpus", "_eval", "questions-words.txt"),
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] >= 0.9


def test_objectives_that_train_nothing_or_are_not_built_are_one_line(tmp_path, capsys):
    corpus = os.path.join(ROOT, "sample_corpus")
    for flags, named in ((["--negative", "0"], "--negative 0"), (["--hs"], "--hs with --negative 5")):
        capsys.readouterr()
        assert main(["word2vec", corpus, "--out", str(tmp_path / "o"), *flags]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and named in err, err
