"""The counting pass's token spill: each batch's rows with their words dictionary-encoded, read back by the
encoding pass, which then maps each batch's dictionary to vocabulary ids instead of reading and tokenizing
the shard again.

One Arrow IPC stream per unit of shards (shards.units), a record batch per corpus batch, one column
`rows` of list<dictionary<int32, string>> (a list per row, the batch's own dictionary). About 4 bytes a
token plus each batch's distinct words; prepare_corpus deletes it once the corpus is encoded.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc


def codes_path(folder: str, part: int) -> str:
    return os.path.join(folder, f"part-{part:05d}.arrows")


def fresh_folder(cache: str, name: str = "codes") -> str:
    """An empty folder `NAME-PID` in `cache` for this process (its codes, or blocks being encoded); what
    killed runs left there (`codes-PID`, `*.tmp-PID` of processes no longer running) is deleted first."""
    for entry in os.listdir(cache):
        head, _, pid = entry.rpartition("-")
        if (head == "codes" or head.endswith(".tmp")) and pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(os.path.join(cache, entry), ignore_errors=True)
    path = os.path.join(cache, f"{name}-{os.getpid()}")
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's
        return True
    return True


class CodesWriter:
    """Writes one unit's batches to `path` (nothing when path is None); a unit without batches leaves
    no file, which read_codes reads as no rows."""

    def __init__(self, path: str | None):
        self.path = path
        self._out: Any = None

    def __enter__(self) -> CodesWriter:
        return self

    def write(self, words: pa.DictionaryArray, lengths: np.ndarray) -> None:
        """words: the batch's tokens, dictionary-encoded; lengths: tokens of each row."""
        if self.path is None:
            return
        offsets = np.zeros(len(lengths) + 1, dtype=np.int32)
        np.cumsum(lengths, out=offsets[1:])
        batch = pa.record_batch([pa.ListArray.from_arrays(pa.array(offsets), words)], names=["rows"])
        if self._out is None:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            self._out = ipc.new_stream(self.path, batch.schema)
        self._out.write_batch(batch)

    def __exit__(self, *exc: Any) -> None:
        if self._out is not None:
            self._out.close()


def read_codes(path: str) -> Iterator[tuple[pa.DictionaryArray, np.ndarray]]:
    """(dictionary-encoded tokens, tokens of each row) of each batch CodesWriter wrote to `path`."""
    if not os.path.exists(path):
        return
    with ipc.open_stream(path) as batches:
        for batch in batches:
            rows = batch.column(0)
            yield rows.flatten(), rows.value_lengths().to_numpy().astype(np.int64)
