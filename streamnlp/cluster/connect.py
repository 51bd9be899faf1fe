"""--ray ADDRESS|auto|local[:N]: the Ray cluster a run uses, joined (or started) for the run and left after it."""
from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from typing import Any

from ..run.errors import ClusterError, UserError

NAMESPACE = "streamnlp"


def ray_module() -> Any:
    """Ray, imported on first use (the local path never imports it)."""
    try:
        import ray
    except ImportError:
        raise UserError("--ray needs Ray: pip install 'streamnlp[ray]'") from None
    return ray


def init_args(spec: str) -> dict[str, Any]:
    """ray.init's arguments for --ray SPEC: local[:N] starts a cluster in this process with N CPUs (default:
    the cores here); auto joins the cluster `ray start --head` started on this machine; anything else is a
    cluster's address (host:port or ray://host:port)."""
    if spec == "local" or spec.startswith("local:"):
        n = spec.partition(":")[2]
        if n and not (n.isdigit() and int(n) > 0):
            raise UserError(f"--ray {spec}: local:N needs a whole number of CPUs above 0, as local:4")
        return dict(address="local", num_cpus=int(n) if n else os.cpu_count(), include_dashboard=False,
                    object_store_memory=256 << 20)  # "local": a new cluster even where one already runs
    return dict(address=spec)


@contextlib.contextmanager
def cluster(spec: str) -> Iterator[Any]:
    """The ray module connected to the cluster SPEC names, for the block's length. A process already
    connected (a program of the user's, or the tests') keeps its connection, and nothing is shut down."""
    ray = ray_module()
    if ray.is_initialized():
        yield ray
        return
    _reachable(spec)
    try:
        ray.init(namespace=NAMESPACE, log_to_driver=False, **init_args(spec))
    except (ConnectionError, RuntimeError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"--ray {spec}: cannot reach the cluster ({first[:160]}); start one with "
                        "`ray start --head`, or pass local:N") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def _reachable(spec: str) -> None:
    """A HOST:PORT address must answer within seconds (ray.init retries an address that does not for minutes)."""
    if spec in ("auto", "local") or spec.startswith(("local:", "ray://")):
        return
    host, _, port = spec.rpartition(":")
    if not port.isdigit():
        raise UserError(f"--ray {spec}: give HOST:PORT, auto, or local[:N]")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=5).close()
    except OSError as e:
        raise UserError(f"--ray {spec}: cannot reach the cluster ({e.strerror or e}); start one with `ray start "
                        "--head`, or pass local:N") from None


def nodes(ray: Any) -> list[dict[str, Any]]:
    """The cluster's live nodes that have CPUs, each with its id, address and CPUs."""
    live = [{"id": n["NodeID"], "ip": n["NodeManagerAddress"], "cpus": int(n["Resources"].get("CPU", 0))}
            for n in ray.nodes() if n["Alive"]]
    return [n for n in live if n["cpus"] > 0]


def get(ray: Any, refs: Any, timeout: float | None = None) -> Any:
    """ray.get, with a task's own error raised as itself when it is a UserError or OSError (a bad shard:
    its one line), and any other error of a task as one line (never a remote traceback)."""
    try:
        return ray.get(refs, timeout=timeout)
    except ray.exceptions.RayTaskError as e:
        cause = getattr(e, "cause", None)
        if isinstance(cause, (UserError, OSError)):
            raise cause from None
        first = str(cause or e).strip().splitlines()
        raise ClusterError(f"a task on the cluster failed: {first[-1][:200] if first else type(e).__name__}") from None
    except ray.exceptions.GetTimeoutError:
        raise ClusterError(f"the cluster did not answer in {timeout:.0f} s: it has no room for the work asked "
                           "(see `ray status`); ask for fewer --replicas or --threads") from None
