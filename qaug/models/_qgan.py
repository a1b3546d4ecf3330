"""The QGAN generator: patch quantum circuit (PennyLane demo) + optional classical network.

The paper's generator is "VQC + classical NN". The patch circuit (``PatchQuantumGenerator``)
maps a latent ``z ~ U[0, pi/2)`` of ``n_qubits`` angles to ``n_generators`` patches of
``2**(n_qubits - n_ancillas)`` pixels each. Without a post-network the patches are the image
(the demo: 4 patches x 16 pixels = one 8x8 image, patch k = image rows 2k and 2k+1); with
``post_hidden > 0`` a two-layer network ``patches -> hidden -> H*W`` (LeakyReLU, sigmoid)
maps them to an image of any size (16x16 and 28x28 need it).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from qaug.models._init import make_linear, resolve_generator
from qaug.models._quantum_layers import PatchQuantumGenerator

__all__ = ["QGANGenerator"]


class QGANGenerator(nn.Module):
    """Patch quantum generator, optionally followed by a classical post-network.

    Args:
        image_size: side H = W of the generated images.
        n_qubits, n_ancillas, depth, n_generators: the patch circuit (errors for invalid
            sizes come from ``PatchQuantumGenerator``).
        post_hidden: hidden width of the post-network; 0 = none (then the patches must give
            exactly ``image_size**2`` pixels).
        patch_scale: learn one brightness ``sigmoid(t_k)`` per patch (``n_generators`` classical
            parameters, initialised to 1/2). The demo's max-normalisation makes every patch's
            brightest pixel exactly 1, while MNIST at 8x8 peaks at 0.35-0.8 per two-row strip
            (top and bottom strips are faint); a fixed peak of 1 lets the discriminator win on
            brightness alone.
        generator: CPU ``torch.Generator`` for the initial weights (circuit first).

    Shapes: ``forward(z)``: ``(n, n_qubits)`` -> ``(n, 1, H, W)`` float in [0, 1].

    Example:
        >>> from qaug._seed import make_generator
        >>> G = QGANGenerator(8, generator=make_generator(0, "init"))
        >>> z = G.sample_latent(2, make_generator(0, "noise"))
        >>> tuple(G(z).shape), G.latent_dim
        ((2, 1, 8, 8), 5)
    """

    def __init__(
        self,
        image_size: int = 8,
        n_qubits: int = 5,
        n_ancillas: int = 1,
        depth: int = 6,
        n_generators: int = 4,
        post_hidden: int = 0,
        patch_scale: bool = False,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 2:
            raise ValueError(f"image_size must be an integer >= 2; got {image_size!r}.")
        if isinstance(post_hidden, bool) or not isinstance(post_hidden, int) or post_hidden < 0:
            raise ValueError(
                f"post_hidden must be an integer >= 0 (0 = none); got {post_hidden!r}."
            )
        g = resolve_generator(generator)
        self.patches = PatchQuantumGenerator(n_qubits, n_ancillas, depth, n_generators, generator=g)
        n_out, n_pix = self.patches.n_outputs, image_size * image_size
        if post_hidden == 0 and n_out != n_pix:
            raise ValueError(
                f"the patch circuit gives n_generators * 2**(n_qubits - n_ancillas) = "
                f"{n_generators} * 2**{n_qubits - n_ancillas} = {n_out} pixels, but a "
                f"{image_size}x{image_size} image "
                f"needs {n_pix}. Add a classical post-network (e.g. post_hidden=64, CLI "
                "--gan.post_hidden=64) or change the circuit so the patches give exactly "
                f"{n_pix} pixels."
            )
        self.image_size = image_size
        self.latent_dim = n_qubits
        self.post_hidden = post_hidden
        self.post: nn.Module | None = None
        self.patch_scale = nn.Parameter(torch.zeros(n_generators)) if patch_scale else None
        if post_hidden:
            self.post = nn.Sequential(
                make_linear(n_out, post_hidden, g),
                nn.LeakyReLU(0.2),
                make_linear(post_hidden, n_pix, g),
                nn.Sigmoid(),
            )

    def sample_latent(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Latent angles ``(n, n_qubits)`` ~ U[0, pi/2), as in the demo, drawn on the CPU."""
        return torch.rand(n, self.latent_dim, generator=generator) * (math.pi / 2)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``(n, n_qubits)`` -> ``(n, 1, H, W)`` in [0, 1]."""
        x = self.patches(z)  # (n, n_generators * 2**(n_qubits - n_ancillas)), patches side by side
        if self.patch_scale is not None:
            n_gen = self.patch_scale.shape[0]
            scale = torch.sigmoid(self.patch_scale).to(x.dtype)  # (n_generators,)
            x = (x.view(len(x), n_gen, -1) * scale[:, None]).reshape(len(x), -1)  # (n, n_outputs)
        if self.post is not None:
            x = self.post(x.to(self.post[0].weight.dtype))  # (n, H*W)
        return x.reshape(-1, 1, self.image_size, self.image_size)
