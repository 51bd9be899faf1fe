"""word2vec file formats, byte-compatible with the original C tool and gensim.

Binary: header "V D\\n", then per word its UTF-8 bytes, a space, D little-endian float32 and "\\n".
Text: header "V D\\n", then "word v1 ... vD\\n" with each value the shortest decimal that reads
back to the same float32. Words must be UTF-8; undecodable bytes in a file read are replaced by
U+FFFD (gensim's `unicode_errors='replace'` behaviour), with a warning naming the file.
`.npy` vectors go with a `vocab.tsv` beside them (word<TAB>count per line).
"""
from __future__ import annotations

import os
import sys
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..run.atomic import atomic_write
from ..run.errors import UserError
from ..run.vocabfile import read_vocab_tsv

CHUNK_VALUES = 1 << 17  # values formatted and written at a time: memory stays a few MiB whatever V is


def _chunk_rows(d: int) -> int:
    return max(1, CHUNK_VALUES // max(d, 1))


def write_binary(path: str, words: list[str], vectors: np.ndarray) -> None:
    v = np.ascontiguousarray(vectors, dtype="<f4")
    n, d = v.shape
    with atomic_write(path, "wb") as f:
        f.write(f"{n} {d}\n".encode())
        step = _chunk_rows(d)
        for s in range(0, n, step):
            rows = zip(words[s:s + step], v[s:s + step])
            f.write(b"".join(w.encode("utf-8") + b" " + row.tobytes() + b"\n" for w, row in rows))


def _text_lines(words: list[str], v: np.ndarray) -> bytes:
    """'word v1 ... vD\n' lines, formatted by Arrow (shortest round-trip decimal of each float32)."""
    values = pc.cast(pa.array(v.reshape(-1)), pa.string())
    rows = pc.binary_join(pa.FixedSizeListArray.from_arrays(values, v.shape[1]).cast(pa.list_(pa.string())), " ")
    lines = pc.binary_join_element_wise(pa.array(words, type=pa.string()), rows, " ")
    lines = pc.binary_join_element_wise(lines, "", "\n")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=len(lines) + 1, offset=4 * lines.offset)
    return lines.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]


def write_text(path: str, words: list[str], vectors: np.ndarray, threads: int = 4) -> None:
    """Formatted chunk by chunk on `threads` threads (Arrow releases the GIL), at most `threads` chunks
    in flight, written in order."""
    v = np.ascontiguousarray(vectors, dtype=np.float32)
    n, d = v.shape
    step = _chunk_rows(d)
    with ThreadPoolExecutor(threads) as pool, atomic_write(path, "wb") as f:
        f.write(f"{n} {d}\n".encode())
        pending: deque = deque()
        for s in range(0, n, step):
            pending.append(pool.submit(_text_lines, words[s:s + step], v[s:s + step]))
            if len(pending) >= threads:
                f.write(pending.popleft().result())
        while pending:
            f.write(pending.popleft().result())


def _header(line: bytes, path: str) -> tuple[int, int]:
    parts = line.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise UserError(f"{path}: not a word2vec file (the first line must be 'VOCAB_SIZE DIM')")
    return int(parts[0]), int(parts[1])


def _word(raw: bytes, path: str, warned: list[bool]) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        if not warned[0]:
            print(f"warning: {path}: a word is not valid UTF-8; its bad bytes are replaced by U+FFFD",
                  file=sys.stderr)
            warned[0] = True
        return raw.decode("utf-8", errors="replace")


def read_binary(path: str, limit: int | None = None) -> tuple[list[str], np.ndarray]:
    with open(path, "rb") as f:
        data = f.read()
    nl = data.find(b"\n")
    n, d = _header(data[:nl], path)
    if limit is not None:
        n = min(n, limit)
    words, vecs, warned = [], np.empty((n, d), dtype=np.float32), [False]
    pos, width = nl + 1, 4 * d
    for i in range(n):
        while pos < len(data) and data[pos:pos + 1] in (b"\n", b" "):
            pos += 1
        sp = data.find(b" ", pos)
        if sp < 0 or sp + 1 + width > len(data):
            raise UserError(f"{path}: truncated at word {i + 1} of {n}; re-create the file")
        words.append(_word(data[pos:sp], path, warned))
        vecs[i] = np.frombuffer(data, dtype="<f4", count=d, offset=sp + 1)
        pos = sp + 1 + width
    return words, vecs


def read_text(path: str, limit: int | None = None) -> tuple[list[str], np.ndarray]:
    with open(path, "rb") as f:
        n, d = _header(f.readline(), path)
        if limit is not None:
            n = min(n, limit)
        words, rows, warned = [], [], [False]
        for i in range(n):
            parts = f.readline().rstrip(b"\r\n").rstrip(b" ").split(b" ")
            if len(parts) < d + 1:
                raise UserError(f"{path}: line {i + 2} has fewer than {d} values after the word; re-create the file")
            words.append(_word(b" ".join(parts[:-d]), path, warned))
            rows.append(b" ".join(parts[-d:]))
    try:
        vecs = np.array(b" ".join(rows).split(), dtype=np.float32).reshape(n, d) if n else np.empty((0, d), np.float32)
    except ValueError:
        raise UserError(f"{path}: a vector holds a value that is not a number; re-create the file") from None
    return words, vecs


def read_npy(path: str, limit: int | None = None) -> tuple[list[str], np.ndarray]:
    vocab_path = os.path.join(os.path.dirname(path), "vocab.tsv")
    if not os.path.exists(vocab_path):
        raise UserError(f"{path}: an .npy needs vocab.tsv beside it to name its rows")
    words = read_vocab_tsv(vocab_path)[0]
    vecs = np.load(path).astype(np.float32, copy=False)
    if vecs.ndim != 2 or len(vecs) != len(words):
        raise UserError(f"{path}: {vecs.shape} rows do not match the {len(words)} words of {vocab_path}")
    return (words[:limit], vecs[:limit]) if limit is not None else (words, vecs)


def is_text(path: str) -> bool:
    """True if the line after the header is a word followed by DIM numbers (else: binary)."""
    with open(path, "rb") as f:
        _, d = _header(f.readline(), path)
        parts = f.readline().split()
    if len(parts) < d + 1:
        return False
    try:
        [float(p) for p in parts[-d:]]
    except ValueError:
        return False
    return True


def write_vectors(out: str, words: list[str], vectors: np.ndarray, text: bool = True) -> None:
    """A run's vectors: OUT/vectors.bin, and OUT/vectors.txt unless `text` is False."""
    write_binary(os.path.join(out, "vectors.bin"), words, vectors)
    if text:
        write_text(os.path.join(out, "vectors.txt"), words, vectors)
