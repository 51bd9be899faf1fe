"""Tiny labelled data the task tests make for themselves: a grammar's sentences with POS and IOB2 chunk tags
(CoNLL columns), and sentences whose polarity their words carry."""
import numpy as np

LEX = {"DT": ["the", "a", "every", "this"], "JJ": ["big", "red", "old", "quick", "Dull"],
       "NN": ["dog", "cat", "house", "tree", "idea", "car", "Paris", "ship"],
       "VB": ["sees", "likes", "takes", "builds", "moves"], "IN": ["in", "on", "near", "under"]}


def phrase(rng, kind):
    if kind == "NP":
        tags = ["DT"] + ["JJ"] * int(rng.integers(0, 3)) + ["NN"]
    elif kind == "VP":
        tags = ["VB"]
    else:
        tags = ["IN"]
    return [(str(rng.choice(LEX[t])), t) for t in tags]


def tagged_sentences(n: int, seed: int):
    """n sentences of (word, POS, chunk) triples: NP VP NP [PP NP]."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        kinds = ["NP", "VP", "NP"] + (["PP", "NP"] if rng.random() < 0.5 else [])
        sent = []
        for kind in kinds:
            for i, (w, t) in enumerate(phrase(rng, kind)):
                sent.append((w, t, ("B-" if i == 0 else "I-") + kind))
        out.append(sent)
    return out


def write_conll(path, sentences, columns=3):
    with open(path, "w") as f:
        f.write("-DOCSTART- -X- O\n\n")
        for s in sentences:
            f.write("".join(" ".join(tok[:columns]) + "\n" for tok in s) + "\n")
    return str(path)


GOOD, BAD = ["good", "great", "fine", "superb"], ["bad", "awful", "poor", "dull"]
NEUTRAL = ["the", "film", "plot", "was", "a", "movie", "acting", "and", "story", "it"]


def polarity(n: int, seed: int):
    """(texts, labels): neutral words and one to three words of the label's polarity."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(n):
        pos = bool(rng.random() < 0.5)
        words = list(rng.choice(NEUTRAL, int(rng.integers(3, 8))))
        for _ in range(int(rng.integers(1, 4))):
            words.insert(int(rng.integers(0, len(words) + 1)), str(rng.choice(GOOD if pos else BAD)))
        texts.append(" ".join(words))
        labels.append("pos" if pos else "neg")
    return texts, labels


def write_rows(path, texts, labels):
    import pyarrow as pa
    import pyarrow.parquet as pq
    pq.write_table(pa.table({"text": texts, "label": labels}), path)
    return str(path)
