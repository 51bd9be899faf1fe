"""tools/hot_rows_emulator.py: sixteen units summing their hot-row changes blow up; their 2/16 shares do not."""
import json
import subprocess
import sys

from conftest import ROOT


def emulate(corpus, share):
    res = subprocess.run([sys.executable, "tools/hot_rows_emulator.py", "--corpus", corpus, "--k", "1,16",
                          "--share", share], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    return {r["k"]: r for r in map(json.loads, res.stdout.splitlines())}


def test_the_emulator_shows_summed_changes_diverge_and_scaled_ones_do_not(zipf_text):
    summed, scaled = emulate(zipf_text, "sum"), emulate(zipf_text, "scaled")
    assert summed[1]["max_abs_weight"] == scaled[1]["max_abs_weight"] < 1  # one unit at a time: share 1 both
    assert not summed[16]["max_abs_weight"] < 100  # 1e10 here (NaN also fails '<')
    assert scaled[16]["max_abs_weight"] < 2 * scaled[1]["max_abs_weight"]
    assert scaled[16]["share"] == 0.125 and "analogy" in scaled[16]
