"""PQWGAN (Tsang, West, Erfani, Usman, IEEE TQE 2023): patch quantum generator + MLP critic, WGAN-GP.

Reimplemented from the paper's description and its public reference (PennyLane); our code.
Each of ``n_generators`` sub-generators has ``n_data_qubits + n_ancillas`` wires and runs
RY(z_i) on every wire, then ``depth`` layers of ``Rot(phi, theta, omega)`` on every wire and the
CNOT ladder CNOT(0,1), ..., CNOT(n-2,n-1). Of its exact probabilities it keeps the basis states
with the ancillas (the first wires) in |0>, divides them by their sum (post-selection) and then
by their maximum, and keeps the first ``H*W / n_generators`` of them as its patch (28 of the 32
values of 5 data qubits at 28x28). The reference rescales the patch to [-1, 1] for its [-1, 1]
data; qaug's images are in [0, 1], so the patch is used as is. Patches are laid out in order,
so with the default one sub-generator per image row each patch is one row.

The critic is the reference's MLP ``H*W -> 512 -> 256 -> 1`` with LeakyReLU(0.2) at 28x28,
narrower for smaller images (``(min(512, 2*H*W), min(256, H*W))``), with a raw (unbounded)
output, as a Wasserstein critic needs. The reference trains with WGAN-GP (lambda 10, 5 critic
steps per generator step), Adam betas (0, 0.9), lr 1e-2 (G) and 2e-4 (critic), latent
``z ~ U[0, 1)`` of one angle per wire.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from qaug.models._init import make_linear, resolve_generator
from qaug.models._quantum_layers import MAX_LAYER_QUBITS, _check_int
from qaug.quantum._checks import check_finite_input
from qaug.quantum._noisy_circuits import noisy_pqwgan_probabilities
from qaug.quantum._published_circuits import pqwgan_probabilities

__all__ = ["PQWGANCircuits", "PQWGANGenerator", "PQWGANCritic", "build_pqwgan"]


class PQWGANCircuits(nn.Module):
    """The PQWGAN sub-generators: latent ``(batch, n_qubits)`` -> patches ``(batch, G, P)``.

    Args:
        n_qubits: wires per sub-generator (data + ancillas), 2..12.
        n_ancillas: post-selected wires (the first ones), 1..n_qubits-1.
        depth: Rot + CNOT layers, >= 1.
        n_generators: sub-generators, >= 1.
        patch_pixels: values kept per patch, 1..2**(n_qubits - n_ancillas) (the first ones).
        generator: CPU ``torch.Generator``; weights ~ U[0, 1) as in the reference.
    """

    is_quantum = True
    supports_noise = True  # qaug.models.noisy sets noise / noise_generator
    noise = None
    noise_generator = None

    def __init__(
        self,
        n_qubits: int,
        n_ancillas: int,
        depth: int,
        n_generators: int,
        patch_pixels: int,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        fix = (
            "A PQWGAN sub-generator needs log2(pixels per patch) data qubits: use more "
            "sub-generators (smaller patches) or a smaller image."
        )
        self.n_qubits = _check_int("n_qubits", n_qubits, 2, MAX_LAYER_QUBITS, fix)
        self.n_ancillas = _check_int("n_ancillas", n_ancillas, 1, n_qubits - 1)
        self.depth = _check_int("depth", depth, 1)
        self.n_generators = _check_int("n_generators", n_generators, 1)
        self.patch_pixels = _check_int("patch_pixels", patch_pixels, 1, 2 ** (n_qubits - n_ancillas))
        shape = self.weight_shape(n_generators, depth, n_qubits)
        self.weights = nn.Parameter(torch.rand(shape, generator=resolve_generator(generator)))

    @staticmethod
    def weight_shape(n_generators: int, depth: int, n_qubits: int) -> tuple[int, int, int, int]:
        """``(n_generators, depth, n_qubits, 3)``: the Rot angles of every wire and layer."""
        return (n_generators, depth, n_qubits, 3)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``(batch, n_qubits)`` -> ``(batch, n_generators, patch_pixels)`` in [0, 1]."""
        check_finite_input(z, f"the input angles z of {type(self).__name__}")
        if self.noise is None:
            probs = pqwgan_probabilities(z, self.weights)  # (G, batch, 2**n)
        else:
            probs = noisy_pqwgan_probabilities(z, self.weights, self.noise,
                                               generator=self.noise_generator)
        kept = probs[..., : 2 ** (self.n_qubits - self.n_ancillas)]  # ancillas in |0>: (G, batch, P)
        given0 = kept / kept.sum(-1, keepdim=True)  # post-selection: conditional probabilities
        patch = given0 / given0.amax(-1, keepdim=True)  # brightest pixel of every patch = 1
        return patch[..., : self.patch_pixels].transpose(0, 1)  # (batch, G, patch_pixels)

    def extra_repr(self) -> str:
        return (
            f"n_qubits={self.n_qubits}, n_ancillas={self.n_ancillas}, depth={self.depth}, "
            f"n_generators={self.n_generators}, patch_pixels={self.patch_pixels}"
        )


class PQWGANGenerator(nn.Module):
    """PQWGAN patch generator: ``z ~ U[0, 1)`` ``(n, n_qubits)`` -> images ``(n, 1, H, W)``.

    Args:
        image_size: side H = W.
        n_generators: sub-generators; 0 = one per image row (the reference's 28 patches at
            28x28). ``H*W`` must be a multiple of it.
        n_ancillas: ancilla wires per sub-generator (reference: 1).
        depth: Rot + CNOT layers per sub-generator.
        generator: CPU ``torch.Generator`` for the weights.

    The data qubits are ``ceil(log2(H*W / n_generators))`` (5 at 28x28 with 28 patches).

    Example:
        >>> from qaug._seed import make_generator
        >>> G = PQWGANGenerator(8, generator=make_generator(0, "init"))
        >>> tuple(G(G.sample_latent(2, make_generator(0, "noise"))).shape), G.latent_dim
        ((2, 1, 8, 8), 4)
    """

    def __init__(
        self,
        image_size: int = 28,
        n_generators: int = 0,
        n_ancillas: int = 1,
        depth: int = 6,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        self.image_size = _check_int("image_size", image_size, 2)
        pixels = image_size * image_size
        n_gen = _check_int("n_generators", n_generators, 0) or image_size
        if pixels % n_gen:
            raise ValueError(
                f"n_generators={n_gen} must divide the {image_size}x{image_size} = {pixels} "
                f"pixels (each sub-generator makes an equal patch); use 0 (one per row, "
                f"{image_size}) or another divisor of {pixels}."
            )
        patch = pixels // n_gen
        n_data = max(1, math.ceil(math.log2(patch)))
        ancillas = _check_int("n_ancillas", n_ancillas, 1)
        if n_data + ancillas > MAX_LAYER_QUBITS:
            raise ValueError(
                f"a {image_size}x{image_size} image in {n_gen} patches of {patch} pixels needs "
                f"{n_data} data qubits + {ancillas} ancilla(s) = {n_data + ancillas} qubits per "
                f"sub-generator; the engine simulates at most {MAX_LAYER_QUBITS}. Use more "
                f"sub-generators (e.g. --gan.n_patches={image_size}, one per row) or fewer ancillas."
            )
        self.circuits = PQWGANCircuits(
            n_data + ancillas, ancillas, depth, n_gen, patch, generator=generator
        )
        self.latent_dim = n_data + ancillas

    def sample_latent(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Latent angles ``(n, n_qubits)`` ~ U[0, 1) (the reference's uniform prior), on the CPU."""
        return torch.rand(n, self.latent_dim, generator=generator)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``(n, n_qubits)`` -> ``(n, 1, H, W)`` in [0, 1], patches in row-major order."""
        patches = self.circuits(z)  # (n, G, patch_pixels)
        return patches.reshape(-1, 1, self.image_size, self.image_size)


class PQWGANCritic(nn.Module):
    """The reference's MLP critic: ``(n, 1, H, W)`` -> raw scores ``(n, 1)``.

    ``H*W -> min(512, 2*H*W) -> min(256, H*W) -> 1``, LeakyReLU(0.2): 784-512-256-1 at 28x28,
    64-128-64-1 at 8x8.
    """

    def __init__(self, image_size: int = 28, *, generator: torch.Generator | None = None):
        super().__init__()
        self.image_size = _check_int("image_size", image_size, 2)
        pixels = image_size * image_size
        h1, h2 = min(512, 2 * pixels), min(256, pixels)
        g = resolve_generator(generator)
        self.net = nn.Sequential(
            nn.Flatten(),
            make_linear(pixels, h1, g),
            nn.LeakyReLU(0.2),
            make_linear(h1, h2, g),
            nn.LeakyReLU(0.2),
            make_linear(h2, 1, g),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(n, 1, H, W)`` -> ``(n, 1)``."""
        return self.net(x)


def build_pqwgan(image_size: int, config, generator: torch.Generator) -> tuple[nn.Module, nn.Module]:
    """``(PQWGANGenerator, PQWGANCritic)`` from a ``GANConfig`` (weights: G first, then D).

    Reads ``config.n_patches`` (0 = one per row), ``config.n_ancillas`` and ``config.depth``.
    """
    G = PQWGANGenerator(
        image_size,
        n_generators=config.n_patches,
        n_ancillas=config.n_ancillas,
        depth=config.depth,
        generator=generator,
    )
    return G, PQWGANCritic(image_size, generator=generator)
