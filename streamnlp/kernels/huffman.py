"""The Huffman tree of hierarchical softmax, built from word counts as word2vec.c's CreateBinaryTree builds it."""
import numpy as np
from numba import njit

from .common import JIT


@njit(**JIT)
def huffman_tree(counts):
    """counts (V,), in descending order (a vocabulary's), V >= 2. Returns (points (V, L) int32, codes (V, L)
    uint8, lengths (V,) int32): word w's path from the root is its inner nodes points[w, :lengths[w]] (rows
    0 .. V - 2 of the output matrix, the root V - 2) and the branches codes[w, :lengths[w]] taken at them."""
    V = counts.shape[0]
    count = np.empty(2 * V - 1, np.int64)
    count[:V] = counts
    count[V:] = np.int64(1) << 62
    parent = np.zeros(2 * V - 1, np.int64)
    binary = np.zeros(2 * V - 1, np.uint8)
    pos1, pos2 = V - 1, V
    for a in range(V - 1):
        mins = np.empty(2, np.int64)
        for k in range(2):
            if pos1 >= 0 and count[pos1] < count[pos2]:
                mins[k] = pos1
                pos1 -= 1
            else:
                mins[k] = pos2
                pos2 += 1
        count[V + a] = count[mins[0]] + count[mins[1]]
        parent[mins[0]] = V + a
        parent[mins[1]] = V + a
        binary[mins[1]] = 1
    depth = 1
    for w in range(V):
        d, b = 0, w
        while b != 2 * V - 2:
            d += 1
            b = parent[b]
        depth = max(depth, d)
    points = np.zeros((V, depth), np.int32)
    codes = np.zeros((V, depth), np.uint8)
    lengths = np.zeros(V, np.int32)
    for w in range(V):
        d, b = 0, w
        while b != 2 * V - 2:  # leaf to root; stored root first
            d += 1
            b = parent[b]
        lengths[w] = d
        i, b = d - 1, w
        while b != 2 * V - 2:
            codes[w, i] = binary[b]
            points[w, i] = parent[b] - V
            i -= 1
            b = parent[b]
    return points, codes, lengths


@njit(**JIT)
def path_targets(points, codes, lengths):
    """Each word's path as the targets of a logistic step (kernels.sgns.ns_update): its nodes whose code is 0
    (the step raises their scores) first, then those of code 1. Returns (targets (V, L) int32, npos (V,)
    int32, the count of the first kind)."""
    V, L = points.shape
    targets = np.zeros((V, L), np.int32)
    npos = np.zeros(V, np.int32)
    for w in range(V):
        k = 0
        for i in range(lengths[w]):
            if codes[w, i] == 0:
                targets[w, k] = points[w, i]
                k += 1
        npos[w] = k
        for i in range(lengths[w]):
            if codes[w, i] == 1:
                targets[w, k] = points[w, i]
                k += 1
    return targets, npos
