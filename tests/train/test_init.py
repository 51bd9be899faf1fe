"""--init: training on from an earlier run on new shards; its words keep their rows (and vectors), new words get
new rows, counts add up, and the learning rate starts again."""
import json

import numpy as np
from conftest import write_parquet

from streamnlp.cli import main
from streamnlp.vectors.keyed import load_vectors


def rows(words, n, seed):
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(words, 8)) for _ in range(n)]


def test_old_words_keep_their_rows_and_new_words_are_added(tmp_path):
    old_words = [f"old{i}" for i in range(40)]
    new_words = [f"new{i}" for i in range(10)]
    write_parquet(str(tmp_path / "first.parquet"), rows(old_words, 400, 1))
    write_parquet(str(tmp_path / "second.parquet"), rows(old_words[:20] + new_words, 400, 2))
    common = ["--dim", "8", "--epochs", "1", "--threads", "1", "--min-count", "5"]
    assert main(["word2vec", str(tmp_path / "first.parquet"), "--out", str(tmp_path / "a"), "--keep-checkpoints",
                 *common]) == 0
    a_vocab = [line.split("\t") for line in open(tmp_path / "a" / "vocab.tsv")]
    # a learning rate of ~0 trains nothing: the earlier words' vectors come through as they were
    assert main(["word2vec", str(tmp_path / "second.parquet"), "--out", str(tmp_path / "b"), "--init",
                 str(tmp_path / "a"), "--alpha", "1e-12", *common]) == 0
    b_vocab = [line.split("\t") for line in open(tmp_path / "b" / "vocab.tsv")]
    assert [w for w, _ in b_vocab[:len(a_vocab)]] == [w for w, _ in a_vocab]
    assert sorted(w for w, _ in b_vocab[len(a_vocab):]) == sorted(new_words)
    counts_a, counts_b = dict(a_vocab), dict(b_vocab)
    assert int(counts_b["old0"]) > int(counts_a["old0"]) and counts_b["old30"] == counts_a["old30"]
    a, b = load_vectors(str(tmp_path / "a")), load_vectors(str(tmp_path / "b"))
    assert np.allclose(b.vectors[:len(a)], a.vectors, atol=1e-6)
    assert np.abs(b.vectors[len(a):]).max() > 0  # new words: new rows, word2vec's random start
    # trained on (default alpha): the old rows move from where they were
    assert main(["word2vec", str(tmp_path / "second.parquet"), "--out", str(tmp_path / "c"), "--init",
                 str(tmp_path / "a"), *common]) == 0
    c = load_vectors(str(tmp_path / "c"))
    assert not np.allclose(c.vectors[:20], a.vectors[:20])
    alphas = [json.load(open(tmp_path / run / "config.json"))["alpha"] for run in "abc"]
    assert alphas == [0.025, 1e-12, 0.025 * 0.4]  # --init restarts at 0.4 of a new run's rate by default


def test_init_from_something_else_is_one_line(tmp_path, capsys):
    write_parquet(str(tmp_path / "x.parquet"), rows(["a", "b", "c"], 100, 1))
    assert main(["word2vec", str(tmp_path / "x.parquet"), "--out", str(tmp_path / "o"), "--init",
                 str(tmp_path)]) == 2
    assert "--init" in capsys.readouterr().err
