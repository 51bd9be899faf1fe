"""threads.py: in_background hands back the result, or the exception, of work on another thread; run_parallel
runs every index at once; kernels.common.fetch_add shares out work atomically."""
import threading

import numpy as np
import pytest
from numba import njit

from streamnlp.kernels.common import fetch_add
from streamnlp.run.threads import in_background, run_parallel


def test_in_background_returns_the_result_computed_on_another_thread():
    wait = in_background(lambda x: (x * 2, threading.current_thread() is threading.main_thread()), 21)
    assert wait() == (42, False)


def test_in_background_raises_the_error_in_the_caller():
    def fail():
        raise ValueError("boom")
    with pytest.raises(ValueError, match="boom"):
        in_background(fail)()


def test_a_caller_that_fails_first_still_lets_the_work_finish_before_the_process_ends(tmp_path):
    """Not a daemon: the interpreter's teardown under a daemon still in Numba's loader aborted runs."""
    import subprocess
    import sys
    done = tmp_path / "done"
    script = ("import time\nfrom streamnlp.run.threads import in_background\n"
              f"in_background(lambda: (time.sleep(0.5), open({str(done)!r}, 'w').close()))\n"
              "raise SystemExit(3)\n")
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert res.returncode == 3 and done.exists()


def test_run_parallel_runs_every_index_on_its_own_thread_at_once():
    barrier = threading.Barrier(4, timeout=30)  # passes only if all four run at the same time
    seen = {}

    def fn(i):
        barrier.wait()
        seen[i] = threading.current_thread() is threading.main_thread()
    run_parallel(fn, 4)
    assert seen == {0: True, 1: False, 2: False, 3: False}


def test_run_parallel_raises_a_workers_error_after_all_are_done():
    done = []

    def fn(i):
        if i == 2:
            raise ValueError("worker 2")
        done.append(i)
    with pytest.raises(ValueError, match="worker 2"):
        run_parallel(fn, 3)
    assert sorted(done) == [0, 1]


@njit(nogil=True)
def _take_all(counter, n, got):
    while True:
        k = fetch_add(counter, 1)
        if k >= n:
            return
        got[k] += 1


def test_fetch_add_hands_each_item_to_exactly_one_thread():
    n = 2_000_000
    counter, got = np.zeros(1, np.int64), np.zeros(n, np.int64)
    run_parallel(lambda i: _take_all(counter, n, got), 4)
    assert (got == 1).all() and counter[0] >= n
