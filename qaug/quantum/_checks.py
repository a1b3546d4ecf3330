"""Argument checks shared by the engine, the measurements and the fused builders."""

from __future__ import annotations

from collections.abc import Sequence

import torch

MAX_QUBITS = 20


def check_n_qubits(n_qubits: object, *, max_qubits: int = MAX_QUBITS, hint: str = "") -> int:
    """Return ``n_qubits`` as an int, or raise with the allowed range."""
    if isinstance(n_qubits, bool) or not isinstance(n_qubits, int):
        raise TypeError(f"n_qubits must be an int; got {n_qubits!r} ({type(n_qubits).__name__}).")
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
