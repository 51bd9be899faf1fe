"""prepare.py: a later run on the same inputs and settings takes the vocabulary and the token blocks from the
cache instead of counting and encoding again; a change to the inputs or a counting setting counts again."""
import os

from conftest import random_rows

import streamnlp.prepare as prepare
from streamnlp import train_word2vec


def test_a_run_on_a_counted_corpus_skips_counting_and_trains_the_same(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(random_rows(3000, seed=4)) + "\n")
    counted = []

    def counting(*args, **kw):
        counted.append(1)
        return build(*args, **kw)
    build = prepare.build_vocab
    monkeypatch.setattr(prepare, "build_vocab", counting)
    kw = dict(threads=1, seed=2, epochs=1, dim=16, min_count=2, write_text=False, cache_dir=str(tmp_path / "cache"))

    def run(name, **more):
        train_word2vec(str(corpus), str(tmp_path / name), **{**kw, **more})
        return [open(tmp_path / name / f, "rb").read() for f in ("vectors.bin", "vocab.tsv")]

    first = run("a")
    assert len(counted) == 1
    assert run("b") == first and len(counted) == 1  # counted once, the same vectors
    assert run("c", dim=8)[1] == first[1] and len(counted) == 1  # a model setting: the same counts
    run("d", min_count=3)
    assert len(counted) == 2  # a counting setting
    run("e", min_count=2)
    assert len(counted) == 3  # the cache holds the last vocabulary counted
    with open(corpus, "a") as f:
        f.write("w1 w2 w3\n")
    run("f")
    assert len(counted) == 4  # the corpus changed (its size and time)
    assert not [n for n in os.listdir(tmp_path / "cache") if n.startswith("codes-")]
