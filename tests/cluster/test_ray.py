"""cluster/: the passes as Ray tasks give the local passes' results; word2vec's replicas train; a replica
that dies ends the run with one line naming its node. On the session's two-node Ray cluster."""
import glob
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import QUESTIONS, ROOT, SAMPLE, random_rows, write_parquet

import streamnlp
from streamnlp.data.shards import discover
from streamnlp.data.vocab import build_vocab
from streamnlp.run.config import VocabConfig
from streamnlp.train.cooccur import RECORD


@pytest.fixture
def corpus(tmp_path):
    """Six shards of made-up words, two of them small enough to make one unit of work together."""
    d = tmp_path / "corpus"
    for k, n in enumerate([3000, 2500, 2000, 1500, 100, 80]):
        write_parquet(str(d / f"part-{k}.parquet"), random_rows(n, seed=k, vocab=400))
    return str(d)


def test_the_vocabulary_counted_on_the_cluster_is_the_local_one(ray_cluster, corpus):
    import ray

    from streamnlp.cluster.passes import build_vocab_ray
    cfg = VocabConfig(min_count=2)
    shards = discover([corpus])
    local, remote = build_vocab(shards, cfg), build_vocab_ray(ray, shards, cfg)
    assert remote.words == local.words and np.array_equal(remote.counts, local.counts)
    assert remote.total_tokens == local.total_tokens > 100_000


def _records(run):
    r = np.concatenate([np.fromfile(p, dtype=RECORD) for p in sorted(glob.glob(f"{run}/cooccur/bucket-*.bin"))])
    return r[np.lexsort((r["col"], r["row"]))]


def test_glove_counts_on_the_cluster_are_the_local_ones(ray_cluster, corpus, tmp_path, monkeypatch):
    from streamnlp.train import cooccur
    monkeypatch.setattr(cooccur, "BUCKET_PAIRS", 1 << 16)  # several buckets, counted from each side's corpus size
    kw = dict(epochs=1, dim=8, threads=1, min_count=2, window=6, keep_cache=True)
    streamnlp.train_glove(corpus, str(tmp_path / "local"), **kw)
    streamnlp.train_glove(corpus, str(tmp_path / "ray"), ray=ray_cluster, **kw)
    local, remote = _records(tmp_path / "local"), _records(tmp_path / "ray")
    assert len(local) > 10_000 and np.array_equal(local, remote)
    files = [sorted(glob.glob(f"{tmp_path / run}/cooccur/bucket-*.bin")) for run in ("local", "ray")]
    assert len(files[0]) == len(files[1]) > 1  # the same shuffled file: same buckets, same order in each
    assert all(open(a, "rb").read() == open(b, "rb").read() for a, b in zip(*files))
    assert open(tmp_path / "ray" / "vocab.tsv").read() == open(tmp_path / "local" / "vocab.tsv").read()


def test_two_replicas_on_two_nodes_train_the_planted_relations(ray_cluster, tmp_path):
    """sample_corpus's four files shared by two replicas of one thread, one per node; the vocabulary they
    counted (each its share, added up by the driver) is the local one."""
    out = tmp_path / "run"
    kv = streamnlp.train_word2vec(SAMPLE, str(out), ray=ray_cluster, replicas=2, threads=1, epochs=5, seed=3)
    m = json.load(open(out / "metrics.json"))
    assert m["replicas"] == 2 and len(m["per_replica"]) == 2
    assert sum(r["tokens"] for r in m["per_replica"]) == m["trained_tokens"]
    assert len(m["loss_per_epoch"]) == 5 and m["loss_per_epoch"][-1] < m["loss_per_epoch"][0]
    assert sorted(os.listdir(out)) == ["config.json", "metrics.json", "vectors.bin", "vectors.txt", "vocab.tsv"]
    assert kv.evaluate_word_analogies(QUESTIONS)[0] >= 0.95
    build_vocab(discover([SAMPLE]), VocabConfig()).save(str(tmp_path / "local.tsv"))  # counted by the replicas
    assert open(out / "vocab.tsv").read() == open(tmp_path / "local.tsv").read()


def test_a_replica_that_dies_ends_the_run_with_one_line_naming_its_node(ray_cluster, tmp_path):
    import ray
    args = [sys.executable, "-m", "streamnlp", "word2vec", SAMPLE, "--out", str(tmp_path / "run"), "--ray",
            ray_cluster, "--replicas", "2", "--threads", "1", "--epochs", "200", "--checkpoint-every", "0.5"]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "RAY_AUTH_MODE": "disabled"})
    name, deadline = f"replica-1-{proc.pid}", time.time() + 120
    actor = None
    while actor is None and time.time() < deadline and proc.poll() is None:
        try:
            actor = ray.get_actor(name, namespace="streamnlp")
        except ValueError:
            time.sleep(0.2)
    assert actor is not None, proc.communicate()[1][-2000:]
    while not (tmp_path / "run" / "checkpoints" / "last.npz").exists() and time.time() < deadline:
        time.sleep(0.1)  # into training
    ray.kill(actor, no_restart=True)
    _, err = proc.communicate(timeout=120)
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("stream-train")]
    assert proc.returncode == 1 and "Traceback" not in err, err[-2000:]
    assert len(lines) == 1 and lines[0].startswith("stream-train: error: replica 1 on node "), err[-2000:]
    assert "died" in lines[0] and lines[0].endswith("with --resume")


def test_the_local_path_imports_no_ray(tmp_path):
    script = ("import sys, streamnlp\n"
              f"streamnlp.train_word2vec({SAMPLE!r}, {str(tmp_path / 'run')!r}, epochs=1, dim=8)\n"
              "assert 'ray' not in sys.modules, 'ray was imported'\n")
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]


def test_ray_without_a_cluster_is_one_line(tmp_path):
    res = subprocess.run([sys.executable, "-m", "streamnlp", "vocab", SAMPLE, "--out", str(tmp_path / "v"), "--ray",
                          "127.0.0.1:1"], capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env={**os.environ, "RAY_AUTH_MODE": "disabled"})
    lines = [ln for ln in res.stderr.strip().splitlines() if ln.startswith("stream-train")]
    assert res.returncode == 2 and len(lines) == 1 and "--ray 127.0.0.1:1: cannot reach the cluster" in lines[0]


def test_a_run_stopped_by_ctrl_c_resumes_on_the_cluster(ray_cluster, tmp_path):
    out = tmp_path / "run"
    args = [sys.executable, "-m", "streamnlp", "word2vec", SAMPLE, "--out", str(out), "--ray", ray_cluster,
            "--replicas", "2", "--threads", "1", "--epochs", "10", "--sync-tokens", "16384",
            "--checkpoint-every", "0.3"]
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    ckpt, deadline = out / "checkpoints" / "last.npz", time.time() + 180
    while not ckpt.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=120)[1]
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("stream-train")]
    assert proc.returncode == 130 and len(lines) == 1 and " rounds done; checkpoint " in lines[0], err[-2000:]
    assert lines[0].endswith("--resume")
    done = subprocess.run(args + ["--resume"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    m = json.load(open(out / "metrics.json"))
    assert m["resumed"] is True and m["earlier_train_seconds"] > 0 and len(m["loss_per_epoch"]) == 10


def test_local_n_starts_its_own_cluster_beside_one_already_running(ray_cluster, tmp_path):
    """--ray local:N is a cluster of its own in the run's process, even while another runs on this machine."""
    res = subprocess.run([sys.executable, "-m", "streamnlp", "vocab", SAMPLE, "--out", str(tmp_path / "v"), "--ray",
                          "local:1"], capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env={**os.environ, "RAY_AUTH_MODE": "disabled"})
    assert res.returncode == 0, res.stderr[-2000:]
    assert (tmp_path / "v" / "vocab.tsv").exists()


def test_more_replicas_than_the_corpus_can_be_shared_among_is_one_line(ray_cluster, tmp_path):
    import pyarrow as pa
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("a.txt.gz", "b.txt.gz"):  # compressed files are read whole: two shares at most
        with pa.CompressedOutputStream(str(corpus / name), "gzip") as f:
            f.write(("\n".join(random_rows(300, seed=1)) + "\n").encode())
    res = subprocess.run([sys.executable, "-m", "streamnlp", "word2vec", str(corpus), "--out", str(tmp_path / "run"),
                          "--ray", ray_cluster, "--replicas", "3"], capture_output=True, text=True, cwd=ROOT,
                         timeout=300)
    lines = [ln for ln in res.stderr.strip().splitlines() if ln.startswith("stream-train")]
    assert res.returncode == 2 and len(lines) == 1, res.stderr[-2000:]
    assert "--replicas 3: the corpus's 2 shards cannot be shared among 3 replicas" in lines[0]
    assert "use fewer replicas" in lines[0]
