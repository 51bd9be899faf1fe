"""SGD step kernels over a flat parameter buffer: squared norm (float64 sum) and in-place scaled update."""
import numpy as np
from numba import njit, prange

from .common import JIT

CHUNK = 1 << 16


@njit(parallel=True, **JIT)
def squared_norm(g):
    n = g.shape[0]
    parts = np.zeros((n + CHUNK - 1) // CHUNK)
    for c in prange(parts.shape[0]):
        s = 0.0
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            s += g[i] * g[i]
        parts[c] = s
    return parts.sum()


@njit(parallel=True, **JIT)
def scaled_subtract(p, g, scale):
    """p -= scale * g, elementwise."""
    s = p.dtype.type(scale)
    for i in prange(p.shape[0]):
        p[i] -= s * g[i]
