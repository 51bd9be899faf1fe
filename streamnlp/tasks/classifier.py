"""The sentence classifier: words' rows -> their mean -> tanh layer (mean), or a GRU's final state (gru) -> softmax
over the labels; batches of sentences, Hogwild SGD on every thread; saving, loading and predicting."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..kernels import sentence as ks
from ..run.config import ClassifierConfig
from ..run.flat import FlatParams
from .features import Index, norm
from .modelfile import load_model, save_model


@dataclass
class Encoded:
    """Word rows ids (N,), sentence offsets starts (S + 1,), labels (S,; -1 unknown), and the batches: batch b
    is sentences members[bstarts[b]:bstarts[b + 1]], of one length each (the GRU's steps run batch-wide)."""
    ids: np.ndarray
    starts: np.ndarray
    labels: np.ndarray
    members: np.ndarray
    bstarts: np.ndarray

    @property
    def n_batches(self) -> int:
        return len(self.bstarts) - 1


def layout(model: str, V: int, D: int, H: int, C: int, bag: bool) -> list[tuple[str, tuple[int, ...]]]:
    """The parameters' names and shapes; bag: the mean model's linear part, a weight per row and label."""
    if model == "mean":
        hidden = [("W1", (D, H)), ("b1", (H,)), ("bag", (V if bag else 0, C))]
    else:
        hidden = [("Wx", (D, 3 * H)), ("bx", (3 * H,)), ("U", (H, 3 * H))]
    return [("emb", (V, D)), *hidden, ("W2", (H, C)), ("b2", (C,))]


class SentenceClassifier:
    def __init__(self, cfg: ClassifierConfig, words: Index, labels: list[str], dim: int,
                 emb: np.ndarray | None = None, flat: np.ndarray | None = None, ngrams: Index | None = None,
                 weight: np.ndarray | None = None):
        """ngrams: the word n-grams (2 .. --ngrams words, "a b") whose rows follow the words' in the table;
        weight: each row's weight in a sentence's mean (--weighting; default all 1)."""
        self.cfg, self.words, self.labels = cfg, words, labels
        self.ngrams = ngrams if ngrams is not None else Index([])
        self.label_row = {v: i for i, v in enumerate(labels)}
        rows = len(words) + len(self.ngrams)
        self.weight = np.ones(rows, np.float32) if weight is None else weight.astype(np.float32)
        self.p = FlatParams(layout(cfg.model, rows, dim, cfg.hidden, len(labels), cfg.bag_lr > 0),
                            flat=flat)
        if flat is None:
            rng = np.random.default_rng(self.cfg.seed)
            for name, view in self.p.views.items():
                if name == "bag":
                    view[...] = 0.0
                elif name == "emb":
                    view[:len(words)] = emb
                    view[len(words):] = rng.standard_normal((len(self.ngrams), dim)) * float(np.std(emb))
                else:  # PyTorch's Linear and GRU: U(-1/sqrt(fan), 1/sqrt(fan)), fan the layer's inputs (GRU: H)
                    fan = cfg.hidden if cfg.model == "gru" and name in ("Wx", "bx", "U") else \
                        self.p["W1" if name in ("W1", "b1") else "W2"].shape[0]
                    k = 1.0 / np.sqrt(fan)
                    view[...] = rng.uniform(-k, k, view.shape)

    def encode(self, texts: Sequence[Sequence[str]], labels: Sequence[str] | None = None) -> Encoded:
        ids = [self.row_ids(t) for t in texts]
        lengths = np.array([len(i) for i in ids], dtype=np.int64)
        starts = np.zeros(len(texts) + 1, np.int64)
        np.cumsum(lengths, out=starts[1:])
        ids = np.concatenate(ids) if texts else np.zeros(0, np.int32)
        y = np.array([self.label_row.get(v, -1) for v in labels] if labels is not None else [-1] * len(texts),
                     dtype=np.int64)
        # batches: sentences grouped by length (in a seeded random order within a length), cut at --batch
        order = np.lexsort((np.random.default_rng(self.cfg.seed).random(len(texts)), lengths))
        cuts = [0]
        for i in range(1, len(order) + 1):
            if i == len(order) or lengths[order[i]] != lengths[order[cuts[-1]]] or i - cuts[-1] >= self.cfg.batch:
                cuts.append(i)
        return Encoded(ids, starts, y, order.astype(np.int64), np.array(cuts if len(order) else [0], np.int64))

    def row_ids(self, text: Sequence[str]) -> np.ndarray:
        """The table rows a text reads: its words' (the unknown word's for an empty text), then its known
        n-grams' (none unknown)."""
        words = [norm(w) for w in text]
        ids = self.words.ids(words) if words else np.ones(1, np.int32)
        if len(self.ngrams) <= 2:
            return ids
        grams = [self.ngrams.row[g] for g in ngrams_of(words, self.cfg.ngrams) if g in self.ngrams.row]
        return np.concatenate([ids, np.array(grams, np.int32) + len(self.words)])

    def train_batches(self, enc: Encoded, batches: np.ndarray, lr: float, when: int = 0,
                      drop: float | None = None) -> tuple[float, int]:
        """One thread's SGD steps over `batches`: (summed loss, sentences). `when` numbers the piece of the run
        (word dropout's draws depend on it and the batch alone); drop: --word-dropout unless given."""
        p, c = self.p, self.cfg
        train_words = not c.freeze_vectors
        if c.model == "mean":
            return ks.train_mean(batches, enc.bstarts, enc.members, enc.ids, enc.starts, enc.labels, p["emb"],
                                 self.weight, p["W1"], p["b1"], p["W2"], p["b2"], p["bag"], lr, train_words,
                                 c.word_dropout if drop is None else drop, c.seed, when, c.bag_lr)
        return ks.train_gru(batches, enc.bstarts, enc.members, enc.ids, enc.starts, enc.labels, p["emb"], p["Wx"],
                            p["bx"], p["U"], p["W2"], p["b2"], lr, train_words)

    def scores(self, enc: Encoded) -> np.ndarray:
        """(S, C) class scores of every sentence."""
        p = self.p
        out = np.empty((len(enc.labels), len(self.labels)), np.float32)
        for b in range(enc.n_batches):
            sents = enc.members[enc.bstarts[b]:enc.bstarts[b + 1]]
            if self.cfg.model == "mean":
                rows = [enc.ids[enc.starts[s]:enc.starts[s + 1]] for s in sents]
                x = np.stack([self.weight[r] @ p["emb"][r] / max(self.weight[r].sum(), 1e-30) for r in rows])
                h = np.tanh(x @ p["W1"] + p["b1"])
            else:
                L, B, H = int(enc.starts[sents[0] + 1] - enc.starts[sents[0]]), len(sents), self.cfg.hidden
                dt = p.flat.dtype
                hs = np.empty((L + 1, B, H), dt)
                ks.gru_states(sents, enc.ids, enc.starts, p["emb"], p["Wx"], p["bx"], p["U"],
                              np.empty((L * B, p["emb"].shape[1]), dt), np.empty((L * B, 3 * H), dt), hs,
                              np.empty((L, B, 4 * H), dt))
                h = hs[L]
            sc = h @ p["W2"] + p["b2"]
            if self.cfg.model == "mean" and len(p["bag"]):  # the linear part, as training adds it
                ks.bag_scores(sents, enc.ids, enc.starts, self.weight, p["bag"], sc)
            out[sents] = sc
        return out

    def loss_and_grad(self, enc: Encoded, batch: int) -> tuple[float, dict[str, np.ndarray]]:
        """Summed loss of batch `batch` and the gradient of every parameter (dense; for checks): one SGD step of
        rate -1 on a zero copy of the parameters' gradient buffer, made by running the step on the difference."""
        before = self.p.flat.copy()
        loss, _ = self.train_batches(enc, np.array([batch], np.int64), 1.0, drop=0.0)
        n = enc.bstarts[batch + 1] - enc.bstarts[batch]
        grad = (before - self.p.flat) * n  # the step moved by lr / n times the summed gradient
        self.p.flat[...] = before
        g = FlatParams([(k, v.shape) for k, v in self.p.views.items()], dtype=before.dtype, flat=grad)
        if "bag" in g.views and self.cfg.bag_lr > 0:
            g["bag"][...] /= self.cfg.bag_lr  # its step was bag_lr times the rate
        return float(loss), dict(g.views)

    def predict(self, texts: Sequence[Sequence[str]]) -> list[str]:
        """The label of each text (a list of words, or a string split on whitespace)."""
        texts = [t.split() if isinstance(t, str) else list(t) for t in texts]
        s = self.scores(self.encode(texts))
        return [self.labels[k] for k in s.argmax(axis=1)]

    def save(self, out: str) -> None:
        names = {"dim": self.p["emb"].shape[1], "words": self.words.values[2:], "labels": self.labels,
                 "ngrams": self.ngrams.values[2:]}
        save_model(out, self.cfg, names, self.labels, "labels.txt", params=self.p.flat, weight=self.weight)


def load_classifier(run_dir: str) -> SentenceClassifier:
    """The classifier a `stream-train classifier` run wrote into run_dir."""
    return load_model(run_dir, "classifier", ClassifierConfig, ["params", "weight"],
                      lambda cfg, names, a: SentenceClassifier(cfg, Index(names["words"]), names["labels"],
                                                               names["dim"], flat=a["params"],
                                                               ngrams=Index(names["ngrams"]), weight=a["weight"]))


def idf(rows: int, sentences: Sequence[np.ndarray]) -> np.ndarray:
    """Each row's inverse document frequency over the training sentences' rows, as scikit-learn's smoothed idf:
    ln((1 + S) / (1 + df)) + 1 (a row no sentence reads gets the largest)."""
    df = np.zeros(rows, np.int64)
    for r in sentences:
        df[np.unique(r)] += 1
    return np.log((1 + len(sentences)) / (1 + df)) + 1.0


def ngrams_of(words: Sequence[str], n: int) -> list[str]:
    """The 2- to n-word sequences of a text, each its words joined by a space."""
    return [" ".join(words[i:i + k]) for k in range(2, n + 1) for i in range(len(words) - k + 1)]
