"""kernels/rows: a replica's row exchanges against NumPy, on weights wider than the rows (line-aligned padding)."""
import numpy as np

from streamnlp.kernels.rows import add_to_both, hand_over, take_over


def arrays(seed):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((50, 16)).astype(np.float32)
    return w, w[:, :12], rng.standard_normal((40, 12)).astype(np.float32)  # padded weights, their view, synced


def test_hand_over_is_the_change_since_the_last_sync_and_syncs_the_rows():
    padded, w, last = arrays(1)
    want_out, want_last = w[:30] - last[:30], last.copy()
    want_last[:30] = w[:30]
    before = padded.copy()
    out = np.empty((30, 12), np.float32)
    hand_over(w, last, out)
    np.testing.assert_array_equal(out, want_out)
    np.testing.assert_array_equal(last, want_last)
    np.testing.assert_array_equal(padded, before)  # the weights and their padding untouched


def test_take_over_keeps_what_the_rows_moved_on_top_of_the_drivers_rows():
    padded, w, last = arrays(2)
    rows = np.random.default_rng(3).standard_normal((25, 12)).astype(np.float32)
    want_w, want_last = w.copy(), last.copy()
    want_w[:25] = rows + (w[:25] - last[:25])
    want_last[:25] = rows
    pad = padded[:, 12:].copy()
    take_over(w, last, rows)
    np.testing.assert_allclose(w, want_w, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(last, want_last)
    np.testing.assert_array_equal(padded[:, 12:], pad)


def test_add_to_both_adds_a_change_to_the_rows_and_their_synced_values():
    _, w, last = arrays(4)
    change = np.random.default_rng(5).standard_normal((10, 12)).astype(np.float32)
    want_w, want_last = w.copy(), last.copy()
    want_w[:10] += change
    want_last[:10] += change
    add_to_both(w, last, change)
    np.testing.assert_array_equal(w, want_w)
    np.testing.assert_array_equal(last, want_last)
