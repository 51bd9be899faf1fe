"""The window tagger end to end on a grammar's sentences: it learns chunks and POS, seeded one-thread runs are
bit-identical, a stopped run resumes to the same weights, and the commands answer bad input in one line."""
import json

import numpy as np
import pytest
from conftest import stopped_at_once
from synthetic import tagged_sentences, write_conll

from streamnlp.cli import main
from streamnlp.run.errors import Interrupted
from streamnlp.tasks import tagging
from streamnlp.tasks.tagger import load_tagger
from streamnlp.tasks.tagging import train_tagger


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("conll")
    return write_conll(d / "train.txt", tagged_sentences(300, 1)), write_conll(d / "test.txt", tagged_sentences(100, 2))


def params(run):
    with np.load(f"{run}/model.npz") as z:
        return z["params"]


@pytest.mark.parametrize("viterbi", [False, True])
def test_it_learns_the_grammars_chunks(data, tmp_path, viterbi, capsys):
    train, test = data
    out = str(tmp_path / "run")
    args = ["tagger", train, "--out", out, "--epochs", "4", "--hidden", "30", "--dim", "20", "--threads", "2",
            "--batch", "8", "--dev", test] + (["--viterbi"] if viterbi else [])
    assert main(args) == 0
    assert main(["eval", "tagger", out, test, "--json"]) == 0
    scores = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(scores) == {"token_accuracy", "precision", "recall", "f1", "per_type"}
    assert scores["f1"] >= 0.95 and scores["token_accuracy"] >= 0.95, scores
    metrics = json.load(open(f"{out}/metrics.json"))
    assert metrics["tokens_per_s"] > 0 and len(metrics["dev_per_epoch"]) == 4
    assert metrics["dev"]["f1"] == scores["f1"]
    assert open(f"{out}/tags.txt").read().split() == ["B-NP", "B-PP", "B-VP", "I-NP"]


def test_pos_from_a_feature_free_column_and_tagging_text(data, tmp_path, capsys):
    train, test = data
    out = str(tmp_path / "pos")
    assert main(["tagger", train, "--out", out, "--tag-column", "1", "--epochs", "3", "--hidden", "20",
                 "--batch", "8"]) == 0
    raw = tmp_path / "raw.txt"
    raw.write_text("the big dog likes a cat\nevery ship moves near Paris\n")
    capsys.readouterr()
    assert main(["tag", out, str(raw)]) == 0
    lines = capsys.readouterr().out.split("\n")
    assert lines[:6] == ["the\tDT", "big\tJJ", "dog\tNN", "likes\tVB", "a\tDT", "cat\tNN"]
    assert lines[6] == ""  # a blank line between sentences
    assert load_tagger(out).tag(["a", "red", "house"]) == ["DT", "JJ", "NN"]


def test_seeded_one_thread_runs_are_bit_identical(data, tmp_path):
    train, _ = data
    for name in ("a", "b"):
        train_tagger(train, str(tmp_path / name), epochs=2, hidden=16, dim=8, threads=1, viterbi=True,
                     feature_column=["1"])
    assert np.array_equal(params(tmp_path / "a"), params(tmp_path / "b"))


def test_a_stopped_run_resumes_to_the_uninterrupted_weights(data, tmp_path, monkeypatch):
    train, _ = data
    kw = dict(epochs=2, hidden=16, dim=8, threads=1, viterbi=True, checkpoint_every=0)
    train_tagger(train, str(tmp_path / "whole"), **kw)
    monkeypatch.setattr(tagging, "stop_requests", stopped_at_once(2))
    with pytest.raises(Interrupted) as stop:
        train_tagger(train, str(tmp_path / "cut"), **kw)
    assert "epoch 1 of 2" in str(stop.value) and stop.value.checkpoint
    monkeypatch.undo()
    train_tagger(train, str(tmp_path / "cut"), resume=True, **kw)
    assert json.load(open(tmp_path / "cut" / "metrics.json"))["resumed"]
    assert np.array_equal(params(tmp_path / "whole"), params(tmp_path / "cut"))


def test_bad_input_is_one_line_and_status_2(data, tmp_path, capsys):
    train, _ = data
    bad = tmp_path / "bad.txt"
    bad.write_text("the DT B-NP\ndog NN\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    (tmp_path / "cut").mkdir()
    (tmp_path / "cut" / "model.npz").write_bytes(b"PK\x03\x04 not a whole zip")  # a damaged model file
    (tmp_path / "other").mkdir()
    np.savez(tmp_path / "other" / "model.npz", params=np.zeros(3))  # another program's arrays
    cases = [(["eval", "tagger", str(tmp_path / "cut"), train], "unreadable model"),
             (["tag", str(tmp_path / "other"), train], "not a tagger's model"),
             (["classify", str(tmp_path / "cut"), train], "unreadable model"),
             (["tagger", train, "--out", str(tmp_path / "o"), "--feature-column", "-2"], "--feature-column -2"),
             (["tagger", train, "--out", str(tmp_path / "o"), "--tag-column", "1", "--feature-column", "1"],
              "same column"),(["tagger", str(bad), "--out", str(tmp_path / "o")], "bad.txt:2"),
             (["tagger", train, "--out", str(tmp_path / "o"), "--tag-column", "7"], "--tag-column 7"),
             (["tagger", str(empty), "--out", str(tmp_path / "o")], "empty.txt"),
             (["eval", "tagger", str(tmp_path), train], "model.npz")]
    for args, named in cases:
        capsys.readouterr()
        assert main(args) == 2, args
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and named in err and "Traceback" not in err, err


def test_tag_writes_conll_input_to_a_file(data, tmp_path, capsys):
    """tag reads CoNLL columns as the training data was read (gzip too) and writes word TAB tag to --out."""
    import gzip
    train, test = data
    out = str(tmp_path / "run")
    assert main(["tagger", train, "--out", out, "--feature-column", "1", "--epochs", "2", "--hidden", "16",
                 "--batch", "8"]) == 0
    words_pos = tmp_path / "untagged.txt.gz"
    with gzip.open(words_pos, "wt") as f:
        f.write("the DT\ndog NN\n\na DT\ncat NN\nsees VB\n")
    assert main(["tag", out, str(words_pos), "--out", str(tmp_path / "tags.tsv")]) == 0
    lines = (tmp_path / "tags.tsv").read_text().split("\n")
    assert [line.split("\t")[0] for line in lines[:2]] == ["the", "dog"] and lines[2] == ""
    assert all(len(line.split("\t")) == 2 for line in lines[:2] + lines[3:6])
    assert main(["tag", out, str(tmp_path / "missing.txt")]) == 2
    assert "missing.txt" in capsys.readouterr().err
