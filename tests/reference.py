"""Slow pure-Python references of the kernels: the RNG, the pair stream, one negative-sampling step."""
import numpy as np

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def stream_seed(seed, epoch, block, sub, stream):
    z = mix64((seed + GOLDEN) & M64)
    for v in (epoch, block, sub, stream):
        z = mix64(z ^ ((v + GOLDEN) & M64))
    return z or GOLDEN


def next_u64(x):
    x ^= (x << 13) & M64
    x ^= x >> 7
    x ^= (x << 17) & M64
    return x


def uniform(x):
    return np.float32(x >> 40) * np.float32(1.0 / 16777216.0)


def below(x, n):
    return ((x >> 32) * n) >> 32


def pairs(ids, offsets, subs, keep, window, dynamic, harmonic, seed, epoch, block, distinct=False):
    """(center, context, weight) lists, exactly as kernels.pairs.fill_pairs should produce them."""
    out = []
    for b in range(len(subs) - 1):
        x = stream_seed(seed, epoch, block, b, 0)
        for s in range(subs[b], subs[b + 1]):
            sent = []
            for w in ids[offsets[s]:offsets[s + 1]]:
                if keep is not None and keep[w] < 1:
                    x = next_u64(x)
                    if uniform(x) >= keep[w]:
                        continue
                sent.append(int(w))
            for i in range(len(sent)):
                r = 0
                if dynamic:
                    x = next_u64(x)
                    r = below(x, window)
                window_words = set()
                for j in range(max(0, i - window + r), min(len(sent), i + window - r + 1)):
                    if j != i and not (distinct and sent[j] in window_words):
                        window_words.add(sent[j])
                        out.append((sent[i], sent[j], 1.0 / abs(j - i) if harmonic else 1.0))
    return out


def table_sigmoid(f, size=4096, bound=8.0):
    """word2vec's tabulated sigmoid: the exact value at the middle of f's cell of [-bound, bound]; 0 / 1 outside."""
    cell = np.floor((f + bound) * (size / (2 * bound)))
    mid = (cell + 0.5) / size * 2 * bound - bound
    return np.where(f >= bound, 1.0, np.where(f <= -bound, 0.0, 1 / (1 + np.exp(-mid))))


def ns_step(inp, targets, syn1, alpha, npos=1):
    """One logistic step in float64 (tabulated sigmoid), the first npos targets labelled 1 (negative sampling:
    the observed word; hierarchical softmax: the path's nodes of code 0): (new syn1, input gradients, loss)."""
    syn1 = syn1.astype(np.float64).copy()
    inp = inp.astype(np.float64)
    out = syn1[targets]
    scores = inp @ out.T
    s = table_sigmoid(scores)
    labels = np.zeros(len(targets))
    labels[:npos] = 1
    g = (labels - s) * alpha
    loss = -(np.log(s[:, :npos]).sum() + np.log(1 - s[:, npos:]).sum())
    grad = np.zeros_like(inp)
    for t, w in enumerate(targets):  # rows in turn: input a's gradient sees syn1[w] after inputs < a updated it
        for a in range(len(inp)):
            grad[a] += g[a, t] * syn1[w]
            syn1[w] += g[a, t] * inp[a]
    return syn1, grad, loss


def check_finite_differences(views, grads, loss, samples=25, eps=1e-6, seed=0):
    """Each of up to `samples` entries of every parameter view (float64) against the central difference of
    loss(): |numeric - analytic| <= 1e-5 + 1e-4 |numeric|. Returns the parameters' names."""
    rng = np.random.default_rng(seed)
    for name, view in views.items():
        flat, g = view.reshape(-1), grads[name].reshape(-1)
        for i in rng.choice(flat.size, min(flat.size, samples), replace=False):
            keep = flat[i]
            flat[i] = keep + eps
            up = loss()
            flat[i] = keep - eps
            down = loss()
            flat[i] = keep
            numeric = (up - down) / (2 * eps)
            assert abs(numeric - g[i]) <= 1e-5 + 1e-4 * abs(numeric), (name, i, numeric, g[i])
    return list(views)
