"""tools/train_ab.py on sample_corpus: one epoch per (threads, variant), and the private-process split; with --hs,
hierarchical softmax's steps."""
import json
import subprocess
import sys

from conftest import ROOT, SAMPLE


def test_train_ab_times_every_variant_and_the_private_split():
    res = subprocess.run([sys.executable, "tools/train_ab.py", "--corpus", SAMPLE, "--threads", "1,2",
                          "--vary", "window=3,5", "--reps", "1", "--private", "2"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    runs = json.loads(res.stdout.strip().splitlines()[-1])
    assert {(r["threads"], r["window"]) for r in runs if "threads" in r} == {(1, 3), (1, 5), (2, 3), (2, 5)}
    assert all(r["seconds"] > 0 for r in runs if "threads" in r)
    private = runs[-1]
    assert private["private_processes"] == 2 and 0 < private["seconds_mean"] <= private["seconds_max"]


def test_train_ab_with_hs_trains_the_huffman_tree():
    runs = {}
    for hs in ([], ["--hs"]):
        res = subprocess.run([sys.executable, "tools/train_ab.py", "--corpus", SAMPLE, "--threads", "1", "--model",
                              "cbow", "--vary", "window=5", "--reps", "1", "--private", "1", *hs],
                             cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stderr
        runs[bool(hs)] = json.loads(res.stdout.strip().splitlines()[-1])
    # a pair's loss sums the path's nodes' logistic terms under hierarchical softmax (3.2 on sample_corpus against
    # 1.7 under negative sampling); a Trainer without the tree read past its empty one (a crash: exit -11)
    assert runs[True][0]["loss"] > 1.0 and runs[True][0]["loss"] != runs[False][0]["loss"]
    assert runs[True][-1]["private_processes"] == 1 and runs[True][-1]["seconds_max"] > 0


def test_train_ab_times_another_checkout_epoch_by_epoch_in_turn():
    res = subprocess.run([sys.executable, "tools/train_ab.py", "--corpus", SAMPLE, "--threads", "1", "--model", "cbow",
                          "--reps", "2", "--code", ROOT], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    runs = json.loads(res.stdout.strip().splitlines()[-1])
    assert [r["code"] for r in runs] == ["here", ROOT, "here", ROOT]
    # the same code, seeded, one thread: the copy imported under another name trains the same epoch
    assert runs[0]["loss"] == runs[1]["loss"] and all(r["seconds"] > 0 for r in runs)


def test_train_ab_code_that_is_no_checkout_is_one_line_and_exit_2(tmp_path):
    res = subprocess.run([sys.executable, "tools/train_ab.py", "--corpus", SAMPLE, "--threads", "1", "--reps", "1",
                          "--code", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 2 and res.stderr.strip() == f"--code {tmp_path}: no streamnlp package there; name a " \
                                                         "checkout of this repository"
