"""cluster/word2vec.Combine: how the replicas' changes to rows become one change per row."""
import numpy as np

from streamnlp.cluster.word2vec import MEAN_ROWS, Combine


def replicas_changes(k, n, seed=0):
    rng = np.random.default_rng(seed)
    base = tuple(rng.standard_normal((k, 3)).astype(np.float32) for _ in range(2))
    changes = [tuple(rng.standard_normal((k, 3)) for _ in range(2)) for _ in range(n)]
    return base, changes


def test_at_a_round_the_most_frequent_rows_take_the_mean_and_the_others_the_sum():
    k, n = MEAN_ROWS + 5, 3
    base, changes = replicas_changes(k, n)
    merge = Combine(base, k, every_round=True)
    for c in changes:
        merge.add(base[0] + c[0], base[1] + c[1], np.ones((2, k)))
    out = tuple(b.copy() for b in base)
    merge.into(out)
    for m in range(2):
        total = sum(c[m] for c in changes)
        assert np.allclose(out[m][:MEAN_ROWS], base[m][:MEAN_ROWS] + total[:MEAN_ROWS] / n, atol=1e-5)
        assert np.allclose(out[m][MEAN_ROWS:], base[m][MEAN_ROWS:] + total[MEAN_ROWS:], atol=1e-5)


def test_a_frequent_row_only_some_replicas_trained_takes_their_mean():
    k = 4
    base, changes = replicas_changes(k, 2)
    merge = Combine(base, k, every_round=True)
    merge.add(base[0] + changes[0][0], base[1] + changes[0][1], np.ones((2, k)))
    merge.add(base[0], base[1], np.zeros((2, k)))  # an idle replica: no update, no change
    out = tuple(b.copy() for b in base)
    merge.into(out)
    assert np.allclose(out[0], base[0] + changes[0][0], atol=1e-5)


def test_at_an_epochs_end_changes_are_weighted_by_the_updates_each_replica_gave():
    k = 3
    base, changes = replicas_changes(k, 2)
    updates = [np.array([[90, 0, 0], [90, 0, 0]], float), np.array([[10, 5, 0], [10, 5, 0]], float)]
    merge = Combine(base, k, every_round=False)
    for c, u in zip(changes, updates):
        merge.add(base[0] + c[0], base[1] + c[1], u)
    out = tuple(b.copy() for b in base)
    merge.into(out)
    for m in range(2):
        assert np.allclose(out[m][0], base[m][0] + 0.9 * changes[0][m][0] + 0.1 * changes[1][m][0], atol=1e-5)
        assert np.allclose(out[m][1], base[m][1] + changes[1][m][1], atol=1e-5)  # one replica: all of it
        assert np.allclose(out[m][2], base[m][2] + changes[0][m][2] + changes[1][m][2], atol=1e-5)  # no count
