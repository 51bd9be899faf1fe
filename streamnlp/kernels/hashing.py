"""64-bit hashing: FNV-1a over bytes, splitmix64's finalizer, and each Arrow string's hash in NumPy. No Numba
here (the kernels' mix64 uses these constants): the phrases pass hashes its words without loading it."""
import numpy as np
import pyarrow as pa

from .arrays import buffers

FNV_OFFSET = np.uint64(14695981039346656037)
FNV_PRIME = np.uint64(1099511628211)
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)


def string_hashes(strings: pa.Array) -> np.ndarray:
    """A 64-bit hash of each string: FNV-1a over its bytes, spread by splitmix64 (kernels.common.mix64), one
    NumPy step per byte position over the strings that long (loading Numba took 0.8 s of a 3.4 s phrases run)."""
    offsets, data = buffers(strings)
    starts, lengths = offsets[:-1], np.diff(offsets)
    h = np.full(len(lengths), FNV_OFFSET, dtype=np.uint64)
    live = np.arange(len(lengths))
    for k in range(int(lengths.max(initial=0))):
        live = live[lengths[live] > k]
        h[live] = (h[live] ^ data[starts[live] + k]) * FNV_PRIME
    h = (h ^ (h >> np.uint64(30))) * MIX1
    h = (h ^ (h >> np.uint64(27))) * MIX2
    return h ^ (h >> np.uint64(31))
