"""TraditionalAugmenter: parameter draws, the deterministic warp vs torch references, replay."""

import numpy as np
import pytest
import torch
from _augment_fakes import make_data

from qaug.augment import TraditionalAugmenter, apply_traditional, draw_traditional_params


def _params(n=1, angle=0.0, dx=0.0, dy=0.0, contrast=1.0):
    return {
        "angle": torch.full((n,), angle),
        "translate": torch.tensor([[dx, dy]] * n),
        "contrast": torch.full((n,), contrast),
    }


def test_smoke_example():
    x, y = make_data()
    x_res, y_res = TraditionalAugmenter(sampling_strategy=4, random_state=0).fit_resample(x, y)
    assert x_res.shape == (42, 1, 8, 8)
    assert np.bincount(y_res.numpy()).tolist() == [16, 16, 10]


def test_feature_rotation_90_matches_rot90():
    x = torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    out = apply_traditional(x, _params(3, angle=90.0))
    torch.testing.assert_close(out, torch.rot90(x, 1, (2, 3)), atol=1e-5, rtol=0)


def test_feature_translation_whole_pixels_is_a_shift_with_black_fill():
    x = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    out = apply_traditional(x, _params(2, dx=0.25, dy=-0.125))  # 2 px right, 1 px up
    ref = torch.zeros_like(x)
    ref[:, :, :-1, 2:] = x[:, :, 1:, :-2]
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=0)


def test_feature_contrast_about_the_mean_clipped():
    x = torch.tensor([0.2, 0.4, 0.6, 0.8]).view(1, 1, 2, 2)
    out = apply_traditional(x, _params(1, contrast=1.5))
    torch.testing.assert_close(out.flatten(), torch.tensor([0.05, 0.35, 0.65, 0.95]))
    out = apply_traditional(x, _params(1, contrast=4.0))
    assert float(out.min()) == 0.0 and float(out.max()) == 1.0


def test_identity_parameters_leave_images_exact():
    x, _ = make_data()
    assert torch.equal(apply_traditional(x, _params(len(x))), x)


def test_draw_ranges_and_disabled_transforms():
    g = torch.Generator().manual_seed(0)
    p = draw_traditional_params(500, ("rotation", "contrast"), 15.0, 0.1, (0.7, 1.3), g)
    assert p["angle"].abs().max() <= 15 and p["angle"].std() > 5
    assert torch.equal(p["translate"], torch.zeros(500, 2))
    assert 0.7 <= float(p["contrast"].min()) and float(p["contrast"].max()) <= 1.3


@pytest.mark.parametrize(
    "transforms",
    [("rotation",), ("translation",), ("contrast",), ("rotation", "translation", "contrast")],
)
def test_each_transform_alone_or_combined_changes_images(transforms):
    x, y = make_data()
    aug = TraditionalAugmenter(sampling_strategy=5, transforms=transforms, random_state=1)
    x_res, _ = aug.fit_resample(x, y)
    src = x[torch.as_tensor(aug.params_["index"])]
    assert not torch.allclose(x_res[len(x) :], src)


def test_new_samples_come_from_their_own_class_and_replay():
    x, y = make_data()
    aug = TraditionalAugmenter(sampling_strategy={0: 20, 2: 11}, random_state=2)
    x_res, y_res = aug.fit_resample(x, y)
    idx = aug.params_["index"].numpy()
    np.testing.assert_array_equal(y[idx].numpy(), y_res[len(y) :].numpy())
    np.testing.assert_array_equal(aug.sample_indices_[len(y) :], idx)
    params = {k: aug.params_[k] for k in ("angle", "translate", "contrast")}
    assert torch.equal(apply_traditional(x[idx], params), x_res[len(x) :])


def test_uint8_input_is_scaled_with_a_warning():
    x, y = make_data()
    x8 = (x * 255).round().to(torch.uint8)
    with pytest.warns(UserWarning, match="scaling by 1/255"):
        x_res, _ = TraditionalAugmenter(sampling_strategy=2, random_state=0).fit_resample(x8, y)
    assert x_res.dtype == torch.float32 and float(x_res.max()) <= 1.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"transforms": ("rotation", "blur")}, "'transforms' parameter of TraditionalAugmenter"),
        ({"transforms": ()}, "non-empty tuple"),
        ({"degrees": -1}, r"'degrees' .* a number in \[0, 180\]; got -1"),
        ({"contrast": (1.3, 0.7)}, r"lo <= hi"),
        ({"random_state": 1.5}, "int seed >= 0, a torch.Generator or None"),
    ],
)
def test_exception(kwargs, message):
    x, y = make_data()
    with pytest.raises(ValueError, match=message):
        TraditionalAugmenter(**kwargs).fit_resample(x, y)
