"""Worker processes that end with their parent, so a killed driver leaves nothing behind."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

__all__ = ["die_with_parent"]

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
