"""Kernel building blocks: per-block seeded xorshift generator, alias noise draws, the pair window, prefetch.

Every random stream is seeded from (seed, epoch, block, sub-block, stream) alone, so results do not
depend on which thread ran which sub-block: `--threads 1 --seed S` is bit-identical run to run.
"""
import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from .hashing import GOLDEN, MIX1, MIX2

JIT = dict(cache=True, nogil=True, fastmath=True)

MASK24 = np.uint64(0xFFFFFF)
INV24 = np.float32(1.0 / 16777216.0)
U7, U13, U17 = np.uint64(7), np.uint64(13), np.uint64(17)
U27, U30, U31, U32, U40 = np.uint64(27), np.uint64(30), np.uint64(31), np.uint64(32), np.uint64(40)

PAIRS_STREAM = 0  # subsampling draws and reduced windows: shared by every consumer of the pair stream
NOISE_STREAM = 1  # negative samples


@njit(**JIT)
def mix64(z):
    """splitmix64 finalizer: a well-spread uint64 from any uint64."""
    z = (z ^ (z >> U30)) * MIX1
    z = (z ^ (z >> U27)) * MIX2
    return z ^ (z >> U31)


@njit(**JIT)
def stream_seed(seed, epoch, block, sub, stream):
    """Nonzero xorshift state for one (seed, epoch, block, sub-block, stream)."""
    z = mix64(np.uint64(seed) + GOLDEN)
    z = mix64(z ^ np.uint64(epoch) + GOLDEN)
    z = mix64(z ^ np.uint64(block) + GOLDEN)
    z = mix64(z ^ np.uint64(sub) + GOLDEN)
    z = mix64(z ^ np.uint64(stream) + GOLDEN)
    return z if z != np.uint64(0) else GOLDEN


@njit(**JIT)
def next_u64(x):
    """xorshift64 step."""
    x ^= x << U13
    x ^= x >> U7
    x ^= x << U17
    return x


@njit(**JIT)
def uniform(x):
    """float32 in [0, 1) from the high 24 bits of x."""
    return np.float32(x >> U40) * INV24


@njit(**JIT)
def below(x, n):
    """Integer in [0, n) from the high 32 bits of x (multiply-shift, no division)."""
    return np.int64(((x >> U32) * np.uint64(n)) >> U32)


@njit(**JIT)
def draw_noise(x, prob, alias):
    """Walker alias draw from the noise distribution: high bits pick a slot, low bits accept it."""
    i = below(x, prob.shape[0])
    if np.float32(x & MASK24) * INV24 < prob[i]:
        return np.int64(i)
    return np.int64(alias[i])


@njit(**JIT)
def read_sentence(ids, start, end, keep, subsample, buf, state):
    """Copy ids[start:end] into buf, dropping frequent words with word2vec's keep probability.
    Returns (kept count, generator state)."""
    n = 0
    for t in range(start, end):
        w = ids[t]
        if subsample:
            k = keep[w]
            if k < np.float32(1.0):
                state = next_u64(state)
                if uniform(state) >= k:
                    continue
        buf[n] = w
        n += 1
    return n, state


@njit(**JIT)
def window_bounds(i, n, window, dynamic, state):
    """[lo, hi) of the context of position i; a dynamic window shrinks by b ~ U{0..window-1}, as word2vec."""
    b = 0
    if dynamic:
        state = next_u64(state)
        b = below(state, window)
    lo = max(0, i - window + b)
    hi = min(n, i + window - b + 1)
    return lo, hi, state


@njit(**JIT)
def seen(arr, start, n, w):
    """Whether w is among arr[start:start + n] (a window's context words so far: at most 2 * window).
    An offset rather than a slice: a slice of a shared array would take a reference to it (an atomic
    add on its counter) per call."""
    for a in range(start, start + n):
        if arr[a] == w:
            return True
    return False


def sub_blocks(offsets: np.ndarray, sub_tokens: int) -> np.ndarray:
    """Sentence indices that split a block into sub-blocks of about sub_tokens tokens (what a worker takes)."""
    n_tok = int(offsets[-1])
    n_sub = max(1, n_tok // max(1, sub_tokens))
    cuts = np.searchsorted(offsets, np.arange(1, n_sub) * (n_tok / n_sub), side="left")
    return np.unique(np.concatenate([[0], cuts, [len(offsets) - 1]])).astype(np.int64)


@intrinsic
def _prefetch(typingctx, arr, row, col):
    """llvm.prefetch (for writing, high locality) of the cache line holding arr[row, col]: the line comes
    in owned, so the write that follows needs no second trip to the core that wrote it last."""
    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        idx = [context.cast(builder, args[k], signature.args[k], types.intp) for k in (1, 2)]
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, idx)
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
                                            "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 1), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()
    return types.void(arr, row, col), codegen


@njit(**JIT)
def prefetch_row(arr, row):
    """Ask the CPU to start loading row `row` of a 2-D float32 array, about to be written (16 floats per
    64-byte line)."""
    for col in range(0, arr.shape[1], 16):
        _prefetch(arr, row, col)


@intrinsic
def _fetch_add(typingctx, arr, val):
    """Atomically add val to arr[0] (an int64 array) and return its value before: a work counter that
    threads share."""
    if not (isinstance(arr, types.Array) and arr.dtype == types.int64):
        return None  # a typing error, not LLVM's

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        return builder.atomic_rmw("add", ary.data, args[1], "monotonic")
    return types.int64(arr, types.int64), codegen


@njit(**JIT)
def fetch_add(counter, n):
    """counter[0] += n, atomically among threads; returns the value it had."""
    return _fetch_add(counter, np.int64(n))

