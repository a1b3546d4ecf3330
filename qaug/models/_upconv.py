"""A small classical conv generator sized to a parameter budget (the parameter-matched baseline).

Why a conv net: to compare a quantum generator with a classical one of the *same* trainable
count, the classical one must reach 8x8 to 28x28 pixels on a budget of about 100 to a few
thousand parameters. An MLP cannot: its output layer alone costs ``hidden * H*W + H*W``
(already 1,569 parameters at 28x28 with a single hidden unit), so a matched MLP is a one-unit
bottleneck. Convolutions share weights across the image, as the patch circuits do::

    z (n, L) -Linear-> (n, c*b*b) -ReLU-> (n, c, b, b)       b = ceil(H / 4)
      -upsample x2 (nearest)-> (n, c, 2b, 2b) -conv3x3 c->c-> -ReLU->
      -upsample to H (nearest)-> (n, c, H, H) -conv3x3 c->1-> -sigmoid-> (n, 1, H, W)

Trainable parameters: ``c b^2 (L + 1) + 9 c^2 + c + 9 c + 1``.
:func:`upconv_config_for_params` picks the width ``c`` and latent size ``L`` that land within
10% of a target (e.g. the QGAN generator's count).
"""

from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn.functional as F
from torch import nn

from qaug.models._gan_config import GANConfig, _check_image_size, _check_positive
from qaug.models._init import make_conv2d, make_linear, resolve_generator

__all__ = ["UpConvGenerator", "upconv_parameter_count", "upconv_config_for_params",
           "build_upconv", "MATCH_TOLERANCE"]

MATCH_TOLERANCE = 0.10  # "parameter-matched": within 10% of the target count
_MIN_LATENT, _MAX_LATENT, _MAX_WIDTH = 4, 64, 64


def _base(image_size: int) -> int:
    return math.ceil(_check_image_size(image_size) / 4)


def upconv_parameter_count(image_size: int, width: int, latent_dim: int) -> int:
    """Trainable parameters of ``UpConvGenerator(latent_dim, image_size, width)``."""
    b, c = _base(image_size), width
    return c * b * b * (latent_dim + 1) + 9 * c * c + c + 9 * c + 1


class UpConvGenerator(nn.Module):
    """Linear -> two (nearest upsample, 3x3 conv) stages: N(0, 1) noise -> ``(n, 1, H, W)``.

    Args:
        latent_dim: size L of the N(0, 1) noise.
        image_size: side H = W of the output (>= 4; any size, the last upsampling goes to H).
        width: channel count c of the hidden feature maps.
        generator: CPU ``torch.Generator`` for the initial weights (PyTorch's default
            uniform initialisation, drawn from it).

    Example:
        >>> G = UpConvGenerator(8, 28, 4)
        >>> tuple(G(G.sample_latent(2, torch.Generator().manual_seed(0))).shape)
        (2, 1, 28, 28)
    """

    def __init__(self, latent_dim: int = 16, image_size: int = 8, width: int = 4, *,
                 generator: torch.Generator | None = None):
        super().__init__()
        _check_positive("latent_dim", latent_dim)
        _check_positive("width", width)
        self.latent_dim, self.image_size, self.width = latent_dim, image_size, width
        self._b = _base(image_size)
        g = resolve_generator(generator)
        self.fc = make_linear(latent_dim, width * self._b * self._b, g)
        self.conv1 = make_conv2d(width, width, 3, g, padding=1)
        self.conv2 = make_conv2d(width, 1, 3, g, padding=1)

    def sample_latent(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Standard normal noise ``(n, latent_dim)`` drawn on the CPU from ``generator``."""
        return torch.randn(n, self.latent_dim, generator=generator)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``(n, latent_dim)`` -> ``(n, 1, H, W)`` in [0, 1]."""
        h = F.relu(self.fc(z)).view(-1, self.width, self._b, self._b)  # (n, c, b, b)
        h = F.interpolate(h, scale_factor=2, mode="nearest")  # (n, c, 2b, 2b)
        h = F.relu(self.conv1(h))
        h = F.interpolate(h, size=(self.image_size, self.image_size), mode="nearest")
        return torch.sigmoid(self.conv2(h))  # (n, 1, H, W)


def build_upconv(image_size: int, config: GANConfig, generator: torch.Generator):
    """``(G, D)`` of kind ``"upconv"`` (``build_gan``'s builder): width ``config.dcgan_width``.

    The discriminator follows ``config.discriminator`` ("auto": the MLP one, as for the QGAN,
    so a matched comparison differs in the generator only).
    """
    from qaug.models._gan_build import build_discriminator  # _gan_build names this module

    G = UpConvGenerator(config.latent_dim, image_size, config.dcgan_width, generator=generator)
    return G, build_discriminator("upconv", image_size, config, generator)


def upconv_config_for_params(target: int, image_size: int, config: GANConfig | None = None,
                             *, tolerance: float = MATCH_TOLERANCE) -> GANConfig:
    """A ``GANConfig(kind="upconv")`` whose generator has about ``target`` trainable parameters.

    Picks the widest ``dcgan_width`` (channels c, more capacity in the convolutions) for which
    some latent size ``L`` in [4, 64] lands within ``tolerance`` of ``target``, and the ``L``
    closest to it. Other fields come from ``config`` (e.g. the discriminator).

    Raises:
        ValueError: no (c, L) lands within the tolerance (target too small for this image:
            the smallest is c = 1, L = 4).

    Example:
        >>> cfg = upconv_config_for_params(1519, 28)   # the 28x28 patch QGAN's count
        >>> cfg.dcgan_width, cfg.latent_dim, upconv_parameter_count(28, 5, 4)
        (5, 4, 1501)
    """
    _check_positive("target", target)
    best = None
    for c in range(1, _MAX_WIDTH + 1):
        counts = {L: upconv_parameter_count(image_size, c, L)
                  for L in range(_MIN_LATENT, _MAX_LATENT + 1)}
        L = min(counts, key=lambda k: (abs(counts[k] - target), k))
        if abs(counts[L] - target) <= tolerance * target:
            best = (c, L)
        if counts[_MIN_LATENT] > (1 + tolerance) * target:
            break
    if best is None:
        smallest = upconv_parameter_count(image_size, 1, _MIN_LATENT)
        raise ValueError(
            f"no upconv generator at {image_size}x{image_size} has {target} parameters within "
            f"{tolerance:.0%}; the smallest has {smallest}. Match a larger generator, or raise "
            "the tolerance."
        )
    base = GANConfig(kind="upconv") if config is None else dataclasses.replace(config,
                                                                               kind="upconv")
    return dataclasses.replace(base, dcgan_width=best[0], latent_dim=best[1])
