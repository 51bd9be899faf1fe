"""--memory as a bound on the whole process: what a pass may still allocate is the limit less what it holds."""
from __future__ import annotations

import contextlib
import ctypes
import sys

import psutil

FLOOR_MB = 16.0  # a pass always gets this much, with a warning when the limit leaves less


def release_freed() -> None:
    """Hand the heap's freed pages back to the OS (glibc keeps them after a pass's many mid-sized arrays
    are freed: 134 MB after realtext's co-occurrence count); nothing where there is no glibc."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def headroom_mb(memory_mb: float, what: str = "--memory") -> float:
    """MB of `memory_mb` the process does not hold yet (its RSS after release_freed: imports, compiled
    kernels, the vocabulary, the matrices); at least FLOOR_MB, with a one-line warning that the limit will
    be passed."""
    release_freed()
    held = psutil.Process().memory_info().rss / 2**20
    left = memory_mb - held
    if left < FLOOR_MB:
        print(f"warning: {what} {memory_mb:g} MB: the process already holds {held:.0f} MB; going on with "
              f"{FLOOR_MB:g} MB of buffers (set {what} to at least {held + 4 * FLOOR_MB:.0f} to keep to it)",
              file=sys.stderr)
        return FLOOR_MB
    return left
