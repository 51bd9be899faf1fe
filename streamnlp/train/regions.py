"""word2vec's order of training: far-apart regions of the corpus trained together, their sub-blocks taken
in turn, as word2vec.c's and gensim's threads each read their own part of the file at once.

With k regions, step j of an epoch trains block j of each of the corpus's k contiguous regions, as one
block whose sentences come in runs of about SUB_TOKENS tokens from each region in turn. Sequential SGD
through a corpus whose parts differ (realtext's shards come from different sources) ends each epoch on
its last part; CBOW scored better mixed (realtext, 5 epochs, 2 threads, 9 seeds: WordSim 0.374 ->
0.393, analogy 0.263 -> 0.272 with k = 2), skip-gram did not (4 seeds: analogy 0.250 -> 0.248). With
k = 1 the steps are the blocks, in order, unchanged.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..data.corpus import prefetch
from ..data.encode import EncodedCorpus
from ..data.pairs import SUB_TOKENS
from ..kernels.common import sub_blocks


def region_steps(n_blocks: int, k: int) -> list[list[int]]:
    """The blocks each step of an epoch trains: block j of each of k contiguous regions of ceil(n / k)."""
    per = -(-n_blocks // max(1, k))
    return [[r * per + j for r in range(k) if r * per + j < n_blocks] for j in range(per)]


def interleave(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """One block (ids, sentence offsets) of the parts' sentences: a run of about SUB_TOKENS tokens of
    whole sentences from each part in turn, each part's sentences in their order."""
    if len(parts) == 1:
        return parts[0]
    runs = [sub_blocks(offsets, SUB_TOKENS) for _, offsets in parts]
    ids, lens = [], []
    for j in range(max(len(r) for r in runs) - 1):
        for (part_ids, offsets), cuts in zip(parts, runs):
            if j + 1 < len(cuts):
                first, last = cuts[j], cuts[j + 1]
                ids.append(part_ids[offsets[first]:offsets[last]])
                lens.append(np.diff(offsets[first:last + 1]))
    offsets = np.zeros(sum(len(x) for x in lens) + 1, dtype=np.int64)
    np.cumsum(np.concatenate(lens), out=offsets[1:])
    return np.concatenate(ids), offsets


class Schedule:
    """An epoch's steps over `corpus` with k regions; `starts[s]` is the epoch's token count before step s."""

    def __init__(self, corpus: EncodedCorpus, k: int):
        self.corpus = corpus
        self.steps = region_steps(len(corpus.blocks), k)
        sizes = [sum(corpus.blocks[b].n_tokens for b in step) for step in self.steps]
        self.starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

    def iter_steps(self, first: int = 0, depth: int = 2) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """(step, ids, offsets) from step `first` on, read and interleaved on the prefetch thread."""
        return prefetch(((s, *interleave([self.corpus.read_block(b) for b in self.steps[s]]))
                         for s in range(first, len(self.steps))), depth)
