"""One check suite run over every sampler (imbalanced-learn's estimator_checks, for images)."""

import inspect

import numpy as np
import pytest
import torch
from _augment_fakes import FakeBank, TemplateClassifier, make_data, make_weak_val

from qaug.augment import (
    CustomizedAugmenter,
    GenerativeAugmenter,
    TraditionalAugmenter,
    allocate_budget,
    mark_fitted,
    resolve_sampling_strategy,
)
from qaug.augment._validation import invalid_examples

XV, YV = make_weak_val()


def _traditional(**kw):
    return TraditionalAugmenter(**kw), {}


def _generative(**kw):
    return GenerativeAugmenter(**{"generators": FakeBank(), **kw}), {}


def _customized(**kw):
    kw = {"generators": FakeBank(), "classifier": mark_fitted(TemplateClassifier()), **kw}
    return CustomizedAugmenter(**kw), {"X_val": XV, "y_val": YV}


SAMPLERS = {"traditional": _traditional, "generative": _generative, "customized": _customized}
ids = list(SAMPLERS)


def expected_new(sampler, y):
    """New samples per class the sampler should have added."""
    if isinstance(sampler, CustomizedAugmenter):
        first = sampler.rounds_[0]
        budget = sampler.budget or sum(sampler.sampling_strategy_.values())
        assert first["allocation"] == allocate_budget(
            budget, first["per_class_accuracy"], sampler.min_share, sampler.max_share
        )
        return first["allocation"]
    return resolve_sampling_strategy(sampler.sampling_strategy, y)


@pytest.mark.parametrize("name", ids)
@pytest.mark.parametrize("strategy", [7, "auto", {"ratio": 0.5}, {0: 14, 2: 9}])
def test_class_counts_match_strategy(name, strategy):
    x, y = make_data()
    sampler, fit = SAMPLERS[name](sampling_strategy=strategy, random_state=0)
    x_res, y_res = sampler.fit_resample(x, y, **fit)
    new = np.bincount(y_res[len(y) :].numpy(), minlength=3)
    want = expected_new(sampler, y)
    assert {c: int(new[c]) for c in want} == want
    assert new.sum() == sum(want.values())
    assert len(x_res) == len(y_res) == len(sampler.sources_) == len(sampler.sample_indices_)


@pytest.mark.parametrize("name", ids)
def test_shape_dtype_range_device_kept(name, device):
    x, y = make_data()
    sampler, fit = SAMPLERS[name](random_state=0)
    x_res, y_res = sampler.fit_resample(x.to(device), y.to(device), **fit)
    assert x_res.dtype == torch.float32 and y_res.dtype == torch.int64
    assert x_res.device == x.to(device).device and x_res.shape[1:] == x.shape[1:]
    assert 0 <= float(x_res.min()) and float(x_res.max()) <= 1


@pytest.mark.parametrize("name", ids)
def test_numpy_3d_float64_in_numpy_3d_float64_out(name):
    x, y = make_data()
    x3 = x[:, 0].numpy().astype(np.float64)
    sampler, fit = SAMPLERS[name](random_state=0)
    x_res, y_res = sampler.fit_resample(x3, y.numpy(), **fit)
    assert isinstance(x_res, np.ndarray) and x_res.dtype == np.float64 and x_res.ndim == 3
    assert isinstance(y_res, np.ndarray) and y_res.dtype == y.numpy().dtype
    np.testing.assert_array_equal(x_res[: len(x3)], x3)


@pytest.mark.parametrize("name", ids)
def test_same_seed_repeats_other_seed_differs(name):
    x, y = make_data()
    a, fit = SAMPLERS[name](random_state=3)
    b, _ = SAMPLERS[name](random_state=3)
    c, _ = SAMPLERS[name](random_state=4)
    xa, ya = a.fit_resample(x, y, **fit)
    xb, yb = b.fit_resample(x, y, **fit)
    xc, _ = c.fit_resample(x, y, **fit)
    assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert list(a.sources_) == list(b.sources_)
    assert not torch.equal(xa, xc)


@pytest.mark.parametrize("name", ids)
def test_generator_random_state_and_none(name):
    x, y = make_data()
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    a, fit = SAMPLERS[name](random_state=g1)
    b, _ = SAMPLERS[name](random_state=g2)
    assert torch.equal(a.fit_resample(x, y, **fit)[0], b.fit_resample(x, y, **fit)[0])
    assert a.seed_ is None
    n, _ = SAMPLERS[name](random_state=None)
    n.fit_resample(x, y, **fit)
    assert isinstance(n.seed_, int)  # recorded, so the run can be repeated


@pytest.mark.parametrize("name", ids)
def test_originals_kept_first_and_input_unchanged(name):
    x, y = make_data()
    x0, y0 = x.clone(), y.clone()
    sampler, fit = SAMPLERS[name](random_state=0)
    x_res, y_res = sampler.fit_resample(x, y, **fit)
    assert torch.equal(x, x0) and torch.equal(y, y0)
    assert torch.equal(x_res[: len(x)], x0) and torch.equal(y_res[: len(y)], y0)
    assert (sampler.sources_[: len(x)] == "original").all()
    assert (sampler.sources_[len(x) :] != "original").all()
    np.testing.assert_array_equal(sampler.sample_indices_[: len(x)], np.arange(len(x)))
    ds = sampler.to_dataset()
    assert len(ds) == len(x_res) and torch.equal(ds.x, x_res)


@pytest.mark.parametrize("name", ids)
def test_init_only_stores_keyword_arguments(name):
    sampler, _ = SAMPLERS[name]()
    cls = type(sampler)
    params = inspect.signature(cls.__init__).parameters
    names = [p for p in params if p != "self"]
    assert all(params[p].kind is inspect.Parameter.KEYWORD_ONLY for p in names)
    assert set(names) == set(cls._parameter_constraints)
    # invalid values are stored, not checked, at construction (imbalanced-learn convention)
    for p, bad in invalid_examples(cls._parameter_constraints).items():
        assert getattr(SAMPLERS[name](**{p: bad})[0], p) is bad
    assert not any(k.endswith("_") and not k.startswith("_") for k in vars(sampler))


def _invalid_cases():
    for name in ids:
        cls = type(SAMPLERS[name]()[0])
        for param, bad in invalid_examples(cls._parameter_constraints).items():
            yield pytest.param(name, param, bad, id=f"{name}-{param}")


@pytest.mark.parametrize("name, param, bad", list(_invalid_cases()))
def test_each_invalid_parameter_raises_naming_it(name, param, bad):
    x, y = make_data()
    sampler, fit = SAMPLERS[name](random_state=0)
    setattr(sampler, param, bad)
    with pytest.raises(
        (ValueError, TypeError), match=f"'{param}' parameter of {type(sampler).__name__}"
    ):
        sampler.fit_resample(x, y, **fit)


@pytest.mark.parametrize("name", ids)
@pytest.mark.parametrize(
    "strategy, message",
    [
        ({5: 20}, r"class\(es\) \[5\] not present in y"),
        ({0: 3}, "asks for fewer samples than class 0 has"),
        ("majority", r"must be one of \['auto', 'not majority'"),
        ({"ratio": -1.0}, "must be a positive finite number"),
    ],
)
def test_bad_sampling_strategy(name, strategy, message):
    x, y = make_data()
    sampler, fit = SAMPLERS[name](sampling_strategy=strategy, random_state=0)
    with pytest.raises(ValueError, match=message):
        sampler.fit_resample(x, y, **fit)


@pytest.mark.parametrize("name", ids)
def test_bad_inputs(name):
    x, y = make_data()
    sampler, fit = SAMPLERS[name](random_state=0)
    with pytest.raises(ValueError, match=r"expected shape \(30,\)"):
        sampler.fit_resample(x, y[:-1], **fit)
    with pytest.raises(ValueError, match="negative values"):
        sampler.fit_resample(x - 1, y, **fit)
    with pytest.raises(ValueError, match="not fitted yet"):
        SAMPLERS[name]()[0].to_dataset()
