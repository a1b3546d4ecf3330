"""Where the runs of a sweep execute: the ``Executor`` protocol and a local process pool.

A distributed engine (Ray, Dask) plugs in by implementing ``map``; the sweep only needs the
results back, in any order, as they finish (each result carries its own key). Workers never
write files: results and trained banks come back to the driver, which alone writes the sweep
folder. Two optional attributes tell the sweep how to reach its workers:

- ``shares_filesystem`` (default True): workers can read the driver's bank cache. When False
  (:class:`qaug.experiments.RayExecutor`), each bank is handed to ``share`` once and the runs
  receive the returned handle (``handle.get()`` gives the value back on the worker).
- a task whose worker died and could not be retried comes back as a :class:`TaskLost`.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = ["Executor", "LocalExecutor", "MP_CONTEXTS", "DEFAULT_CONTEXT", "TaskLost", "Shared"]

MP_CONTEXTS = ("spawn", "forkserver")
# forkserver where the platform has it (Linux, macOS): workers fork from a server that has
# imported qaug once (qaug._process.start_fork_server) instead of each importing it.
DEFAULT_CONTEXT = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


@runtime_checkable
class Executor(Protocol):
    """Anything that applies a picklable ``fn`` to each item and yields the results."""

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """Apply ``fn`` to every item; yield each result as it finishes (order not kept)."""
        ...


@dataclass(frozen=True)
class TaskLost:
    """Yielded by ``map`` instead of a result: the item's worker died and retries are spent."""

    item: Any
    error: str


@dataclass(frozen=True)
class Shared:
    """A value handed to every task that needs it (``share``); ``get()`` returns it."""

    value: Any

    def get(self) -> Any:
        """The shared value."""
        return self.value


def _init_worker(driver_pid: int | None = None) -> None:
    # A worker ends with the driver (even a kill -9 of it): see qaug._process.
    from qaug._process import die_with_parent, die_with_process

    parent = os.getppid()
    die_with_parent(parent)  # spawn: the driver; forkserver: the fork server
    if driver_pid is not None and driver_pid != parent:
        # Forked from the fork server, which lives on while a worker holds its pipe: watch
        # the driver itself.
        die_with_process(driver_pid)
    # Several workers share few cores: one torch thread each avoids oversubscription, which
    # at these small tensor sizes costs more than it gains.
    import torch

    torch.set_num_threads(1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")


class LocalExecutor:
    """Run tasks in this process (``jobs=1``) or in a local pool of ``jobs`` processes.

    Workers start with the ``forkserver`` (default where available) or ``spawn`` context,
    never ``fork``: a child forked from the driver inherits torch's thread pools and locks,
    which can deadlock. The fork server is a fresh single-threaded process that has imported
    qaug and loaded the compiled circuits once (``qaug._process.start_fork_server``), so a
    worker starts in milliseconds instead of importing everything again. Workers end
    with the driver, even when it is killed with ``kill -9`` (``qaug._process.die_with_parent``:
    ``prctl(PR_SET_PDEATHSIG)`` on Linux, a parent-pid watchdog thread elsewhere).

    Args:
        jobs: worker processes; 1 runs everything in the calling process (no pickling).
        context: multiprocessing start method, one of ``MP_CONTEXTS``.

    Example:
        >>> list(LocalExecutor(1).map(abs, [-1, 2]))
        [1, 2]
    """

    def __init__(self, jobs: int = 1, *, context: str = DEFAULT_CONTEXT) -> None:
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise ValueError(f"jobs must be an integer >= 1; got {jobs!r}. Use --jobs 1 or more.")
        if context not in MP_CONTEXTS:
            raise ValueError(f"context must be one of {list(MP_CONTEXTS)}; got {context!r}.")
        self.jobs = jobs
        self.context = context
        self._pool: ProcessPoolExecutor | None = None

    shares_filesystem = True  # local workers read the driver's bank cache directly

    def share(self, value: Any) -> Shared:
        """A handle to ``value`` for tasks (unused by the sweep here: workers share the disk)."""
        return Shared(value)

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """Apply ``fn`` to every item; results come back as they finish."""
        items = list(items)
        if self.jobs == 1 or not items:
            for item in items:
                yield fn(item)
            return
        if self._pool is None:
            # One pool for every map call: each worker pays the imports and the first data
            # load (a few seconds) once per sweep, not once per phase.
            ctx = multiprocessing.get_context(self.context)
            if self.context == "forkserver":
                from qaug._process import start_fork_server

                start_fork_server()  # no-op when the CLI started it already
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=ctx, initializer=_init_worker,
                                             initargs=(os.getpid(),))
        # Submit in the given order (the sweep puts the longest tasks first).
        pending = {self._pool.submit(fn, item) for item in items}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
        finally:
            for fut in pending:
                fut.cancel()

    def close(self) -> None:
        """Shut the worker processes down (a later ``map`` starts new ones)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
