"""Language-model kernels: every parameter tensor's gradient against central finite differences (float64),
through several BPTT steps, for both cells; and the forward pass against a plain NumPy reference."""
import numpy as np
import pytest

from streamnlp.train.lmmodel import LanguageModel


def make(cell, act="tanh"):
    m = LanguageModel(cell, V=11, E=4, H=5, act=act, dtype=np.float64, seed=3)
    m.p.flat[:] *= 0.8
    rng = np.random.default_rng(0)
    x = rng.integers(0, 11, (4, 3))
    y = rng.integers(0, 11, (4, 3))
    h0 = rng.uniform(-0.5, 0.5, (3, 5))
    return m, x, y, h0


@pytest.mark.parametrize("cell, act", [("rnn", "tanh"), ("rnn", "sigmoid"), ("gru", "tanh")])
def test_gradients_match_finite_differences(cell, act):
    m, x, y, h0 = make(cell, act)
    N = x.size
    m.loss_and_grad(x, y, h0)
    analytic = {name: view.copy().reshape(-1) for name, view in m.g.views.items()}
    eps = 1e-6
    for name, view in m.p.views.items():
        flat_view = view.reshape(-1)
        idx = range(flat_view.size) if flat_view.size <= 60 else np.random.default_rng(1).choice(flat_view.size, 60)
        for i in idx:
            old = flat_view[i]
            flat_view[i] = old + eps
            up = m.loss(x, y, h0)[0] / N
            flat_view[i] = old - eps
            down = m.loss(x, y, h0)[0] / N
            flat_view[i] = old
            numeric = (up - down) / (2 * eps)
            assert analytic[name][i] == pytest.approx(numeric, rel=1e-5, abs=1e-8), (name, i)


def reference_forward(m, x, h0):
    p = m.p
    h = h0.copy()
    logits = []
    H = m.H
    for t in range(x.shape[0]):
        xv = p["emb"][x[t]] @ p["Wx"] + p["bx"]
        if m.cell == "rnn":
            h = np.tanh(xv + h @ p["U"])
        else:
            hu = h @ p["U"]
            z = 1 / (1 + np.exp(-(xv[:, :H] + hu[:, :H])))
            r = 1 / (1 + np.exp(-(xv[:, H:2 * H] + hu[:, H:2 * H])))
            n = np.tanh(xv[:, 2 * H:] + r * hu[:, 2 * H:])
            h = z * h + (1 - z) * n
        logits.append(h @ p["O"] + p["c"])
    return np.concatenate(logits), h


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_forward_matches_numpy_reference(cell):
    m, x, y, h0 = make(cell)
    logits, h = reference_forward(m, x, h0)
    ls = logits - logits.max(axis=1, keepdims=True)
    logp = ls - np.log(np.exp(ls).sum(axis=1, keepdims=True))
    want = -logp[np.arange(x.size), y.reshape(-1)].sum()
    got, h_got = m.loss(x, y, h0)
    assert got == pytest.approx(want, rel=1e-10)
    assert np.allclose(h_got, h)


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_sampled_softmax_gradients_match_finite_differences(cell):
    m, x, y, h0 = make(cell)
    N = x.size
    cand = np.union1d(y.reshape(-1), [0, 5])
    log_q = np.linspace(-1.0, 0.5, len(cand))
    m.loss_and_grad(x, y, h0, cand, log_q)
    analytic = {name: view.copy().reshape(-1) for name, view in m.g.views.items()}
    eps = 1e-6
    rng = np.random.default_rng(2)
    for name, view in m.p.views.items():
        flat_view = view.reshape(-1)
        for i in rng.choice(flat_view.size, min(40, flat_view.size), replace=False):
            old = flat_view[i]
            flat_view[i] = old + eps
            up = m.loss_and_grad(x, y, h0, cand, log_q)[0] / N
            flat_view[i] = old - eps
            down = m.loss_and_grad(x, y, h0, cand, log_q)[0] / N
            flat_view[i] = old
            assert analytic[name][i] == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-8), (name, i)


@pytest.mark.parametrize("sampled", [True, False])
def test_the_sparse_step_is_the_dense_step(sampled):
    """sgd_step clips and steps only what the window's gradient touched; it must equal the plain dense
    step p -= lr * clip_scale * g, also on a second window whose rows and columns differ (stale entries
    of the first window's gradient must not leak in)."""
    m, x, y, h0 = make("gru")
    rng = np.random.default_rng(4)
    for window in range(2):
        x, y = rng.integers(0, 11, (4, 3)), rng.integers(0, 11, (4, 3))
        cand = np.union1d(y.reshape(-1), [window]) if sampled else None
        log_q = np.linspace(-1.0, 0.5, len(cand)) if sampled else None
        fresh = LanguageModel("gru", V=11, E=4, H=5, dtype=np.float64, flat=m.p.flat.copy())
        fresh.loss_and_grad(x, y, h0, cand, log_q)  # its gradient buffer starts at zero: the dense gradient
        m.loss_and_grad(x, y, h0, cand, log_q)
        dense = fresh.g.flat.copy()
        lr, clip = 0.5, 0.1
        norm = np.sqrt((dense ** 2).sum())
        want = m.p.flat - lr * min(1.0, clip / norm) * dense
        assert m.sgd_step(lr, clip) == pytest.approx(norm, rel=1e-12)
        assert np.allclose(m.p.flat, want, rtol=0, atol=1e-14)
        assert norm > clip  # the clipping is exercised
