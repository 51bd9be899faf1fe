"""word2vec on a Ray cluster: R replicas (cluster/replica.py, one Ray actor each, by default one per node) count
their shares' words (the driver adds the counts up into the vocabulary), then train their shares in rounds and
sync.

A round is --sync-tokens of text in all (each replica trains 1/R of it; fewer tokens per replica as R grows
keep what the replicas train apart between two syncs the same: at 8 replicas of 64k tokens skip-gram on
realtext diverged, of 16k it kept one replica's analogy). Rounds run without a barrier: when a replica ends
one, the driver adds its change to the first --sync-rows rows (twice as many at every second exchange of that
replica and so on: Intel's pWord2Vec's schedule) into its own copy at once (RoundSync: the MEAN_ROWS most
frequent words' rows take the change over the replicas moving them, the mean; the others all of it, the sum),
and the replica takes those rows with a later round while the others train on. A replica's last round of an epoch
hands over every row, again without a barrier (waiting for the slowest replica, combining and sending every row
at each epoch's end took 8% of a run on realtext, 2 replicas); only a checkpoint (when every replica has ended
its round) combines every row at once (Combine), and --sync-rows 0 (the control: rows combined only at each
epoch's end) waits there. The learning rate decays with the tokens all replicas have trained. A replica that
dies ends the run with one line naming its node (the last checkpoint resumes it with --resume); the driver
writes what a local run writes.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..data.shards import Shard, check_tokens, cut, discover, text_bytes
from ..data.vocab import Vocab, merge, vocab_of
from ..run import checkpoint, rundir
from ..run.config import Word2VecConfig, to_json
from ..run.errors import ClusterError, Interrupted, UserError
from ..run.interrupt import at_position, stop_requests
from ..train.word2vec import init_weights
from ..vectors import w2vfile
from ..vectors.keyed import KeyedVectors
from .connect import NAMESPACE, cluster, get, nodes
from .replica import MEAN_ROWS, ROUND_CALLS, Replica


def train_word2vec_ray(inputs: Sequence[str] | str, out: str, **config: Any) -> KeyedVectors:
    """train_word2vec with config["ray"] naming the cluster; see the module's docstring."""
    t_start = time.perf_counter()
    cfg, inputs, ckpt_dir, saved = rundir.start_run(Word2VecConfig, inputs, out, config)
    if cfg.init or cfg.hs:
        raise UserError(f"--{'init' if cfg.init else 'hs'}: built for one machine so far; run it without --ray")
    with cluster(cfg.ray) as ray:
        shards = discover(inputs)
        live = nodes(ray)
        n = cfg.replicas or len(live)
        threads = cfg.threads or min(x["cpus"] for x in live)  # every node can take one
        shares = split(shards, n, cfg.text_column)
        layout = hashlib.sha1(json.dumps([[s.key() for s in share] for share in shares]).encode()).hexdigest()
        if saved is not None and saved[1].get("corpus_layout") != layout:
            raise UserError(f"--resume: {ckpt_dir} was trained on other shares of the corpus (other inputs or "
                               "--replicas); resume with the same ones or start a new run")
        actor = ray.remote(Replica)
        replicas: list[Any] = []
        finished = False
        try:
            replicas += [actor.options(num_cpus=threads, scheduling_strategy="SPREAD", namespace=NAMESPACE,
                                       name=f"replica-{i}-{os.getpid()}", max_concurrency=ROUND_CALLS
                                       ).remote(i, threads) for i in range(n)]
            run = Rounds(ray, cfg, replicas, ckpt_dir)
            run.place()
            t0 = time.perf_counter()
            vocab = _vocab(run, shares, cfg, out, saved)
            vocab_seconds = time.perf_counter() - t0
            run.start(vocab, shares, max(1, cfg.sync_tokens // n))
            kv = run.train(out, vocab, saved, t_start, vocab_seconds, layout, threads)
            finished = True
            return kv
        except Interrupted:  # stopped at a checkpoint: the replicas are idle, so each deletes its cache
            finished = True
            raise
        finally:
            if finished:  # after an error they are ended at once (a busy one would answer only when done);
                with contextlib.suppress(Exception):  # deleting the caches is best effort (a Ctrl-C may have
                    get(ray, [r.close.remote() for r in replicas], timeout=120)  # ended a replica)
            for r in replicas:
                ray.kill(r)


def _vocab(run: Rounds, shares: list[list[Shard]], cfg: Word2VecConfig, out: str, saved: Any) -> Vocab:
    """The vocabulary (each replica counts its share, the driver adds the counts up: the local run's, byte for
    byte, while the counts stay under --max-vocab-size; or a resumed run's), saved as OUT/vocab.tsv."""
    path = os.path.join(out, "vocab.tsv")
    if saved is not None and os.path.exists(path):
        return Vocab.load(path, total_tokens=saved[1]["corpus_tokens"])
    refs = [r.count.remote(share) for r, share in zip(run.replicas, shares)]
    counts = merge((run.get_from(i, ref) for i, ref in enumerate(refs)), cfg.max_vocab_size)
    check_tokens(counts.tokens, [s for share in shares for s in share])
    vocab = vocab_of(counts, cfg)
    vocab.save(path)
    return vocab


def split(shards: list[Shard], n: int, column: str = "text") -> list[list[Shard]]:
    """The corpus in n shares of about equal text (shards.text_bytes), each a run of it in order: a shard that
    spans the point where one share ends and the next starts is cut there (shards.cut: a Parquet file by rows,
    a text file by bytes); one that cannot be cut (Arrow, compressed) goes whole to the share holding most of
    it. Whole shards alone left two replicas of realtext's nine files 3.92M and 4.48M tokens (the slower one's
    14% more was every epoch's wait). A share left empty (too few shards that can be cut) is an error."""
    shards = [s for s in shards if s.size > 0]
    with ThreadPoolExecutor(16) as pool:  # a footer read per Parquet file: many at once on a remote file system
        sizes = [size or float(s.size) for s, size in zip(shards, pool.map(text_bytes, shards))]
    total = sum(sizes)
    shares: list[list[Shard]] = [[] for _ in range(n)]
    done = 0.0
    for shard, size in zip(shards, sizes):
        lo, done = done, done + size
        # the shares its first and its last byte fall in (share r ends at total * (r + 1) / n)
        first, last = (min(int(x * n / total), n - 1) for x in (lo, done - 1e-9 * total))
        parts = cut(shard, [(total * r / n - lo) / size for r in range(first + 1, last + 1)], column) \
            if last > first else None
        if parts is None:
            shares[min(int((lo + done) / 2 * n / total), n - 1)].append(shard)
        else:
            for r, part in zip(range(first, last + 1), parts):
                shares[r].append(part)
    if not all(shares):
        raise UserError(f"--replicas {n}: the corpus's {len(shards)} shards cannot be shared among {n} replicas "
                        "(compressed or Arrow files are read whole); use fewer replicas")
    return shares


class Rounds:
    """The driver's side of training: rounds over the replicas, the averages, checkpoints, the outputs."""

    def __init__(self, ray: Any, cfg: Word2VecConfig, replicas: list[Any], ckpt_dir: str):
        self.ray, self.cfg, self.replicas, self.ckpt_dir = ray, cfg, replicas, ckpt_dir
        self.info: list[dict[str, Any]] = []
        self.round_sync = RoundSync(len(replicas))

    def get(self, refs: list[Any]) -> list[Any]:
        """ray.get of one call per replica (refs[i] is replica i's)."""
        return [self.get_from(i, ref) for i, ref in enumerate(refs)]

    def get_from(self, i: int, ref: Any) -> Any:
        """ray.get of replica i's call; a replica that died ends the run with one line naming its node."""
        try:
            return get(self.ray, ref)
        except self.ray.exceptions.RayActorError as e:
            where = f"node {self.info[i]['ip']} ({self.info[i]['node'][:12]})" if i < len(self.info) else "its node"
            ckpt = os.path.join(self.ckpt_dir, checkpoint.NAME)
            then = (f"continue from {ckpt} with --resume" if os.path.exists(ckpt) else
                    "no checkpoint was written yet; run it again")
            cause = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
            raise ClusterError(f"replica {i} on {where} died ({cause}); {then}") from None

    def place(self) -> None:
        """Where each replica runs (known before anything can fail), and the run's settings to each."""
        t0 = time.perf_counter()
        self.info = get(self.ray, [r.where.remote() for r in self.replicas], timeout=300)
        config = {**to_json(self.cfg), "ray": None, "alpha": self.cfg.effective_alpha()}
        self.get([r.prepare.remote(config, self.cfg.cache_dir) for r in self.replicas])
        self.start_seconds = time.perf_counter() - t0

    def start(self, vocab: Vocab, shares: list[list[Shard]], round_tokens: int) -> None:
        """The replicas' encoding and planning."""
        t0 = time.perf_counter()
        shared = self.ray.put(vocab)
        started = self.get([r.start.remote(shared, share, round_tokens) for r, share in zip(self.replicas, shares)])
        for info, more in zip(self.info, started):
            info.update(more)
        self.start_seconds += time.perf_counter() - t0

    def train(self, out: str, vocab: Vocab, saved: Any, t_start: float, vocab_seconds: float, layout: str,
              threads: int) -> KeyedVectors:
        cfg, start_seconds, n = self.cfg, self.start_seconds, len(self.replicas)
        n_tokens = sum(i["tokens"] for i in self.info)
        total = float(cfg.epochs * n_tokens)
        self.ends = [i["rounds"] for i in self.info]  # each replica's rounds per epoch
        if saved is not None:
            arrays, state = saved
            self.base = (arrays["syn0"], arrays["syn1"])
            self.broadcast()
        else:
            self.base = tuple(w[:, :cfg.dim].copy() for w in init_weights(len(vocab), cfg.dim, cfg.seed))
            state = {"epoch": 0, "done": [0] * n, "syncs": [0] * n, "pos": 0.0, "loss": [0.0] * cfg.epochs,
                     "pairs": [0] * cfg.epochs, "epoch_loss": [], "train_loss": [], "train_seconds": 0.0,
                     "corpus_tokens": vocab.total_tokens, "corpus_layout": layout}
        upgrade(state, self.ends, cfg.epochs)
        self.get([r.expect.remote(d) for r, d in zip(self.replicas, state["done"])])
        earlier = state["train_seconds"]
        self.per_replica = [{"tokens": 0, "seconds": 0.0} for _ in self.replicas]
        self.sync_seconds = 0.0
        self.n_rounds = sum(self.ends)
        with stop_requests() as stop:
            ckpt = checkpoint.Periodic(cfg.checkpoint_every, lambda epoch, r: self.save(state, epoch, r), stop,
                                       lambda epoch, r: at_position(epoch, cfg.epochs, r, self.n_rounds, "rounds"))
            if cfg.sync_rows:  # every row synced at each replica's epoch end, without a barrier
                self.rounds(state, [cfg.epochs * e for e in self.ends], total, ckpt)
            else:  # the control: rows combined only at each epoch's end, where every replica waits for the others
                for epoch in range(state["epoch"], cfg.epochs):
                    self.rounds(state, [(epoch + 1) * e for e in self.ends], total, ckpt)
                    if epoch + 1 < cfg.epochs:
                        self.timed(self.average)
            if not cfg.sync_rows:  # (with --sync-rows, each replica's last round handed every row over)
                self.timed(self.average, False)
            sampler = self.sampler()
            state["epoch_loss"].append(round(self.get_from(sampler, self.replicas[sampler].sample_loss.remote(
                self.ray.put(self.base))), 6))
            ckpt.end(cfg.epochs, 0, keep=cfg.keep_checkpoints)
            vectors = self.base[0]
            t_out = time.perf_counter()
            w2vfile.write_vectors(out, vocab.words, vectors, text=cfg.write_text)
            seconds = time.perf_counter() - t_start
            train_seconds = state["train_seconds"] - earlier
            per_replica, sync_seconds = self.per_replica, self.sync_seconds
            done = cfg.epochs * n_tokens - (state["pos"] - sum(p["tokens"] for p in per_replica))
            metrics = {
                "model": cfg.model, "tokens": vocab.total_tokens, "trained_tokens": n_tokens,
                "vocab_size": len(vocab), "epochs": cfg.epochs, "replicas": n,
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
            rundir.write_run_files(out, {**to_json(cfg.resolved(threads)), "replicas": n}, metrics)
            if not cfg.keep_checkpoints:
                rundir.drop_checkpoints(self.ckpt_dir)
        return KeyedVectors(vocab.words, vectors)

    def timed(self, step: Callable[..., None], *args: Any) -> None:
        t0 = time.perf_counter()
        step(*args)
        self.sync_seconds += time.perf_counter() - t0

    def sampler(self) -> int:
        """The replica whose share's sample the epochs' losses are measured on: the first that has rounds."""
        return next((i for i, e in enumerate(self.ends) if e), 0)

    def rounds(self, state: dict, stop: list[int], total: float, ckpt: checkpoint.Periodic) -> None:
        """Each replica's rounds from state["done"][i] (counted over all epochs) up to stop[i]. With 2 replicas
        each has two rounds asked of it at a time (asked_at_once), so it never waits for the driver: the rows
        the driver sends after a replica's round go with the round after its next (the replica adds its own
        change since: Replica.take_rows). A replica's last round of an epoch hands over every row (with
        --sync-rows), and the sampler replica (the first) measures its model's loss on its sample then: no
        replica waits for another but to checkpoint (all rounds ended first, then every row combined)."""
        cfg, done, ends, n = self.cfg, state["done"], self.ends, len(self.replicas)
        asked, queued = list(done), asked_at_once(n)  # rounds asked of each replica so far
        rows: list[Any] = [None] * n  # the driver's rows for replica i's next round
        running: dict[Any, tuple[int, int]] = {}  # a round's result -> (replica, round)
        self.round_sync.start([d < s for d, s in zip(done, stop)])
        sampler = self.sampler()
        draining = False
        t0 = time.perf_counter()
        while True:
            for i, x in enumerate(self.replicas):
                while not draining and asked[i] < min(stop[i], done[i] + queued):
                    epoch_end = (asked[i] + 1) % ends[i] == 0
                    state["syncs"][i] += 1
                    k = round_rows(state["syncs"][i], epoch_end, cfg.sync_rows, len(self.base[0]))
                    active = sum(d < s for d, s in zip(done, stop))
                    sample = epoch_end and i == sampler and asked[i] + 1 < cfg.epochs * ends[i]
                    ref = x.train_round.remote(asked[i], state["pos"], active, total, rows[i], k, sample)
                    running[ref] = (i, asked[i])
                    asked[i], rows[i] = asked[i] + 1, None
            if not running:
                state["train_seconds"] += time.perf_counter() - t0
                if not draining:
                    return
                epoch = state["epoch"]  # the first one some replica has not ended
                ckpt.tick(epoch, sum(min(max(d - epoch * e, 0), e) for d, e in zip(done, ends)))  # (save)
                rows, draining, t0 = [None] * n, False, time.perf_counter()
                continue
            ready = self.ray.wait(list(running), num_returns=1)[0][0]
            # a replica runs its rounds in order, so its oldest round asked has ended too: take that one first
            # (ray.wait may name a later one when both are ready)
            ref = next(x for x, (j, r) in running.items() if j == running[ready][0] and r == done[j])
            i, r = running.pop(ref)
            res = self.get_from(i, ref)
            done[i] += 1
            epoch = r // ends[i]
            mine = self.per_replica[i]
            mine["tokens"] += res["tokens"]
            mine["seconds"] += res["seconds"]
            state["pos"] += res["tokens"]
            state["loss"][epoch] += res["loss"]
            state["pairs"][epoch] += res["pairs"]
            if res["sample_loss"] is not None:
                state["epoch_loss"].append(round(res["sample_loss"], 6))
            t1 = time.perf_counter()
            if res["changes"] is not None:
                self.round_sync.add(self.base, i, *res["changes"])
                rows[i] = (r, *(base[:len(res["changes"][0])] for base in self.base))  # sent as they are when asked
            if done[i] == stop[i]:
                self.round_sync.finished(i)
            self.sync_seconds += time.perf_counter() - t1
            while state["epoch"] < cfg.epochs and all(d >= (state["epoch"] + 1) * e for d, e in zip(done, ends)):
                e = state["epoch"]  # every replica has ended epoch e
                state["train_loss"].append(round(state["loss"][e] / max(state["pairs"][e], 1), 6))
                state["epoch"] = e + 1
            draining = draining or ckpt.due()

    def average(self, send: bool = True) -> None:
        """Every row combined (Combine), the replicas' changes fetched one at a time (the driver holds a few sums
        of the model's size, not R models), and (if `send`) sent back to all of them."""
        merge = Combine(self.base)
        for i, ref in enumerate([r.changes.remote(len(self.base[0])) for r in self.replicas]):
            merge.add(*self.get_from(i, ref))
        merge.into(self.base)
        if send:
            self.broadcast()

    def broadcast(self) -> None:
        """Every replica takes the averaged weights (put once)."""
        ref = self.ray.put(self.base)
        self.get([r.set_weights.remote(ref) for r in self.replicas])

    def save(self, state: dict, epoch: int, r: int) -> str:
        """A checkpoint once every replica's round asked has ended (epoch the earliest a replica is in, r rounds
        of it done): every row combined first (the replicas go on from it)."""
        if epoch < self.cfg.epochs:
            self.average()
        return checkpoint.save(self.ckpt_dir, {"syn0": self.base[0], "syn1": self.base[1]},
                               {**state, "epoch": epoch, "config": to_json(self.cfg)})


def upgrade(state: dict, ends: list[int], epochs: int) -> None:
    """A checkpoint's state from an older version, in today's terms: counters it lacked start at 0, the one
    round count of the rounds with a barrier becomes each replica's (at most its rounds), the exchanges
    counted for all replicas are shared out among them, the rounds done in the epoch reached count over all
    epochs, and the epoch's loss and pairs are that epoch's of per-epoch sums."""
    for key, zero in (("syncs", 0), ("loss", 0.0), ("pairs", 0)):
        state.setdefault(key, zero)
    if isinstance(state["syncs"], int):
        state["syncs"] = [state["syncs"] // len(ends)] * len(ends)
    if "done" not in state:
        rounds = state.pop("rounds", None) or [state.pop("round", 0)] * len(ends)
        state["done"] = [state["epoch"] * end + min(r, end) for r, end in zip(rounds, ends)]
    for key in ("loss", "pairs"):
        if not isinstance(state[key], list):
            sums = [0 * state[key]] * epochs
            if state["epoch"] < epochs:
                sums[state["epoch"]] = state[key]
            state[key] = sums


def sync_size(n: int, sync_rows: int, rows: int) -> int:
    """Rows a replica hands over at its n-th exchange: sync_rows times 2 to the power of n's trailing zero bits
    (Intel's pWord2Vec's schedule: the first rows every time, twice as many every second, ..., every row every
    2^k-th), at most all `rows`; 0 with sync_rows 0."""
    zeros = (n & -n).bit_length() - 1
    return min(sync_rows << zeros, rows) if sync_rows else 0


def round_rows(n: int, epoch_end: bool, sync_rows: int, rows: int) -> int:
    """Rows a replica hands over after a round, its n-th exchange: every row at its epoch's end (with --sync-rows),
    else sync_size's."""
    return rows if epoch_end and sync_rows else sync_size(n, sync_rows, rows)


def asked_at_once(replicas: int) -> int:
    """Rounds asked of a replica at a time. With 2 it trains its next round while the driver takes in its last
    one (realtext, 2 replicas of 1 thread on 2 cores: with 1, each waited about 27 ms a round for the driver),
    but the driver's rows reach it a round later; with 4 and 8 replicas that lag cost analogy (skip-gram 0.229
    and 0.224 against one replica's 0.240; CBOW 0.239 and 0.211 against 0.266), so only 2 replicas take 2."""
    return 2 if replicas <= 2 else 1


def add_change(rows: np.ndarray, change: np.ndarray, movers: np.ndarray) -> None:
    """rows[:len(change)] += change, the first len(movers) rows' (the frequent words') divided by the replicas
    that moved them (at least 1): their mean; the others' whole, a sum (as one model trained on all the text
    would take them). What Ray hands over is read-only, so `change` is not written."""
    top = len(movers)
    rows[:top] += change[:top] / np.maximum(movers, 1).astype(np.float32)[:, None]
    rows[top:len(change)] += change[top:]


class RoundSync:
    """One replica's change to rows [0, k) after a round, added to the driver's rows at once (add_change). The
    MEAN_ROWS frequent rows' movers are the replicas whose last round updated the row, among those still
    training this epoch (every replica moves them most of the way to where its text pulls them between two
    syncs)."""

    def __init__(self, n: int):
        self.moving = np.ones((n, 2, MEAN_ROWS), bool)

    def start(self, training: list[bool]) -> None:
        """An epoch begins: every replica still training counts as moving every frequent row."""
        self.moving[...] = np.array(training, bool)[:, None, None]

    def finished(self, i: int) -> None:
        self.moving[i] = False

    def add(self, base: tuple[np.ndarray, np.ndarray], i: int, d0: np.ndarray, d1: np.ndarray,
            moved: np.ndarray) -> None:
        top = min(MEAN_ROWS, len(d0))
        self.moving[i, :, :top] = moved[:, :top] > 0
        for m, change in enumerate((d0, d1)):
            add_change(base[m], change, self.moving[:, m, :top].sum(axis=0))


class Combine:
    """The replicas' changes to every row since each last synced it, combined at an epoch's end (or a
    checkpoint) by a round's rule (add_change, the movers those whose change updated the row). (Weighing each
    replica's change by the updates it gave the row scored the same within the runs' noise, 2-8 replicas, both
    models; this is the simpler rule, the rounds' own.)"""

    def __init__(self, base: tuple[np.ndarray, np.ndarray]):
        self.sum = [np.zeros(b.shape, np.float32) for b in base]
        self.moving = np.zeros((2, min(MEAN_ROWS, len(base[0]))), np.int64)

    def add(self, d0: np.ndarray, d1: np.ndarray, moved: np.ndarray) -> None:
        self.moving += moved[:, :self.moving.shape[1]] > 0
        for m, change in enumerate((d0, d1)):
            self.sum[m] += change

    def into(self, base: tuple[np.ndarray, np.ndarray]) -> None:
        for m in range(2):
            add_change(base[m], self.sum[m], self.moving[m])
