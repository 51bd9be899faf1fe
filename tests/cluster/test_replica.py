"""cluster/replica.Replica without Ray: asked two rounds at a time, with the driver's rows arriving a round late
and synced row counts that rise and fall, one replica loses none of its steps."""
import json
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
        res = replica.train_round(r, 0.0, 1, float(rounds * 1500), rows, k, False)
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


class Ref:
    def __init__(self, value):
        self.value = value


class FakeRay:
    """Ray in one process: a call runs when it is asked; wait names the first or the last of the refs it is given
    (ray.wait may name a later round of a replica when several are ready)."""

    class exceptions:
        RayTaskError = type("RayTaskError", (Exception,), {})
        GetTimeoutError = type("GetTimeoutError", (Exception,), {})
        RayActorError = type("RayActorError", (Exception,), {})

    def __init__(self, last: bool):
        self.last = last

    def wait(self, refs, num_returns=1):
        pick = refs[-1] if self.last else refs[0]
        return [pick], [r for r in refs if r is not pick]

    def get(self, refs, timeout=None):
        return [r.value for r in refs] if isinstance(refs, list) else refs.value

    def put(self, value):
        return Ref(value)


class FakeActor:
    def __init__(self, replica):
        self.replica = replica

    def __getattr__(self, name):
        if name == "where":
            method = lambda: {"node": "node-0", "ip": "127.0.0.1", "pid": 0}  # noqa: E731
        else:
            method = getattr(self.replica, name)

        class Call:
            @staticmethod
            def remote(*args):
                return Ref(method(*[a.value if isinstance(a, Ref) else a for a in args]))
        return Call()


def test_the_driver_takes_a_replicas_rounds_in_order_whichever_ray_wait_names(tmp_path):
    from streamnlp.cluster.word2vec import Rounds, _vocab
    shards = discover([SAMPLE])
    outs = []
    for last in (False, True):
        cfg = make_config(Word2VecConfig, {"dim": 8, "epochs": 2, "threads": 1, "seed": 2, "sync_tokens": 1500})
        out = tmp_path / f"run-{last}"
        out.mkdir()
        run = Rounds(FakeRay(last), cfg, [FakeActor(Replica(0, 1))], str(out / "checkpoints"))
        run.place()
        vocab = _vocab(run, [shards], cfg, str(out), None)
        run.start(vocab, [shards], 1500)
        outs.append(run.train(str(out), vocab, None, 0.0, 0.0, "layout", 1).vectors)
        metrics = json.loads((out / "metrics.json").read_text())  # each epoch's losses, in order
        assert len(metrics["loss_per_epoch"]) == len(metrics["train_loss_per_epoch"]) == 2
        assert metrics["train_loss_per_epoch"][1] < metrics["train_loss_per_epoch"][0]
    assert np.abs(outs[0]).max() > 0
    np.testing.assert_array_equal(outs[0], outs[1])


def test_each_replicas_exchanges_double_on_its_own_count(tmp_path):
    # with one count for all, the replicas' turns interleave and one of two would take only the first rows
    from streamnlp.cluster.word2vec import Rounds, _vocab, split, sync_size
    shares = split(discover([SAMPLE]), 2)
    cfg = make_config(Word2VecConfig, {"dim": 8, "epochs": 1, "threads": 1, "seed": 2, "sync_tokens": 3000,
                                       "sync_rows": 4})
    asked = [[], []]

    class Recording(FakeActor):
        def __getattr__(self, name):
            call = super().__getattr__(name)
            if name != "train_round":
                return call

            class Call:
                @staticmethod
                def remote(*args):
                    asked[self.replica.index].append(args[5])  # the rows it is to hand over
                    return call.remote(*args)
            return Call()

    run = Rounds(FakeRay(False), cfg, [Recording(Replica(i, 1)) for i in range(2)], str(tmp_path / "checkpoints"))
    run.place()
    vocab = _vocab(run, shares, cfg, str(tmp_path), None)
    run.start(vocab, shares, 1500)
    run.train(str(tmp_path), vocab, None, 0.0, 0.0, "layout", 1)
    for ks in asked:  # the epoch's last round hands over every row
        assert len(ks) >= 4 and ks[:-1] == [sync_size(n, 4, len(vocab)) for n in range(1, len(ks))], ks
        assert ks[-1] == len(vocab)


def test_rounds_asked_at_once_train_in_the_order_asked():
    """Ray runs two of a replica's calls at once (ROUND_CALLS): round 6 asked alongside round 5 (and reaching
    its thread first) waits for it."""
    import threading
    import time
    replica, ran = Replica(0, 1), []

    def fake_round(g, *args):
        ran.append(("start", g))
        time.sleep(0.05)
        ran.append(("end", g))
        return g

    replica._round = fake_round
    replica.expect(5)
    later = threading.Thread(target=replica.train_round, args=(6, 0.0, 1, 1.0, None, 0, False))
    later.start()
    time.sleep(0.05)  # round 6 is waiting before round 5 arrives
    assert ran == []
    assert replica.train_round(5, 0.0, 1, 1.0, None, 0, False) == 5
    later.join(timeout=10)
    assert ran == [("start", 5), ("end", 5), ("start", 6), ("end", 6)]
