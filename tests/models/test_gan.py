import dataclasses

import pytest
import torch

from qaug._seed import make_generator
from qaug.models import (
    GENERATOR_KINDS,
    CNNDiscriminator,
    DCGANDiscriminator,
    DCGANGenerator,
    GANConfig,
    MLPDiscriminator,
    MLPGenerator,
    QGANGenerator,
    build_gan,
    count_parameters,
    dcgan_width_for_params,
)


def gen(seed=0):
    return make_generator(seed, "test")


def _config(kind, size):
    post = 0 if (kind != "qgan" or size == 8) else 32
    return GANConfig(kind=kind, post_hidden=post)


@pytest.mark.parametrize("kind", GENERATOR_KINDS)
@pytest.mark.parametrize("size", [8, 16, 28])
def test_build_gan_shapes_and_range(kind, size):
    G, D = build_gan(kind, size, _config(kind, size), generator=gen())
    assert G.image_size == size
    if hasattr(G, "fit_data"):  # data-fitted kinds (MosaiQ's PCA) see images first
        G.fit_data(torch.rand(64, 1, size, size, generator=gen(2)), generator=gen(3))
    z = G.sample_latent(5, gen(1))
    assert z.shape == (5, G.latent_dim) and z.device.type == "cpu"
    x = G(z).detach()
    assert x.shape == (5, 1, size, size) and x.dtype == torch.float32
    assert 0 <= float(x.min()) and float(x.max()) <= 1
    logits = D(x)
    assert logits.shape == (5, 1)
    # gradients reach every trainable generator parameter through the discriminator
    D(G(z)).sum().backward()
    trained = [p for p in G.parameters() if p.requires_grad]
    assert trained and all(p.grad is not None and torch.isfinite(p.grad).all() for p in trained)


@pytest.mark.parametrize("kind", GENERATOR_KINDS)
def test_build_gan_is_seeded_and_leaves_global_rng_alone(kind):
    state = torch.get_rng_state()
    G1, D1 = build_gan(kind, 8, GANConfig(kind=kind), generator=gen(3))
    assert torch.equal(state, torch.get_rng_state())
    G2, D2 = build_gan(kind, 8, GANConfig(kind=kind), generator=gen(3))
    G3, _ = build_gan(kind, 8, GANConfig(kind=kind), generator=gen(4))
    for a, b in zip(G1.state_dict().values(), G2.state_dict().values()):
        assert torch.equal(a, b)
    for a, b in zip(D1.state_dict().values(), D2.state_dict().values()):
        assert torch.equal(a, b)
    assert any(not torch.equal(a, b) for a, b in zip(G1.parameters(), G3.parameters()))


def test_latent_distributions():
    G, _ = build_gan("qgan", 8, GANConfig(), generator=gen())
    z = G.sample_latent(1000, gen(2))
    assert G.latent_dim == 5 and 0 <= float(z.min()) and float(z.max()) < torch.pi / 2
    assert torch.equal(z, G.sample_latent(1000, gen(2)))
    G, _ = build_gan("gan", 8, GANConfig(kind="gan", latent_dim=7), generator=gen())
    z = G.sample_latent(4000, gen(2))
    assert G.latent_dim == 7 and abs(float(z.mean())) < 0.05 and abs(float(z.std()) - 1) < 0.05


def test_discriminator_choices():
    cases = {
        "auto": MLPDiscriminator,
        "mlp": MLPDiscriminator,
        "cnn": CNNDiscriminator,
        "dcgan": DCGANDiscriminator,
    }
    for choice, cls in cases.items():
        _, D = build_gan("gan", 8, GANConfig(kind="gan", discriminator=choice), generator=gen())
        assert type(D) is cls
    _, D = build_gan("dcgan", 8, GANConfig(kind="dcgan"), generator=gen())
    assert type(D) is DCGANDiscriminator
    G, _ = build_gan("qgan", 8, GANConfig(), generator=gen())
    assert type(G) is QGANGenerator


def test_mlp_discriminator_is_the_demo_network_at_8x8():
    D = MLPDiscriminator(8, generator=gen())
    linears = [m for m in D.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(64, 64), (64, 16), (16, 1)]
    D28 = MLPDiscriminator(28, generator=gen())
    assert [m.in_features for m in D28.modules() if isinstance(m, torch.nn.Linear)] == [
        784,
        256,
        64,
    ]


def test_qgan_patch_scale_default():
    G, _ = build_gan("qgan", 8, GANConfig(), generator=gen())
    assert count_parameters(G) == {"quantum": 120, "classical": 4, "total": 124}
    bare, _ = build_gan("qgan", 8, GANConfig(patch_scale=False), generator=gen())
    assert count_parameters(bare) == {"quantum": 120, "classical": 0, "total": 120}
    # brightness sigmoid(0) = 1/2 at the start: the bare demo output halved
    z = G.sample_latent(3, gen(1))
    torch.testing.assert_close(G(z).detach(), bare(z).detach() / 2)


def test_kind_argument_wins_over_config_kind():
    G, D = build_gan("dcgan", 8, GANConfig(kind="qgan"), generator=gen())
    assert isinstance(G, DCGANGenerator)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"kind": "vae"}, "kind must be one of"),
        ({"discriminator": "transformer"}, "discriminator must be one of"),
        ({"post_hidden": -1}, "post_hidden"),
        ({"latent_dim": 0}, "latent_dim"),
        ({"dcgan_width": 0}, "dcgan_width"),
        ({"gan_hidden": ()}, "gan_hidden"),
        ({"disc_hidden": (64, 0)}, "disc_hidden"),
    ],
)
def test_gan_config_rejects_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GANConfig(**kwargs)


def test_build_gan_rejects_bad_input():
    with pytest.raises(ValueError, match="kind must be one of"):
        build_gan("vae", 8, GANConfig(), generator=gen())
    with pytest.raises(TypeError, match="GANConfig"):
        build_gan("gan", 8, {"kind": "gan"}, generator=gen())
    with pytest.raises(ValueError, match="multiple of 4"):
        build_gan("dcgan", 10, GANConfig(kind="dcgan"), generator=gen())
    with pytest.raises(ValueError, match="image_size"):
        build_gan("gan", 2, GANConfig(kind="gan"), generator=gen())
    # a QGAN cannot produce 16x16 from 64 patch pixels without a post-network
    with pytest.raises(ValueError, match="post-network"):
        build_gan("qgan", 16, GANConfig(), generator=gen())


@pytest.mark.parametrize("size", [8, 16, 28])
def test_dcgan_width_for_params_picks_the_closest_width(size):
    q, _ = build_gan("qgan", size, GANConfig(post_hidden=0 if size == 8 else 32), generator=gen())
    target = 2 * count_parameters(q)["total"]
    w = dcgan_width_for_params(target, size, latent_dim=16)

    def n(width):
        return count_parameters(DCGANGenerator(16, size, width, generator=gen()))["total"]

    best = min(range(1, 64), key=lambda k: abs(n(k) - target))
    assert w == best
    assert abs(n(w) - target) <= abs(n(w + 1) - target)


def test_mlp_generator_hidden_widths():
    G = MLPGenerator(8, 8, (32,), generator=gen())
    assert count_parameters(G)["total"] == 8 * 32 + 32 + 32 * 64 + 64
    cfg = dataclasses.replace(GANConfig(kind="gan"), gan_hidden=(16, 16))
    G, _ = build_gan("gan", 8, cfg, generator=gen())
    assert [m.out_features for m in G.modules() if isinstance(m, torch.nn.Linear)] == [16, 16, 64]
