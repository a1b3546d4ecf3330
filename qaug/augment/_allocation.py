"""Pure rules of the customized strategy: budget allocation and per-class thresholds.

Formulas (the README copies them):

- Error rate of class c on the validation split: ``e_c = 1 - acc_c`` (``acc_c`` = recall of
  class c). The paper allocates by each class's share of the misclassified samples; on a
  balanced validation split (qaug's splits are) that share is ``w_c = e_c / sum_j e_j``, and
  rates stay fair if a user's validation split is unbalanced. All ``e_c = 0``: ``w_c = 1/K``.
- Floor: ``w'_c = s_min + (1 - K s_min) w_c``, so every class gets at least ``s_min`` of the
  budget (needs ``K s_min <= 1``).
- Cap: shares above ``s_max`` are cut to ``s_max`` and the excess is handed to the other classes
  in proportion to their shares, repeated until none exceeds it (needs ``K s_max >= 1``).
- Rounding: quotas ``q_c = B w'_c``; each class gets ``floor(q_c)``, and the ``B - sum floor(q_c)``
  samples left go one each to the largest remainders (ties: lower class id first), never above
  ``ceil(B s_max)``. The result sums exactly to ``B``.
- Threshold: ``t_c = t_min + (t_max - t_min) acc_c``: weak classes accept less confident
  samples (the paper: under a tight budget, quantity for weak classes beats quality), strong
  classes only confident ones. ``t_min == t_max`` gives one fixed threshold.
"""

from __future__ import annotations

import math

__all__ = ["allocate_budget", "class_thresholds", "error_shares", "split_budget"]


def error_shares(accuracy: dict[int, float]) -> dict[int, float]:
    """``w_c = (1 - acc_c) / sum_j (1 - acc_j)`` (uniform when no class has errors)."""
    errors = {c: max(0.0, 1.0 - float(a)) for c, a in accuracy.items()}
    total = sum(errors.values())
    if total <= 0:
        return {c: 1.0 / len(errors) for c in errors}
    return {c: e / total for c, e in errors.items()}


def _check_shares(k: int, min_share: float, max_share: float) -> None:
    if k * min_share > 1 + 1e-12:
        raise ValueError(
            f"min_share={min_share} x {k} classes = {k * min_share:g} > 1: the floors alone exceed "
            f"the budget. Use min_share <= {1 / k:.4g}."
        )
    if k * max_share < 1 - 1e-12:
        raise ValueError(
            f"max_share={max_share} x {k} classes = {k * max_share:g} < 1: the caps cannot hold "
            f"the whole budget. Use max_share >= {1 / k:.4g}."
        )


def allocate_budget(
    budget: int, accuracy: dict[int, float], min_share: float = 0.05, max_share: float = 0.8
) -> dict[int, int]:
    """Split ``budget`` new samples across classes by their share of the validation error.

    Args:
        budget: total new samples B >= 1.
        accuracy: ``{class: validation accuracy (recall) in [0, 1]}`` of the eligible classes.
        min_share: floor share ``s_min`` per class.
        max_share: cap share ``s_max`` per class.

    Returns:
        ``{class: n_c}`` with ``sum n_c == budget`` (see the module docstring for the formulas).

    Example:
        >>> allocate_budget(100, {0: 0.96, 1: 0.96, 2: 0.24}, min_share=0.05, max_share=0.8)
        {0: 10, 1: 10, 2: 80}
    """
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(f"budget must be an int >= 1; got {budget!r}. Use e.g. budget=200.")
    if not accuracy:
        raise ValueError("accuracy must name at least one class.")
    classes = sorted(accuracy)
    k = len(classes)
    _check_shares(k, min_share, max_share)
    w = error_shares(accuracy)
    share = {c: min_share + (1 - k * min_share) * w[c] for c in classes}
    capped: set[int] = set()
    while True:  # water-filling: at most k passes, each caps at least one more class
        over = [c for c in classes if c not in capped and share[c] > max_share + 1e-12]
        if not over:
            break
        excess = sum(share[c] - max_share for c in over)
        for c in over:
            share[c] = max_share
            capped.add(c)
        free = [c for c in classes if c not in capped]
        mass = sum(share[c] for c in free)
        for c in free:
            share[c] += excess * (share[c] / mass if mass > 0 else 1 / len(free))
    # ceil, not floor: sum_c ceil(B s_max) >= K B s_max >= B, so the caps always hold B.
    cap = math.ceil(budget * max_share - 1e-9)
    quota = {c: budget * share[c] for c in classes}
    alloc = {c: min(cap, math.floor(quota[c] + 1e-9)) for c in classes}
    order = sorted(classes, key=lambda c: (-(quota[c] - math.floor(quota[c] + 1e-9)), c))
    left = budget - sum(alloc.values())
    while left > 0:
        for c in order:
            if left and alloc[c] < cap:
                alloc[c] += 1
                left -= 1
    return alloc


def class_thresholds(
    accuracy: dict[int, float], threshold_min: float, threshold_max: float
) -> dict[int, float]:
    """``t_c = t_min + (t_max - t_min) * acc_c`` per class."""
    return {
        c: float(threshold_min + (threshold_max - threshold_min) * float(a))
        for c, a in accuracy.items()
    }


def split_budget(budget: int, n_rounds: int) -> list[int]:
    """Split ``budget`` over ``n_rounds`` as evenly as possible (earlier rounds get the extra)."""
    base, extra = divmod(int(budget), int(n_rounds))
    return [base + (1 if r < extra else 0) for r in range(n_rounds)]
