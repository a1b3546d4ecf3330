"""Fixtures for the sampler tests (fakes live in _augment_fakes.py)."""

import pytest
from _augment_fakes import make_data, make_weak_val


@pytest.fixture
def data():
    return make_data()


@pytest.fixture
def weak_val():
    return make_weak_val()


@pytest.fixture(scope="session")
def mnist():
    """Real digits 0/1/2, 20 training and 10 validation images per class, 8x8."""
    from qaug.data import load_dataset

    return load_dataset(
        "mnist",
        classes=(0, 1, 2),
        n_train_per_class=20,
        image_size=8,
        seed=0,
        n_val_per_class=10,
        n_test_per_class=10,
    )
