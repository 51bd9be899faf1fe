"""regions.py: each step trains block j of each region; interleaving keeps every sentence, in order."""
import numpy as np
import pytest

from streamnlp.data.pairs import SUB_TOKENS
from streamnlp.train.regions import interleave, region_steps


@pytest.mark.parametrize("n, k", [(9, 1), (9, 2), (9, 4), (10, 2), (3, 5), (1, 2)])
def test_steps_take_each_block_once_block_j_of_each_region(n, k):
    steps = region_steps(n, k)
    assert sorted(b for s in steps for b in s) == list(range(n))
    per = -(-n // k)
    assert all(s == [r * per + j for r in range(k) if r * per + j < n] for j, s in enumerate(steps))
    if k == 1:
        assert steps == [[b] for b in range(n)]


def part(seed, n_sents):
    rng = np.random.default_rng(seed)
    lens = rng.integers(1, 900, n_sents)
    offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    return rng.integers(0, 1000, int(offsets[-1])).astype(np.int32), offsets


def sentences(ids, offsets):
    return [ids[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:])]


def test_interleaving_keeps_each_parts_sentences_in_order_in_alternating_runs():
    parts = [part(1, 120), part(2, 40), part(3, 90)]
    ids, offsets = interleave(parts)
    got = sentences(ids, offsets)
    owner = {}
    for p, (pi, po) in enumerate(parts):
        for s in sentences(pi, po):
            owner[tuple(s)] = p
    assert sorted(map(tuple, got)) == sorted(owner)  # every sentence once (the random ids make each unique)
    for p, (pi, po) in enumerate(parts):
        assert [s for s in got if owner[tuple(s)] == p] == sentences(pi, po)
    runs = [owner[tuple(got[0])]]
    for s in got[1:]:
        if owner[tuple(s)] != runs[-1]:
            runs.append(owner[tuple(s)])
    assert runs[:6] == [0, 1, 2, 0, 1, 2]  # a run of about SUB_TOKENS tokens from each part in turn
    assert len(runs) > 10 and offsets[-1] == sum(len(i) for i, _ in parts) > 8 * SUB_TOKENS


def test_one_part_is_the_block_itself():
    ids, offsets = part(4, 50)
    got = interleave([(ids, offsets)])
    assert got[0] is ids and got[1] is offsets
