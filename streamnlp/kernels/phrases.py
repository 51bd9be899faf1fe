"""Phrase kernel: joining the pairs that are phrases, greedily from the left, in a batch of dictionary codes."""
import numpy as np
from numba import njit

from .common import JIT


@njit(**JIT)
def join_pairs(idx, lengths, ua, ub, keys, order, n_seconds, n_dic):
    """Greedy from the left within each row: a token and the next form a phrase when their pair key is in
    `keys` (sorted): the two become phrase order[k]'s token (n_dic + its row in the phrase list)."""
    out = np.empty(idx.shape[0], np.int64)
    new_lengths = np.empty(lengths.shape[0], np.int64)
    n = 0
    at = 0
    for r in range(lengths.shape[0]):
        start = n
        t = at
        end = at + lengths[r]
        while t < end:
            if t + 1 < end and ua[t] >= 0 and ub[t + 1] >= 0:
                key = ua[t] * max(n_seconds, 1) + ub[t + 1]
                k = np.searchsorted(keys, key)
                if k < keys.shape[0] and keys[k] == key:
                    out[n] = n_dic + order[k]
                    n += 1
                    t += 2
                    continue
            out[n] = idx[t]
            n += 1
            t += 1
        new_lengths[r] = n - start
        at = end
    return out[:n], new_lengths
