"""A word2vec training replica (run as a Ray actor): its share of the corpus encoded into a cache of its
own, trained Hogwild on its threads with its own copy of both matrices, a round at a time.

A round is the replica's next piece of about --sync-tokens / R tokens (whole sentences of its schedule's
steps, in order). After it the replica hands the driver its change to the most frequent rows since it last
synced them, and takes the driver's rows with a later round (the others train on meanwhile). Its learning
rate follows the tokens all replicas have trained (the driver's count), and its random streams are its own
(seeded by replica and round).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from typing import Any

import numpy as np

from ..data.codes import fresh_folder
from ..data.encode import encode_corpus
from ..data.shards import Shard
from ..data.vocab import Counts, Vocab, count_units
from ..kernels.rows import add_to_both, hand_over, take_over
from ..run.config import Word2VecConfig, make_config
from ..run.threads import in_background, thread_limits
from ..train.regions import Schedule, interleave
from ..train.word2vec import Trainer, init_weights, loss_sample, warm_up

# The most frequent words whose rows take the replicas' mean change at a sync (the others take the sum).
# realtext, skip-gram, 4 replicas: 64 diverged, 256 kept analogy within 0.01 of one replica, 1024 lost 0.035
# (averaging trains a row 1/R as fast), 8192 lost 0.10.
MEAN_ROWS = 256
# Calls a replica's actor runs at once: two, so that Ray fetches a round's arguments and sends its result while
# the next round trains (realtext, 2 replicas on 2 cores: one at a time, a replica waited a median 5.2-5.6 ms
# between two rounds, its own result's trip to the object store and the next round's arguments'). More would
# only wait their turn (the driver asks at most two rounds of a replica at a time).
ROUND_CALLS = 2


class Replica:
    """Made at once (where it runs is known before its work starts: a replica that dies is named by its
    node); `prepare` takes the run's settings, `count` counts its share's words, `start` encodes its share
    and readies its trainer."""

    def __init__(self, index: int, threads: int):
        self.index, self.threads = index, threads
        # Ray runs two of its calls at once (ROUND_CALLS), so a round's arguments arrive and its result leaves
        # while the round before or after trains; the rounds themselves take turns, in order
        self.turn = threading.Condition()
        self.next_round: int | None = None  # the round whose turn it is (None: any, called one at a time)

    def where(self) -> dict[str, Any]:
        import ray
        return {"node": ray.get_runtime_context().get_node_id(), "ip": ray.util.get_node_ip_address(),
                "pid": os.getpid()}

    def prepare(self, config: dict[str, Any], cache_root: str | None) -> None:
        """The run's settings and a cache folder of its own; the kernel starts loading beside the passes."""
        self.cfg = make_config(Word2VecConfig, {**config, "threads": self.threads})
        if cache_root:
            os.makedirs(cache_root, exist_ok=True)
        self.folder = tempfile.mkdtemp(prefix=f"streamnlp-replica{self.index}-", dir=cache_root)
        self.codes: str | None = None
        self.compiling = in_background(warm_up, self.cfg)

    def count(self, shards: list[Shard]) -> Counts:
        """The counting pass over this replica's share, on its threads; the shards' dictionary-encoded rows
        stay in its cache folder, so start encodes them without reading the shards again (as a local run)."""
        self.codes = fresh_folder(self.folder)
        with thread_limits(self.threads):
            return count_units(shards, self.cfg, self.codes)

    def start(self, vocab: Vocab, shards: list[Shard], round_tokens: int) -> dict[str, Any]:
        """Encode this replica's shards (from count's codes, or read again) into its cache folder, plan its
        rounds of about `round_tokens` tokens, and make its weights (word2vec's start, the same on every
        replica). Returns its tokens, rounds and encoding seconds."""
        t0 = time.perf_counter()
        cfg = self.cfg
        self.corpus = encode_corpus(shards, vocab, cfg, self.folder, threads=self.threads, codes=self.codes)
        if self.codes:
            shutil.rmtree(self.codes, ignore_errors=True)
        self.compiling()
        encode_seconds = time.perf_counter() - t0
        # which of the MEAN_ROWS frequent rows took an update since they were last synced: an input row when its
        # word occurred, every output row when any token trained (each is a noise word's row)
        self.moved = np.zeros((2, MEAN_ROWS), bool)
        self.plan: list[tuple[int, int, int]] = []  # (step, first sentence, end sentence) per round
        self.schedule = Schedule(self.corpus, cfg.effective_regions())
        for step, _, offsets in self.schedule.iter_steps():
            self.plan += [(step, a, b) for a, b in pieces(offsets, round_tokens)]
        self.loss_text = loss_sample(self.corpus)  # the text sample_loss scores (read once, as a local run does)
        prob, alias = vocab.noise_table(cfg.ns_exponent)
        spare = Trainer.spare_rows(cfg, len(vocab), self.threads)
        self.trainer = Trainer(cfg, vocab.keep_probs(cfg.sample), prob, alias,
                               *init_weights(len(vocab), cfg.dim, cfg.seed, spare), self.corpus.n_tokens, self.threads)
        # both matrices as they were when each row was last synced: what a row moved since is this replica's
        # change to hand over
        self.synced = tuple(w[:len(vocab), :cfg.dim].copy() for w in (self.trainer.syn0, self.trainer.syn1))
        # the changes handed over that the driver's rows may not hold yet: (round, syn0 rows, syn1 rows)
        self.sent: list[tuple[int, np.ndarray, np.ndarray]] = []
        self._step: tuple[int, np.ndarray, np.ndarray] | None = None
        return {"tokens": self.corpus.n_tokens, "rounds": len(self.plan), "encode_seconds": encode_seconds}

    def train_round(self, g: int, pos: float, active: int, total: float,
                    rows: tuple[int, np.ndarray, np.ndarray] | None, k: int, sample: bool) -> dict[str, Any]:
        """Take the driver's rows (as they stood once it held this replica's change of round rows[0]), then
        train round g (counted over all epochs: round g % rounds of epoch g // rounds) with the learning rate
        where `pos` of `total` tokens stand, `active` replicas training at once. Returns the round's loss,
        pairs, tokens and seconds, this replica's change to its first k rows since they were last synced
        (changes), and if `sample` its model's loss on its sample (sample_loss) after the round. A round asked
        while the one before it still trains waits for it (the driver asks them in order)."""
        with self.turn:
            self.turn.wait_for(lambda: self.next_round in (None, g))
            out = self._round(g, pos, active, total, rows, k, sample)
            if self.next_round is not None:
                self.next_round = g + 1
            self.turn.notify_all()
        return out

    def expect(self, g: int) -> None:
        """Round g is the first the driver will ask; the others follow in order (train_round)."""
        with self.turn:
            self.next_round = g
            self.turn.notify_all()  # the turns change under their lock, and a round asked meanwhile rechecks its turn

    def _round(self, g: int, pos: float, active: int, total: float,
               rows: tuple[int, np.ndarray, np.ndarray] | None, k: int, sample: bool) -> dict[str, Any]:
        if rows is not None:
            self.take_rows(*rows)
        t0 = time.perf_counter()
        epoch, r = divmod(g, len(self.plan))
        ids, offsets = self._piece(*self.plan[r])
        # (no thread_limits: the trainer takes at most its threads, and entering it took 0.9 ms a round)
        loss, pairs = self.trainer.block(epoch, (self.index << 32) | r, 0, ids, offsets,
                                         schedule=(pos / active, total / active))
        self.moved[0, ids[ids < MEAN_ROWS]] = True
        self.moved[1] |= len(ids) > 0
        out = {"loss": loss, "pairs": pairs, "tokens": len(ids), "seconds": time.perf_counter() - t0,
               "changes": None, "sample_loss": self.sample_loss() if sample else None}
        if k:
            out["changes"] = self.changes(k)
            self.sent.append((g, *out["changes"][:2]))
        return out

    def take_rows(self, upto: int, syn0: np.ndarray, syn1: np.ndarray) -> None:
        """The driver's first rows as they stood once it held this replica's changes up to round `upto`, plus
        the changes handed over since (a round asked before the driver answered the last: its own steps are
        not lost), are the rows' synced values; what the rows moved since their last sync and was not handed
        over yet (a row past the last change's k) stays on top."""
        self.sent = [s for s in self.sent if s[0] > upto]
        for m, (w, last, rows) in enumerate(zip((self.trainer.syn0, self.trainer.syn1), self.synced, (syn0, syn1))):
            take_over(w, last, rows)
            for sent in self.sent:
                change = sent[1 + m][:len(rows)]
                add_to_both(w, last, change)

    def changes(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """How far the first k rows of both matrices moved since they were last synced, and which of the
        frequent ones among them (moved[m, row], row < MEAN_ROWS) took updates; from here on they count as
        synced (the driver holds the change)."""
        out = []
        for w, last in zip((self.trainer.syn0, self.trainer.syn1), self.synced):
            out.append(np.empty((k, last.shape[1]), np.float32))
            hand_over(w, last, out[-1])
        moved = self.moved[:, :k].copy()
        self.moved[:, :k] = False
        return out[0], out[1], moved

    def _piece(self, step: int, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        if self._step is None or self._step[0] != step:
            self._step = (step, *interleave([self.corpus.read_block(b) for b in self.schedule.steps[step]]))
        _, ids, offsets = self._step
        return ids[offsets[a]:offsets[b]], offsets[a:b + 1] - offsets[a]

    def set_weights(self, weights: tuple[np.ndarray, np.ndarray]) -> None:
        """Every row as the driver combined them (every change handed over is in them)."""
        self.sent = []
        self.take_rows(-1, *weights)

    def sample_loss(self, weights: tuple[np.ndarray, np.ndarray] | None = None) -> float:
        """The model's loss on this replica's sample (word2vec.loss_sample): its own, or `weights` set first."""
        if weights is not None:
            self.set_weights(weights)
        return self.trainer.sample_loss(*self.loss_text)

    def close(self) -> None:
        if hasattr(self, "corpus"):
            self.corpus.release()
        if hasattr(self, "folder"):
            shutil.rmtree(self.folder, ignore_errors=True)


def pieces(offsets: np.ndarray, tokens: int) -> list[tuple[int, int]]:
    """[first, end) sentence ranges of about `tokens` tokens each (at least one sentence) covering a step."""
    n = len(offsets) - 1
    cuts = np.unique(np.searchsorted(offsets, np.arange(tokens, int(offsets[-1]), tokens), side="left"))
    bounds = [0, *[int(c) for c in cuts if 0 < c < n], n]
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
