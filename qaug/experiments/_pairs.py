"""Runs paired by seed, and the report's paired-comparison family (with BH-adjusted p-values).

Shared by the claims (which read the positive controls from it) and the tables. Records are the
flat run records of :func:`qaug.experiments.run_records`.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from qaug._registry import GENERATOR_KINDS, QUANTUM_GENERATOR_KINDS
from qaug.experiments._stats import adjust_pvalues, paired_compare

__all__ = ["by_seed", "paired_values", "pair", "weakest_class", "methods_of", "classifiers_of",
           "comparison_pairs", "comparison_rows", "adjust_rows", "positive_controls", "ALPHA",
           "MARGIN"]

ALPHA = 0.05
MARGIN = 0.01
_GENERATIVE = ("gan", "dcgan", "qgan")
_CLASSICAL_KINDS = tuple(k for k in GENERATOR_KINDS if k not in QUANTUM_GENERATOR_KINDS)


def by_seed(records, classifier, method, key="test_accuracy", cls=None) -> dict[int, float]:
    """``{seed: value}`` of one classifier and method (``cls``: a per-class accuracy)."""
    out = {}
    for r in records:
        if r["classifier"] == classifier and r["method"] == method:
            v = r[key] if cls is None else r[key].get(str(cls))
            if v is not None:
                out[r["seed"]] = float(v)
    return out


def paired_values(records, classifier, a, b, key="test_accuracy", cls=None):
    """Values of methods ``a`` and ``b`` on the seeds both have, in seed order."""
    xa, xb = by_seed(records, classifier, a, key, cls), by_seed(records, classifier, b, key, cls)
    seeds = sorted(set(xa) & set(xb))
    return [xa[s] for s in seeds], [xb[s] for s in seeds]


def pair(records, classifier, a, b, key="test_accuracy", cls=None, margin=MARGIN) -> dict:
    """:func:`paired_compare` of ``a - b`` (with the TOST p-value at ``margin``)."""
    va, vb = paired_values(records, classifier, a, b, key, cls)
    return paired_compare(va, vb, margin=margin)


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


def methods_of(records) -> list[str]:
    """Methods present, in record order."""
    return list(dict.fromkeys(r["method"] for r in records))


def classifiers_of(records) -> list[str]:
    """Classifiers present, in record order (the sweep's order, not alphabetical)."""
    return list(dict.fromkeys(r["classifier"] for r in records))


def comparison_pairs(methods) -> list[tuple[str, str]]:
    """The ``(a, b)`` pairs of the comparison table.

    Every method against no augmentation (the positive controls), QGAN against each other
    baseline, every other quantum kind against traditional, rebalance and each classical
    generator, and the customized strategy against the general one and the top-ups.
    """
    present = list(methods)
    pairs = [(m, "none") for m in present if m != "none"]
    pairs += [("qgan", b) for b in ("traditional", "rebalance", *(k for k in _GENERATIVE
                                                                   if k != "qgan"))]
    # every other quantum kind against the same baselines and each classical generator (its
    # parameter-matched control among them: latent - latent_mlp)
    pairs += [(q, b) for q in QUANTUM_GENERATOR_KINDS if q != "qgan"
              for b in ("traditional", "rebalance", *_CLASSICAL_KINDS)]
    pairs += [("qgan_customized", b) for b in ("qgan", "rebalance", "qgan_rebalance")]
    pairs += [("qgan_rebalance", "rebalance")]
    out = []
    for a, b in pairs:
        if a in present and b in present and (a, b) not in out:
            out.append((a, b))
    return out


def comparison_rows(records: list[dict], classifiers=None, margin: float = MARGIN) -> list[dict]:
    """Raw paired comparisons of one setting (see :func:`comparison_pairs`).

    Rows with ``a`` the customized strategy get a second row on the classifier's weakest class
    (its baseline's lowest validation accuracy). Each row: ``classifier``, ``a``, ``b``,
    ``metric`` and the :func:`paired_compare` fields.
    """
    present = methods_of(records)
    clfs = [c for c in (classifiers or []) if c in classifiers_of(records)] or classifiers_of(
        records)
    rows = []
    for clf in clfs:
        weak = weakest_class(records, clf)
        for a, b in comparison_pairs(present):
            va, vb = paired_values(records, clf, a, b)
            if not va:
                continue
            rows.append({"classifier": clf, "a": a, "b": b, "metric": "test accuracy",
                         **paired_compare(va, vb, margin=margin)})
            if a == "qgan_customized" and weak is not None:
                wa, wb = paired_values(records, clf, a, b, "per_class_accuracy", weak)
                rows.append({"classifier": clf, "a": a, "b": b, "metric": f"class {weak} accuracy",
                             **paired_compare(wa, wb, margin=margin)})
    return rows


def adjust_rows(rows_by_setting: dict[str, list[dict]], method: str = "bh") -> None:
    """Fill ``p_adj`` of every row in place: one family over all settings of a report."""
    flat = [r for rows in rows_by_setting.values() for r in rows]
    for r, p in zip(flat, adjust_pvalues([r["p"] for r in flat], method)):
        r["p_adj"] = p
        r["p_adjust"] = method


def positive_controls(rows: list[dict], alpha: float = ALPHA) -> dict[str, bool]:
    """Per classifier: does some method move test accuracy against no augmentation?

    True when a ``m - none`` test-accuracy row of the (adjusted) comparison family has
    ``p_adj < alpha``. Without one, the setting cannot tell "no difference" from "no power".
    """
    out: dict[str, bool] = {}
    for r in rows:
        hit = (r["b"] == "none" and r["metric"] == "test accuracy" and r.get("p_adj") is not None
               and np.isfinite(r["p_adj"]) and r["p_adj"] < alpha)
        out[r["classifier"]] = out.get(r["classifier"], False) or bool(hit)
    return out
