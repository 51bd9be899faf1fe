"""Checkpoints: a run killed with SIGKILL after a checkpoint finishes with --resume, bit for bit (1 thread)."""
import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import ROOT, SAMPLE


@pytest.mark.parametrize("command, extra, output", [
    ("word2vec", ["--dim", "32", "--epochs", "40", "--block-tokens", "20000"], "vectors.bin"),
    ("glove", ["--dim", "32", "--epochs", "3000"], "vectors.bin"),
    ("lm", ["--vocab-size", "200", "--emb", "16", "--hidden", "32", "--bptt", "8", "--batch", "8", "--epochs", "6"],
     "model.npz"),
])
def test_resume_after_sigkill_finishes_with_the_same_outputs(tmp_path, command, extra, output):
    out = tmp_path / "killed"
    args = [sys.executable, "-m", "streamnlp", command, SAMPLE, "--out", str(out), "--threads", "1",
            "--checkpoint-every", "0.05", *extra]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt = out / "checkpoints" / "last.npz"
    deadline = time.time() + 120
    while not ckpt.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert not (out / output).exists()
    done = subprocess.run(args + ["--resume"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    metrics = json.load(open(out / "metrics.json"))
    assert metrics["resumed"] is True and metrics["tokens"] == 353838
    full = tmp_path / "full"
    subprocess.run([a if a != str(out) else str(full) for a in args], cwd=ROOT, check=True, capture_output=True)
    if output.endswith(".npz"):  # the model file also holds the config, whose `resume` differs
        assert np.array_equal(np.load(out / output)["params"], np.load(full / output)["params"])
    else:
        assert open(out / output, "rb").read() == open(full / output, "rb").read()
