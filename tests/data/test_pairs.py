"""pairs.py: iter_pairs equals a slow pure-Python reference for a fixed seed."""
import numpy as np
import pytest
import reference

from streamnlp.data.encode import encode_corpus
from streamnlp.data.pairs import iter_pairs
from streamnlp.data.shards import discover
from streamnlp.data.vocab import build_vocab
from streamnlp.kernels.common import stream_seed, sub_blocks
from streamnlp.run.config import VocabConfig


def test_rng_seeding_matches_the_reference():
    for args in [(1, 0, 0, 0, 0), (7, 3, 11, 2, 1), (2**40, 99, 5, 64, 0)]:
        assert int(stream_seed(*args)) == reference.stream_seed(*args)


@pytest.mark.parametrize("dynamic, harmonic, sample, distinct", [(True, False, 1e-2, False), (False, True, 0.0, False),
                                                                  (True, False, 0.0, True)])
def test_iter_pairs_equals_the_reference(tmp_path, small_corpus, dynamic, harmonic, sample, distinct):
    cfg = VocabConfig(min_count=1, block_tokens=1024)
    shards = discover([small_corpus])
    vocab = build_vocab(shards, cfg)
    corpus = encode_corpus(shards, vocab, cfg, str(tmp_path / "cache"))
    keep = vocab.keep_probs(sample) if sample else None
    got = list(iter_pairs(corpus, window=3, seed=5, epoch=2, keep=keep, dynamic=dynamic, harmonic=harmonic,
                          distinct=distinct, sub_tokens=200))
    assert len(got) == len(corpus.blocks) > 1
    for b, (center, context, weight) in enumerate(got):
        ids, offsets = corpus.read_block(b)
        subs = sub_blocks(offsets, 200)
        ref = reference.pairs(ids, offsets, subs, keep, 3, dynamic, harmonic, 5, 2, b, distinct)
        assert len(ref) == len(center) > 0
        assert center.tolist() == [p[0] for p in ref]
        assert context.tolist() == [p[1] for p in ref]
        assert np.allclose(weight, [p[2] for p in ref])
