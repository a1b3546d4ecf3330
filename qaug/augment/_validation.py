"""Parameter-constraint tables, checked once in ``fit_resample`` (imbalanced-learn / sklearn style).

Each sampler lists ``_parameter_constraints = {"name": [constraint, ...]}``; a value is valid
when it satisfies any constraint of its list. Every constraint can also produce an invalid
example, so one common test (``tests/augment/test_common.py``) drives each table: it sets each
parameter to an invalid value and checks the error names the parameter.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import torch

__all__ = [
    "InvalidParameterError",
    "Interval",
    "Options",
    "SubsetOf",
    "RangePair",
    "InstanceOf",
    "LazyInstanceOf",
    "HasMethods",
    "NoneOk",
    "CallableOk",
    "RandomState",
    "validate_params",
]


class InvalidParameterError(ValueError, TypeError):
    """A constructor argument outside its constraint table (both ValueError and TypeError)."""


def _is_real(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(float(v))


class Interval:
    """A number (``int`` with ``integer=True``) in ``[left, right]`` (``None`` = unbounded)."""

    def __init__(self, left=None, right=None, *, integer=False, open_left=False):
        self.left, self.right, self.integer, self.open_left = left, right, integer, open_left

    def ok(self, v: Any) -> bool:
        if self.integer and not (isinstance(v, numbers.Integral) and not isinstance(v, bool)):
            return False
        if not _is_real(v):
            return False
        if self.left is not None and (v <= self.left if self.open_left else v < self.left):
            return False
        return self.right is None or v <= self.right

    def describe(self) -> str:
        kind = "an int" if self.integer else "a number"
        lo = "-inf" if self.left is None else f"{self.left:g}"
        hi = "inf" if self.right is None else f"{self.right:g}"
        return f"{kind} in {'(' if self.open_left else '['}{lo}, {hi}]"

    def invalid(self) -> Any:
        if self.right is not None:
            return self.right + 1
        return (self.left - 1) if self.left is not None else "not-a-number"


class Options:
    """One of a fixed set of strings."""

    def __init__(self, *options: str):
        self.options = options

    def ok(self, v: Any) -> bool:
        return isinstance(v, str) and v in self.options

    def describe(self) -> str:
        return f"one of {list(self.options)}"

    def invalid(self) -> Any:
        return "not-an-option"


class SubsetOf:
    """A non-empty tuple/list of distinct strings from a fixed set."""

    def __init__(self, *options: str):
        self.options = options

    def ok(self, v: Any) -> bool:
        return (
            isinstance(v, (tuple, list)) and len(v) > 0 and len(set(v)) == len(v)
            and all(isinstance(s, str) and s in self.options for s in v)
        )

    def describe(self) -> str:
        return f"a non-empty tuple of distinct names from {list(self.options)}"

    def invalid(self) -> Any:
        return ("not-an-option",)


class RangePair:
    """A pair ``(lo, hi)`` of numbers with ``left <= lo <= hi <= right``."""

    def __init__(self, left: float, right: float | None = None):
        self.left, self.right = left, right

    def ok(self, v: Any) -> bool:
        if not (isinstance(v, (tuple, list)) and len(v) == 2 and all(_is_real(t) for t in v)):
            return False
        lo, hi = v
        return self.left <= lo <= hi and (self.right is None or hi <= self.right)

    def describe(self) -> str:
        hi = "inf" if self.right is None else f"{self.right:g}"
        return f"a pair (lo, hi) with {self.left:g} <= lo <= hi <= {hi}"

    def invalid(self) -> Any:
        return (self.left + 2, self.left + 1)  # lo > hi


class InstanceOf:
    """An instance of one of ``types`` (``name`` is used in messages)."""

    def __init__(self, *types: type, name: str | None = None):
        self.types, self.name = types, name or " or ".join(t.__name__ for t in types)

    def ok(self, v: Any) -> bool:
        return isinstance(v, self.types)

    def describe(self) -> str:
        return f"a {self.name}"

    def invalid(self) -> Any:
        return object()


class LazyInstanceOf:
    """An instance of ``module.name``, imported when first checked (keeps stage imports lazy)."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def ok(self, v: Any) -> bool:
        import importlib

        return isinstance(v, getattr(importlib.import_module(self.module), self.name))

    def describe(self) -> str:
        return f"a {self.module}.{self.name}"

    def invalid(self) -> Any:
        return object()


class HasMethods:
    """Any object with the given methods (duck typing, e.g. a generator bank with ``generate``)."""

    def __init__(self, *methods: str, name: str):
        self.methods, self.name = methods, name

    def ok(self, v: Any) -> bool:
        return all(callable(getattr(v, m, None)) for m in self.methods)

    def describe(self) -> str:
        return f"a {self.name} (an object with {', '.join(m + '()' for m in self.methods)})"

    def invalid(self) -> Any:
        return object()


class NoneOk:
    """``None``."""

    def ok(self, v: Any) -> bool:
        return v is None

    def describe(self) -> str:
        return "None"

    def invalid(self) -> Any:
        return None


class CallableOk:
    """Any callable."""

    def ok(self, v: Any) -> bool:
        return callable(v) and not isinstance(v, type)

    def describe(self) -> str:
        return "a callable"

    def invalid(self) -> Any:
        return 3.5


class RandomState:
    """An int seed >= 0, a ``torch.Generator`` (CPU), or ``None`` (fresh OS entropy)."""

    def ok(self, v: Any) -> bool:
        if v is None or isinstance(v, torch.Generator):
            return True
        return isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0

    def describe(self) -> str:
        return "an int seed >= 0, a torch.Generator or None"

    def invalid(self) -> Any:
        return -1


def validate_params(obj: Any, constraints: dict[str, list], extra: Callable | None = None) -> None:
    """Check every parameter of ``obj`` against its constraint list.

    Raises:
        InvalidParameterError: naming the class, the parameter, what is allowed and what was got.
    """
    cls = type(obj).__name__
    for name, options in constraints.items():
        value = getattr(obj, name)
        if any(c.ok(value) for c in options):
            continue
        allowed = " or ".join(c.describe() for c in options)
        raise InvalidParameterError(
            f"The {name!r} parameter of {cls} must be {allowed}; got {value!r}. "
            f"Pass {cls}({name}=...) with an allowed value."
        )


def invalid_examples(constraints: dict[str, list]) -> dict[str, Any]:
    """One value per parameter that satisfies none of its constraints (for the common tests)."""
    out = {}
    for name, options in constraints.items():
        for c in options:
            v = c.invalid()
            if not any(o.ok(v) for o in options):
                out[name] = v
                break
    return out
