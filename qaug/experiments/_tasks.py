"""Sweep tasks: what a worker computes and how the driver stores what comes back.

A worker never writes into the sweep folder: :func:`execute_task` returns a run's record (or a
bank's files) and :func:`store_result`, in the driver, writes it. So the folder can live on a
machine the workers cannot see, and one process (holding the folder) writes every file.
"""

from __future__ import annotations

import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qaug._config import config_to_dict
from qaug._io import _atomic_write_bytes, run_info, write_json
from qaug.experiments._executor import TaskLost

__all__ = ["Task", "execute_task", "store_result", "read_bank_files", "task_of"]


@dataclass(frozen=True)
class Task:
    """One unit of work: ``fn(payload, cache_dir=...)``; the driver saves it under ``path``.

    ``shared`` maps a bank key to an executor handle of that bank's files, for workers that
    cannot read ``cache_dir`` (None when they can).
    """

    key: str
    fn: Callable[..., dict]
    payload: Any
    path: str
    cache_dir: str | None
    seed: int | None = None
    save_config: bool = True
    shared: dict[str, Any] | None = None


def execute_task(task: Task) -> dict:
    """Run one task in a worker; return its status and the record the driver will write.

    Writes nothing but a private temporary cache (when ``task.shared``): a run task returns
    ``record`` (its ``runs/<hash>.json``), a bank task its cache ``files`` (name -> bytes).
    """
    started = time.perf_counter()
    cfg = config_to_dict(task.payload)
    try:
        if task.shared:
            with tempfile.TemporaryDirectory(prefix="qaug-cache-") as tmp:
                for bkey, handle in task.shared.items():
                    for name, data in handle.get().items():
                        _atomic_write_bytes(Path(tmp) / "banks" / bkey / name, data)
                result = task.fn(task.payload, cache_dir=tmp)
        else:
            result = task.fn(task.payload, cache_dir=task.cache_dir)
    except Exception as e:  # noqa: BLE001 - one failing run must not kill the sweep
        error = f"{type(e).__name__}: {e}"
        return {"key": task.key, "status": "error", "error": error,
                "record": {"key": task.key, "status": "error", "config": cfg, "error": error,
                           "traceback": traceback.format_exc(),
                           "wall_s": time.perf_counter() - started,
                           "run_info": run_info(task.seed)}}
    peak = own_peak_rss_mb()  # the driver cannot see a worker's memory (not its child)
    if not task.save_config:  # a bank: its files, written by the driver into its folder
        return {"key": task.key, "status": "ok", "files": result, "peak_rss_mb": peak}
    return {"key": task.key, "status": "ok", "peak_rss_mb": peak,
            "record": {"key": task.key, "status": "ok", "config": cfg, "metrics": result,
                       "wall_s": time.perf_counter() - started,
                       "run_info": run_info(task.seed)}}


def store_result(task: Task, status: dict | TaskLost, bank_dir: Path) -> dict:
    """Driver side: write what a task sent back (or the error of a lost task); its status."""
    path = Path(task.path)
    err_path = path.with_name(path.name.replace(".json", ".error.json"))
    if isinstance(status, TaskLost):
        error = f"WorkerLost: {status.error}"
        status = {"key": task.key, "status": "error", "error": error,
                  "record": {"key": task.key, "status": "error",
                             "config": config_to_dict(task.payload), "error": error,
                             "traceback": "", "run_info": run_info(task.seed)}}
    if "record" in status:  # the command is the driver's, whatever process ran the task
        status["record"]["run_info"]["argv"] = list(sys.argv)
    if status["status"] != "ok":
        write_json(err_path, status["record"])
        return status
    if "files" in status:  # in the given order: the bank's last file marks it complete
        for name, data in status["files"].items():
            _atomic_write_bytes(bank_dir / task.key / name, data)
    else:
        write_json(path, status["record"])
    err_path.unlink(missing_ok=True)
    return status


def own_peak_rss_mb(children: bool = False) -> float:
    """Largest resident set size (MB) of this process so far (``children``: of its reaped ones)."""
    import resource

    scale = 1 / 1024 if sys.platform != "darwin" else 1 / 1024**2  # KB on Linux, bytes on macOS
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss * scale


def task_of(status: dict | TaskLost, tasks: dict[str, Task]) -> Task:
    """The task a status (or a lost task) belongs to."""
    return status.item if isinstance(status, TaskLost) else tasks[status["key"]]


def read_bank_files(folder: Path) -> dict[str, bytes]:
    """Every file of a cached bank, its completeness marker last (as the driver writes them)."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    files.sort(key=lambda p: p.name == "summary.json")
    return {p.name: p.read_bytes() for p in files}
