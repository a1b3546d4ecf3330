"""Verdict rules: paired statistics (adjusted p-values) in, one verdict word out.

The rules are stated in words in :mod:`qaug.experiments._claims` (printed in every report);
these functions are their only implementation.
"""

from __future__ import annotations

import math

import numpy as np

from qaug.experiments._pairs import ALPHA, MARGIN
from qaug.experiments._stats import paired_compare

__all__ = ["superiority_verdict", "equivalence_verdict", "iterations_verdict", "combine_verdicts",
           "refuted_flags", "verdict_text", "MIN_SEEDS", "PARAM_RATIO_MAX", "ITER_REDUCTION_MIN",
           "SUPPORTED", "NOT_SUPPORTED", "INCONCLUSIVE", "NOT_TESTED", "REFUTED", "UNTESTABLE"]

MIN_SEEDS = 3
PARAM_RATIO_MAX = 0.6
ITER_REDUCTION_MIN = 0.4

SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE, NOT_TESTED = (
    "supported", "not supported", "inconclusive", "not tested")
REFUTED, UNTESTABLE = "refuted", "untestable here"


def _lt(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and math.isfinite(a) and math.isfinite(b) and a < b


def _p(cmp: dict, key: str = "p") -> float | None:
    """The adjusted p-value of ``key`` when the family was adjusted, else the raw one."""
    adj = cmp.get(f"{key}_adj")
    return adj if adj is not None or f"{key}_adj" in cmp else cmp.get(key)


def superiority_verdict(cmp: dict, alpha: float = ALPHA, margin: float = MARGIN) -> str:
    """Verdict for "A beats B" from :func:`paired_compare` output (see module rules)."""
    if cmp["n"] < MIN_SEEDS:
        return INCONCLUSIVE
    p = _p(cmp)
    if _lt(p, alpha):
        if cmp["mean_diff"] > 0:
            return SUPPORTED
        if cmp["mean_diff"] < 0:
            return REFUTED
    if _lt(cmp["ci_high"], margin):
        return NOT_SUPPORTED
    return INCONCLUSIVE


def equivalence_verdict(cmp: dict, param_ratio: float | None, alpha: float = ALPHA,
                        margin: float = MARGIN, control: bool = True) -> str:
    """Verdict for "A matches B with about half the parameters" (see module rules).

    ``cmp`` needs ``p_tost`` (``paired_compare(..., margin=margin)``); ``control`` says
    whether the setting has a positive control for this classifier.
    """
    if param_ratio is not None and param_ratio > PARAM_RATIO_MAX:
        return NOT_SUPPORTED
    if cmp["n"] < MIN_SEEDS or param_ratio is None:
        return INCONCLUSIVE
    p = _p(cmp)
    if _lt(p, alpha) and cmp["mean_diff"] < 0:
        return REFUTED
    if _lt(p, alpha) and cmp["mean_diff"] > 0:
        return SUPPORTED
    if not control:
        return UNTESTABLE
    if _lt(_p(cmp, "p_tost"), alpha):
        return SUPPORTED
    return INCONCLUSIVE


def iterations_verdict(iters_a: list[float], iters_b: list[float], reached_b: list[bool],
                       alpha: float = ALPHA, p_adj: float | None = None) -> tuple[str, dict]:
    """Verdict for "A needs about 60% fewer iterations than B", with its evidence.

    ``p_adj``: the adjusted p-value of the log-iterations test (None: use the raw one).
    """
    n = min(len(iters_a), len(iters_b))
    red = [1.0 - a / b for a, b in zip(iters_a, iters_b) if b > 0]
    log_cmp = paired_compare(np.log(np.maximum(iters_a, 1.0)).tolist(),
                             np.log(np.maximum(iters_b, 1.0)).tolist())
    red_cmp = paired_compare(red, [ITER_REDUCTION_MIN] * len(red))
    p = log_cmp["p"] if p_adj is None else p_adj
    ev = {"n": n, "mean_reduction": float(np.mean(red)) if red else math.nan,
          "reduction_ci": (red_cmp["ci_low"] + ITER_REDUCTION_MIN,
                           red_cmp["ci_high"] + ITER_REDUCTION_MIN),
          "p_log_iters": log_cmp["p"], "p_adj": p_adj, "test": log_cmp["test"],
          "b_reached": int(sum(reached_b))}
    if n < MIN_SEEDS or sum(reached_b) < n / 2:
        return INCONCLUSIVE, ev
    if ev["mean_reduction"] >= ITER_REDUCTION_MIN and log_cmp["mean_diff"] < 0 and _lt(p, alpha):
        return SUPPORTED, ev
    if log_cmp["mean_diff"] > 0 and _lt(p, alpha):
        return REFUTED, ev
    if _lt(ev["reduction_ci"][1], ITER_REDUCTION_MIN):
        return NOT_SUPPORTED, ev
    return INCONCLUSIVE, ev


def combine_verdicts(verdicts: list[str]) -> str:
    """One verdict from per-classifier verdicts (majority without contradiction)."""
    tested = [v for v in verdicts if v != NOT_TESTED]
    if not tested:
        return NOT_TESTED
    if all(v == UNTESTABLE for v in tested):
        return UNTESTABLE
    sup, ref = tested.count(SUPPORTED), tested.count(REFUTED)
    neg = ref + tested.count(NOT_SUPPORTED)
    half = len(tested) / 2
    if sup > half and neg == 0:
        return SUPPORTED
    if ref > half and sup == 0:
        return REFUTED
    if neg > half and sup == 0:
        return NOT_SUPPORTED
    return INCONCLUSIVE


def refuted_flags(claim: dict) -> list[str]:
    """``["refuted for hqcnn", ...]``: refuted cells a claim-level verdict would hide."""
    if claim["verdict"] == REFUTED:
        return []
    return [f"refuted for {r['classifier']}" for r in claim["per_classifier"]
            if r.get("verdict") == REFUTED]


def verdict_text(claim: dict) -> str:
    """The verdict as the report prints it, flags included."""
    return "; ".join([claim["verdict"], *claim.get("flags", [])])
