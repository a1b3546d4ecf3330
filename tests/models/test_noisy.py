"""``qaug.models.noisy``: quantum layers under a noise model, defaults untouched."""

import pytest
import torch

from qaug._seed import make_generator
from qaug.models import HQCNN, CNNControl, QuanvHQCNN, ReuploadHQCNN, VQCLayer, noisy, noisy_layers
from qaug.quantum import NoiseModel


def images(n=6, size=8, seed=0):
    return torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("cls", [HQCNN, ReuploadHQCNN, QuanvHQCNN])
def test_ideal_noise_equals_default_and_default_is_restored(cls):
    model, x = cls(3, 8, generator=make_generator(0, "init")), images()
    with torch.no_grad():
        before = model(x)
        with noisy(model, NoiseModel()) as m:
            assert m is model and all(layer.noise == NoiseModel() for layer in noisy_layers(m))
            ideal = model(x)
        after = model(x)
    torch.testing.assert_close(ideal, before, atol=1e-5, rtol=0)
    assert torch.equal(after, before)  # bit-identical once the block is left
    assert all("noise" not in vars(layer) for layer in noisy_layers(model))


def test_full_depolarizing_leaves_only_the_head_bias():
    model = HQCNN(3, 8, generator=make_generator(0, "init"))
    with torch.no_grad(), noisy(model, NoiseModel(depolarizing=0.75)):
        logits = model(images())
    torch.testing.assert_close(logits, model.head.bias.detach().expand(6, 3), atol=1e-6, rtol=0)


def test_shots_reproducible_with_the_same_generator():
    model, x = QuanvHQCNN(3, 8, generator=make_generator(0, "init")), images()
    noise = NoiseModel(shots=64, readout=0.02)

    def run(seed):
        with torch.no_grad(), noisy(model, noise, generator=torch.Generator().manual_seed(seed)):
            return model(x)

    assert torch.equal(run(1), run(1)) and not torch.equal(run(1), run(2))


def test_noise_is_differentiable_without_shots():
    model = HQCNN(3, 8, generator=make_generator(0, "init"))
    with noisy(model, NoiseModel(depolarizing=0.05, readout=0.02)):
        model(images()).sum().backward()
    assert model.body.weights.grad.abs().sum() > 0 and model.front.fc.weight.grad is not None


def test_shots_train_with_the_straight_through_gradient():
    model = HQCNN(3, 8, generator=make_generator(0, "init"))
    with noisy(model, NoiseModel(shots=50), generator=make_generator(0, "shots")):
        out = model.body(torch.zeros(2, 4))
        out.sum().backward()
    # value: a shot estimate (multiples of 2/50); gradient: that of the exact expectations
    assert torch.allclose((out.detach() * 25).round(), out.detach() * 25, atol=1e-4)
    grad_shots = model.body.weights.grad.clone()
    model.body.weights.grad = None
    with noisy(model, NoiseModel()):
        model.body(torch.zeros(2, 4)).sum().backward()
    torch.testing.assert_close(grad_shots, model.body.weights.grad)


def test_exceptions_and_restore_on_error():
    model = HQCNN(3, 8, generator=make_generator(0, "init"))
    layer = model.body
    with pytest.raises(RuntimeError, match="stop"):
        with noisy(model, NoiseModel(shots=10), generator=torch.Generator()):
            raise RuntimeError("stop")
    assert layer.noise is None and layer.noise_generator is None and "noise" not in vars(layer)
    with pytest.raises(ValueError, match="needs generator="):
        with noisy(model, NoiseModel(shots=10)):
            pass
    with pytest.raises(TypeError, match="noise must be a qaug.quantum.NoiseModel"):
        with noisy(model, 0.1):
            pass
    with pytest.raises(ValueError, match="has no quantum layer that supports noise"):
        with noisy(CNNControl(3, 8), NoiseModel(readout=0.1)):
            pass


def test_none_is_a_no_op_and_nested_blocks_restore_the_outer_one():
    layer = VQCLayer(2, 1)
    outer, inner = NoiseModel(readout=0.1), NoiseModel(depolarizing=0.2)
    with noisy(layer, None):
        assert layer.noise is None
    with noisy(layer, outer):
        with noisy(layer, inner):
            assert layer.noise is inner
        assert layer.noise is outer
    assert layer.noise is None


def test_qgan_generator_runs_under_noise_and_trains_under_shots():
    from qaug._seed import make_generator
    from qaug.models import GANConfig, build_gan

    G, _ = build_gan("qgan", 8, GANConfig(kind="qgan"), generator=make_generator(0, "init"))
    z = G.sample_latent(4, make_generator(0, "z"))
    ideal = G(z)
    with noisy(G, NoiseModel(depolarizing=0.05, readout=0.02)):
        noisy_out = G(z)
    assert noisy_out.shape == ideal.shape == (4, 1, 8, 8)
    assert (noisy_out - ideal).abs().max() > 1e-3
    torch.testing.assert_close(G(z), ideal)  # restored on exit
    # shots: sampled forward value, straight-through gradient (training works)
    with noisy(G, NoiseModel(shots=100), generator=make_generator(0, "shots")):
        out = G(z)
    out.mean().backward()
    grad = G.patches.weights.grad
    assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0


@pytest.mark.parametrize("kind", ["pqwgan", "mosaiq", "latent"])
def test_every_quantum_generator_kind_runs_under_noise(kind):
    from qaug.models import GANConfig, build_gan

    size = 8
    G, _ = build_gan(kind, size, GANConfig(kind=kind), generator=make_generator(0, "init"))
    real = torch.rand(24, 1, size, size, generator=make_generator(0, "real"))
    if hasattr(G, "fit_data"):
        G.fit_data(real, generator=make_generator(0, "fit"))
    z = G.sample_latent(3, make_generator(0, "z"))
    with torch.no_grad():
        ideal = G(z)
        with noisy(G, NoiseModel()):
            ideal_dm = G(z)
        with noisy(G, NoiseModel(depolarizing=0.1, readout=0.05)):
            noisy_out = G(z)
    torch.testing.assert_close(ideal_dm, ideal, atol=1e-4, rtol=0)
    assert noisy_out.shape == ideal.shape and (noisy_out - ideal).abs().max() > 1e-3
    with noisy(G, NoiseModel(shots=64), generator=make_generator(0, "shots")):
        G(z).mean().backward()
    grads = [p.grad for m in G.modules() if getattr(m, "is_quantum", False) for p in m.parameters()]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)
