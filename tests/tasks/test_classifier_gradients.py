"""The sentence classifier's gradients of every parameter (word table, hidden layer or GRU, output layer, the mean
model's linear part) against
central finite differences of its loss, for --model mean and --model gru."""
import numpy as np
import pytest
import reference

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
    weight = rng.uniform(0.5, 2.0, len(words))  # rows weighted unequally in the mean and the linear part
    m = SentenceClassifier(cfg, words, m.labels, 4, flat=m.p.flat.astype(np.float64), weight=weight)
    if model == "mean":  # the linear part starts at zero: give it weights that reach the loss
        m.p["bag"][...] = rng.standard_normal(m.p["bag"].shape)
    enc = m.encode(texts, labels)
    batch = int(np.argmax(np.diff(enc.bstarts)))  # the three sentences of length 3
    assert enc.bstarts[batch + 1] - enc.bstarts[batch] == 3
    return m, enc, batch


@pytest.mark.parametrize("model", ["mean", "gru"])
def test_every_parameter_matches_finite_differences(model):
    m, enc, batch = tiny(model)
    loss, grads = m.loss_and_grad(enc, batch)
    assert loss > 0
    for name in m.p.views:
        assert np.abs(grads[name]).max() > 0, name
    reference.check_finite_differences(m.p.views, grads, lambda: m.loss_and_grad(enc, batch)[0])


@pytest.mark.parametrize("model", ["mean", "gru"])
def test_the_scores_predictions_use_are_the_ones_training_scores(model):
    m, enc, batch = tiny(model)
    sents = enc.members[enc.bstarts[batch]:enc.bstarts[batch + 1]]
    sc = m.scores(enc)[sents].astype(np.float64)
    y = enc.labels[sents]
    shifted = sc - sc.max(axis=1, keepdims=True)
    loss = float((np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(len(y)), y]).sum())
    assert loss == pytest.approx(m.loss_and_grad(enc, batch)[0], rel=1e-5)
