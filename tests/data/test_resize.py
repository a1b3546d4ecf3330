import pytest
import torch
import torch.nn.functional as F

from qaug.data import resize_images


def test_same_size_returned_unchanged():
    x = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    assert resize_images(x, 8) is x


def test_area_average_known_8x8_to_4x4():
    # Sizes below 4 are rejected, so the "known 4x4 -> 2x2" check is done one size up:
    # pixel value 8r + c; each output pixel is the mean of a 2x2 block, 16i + 2j + 4.5.
    x = torch.arange(64, dtype=torch.float32).reshape(1, 1, 8, 8) / 63
    expected = torch.tensor([[16.0 * i + 2 * j + 4.5 for j in range(4)] for i in range(4)]) / 63
    torch.testing.assert_close(resize_images(x, 4), expected[None, None])
    blocks = torch.tensor([[0.0, 0.25], [0.5, 1.0]])
    big = blocks.repeat_interleave(4, 0).repeat_interleave(4, 1)[None, None]  # (1, 1, 8, 8)
    torch.testing.assert_close(resize_images(big, 4), big[..., ::2, ::2])


def test_area_equals_adaptive_avg_pool_28_to_8():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(5, 1, 28, 28, generator=g)
    torch.testing.assert_close(resize_images(x, 8), F.adaptive_avg_pool2d(x, 8))
    torch.testing.assert_close(resize_images(x, 16), F.adaptive_avg_pool2d(x, 16))


def test_area_preserves_mean_when_divisible():
    x = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(resize_images(x, 14).mean(dim=(2, 3)), x.mean(dim=(2, 3)))


def test_bilinear_upscale():
    x = torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(2))
    out = resize_images(x, 16)
    expected = F.interpolate(x, size=(16, 16), mode="bilinear", align_corners=False)
    torch.testing.assert_close(out, expected)
    assert 0 <= out.min() and out.max() <= 1
    const = torch.full((1, 1, 8, 8), 0.3)
    torch.testing.assert_close(resize_images(const, 28), torch.full((1, 1, 28, 28), 0.3))


@pytest.mark.parametrize("size", [4, 8, 16, 28, 64])
def test_shapes(size):
    x = torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(3))
    assert resize_images(x, size).shape == (2, 1, size, size)
    assert resize_images(x[:, 0], size).shape == (2, size, size)


def test_mixed_shrink_and_grow():
    x = torch.rand(2, 1, 32, 4, generator=torch.Generator().manual_seed(4))
    assert resize_images(x, 8).shape == (2, 1, 8, 8)


def test_empty_batch():
    assert resize_images(torch.zeros(0, 1, 28, 28), 8).shape == (0, 1, 8, 8)


def test_exceptions():
    x = torch.zeros(1, 1, 8, 8)
    with pytest.raises(ValueError, match="size must be between 4 and 64; got 3"):
        resize_images(x, 3)
    with pytest.raises(TypeError, match="size must be an integer"):
        resize_images(x, 8.5)
    with pytest.raises(
        ValueError, match=r"x must have shape \(N, H, W\) or \(N, C, H, W\); got \(8, 8\)"
    ):
        resize_images(torch.zeros(8, 8), 4)
    with pytest.raises(TypeError, match="x must be a float tensor; got dtype torch.uint8"):
        resize_images(torch.zeros(1, 1, 8, 8, dtype=torch.uint8), 4)
    with pytest.raises(TypeError, match="x must be a torch tensor"):
        resize_images([[0.0]], 4)
