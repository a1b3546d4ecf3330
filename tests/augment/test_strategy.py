"""resolve_sampling_strategy against hand-computed imbalanced-learn over-sampling results."""

import numpy as np
import pytest
import torch

from qaug.augment import resolve_sampling_strategy

Y = np.array([0] * 10 + [1] * 6 + [2] * 3)  # majority 0 (10), minority 2 (3)


@pytest.mark.parametrize(
    "strategy, expected",
    [
        ("auto", {1: 4, 2: 7}),
        ("not majority", {1: 4, 2: 7}),
        ("minority", {2: 7}),
        ("not minority", {0: 0, 1: 4}),
        ("all", {0: 0, 1: 4, 2: 7}),
        ({1: 6, 2: 10}, {1: 0, 2: 7}),
        (lambda y: {2: int((y == 0).sum())}, {2: 7}),
        (5, {0: 5, 1: 5, 2: 5}),
        ({"ratio": 1.0}, {0: 10, 1: 6, 2: 3}),
        ({"ratio": 0.5}, {0: 5, 1: 3, 2: 2}),  # 1.5 rounds half up
    ],
)
def test_feature_matches_imbalanced_learn_semantics(strategy, expected):
    assert resolve_sampling_strategy(strategy, Y) == expected
    assert resolve_sampling_strategy(strategy, torch.as_tensor(Y)) == expected


def test_ties_pick_lowest_class_like_imbalanced_learn():
    y = np.array([3, 3, 7, 7, 9])
    assert resolve_sampling_strategy("auto", y) == {7: 0, 9: 1}
    assert resolve_sampling_strategy("minority", y) == {9: 1}


@pytest.mark.parametrize(
    "strategy, exc, message",
    [
        ({4: 10}, ValueError, r"class\(es\) \[4\] not present in y \(present: \[0, 1, 2\]\)"),
        (
            {1: 2},
            ValueError,
            r"sampling_strategy\[1\] = 2 asks for fewer samples than class 1 has \(6\)",
        ),
        ("majority", ValueError, "not a known name"),
        (0, ValueError, "must be >= 1; got 0"),
        (0.5, TypeError, r"bare float is ambiguous.*\{'ratio': 0.5\}"),
        ({"ratio": 0}, ValueError, "positive finite number"),
        ({"ratio": 1, "x": 2}, ValueError, "takes no other keys"),
        ({1: 7.5}, TypeError, "must be an int target total"),
        (lambda y: [1], TypeError, "must return a dict"),
        ([1, 2], TypeError, "must be a str"),
    ],
)
def test_exception_messages(strategy, exc, message):
    with pytest.raises(exc, match=message):
        resolve_sampling_strategy(strategy, Y)


def test_exception_bad_labels():
    with pytest.raises(ValueError, match="integer labels"):
        resolve_sampling_strategy("auto", np.array([0.5, 1.0]))
