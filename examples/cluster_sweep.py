"""A preset sweep on a Ray cluster, checked against the same sweep run locally.

With no argument this starts a private local Ray instance (2 CPUs) and runs the ``demo``
preset at dry-run budgets on it, then the same sweep with the local process pool, and checks
that every run's metrics agree bit for bit (same seeds, one torch thread per task). On a real
cluster, start Ray on each machine (``ray start --head`` on one, ``ray start --address HEAD:6379``
on the others, each with qaug installed) and pass the head's address:

    python examples/cluster_sweep.py [HOST:PORT] [OUT]     # needs pip install 'qaug[ray]'

The command-line equivalent is ``qaug reproduce --preset demo --executor ray --address HOST:PORT``.
"""

import json
import sys
from pathlib import Path

from qaug._commands.experiments import dry_run_overrides
from qaug.experiments import RayExecutor, load_sweep_config, reproduce


def _metrics(folder: Path) -> dict:
    """``{run file: test metrics}`` of a finished sweep folder (timings left out)."""
    return {p.name: json.loads(p.read_text())["metrics"]["test"]
            for p in sorted((folder / "runs").glob("*.json"))
            if not p.name.endswith(".error.json")}


def main(address=None, out="runs/cluster_sweep", seeds=(0, 1)):
    """Run the sweep on Ray and locally; return (number of runs, whether they all agree)."""
    sweep = load_sweep_config("demo", dry_run_overrides(), seeds=tuple(seeds))
    executor = RayExecutor(address, local_cpus=2 if address is None else None)
    try:
        summary, report = reproduce(sweep, Path(out) / "ray", executor=executor, progress=False)
    finally:
        executor.close()
    print(f"ray: {summary}\n  report: {report}")
    local, _ = reproduce(sweep, Path(out) / "local", jobs=2, progress=False)
    ray_runs, local_runs = _metrics(Path(out) / "ray"), _metrics(Path(out) / "local")
    same = ray_runs == local_runs
    print(f"local: {local}\n{len(ray_runs)} runs; identical to the local pool: {same}")
    return len(ray_runs), same


if __name__ == "__main__":
    args = sys.argv[1:3]
    main(args[0] or None if args else None, *args[1:])
