"""The paper's claims and the explicit rules that turn measured numbers into verdicts.

Verdicts are computed, never assumed: each claim names the runs it compares, the statistic,
and one of the rules in ``RULES``; the report prints them next to the table. Inputs are the flat run
records built by :func:`qaug.experiments.run_records` (one dict per finished run).

Rules: ``RULES`` (printed by the report next to the claims table).
"""

from __future__ import annotations

import numpy as np

from qaug.experiments._pairs import (
    ALPHA,
    MARGIN,
    by_seed,
    classifiers_of,
    comparison_rows,
    methods_of,
    pair,
    positive_controls,
    weakest_class,
)
from qaug.experiments._pairs import adjust_rows as _adjust_rows
from qaug.experiments._stats import adjust_pvalues, paired_compare
from qaug.experiments._verdicts import (
    INCONCLUSIVE,
    MIN_SEEDS,
    NOT_SUPPORTED,
    NOT_TESTED,
    REFUTED,
    SUPPORTED,
    UNTESTABLE,
    combine_verdicts,
    equivalence_verdict,
    iterations_verdict,
    refuted_flags,
    superiority_verdict,
    verdict_text,
)

__all__ = ["evaluate_claims", "evaluate_report", "RULES", "ALPHA", "MARGIN", "MIN_SEEDS",
           "superiority_verdict", "equivalence_verdict", "iterations_verdict", "combine_verdicts",
           "refuted_flags", "verdict_text", "weakest_class", "SUPPORTED", "NOT_SUPPORTED",
           "INCONCLUSIVE", "NOT_TESTED", "REFUTED", "UNTESTABLE"]

HYBRID = ("hqcnn", "reupload", "quanv")
# Kept out of the docstring so that it exists under ``python -OO`` (docstrings stripped).
RULES = """\
(alpha = 0.05, margin = 1 accuracy point, n >= 3 paired seeds):

* test of record: the paired t-test, or the Wilcoxon signed-rank test when the Shapiro-Wilk
  test rejects normality of the per-seed differences (p < 0.05) and there are at least 6
  non-zero differences. Equivalence uses the paired TOST (two one-sided tests at -margin and
  +margin) of the same family.
* multiplicity: every p-value a claim verdict reads (one per classifier and claim, two for the
  equivalence claim: difference and TOST) forms one family per report, over all its settings,
  adjusted by Holm (configurable); verdicts read the adjusted p ("p adj"). The paired-
  comparison table is a second family, adjusted by Benjamini-Hochberg (configurable).
* positive control: a setting shows a detectable effect for a classifier when some method
  moves its test accuracy against no augmentation with BH-adjusted p < alpha.
* superiority ("A beats B"): *supported* if A - B > 0 with adjusted p < alpha; *refuted* if
  A - B < 0 with adjusted p < alpha (A significantly worse); *not supported* if the upper end
  of the unadjusted 95% interval of A - B is below +margin (an advantage of a full point is
  ruled out; this verdict asserts no gain, so it is not made easier by the adjustment);
  *inconclusive* otherwise.
* equivalence ("A matches B with fewer parameters"): *not supported* if A's generator has more
  than 60% of B's trainable generator parameters; *refuted* if A is significantly worse
  (adjusted p < alpha); *supported* if A is significantly better; *untestable here* if the
  setting has no positive control for the classifier (nothing moves accuracy, so "no
  difference" says nothing); *supported* if the adjusted TOST p < alpha (the difference lies
  within +-margin); *inconclusive* otherwise.
* iterations ("A needs ~60% fewer iterations than B"): per seed, reduction = 1 - iters(A) /
  iters(B) (iterations for the class-mean quality to reach the target; a run that never
  reaches it counts its full budget). *supported* if the mean reduction is >= 40% and the
  paired test on log-iterations gives adjusted p < alpha; *refuted* if A needs significantly
  more iterations; *not supported* if the 95% interval of the reduction lies below 40%;
  *inconclusive* otherwise, and whenever B reaches the target on fewer than half the seeds.
* a claim over several classifiers: *supported* if supported for most classifiers and not
  supported or refuted for none; *refuted* if refuted for most and supported for none; *not
  supported* if not supported or refuted for most and supported for none; *untestable here*
  if untestable for all; else *inconclusive*. A claim-level verdict other than *refuted*
  names every classifier for which it is refuted ("inconclusive; refuted for hqcnn")."""


# ---- phase 1: the tests of each claim (raw statistics) --------------------------------------

def _pairwise_claim(records, cid, text, a, b, rule="superiority") -> dict:
    rows = []
    if {a, b} <= set(methods_of(records)):
        rows = [{"classifier": clf, **pair(records, clf, a, b)} for clf in classifiers_of(records)]
    return {"id": cid, "claim": text, "rule": rule, "comparison": f"{a} - {b}",
            "per_classifier": rows}


def _generator_total(records, method, part="generator") -> float | None:
    for r in records:
        if r["method"] == method and r.get("generator"):
            return int(r["generator"]["parameter_counts"][part]["total"])
    return None


def _dcgan_claim(records) -> dict:
    claim = _pairwise_claim(records, "qgan_matches_dcgan",
                            "QGAN augmentation matches a DCGAN with about half the parameters",
                            "qgan", "dcgan", rule="equivalence")
    pq, pd = _generator_total(records, "qgan"), _generator_total(records, "dcgan")
    dq, dd = (_generator_total(records, m, "discriminator") for m in ("qgan", "dcgan"))
    claim["evidence"] = {"qgan_generator_params": pq, "dcgan_generator_params": pd,
                         "param_ratio": pq / pd if pq is not None and pd else None,
                         "qgan_gd_params": pq + dq if pq is not None and dq is not None else None,
                         "dcgan_gd_params": pd + dd if pd is not None and dd is not None else None}
    return claim


def _iterations_claim(records) -> dict:
    claim = {"id": "qgan_fewer_iterations",
             "claim": "QGAN needs about 60% fewer training iterations than a classical GAN",
             "rule": "iterations", "comparison": "qgan vs gan (generator banks, per seed)",
             "per_classifier": []}
    banks, diversity = {}, {}
    for r in records:
        g = r.get("generator")
        if g and g.get("kind") in ("qgan", "gan") and g.get("iterations_to_target"):
            banks[(g["kind"], r["seed"])] = g["iterations_to_target"]
            div = (g.get("final_quality") or {}).get("mean", {}).get("diversity_ratio")
            if div is not None:
                diversity.setdefault(g["kind"], {})[r["seed"]] = div
    seeds = sorted({s for k, s in banks if k == "qgan"} & {s for k, s in banks if k == "gan"})
    if seeds:
        claim["iterations"] = {
            "qgan": [float(banks[("qgan", s)]["iterations"]) for s in seeds],
            "gan": [float(banks[("gan", s)]["iterations"]) for s in seeds],
            "gan_reached": [bool(banks[("gan", s)]["reached"]) for s in seeds]}
        _, claim["evidence"] = iterations_verdict(claim["iterations"]["qgan"],
                                                  claim["iterations"]["gan"],
                                                  claim["iterations"]["gan_reached"])
        claim["evidence"].update({
            "qgan_iterations": claim["iterations"]["qgan"],
            "gan_iterations": claim["iterations"]["gan"],
            "qgan_diversity": _mean_or_none(diversity.get("qgan")),
            "gan_diversity": _mean_or_none(diversity.get("gan")),
            "metric": banks[("qgan", seeds[0])].get("metric"),
            "target": banks[("qgan", seeds[0])].get("target")})
    return claim


def _mean_or_none(values: dict | None) -> float | None:
    return float(np.mean(list(values.values()))) if values else None


def _customized_claim(records, cid, baseline, text) -> dict:
    method = "qgan_customized"
    claim = {"id": cid, "claim": text, "rule": "superiority",
             "comparison": f"{method} - {baseline}, weakest class's test accuracy",
             "per_classifier": []}
    if {method, baseline, "none"} <= set(methods_of(records)):
        for clf in classifiers_of(records):
            weak = weakest_class(records, clf)
            if weak is not None:
                claim["per_classifier"].append({
                    "classifier": clf, "weakest_class": weak,
                    **pair(records, clf, method, baseline, "per_class_accuracy", weak)})
    return claim


def _control_claim(records) -> dict:
    claim = {"id": "quantum_vs_control",
             "claim": "The quantum layer beats the classical control of the same shape "
                      "(no augmentation)",
             "rule": "superiority", "comparison": "hybrid - cnn, method none",
             "per_classifier": []}
    clfs = classifiers_of(records)
    if "cnn" in clfs and "none" in methods_of(records):
        for clf in [c for c in clfs if c in HYBRID]:
            a, b = by_seed(records, clf, "none"), by_seed(records, "cnn", "none")
            seeds = sorted(set(a) & set(b))
            claim["per_classifier"].append({"classifier": clf, **paired_compare(
                [a[s] for s in seeds], [b[s] for s in seeds], margin=MARGIN)})
    return claim


def claim_tests(records: list[dict]) -> list[dict]:
    """Every claim of one setting with its raw paired statistics (no verdicts yet)."""
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
    ]
    present = set(methods_of(records))
    if "rebalance" in present:
        claims.append(_customized_claim(
            records, "customized_vs_rebalance", "rebalance",
            "The customized strategy lifts the weakest class more than a traditional top-up "
            "(rebalance)"))
    if "qgan_rebalance" in present:
        claims.append(_customized_claim(
            records, "customized_vs_qgan_rebalance", "qgan_rebalance",
            "The customized strategy lifts the weakest class more than a QGAN top-up"))
    claims.append(_control_claim(records))
    return claims


# ---- phase 2: one adjusted family per report, then verdicts ---------------------------------

def _family(claim: dict):
    """``(holder, raw key)`` of every p-value the claim's verdict reads."""
    if claim["rule"] == "iterations":
        if claim.get("evidence"):
            yield claim["evidence"], "p_log_iters"
        return
    for row in claim["per_classifier"]:
        yield row, "p"
        if claim["rule"] == "equivalence":
            yield row, "p_tost"


def _decide(claim: dict, controls: dict[str, bool]) -> None:
    if claim["rule"] == "iterations":
        it = claim.get("iterations")
        if not it:
            claim["verdict"] = NOT_TESTED
        else:
            claim["verdict"], ev = iterations_verdict(it["qgan"], it["gan"], it["gan_reached"],
                                                      p_adj=claim["evidence"]["p_adj"])
            claim["evidence"].update(ev)
        claim["flags"] = []
        return
    ratio = (claim.get("evidence") or {}).get("param_ratio")
    for row in claim["per_classifier"]:
        if not row["n"]:
            row["verdict"] = NOT_TESTED
        elif claim["rule"] == "equivalence":
            row["verdict"] = equivalence_verdict(row, ratio,
                                                 control=controls.get(row["classifier"], False))
        else:
            row["verdict"] = superiority_verdict(row)
    claim["verdict"] = combine_verdicts([r["verdict"] for r in claim["per_classifier"]])
    claim["flags"] = refuted_flags(claim)


def evaluate_report(records_by_setting: dict[str, list[dict]], *, p_adjust: str = "holm",
                    comparisons_adjust: str = "bh", classifiers=None
                    ) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
    """Claims and paired comparisons of a whole report, each an adjusted family.

    Args:
        records_by_setting: ``{setting: flat run records}``.
        p_adjust: adjustment of the claims family (``"holm"``, ``"bh"``, ``"bonferroni"``,
            ``"none"``).
        comparisons_adjust: adjustment of the paired-comparison family.
        classifiers: classifier order of the comparison rows (default: record order).

    Returns:
        ``(claims, comparisons)``, both keyed by setting. Each claim: ``id``, ``claim``,
        ``rule``, ``comparison``, ``per_classifier`` (rows with the paired statistics, ``p_adj``
        and a ``verdict``), ``verdict``, ``flags`` and for some claims ``evidence``.
    """
    comps = {s: comparison_rows(recs, classifiers) for s, recs in records_by_setting.items()}
    _adjust_rows(comps, comparisons_adjust)
    claims = {s: claim_tests(recs) for s, recs in records_by_setting.items()}
    family = [(h, k) for cs in claims.values() for c in cs for h, k in _family(c)]
    for (holder, key), p in zip(family, adjust_pvalues([h[k] for h, k in family], p_adjust)):
        holder["p_adj" if key in ("p", "p_log_iters") else f"{key}_adj"] = p
    m = sum(1 for h, k in family if h[k] is not None and np.isfinite(h[k]))
    for setting, cs in claims.items():
        controls = positive_controls(comps[setting])
        for c in cs:
            c["p_adjust"], c["family_size"] = p_adjust, m
            _decide(c, controls)
    return claims, comps


def evaluate_claims(records: list[dict], *, p_adjust: str = "holm",
                    comparisons_adjust: str = "bh") -> list[dict]:
    """Evaluate every claim on the finished runs of one setting (one family: this setting).

    Args:
        records: flat run records of one setting (keys ``classifier``, ``method``, ``seed``,
            ``test_accuracy``, ``per_class_accuracy``, ``val_per_class_accuracy``,
            ``generator``).
        p_adjust: adjustment of the claims family (see :func:`evaluate_report`).
        comparisons_adjust: adjustment of the comparison family (positive controls).

    Returns:
        One dict per claim (see :func:`evaluate_report`).
    """
    claims, _ = evaluate_report({"_": records}, p_adjust=p_adjust,
                                comparisons_adjust=comparisons_adjust)
    return claims["_"]
