"""The --out run folder: checked before work starts; the outputs every trainer writes into it."""
from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Callable
from typing import Any

from . import checkpoint
from .atomic import write_json
from .config import make_config, to_json
from .errors import UserError

RESUME_IGNORES = {"resume", "threads", "checkpoint_every", "write_text", "cache_dir", "keep_checkpoints", "keep_cache",
                  "ray"}


def prepare(out: str, flag: str = "--out") -> str:
    """Create the folder `flag` names (the run folder, or --cache-dir); an existing file there is an
    error, not something to overwrite."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise UserError(f"{flag} {out}: is a file; pass a folder (it is created if missing)")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise UserError(f"{flag} {out}: cannot create the folder ({e.strerror}); pick another path") from None
    return out


def start_run(cls: type, inputs: Any, out: str, config: dict[str, Any]) -> tuple[Any, list[str], str, Any]:
    """(config, input list, checkpoint folder, saved checkpoint or None) for a trainer starting on `out`;
    with --resume, a checkpoint of a run with other settings (but RESUME_IGNORES) is refused."""
    cfg = make_config(cls, config)
    inputs = [inputs] if isinstance(inputs, str) else list(inputs)
    prepare(out)
    ckpt_dir = os.path.join(out, "checkpoints")
    saved = checkpoint.load(ckpt_dir) if cfg.resume else None
    if cfg.resume and saved is None:
        print(f"warning: --resume: {ckpt_dir} holds no checkpoint; training from the start", file=sys.stderr)
    if saved is not None:
        checkpoint.check_same_config(saved[1]["config"], to_json(cfg), RESUME_IGNORES, ckpt_dir)
    return cfg, inputs, ckpt_dir, saved


def write_run_files(out: str, config: dict[str, Any], metrics: dict[str, Any]) -> None:
    write_json(os.path.join(out, "config.json"), config)
    write_json(os.path.join(out, "metrics.json"), metrics)


def drop_checkpoints(ckpt_dir: str) -> None:
    """A finished run's checkpoint (and a killed save's leftovers) goes, and its folder if that is then
    empty; nothing else in it is touched."""
    remove_own(ckpt_dir, lambda name: name.startswith(checkpoint.NAME))


def remove_own(folder: str, ours: Callable[[str], bool]) -> None:
    """Delete the entries of `folder` that `ours` says this program made, then the folder if empty."""
    if not os.path.isdir(folder):
        return
    for name in os.listdir(folder):
        if ours(name):
            path = os.path.join(folder, name)
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.unlink(path)
    with contextlib.suppress(OSError):
        os.rmdir(folder)


def run_times(seconds: float, train_seconds: float, earlier: float) -> dict[str, float]:
    """metrics.json's times: `seconds` this command end to end, `train_seconds` its training; a resumed run
    adds `earlier_train_seconds`, the training its checkpoint's runs had done."""
    times = {"seconds": round(seconds, 3), "train_seconds": round(train_seconds, 3)}
    if earlier:
        times["earlier_train_seconds"] = round(earlier, 3)
    return times
