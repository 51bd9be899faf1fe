"""Which encodings in a cache folder are in use: a run holds a shared lock on the `lock` file of each
blocks folder it reads, for as long as it reads it; a run that made a new encoding deletes the other
blocks folders that no run holds, so a cache folder keeps what its runs use, not every setting tried.

Locks are flock(2) locks, released when the holding file is closed or its process ends. Where there
is no flock (Windows), nothing is locked and no encoding is deleted.
"""
from __future__ import annotations

import os
import shutil
from typing import IO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

LOCK = "lock"


def hold(folder: str) -> IO | None:
    """A shared hold on the finished encoding in `folder` (keep the file open while reading it), or None
    if there is none: never made, or deleted before the hold was taken."""
    try:
        f = open(os.path.join(folder, LOCK), "rb")
    except FileNotFoundError:
        return None
    if fcntl is not None:
        fcntl.flock(f, fcntl.LOCK_SH)  # waits while a run deletes it
    if not os.path.exists(os.path.join(folder, "manifest.json")):
        f.close()
        return None
    return f


def hold_new(folder: str) -> IO:
    """A shared hold on an encoding being written into `folder`; it goes with the folder when renamed."""
    f = open(os.path.join(folder, LOCK), "wb+")
    if fcntl is not None:
        fcntl.flock(f, fcntl.LOCK_SH)
    return f


def prune(cache: str, keep: str | None) -> None:
    """Delete the finished blocks folders in `cache` but `keep` that no run holds."""
    if fcntl is None:
        return
    for name in os.listdir(cache):
        path = os.path.join(cache, name)
        if not name.startswith("blocks-") or ".tmp-" in name or path == keep:
            continue
        try:
            with open(os.path.join(path, LOCK), "rb") as f:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(path, ignore_errors=True)
        except FileNotFoundError:  # deleted by another run meanwhile
            pass
        except BlockingIOError:  # in use
            pass
