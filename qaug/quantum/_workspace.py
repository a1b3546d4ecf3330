"""Reused numpy buffers for the state-vector path (``_statevec``).

On this project's machines a fresh large array costs more than the arithmetic done in it:
every new page is faulted in and zeroed (measured: a fresh 2 MB array about 0.5 us a page,
so 12 qubits x batch 64, about 14 MB of states a call, spent half its time there), and
glibc hands big freed blocks back to the system, so the next call faults them in again.
The circuit calls repeat with the same shapes, so its large arrays come from a per-thread
pool of buffers instead, returned when their owner (the forward's saved states, or one
backward's temporaries) is done with them. Small arrays (under ``MIN_BYTES``) are plain
``np.empty``: the allocator reuses those without faults.
"""

from __future__ import annotations

import threading

import numpy as np

__all__ = ["Workspace", "workspaces", "MIN_BYTES", "MAX_POOL_BYTES"]

# Smallest buffer taken from the pool, and the most memory the pool keeps (per thread).
MIN_BYTES = 1 << 16
MAX_POOL_BYTES = 256 << 20

_local = threading.local()


def _pool() -> dict:
    if not hasattr(_local, "pool"):
        _local.pool, _local.size = {}, 0
    return _local.pool


class Workspace:
    """Buffers for one owner: ``empty`` hands one out, ``release`` (or deletion) returns all.

    Nothing may use a buffer after its workspace is released; values handed to callers
    (outputs, gradients) are therefore never taken from a workspace.
    """

    __slots__ = ("_held",)

    def __init__(self) -> None:
        self._held: list[np.ndarray] = []

    def empty(self, shape: tuple[int, ...], dtype) -> np.ndarray:
        """A C-ordered uninitialised array (from the pool when one of that shape is free)."""
        dtype = np.dtype(dtype)
        free = _pool().get((shape, dtype))
        if free:
            _local.size -= free[-1].nbytes
            buf = free.pop()
        else:
            buf = np.empty(shape, dtype)
        self._held.append(buf)
        return buf

    def release(self) -> None:
        """Return every buffer handed out to the pool (up to ``MAX_POOL_BYTES`` kept)."""
        pool = _pool()
        for buf in self._held:
            if _local.size + buf.nbytes <= MAX_POOL_BYTES:
                pool.setdefault((buf.shape, buf.dtype), []).append(buf)
                _local.size += buf.nbytes
        self._held = []

    def __del__(self) -> None:
        self.release()


class _Fresh:
    """A workspace that leaves every allocation to numpy (``empty`` gives ``out=None``)."""

    __slots__ = ()

    @staticmethod
    def empty(shape, dtype) -> None:
        return None

    def release(self) -> None:
        pass


_FRESH = _Fresh()


def workspaces(elements: int, dtype) -> tuple:
    """Two workspaces (kept, temporary) for states of ``elements`` numbers of ``dtype``.

    Small states (under ``MIN_BYTES``) get ``_Fresh`` ones: the pool's bookkeeping would cost
    more than the allocation.
    """
    if elements * np.dtype(dtype).itemsize < MIN_BYTES:
        return _FRESH, _FRESH
    return Workspace(), Workspace()
