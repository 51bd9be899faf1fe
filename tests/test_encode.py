"""encode.py: the block cache holds exactly the corpus ids, in whole sentences, and is reused when valid."""
import os

import numpy as np
from conftest import random_rows, write_parquet

from streamnlp.config import VocabConfig
from streamnlp.corpus import discover
from streamnlp.encode import encode_corpus
from streamnlp.vocab import build_vocab


def direct(rows, vocab, unk=None, eos=None):
    sents = []
    for r in rows:
        ids = [vocab.index.get(w, unk) for w in r.split()]
        ids = [i for i in ids if i is not None]
        if eos is not None:
            ids.append(eos)
        if ids:
            sents.append(ids)
    return sents


def cached(corpus):
    sents = []
    for _, ids, offsets in corpus.iter_blocks():
        assert offsets[0] == 0 and offsets[-1] == len(ids)
        sents += [ids[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:])]
    return sents


def test_blocks_hold_the_corpus_in_order(tmp_path):
    rows_a, rows_b = random_rows(500, seed=4), random_rows(300, seed=5)
    write_parquet(str(tmp_path / "c" / "a.parquet"), rows_a)
    write_parquet(str(tmp_path / "c" / "b.parquet"), rows_b)
    cfg = VocabConfig(min_count=5, block_tokens=1024, batch_rows=50)
    shards = discover([str(tmp_path / "c")])
    vocab = build_vocab(shards, cfg)
    corpus = encode_corpus(shards, vocab, cfg, str(tmp_path / "cache"), threads=2)
    assert cached(corpus) == direct(rows_a + rows_b, vocab)
    assert len(corpus.blocks) > 4
    assert all(b.n_tokens <= 1024 + 30 for b in corpus.blocks)
    unk = encode_corpus(shards, vocab, cfg, str(tmp_path / "cache2"), unk=len(vocab), eos=len(vocab) + 1)
    assert cached(unk) == direct(rows_a + rows_b, vocab, unk=len(vocab), eos=len(vocab) + 1)


def test_cache_is_reused_only_for_the_same_inputs(tmp_path, small_corpus):
    cfg = VocabConfig(min_count=1)
    shards = discover([small_corpus])
    vocab = build_vocab(shards, cfg)
    folder = str(tmp_path / "cache")
    first = encode_corpus(shards, vocab, cfg, folder)
    stamp = os.path.getmtime(os.path.join(folder, "part-00000.ids"))
    again = encode_corpus(shards, vocab, cfg, folder)
    assert os.path.getmtime(os.path.join(folder, "part-00000.ids")) == stamp
    assert again.n_tokens == first.n_tokens
    lower = encode_corpus(shards, vocab, VocabConfig(min_count=1, lowercase=True, block_tokens=2048), folder)
    assert np.array_equal(np.concatenate([i for _, i, _ in lower.iter_blocks()]),
                          np.concatenate([i for _, i, _ in first.iter_blocks()]))
    assert lower.blocks != first.blocks
