"""The window tagger (Collobert & Weston 2011): a token's window of word vectors and features -> tanh layer ->
tag scores, trained by SGD on every thread (Hogwild), with a softmax per token or, with --viterbi, learned tag
transitions and the best path; saving, loading and tagging new text."""
from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..kernels import window as kw
from ..run.config import TaggerConfig
from ..run.errors import UserError
from ..run.flat import FlatParams
from .features import Index, caps, norm, suffix, windows
from .labelled import Tagged
from .modelfile import load_model, save_model
from .score import is_chunk_tagset


def column(value: str | int) -> str | int:
    """A --word-column / --tag-column / --feature-column value: a number where it reads as one, else a name."""
    try:
        return int(value)
    except ValueError:
        return str(value)


@dataclass
class Encoded:
    """A data set as the kernels read it: sentence offsets (S + 1,), each token's window of word rows (N, P)
    and of feature rows (N, P, M), and its tag's number (N,; -1 where unknown or untagged)."""
    starts: np.ndarray
    words: np.ndarray
    feats: np.ndarray
    tags: np.ndarray

    @property
    def n_tokens(self) -> int:
        return len(self.tags)

    @functools.cached_property
    def longest(self) -> int:
        """The longest sentence's length (the kernels size their buffers by it)."""
        return int(np.max(np.diff(self.starts))) if len(self.starts) > 1 else 1


def layout(V: int, D: int, R: int, F: int, inputs: int, H: int, K: int) -> list[tuple[str, tuple[int, ...]]]:
    return [("emb", (V, D)), ("femb", (R, F)), ("W1", (inputs, H)), ("b1", (H,)), ("W2", (H, K)), ("b2", (K,)),
            ("A", (K + 1, K))]


def allowed_transitions(tags: Sequence[str], train_tags: Sequence[Sequence[str]]) -> np.ndarray:
    """(K + 1, K): which tag may follow which (the last row: which may start a sentence). All, except for
    IOB2 and IOBES phrase tags: an I-X (or E-X) only after B-X or I-X, and with IOBES, after a B-X or I-X
    only I-X or E-X. IOB1 (an I-X may start a phrase; seen in the training tags) keeps all."""
    K = len(tags)
    ok = np.ones((K + 1, K), dtype=np.bool_)
    if not is_chunk_tagset(tags):
        return ok
    for seq in train_tags:
        prev = "O"
        for t in seq:
            if t.startswith("I-") and prev[2:] != t[2:]:
                return ok  # IOB1
            prev = t
    iobes = any(t[:2] in ("E-", "S-") for t in tags)
    for i, prev in enumerate([*tags, "O"]):
        for k, t in enumerate(tags):
            open_prev = prev[:2] in ("B-", "I-")
            if t[:2] in ("I-", "E-"):
                ok[i, k] = open_prev and prev[2:] == t[2:]
            elif iobes and open_prev:
                ok[i, k] = False
    row = {t: i for i, t in enumerate(tags)}
    for seq in train_tags:  # tags that break the scheme somewhere: constrain nothing
        if any(not ok[K if j == 0 else row[seq[j - 1]], row[t]] for j, t in enumerate(seq)):
            return np.ones((K + 1, K), dtype=np.bool_)
    return ok


class WindowTagger:
    """The model: word index, feature indexes (capitalisation first, then --feature-column's), tag names,
    and the parameters in one flat buffer."""

    def __init__(self, cfg: TaggerConfig, words: Index, features: list[Index], tags: list[str],
                 allowed: np.ndarray, dim: int, emb: np.ndarray | None = None, flat: np.ndarray | None = None):
        self.cfg, self.words, self.features, self.tags, self.allowed = cfg, words, features, tags, allowed
        self.tag_row = {t: i for i, t in enumerate(tags)}
        self.offsets = np.cumsum([0] + [len(f) for f in features])[:-1]
        P, F, H, K = 2 * cfg.window + 1, cfg.feature_dim, cfg.hidden, len(tags)
        inputs = P * (dim + len(features) * F)
        self.p = FlatParams(layout(len(words), dim, int(sum(len(f) for f in features)), F, inputs, H, K), flat=flat)
        if flat is None:
            self._init(emb)

    def _init(self, emb: np.ndarray) -> None:
        """Word rows as given; feature rows N(0, 0.1^2); layers U(-1/sqrt(fan-in), 1/sqrt(fan-in)) as PyTorch's
        Linear; transitions 0."""
        rng = np.random.default_rng(self.cfg.seed)
        p = self.p
        p["emb"][...] = emb
        p["femb"][...] = rng.standard_normal(p["femb"].shape) * 0.1
        for w, b in (("W1", "b1"), ("W2", "b2")):
            k = 1.0 / np.sqrt(p[w].shape[0])
            p[w][...] = rng.uniform(-k, k, p[w].shape)
            p[b][...] = rng.uniform(-k, k, p[b].shape)

    # --- data -------------------------------------------------------------------------------------
    def encode(self, data: Tagged, with_tags: bool = True) -> Encoded:
        half = self.cfg.window
        starts = np.zeros(len(data.words) + 1, dtype=np.int64)
        np.cumsum([len(s) for s in data.words], out=starts[1:])
        P, M = 2 * half + 1, len(self.features)
        words = np.empty((int(starts[-1]), P), np.int32)
        feats = np.empty((int(starts[-1]), P, M), np.int32)
        tags = np.full(int(starts[-1]), -1, np.int32)
        for s, sent in enumerate(data.words):
            lo, hi = starts[s], starts[s + 1]
            words[lo:hi] = windows(self.words.ids([norm(w) for w in sent]), half)
            columns = [*self.word_features(sent), *(f[s] for f in data.features)]
            if len(columns) != len(self.features):
                raise UserError(f"this tagger reads {self.n_columns} feature column(s) beside the words; the data "
                                f"has {len(data.features)}")
            for m, (index, values) in enumerate(zip(self.features, columns)):
                feats[lo:hi, :, m] = windows(index.ids(values), half) + self.offsets[m]
            if with_tags and data.tags and data.tags[s]:
                tags[lo:hi] = [self.tag_row.get(t, -1) for t in data.tags[s]]
        return Encoded(starts, words, feats, tags)

    def word_features(self, sent: Sequence[str]) -> list[list[str]]:
        """The features read off the words themselves: capitalisation, and with --suffix N the last N letters
        of the lookup form."""
        found = [[caps(w) for w in sent]]
        if self.cfg.suffix:
            found.append([suffix(w, self.cfg.suffix) for w in sent])
        return found

    @property
    def n_columns(self) -> int:
        """How many feature columns (--feature-column) the tagger reads beside the words."""
        return len(self.features) - 1 - (1 if self.cfg.suffix else 0)

    # --- training ---------------------------------------------------------------------------------
    def train_sentences(self, enc: Encoded, order: np.ndarray, lr: float) -> tuple[float, int]:
        """One thread's SGD steps over sentences `order`: (summed loss, tokens)."""
        p, c = self.p, self.cfg
        return kw.train_sentences(order, c.batch, enc.longest, enc.starts, enc.words, enc.feats, enc.tags, p["emb"],
                                   p["femb"], p["W1"], p["b1"], p["W2"], p["b2"], p["A"], self.allowed, c.viterbi,
                                   not c.freeze_vectors, lr)

    def loss_and_grad(self, enc: Encoded, sentences: Sequence[int]) -> tuple[float, dict[str, np.ndarray]]:
        """The summed loss of `sentences` as one batch and its gradient of every parameter (dense; for checks)."""
        p = self.p
        rows = np.concatenate([np.arange(enc.starts[s], enc.starts[s + 1]) for s in sentences]).astype(np.int64)
        bounds = np.concatenate([[0], np.cumsum([enc.starts[s + 1] - enc.starts[s] for s in sentences])])
        n, (inputs, H), K = len(rows), p["W1"].shape, p["W2"].shape[1]
        dt = p.flat.dtype
        X, dX, Hb, D2, Sc, dS = (np.zeros((n, a), dt) for a in (inputs, inputs, H, H, K, K))
        g = {k: np.zeros_like(v) for k, v in p.views.items()}
        loss = kw.loss_and_grad(rows, n, bounds.astype(np.int64), len(sentences), enc.words, enc.feats, enc.tags,
                                p["emb"], p["femb"], p["W1"], p["b1"], p["W2"], p["b2"], p["A"], self.allowed,
                                self.cfg.viterbi, X, Hb, Sc, np.zeros(n, np.int64), dS, D2, dX, g["W1"], g["b1"],
                                g["W2"], g["b2"], g["A"])
        g["A"][~self.allowed] = 0
        kw.scatter_step(rows, n, enc.words, enc.feats, dX, g["emb"], g["femb"], -1.0, True)
        return float(loss), g

    # --- use --------------------------------------------------------------------------------------
    def predict(self, enc: Encoded) -> np.ndarray:
        p = self.p
        out = np.empty(enc.n_tokens, np.int64)
        kw.predict(enc.starts, enc.words, enc.feats, p["emb"], p["femb"], p["W1"], p["b1"], p["W2"], p["b2"],
                   p["A"], self.allowed, self.cfg.viterbi, out)
        return out

    def tag_data(self, data: Tagged) -> list[list[str]]:
        enc = self.encode(data, with_tags=False)
        pred = self.predict(enc)
        return [[self.tags[k] for k in pred[enc.starts[s]:enc.starts[s + 1]]] for s in range(len(data.words))]

    def tag(self, tokens: Sequence[str] | Sequence[Sequence[str]], *features: Sequence) -> list:
        """Tags of one sentence (a list of words), or of each of a list of sentences; `features` gives each
        --feature-column's values the same way."""
        one = len(tokens) > 0 and isinstance(tokens[0], str)
        sents = [list(tokens)] if one else [list(s) for s in tokens]
        feats = [[list(f)] if one else [list(x) for x in f] for f in features]
        if len(feats) != self.n_columns:
            raise UserError(f"this tagger reads {self.n_columns} feature column(s) beside the words; "
                            f"got {len(feats)}")
        tagged = self.tag_data(Tagged(sents, [], feats))
        return tagged[0] if one else tagged

    # --- files ------------------------------------------------------------------------------------
    def save(self, out: str) -> None:
        names = {"dim": self.p["emb"].shape[1], "words": self.words.values[2:],
                 "features": [f.values[2:] for f in self.features], "tags": self.tags}
        save_model(out, self.cfg, names, self.tags, "tags.txt", params=self.p.flat, allowed=self.allowed)


def load_tagger(run_dir: str) -> WindowTagger:
    """The tagger a `stream-train tagger` run wrote into run_dir."""
    return load_model(run_dir, "tagger", TaggerConfig, ["params", "allowed"], lambda cfg, names, a: WindowTagger(
        cfg, Index(names["words"]), [Index(v) for v in names["features"]], names["tags"], a["allowed"],
        names["dim"], flat=a["params"]))
