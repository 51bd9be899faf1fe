"""tools/replica_estimate.py: the bytes the syncs move, counted by hand for a tiny run, and its table."""
import os
import subprocess
import sys

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))
from replica_estimate import estimate  # noqa: E402


def test_a_tiny_runs_exchanges_and_bytes_by_hand():
    # 1000 tokens in rounds of 500: 2 exchanges, of 2 rows, then all 10 at the epoch's end (its last round);
    # each row 1 float32 in both matrices, there and back: 16 bytes
    assert estimate(1000, 10, 1, 1, 1, 500, 2) == (2, (2 + 10) * 16)
    # two epochs of rounds of 250 tokens: 4 exchanges, 2 / 4 (the doubling) / 2 / 10 rows at the second's end
    # (the first's end: all 10 too)
    assert estimate(1000, 10, 1, 2, 1, 250, 2) == (8, (2 + 4 + 2 + 10 + 2 + 4 + 2 + 10) * 16)
    # two replicas: rounds of 250 tokens, 2 each: 4 exchanges (2 rows, then all 10, each)
    assert estimate(1000, 10, 1, 1, 2, 500, 2) == (4, 2 * (2 + 10) * 16)
    # --sync-rows 0: nothing but every row of both replicas at each of 3 epochs' ends
    assert estimate(1000, 10, 1, 3, 2, 500, 0) == (12, 3 * 2 * 10 * 16)


def test_the_table():
    res = subprocess.run([sys.executable, "tools/replica_estimate.py", "--tokens", "1000000", "--vocab", "5000",
                          "--words-per-s", "1e6", "--layouts", "1x1,4x2"], capture_output=True, text=True, cwd=ROOT)
    lines = res.stdout.strip().splitlines()
    assert res.returncode == 0 and len(lines) == 4 and lines[2].startswith("| 1 x 1 |"), res.stdout + res.stderr
    assert lines[2].split("|")[4].strip() == "5.0"  # 1M tokens x 5 epochs at 1M words/s

