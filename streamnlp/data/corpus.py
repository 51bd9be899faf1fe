"""Corpus streaming: bounded-memory record-batch reading of a shard (Parquet, Arrow, JSON Lines, text)
or a unit of small ones (shards.py finds and groups them), tokenizing with pyarrow compute.

One row is one sentence; rows are never truncated. A text line longer than TEXT_CHUNK bytes (text8's
one line) is read as rows of under twice that, cut at spaces, so memory stays bounded. Text files must
be UTF-8: undecodable bytes are replaced by U+FFFD and a warning names the file and byte offset.
"""
from __future__ import annotations

import hashlib
import os
import queue
import re
import sys
import threading
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.json as pajson

from ..run.config import CorpusConfig
from ..run.errors import UserError, short_cause
from .phrases import FILE as PHRASES_FILE
from .phrases import Phrases
from .shards import Shard, compression, text_bounds

TEXT_CHUNK = 4 << 20


def _read_columnar(shard: Shard, cfg: CorpusConfig) -> Iterator[pa.Array]:
    dataset = ds.dataset(shard.path, format="parquet" if shard.fmt == "parquet" else "ipc", filesystem=shard.fs)
    schema = dataset.schema
    if cfg.text_column not in schema.names:
        raise UserError(f"{shard.path}: no column {cfg.text_column!r} (it has {', '.join(schema.names)}); "
                        "pass --text-column NAME")
    col_type = schema.field(cfg.text_column).type
    as_type = _text_type(col_type)
    if as_type is None:
        raise UserError(f"{shard.path}: column {cfg.text_column!r} holds {col_type}, not text; "
                        "pass --text-column with a string column")
    source = dataset
    if shard.stop is not None:  # a run of row groups (shards.pieces)
        (whole,) = dataset.get_fragments()
        source = whole.subset(row_group_ids=list(range(shard.start, shard.stop)))
    a, b = shard.rows or (0, None)  # rows [a, b) of what the file or its row groups hold (shards.cut)
    end = 0
    for batch in source.to_batches(columns=[cfg.text_column], batch_size=cfg.batch_rows,
                                   batch_readahead=2, fragment_readahead=1):
        texts = batch.column(0)
        at, end = end, end + len(texts)  # the batch is rows [at, end)
        if b is not None:
            if at >= b:
                return
            if end <= a:
                continue
            texts = texts.slice(max(a - at, 0), min(b, end) - max(a, at))
        yield texts if texts.type == as_type else texts.cast(as_type)


def _text_type(t: pa.DataType) -> pa.DataType | None:
    """The type a text column is read as: strings as they are; string views (Polars' Arrow files) and
    dictionary-encoded strings (categoricals) decoded to strings; None for a column that is not text."""
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return t
    return pa.large_string() if pa.types.is_string_view(t) else None


def _decode(raw: bytes, shard: Shard, offset: int, warned: list[bool]) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        if not warned[0]:
            print(f"warning: {shard.path}: invalid UTF-8 at byte {offset + e.start}; "
                  "undecodable bytes are replaced by U+FFFD", file=sys.stderr)
            warned[0] = True
        return raw.decode("utf-8", errors="replace")


def _line_buffers(shard: Shard) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) of a text or JSON Lines file (or piece: shards.pieces) in runs of whole lines of
    about TEXT_CHUNK bytes; a text line longer than that is cut after a space (read as rows cut at
    spaces), a JSON line never."""
    rest: list[bytes] = []  # what was read after the last cut
    whole = shard.stop is None  # else a piece: its bytes, from a line start on
    spaces = shard.fmt == "text"
    with (shard.fs.open_input_stream(shard.path, compression=_codec(shard)) if whole else
          shard.fs.open_input_file(shard.path)) as f:
        offset, stop = (0, None) if whole else text_bounds(f, shard, TEXT_CHUNK)
        if not whole:
            f.seek(offset)
        while True:
            chunk = f.read(TEXT_CHUNK if stop is None else min(TEXT_CHUNK, stop - f.tell()))
            # cut after the chunk's last line; in a text line longer than a chunk, after its last space
            cut = (chunk.rfind(b"\n") + 1) or (chunk.rfind(b" ") + 1 if spaces and len(chunk) == TEXT_CHUNK else 0)
            if chunk and not cut:  # the end of the piece, or a chunk all one word or one object: read on
                rest.append(chunk)
                continue
            data = b"".join([*rest, chunk[:cut]])
            rest = [chunk[cut:]]
            if data:
                yield offset, data
                offset += len(data)
            if not chunk:
                return


def _read_text(shard: Shard, cfg: CorpusConfig) -> Iterator[pa.Array]:
    warned = [False]
    for offset, data in _line_buffers(shard):
        lines = _decode(data, shard, offset, warned).splitlines()
        for i in range(0, len(lines), cfg.batch_rows):
            yield pa.array(lines[i:i + cfg.batch_rows], type=pa.string())


def _read_json(shard: Shard, cfg: CorpusConfig) -> Iterator[pa.Array]:
    """JSON Lines: the text field of each line's object (other fields are skipped, not parsed into
    columns), parsed by Arrow a run of whole lines at a time. A whole file where no object has the field
    is an error, as a missing column is."""
    options = pajson.ParseOptions(explicit_schema=pa.schema([(cfg.text_column, pa.large_string())]),
                                  unexpected_field_behavior="ignore")
    seen = 0
    for _, data in _line_buffers(shard):
        try:
            table = pajson.read_json(pa.BufferReader(data), parse_options=options,
                                     read_options=pajson.ReadOptions(block_size=len(data) + 1))
        except pa.ArrowInvalid as e:
            raise UserError(f"{shard.path}: {str(e).splitlines()[0]}; each line must be a JSON object whose "
                            f"{cfg.text_column!r} is a string (--text-column names the field)") from None
        for texts in table.column(0).chunks:
            seen += len(texts) - texts.null_count
            yield texts
    if seen == 0 and shard.stop is None:
        raise UserError(f"{shard.path}: no line has a {cfg.text_column!r} field; pass --text-column NAME")


def _codec(shard: Shard) -> str | None:
    codec = compression(shard.path)
    if codec and not pa.Codec.is_available(codec):
        raise UserError(f"{shard.path}: this pyarrow cannot decompress {codec}; decompress the file first")
    return codec


def read_shard(shard: Shard, cfg: CorpusConfig) -> Iterator[pa.Array]:
    """Record batches (string arrays, one row per sentence) of one shard; shard errors become UserError."""
    reader = {"text": _read_text, "json": _read_json}.get(shard.fmt, _read_columnar)
    try:
        yield from reader(shard, cfg)
    except UserError:
        raise
    except (pa.ArrowException, OSError, EOFError) as e:
        raise UserError(f"{shard.path}: corrupt or truncated shard ({short_cause(e, shard.path)}); re-create or "
                        "remove it") from None


def read_unit(unit: list[Shard], cfg: CorpusConfig) -> Iterator[pa.Array]:
    """The batches of a unit's shards (shards.units) in order, consecutive smaller ones (small files)
    joined up to cfg.batch_rows rows, so that the work per batch (tokenizing, the dictionary lookups)
    does not grow with the number of files."""
    held: list[pa.Array] = []
    rows = 0
    for shard in unit:
        for texts in read_shard(shard, cfg):
            if held and (rows + len(texts) > cfg.batch_rows or texts.type != held[0].type):
                yield held[0] if len(held) == 1 else pa.concat_arrays(held)
                held, rows = [], 0
            held.append(texts)
            rows += len(texts)
    if held:
        yield held[0] if len(held) == 1 else pa.concat_arrays(held)


def token_settings(cfg: CorpusConfig) -> dict:
    """The settings that change which tokens a corpus yields (part of cache keys): a phrases model by its
    contents."""
    found = {"text_column": cfg.text_column, "lowercase": cfg.lowercase, "token_pattern": cfg.token_pattern}
    if cfg.phrases:
        found["phrases"] = phrases_model(cfg.phrases)[0]
    return found


_MODELS: dict[tuple, tuple[str, Phrases]] = {}
_MODELS_LOCK = threading.Lock()


def phrases_model(path: str) -> tuple[str, Phrases]:
    """(hash of its phrases and delimiter, model) of the phrases run at `path`, read again only when its file
    changed."""
    file = os.path.join(path, PHRASES_FILE) if os.path.isdir(path) else path
    try:
        st = os.stat(file)
    except OSError:
        st = None
    key = (os.path.realpath(file), st and st.st_mtime_ns, st and st.st_size)
    with _MODELS_LOCK:
        if key not in _MODELS:
            model = Phrases.load(path)
            with open(file, "rb") as f:
                digest = hashlib.sha1(f.read() + model.delimiter.encode()).hexdigest()
            _MODELS[key] = (digest, model)
        return _MODELS[key]


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


def tokenize(texts: pa.Array, cfg: CorpusConfig, phrases: Phrases | None = None) -> tuple[pa.Array, np.ndarray]:
    """Flat token array and the number of tokens of each row (empty and null rows give 0), the phrases of
    `phrases` (or of --phrases) joined."""
    flat, counts = _split(texts, cfg)
    model = phrases if phrases is not None else phrases_model(cfg.phrases)[1] if cfg.phrases else None
    return model.join(flat, counts) if model is not None else (flat, counts)


def _split(texts: pa.Array, cfg: CorpusConfig) -> tuple[pa.Array, np.ndarray]:
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
