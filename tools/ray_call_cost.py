#!/usr/bin/env python3
"""What one actor call costs on a Ray cluster: wall time, and CPU in the driver, the actor and the raylet,
per call that sends K rows of both matrices each way (a replica's round on Ray: cluster/replica.py).

Each size runs --calls calls one after another against one actor. Rows of --dim float32s, two matrices, so a
call moves 2 * K * dim * 4 bytes each way. Objects up to Ray's max_direct_call_object_size (100 KiB by default)
travel inside the call; larger ones through the node's object store, which the raylet serves. `--inline BYTES`
raises that bound in the driver and the actor (RAY_max_direct_call_object_size; the actor through its runtime
environment's variables). The raylet's CPU is read from /proc when it runs on this machine.

usage: tools/ray_call_cost.py [--ray auto] [--rows 128,256,1024,4096,16384] [--dim 100] [--calls 300]
                              [--inline BYTES]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from streamnlp.cluster.connect import cluster  # noqa: E402
from streamnlp.run.errors import UserError  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ray", default="auto",
                    help="the cluster, as stream-train's --ray (auto: the one `ray start --head` started here)")
    ap.add_argument("--rows", default="128,256,1024,4096,16384", help="rows per matrix each call sends, a list")
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--inline", type=int, default=0, help="max_direct_call_object_size in bytes (0: Ray's own)")
    a = ap.parse_args()
    try:
        sizes = [int(x) for x in a.rows.split(",")]
    except ValueError:
        ap.error(f"--rows {a.rows}: give whole numbers separated by commas, as 128,1024")
    if min(sizes) < 1 or a.calls < 1 or a.dim < 1:
        ap.error("--rows, --dim and --calls must be above 0")
    env = {"RAY_max_direct_call_object_size": str(a.inline)} if a.inline else {}
    os.environ.update(env)  # read by the driver's Ray core as it connects
    try:
        with cluster(a.ray) as ray:
            measure(ray, a, sizes, env)
    except UserError as e:
        print(e, file=sys.stderr)
        return 2
    return 0


def measure(ray, a: argparse.Namespace, sizes: list[int], env: dict[str, str]) -> None:
    """One line of JSON per size in `sizes`, from --calls calls to one new actor (its runtime environment `env`)."""
    import numpy as np
    import psutil

    @ray.remote(num_cpus=1)
    class Echo:
        def call(self, rows, k: int, dim: int):
            change = np.zeros((k, dim), np.float32)
            return {"syn0": change, "syn1": change}

        def cpu(self) -> float:
            return time.process_time()

    actor = Echo.options(**({"runtime_env": {"env_vars": env}} if env else {})).remote()
    ray.get(actor.call.remote(None, 1, a.dim))
    raylets = [p for p in psutil.process_iter(["cmdline"]) if "raylet/raylet" in " ".join(p.info["cmdline"] or [])]

    def raylet_cpu() -> float:
        return sum(sum(p.cpu_times()[:2]) for p in raylets)

    for k in sizes:
        rows = np.ones((k, a.dim), np.float32)
        r0, a0, c0, w0 = raylet_cpu(), ray.get(actor.cpu.remote()), time.process_time(), time.perf_counter()
        for _ in range(a.calls):
            ray.get(actor.call.remote((rows, rows), k, a.dim))
        wall, driver = time.perf_counter() - w0, time.process_time() - c0
        act, raylet = ray.get(actor.cpu.remote()) - a0, raylet_cpu() - r0
        print(json.dumps({"rows": k, "bytes_each_way": 2 * k * a.dim * 4, "wall_ms": round(wall / a.calls * 1e3, 2),
                          "driver_cpu_ms": round(driver / a.calls * 1e3, 2),
                          "actor_cpu_ms": round(act / a.calls * 1e3, 2),
                          "raylet_cpu_ms": round(raylet / a.calls * 1e3, 2) if raylets else None}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
