"""Softmax cross-entropy over the full vocabulary, fused forward + backward, parallel over rows.

Shapes: N rows (= T * B predictions), V words. logits (N, V) is overwritten by d loss / d logits.
"""
import numpy as np
from numba import njit, prange

from .common import JIT


@njit(parallel=True, **JIT)
def softmax_xent(logits, bias, targets, scale, grad):
    """Summed -log p(target) over the rows (float64) of softmax(logits + bias). With grad, logits
    becomes scale * (softmax - onehot(target)) in place; without, logits is left as scratch."""
    n, V = logits.shape
    losses = np.zeros(n)
    for i in prange(n):
        row = logits[i]
        for v in range(V):
            row[v] += bias[v]
        m = row[0]
        for v in range(1, V):
            m = max(m, row[v])
        total = 0.0
        for v in range(V):
            e = np.exp(row[v] - m)
            row[v] = e
            total += e
        t = targets[i]
        losses[i] = np.log(total) - np.log(row[t])
        if grad:
            k = scale / total
            for v in range(V):
                row[v] *= k
            row[t] -= scale
    return losses.sum()
