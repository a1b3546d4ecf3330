"""Classical GAN networks (MLP GAN, DCGAN) and the discriminators (``build_gan``: _gan_build).

Every generator has ``.latent_dim``, ``.image_size``, ``sample_latent(n, generator) -> z``
(drawn on the CPU from the caller's ``torch.Generator``) and ``forward(z) -> (n, 1, H, W)``
in [0, 1]. Every discriminator maps images ``(n, 1, H, W)`` to one logit ``(n, 1)`` (the
sigmoid of the demo's discriminator lives in the loss, ``BCEWithLogits``, for stability).

Weights are drawn from an explicit generator: PyTorch's default U(-1/sqrt(fan_in), ..) for
the MLPs and the small CNN (``qaug.models._init``), N(0, 0.02) for DCGAN convolutions and
N(1, 0.02) for its batch-norm scales (Radford et al. 2016, section 4).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import skip_init

from qaug.models._gan_config import (
    DEFAULT_POST_HIDDEN,
    DISCRIMINATOR_KINDS,
    GENERATOR_KINDS,
    GANConfig,
    _check_image_size,
    _check_positive,
    fit_qgan_to_image,
)
from qaug.models._init import make_conv2d, make_linear, resolve_generator

__all__ = [
    "GENERATOR_KINDS",
    "DISCRIMINATOR_KINDS",
    "GANConfig",
    "MLPGenerator",
    "MLPDiscriminator",
    "CNNDiscriminator",
    "DCGANGenerator",
    "DCGANDiscriminator",
    "fit_qgan_to_image",
    "DEFAULT_POST_HIDDEN",
]

def _mlp(sizes: list[int], generator: torch.Generator, act: nn.Module) -> list[nn.Module]:
    """Linear layers ``sizes[0] -> ... -> sizes[-1]`` with ``act`` between them (not after)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(make_linear(a, b, generator))
        if i < len(sizes) - 2:
            layers.append(act)
    return layers


class MLPGenerator(nn.Module):
    """Fully connected generator: N(0, 1) noise ``(n, latent_dim)`` -> images ``(n, 1, H, W)``.

    ``latent -> hidden[0] -> ... -> H*W`` with ReLU between layers and a sigmoid at the end.
    """

    def __init__(
        self,
        latent_dim: int = 16,
        image_size: int = 8,
        hidden: tuple[int, ...] = (64, 128),
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        _check_positive("latent_dim", latent_dim)
        self.latent_dim = latent_dim
        self.image_size = _check_image_size(image_size)
        g = resolve_generator(generator)
        sizes = [latent_dim, *hidden, image_size * image_size]
        self.net = nn.Sequential(*_mlp(sizes, g, nn.ReLU()), nn.Sigmoid())

    def sample_latent(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Standard normal noise ``(n, latent_dim)`` drawn on the CPU from ``generator``."""
        return torch.randn(n, self.latent_dim, generator=generator)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``(n, latent_dim)`` -> ``(n, 1, H, W)`` in [0, 1]."""
        return self.net(z).view(-1, 1, self.image_size, self.image_size)


class MLPDiscriminator(nn.Module):
    """Fully connected discriminator: ``(n, 1, H, W)`` -> logits ``(n, 1)``.

    Default widths scale with the image: ``H*W -> min(H*W, 256) -> that // 4 -> 1`` with ReLU,
    which is the PennyLane demo's 64-64-16-1 network at 8x8.
    """

    def __init__(
        self,
        image_size: int = 8,
        hidden: tuple[int, ...] = (),
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        self.image_size = _check_image_size(image_size)
        n_pix = image_size * image_size
        if not hidden:
            h = min(n_pix, 256)
            hidden = (h, max(h // 4, 1))
        g = resolve_generator(generator)
        self.net = nn.Sequential(nn.Flatten(), *_mlp([n_pix, *hidden, 1], g, nn.ReLU()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(n, 1, H, W)`` -> ``(n, 1)`` logits."""
        return self.net(x)


class CNNDiscriminator(nn.Module):
    """Small conv discriminator: two 3x3 stride-2 convs with LeakyReLU(0.2), then a linear logit."""

    def __init__(
        self,
        image_size: int = 8,
        channels: tuple[int, int] = (8, 16),
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        self.image_size = _check_image_size(image_size)
        g = resolve_generator(generator)
        c1, c2 = channels
        side = image_size
        for _ in range(2):
            side = (side + 2 * 1 - 3) // 2 + 1  # conv output size, kernel 3, stride 2, padding 1
        self.net = nn.Sequential(
            make_conv2d(1, c1, 3, g, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            make_conv2d(c1, c2, 3, g, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Flatten(),  # (n, c2 * side * side)
            make_linear(c2 * side * side, 1, g),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(n, 1, H, W)`` -> ``(n, 1)`` logits."""
        return self.net(x)


def _dcgan_init_(module: nn.Module, generator: torch.Generator) -> nn.Module:
    """DCGAN initialisation: conv weights N(0, 0.02), batch-norm scales N(1, 0.02), biases 0."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                m.weight.normal_(0.0, 0.02, generator=generator)
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.normal_(1.0, 0.02, generator=generator)
                m.bias.zero_()
                m.reset_running_stats()
    return module


def _dcgan_base(image_size: int) -> int:
    """Side of the first DCGAN feature map: two stride-2 stages, so the image must be 4k."""
    _check_image_size(image_size)
    if image_size % 4:
        raise ValueError(
            f"the DCGAN generator/discriminator upsample by 2 twice, so image_size must be a "
            f"multiple of 4 (8, 12, 16, 28, ...); got {image_size}. Use --generator gan, or "
            "choose another --image-size."
        )
    return image_size // 4


class DCGANGenerator(nn.Module):
    """Transposed-conv generator (Radford et al. 2016), N(0, 1) noise -> ``(n, 1, H, W)``.

    ``z (n, latent, 1, 1) -ConvT(k=H/4)-> (n, 2w, H/4, H/4) -ConvT(4,2,1)-> (n, w, H/2, H/2)
    -ConvT(4,2,1)-> (n, 1, H, W)``; batch norm + ReLU between stages, sigmoid at the end.
    """

    def __init__(
        self,
        latent_dim: int = 16,
        image_size: int = 8,
        width: int = 8,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        _check_positive("latent_dim", latent_dim)
        _check_positive("width", width)
        base = _dcgan_base(image_size)
        self.latent_dim, self.image_size, self.width = latent_dim, image_size, width

        def convt(a, b, k, s, p, bias):
            return skip_init(nn.ConvTranspose2d, a, b, k, s, p, bias=bias)

        self.net = nn.Sequential(
            convt(latent_dim, 2 * width, base, 1, 0, False),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(),
            convt(2 * width, width, 4, 2, 1, False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            convt(width, 1, 4, 2, 1, True),
            nn.Sigmoid(),
        )
        _dcgan_init_(self, resolve_generator(generator))

    def sample_latent(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Standard normal noise ``(n, latent_dim)`` drawn on the CPU from ``generator``."""
        return torch.randn(n, self.latent_dim, generator=generator)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``(n, latent_dim)`` -> ``(n, 1, H, W)`` in [0, 1]."""
        return self.net(z.view(z.shape[0], self.latent_dim, 1, 1))


class DCGANDiscriminator(nn.Module):
    """Conv discriminator mirroring ``DCGANGenerator``: ``(n, 1, H, W)`` -> logits ``(n, 1)``.

    ``Conv(4,2,1) -> (n, w, H/2) -> Conv(4,2,1) + BN -> (n, 2w, H/4) -> Conv(k=H/4) -> (n, 1)``,
    LeakyReLU(0.2) between stages.
    """

    def __init__(
        self, image_size: int = 8, width: int = 8, *, generator: torch.Generator | None = None
    ):
        super().__init__()
        _check_positive("width", width)
        base = _dcgan_base(image_size)
        self.image_size, self.width = image_size, width

        def conv(a, b, k, s, p, bias):
            return skip_init(nn.Conv2d, a, b, k, s, p, bias=bias)

        self.net = nn.Sequential(
            conv(1, width, 4, 2, 1, True),
            nn.LeakyReLU(0.2),
            conv(width, 2 * width, 4, 2, 1, False),
            nn.BatchNorm2d(2 * width),
            nn.LeakyReLU(0.2),
            conv(2 * width, 1, base, 1, 0, True),  # (n, 1, 1, 1)
            nn.Flatten(),  # (n, 1)
        )
        _dcgan_init_(self, resolve_generator(generator))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(n, 1, H, W)`` -> ``(n, 1)`` logits."""
        return self.net(x)
