"""The tasks' training loop: epochs over shuffled items, each piece of an epoch split among the threads (Hogwild
steps into shared weights, BLAS single-threaded in each), a progress bar, dev scores after each epoch, periodic
checkpoints, Ctrl-C and --resume."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from ..run import checkpoint
from ..run.config import TaskConfig, to_json
from ..run.interrupt import StopRequest
from ..run.threads import run_parallel

PIECES = 20  # an epoch is cut into this many pieces: the places a stop or a checkpoint can come


def order(n: int, seed: int, epoch: int) -> np.ndarray:
    """The items of an epoch in their training order: a permutation drawn from (seed, epoch) alone."""
    return np.random.default_rng([seed, epoch]).permutation(n).astype(np.int64)


def new_state() -> dict[str, Any]:
    return {"epoch": 0, "piece": 0, "loss": 0.0, "items": 0, "train_seconds": 0.0, "trained": 0,
            "loss_per_epoch": [], "dev": []}


def rate(cfg: TaskConfig, epoch: int, piece: int) -> float:
    """The learning rate of a piece: --lr, or with --lr-decay linear falling from it to 1e-4 of it as word2vec's
    does, piece by piece over the run."""
    if cfg.lr_decay == "none":
        return cfg.lr
    return cfg.lr * max(1.0 - (epoch * PIECES + piece) / (cfg.epochs * PIECES), 1e-4)


Step = Callable[[np.ndarray, float, int], tuple[float, int]]


def run_epochs(flat: np.ndarray, n: int, weights: np.ndarray, step: Step,
               cfg: TaskConfig, threads: int, state: dict[str, Any], ckpt_dir: str, stop: StopRequest | None,
               score_dev: Callable[[], dict[str, Any]] | None, unit: str, desc: str) -> dict[str, Any]:
    """Train cfg.epochs over n items: step(items, lr, when) runs one thread's SGD steps on those items at rate lr
    (`when` numbers the piece of the run) (a kernel that
    releases the GIL) and returns (summed loss, units trained). weights[i] is item i's size in units (the
    progress bar's). flat is the model's parameters, which checkpoints save."""
    per_epoch = float(weights.sum())
    bar = tqdm(total=cfg.epochs * per_epoch, unit=unit, unit_scale=True, desc=desc, mininterval=1.0, disable=None)
    ckpt = checkpoint.Periodic(cfg.checkpoint_every, lambda epoch, piece: checkpoint.save(
        ckpt_dir, {"params": flat}, {**state, "epoch": epoch, "piece": piece, "config": to_json(cfg)}), stop,
        lambda epoch, piece: f"in epoch {epoch + 1} of {cfg.epochs}, after {piece} of its {PIECES} pieces")
    with bar, threadpool_limits(limits=1, user_api="blas"):
        bar.update(state["epoch"] * per_epoch)
        for epoch in range(state["epoch"], cfg.epochs):
            items = order(n, cfg.seed, epoch)
            pieces = np.array_split(items, PIECES)
            first = state["piece"] if epoch == state["epoch"] else 0
            bar.update(sum(float(weights[p].sum()) for p in pieces[:first]))
            for k in range(first, PIECES):
                parts = np.array_split(pieces[k], threads)
                results: list[tuple[float, int]] = [(0.0, 0)] * threads
                t0 = time.perf_counter()

                def work(i: int, parts: list[np.ndarray] = parts, results: list = results,
                         lr: float = rate(cfg, epoch, k), when: int = epoch * PIECES + k) -> None:
                    results[i] = step(parts[i], lr, when)
                run_parallel(work, threads)
                state["train_seconds"] += time.perf_counter() - t0
                state["loss"] += sum(r[0] for r in results)
                state["items"] += sum(r[1] for r in results)
                state["trained"] += sum(r[1] for r in results)
                bar.update(float(weights[pieces[k]].sum()))
                ckpt.tick(epoch, k + 1) if k + 1 < PIECES else None
            state["loss_per_epoch"].append(round(state["loss"] / max(state["items"], 1), 6))
            if score_dev is not None:
                scores = score_dev()
                state["dev"].append(scores)
                bar.set_postfix({k: f"{v:.4f}" for k, v in scores.items() if isinstance(v, float)}, refresh=False)
            state.update(loss=0.0, items=0, piece=0, epoch=epoch + 1)
            if epoch + 1 < cfg.epochs:
                ckpt.tick(epoch + 1, 0)
    ckpt.end(cfg.epochs, 0, keep=cfg.keep_checkpoints)
    return state
