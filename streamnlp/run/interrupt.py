"""Ctrl-C (SIGINT) and SIGTERM while a trainer trains: taken as a request to stop, answered at the next block
boundary with a checkpoint (checkpoint.Periodic) and Interrupted, never in the middle of a kernel."""
from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from .errors import Interrupted

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Set by a signal handler; read by the trainer between blocks."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def check(self, checkpoint: str, where: str) -> None:
        """Raise Interrupted if a stop was asked for (the caller has just written `checkpoint`)."""
        if self.signum is not None:
            raise Interrupted(self.signum, where, checkpoint)


@contextlib.contextmanager
def stop_requests() -> Iterator[StopRequest]:
    """Within the block, SIGINT and SIGTERM only record themselves in the StopRequest yielded: a Python
    exception raised while the main thread is inside a Numba call left it half-done ("SystemError:
    CPUDispatcher ... returned a result with an exception set"). The previous handlers come back at the
    end. A signal that came after the trainer's last look (while the outputs were written: the block
    should span them) raises Interrupted as the block ends, the outputs whole. A signal the process
    ignores (SIGINT of a shell's background job) stays ignored; off the main thread (where handlers
    cannot be set) nothing is caught."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def handler(signum: int, frame: object) -> None:
        request.signum = signum

    before = {s: signal.signal(s, handler) for s in SIGNALS if signal.getsignal(s) is not signal.SIG_IGN}
    try:
        yield request
    finally:
        for s, h in before.items():
            signal.signal(s, signal.SIG_DFL if h is None else h)  # None: a handler set from C
    if request.signum is not None:
        raise Interrupted(request.signum, "after training, with its outputs written", None)


def at_position(epoch: int, epochs: int, done: int, of: int, units: str) -> str:
    """Where a run stands, for the line that says where it stopped (epoch counts from 0)."""
    if epoch >= epochs:
        return f"after the last of {epochs} epochs"
    return f"in epoch {epoch + 1} of {epochs}, {done:,} of {of:,} {units} done"
