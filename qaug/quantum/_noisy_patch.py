"""The patch generator under noise: density matrices, readout error, shot-estimated patches.

The circuit is that of ``patch_generator_patches`` (RY(z_i) encoding; per layer RY(w) on every
wire, then the CZ chain), simulated on density matrices ``(G, batch, 2**n, 2**n)``: after each
layer a depolarizing channel of probability ``noise.depolarizing`` on every wire (the encoding
is noiseless, as in ``noisy_vqc_expvals``); the probabilities pass through the readout error;
with ``noise.shots`` each circuit's probabilities are estimated from that many sampled outcomes,
as hardware would. Then, as the demo: keep the ancilla-0 block, divide by its maximum.

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
from ._density import _DM_FIX, DM_MAX_QUBITS, depolarize
from ._fused import cz_signs, kron_factors, product_vector, ry_factors
from ._noise import NoiseModel, apply_readout_error

__all__ = ["noisy_patch_patches", "noisy_patch_probabilities", "sample_probabilities", "PATCH_GRADIENTS"]

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
    if not isinstance(noise, NoiseModel):
        raise TypeError(f"noise must be a NoiseModel; got {type(noise).__name__}.")
    if gradient not in PATCH_GRADIENTS:
        raise ValueError(f"gradient must be one of {list(PATCH_GRADIENTS)}; got {gradient!r}.")
    n = _check_patch_args(z, weights, 0)
    check_n_qubits(n, max_qubits=DM_MAX_QUBITS, hint=_DM_FIX)
    if noise.shots is not None and generator is None:
        raise ValueError(
            f"noise.shots={noise.shots} needs a torch.Generator to draw the shots from; pass "
            "generator= (e.g. qaug._seed.make_generator(seed, 'shots')) or set shots=None."
        )
    dtype = torch.float64 if torch.float64 in (z.dtype, weights.dtype) else torch.float32
    weights, z = weights.to(dtype), z.to(dtype)
    n_gen, depth, d = weights.shape[0], weights.shape[1], 2**n
    signs = cz_signs(n, chain_czs(n), dtype, z.device)  # (2**n,): the CZ chain as a diagonal
    layers = signs[:, None] * kron_factors(ry_factors(weights))  # (G, depth, d, d), real
    half = z / 2
    psi = product_vector(torch.stack([torch.cos(half), torch.sin(half)], -1))  # (batch, d)
    rho = (psi[:, :, None] * psi[:, None, :]).expand(n_gen, -1, d, d)  # (G, batch, d, d)
    for layer in range(depth):
        u = layers[:, layer, None]  # (G, 1, d, d)
        rho = u @ rho @ u.transpose(-1, -2)
        if noise.depolarizing:
            rho = depolarize(rho.reshape(-1, d, d), noise.depolarizing, range(n)).reshape(rho.shape)
    probs = torch.diagonal(rho, dim1=-2, dim2=-1)  # (G, batch, d)
    probs = apply_readout_error(probs.reshape(-1, d), n, noise.readout).reshape(probs.shape)
    if noise.shots is not None:
        sampled = sample_probabilities(probs, noise.shots, generator)
        probs = probs + (sampled - probs).detach()  # straight-through: value sampled, gradient exact
    return probs.detach() if gradient == "none" else probs


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
    return patches.transpose(0, 1).reshape(z.shape[0], -1)  # (batch, G*P)
