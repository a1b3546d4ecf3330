"""Imported once by the fork server of local sweep workers (``qaug._process.start_fork_server``).

Every worker forked from the server starts with what this module loaded: torch, qaug's
experiment code and the compiled circuit loops (read from numba's disk cache, or compiled
here once). Workers then compute exactly what a freshly spawned one would: the warm-up only
loads code, it draws no random numbers that a run uses.
"""

from __future__ import annotations

import qaug.experiments  # noqa: F401  (run_experiment, banks, tasks: what a worker unpickles)
from qaug.quantum._jit import warm_up
from qaug.train._fused import warm_up as warm_up_fused
from qaug.train._fused_gan import warm_up as warm_up_fused_gan

try:  # a failed warm-up must not take the fork server down: workers then compile on demand
    warm_up()
    # the fused engines' kernels only where already compiled (20-80 s each on a cold cache):
    # a worker compiles the ones its runs need, a sweep never compiles the others
    warm_up_fused(cached_only=True)
    warm_up_fused_gan(cached_only=True)
except Exception:  # noqa: BLE001, S110
    pass
