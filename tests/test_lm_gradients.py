"""Language-model kernels: every parameter tensor's gradient against central finite differences (float64),
through several BPTT steps, for both cells; and the forward pass against a plain NumPy reference."""
import numpy as np
import pytest

from streamnlp.lmmodel import LanguageModel


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
