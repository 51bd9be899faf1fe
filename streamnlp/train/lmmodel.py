"""Recurrent language model: embedding E, one Elman or GRU layer H, full softmax over V.

Parameters and gradients each live in one flat buffer with named views (checkpoints save the one
buffer). A window's gradient is sparse in the embedding (the rows of its input words) and, with
sampled softmax, in the output layer (its candidate columns): only those are zeroed, filled, clipped
and stepped, so a step costs no V-sized pass. Shapes: B streams, T steps, E embedding, H hidden,
V vocabulary, G gates (1 for rnn, 3 for gru). The big products (input projection, output layer) are
NumPy matmuls (BLAS); the recurrence and the softmax are Numba kernels.
"""
from __future__ import annotations

import numpy as np

from ..kernels.embedding import embedding_backward
from ..kernels.gru import gru_backward, gru_forward
from ..kernels.optim import scaled_subtract, squared_norm
from ..kernels.rnn import rnn_backward, rnn_forward
from ..kernels.softmax import softmax_xent
from ..run.flat import FlatParams


def layout(cell: str, V: int, E: int, H: int) -> list[tuple[str, tuple[int, ...]]]:
    G = 3 if cell == "gru" else 1
    return [("emb", (V, E)), ("Wx", (E, G * H)), ("bx", (G * H,)), ("U", (H, G * H)), ("O", (H, V)), ("c", (V,))]


class LanguageModel:
    def __init__(self, cell: str, V: int, E: int, H: int, act: str = "tanh", dtype=np.float32,
                 flat: np.ndarray | None = None, seed: int = 1):
        self.cell, self.V, self.E, self.H, self.act = cell, V, E, H, act
        spec = layout(cell, V, E, H)
        self.p = FlatParams(spec, dtype, flat)
        self.g = FlatParams(spec, dtype)
        self.rows: np.ndarray | None = None  # embedding rows the last window's gradient touched
        self.cols: np.ndarray | None = None  # output columns it touched (None: all, full softmax)
        self._work: dict[tuple[int, int], dict[str, np.ndarray]] = {}
        if flat is None:
            self._init(seed)

    def _init(self, seed: int) -> None:
        """PyTorch's defaults: embedding N(0, 1); everything else U(-1/sqrt(H), 1/sqrt(H))."""
        rng = np.random.default_rng(seed)
        k = 1.0 / np.sqrt(self.H)
        for name, view in self.p.views.items():
            view[...] = rng.standard_normal(view.shape) if name == "emb" else rng.uniform(-k, k, view.shape)

    # --- one window -----------------------------------------------------------------------------
    def _buffers(self, T: int, B: int) -> dict[str, np.ndarray]:
        """Work arrays for a (T, B) window, allocated once: fresh 40 MB logits per window cost page faults."""
        key = (T, B)
        if key not in self._work:
            dt, H, GH = self.p.flat.dtype, self.H, self.p["Wx"].shape[1]
            self._work[key] = {"xw": np.empty((T * B, GH), dt), "hs": np.empty((T + 1, B, H), dt),
                               "gates": np.empty((T, B, 4 * H), dt), "logits": np.empty((T * B, self.V), dt),
                               "dhs": np.empty((T * B, H), dt), "dxw": np.empty((T, B, GH), dt),
                               "dx": np.empty((T * B, self.E), dt)}
        return self._work[key]

    def _forward(self, x: np.ndarray, h0: np.ndarray):
        T, B = x.shape
        p, w = self.p, self._buffers(*x.shape)
        X = p["emb"][x.reshape(-1)]                                   # (T*B, E)
        np.matmul(X, p["Wx"], out=w["xw"])
        w["xw"] += p["bx"]
        xw, hs = w["xw"].reshape(T, B, -1), w["hs"]                   # (T, B, G*H), (T+1, B, H)
        hs[0] = h0
        if self.cell == "gru":
            gru_forward(xw, p["U"], hs, w["gates"])
        else:
            rnn_forward(xw, p["U"], hs, self.act == "sigmoid")
        return X, w

    def _logits(self, w: dict[str, np.ndarray]) -> np.ndarray:
        """Full output layer (T*B, V) into the work buffer; the bias c is added by softmax_xent."""
        np.matmul(w["hs"][1:].reshape(-1, self.H), self.p["O"], out=w["logits"])
        return w["logits"]

    def loss_and_grad(self, x: np.ndarray, y: np.ndarray, h0: np.ndarray, candidates: np.ndarray | None = None,
                      log_q: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """Mean cross-entropy of predicting y (T, B) from x (T, B) and state h0 (B, H); fills self.g.
        Returns (summed loss, final state). With `candidates` (sorted word ids holding every target) the
        softmax runs over them alone, their logits lowered by log_q (sampled softmax, Jean et al. 2015).
        self.g then holds the gradient in self.rows of emb and self.cols of O and c; elsewhere in those
        three it holds stale values from earlier windows, which sgd_step does not read."""
        T, B = x.shape
        p, g = self.p, self.g
        X, w = self._forward(x, h0)
        hs = w["hs"]
        Hs = hs[1:].reshape(T * B, self.H)
        if candidates is None:
            logits = self._logits(w)
            loss = softmax_xent(logits, p["c"], y.reshape(-1), 1.0 / (T * B), True)  # logits := d loss / d logits
            np.matmul(Hs.T, logits, out=g["O"])
            np.sum(logits, axis=0, out=g["c"])
            np.matmul(logits, p["O"].T, out=w["dhs"])
        else:
            O_sub = p["O"][:, candidates]                                          # (H, K)
            logits = Hs @ O_sub                                                    # (T*B, K)
            targets = np.searchsorted(candidates, y.reshape(-1))
            loss = softmax_xent(logits, p["c"][candidates] - log_q, targets, 1.0 / (T * B), True)
            g["O"][:, candidates] = Hs.T @ logits
            g["c"][candidates] = logits.sum(axis=0)
            np.matmul(logits, O_sub.T, out=w["dhs"])
        self.cols = candidates
        g["U"][...] = 0
        dxw = w["dxw"]
        if self.cell == "gru":
            gru_backward(hs, w["gates"], p["U"], w["dhs"].reshape(T, B, self.H), dxw, g["U"])
        else:
            rnn_backward(hs, p["U"], w["dhs"].reshape(T, B, self.H), dxw, g["U"], self.act == "sigmoid")
        dxw2 = dxw.reshape(T * B, -1)
        np.matmul(X.T, dxw2, out=g["Wx"])
        np.sum(dxw2, axis=0, out=g["bx"])
        np.matmul(dxw2, p["Wx"].T, out=w["dx"])
        self.rows = np.unique(x)
        g["emb"][self.rows] = 0
        embedding_backward(x.reshape(-1), w["dx"], g["emb"])
        return loss, hs[-1].copy()

    def loss(self, x: np.ndarray, y: np.ndarray, h0: np.ndarray) -> tuple[float, np.ndarray]:
        """Summed cross-entropy (exact full softmax) and the final state, no gradients."""
        _, w = self._forward(x, h0)
        return softmax_xent(self._logits(w), self.p["c"], y.reshape(-1), 1.0, False), w["hs"][-1].copy()

    def sgd_step(self, lr: float, clip: float) -> float:
        """Clip the last window's global gradient norm to `clip`, then p -= lr * g on what it touched.
        Returns the norm before clipping."""
        p, g, rows, cols = self.p, self.g, self.rows, self.cols
        dense = ["Wx", "bx", "U"] + (["O", "c"] if cols is None else [])
        sparse = [(p["emb"], g["emb"][rows], rows)]
        if cols is not None:
            sparse += [(p["O"].T, g["O"].T[cols], cols), (p["c"], g["c"][cols], cols)]
        sq = sum(squared_norm(g[k].reshape(-1)) for k in dense) + sum(squared_norm(gs.reshape(-1))
                                                                      for _, gs, _ in sparse)
        norm = float(np.sqrt(sq))
        scale = lr * (clip / norm if clip > 0 and norm > clip else 1.0)
        for k in dense:
            scaled_subtract(p[k].reshape(-1), g[k].reshape(-1), scale)
        for param, gs, idx in sparse:
            param[idx] -= p.flat.dtype.type(scale) * gs
        return norm

    def zero_state(self, B: int) -> np.ndarray:
        return np.zeros((B, self.H), dtype=self.p.flat.dtype)

    # --- use ----------------------------------------------------------------------------------
    def perplexity(self, windows) -> float:
        """exp(mean cross-entropy) over windows (T + 1, B) of the same B streams, state carried across them."""
        h = None
        total, count = 0.0, 0
        for w in windows:
            h = self.zero_state(w.shape[1]) if h is None else h
            loss, h = self.loss(w[:-1], w[1:], h)
            total += loss
            count += w[1:].size
        return float(np.exp(total / max(count, 1)))

    def generate(self, prime: list[int], n: int, temperature: float, seed: int) -> list[int]:
        """n sampled ids after the prime ids, from softmax(logits / temperature)."""
        rng = np.random.default_rng(seed)
        h = self.zero_state(1)
        out: list[int] = []
        x = np.array(prime, dtype=np.int64).reshape(-1, 1)
        for _ in range(n):
            _, w = self._forward(x, h)
            h = w["hs"][-1].copy()
            z = (self._logits(w)[-1] + self.p["c"]).astype(np.float64) / max(temperature, 1e-6)
            prob = np.exp(z - z.max())
            nxt = int(rng.choice(len(prob), p=prob / prob.sum()))
            out.append(nxt)
            x = np.array([[nxt]], dtype=np.int64)
        return out
