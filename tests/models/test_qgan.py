import pytest
import torch
from torch.func import functional_call

from qaug._seed import make_generator
from qaug.models import PatchQuantumGenerator, QGANGenerator, count_parameters


def gen(seed=0):
    return make_generator(seed, "test")


def test_demo_generator_is_the_patches_reshaped():
    G = QGANGenerator(8, generator=gen())
    assert G.latent_dim == 5 and G.post is None
    assert count_parameters(G) == {"quantum": 120, "classical": 0, "total": 120}
    z = G.sample_latent(3, gen(1))
    patches = G.patches(z)  # (3, 64): four 16-pixel patches side by side
    x = G(z)
    assert x.shape == (3, 1, 8, 8)
    # patch k is image rows 2k and 2k + 1
    for k in range(4):
        torch.testing.assert_close(
            x[:, 0, 2 * k : 2 * k + 2].reshape(3, 16), patches[:, 16 * k : 16 * (k + 1)]
        )


def test_weights_come_from_the_generator_like_the_patch_layer():
    G = QGANGenerator(8, generator=gen(7))
    P = PatchQuantumGenerator(generator=gen(7))
    assert torch.equal(G.patches.weights, P.weights)
    assert G.patches.weights.shape == (4, 6, 5)


@pytest.mark.parametrize("size", [8, 16, 28])
def test_post_network_any_size(size):
    G = QGANGenerator(size, post_hidden=16, generator=gen())
    counts = count_parameters(G)
    assert counts["quantum"] == 120
    assert counts["classical"] == 64 * 16 + 16 + 16 * size * size + size * size
    x = G(G.sample_latent(4, gen(1))).detach()
    assert x.shape == (4, 1, size, size) and 0 <= float(x.min()) and float(x.max()) <= 1


def test_patch_scale_scales_each_patch():
    G = QGANGenerator(8, patch_scale=True, generator=gen())
    with torch.no_grad():
        G.patch_scale.copy_(torch.tensor([0.0, 1.0, -1.0, 2.0]))
    z = G.sample_latent(2, gen(1))
    x = G(z).detach().reshape(2, 4, 16)
    p = G.patches(z).reshape(2, 4, 16)
    torch.testing.assert_close(x, p * torch.sigmoid(G.patch_scale.detach())[:, None])
    assert count_parameters(G) == {"quantum": 120, "classical": 4, "total": 124}


def test_other_circuit_sizes():
    # 3 qubits, 1 ancilla: 4-pixel patches; 4 sub-generators -> a 4x4 image
    G = QGANGenerator(4, n_qubits=3, n_ancillas=1, depth=2, n_generators=4, generator=gen())
    assert G(G.sample_latent(2, gen(1))).shape == (2, 1, 4, 4)
    assert G.latent_dim == 3


def test_bad_sizes_raise():
    with pytest.raises(ValueError, match="needs 256"):
        QGANGenerator(16, generator=gen())
    with pytest.raises(ValueError, match="n_ancillas"):
        QGANGenerator(8, n_qubits=3, n_ancillas=3, generator=gen())
    with pytest.raises(ValueError, match="n_qubits"):
        QGANGenerator(8, n_qubits=20, post_hidden=8, generator=gen())
    with pytest.raises(ValueError, match="post_hidden"):
        QGANGenerator(8, post_hidden=-2, generator=gen())


def test_gradcheck_float64():
    G = QGANGenerator(
        4, n_qubits=3, n_ancillas=1, depth=2, n_generators=4, post_hidden=3, generator=gen()
    ).double()
    z = G.sample_latent(2, gen(1)).double()
    names, params = zip(*G.named_parameters())

    def fn(*ps):
        return functional_call(G, dict(zip(names, ps)), (z,))

    inputs = tuple(p.detach().clone().requires_grad_(True) for p in params)
    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-5)
