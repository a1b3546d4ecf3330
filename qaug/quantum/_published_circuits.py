"""Circuits of two published quantum generators: PQWGAN (Tsang et al. 2023) and MosaiQ (Silver et al. 2023).

Both are simulated exactly with the fused builders of ``_fused``: the weight-dependent layers of
every sub-generator become one ``2**n x 2**n`` matrix per forward pass, applied to the whole
batch of latent product states with one batched matmul (``fused=True``, the default up to
``PUBLISHED_FUSE_MAX_QUBITS``), or layer by layer with one 2x2 matmul per wire (``fused=False``,
for larger circuits). Wire 0 is the most significant bit (PennyLane's order).
"""

from __future__ import annotations

import functools

import torch

from ._checks import check_n_qubits, complex_dtype_of
from ._fused import (
    apply_layers,
    apply_wirewise,
    cz_signs,
    entangler_permutation,
    kron_factors,
    product_vector,
    ry_factors,
    rz_phases,
)
from ._measure import z_signs

__all__ = [
    "PUBLISHED_FUSE_MAX_QUBITS",
    "chain_cnots",
    "rot_factors",
    "pqwgan_probabilities",
    "mosaiq_expvals",
]

# Largest circuit built as one matrix: a (G, L, 2**n, 2**n) complex stack is still small at 8.
PUBLISHED_FUSE_MAX_QUBITS = 8


def chain_cnots(n_qubits: int) -> list[tuple[int, int]]:
    """The CNOT ladder CNOT(0, 1), CNOT(1, 2), ..., CNOT(n-2, n-1)."""
    return [(i, i + 1) for i in range(n_qubits - 1)]


def rot_factors(angles: torch.Tensor) -> torch.Tensor:
    """PennyLane's ``Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi)``: ``(..., 3)`` -> ``(..., 2, 2)``.

    Complex; the last axis of ``angles`` is ``(phi, theta, omega)``.
    """
    phi, theta, omega = angles.unbind(-1)
    ry = ry_factors(theta).to(complex_dtype_of(angles.dtype))  # (..., 2, 2)
    # RZ(omega) @ RY @ RZ(phi): scale rows by omega's phases, columns by phi's.
    return rz_phases(omega)[..., :, None] * ry * rz_phases(phi)[..., None, :]


def _use_fused(fused: bool | None, n: int) -> bool:
    return n <= PUBLISHED_FUSE_MAX_QUBITS if fused is None else bool(fused)


def _check_latent(z: torch.Tensor, n: int) -> None:
    if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != n:
        shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
        raise ValueError(f"z must have shape (batch, n_qubits) = (batch, {n}); got {shape}.")


def pqwgan_probabilities(
    z: torch.Tensor, weights: torch.Tensor, *, fused: bool | None = None
) -> torch.Tensor:
    """PQWGAN sub-generators: ``z`` ``(batch, n)``, ``weights`` ``(G, L, n, 3)`` -> ``(G, batch, 2**n)``.

    Per sub-generator g: RY(z_i) on every wire i (the same latent for all g); per layer l:
    ``Rot(*weights[g, l, i])`` on every wire, then the CNOT ladder (``chain_cnots``); the
    probabilities of all basis states. Post-selection and normalisation are the caller's.
    """
    if not isinstance(weights, torch.Tensor) or weights.dim() != 4 or weights.shape[-1] != 3:
        shape = tuple(weights.shape) if isinstance(weights, torch.Tensor) else weights
        raise ValueError(
            f"weights must have shape (n_generators, depth, n_qubits, 3); got {shape}."
        )
    n = check_n_qubits(weights.shape[2])
    _check_latent(z, n)
    rdtype = torch.promote_types(z.dtype, weights.dtype)
    weights = weights.to(rdtype)
    half = z.to(rdtype) / 2
    psi = product_vector(torch.stack([torch.cos(half), torch.sin(half)], -1))  # (batch, 2**n) real
    perm = entangler_permutation(n, chain_cnots(n), z.device)
    if _use_fused(fused, n):
        return _pqwgan_real(psi, weights, perm)
    out = psi.to(complex_dtype_of(rdtype)).expand(weights.shape[0], *psi.shape)  # (G, batch, 2**n)
    rot = rot_factors(weights)  # (G, L, n, 2, 2)
    for layer in range(weights.shape[1]):
        out = apply_wirewise(out, rot[:, None, layer])[..., perm]  # (G, batch, 2**n)
    return torch.view_as_real(out).square().sum(-1)  # (G, batch, 2**n)


def _pqwgan_real(psi: torch.Tensor, weights: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
    """The fused path in real arithmetic: ``Rot = RZ(omega) RY(theta) RZ(phi)`` per wire.

    A layer is ``P D_omega K_theta D_phi`` (P: the CNOT ladder, D: diagonal phases, K: the real
    Kronecker product of the RY factors). Between two K's, ``D_phi' P D_omega`` is one gather of
    the amplitudes and one phase vector; the last ``D_omega`` cannot change probabilities and the
    last P only permutes them. States are kept as ``(G, 2**n, 2 * batch)`` real columns (real
    parts, then imaginary parts), so every K is one real batched matmul and no complex matrix
    is built.
    """
    n_gen, depth, n, _ = weights.shape
    batch = psi.shape[0]
    signs = z_signs(n, range(n), weights.dtype, weights.device)  # (2**n, n)
    phi = -0.5 * weights[..., 0] @ signs.T  # (G, L, 2**n): phase angles of the RZ(phi) layer
    omega = -0.5 * weights[..., 2] @ signs.T  # (G, L, 2**n)
    kron = kron_factors(ry_factors(weights[..., 1]))  # (G, L, 2**n, 2**n) real
    cols = psi.T  # (2**n, batch)
    # first layer: RZ(phi) on the real product state, then K
    x = torch.cat([torch.cos(phi[:, 0, :, None]) * cols, torch.sin(phi[:, 0, :, None]) * cols], -1)
    x = kron[:, 0] @ x  # (G, 2**n, 2*batch)
    for layer in range(1, depth):
        angle = phi[:, layer] + omega[:, layer - 1, perm]  # (G, 2**n): D_phi' P D_omega
        x = x[:, perm]  # the CNOT ladder: (P x)[i] = x[perm[i]]
        re, im = x[..., :batch], x[..., batch:]
        c, s = torch.cos(angle)[..., None], torch.sin(angle)[..., None]
        x = kron[:, layer] @ torch.cat([c * re - s * im, s * re + c * im], -1)
    probs = x[..., :batch].square() + x[..., batch:].square()  # (G, 2**n, batch)
    return probs[:, perm].transpose(1, 2)  # last CNOT ladder: (G, batch, 2**n)


@functools.lru_cache(maxsize=16)
def _flip_index_cpu(n_qubits: int) -> torch.Tensor:
    index = torch.arange(2**n_qubits)
    bits = torch.tensor([1 << (n_qubits - 1 - w) for w in range(n_qubits)])
    return index[None, :] ^ bits[:, None]  # (n, 2**n): |j> with wire w flipped


def mosaiq_expvals(
    z: torch.Tensor, weights: torch.Tensor, *, fused: bool | None = None
) -> torch.Tensor:
    """MosaiQ sub-generators: ``z`` ``(batch, n)``, ``weights`` ``(G, L, n)`` -> ``<X_i>`` ``(G, batch, n)``.

    Per sub-generator g: RY(z_i) then RX(z_i) on every wire i; per layer l: RY(weights[g, l, i])
    on every wire, then CZ(0, 1), ..., CZ(n-2, n-1); the Pauli-X expectation of every wire.
    The layers are real, so the real and imaginary parts of the (complex) encoded state go
    through the same real matrices, and ``<X_w> = sum_j psi_j psi_(j with bit w flipped)``.
    """
    if not isinstance(weights, torch.Tensor) or weights.dim() != 3:
        shape = tuple(weights.shape) if isinstance(weights, torch.Tensor) else weights
        raise ValueError(f"weights must have shape (n_generators, depth, n_qubits); got {shape}.")
    n = check_n_qubits(weights.shape[2])
    _check_latent(z, n)
    rdtype = torch.promote_types(z.dtype, weights.dtype)
    c, s = torch.cos(z.to(rdtype) / 2), torch.sin(z.to(rdtype) / 2)
    # RX(z) RY(z)|0> = RX(z) [c, s] = [c^2 - i s^2, c s - i c s] per wire: (batch, n, 2)
    wire = torch.complex(torch.stack([c * c, c * s], -1), torch.stack([-s * s, -c * s], -1))
    psi = product_vector(wire)  # (batch, 2**n) complex
    parts = torch.view_as_real(psi).transpose(1, 2).reshape(-1, 2**n)  # (batch*2, 2**n): re, im
    signs = cz_signs(n, [(i, i + 1) for i in range(n - 1)], rdtype, z.device)  # (2**n,)
    weights = weights.to(rdtype)
    if _use_fused(fused, n):
        layers = signs[:, None] * kron_factors(ry_factors(weights))  # (G, L, 2**n, 2**n)
        out = apply_layers(parts, layers)  # (G, batch*2, 2**n)
    else:
        out = parts.expand(weights.shape[0], *parts.shape)  # (G, batch*2, 2**n)
        for layer in range(weights.shape[1]):
            out = apply_wirewise(out, ry_factors(weights[:, None, layer])) * signs
    flip = _flip_index_cpu(n).to(z.device)  # (n, 2**n)
    ev = (out[..., None, :] * out[..., flip]).sum(-1)  # (G, batch*2, n)
    return ev.reshape(weights.shape[0], z.shape[0], 2, n).sum(2)  # (G, batch, n)
