"""kernels/sgns.py: the shared update against a NumPy reference; the fused kernel trains on iter_pairs' pairs."""
import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
import reference

import streamnlp.train.word2vec as w2v
from streamnlp.data.encode import encode_corpus
from streamnlp.data.pairs import block_pairs
from streamnlp.data.shards import discover
from streamnlp.data.vocab import build_vocab
from streamnlp.kernels import sgns
from streamnlp.kernels.sgns import ns_update, ns_window_update, pull_hot, push_hot
from streamnlp.run.config import Word2VecConfig
from streamnlp.run.threads import thread_limits
from streamnlp.train.word2vec import Trainer, init_weights


@pytest.mark.parametrize("step", [ns_update, ns_window_update])
@pytest.mark.parametrize("m, targets, npos", [(1, [3, 7, 11, 0, 19], 1), (3, [3, 7, 11, 0, 19], 1),
                                              (4, [3, 7, 11, 0, 19], 1), (1, [3, 7, 11, 7, 19, 7], 1),
                                              (3, [18, 12, 5, 9, 2, 16, 1], 3), (1, [18, 12, 5, 9], 4)])
def test_ns_update_matches_numpy_reference(step, m, targets, npos):
    """npos > 1: hierarchical softmax's step, the path's code-0 nodes first (labelled 1), then its code-1 nodes."""
    rng = np.random.default_rng(0)
    V, D = 20, 16
    syn1 = (rng.standard_normal((V, D)) * 0.3).astype(np.float32)
    inp = (rng.standard_normal((m, D)) * 0.3).astype(np.float32)
    targets = np.array(targets, dtype=np.int64)
    want_syn1, want_grad, want_loss = reference.ns_step(inp, targets, syn1, 0.025, npos)
    got_syn1, grad, loss, got_inp = run_step(step, inp, targets, syn1, npos)
    assert np.allclose(got_syn1, want_syn1, atol=1e-6)
    assert np.allclose(grad, want_grad, atol=1e-6)
    assert loss == pytest.approx(want_loss, rel=1e-5)
    # the window step adds each input's gradient to its row; ns_update leaves its inputs to the caller
    assert np.array_equal(got_inp, inp + grad) if step is ns_window_update else np.array_equal(got_inp, inp)


def run_step(step, inp, targets, syn1, npos=1):
    """(syn1, input gradients, loss, inputs) after one step on copies of inp and syn1."""
    m, D = inp.shape
    grad = np.zeros((m, D), np.float32)
    g = np.zeros((m, len(targets)), np.float32)
    syn1, inp = syn1.copy(), inp.copy()
    loss = step(inp, np.arange(m), 0, m, targets[None], 0, len(targets), syn1, np.float32(0.025), grad, g, npos,
                np.float32(np.inf), D)
    return syn1, grad, loss, inp


def test_window_step_takes_a_repeated_noise_word_target_by_target():
    """With a noise word drawn twice, ns_window_update gives every input's update of its first draw
    before any of its second (the reference's order); ns_update goes input by input."""
    rng = np.random.default_rng(1)
    syn1 = (rng.standard_normal((20, 16)) * 0.5).astype(np.float32)
    inp = (rng.standard_normal((6, 16)) * 0.5).astype(np.float32)
    targets = np.array([3, 7, 11, 7, 19, 7], dtype=np.int64)
    want_syn1, want_grad, _ = reference.ns_step(inp, targets, syn1, 0.025)
    got_syn1, grad, _, _ = run_step(ns_window_update, inp, targets, syn1)
    assert np.allclose(got_syn1, want_syn1, atol=1e-5) and np.allclose(grad, want_grad, atol=1e-5)
    other_syn1, other_grad, _, _ = run_step(ns_update, inp, targets, syn1)
    assert not np.allclose(other_grad, want_grad, atol=1e-5)


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
    center, context, _ = block_pairs(ids, offsets, window=4, seed=9, epoch=3, block=0, keep=keep,
                                     distinct=model == "sg" and shared)
    assert n_pairs == trace_n[0] == len(center) > 100
    if model == "sg" and shared:  # the corpus repeats words inside windows, so distinct pairs are fewer
        assert len(center) < len(block_pairs(ids, offsets, window=4, seed=9, epoch=3, block=0, keep=keep)[0])
    assert np.array_equal(trace[0, :n_pairs, 0], center)
    assert np.array_equal(trace[0, :n_pairs, 1], context)
    assert not np.array_equal(tr.syn0, init_weights(len(vocab), 8, 1)[0])


@pytest.mark.parametrize("model", ["sg", "cbow"])
def test_the_sample_loss_trains_nothing_and_is_the_same_each_time(tmp_path, small_corpus, model):
    """Trainer.sample_loss scores with the learning rate at 0: every row, the hot rows' copies at 2 threads
    included, stays as it was, and the score depends only on the weights."""
    cfg = Word2VecConfig(min_count=1, model=model, window=4, seed=3, hot_rows=16)
    shards = discover([small_corpus])
    vocab = build_vocab(shards, cfg)
    corpus = encode_corpus(shards, vocab, cfg, str(tmp_path / "cache"))
    tables = vocab.keep_probs(cfg.sample), *vocab.noise_table()
    tr = Trainer(cfg, *tables, *init_weights(len(vocab), 8, 1, Trainer.spare_rows(cfg, len(vocab), 2)),
                 corpus.n_tokens, 2)
    ids, offsets = corpus.read_block(0)
    with thread_limits(2):
        tr.block(0, 0, 0, ids, offsets)  # trained a little, so the output rows are not zero
        before = tr._w0.copy(), tr._w1.copy()
        first = tr.sample_loss(ids, offsets)
        assert np.array_equal(tr._w0, before[0]) and np.array_equal(tr._w1, before[1])
        assert tr.sample_loss(ids, offsets) == first
        tr.block(1, 0, 0, ids, offsets)
        assert tr.sample_loss(ids, offsets) != first


@pytest.mark.parametrize("model", ["sg", "cbow"])
def test_line_aligned_rows_train_as_plain_rows_and_their_padding_stays_zero(tmp_path, small_corpus, model):
    cfg = Word2VecConfig(min_count=1, model=model, window=4, seed=3, hot_rows=0)
    shards = discover([small_corpus])
    vocab = build_vocab(shards, cfg)
    corpus = encode_corpus(shards, vocab, cfg, str(tmp_path / "cache"))
    tables = vocab.keep_probs(cfg.sample), *vocab.noise_table()
    wide = init_weights(len(vocab), 12, 1)
    assert all(w.shape[1] == 16 and w.ctypes.data % 64 == 0 for w in wide)
    plain = [np.ascontiguousarray(w[:, :12]) for w in wide]
    start = [p.copy() for p in plain]
    ids, offsets = corpus.read_block(0)
    trained = []
    with thread_limits(1):
        for syn in (wide, plain):
            tr = Trainer(cfg, *tables, *syn, corpus.n_tokens)
            tr.block(0, 0, 0, ids, offsets)
            trained.append((tr.syn0, tr.syn1))
    for w, p, p0 in zip(*trained, start):
        assert not w[:, 12:].any()
        assert np.allclose(w[:, :12], p, atol=1e-5) and not np.allclose(p, p0, atol=1e-3)


@pytest.mark.parametrize("hs", [False, True])
def test_a_worker_compiled_for_the_dimension_trains_as_the_one_for_any_width(tmp_path, small_corpus, hs,
                                                                              monkeypatch):
    """CBOW's worker for 100 dimensions (FIXED_DIMS) loops over the model's 100 columns alone, laid out for that
    number; the worker for any width loops over all 112 of line_aligned's. Both train alike (to the rounding of
    sums taken in another order), and the padding stays zero."""
    cfg = Word2VecConfig(min_count=1, model="cbow", window=4, seed=3, hot_rows=0, hs=hs, negative=0 if hs else 5)
    assert cfg.dim == 100 and 100 in sgns.FIXED_DIMS
    shards = discover([small_corpus])
    vocab = build_vocab(shards, cfg)
    corpus = encode_corpus(shards, vocab, cfg, str(tmp_path / "cache"))
    tables = vocab.keep_probs(cfg.sample), *vocab.noise_table()
    tree = w2v.tree_of(vocab) if hs else None
    ids, offsets = corpus.read_block(0)
    trained, taken = [], []
    for pick in (w2v.worker, lambda kind, dim: sgns.TRAIN_WORKERS[kind, 0]):
        monkeypatch.setattr(w2v, "worker", lambda kind, dim, pick=pick: taken.append(pick(kind, dim)) or taken[-1])
        tr = Trainer(cfg, *tables, *init_weights(len(vocab), cfg.dim, 1), corpus.n_tokens, tree=tree)
        with thread_limits(1):
            tr.block(0, 0, 0, ids, offsets)
        trained.append((tr._w0, tr._w1))
    kind = sgns.CBOW_HS if hs else sgns.CBOW
    assert [taken[0], taken[-1]] == [sgns.TRAIN_WORKERS[kind, 100], sgns.TRAIN_WORKERS[kind, 0]]
    assert trained[0][0].shape[1] == 112
    # skip-gram's kinds, and sizes not in FIXED_DIMS, take the worker for any width
    assert sgns.worker(sgns.SG_WINDOW, 100) is sgns.TRAIN_WORKERS[sgns.SG_WINDOW, 0]
    assert sgns.worker(kind, 300) is sgns.TRAIN_WORKERS[kind, 0]
    for fixed, wide in zip(*trained):
        assert not fixed[:, 100:].any() and not wide[:, 100:].any()
        assert np.allclose(fixed, wide, atol=1e-6) and not np.allclose(fixed, 0, atol=1e-3)


@pytest.mark.parametrize("shared", [True, False])
def test_a_run_of_one_repeated_word_does_not_blow_up_its_vector(shared):
    """realtext has rows of random 5-digit numbers in which only "00000" is in the vocabulary: encoded,
    500 of it in a row. A window of k copies once took k stale steps at once, and against fresh
    (zero) noise rows each step grew the row along itself: norm 1030 after one such run."""
    V = 20000
    syn0, syn1 = init_weights(V, 32, 1)
    cfg = Word2VecConfig(model="sg", sample=0, shared_negatives=shared)
    uniform = np.ones(V, np.float32), np.arange(V, dtype=np.int32)  # alias table of the uniform noise
    tr = Trainer(cfg, np.ones(V, np.float32), *uniform, syn0, syn1, 500)
    with thread_limits(1):
        tr.block(0, 0, 0, np.zeros(500, np.int32), np.array([0, 500], np.int64))
    assert np.linalg.norm(tr.syn0[0]) < 5 and np.abs(tr.syn1).max() < 2


@pytest.mark.parametrize("model", ["sg", "cbow"])
@pytest.mark.parametrize("plan", ["as run", "synced every 7 centers", "input rows only"])
def test_hot_rows_train_as_the_shared_rows_and_trace_the_same_pairs(tmp_path, small_corpus, model, plan,
                                                                    monkeypatch):
    """With one work unit nothing else writes meanwhile, so training on the thread's copies of the hot
    rows and adding their change back gives the shared rows' result (to rounding), also when the copies
    are synced every 7 centers on the way (a sync that lost or re-added a change would show) and when
    only the input rows are copied (as with more than two threads); the trace still names words, not
    copy rows."""
    if plan != "as run":
        monkeypatch.setattr(w2v, "hot_copies",
                            lambda hot, k, hs: (hot if plan[0] == "s" else 0, 7, np.float32(1), False))
    cfg = Word2VecConfig(min_count=1, model=model, window=4, seed=5)
    shards = discover([small_corpus])
    vocab = build_vocab(shards, cfg)
    corpus = encode_corpus(shards, vocab, cfg, str(tmp_path / "cache"))
    tables = vocab.keep_probs(cfg.sample), *vocab.noise_table()
    ids, offsets = corpus.read_block(0)
    k = int(np.searchsorted(offsets, 3000))  # sentences of under 4096 tokens: one work unit
    ids, offsets = ids[:offsets[k]], offsets[:k + 1]
    out = {}
    for hot in (0, 10, len(vocab)):
        tr = Trainer(Word2VecConfig(min_count=1, model=model, window=4, seed=5, hot_rows=hot), *tables,
                     *init_weights(len(vocab), 12, 1), corpus.n_tokens)
        trace = np.zeros((1, len(ids) * 2 * cfg.window, 2), np.int32)
        trace_n = np.zeros(1, np.int64)
        with thread_limits(2):
            tr.block(0, 0, 0, ids, offsets, trace, trace_n)
        out[hot] = tr.syn0.copy(), tr.syn1.copy(), trace[0, :trace_n[0]].copy()
    for hot in (10, len(vocab)):
        assert np.array_equal(out[hot][2], out[0][2]) and len(out[0][2]) > 100
        assert np.allclose(out[hot][0], out[0][0], atol=1e-5) and np.allclose(out[hot][1], out[0][1], atol=1e-5)
    assert not np.allclose(out[0][1], 0)


@pytest.mark.parametrize("model", ["sg", "cbow"])
def test_hierarchical_softmax_copies_kept_over_sub_blocks_lose_no_change(tmp_path, small_corpus, model, monkeypatch):
    """Copies that last over all the sub-blocks a thread takes (--hs's, hot_copies): one thread taking
    several sub-blocks (syncing every 7 centers, its whole change: nothing else writes) ends where the
    shared rows alone end, to rounding; a change left in the copies at the end would show."""
    monkeypatch.setattr(w2v, "hot_copies", lambda hot, k, hs: (hot, 7, np.float32(1), True))
    monkeypatch.setattr(w2v, "SUB_TOKENS", 400)
    monkeypatch.setattr(w2v, "run_parallel", lambda work, workers: work(0))  # one thread takes every sub-block
    cfg = Word2VecConfig(min_count=1, model=model, window=4, seed=5, hs=True, negative=0)
    shards = discover([small_corpus])
    vocab = build_vocab(shards, cfg)
    corpus = encode_corpus(shards, vocab, cfg, str(tmp_path / "cache"))
    ids, offsets = corpus.read_block(0)
    k = int(np.searchsorted(offsets, 3000))
    ids, offsets = ids[:offsets[k]], offsets[:k + 1]
    out = {}
    for hot in (0, 10, len(vocab)):
        tr = Trainer(replace(cfg, hot_rows=hot), vocab.keep_probs(cfg.sample), *vocab.noise_table(),
                     *init_weights(len(vocab), 12, 1), corpus.n_tokens, tree=w2v.tree_of(vocab))
        with thread_limits(2):
            tr.block(0, 0, 0, ids, offsets)
        out[hot] = tr.syn0.copy(), tr.syn1.copy()
    for hot in (10, len(vocab)):
        assert np.allclose(out[hot][0], out[0][0], atol=1e-5) and np.allclose(out[hot][1], out[0][1], atol=1e-5)
    assert not np.allclose(out[0][1], 0)


@pytest.mark.parametrize("push, hot_out, share", [(True, 3, 1.0), (True, 2, 1.0), (True, 3, 0.5), (False, 3, 1.0)])
def test_push_hot_adds_the_copies_change_to_what_others_wrote_and_reloads_them(push, hot_out, share):
    """Rows 0..2 shared, a thread's copies at rows 6..8 with their starting values at rows 1..3 of
    base; the shared rows moved meanwhile (another thread's sync), so copies, base and shared all differ.
    syn1 syncs only its first hot_out rows, taking `share` of the copies' change (1/2: two threads' mean)."""
    rng = np.random.default_rng(0)
    syn0, syn1 = (rng.standard_normal((9, 4)).astype(np.float32) for _ in range(2))
    base0, base1 = (rng.standard_normal((5, 4)).astype(np.float32) for _ in range(2))
    want = []
    for syn, base, n, part in ((syn0, base0, 3, 1.0), (syn1, base1, hot_out, share)):
        synced = syn[:n] + (syn[6:6 + n] - base[1:1 + n]) * np.float32(part) if push else syn[:n].copy()
        untouched = [syn[3:6].copy(), syn[n:3].copy(), syn[6 + n:9].copy(), base[[0, 4]].copy(), base[1 + n:4].copy()]
        want.append((n, synced, untouched))
    if push:
        push_hot(syn0, syn1, base0, base1, 3, hot_out, np.float32(share), 6, 1)
    else:
        pull_hot(syn0, syn1, base0, base1, 3, hot_out, 6, 1)
    for (n, synced, untouched), syn, base in zip(want, (syn0, syn1), (base0, base1)):
        assert np.allclose(syn[:n], synced, atol=1e-6)
        assert np.array_equal(syn[6:6 + n], syn[:n]) and np.array_equal(base[1:1 + n], syn[:n])
        now = [syn[3:6], syn[n:3], syn[6 + n:9], base[[0, 4]], base[1 + n:4]]
        assert all(np.array_equal(a, b) for a, b in zip(now, untouched))


def test_the_kernel_tests_pass_with_numba_bounds_checks(tmp_path):
    """Numba does not check indices unless asked: a kernel that writes past a view still 'works' when
    the memory behind it exists. Run this file's kernel tests again with NUMBA_BOUNDSCHECK=1 (own
    compile cache, so no unchecked code is reused)."""
    env = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", __file__,
                          "-k", "hot_rows or push_hot or fused or repeated or line_aligned"],
                         env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:]
