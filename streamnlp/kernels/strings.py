"""Exact lookup of UTF-8 strings in a vocabulary: an open-addressing hash table over Arrow's string buffers.

Built once per vocabulary; each lookup then costs the bytes of the strings looked up. pyarrow's
index_in builds its hash set of the whole vocabulary on every call, once per batch of the encoding
pass: with 236k words that made encoding realtext as slow as counting it, and it grows with the
vocabulary (120 ms a batch at a million words).
"""
import numpy as np
import pyarrow as pa
from numba import njit

from .arrays import buffers
from .common import JIT, mix64
from .hashing import FNV_OFFSET, FNV_PRIME


@njit(**JIT)
def _slot(data, start, end, mask):
    """FNV-1a of data[start:end], spread by splitmix64, as a table slot."""
    h = FNV_OFFSET
    for i in range(start, end):
        h = (h ^ np.uint64(data[i])) * FNV_PRIME
    return np.int64(mix64(h) & np.uint64(mask))


@njit(**JIT)
def build_table(offsets, data, size):
    """Slots (size a power of two, over twice the strings) holding each string's index, -1 where empty."""
    table = np.full(size, -1, dtype=np.int32)
    mask = size - 1
    for w in range(len(offsets) - 1):
        h = _slot(data, offsets[w], offsets[w + 1], mask)
        while table[h] != -1:
            h = (h + 1) & mask
        table[h] = w
    return table


@njit(**JIT)
def lookup(table, offsets, data, q_offsets, q_data, out):
    """out[q] = index of query string q in the table's strings (offsets, data), or -1."""
    mask = len(table) - 1
    for q in range(len(q_offsets) - 1):
        a, b = q_offsets[q], q_offsets[q + 1]
        h = _slot(q_data, a, b, mask)
        out[q] = -1
        while table[h] != -1:
            w = table[h]
            s = offsets[w]
            if offsets[w + 1] - s == b - a:
                k = 0
                while k < b - a and data[s + k] == q_data[a + k]:
                    k += 1
                if k == b - a:
                    out[q] = w
                    break
            h = (h + 1) & mask


class StringIndex:
    """The position of each of `strings` (distinct), for exact lookups of other string arrays."""

    def __init__(self, strings: pa.Array):
        self.offsets, self.data = buffers(strings)
        size = 1 << max(4, int(2 * len(strings)).bit_length())
        self.table = build_table(self.offsets, self.data, size)

    def positions(self, strings: pa.Array) -> np.ndarray:
        """int64 position of each string in the index's strings, -1 for one not there (a null reads as
        the empty string)."""
        q_offsets, q_data = buffers(strings)
        out = np.empty(len(strings), dtype=np.int64)
        lookup(self.table, self.offsets, self.data, q_offsets, q_data, out)
        return out
