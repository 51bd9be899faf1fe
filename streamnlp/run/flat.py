"""Model parameters in one flat buffer with named views into it (a checkpoint saves the one buffer)."""
from __future__ import annotations

import numpy as np


class FlatParams:
    """A flat buffer and named views into it."""

    def __init__(self, spec: list[tuple[str, tuple[int, ...]]], dtype=np.float32, flat: np.ndarray | None = None):
        size = sum(int(np.prod(s)) for _, s in spec)
        if flat is not None and flat.size != size:
            raise ValueError(f"{flat.size} parameters where the model has {size}")
        self.flat = np.zeros(size, dtype=dtype) if flat is None else flat
        self.views: dict[str, np.ndarray] = {}
        at = 0
        for name, shape in spec:
            n = int(np.prod(shape))
            self.views[name] = self.flat[at:at + n].reshape(shape)
            at += n

    def __getitem__(self, name: str) -> np.ndarray:
        return self.views[name]
