"""The ``latent_mlp`` kind: the ``latent`` kind with its circuits replaced by a small MLP.

The parameter-matched classical control of the ``latent`` kind (VQC -> frozen decoder): the
same noise (``(n, n_qubits)`` angles in [0, pi)), the same autoencoder fitted the same way on
the class's images, the same code range and discriminator; only the trainable part differs:

    z (n, n_qubits) -Linear-> (n, h) -tanh-> -Linear-> (n, code_dim) -tanh-> codes in [-1, 1]

with ``(n_qubits + 1) h + (h + 1) code_dim`` trainable parameters (``h = gan_hidden[0]``; 5 for
the default 4 x 4-qubit circuits: 121 against their 128 angles). A quantum advantage of the
latent design, if any, must show against this.
"""

from __future__ import annotations

import torch
from torch import nn

from qaug.models._gan_config import GANConfig, _check_positive
from qaug.models._init import make_linear, resolve_generator
from qaug.models._latent import LatentQGANGenerator

__all__ = ["CodeMLP", "ClassicalLatentGenerator", "build_latent_mlp_gan",
           "latent_mlp_hidden_for_params"]


class CodeMLP(nn.Module):
    """``(n, n_in)`` -> Linear -> tanh -> Linear -> tanh -> ``(n, n_out)`` in [-1, 1]."""

    def __init__(self, n_in: int, hidden: int, n_out: int, *,
                 generator: torch.Generator | None = None):
        super().__init__()
        for name, v in (("n_in", n_in), ("hidden", hidden), ("n_out", n_out)):
            _check_positive(f"latent_mlp {name}", v)
        g = resolve_generator(generator)
        self.net = nn.Sequential(make_linear(n_in, hidden, g), nn.Tanh(),
                                 make_linear(hidden, n_out, g), nn.Tanh())
        self.n_outputs = n_out

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``(n, n_in)`` -> ``(n, n_out)``."""
        return self.net(z)


class ClassicalLatentGenerator(LatentQGANGenerator):
    """``LatentQGANGenerator`` whose circuits are a ``CodeMLP`` of width ``hidden``.

    Args:
        image_size, n_qubits, n_generators, ae_channels, ae_epochs: as for
            ``LatentQGANGenerator`` (``n_qubits`` is the noise size, ``n_generators *
            n_qubits`` the code size, so both kinds decode codes of the same size).
        hidden: width of the MLP.
        generator: CPU ``torch.Generator`` for the initial weights.

    Example:
        >>> G = ClassicalLatentGenerator(8, hidden=5)
        >>> sum(p.numel() for p in G.parameters() if p.requires_grad)
        121
    """

    def __init__(self, image_size: int = 8, n_qubits: int = 4, n_generators: int = 4,
                 hidden: int = 5, ae_channels: tuple[int, int] = (16, 32), ae_epochs: int = 150,
                 *, generator: torch.Generator | None = None):
        g = resolve_generator(generator)
        super().__init__(image_size, n_qubits, 1, n_generators, 0, ae_channels, ae_epochs,
                         generator=g)
        self.circuits = CodeMLP(n_qubits, hidden, n_generators * n_qubits, generator=g)


def latent_mlp_hidden_for_params(target: int, n_in: int = 4, n_out: int = 16,
                                 tolerance: float = 0.10) -> int:
    """The MLP width whose trainable count ``(n_in + 1) h + (h + 1) n_out`` is closest to target.

    Raises:
        ValueError: even the closest width is off by more than ``tolerance``.

    Example:
        >>> latent_mlp_hidden_for_params(128)
        5
    """
    _check_positive("target", target)
    per = n_in + 1 + n_out
    h = max(1, round((target - n_out) / per))
    count = per * h + n_out
    if abs(count - target) > tolerance * target:
        raise ValueError(f"no latent_mlp width gives {target} parameters within {tolerance:.0%} "
                         f"(closest: width {h}, {count}); change the target or the code size.")
    return h


def build_latent_mlp_gan(image_size: int, config: GANConfig, generator: torch.Generator):
    """``(ClassicalLatentGenerator, discriminator)``; the discriminator is the latent kind's."""
    from qaug.models._gan_build import build_discriminator

    G = ClassicalLatentGenerator(image_size, config.n_qubits, config.n_generators,
                                 config.gan_hidden[0], config.ae_channels, config.ae_epochs,
                                 generator=generator)
    return G, build_discriminator("latent", image_size, config, generator)
