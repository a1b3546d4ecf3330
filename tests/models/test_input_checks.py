"""NaN angles into every quantum layer raise, naming the input."""

import pytest
import torch

from qaug._seed import make_generator
from qaug.models import GANConfig, ReuploadingVQCLayer, VQCLayer, build_gan
from qaug.models._quantum_layers import PatchQuantumGenerator


def _nan(shape):
    x = torch.zeros(shape)
    x[0, 0] = float("nan")
    return x


@pytest.mark.parametrize("layer", [VQCLayer(4, 2), ReuploadingVQCLayer(4, 2)])
def test_vqc_layers_refuse_nan_angles(layer):
    with pytest.raises(ValueError, match=rf"input angles x of {type(layer).__name__} holds 1 NaN"):
        layer(_nan((3, 4)))


def test_patch_generator_refuses_nan_latents():
    with pytest.raises(ValueError, match="input angles z of PatchQuantumGenerator holds 1 NaN"):
        PatchQuantumGenerator()(_nan((2, 5)))


@pytest.mark.parametrize("kind", ["pqwgan", "mosaiq"])
def test_published_generators_refuse_nan_latents(kind):
    G, _ = build_gan(kind, 8, GANConfig(kind=kind, n_components=5, depth=2),
                     generator=make_generator(0, "init"))
    z = G.sample_latent(2, make_generator(0, "z"))
    z[0, 0] = float("inf")
    with pytest.raises(ValueError, match="input angles z of .* holds 1 NaN or infinite"):
        G(z)
