"""Phrase kernels: the word pairs within rows as integer codes, and joining the pairs that are phrases, greedily
from the left, in a batch of dictionary codes."""
import numpy as np
from numba import njit

from .common import JIT


@njit(**JIT)
def pair_codes(idx, lengths, n_words):
    """a * n_words + b for every two codes that follow each other within a row."""
    out = np.empty(max(idx.shape[0] - 1, 0), np.int64)
    n = 0
    at = 0
    for r in range(lengths.shape[0]):
        for t in range(at, at + lengths[r] - 1):
            out[n] = np.int64(idx[t]) * n_words + idx[t + 1]
            n += 1
        at += lengths[r]
    return out[:n]


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
