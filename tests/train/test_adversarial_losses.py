"""WGAN-GP, best-checkpoint selection and the fit_data hook of the adversarial loop."""

import math

import pytest
import torch
from test_adversarial import assert_same, build, cfg, interrupt_after, real_data, weights
from torch import nn

from qaug._seed import make_generator
from qaug.models import GANConfig, build_gan
from qaug.train import AdversarialConfig, default_adversarial_config, selection_score, train_gan
from qaug.train._adversarial_losses import discriminator_loss, generator_loss, gradient_penalty


def test_wgan_gp_config_and_defaults():
    c = default_adversarial_config("gan", loss="wgan-gp")
    assert (c.optimizer, c.betas, c.n_critic, c.lambda_gp) == ("adam", (0.0, 0.9), 5, 10.0)
    assert default_adversarial_config("gan", loss="wgan-gp", n_critic=2).n_critic == 2
    assert default_adversarial_config("qgan").select_best is False  # the demo's last iterate
    with pytest.raises(ValueError, match="lambda_gp must be a number >= 0"):
        AdversarialConfig(lambda_gp=-1.0)
    with pytest.raises(ValueError, match="select_best must be true or false"):
        AdversarialConfig(select_best="yes")
    with pytest.raises(ValueError, match="wgan-gp"):
        AdversarialConfig(loss="wasserstein")


def test_gradient_penalty_matches_a_linear_critic():
    # D(x) = w . x has gradient w everywhere: penalty (|w| - 1)^2 exactly.
    D = nn.Sequential(nn.Flatten(), nn.Linear(4, 1, bias=False))
    with torch.no_grad():
        D[1].weight.copy_(torch.tensor([[3.0, 0.0, 4.0, 0.0]]))
    real, fake = torch.rand(5, 1, 2, 2), torch.rand(5, 1, 2, 2)
    gp = gradient_penalty(D, real, fake, torch.rand(5))
    assert gp.item() == pytest.approx(16.0)
    d_r, d_f = torch.tensor([[2.0], [4.0]]), torch.tensor([[1.0], [0.0]])
    assert discriminator_loss("wgan-gp", d_r, d_f).item() == pytest.approx(0.5 - 3.0)
    assert discriminator_loss("wgan-gp", d_r, d_f, penalty=gp, lambda_gp=0.5).item() == (
        pytest.approx(-2.5 + 8.0)
    )
    assert generator_loss("wgan-gp", d_f).item() == pytest.approx(-0.5)


def test_selection_score():
    assert selection_score({"fid": 3.0, "diversity_ratio": 0.25}) == 12.0
    assert selection_score({"fid": 3.0, "diversity_ratio": 2.0}) == 3.0
    assert math.isinf(selection_score({"fid": 3.0, "diversity_ratio": 0.0}))
    assert math.isinf(selection_score({"mean": 1.0}))


def fake_quality(scores):
    """Quality callable giving FIDs from a list, in call order (diversity ratio 1)."""
    it = iter(scores)
    return lambda x: {"fid": next(it), "diversity_ratio": 1.0}


@pytest.mark.parametrize("kind", ["gan", "dcgan"])
def test_wgan_gp_trains_and_resumes_bit_exactly(kind, tmp_path):
    c = cfg(kind, loss="wgan-gp", n_critic=2, iterations=9, lr_g=1e-3, lr_d=1e-3)
    assert c.betas == (0.0, 0.9)
    G, D = build(kind)
    full = train_gan(G, D, real_data(), c, seed=2, out_dir=tmp_path / "full")
    assert all(math.isfinite(v) for v in full.history["loss_d"])
    G1, D1 = build(kind)
    # per critic step: D(real), D(fake), D(x_hat); then D(fake) for G. Die inside iteration 6.
    interrupt_after(D1, (3 * 2 + 1) * 5 + 2)
    with pytest.raises(KeyboardInterrupt):
        train_gan(G1, D1, real_data(), c, seed=2, out_dir=tmp_path / "cut")
    G2, D2 = build(kind, seed=7)
    resumed = train_gan(G2, D2, real_data(), c, seed=2, out_dir=tmp_path / "cut", resume=True)
    assert_same(weights(G2), weights(G))
    assert_same(weights(D2), weights(D))
    assert resumed.history == full.history


def test_select_best_keeps_the_best_weights_and_resumes_bit_exactly(tmp_path):
    # FIDs logged at iterations 0, 5, 10, 15: the best is at 5.
    scores = [9.0, 1.0, 4.0, 3.0]
    c = cfg("gan", iterations=15, select_best=True)
    G, D = build("gan")
    last = train_gan(*build("gan"), real_data(), cfg("gan", iterations=15), seed=1,
                     quality=fake_quality(scores))
    at5 = train_gan(*build("gan"), real_data(), cfg("gan", iterations=5), seed=1)
    r = train_gan(G, D, real_data(), c, seed=1, quality=fake_quality(scores), out_dir=tmp_path)
    assert r.history["best"] == {"iteration": 5, "score": 1.0}
    assert (r.best_iteration, r.best_score, r.selected_iteration) == (5, 1.0, 5)
    assert r.selected_quality["fid"] == 1.0 and r.final_quality["fid"] == 3.0
    assert_same(weights(r.generator), weights(at5.generator))
    assert last.selected_iteration == 15 and last.history["best"]["iteration"] == 5
    assert any(not torch.equal(a, b) for a, b in zip(G.parameters(), last.generator.parameters()))
    # the checkpoint keeps the last weights (to resume) and the best ones
    ck = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    assert_same(ck["generator"], weights(last.generator))
    assert_same(ck["best_generator"], weights(at5.generator))
    # interrupted after the checkpoint at 8, resumed: same best, same weights
    cut = tmp_path / "cut"
    G1, D1 = build("gan")
    interrupt_after(D1, 3 * 9 + 1)
    with pytest.raises(KeyboardInterrupt):
        train_gan(G1, D1, real_data(), c, seed=1, quality=fake_quality(scores), out_dir=cut)
    r2 = train_gan(*build("gan", seed=3), real_data(), c, seed=1,
                   quality=fake_quality(scores[2:]), out_dir=cut, resume=True)
    assert r2.history == r.history
    assert_same(weights(r2.generator), weights(at5.generator))


def test_select_best_needs_quality():
    with pytest.raises(ValueError, match="select_best=True needs quality"):
        train_gan(*build("gan"), real_data(), cfg("gan", select_best=True), seed=0)


class FittedGenerator(nn.Module):
    """A generator whose output offset is fitted to the data before training (a frozen param)."""

    image_size, latent_dim = 8, 4

    def __init__(self):
        super().__init__()
        self.net = nn.utils.skip_init(nn.Linear, 4, 64)
        g = torch.Generator().manual_seed(0)
        with torch.no_grad():
            self.net.weight.copy_(torch.randn(64, 4, generator=g) * 0.1)
            self.net.bias.zero_()
        self.offset = nn.Parameter(torch.zeros(64), requires_grad=False)
        self.fit_calls = 0

    def fit_data(self, real_x, *, generator):
        self.fit_calls += 1
        noise = torch.rand(64, generator=generator) * 1e-3
        self.offset.copy_(real_x.mean(0).flatten() + noise)
        return {"mean": float(real_x.mean())}

    def sample_latent(self, n, generator):
        return torch.randn(n, 4, generator=generator)

    def forward(self, z):
        return torch.sigmoid(self.net(z) + self.offset).view(-1, 1, 8, 8)


def test_fit_data_hook_runs_once_is_seeded_and_resumes(tmp_path):
    c = cfg("gan", iterations=6)
    x = real_data()

    def run(resume=False, out=None, seed=0):
        G = FittedGenerator()
        _, D = build("gan")
        return G, train_gan(G, D, x, c, seed=seed, out_dir=out, resume=resume)

    G, r = run(out=tmp_path)
    assert G.fit_calls == 1 and r.history["fit_data"]["mean"] == pytest.approx(float(x.mean()))
    assert not G.offset.requires_grad
    G2, _ = run()
    assert_same(weights(G), weights(G2))
    G3, _ = run(seed=1)
    assert not torch.equal(G3.offset, G.offset)
    # resuming a finished run does not refit: the fitted offset comes from the checkpoint
    G4, r4 = run(resume=True, out=tmp_path)
    assert G4.fit_calls == 0 and torch.equal(G4.offset, G.offset) and r4.history == r.history


def test_build_gan_knows_every_registered_kind():
    from qaug.models import GENERATOR_BUILDERS, GENERATOR_KINDS
    from qaug.train._adversarial_config import _KIND_DEFAULTS

    assert set(GENERATOR_BUILDERS) == set(GENERATOR_KINDS) == set(_KIND_DEFAULTS)
    for kind in GENERATOR_KINDS:
        G, D = build_gan(kind, 8, GANConfig(kind=kind), generator=make_generator(0, "k"))
        if hasattr(G, "fit_data"):  # data-fitted kinds (PCA, autoencoder) see images first
            x = torch.rand(40, 1, 8, 8, generator=make_generator(0, "x"))
            G.fit_data(x, generator=make_generator(0, "fit"))
        z = G.sample_latent(2, make_generator(0, "z"))
        assert G(z).shape == (2, 1, 8, 8) and D(G(z)).shape == (2, 1)
