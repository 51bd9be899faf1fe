"""cluster/word2vec's RoundSync and Combine: how the replicas' changes to rows become the driver's rows."""
import numpy as np

from streamnlp.cluster.word2vec import MEAN_ROWS, Combine, RoundSync


def replicas_changes(k, n, seed=0):
    rng = np.random.default_rng(seed)
    base = tuple(rng.standard_normal((k, 3)).astype(np.float32) for _ in range(2))
    changes = [tuple(rng.standard_normal((k, 3)).astype(np.float32) for _ in range(2)) for _ in range(n)]
    return base, changes


def read_only(a):
    a.flags.writeable = False  # as Ray hands arrays over
    return a


def test_after_rounds_the_most_frequent_rows_took_the_mean_and_the_others_the_sum():
    k, n = MEAN_ROWS + 5, 3
    base, changes = replicas_changes(k, n)
    out = tuple(b.copy() for b in base)
    sync = RoundSync(n)
    sync.start([True] * n)
    for i, c in enumerate(changes):  # one replica at a time, as their rounds end
        sync.add(out, i, read_only(c[0]), read_only(c[1]), np.ones((2, k)))
    for m in range(2):
        total = sum(c[m] for c in changes)
        assert np.allclose(out[m][:MEAN_ROWS], base[m][:MEAN_ROWS] + total[:MEAN_ROWS] / n, atol=1e-5)
        assert np.allclose(out[m][MEAN_ROWS:], base[m][MEAN_ROWS:] + total[MEAN_ROWS:], atol=1e-5)


def test_a_frequent_row_counts_only_the_replicas_moving_it():
    k, n = 4, 3
    base, changes = replicas_changes(k, n)
    out = tuple(b.copy() for b in base)
    sync = RoundSync(n)
    sync.start([True, True, False])  # replica 2 has no rounds left this epoch
    sync.add(out, 1, np.zeros((k, 3), np.float32), np.zeros((k, 3), np.float32), np.zeros((2, k)))  # idle round
    sync.add(out, 0, *changes[0], np.ones((2, k)))
    assert np.allclose(out[0], base[0] + changes[0][0], atol=1e-5)  # the only one moving it: all of it
    sync.add(out, 1, *changes[1], np.ones((2, k)))
    assert np.allclose(out[0], base[0] + changes[0][0] + changes[1][0] / 2, atol=1e-5)
    sync.finished(0)
    before = out[0].copy()
    sync.add(out, 1, *changes[1], np.ones((2, k)))
    assert np.allclose(out[0], before + changes[1][0], atol=1e-5)


def test_at_an_epochs_end_every_row_takes_a_rounds_rule():
    k = MEAN_ROWS + 3
    base, changes = replicas_changes(k, 2)
    moved = [np.ones((2, k)), np.ones((2, k))]
    moved[1][:, 0] = 0  # a frequent row only replica 0 moved: all of its change
    for m in range(2):
        changes[1][m][0] = 0
    merge = Combine(base)
    for c, u in zip(changes, moved):
        merge.add(read_only(c[0]), read_only(c[1]), u)
    out = tuple(b.copy() for b in base)
    merge.into(out)
    for m in range(2):
        total = changes[0][m] + changes[1][m]
        assert np.allclose(out[m][0], base[m][0] + changes[0][m][0], atol=1e-5)
        assert np.allclose(out[m][1:MEAN_ROWS], base[m][1:MEAN_ROWS] + total[1:MEAN_ROWS] / 2, atol=1e-5)
        assert np.allclose(out[m][MEAN_ROWS:], base[m][MEAN_ROWS:] + total[MEAN_ROWS:], atol=1e-5)


def test_an_older_checkpoints_state_resumes_each_replica_where_it_stood():
    from streamnlp.cluster.word2vec import upgrade
    state = {"epoch": 1, "round": 5, "pos": 10.0}  # the rounds with a barrier: one round count for all
    upgrade(state, [7, 4, 9], 3)
    assert state["done"] == [12, 8, 14] and "round" not in state
    assert (state["syncs"], state["loss"], state["pairs"]) == ([0, 0, 0], [0.0, 0.0, 0.0], [0, 0, 0])
    shared = {"epoch": 0, "rounds": [2, 3], "syncs": 8, "loss": 1.5, "pairs": 4}  # exchanges counted for all
    upgrade(shared, [7, 7], 2)
    assert shared == {"epoch": 0, "done": [2, 3], "syncs": [4, 4], "loss": [1.5, 0.0], "pairs": [4, 0]}
    per_epoch = {"epoch": 1, "rounds": [2, 3], "syncs": [5, 3], "loss": 1.5, "pairs": 4}  # each replica's rounds
    upgrade(per_epoch, [7, 7], 2)
    assert per_epoch == {"epoch": 1, "done": [9, 10], "syncs": [5, 3], "loss": [0.0, 1.5], "pairs": [0, 4]}
    now = {"epoch": 1, "done": [9, 10], "syncs": [5, 3], "loss": [0.5, 1.5], "pairs": [2, 4]}
    upgrade(now, [7, 7], 2)
    assert now == {"epoch": 1, "done": [9, 10], "syncs": [5, 3], "loss": [0.5, 1.5], "pairs": [2, 4]}
