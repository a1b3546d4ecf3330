"""The ``latent`` kind: VQC circuits -> frozen autoencoder decoder."""

import math

import pytest
import torch

from qaug._seed import make_generator
from qaug.models import (
    GANConfig,
    LatentCircuits,
    LatentQGANGenerator,
    build_gan,
    count_parameters,
    default_gan_config,
)
from qaug.models._latent import latent_expvals
from qaug.quantum import vqc_expvals


def gen(seed=0):
    return make_generator(seed, "test")


def grads(fn, params, coeff):
    params = [p.detach().clone().requires_grad_(True) for p in params]
    out = fn(*params)
    (out * coeff).sum().backward()
    return out.detach(), [p.grad for p in params]


@pytest.mark.parametrize(("q", "layers"), [(1, 1), (2, 2), (3, 1), (3, 3), (4, 4)])
def test_circuits_are_vqc_layers_side_by_side(q, layers):
    w = 2 * math.pi * torch.rand(3, layers, q, 2, generator=gen(1), dtype=torch.float64)
    z = math.pi * torch.rand(5, q, generator=gen(2), dtype=torch.float64)
    ref = torch.cat([vqc_expvals(z, w[g]) for g in range(3)], dim=1)
    torch.testing.assert_close(latent_expvals(z, w), ref, atol=1e-12, rtol=0)


def test_circuits_gradcheck_float64():
    c = LatentCircuits(3, 2, 2, generator=gen(0)).double()
    z = torch.rand(2, 3, generator=gen(1), dtype=torch.float64, requires_grad=True)
    w = c.weights.detach().clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda z, w: torch.func.functional_call(c, {"weights": w}, (z,)),
                                    (z, w))


def test_circuits_match_pennylane_values_and_gradients():
    qml = pytest.importorskip("pennylane")
    q, depth, n_gen = 4, 3, 2
    dev = qml.device("default.qubit", wires=q)

    @qml.qnode(dev, interface="torch", diff_method="backprop")
    def circuit(z, w):  # one sub-generator, one sample
        for i in range(q):
            qml.RY(z[i], wires=i)
        for layer in range(depth):
            for i in range(q):
                qml.RY(w[layer, i, 0], wires=i)
                qml.RZ(w[layer, i, 1], wires=i)
            for i in range(q):
                qml.CNOT(wires=[i, (i + 1) % q])
        return [qml.expval(qml.PauliZ(i)) for i in range(q)]

    def reference(z, w):
        rows = [torch.cat([torch.stack(list(circuit(s, w[g]))) for g in range(n_gen)]) for s in z]
        return torch.stack(rows).float()  # (n, n_gen * q)

    c = LatentCircuits(q, depth, n_gen, generator=gen(3))
    z = math.pi * torch.rand(3, q, generator=gen(4))
    coeff = torch.randn(3, n_gen * q, generator=gen(5))
    ours = grads(lambda z, w: torch.func.functional_call(c, {"weights": w}, (z,)),
                 [z, c.weights], coeff)
    theirs = grads(lambda z, w: reference(z.double(), w.double()), [z, c.weights], coeff)
    torch.testing.assert_close(ours[0], theirs[0], atol=1e-5, rtol=0)
    for a, b in zip(ours[1], theirs[1]):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


@pytest.mark.parametrize("size", [8, 16, 28])
def test_build_shapes_counts_and_range(size):
    cfg = default_gan_config("latent")
    G, D = build_gan("latent", size, cfg, generator=gen())
    assert isinstance(G, LatentQGANGenerator) and (G.latent_dim, G.code_dim) == (4, 16)
    counts = count_parameters(G, frozen=True)
    assert counts["quantum"] == counts["total"] == 4 * 4 * 4 * 2 and counts["classical"] == 0
    assert counts["frozen"] > 1000  # decoder + code range
    assert count_parameters(D)["quantum"] == 0
    z = G.sample_latent(5, gen(1))
    assert z.shape == (5, 4) and 0 <= float(z.min()) and float(z.max()) < math.pi
    x = G(z).detach()
    assert x.shape == (5, 1, size, size) and 0 <= float(x.min()) and float(x.max()) <= 1
    assert D(x).shape == (5, 1)


def strokes(n=12, size=8):
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(n, 1, size, size)
    for i in range(n):
        c = int(torch.randint(1, size - 2, (1,), generator=g))
        x[i, 0, 1:-1, c : c + 2] = 1.0
    return x


def test_fit_data_trains_the_autoencoder_freezes_and_is_seeded():
    x = strokes()
    G = LatentQGANGenerator(8, 2, 2, 2, ae_epochs=40, generator=gen())
    before = [p.clone() for p in G.decoder.parameters()]
    info = G.fit_data(x, generator=make_generator(0, "fit"))
    assert info["ae_epochs"] == 40 and info["ae_loss"] < 0.3
    assert not any(p.requires_grad for p in G.decoder.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, G.decoder.parameters()))
    assert bool((G.code_high > G.code_low).all())
    # <Z> = +-1 hit the recorded range ends; decoded images look like the data (bright columns)
    assert G(G.sample_latent(64, gen(2))).detach().mean(dim=(0, 1, 2)).max() > 0.2
    G2 = LatentQGANGenerator(8, 2, 2, 2, ae_epochs=40, generator=gen())
    G2.fit_data(x, generator=make_generator(0, "fit"))
    for a, b in zip(G.state_dict().values(), G2.state_dict().values()):
        assert torch.equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"code_dim": 10}, r"n_generators \* n_qubits = 4 \* 4 = 16 .* code_dim is 10.*code_dim=16"),
        ({"n_qubits": 13}, r"n_qubits must be at most 12.*got 13"),
        ({"depth": 0}, r"depth must be an integer >= 1; got 0"),
        ({"ae_epochs": 0}, r"ae_epochs must be an integer >= 1; got 0"),
        ({"image_size": 10}, r"multiple of 4.*got 10"),
    ],
)
def test_bad_input(kwargs, match):
    args = {"image_size": 8, **kwargs}
    with pytest.raises(ValueError, match=match):
        LatentQGANGenerator(**args)


def test_bad_config_and_kind():
    with pytest.raises(ValueError, match=r"code_dim must be an integer >= 0"):
        GANConfig(code_dim=-1)
    with pytest.raises(ValueError, match=r"ae_channels must be two"):
        GANConfig(ae_channels=(4,))
    with pytest.raises(ValueError, match=r"'latent'"):  # the valid kinds are listed
        build_gan("laten", 8)
    with pytest.raises(ValueError, match=r"code_dim=16"):
        build_gan("latent", 8, default_gan_config("latent", code_dim=12))
