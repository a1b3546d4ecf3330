"""``evaluate(..., noise=, generator=)``: noisy evaluation beside the ideal one."""

import pytest
import torch

from qaug._seed import make_generator
from qaug.models import HQCNN
from qaug.quantum import NoiseModel
from qaug.train import evaluate


@pytest.fixture(scope="module")
def setup():
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(30, 1, 8, 8, generator=g), torch.randint(0, 3, (30,), generator=g)
    return HQCNN(3, 8, generator=make_generator(0, "init")), x, y


def test_default_unchanged_and_ideal_noise_agrees(setup):
    model, x, y = setup
    base = evaluate(model, x, y, 3)
    assert torch.equal(evaluate(model, x, y, 3, noise=None).probs, base.probs)
    ideal = evaluate(model, x, y, 3, noise=NoiseModel())
    torch.testing.assert_close(ideal.probs, base.probs, atol=1e-5, rtol=0)
    assert model.body.noise is None


def test_noisy_evaluation_reproducible(setup):
    model, x, y = setup
    noise = NoiseModel(shots=50, depolarizing=0.05, readout=0.02)
    a = evaluate(model, x, y, noise=noise, generator=torch.Generator().manual_seed(3))
    b = evaluate(model, x, y, noise=noise, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a.probs, b.probs) and a.confusion == b.confusion
    assert not torch.equal(a.probs, evaluate(model, x, y).probs)
    with pytest.raises(ValueError, match="needs generator="):
        evaluate(model, x, y, noise=noise)
