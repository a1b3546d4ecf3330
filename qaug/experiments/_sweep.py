"""Run a grid of experiments with caching, resume and per-run error records.

Folder layout (``out``)::

    sweep.json                 identity of the sweep (hash of its config) and its seeds
    runs/<hash>.json           one finished run: config, metrics, provenance
    runs/<hash>.error.json     one failed run: config, error, traceback (retried on resume)
    cache/banks/<key>/...      trained generator banks shared by the runs (see _banks.py)

Two phases: first every generator bank that some run needs and that is not cached yet is
trained once (in parallel), followed in the same batch by the runs that need no bank (so no
worker idles while the last banks train); then the runs that need banks execute and load them. A run is
skipped when ``runs/<hash>.json`` exists, so an interrupted sweep resumes where it stopped.
A failing run gets its error file and the sweep goes on.

Workers only compute: each task returns its record (and a bank its files), and the driver
(this process) writes every file of the folder as results arrive, so no shared filesystem is
needed and a killed driver loses only the tasks still in flight. Executors whose workers do
not share the driver's disk (``shares_filesystem = False``) get each needed bank once through
``executor.share``; a run task unpacks it into a private temporary cache on its worker.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from qaug._config import config_to_dict
from qaug._io import clear_outputs, read_json, run_info, write_json
from qaug._outputs import is_bookkeeping, open_session, record
from qaug.experiments._banks import bank_problem
from qaug.experiments._executor import Executor, LocalExecutor
from qaug.experiments._tasks import Task, execute_task, read_bank_files, store_result, task_of

__all__ = ["run_sweep", "open_sweep_folder", "SweepSummary", "SweepMismatchError"]

SWEEP_FILE = "sweep.json"


class SweepMismatchError(FileExistsError):
    """The output folder holds results of a different sweep configuration."""


@dataclass
class SweepSummary:
    """What a sweep did: counts of cached, new and failed runs and banks, and wall time."""

    out_dir: Path
    n_runs: int = 0
    n_cached: int = 0
    n_done: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    n_banks_trained: int = 0
    failed_banks: dict[str, str] = field(default_factory=dict)
    corrupt_banks: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    worker_peak_rss_mb: float = 0.0  # largest max RSS a task's process reported


def open_sweep_folder(out_dir: str | Path, identity: dict, overwrite: bool = False) -> Path:
    """Create or reopen ``out_dir`` for the sweep described by ``identity``.

    ``identity`` must carry ``"sweep_hash"``. A folder from the same sweep is reopened (resume);
    its ``sweep.json`` then lists the seeds of every run so far (earlier seeds plus this
    call's), so a rerun of a subset of seeds never shrinks the folder's report. A folder from
    another sweep, or one holding other results, is refused unless ``overwrite``, which
    deletes the files qaug wrote there (listed in its manifest, see :mod:`qaug._outputs`),
    never the user's own.

    Raises:
        SweepMismatchError: the folder belongs to another sweep (and no ``overwrite``).
        FileExistsError: the folder holds files that are not a sweep's.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} exists and is not a folder; choose another --out.")
    marker = out / SWEEP_FILE
    if out.is_dir() and any(not is_bookkeeping(p.name) for p in out.iterdir()):
        if marker.is_file():
            old = read_json(marker)
            if old.get("sweep_hash") != identity["sweep_hash"] and not overwrite:
                raise SweepMismatchError(
                    f"output folder {str(out)!r} holds results of another sweep "
                    f"({old.get('name')!r}, config hash {old.get('sweep_hash')}; this one is "
                    f"{identity.get('name')!r}, {identity['sweep_hash']}). Results of different "
                    "configs are never mixed: pass --overwrite to delete them, or choose a new "
                    "--out."
                )
        elif not overwrite:
            raise FileExistsError(
                f"output folder {str(out)!r} is not empty and holds no {SWEEP_FILE}; choose a new "
                "--out, or pass --overwrite to delete its sweep files."
            )
        if overwrite:
            clear_outputs(out, [SWEEP_FILE] if marker.is_file() else [])
    out.mkdir(parents=True, exist_ok=True)
    open_session(out, created=False, cleanup=False)  # finished runs are kept on failure
    (out / "runs").mkdir(exist_ok=True)
    prev = read_json(marker) if marker.is_file() else {}
    seeds = list(dict.fromkeys(list(prev.get("seeds", [])) + list(identity.get("seeds", []))))
    record = {**identity, "seeds": seeds,
              "created": prev.get("created", time.strftime("%Y-%m-%d %H:%M:%S")),
              "updated": time.strftime("%Y-%m-%d %H:%M:%S")}
    write_json(marker, record)
    return out


def run_sweep(
    configs: Sequence[Any],
    out_dir: str | Path,
    *,
    run_fn: Callable[..., dict],
    key_fn: Callable[[Any], str],
    banks_fn: Callable[[Any], list[tuple[str, Any]]] | None = None,
    bank_fn: Callable[..., dict] | None = None,
    cost_fn: Callable[[Any], float] | None = None,
    executor: Executor | None = None,
    progress: bool = True,
) -> SweepSummary:
    """Execute every config not finished yet under ``out_dir/runs`` (the folder must exist).

    Args:
        configs: experiment configs (picklable; with a ``seed`` attribute if available).
        out_dir: sweep folder prepared by :func:`open_sweep_folder`.
        run_fn: ``run_fn(config, cache_dir=...) -> metrics`` (module-level, picklable).
        key_fn: ``config -> hash`` naming ``runs/<hash>.json``.
        banks_fn: ``config -> [(bank_key, bank_payload), ...]`` banks a run needs.
        bank_fn: ``bank_fn(bank_payload, cache_dir=...) -> {file name: bytes}`` trains one
            bank and returns its cache files (the completeness marker ``summary.json``
            last); the driver writes them to ``cache/banks/<bank_key>/``.
        cost_fn: estimated cost of a config; the most expensive runs start first.
        executor: where tasks run (``LocalExecutor(1)`` by default; see ``_executor.py``).
        progress: show one tqdm bar over banks and runs.

    Returns:
        A :class:`SweepSummary`; failures are listed there and in ``runs/*.error.json``.
    """
    start = time.perf_counter()
    out = Path(out_dir)
    runs_dir, cache_dir = out / "runs", out / "cache"
    runs_dir.mkdir(parents=True, exist_ok=True)
    executor = executor or LocalExecutor(1)
    summary = SweepSummary(out_dir=out, n_runs=len(configs))
    keyed: dict[str, Any] = {}
    for cfg in configs:
        keyed.setdefault(key_fn(cfg), cfg)
    summary.n_runs = len(keyed)
    todo = {k: c for k, c in keyed.items() if not (runs_dir / f"{k}.json").is_file()}
    summary.n_cached = len(keyed) - len(todo)

    banks: dict[str, Any] = {}
    needs: dict[str, list[str]] = {}
    if banks_fn is not None and bank_fn is not None:
        for k, cfg in todo.items():
            needs[k] = []
            for bkey, payload in banks_fn(cfg):
                needs[k].append(bkey)
                banks.setdefault(bkey, payload)
    bank_dir = cache_dir / "banks"
    summary.corrupt_banks = [b for b in banks if (bank_dir / b / "summary.json").is_file()
                             and bank_problem(bank_dir / b) is not None]
    for b in summary.corrupt_banks:  # retrained below, like a bank never trained
        tqdm.write(f"cached generator bank {b} is corrupt ({bank_problem(bank_dir / b)}); "
                   "retraining it", file=sys.stderr)
        for name in ("summary.json", "bank.pt"):
            (bank_dir / b / name).unlink(missing_ok=True)
    bank_todo = {b: p for b, p in banks.items() if not (bank_dir / b / "summary.json").is_file()}

    bar = tqdm(total=len(bank_todo) + len(todo), desc=f"sweep {out.name}", disable=not progress,
               unit="task")
    bar.set_postfix(cached=summary.n_cached)
    remote = not getattr(executor, "shares_filesystem", True)
    # Bank tasks write no bank files (the driver does); where the workers share this file
    # system they keep the quality extractor in the cache, so one seed's banks train it once.
    bank_tasks = {b: Task(b, bank_fn, p, str(bank_dir / f"{b}.json"),
                          None if remote else str(cache_dir), getattr(p, "seed", None),
                          save_config=False)
                  for b, p in bank_todo.items()}
    handles: dict[str, Any] = {}

    def run_task(k: str) -> Task | None:
        broken = [b for b in needs.get(k, []) if b in summary.failed_banks]
        if broken:
            _record_bank_failure(runs_dir / f"{k}.error.json", k, todo[k], broken, summary,
                                 bank_dir)
            bar.update(1)
            return None
        shared = None
        if remote:  # each bank goes to the executor once, however many runs need it
            for b in needs.get(k, []):
                if b not in handles:
                    handles[b] = executor.share(read_bank_files(bank_dir / b))
            shared = {b: handles[b] for b in needs.get(k, [])}
        return Task(k, run_fn, todo[k], str(runs_dir / f"{k}.json"), str(cache_dir),
                    getattr(todo[k], "seed", None), shared=shared)

    def collect(statuses, tasks: dict[str, Task]) -> None:
        for status in statuses:
            task = task_of(status, tasks)
            status = store_result(task, status, bank_dir)
            ok = status["status"] == "ok"
            summary.worker_peak_rss_mb = max(summary.worker_peak_rss_mb,
                                             status.get("peak_rss_mb") or 0.0)
            if bank_tasks.get(task.key) is task:
                if ok:
                    summary.n_banks_trained += 1
                    for f in sorted((cache_dir / "extractors").glob("*.pt")):  # workers wrote
                        record(f)  # them: listed, so --overwrite deletes them with the banks
                else:
                    summary.failed_banks[status["key"]] = status["error"]
            elif ok:
                summary.n_done += 1
            else:
                summary.failed[status["key"]] = status["error"]
            bar.update(1)
            bar.set_postfix(cached=summary.n_cached, failed=len(summary.failed))

    # Runs that need no bank go with the banks (after them), so no worker idles while the
    # last banks train; the runs that need banks follow once every bank is written.
    free = {k: run_task(k) for k in todo if not needs.get(k)}
    first = _longest_first(list(bank_tasks.values()), cost_fn) + _longest_first(
        list(free.values()), cost_fn)
    collect(executor.map(execute_task, first), {**free, **bank_tasks})
    later = {k: t for k in todo if k not in free and (t := run_task(k)) is not None}
    collect(executor.map(execute_task, _longest_first(list(later.values()), cost_fn)), later)
    bar.close()
    summary.wall_s = time.perf_counter() - start
    return summary


def _longest_first(tasks: list[Task], cost_fn) -> list[Task]:
    # With a pool, starting the longest tasks first keeps every worker busy until the end.
    if cost_fn is None:
        return tasks
    return sorted(tasks, key=lambda t: -float(cost_fn(t.payload)))


def _record_bank_failure(path: Path, key: str, cfg: Any, broken: list[str],
                         summary: SweepSummary, bank_dir: Path) -> None:
    msg = (f"generator bank(s) {broken} failed to train; see "
           f"{[str(bank_dir / (b + '.error.json')) for b in broken]}")
    write_json(path, {"key": key, "status": "error", "config": config_to_dict(cfg),
                      "error": msg, "traceback": "",
                      "run_info": run_info(getattr(cfg, "seed", None))})
    summary.failed[key] = msg
