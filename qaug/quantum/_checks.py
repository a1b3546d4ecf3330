"""Argument checks shared by the engine, the measurements, the fused builders and the layers.

The memory budget: any state (or density matrix) whose tensor would exceed
``max_state_bytes()`` is refused before it is allocated. The default is 2 GiB; change it
with :func:`set_max_state_bytes` or the environment variable ``QAUG_MAX_STATE_BYTES``
(bytes, e.g. ``8e9``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch

MAX_QUBITS = 20
DEFAULT_MAX_STATE_BYTES = 2 * 1024**3
_max_state_bytes: int | None = None  # None: the environment variable, else the default


def max_state_bytes() -> int:
    """The memory budget (bytes) of one state tensor; see the module docstring."""
    if _max_state_bytes is not None:
        return _max_state_bytes
    env = os.environ.get("QAUG_MAX_STATE_BYTES")
    if env:
        try:
            value = int(float(env))
        except ValueError:
            raise ValueError(
                f"QAUG_MAX_STATE_BYTES must be a number of bytes such as 8e9; got {env!r}."
            ) from None
        if value > 0:
            return value
    return DEFAULT_MAX_STATE_BYTES


def set_max_state_bytes(n_bytes: int | float | None) -> None:
    """Set the memory budget of one state tensor in bytes (None: back to the default).

    Example:
        >>> set_max_state_bytes(8e9); max_state_bytes()
        8000000000
        >>> set_max_state_bytes(None)
    """
    global _max_state_bytes
    if n_bytes is None:
        _max_state_bytes = None
        return
    if isinstance(n_bytes, bool) or not isinstance(n_bytes, (int, float)) or not n_bytes > 0:
        raise ValueError(f"n_bytes must be a positive number of bytes (or None); got {n_bytes!r}.")
    _max_state_bytes = int(n_bytes)


def _gib(n: float) -> str:
    return f"{n / 1024**3:.3g} GiB"


def check_state_memory(batch: int, n_amplitudes: int, dtype: torch.dtype,
                       what: str = "state") -> None:
    """Refuse a ``batch x n_amplitudes`` tensor of ``dtype`` above :func:`max_state_bytes`."""
    need = int(batch) * int(n_amplitudes) * dtype.itemsize
    budget = max_state_bytes()
    if need > budget:
        raise ValueError(
            f"a {what} of batch {batch} x {n_amplitudes} amplitudes ({dtype}) needs "
            f"{_gib(need)}, above the memory budget of {_gib(budget)}; use a smaller batch or "
            f"fewer qubits, or raise the budget with qaug.quantum.set_max_state_bytes(...) "
            f"(or QAUG_MAX_STATE_BYTES) if the machine has the memory."
        )


def check_finite_input(x: torch.Tensor, name: str) -> None:
    """Raise if ``x`` holds NaN/inf (one ``isfinite`` reduction over the input)."""
    if x.is_floating_point() and not bool(torch.isfinite(x).all()):
        n_bad = int((~torch.isfinite(x)).sum())
        raise ValueError(
            f"{name} holds {n_bad} NaN or infinite value(s) of {x.numel()}; the circuit would "
            "return NaN. Check the data and the layers before it (a diverged training step "
            "gives NaN weights)."
        )


def check_n_qubits(n_qubits: object, *, max_qubits: int = MAX_QUBITS, hint: str = "") -> int:
    """Return ``n_qubits`` as an int, or raise with the allowed range."""
    if isinstance(n_qubits, bool) or not isinstance(n_qubits, int):
        raise TypeError(f"n_qubits must be an int; got {n_qubits!r} ({type(n_qubits).__name__}).")
    if n_qubits < 1:
        raise ValueError(
            f"n_qubits must be between 1 and {max_qubits}; got {n_qubits}. A circuit needs at "
            "least one qubit."
        )
    if not 1 <= n_qubits <= max_qubits:
        fix = (
            hint or "A statevector of n qubits holds 2**n amplitudes per sample; use fewer qubits."
        )
        raise ValueError(f"n_qubits must be between 1 and {max_qubits}; got {n_qubits}. {fix}")
    return n_qubits


def check_state(state: object) -> int:
    """Check a state of shape ``(batch, 2, ..., 2)``; return its number of qubits."""
    if not isinstance(state, torch.Tensor):
        raise TypeError(f"state must be a torch.Tensor; got {type(state).__name__}.")
    if state.dim() < 2 or any(s != 2 for s in state.shape[1:]):
        raise ValueError(
            "state must have shape (batch, 2, ..., 2) with one axis of size 2 per qubit; "
            f"got {tuple(state.shape)}. Build one with zero_state or ry_product_state."
        )
    return check_n_qubits(state.dim() - 1)


def check_wires(wires: int | Sequence[int], n_qubits: int, name: str = "wires") -> list[int]:
    """Normalise ``wires`` to a list of distinct ints in ``0..n_qubits-1``."""
    ws = [wires] if isinstance(wires, int) else list(wires)
    for w in ws:
        if isinstance(w, bool) or not isinstance(w, int):
            raise TypeError(f"{name} must be ints; got {w!r} ({type(w).__name__}) in {wires!r}.")
        if not 0 <= w < n_qubits:
            raise ValueError(
                f"{name}={wires!r}: wire {w} is out of range for a {n_qubits}-qubit state; "
                f"wires must be in 0..{n_qubits - 1}."
            )
    if len(set(ws)) != len(ws):
        raise ValueError(f"{name} must be distinct; got {wires!r}.")
    return ws


def check_probs(probs: object, n_qubits: int) -> None:
    """Check probabilities of shape ``(batch, 2**n_qubits)``."""
    if not isinstance(probs, torch.Tensor):
        raise TypeError(f"probs must be a torch.Tensor; got {type(probs).__name__}.")
    if probs.dim() != 2 or probs.shape[1] != 2**n_qubits:
        raise ValueError(
            f"probs must have shape (batch, 2**n_qubits) = (batch, {2**n_qubits}) for "
            f"n_qubits={n_qubits}; got {tuple(probs.shape)}."
        )


def real_dtype_of(dtype: torch.dtype) -> torch.dtype:
    """float32 for complex64/float32, float64 for complex128/float64."""
    return torch.float64 if dtype in (torch.complex128, torch.float64) else torch.float32


def complex_dtype_of(dtype: torch.dtype) -> torch.dtype:
    """complex128 for float64/complex128, complex64 otherwise."""
    return torch.complex128 if dtype in (torch.complex128, torch.float64) else torch.complex64
