"""Sentence classifier kernels: a batch of sentences -> (their words' mean vector -> tanh layer, plus a linear part
over the sentence's rows; or a GRU's final state) -> class scores -> softmax cross-entropy, backward to every
weight and the word rows, SGD steps.

A data set is ids (N,) word rows, sentence offsets starts (S + 1,) and labels (S,). A batch is sentence numbers
`sents`; for the GRU all of one length L (the recurrence runs on (L, B, .) arrays). Shapes: D word dims, H
hidden, C classes; the mean model's weights W1 (D, H), b1 (H,) and its linear part bag (rows, C); the GRU's
Wx (D, 3H), bx (3H,), U (H, 3H); both end in W2 (H, C), b2 (C,). The products are BLAS calls (np.dot).
"""
import numpy as np
from numba import njit

from .common import JIT, below, next_u64, stream_seed, uniform
from .gru import gru_backward, gru_forward
from .window import backward, column_sums, forward, output_backward, subtract, token_loss

DROP_STREAM = 2  # word dropout's draws


@njit(**JIT)
def mean_loss_and_grad(sents, ids, starts, labels, emb, weight, W1, b1, W2, b2, bag, X, Hb, Sc, y, dS, D2, dX, dW1,
                       db1, dW2, db2):
    """Summed loss of the batch; sets dW1 .. db2 and dX[:n], the gradient of each sentence's mean vector (the
    mean of its rows weighted by weight[row]), and leaves dS[:n], the scores' gradient. bag (rows, C): the scores'
    linear part over the sentence's rows (bag_scores; (0, C): none)."""
    n, D = sents.shape[0], emb.shape[1]
    for r in range(n):
        s = sents[r]
        for d in range(D):
            X[r, d] = 0.0
        total = 0.0
        for t in range(starts[s], starts[s + 1]):
            w = weight[ids[t]]
            total += w
            for d in range(D):
                X[r, d] += w * emb[ids[t], d]
        inv = 1.0 / total if total > 0 else 0.0
        for d in range(D):
            X[r, d] *= inv
        y[r] = labels[s]
    forward(X, n, W1, b1, W2, b2, Hb, Sc)
    if bag.shape[0]:
        bag_scores(sents, ids, starts, weight, bag, Sc)
    loss = token_loss(Sc, 0, n, y, dS)
    backward(X, n, Hb, W1, W2, dS, D2, dX, dW1, db1, dW2, db2)
    return loss


@njit(**JIT)
def bag_shares(ids, starts, s, weight):
    """1 / the L2 norm of sentence s's rows' weights: a row's share of the linear part is weight[row] times it (the
    rows as TF-IDF's unit vector)."""
    norm = 0.0
    for t in range(starts[s], starts[s + 1]):
        norm += weight[ids[t]] ** 2
    return 1.0 / np.sqrt(norm) if norm > 0 else 0.0


@njit(**JIT)
def bag_scores(sents, ids, starts, weight, bag, Sc):
    """Sc[r] += the linear part of sentence r's scores: its rows of bag, each times the row's share."""
    for r in range(sents.shape[0]):
        s = sents[r]
        inv = bag_shares(ids, starts, s, weight)
        for t in range(starts[s], starts[s + 1]):
            a = weight[ids[t]] * inv
            for k in range(bag.shape[1]):
                Sc[r, k] += a * bag[ids[t], k]


@njit(**JIT)
def bag_step(sents, ids, starts, weight, dS, bag, scale):
    """Each row of sentence r's bag -= scale * the row's share * dS[r], the gradient of r's scores."""
    for r in range(sents.shape[0]):
        s = sents[r]
        inv = bag_shares(ids, starts, s, weight)
        for t in range(starts[s], starts[s + 1]):
            a = scale * weight[ids[t]] * inv
            for k in range(bag.shape[1]):
                bag[ids[t], k] -= a * dS[r, k]


@njit(**JIT)
def mean_rows_step(sents, ids, starts, weight, dX, emb, scale):
    """Each row of a sentence -= scale * the gradient of the sentence's mean * the row's share of the mean."""
    D = emb.shape[1]
    for r in range(sents.shape[0]):
        s = sents[r]
        total = 0.0
        for t in range(starts[s], starts[s + 1]):
            total += weight[ids[t]]
        for t in range(starts[s], starts[s + 1]):
            k = scale * weight[ids[t]] / total if total > 0 else 0.0
            for d in range(D):
                emb[ids[t], d] -= k * dX[r, d]


@njit(**JIT)
def gru_states(sents, ids, starts, emb, Wx, bx, U, X, xw, hs, gates):
    """Run the GRU over the batch (every sentence of length L = hs.shape[0] - 1) from a zero state: X (L * B, D)
    the words' rows step-major, xw their input projections, hs (L + 1, B, H) the states, gates for backward."""
    L, B = hs.shape[0] - 1, sents.shape[0]
    D = emb.shape[1]
    for t in range(L):
        for b in range(B):
            w = ids[starts[sents[b]] + t]
            for d in range(D):
                X[t * B + b, d] = emb[w, d]
    np.dot(X, Wx, xw)
    for r in range(L * B):
        for j in range(bx.shape[0]):
            xw[r, j] += bx[j]
    hs[0] = 0.0
    gru_forward(xw.reshape(L, B, bx.shape[0]), U, hs, gates)


@njit(**JIT)
def gru_loss_and_grad(sents, ids, starts, labels, emb, Wx, bx, U, W2, b2, X, xw, hs, gates, Sc, y, dS, dhs, dxw,
                      dX, dWx, dbx, dU, dW2, db2):
    """Summed loss of the batch (sentences of one length L); sets dWx .. db2 and dX (L * B, D), the gradient of
    each word's row as it was read."""
    L, B = hs.shape[0] - 1, sents.shape[0]
    gru_states(sents, ids, starts, emb, Wx, bx, U, X, xw, hs, gates)
    last = np.ascontiguousarray(hs[L])
    np.dot(last, W2, Sc[:B])
    for r in range(B):
        y[r] = labels[sents[r]]
        for k in range(Sc.shape[1]):
            Sc[r, k] += b2[k]
    loss = token_loss(Sc, 0, B, y, dS)
    dhs[:] = 0.0
    output_backward(last, B, W2, dS, dW2, db2, dhs[L - 1])
    dU[:] = 0.0
    dxw3 = dxw.reshape(L, B, dbx.shape[0])
    gru_backward(hs, gates, U, dhs, dxw3, dU)
    np.dot(X.T, dxw, dWx)
    column_sums(dxw, L * B, dbx)
    np.dot(dxw, Wx.T, dX)
    return loss


@njit(**JIT)
def gru_rows_step(sents, ids, starts, L, dX, emb, scale):
    B, D = sents.shape[0], emb.shape[1]
    for t in range(L):
        for b in range(B):
            w = ids[starts[sents[b]] + t]
            for d in range(D):
                emb[w, d] -= scale * dX[t * B + b, d]


@njit(**JIT)
def dropped(sents, ids, starts, drop, state, kids, kstarts):
    """Word dropout (Iyyer et al. 2015): each row of the batch's sentences kept with probability 1 - drop (at least
    one a sentence), copied into kids with offsets kstarts. Returns the generator state."""
    n = 0
    kstarts[0] = 0
    for r in range(sents.shape[0]):
        s = sents[r]
        first = n
        for t in range(starts[s], starts[s + 1]):
            if drop > 0.0:
                state = next_u64(state)
                if uniform(state) < drop:
                    continue
            kids[n] = ids[t]
            n += 1
        if n == first:  # all dropped: keep one at random
            state = next_u64(state)
            kids[n] = ids[starts[s] + below(state, starts[s + 1] - starts[s])]
            n += 1
        kstarts[r + 1] = n
    return state


@njit(**JIT)
def train_mean(batches, bstarts, members, ids, starts, labels, emb, weight, W1, b1, W2, b2, bag, lr, train_words, drop,
               seed, when, bag_lr):
    """SGD over the batches numbered `batches` (batch b = members[bstarts[b]:bstarts[b + 1]]), each sentence's
    rows thinned by word dropout `drop` (drawn from (seed, when, batch)), the linear part at bag_lr times lr:
    (loss, sentences)."""
    D, H, C = W1.shape[0], W1.shape[1], W2.shape[1]
    cap, rows = 1, 1
    for b in range(bstarts.shape[0] - 1):
        cap = max(cap, bstarts[b + 1] - bstarts[b])
        width = 0
        for s in members[bstarts[b]:bstarts[b + 1]]:
            width += starts[s + 1] - starts[s]
        rows = max(rows, width)
    dt = W1.dtype
    X, dX, Hb, D2 = np.empty((cap, D), dt), np.empty((cap, D), dt), np.empty((cap, H), dt), np.empty((cap, H), dt)
    Sc, dS, y = np.empty((cap, C), dt), np.empty((cap, C), dt), np.empty(cap, np.int64)
    dW1, db1, dW2, db2 = np.empty((D, H), dt), np.empty(H, dt), np.empty((H, C), dt), np.empty(C, dt)
    kids, kstarts, local, klabels = np.empty(rows, ids.dtype), np.empty(cap + 1, np.int64), np.arange(cap), \
        np.empty(cap, labels.dtype)
    total, count = 0.0, 0
    for b in batches:
        sents = members[bstarts[b]:bstarts[b + 1]]
        n = sents.shape[0]
        dropped(sents, ids, starts, drop, stream_seed(seed, when, b, 0, DROP_STREAM), kids, kstarts)
        for r in range(n):
            klabels[r] = labels[sents[r]]
        here = local[:n]
        scale = lr / n
        total += mean_loss_and_grad(here, kids, kstarts, klabels, emb, weight, W1, b1, W2, b2, bag, X, Hb, Sc, y, dS,
                                    D2, dX, dW1, db1, dW2, db2)
        if bag.shape[0]:
            bag_step(here, kids, kstarts, weight, dS, bag, scale * bag_lr)
        if train_words:
            mean_rows_step(here, kids, kstarts, weight, dX, emb, scale)
        subtract(W1, dW1, scale)
        subtract(b1, db1, scale)
        subtract(W2, dW2, scale)
        subtract(b2, db2, scale)
        count += n
    return total, count


@njit(**JIT)
def train_gru(batches, bstarts, members, ids, starts, labels, emb, Wx, bx, U, W2, b2, lr, train_words):
    """SGD over the batches numbered `batches`, each of sentences of one length: (loss, sentences)."""
    D, H3, C = Wx.shape[0], Wx.shape[1], W2.shape[1]
    H = H3 // 3
    dt = Wx.dtype
    dWx, dbx, dU = np.empty((D, H3), dt), np.empty(H3, dt), np.empty((H, H3), dt)
    dW2, db2 = np.empty((H, C), dt), np.empty(C, dt)
    total, count = 0.0, 0
    for b in batches:
        sents = members[bstarts[b]:bstarts[b + 1]]
        B = sents.shape[0]
        L = max(starts[sents[0] + 1] - starts[sents[0]], 1)
        X, dX = np.empty((L * B, D), dt), np.empty((L * B, D), dt)
        xw, dxw = np.empty((L * B, H3), dt), np.empty((L * B, H3), dt)
        hs, gates, dhs = np.empty((L + 1, B, H), dt), np.empty((L, B, 4 * H), dt), np.empty((L, B, H), dt)
        Sc, dS, y = np.empty((B, C), dt), np.empty((B, C), dt), np.empty(B, np.int64)
        total += gru_loss_and_grad(sents, ids, starts, labels, emb, Wx, bx, U, W2, b2, X, xw, hs, gates, Sc, y, dS,
                                   dhs, dxw, dX, dWx, dbx, dU, dW2, db2)
        scale = lr / B
        if train_words:
            gru_rows_step(sents, ids, starts, L, dX, emb, scale)
        subtract(Wx, dWx, scale)
        subtract(bx, dbx, scale)
        subtract(U, dU, scale)
        subtract(W2, dW2, scale)
        subtract(b2, db2, scale)
        count += B
    return total, count
