"""tools/hot_rows_emulator.py: sixteen units summing copies of input and output rows blow up; the
plan Trainer.block follows (input rows only beyond two units, synced often) stays bounded."""
import json
import subprocess
import sys

from conftest import ROOT


def emulate(corpus, *args):
    res = subprocess.run([sys.executable, "tools/hot_rows_emulator.py", "--corpus", corpus, *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    return {r["k"]: r for r in map(json.loads, res.stdout.splitlines())}


def test_summed_output_row_copies_diverge_and_the_run_plan_does_not(zipf_text):
    both = emulate(zipf_text, "--k", "1,16", "--copies", "both")
    plan = emulate(zipf_text, "--k", "16", "--copies", "auto", "--unit-tokens", "512")[16]
    alone = both[1]["max_abs_weight"]  # one unit at a time: plain sequential training
    assert not both[16]["max_abs_weight"] < 100  # 1e10 here (NaN also fails '<')
    assert plan["output_rows_copied"] == 0 and plan["max_abs_weight"] < 3 * alone  # 0.61 vs 0.36 here
    assert "analogy" in plan
