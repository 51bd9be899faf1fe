"""--threads: Numba's and BLAS's thread pools limited to it for the length of a run, restored afterwards."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import numba
from threadpoolctl import threadpool_limits


def threads_or_default(threads: int | None) -> int:
    return threads if threads else (os.cpu_count() or 1)


@contextlib.contextmanager
def thread_limits(threads: int) -> Iterator[None]:
    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        with threadpool_limits(limits=threads, user_api="blas"):
            yield
    finally:
        numba.set_num_threads(before)
