"""The two circuits the models use, each with several exact simulation paths.

With ``fused=None`` on the CPU, small circuits (up to 7 qubits at batches up to 256, 8 qubits
up to batch 16) run as compiled loops (``_jit``, numba; ``QAUG_JIT=0`` turns them off);
everything else takes one of the paths below.

Fused: each layer becomes one ``2**n x 2**n`` matrix (per sample when re-uploading) built
with cached tables, in a handful of operations: on the CPU for small work, one autograd
Function with a numpy forward and adjoint-method backward (``_adjoint``), else autograd
through few tensor operations (``_compact``; any device, and larger work). Layer by layer:
one 2x2 matmul per wire on the flat states, entanglers as a permutation or sign vector
(scales to 12+ qubits). ``fused=None`` picks by size (thresholds measured with
``benchmarks/bench_quantum.py``-style timings on one CPU thread); on the CPU the VQC from
``_statevec.STATEVEC_MIN_QUBITS`` = 6 qubits on runs as numpy state vectors with an
adjoint-method backward (``_statevec``: RY blocks of 4 wires, no ``2**n x 2**n`` matrices),
faster than either (1.2-3x at 6-12 qubits, batch 1-256). The tests check every path against
gate-by-gate engine circuits and PennyLane.
"""

from __future__ import annotations

import torch

from ._adjoint import ADJOINT_MAX_QUBITS, adjoint_fits, patch_adjoint, vqc_adjoint
from ._chain import chain_fits, vqc_chain
from ._checks import check_n_qubits
from ._compact import patch_compact, vqc_compact
from ._fused import (
    apply_wire_blocks,
    apply_wirewise,
    cz_signs,
    entangler_permutation,
    product_vector,
    ry_factors,
)
from ._jit import jit_patch_fits, jit_vqc_fits, patch_jit, vqc_jit
from ._statevec import statevec_fits, vqc_statevec
from ._tables import bit_table, ring_permutation, signs_table

__all__ = [
    "VQC_FUSE_MAX_QUBITS",
    "PATCH_FUSE_MAX_QUBITS",
    "ring_cnots",
    "chain_czs",
    "vqc_expvals",
    "patch_generator_patches",
]

# Largest sizes where the matrix paths win, one CPU thread (interleaved timings, fwd+bwd): VQC
# up to 7 qubits (at 8 the wire-by-wire path is faster from batch 64 on; below, the numpy
# adjoint path, ``_adjoint.ADJOINT_MAX_QUBITS``; with ``fused=None`` on the CPU, VQCs of 6+
# qubits take the state-vector path, ``_statevec``, instead of any of these); patch
# generator at depth 6, 4 sub-generators. Re-uploading builds one matrix per sample, so it
# stops earlier.
VQC_FUSE_MAX_QUBITS = 7
REUPLOAD_FUSE_MAX_QUBITS = 5
PATCH_FUSE_MAX_QUBITS = 7


def ring_cnots(n_qubits: int) -> list[tuple[int, int]]:
    """CNOT(i, (i+1) mod n) for i = 0..n-1; a single CNOT(0, 1) for n = 2; none for n = 1."""
    if n_qubits == 1:
        return []
    if n_qubits == 2:
        return [(0, 1)]
    return [(i, (i + 1) % n_qubits) for i in range(n_qubits)]


def chain_czs(n_qubits: int) -> list[tuple[int, int]]:
    """CZ(0, 1), CZ(1, 2), ..., CZ(n-2, n-1)."""
    return [(i, i + 1) for i in range(n_qubits - 1)]


def _use_fused(fused: bool | None, n: int, max_qubits: int) -> bool:
    return n <= max_qubits if fused is None else bool(fused)


def _check_vqc_args(x: torch.Tensor, weights: torch.Tensor) -> tuple[int, int]:
    if x.dim() != 2:
        raise ValueError(f"x must have shape (batch, n_qubits); got {tuple(x.shape)}.")
    n = check_n_qubits(x.shape[1])
    if weights.dim() != 3 or weights.shape[1:] != (n, 2):
        raise ValueError(
            f"weights must have shape (n_layers, n_qubits, 2) = (n_layers, {n}, 2); "
            f"got {tuple(weights.shape)}."
        )
    return n, weights.shape[0]


def vqc_expvals(
    x: torch.Tensor, weights: torch.Tensor, *, reupload: bool = False, fused: bool | None = None
) -> torch.Tensor:
    """``<Z_i>`` of the VQC head: ``x`` ``(batch, n)``, ``weights`` ``(L, n, 2)`` -> ``(batch, n)``.

    Circuit: RY(x_i) on wire i; per layer l: RY(w[l,i,0]) then RZ(w[l,i,1]) on every wire,
    then the CNOT ring (``ring_cnots``). With ``reupload=True`` the encoding RY(x_i) is
    repeated before every layer (data re-uploading); with one layer both are the same.
    ``fused``: build each layer as one matrix (``_compact``; default up to
    ``VQC_FUSE_MAX_QUBITS``, ``REUPLOAD_FUSE_MAX_QUBITS`` when re-uploading: then one matrix
    per sample) or apply the layers wire by wire to the states. ``fused=None`` picks the
    fastest exact path: compiled loops (``_jit``) at small sizes, the parity chain
    (``_chain``) for two layers from 9 wires, numpy state vectors (``_statevec``) from 6.
    """
    n, n_layers = _check_vqc_args(x, weights)
    if x.dtype != weights.dtype:  # mixed float32/float64: compute in the wider type
        rdtype = torch.promote_types(x.dtype, weights.dtype)
        x, weights = x.to(rdtype), weights.to(rdtype)
    rdtype = x.dtype
    if fused is None and jit_vqc_fits(n, n_layers, len(x), x, weights):  # small: compiled loops
        return vqc_jit(x, weights, reupload)
    if fused is None and len(x) and chain_fits(n, n_layers, x, weights):  # 2 layers, 9+ wires
        return vqc_chain(x, weights, reupload)
    if fused is None and len(x) and statevec_fits(n, x, weights):  # from 6 qubits on
        return vqc_statevec(x, weights, reupload)
    limit = REUPLOAD_FUSE_MAX_QUBITS if reupload else VQC_FUSE_MAX_QUBITS
    matrices = _use_fused(fused, n, limit)
    if (matrices or (fused is None and n <= ADJOINT_MAX_QUBITS)) and adjoint_fits(
        len(x), n, x, weights
    ):
        return vqc_adjoint(x, weights, reupload)
    if matrices:
        return vqc_compact(x, weights, reupload)
    perm = entangler_permutation(n, ring_cnots(n), x.device)
    # States as real and imaginary planes (B, 2, 2**n): every RY layer is real, applied with a
    # few real matmuls (apply_wire_blocks); each RZ layer is one phase per basis state (up to a
    # global phase), as (cos, sin) rows; the last layer's RZ cannot change a Z measurement.
    phi = weights[:-1, :, 1] @ bit_table(n, None, rdtype, x.device)  # (L-1, 2**n)
    cos, sin = torch.cos(phi), torch.sin(phi)
    half = (weights[0, :, 0] + x) / 2  # (batch, n): RY(a) RY(x) = RY(a + x)
    psi = product_vector(torch.stack([torch.cos(half), torch.sin(half)], -1))  # (batch, 2**n)
    if n_layers > 1:
        psi = torch.stack([psi * cos[0], psi * sin[0]], 1)[..., perm]  # RZ, CNOT ring
    for layer in range(1, n_layers):
        angle = weights[layer, :, 0] + x if reupload else weights[layer, :, 0]
        psi = apply_wire_blocks(psi, ry_factors(angle))  # (batch, 2, 2**n)
        if layer < n_layers - 1:  # times exp(i phi), then the ring
            re, im = psi[:, 0], psi[:, 1]
            c, s = cos[layer], sin[layer]
            psi = torch.stack([re * c - im * s, re * s + im * c], 1)[..., perm]
    probs = psi.square() if n_layers == 1 else psi.square().sum(1)  # (batch, 2**n)
    # The final CNOT ring permutes basis states; it is folded into the (cached) Z sign table.
    return probs @ signs_table(n, ring_permutation(n), 1, probs.dtype, probs.device)  # (batch, n)


def _check_patch_args(z: torch.Tensor, weights: torch.Tensor, n_ancillas: int) -> int:
    if weights.dim() != 3:
        raise ValueError(
            f"weights must have shape (n_generators, depth, n_qubits); got {tuple(weights.shape)}."
        )
    n = weights.shape[2]
    if z.dim() != 2 or z.shape[1] != n:
        raise ValueError(
            f"z must have shape (batch, n_qubits) = (batch, {n}); got {tuple(z.shape)}."
        )
    if not 0 <= n_ancillas < n:
        raise ValueError(
            f"n_ancillas must be between 0 and n_qubits - 1 = {n - 1}; got {n_ancillas}."
        )
    return n


def patch_generator_patches(
    z: torch.Tensor, weights: torch.Tensor, n_ancillas: int = 1, *, fused: bool | None = None
) -> torch.Tensor:
    """Patch QGAN: ``z`` ``(batch, n)``, ``weights`` ``(G, depth, n)`` -> ``(batch, G*P)``.

    Per sub-generator g (PennyLane "Quantum GANs" demo, patch method of Huang et al. 2021):
    RY(z_i) on every wire; per layer RY(w[g,l,i]) on every wire then CZ(0,1), ..., CZ(n-2,n-1);
    probabilities; keep the ``P = 2**(n - n_ancillas)`` entries with the ancillas (the first
    wires) in |0>, divide them by the sum of all probabilities and then by their maximum, as the
    demo's ``partial_measure`` does. Patches of all sub-generators are concatenated.
    ``fused``: one real matrix per sub-generator (default up to ``PATCH_FUSE_MAX_QUBITS``) or
    layer by layer on the states. RY and CZ are real, so the whole simulation is real.
    """
    n = _check_patch_args(z, weights, n_ancillas)
    if z.dtype != weights.dtype:  # mixed float32/float64: compute in the wider type
        dtype = torch.promote_types(z.dtype, weights.dtype)
        z, weights = z.to(dtype), weights.to(dtype)
    dtype = z.dtype
    if fused is None and jit_patch_fits(n, len(z) * weights.shape[0], weights.shape[1], z, weights):
        return patch_jit(z, weights, n_ancillas)
    if _use_fused(fused, n, PATCH_FUSE_MAX_QUBITS):
        if adjoint_fits(len(z) * weights.shape[0], n, z, weights):
            return patch_adjoint(z, weights, n_ancillas)
        return patch_compact(z, weights, n_ancillas)
    signs = cz_signs(n, chain_czs(n), dtype, z.device)  # (2**n,): the CZ chain as a diagonal
    # RY(w) RY(z) = RY(w + z): encoding and first layer form one product state per (g, b).
    half = (weights[:, None, 0, :] + z) / 2  # (G, batch, n)
    psi = product_vector(torch.stack([torch.cos(half), torch.sin(half)], -1)) * signs
    for layer in range(1, weights.shape[1]):
        rot = ry_factors(weights[:, None, layer, :])  # (G, 1, n, 2, 2): same for the batch
        psi = apply_wirewise(psi, rot) * signs  # (G, batch, 2**n)
    # Ancillas are the most significant wires: "ancillas in |0>" is the first block of entries.
    # The demo divides it by the sum of all probabilities (1 up to rounding), then by the
    # maximum; the first factor cancels in the second, so only the maximum is divided by.
    kept = psi[..., : 2 ** (n - n_ancillas)].square()  # (G, batch, P)
    patches = kept / kept.amax(-1, keepdim=True)  # (G, batch, P)
    return patches.transpose(0, 1).reshape(z.shape[0], patches.shape[0] * patches.shape[-1])  # (batch, G*P)
