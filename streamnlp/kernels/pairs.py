"""The explicit co-occurrence pair stream: (center, context, weight) triples of a token block.

Draws from the same PAIRS_STREAM generators, through the same read_sentence / window_bounds, as
the fused training kernels, so both see exactly the same pairs for the same (seed, epoch, block).
"""
import numpy as np
from numba import njit, prange

from .common import JIT, PAIRS_STREAM, read_sentence, seen, stream_seed, window_bounds


@njit(parallel=True, **JIT)
def fill_pairs(ids, offsets, subs, max_len, keep, subsample, window, dynamic, harmonic, distinct, seed, epoch,
               block, starts, center, context, weight):
    """Write sub-block b's pairs into center/context/weight[starts[b]:]; returns the count per sub-block.

    starts[b] must leave room for 2 * window pairs per token of sub-block b. weight is 1, or
    1/distance when `harmonic` (GloVe's weighting). `distinct` keeps a context word once per window.
    """
    n_sub = subs.shape[0] - 1
    counts = np.zeros(n_sub, dtype=np.int64)
    for b in prange(n_sub):
        state = stream_seed(seed, epoch, block, b, PAIRS_STREAM)
        buf = np.empty(max_len, dtype=np.int32)
        k = starts[b]
        for s in range(subs[b], subs[b + 1]):
            n, state = read_sentence(ids, offsets[s], offsets[s + 1], keep, subsample, buf, state)
            for i in range(n):
                lo, hi, state = window_bounds(i, n, window, dynamic, state)
                k0 = k
                for j in range(lo, hi):
                    if j != i and not (distinct and seen(context, k0, k - k0, buf[j])):
                        center[k] = buf[i]
                        context[k] = buf[j]
                        weight[k] = np.float32(1.0) / np.float32(abs(j - i)) if harmonic else np.float32(1.0)
                        k += 1
        counts[b] = k - starts[b]
    return counts
