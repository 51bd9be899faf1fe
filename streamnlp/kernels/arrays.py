"""Arrow string arrays as the NumPy buffers that string kernels read. No Numba here: the phrases pass, which
needs only these, starts without loading it."""
import numpy as np
import pyarrow as pa


def buffers(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(int64 offsets, uint8 bytes) of a string or large string array, its slice offset applied."""
    _, offs, data = strings.buffers()
    kind = np.int64 if pa.types.is_large_string(strings.type) else np.int32
    offsets = np.frombuffer(offs, kind, count=len(strings) + 1, offset=strings.offset * np.dtype(kind).itemsize)
    return offsets.astype(np.int64), (np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8))
