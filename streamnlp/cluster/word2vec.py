"""word2vec on a Ray cluster: the vocabulary counted by Ray tasks, then R replicas (cluster/replica.py, one
Ray actor each, by default one per node) that train their shares of the corpus in rounds and average.

After every round (--sync-tokens of each replica's text) the replicas take the mean of the --sync-rows most
frequent words' rows (Intel's pWord2Vec averages the top 1,024 rows every 0.1 s); at each epoch's end (and
at a checkpoint) every row becomes the count-weighted mean of the replicas' changes to it: a word one
replica saw 90 times and another 10 moves 0.9 of the first's change and 0.1 of the second's, so a word
only one share holds keeps its whole change instead of 1/R of it. The learning rate decays with the
tokens all replicas have trained. A replica that dies ends the run with one line naming its node (the
last checkpoint resumes it with --resume); the driver writes what a local run writes.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..data.shards import Shard, discover, unit_bytes
from ..data.vocab import Vocab
from ..run import checkpoint, rundir
from ..run.config import Word2VecConfig, to_json
from ..run.errors import ClusterError, UserError
from ..run.interrupt import at_position, stop_requests
from ..train.word2vec import init_weights
from ..vectors import w2vfile
from ..vectors.keyed import KeyedVectors
from .connect import NAMESPACE, cluster, nodes
from .passes import build_vocab_ray
from .replica import Replica


def train_word2vec_ray(inputs: Sequence[str] | str, out: str, **config: Any) -> KeyedVectors:
    """train_word2vec with config["ray"] naming the cluster; see the module's docstring."""
    t_start = time.perf_counter()
    cfg, inputs, ckpt_dir, saved = rundir.start_run(Word2VecConfig, inputs, out, config)
    with cluster(cfg.ray) as ray:
        shards = discover(inputs)
        t0 = time.perf_counter()
        vocab = _vocab(ray, shards, cfg, out, saved)
        vocab_seconds = time.perf_counter() - t0
        live = nodes(ray)
        n = cfg.replicas or len(live)
        threads = cfg.threads or max(1, sum(x["cpus"] for x in live) // n)
        shares = split(shards, n)
        layout = hashlib.sha1(json.dumps([[s.key() for s in share] for share in shares]).encode()).hexdigest()
        if saved is not None and saved[1].get("corpus_layout") != layout:
            raise UserError(f"--resume: {ckpt_dir} was trained on other shares of the corpus (other inputs or "
                               "--replicas); resume with the same ones or start a new run")
        actor = ray.remote(Replica)
        replicas = [actor.options(num_cpus=threads, scheduling_strategy="SPREAD", namespace=NAMESPACE,
                                  name=f"replica-{i}-{os.getpid()}").remote(
                        i, {**to_json(cfg), "ray": None}, vocab, share, cfg.cache_dir, threads)
                    for i, share in enumerate(shares)]
        run = Rounds(ray, cfg, replicas, ckpt_dir)
        try:
            return run.train(out, vocab, saved, t_start, vocab_seconds, layout, threads)
        finally:
            for r in replicas:
                try:
                    ray.get(r.close.remote(), timeout=60)
                except Exception:  # noqa: BLE001 - already dead: its folder goes with its node's temp
                    pass
                ray.kill(r)


def _vocab(ray: Any, shards: list[Shard], cfg: Word2VecConfig, out: str, saved: Any) -> Vocab:
    """The vocabulary (counted on the cluster, or a resumed run's), saved as OUT/vocab.tsv."""
    path = os.path.join(out, "vocab.tsv")
    if saved is not None and os.path.exists(path):
        return Vocab.load(path, total_tokens=saved[1]["corpus_tokens"])
    vocab = build_vocab_ray(ray, shards, cfg)
    vocab.save(path)
    return vocab


def split(shards: list[Shard], n: int) -> list[list[Shard]]:
    """The shards (files, or pieces of large ones) shared among n replicas by size, largest first to the
    least loaded, each share in corpus order; fewer shards than replicas is an error."""
    if len(shards) < n:
        raise UserError(f"--replicas {n}: the corpus has {len(shards)} shards (files, or pieces of large ones) to "
                        f"share; use at most {len(shards)} replicas")
    sizes = unit_bytes([[s] for s in shards])
    load, owner = [0.0] * n, [0] * len(shards)
    for k in sorted(range(len(shards)), key=lambda k: -sizes[k]):
        owner[k] = r = min(range(n), key=lambda r: load[r])
        load[r] += sizes[k]
    return [[s for k, s in enumerate(shards) if owner[k] == r] for r in range(n)]


class Rounds:
    """The driver's side of training: rounds over the replicas, the averages, checkpoints, the outputs."""

    def __init__(self, ray: Any, cfg: Word2VecConfig, replicas: list[Any], ckpt_dir: str):
        self.ray, self.cfg, self.replicas, self.ckpt_dir = ray, cfg, replicas, ckpt_dir
        self.info: list[dict[str, Any]] = []

    def get(self, refs: list[Any]) -> list[Any]:
        """ray.get of one call per replica (refs[i] is replica i's)."""
        return [self.get_from(i, ref) for i, ref in enumerate(refs)]

    def get_from(self, i: int, ref: Any) -> Any:
        """ray.get of replica i's call; a replica that died ends the run with one line naming its node."""
        try:
            return self.ray.get(ref)
        except self.ray.exceptions.RayActorError as e:
            where = f"node {self.info[i]['ip']} ({self.info[i]['node'][:12]})" if i < len(self.info) else "its node"
            ckpt = os.path.join(self.ckpt_dir, checkpoint.NAME)
            then = (f"continue from {ckpt} with --resume" if os.path.exists(ckpt) else
                    "no checkpoint was written yet; run it again")
            cause = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
            raise ClusterError(f"replica {i} on {where} died ({cause}); {then}") from None

    def train(self, out: str, vocab: Vocab, saved: Any, t_start: float, vocab_seconds: float, layout: str,
              threads: int) -> KeyedVectors:
        cfg = self.cfg
        t0 = time.perf_counter()
        self.info = self.get([r.info.remote() for r in self.replicas])
        start_seconds = time.perf_counter() - t0
        counts = np.stack([i["counts"] for i in self.info])  # (replicas, words)
        n_tokens = sum(i["tokens"] for i in self.info)
        total = float(cfg.epochs * n_tokens)
        if saved is not None:
            arrays, state = saved
            self.base = (arrays["syn0"], arrays["syn1"])
            self.broadcast()
        else:
            self.base = tuple(w[:, :cfg.dim].copy() for w in init_weights(len(vocab), cfg.dim, cfg.seed))
            state = {"epoch": 0, "round": 0, "pos": 0.0, "epoch_loss": [], "train_loss": [], "train_seconds": 0.0,
                     "corpus_tokens": vocab.total_tokens, "corpus_layout": layout}
        self.weights_of = counts / np.maximum(counts.sum(axis=0), 1)  # each replica's share of each word
        earlier = state["train_seconds"]
        per_replica = [{"tokens": 0, "seconds": 0.0} for _ in self.replicas]
        sync_seconds = 0.0
        with stop_requests() as stop:
            ckpt = checkpoint.Periodic(cfg.checkpoint_every, lambda epoch, r: self.save(state, epoch, r), stop,
                                       lambda epoch, r: at_position(epoch, cfg.epochs, r, self.n_rounds, "rounds"))
            self.n_rounds = max(i["rounds"] for i in self.info)
            for epoch in range(state["epoch"], cfg.epochs):
                loss = pairs = 0.0
                rows = None
                for r in range(state["round"] if epoch == state["epoch"] else 0, self.n_rounds):
                    active = sum(r < i["rounds"] for i in self.info)
                    t0 = time.perf_counter()
                    results = self.get([x.train_round.remote(epoch, r, state["pos"], active, total, rows)
                                        for x in self.replicas])
                    state["train_seconds"] += time.perf_counter() - t0
                    for k, res in enumerate(results):
                        per_replica[k]["tokens"] += res["tokens"]
                        per_replica[k]["seconds"] += res["seconds"]
                    state["pos"] += sum(res["tokens"] for res in results)
                    loss += sum(res["loss"] for res in results)
                    pairs += sum(res["pairs"] for res in results)
                    t1 = time.perf_counter()
                    rows = self.mean_rows([res["rows"] for res in results if res["tokens"]])
                    sync_seconds += time.perf_counter() - t1
                    state["round"] = r + 1
                    ckpt.tick(epoch, r + 1)
                t1 = time.perf_counter()
                self.average()
                sync_seconds += time.perf_counter() - t1
                state["epoch_loss"].append(round(self.get([self.replicas[0].sample_loss.remote()])[0], 6))
                state["train_loss"].append(round(loss / max(pairs, 1), 6))
                state["epoch"], state["round"] = epoch + 1, 0
            ckpt.end(cfg.epochs, 0, keep=cfg.keep_checkpoints)
            vectors = self.base[0]
            t_out = time.perf_counter()
            w2vfile.write_vectors(out, vocab.words, vectors, text=cfg.write_text)
            seconds = time.perf_counter() - t_start
            train_seconds = state["train_seconds"] - earlier
            done = cfg.epochs * n_tokens - (state["pos"] - sum(p["tokens"] for p in per_replica))
            metrics = {
                "model": cfg.model, "tokens": vocab.total_tokens, "trained_tokens": n_tokens,
                "vocab_size": len(vocab), "epochs": cfg.epochs, "replicas": len(self.replicas),
                "threads_per_replica": threads, **rundir.run_times(seconds, train_seconds, earlier),
                "words_per_s": round(vocab.total_tokens / n_tokens * done / seconds),
                "vocab_seconds": round(vocab_seconds, 3), "replica_start_seconds": round(start_seconds, 3),
                "sync_seconds": round(sync_seconds, 3), "write_seconds": round(time.perf_counter() - t_out, 3),
                "loss_per_epoch": state["epoch_loss"],
                "final_loss": state["epoch_loss"][-1] if state["epoch_loss"] else None,
                "train_loss_per_epoch": state["train_loss"], "resumed": saved is not None,
                "per_replica": [{"node": i["ip"], "tokens": i["tokens"],
                                 "encode_seconds": round(i["encode_seconds"], 3),
                                 "train_seconds": round(p["seconds"], 3),
                                 "words_per_s": round(p["tokens"] / max(p["seconds"], 1e-9))}
                                for i, p in zip(self.info, per_replica)],
            }
            rundir.write_run_files(out, {**to_json(cfg), "replicas": len(self.replicas), "threads": threads},
                                   metrics)
            if not cfg.keep_checkpoints:
                rundir.drop_checkpoints(self.ckpt_dir)
        return KeyedVectors(vocab.words, vectors)

    def mean_rows(self, rows: list[Any]) -> Any:
        """The mean of the replicas' frequent rows, put once for all of them (None: nothing to average)."""
        if not rows or rows[0] is None:
            return None
        return self.ray.put((np.mean([r[0] for r in rows], axis=0, dtype=np.float64).astype(np.float32),
                             np.mean([r[1] for r in rows], axis=0, dtype=np.float64).astype(np.float32)))

    def average(self) -> None:
        """Every row: the last average plus the replicas' changes weighted by their share of its word;
        replicas' weights fetched one at a time (the driver holds two sums, not R models)."""
        sums = [np.zeros(w.shape, np.float64) for w in self.base]
        for i, ref in enumerate([r.weights.remote() for r in self.replicas]):
            share = self.weights_of[i][:, None]
            for total, w, base in zip(sums, self.get_from(i, ref), self.base):
                total += share * (w - base)
        self.base = tuple((base + total).astype(np.float32) for base, total in zip(self.base, sums))
        self.broadcast()

    def broadcast(self) -> None:
        """Every replica takes the averaged weights (put once)."""
        ref = self.ray.put(self.base)
        self.get([r.set_weights.remote(ref) for r in self.replicas])

    def save(self, state: dict, epoch: int, r: int) -> str:
        """A checkpoint at round r of epoch: every row averaged first (the replicas go on from it)."""
        if r > 0 and epoch < self.cfg.epochs:
            self.average()
        return checkpoint.save(self.ckpt_dir, {"syn0": self.base[0], "syn1": self.base[1]},
                               {**state, "epoch": epoch, "round": r, "config": to_json(self.cfg)})
