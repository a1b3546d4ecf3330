"""The paper's claims and the explicit rules that turn measured numbers into verdicts.

Verdicts are computed, never assumed: each claim names the runs it compares, the statistic,
and one of the rules in ``RULES``; the report prints them next to the table. Inputs are the flat run
records built by :func:`qaug.experiments.run_records` (one dict per finished run).

Rules: ``RULES`` (printed by the report next to the claims table).
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from qaug.experiments._stats import paired_compare

__all__ = ["evaluate_claims", "RULES", "ALPHA", "MARGIN", "MIN_SEEDS", "superiority_verdict",
           "equivalence_verdict", "iterations_verdict", "combine_verdicts", "weakest_class"]

ALPHA = 0.05
MARGIN = 0.01
MIN_SEEDS = 3
PARAM_RATIO_MAX = 0.6
ITER_REDUCTION_MIN = 0.4
HYBRID = ("hqcnn", "reupload", "quanv")
# Kept out of the docstring so that it exists under ``python -OO`` (docstrings stripped).
RULES = """\
(alpha = 0.05, margin = 1 accuracy point, n >= 3 paired seeds):

* superiority ("A beats B"): *supported* if the mean paired difference A - B is > 0 and the
  paired t-test gives p < alpha; *not supported* if the upper end of the 95% interval of the
  difference is below +margin (an advantage of a full point or more is ruled out);
  *inconclusive* otherwise.
* equivalence ("A matches B with fewer parameters"): *not supported* if A's generator has
  more than 60% of B's trainable parameters, or A is worse by more than the margin with
  p < alpha; *supported* if the 95% interval of A - B lies inside [-margin, +margin] (or A is
  significantly better); *inconclusive* otherwise.
* iterations ("A needs ~60% fewer iterations than B"): per seed, reduction = 1 - iters(A) /
  iters(B) (iterations for the class-mean quality to reach the target; a run that never
  reaches it counts its full budget). *supported* if the mean reduction is >= 40% and the
  paired t-test on log-iterations gives p < alpha; *not supported* if the 95% interval of the
  reduction lies below 40%; *inconclusive* otherwise, and whenever B reaches the target on
  fewer than half the seeds.
* a claim over several classifiers: *supported* if supported for most classifiers and not
  supported for none; *not supported* in the mirror case; else *inconclusive*."""

SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE, NOT_TESTED = (
    "supported", "not supported", "inconclusive", "not tested")


def superiority_verdict(cmp: dict, alpha: float = ALPHA, margin: float = MARGIN) -> str:
    """Verdict for "A beats B" from :func:`paired_compare` output (see module rules)."""
    if cmp["n"] < MIN_SEEDS:
        return INCONCLUSIVE
    if cmp["mean_diff"] > 0 and _lt(cmp["p_t"], alpha):
        return SUPPORTED
    if _lt(cmp["ci_high"], margin):
        return NOT_SUPPORTED
    return INCONCLUSIVE


def equivalence_verdict(cmp: dict, param_ratio: float | None,
                        alpha: float = ALPHA, margin: float = MARGIN) -> str:
    """Verdict for "A matches B with about half the parameters" (see module rules)."""
    if param_ratio is not None and param_ratio > PARAM_RATIO_MAX:
        return NOT_SUPPORTED
    if cmp["n"] < MIN_SEEDS or param_ratio is None:
        return INCONCLUSIVE
    if cmp["mean_diff"] < -margin and _lt(cmp["p_t"], alpha):
        return NOT_SUPPORTED
    if cmp["mean_diff"] > 0 and _lt(cmp["p_t"], alpha):
        return SUPPORTED
    if _lt(-margin, cmp["ci_low"]) and _lt(cmp["ci_high"], margin):
        return SUPPORTED
    return INCONCLUSIVE


def iterations_verdict(iters_a: list[float], iters_b: list[float], reached_b: list[bool],
                       alpha: float = ALPHA) -> tuple[str, dict]:
    """Verdict for "A needs about 60% fewer iterations than B", with its evidence."""
    n = min(len(iters_a), len(iters_b))
    red = [1.0 - a / b for a, b in zip(iters_a, iters_b) if b > 0]
    log_cmp = paired_compare(np.log(np.maximum(iters_a, 1.0)).tolist(),
                             np.log(np.maximum(iters_b, 1.0)).tolist())
    red_cmp = paired_compare(red, [ITER_REDUCTION_MIN] * len(red))
    ev = {"n": n, "mean_reduction": float(np.mean(red)) if red else math.nan,
          "reduction_ci": (red_cmp["ci_low"] + ITER_REDUCTION_MIN,
                           red_cmp["ci_high"] + ITER_REDUCTION_MIN),
          "p_log_iters": log_cmp["p_t"], "b_reached": int(sum(reached_b))}
    if n < MIN_SEEDS or sum(reached_b) < n / 2:
        return INCONCLUSIVE, ev
    if ev["mean_reduction"] >= ITER_REDUCTION_MIN and log_cmp["mean_diff"] < 0 and _lt(
            log_cmp["p_t"], alpha):
        return SUPPORTED, ev
    if _lt(ev["reduction_ci"][1], ITER_REDUCTION_MIN):
        return NOT_SUPPORTED, ev
    return INCONCLUSIVE, ev


def combine_verdicts(verdicts: list[str]) -> str:
    """One verdict from per-classifier verdicts (majority without contradiction)."""
    tested = [v for v in verdicts if v != NOT_TESTED]
    if not tested:
        return NOT_TESTED
    sup, nos = tested.count(SUPPORTED), tested.count(NOT_SUPPORTED)
    if sup > len(tested) / 2 and nos == 0:
        return SUPPORTED
    if nos > len(tested) / 2 and sup == 0:
        return NOT_SUPPORTED
    return INCONCLUSIVE


def _lt(a: float, b: float) -> bool:
    return a is not None and b is not None and math.isfinite(a) and math.isfinite(b) and a < b


def _by_seed(records, classifier, method, key="test_accuracy", cls=None) -> dict[int, float]:
    out = {}
    for r in records:
        if r["classifier"] == classifier and r["method"] == method:
            v = r[key] if cls is None else r[key].get(str(cls))
            if v is not None:
                out[r["seed"]] = float(v)
    return out


def _pair(records, classifier, a, b, key="test_accuracy", cls=None) -> dict:
    xa, xb = _by_seed(records, classifier, a, key, cls), _by_seed(records, classifier, b, key, cls)
    seeds = sorted(set(xa) & set(xb))
    return paired_compare([xa[s] for s in seeds], [xb[s] for s in seeds])


def weakest_class(records: list[dict], classifier: str, method: str = "none") -> str | None:
    """Original class id (as str) with the lowest mean validation accuracy under ``method``."""
    acc = defaultdict(list)
    for r in records:
        if r["classifier"] == classifier and r["method"] == method:
            per = r.get("val_per_class_accuracy") or r["per_class_accuracy"]
            for c, v in per.items():
                acc[c].append(v)
    if not acc:
        return None
    return min(acc, key=lambda c: (float(np.mean(acc[c])), c))


def _methods(records) -> set[str]:
    return {r["method"] for r in records}


def _classifiers(records) -> list[str]:
    # Keep the order of the records (the sweep's classifier order), not alphabetical.
    return list(dict.fromkeys(r["classifier"] for r in records))


def _pairwise_claim(records, cid, text, a, b, classifiers=None) -> dict:
    rows, verdicts = [], []
    if {a, b} <= _methods(records):
        for clf in classifiers or _classifiers(records):
            cmp = _pair(records, clf, a, b)
            v = superiority_verdict(cmp) if cmp["n"] else NOT_TESTED
            rows.append({"classifier": clf, **cmp, "verdict": v})
            verdicts.append(v)
    return {"id": cid, "claim": text, "rule": "superiority", "comparison": f"{a} - {b}",
            "per_classifier": rows, "verdict": combine_verdicts(verdicts)}


def evaluate_claims(records: list[dict]) -> list[dict]:
    """Evaluate every claim on the finished runs of one setting.

    Args:
        records: flat run records of one setting (keys ``classifier``, ``method``, ``seed``,
            ``test_accuracy``, ``per_class_accuracy``, ``val_per_class_accuracy``,
            ``generator``).

    Returns:
        One dict per claim: ``id``, ``claim``, ``rule``, ``comparison``, ``per_classifier``
        (evidence rows with the paired statistics and a verdict), ``verdict``, and for some
        claims an ``evidence`` dict.
    """
    claims = [
        _pairwise_claim(records, "qgan_vs_none", "QGAN augmentation improves on no augmentation",
                        "qgan", "none"),
        _pairwise_claim(records, "qgan_vs_traditional",
                        "QGAN augmentation beats traditional augmentation", "qgan", "traditional"),
        _pairwise_claim(records, "qgan_vs_gan", "QGAN augmentation beats a classical GAN",
                        "qgan", "gan"),
        _dcgan_claim(records),
        _iterations_claim(records),
        _customized_claim(records, "customized_vs_none", "none",
                          "The customized strategy lifts the weakest class (vs no augmentation)"),
        _customized_claim(records, "customized_vs_general", "qgan",
                          "The customized strategy lifts the weakest class more than the general "
                          "QGAN strategy"),
        _control_claim(records),
    ]
    return claims


def _generator_total(records, method) -> float | None:
    for r in records:
        if r["method"] == method and r.get("generator"):
            return float(r["generator"]["parameter_counts"]["generator"]["total"])
    return None


def _dcgan_claim(records) -> dict:
    claim = _pairwise_claim(records, "qgan_matches_dcgan",
                            "QGAN augmentation matches a DCGAN with about half the parameters",
                            "qgan", "dcgan")
    claim["rule"] = "equivalence"
    pq, pd = _generator_total(records, "qgan"), _generator_total(records, "dcgan")
    ratio = pq / pd if pq is not None and pd else None
    claim["evidence"] = {"qgan_generator_params": pq, "dcgan_generator_params": pd,
                         "param_ratio": ratio}
    verdicts = []
    for row in claim["per_classifier"]:
        row["verdict"] = equivalence_verdict(row, ratio) if row["n"] else NOT_TESTED
        verdicts.append(row["verdict"])
    claim["verdict"] = combine_verdicts(verdicts)
    return claim


def _iterations_claim(records) -> dict:
    claim = {"id": "qgan_fewer_iterations",
             "claim": "QGAN needs about 60% fewer training iterations than a classical GAN",
             "rule": "iterations", "comparison": "qgan vs gan (generator banks, per seed)",
             "per_classifier": [], "verdict": NOT_TESTED}
    banks, diversity = {}, {}
    for r in records:
        g = r.get("generator")
        if g and g.get("kind") in ("qgan", "gan") and g.get("iterations_to_target"):
            banks[(g["kind"], r["seed"])] = g["iterations_to_target"]
            div = (g.get("final_quality") or {}).get("mean", {}).get("diversity_ratio")
            if div is not None:
                diversity.setdefault(g["kind"], {})[r["seed"]] = div
    seeds = sorted({s for k, s in banks if k == "qgan"} & {s for k, s in banks if k == "gan"})
    if not seeds:
        return claim
    ia = [float(banks[("qgan", s)]["iterations"]) for s in seeds]
    ib = [float(banks[("gan", s)]["iterations"]) for s in seeds]
    reached = [bool(banks[("gan", s)]["reached"]) for s in seeds]
    claim["verdict"], claim["evidence"] = iterations_verdict(ia, ib, reached)
    claim["evidence"].update({"qgan_iterations": ia, "gan_iterations": ib,
                              "qgan_diversity": _mean_or_none(diversity.get("qgan")),
                              "gan_diversity": _mean_or_none(diversity.get("gan")),
                              "metric": banks[("qgan", seeds[0])].get("metric"),
                              "target": banks[("qgan", seeds[0])].get("target")})
    return claim


def _mean_or_none(by_seed: dict | None) -> float | None:
    return float(np.mean(list(by_seed.values()))) if by_seed else None


def _customized_claim(records, cid, baseline, text) -> dict:
    method = "qgan_customized"
    claim = {"id": cid, "claim": text, "rule": "superiority",
             "comparison": f"{method} - {baseline}, weakest class's test accuracy",
             "per_classifier": [], "verdict": NOT_TESTED}
    if not {method, baseline, "none"} <= _methods(records):
        return claim
    verdicts = []
    for clf in _classifiers(records):
        weak = weakest_class(records, clf)
        if weak is None:
            continue
        cmp = _pair(records, clf, method, baseline, "per_class_accuracy", weak)
        v = superiority_verdict(cmp) if cmp["n"] else NOT_TESTED
        claim["per_classifier"].append({"classifier": clf, "weakest_class": weak, **cmp,
                                        "verdict": v})
        verdicts.append(v)
    claim["verdict"] = combine_verdicts(verdicts)
    return claim


def _control_claim(records) -> dict:
    claim = {"id": "quantum_vs_control",
             "claim": "The quantum layer beats the classical control of the same shape "
                      "(no augmentation)",
             "rule": "superiority", "comparison": "hybrid - cnn, method none",
             "per_classifier": [], "verdict": NOT_TESTED}
    clfs = _classifiers(records)
    if "cnn" not in clfs or "none" not in _methods(records):
        return claim
    verdicts = []
    for clf in [c for c in clfs if c in HYBRID]:
        a, b = _by_seed(records, clf, "none"), _by_seed(records, "cnn", "none")
        seeds = sorted(set(a) & set(b))
        cmp = paired_compare([a[s] for s in seeds], [b[s] for s in seeds])
        v = superiority_verdict(cmp) if cmp["n"] else NOT_TESTED
        claim["per_classifier"].append({"classifier": clf, **cmp, "verdict": v})
        verdicts.append(v)
    claim["verdict"] = combine_verdicts(verdicts)
    return claim
