"""score.py: token accuracy, conlleval's phrase counts (hand-counted cases, a random check), class scores."""
import random

import pytest

from streamnlp.tasks.score import class_scores, is_chunk_tagset, phrase_scores, token_accuracy


def counts(s):
    return s["gold_phrases"], s["predicted_phrases"], s["correct_phrases"]


def test_token_accuracy():
    # 5 tokens, 4 right (the third of the first sentence is wrong)
    assert token_accuracy([["a", "b", "c"], ["d", "e"]], [["a", "b", "x"], ["d", "e"]]) == pytest.approx(0.8)
    assert token_accuracy([], []) == 0.0
    with pytest.raises(ValueError):
        token_accuracy([["a"]], [["a", "b"]])


def test_is_chunk_tagset():
    assert is_chunk_tagset(["O", "B-NP", "I-NP"])
    assert is_chunk_tagset(["S-PER", "B-LOC", "E-LOC", "O"])
    assert is_chunk_tagset(["I-NP", "I-VP"])  # IOB1
    assert not is_chunk_tagset(["NN", "VBZ", "DT"])  # POS tags
    assert not is_chunk_tagset(["O", "B-NP", "NN"])
    assert not is_chunk_tagset(["-LRB-", "B-"])
    assert not is_chunk_tagset(["O"])  # nothing to score


def test_iob2_exact_match():
    # phrases: NP(0-1) VP(3) | PP(0) NP(1): 4 in gold, the same 4 predicted
    gold = [["B-NP", "I-NP", "O", "B-VP"], ["B-PP", "B-NP"]]
    s = phrase_scores(gold, gold)
    assert counts(s) == (4, 4, 4)
    assert (s["precision"], s["recall"], s["f1"]) == (1.0, 1.0, 1.0)


def test_boundary_error():
    # gold NP(0-2) VP(4); predicted NP(0-1) VP(4): NP ends one token early, so only VP is correct: 1 of 2, 1 of 2
    s = phrase_scores([["B-NP", "I-NP", "I-NP", "O", "B-VP"]], [["B-NP", "I-NP", "O", "O", "B-VP"]])
    assert counts(s) == (2, 2, 1)
    assert (s["precision"], s["recall"], s["f1"]) == (0.5, 0.5, 0.5)


def test_type_error_and_per_type():
    # gold NP(0-1) PP(3); predicted VP(0-1) PP(3): the span is right but the type wrong, so PP alone is correct
    s = phrase_scores([["B-NP", "I-NP", "O", "B-PP"]], [["B-VP", "I-VP", "O", "B-PP"]])
    assert counts(s) == (2, 2, 1)
    assert s["per_type"]["NP"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "gold": 1, "predicted": 0,
                                   "correct": 0}
    assert s["per_type"]["VP"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "gold": 0, "predicted": 1,
                                   "correct": 0}
    assert s["per_type"]["PP"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "gold": 1, "predicted": 1,
                                   "correct": 1}


def test_per_type_counts():
    # gold NP(0-1) VP(2) NP(4); predicted NP(0-1) NP(2) NP(4): NP correct 2 (0-1, 4) of 3 predicted, 2 gold;
    # VP 1 gold, none predicted. Overall 3 gold, 3 predicted, 2 correct.
    s = phrase_scores([["B-NP", "I-NP", "B-VP", "O", "B-NP"]], [["B-NP", "I-NP", "B-NP", "O", "B-NP"]])
    assert counts(s) == (3, 3, 2)
    np_, vp = s["per_type"]["NP"], s["per_type"]["VP"]
    assert (np_["gold"], np_["predicted"], np_["correct"]) == (2, 3, 2)
    assert np_["precision"] == pytest.approx(2 / 3) and np_["recall"] == 1.0 and np_["f1"] == pytest.approx(0.8)
    assert (vp["gold"], vp["predicted"], vp["correct"], vp["f1"]) == (1, 0, 0, 0.0)
    assert s["precision"] == s["recall"] == s["f1"] == pytest.approx(2 / 3)


def test_iob1_i_starts_a_phrase():
    # IOB1: I-NP after the sentence start (O) starts NP(0-1); B-NP after I-NP starts NP(2): 2 phrases
    gold = [["I-NP", "I-NP", "B-NP"]]
    assert counts(phrase_scores(gold, gold)) == (2, 2, 2)
    # the same phrases written in IOB2 are all correct
    assert counts(phrase_scores(gold, [["B-NP", "I-NP", "B-NP"]])) == (2, 2, 2)


def test_i_after_o_in_predictions_starts_a_phrase():
    # predicted I-NP after O starts NP(1-2), the gold NP(1-2): correct
    assert counts(phrase_scores([["O", "B-NP", "I-NP"]], [["O", "I-NP", "I-NP"]])) == (1, 1, 1)
    # predicted I-VP after B-NP (a type change) starts VP(1): NP(0) and VP(1) both correct
    assert counts(phrase_scores([["B-NP", "B-VP"]], [["B-NP", "I-VP"]])) == (2, 2, 2)


def test_iobes():
    # gold NP(0) VP(1-2) NP(3-5): 3; predicted NP(0) VP(1-2) NP(3-4) NP(5): 4; correct NP(0), VP(1-2): 2
    s = phrase_scores([["S-NP", "B-VP", "E-VP", "B-NP", "I-NP", "E-NP", "O"]],
                      [["S-NP", "B-VP", "E-VP", "B-NP", "E-NP", "S-NP", "O"]])
    assert counts(s) == (3, 4, 2)
    assert s["precision"] == 0.5 and s["recall"] == pytest.approx(2 / 3) and s["f1"] == pytest.approx(4 / 7)
    # E then B of the same type: two phrases, NP(0-1) and NP(2-3)
    two = [["B-NP", "E-NP", "B-NP", "E-NP"]]
    assert counts(phrase_scores(two, two)) == (2, 2, 2)
    # S then S of the same type: two one-token phrases; predicted as one B-E phrase, neither is correct
    assert counts(phrase_scores([["S-NP", "S-NP"]], [["B-NP", "E-NP"]])) == (2, 1, 0)


def test_phrases_across_a_sentence_end_are_not_merged():
    # gold: NP(s0: 0-1); in s1, I-NP after the boundary starts NP(s1: 0): 2 phrases, not one running on
    gold = [["B-NP", "I-NP"], ["I-NP", "O"]]
    assert counts(phrase_scores(gold, [["B-NP", "I-NP"], ["B-NP", "O"]])) == (2, 2, 2)
    # predicted I-NP opening s1 starts a phrase of its own too: NP(s0: 0) and NP(s1: 0) both correct
    assert counts(phrase_scores([["B-NP"], ["B-NP"]], [["B-NP"], ["I-NP"]])) == (2, 2, 2)


def test_hyphen_in_a_type():
    # conlleval splits at the first '-': B-PER-NAME is type PER-NAME
    s = phrase_scores([["B-PER-NAME", "I-PER-NAME"]], [["B-PER-NAME", "I-PER-NAME"]])
    assert list(s["per_type"]) == ["PER-NAME"] and counts(s) == (1, 1, 1)


def test_empty_prediction():
    # 2 gold phrases, nothing predicted: precision 0 (not undefined), recall 0, F1 0
    s = phrase_scores([["B-NP", "O", "B-VP"]], [["O", "O", "O"]])
    assert counts(s) == (2, 0, 0)
    assert (s["precision"], s["recall"], s["f1"]) == (0.0, 0.0, 0.0)
    assert s["per_type"]["NP"]["predicted"] == 0
    assert phrase_scores([], [])["f1"] == 0.0


def test_class_scores():
    # gold a a b c, predicted a b b b: right 2 of 4 (the first a, the b)
    # a: predicted once, right once -> P 1, R 1/2; b: predicted 3, right 1 -> P 1/3, R 1; c: never predicted
    s = class_scores(["a", "a", "b", "c"], ["a", "b", "b", "b"])
    assert s["accuracy"] == 0.5
    a, b, c = (s["per_class"][k] for k in "abc")
    assert (a["precision"], a["recall"], a["support"]) == (1.0, 0.5, 2) and a["f1"] == pytest.approx(2 / 3)
    assert b["precision"] == pytest.approx(1 / 3) and b["recall"] == 1.0 and b["f1"] == pytest.approx(0.5)
    assert (c["precision"], c["recall"], c["f1"], c["support"]) == (0.0, 0.0, 0.0, 1)


def random_sequences(rng, n, scheme):
    """Random tags, valid or not: IOB2 draws B-, I- and O freely (so I- after O occurs); IOB1 mostly I-."""
    types = ["NP", "VP", "PP"]
    weights = {"iob2": [2, 2, 2], "iob1": [1, 5, 2]}[scheme]
    out = []
    for _ in range(n):
        seq = []
        for _ in range(rng.randint(0, 12)):
            prefix = rng.choices(["B", "I", "O"], weights)[0]
            seq.append("O" if prefix == "O" else f"{prefix}-{rng.choice(types)}")
        out.append(seq)
    return out


def spans(sentences):
    """Phrases as (sentence, start, end, type), found independently of conlleval's code: a phrase starts at B-,
    or at I- after O, another type or a sentence start, and runs on over I- of its type."""
    out = set()
    for s, tags in enumerate(sentences):
        start = kind = None
        for i, tag in enumerate([*tags, "O"]):
            prefix, _, type_ = tag.partition("-")
            if start is not None and (prefix != "I" or type_ != kind):
                out.add((s, start, i, kind))
                start = None
            if prefix == "B" or (prefix == "I" and start is None):
                start, kind = i, type_
    return out


@pytest.mark.parametrize("scheme", ["iob2", "iob1"])
def test_random_against_span_sets(scheme):
    rng = random.Random(7)
    for _ in range(200):
        gold = random_sequences(rng, rng.randint(1, 5), scheme)
        pred = [[t if rng.random() < 0.7 else rng.choice(["O", "B-NP", "I-NP", "I-VP"]) for t in g] for g in gold]
        g, p = spans(gold), spans(pred)
        s = phrase_scores(gold, pred)
        assert counts(s) == (len(g), len(p), len(g & p))
        for t in ("NP", "VP", "PP"):
            want = (len({x for x in g if x[3] == t}), len({x for x in p if x[3] == t}),
                    len({x for x in g & p if x[3] == t}))
            got = s["per_type"].get(t, {"gold": 0, "predicted": 0, "correct": 0})
            assert (got["gold"], got["predicted"], got["correct"]) == want
