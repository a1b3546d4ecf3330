"""Density matrices for small registers: pure functions, density matrix in, density matrix out.

A density matrix is a complex tensor ``(batch, 2**n, 2**n)`` (rows and columns indexed like a
flat statevector: wire 0 is the most significant bit, PennyLane's order). This is the noisy
path beside the statevector engine: it costs ``4**n`` entries per sample, so it is meant for
up to about 8 qubits (``DM_MAX_QUBITS`` is the hard limit). Autograd differentiates through
every function (noise channels included).

Example:
    >>> import torch
    >>> from qaug.quantum import ry_product_state
    >>> rho = density_from_state(ry_product_state(torch.zeros(1, 1)))   # |0><0|
    >>> dm_probabilities(depolarize(rho, 0.75, [0]))                   # fully depolarized
    tensor([[0.5000, 0.5000]])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ._checks import (
    check_n_qubits,
    check_state,
    check_state_memory,
    check_wires,
    complex_dtype_of,
)
from ._engine import apply_matrix

__all__ = [
    "DM_MAX_QUBITS",
    "density_from_state",
    "apply_unitary_dm",
    "depolarize",
    "dm_probabilities",
]

DM_MAX_QUBITS = 10
_DM_FIX = "A density matrix holds 4**n entries per sample; use the statevector path (no noise)."


def check_density(rho: object) -> int:
    """Check a density matrix ``(batch, 2**n, 2**n)``; return ``n``."""
    if not isinstance(rho, torch.Tensor):
        raise TypeError(f"rho must be a torch.Tensor; got {type(rho).__name__}.")
    d = rho.shape[-1] if rho.dim() == 3 else 0
    if rho.dim() != 3 or rho.shape[1] != d or d < 2 or d & (d - 1):
        raise ValueError(
            "rho must have shape (batch, 2**n, 2**n) for n >= 1 qubits; "
            f"got {tuple(rho.shape)}. Build one with density_from_state."
        )
    return check_n_qubits(d.bit_length() - 1, max_qubits=DM_MAX_QUBITS, hint=_DM_FIX)


def density_from_state(state: torch.Tensor) -> torch.Tensor:
    """``|psi><psi|`` of a statevector ``(batch, 2, ..., 2)`` -> ``(batch, 2**n, 2**n)``.

    A real state gives a complex density matrix of the matching precision.
    """
    n = check_state(state)
    check_n_qubits(n, max_qubits=DM_MAX_QUBITS, hint=_DM_FIX)
    check_state_memory(state.shape[0], 4**n, complex_dtype_of(state.dtype), "density matrix")
    psi = state.reshape(state.shape[0], -1).to(complex_dtype_of(state.dtype))  # (batch, 2**n)
    return psi[:, :, None] * psi.conj()[:, None, :]  # (batch, 2**n, 2**n)


def apply_unitary_dm(
    rho: torch.Tensor, matrix: torch.Tensor, wires: int | Sequence[int] | None = None
) -> torch.Tensor:
    """``U rho U^dagger`` for a unitary on ``wires`` (default: all, in order 0..n-1).

    Args:
        rho: density matrices ``(batch, 2**n, 2**n)`` complex.
        matrix: ``(2**k, 2**k)`` or per-sample ``(batch, 2**k, 2**k)`` for ``k = len(wires)``
            (first wire = most significant bit).
        wires: the wires ``matrix`` acts on; ``None`` means a full ``2**n x 2**n`` matrix.

    Returns:
        ``(batch, 2**n, 2**n)``, the same dtype as ``rho`` (promoted with ``matrix``).
    """
    n = check_density(rho)
    matrix = torch.as_tensor(matrix)
    dtype = torch.promote_types(rho.dtype, matrix.dtype)
    rho, matrix = rho.to(dtype), matrix.to(device=rho.device, dtype=dtype)
    if wires is None:
        d = 2**n
        if matrix.dim() not in (2, 3) or matrix.shape[-2:] != (d, d):
            raise ValueError(
                f"matrix on all {n} wires must have shape ({d}, {d}) or (batch, {d}, {d}); "
                f"got {tuple(matrix.shape)}. Pass wires= for a gate on fewer wires."
            )
        return matrix @ rho @ matrix.conj().transpose(-1, -2)
    ws = check_wires(wires, n)
    # rho as a 2n-qubit "state" (rows are wires 0..n-1, columns wires n..2n-1): U on the
    # row wires and conj(U) on the column wires is U rho U^dagger.
    batch = rho.shape[0]
    vec = rho.reshape((batch,) + (2,) * (2 * n))  # (batch, 2, ..., 2), 2n axes
    vec = apply_matrix(vec, matrix, ws)
    vec = apply_matrix(vec, matrix.conj(), [w + n for w in ws])
    return vec.reshape(rho.shape)


def depolarize(rho: torch.Tensor, p: float, wires: int | Sequence[int]) -> torch.Tensor:
    """Single-qubit depolarizing channel of probability ``p`` on each wire in ``wires``.

    ``rho -> (1 - p) rho + p/3 (X rho X + Y rho Y + Z rho Z)`` on each wire (PennyLane's
    ``DepolarizingChannel``), computed as ``(1 - 4p/3) rho + 4p/3 (I/2 (x) Tr_w rho)``;
    ``p = 3/4`` replaces the wire by the maximally mixed state. The channels on different
    wires commute, so the order of ``wires`` does not matter.

    Args:
        rho: density matrices ``(batch, 2**n, 2**n)``.
        p: probability in [0, 1].
        wires: the wires to depolarize.

    Returns:
        ``(batch, 2**n, 2**n)``, same dtype as ``rho``; differentiable in ``rho``.
    """
    n = check_density(rho)
    ws = check_wires(wires, n)
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"depolarizing probability p must be a float in [0, 1]; got {p!r}.")
    if p == 0.0:
        return rho
    lam, batch, d = 4.0 * p / 3.0, rho.shape[0], 2**n
    half_eye = (torch.eye(2, dtype=rho.dtype, device=rho.device) / 2).reshape(1, 1, 2, 1, 1, 2, 1)
    for w in ws:
        left, right = 2**w, 2 ** (n - 1 - w)
        r = rho.reshape(batch, left, 2, right, left, 2, right)  # wire w split out of rows, cols
        traced = r.diagonal(dim1=2, dim2=5).sum(-1)  # (batch, left, right, left, right)
        # I/2 on wire w times the partial trace: (batch, left, 2, right, left, 2, right)
        mixed = traced[:, :, None, :, :, None, :] * half_eye
        rho = ((1.0 - lam) * r + lam * mixed).reshape(batch, d, d)
    return rho


def dm_probabilities(rho: torch.Tensor) -> torch.Tensor:
    """Basis-state probabilities, the real diagonal: ``(batch, 2**n, 2**n)`` -> ``(batch, 2**n)``.

    Same layout and dtype family as ``probabilities`` of a statevector (float32 for complex64).
    """
    check_density(rho)
    return torch.diagonal(rho, dim1=-2, dim2=-1).real
