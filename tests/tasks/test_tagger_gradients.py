"""The window tagger's gradients of every parameter (word and feature tables, both layers, transitions) against
central finite differences of its loss, with a softmax per token and with the sentence-level likelihood."""
import numpy as np
import pytest
import reference

from streamnlp.run.config import TaggerConfig
from streamnlp.tasks.features import CAPS, Index, suffix
from streamnlp.tasks.labelled import Tagged
from streamnlp.tasks.tagger import WindowTagger, allowed_transitions

TAGS = ["B-NP", "B-VP", "I-NP", "I-VP", "O"]


def tiny(viterbi: bool) -> tuple[WindowTagger, object, list[int]]:
    rng = np.random.default_rng(3)
    vocab = ["the", "Cat", "sat", "on", "a", "MAT", "dog", "runs"]
    sents, tags, pos = [], [], []
    for n in (4, 1, 6, 3):
        words = list(rng.choice(vocab, n))
        sents.append(words)
        tags.append(["B-NP"] + list(rng.choice(["I-NP", "O", "B-VP"], n - 1)))
        pos.append(list(rng.choice(["DT", "NN", "VB"], n)))
    data = Tagged(sents, tags, [pos])
    cfg = TaggerConfig(window=1, hidden=7, feature_dim=3, viterbi=viterbi, seed=5, suffix=2)
    words = Index.counted([[w.lower() for w in s] for s in sents])
    emb = rng.standard_normal((len(words), 4)) * 0.5
    features = [Index(CAPS), Index.counted([suffix(w, 2) for w in s] for s in sents), Index.counted(pos)]
    model = WindowTagger(cfg, words, features, TAGS, allowed_transitions(TAGS, tags), 4, emb=emb)
    model = WindowTagger(cfg, model.words, model.features, TAGS, model.allowed, 4, flat=model.p.flat.astype(np.float64))
    model.p["A"][...] = rng.standard_normal(model.p["A"].shape)
    return model, model.encode(data), [0, 1, 2, 3]


@pytest.mark.parametrize("viterbi", [False, True])
def test_every_parameter_matches_finite_differences(viterbi):
    model, enc, sents = tiny(viterbi)
    loss, grads = model.loss_and_grad(enc, sents)
    assert loss > 0
    if viterbi:  # transitions a path may take, and some it may not (gradient 0)
        assert not model.allowed.all()
    reference.check_finite_differences(model.p.views, grads, lambda: model.loss_and_grad(enc, sents)[0])
    for name in model.p.views:
        g = grads[name].reshape(-1)
        if name != "A" or viterbi:
            assert np.abs(g).max() > 0, name


def test_the_transitions_forbid_an_inside_tag_after_another_phrase():
    ok = allowed_transitions(TAGS, [["B-NP", "I-NP", "O"]])
    row = {t: i for i, t in enumerate(TAGS)}
    start = len(TAGS)
    assert not ok[row["O"], row["I-NP"]] and not ok[row["B-VP"], row["I-NP"]] and not ok[start, row["I-VP"]]
    assert ok[row["B-NP"], row["I-NP"]] and ok[row["I-NP"], row["I-NP"]] and ok[row["O"], row["B-VP"]]
    assert allowed_transitions(TAGS, [["I-NP", "I-NP", "B-NP"]]).all()  # IOB1: an I-X may start a phrase
