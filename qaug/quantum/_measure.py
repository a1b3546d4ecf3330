"""Measurements: from a state ``(batch, 2, ..., 2)`` to probabilities and expectations.

Kept apart from gate application so that a density-matrix or noisy path can feed the
same post-processing (``marginal_probabilities``, ``postselect`` work on probabilities).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import torch

from ._checks import check_n_qubits, check_probs, check_state, check_wires

__all__ = [
    "probabilities",
    "expval_z",
    "marginal_probabilities",
    "postselect",
    "z_signs",
]


def probabilities(state: torch.Tensor) -> torch.Tensor:
    """Basis-state probabilities ``|psi_j|^2``: ``(batch, 2, ..., 2)`` -> ``(batch, 2**n)``.

    Real (float) states are accepted too (the fused real circuits produce them).
    """
    check_state(state)
    flat = state.reshape(state.shape[0], -1)  # (batch, 2**n)
    if flat.is_complex():
        # re^2 + im^2 rather than abs()**2: abs has an undefined gradient at 0.
        return torch.view_as_real(flat).square().sum(-1)
    return flat.square()


@functools.lru_cache(maxsize=64)
def _z_signs_cpu(n_qubits: int, wires: tuple[int, ...]) -> torch.Tensor:
    index = torch.arange(2**n_qubits)
    shifts = torch.tensor([n_qubits - 1 - w for w in wires])
    bits = (index[:, None] >> shifts[None, :]) & 1  # (2**n, k): bit of wire w in |j>
    return (1 - 2 * bits).to(torch.int8)  # int8 keeps cached tables small


def z_signs(n_qubits: int, wires: Sequence[int], dtype=torch.float32, device=None) -> torch.Tensor:
    """Table ``(2**n, k)`` of the Z eigenvalue (+1 / -1) of each wire in each basis state."""
    return _z_signs_cpu(n_qubits, tuple(wires)).to(device=device, dtype=dtype)


def expval_z(state: torch.Tensor, wires: int | Sequence[int] | None = None) -> torch.Tensor:
    """``<Z_w>`` of each wire in ``wires`` (default all): ``(batch, 2, ..., 2)`` -> ``(batch, k)``.

    One matrix product of the probabilities with a table of signs.
    """
    n = check_state(state)
    ws = list(range(n)) if wires is None else check_wires(wires, n)
    probs = probabilities(state)  # (batch, 2**n)
    return probs @ z_signs(n, ws, probs.dtype, probs.device)  # (batch, k)


def marginal_probabilities(
    probs: torch.Tensor, n_qubits: int, wires: int | Sequence[int]
) -> torch.Tensor:
    """Marginal of ``wires``, in the given order: ``(batch, 2**n)`` -> ``(batch, 2**k)``."""
    n = check_n_qubits(n_qubits)
    check_probs(probs, n)
    ws = check_wires(wires, n)
    rest = [w + 1 for w in range(n) if w not in ws]
    p = probs.reshape((probs.shape[0],) + (2,) * n)  # (batch, 2, ..., 2)
    if rest:
        p = p.sum(dim=rest)  # (batch, 2, ..., 2) over the kept wires, in ascending order
    kept = sorted(ws)
    p = p.permute([0] + [1 + kept.index(w) for w in ws])  # into the requested order
    return p.reshape(probs.shape[0], -1)


def postselect(
    probs: torch.Tensor,
    n_qubits: int,
    wires: int | Sequence[int],
    values: int | Sequence[int],
    *,
    normalize: bool = False,
) -> torch.Tensor:
    """Entries whose ``wires`` read ``values``: ``(batch, 2**n)`` -> ``(batch, 2**(n-k))``.

    The kept entries are in the order of the remaining wires (most significant first).
    With ``normalize=True`` they are divided by their sum, the post-selection probability
    (conditional probabilities given the outcome).
    """
    n = check_n_qubits(n_qubits)
    check_probs(probs, n)
    ws = check_wires(wires, n)
    vals = [values] if isinstance(values, int) else list(values)
    if len(vals) != len(ws) or any(v not in (0, 1) for v in vals):
        raise ValueError(
            f"values must be one 0 or 1 per wire ({len(ws)} for wires={wires!r}); got {values!r}."
        )
    if len(ws) == n:
        raise ValueError(
            f"postselect on all {n} wires leaves nothing; keep at least one wire free."
        )
    index: list = [slice(None)] * (n + 1)
    for w, v in zip(ws, vals):
        index[w + 1] = v
    p = probs.reshape((probs.shape[0],) + (2,) * n)[tuple(index)]  # (batch, 2, ..., 2)
    p = p.reshape(probs.shape[0], -1)  # (batch, 2**(n-k))
    if normalize:
        p = p / p.sum(dim=1, keepdim=True)
    return p
