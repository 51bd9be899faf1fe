"""Checkpoints: a run killed with SIGKILL after a checkpoint, or stopped by SIGINT / SIGTERM, finishes with --resume,
bit for bit (1 thread)."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import ROOT, SAMPLE, random_rows

import streamnlp
from streamnlp.run.errors import UserError

W2V = ["--dim", "32", "--epochs", "40", "--block-tokens", "20000"]
LM = ["--vocab-size", "200", "--emb", "16", "--hidden", "32", "--bptt", "8", "--batch", "8", "--epochs", "6"]


@pytest.mark.parametrize("command, extra, output, sig", [
    ("word2vec", W2V, "vectors.bin", signal.SIGKILL),
    ("word2vec", W2V, "vectors.bin", signal.SIGINT),
    ("word2vec", ["--model", "cbow", *W2V], "vectors.bin", signal.SIGTERM),
    ("glove", ["--dim", "32", "--epochs", "3000"], "vectors.bin", signal.SIGINT),
    ("lm", LM, "model.npz", signal.SIGKILL),
    ("lm", LM, "model.npz", signal.SIGINT),
])
def test_a_stopped_run_finishes_with_resume_with_the_uninterrupted_outputs(tmp_path, command, extra, output, sig):
    """SIGKILL after a checkpoint, or SIGINT / SIGTERM (Ctrl-C, a scheduler's stop) at any time in
    training: the latter stop at the next block boundary with a checkpoint, one line naming it and the
    command that continues, and exit status 128 + the signal. Either way --resume ends with the outputs of
    a run never stopped, bit for bit (1 thread)."""
    out = tmp_path / "stopped"
    args = [sys.executable, "-m", "streamnlp", command, SAMPLE, "--out", str(out), "--threads", "1",
            "--checkpoint-every", "0.05", *extra]
    # as a terminal's foreground job: a shell's background job (a CI script's, say) ignores SIGINT
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    ckpt = out / "checkpoints" / "last.npz"
    deadline = time.time() + 120
    while not ckpt.exists() and time.time() < deadline and proc.poll() is None:  # training has begun
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(sig)
    stderr = proc.communicate(timeout=120)[1]
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    else:
        assert proc.returncode == 128 + sig, stderr
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"stream-train: stopped by {sig.name} in epoch "), stderr
        assert f"checkpoint {ckpt}; continue with: stream-train {command} " in lines[0]
        assert lines[0].endswith(" --resume") and ckpt.exists()
    assert not (out / output).exists()
    done = subprocess.run(args + ["--resume"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    metrics = json.load(open(out / "metrics.json"))
    assert metrics["resumed"] is True and metrics["tokens"] == 353838
    assert metrics["seconds"] >= metrics["train_seconds"] and metrics["earlier_train_seconds"] > 0
    full = tmp_path / "full"
    subprocess.run([a if a != str(out) else str(full) for a in args], cwd=ROOT, check=True, capture_output=True)
    if output.endswith(".npz"):  # the model file also holds the config, whose `resume` differs
        assert np.array_equal(np.load(out / output)["params"], np.load(full / output)["params"])
    else:
        assert open(out / output, "rb").read() == open(full / output, "rb").read()


def test_resume_from_a_checkpoint_taken_after_an_epochs_last_block(tmp_path, monkeypatch):
    """Checkpoints come only every --checkpoint-every seconds (checked after each block) and at the end,
    so the one a run killed between epochs leaves is the last block's (epoch, all its blocks done).
    Resuming from it gives the uninterrupted run's vectors (1 thread)."""
    import streamnlp.train.word2vec as w2v

    args = dict(epochs=2, threads=1, dim=16, block_tokens=20000, write_text=False, checkpoint_every=1e-9)
    full = w2v.train_word2vec(SAMPLE, str(tmp_path / "full"), **args)
    block = w2v.Trainer.block

    def killed_in_epoch_1(self, epoch, *a, **k):
        if epoch == 1:
            raise KeyboardInterrupt
        return block(self, epoch, *a, **k)

    monkeypatch.setattr(w2v.Trainer, "block", killed_in_epoch_1)
    with pytest.raises(KeyboardInterrupt):
        w2v.train_word2vec(SAMPLE, str(tmp_path / "run"), **args)
    with np.load(tmp_path / "run" / "checkpoints" / "last.npz") as z:
        state = json.loads(z["__state__"].tobytes())
    assert state["epoch"] == 0 and state["block"] > 1
    monkeypatch.setattr(w2v.Trainer, "block", block)
    resumed = w2v.train_word2vec(SAMPLE, str(tmp_path / "run"), resume=True, **args)
    assert np.array_equal(resumed.vectors, full.vectors)


@pytest.mark.parametrize("train", ["word2vec", "glove", "lm"])
def test_resume_refuses_a_corpus_cut_into_other_blocks_and_takes_a_touched_one(tmp_path, train):
    """A checkpoint's position counts blocks: after the inputs changed it would name other text."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("\n".join(random_rows(2000, seed=8)) + "\n")
    run = getattr(streamnlp, f"train_{train}")
    kw = dict(threads=1, epochs=1, keep_checkpoints=True,
              **({"vocab_size": 50} if train == "lm" else {"dim": 8, "write_text": False}))
    run(str(corpus), str(tmp_path / "run"), **kw)
    os.utime(corpus / "a.txt", (1e9, 1e9))  # the same text, another time: the same blocks
    run(str(corpus), str(tmp_path / "run"), resume=True, **kw)
    (corpus / "b.txt").write_text("\n".join(random_rows(200, seed=9)) + "\n")
    with pytest.raises(UserError, match="--resume: the corpus's blocks are not those"):
        run(str(corpus), str(tmp_path / "run"), resume=True, **kw)
