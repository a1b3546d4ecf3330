"""Fused builders: whole circuit blocks as one matrix or one product vector.

At the sizes used here (at most about 8 qubits, batches of tens) a simulation costs
about one unit per tensor operation, whatever the arithmetic (DESIGN.md, "Environment
facts"). So the weight-dependent part of a circuit is built once per forward pass as a
matrix, with entanglers folded in as fixed row permutations (CNOT) or sign diagonals
(CZ), and then applied to the whole batch with one matmul.

Flat vectors here are ``(..., 2**n)`` with wire 0 the most significant bit, exactly
``state.reshape(batch, -1)`` of a ``(batch, 2, ..., 2)`` state.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import torch

__all__ = [
    "ry_factors",
    "rz_phases",
    "kron_factors",
    "product_vector",
    "apply_wirewise",
    "apply_wire_blocks",
    "entangler_permutation",
    "cz_signs",
    "chain_product",
    "apply_layers",
]


def ry_factors(theta: torch.Tensor) -> torch.Tensor:
    """Real RY matrices ``[[c, -s], [s, c]]``: ``(...)`` -> ``(..., 2, 2)``."""
    c, s = torch.cos(theta / 2), torch.sin(theta / 2)
    return torch.stack([c, -s, s, c], dim=-1).unflatten(-1, (2, 2))


def rz_phases(theta: torch.Tensor) -> torch.Tensor:
    """Diagonal of RZ, ``[exp(-i t/2), exp(i t/2)]``: ``(...)`` -> complex ``(..., 2)``."""
    half = theta / 2
    angle = torch.stack([-half, half], dim=-1)
    return torch.polar(torch.ones_like(angle), angle)


def _kron2(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Batched Kronecker product ``(..., R, C) x (..., r, c) -> (..., R*r, C*c)``."""
    rows, cols = a.shape[-2] * b.shape[-2], a.shape[-1] * b.shape[-1]
    # (..., R, 1, C, 1) * (..., 1, r, 1, c) -> (..., R, r, C, c)
    prod = a[..., :, None, :, None] * b[..., None, :, None, :]
    return prod.reshape(*prod.shape[:-4], rows, cols)


def kron_factors(factors: torch.Tensor) -> torch.Tensor:
    """Kronecker product over wires: ``(..., n, r, c)`` -> ``(..., r**n, c**n)``.

    Factor 0 is the most significant (wire 0). Built as a balanced tree, pairing neighbours
    level by level in one batched multiplication each: about log2(n) operations, not n - 1.
    """
    tail = None  # product of the factors after the ones still in ``factors``
    while factors.shape[-3] > 1:
        if factors.shape[-3] % 2:
            last = factors[..., -1, :, :]
            tail = last if tail is None else _kron2(last, tail)
            factors = factors[..., :-1, :, :]
        # neighbours (0, 1), (2, 3), ...: (..., m, r, c) -> (..., m/2, r*r, c*c)
        factors = _kron2(factors[..., 0::2, :, :], factors[..., 1::2, :, :])
    out = factors[..., 0, :, :]
    return out if tail is None else _kron2(out, tail)


def product_vector(vectors: torch.Tensor) -> torch.Tensor:
    """Product state of per-wire vectors: ``(..., n, 2)`` -> ``(..., 2**n)``."""
    return kron_factors(vectors[..., None])[..., 0]  # vectors as (2, 1) matrices


def apply_wirewise(psi: torch.Tensor, mats: torch.Tensor) -> torch.Tensor:
    """Apply one 2x2 matrix per wire (a tensor product) to flat states without building it.

    ``psi`` ``(..., 2**n)``; ``mats`` ``(..., n, 2, 2)`` whose leading dims broadcast against
    ``psi``'s (``(n, 2, 2)``: the same for all states). ``n`` small matmuls; used where the full
    ``2**n x 2**n`` matrix would be large or would differ per sample.
    """
    d, lead = psi.shape[-1], psi.shape[:-1]
    dtype = torch.promote_types(psi.dtype, mats.dtype)
    psi, mats = psi.to(dtype), mats.to(dtype)
    for i in range(mats.shape[-3]):
        x = psi.reshape(*lead, 2**i, 2, d >> (i + 1))  # (..., left, wire i, right)
        # (..., 1, 2, 2) @ (..., left, 2, right) -> (..., left, 2, right)
        psi = (mats[..., i, None, :, :] @ x).reshape(*lead, d)
    return psi


def apply_wire_blocks(psi: torch.Tensor, mats: torch.Tensor, block: int = 4) -> torch.Tensor:
    """``apply_wirewise`` for real states and factors, ``block`` wires per matmul.

    ``psi`` ``(B, P, 2**n)`` real (``P`` planes, e.g. real and imaginary parts, sharing the
    factors); ``mats`` real ``(n, 2, 2)`` (all states) or ``(B, n, 2, 2)`` (per state). The
    factors of each run of ``block`` wires are multiplied into one ``2**block`` square matrix
    first: ``ceil(n / block)`` real matmuls of useful size instead of ``n`` tiny ones.
    """
    n, d = mats.shape[-3], psi.shape[-1]
    batch, planes = psi.shape[0], psi.shape[1]
    per_state = mats.dim() == 4
    full = n // block * block  # the full runs' matrices in one Kronecker tree: ([B,] runs, K, K)
    runs = kron_factors(mats[..., :full, :, :].unflatten(-3, (-1, block))) if full else None
    for start in range(0, n, block):
        k = min(block, n - start)
        m = runs[..., start // block, :, :] if start < full else kron_factors(mats[..., start:, :, :])
        right = d >> (start + k)
        if right == 1:  # the last wires: one matmul on the flat index
            x = psi.reshape(batch, planes << start, 1 << k)  # (B, P * left, K)
            psi = (x @ m.mT).reshape(batch, planes, d)
        else:  # (.., K, K) @ (B, P, left, K, right)
            x = psi.reshape(batch, planes, 1 << start, 1 << k, right)
            psi = ((m[:, None, None] if per_state else m) @ x).reshape(batch, planes, d)
    return psi


@functools.lru_cache(maxsize=64)
def _permutation_cpu(n_qubits: int, cnots: tuple[tuple[int, int], ...]) -> torch.Tensor:
    index = torch.arange(2**n_qubits)
    image = index.clone()  # image[j]: basis index that |j> is sent to by the CNOT sequence
    for c, t in cnots:
        cbit, tbit = 1 << (n_qubits - 1 - c), 1 << (n_qubits - 1 - t)
        image = torch.where(image & cbit != 0, image ^ tbit, image)
    return torch.argsort(image)  # inverse: (P psi)[i] = psi[perm[i]]


def entangler_permutation(
    n_qubits: int, cnots: Sequence[tuple[int, int]], device=None
) -> torch.Tensor:
    """Index ``perm`` of a CNOT sequence P: ``(P psi)[..., i] = psi[..., perm[i]]``.

    For a matrix, ``P @ M == M[..., perm, :]``.
    """
    return _permutation_cpu(n_qubits, tuple((int(c), int(t)) for c, t in cnots)).to(device)


@functools.lru_cache(maxsize=64)
def _cz_signs_cpu(n_qubits: int, pairs: tuple[tuple[int, int], ...]) -> torch.Tensor:
    index = torch.arange(2**n_qubits)
    signs = torch.ones(2**n_qubits, dtype=torch.float64)
    for a, b in pairs:
        both = (index >> (n_qubits - 1 - a)) & (index >> (n_qubits - 1 - b)) & 1
        signs = signs * (1 - 2 * both)
    return signs


def cz_signs(
    n_qubits: int, pairs: Sequence[tuple[int, int]], dtype=torch.float32, device=None
) -> torch.Tensor:
    """Diagonal ``(2**n,)`` of a sequence of CZ gates on the given wire pairs."""
    key = tuple((int(a), int(b)) for a, b in pairs)
    return _cz_signs_cpu(n_qubits, key).to(device=device, dtype=dtype)


def chain_product(mats: torch.Tensor) -> torch.Tensor:
    """Layers applied in order 0, 1, ...: ``(..., L, d, d)`` -> ``M[L-1] @ ... @ M[0]``."""
    out = mats[..., 0, :, :]
    for i in range(1, mats.shape[-3]):
        out = mats[..., i, :, :] @ out
    return out


def apply_layers(psi: torch.Tensor, mats: torch.Tensor) -> torch.Tensor:
    """Apply layers 0, 1, ... to flat states: ``psi (..., batch, d)``, ``mats (..., L, d, d)``.

    Multiplies the layer matrices first when the batch is at least ``d`` (fewer flops then),
    else applies them one by one to the states; both take L matmuls.
    """
    if psi.shape[-2] >= mats.shape[-1]:
        return psi @ chain_product(mats).transpose(-1, -2)
    for i in range(mats.shape[-3]):
        psi = psi @ mats[..., i, :, :].transpose(-1, -2)
    return psi
