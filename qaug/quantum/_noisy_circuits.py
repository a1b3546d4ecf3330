"""The quantum generators' circuits under noise: density matrices, readout error, shots.

Every generator circuit here is "product-state encoding, then layers, then measurement", with
one ``2**n x 2**n`` matrix per layer and sub-generator. :func:`noisy_layer_probabilities`
simulates that on density matrices ``(G, batch, 2**n, 2**n)``: after each layer a depolarizing
channel of probability ``noise.depolarizing`` on every wire (the encoding is noiseless, as in
``noisy_vqc_expvals``); an optional basis change before measuring (Hadamards for MosaiQ's
``<X>``); the readout error on the probabilities; with ``noise.shots`` each circuit's
distribution estimated from that many sampled outcomes, as hardware would. The generators:

- ``noisy_patch_patches``: the demo's patch circuit (RY + CZ chain), ancilla-0 block / max;
- ``noisy_pqwgan_probabilities``: PQWGAN (Rot + CNOT ladder); post-selection is the caller's;
- ``noisy_mosaiq_expvals``: MosaiQ (RY, RX encoding; RY + CZ chain), ``<X_i>``.
(The latent kind's circuits are VQCs: ``noisy_vqc_expvals``.)

Gradients under shots. Sampling has no gradient, so training under shots uses a documented
surrogate, the straight-through estimator: the forward value is the shot estimate ``p_hat``,
the backward pass is that of the exact noisy probabilities ``p`` (``p + (p_hat - p).detach()``).
``p_hat`` is unbiased for ``p``, so this is the gradient a parameter-shift rule would estimate
with infinitely many shots; the shot noise of the forward value (what D sees) is kept. With
``gradient="none"`` the patches are detached (evaluation only). RY and CZ are real, so the
whole simulation is real (float64 for float64 inputs, else float32).
"""

from __future__ import annotations

import torch

from ._checks import check_n_qubits
from ._circuits import _check_patch_args, chain_czs
from ._density import _DM_FIX, DM_MAX_QUBITS
from ._fused import cz_signs, entangler_permutation, kron_factors, product_vector, ry_factors
from ._measure import z_signs
from ._noise import NoiseModel, apply_readout_error

__all__ = ["noisy_layer_probabilities", "noisy_patch_patches", "noisy_patch_probabilities",
           "noisy_pqwgan_probabilities", "noisy_mosaiq_expvals", "sample_probabilities",
           "straight_through", "depolarize_all", "PATCH_GRADIENTS"]

PATCH_GRADIENTS = ("surrogate", "none")


def sample_probabilities(probs: torch.Tensor, shots: int, generator: torch.Generator) -> torch.Tensor:
    """Frequencies of ``shots`` outcomes drawn from each row: ``(..., 2**n)`` -> ``(..., 2**n)``.

    A multinomial sample per row from ``generator`` (CPU); unbiased for ``probs``, with
    variance ``p (1 - p) / shots`` per entry. Not differentiable; returned on ``probs``'
    device and dtype.
    """
    if isinstance(shots, bool) or not isinstance(shots, int) or shots < 1:
        raise ValueError(f"shots must be an int >= 1; got {shots!r}.")
    if not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator must be a torch.Generator; got {type(generator).__name__}. Shot sampling "
            "never uses the global RNG: pass e.g. qaug._seed.make_generator(seed, 'shots')."
        )
    p = probs.detach().to("cpu", torch.float64).clamp_min(0.0)
    flat = p.reshape(-1, p.shape[-1])  # (rows, 2**n)
    outcomes = torch.multinomial(flat, shots, replacement=True, generator=generator)  # (rows, shots)
    counts = torch.zeros_like(flat).scatter_add_(1, outcomes, torch.ones_like(outcomes, dtype=flat.dtype))
    return (counts / shots).reshape(p.shape).to(device=probs.device, dtype=probs.dtype)


def depolarize_all(rho: torch.Tensor, p: float, n_qubits: int) -> torch.Tensor:
    """The depolarizing channel of probability ``p`` on every wire: ``(..., 2**n, 2**n)``.

    Equal to ``depolarize(rho, p, range(n))`` (PennyLane's ``DepolarizingChannel`` on each
    wire), written for speed: per wire, ``(1 - 4p/3) rho`` plus ``2p/3 * Tr_w(rho)`` added to the
    two blocks diagonal in that wire, as two slice additions (no broadcast with I/2).
    """
    if p == 0.0:
        return rho
    lam, lead, d = 4.0 * p / 3.0, rho.shape[:-2], rho.shape[-1]
    for w in range(n_qubits):
        left, right = 2**w, 2 ** (n_qubits - 1 - w)
        r = rho.reshape(-1, left, 2, right, left, 2, right)  # wire w split out of rows and cols
        traced = r[:, :, 0, :, :, 0] + r[:, :, 1, :, :, 1]  # Tr_w: (b, left, right, left, right)
        out = r * (1.0 - lam)
        out[:, :, 0, :, :, 0] += (lam / 2) * traced
        out[:, :, 1, :, :, 1] += (lam / 2) * traced
        rho = out.reshape(*lead, d, d)
    return rho


def straight_through(exact: torch.Tensor, sampled: torch.Tensor) -> torch.Tensor:
    """``sampled``'s values with ``exact``'s gradient: ``exact + (sampled - exact).detach()``."""
    return exact + (sampled - exact).detach()


def _check_noise_args(noise: object, gradient: str, generator: object) -> None:
    if not isinstance(noise, NoiseModel):
        raise TypeError(f"noise must be a NoiseModel; got {type(noise).__name__}.")
    if gradient not in PATCH_GRADIENTS:
        raise ValueError(f"gradient must be one of {list(PATCH_GRADIENTS)}; got {gradient!r}.")
    if noise.shots is not None and generator is None:
        raise ValueError(
            f"noise.shots={noise.shots} needs a torch.Generator to draw the shots from; pass "
            "generator= (e.g. qaug._seed.make_generator(seed, 'shots')) or set shots=None."
        )


def noisy_layer_probabilities(
    psi: torch.Tensor,
    layers: torch.Tensor,
    noise: NoiseModel,
    *,
    generator: torch.Generator | None = None,
    gradient: str = "surrogate",
    basis: torch.Tensor | None = None,
) -> torch.Tensor:
    """Measured distributions of ``G`` layered circuits under ``noise``: ``(G, batch, 2**n)``.

    Args:
        psi: encoded product states ``(batch, 2**n)`` (real or complex; wire 0 = MSB).
        layers: per sub-generator and layer one matrix ``(G, L, 2**n, 2**n)``, applied in order;
            depolarizing follows every layer.
        noise: the ``NoiseModel``.
        generator: CPU ``torch.Generator`` for the shots (required with ``noise.shots``).
        gradient: ``"surrogate"`` (straight-through under shots) or ``"none"`` (detached).
        basis: a ``(2**n, 2**n)`` unitary applied (noiselessly) just before measuring, e.g.
            ``H^{(x)n}`` to measure every wire in the X basis; None = computational basis.

    Returns:
        Probabilities ``(G, batch, 2**n)``, real, in the dtype of ``layers``' real part.
    """
    _check_noise_args(noise, gradient, generator)
    d = psi.shape[-1]
    n = check_n_qubits(d.bit_length() - 1, max_qubits=DM_MAX_QUBITS, hint=_DM_FIX)
    if layers.dim() != 4 or layers.shape[-2:] != (d, d):
        raise ValueError(f"layers must have shape (G, L, {d}, {d}); got {tuple(layers.shape)}.")
    dtype = torch.promote_types(psi.dtype, layers.dtype)
    psi, layers = psi.to(dtype), layers.to(dtype)
    rho = (psi[:, :, None] * psi.conj()[:, None, :]).expand(layers.shape[0], -1, d, d)  # (G, b, d, d)
    for layer in range(layers.shape[1]):
        u = layers[:, layer, None]  # (G, 1, d, d)
        rho = u @ rho @ u.conj().transpose(-1, -2)
        rho = depolarize_all(rho, noise.depolarizing, n)
    if basis is not None:
        basis = basis.to(dtype)
        rho = basis @ rho @ basis.conj().T
    probs = torch.diagonal(rho, dim1=-2, dim2=-1).real  # (G, batch, d)
    probs = apply_readout_error(probs.reshape(-1, d), n, noise.readout).reshape(probs.shape)
    if noise.shots is not None:
        probs = straight_through(probs, sample_probabilities(probs, noise.shots, generator))
    return probs.detach() if gradient == "none" else probs


def noisy_patch_probabilities(
    z: torch.Tensor,
    weights: torch.Tensor,
    noise: NoiseModel,
    *,
    generator: torch.Generator | None = None,
    gradient: str = "surrogate",
) -> torch.Tensor:
    """Measured distribution of every sub-generator under ``noise``: ``(G, batch, 2**n)``.

    ``z`` ``(batch, n)``, ``weights`` ``(G, depth, n)``; readout error included; under shots
    the shot frequencies, carrying the exact noisy probabilities' gradient (straight-through).
    """
    _check_noise_args(noise, gradient, generator)
    n = _check_patch_args(z, weights, 0)
    check_n_qubits(n, max_qubits=DM_MAX_QUBITS, hint=_DM_FIX)
    dtype = torch.float64 if torch.float64 in (z.dtype, weights.dtype) else torch.float32
    weights, half = weights.to(dtype), z.to(dtype) / 2
    signs = cz_signs(n, chain_czs(n), dtype, z.device)  # (2**n,): the CZ chain as a diagonal
    layers = signs[:, None] * kron_factors(ry_factors(weights))  # (G, depth, d, d), real
    psi = product_vector(torch.stack([torch.cos(half), torch.sin(half)], -1))  # (batch, d)
    return noisy_layer_probabilities(psi, layers, noise, generator=generator, gradient=gradient)


def noisy_patch_patches(
    z: torch.Tensor,
    weights: torch.Tensor,
    noise: NoiseModel,
    n_ancillas: int = 1,
    *,
    generator: torch.Generator | None = None,
    gradient: str = "surrogate",
) -> torch.Tensor:
    """Patch QGAN under ``noise``: ``z`` ``(batch, n)``, ``weights`` ``(G, depth, n)`` -> ``(batch, G*P)``.

    ``P = 2**(n - n_ancillas)``; the distributions of :func:`noisy_patch_probabilities`, the
    ancilla-0 block kept and divided by its maximum. With an ideal ``noise`` the result equals
    ``patch_generator_patches`` up to rounding.

    Args:
        z: latent angles ``(batch, n)``.
        weights: ``(n_generators, depth, n_qubits)``.
        noise: the ``NoiseModel`` (shots, depolarizing per layer, readout).
        n_ancillas: post-selected wires (the first ones), kept at outcome 0.
        generator: CPU ``torch.Generator`` for the shots (required when ``noise.shots`` is set).
        gradient: ``"surrogate"`` (straight-through under shots; exact otherwise) or ``"none"``.

    Returns:
        Patches ``(batch, G*P)`` in [0, 1], each patch divided by its maximum (a patch whose
        sampled ancilla-0 block is empty is all zeros).
    """
    n = _check_patch_args(z, weights, n_ancillas)
    probs = noisy_patch_probabilities(z, weights, noise, generator=generator, gradient=gradient)
    kept = probs[..., : 2 ** (n - n_ancillas)]  # (G, batch, P): ancillas (first wires) at 0
    patches = kept / kept.amax(-1, keepdim=True).clamp_min(torch.finfo(probs.dtype).tiny)
    return patches.transpose(0, 1).reshape(z.shape[0], patches.shape[0] * patches.shape[-1])  # (batch, G*P)


def noisy_pqwgan_probabilities(
    z: torch.Tensor,
    weights: torch.Tensor,
    noise: NoiseModel,
    *,
    generator: torch.Generator | None = None,
    gradient: str = "surrogate",
) -> torch.Tensor:
    """PQWGAN under ``noise``: ``z`` ``(batch, n)``, ``weights`` ``(G, L, n, 3)`` -> ``(G, batch, 2**n)``.

    The circuit of ``pqwgan_probabilities`` (RY(z) encoding; per layer Rot on every wire, then
    the CNOT ladder); equal to it for an ideal ``noise``.
    """
    from ._published_circuits import chain_cnots, rot_factors

    if not isinstance(weights, torch.Tensor) or weights.dim() != 4 or weights.shape[-1] != 3:
        shape = tuple(weights.shape) if isinstance(weights, torch.Tensor) else weights
        raise ValueError(f"weights must have shape (n_generators, depth, n_qubits, 3); got {shape}.")
    n = weights.shape[2]
    _check_patch_args(z, weights[..., 0], 0)
    rdtype = torch.float64 if torch.float64 in (z.dtype, weights.dtype) else torch.float32
    perm = entangler_permutation(n, chain_cnots(n), z.device)
    layers = kron_factors(rot_factors(weights.to(rdtype)))[..., perm, :]  # (G, L, d, d) complex
    half = z.to(rdtype) / 2
    psi = product_vector(torch.stack([torch.cos(half), torch.sin(half)], -1))  # (batch, d)
    return noisy_layer_probabilities(psi, layers, noise, generator=generator, gradient=gradient)


def noisy_mosaiq_expvals(
    z: torch.Tensor,
    weights: torch.Tensor,
    noise: NoiseModel,
    *,
    generator: torch.Generator | None = None,
    gradient: str = "surrogate",
) -> torch.Tensor:
    """MosaiQ under ``noise``: ``z`` ``(batch, n)``, ``weights`` ``(G, L, n)`` -> ``<X_i>`` ``(G, batch, n)``.

    The circuit of ``mosaiq_expvals`` (RY(z) then RX(z) encoding; per layer RY on every wire,
    then the CZ chain); every wire is measured in the X basis (Hadamards before a Z-basis
    readout, so readout error and shots act on X outcomes); equal to it for an ideal ``noise``.
    """
    n = _check_patch_args(z, weights, 0)
    rdtype = torch.float64 if torch.float64 in (z.dtype, weights.dtype) else torch.float32
    c, s = torch.cos(z.to(rdtype) / 2), torch.sin(z.to(rdtype) / 2)
    # RX(z) RY(z)|0> per wire: [c^2 - i s^2, c s - i c s]  (batch, n, 2) complex
    wire = torch.complex(torch.stack([c * c, c * s], -1), torch.stack([-s * s, -c * s], -1))
    psi = product_vector(wire)  # (batch, d)
    signs = cz_signs(n, chain_czs(n), rdtype, z.device)
    layers = signs[:, None] * kron_factors(ry_factors(weights.to(rdtype)))  # (G, L, d, d) real
    hadamard = torch.tensor([[1.0, 1.0], [1.0, -1.0]], dtype=rdtype, device=z.device) / 2**0.5
    basis = kron_factors(hadamard.expand(n, 2, 2))  # (d, d): H on every wire
    probs = noisy_layer_probabilities(psi, layers, noise, generator=generator, gradient=gradient,
                                      basis=basis)
    return probs @ z_signs(n, range(n), probs.dtype, probs.device)  # (G, batch, n)
