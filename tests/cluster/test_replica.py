"""cluster/replica.Replica without Ray: asked two rounds at a time, with the driver's rows arriving a round late
and synced row counts that rise and fall, one replica loses none of its steps."""
from collections import deque

import numpy as np
from conftest import SAMPLE

from streamnlp.cluster.replica import Replica
from streamnlp.cluster.word2vec import Combine, RoundSync
from streamnlp.data.shards import discover
from streamnlp.data.vocab import build_vocab, count_units
from streamnlp.run.config import Word2VecConfig, make_config, to_json
from streamnlp.train.word2vec import init_weights


def train(tmp_path, ks):
    """One replica's epoch on sample_corpus, asked two rounds at a time, handing over ks[r] rows after round r
    (0: none); returns the driver's rows with the replica's last changes combined in."""
    cfg = make_config(Word2VecConfig, {"dim": 8, "epochs": 1, "threads": 1, "seed": 2})
    shards = discover([SAMPLE])
    vocab = build_vocab(shards, cfg)
    replica = Replica(0, 1)
    replica.prepare(to_json(cfg), str(tmp_path / f"cache{len(ks)}"))
    assert replica.count(shards).table.equals(count_units(shards, cfg).table)
    rounds = replica.start(vocab, shards, 1500)["rounds"]
    assert rounds >= 8
    V = len(vocab)
    base = tuple(w[:, :8].copy() for w in init_weights(V, 8, 2))
    sync = RoundSync(1)
    sync.start([True])
    asked = deque((r, None, min(ks[r % len(ks)], V)) for r in range(2))
    for r in range(rounds):
        got, rows, k = asked.popleft()
        assert got == r
        res = replica.train_round(0, r, 0.0, 1, float(rounds * 1500), rows, k)
        if k:
            sync.add(base, 0, *res["changes"])
        if r + 2 < rounds:  # the driver's answer goes with the round after the next, as Rounds.epoch asks them
            asked.append((r + 2, (r, *(b[:k].copy() for b in base)) if k else None, min(ks[(r + 2) % len(ks)], V)))
    merge = Combine(base)
    merge.add(*replica.changes(V))
    merge.into(base)
    return base


def test_one_replica_asked_two_rounds_at_a_time_loses_none_of_its_steps(tmp_path):
    alone = train(tmp_path, [0])  # never synced: the replica's own training
    synced = train(tmp_path, [40, 5, 300, 5, 40, 1 << 30, 5])  # rows handed over that rise and fall
    for m in range(2):
        assert np.abs(alone[m]).max() > 0
        # the same steps; float32 sums in another order drift apart by about 3e-4 (a lost round: above 1)
        np.testing.assert_allclose(synced[m], alone[m], atol=1e-3)
