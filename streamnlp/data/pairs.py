"""iter_pairs(): the matrix-factorization view of word2vec as an explicit stream of (center, context, weight).

Each observed pair raises a_center . b_context in word2vec (negative sampling lowers k noise pairs);
GloVe counts the same pairs with 1/distance weights. The fused kernels never build this stream;
this is the reference they are tested against, and GloVe's co-occurrence input.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..kernels.common import sub_blocks
from ..kernels.pairs import fill_pairs
from .encode import EncodedCorpus

# tokens per sub-block, the unit of Hogwild work (handed out one at a time) and of the pair and noise
# generators; 4096 and 16384 trained equally fast on 2 and on 16 cores (docs/benchmarks.md).
SUB_TOKENS = 4096


def block_pairs(ids: np.ndarray, offsets: np.ndarray, *, window: int, seed: int, epoch: int, block: int,
                keep: np.ndarray | None = None, dynamic: bool = True, harmonic: bool = False, distinct: bool = False,
                sub_tokens: int = SUB_TOKENS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs of one block, in sub-block then position order."""
    subs = sub_blocks(offsets, sub_tokens)
    sub_tok = offsets[subs[1:]] - offsets[subs[:-1]]
    starts = np.concatenate([[0], np.cumsum(sub_tok * 2 * window)]).astype(np.int64)
    cap = int(starts[-1])
    center = np.empty(cap, dtype=np.int32)
    context = np.empty(cap, dtype=np.int32)
    weight = np.empty(cap, dtype=np.float32)
    max_len = int(np.diff(offsets).max()) if len(offsets) > 1 else 0
    keep_arr = keep if keep is not None else np.ones(1, dtype=np.float32)
    counts = fill_pairs(ids, offsets, subs, max_len, keep_arr, keep is not None, window, dynamic, harmonic,
                        distinct, seed, epoch, block, starts[:-1], center, context, weight)
    take = np.concatenate([np.arange(s, s + c) for s, c in zip(starts[:-1], counts)]) if len(counts) else []
    return center[take], context[take], weight[take]


def iter_pairs(corpus: EncodedCorpus, *, window: int = 5, seed: int = 1, epoch: int = 0,
               keep: np.ndarray | None = None, dynamic: bool = True, harmonic: bool = False, distinct: bool = False,
               sub_tokens: int = SUB_TOKENS) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(center, context, weight) arrays, one triple per block of the encoded corpus.

    keep: per-word keep probabilities (subsampling) or None; dynamic: word2vec's reduced window;
    harmonic: weights 1/distance (GloVe) instead of 1; distinct: a word repeated inside one window is
    its context once (the pairs that shared-negative skip-gram trains on).
    """
    for b, ids, offsets in corpus.iter_blocks():
        yield block_pairs(ids, offsets, window=window, seed=seed, epoch=epoch, block=b, keep=keep,
                          dynamic=dynamic, harmonic=harmonic, distinct=distinct, sub_tokens=sub_tokens)
