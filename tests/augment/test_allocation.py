"""Budget allocation by error share, floor, cap, largest-remainder rounding; thresholds."""

import math

import pytest

from qaug.augment import allocate_budget, class_thresholds, error_shares, split_budget


def test_feature_paper_example_weak_class_gets_most():
    # The paper's case: one class at 24% while the others are at 96%.
    alloc = allocate_budget(200, {0: 0.96, 1: 0.96, 2: 0.24}, min_share=0.05, max_share=0.8)
    assert alloc == {0: 20, 1: 20, 2: 160}


def test_feature_proportional_without_floor_or_cap():
    alloc = allocate_budget(10, {0: 0.9, 1: 0.8, 2: 0.7}, min_share=0.0, max_share=1.0)
    assert alloc == {0: 2, 1: 3, 2: 5}  # shares 1/6, 2/6, 3/6 -> 1.67, 3.33, 5


@pytest.mark.parametrize("budget", [1, 2, 3, 7, 10, 99, 200, 1001])
@pytest.mark.parametrize(
    "acc", [{0: 1.0, 1: 1.0, 2: 1.0}, {0: 0.5, 1: 0.9, 2: 0.1}, {0: 0.0, 1: 1.0}]
)
def test_cardinality_sums_exactly_and_respects_cap(budget, acc):
    alloc = allocate_budget(budget, acc, min_share=0.05, max_share=0.9)
    assert sum(alloc.values()) == budget
    assert all(n <= math.ceil(budget * 0.9) for n in alloc.values())


def test_floor_gives_every_class_something():
    alloc = allocate_budget(100, {0: 1.0, 1: 1.0, 2: 0.0}, min_share=0.1, max_share=1.0)
    assert alloc == {0: 10, 1: 10, 2: 80}


def test_rounding_ties_go_to_lower_class_and_is_deterministic():
    alloc = allocate_budget(4, {0: 0.5, 1: 0.5, 2: 0.5}, min_share=0.0, max_share=1.0)
    assert alloc == {0: 2, 1: 1, 2: 1}


def test_no_errors_is_uniform():
    assert error_shares({0: 1.0, 1: 1.0}) == {0: 0.5, 1: 0.5}


def test_thresholds_lower_for_weak_classes():
    t = class_thresholds({0: 1.0, 1: 0.5, 2: 0.0}, 0.2, 0.8)
    assert t == pytest.approx({0: 0.8, 1: 0.5, 2: 0.2})


def test_split_budget():
    assert split_budget(10, 3) == [4, 3, 3] and sum(split_budget(7, 7)) == 7


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"budget": 0}, "budget must be an int >= 1; got 0"),
        ({"min_share": 0.5}, r"floors alone exceed the budget. Use min_share <= 0.3333"),
        ({"max_share": 0.2}, r"caps cannot hold the whole budget. Use max_share >= 0.3333"),
    ],
)
def test_exception(kwargs, message):
    args = {"budget": 100, "accuracy": {0: 0.9, 1: 0.9, 2: 0.2}, **kwargs}
    with pytest.raises(ValueError, match=message):
        allocate_budget(**args)
