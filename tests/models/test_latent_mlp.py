"""latent_mlp: the latent kind's classical control (same decoder, MLP instead of circuits)."""

import pytest
import torch

from qaug._seed import make_generator
from qaug.models import build_gan, count_parameters, default_gan_config
from qaug.models._latent_mlp import latent_mlp_hidden_for_params


@pytest.mark.parametrize("size", [8, 16, 28])
def test_matches_latent_count_and_discriminator(size):
    g1, g2 = make_generator(0, "a"), make_generator(0, "b")
    G, D = build_gan("latent_mlp", size, default_gan_config("latent_mlp"), generator=g1)
    Gq, Dq = build_gan("latent", size, default_gan_config("latent"), generator=g2)
    n, nq = count_parameters(G), count_parameters(Gq)
    assert n["quantum"] == 0 and abs(n["total"] - nq["total"]) <= 0.1 * nq["total"]
    assert type(D) is type(Dq) and count_parameters(D) == count_parameters(Dq)
    assert G.latent_dim == Gq.latent_dim and G.code_dim == Gq.code_dim
    with torch.no_grad():
        x = G(G.sample_latent(3, make_generator(1, "z")))
    assert x.shape == (3, 1, size, size) and 0 <= float(x.min()) <= float(x.max()) <= 1


def test_fit_data_trains_decoder_then_only_mlp_is_trainable():
    G, _ = build_gan("latent_mlp", 8, default_gan_config("latent_mlp", ae_epochs=2),
                     generator=make_generator(0, "init"))
    x = torch.rand(20, 1, 8, 8, generator=make_generator(0, "x"))
    before = G.decoder[0].weight.clone() if hasattr(G.decoder[0], "weight") else None
    info = G.fit_data(x, generator=make_generator(0, "fit"))
    assert info["ae_epochs"] == 2
    trainable = [n for n, p in G.named_parameters() if p.requires_grad]
    assert trainable and all(n.startswith("circuits.") for n in trainable)
    if before is not None:
        assert not torch.equal(before, G.decoder[0].weight)


def test_hidden_sizing():
    assert latent_mlp_hidden_for_params(128) == 5
    with pytest.raises(ValueError, match="no latent_mlp width"):
        latent_mlp_hidden_for_params(20)
