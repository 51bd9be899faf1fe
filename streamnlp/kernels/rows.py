"""A replica's row exchanges (cluster/replica.py) as single passes over the rows, without the temporaries of their
size that the NumPy expressions made (three a round; the exchanges' share of a replica's time fell fivefold)."""
from numba import njit

from .common import JIT


@njit(**JIT)
def hand_over(w, last, out):
    """out[r] = w[r] - last[r] (how far row r moved since it was last synced), then last[r] = w[r], for the
    rows of out; w may be wider than last and out (its padding is left alone)."""
    for r in range(out.shape[0]):
        for d in range(out.shape[1]):
            v = w[r, d]
            out[r, d] = v - last[r, d]
            last[r, d] = v


@njit(**JIT)
def take_over(w, last, rows):
    """The driver's rows become the synced values of the first len(rows) rows, what each moved since its last
    sync staying on top: w[r] += rows[r] - last[r], then last[r] = rows[r]."""
    for r in range(rows.shape[0]):
        for d in range(rows.shape[1]):
            v = rows[r, d]
            w[r, d] += v - last[r, d]
            last[r, d] = v


@njit(**JIT)
def add_to_both(w, last, change):
    """A change handed over that the driver's rows do not hold yet, added to the synced values and the rows."""
    for r in range(change.shape[0]):
        for d in range(change.shape[1]):
            c = change[r, d]
            w[r, d] += c
            last[r, d] += c
