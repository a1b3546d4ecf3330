"""The parameter-matched conv generator: shapes, exact parameter counts, sizing, bad input."""

import pytest
import torch

from qaug._seed import make_generator
from qaug.models import (
    GANConfig,
    UpConvGenerator,
    build_gan,
    count_parameters,
    upconv_config_for_params,
    upconv_parameter_count,
)


@pytest.mark.parametrize("size", [8, 10, 16, 28])
def test_shape_range_and_count(size):
    G = UpConvGenerator(6, size, 3, generator=make_generator(0, "init"))
    with torch.no_grad():
        x = G(G.sample_latent(5, make_generator(0, "noise")))
    assert x.shape == (5, 1, size, size)
    assert float(x.min()) >= 0 and float(x.max()) <= 1
    assert count_parameters(G)["total"] == upconv_parameter_count(size, 3, 6)
    assert count_parameters(G)["quantum"] == 0


@pytest.mark.parametrize("target, size", [(124, 8), (496, 16), (1519, 28), (5000, 28), (300, 8)])
def test_sizing_within_ten_percent(target, size):
    cfg = upconv_config_for_params(target, size)
    G, D = build_gan("upconv", size, cfg, generator=make_generator(0, "init"))
    n = count_parameters(G)["total"]
    assert abs(n - target) <= 0.1 * target
    assert cfg.kind == "upconv" and G.width == cfg.dcgan_width and G.latent_dim == cfg.latent_dim
    assert D(G(G.sample_latent(2, make_generator(1, "z")))).shape == (2, 1)


def test_sizing_prefers_width_and_keeps_other_fields():
    cfg = upconv_config_for_params(1519, 28, GANConfig(discriminator="cnn"))
    assert (cfg.dcgan_width, cfg.latent_dim, cfg.discriminator) == (5, 4, "cnn")


def test_same_seed_same_weights():
    a, _ = build_gan("upconv", 16, upconv_config_for_params(496, 16), generator=make_generator(3))
    b, _ = build_gan("upconv", 16, upconv_config_for_params(496, 16), generator=make_generator(3))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_target_too_small():
    with pytest.raises(ValueError, match="smallest has 265"):
        upconv_config_for_params(140, 28)
    with pytest.raises(ValueError, match="positive integer"):
        upconv_config_for_params(0, 28)
