"""Compact exact simulation of the two model circuits: few tensor operations per call.

At the models' sizes (4-8 qubits, batches of 1-256) each tensor operation costs far more than
its arithmetic, forward and backward alike, so these paths minimise operations:

- a product state or a tensor product of RY matrices is a product of cosines
  (``cos(t - pi/2) = sin t``), built as one sum of cosines (``prod_i cos a_i`` is a mean of
  ``cos(e . a)`` over sign vectors e) or one ``index`` + ``prod``, from cached tables
  (``_tables``) with the entangler's basis permutation folded in;
- RZ layers are basis-state phases, ``angles @ bits`` (one matmul for all layers); the states
  are kept as real pairs ``(re, im)`` so every matmul is real;
- the last layer's RZ and the final entangler never reach a Z measurement or the probabilities
  (the latter folded into the sign table), so they cost nothing.

Gate by gate, the circuits and conventions are those of ``_circuits`` (which dispatches here);
the tests check these paths against gate-by-gate circuits and PennyLane.
"""

from __future__ import annotations

import torch

from ._fused import kron_factors
from ._tables import (
    bit_table,
    chain_cz_signs,
    gather_index,
    offsets_tensor,
    phase_offsets,
    ring_permutation,
    signs_table,
    trig_tables,
)

__all__ = ["vqc_compact", "patch_compact", "TRIG_MAX_ELEMENTS", "GATHER_MAX_ELEMENTS"]

# Work limits (elements per call) of the two table paths of ``cos_product``; beyond both, a
# Kronecker tree (about log2(n) operations, the least arithmetic).
TRIG_MAX_ELEMENTS = 1 << 13
GATHER_MAX_ELEMENTS = 1 << 15


def cos_product(t: torch.Tensor, kind: str, perm) -> torch.Tensor:
    """Entries ``prod_i cos(t_i / 2 + offset_i(j))`` of a product of per-wire factors.

    ``t`` ``(..., n)`` angles; ``kind`` "vec": the product state of ``RY(t_i)|0>``,
    ``(..., 2**n)``; "rot": the tensor product of ``RY(t_i)``, ``(..., 2**n, 2**n)`` ("rotT": its
    transpose); ``perm`` permutes the basis after it (the rows of the matrix). Small: one sum of
    cosines (``_tables.trig_tables``; about 5 operations forward and backward); medium: an
    ``index`` + ``prod``; large: a Kronecker tree.
    """
    n, lead = t.shape[-1], t.shape[:-1]
    d = 1 << n
    size = d if kind == "vec" else d * d
    count = t[..., 0].numel()
    if count * size << (n - 1) <= TRIG_MAX_ELEMENTS:
        half, offsets, scale = trig_tables(n, kind, perm, t.dtype, t.device)
        arg = torch.add(offsets, (t.reshape(-1, n) @ half)[:, :, None])  # (count, E, D)
        flat = (scale @ torch.cos(arg)).reshape(*lead, size)
    elif count * size * n <= GATHER_MAX_ELEMENTS:
        entries = torch.cos(torch.add(offsets_tensor(kind, t.dtype, t.device), t[..., None], alpha=0.5))
        flat = entries.flatten(-2)[..., gather_index(n, kind, perm, t.device)].prod(-1)
    else:
        entries = torch.cos(torch.add(offsets_tensor(kind, t.dtype, t.device), t[..., None], alpha=0.5))
        if kind == "vec":
            flat = kron_factors(entries[..., None])[..., 0]
            return flat if perm is None else flat[..., list(perm)]
        out = kron_factors(entries.unflatten(-1, (2, 2)))
        return out if perm is None else out[..., list(perm), :]
    return flat if kind == "vec" else flat.unflatten(-1, (d, d))


def vqc_compact(x: torch.Tensor, weights: torch.Tensor, reupload: bool) -> torch.Tensor:
    """``<Z_i>`` of the VQC head (as ``vqc_expvals``): ``x`` ``(B, n)``, ``weights`` ``(L, n, 2)``.

    Each layer's matrix ``P RZ RY`` (P the CNOT ring) is ``diag(phases) (P RY)``: one real
    matrix (per sample when re-uploading) and one phase multiplication on ``(re, im)`` pairs.
    """
    batch, n = x.shape
    n_layers, d = weights.shape[0], 1 << n
    perm = ring_permutation(n) if n > 1 else None
    a, b = weights[..., 0], weights[..., 1]  # (L, n) RY and RZ angles
    # RZ(b) RY(a) RY(x)|0>: amplitudes [cos, sin]((a + x) / 2), phases from b.
    if n_layers == 1:  # phases never matter; the ring is folded into the Z signs
        amp = cos_product(x + a[0], "vec", None)
        return amp.square() @ signs_table(n, perm, 1, x.dtype, x.device)
    amp = cos_product(x + a[0], "vec", perm)  # (B, d): after the first CNOT ring
    # Phases of layers 0..L-2 after their ring, as [cos, cos, -sin, sin]: (L-1, 4, d).
    phi = b[:-1] @ bit_table(n, perm, x.dtype, x.device)  # (L-1, d)
    phase = torch.cos(torch.add(phase_offsets(x.dtype, x.device), phi[:, None]))
    psi = amp[:, None, :] * phase[0, 1::2]  # (B, 2, d): real and imaginary parts
    angle = a[1:, None, :] + x if reupload else a[1:]  # (L-1, B, n) or (L-1, n)
    if n_layers > 2:
        middle = cos_product(angle[:-1], "rot", perm)  # (L-2, [B,] d, d): ring on the rows
        for layer in range(1, n_layers - 1):
            y = psi @ middle[layer - 1].mT  # (B, 2, d)
            psi = y * phase[layer, :2] + y.flip(1) * phase[layer, 2:]  # times exp(i phi)
    last = cos_product(angle[-1], "rot", None)  # ([B,] d, d): its RZ and ring leave <Z> alone
    y = (psi @ last.mT).square()  # (B, 2, d): squares of real and imaginary parts
    return y.reshape(batch, 2 * d) @ signs_table(n, perm, 2, x.dtype, x.device)  # (B, n)


def patch_compact(z: torch.Tensor, weights: torch.Tensor, n_ancillas: int) -> torch.Tensor:
    """Patches of all sub-generators (as ``patch_generator_patches``): ``(B, G*P)``.

    The encoding and first layer form one product state per sub-generator and sample (RY
    angles add); the other layers are one real matrix each (CZ chain as row signs), applied to
    every sub-generator at once by batched matmuls.
    """
    n, batch = weights.shape[2], z.shape[0]
    signs = chain_cz_signs(n, weights.dtype, z.device)  # (d,)
    if batch > 1 << n:  # many samples: multiply the G circuit matrices first, then apply them
        layers = cos_product(weights, "rotT", None) * signs  # (G, depth, d, d): transposed
        circuit = layers[:, 0]
        for layer in layers.unbind(1)[1:]:
            circuit = torch.bmm(circuit, layer)  # (U_l ... U_0)^T = U_0^T ... U_l^T
        psi = cos_product(z, "vec", None) @ circuit  # (B, d) @ (G, d, d) -> (G, B, d)
    else:
        # RY(w) RY(z) = RY(w + z): one product state per sub-generator and sample, (G, B, d).
        psi = cos_product(weights[:, None, 0, :] + z, "vec", None) * signs
        if weights.shape[1] > 1:
            layers = cos_product(weights[:, 1:], "rotT", None) * signs  # (G, depth-1, d, d)
            for layer in layers.unbind(1):
                psi = torch.bmm(psi, layer)  # (G, B, d) @ (G, d, d): all sub-generators at once
    # Keep the ancillas-in-|0> block (the first entries). The demo divides it by the sum of all
    # probabilities and then by its maximum; the first factor cancels in the second exactly.
    kept = psi[..., : 1 << (n - n_ancillas)].square()  # (G, B, P)
    patches = kept / kept.max(-1, keepdim=True).values
    return patches.transpose(0, 1).reshape(z.shape[0], patches.shape[0] * patches.shape[-1])  # (B, G*P)
