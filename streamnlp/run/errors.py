"""UserError: a mistake in the user's input (the CLI prints its one line and exits with status 2); Interrupted:
training stopped by a signal, with a checkpoint to resume from (exit status 128 + the signal's number)."""
from __future__ import annotations

import signal


def short_cause(e: BaseException, path: str) -> str:
    """The cause of a read error in a few words, for a one-line message that names the file itself: the OS's
    reason, or the gist of the library's first line (without the path, its last clause's first sentence),
    capped at 80 characters."""
    text = getattr(e, "strerror", None)
    if not text:
        text = (str(e).splitlines() or [""])[0].replace(f"'{path}'", "").replace(path, "")
        text = text.split(": ")[-1].split(". ")[0].strip().rstrip(".") or type(e).__name__
    return text if len(text) <= 80 else text[:77] + "..."


class UserError(ValueError):
    """Bad input (path, shard, flag, corpus). The message names the culprit and says what to do."""


class ClusterError(RuntimeError):
    """A part of a run on a Ray cluster failed (a replica's process or node ended); the message names it and
    the checkpoint to resume from. The CLI prints it in one line and exits with status 1."""


class Interrupted(KeyboardInterrupt):
    """Training stopped by SIGINT or SIGTERM at `where` (a block boundary), its state in `checkpoint` (None:
    it had finished)."""

    def __init__(self, signum: int, where: str, checkpoint: str | None):
        self.signum, self.where, self.checkpoint = signum, where, checkpoint
        saved = f"; checkpoint {checkpoint}" if checkpoint else ""
        super().__init__(f"stopped by {signal.Signals(signum).name} {where}{saved}")
