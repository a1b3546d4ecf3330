"""The fused GAN engine follows train_gan's torch step, and leaves what it does not cover to torch."""

import pytest
import torch

from qaug.models import build_gan
from qaug.quantum._jit import JIT_ENABLED
from qaug.train import train_gan
from qaug.train._adversarial_config import AdversarialConfig, NonFiniteLossError
from qaug.train._fused_gan import fused_gan

pytestmark = pytest.mark.skipif(not JIT_ENABLED, reason="the fused engine needs numba")


def _nets(kind: str, **gan):
    from qaug.models import GANConfig

    config = GANConfig(**gan) if gan else None
    return build_gan(kind, 8, config, generator=torch.Generator().manual_seed(1))


def _real(n: int = 40):
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(2))


def _train(kind, engine, optimizer="sgd", iterations=40, **gan):
    G, D = _nets(kind, **gan)
    lr = {"sgd": (0.3, 0.01), "adam": (0.002, 0.002)}[optimizer]
    cfg = AdversarialConfig(iterations=iterations, optimizer=optimizer, lr_g=lr[0], lr_d=lr[1],
                            engine=engine, eval_every=0)
    return train_gan(G, D, _real(), cfg, seed=0), G, D


@pytest.mark.parametrize("kind, optimizer, gan", [
    ("qgan", "sgd", {}), ("qgan", "adam", {}), ("qgan", "sgd", {"patch_scale": False}),
    ("gan", "adam", {}), ("gan", "sgd", {}), ("dcgan", "adam", {}), ("dcgan", "adam", {"dcgan_width": 2}),
])
def test_fused_iterations_follow_the_torch_step(kind, optimizer, gan):
    (ref, g_ref, d_ref), (ours, g_ours, d_ours) = (
        _train(kind, engine, optimizer, **gan) for engine in ("torch", "fused"))
    for key in ("loss_d", "loss_g", "d_real", "d_fake"):
        assert ours.history[key] == pytest.approx(ref.history[key], abs=1e-5), key
    assert ours.history["iteration"] == ref.history["iteration"]
    for a, b in zip([*g_ref.parameters(), *d_ref.parameters()],
                    [*g_ours.parameters(), *d_ours.parameters()]):
        assert b.dtype == torch.float32
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-5)
    for a, b in zip([*g_ref.buffers(), *d_ref.buffers()], [*g_ours.buffers(), *d_ours.buffers()]):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-5)  # batch norms' running statistics


def test_same_seed_same_bits():
    first, second = _train("qgan", "fused")[1], _train("qgan", "fused")[1]
    assert all(torch.equal(a, b) for a, b in zip(first.parameters(), second.parameters()))


def test_what_it_does_not_cover_goes_to_torch():
    real = _real()
    cfg = AdversarialConfig(engine="fused")
    assert fused_gan(*_nets("dcgan"), real, cfg) is not None
    assert fused_gan(*_nets("upconv"), real, cfg) is None
    assert fused_gan(*_nets("qgan", post_hidden=16), real, cfg) is None
    assert fused_gan(*_nets("qgan"), real, AdversarialConfig(engine="fused", loss="lsgan")) is None
    assert fused_gan(*_nets("qgan"), real, AdversarialConfig(engine="fused", n_critic=2)) is None
    G, D = _nets("gan")
    D.net[1].bias.requires_grad_(False)
    assert fused_gan(G, D, real, cfg) is None
    assert fused_gan(*_nets("qgan"), real, cfg) is not None


def test_checkpointing_runs_train_with_torch_and_resume(tmp_path):
    G, D = _nets("qgan")
    cfg = AdversarialConfig(iterations=4, checkpoint_every=2, engine="fused", eval_every=0)
    result = train_gan(G, D, _real(), cfg, seed=0, out_dir=tmp_path)
    reference = _train("qgan", "torch", iterations=4)[0]
    assert result.history["loss_d"] == reference.history["loss_d"]  # the torch step, bit for bit


def test_a_non_finite_loss_stops_with_the_fix():
    G, D = _nets("gan")
    with torch.no_grad():
        D.net[1].weight[0, 0] = float("nan")  # D's outputs (and loss) become NaN
    before = [p.detach().clone() for p in G.parameters()]
    cfg = AdversarialConfig(iterations=5, optimizer="adam", lr_g=1e-3, lr_d=1e-3, engine="fused")
    with pytest.raises(NonFiniteLossError, match="discriminator loss became nan at iteration 1"):
        train_gan(G, D, _real(), cfg, seed=0)
    assert all(torch.equal(a, b) for a, b in zip(before, G.parameters()))  # no step applied


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="engine must be 'torch' or 'fused'; got 'gpu'"):
        AdversarialConfig(engine="gpu")
