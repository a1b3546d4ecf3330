import numpy as np
import pytest
import torch

from qaug.data import as_image_tensor
from qaug.data._validate import as_labels


@pytest.mark.parametrize("shape", [(3, 8, 8), (3, 1, 8, 8)])
def test_float_numpy_and_torch(shape):
    x = np.random.default_rng(0).random(shape)
    for inp in (x, torch.from_numpy(x)):
        out = as_image_tensor(inp)
        assert out.dtype == torch.float32 and out.shape == (3, 1, 8, 8)
        np.testing.assert_allclose(out.numpy().reshape(x.shape), x, rtol=1e-6)


def test_uint8_scaled_with_warning():
    x = np.array([[[0, 255], [128, 1]]], dtype=np.uint8)
    with pytest.warns(UserWarning, match=r"x holds values up to 255; scaling by 1/255 to \[0, 1\]"):
        out = as_image_tensor(x)
    torch.testing.assert_close(out, torch.tensor(x, dtype=torch.float32)[:, None] / 255)


def test_integral_floats_above_one_scaled_with_warning():
    x = np.array([[[0.0, 200.0], [3.0, 1.0]]])
    with pytest.warns(UserWarning, match="imgs holds values up to 200; scaling by 1/255"):
        out = as_image_tensor(x, name="imgs")
    assert float(out.max()) == pytest.approx(200 / 255)


def test_bool_is_zero_one():
    out = as_image_tensor(np.eye(4, dtype=bool)[None])
    assert out.dtype == torch.float32 and float(out.max()) == 1.0


def test_empty_batch_ok():
    assert as_image_tensor(np.zeros((0, 8, 8))).shape == (0, 1, 8, 8)


@pytest.mark.parametrize(
    "x, match",
    [
        (
            np.zeros((3, 2, 8, 8, 1)),
            r"x must have shape \(N, H, W\) or \(N, 1, H, W\); got \(3, 2, 8, 8, 1\)",
        ),
        (np.zeros((3, 2, 8, 8)), r"got \(3, 2, 8, 8\)"),
        (np.zeros((8, 8)), r"got \(8, 8\)"),
        (np.array([[[np.nan, 0.5], [np.inf, 0.1]]]), "x holds 2 NaN or infinite value"),
        (np.array([[[-0.5, 0.5]]]), r"x holds negative values \(min -0.5\).*Rescale"),
        (np.array([[[0.5, 1.5]]]), r"x holds values up to 1.5.*Rescale first, e.g. x / x.max\(\)"),
        (np.array([[[0, 4095]]], dtype=np.int32), r"x holds integers up to 4095.*integers 0..255"),
        (np.array([[[0.0, 300.0]]]), r"values up to 300"),
    ],
)
def test_image_exceptions(x, match):
    with pytest.raises(ValueError, match=match):
        as_image_tensor(x)


def test_image_type_exceptions():
    with pytest.raises(TypeError, match="x must hold real numbers"):
        as_image_tensor(np.zeros((1, 2, 2), dtype=complex))
    with pytest.raises(TypeError, match="x must hold real numbers"):
        as_image_tensor(np.array([[["a", "b"]]]))


def test_labels():
    np.testing.assert_array_equal(as_labels([0, 2, 1], 3), [0, 2, 1])
    assert as_labels(np.array([1.0, 2.0]), 2).dtype == np.int64
    assert as_labels(torch.tensor([1, 0]), 2).dtype == np.int64
    with pytest.raises(ValueError, match=r"y must be 1-D \(N,\); got shape \(2, 1\)"):
        as_labels(np.zeros((2, 1)), 2)
    with pytest.raises(ValueError, match="y has 2 labels but there are 3 images"):
        as_labels([0, 1], 3)
    with pytest.raises(TypeError, match="y must hold integer class ids"):
        as_labels([0.5, 1.0], 2)
    with pytest.raises(TypeError, match="y must hold integer class ids"):
        as_labels(np.array(["cat", "dog"]), 2)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float64])
@pytest.mark.parametrize("top", [1, 16])
def test_small_whole_numbers_need_pixel_max(dtype, top):
    x = np.array([[[0, top], [top // 2, 1]]], dtype=dtype)
    if dtype is np.float64 and top == 1:  # floats in [0, 1] are images as they are
        assert float(as_image_tensor(x).max()) == 1.0
        return
    with pytest.raises(ValueError, match=rf"no larger than {top}.*almost\s+black.*"
                                         rf"pixel_max={top}.*--pixel-max {top}"):
        as_image_tensor(x)
    out = as_image_tensor(x, pixel_max=top)
    assert float(out.max()) == 1.0 and float(out.min()) == 0.0


def test_uint8_with_small_values_is_still_8_bit():
    x = np.array([[[0, 16], [8, 1]]], dtype=np.uint8)
    with pytest.warns(UserWarning, match="scaling by 1/255"):
        out = as_image_tensor(x)
    assert float(out.max()) == pytest.approx(16 / 255)


def test_fractional_values_above_one_are_not_called_above_255():
    with pytest.raises(ValueError, match=r"up to 1\.5, outside \[0, 1\] and not whole") as e:
        as_image_tensor(np.array([[[0.5, 1.5]]]))
    assert "255" not in str(e.value)


def test_pixel_max_bounds_and_type():
    with pytest.raises(ValueError, match=r"up to 20, above pixel_max=16"):
        as_image_tensor(np.array([[[0, 20]]]), pixel_max=16)
    with pytest.raises(ValueError, match="pixel_max must be > 0"):
        as_image_tensor(np.zeros((1, 2, 2)), pixel_max=0)
    with pytest.raises(TypeError, match="pixel_max must be a number"):
        as_image_tensor(np.zeros((1, 2, 2)), pixel_max="16")
