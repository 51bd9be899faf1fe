"""word2vec driver: epochs, the linear learning-rate schedule, threads, progress, checkpoints, outputs.

The kernel (kernels/sgns.py) sees only arrays. Blocks stream from the encoded cache through a
prefetch thread while the kernel (which releases the GIL) trains on the previous one.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from typing import Any

import numba
import numpy as np
from tqdm import tqdm

from ..data.encode import EncodedCorpus
from ..data.pairs import SUB_TOKENS
from ..data.prepare import finish_run, prepare_corpus
from ..kernels.common import sub_blocks
from ..kernels.huffman import huffman_tree, path_targets
from ..kernels.sgns import HOT_SYNC_CENTERS, Step, variant, worker
from ..run import checkpoint, rundir
from ..run.config import Word2VecConfig, to_json
from ..run.errors import UserError
from ..run.interrupt import StopRequest, at_position, stop_requests
from ..run.threads import in_background, run_parallel, thread_limits, threads_or_default
from ..vectors import w2vfile
from ..vectors.keyed import KeyedVectors
from .regions import Schedule

# Tokens of the corpus whose loss is reported after each epoch (loss_sample): 1.5% of an epoch of realtext.
SAMPLE_TOKENS = 1 << 17
NO_TRACE = np.zeros((0, 0, 2), dtype=np.int32)
NO_TRACE_N = np.zeros(0, dtype=np.int64)
NO_TREE = (np.zeros((0, 1), np.int32), np.zeros(0, np.int32), np.zeros(0, np.int32))


def line_aligned(rows: np.ndarray, extra_rows: int = 0) -> np.ndarray:
    """A copy of `rows` (V x D float32) widened with zero columns to whole 64-byte cache lines, each row
    starting on one, followed by `extra_rows` zero rows. No two words share a cache line, so threads
    writing neighbouring hot rows do not contend for it, and the kernels' row loops run in whole
    vectors. The padding stays zero through training (every update to it is a product with a zero),
    so `[:V, :D]` is the model."""
    n, dim = rows.shape
    out = _aligned_zeros(n + extra_rows, dim)
    out[:n, :dim] = rows
    return out


def line_width(dim: int) -> int:
    """dim float32 columns widened to whole 64-byte lines (16 to a line)."""
    return -(-dim // 16) * 16


def _aligned_zeros(n: int, dim: int) -> np.ndarray:
    """n zero rows of dim float32 widened to whole 64-byte lines, each row starting on one."""
    width = line_width(dim)
    buf = np.zeros(n * width + 16, dtype=np.float32)
    first = (-buf.ctypes.data % 64) // 4
    return buf[first:first + n * width].reshape(n, width)


def model_columns(dim: int, weights: np.ndarray) -> int:
    """The columns of `weights` that the kernels train: the model's dim where they are line_aligned rows of dim
    columns (their padding after), else all of them (weights of another width, as tests pass)."""
    return dim if weights.shape[1] == line_width(dim) else weights.shape[1]


def init_weights(n_words: int, dim: int, seed: int, extra_rows: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """word2vec's start: inputs uniform in [-0.5/D, 0.5/D), outputs zero; both line_aligned (with
    `extra_rows` zero rows after the model's)."""
    rng = np.random.default_rng(seed)
    syn0 = ((rng.random((n_words, dim), dtype=np.float32) - np.float32(0.5)) / np.float32(dim))
    return line_aligned(syn0, extra_rows), _aligned_zeros(n_words + extra_rows, dim)


class Trainer:
    """State of one word2vec run: weights (the kernels take any width; runs pass line_aligned ones),
    noise/keep tables, and where in the schedule it stands. With hot rows, weights without the spare
    rows are copied into larger ones: read the trained model from trainer.syn0 / trainer.syn1."""

    def __init__(self, cfg: Word2VecConfig, keep: np.ndarray, prob: np.ndarray, alias: np.ndarray,
                 syn0: np.ndarray, syn1: np.ndarray, n_tokens: int, threads: int | None = None,
                 tree: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None):
        """tree: --hs's Huffman tree (tree_of)."""
        self.cfg, self.keep, self.prob, self.alias = cfg, keep, prob, alias
        self.tree = tree if tree is not None else NO_TREE
        self.total = float(cfg.epochs * n_tokens)
        self.n_tokens = n_tokens
        self.threads = threads or numba.config.NUMBA_NUM_THREADS  # the most `block` uses
        n = len(keep)  # the vocabulary
        spare = self.spare_rows(cfg, n, self.threads)
        if len(syn0) != n + spare:  # the model's rows alone: add the spare rows (a copy)
            syn0, syn1 = line_aligned(syn0, spare), line_aligned(syn1, spare)
        self._w0, self._w1 = syn0, syn1
        self._base0, self._base1 = (np.zeros((spare, syn0.shape[1]), np.float32) for _ in range(2))
        self.syn0, self.syn1 = syn0[:n], syn1[:n]
        self._worker = worker(variant(cfg.model == "sg", cfg.shared_negatives, cfg.hs), model_columns(cfg.dim, syn0))

    @staticmethod
    def spare_rows(cfg: Word2VecConfig, n_words: int, threads: int | None = None) -> int:
        """Rows after the model's that hold the copies of the hot rows of each of up to `threads` threads
        (default: Numba's pool); weights made with them (init_weights / line_aligned extra_rows) are
        trained in place."""
        threads = threads or numba.config.NUMBA_NUM_THREADS
        hot = max((cfg.effective_hot_rows(t) for t in range(2, threads + 1)), default=0)
        return threads * min(hot, n_words)

    def block(self, epoch: int, b: int, tok_start: int, ids: np.ndarray, offsets: np.ndarray,
              trace: np.ndarray = NO_TRACE, trace_n: np.ndarray = NO_TRACE_N, alpha: float | None = None,
              schedule: tuple[float, float] | None = None) -> tuple[float, int]:
        """Train on one block with the run's threads (numba.get_num_threads(), set by thread_limits, at
        most the Trainer's), each a train_worker taking sub-blocks as it is free; returns (summed loss,
        positive pairs). `alpha` replaces the starting learning rate (0: score without training);
        `schedule` = (pos0, total) replaces where the learning rate's decay stands (a replica's is global)."""
        c = self.cfg
        subs = sub_blocks(offsets, SUB_TOKENS)
        n_sub = len(subs) - 1
        threads = min(numba.get_num_threads(), self.threads)
        workers = max(1, min(threads, n_sub))
        hot = min(c.effective_hot_rows(threads), len(self.syn0))
        hot_out, hot_every, out_share, lasting = hot_copies(hot, workers, c.hs)
        alpha = c.effective_alpha() if alpha is None else alpha
        pos0, total = schedule or (float(epoch * self.n_tokens + tok_start), self.total)
        step = Step(c.sample > 0, c.window, c.negative, alpha, pos0, total, c.seed, epoch, b, len(self.syn0), hot,
                    hot_out, hot_every, out_share, lasting)
        losses, pairs, next_sub = np.zeros(n_sub), np.zeros(n_sub, np.int64), np.zeros(1, np.int64)
        max_len = int(np.diff(offsets).max())
        run_parallel(lambda tid: self._worker(tid, next_sub, step, ids, offsets, subs, max_len, self._w0, self._w1,
                                              self._base0, self._base1, self.keep, self.prob, self.alias, losses,
                                              pairs, trace, trace_n, *self.tree), workers)
        return float(losses.sum()), int(pairs.sum())

    def sample_loss(self, ids: np.ndarray, offsets: np.ndarray) -> float:
        """The model's loss per positive pair on a fixed sample (ids, offsets), as it stands: the sample's
        pairs and noise words are drawn the same every time (epoch 0, block 0) and the learning rate is 0,
        so nothing is trained and two calls differ only by what training did in between."""
        loss, pairs = self.block(0, 0, 0, ids, offsets, alpha=0.0)
        return loss / max(pairs, 1)


def loss_sample(corpus: EncodedCorpus, tokens: int = SAMPLE_TOKENS, spots: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """(ids, offsets) of whole sentences from up to `spots` blocks spread over the corpus, about `tokens` in
    all: the text Trainer.sample_loss scores at each epoch's end."""
    picks = np.unique(np.linspace(0, len(corpus.blocks) - 1, min(spots, len(corpus.blocks))).astype(int))
    ids_parts, lens = [], []
    for b in picks:
        ids, offsets = corpus.read_block(int(b))
        k = max(1, int(np.searchsorted(offsets, tokens // len(picks))))
        k = min(k, len(offsets) - 1)
        ids_parts.append(ids[:offsets[k]])
        lens.append(np.diff(offsets[:k + 1]))
    lengths = np.concatenate(lens)
    return np.concatenate(ids_parts), np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def hot_copies(hot: int, k: int, hs: bool = False) -> tuple[int, int, np.float32, bool]:
    """(output rows copied, centers between syncs, share of a unit's change to them the shared rows take,
    whether a thread's copies last over all the sub-blocks it takes) for `hot` hot rows and k work units at
    once: output rows too only for k <= 2, where summed copies cannot overshoot (kernels.sgns.push_hot), and
    under hierarchical softmax (the tree's top nodes) their mean; a sync every HOT_SYNC_CENTERS / k centers
    keeps what all threads train between two syncs constant. The copies last under hierarchical softmax only:
    its 1,024 hot rows of each matrix, pulled and pushed at every 4,096-token sub-block too, cost CBOW's epoch
    on two threads 17% (realtext, 7 alternated pairs of 8, the same analogy over seeds 1-5); skip-gram's 256
    under negative sampling gained nothing from lasting copies (2 pairs of 6) and its loss rose (2.335
    against 2.332), so there they start afresh at every sub-block."""
    return (hot if k <= 2 else 0), HOT_SYNC_CENTERS // k, np.float32(1.0 / k if hs else 1.0), hs


def tree_of(vocab) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """--hs's Huffman tree of the vocabulary's counts, as the kernels take it: each word's path as targets
    (code-0 nodes first), their count, the path's length (kernels.huffman). Nodes are numbered from the root
    (0) down, so the nodes every path crosses are syn1's first rows, which --hot-rows copies per thread as it
    copies the frequent words' rows under negative sampling."""
    if len(vocab) < 2:
        raise UserError("--hs: the vocabulary has one word; a tree needs two (lower --min-count)")
    points, codes, lengths = huffman_tree(vocab.counts.astype(np.int64))
    points = (len(vocab) - 2 - points).astype(np.int32)  # the root row 0, its children next: the hot rows
    return (*path_targets(points, codes, lengths), lengths)


def warm_up(cfg: Word2VecConfig) -> float:
    """Compile (or load from Numba's cache) the kernel for cfg on an empty block; returns the seconds.
    It needs no corpus, so a run does it beside the corpus passes."""
    t0 = time.perf_counter()
    none = np.zeros(0, np.float32)
    tiny = Trainer(cfg, none, none, np.zeros(0, np.int32), *init_weights(0, cfg.dim, cfg.seed), 1)
    tiny.block(0, 0, 0, np.zeros(0, np.int32), np.zeros(2, np.int64))
    return time.perf_counter() - t0


def train_word2vec(inputs: Sequence[str] | str, out: str, **config: Any) -> KeyedVectors:
    """Train skip-gram or CBOW on the shards named by `inputs`, write the run into `out`, return the vectors."""
    t_start = time.perf_counter()
    cfg, inputs, ckpt_dir, saved = rundir.start_run(Word2VecConfig, inputs, out, config)
    check_objective(cfg)
    earlier_run = EarlierRun(cfg.init, cfg) if cfg.init and saved is None else None
    compiling = in_background(warm_up, cfg)  # Arrow's passes leave the GIL free most of the time
    vocab, corpus, timings = prepare_corpus(inputs, out, cfg, resume=saved[1] if saved is not None else None,
                                            base=earlier_run.vocab if earlier_run else None)
    compile_seconds = compiling()
    prob, alias = vocab.noise_table(cfg.ns_exponent)
    resumed = saved is not None
    threads = min(threads_or_default(cfg.threads), numba.config.NUMBA_NUM_THREADS)  # thread_limits' bound
    spare = Trainer.spare_rows(cfg, len(vocab), threads)
    if resumed:
        arrays, state = saved
        syn0, syn1 = line_aligned(arrays["syn0"], spare), line_aligned(arrays["syn1"], spare)
        if "train_loss" not in state:  # a checkpoint whose epoch_loss means the trained pairs' loss
            state["train_loss"], state["epoch_loss"] = state["epoch_loss"], [None] * len(state["epoch_loss"])
    else:
        syn0, syn1 = init_weights(len(vocab), cfg.dim, cfg.seed, spare)
        if earlier_run is not None:
            earlier_run.place(syn0, syn1)
        state = {"epoch": 0, "block": 0, "epoch_loss": [], "train_loss": [], "loss": 0.0, "pairs": 0,
                 "train_seconds": 0.0, "corpus_tokens": vocab.total_tokens, "corpus_layout": corpus.layout}
    schedule = Schedule(corpus, cfg.effective_regions())
    start = state["epoch"] + int(schedule.starts[state["block"]]) / corpus.n_tokens  # epochs done before this run
    earlier = state["train_seconds"]
    trainer = Trainer(cfg, vocab.keep_probs(cfg.sample), prob, alias, syn0, syn1, corpus.n_tokens, threads,
                      tree_of(vocab) if cfg.hs else None)
    times = {"sample_loss_seconds": 0.0}
    with stop_requests() as stop:  # until the outputs are written: a signal never leaves half of them
        with thread_limits(threads):
            state = _epochs(trainer, schedule, state, ckpt_dir, cfg, stop, times)
        t_out = time.perf_counter()
        last = in_background(_save, trainer, state, ckpt_dir, cfg, cfg.epochs, 0) if cfg.keep_checkpoints else None
        vectors = np.ascontiguousarray(trainer.syn0[:, :cfg.dim])
        w2vfile.write_vectors(out, vocab.words, vectors, text=cfg.write_text)
        if last is not None:
            last()  # written beside the vectors
        train_seconds = state["train_seconds"] - earlier
        seconds = time.perf_counter() - t_start
        metrics = {
            "model": cfg.model, "tokens": vocab.total_tokens - (earlier_run.vocab.total_tokens if earlier_run else 0),
            "trained_tokens": corpus.n_tokens, "vocab_tokens": vocab.total_tokens,
            "vocab_size": len(vocab), "epochs": cfg.epochs, "threads": threads,
            **rundir.run_times(seconds, train_seconds, earlier),
            "words_per_s": round((vocab.total_tokens - (earlier_run.vocab.total_tokens if earlier_run else 0))
                                 * (cfg.epochs - start) / seconds),
            "train_words_per_s": round(corpus.n_tokens * (cfg.epochs - start) / max(train_seconds, 1e-9)),
            "compile_seconds": round(compile_seconds, 3), "write_seconds": round(time.perf_counter() - t_out, 3),
            **{k: round(v, 3) for k, v in {**timings, **times}.items()},
            "loss_per_epoch": state["epoch_loss"],
            "final_loss": state["epoch_loss"][-1] if state["epoch_loss"] else None,
            "train_loss_per_epoch": state["train_loss"], "resumed": resumed,
        }
        rundir.write_run_files(out, to_json(cfg.resolved(threads)), metrics)
        finish_run(cfg, ckpt_dir, corpus)
    return KeyedVectors(vocab.words, vectors)


def check_objective(cfg: Word2VecConfig) -> None:
    if cfg.negative == 0 and not cfg.hs:
        raise UserError("--negative 0 trains nothing without --hs; give --negative N or --hs")
    if cfg.hs and cfg.negative:
        raise UserError(f"--hs with --negative {cfg.negative}: both at once is not built yet; pass --negative 0 for "
                        "hierarchical softmax alone")


class EarlierRun:
    """--init: an earlier run's vocabulary and weights. Its input vectors come from vectors.bin; its output
    weights from its kept checkpoint (--keep-checkpoints) when there is one, else they start at zero, as a new
    run's do."""

    def __init__(self, folder: str, cfg: Word2VecConfig):
        from ..data.vocab import Vocab
        dim = cfg.dim
        paths = [os.path.join(folder, n) for n in ("vocab.tsv", "vectors.bin", "config.json", "metrics.json")]
        if not all(os.path.exists(p) for p in paths):
            raise UserError(f"--init {folder}: no vocab.tsv, vectors.bin, config.json and metrics.json; pass the "
                            "--out folder of a finished word2vec run")
        with open(paths[2]) as f:
            before = json.load(f)
        with open(paths[3]) as f:
            m = json.load(f)
        tokens = m.get("vocab_tokens", m.get("tokens"))  # every token its counts come from (--init's too)
        for key in ("text_column", "lowercase", "token_pattern", "phrases"):
            if before.get(key) != getattr(cfg, key):
                raise UserError(f"--init {folder}: that run read its text with --{key.replace('_', '-')} "
                                f"{before.get(key)!r}, not {getattr(cfg, key)!r}; read the new shards the same way")
        self.vocab = Vocab.load(paths[0], total_tokens=tokens)
        words, self.syn0 = w2vfile.read_binary(paths[1])
        if words != self.vocab.words or self.syn0.shape[1] != dim:
            raise UserError(f"--init {folder}: its vectors ({self.syn0.shape[1]} dims) do not match its vocab.tsv or "
                            f"--dim {dim}; pass the same --dim as that run")
        saved = checkpoint.load(os.path.join(folder, "checkpoints"))
        self.syn1 = saved[0]["syn1"] if saved is not None and saved[0]["syn1"].shape == self.syn0.shape else None

    def place(self, syn0: np.ndarray, syn1: np.ndarray) -> None:
        """The earlier words' rows into the new weights (their first rows)."""
        n, d = self.syn0.shape
        syn0[:n, :d] = self.syn0
        if self.syn1 is not None:
            syn1[:n, :d] = self.syn1


def _epochs(tr: Trainer, schedule: Schedule, state: dict, ckpt_dir: str, cfg: Word2VecConfig,
            stop: StopRequest | None = None, times: dict | None = None) -> dict:
    """The epochs from where `state` stands; state["block"] counts the schedule's steps done in its epoch.
    Each epoch's loss is the model's on loss_sample as the epoch ends (epoch_loss), beside the mean over the
    pairs it trained on (train_loss): a model trained with a falling learning rate follows the text it
    reads less and less, so the latter rose in the last epoch on realtext while the model improved."""
    n_tokens = int(schedule.starts[-1])
    done = state["epoch"] * n_tokens + int(schedule.starts[state["block"]])
    bar = tqdm(total=cfg.epochs * n_tokens, initial=done, unit="w", unit_scale=True,
               desc=f"word2vec {cfg.model}", mininterval=1.0, smoothing=0.1, disable=None)
    ckpt = checkpoint.Periodic(
        cfg.checkpoint_every, lambda epoch, block: _save(tr, state, ckpt_dir, cfg, epoch, block), stop,
        lambda epoch, block: at_position(epoch, cfg.epochs, block, len(schedule.steps), "blocks"))

    sample = loss_sample(schedule.corpus)
    with bar:
        for epoch in range(state["epoch"], cfg.epochs):
            first = state["block"] if epoch == state["epoch"] else 0
            for step, ids, offsets in schedule.iter_steps(first):
                t0 = time.perf_counter()
                loss, pairs = tr.block(epoch, step, int(schedule.starts[step]), ids, offsets)
                state["train_seconds"] += time.perf_counter() - t0
                state["loss"] += loss
                state["pairs"] += pairs
                bar.update(len(ids))
                bar.set_postfix(loss=f"{state['loss'] / max(state['pairs'], 1):.4f}", refresh=False)
                ckpt.tick(epoch, step + 1)
            t0 = time.perf_counter()
            state["epoch_loss"].append(round(tr.sample_loss(*sample), 6))
            if times is not None:
                times["sample_loss_seconds"] += time.perf_counter() - t0
            state["train_loss"].append(round(state["loss"] / max(state["pairs"], 1), 6))
            state["loss"], state["pairs"], state["block"] = 0.0, 0, 0
            state["epoch"] = epoch + 1
    ckpt.end(cfg.epochs, 0, keep=False)  # a kept last checkpoint is written beside the vectors
    return state


def _save(tr: Trainer, state: dict, ckpt_dir: str, cfg: Word2VecConfig, epoch: int, block: int) -> str:
    """The checkpoint of both matrices at (epoch, block); the last one (cfg.epochs, 0) marks a finished run."""
    return checkpoint.save(ckpt_dir, {"syn0": tr.syn0[:, :cfg.dim], "syn1": tr.syn1[:, :cfg.dim]},
                    {**state, "epoch": epoch, "block": block, "config": to_json(cfg)})
