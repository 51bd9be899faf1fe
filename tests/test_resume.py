"""Checkpoints: a run killed with SIGKILL after a checkpoint finishes with --resume, bit for bit (1 thread)."""
import json
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT, SAMPLE


@pytest.mark.parametrize("command, extra", [
    ("word2vec", ["--epochs", "40", "--block-tokens", "20000"]),
    ("glove", ["--epochs", "400"]),
])
def test_resume_after_sigkill_finishes_with_the_same_vectors(tmp_path, command, extra):
    out = tmp_path / "killed"
    args = [sys.executable, "-m", "streamnlp", command, SAMPLE, "--out", str(out), "--threads", "1",
            "--dim", "32", "--checkpoint-every", "0.05", *extra]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt = out / "checkpoints" / "last.npz"
    deadline = time.time() + 120
    while not ckpt.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert not (out / "vectors.bin").exists()
    done = subprocess.run(args + ["--resume"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    metrics = json.load(open(out / "metrics.json"))
    assert metrics["resumed"] is True and metrics["tokens"] == 353838
    full = tmp_path / "full"
    subprocess.run([a if a != str(out) else str(full) for a in args], cwd=ROOT, check=True, capture_output=True)
    assert open(out / "vectors.bin", "rb").read() == open(full / "vectors.bin", "rb").read()
