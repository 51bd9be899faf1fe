"""Embedding lookup backward: scatter-add of row gradients into the embedding gradient (sequential: rows repeat)."""
from numba import njit

from .common import JIT


@njit(**JIT)
def embedding_backward(ids, dx, demb):
    """demb[ids[i]] += dx[i] for every row i. ids (N,), dx (N, E), demb (V, E)."""
    for i in range(ids.shape[0]):
        w = ids[i]
        for e in range(dx.shape[1]):
            demb[w, e] += dx[i, e]
