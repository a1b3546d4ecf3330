"""Worker processes that end with their parent, so a killed driver leaves nothing behind."""

from __future__ import annotations

import ctypes
import os
import select
import signal
import sys
import threading
import time

__all__ = ["die_with_parent", "die_with_process", "start_fork_server", "FORK_SERVER_PRELOAD"]

# What the fork server of local sweep workers imports (and warms up) once, before any worker
# forks from it: see qaug/experiments/_preload.py.
FORK_SERVER_PRELOAD = "qaug.experiments._preload"

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent_pid: int, *, poll_s: float = 1.0) -> str:
    """End this process when ``parent_pid`` (the process that started it) ends.

    On Linux the kernel does it: ``prctl(PR_SET_PDEATHSIG, SIGTERM)`` (through ctypes) sends
    SIGTERM when the parent dies, even by ``kill -9``. Elsewhere (or if prctl fails) a daemon
    thread checks ``os.getppid()`` every ``poll_s`` seconds and exits when the parent is gone.
    Either way, a parent that died before this call is noticed at once.

    Returns:
        ``"prctl"`` or ``"watchdog"``: the mechanism in use.
    """
    how = "watchdog"
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) == 0:
                how = "prctl"
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before the death signal was armed
        os._exit(1)
    if how == "watchdog":

        def watch() -> None:
            while os.getppid() == parent_pid:
                time.sleep(poll_s)
            os._exit(1)

        threading.Thread(target=watch, name="qaug-parent-watchdog", daemon=True).start()
    return how


def die_with_process(pid: int, *, poll_s: float = 1.0) -> str:
    """End this process when process ``pid`` (any process, e.g. a grandparent) ends.

    For workers forked from a fork server: their parent is the server, which outlives the
    driver while any worker holds its pipe, so ``die_with_parent`` alone would keep them all
    alive after a ``kill -9`` of the driver. Linux: a daemon thread waits on a pidfd of
    ``pid`` (readable when it exits, zombie or not; immune to pid reuse). Elsewhere the
    thread polls every ``poll_s`` seconds.

    Returns:
        ``"pidfd"`` or ``"watchdog"``: the mechanism in use.
    """
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux >= 5.3, or pid already gone
        fd = None
    if fd is not None:

        def wait() -> None:
            select.select([fd], [], [])
            os._exit(1)

        threading.Thread(target=wait, name="qaug-driver-watch", daemon=True).start()
        return "pidfd"
    if not _alive(pid):
        os._exit(1)

    def watch() -> None:
        while _alive(pid):
            time.sleep(poll_s)
        os._exit(1)

    threading.Thread(target=watch, name="qaug-driver-watchdog", daemon=True).start()
    return "watchdog"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def start_fork_server() -> bool:
    """Start (if not yet running) the fork server local sweep workers fork from; True if used.

    The server imports :data:`FORK_SERVER_PRELOAD` (torch, qaug, the compiled circuits) once,
    so workers start with everything loaded instead of each importing it (~6 s of CPU each on
    a 2-core Xeon). Started early by the CLI, the server imports while the driver does.
    Without the ``forkserver`` start method (Windows) it does nothing and returns False.
    """
    import multiprocessing
    from multiprocessing import forkserver

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    forkserver.set_forkserver_preload([FORK_SERVER_PRELOAD])
    forkserver.ensure_running()
    return True
