"""Skip-gram and CBOW with negative sampling: Hogwild over sub-blocks of a token block.

Shapes: V words, D dims, syn0 (V, D) input vectors, syn1 (V, D) output vectors, both float32 and
updated in place by all threads without locks (Hogwild, as word2vec.c and gensim do). Each
sub-block draws its pairs from its own PAIRS_STREAM generator, exactly as pairs.fill_pairs does, and
its noise words from NOISE_STREAM. Losses go to per-sub-block float64 buffers.
"""
from collections import namedtuple

import numpy as np
from numba import njit

from .common import (
    JIT,
    NOISE_STREAM,
    PAIRS_STREAM,
    draw_noise,
    fetch_add,
    next_u64,
    prefetch_row,
    read_sentence,
    seen,
    stream_seed,
    window_bounds,
)

# word2vec's tabulated sigmoid, finer: 4096 cells over [-8, 8] (word2vec.c and gensim: 1000 over [-6, 6]).
# Measured on realtext, 2 threads: skip-gram 11% faster than np.exp under fastmath, same quality.
EXP_TABLE_SIZE = 4096
# Centers between two syncs of a thread's hot-row copies when k work units run at once: HOT_SYNC_CENTERS / k.
HOT_SYNC_CENTERS = 4096
MAX_EXP = np.float32(8.0)
TABLE_SCALE = np.float32(EXP_TABLE_SIZE / (2 * MAX_EXP))
_mid = (np.arange(EXP_TABLE_SIZE) + 0.5) / TABLE_SCALE - MAX_EXP
SIGMOID_TABLE = (1.0 / (1.0 + np.exp(-_mid))).astype(np.float32)
# The steps' sigmoid and loss by cell: 0 below -8, 1 + the table's cells, EXP_TABLE_SIZE + 1 above +8. A label
# of 1 scored in cell c adds LOSS_POS[c] = -log(sigmoid), one of 0 LOSS_NEG[c] = -log(1 - sigmoid), each
# probability floored at 1e-7. Adding them up costs a load and an add per target; a product of the
# probabilities with one log a step took 10% of CBOW's hierarchical softmax step (np.log alone, 20 ns a call).
SIGMOID_CELLS = np.concatenate([[0.0], SIGMOID_TABLE, [1.0]]).astype(np.float32)
LOSS_POS = -np.log(np.maximum(SIGMOID_CELLS, np.float32(1e-7)).astype(np.float64))
LOSS_NEG = -np.log(np.maximum(np.float32(1.0) - SIGMOID_CELLS, np.float32(1e-7)).astype(np.float64))


@njit(inline="always", **JIT)
def sigmoid_cell(f):
    """f's cell of SIGMOID_CELLS, LOSS_POS and LOSS_NEG: sigmoid(f) at the middle of f's table cell, exactly 0 or 1
    beyond +-8."""
    if f >= MAX_EXP:
        return EXP_TABLE_SIZE + 1
    if f <= -MAX_EXP:
        return 0
    return int((f + MAX_EXP) * TABLE_SCALE) + 1


@njit(inline="always", **JIT)
def ns_update(src, rows, base, m, targets, slot, nt, syn1, alpha, grad, g, npos, skip, D):
    """The negative-sampling step: CBOW's, and skip-gram's without shared noise words (m = 1 there);
    skip-gram's window takes ns_window_update, the same step in another order that also adds the
    gradients to the inputs' rows.

    The m input vectors are src[rows[base + a]] (skip-gram: rows of syn0 itself, read in place; CBOW:
    its averaged context in a buffer), targets[slot, :nt] the output rows, the first npos labelled 1 (the
    observed word; hierarchical softmax: the path's nodes whose branch code is 0), the rest 0 (noise
    words; the nodes of code 1). Raises the scores of the first and lowers the others' by SGD on the
    logistic loss (a target whose score is past +-skip takes no step: word2vec.c's and gensim's hierarchical
    softmax skip those nodes; negative sampling passes no bound): scores come from the weights as given;
    then, input by input and target by
    target, grad[a] takes g * syn1[w] before syn1[w] takes g * input a (word2vec.c's order when m == 1),
    so each input sees the output rows as the inputs before it left them. src is not written. Returns
    the summed loss.

    Inlined into the workers (a call a center): CBOW under --hs trained 3-4% faster than through a call, in
    every one of ten alternated epochs (tools/train_ab.py --code), and its worker compiles in 2.9 s, not 1.9.
    """
    loss = 0.0
    one = np.float32(1.0)
    for a in range(m):
        r = rows[base + a]
        for t in range(0, nt, 3):  # scores three targets at a time: one load of the input serves them all
            w1 = targets[slot, t]
            w2 = targets[slot, min(t + 1, nt - 1)]
            w3 = targets[slot, min(t + 2, nt - 1)]
            f1 = np.float32(0.0)
            f2 = np.float32(0.0)
            f3 = np.float32(0.0)
            for d in range(D):
                x = src[r, d]
                f1 += x * syn1[w1, d]
                f2 += x * syn1[w2, d]
                f3 += x * syn1[w3, d]
            g[a, t] = f1
            if t + 1 < nt:
                g[a, t + 1] = f2
            if t + 2 < nt:
                g[a, t + 2] = f3
        for t in range(nt):
            f = g[a, t]
            c = sigmoid_cell(f)
            s = SIGMOID_CELLS[c]
            if t < npos:
                g[a, t] = (one - s) * alpha
                loss += LOSS_POS[c]
            else:
                g[a, t] = -s * alpha
                loss += LOSS_NEG[c]
            if f >= skip or f <= -skip:  # hierarchical softmax's nodes past +-skip take no step (word2vec.c's)
                g[a, t] = np.float32(0.0)
    for a in range(m):  # up to three distinct targets per pass over the row: fewer loads and stores
        r = rows[base + a]
        for d in range(D):
            grad[a, d] = np.float32(0.0)
        t = 0
        while t < nt:
            w1, g1 = targets[slot, t], g[a, t]
            if t + 2 < nt and targets[slot, t + 1] != w1 and targets[slot, t + 2] != w1 and \
                    targets[slot, t + 2] != targets[slot, t + 1]:
                w2, g2 = targets[slot, t + 1], g[a, t + 1]
                w3, g3 = targets[slot, t + 2], g[a, t + 2]
                for d in range(D):
                    x = src[r, d]
                    s1 = syn1[w1, d]
                    s2 = syn1[w2, d]
                    s3 = syn1[w3, d]
                    grad[a, d] += g1 * s1 + g2 * s2 + g3 * s3
                    syn1[w1, d] = s1 + g1 * x
                    syn1[w2, d] = s2 + g2 * x
                    syn1[w3, d] = s3 + g3 * x
                t += 3
            elif t + 1 < nt and targets[slot, t + 1] != w1:
                w2, g2 = targets[slot, t + 1], g[a, t + 1]
                for d in range(D):
                    x = src[r, d]
                    s1 = syn1[w1, d]
                    s2 = syn1[w2, d]
                    grad[a, d] += g1 * s1 + g2 * s2
                    syn1[w1, d] = s1 + g1 * x
                    syn1[w2, d] = s2 + g2 * x
                t += 2
            else:
                for d in range(D):
                    grad[a, d] += g1 * syn1[w1, d]
                    syn1[w1, d] += g1 * src[r, d]
                t += 1
    return loss


@njit(inline="always", **JIT)
def ns_window_update(src, rows, base, m, targets, slot, nt, syn1, alpha, grad, g, npos, skip, D):
    """ns_update for skip-gram's window (m inputs, one noise set) with the target rows outermost: each
    group of distinct targets is scored against the window's inputs two at a time (one load of a target
    serves both), then updated by them two at a time (the second sees the rows as the first left
    them), instead of input by input. The same step (only the updates of a word drawn twice for the
    noise set come in another order), except that it also adds each input's gradient to its row of
    src in the last group's pass (the window's rows are distinct, and src is syn0): ns_update leaves
    that to the caller. On 2 cores one epoch trains 20% faster than with ns_update. On many cores it
    also holds each output row that all threads write for one burst rather than the whole step (what
    that is worth there is still to be measured). The loops are written out here and in ns_update
    alike: as Numba helpers (inline or not) the same step ran 1.6-2.6x slower, and the per-target sigmoid and
    loss as an inline helper shared by both made CBOW's epoch under --hs 20% slower (eight alternated epochs of
    eight, one thread; the losses the same). Inlined into the workers as
    ns_update is: skip-gram's epoch 7% faster on one thread, 5-6% on two (three of four alternated pairs).
    """
    loss = 0.0
    one = np.float32(1.0)
    for t in range(0, nt, 3):  # three targets at a time, as ns_update
        w1 = targets[slot, t]
        w2 = targets[slot, min(t + 1, nt - 1)]
        w3 = targets[slot, min(t + 2, nt - 1)]
        for a0 in range(0, m, 2):  # two inputs at a time: one load of each target row serves both
            r = rows[base + a0]
            q = rows[base + min(a0 + 1, m - 1)]
            f1 = np.float32(0.0)
            f2 = np.float32(0.0)
            f3 = np.float32(0.0)
            h1 = np.float32(0.0)
            h2 = np.float32(0.0)
            h3 = np.float32(0.0)
            for d in range(D):
                x = src[r, d]
                y = src[q, d]
                v1 = syn1[w1, d]
                v2 = syn1[w2, d]
                v3 = syn1[w3, d]
                f1 += x * v1
                f2 += x * v2
                f3 += x * v3
                h1 += y * v1
                h2 += y * v2
                h3 += y * v3
            g[a0, t] = f1
            if t + 1 < nt:
                g[a0, t + 1] = f2
            if t + 2 < nt:
                g[a0, t + 2] = f3
            if a0 + 1 < m:
                g[a0 + 1, t] = h1
                if t + 1 < nt:
                    g[a0 + 1, t + 1] = h2
                if t + 2 < nt:
                    g[a0 + 1, t + 2] = h3
    for a in range(m):
        for t in range(nt):
            f = g[a, t]
            c = sigmoid_cell(f)
            s = SIGMOID_CELLS[c]
            if t < npos:
                g[a, t] = (one - s) * alpha
                loss += LOSS_POS[c]
            else:
                g[a, t] = -s * alpha
                loss += LOSS_NEG[c]
            if f >= skip or f <= -skip:  # hierarchical softmax's nodes past +-skip take no step (word2vec.c's)
                g[a, t] = np.float32(0.0)
    for a in range(m):
        for d in range(D):
            grad[a, d] = np.float32(0.0)
    t = 0  # up to three distinct targets per pass, each taking all m inputs before the next
    while t < nt:
        w1 = targets[slot, t]
        if t + 2 < nt and targets[slot, t + 1] != w1 and targets[slot, t + 2] != w1 and \
                targets[slot, t + 2] != targets[slot, t + 1]:
            w2 = targets[slot, t + 1]
            w3 = targets[slot, t + 2]
            last = t + 3 >= nt
            a = 0
            while a + 1 < m:  # two inputs per pass: the second sees the rows as the first left them
                r = rows[base + a]
                q = rows[base + a + 1]
                g1, g2, g3 = g[a, t], g[a, t + 1], g[a, t + 2]
                h1, h2, h3 = g[a + 1, t], g[a + 1, t + 1], g[a + 1, t + 2]
                for d in range(D):
                    x = src[r, d]
                    y = src[q, d]
                    s1 = syn1[w1, d]
                    s2 = syn1[w2, d]
                    s3 = syn1[w3, d]
                    ga = grad[a, d] + (g1 * s1 + g2 * s2 + g3 * s3)
                    s1 += g1 * x
                    s2 += g2 * x
                    s3 += g3 * x
                    gb = grad[a + 1, d] + (h1 * s1 + h2 * s2 + h3 * s3)
                    syn1[w1, d] = s1 + h1 * y
                    syn1[w2, d] = s2 + h2 * y
                    syn1[w3, d] = s3 + h3 * y
                    grad[a, d] = ga
                    grad[a + 1, d] = gb
                    if last:
                        src[r, d] = x + ga
                        src[q, d] = y + gb
                a += 2
            if a < m:
                r = rows[base + a]
                g1, g2, g3 = g[a, t], g[a, t + 1], g[a, t + 2]
                for d in range(D):
                    x = src[r, d]
                    s1 = syn1[w1, d]
                    s2 = syn1[w2, d]
                    s3 = syn1[w3, d]
                    ga = grad[a, d] + (g1 * s1 + g2 * s2 + g3 * s3)
                    syn1[w1, d] = s1 + g1 * x
                    syn1[w2, d] = s2 + g2 * x
                    syn1[w3, d] = s3 + g3 * x
                    grad[a, d] = ga
                    if last:
                        src[r, d] = x + ga
            t += 3
        elif t + 1 < nt and targets[slot, t + 1] != w1:
            w2 = targets[slot, t + 1]
            last = t + 2 >= nt
            for a in range(m):
                r = rows[base + a]
                g1, g2 = g[a, t], g[a, t + 1]
                for d in range(D):
                    x = src[r, d]
                    s1 = syn1[w1, d]
                    s2 = syn1[w2, d]
                    ga = grad[a, d] + (g1 * s1 + g2 * s2)
                    syn1[w1, d] = s1 + g1 * x
                    syn1[w2, d] = s2 + g2 * x
                    grad[a, d] = ga
                    if last:
                        src[r, d] = x + ga
            t += 2
        else:
            last = t + 1 >= nt
            for a in range(m):
                r = rows[base + a]
                g1 = g[a, t]
                for d in range(D):
                    x = src[r, d]
                    ga = grad[a, d] + g1 * syn1[w1, d]
                    syn1[w1, d] += g1 * x
                    grad[a, d] = ga
                    if last:
                        src[r, d] = x + ga
            t += 1
    return loss


# draw_targets and prepare_center take shared arrays (weights, noise tables) and are inlined into the
# kernel: a call takes a reference to each array it is given, an atomic add on that array's one counter,
# and with a call per center word every thread would keep pulling those counters' cache lines from the
# others. For the same reason the per-center buffers are indexed by slot rather than sliced into views.

@njit(inline="always", **JIT)
def local_row(w, hot, off):
    """The row this work unit trains word w in: its own copy (row off + w) if w is one of the `hot` most
    frequent words, else the shared row w."""
    return off + w if w < hot else w


@njit(inline="always", **JIT)
def draw_targets(center, negative, prob, alias, targets, slot, state, hot_out, off):
    """targets[slot, 0] = center, then `negative` noise words (a draw equal to center is skipped, as
    word2vec), as local_row rows. Returns (count, state)."""
    targets[slot, 0] = local_row(center, hot_out, off)
    nt = np.int64(1)  # not a literal 1, which would compile ns_update once more
    for _ in range(negative):
        state = next_u64(state)
        w = draw_noise(state, prob, alias)
        if w != center:
            targets[slot, nt] = local_row(w, hot_out, off)
            nt += 1
    return nt, state


@njit(inline="always", **JIT)
def prepare_center(buf, i, n, window, ctx, targets, slot, draw, distinct, negative, prob, alias, ps, ns, syn0,
                   syn1, hot, hot_out, off):
    """Context words of center i into ctx[slot * 2 * window:] (each once if `distinct`) and, if `draw`,
    its noise set into targets[slot] (only when it has context, as word2vec); starts loading their rows.
    Returns (context size, target count, ps, ns)."""
    lo, hi, ps = window_bounds(i, n, window, True, ps)
    base = slot * 2 * window
    m = 0
    for j in range(lo, hi):
        w = local_row(buf[j], hot, off)
        if j != i and not (distinct and seen(ctx, base, m, w)):
            ctx[base + m] = w
            prefetch_row(syn0, w)
            m += 1
    nt = 0
    if m > 0 and draw:
        nt, ns = draw_targets(buf[i], negative, prob, alias, targets, slot, ns, hot_out, off)
        for t in range(nt):
            prefetch_row(syn1, targets[slot, t])
    return m, nt, ps, ns


@njit(**JIT)
def pull_hot(syn0, syn1, base0, base1, hot, hot_out, off, b):
    """Start this thread's copies of the hot rows (rows off.. of syn0 and syn1, their starting values kept
    at rows b.. of base0/base1) from the shared rows: syn0's rows 0..hot-1, syn1's 0..hot_out-1."""
    _pull_rows(syn0, base0, hot, off, b)
    _pull_rows(syn1, base1, hot_out, off, b)


@njit(**JIT)
def push_hot(syn0, syn1, base0, base1, hot, hot_out, out_share, off, b):
    """Add this thread's change to the hot rows (its copies at rows off.., minus their starting
    values at rows b.. of base0/base1) to the shared rows: syn0's rows 0..hot-1, syn1's 0..hot_out-1 (their
    change times out_share). Then restart the copies from the shared rows' current values.

    k threads that start from the same row and each move it a fraction f of the way to where their data
    pulls it move it k*f in all; where f nears 1 the sum overshoots k-fold and, for k > 2, grows. Output
    rows of the most frequent words get there within a few dozen centers (such a word is among a
    center's noise words every few centers), so with k > 2 the caller copies input rows only
    (hot_out = 0): summed input rows stayed bounded at k = 16 when synced every HOT_SYNC_CENTERS / k
    centers (tools/hot_rows_emulator.py). Copying both, 4 threads degraded skip-gram and 8 and 16 made
    NaN of it on 16 cores. Called every few thousand centers: not inlined, but each loop written for one
    case (a `push` test inside the row loop ran 2-thread skip-gram 20% slower).

    Under hierarchical softmax the output rows copied are the tree's top nodes, which every path (or most)
    crosses: f is near 1 for each of them, so the caller passes out_share = 1/k, the threads' mean, as the
    replicas on Ray take the frequent rows' (realtext, 2 threads, seeds 1-3: skip-gram's analogy 0.246-0.250
    against 0.2245-0.2318 with the sum, CBOW's 0.200-0.208 against 0.188-0.199; under negative sampling the
    mean cost skip-gram 0.012, so there it is 1)."""
    _push_rows(syn0, base0, hot, off, b, np.float32(1.0))
    _push_rows(syn1, base1, hot_out, off, b, out_share)


@njit(**JIT)
def _push_rows(syn, base, n, off, b, share):
    for w in range(n):
        for d in range(syn.shape[1]):
            v = syn[w, d] + (syn[off + w, d] - base[b + w, d]) * share
            syn[w, d] = v
            syn[off + w, d] = v
            base[b + w, d] = v


@njit(**JIT)
def _pull_rows(syn, base, n, off, b):
    for w in range(n):
        for d in range(syn.shape[1]):
            v = syn[w, d]
            syn[off + w, d] = v
            base[b + w, d] = v


# The three training steps; a worker is compiled for one of them (the one a run uses), its other
# branches pruned before typing.
SG_WINDOW, SG_PAIRS, CBOW, SG_HS, CBOW_HS, SG_HS_PAIRS = 0, 1, 2, 3, 4, 5
HS_SKIP = np.float32(6.0)  # word2vec.c's MAX_EXP: hierarchical softmax's nodes scored past +-6 take no step
NO_SKIP = np.float32(np.inf)

# A block's settings: the sampling (subsample, window, negative), the learning-rate schedule (alpha0
# decaying over `total` tokens from the block's position pos0), the random streams (seed, epoch, block),
# and the hot rows (n_words, hot, hot_out, hot_every, out_share, hot_lasting).
Step = namedtuple("Step", "subsample window negative alpha0 pos0 total seed epoch block n_words hot hot_out "
                         "hot_every out_share hot_lasting")


def variant(sg: bool, shared: bool, hs: bool = False) -> int:
    """The step of skip-gram (sg) or CBOW; skip-gram with `shared` noise words per window or a set per pair;
    with `hs`, hierarchical softmax's (no noise words)."""
    if hs:
        return (SG_HS if shared else SG_HS_PAIRS) if sg else CBOW_HS
    return (SG_WINDOW if shared else SG_PAIRS) if sg else CBOW


def _make_worker(kind: int, dim: int):
    """train_worker compiled for one step `kind` and vector size `dim`, constants of the closure: Numba prunes the
    other kinds' branches, and LLVM lays every row loop out for the dim columns that the model has (FIXED_DIMS;
    line_aligned's zero columns after them are left alone); dim 0 takes every column of syn0, whatever their
    number. Each (kind, dim) has a name of its own, and so a cache index of its own: two processes compiling
    two kinds at once never write one index."""

    def train_worker(tid, next_sub, step, ids, offsets, subs, max_len, syn0, syn1, base0, base1, keep, prob, alias,
                     losses, pairs, trace, trace_n, tree_targets, tree_npos, tree_len):
        """One thread's share of a block (ids, sentence offsets) split at `subs`: it takes sub-blocks off the
        shared counter next_sub[0] until none is left, so sub-blocks go to whichever thread is free (they
        differ in cost), and writes each one's summed loss and positive pairs into losses[b], pairs[b].
        Threads run this side by side (it releases the GIL) and update syn0 and syn1 without locks
        (Hogwild, as word2vec.c and gensim do); a sub-block's result does not depend on which thread ran it.

        Skip-gram (SG_WINDOW, SG_PAIRS): each context word predicts the center word; CBOW: the mean of the
        context predicts it. SG_HS and CBOW_HS predict it by hierarchical softmax instead: the same steps,
        their targets the center's path in the Huffman tree, tree_targets[center, :tree_len[center]] (syn1's
        rows are the tree's inner nodes), the first tree_npos[center] labelled 1 (kernels.huffman).
        SG_WINDOW draws one noise set per window and updates the window's distinct
        context rows as one (m x nt) step; SG_PAIRS one noise set per pair, as word2vec.c. (A word repeated
        k times in one window would take k stale steps at once; on runs like "00000 00000 ..." that
        feedback blew rows up to norms in the thousands, so the shared step counts it once.) The learning
        rate decays linearly with the global token position pos0 + offset over `total` tokens, floored at
        alpha0*1e-4. trace (n_sub, cap, 2) records each positive (center, context) pair when it has rows
        (tests).
        hot > 0: syn0 and syn1 hold n_words rows and then `hot` rows per thread; a sub-block copies the hot
        (most frequent) words' input rows, and the first hot_out of their output rows, into thread tid's
        rows, trains on those, and adds their change to the shared rows (base0/base1 keep the copies'
        starting values) every `hot_every` centers and at its end, so the rows that every thread writes
        all the time move between cores once per hot_every centers. The caller sets hot_out and hot_every
        from the number of threads (push_hot). With hot_lasting the copies last over all the sub-blocks a
        thread takes (pulled at its first, pushed every hot_every centers and when it is done) instead of
        starting afresh at each; the caller chooses (train.word2vec.hot_copies).

        A plain function run on the caller's threads, not a parallel loop: Numba's parallel passes and its
        recompiling of every function a parallel loop calls made a first run compile skip-gram for 21 s
        (6.6 s as it is).
        """
        (subsample, window, negative, alpha0, pos0, total, seed, epoch, block, n_words, hot, hot_out,
         hot_every, out_share, lasting) = step
        n_sub = subs.shape[0] - 1
        D = dim if dim else syn0.shape[1]  # the model's columns; any after them (line_aligned's) stay zero
        if D > syn0.shape[1]:
            raise ValueError("train_worker: compiled for wider vectors than the matrices'")
        tracing = trace.shape[0] > 0
        hs = kind == SG_HS or kind == CBOW_HS or kind == SG_HS_PAIRS
        draw_early = kind != SG_PAIRS and not hs  # one noise set per center: drawn when the center is prepared
        distinct = kind == SG_WINDOW or kind == SG_HS
        off = n_words + tid * hot
        buf = np.empty(max_len, dtype=np.int32)
        ctx = np.empty(2 * 2 * window, dtype=np.int64)  # two slots: the center training and the next one
        width = max(negative + 1, tree_targets.shape[1])
        targets = np.empty((2, width), dtype=np.int64)
        ms = np.zeros(2, dtype=np.int64)
        nts = np.zeros(2, dtype=np.int64)
        mean = np.empty((1, D), dtype=np.float32)  # CBOW's input: the context's average
        row0 = np.zeros(1, dtype=np.int64)
        grad = np.empty((2 * window, D), dtype=np.float32)
        g = np.empty((2 * window, width), dtype=np.float32)
        one_pos = np.int64(1)
        skip = HS_SKIP if hs else NO_SKIP
        since = 0
        took = False  # a sub-block yet
        while True:
            b = fetch_add(next_sub, 1)
            if b >= n_sub:
                break
            if not (lasting and took):
                pull_hot(syn0, syn1, base0, base1, hot, hot_out, off, tid * hot)
                since = 0
            took = True
            ps = stream_seed(seed, epoch, block, b, PAIRS_STREAM)
            ns = stream_seed(seed, epoch, block, b, NOISE_STREAM)
            loss = 0.0
            npairs = 0
            for s in range(subs[b], subs[b + 1]):
                start, end = offsets[s], offsets[s + 1]
                alpha = np.float32(alpha0 * max(1e-4, 1.0 - (pos0 + start) / total))
                n, ps = read_sentence(ids, start, end, keep, subsample, buf, ps)
                if n == 0:
                    continue
                # center i + 1 is prepared (window, noise words, prefetched rows) while center i trains;
                # each generator is still drawn in center order, so results do not change
                ms[0], nts[0], ps, ns = prepare_center(buf, 0, n, window, ctx, targets, 0, draw_early, distinct,
                                                      negative, prob, alias, ps, ns, syn0, syn1, hot, hot_out, off)
                for i in range(n):
                    if hot > 0:
                        since += 1
                        if since == hot_every:
                            push_hot(syn0, syn1, base0, base1, hot, hot_out, out_share, off, tid * hot)
                            since = 0
                    cur = i & 1
                    if i + 1 < n:
                        ms[1 - cur], nts[1 - cur], ps, ns = prepare_center(
                            buf, i + 1, n, window, ctx, targets, 1 - cur, draw_early, distinct, negative, prob,
                            alias, ps, ns, syn0, syn1, hot, hot_out, off)
                    m, nt, base = ms[cur], nts[cur], cur * 2 * window
                    if m == 0:
                        continue
                    center = buf[i]
                    if tracing:
                        for a in range(m):
                            trace[b, trace_n[b], 0] = center
                            c = ctx[base + a]
                            trace[b, trace_n[b], 1] = c - off if c >= n_words else c
                            trace_n[b] += 1
                    npairs += m
                    npos = one_pos
                    if hs:  # the center's path is the step's targets
                        nt = np.int64(tree_len[center])
                        npos = np.int64(tree_npos[center])
                        for t in range(nt):
                            targets[cur, t] = local_row(tree_targets[center, t], hot_out, off)
                    if kind == SG_PAIRS:  # a noise set per pair (word2vec.c)
                        for a in range(m):
                            r = ctx[base + a]
                            nt, ns = draw_targets(center, negative, prob, alias, targets, cur, ns, hot_out, off)
                            loss += ns_update(syn0, ctx, base + a, 1, targets, cur, nt, syn1, alpha, grad, g, npos,
                                              skip, D)
                            for d in range(D):
                                syn0[r, d] += grad[0, d]
                    elif kind == SG_HS_PAIRS:  # each context word in turn, as word2vec.c
                        for a in range(m):
                            r = ctx[base + a]
                            loss += ns_update(syn0, ctx, base + a, 1, targets, cur, nt, syn1, alpha, grad, g, npos,
                                              skip, D)
                            for d in range(D):
                                syn0[r, d] += grad[0, d]
                    elif kind == SG_WINDOW or kind == SG_HS:
                        loss += ns_window_update(syn0, ctx, base, m, targets, cur, nt, syn1, alpha, grad, g, npos,
                                                 skip, D)
                    else:
                        scale = np.float32(1.0) / np.float32(m)
                        r = ctx[base]
                        for d in range(D):
                            mean[0, d] = syn0[r, d]
                        a = 1
                        while a + 1 < m:  # two rows a pass: fewer loads and stores of the mean
                            r, q = ctx[base + a], ctx[base + a + 1]
                            for d in range(D):
                                mean[0, d] += syn0[r, d] + syn0[q, d]
                            a += 2
                        if a < m:
                            r = ctx[base + a]
                            for d in range(D):
                                mean[0, d] += syn0[r, d]
                        for d in range(D):
                            mean[0, d] *= scale
                        loss += ns_update(mean, row0, 0, 1, targets, cur, nt, syn1, alpha, grad, g, npos, skip, D) * m
                        for a in range(m):
                            r = ctx[base + a]
                            for d in range(D):
                                syn0[r, d] += grad[0, d]
            if not lasting:
                push_hot(syn0, syn1, base0, base1, hot, hot_out, out_share, off, tid * hot)
            losses[b] = loss
            pairs[b] = npairs
        if lasting and took:
            push_hot(syn0, syn1, base0, base1, hot, hot_out, out_share, off, tid * hot)

    train_worker.__name__ = train_worker.__qualname__ = f"train_worker_{KIND_NAMES[kind]}" + (f"_{dim}" if dim else "")
    return njit(**JIT)(train_worker)


def worker(kind: int, dim: int):
    """The compiled train_worker for step `kind` and a model of dim dimensions: one for dim itself where the kind
    is one of FIXED_KINDS and dim one of FIXED_DIMS, else the one for any width."""
    return TRAIN_WORKERS.get((kind, dim), TRAIN_WORKERS[kind, 0])


KIND_NAMES = {SG_WINDOW: "sg_window", SG_PAIRS: "sg_pairs", CBOW: "cbow", SG_HS: "sg_hs", CBOW_HS: "cbow_hs",
              SG_HS_PAIRS: "sg_hs_pairs"}
# CBOW's steps have workers of their own for these vector sizes, compiled with the size as a constant (word2vec's,
# gensim's and fastText's 100; GloVe's 50 and 200). LLVM then lays each row loop out for it (no loop tail of
# unknown length, no trip-count tests), and the loops skip the row's zero columns (100 of line_aligned's 112).
# CBOW under --hs, one thread, realtext, alternated epochs (tools/train_ab.py --code): 12% faster in four of four
# against the loops over 112 columns (over 112 as a constant, 7%); at 200, 13% (four of four); at 50, two of two.
# The same losses. Not 300: 7% slower (four of six) than the loops over its 304 columns. Not skip-gram, whose
# window step (ns_window_update) ran as fast at 100 (one of four faster) and 13% slower at 200 (four of four). A
# worker for every size would make each new size compile its own (2-7 s; the tests' many small sizes each theirs).
FIXED_DIMS = (50, 100, 200)
FIXED_KINDS = (CBOW, CBOW_HS)
TRAIN_WORKERS = {**{(kind, 0): _make_worker(kind, 0) for kind in KIND_NAMES},
                 **{(kind, dim): _make_worker(kind, dim) for kind in FIXED_KINDS for dim in FIXED_DIMS}}
