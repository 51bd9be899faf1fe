"""prepare.py: a later run on the same inputs and settings takes the vocabulary and the token blocks from the
cache instead of counting and encoding again; a change to the inputs or a counting setting counts again."""
import os

from conftest import random_rows

import streamnlp.data.prepare as prepare
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
    assert run("e", min_count=2) == first and len(counted) == 2  # the cache keeps each vocabulary counted
    with open(corpus, "a") as f:
        f.write("w1 w2 w3\n")
    run("f")
    assert len(counted) == 3  # the corpus changed (its size and time)
    assert not [n for n in os.listdir(tmp_path / "cache") if n.startswith("codes-")]
    for name in os.listdir(tmp_path / "cache"):  # a cache with its vocabularies' word lists deleted
        if name.endswith(".tsv"):
            os.unlink(tmp_path / "cache" / name)
    assert run("g")[1] == run("f")[1] and len(counted) == 4  # counts again, no error


def test_runs_sharing_a_cache_folder_at_once_train_as_with_their_own(tmp_path):
    """Each encoding has its own folder, renamed into place when whole: two runs at once with other
    settings neither read the other's blocks nor overwrite the ones the other trains from."""
    import subprocess
    import sys

    from conftest import ROOT
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(random_rows(20000, seed=5)) + "\n")

    def args(name, min_count, cache):
        return [sys.executable, "-m", "streamnlp", "word2vec", str(corpus), "--out", str(tmp_path / name),
                "--threads", "1", "--epochs", "1", "--dim", "16", "--min-count", str(min_count),
                "--block-tokens", "4096", "--no-write-text", "--cache-dir", str(tmp_path / cache)]
    runs = {"a": 2, "b": 3, "c": 2}  # c: a's settings, at the same time
    together = [subprocess.Popen(args(name, m, "shared"), cwd=ROOT, stderr=subprocess.PIPE) for name, m in runs.items()]
    assert all(p.wait() == 0 for p in together), [p.stderr.read() for p in together]
    for m in (2, 3):
        subprocess.run(args(f"own{m}", m, f"own{m}"), cwd=ROOT, check=True, capture_output=True)
    vectors = {name: open(tmp_path / name / "vectors.bin", "rb").read() for name in ("a", "b", "c", "own2", "own3")}
    assert vectors["a"] == vectors["c"] == vectors["own2"] and vectors["b"] == vectors["own3"]
