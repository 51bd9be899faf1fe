"""The two streaming passes every trainer starts with: count the vocabulary, then encode the token blocks
(from the counting pass's dictionary-encoded tokens, so the shards are read and tokenized once). Both
are kept in the cache folder, so a later run on the same inputs and settings (another model, dimension,
window ...) skips both."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import replace

import pyarrow as pa

from ..run import rundir
from ..run.atomic import write_json
from ..run.config import RunConfig, VocabConfig
from ..run.errors import UserError
from . import blocklock
from .codes import fresh_folder
from .corpus import token_settings
from .encode import EncodedCorpus, encode_corpus
from .shards import Shard, discover
from .vocab import EOS, UNK, Vocab, build_lm_vocab, build_vocab


def prepare_corpus(inputs: Sequence[str], out: str, cfg: VocabConfig, resume: dict | None = None,
                   lm_vocab_size: int | None = None, base: Vocab | None = None
                   ) -> tuple[Vocab, EncodedCorpus, dict[str, float]]:
    """Vocabulary (counted, or taken from the cache folder if vocab_key matches, and saved as
    OUT/vocab.tsv) and the encoded corpus in the cache folder, cfg.cache_dir or OUT/cache.
    `resume` (a checkpoint's state, with the corpus's token count and block layout) reads OUT/vocab.tsv
    back instead of counting again, and refuses a corpus whose blocks are no longer the ones the
    checkpoint's position counts. With `lm_vocab_size` the vocabulary is a language model's (top
    words, </s>, <unk>): unknown words map to <unk> and every row ends with </s>. With `base` (an earlier
    run's vocabulary, --init) the corpus's words are counted at any count and the vocabulary is
    base.extended by them."""
    t0 = time.perf_counter()
    shards = discover(inputs)
    vocab_path = os.path.join(out, "vocab.tsv")
    cache = rundir.prepare(cfg.cache_dir, "--cache-dir") if cfg.cache_dir else rundir.prepare(
        os.path.join(out, "cache"))
    codes = None  # the counting pass's dictionary-encoded tokens (codes.py), for the encoding pass
    counting = replace(cfg, min_count=1) if base is not None else cfg
    key = vocab_key(shards, counting, lm_vocab_size)
    try:
        if resume is not None and os.path.exists(vocab_path):
            vocab = Vocab.load(vocab_path, total_tokens=resume["corpus_tokens"])
        else:
            vocab = _cached_vocab(cache, key)
            if vocab is None:
                codes = fresh_folder(cache)
                vocab = (build_lm_vocab(shards, counting, lm_vocab_size, codes) if lm_vocab_size else
                         build_vocab(shards, counting, codes))
                _cache_vocab(cache, key, vocab)
            if base is not None:
                vocab = base.extended(vocab, cfg.min_count)
            vocab.save(vocab_path)
        t1 = time.perf_counter()
        lm = lm_vocab_size is not None
        corpus = encode_corpus(shards, vocab, cfg, cache, unk=vocab.index[UNK] if lm else None,
                               eos=vocab.index[EOS] if lm else None, threads=cfg.threads, codes=codes)
    finally:
        if codes is not None:
            shutil.rmtree(codes, ignore_errors=True)
    pa.default_memory_pool().release_unused()  # Arrow's allocator keeps the passes' freed buffers otherwise
    if resume is not None and resume.get("corpus_layout", corpus.layout) != corpus.layout:
        raise UserError(f"--resume: the corpus's blocks are not those {out}'s checkpoint was trained on (the "
                        "inputs, or how they are cut into blocks, changed); resume with the same inputs or "
                        "start a new run")
    t2 = time.perf_counter()
    return vocab, corpus, {"vocab_seconds": t1 - t0, "encode_seconds": t2 - t1}


def finish_run(cfg: RunConfig, ckpt_dir: str, *corpora: EncodedCorpus) -> None:
    """What only a running run needs goes once it has written its outputs: its checkpoint (unless
    --keep-checkpoints) and, unless --keep-cache or a --cache-dir, the encodings of `corpora` and the
    vocabularies counted beside them (realtext's word2vec run had left 150 MB beside 77 MB of vectors:
    a 34 MB cache and 39 MB of checkpoints). Only what streamnlp writes is deleted, and no encoding another
    running run reads; a folder left empty goes."""
    if not cfg.keep_checkpoints:
        rundir.drop_checkpoints(ckpt_dir)
    if cfg.keep_cache or cfg.cache_dir:
        return
    for corpus in corpora:
        corpus.release()
        cache = os.path.dirname(corpus.folder)
        blocklock.prune(cache, keep=None)
        rundir.remove_own(cache, lambda name: name.startswith("vocab-") and name.endswith((".tsv", ".json")))


def vocab_key(shards: list[Shard], cfg: VocabConfig, lm_vocab_size: int | None) -> str:
    """What a counted vocabulary depends on: the shards (path, size, mtime, piece), the tokenizer, the
    batches (max_vocab_size prunes as they come) and the cut-offs."""
    return hashlib.sha1(json.dumps([[s.key() for s in shards], token_settings(cfg), cfg.batch_rows, cfg.min_count,
                                    cfg.max_vocab_size, cfg.max_final_vocab, lm_vocab_size]).encode()).hexdigest()


def _cached_vocab(cache: str, key: str) -> Vocab | None:
    """The vocabulary an earlier run counted into `cache` from the same inputs and settings, or None (also
    for one partly deleted: the cache is counted again, not an error)."""
    try:
        with open(os.path.join(cache, f"vocab-{key}.json")) as f:
            total = json.load(f)["total_tokens"]
        return Vocab.load(os.path.join(cache, f"vocab-{key}.tsv"), total_tokens=total)
    except (OSError, ValueError, KeyError, UserError):
        return None


def _cache_vocab(cache: str, key: str, vocab: Vocab) -> None:
    """Keep the vocabulary for later runs as vocab-KEY.tsv, then vocab-KEY.json (its token count), which
    says the .tsv is whole; each written atomically."""
    vocab.save(os.path.join(cache, f"vocab-{key}.tsv"))
    write_json(os.path.join(cache, f"vocab-{key}.json"), {"total_tokens": vocab.total_tokens})
