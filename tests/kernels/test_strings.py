"""kernels/strings.py: exact lookups of strings in a vocabulary, against a Python dict."""
import random

import numpy as np
import pyarrow as pa

from streamnlp.kernels.strings import StringIndex


def random_words(n, seed):
    rng = random.Random(seed)
    alphabet = "abcé中\U0001f600 \t"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(n)]


def test_positions_are_the_dict_lookups_for_strings_large_strings_slices_and_misses():
    vocab = list(dict.fromkeys(random_words(3000, seed=1)))  # distinct, in first-seen order
    index = StringIndex(pa.array(vocab))
    want = {w: i for i, w in enumerate(vocab)}
    queries = random_words(5000, seed=2) + vocab[:50] + ["", "abcé中\U0001f600 \tx"]
    for arr in (pa.array(queries), pa.array(queries, pa.large_string()), pa.array(["zz"] + queries)[1:]):
        got = index.positions(arr)
        assert got.tolist() == [want.get(q, -1) for q in queries]
    assert (index.positions(pa.array(vocab)) == np.arange(len(vocab))).all()


def test_a_sliced_vocabulary_and_an_empty_query():
    words = pa.array(["x", "the", "of", "and"])[1:]
    index = StringIndex(words)
    assert index.positions(pa.array(["and", "x", "the", "of"])).tolist() == [2, -1, 0, 1]
    assert index.positions(pa.array([], pa.string())).tolist() == []
