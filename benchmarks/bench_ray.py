"""Wall time of one preset sweep: ``--jobs 2`` against a local two-node Ray cluster.

Starts a head and a second node on 127.0.0.1 (one CPU each, ray.cluster_utils.Cluster), runs
``qaug reproduce`` into fresh folders with ``--jobs 2`` and with ``--executor ray --address``,
checks both give the same results (less timings) and prints the wall times and their ratio.
Both nodes share this machine, so on 2 cores expect about 1x (Ray adds start-up and per-task
overhead); a real speed-up needs nodes on other machines.

    python benchmarks/bench_ray.py --preset demo            # real budgets (40 runs, 5 banks)
    python benchmarks/bench_ray.py --preset demo --dry-run  # overheads only
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _reproduce(extra: list[str], out: Path, args, env) -> float:
    cmd = [sys.executable, "-m", "qaug.cli", "reproduce", "--preset", args.preset, "--out",
           str(out), "--no-progress", *(["--dry-run"] if args.dry_run else []),
           *(["--seeds", *map(str, args.seeds)] if args.seeds else []), *extra]
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _results(folder: Path) -> dict:
    out = {}
    for f in sorted((folder / "runs").glob("*.json")):
        m = json.loads(f.read_text())["metrics"]
        m.pop("timings")
        m["train"].pop("seconds")
        if m.get("generator"):
            m["generator"].pop("seconds")
        out[f.name] = m
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="demo")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--seeds", type=int, nargs="+", default=None)
    args = p.parse_args()
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # keep Ray on loopback
    from ray.cluster_utils import Cluster

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1"}
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "node_ip_address": "127.0.0.1", "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
        cluster.wait_for_nodes()
        with tempfile.TemporaryDirectory(prefix="qaug-bench-ray-") as tmp:
            local = _reproduce(["--jobs", "2"], Path(tmp) / "local", args, env)
            ray = _reproduce(["--executor", "ray", "--address", cluster.address],
                             Path(tmp) / "ray", args, env)
            same = _results(Path(tmp) / "local") == _results(Path(tmp) / "ray")
            sweep = json.loads((Path(tmp) / "ray" / "sweep.json").read_text())["last_run"]
            n = len(_results(Path(tmp) / "ray"))
    finally:
        cluster.shutdown()
    print(f"{args.preset}{' --dry-run' if args.dry_run else ''}: {n} runs; --jobs 2 {local:.1f} s, "
          f"2-node Ray cluster {ray:.1f} s (sweep {sweep['wall_s']:.1f} s of it); speed-up "
          f"{local / ray:.2f}x; identical results: {same}")


if __name__ == "__main__":
    main()
