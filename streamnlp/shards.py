"""The corpus's shards: the files the INPUT arguments name.

Inputs are folders (searched recursively), files, globs or pyarrow filesystem URIs of Parquet,
Arrow IPC / Feather, or plain text (one sentence per line, optionally .gz); inside a folder, names
starting with "." or "_" are skipped (as Spark and Hive do).
"""
from __future__ import annotations

import glob as globlib
import os
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.fs as pafs

from .errors import UserError

PARQUET = (".parquet", ".pq")
ARROW = (".arrow", ".feather", ".ipc")
TEXT = (".txt", ".text", ".txt.gz", ".gz")


@dataclass(frozen=True)
class Shard:
    path: str
    fmt: str  # "parquet" | "arrow" | "text"
    fs: pafs.FileSystem
    size: int
    mtime: float

    def key(self) -> tuple:
        return (self.path, self.fmt, self.size, self.mtime)


def _fmt(path: str, explicit: bool) -> str | None:
    low = path.lower()
    if low.endswith(PARQUET):
        return "parquet"
    if low.endswith(ARROW):
        return "arrow"
    if low.endswith(TEXT) or explicit:
        return "text"
    return None


def _hidden(path: str, root: str) -> bool:
    """Files and folders named .* or _* inside a corpus folder are skipped (as Spark and Hive do)."""
    return any(part.startswith((".", "_")) for part in os.path.relpath(path, root).split(os.sep))


def _shard(fs: pafs.FileSystem, info: pafs.FileInfo, explicit: bool) -> Shard | None:
    fmt = _fmt(info.path, explicit)
    if fmt is None:
        return None
    mtime = info.mtime.timestamp() if info.mtime is not None else 0.0
    return Shard(info.path, fmt, fs, info.size or 0, mtime)


def _expand(inp: str) -> list[Shard]:
    if "://" in inp:
        try:
            fs, path = pafs.FileSystem.from_uri(inp)
        except (pa.ArrowException, ValueError) as e:
            raise UserError(f"{inp}: not a usable URI ({str(e).splitlines()[0]}); pass a path or file:// URI") from None
        paths = [path]
    else:
        fs = pafs.LocalFileSystem()
        paths = sorted(globlib.glob(inp, recursive=True)) if globlib.has_magic(inp) else [os.path.abspath(inp)]
        if not paths:
            raise UserError(f"{inp}: the glob matches nothing; check the pattern")
    shards: list[Shard] = []
    for path in paths:
        info = fs.get_file_info(path)
        if info.type == pafs.FileType.NotFound:
            raise UserError(f"{inp}: no such file or folder; pass a folder, file or glob of corpus shards")
        if info.type == pafs.FileType.Directory:
            found = fs.get_file_info(pafs.FileSelector(path, recursive=True))
            files = sorted((i for i in found if i.type == pafs.FileType.File), key=lambda i: i.path)
            files = [i for i in files if not _hidden(i.path, path)]
            shards.extend(s for s in (_shard(fs, i, False) for i in files) if s is not None)
        else:
            shard = _shard(fs, info, True)
            if shard is not None:
                shards.append(shard)
    return shards


def discover(inputs: Iterable[str]) -> list[Shard]:
    """All shards named by `inputs`, in a deterministic order (input order, then path order)."""
    inputs = list(inputs)
    if not inputs:
        raise UserError("no INPUT given; pass one or more folders, files or globs of corpus shards")
    shards: list[Shard] = []
    for inp in inputs:
        found = _expand(str(inp))
        if not found:
            raise UserError(f"{inp}: holds no corpus shards (.parquet, .arrow, .feather, .txt, .gz); "
                            "point at a folder or files that do")
        shards.extend(found)
    return shards
