"""``reproduce``: run a sweep into a folder (resuming), record wall time and memory, report."""

from __future__ import annotations

import time
from pathlib import Path

from qaug._io import read_json, run_info, write_json
from qaug._outputs import close_session, folder_lock
from qaug.experiments._banks import train_bank_files
from qaug.experiments._config import SweepConfig, run_key
from qaug.experiments._executor import Executor, LocalExecutor
from qaug.experiments._report import write_report
from qaug.experiments._run import bank_requests, estimated_cost, run_experiment
from qaug.experiments._sweep import SweepSummary, open_sweep_folder, run_sweep
from qaug.experiments._tasks import own_peak_rss_mb

__all__ = ["reproduce", "peak_rss_mb"]


def peak_rss_mb() -> float:
    """Largest resident set size (MB) of this process and of any finished (reaped) child.

    Workers of a running pool are neither: each task reports its own process's peak
    (``SweepSummary.worker_peak_rss_mb``), and the sweep records the larger of the two.
    """
    return max(own_peak_rss_mb(), own_peak_rss_mb(children=True))


def reproduce(
    sweep: SweepConfig,
    out_dir: str | Path,
    *,
    jobs: int = 1,
    overwrite: bool = False,
    executor: Executor | None = None,
    progress: bool = True,
    run_fn=run_experiment,
) -> tuple[SweepSummary, Path]:
    """Run every run of ``sweep`` not finished in ``out_dir`` yet, then write the report.

    Args:
        sweep: the grid (see :class:`SweepConfig`).
        out_dir: results folder; reopened when it holds the same sweep (resume), refused when
            it holds another one unless ``overwrite``.
        jobs: worker processes of the default :class:`LocalExecutor`.
        overwrite: delete the folder's previous sweep results first.
        executor: run tasks elsewhere (e.g. a distributed engine); overrides ``jobs``.
        progress: show the progress bar.
        run_fn: the per-run function (``run_experiment``; tests pass a fast fake).

    Returns:
        ``(summary, report_path)``.
    """
    start = time.perf_counter()
    own = executor is None
    executor = executor or LocalExecutor(jobs)  # checks jobs before the folder is touched
    try:
        with folder_lock(out_dir):  # a second sweep into this folder refuses while this runs
            out = open_sweep_folder(out_dir, sweep.identity(), overwrite=overwrite)
            summary, report = _run_and_report(sweep, out, start, executor, progress, run_fn)
    finally:
        if own:
            executor.close()
    close_session(out_dir)
    return summary, report


def _run_and_report(sweep, out, start, executor, progress, run_fn):
    configs = [cfg for _, cfg in sweep.expand()]
    summary = run_sweep(configs, out, run_fn=run_fn, key_fn=run_key, banks_fn=bank_requests,
                        bank_fn=train_bank_files, cost_fn=estimated_cost, executor=executor,
                        progress=progress)
    info = run_info()
    meta = read_json(out / "sweep.json")
    meta["last_run"] = {
        "wall_s": time.perf_counter() - start,
        "peak_rss_mb": max(peak_rss_mb(), summary.worker_peak_rss_mb),
        "jobs": getattr(executor, "jobs", None), "n_done": summary.n_done,
        "n_cached": summary.n_cached, "n_failed": len(summary.failed),
        "n_banks_trained": summary.n_banks_trained, "seeds_run": list(sweep.seeds),
        "corrupt_banks_retrained": list(summary.corrupt_banks), "git_commit": info["git_commit"],
        "versions": info["versions"], "cpu_kernels": info["cpu_kernels"], "argv": info["argv"],
        "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
    write_json(out / "sweep.json", meta)
    return summary, write_report(out)
