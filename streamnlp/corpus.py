"""Corpus streaming: shard discovery, bounded-memory record-batch reading, tokenizing with pyarrow compute.

Inputs are folders (searched recursively), files, globs or pyarrow filesystem URIs of Parquet,
Arrow IPC / Feather, or plain text (one sentence per line, optionally .gz); inside a folder, names
starting with "." or "_" are skipped (as Spark and Hive do). One row is one
sentence; rows are never truncated. A text line longer than TEXT_CHUNK bytes (text8's one line) is
read as rows of under twice that, cut at spaces, so memory stays bounded. Text files must be UTF-8:
undecodable bytes are replaced by U+FFFD and a warning names the file and byte offset.
"""
from __future__ import annotations

import glob as globlib
import os
import queue
import re
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from .config import CorpusConfig
from .errors import UserError

PARQUET = (".parquet", ".pq")
ARROW = (".arrow", ".feather", ".ipc")
TEXT = (".txt", ".text", ".txt.gz", ".gz")
TEXT_CHUNK = 4 << 20


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


def _read_columnar(shard: Shard, cfg: CorpusConfig) -> Iterator[pa.Array]:
    dataset = ds.dataset(shard.path, format="parquet" if shard.fmt == "parquet" else "ipc", filesystem=shard.fs)
    schema = dataset.schema
    if cfg.text_column not in schema.names:
        raise UserError(f"{shard.path}: no column {cfg.text_column!r} (it has {', '.join(schema.names)}); "
                        "pass --text-column NAME")
    col_type = schema.field(cfg.text_column).type
    if not (pa.types.is_string(col_type) or pa.types.is_large_string(col_type)):
        raise UserError(f"{shard.path}: column {cfg.text_column!r} holds {col_type}, not text; "
                        "pass --text-column with a string column")
    for batch in dataset.to_batches(columns=[cfg.text_column], batch_size=cfg.batch_rows,
                                    batch_readahead=2, fragment_readahead=1):
        yield batch.column(0)


def _decode(raw: bytes, shard: Shard, offset: int, warned: list[bool]) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        if not warned[0]:
            print(f"warning: {shard.path}: invalid UTF-8 at byte {offset + e.start}; "
                  "undecodable bytes are replaced by U+FFFD", file=sys.stderr)
            warned[0] = True
        return raw.decode("utf-8", errors="replace")


def _read_text(shard: Shard, cfg: CorpusConfig) -> Iterator[pa.Array]:
    compression = "gzip" if shard.path.lower().endswith(".gz") else None
    warned = [False]
    offset = 0
    rest: list[bytes] = []  # what was read after the last cut
    with shard.fs.open_input_stream(shard.path, compression=compression) as f:
        while True:
            chunk = f.read(TEXT_CHUNK)
            # cut after the chunk's last line; in a line longer than a chunk, after its last space
            cut = (chunk.rfind(b"\n") + 1) or (chunk.rfind(b" ") + 1)
            if chunk and not cut:  # a chunk all one word: read on
                rest.append(chunk)
                continue
            data = b"".join([*rest, chunk[:cut]])
            rest = [chunk[cut:]]
            if data:
                lines = _decode(data, shard, offset, warned).splitlines()
                offset += len(data)
                for i in range(0, len(lines), cfg.batch_rows):
                    yield pa.array(lines[i:i + cfg.batch_rows], type=pa.string())
            if not chunk:
                return


def read_shard(shard: Shard, cfg: CorpusConfig) -> Iterator[pa.Array]:
    """Record batches (string arrays, one row per sentence) of one shard; shard errors become UserError."""
    reader = _read_text if shard.fmt == "text" else _read_columnar
    try:
        yield from reader(shard, cfg)
    except UserError:
        raise
    except (pa.ArrowException, OSError, EOFError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise UserError(f"{shard.path}: cannot read this shard ({msg}); it is corrupt or truncated: "
                        "re-create or remove it") from None


def token_settings(cfg: CorpusConfig) -> dict:
    """The settings that change which tokens a corpus yields (part of cache keys)."""
    return {"text_column": cfg.text_column, "lowercase": cfg.lowercase, "token_pattern": cfg.token_pattern}


def plain_ascii(texts: pa.Array) -> bool:
    """Whether the batch's text is ASCII without the separators U+001C-U+001F (Unicode whitespace, not
    ASCII whitespace): then pyarrow's ASCII kernels give the same tokens as its UTF-8 ones, faster
    (splitting realtext: 0.27 -> 0.17 s on one core)."""
    if not (pa.types.is_string(texts.type) or pa.types.is_large_string(texts.type)):
        return False  # (a string view keeps short strings in its views, outside the data buffer)
    _, offsets, data = texts.buffers()
    if len(texts) == 0 or data is None:
        return True
    # a batch read from a larger row group is a slice of it: its own bytes decide
    bounds = np.frombuffer(offsets, np.int64 if pa.types.is_large_string(texts.type) else np.int32)
    b = np.frombuffer(data, dtype=np.uint8)[bounds[texts.offset]:bounds[texts.offset + len(texts)]]
    if b.size == 0:
        return True
    controls = b[b < 32]
    return bool(b.max() < 128) and not ((controls >= 28) & (controls <= 31)).any()


def tokenize(texts: pa.Array, cfg: CorpusConfig) -> tuple[pa.Array, np.ndarray]:
    """Flat token array and the number of tokens of each row (empty and null rows give 0)."""
    plain = plain_ascii(texts)
    if cfg.lowercase:
        texts = pc.ascii_lower(texts) if plain else pc.utf8_lower(texts)
    if cfg.token_pattern:
        rx = re.compile(cfg.token_pattern)
        lists = pa.array([rx.findall(s) if s else [] for s in texts.to_pylist()], type=pa.list_(pa.string()))
    else:
        # utf8_split_whitespace reads the byte after a row that ends in whitespace and, when that byte is
        # not the start of a UTF-8 character (garbage past utf8_lower's output), keeps the whitespace in
        # the row's last token (pyarrow 26); rows trimmed on the right never take that path.
        lists = pc.ascii_split_whitespace(texts) if plain else pc.utf8_split_whitespace(pc.utf8_rtrim_whitespace(texts))
    flat = lists.flatten()
    keep = pc.greater(pc.binary_length(flat), 0).to_numpy(zero_copy_only=False)
    if keep.all():  # the usual case: no empty tokens, so the list lengths are the counts
        return flat, pc.fill_null(pc.list_value_length(lists), 0).to_numpy().astype(np.int64)
    parents = pc.list_parent_indices(lists).to_numpy()[keep]
    return flat.filter(pa.array(keep)), np.bincount(parents, minlength=len(texts)).astype(np.int64)


def prefetch(items: Iterator, depth: int = 2) -> Iterator:
    """Run an iterator in a background thread, at most `depth` items ahead; errors re-raise here."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((done, None))
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            q.put((done, e))

    t = threading.Thread(target=work, daemon=True, name="streamnlp-prefetch")
    t.start()
    try:
        while True:
            item, err = q.get()
            if item is done:
                if err is not None:
                    raise err
                return
            yield item
    finally:
        stop.set()
