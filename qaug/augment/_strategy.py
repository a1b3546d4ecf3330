"""``sampling_strategy`` -> ``{class: n_new}``: one pure function shared by every sampler.

Semantics follow imbalanced-learn's over-samplers (``check_sampling_strategy`` with
``sampling_type="over-sampling"``), plus two forms the paper needs:

- ``"auto"`` (= ``"not majority"``), ``"minority"``, ``"not minority"``, ``"all"``: bring the
  selected classes up to the majority count (the majority itself gets 0 new samples).
- ``dict {class: target_total}``: the number of samples wanted *in total* for each listed class;
  it may not be below the present count and may only name classes present in ``y``.
- ``callable y -> dict``: called with the labels (numpy int64); the dict is read as above.
- ``int n`` (n >= 1): the paper's general strategy, a fixed, balanced ``n`` new samples per class.
- ``{"ratio": r}`` (r > 0): add ``round(r * count_c)`` new samples per class. A bare float is
  refused on purpose: imbalanced-learn reads a float as a minority/majority ratio for binary
  problems only, and silently taking another meaning would surprise its users.

Example:
    >>> import numpy as np
    >>> y = np.array([0, 0, 0, 0, 1, 1, 2])
    >>> resolve_sampling_strategy("auto", y)
    {1: 2, 2: 3}
    >>> resolve_sampling_strategy({2: 4}, y)
    {2: 3}
    >>> resolve_sampling_strategy(5, y)
    {0: 5, 1: 5, 2: 5}
    >>> resolve_sampling_strategy({"ratio": 0.5}, y)
    {0: 2, 1: 1, 2: 1}
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from qaug._registry import SAMPLING_STRATEGY_NAMES

__all__ = ["resolve_sampling_strategy", "STRATEGY_NAMES"]

STRATEGY_NAMES = SAMPLING_STRATEGY_NAMES


def _labels(y: Any) -> np.ndarray:
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            "y must be a non-empty 1-D array of integer labels; "
            f"got shape {y.shape}, dtype {y.dtype}."
        )
    return y.astype(np.int64)


def resolve_sampling_strategy(sampling_strategy: Any, y: Any) -> dict[int, int]:
    """Resolve ``sampling_strategy`` against labels ``y`` to ``{class: n_new}`` (sorted by class).

    Args:
        sampling_strategy: see the module docstring (str, dict, callable, int, ``{"ratio": r}``).
        y: integer labels ``(N,)`` (numpy array or torch tensor).

    Returns:
        ``{class: number of new samples to add}`` for the selected classes, in class order.

    Raises:
        ValueError: unknown strategy name, classes not in ``y``, targets below the present
            count, negative or non-integer numbers.
        TypeError: a strategy of an unsupported type.
    """
    y = _labels(y)
    classes, counts = np.unique(y, return_counts=True)
    stats = {int(c): int(n) for c, n in zip(classes, counts)}
    if isinstance(sampling_strategy, str):
        return _from_name(sampling_strategy, stats)
    if isinstance(sampling_strategy, numbers.Integral) and not isinstance(sampling_strategy, bool):
        if sampling_strategy < 1:
            raise ValueError(
                f"sampling_strategy as an int is the number of new samples per class and must be "
                f">= 1; got {sampling_strategy}. Use e.g. sampling_strategy=100."
            )
        return {c: int(sampling_strategy) for c in stats}
    if isinstance(sampling_strategy, Mapping) and "ratio" in sampling_strategy:
        return _from_ratio(sampling_strategy, stats)
    if isinstance(sampling_strategy, Mapping):
        return _from_targets(sampling_strategy, stats)
    if callable(sampling_strategy):
        out = sampling_strategy(y)
        if not isinstance(out, Mapping):
            raise TypeError(
                f"a callable sampling_strategy must return a dict {{class: target_total}}; "
                f"got {type(out).__name__}."
            )
        return _from_targets(out, stats)
    if isinstance(sampling_strategy, numbers.Real) and not isinstance(sampling_strategy, bool):
        raise TypeError(
            f"sampling_strategy={sampling_strategy!r}: a bare float is ambiguous (imbalanced-learn "
            f"reads it as a binary minority/majority ratio). Use "
            f"{{'ratio': {sampling_strategy!r}}} to add ratio x the original count per class, "
            "or an int for a fixed number per class."
        )
    raise TypeError(
        f"sampling_strategy must be a str {list(STRATEGY_NAMES)}, an int, a dict, {{'ratio': r}} "
        f"or a callable; got {type(sampling_strategy).__name__} ({sampling_strategy!r})."
    )


def _from_name(name: str, stats: dict[int, int]) -> dict[int, int]:
    n_major = max(stats.values())
    major = min(c for c, n in stats.items() if n == n_major)  # lowest id on ties, like np.argmax
    n_minor = min(stats.values())
    minor = min(c for c, n in stats.items() if n == n_minor)
    if name in ("auto", "not majority"):
        keep = [c for c in stats if c != major]
    elif name == "minority":
        keep = [minor]
    elif name == "not minority":
        keep = [c for c in stats if c != minor]
    elif name == "all":
        keep = list(stats)
    else:
        raise ValueError(
            f"sampling_strategy {name!r} is not a known name; use one of {list(STRATEGY_NAMES)}, "
            f"an int, a dict or {{'ratio': r}}."
        )
    return {c: n_major - stats[c] for c in sorted(keep)}


def _from_ratio(spec: Mapping, stats: dict[int, int]) -> dict[int, int]:
    extra = sorted(set(spec) - {"ratio"}, key=str)
    r = spec["ratio"]
    if extra:
        raise ValueError(f"sampling_strategy {{'ratio': r}} takes no other keys; got {extra}.")
    if not isinstance(r, numbers.Real) or isinstance(r, bool) or not (0 < float(r) < float("inf")):
        raise ValueError(
            f"sampling_strategy['ratio'] must be a positive finite number (new samples per "
            f"original sample); got {r!r}. Use e.g. {{'ratio': 1.0}} to double every class."
        )
    # round-half-even would make 0.5 x 5 = 2; use floor(x + 0.5) so halves round up predictably.
    return {c: int(np.floor(float(r) * n + 0.5)) for c, n in sorted(stats.items())}


def _from_targets(targets: Mapping, stats: dict[int, int]) -> dict[int, int]:
    bad_keys = [k for k in targets if not isinstance(k, numbers.Integral) or isinstance(k, bool)]
    if bad_keys:
        raise TypeError(f"sampling_strategy dict keys must be int class labels; got {bad_keys}.")
    unknown = sorted(int(k) for k in targets if int(k) not in stats)
    if unknown:
        raise ValueError(
            f"sampling_strategy names class(es) {unknown} not present in y (present: "
            f"{sorted(stats)}); remove them or fix the labels."
        )
    out = {}
    for c in sorted(int(k) for k in targets):
        target = targets[c]
        if not isinstance(target, numbers.Integral) or isinstance(target, bool):
            raise TypeError(
                f"sampling_strategy[{c}] must be an int target total; got {target!r}."
            )
        if target < stats[c]:
            raise ValueError(
                f"sampling_strategy[{c}] = {target} asks for fewer samples than class {c} has "
                f"({stats[c]}); augmentation only adds samples. Ask for at least {stats[c]}."
            )
        out[c] = int(target) - stats[c]
    return out

