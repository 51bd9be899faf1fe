"""The two streaming passes every trainer starts with: count the vocabulary, then encode the token blocks."""
from __future__ import annotations

import os
import time
from collections.abc import Sequence

from .config import VocabConfig
from .corpus import discover
from .encode import EncodedCorpus, encode_corpus
from .vocab import Vocab, build_vocab


def prepare_corpus(inputs: Sequence[str], out: str, cfg: VocabConfig, reuse_vocab: int | None = None,
                   unk: bool = False, eos: bool = False) -> tuple[Vocab, EncodedCorpus, dict[str, float]]:
    """Vocabulary (counted and saved as OUT/vocab.tsv) and the encoded corpus in cfg.cache_dir or
    OUT/cache. `reuse_vocab` (the corpus's token count, saved by a checkpoint) reads OUT/vocab.tsv
    back instead of counting again. `unk`/`eos` reserve ids len(vocab) and len(vocab)+1 for <unk>
    (unknown words kept) and </s> (appended to every row), as language models need."""
    t0 = time.perf_counter()
    shards = discover(inputs)
    vocab_path = os.path.join(out, "vocab.tsv")
    if reuse_vocab is not None and os.path.exists(vocab_path):
        vocab = Vocab.load(vocab_path, total_tokens=reuse_vocab)
    else:
        vocab = build_vocab(shards, cfg)
        vocab.save(vocab_path)
    t1 = time.perf_counter()
    cache = cfg.cache_dir or os.path.join(out, "cache")
    corpus = encode_corpus(shards, vocab, cfg, cache, unk=len(vocab) if unk else None,
                           eos=len(vocab) + 1 if eos else None, threads=cfg.threads)
    t2 = time.perf_counter()
    return vocab, corpus, {"vocab_seconds": t1 - t0, "encode_seconds": t2 - t1}
