"""tools/train_ab.py on sample_corpus: one epoch per (threads, variant), and the private-process split."""
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
