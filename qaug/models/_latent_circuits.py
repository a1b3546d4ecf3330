"""The ``latent`` kind's circuits: G VQCs on shared noise angles, simulated as one batch.

Each circuit is ``qaug.models.VQCLayer``'s (RY(z_i); per layer RY, RZ on every wire, CNOT ring;
``<Z_i>``); see ``qaug.models._latent`` for how their outputs become images.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from qaug.models._init import resolve_generator
from qaug.quantum import (
    apply_layers,
    entangler_permutation,
    kron_factors,
    noisy_vqc_expvals,
    product_vector,
    ring_cnots,
    ry_factors,
    rz_phases,
    z_signs,
)

__all__ = ["LatentCircuits", "latent_expvals", "MAX_LATENT_QUBITS"]

# The circuits run on the fused statevector path of qaug.quantum.vqc_expvals; past this the
# statevector of every sub-generator is simulated per sample and training slows sharply.
MAX_LATENT_QUBITS = 12


def latent_expvals(z: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``<Z_i>`` of G VQCs on shared input angles, simulated together as one batch.

    ``z`` ``(n, q)``, ``weights`` ``(G, L, q, 2)`` -> ``(n, G * q)``, column ``g * q + i`` =
    ``qaug.quantum.vqc_expvals(z, weights[g])[:, i]`` (RY(z_i); per layer RY, RZ on every wire
    and the CNOT ring). The same fused construction as ``vqc_expvals``, with the sub-generators
    as a leading batch dimension: a handful of tensor operations instead of G times as many.
    """
    n_gen, n_layers, q, _ = weights.shape
    rdtype = torch.promote_types(z.dtype, weights.dtype)
    z, weights = z.to(rdtype), weights.to(rdtype)
    cdtype = torch.complex128 if rdtype == torch.float64 else torch.complex64
    d = 2**q
    perm = entangler_permutation(q, ring_cnots(q), z.device)
    phases = rz_phases(weights[..., 1]).to(cdtype)  # (G, L, q, 2)
    # RZ(b) RY(a) RY(z)|0> per wire: encoding and first layer as one product state per (g, n).
    half = (weights[:, None, 0, :, 0] + z) / 2  # (G, n, q)
    first = torch.stack([torch.cos(half), torch.sin(half)], -1) * phases[:, None, 0]  # (G, n, q, 2)
    psi = product_vector(first)  # (G, n, d), before the first CNOT ring
    if n_layers == 1:
        probs = torch.view_as_real(psi).square().sum(-1)  # (G, n, d)
    else:
        psi = psi[..., perm]
        if n_layers > 2:
            rot = phases[:, 1:-1, :, :, None] * ry_factors(weights[:, 1:-1, :, 0])  # (G,L-2,q,2,2)
            middle = kron_factors(rot)[..., perm, :]  # (G, L-2, d, d), CNOT ring on the rows
            psi = apply_layers(psi, middle)  # (G, n, d)
        # The last RZ is diagonal and only the CNOT ring follows before measuring Z: it cannot
        # change the outcome, so the last layer is a real matrix for real and imaginary parts.
        last = kron_factors(ry_factors(weights[:, -1, :, 0]))  # (G, d, d)
        parts = torch.view_as_real(psi).transpose(-1, -2).reshape(n_gen, -1, d)  # (G, n*2, d)
        probs = (parts @ last.transpose(-1, -2)).square().reshape(n_gen, -1, 2, d).sum(2)
    # The final CNOT ring permutes basis states: fold it into the table of Z signs.
    signs = z_signs(q, range(q), probs.dtype, probs.device)[torch.argsort(perm)]  # (d, q)
    return (probs @ signs).transpose(0, 1).reshape(z.shape[0], n_gen * q)  # (n, G * q)


class LatentCircuits(nn.Module):
    """``n_generators`` VQCs sharing the noise: ``z`` ``(n, n_qubits)`` -> ``(n, G * n_qubits)``.

    Weights ``(n_generators, depth, n_qubits, 2)`` (RY then RZ angle per layer and wire), drawn
    uniformly in [0, 2 pi) from ``generator``. Circuit g is ``qaug.models.VQCLayer``'s circuit
    with weights ``weights[g]`` and input angles ``z``; output columns ``g * n_qubits + i`` are
    ``<Z_i>`` of circuit g.
    """

    is_quantum = True
    supports_noise = True  # qaug.models.noisy sets noise / noise_generator
    noise = None
    noise_generator = None

    def __init__(
        self,
        n_qubits: int = 4,
        depth: int = 4,
        n_generators: int = 4,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        for name, v, low in (("n_qubits", n_qubits, 1), ("depth", depth, 1),
                             ("n_generators", n_generators, 1)):
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise ValueError(f"latent generator: {name} must be an integer >= {low}; got {v!r}.")
        if n_qubits > MAX_LATENT_QUBITS:
            raise ValueError(
                f"latent generator: n_qubits must be at most {MAX_LATENT_QUBITS} (the statevector "
                f"engine's fast path); got {n_qubits}. Use more sub-generators with fewer qubits "
                f"each (e.g. --gan.n_generators={math.ceil(n_qubits / 4) * 2} --gan.n_qubits=4)."
            )
        self.n_qubits, self.depth, self.n_generators = n_qubits, depth, n_generators
        shape = (n_generators, depth, n_qubits, 2)
        g = resolve_generator(generator)
        self.weights = nn.Parameter(2 * math.pi * torch.rand(shape, generator=g))

    @property
    def n_outputs(self) -> int:
        """Values per sample: ``n_generators * n_qubits``."""
        return self.n_generators * self.n_qubits

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``(n, n_qubits)`` angles -> ``(n, n_generators * n_qubits)`` expectation values."""
        if z.dim() != 2 or z.shape[1] != self.n_qubits:
            raise ValueError(
                f"z must have shape (n, n_qubits) = (n, {self.n_qubits}); got {tuple(z.shape)}."
            )
        if self.noise is None:
            return latent_expvals(z, self.weights)  # (n, G * n_qubits)
        # under noise: each circuit is VQCLayer's, so the noisy VQC simulates it
        ev = [noisy_vqc_expvals(z, w, self.noise, generator=self.noise_generator) for w in self.weights]
        return torch.cat(ev, dim=1)  # (n, G * n_qubits), g-major
