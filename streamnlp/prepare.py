"""The two streaming passes every trainer starts with: count the vocabulary, then encode the token blocks
(from the counting pass's dictionary-encoded tokens, so the shards are read and tokenized once)."""
from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence

import pyarrow as pa

from . import rundir
from .codes import fresh_folder
from .config import VocabConfig
from .encode import EncodedCorpus, encode_corpus
from .shards import discover
from .vocab import EOS, UNK, Vocab, build_lm_vocab, build_vocab


def prepare_corpus(inputs: Sequence[str], out: str, cfg: VocabConfig, reuse_vocab: int | None = None,
                   lm_vocab_size: int | None = None) -> tuple[Vocab, EncodedCorpus, dict[str, float]]:
    """Vocabulary (counted and saved as OUT/vocab.tsv) and the encoded corpus in cfg.cache_dir or
    OUT/cache. `reuse_vocab` (the corpus's token count, saved by a checkpoint) reads OUT/vocab.tsv
    back instead of counting again. With `lm_vocab_size` the vocabulary is a language model's (top
    words, </s>, <unk>): unknown words map to <unk> and every row ends with </s>."""
    t0 = time.perf_counter()
    shards = discover(inputs)
    vocab_path = os.path.join(out, "vocab.tsv")
    cache = rundir.prepare(cfg.cache_dir, "--cache-dir") if cfg.cache_dir else rundir.prepare(
        os.path.join(out, "cache"))
    codes = None  # the counting pass's dictionary-encoded tokens (codes.py), for the encoding pass
    try:
        if reuse_vocab is not None and os.path.exists(vocab_path):
            vocab = Vocab.load(vocab_path, total_tokens=reuse_vocab)
        else:
            codes = fresh_folder(cache)
            vocab = (build_lm_vocab(shards, cfg, lm_vocab_size, codes) if lm_vocab_size else
                     build_vocab(shards, cfg, codes))
            vocab.save(vocab_path)
        t1 = time.perf_counter()
        lm = lm_vocab_size is not None
        corpus = encode_corpus(shards, vocab, cfg, cache, unk=vocab.index[UNK] if lm else None,
                               eos=vocab.index[EOS] if lm else None, threads=cfg.threads, codes=codes)
    finally:
        if codes is not None:
            shutil.rmtree(codes, ignore_errors=True)
    pa.default_memory_pool().release_unused()  # Arrow's allocator keeps the passes' freed buffers otherwise
    t2 = time.perf_counter()
    return vocab, corpus, {"vocab_seconds": t1 - t0, "encode_seconds": t2 - t1}
