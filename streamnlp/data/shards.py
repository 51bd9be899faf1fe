"""The corpus's shards: the files the INPUT arguments name, a large one as pieces that the counting and
encoding passes take in parallel (a corpus that is one big file uses every thread too), and small ones
taken together as units of work (a corpus of many small files trains as one file does).

Inputs are folders (searched recursively), files, globs or pyarrow filesystem URIs of Parquet,
Arrow IPC / Feather, JSON Lines or plain text (one sentence per line; text and JSON Lines optionally
.gz, .bz2 or .zst); inside a folder, names starting with "." or "_" are skipped (as Spark and Hive do).
"""
from __future__ import annotations

import glob as globlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ..run.errors import UserError

PARQUET = (".parquet", ".pq")
ARROW = (".arrow", ".feather", ".ipc")
COMPRESSED = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd", ".zstd": "zstd"}  # text Arrow decompresses as it reads
# archives and compressions it cannot stream: named, refused; in a folder, skipped (never read as text)
UNREADABLE = (".xz", ".lzma", ".zip", ".7z", ".rar", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tar.zst")
# files that are not text a line a sentence: named, refused (their separators, markup or bytes would train
# as words); in a folder, skipped
NOT_TEXT = {".csv": "CSV", ".tsv": "TSV", ".xls": "Excel", ".xlsx": "Excel", ".ods": "spreadsheet", ".pdf": "PDF",
            ".doc": "Word", ".docx": "Word", ".odt": "document", ".npy": "NumPy", ".npz": "NumPy",
            ".pkl": "pickle", ".pickle": "pickle", ".h5": "HDF5", ".hdf5": "HDF5", ".orc": "ORC", ".avro": "Avro"}
TEXT = (".txt", ".text", *COMPRESSED)
JSON = tuple(ext + z for ext in (".jsonl", ".ndjson", ".json") for z in ("", *COMPRESSED))  # JSON Lines
PIECE_BYTES = 8 << 20
UNIT_BYTES = 1 << 20  # shards smaller than this are counted and encoded together, in order (units)


@dataclass(frozen=True)
class Shard:
    path: str
    fmt: str  # "parquet" | "arrow" | "json" | "text"
    fs: pafs.FileSystem
    size: int
    mtime: float
    # a piece of the file: bytes [start, stop) of a text or JSON Lines file, each end moved to the next
    # line's start (text_bounds), or row groups [start, stop) of a Parquet file; None: the whole file
    start: int = 0
    stop: int | None = None
    rows: tuple[int, int] | None = None  # rows [a, b) of what the Parquet file (or its row groups) holds (cut)

    def key(self) -> tuple:
        return (self.path, self.fmt, self.size, self.mtime, self.start, self.stop, self.rows)


def compression(path: str) -> str | None:
    """The Arrow codec a text or JSON Lines file is read through (by its suffix), or None for plain."""
    return next((codec for ext, codec in COMPRESSED.items() if path.lower().endswith(ext)), None)


def _fmt(path: str, explicit: bool) -> str | None:
    low = path.lower()
    if low.endswith(UNREADABLE):  # named: refused; in a folder: not a shard
        if explicit:
            ext = next(e for e in UNREADABLE if low.endswith(e))
            raise UserError(f"{path}: a {ext} file cannot be read as text as it streams; unpack it, or compress "
                            "the text with gzip, bzip2 or zstd")
        return None
    kind = next((k for ext, k in NOT_TEXT.items() if low.endswith((ext, *(ext + z for z in COMPRESSED)))), None)
    if kind is not None:
        if explicit:
            raise UserError(f"{path}: a {kind} file is not read as a corpus (its separators and quoting would train "
                            "as words); convert it to Parquet (pandas: DataFrame.to_parquet) or to text, a sentence a "
                            "line")
        return None
    if low.endswith(PARQUET):
        return "parquet"
    if low.endswith(ARROW):
        return "arrow"
    if low.endswith(JSON):
        return "json"
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


def discover(inputs: Iterable[str], piece_bytes: int | None = None) -> list[Shard]:
    """All shards named by `inputs`, in a deterministic order (input order, then path order), those
    larger than `piece_bytes` (PIECE_BYTES) as pieces."""
    piece_bytes = piece_bytes or PIECE_BYTES
    inputs = list(inputs)
    if not inputs:
        raise UserError("no INPUT given; pass one or more folders, files or globs of corpus shards")
    shards: list[Shard] = []
    for inp in inputs:
        found = _expand(str(inp))
        if not found:
            raise UserError(f"{inp}: holds no corpus shards (.parquet, .arrow, .feather, .jsonl, .txt, .gz, .bz2, "
                            ".zst); point at a folder or files that do")
        shards.extend(p for s in found for p in pieces(s, piece_bytes))
    return shards


def pieces(shard: Shard, piece_bytes: int) -> list[Shard]:
    """The shard as pieces of about `piece_bytes`, in order, that together read as the shard: an
    uncompressed text or JSON Lines file as byte ranges, a Parquet file as runs of row groups (one row
    group, or an Arrow or compressed file, stays whole). They depend on the file alone, never on
    --threads, so the blocks of the encoded corpus do not either."""
    if shard.size <= piece_bytes or shard.fmt == "arrow" or compression(shard.path):
        return [shard]
    if shard.fmt in ("text", "json"):
        n = -(-shard.size // piece_bytes)
        return [replace(shard, start=k * shard.size // n, stop=(k + 1) * shard.size // n) for k in range(n)]
    meta = _parquet_meta(shard)
    if meta is None:
        return [shard]  # reading it says what is wrong with it
    runs, first, held = [], 0, 0
    for g in range(meta.num_row_groups):
        held += meta.row_group(g).total_byte_size
        if held >= piece_bytes or g == meta.num_row_groups - 1:
            runs.append(replace(shard, start=first, stop=g + 1))
            first, held = g + 1, 0
    return runs if len(runs) > 1 else [shard]


def text_bytes(shard: Shard) -> float:
    """About how many bytes of text a shard (or piece) holds, to share a corpus out by: a Parquet file's
    uncompressed size from its footer (its compression varies: realtext's eight files of a million words each
    are 1.9-2.4 MB), a text or JSON Lines piece's bytes, any other file's size."""
    if shard.fmt == "parquet":
        meta = _parquet_meta(shard)
        if meta is not None:
            return float(sum(meta.row_group(g).total_byte_size for g in _groups(shard, meta)))
    if shard.fmt in ("text", "json") and shard.stop is not None:
        return float(shard.stop - shard.start)
    return float(shard.size)


def cut(shard: Shard, fractions: list[float], column: str) -> list[Shard] | None:
    """The shard cut at the given fractions of its text (increasing, between 0 and 1) into len(fractions) + 1
    pieces that together read as the shard: a Parquet file (or run of its row groups) by rows, where its
    `column`'s bytes reach each fraction; an uncompressed text or JSON Lines file (or piece) by bytes (each end
    moved to a line start as it is read: text_bounds); None for an Arrow or compressed file (read whole)."""
    if shard.fmt in ("text", "json") and not compression(shard.path):
        a, b = shard.start, shard.size if shard.stop is None else shard.stop
        ends = [a, *[a + round(f * (b - a)) for f in fractions], b]
        return [replace(shard, start=x, stop=y) for x, y in zip(ends, ends[1:])]
    meta = _parquet_meta(shard) if shard.fmt == "parquet" and shard.rows is None else None
    if meta is None or column not in meta.schema.names:
        return None  # whole (reading it says what is wrong with it)
    with shard.fs.open_input_file(shard.path) as f:
        texts = pq.ParquetFile(f).read_row_groups(list(_groups(shard, meta)), columns=[column]).column(0)
    seen = np.cumsum(pc.fill_null(pc.binary_length(texts), 0).to_numpy())
    ends = [0, *[int(np.searchsorted(seen, f * seen[-1])) + 1 if len(seen) else 0 for f in fractions], len(seen)]
    return [replace(shard, rows=(x, y)) for x, y in zip(ends, ends[1:])]


def _parquet_meta(shard: Shard) -> pq.FileMetaData | None:
    try:
        with shard.fs.open_input_file(shard.path) as f:
            return pq.ParquetFile(f).metadata
    except (pa.ArrowException, OSError):
        return None


def _groups(shard: Shard, meta: pq.FileMetaData) -> range:
    """The row groups a Parquet shard (or piece) reads."""
    return range(shard.start, meta.num_row_groups if shard.stop is None else shard.stop)


def units(shards: list[Shard]) -> list[list[Shard]]:
    """The passes' units of work, in order: a shard (or piece) of at least UNIT_BYTES alone, runs of
    consecutive smaller ones together until they reach it. A unit is one part of the encoded corpus,
    and blocks never span parts: a corpus of 2,000 files of 5 KB, a block and a counting and encoding
    task each, ran 5.6x slower than the same text as one file (one thread a block, a few ms a task)."""
    out: list[list[Shard]] = []
    run: list[Shard] = []
    held = 0
    for s in shards:
        if s.size >= UNIT_BYTES:
            out.extend([run, [s]] if run else [[s]])
            run, held = [], 0
            continue
        run.append(s)
        held += s.size
        if held >= UNIT_BYTES:
            out.append(run)
            run, held = [], 0
    return out + [run] if run else out


def text_bounds(f: pa.NativeFile, shard: Shard, chunk: int) -> tuple[int, int]:
    """The bytes a text or JSON Lines piece reads: each nominal end moved to the start of the line after
    it (or, in a text line longer than `chunk`, to the next space: such lines are read as rows cut at
    spaces anyway; a JSON line is never cut)."""
    lines_only = shard.fmt == "json"

    def cut(x: int) -> int:
        if x <= 0:
            return 0
        pos = x - 1  # a line that ends just before x starts the piece at x
        while pos < shard.size:
            window = f.read_at(chunk, pos)
            if not window:  # the file shrank since it was listed
                break
            at = window.find(b"\n")
            if at < 0 and len(window) == chunk and not lines_only:  # no line ends within a chunk
                at = window.find(b" ")
            if at >= 0:
                return pos + at + 1
            pos += len(window)
        return shard.size
    return cut(shard.start), cut(shard.size if shard.stop is None else shard.stop)


def unit_bytes(units: list[list[Shard]]) -> list[float]:
    """About how many bytes of files each unit reads (a piece: its file's size over its file's pieces), for
    the passes' progress bars; `describe` names what they read."""
    pieces: dict[str, int] = {}
    for unit in units:
        for s in unit:
            pieces[s.path] = pieces.get(s.path, 0) + 1
    return [sum(s.size / pieces[s.path] for s in unit) for unit in units]


def check_tokens(tokens: int, shards: list[Shard]) -> None:
    """A corpus counted to no tokens is one line naming it (its folder, or its one file)."""
    if tokens == 0:
        where = os.path.dirname(shards[0].path) if len({s.path for s in shards}) > 1 else shards[0].path
        raise UserError(f"{where}: the corpus holds no tokens; check the files and --text-column")


def describe(shards: list[Shard]) -> str:
    """'4 files' / '1 file' for a progress bar."""
    n = len({s.path for s in shards})
    return f"{n:,} file" + ("" if n == 1 else "s")
