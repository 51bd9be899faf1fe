"""tools/ray_call_cost.py: a call's cost measured against the session's Ray cluster, for rows small enough to
travel inside the call and for rows past Ray's 100 KiB bound (through the object store); an address that does not
answer is one line and exit 2."""
import json
import subprocess
import sys

from conftest import ROOT


def test_it_measures_a_call_that_travels_inline_and_one_through_the_object_store(ray_cluster):
    res = subprocess.run([sys.executable, "tools/ray_call_cost.py", "--ray", ray_cluster, "--rows", "8,20000",
                          "--dim", "4", "--calls", "5"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert [r["rows"] for r in rows] == [8, 20000]
    assert [r["bytes_each_way"] for r in rows] == [256, 640000]  # two matrices of rows x 4 float32s
    assert all(r["wall_ms"] > 0 and r["driver_cpu_ms"] >= 0 and r["actor_cpu_ms"] > 0 for r in rows)


def test_an_address_that_does_not_answer_is_one_line():
    res = subprocess.run([sys.executable, "tools/ray_call_cost.py", "--ray", "127.0.0.1:1", "--rows", "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr.strip().startswith("--ray 127.0.0.1:1: cannot reach the cluster")
    assert len(res.stderr.strip().splitlines()) == 1


def test_rows_that_are_not_whole_numbers_above_0_are_refused_before_connecting():
    for flags, says in ((["--rows", "x"], "--rows x: give whole numbers"), (["--calls", "0"], "must be above 0")):
        res = subprocess.run([sys.executable, "tools/ray_call_cost.py", "--ray", "127.0.0.1:1", *flags], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 2 and says in res.stderr.strip().splitlines()[-1] and "Traceback" not in res.stderr
