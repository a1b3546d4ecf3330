"""The small-image CPU kernels: where they apply, that the oneDNN flag is always restored."""

import pytest
import torch

from qaug.train._kernels import SMALL_IMAGE_MAX_SIDE, adam, small_kernels, use_small_kernels


def test_only_small_images_on_the_cpu_use_them():
    assert use_small_kernels(8) and use_small_kernels(SMALL_IMAGE_MAX_SIDE)
    assert not use_small_kernels(SMALL_IMAGE_MAX_SIDE + 1)
    assert not use_small_kernels(8, "meta")


@pytest.mark.parametrize("side, inside", [(8, False), (16, False), (28, True)])
def test_onednn_is_off_inside_for_small_images_and_restored_after(side, inside):
    before = torch.backends.mkldnn.enabled
    with small_kernels(side):
        assert torch.backends.mkldnn.enabled is (before and inside)
        with small_kernels(side):  # nested
            assert torch.backends.mkldnn.enabled is (before and inside)
        assert torch.backends.mkldnn.enabled is (before and inside)
    assert torch.backends.mkldnn.enabled is before


def test_the_flag_is_restored_when_the_block_raises():
    before = torch.backends.mkldnn.enabled
    with pytest.raises(RuntimeError, match="boom"), small_kernels(8):
        raise RuntimeError("boom")
    assert torch.backends.mkldnn.enabled is before


def test_adam_is_fused_only_for_small_images_and_real_parameters():
    real = [torch.nn.Parameter(torch.zeros(3))]
    assert adam(real, 8, lr=0.1).defaults["fused"] is True
    assert not adam(real, 28, lr=0.1).defaults["fused"]
    mixed = real + [torch.nn.Parameter(torch.zeros(2, dtype=torch.complex64))]
    assert not adam(mixed, 8, lr=0.1).defaults["fused"]


def test_fused_adam_takes_the_same_steps_up_to_rounding():
    def run(side):
        g = torch.Generator().manual_seed(0)
        w = torch.nn.Parameter(torch.randn(20, generator=g))
        opt = adam([w], side, lr=0.05)
        for _ in range(50):
            loss = (w.sin() * torch.arange(20.0)).square().sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        return w.detach()

    torch.testing.assert_close(run(8), run(28), rtol=1e-5, atol=1e-5)


def test_training_a_classifier_leaves_the_flag_as_it_was():
    from qaug._seed import make_generator
    from qaug.models import build_classifier
    from qaug.train import TrainConfig, train_classifier

    before = torch.backends.mkldnn.enabled
    model = build_classifier("cnn", 2, 8, generator=make_generator(0, "init"))
    x, y = torch.rand(8, 1, 8, 8, generator=make_generator(0, "x")), torch.arange(8) % 2
    train_classifier(model, (x, y), (x, y), TrainConfig(epochs=2), generator=make_generator(0, "s"))
    assert torch.backends.mkldnn.enabled is before
