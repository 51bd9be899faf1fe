"""A task model's files in its run folder: model.npz (the parameters, arrays beside them, the config and the
names as JSON) and its label list, written atomically; read back with one-line errors."""
from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..run.atomic import atomic_write
from ..run.config import make_config, to_json
from ..run.errors import UserError, short_cause


def _json(obj: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(obj).encode(), np.uint8)


def save_model(out: str, cfg: Any, names: dict, labels: Sequence[str], labels_file: str, **arrays: np.ndarray) -> None:
    with atomic_write(os.path.join(out, "model.npz"), "wb") as f:
        np.savez(f, config=_json(to_json(cfg)), names=_json(names), **arrays)
    with atomic_write(os.path.join(out, labels_file), "w") as f:
        f.write("".join(t + "\n" for t in labels))


def load_model(run_dir: str, command: str, cls: type, required: Sequence[str],
               build: Callable[[Any, dict, dict[str, np.ndarray]], Any]) -> Any:
    """build(config, names, arrays) of the model a `stream-train COMMAND` run wrote into run_dir, whose
    model.npz holds the arrays `required`; a missing, foreign or damaged file is one line."""
    path = os.path.join(run_dir, "model.npz")
    if not os.path.exists(path):
        raise UserError(f"{run_dir}: no model.npz; pass the --out folder of a finished `stream-train {command}` run")
    try:
        with np.load(path) as z:
            if not {"config", "names", *required} <= set(z.files):
                raise UserError(f"{path}: not a {command}'s model; pass a `stream-train {command}` run folder")
            cfg = make_config(cls, json.loads(z["config"].tobytes().decode()))
            names = json.loads(z["names"].tobytes().decode())
            arrays = {k: z[k] for k in z.files if k not in ("config", "names")}
        return build(cfg, names, arrays)
    except UserError:
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
        raise UserError(f"{path}: unreadable model ({short_cause(e, path)}); train it again") from None
