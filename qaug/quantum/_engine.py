"""Batched statevector engine: pure functions, state in, state out.

A state is a complex tensor of shape ``(batch, 2, ..., 2)`` with one axis of size 2 per
qubit; axis ``1 + w`` belongs to wire ``w``. Wire 0 is the most significant bit of a
basis-state index, as in PennyLane (``state.reshape(batch, -1)[b, j]`` is the amplitude
of ``|j>``). Gates never modify their input; autograd differentiates through every
function, so gradients are exact (backpropagation, not parameter shift).

Example:
    >>> import torch
    >>> from qaug.quantum import probabilities
    >>> s = zero_state(1, 2)
    >>> s = cnot(ry(s, torch.pi / 2, 0), 0, 1)   # Bell state (|00> + |11>)/sqrt(2)
    >>> probabilities(s).round(decimals=4)
    tensor([[0.5000, 0.0000, 0.0000, 0.5000]])
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
    real_dtype_of,
)

__all__ = [
    "zero_state",
    "ry_product_state",
    "rx",
    "ry",
    "rz",
    "cnot",
    "cz",
    "apply_matrix",
    "rotation_matrix",
]


def zero_state(
    batch: int, n_qubits: int, dtype: torch.dtype = torch.complex64, device=None
) -> torch.Tensor:
    """``|0...0>`` repeated ``batch`` times: shape ``(batch, 2, ..., 2)``."""
    n = check_n_qubits(n_qubits)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be a positive int; got {batch!r}.")
    if not dtype.is_complex:
        raise TypeError(f"dtype must be complex64 or complex128; got {dtype}.")
    check_state_memory(batch, 2**n, dtype)
    state = torch.zeros((batch,) + (2,) * n, dtype=dtype, device=device)
    state.view(batch, -1)[:, 0] = 1.0
    return state


def ry_product_state(angles: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
    """State ``RY(angles[b, 0])|0> x ... x RY(angles[b, n-1])|0>``: ``(batch, 2, ..., 2)``.

    Each factor is ``[cos(a/2), sin(a/2)]``; the product is built with ``n - 1`` outer
    products instead of ``n`` gate applications. ``dtype`` defaults to complex64 for
    float32 angles and complex128 for float64 angles.
    """
    if not isinstance(angles, torch.Tensor) or angles.dim() != 2:
        shape = tuple(angles.shape) if isinstance(angles, torch.Tensor) else type(angles).__name__
        raise ValueError(f"angles must be a tensor of shape (batch, n_qubits); got {shape}.")
    n = check_n_qubits(angles.shape[1])
    dtype = dtype or complex_dtype_of(angles.dtype)
    check_state_memory(angles.shape[0], 2**n, dtype)
    half = angles.to(real_dtype_of(dtype)) / 2
    factors = torch.stack([torch.cos(half), torch.sin(half)], dim=-1)  # (batch, n, 2)
    state = factors[:, 0]  # (batch, 2)
    for i in range(1, n):
        # (batch, 2, ..., 2) x (batch, 2) -> (batch, 2, ..., 2, 2)
        state = state.unsqueeze(-1) * factors[:, i].reshape((-1,) + (1,) * i + (2,))
    return state.to(dtype)


def rotation_matrix(kind: str, theta, dtype: torch.dtype, device=None) -> torch.Tensor:
    """Matrix of RX/RY/RZ(theta): ``(2, 2)`` for a scalar, ``(batch, 2, 2)`` for ``(batch,)``."""
    if kind not in ("x", "y", "z"):
        raise ValueError(f"kind must be one of 'x', 'y', 'z'; got {kind!r}.")
    theta = torch.as_tensor(theta, dtype=real_dtype_of(dtype), device=device)
    if theta.dim() > 1:
        raise ValueError(
            f"theta must be a float, a 0-d tensor or a (batch,) tensor; got {tuple(theta.shape)}."
        )
    c, s = torch.cos(theta / 2), torch.sin(theta / 2)
    zero = torch.zeros_like(c)
    if kind == "y":
        m = torch.stack([c, -s, s, c], dim=-1)
    elif kind == "x":
        m = torch.complex(
            torch.stack([c, zero, zero, c], -1), torch.stack([zero, -s, -s, zero], -1)
        )
    else:
        m = torch.complex(torch.stack([c, zero, zero, c], -1), torch.stack([-s, zero, zero, s], -1))
    return m.reshape(theta.shape + (2, 2)).to(dtype)


def _rotate(state: torch.Tensor, kind: str, theta, wire: int) -> torch.Tensor:
    n = check_state(state)
    check_wires(wire, n, "wire")
    m = rotation_matrix(kind, theta, state.dtype, state.device)
    if m.dim() == 3 and m.shape[0] not in (1, state.shape[0]):
        raise ValueError(
            f"per-sample theta must have shape (batch,) = ({state.shape[0]},); got ({m.shape[0]},)."
        )
    return apply_matrix(state, m, [wire])


def rx(state: torch.Tensor, theta, wire: int) -> torch.Tensor:
    """RX(theta) on ``wire``; ``theta`` a float, 0-d tensor or per-sample ``(batch,)`` tensor."""
    return _rotate(state, "x", theta, wire)


def ry(state: torch.Tensor, theta, wire: int) -> torch.Tensor:
    """RY(theta) on ``wire``; ``theta`` a float, 0-d tensor or per-sample ``(batch,)`` tensor."""
    return _rotate(state, "y", theta, wire)


def rz(state: torch.Tensor, theta, wire: int) -> torch.Tensor:
    """RZ(theta) on ``wire``; ``theta`` a float, 0-d tensor or per-sample ``(batch,)`` tensor."""
    return _rotate(state, "z", theta, wire)


def cnot(state: torch.Tensor, control: int, target: int) -> torch.Tensor:
    """CNOT: flip ``target`` where ``control`` is 1 (a permutation, no arithmetic)."""
    n = check_state(state)
    check_wires([control, target], n, "wires [control, target]")
    c_ax, t_ax = control + 1, target + 1
    off, on = state.select(c_ax, 0), state.select(c_ax, 1)  # control axis removed
    t_in_slice = t_ax - 1 if t_ax > c_ax else t_ax
    return torch.stack([off, on.flip(t_in_slice)], dim=c_ax)


def cz(state: torch.Tensor, a: int, b: int) -> torch.Tensor:
    """CZ on wires ``a`` and ``b``: the sign of ``|..1..1..>`` amplitudes flips."""
    n = check_state(state)
    check_wires([a, b], n, "wires [a, b]")
    shape = [1] * (n + 1)
    shape[a + 1] = shape[b + 1] = 2
    signs = torch.tensor([[1.0, 1.0], [1.0, -1.0]], dtype=real_dtype_of(state.dtype))
    return state * signs.to(state.device).reshape(shape)


def apply_matrix(
    state: torch.Tensor, matrix: torch.Tensor, wires: int | Sequence[int]
) -> torch.Tensor:
    """Apply a ``2**k x 2**k`` matrix on ``wires`` (k of them, first = most significant).

    ``matrix`` is ``(2**k, 2**k)`` (same for every sample) or ``(batch, 2**k, 2**k)``
    (one per sample). Any k works; gates use k = 1 or 2.
    """
    n = check_state(state)
    ws = check_wires(wires, n)
    k, d = len(ws), 2 ** len(ws)
    if not isinstance(matrix, torch.Tensor):
        matrix = torch.as_tensor(matrix)
    if matrix.dim() not in (2, 3) or matrix.shape[-2:] != (d, d):
        raise ValueError(
            f"matrix for {k} wire(s) must have shape ({d}, {d}) or (batch, {d}, {d}); "
            f"got {tuple(matrix.shape)}."
        )
    if matrix.dim() == 3 and matrix.shape[0] not in (1, state.shape[0]):
        raise ValueError(
            f"a batched matrix must have batch size 1 or {state.shape[0]} (the state's); "
            f"got {matrix.shape[0]}."
        )
    matrix = matrix.to(device=state.device, dtype=torch.promote_types(matrix.dtype, state.dtype))
    src = [w + 1 for w in ws]
    dst = list(range(n + 1 - k, n + 1))
    x = torch.movedim(state, src, dst)  # (batch, other wires..., wires in the given order)
    moved = x.shape
    x = x.reshape(state.shape[0], -1, d)  # (batch, 2**(n-k), 2**k)
    x = x @ matrix.transpose(-1, -2)  # row-vector convention: psi' = psi U^T
    return torch.movedim(x.reshape(moved), dst, src)
