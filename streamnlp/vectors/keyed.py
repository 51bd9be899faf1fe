"""KeyedVectors: trained word vectors with gensim's query API, and load_vectors() for any word2vec file.

Queries normalise the vectors once (lazily) and answer with one matrix-vector product plus
argpartition. Results follow gensim's arithmetic so that rankings match gensim's on the same file.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import numpy as np

from ..run.errors import UserError
from . import w2vfile


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.sqrt(np.sum(v.astype(np.float32) ** 2))
    return (v / n).astype(np.float32) if n > 0 else v


def _top(x: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n largest values of x, largest first."""
    n = min(n, len(x))
    if n <= 0:
        return np.empty(0, dtype=np.int64)
    part = np.argpartition(-x, n - 1)[:n] if n < len(x) else np.arange(len(x))
    return part.take(np.argsort(-x.take(part), kind="stable"))


class KeyedVectors:
    """Words (`index_to_key`), their rows in `vectors` (float32, V x D) and `key_to_index`."""

    def __init__(self, keys: Sequence[str], vectors: np.ndarray):
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.index_to_key = list(keys)
        self.key_to_index = {k: i for i, k in enumerate(self.index_to_key)}
        if len(self.key_to_index) != len(self.index_to_key):
            raise UserError("the vectors name the same word twice; keys must be unique")
        if self.vectors.ndim != 2 or len(self.vectors) != len(self.index_to_key):
            raise UserError(f"{len(self.index_to_key)} keys for vectors of shape {self.vectors.shape}")
        self._normed: np.ndarray | None = None

    # --- basic access -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, key: str) -> bool:
        return key in self.key_to_index

    def __getitem__(self, key: str | Iterable[str]) -> np.ndarray:
        if isinstance(key, str):
            return self.get_vector(key)
        return np.vstack([self.get_vector(k) for k in key])

    @property
    def vector_size(self) -> int:
        return self.vectors.shape[1]

    def get_index(self, key: str) -> int:
        try:
            return self.key_to_index[key]
        except KeyError:
            raise KeyError(f"Key '{key}' not present") from None

    @property
    def norms(self) -> np.ndarray:
        return np.linalg.norm(self.vectors, axis=1)

    def get_normed_vectors(self) -> np.ndarray:
        if self._normed is None:
            norms = self.norms
            norms[norms == 0] = 1.0
            self._normed = (self.vectors / norms[:, None]).astype(np.float32)
        return self._normed

    def get_vector(self, key: str, norm: bool = False) -> np.ndarray:
        i = self.get_index(key)
        return self.get_normed_vectors()[i] if norm else self.vectors[i]

    # --- queries ------------------------------------------------------------------------------
    def _terms(self, positive, negative) -> tuple[list[tuple[int, float]], set[int]]:
        positive = [positive] if isinstance(positive, str) else list(positive or [])
        negative = [negative] if isinstance(negative, str) else list(negative or [])
        terms = [(self.get_index(k), 1.0) for k in positive] + [(self.get_index(k), -1.0) for k in negative]
        if not terms:
            raise ValueError("cannot compute similarity with no input")
        return terms, {i for i, _ in terms}

    def _result(self, scores: np.ndarray, exclude: set[int], topn: int) -> list[tuple[str, float]]:
        best = _top(scores, topn + len(exclude))
        return [(self.index_to_key[i], float(scores[i])) for i in best if i not in exclude][:topn]

    def most_similar(self, positive=None, negative=None, topn: int = 10,
                     restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """Words nearest by cosine to the mean of the unit vectors of positive minus negative (3CosAdd)."""
        terms, exclude = self._terms(positive, negative)
        normed = self.get_normed_vectors()
        mean = _unit(np.array([w * normed[i] for i, w in terms]).mean(axis=0))
        scores = normed[:restrict_vocab] @ mean
        return self._result(scores, exclude, topn)

    def most_similar_cosmul(self, positive=None, negative=None, topn: int = 10,
                            restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """3CosMul (Levy & Goldberg 2014): product of shifted cosines of positives over negatives."""
        terms, exclude = self._terms(positive, negative)
        normed = self.get_normed_vectors()[:restrict_vocab]
        pos = [(1 + normed @ self.get_normed_vectors()[i]) / 2 for i, w in terms if w > 0]
        neg = [(1 + normed @ self.get_normed_vectors()[i]) / 2 for i, w in terms if w < 0]
        scores = np.prod(pos, axis=0) / (np.prod(neg, axis=0) + 0.000001)
        return self._result(scores, exclude, topn)

    def similar_by_vector(self, vector: np.ndarray, topn: int = 10,
                          restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        scores = self.get_normed_vectors()[:restrict_vocab] @ _unit(np.asarray(vector, np.float32))
        return self._result(scores, set(), topn)

    def similarity(self, w1: str, w2: str) -> float:
        return float(np.dot(_unit(self.get_vector(w1)), _unit(self.get_vector(w2))))

    def doesnt_match(self, words: Iterable[str]) -> str:
        """The word furthest from the mean of the others' unit vectors."""
        used = [w for w in words if w in self.key_to_index]
        if not used:
            raise ValueError("cannot select a word from an empty list")
        vecs = np.vstack([self.get_vector(w, norm=True) for w in used])
        mean = _unit(vecs.mean(axis=0))
        return sorted(zip(vecs @ mean, used))[0][1]

    # --- evaluation (evaluate.py) -------------------------------------------------------------
    def evaluate_word_analogies(self, analogies: str, restrict_vocab: int = 30000,
                                case_insensitive: bool = True, cosmul: bool = False):
        from .evaluate import evaluate_word_analogies
        return evaluate_word_analogies(self, analogies, restrict_vocab, case_insensitive, cosmul)

    def evaluate_word_pairs(self, pairs: str, restrict_vocab: int = 300000, case_insensitive: bool = True):
        from .evaluate import evaluate_word_pairs
        return evaluate_word_pairs(self, pairs, restrict_vocab, case_insensitive)

    # --- files --------------------------------------------------------------------------------
    def save_word2vec_format(self, path: str, binary: bool = True) -> None:
        (w2vfile.write_binary if binary else w2vfile.write_text)(path, self.index_to_key, self.vectors)

    @classmethod
    def load_word2vec_format(cls, path: str, binary: bool = True, limit: int | None = None) -> KeyedVectors:
        reader = w2vfile.read_binary if binary else w2vfile.read_text
        return cls(*reader(path, limit))


def load_vectors(path: str, limit: int | None = None) -> KeyedVectors:
    """Vectors from a word2vec binary or text file (detected from content) or an .npy beside vocab.tsv.
    A run folder loads its vectors.bin."""
    if os.path.isdir(path):
        path = os.path.join(path, "vectors.bin")
    if not os.path.isfile(path):
        raise UserError(f"{path}: no such vectors file; pass a .bin, .txt or .npy file or a run folder")
    if path.endswith(".npy"):
        return KeyedVectors(*w2vfile.read_npy(path, limit))
    reader = w2vfile.read_text if w2vfile.is_text(path) else w2vfile.read_binary
    return KeyedVectors(*reader(path, limit))
