"""What the tasks look words up by: normalised word forms, a capitalisation feature, value indexes with padding
and unknown rows, and the word table started from trained vectors (or random)."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from ..vectors.keyed import KeyedVectors

PAD, UNK = "<PAD>", "<UNK>"
DIGIT = re.compile(r"\d")
CAPS = ("lower", "upper", "title", "mixed")  # a word with no capital, all capitals, a first capital, one elsewhere
INIT_SD = 0.1  # random rows: N(0, 0.1^2), the scale the vectors are brought to


def norm(word: str) -> str:
    """The lookup form of a word: lower-cased, every digit 0 (Collobert et al. 2011)."""
    return DIGIT.sub("0", word.lower())


def caps(word: str) -> str:
    if not any(c.isupper() for c in word):
        return CAPS[0]
    if word.isupper():
        return CAPS[1]
    return CAPS[2] if word[0].isupper() else CAPS[3]


def suffix(word: str, n: int) -> str:
    """The last n letters of the word's lookup form (Collobert et al.'s suffix feature for POS)."""
    return norm(word)[-n:]


class Index:
    """Values to table rows: row 0 pads windows past a sentence's edges, row 1 is every unknown value."""

    def __init__(self, values: Iterable[str]):
        self.values = [PAD, UNK] + [v for v in values if v not in (PAD, UNK)]
        self.row = {v: i for i, v in enumerate(self.values)}

    @classmethod
    def counted(cls, seqs: Iterable[Sequence[str]], min_count: int = 1) -> Index:
        counts = Counter(v for seq in seqs for v in seq)
        return cls(v for v, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= min_count)

    def __len__(self) -> int:
        return len(self.values)

    def ids(self, seq: Sequence[str]) -> np.ndarray:
        return np.fromiter((self.row.get(v, 1) for v in seq), dtype=np.int32, count=len(seq))


def word_table(train_words: Iterable[Sequence[str]], vectors: KeyedVectors | None, min_count: int, dim: int,
               seed: int, sd: float = INIT_SD) -> tuple[Index, np.ndarray, int]:
    """The word index (normalised training words seen min_count times, and every word of `vectors`, first
    occurrence of a normal form winning) and its table: vectors' rows scaled so that their values' standard
    deviation is sd, the random rows' scale; others N(0, sd^2). Returns (index, table, rows from the vectors)."""
    counted = Index.counted(([norm(w) for w in s] for s in train_words), min_count)
    rng = np.random.default_rng([seed, 0])  # a stream of its own: the models draw theirs from the seed
    if vectors is None:
        return counted, (rng.standard_normal((len(counted), dim)) * sd).astype(np.float32), 0
    known: dict[str, int] = {}
    for i, w in enumerate(vectors.index_to_key):
        known.setdefault(norm(w), i)
    index = Index([*counted.values[2:], *(w for w in known if w not in counted.row)])
    d = vectors.vector_size
    table = (rng.standard_normal((len(index), d)) * sd).astype(np.float32)
    at = np.array([(r, known[w]) for r, w in enumerate(index.values) if w in known], dtype=np.int64).reshape(-1, 2)
    scale = sd / max(float(vectors.vectors.std()), 1e-12)
    table[at[:, 0]] = vectors.vectors[at[:, 1]] * scale
    return index, table, len(at)


def windows(ids: np.ndarray, half: int) -> np.ndarray:
    """(n, 2 half + 1) rows around each of a sentence's n ids, padding row 0 past its edges."""
    padded = np.concatenate([np.zeros(half, ids.dtype), ids, np.zeros(half, ids.dtype)])
    return np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
