"""The --out run folder: checked before work starts; the outputs every trainer writes into it."""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from . import w2vfile
from .atomic import write_json
from .errors import UserError


def prepare(out: str) -> str:
    """Create the run folder; an existing file there is an error, not something to overwrite."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise UserError(f"--out {out}: is a file; pass a folder (it is created if missing)")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise UserError(f"--out {out}: cannot create the folder ({e.strerror}); pick another path") from None
    return out


def write_vectors(out: str, words: list[str], vectors: np.ndarray, text: bool = True) -> None:
    w2vfile.write_binary(os.path.join(out, "vectors.bin"), words, vectors)
    if text:
        w2vfile.write_text(os.path.join(out, "vectors.txt"), words, vectors)


def write_run_files(out: str, config: dict[str, Any], metrics: dict[str, Any]) -> None:
    write_json(os.path.join(out, "config.json"), config)
    write_json(os.path.join(out, "metrics.json"), metrics)
