"""GloVe kernels: exact co-occurrence counting from token blocks, sort-reduce of sparse pairs, AdaGrad training.

Counting walks the same pair stream as pairs.fill_pairs (read_sentence / window_bounds with a
fixed window, no subsampling). Weights are integers, scale/distance with scale = lcm(1..window),
so sums are exact and independent of order: any thread count and any memory budget give the
same counts. Pairs of two frequent words (ids < K) go to a dense K x K table per thread; the
others to a sparse (key = center * V + context, weight) buffer that the driver sort-reduces.

Training shapes: V words, D dims; W, C (V, D) word and context vectors, bw, bc (V,) biases,
gW, gC, gbw, gbc their AdaGrad sums of squared gradients. Hogwild: threads update them without
locks, as GloVe C does.
"""
import numba
import numpy as np
from numba import njit, prange

from .common import JIT, mix64, read_sentence, window_bounds


@njit(parallel=True, **JIT)
def count_piece(ids, offsets, subs, max_len, window, weights, V, dense, starts, packed):
    """Add the pairs of sub-blocks subs[b]..subs[b+1] to dense[thread] (both ids < K) or write them to
    packed[starts[b]:] as (center * V + context) * (window + 1) + distance; returns the count per sub-block."""
    n_sub = subs.shape[0] - 1
    K = dense.shape[1]
    counts = np.zeros(n_sub, dtype=np.int64)
    no_keep = np.ones(1, dtype=np.float32)
    for b in prange(n_sub):
        table = dense[numba.get_thread_id()]
        buf = np.empty(max_len, dtype=np.int32)
        state = np.uint64(1)
        k = starts[b]
        for s in range(subs[b], subs[b + 1]):
            n, state = read_sentence(ids, offsets[s], offsets[s + 1], no_keep, False, buf, state)
            for i in range(n):
                lo, hi, state = window_bounds(i, n, window, False, state)
                c = buf[i]
                for j in range(lo, hi):
                    if j == i:
                        continue
                    x = buf[j]
                    w = weights[abs(j - i)]
                    if c < K and x < K:
                        table[c, x] += w
                    else:
                        packed[k] = (np.int64(c) * V + x) * (window + 1) + abs(j - i)
                        k += 1
        counts[b] = k - starts[b]
    return counts


@njit(**JIT)
def unpack_sorted(packed, window, weights):
    """(unique keys, summed weights) of a sorted array of packed pairs, allocated at their exact size."""
    n = packed.shape[0]
    u = 0
    for t in range(n):
        if t == 0 or packed[t] // (window + 1) != packed[t - 1] // (window + 1):
            u += 1
    keys = np.empty(u, dtype=np.int64)
    vals = np.empty(u, dtype=np.int64)
    u = -1
    last = np.int64(-1)
    for t in range(n):
        key = packed[t] // (window + 1)
        w = weights[packed[t] - key * (window + 1)]
        if key == last:
            vals[u] += w
        else:
            u += 1
            keys[u] = key
            vals[u] = w
            last = key
    return keys, vals


@njit(**JIT)
def reduce_sorted(keys, vals):
    """Sum the values of equal keys of a sorted run in place; returns the number of unique keys."""
    n = keys.shape[0]
    if n == 0:
        return 0
    u = 0
    for t in range(1, n):
        if keys[t] == keys[u]:
            vals[u] += vals[t]
        else:
            u += 1
            keys[u] = keys[t]
            vals[u] = vals[t]
    return u + 1


@njit(**JIT)
def bucket_of(key, seed_mix, n_buckets):
    """A record's bucket: splitmix64 of its key plus the seed's mix, modulo n_buckets."""
    return np.int64(mix64(np.uint64(key) + seed_mix) % np.uint64(n_buckets))


@njit(**JIT)
def scatter_records(keys, vals, V, scale, seed_mix, n_buckets, words, xs):
    """Records (row, col, x = val / scale) of keys = row * V + col, grouped by bucket (bucket_of, in key
    order within one) into words (n, 3) int32 columns row and col, and xs, a float32 view of the same
    buffer, column 2. Returns the buckets' bounds (n_buckets + 1)."""
    n = keys.shape[0]
    bucket = np.empty(n, dtype=np.int64)
    bounds = np.zeros(n_buckets + 1, dtype=np.int64)
    for t in range(n):
        bucket[t] = bucket_of(keys[t], seed_mix, n_buckets)
        bounds[bucket[t] + 1] += 1
    for b in range(n_buckets):
        bounds[b + 1] += bounds[b]
    fill = bounds[:-1].copy()
    for t in range(n):
        k = fill[bucket[t]]
        fill[bucket[t]] += 1
        words[k, 0] = keys[t] // V
        words[k, 1] = keys[t] - (keys[t] // V) * V
        xs[k, 2] = vals[t] / scale
    return bounds


@njit(parallel=True, **JIT)
def sum_tables(dense):
    """dense[0] += dense[t] for every other thread's table (row-parallel)."""
    for r in prange(dense.shape[1]):
        for t in range(1, dense.shape[0]):
            for c in range(dense.shape[2]):
                dense[0, r, c] += dense[t, r, c]


@njit(parallel=True, **JIT)
def train_records(rows, cols, logx, fx, W, C, bw, bc, gW, gC, gbw, gbc, eta, clip, n_parts):
    """One pass over records (rows[r], cols[r]) with log count logx and weight f(x) = fx, split in
    n_parts contiguous parts run in parallel. Returns (summed cost 0.5 f (w.c + bw + bc - log x)^2,
    records skipped because the cost was not finite)."""
    n = rows.shape[0]
    D = W.shape[1]
    costs = np.zeros(n_parts)
    skipped = np.zeros(n_parts, dtype=np.int64)
    for p in prange(n_parts):
        cost = 0.0
        for r in range(n * p // n_parts, n * (p + 1) // n_parts):
            i, j = rows[r], cols[r]
            diff = bw[i] + bc[j] - logx[r]
            for d in range(D):
                diff += W[i, d] * C[j, d]
            if not np.isfinite(diff):
                skipped[p] += 1
                continue
            fdiff = fx[r] * diff
            cost += 0.5 * fdiff * diff
            for d in range(D):  # GloVe C: clip the gradient, then scale by eta
                g1 = min(max(fdiff * C[j, d], -clip), clip) * eta
                g2 = min(max(fdiff * W[i, d], -clip), clip) * eta
                W[i, d] -= g1 / np.sqrt(gW[i, d])
                C[j, d] -= g2 / np.sqrt(gC[j, d])
                gW[i, d] += g1 * g1
                gC[j, d] += g2 * g2
            bw[i] -= fdiff / np.sqrt(gbw[i])  # GloVe C's biases: AdaGrad on the unscaled gradient (no eta)
            bc[j] -= fdiff / np.sqrt(gbc[j])
            gbw[i] += fdiff * fdiff
            gbc[j] += fdiff * fdiff
        costs[p] = cost
    return costs, skipped
