"""Cached constant tables of the compact circuits (``_compact``): index and sign tables.

At the sizes the models use, a simulation costs about one unit per tensor operation, so
everything that depends only on the circuit's shape is built once per (size, dtype, device)
and kept: the tables that build a product state or a tensor product of 2x2 factors in a few
operations (as a sum of cosines, or an ``index`` + ``prod``), with a basis permutation folded
in, the bit table
that turns per-wire RZ angles into basis-state phases with one matmul, and Z-sign tables
with the final entangler folded in. Tables are never modified in place.
"""

from __future__ import annotations

import functools
import math

import torch

from ._fused import cz_signs, entangler_permutation

__all__ = [
    "ring_permutation",
    "OFFSETS",
    "local_index",
    "gather_index",
    "trig_tables",
    "bit_table",
    "signs_table",
    "offsets_tensor",
    "phase_offsets",
    "chain_cz_signs",
]


@functools.lru_cache(maxsize=32)
def _bits(n: int) -> torch.Tensor:
    j = torch.arange(2**n)
    return (j[:, None] >> torch.arange(n - 1, -1, -1)) & 1  # (2**n, n): wire 0 = MSB


@functools.lru_cache(maxsize=32)
def ring_permutation(n: int) -> tuple[int, ...]:
    """The CNOT ring's basis permutation ``perm`` as a tuple (``(P psi)[i] = psi[perm[i]]``)."""
    from ._circuits import ring_cnots

    return tuple(entangler_permutation(n, ring_cnots(n)).tolist())


def _rows(n: int, perm: tuple[int, ...] | None) -> torch.Tensor:
    bits = _bits(n)
    return bits if perm is None else bits[list(perm)]


# Per-wire angle offsets of a factor's entries: cos(t + offset) gives them all from one angle.
# "vec": [cos t, sin t] (RY(2t)|0>); "rot": [cos t, -sin t, sin t, cos t] (RY(2t), row-major);
# "rotT": its transpose (the matrix that multiplies row-vector states from the right).
OFFSETS = {
    "vec": (0.0, -math.pi / 2),
    "rot": (0.0, math.pi / 2, -math.pi / 2, 0.0),
    "rotT": (0.0, -math.pi / 2, math.pi / 2, 0.0),
}


@functools.lru_cache(maxsize=128)
def local_index(n: int, kind: str, perm: tuple[int, ...] | None) -> torch.Tensor:
    """``(D, n)``: which entry of wire i's factor enters entry j of the product (CPU, int64).

    ``kind`` "vec": the product state ``P (v_0 x ... x v_n-1)``, ``D = 2**n``; "rot"/"rotT": the
    matrix ``P (R_0 x ... x R_n-1)`` (of the factors or their transposes), row-major,
    ``D = 4**n``. ``perm`` (None: identity) is the basis permutation ``P`` applied after the
    product (on the rows of a matrix).
    """
    rows = _rows(n, perm)
    if kind == "vec":
        return rows
    return (2 * rows[:, None, :] + _bits(n)[None, :, :]).reshape(-1, n)


@functools.lru_cache(maxsize=128)
def gather_index(n: int, kind: str, perm, device) -> torch.Tensor:
    """``(D, n)`` index into per-wire entries flattened to ``(..., n * S)`` (S entries a wire)."""
    return (len(OFFSETS[kind]) * torch.arange(n) + local_index(n, kind, perm)).to(device)


@functools.lru_cache(maxsize=128)
def trig_tables(n: int, kind: str, perm, dtype: torch.dtype, device):
    """Tables of a product of cosines as a sum: ``prod_i cos(a_i) = 2**(1-n) sum_e cos(e . a)``.

    The sum runs over the ``E = 2**(n-1)`` sign vectors ``e`` with ``e_0 = +1``. Entry j of the
    product has ``a_i = t_i / 2 + offset_i(j)``, so it is ``scale @ cos(t @ half + offsets)``
    with ``half`` ``(n, E)`` (the signs over 2), ``offsets`` ``(E, D)`` (``e . offset(j)``) and
    ``scale`` ``(E,)`` (all ``2**(1-n)``). Returns ``(half, offsets, scale)``.
    """
    signs = 1 - 2 * _bits(n - 1).to(torch.float64)  # (E, n-1)
    eps = torch.cat([torch.ones(len(signs), 1, dtype=torch.float64), signs], 1)  # (E, n)
    offset = torch.tensor(OFFSETS[kind], dtype=torch.float64)[local_index(n, kind, perm)]  # (D, n)
    half = (eps.T / 2).to(device=device, dtype=dtype).contiguous()
    offsets = (eps @ offset.T).to(device=device, dtype=dtype).contiguous()
    scale = torch.full((len(eps),), 2.0 ** (1 - n), dtype=dtype, device=device)
    return half, offsets, scale


@functools.lru_cache(maxsize=128)
def bit_table(n: int, perm: tuple[int, ...] | None, dtype: torch.dtype, device) -> torch.Tensor:
    """``(n, 2**n)`` bits of the permuted basis states: ``angles @ table`` are RZ phases.

    ``RZ(b_0) x ... x RZ(b_n-1)`` is ``exp(i sum_i b_i bit_i(j))`` on ``|j>`` up to a global
    phase; with ``perm`` the phases of ``P psi`` (the permutation applied after the RZs).
    """
    return _rows(n, perm).T.to(device=device, dtype=dtype).contiguous()


@functools.lru_cache(maxsize=128)
def signs_table(n: int, perm: tuple[int, ...] | None, copies: int, dtype, device) -> torch.Tensor:
    """``(copies * 2**n, n)`` Z signs of each wire after the permutation ``perm``.

    ``probs @ table`` gives ``<Z_i>`` of ``P psi`` from the probabilities of ``psi``; ``copies``
    stacked tables sum the probabilities of real and imaginary parts in the same matmul.
    """
    signs = (1 - 2 * _bits(n)).to(dtype)  # (2**n, n)
    if perm is not None:
        inverse = torch.argsort(torch.tensor(perm))
        signs = signs[inverse]  # probability of basis j of P psi is that of perm[j] of psi
    return signs.repeat(copies, 1).to(device)


@functools.lru_cache(maxsize=64)
def offsets_tensor(kind: str, dtype: torch.dtype, device) -> torch.Tensor:
    """``OFFSETS[kind]`` as a tensor: ``cos(t + offsets)`` gives a factor's entries."""
    return torch.tensor(OFFSETS[kind], dtype=dtype, device=device)


@functools.lru_cache(maxsize=64)
def phase_offsets(dtype: torch.dtype, device) -> torch.Tensor:
    """``(4, 1)`` offsets with ``cos(phi + offsets)`` = ``[cos, cos, -sin, sin](phi)``."""
    h = math.pi / 2
    return torch.tensor([[0.0], [0.0], [h], [-h]], dtype=dtype, device=device)


@functools.lru_cache(maxsize=64)
def chain_cz_signs(n: int, dtype: torch.dtype, device) -> torch.Tensor:
    """Diagonal ``(2**n,)`` of CZ(0,1) ... CZ(n-2,n-1), cached per dtype and device."""
    return cz_signs(n, [(i, i + 1) for i in range(n - 1)], dtype, device)
