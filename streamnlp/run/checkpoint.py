"""Checkpoints: matrices + progress position + config in one .npz, written atomically; resume reads it back.

The generators need no saved state: every stream is seeded from (seed, epoch, block, sub-block),
so the position (epoch, next block) is the whole generator state.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .atomic import atomic_write
from .errors import UserError
from .interrupt import StopRequest

NAME = "last.npz"


def save(folder: str, arrays: dict[str, np.ndarray], state: dict[str, Any]) -> str:
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, NAME)
    with atomic_write(path, "wb") as f:
        np.savez(f, __state__=np.frombuffer(json.dumps(state).encode(), dtype=np.uint8), **arrays)
    return path


def load(folder: str) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """(arrays, state) of the last checkpoint in `folder`, or None if there is none."""
    path = os.path.join(folder, NAME)
    if not os.path.exists(path):
        return None
    try:
        with np.load(path) as z:
            arrays = {k: z[k] for k in z.files if k != "__state__"}
            state = json.loads(z["__state__"].tobytes().decode())
    except (OSError, ValueError, KeyError) as e:
        raise UserError(f"{path}: unreadable checkpoint ({e}); delete it to start over") from None
    return arrays, state


class Periodic:
    """Calls save(*where) (which returns the checkpoint's path) on `tick` once `seconds` have passed since
    the last save (0: never), and on `now`. With a StopRequest (interrupt.stop_requests), a tick or `now`
    after a signal saves and raises Interrupted, naming the place with describe(*where)."""

    def __init__(self, seconds: float, save: Callable[..., str], stop: StopRequest | None = None,
                 describe: Callable[..., str] = lambda *where: f"at {where}"):
        self.seconds, self.save, self.stop, self.describe = seconds, save, stop, describe
        self.last = time.perf_counter()

    def due(self) -> bool:
        """Whether a tick now would save: a signal came, or `seconds` have passed."""
        return (self.stop is not None and self.stop.signum is not None) or \
            bool(self.seconds and time.perf_counter() - self.last > self.seconds)

    def tick(self, *where: Any) -> None:
        if self.due():
            self.now(*where)

    def end(self, *where: Any, keep: bool) -> None:
        """After the last step: a checkpoint of the finished run if it is to be kept, or if a signal came
        after the last tick (validation, say), so that it still stops with one to resume from."""
        if keep or (self.stop is not None and self.stop.signum is not None):
            self.now(*where)

    def now(self, *where: Any) -> None:
        path = self.save(*where)
        self.last = time.perf_counter()
        if self.stop is not None:
            self.stop.check(path, self.describe(*where))


def check_same_config(saved: dict[str, Any], now: dict[str, Any], ignore: set[str], path: str) -> None:
    """--resume continues only the same training run: every setting but `ignore` must match."""
    for key in sorted(set(saved) | set(now)):
        if key not in ignore and saved.get(key) != now.get(key):
            raise UserError(f"--resume: {path} was trained with {key}={saved.get(key)!r}, not "
                            f"{now.get(key)!r}; use the same settings or another --out")
