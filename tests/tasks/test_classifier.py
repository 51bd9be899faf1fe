"""The sentence classifier end to end on sentences whose polarity their words carry: both models learn it, folds
are reported, the commands read rows and fastText lines and answer bad input in one line."""
import json

import pytest
from synthetic import polarity, write_rows

from streamnlp.cli import main
from streamnlp.tasks.classifier import load_classifier


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("polarity")
    return write_rows(d / "train.parquet", *polarity(400, 1)), write_rows(d / "test.parquet", *polarity(200, 2))


@pytest.mark.parametrize("model", ["mean", "gru"])
def test_both_models_learn_polarity(data, tmp_path, model, capsys):
    train, test = data
    out = str(tmp_path / model)
    assert main(["classifier", train, "--out", out, "--model", model, "--epochs", "8", "--hidden", "16", "--dim",
                 "16", "--batch", "4", "--lr", "0.5", "--threads", "2", "--dev", test]) == 0
    capsys.readouterr()
    assert main(["eval", "classifier", out, test, "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert set(scores) == {"accuracy", "per_class"} and set(scores["per_class"]) == {"neg", "pos"}
    assert scores["accuracy"] >= 0.95, scores
    metrics = json.load(open(f"{out}/metrics.json"))
    assert metrics["sentences_per_s"] > 0 and metrics["dev"]["accuracy"] == scores["accuracy"]
    assert load_classifier(out).predict(["the film was great", "an awful plot"]) == ["pos", "neg"]


def test_folds_and_fasttext_lines(tmp_path, capsys):
    texts, labels = polarity(200, 3)
    ft = tmp_path / "train.txt"
    ft.write_text("".join(f"__label__{y} {t}\n" for t, y in zip(texts, labels)))
    out = str(tmp_path / "cv")
    assert main(["classifier", str(ft), "--out", out, "--folds", "4", "--epochs", "6", "--hidden", "16", "--dim",
                 "16", "--batch", "4", "--lr", "0.5"]) == 0
    metrics = json.load(open(f"{out}/metrics.json"))
    assert len(metrics["folds"]) == 4 and metrics["cv_accuracy"] >= 0.9, metrics["folds"]
    assert "4-fold accuracy" in capsys.readouterr().out
    new = tmp_path / "new.txt"
    new.write_text("superb acting\nthe story was poor\n")
    assert main(["classify", out, str(new)]) == 0
    assert capsys.readouterr().out == "pos\tsuperb acting\nneg\tthe story was poor\n"


def test_bad_input_is_one_line_and_status_2(data, tmp_path, capsys):
    train, _ = data
    plain = tmp_path / "plain.txt"
    plain.write_text("no label here\n")
    cases = [(["classifier", train, "--out", str(tmp_path / "o"), "--label-column", "stars"], "--label-column"),
             (["classifier", str(plain), "--out", str(tmp_path / "o")], "plain.txt:1"),
             (["classifier", train, "--out", str(tmp_path / "o"), "--folds", "1"], "--folds 1"),
             (["classifier", train, "--out", str(tmp_path / "o"), "--bag-lr", "-1"], "--bag-lr")]
    for args, named in cases:
        capsys.readouterr()
        assert main(args) == 2, args
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and named in err and "Traceback" not in err, err


def test_a_stopped_run_resumes_to_the_uninterrupted_weights(data, tmp_path, monkeypatch):
    import numpy as np
    from conftest import stopped_at_once

    from streamnlp.run.errors import Interrupted
    from streamnlp.tasks import classifying
    from streamnlp.tasks.classifying import train_classifier

    train, _ = data
    kw = dict(model="gru", epochs=2, hidden=8, dim=8, batch=4, threads=1, checkpoint_every=0)
    train_classifier(train, str(tmp_path / "whole"), **kw)
    monkeypatch.setattr(classifying, "stop_requests", stopped_at_once(15))
    with pytest.raises(Interrupted) as stop:
        train_classifier(train, str(tmp_path / "cut"), **kw)
    assert stop.value.checkpoint and "SIGTERM" in str(stop.value)
    monkeypatch.undo()
    train_classifier(train, str(tmp_path / "cut"), resume=True, **kw)
    with np.load(tmp_path / "whole" / "model.npz") as a, np.load(tmp_path / "cut" / "model.npz") as b:
        assert np.array_equal(a["params"], b["params"])
