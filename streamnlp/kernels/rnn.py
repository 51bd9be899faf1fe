"""Elman RNN cell, forward and backward through T steps (truncated BPTT), batched over B streams.

Shapes: T steps, B streams, H hidden. xw (T, B, H) = x W + b, precomputed by one GEMM; U (H, H);
hs (T + 1, B, H) with hs[0] the carried state. h(t) = f(xw(t) + h(t-1) U), f = tanh or sigmoid.
The step products go to BLAS through np.dot.
"""
import numpy as np
from numba import njit

from .common import JIT


@njit(**JIT)
def rnn_forward(xw, U, hs, sigmoid_act):
    T, B, H = xw.shape
    for t in range(T):
        a = np.dot(hs[t], U)
        for b in range(B):
            for j in range(H):
                v = a[b, j] + xw[t, b, j]
                hs[t + 1, b, j] = 1.0 / (1.0 + np.exp(-v)) if sigmoid_act else np.tanh(v)


@njit(**JIT)
def rnn_backward(hs, U, dhs, dxw, dU, sigmoid_act):
    """dhs (T, B, H): loss gradient w.r.t. each output state. Writes dxw (T, B, H) (= d pre-activation),
    adds to dU, returns the gradient w.r.t. hs[0]."""
    T, B, H = dhs.shape
    UT = np.ascontiguousarray(U.T)
    dh = np.zeros((B, H), dtype=hs.dtype)
    for t in range(T - 1, -1, -1):
        for b in range(B):
            for j in range(H):
                h = hs[t + 1, b, j]
                deriv = h * (1.0 - h) if sigmoid_act else 1.0 - h * h
                dxw[t, b, j] = (dhs[t, b, j] + dh[b, j]) * deriv
        dh = np.dot(dxw[t], UT)
    # dU = sum_t h(t-1)^T dxw(t): one product over all steps
    dU += np.dot(np.ascontiguousarray(hs[:T].reshape(T * B, H).T), dxw.reshape(T * B, H))
    return dh
