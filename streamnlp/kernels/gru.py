"""GRU cell, forward and backward through T steps (truncated BPTT), batched over B streams.

Shapes: T steps, B streams, H hidden. xw (T, B, 3H) = x [Wz Wr Wh] + [bz br bh], one GEMM;
U (H, 3H) = [Uz Ur Uh]; hs (T + 1, B, H) with hs[0] the carried state; gates (T, B, 4H) keeps
z, r, n and h Uh for the backward pass.
  z = s(xWz + hUz), r = s(xWr + hUr), n = tanh(xWh + r * (hUh)), h' = z * h + (1 - z) * n
"""
import numpy as np
from numba import njit

from .common import JIT


@njit(**JIT)
def gru_forward(xw, U, hs, gates):
    T, B, H3 = xw.shape
    H = H3 // 3
    for t in range(T):
        a = np.dot(hs[t], U)
        for b in range(B):
            for j in range(H):
                z = 1.0 / (1.0 + np.exp(-(xw[t, b, j] + a[b, j])))
                r = 1.0 / (1.0 + np.exp(-(xw[t, b, H + j] + a[b, H + j])))
                hu = a[b, 2 * H + j]
                n = np.tanh(xw[t, b, 2 * H + j] + r * hu)
                gates[t, b, j] = z
                gates[t, b, H + j] = r
                gates[t, b, 2 * H + j] = n
                gates[t, b, 3 * H + j] = hu
                hs[t + 1, b, j] = z * hs[t, b, j] + (1.0 - z) * n


@njit(**JIT)
def gru_backward(hs, gates, U, dhs, dxw, dU):
    """dhs (T, B, H): loss gradient w.r.t. each output state. Writes dxw (T, B, 3H) (d pre-activations
    of z, r, n), adds to dU, returns the gradient w.r.t. hs[0]."""
    T, B, H = dhs.shape
    UT = np.ascontiguousarray(U.T)
    dh = np.zeros((B, H), dtype=hs.dtype)
    g = np.empty((T, B, 3 * H), dtype=hs.dtype)  # d (h U) of the three gates, per step
    for t in range(T - 1, -1, -1):
        for b in range(B):
            for j in range(H):
                z, r, n, hu = gates[t, b, j], gates[t, b, H + j], gates[t, b, 2 * H + j], gates[t, b, 3 * H + j]
                d = dhs[t, b, j] + dh[b, j]
                dan = d * (1.0 - z) * (1.0 - n * n)
                daz = d * (hs[t, b, j] - n) * z * (1.0 - z)
                dar = dan * hu * r * (1.0 - r)
                dxw[t, b, j] = daz
                dxw[t, b, H + j] = dar
                dxw[t, b, 2 * H + j] = dan
                g[t, b, j] = daz
                g[t, b, H + j] = dar
                g[t, b, 2 * H + j] = dan * r
                dh[b, j] = d * z
        dh += np.dot(g[t], UT)
    # dU = sum_t h(t-1)^T g(t): one product over all steps
    dU += np.dot(np.ascontiguousarray(hs[:T].reshape(T * B, H).T), g.reshape(T * B, 3 * H))
    return dh
