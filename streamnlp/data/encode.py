"""Encoding pass: token ids as int32 blocks in an on-disk cache, written once, streamed back every epoch.

Cache layout: in the cache folder, one folder `blocks-KEY` per encoding (KEY: inputs, vocabulary and
settings, cache_key) holding per unit (a file, a piece of one, or a run of small files: shards.units)
`part-NNNNN.ids` (int32 ids) and `part-NNNNN.lens` (int32 tokens per sentence), and `manifest.json`
with the block index. A run encodes into a folder of its own and renames it into place when done,
and deletes only the encodings no run holds (blocklock): runs sharing a cache folder never read
another's half-written blocks nor lose the ones they train from. A sentence is a row's words, or
`max_sentence_length` of them where the row is longer (as gensim cuts them). A block is whole
sentences, about `block_tokens` tokens; a sentence longer than that is one larger block, never cut.
Units encode in parallel threads.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..run.atomic import write_json
from ..run.config import CorpusConfig
from ..run.errors import UserError
from ..run.threads import map_shards
from . import blocklock
from .codes import codes_path, fresh_folder, read_codes
from .corpus import prefetch, read_unit, token_settings, tokenize
from .shards import Shard, describe, unit_bytes, units
from .vocab import Vocab

FORMAT = 2  # 2: a part per unit of shards (shards.units), not per shard; a folder per encoding


@dataclass
class Block:
    part: int
    tok_start: int
    n_tokens: int
    sent_start: int
    n_sents: int


def encode_words(words: pa.Array, lengths: np.ndarray, vocab: Vocab, unk: int | None,
                 eos: int | None, max_sentence: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, sentence lengths) of one batch's tokens (dictionary-encoded, or strings, encoded here: only
    the dictionary is looked up, in vocab.strings) with `lengths` tokens per row. Unknown words are
    dropped, or mapped to `unk`; `eos`, when given, ends every row. Rows left empty are dropped; rows
    longer than `max_sentence` ids are cut into sentences of that many (the last one shorter)."""
    if not pa.types.is_dictionary(words.type):
        words = pc.dictionary_encode(words)
    ids = vocab.strings.positions(words.dictionary)[words.indices.to_numpy()]
    if unk is None:
        valid = ids >= 0
        if not valid.all():
            rows = np.repeat(np.arange(len(lengths)), lengths)
            lengths = np.bincount(rows[valid], minlength=len(lengths))
            ids = ids[valid]
    else:
        ids = np.where(ids >= 0, ids, unk)
    ids = ids.astype(np.int32, copy=False)
    if eos is not None:
        ends = np.cumsum(lengths)
        ids = np.insert(ids, ends, eos).astype(np.int32, copy=False)
        lengths = lengths + 1
    lengths = lengths[lengths > 0].astype(np.int32)
    if len(lengths) and lengths.max() > max_sentence:
        lengths = cut_sentences(lengths, max_sentence)
    return ids, lengths


def cut_sentences(lengths: np.ndarray, most: int) -> np.ndarray:
    """Each length L > most as ceil(L / most) lengths: `most`, ..., then the rest."""
    pieces = -(-lengths // most)
    out = np.full(int(pieces.sum()), most, dtype=np.int32)
    out[np.cumsum(pieces) - 1] = lengths - (pieces - 1) * most
    return out


def _encode_unit(part: int, unit: list[Shard], vocab: Vocab, cfg: CorpusConfig, folder: str,
                 unk: int | None, eos: int | None, codes: str | None) -> list[Block]:
    """The unit's (shards.units) ids and sentence lengths into `folder` as one part, read from its codes
    (codes.py) when given, else tokenized from its shards; returns its blocks."""
    blocks: list[Block] = []
    tok = sent = 0
    block_tok = block_sent = 0
    batches = read_codes(codes_path(codes, part)) if codes else (tokenize(t, cfg) for t in read_unit(unit, cfg))
    with open(_path(folder, part, "ids"), "wb") as fi, open(_path(folder, part, "lens"), "wb") as fl:
        for words, lengths in batches:
            ids, lens = encode_words(words, lengths, vocab, unk, eos, cfg.max_sentence_length)
            fi.write(ids.tobytes())
            fl.write(lens.tobytes())
            # cut blocks at sentence boundaries once they hold block_tokens tokens
            ends = np.cumsum(lens, dtype=np.int64) + block_tok
            start = 0
            while True:
                cut = int(np.searchsorted(ends[start:], cfg.block_tokens, side="left")) + start
                if cut >= len(lens):
                    break
                n_tok, n_sent = int(ends[cut]), block_sent + cut - start + 1
                blocks.append(Block(part, tok, n_tok, sent, n_sent))
                tok, sent = tok + n_tok, sent + n_sent
                ends -= ends[cut]
                block_tok = block_sent = 0
                start = cut + 1
            block_tok = int(ends[-1]) if len(ends) else block_tok
            block_sent += len(lens) - start
    if block_sent:
        blocks.append(Block(part, tok, block_tok, sent, block_sent))
    return blocks


def _path(folder: str, part: int, kind: str) -> str:
    return os.path.join(folder, f"part-{part:05d}.{kind}")


def cache_key(shards: list[Shard], vocab: Vocab, cfg: CorpusConfig, unk: int | None, eos: int | None) -> str:
    h = hashlib.sha1()
    h.update(json.dumps([[s.key() for s in shards], token_settings(cfg), cfg.block_tokens, cfg.max_sentence_length,
                         unk, eos, FORMAT]).encode())
    h.update("\n".join(vocab.words).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class EncodedCorpus:
    """The block cache of one corpus and vocabulary; `iter_blocks` streams it with a prefetch thread.
    `starts[i]` is the corpus position of block i's first token; `key` names inputs, vocabulary, settings."""

    def __init__(self, folder: str, blocks: list[Block], key: str, hold: IO | None = None):
        self.folder, self.blocks, self.key = folder, blocks, key
        self.hold = hold  # blocklock's shared hold on the folder while this corpus reads it
        self._ids: dict[int, np.ndarray] = {}  # part -> its token file, memory-mapped on first read_span
        self.starts = np.concatenate([[0], np.cumsum([b.n_tokens for b in blocks])]).astype(np.int64)
        self.n_tokens = int(self.starts[-1])

    def release(self) -> None:
        """Let go of the hold on the folder (blocklock): another run may delete it now."""
        if self.hold is not None:
            self.hold.close()
            self.hold = None

    @property
    def layout(self) -> str:
        """The blocks' sizes in order, hashed: what a checkpoint's (epoch, block) position counts in."""
        return hashlib.sha1(json.dumps([[b.n_tokens, b.n_sents] for b in self.blocks]).encode()).hexdigest()

    @classmethod
    def open(cls, folder: str, hold: IO | None = None) -> EncodedCorpus:
        """The finished encoding in `folder` (as written by encode_corpus), held by `hold` (blocklock) or a
        hold taken now."""
        hold = hold or blocklock.hold(folder)
        with open(os.path.join(folder, "manifest.json")) as f:
            meta = json.load(f)
        return cls(folder, [Block(*b) for b in meta["blocks"]], meta["key"], hold)

    def read_block(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids int32[n], sentence offsets int64[n_sents + 1]) of block i."""
        b = self.blocks[i]
        with open(_path(self.folder, b.part, "ids"), "rb") as f:
            f.seek(4 * b.tok_start)
            ids = np.fromfile(f, dtype=np.int32, count=b.n_tokens)
        with open(_path(self.folder, b.part, "lens"), "rb") as f:
            f.seek(4 * b.sent_start)
            lens = np.fromfile(f, dtype=np.int32, count=b.n_sents)
        if len(ids) != b.n_tokens or len(lens) != b.n_sents:
            raise UserError(f"{self.folder}: the token cache is truncated; delete it to rebuild")
        offsets = np.zeros(b.n_sents + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        return ids, offsets

    def read_span(self, start: int, count: int) -> np.ndarray:
        """Tokens [start, start + count) of the corpus read as one sequence (sentence bounds ignored)."""
        out = np.empty(count, dtype=np.int32)
        got = 0
        while got < count:
            i = int(np.searchsorted(self.starts, start + got, side="right")) - 1
            b = self.blocks[i]
            if b.part not in self._ids:
                self._ids[b.part] = np.memmap(_path(self.folder, b.part, "ids"), dtype=np.int32, mode="r")
            first = b.tok_start + start + got - int(self.starts[i])
            n = min(count - got, b.tok_start + b.n_tokens - first)
            piece = self._ids[b.part][first:first + n]
            if len(piece) != n:
                raise UserError(f"{self.folder}: the token cache is truncated; delete it to rebuild")
            out[got:got + n] = piece
            got += n
        return out

    def iter_blocks(self, start: int = 0, depth: int = 2) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        return prefetch(((i, *self.read_block(i)) for i in range(start, len(self.blocks))), depth)


def encode_corpus(shards: list[Shard], vocab: Vocab, cfg: CorpusConfig, folder: str, unk: int | None = None,
                  eos: int | None = None, threads: int | None = None, codes: str | None = None) -> EncodedCorpus:
    """The blocks of every shard in the cache folder `folder`: those an earlier run encoded from the same
    inputs, vocabulary and settings, or encoded now. `codes`: the folder the counting pass wrote the
    shards' codes to (count_all), read instead of the shards."""
    key = cache_key(shards, vocab, cfg, unk, eos)
    final = os.path.join(folder, f"blocks-{key}")
    for _ in range(3):
        held = blocklock.hold(final)
        if held is not None:
            return EncodedCorpus.open(final, held)
        os.makedirs(folder, exist_ok=True)
        _drop_format1(folder)
        tmp = fresh_folder(folder, f"blocks-{key}.tmp")
        held = blocklock.hold_new(tmp)
        try:
            _encode_into(tmp, key, shards, vocab, cfg, unk, eos, threads, codes)
            os.rename(tmp, final)
        except OSError:  # another run sharing the cache folder put the same encoding in place first
            held.close()
            if not os.path.exists(os.path.join(final, "manifest.json")):
                raise
            continue
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        blocklock.prune(folder, keep=final)
        return EncodedCorpus.open(final, held)
    raise UserError(f"{folder}: other runs keep replacing this cache folder's encodings; give this run a "
                    "--cache-dir of its own")


def _encode_into(folder: str, key: str, shards: list[Shard], vocab: Vocab, cfg: CorpusConfig, unk: int | None,
                 eos: int | None, threads: int | None, codes: str | None) -> None:
    """The units' parts, then the manifest, into `folder`."""
    work = units(shards)
    per_unit = list(map_shards(lambda a: _encode_unit(a[0], a[1], vocab, cfg, folder, unk, eos, codes),
                               list(enumerate(work)), threads, f"encoding {describe(shards)}", unit_bytes(work)))
    blocks = [b for bs in per_unit for b in bs]
    if not blocks:
        raise UserError("no sentence of the corpus has a word of the vocabulary; lower --min-count")
    write_json(os.path.join(folder, "manifest.json"), {"key": key, "blocks": [list(b.__dict__.values())
                                                                              for b in blocks]})


def _drop_format1(folder: str) -> None:
    """The one-encoding cache that streamnlp wrote before blocks-KEY folders (manifest.json and part
    files in the cache folder itself) is deleted when a new encoding is made."""
    if os.path.exists(os.path.join(folder, "manifest.json")):
        os.unlink(os.path.join(folder, "manifest.json"))
        for name in os.listdir(folder):
            if name.startswith("part-") and name.endswith((".ids", ".lens")):
                os.unlink(os.path.join(folder, name))
