"""Window tagger kernels: gather each token's window of embeddings, tanh layer, tag scores, the loss (softmax
or sentence-level log-likelihood over tag paths) and its backward pass, SGD steps, Viterbi decoding.

Shapes: N tokens, P = 2k+1 window positions, M feature columns (capitalisation first), D word dims, F feature
dims, I = P * (D + M * F) inputs, H hidden, K tags. A token's input row is, position by position, its word's
vector then its M feature vectors. words (N, P) and feats (N, P, M) hold table rows (padding rows at the
sentence edges). A (K + 1, K) holds the tag transition scores, its last row the scores of a sentence's first
tag; `allowed` (K + 1, K) marks the transitions a path may take (the others score -inf). The dense products
are BLAS calls (np.dot); the batch of one call is the rows `rows[:n]`, made of whole sentences whose bounds
(offsets into rows) are `bounds[:s + 1]`.
"""
import numpy as np
from numba import njit

from .common import JIT

NEG = -1e30


@njit(**JIT)
def gather(rows, n, words, feats, emb, femb, X):
    """X[:n] = the window inputs of tokens rows[:n]."""
    P, M = feats.shape[1], feats.shape[2]
    D, F = emb.shape[1], femb.shape[1]
    S = D + M * F
    for r in range(n):
        t = rows[r]
        for p in range(P):
            at = p * S
            w = words[t, p]
            for d in range(D):
                X[r, at + d] = emb[w, d]
            at += D
            for m in range(M):
                f = feats[t, p, m]
                for d in range(F):
                    X[r, at + d] = femb[f, d]
                at += F


@njit(**JIT)
def path_loss(Sc, lo, hi, y, T, A, dS, dA):
    """Sentence-level log-likelihood (Collobert et al. 2011) of tag path y[lo:hi] under scores Sc[lo:hi] and
    transitions A (T = exp(A), 0 where not allowed): returns log Z - score(y); puts d loss / d scores into
    dS[lo:hi] and adds d loss / d A into dA. Forward-backward in probabilities, each step's alpha scaled to
    sum 1 (Rabiner's scaling): K^2 products a token, no exp or log inside the recursion."""
    L, K = hi - lo, Sc.shape[1]
    E = np.empty((L, K))
    alpha = np.empty((L, K))
    beta = np.empty((L, K))
    c = np.empty(L)
    logz = 0.0
    for t in range(L):
        m = Sc[lo + t, 0]
        for k in range(1, K):
            m = max(m, Sc[lo + t, k])
        for k in range(K):
            E[t, k] = np.exp(Sc[lo + t, k] - m)
        logz += m
    for t in range(L):
        total = 0.0
        for k in range(K):
            acc = 0.0
            if t == 0:
                acc = T[K, k]
            else:
                for i in range(K):
                    acc += alpha[t - 1, i] * T[i, k]
            alpha[t, k] = acc * E[t, k]
            total += alpha[t, k]
        c[t] = total
        for k in range(K):
            alpha[t, k] /= total
        logz += np.log(total)
    for k in range(K):
        beta[L - 1, k] = 1.0
    for t in range(L - 2, -1, -1):
        for i in range(K):
            acc = 0.0
            for k in range(K):
                acc += T[i, k] * E[t + 1, k] * beta[t + 1, k]
            beta[t, i] = acc / c[t + 1]
    gold = A[K, y[lo]] + Sc[lo, y[lo]]
    for t in range(1, L):
        gold += A[y[lo + t - 1], y[lo + t]] + Sc[lo + t, y[lo + t]]
    for t in range(L):
        for k in range(K):
            dS[lo + t, k] = alpha[t, k] * beta[t, k]
        dS[lo + t, y[lo + t]] -= 1.0
    for k in range(K):
        dA[K, k] += alpha[0, k] * beta[0, k]
    dA[K, y[lo]] -= 1.0
    for t in range(1, L):
        for k in range(K):
            b = E[t, k] * beta[t, k] / c[t]
            for i in range(K):
                dA[i, k] += alpha[t - 1, i] * T[i, k] * b
        dA[y[lo + t - 1], y[lo + t]] -= 1.0
    return logz - gold


@njit(**JIT)
def exp_transitions(A, allowed, T):
    """T = exp(A) where a transition is allowed, 0 where not."""
    for i in range(A.shape[0]):
        for k in range(A.shape[1]):
            T[i, k] = np.exp(A[i, k]) if allowed[i, k] else 0.0


@njit(**JIT)
def token_loss(Sc, lo, hi, y, dS):
    """Summed softmax cross-entropy of tags y[lo:hi]; d loss / d scores into dS[lo:hi]."""
    K = Sc.shape[1]
    loss = 0.0
    for r in range(lo, hi):
        m = Sc[r, 0]
        for k in range(1, K):
            m = max(m, Sc[r, k])
        s = 0.0
        for k in range(K):
            e = np.exp(Sc[r, k] - m)
            dS[r, k] = e
            s += e
        for k in range(K):
            dS[r, k] /= s
        loss += np.log(s) + m - Sc[r, y[r]]
        dS[r, y[r]] -= 1.0
    return loss


@njit(**JIT)
def forward(X, n, W1, b1, W2, b2, Hb, Sc):
    """Hb[:n] = tanh(X W1 + b1), Sc[:n] = Hb W2 + b2."""
    np.dot(X[:n], W1, Hb[:n])
    for r in range(n):
        for j in range(Hb.shape[1]):
            Hb[r, j] = np.tanh(Hb[r, j] + b1[j])
    np.dot(Hb[:n], W2, Sc[:n])
    for r in range(n):
        for k in range(Sc.shape[1]):
            Sc[r, k] += b2[k]


@njit(**JIT)
def loss_and_grad(rows, n, bounds, s, words, feats, tags, emb, femb, W1, b1, W2, b2, A, allowed, viterbi,
                  X, Hb, Sc, y, dS, D2, dX, dW1, db1, dW2, db2, dA):
    """Summed loss of the batch; sets the dense gradients dW1 .. dA (dA only with viterbi) and dX[:n], the
    gradient of each token's input row (to be scattered into the tables it was gathered from)."""
    gather(rows, n, words, feats, emb, femb, X)
    forward(X, n, W1, b1, W2, b2, Hb, Sc)
    for r in range(n):
        y[r] = tags[rows[r]]
    loss = 0.0
    dA[:] = 0.0
    T = np.empty((A.shape[0], A.shape[1]))
    if viterbi:
        exp_transitions(A, allowed, T)
    for j in range(s):
        if viterbi:
            loss += path_loss(Sc, bounds[j], bounds[j + 1], y, T, A, dS, dA)
        else:
            loss += token_loss(Sc, bounds[j], bounds[j + 1], y, dS)
    backward(X, n, Hb, W1, W2, dS, D2, dX, dW1, db1, dW2, db2)
    return loss


@njit(**JIT)
def column_sums(M, n, out):
    """out[j] = sum of M[:n, j] (a bias's gradient)."""
    for j in range(out.shape[0]):
        acc = 0.0
        for r in range(n):
            acc += M[r, j]
        out[j] = acc


@njit(**JIT)
def output_backward(Hb, n, W2, dS, dW2, db2, dH):
    """The output layer's gradients from the delta at the scores dS[:n] (dW2 = H^T dS, db2); dH[:n] = dS W2^T,
    the delta pushed down to the layer below (before its derivative)."""
    np.dot(Hb[:n].T, dS[:n], dW2)
    column_sums(dS, n, db2)
    np.dot(dS[:n], W2.T, dH[:n])


@njit(**JIT)
def backward(X, n, Hb, W1, W2, dS, D2, dX, dW1, db1, dW2, db2):
    """The seed's backpropagation through forward(): the delta dS at the scores pushed down through W2^T and
    tanh'(z) = 1 - h^2 into D2; sets dW1 .. db2 and dX[:n], the gradient of each input row."""
    output_backward(Hb, n, W2, dS, dW2, db2, D2)
    for r in range(n):
        for j in range(D2.shape[1]):
            D2[r, j] *= 1.0 - Hb[r, j] * Hb[r, j]
    np.dot(X[:n].T, D2[:n], dW1)
    column_sums(D2, n, db1)
    np.dot(D2[:n], W1.T, dX[:n])


@njit(**JIT)
def scatter_step(rows, n, words, feats, dX, emb, femb, scale, train_words):
    """Table rows -= scale * their tokens' input gradients (sparse SGD on the word and feature tables)."""
    P, M = feats.shape[1], feats.shape[2]
    D, F = emb.shape[1], femb.shape[1]
    S = D + M * F
    for r in range(n):
        t = rows[r]
        for p in range(P):
            at = p * S
            if train_words:
                w = words[t, p]
                for d in range(D):
                    emb[w, d] -= scale * dX[r, at + d]
            at += D
            for m in range(M):
                f = feats[t, p, m]
                for d in range(F):
                    femb[f, d] -= scale * dX[r, at + d]
                at += F


@njit(**JIT)
def subtract(p, g, scale):
    """p -= scale * g, elementwise (any shape)."""
    p = p.reshape(-1)
    g = g.reshape(-1)
    for i in range(p.shape[0]):
        p[i] -= scale * g[i]


@njit(**JIT)
def train_sentences(order, batch, maxlen, starts, words, feats, tags, emb, femb, W1, b1, W2, b2, A, allowed,
                    viterbi, train_words, lr):
    """SGD over the sentences `order`, in batches of whole sentences of at least `batch` tokens (the last may be
    fewer), each step lr times the batch's mean gradient. Returns (summed loss, tokens)."""
    NI, H, K = W1.shape[0], W1.shape[1], W2.shape[1]
    cap = batch + maxlen
    dt = W1.dtype
    X, dX = np.empty((cap, NI), dt), np.empty((cap, NI), dt)
    Hb, D2 = np.empty((cap, H), dt), np.empty((cap, H), dt)
    Sc, dS = np.empty((cap, K), dt), np.empty((cap, K), dt)
    dW1, db1, dW2, db2 = np.empty((NI, H), dt), np.empty(H, dt), np.empty((H, K), dt), np.empty(K, dt)
    dA = np.zeros((K + 1, K), dt)
    rows = np.empty(cap, np.int64)
    y = np.empty(cap, np.int64)
    bounds = np.empty(cap + 1, np.int64)
    total, tokens = 0.0, 0
    i = 0
    while i < order.shape[0]:
        n, s = 0, 0
        bounds[0] = 0
        while i < order.shape[0] and (n < batch or s == 0):
            j = order[i]
            for t in range(starts[j], starts[j + 1]):
                rows[n] = t
                n += 1
            s += 1
            bounds[s] = n
            i += 1
        total += loss_and_grad(rows, n, bounds, s, words, feats, tags, emb, femb, W1, b1, W2, b2, A, allowed,
                               viterbi, X, Hb, Sc, y, dS, D2, dX, dW1, db1, dW2, db2, dA)
        scale = lr / n
        scatter_step(rows, n, words, feats, dX, emb, femb, scale, train_words)
        subtract(W1, dW1, scale)
        subtract(b1, db1, scale)
        subtract(W2, dW2, scale)
        subtract(b2, db2, scale)
        if viterbi:
            subtract(A, dA, scale)
        tokens += n
    return total, tokens


@njit(**JIT)
def viterbi(Sc, lo, hi, A, allowed, out):
    """out[lo:hi] = the best-scoring tag path under scores Sc[lo:hi] and transitions A."""
    L, K = hi - lo, Sc.shape[1]
    best = np.empty((L, K))
    back = np.zeros((L, K), np.int64)
    for k in range(K):
        best[0, k] = A[K, k] + Sc[lo, k] if allowed[K, k] else NEG
    for t in range(1, L):
        for k in range(K):
            m, arg = NEG * 2, 0
            for i in range(K):
                if allowed[i, k] and best[t - 1, i] + A[i, k] > m:
                    m, arg = best[t - 1, i] + A[i, k], i
            best[t, k] = m + Sc[lo + t, k]
            back[t, k] = arg
    k = 0
    for j in range(1, K):
        if best[L - 1, j] > best[L - 1, k]:
            k = j
    for t in range(L - 1, -1, -1):
        out[lo + t] = k
        k = back[t, k]


@njit(**JIT)
def predict(starts, words, feats, emb, femb, W1, b1, W2, b2, A, allowed, use_viterbi, out):
    """out[t] = the predicted tag of every token, sentence by sentence."""
    NI, H, K = W1.shape[0], W1.shape[1], W2.shape[1]
    maxlen = 1
    for j in range(starts.shape[0] - 1):
        maxlen = max(maxlen, starts[j + 1] - starts[j])
    dt = W1.dtype
    X, Hb, Sc = np.empty((maxlen, NI), dt), np.empty((maxlen, H), dt), np.empty((maxlen, K), dt)
    rows = np.empty(maxlen, np.int64)
    local = np.empty(maxlen, np.int64)
    for j in range(starts.shape[0] - 1):
        n = starts[j + 1] - starts[j]
        if n == 0:
            continue
        for r in range(n):
            rows[r] = starts[j] + r
        gather(rows, n, words, feats, emb, femb, X)
        forward(X, n, W1, b1, W2, b2, Hb, Sc)
        if use_viterbi:
            viterbi(Sc, 0, n, A, allowed, local)
        else:
            for r in range(n):
                k = 0
                for c in range(1, K):
                    if Sc[r, c] > Sc[r, k]:
                        k = c
                local[r] = k
        for r in range(n):
            out[starts[j] + r] = local[r]
