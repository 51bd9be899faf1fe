"""Shared fixtures: small corpora written by the tests themselves (never ../shared)."""
import os
import random
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = os.path.join(ROOT, "sample_corpus")
QUESTIONS = os.path.join(SAMPLE, "_eval", "questions-words.txt")


def write_parquet(path, rows, column="text"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pq.write_table(pa.table({column: rows}), path)
    return path


def stopped_at_once(signum):
    """A stand-in for interrupt.stop_requests whose request has `signum` from the start: the trainer stops at
    its first place to stop, as after a Ctrl-C (2) or SIGTERM (15) there."""
    import contextlib

    from streamnlp.run.interrupt import StopRequest

    @contextlib.contextmanager
    def requests():
        request = StopRequest()
        request.signum = signum
        yield request
    return requests


def random_rows(n, seed=0, vocab=60, max_len=30):
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocab)]
    weights = [1.0 / (i + 1) for i in range(vocab)]
    return [" ".join(rng.choices(words, weights, k=rng.randint(0, max_len))) for _ in range(n)]


@pytest.fixture
def zipf_text(tmp_path):
    """A million tokens of 1000 made-up words drawn by Zipf's law, 20 per line: frequent words as
    frequent as a real corpus's, so their rows are updated as often."""
    rng = np.random.default_rng(0)
    p = 1.0 / np.arange(1, 1001)
    toks = rng.choice(1000, size=1_000_000, p=p / p.sum())
    path = tmp_path / "zipf.txt"
    with open(path, "w") as f:
        f.writelines(" ".join(f"w{t}" for t in toks[k:k + 20]) + "\n" for k in range(0, len(toks), 20))
    return str(path)


@pytest.fixture
def small_corpus(tmp_path):
    """Two Parquet shards of Zipf-distributed made-up words."""
    d = tmp_path / "corpus"
    write_parquet(str(d / "a.parquet"), random_rows(300, seed=1))
    write_parquet(str(d / "sub" / "b.parquet"), random_rows(200, seed=2))
    return str(d)


def run_cli(*args, timeout=300):
    """Run `python -m streamnlp ARGS`; returns the CompletedProcess (text mode)."""
    return subprocess.run([sys.executable, "-m", "streamnlp", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


@pytest.fixture(scope="session")
def ray_cluster():
    """One Ray cluster for the whole test session: two nodes of one CPU each (ray.cluster_utils.Cluster),
    small object stores; yields its address, with this process connected to it."""
    import ray
    from ray.cluster_utils import Cluster
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    node = dict(num_cpus=1, object_store_memory=80 << 20)
    cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
    cluster.add_node(**node)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, namespace="streamnlp", log_to_driver=False)
    yield cluster.address
    ray.shutdown()
    cluster.shutdown()
