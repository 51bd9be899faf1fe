"""The --out run folder: checked before work starts; the outputs every trainer writes into it."""
from __future__ import annotations

import os
from typing import Any

from . import checkpoint
from .atomic import write_json
from .config import make_config, to_json
from .errors import UserError

RESUME_IGNORES = {"resume", "threads", "checkpoint_every", "write_text", "cache_dir"}


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
    if saved is not None:
        checkpoint.check_same_config(saved[1]["config"], to_json(cfg), RESUME_IGNORES, ckpt_dir)
    return cfg, inputs, ckpt_dir, saved


def write_run_files(out: str, config: dict[str, Any], metrics: dict[str, Any]) -> None:
    write_json(os.path.join(out, "config.json"), config)
    write_json(os.path.join(out, "metrics.json"), metrics)
