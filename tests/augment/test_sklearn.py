"""The samplers as scikit-learn / imbalanced-learn citizens: clone, params, GridSearchCV, Pipeline."""

import numpy as np
import pytest
from _augment_fakes import FakeBank, TemplateClassifier, make_data, make_weak_val
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from qaug.augment import (
    CustomizedAugmenter,
    GenerativeAugmenter,
    TraditionalAugmenter,
    mark_fitted,
)

imblearn_pipeline = pytest.importorskip("imblearn.pipeline")  # the test extra

SAMPLERS = [
    lambda: TraditionalAugmenter(sampling_strategy=5, degrees=10.0, random_state=3),
    lambda: GenerativeAugmenter(sampling_strategy=4, generators=FakeBank(), random_state=1),
    lambda: CustomizedAugmenter(budget=12, generators=FakeBank(),
                                classifier=mark_fitted(TemplateClassifier()),
                                random_state=2),
]


@pytest.mark.parametrize("make", SAMPLERS)
def test_clone_and_params(make):
    aug = make()
    params = aug.get_params(deep=False)
    twin = clone(aug)
    assert type(twin) is type(aug) and twin is not aug
    for k, v in twin.get_params(deep=False).items():
        if isinstance(v, (int, float, str, tuple, type(None))):
            assert v == params[k], k
    assert set(aug.get_params(deep=True)) >= set(params)
    assert twin.set_params(random_state=7) is twin and twin.random_state == 7
    assert aug.random_state != 7  # the original is untouched
    with pytest.raises(ValueError, match="Invalid parameter"):
        twin.set_params(no_such_parameter=1)
    x, y = make_data()
    fit_params = {}
    if isinstance(aug, CustomizedAugmenter):
        fit_params = dict(zip(("X_val", "y_val"), make_weak_val()))
    xa, ya = clone(aug).fit_resample(x, y, **fit_params)
    xb, yb = clone(aug).fit_resample(x, y, **fit_params)
    assert np.array_equal(xa.numpy(), xb.numpy()) and np.array_equal(ya.numpy(), yb.numpy())


def _flat_digits():
    d = load_digits()
    keep = np.isin(d.target, (0, 1, 2))
    rng = np.random.default_rng(0)
    idx = rng.permutation(np.flatnonzero(keep))[:150]
    return (d.data[idx] / 16.0).astype(np.float32), d.target[idx]  # (150, 64) in [0, 1]


def test_grid_search_over_a_sampler_parameter_in_an_imblearn_pipeline():
    X, y = _flat_digits()
    pipe = imblearn_pipeline.Pipeline([
        ("aug", TraditionalAugmenter(sampling_strategy=5, random_state=0)),
        ("clf", LogisticRegression(max_iter=300)),
    ])
    search = GridSearchCV(pipe, {"aug__sampling_strategy": [5, 40], "aug__degrees": [5.0, 20.0]},
                          cv=StratifiedKFold(3, shuffle=True, random_state=0))
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_params_["aug__sampling_strategy"] in (5, 40)
    assert search.best_estimator_.named_steps["aug"].sampling_strategy_ == {
        0: search.best_params_["aug__sampling_strategy"],
        1: search.best_params_["aug__sampling_strategy"],
        2: search.best_params_["aug__sampling_strategy"]}
    assert search.predict(X).shape == (150,)  # samplers act only during fit
    assert search.best_score_ > 0.8


def test_flat_input_comes_back_flat():
    X, y = _flat_digits()
    xr, yr = TraditionalAugmenter(sampling_strategy=3, random_state=0).fit_resample(X, y)
    assert xr.shape == (150 + 9, 64) and np.array_equal(xr[:150], X) and len(yr) == 159


def test_customized_sampler_receives_the_validation_split_in_a_pipeline():
    import sklearn

    x, y = make_data()
    xv, yv = make_weak_val()
    flat = x.reshape(len(x), -1).numpy()
    pipe = imblearn_pipeline.Pipeline([
        ("aug", CustomizedAugmenter(budget=60, generators=FakeBank(),
                                    classifier=mark_fitted(TemplateClassifier()), random_state=0)),
        ("clf", LogisticRegression(max_iter=300)),
    ])
    with sklearn.config_context(enable_metadata_routing=True):  # metadata routing
        pipe.fit(flat, y.numpy(), X_val=xv.reshape(len(xv), -1).numpy(), y_val=yv.numpy())
    aug = pipe.named_steps["aug"]
    assert aug.rounds_[0]["per_class_accuracy"] == {0: 1.0, 1: 1.0, 2: 0.25}  # measured on X_val
    assert aug.rounds_[0]["allocation"] == {0: 6, 1: 6, 2: 48}
    # Without routing, imbalanced-learn passes step parameters to fit, never to fit_resample.
