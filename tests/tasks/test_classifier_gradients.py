"""The sentence classifier's gradients of every parameter (word table, hidden layer or GRU, output layer) against
central finite differences of its loss, for --model mean and --model gru."""
import numpy as np
import pytest

from streamnlp.run.config import ClassifierConfig
from streamnlp.tasks.classifier import SentenceClassifier
from streamnlp.tasks.features import Index


def tiny(model: str):
    rng = np.random.default_rng(4)
    vocab = ["good", "bad", "film", "plot", "very", "dull"]
    texts = [list(rng.choice(vocab, n)) for n in (3, 3, 3, 5, 2)]
    labels = ["pos", "neg", "pos", "neg", "neu"]
    cfg = ClassifierConfig(model=model, hidden=5, batch=8, seed=2)
    words = Index.counted(texts)
    emb = rng.standard_normal((len(words), 4)) * 0.5
    m = SentenceClassifier(cfg, words, sorted(set(labels)), 4, emb=emb)
    m = SentenceClassifier(cfg, words, m.labels, 4, flat=m.p.flat.astype(np.float64))
    enc = m.encode(texts, labels)
    batch = int(np.argmax(np.diff(enc.bstarts)))  # the three sentences of length 3
    assert enc.bstarts[batch + 1] - enc.bstarts[batch] == 3
    return m, enc, batch


@pytest.mark.parametrize("model", ["mean", "gru"])
def test_every_parameter_matches_finite_differences(model):
    m, enc, batch = tiny(model)
    loss, grads = m.loss_and_grad(enc, batch)
    assert loss > 0
    rng = np.random.default_rng(0)
    eps = 1e-6
    for name, view in m.p.views.items():
        flat, g = view.reshape(-1), grads[name].reshape(-1)
        assert np.abs(g).max() > 0, name
        for i in rng.choice(flat.size, min(flat.size, 25), replace=False):
            keep = flat[i]
            flat[i] = keep + eps
            up, _ = m.loss_and_grad(enc, batch)
            flat[i] = keep - eps
            down, _ = m.loss_and_grad(enc, batch)
            flat[i] = keep
            numeric = (up - down) / (2 * eps)
            assert abs(numeric - g[i]) <= 1e-5 + 1e-4 * abs(numeric), (name, i, numeric, g[i])
