"""``build_gan``: one entry point that builds the (G, D) pair of every generator kind."""

from __future__ import annotations

import importlib

import torch
from torch import nn

from qaug.models._gan import (
    CNNDiscriminator,
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    _dcgan_base,
)
from qaug.models._gan_config import (
    GENERATOR_KINDS,
    GANConfig,
    _check_image_size,
    _check_positive,
)
from qaug.models._init import resolve_generator

__all__ = ["build_gan", "build_discriminator", "GENERATOR_BUILDERS", "dcgan_width_for_params"]


def _build_qgan(image_size: int, config: GANConfig, g: torch.Generator) -> nn.Module:
    from qaug.models._qgan import QGANGenerator  # _qgan imports this module

    return QGANGenerator(
        image_size,
        n_qubits=config.n_qubits,
        n_ancillas=config.n_ancillas,
        depth=config.depth,
        n_generators=config.n_generators,
        post_hidden=config.post_hidden,
        patch_scale=config.patch_scale,
        generator=g,
    )


def _build_mlp(image_size: int, config: GANConfig, g: torch.Generator) -> nn.Module:
    return MLPGenerator(config.latent_dim, image_size, config.gan_hidden, generator=g)


def _build_dcgan(image_size: int, config: GANConfig, g: torch.Generator) -> nn.Module:
    return DCGANGenerator(config.latent_dim, image_size, config.dcgan_width, generator=g)


# How each generator kind of ``qaug._registry.GENERATOR_KINDS`` is built: a function
# ``(image_size, config, generator) -> G`` (its discriminator follows ``config.discriminator``;
# "auto" picks ``_AUTO_DISCRIMINATOR[kind]``, else "mlp"), or a dotted path
# "module:function" to ``(image_size, config, generator) -> (G, D)`` imported on first use, so
# a new kind is one entry here plus its module. A test checks every kind has a builder.
GENERATOR_BUILDERS: dict[str, object] = {
    "qgan": _build_qgan,
    "gan": _build_mlp,
    "dcgan": _build_dcgan,
    "upconv": "qaug.models._upconv:build_upconv",
    "latent_mlp": "qaug.models._latent_mlp:build_latent_mlp_gan",
    "pqwgan": "qaug.models._pqwgan:build_pqwgan",
    "mosaiq": "qaug.models._mosaiq:build_mosaiq",
    "latent": "qaug.models._latent:build_latent_gan",
}
_AUTO_DISCRIMINATOR = {"dcgan": "dcgan", "latent": "cnn"}


def build_discriminator(
    kind: str, image_size: int, config: GANConfig, generator: torch.Generator | None = None
) -> nn.Module:
    """The discriminator ``config.discriminator`` names (``"auto"``: the kind's usual one)."""
    g = resolve_generator(generator)
    choice = config.discriminator
    if choice == "auto":
        choice = _AUTO_DISCRIMINATOR.get(kind, "mlp")
    if choice == "mlp":
        return MLPDiscriminator(image_size, config.disc_hidden, generator=g)
    if choice == "cnn":
        return CNNDiscriminator(image_size, config.disc_channels, generator=g)
    return DCGANDiscriminator(image_size, config.dcgan_width, generator=g)


def _resolve_builder(kind: str):
    builder = GENERATOR_BUILDERS.get(kind)
    if builder is None:
        raise ValueError(
            f"generator kind {kind!r} has no builder; register one in "
            "qaug.models._gan_build.GENERATOR_BUILDERS."
        )
    if isinstance(builder, str):
        module, _, name = builder.partition(":")
        builder = getattr(importlib.import_module(module), name)
        return builder, True
    return builder, False


def build_gan(
    kind: str,
    image_size: int,
    config: GANConfig | None = None,
    *,
    generator: torch.Generator | None = None,
) -> tuple[nn.Module, nn.Module]:
    """Build a generator and its discriminator, weights drawn from ``generator``.

    Args:
        kind: one of ``GENERATOR_KINDS``: ``"qgan"`` (patch quantum generator + optional
            post-network), ``"gan"`` (MLP), ``"dcgan"`` (transposed convs), ``"latent"`` (VQC
            -> frozen autoencoder decoder, see ``qaug.models.LatentQGANGenerator``), ...;
            takes precedence over ``config.kind``.
        image_size: side H = W of the images to produce.
        config: architecture (``GANConfig()`` when None).
        generator: CPU ``torch.Generator`` for the initial weights (G first, then D).

    Returns:
        ``(G, D)``: ``G(z)`` ``(n, latent_dim)`` -> ``(n, 1, H, W)``; ``D(x)`` -> ``(n, 1)`` logits.

    Example:
        >>> from qaug._seed import make_generator
        >>> G, D = build_gan("gan", 8, GANConfig(kind="gan"), generator=make_generator(0, "init"))
        >>> z = G.sample_latent(3, make_generator(0, "noise"))
        >>> tuple(G(z).shape), tuple(D(G(z)).shape)
        ((3, 1, 8, 8), (3, 1))
    """
    if kind not in GENERATOR_KINDS:
        raise ValueError(f"kind must be one of {list(GENERATOR_KINDS)}; got {kind!r}.")
    config = GANConfig() if config is None else config
    if not isinstance(config, GANConfig):
        raise TypeError(f"config must be a GANConfig; got {type(config).__name__}.")
    _check_image_size(image_size)
    g = resolve_generator(generator)
    builder, returns_pair = _resolve_builder(kind)
    if returns_pair:
        return builder(image_size, config, g)
    return builder(image_size, config, g), build_discriminator(kind, image_size, config, g)


def dcgan_width_for_params(
    target: int, image_size: int, latent_dim: int = 16, max_width: int = 512
) -> int:
    """The DCGAN generator width whose trainable parameter count is closest to ``target``.

    Used to build the paper's comparison "QGAN matches a DCGAN with twice its parameters":
    ``dcgan_width_for_params(2 * qgan_generator_params, image_size)``.
    """
    _check_positive("target", target)
    base = _dcgan_base(image_size)

    def count(w: int) -> int:
        # ConvT(latent->2w, k=base, no bias) + BN(2w) + ConvT(2w->w, k=4, no bias) + BN(w)
        # + ConvT(w->1, k=4, bias)
        return latent_dim * 2 * w * base * base + 4 * w + 2 * w * w * 16 + 2 * w + w * 16 + 1

    best = min(range(1, max_width + 1), key=lambda w: (abs(count(w) - target), w))
    return best
