"""--threads: Numba's and BLAS's thread pools limited to it for a run; shard passes mapped over a thread pool;
work started in the background."""
from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from threadpoolctl import threadpool_limits
from tqdm import tqdm


def threads_or_default(threads: int | None) -> int:
    """--threads, or the cores this process may run on."""
    if threads:
        return threads
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def passive_openmp() -> None:
    """Numba's OpenMP workers spin for a while after each parallel region, on the cores that OpenBLAS's
    threads need for the next matrix product; where the two alternate (the language model's step) that
    halved its speed on 2 cores (4,340 -> 9,394 tokens/s with passive waiting; word2vec and GloVe
    unchanged). Passive unless the user chose otherwise. OpenMP reads it when Numba starts its threads,
    so it counts only before the process's first parallel kernel."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@contextlib.contextmanager
def thread_limits(threads: int) -> Iterator[None]:
    import numba  # here: passes that need no kernel (phrases, vocab) start without loading Numba
    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        with threadpool_limits(limits=threads, user_api="blas"):
            yield
    finally:
        numba.set_num_threads(before)


def map_shards(fn: Callable[[Any], Any], items: Sequence[Any], threads: int | None, desc: str,
               sizes: Sequence[float] | None = None) -> Iterator[Any]:
    """fn(item) for each item, run on up to `threads` threads (pyarrow releases the GIL) and yielded in
    the items' order, each as soon as it and those before it are done (a reduce can fold them as they
    come); a progress bar on a terminal, over the items' `sizes` in bytes when given."""
    workers = max(1, min(threads_or_default(threads), len(items)))
    sizes = [1] * len(items) if sizes is None else list(sizes)
    unit = dict(unit="item") if len(set(sizes)) == 1 and sizes[0] == 1 else dict(unit="B", unit_scale=True)
    with ThreadPoolExecutor(workers) as pool, tqdm(total=sum(sizes), desc=desc, disable=None, **unit) as bar:
        for result, size in zip(pool.map(fn, items), sizes):
            bar.update(size)
            yield result


def in_background(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    """Start fn(*args) on a thread; the returned function waits for it and returns its result or raises
    its exception. Not a daemon: if the caller fails first, the interpreter waits for it at exit, where
    tearing down under a daemon still in Numba's loader aborted the process ("terminate called without
    an active exception", 1 exit in 40 of a script whose train_word2vec met a bad shard, on busy cores);
    the command line ends with os._exit and does not wait (cli.run)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = fn(*args)
        except BaseException as e:  # handed to the caller
            box["error"] = e

    t = threading.Thread(target=run)
    t.start()

    def wait() -> Any:
        t.join()
        if "error" in box:
            raise box["error"]
        return box["result"]
    return wait


def run_parallel(fn: Callable[[int], Any], n: int) -> None:
    """fn(0) .. fn(n - 1) side by side: fn(0) on this thread, the others on threads of their own (fn is a
    kernel that releases the GIL); returns when all are done, raising the first one's exception."""
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            fn(i)
        except BaseException as e:  # handed to the caller
            errors.append(e)

    started = []
    try:
        for i in range(1, n):
            t = threading.Thread(target=run, args=(i,))
            t.start()
            started.append(t)
        run(0)
    finally:  # never return, or raise, while a worker still writes the caller's arrays
        for t in started:
            t.join()
    if errors:
        raise errors[0]
