"""Each committed report's verdicts, recomputed from its results.json with scipy alone.

This is a second, independent implementation of the rules printed in every report (module
docstring of ``qaug.experiments._claims``): pairing by seed, the test of record (t, or
Wilcoxon when Shapiro-Wilk rejects normality), paired TOST, Holm over the claims family, BH
over the comparison family, positive controls, the verdict rules and their combination. It
imports nothing from qaug, so a slip in the library's statistics shows up as a mismatch.
"""

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

RESULTS = sorted((Path(__file__).parents[2] / "docs" / "results").glob("*/results.json"))
ALPHA, MARGIN = 0.05, 0.01


def _holm(p):
    p = np.asarray(p, float)
    order = np.argsort(p, kind="stable")
    adj = np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order])
    out = np.empty(len(p))
    out[order] = np.minimum(adj, 1.0)
    return out


def _adjust(values, method):
    idx = [i for i, v in enumerate(values) if v is not None and math.isfinite(v)]
    out = [None] * len(values)
    if idx:
        p = [values[i] for i in idx]
        adj = _holm(p) if method == "holm" else stats.false_discovery_control(p, method="bh")
        for i, v in zip(idx, adj):
            out[i] = float(v)
    return out


def _test(a, b):
    """Raw statistics of a - b: n, mean, ci_high, test of record, p, TOST p."""
    d = np.asarray(a, float) - np.asarray(b, float)
    n = d.size
    res = {"n": n, "mean": float(d.mean()) if n else math.nan, "ci_high": math.nan,
           "p": math.nan, "p_tost": math.nan}
    if n < 2:
        return res
    sd, mean = float(d.std(ddof=1)), float(d.mean())
    res["ci_high"] = mean + stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    spread = sd > 1e-12 * max(1.0, abs(mean))
    p_t = float(stats.ttest_rel(a, b).pvalue) if spread else (1.0 if abs(mean) <= 1e-12 else
                                                               math.nan)
    nonzero = int(np.count_nonzero(np.abs(d) > 1e-12))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p_w = float(stats.wilcoxon(d).pvalue) if nonzero >= 6 else None
        wilcoxon = (n >= 3 and spread and p_w is not None
                    and stats.shapiro(d).pvalue < 0.05)
        res["p"] = p_w if wilcoxon else p_t
        if not spread:
            res["p_tost"] = 0.0 if abs(mean) < MARGIN else 1.0
        elif wilcoxon:
            res["p_tost"] = max(stats.wilcoxon(d + MARGIN, alternative="greater").pvalue,
                                stats.wilcoxon(d - MARGIN, alternative="less").pvalue)
        else:
            res["p_tost"] = max(stats.ttest_1samp(d, -MARGIN, alternative="greater").pvalue,
                                stats.ttest_1samp(d, MARGIN, alternative="less").pvalue)
    return res


def _values(runs, clf, method, cls=None):
    out = {}
    for r in runs:
        if r["classifier"] == clf and r["method"] == method:
            v = r["test_accuracy"] if cls is None else r["per_class_accuracy"].get(cls)
            if v is not None:
                out[r["seed"]] = v
    return out


def _paired(runs, clf_a, a, clf_b, b, cls=None):
    xa, xb = _values(runs, clf_a, a, cls), _values(runs, clf_b, b, cls)
    seeds = sorted(set(xa) & set(xb))
    return _test([xa[s] for s in seeds], [xb[s] for s in seeds])


def _weakest(runs, clf):
    acc = {}
    for r in runs:
        if r["classifier"] == clf and r["method"] == "none":
            for c, v in (r.get("val_per_class_accuracy") or r["per_class_accuracy"]).items():
                acc.setdefault(c, []).append(v)
    return min(acc, key=lambda c: (np.mean(acc[c]), c)) if acc else None


def _superiority(t, p_adj):
    if t["n"] < 3:
        return "inconclusive"
    if p_adj is not None and p_adj < ALPHA and t["mean"] != 0:
        return "supported" if t["mean"] > 0 else "refuted"
    return "not supported" if t["ci_high"] < MARGIN else "inconclusive"


def _combine(verdicts):
    tested = [v for v in verdicts if v != "not tested"]
    if not tested:
        return "not tested"
    if all(v == "untestable here" for v in tested):
        return "untestable here"
    sup, ref = tested.count("supported"), tested.count("refuted")
    neg, half = ref + tested.count("not supported"), len(tested) / 2
    if sup > half and neg == 0:
        return "supported"
    if ref > half and sup == 0:
        return "refuted"
    if neg > half and sup == 0:
        return "not supported"
    return "inconclusive"


def _claim_rows(runs, claim):
    """(classifier, raw statistics) of each per-classifier row of a stored claim."""
    cid = claim["id"]
    a, _, b = claim["comparison"].split(",")[0].partition(" - ")
    rows = []
    for row in claim["per_classifier"]:
        clf = row["classifier"]
        if cid == "quantum_vs_control":
            t = _paired(runs, clf, "none", "cnn", "none")
        elif cid.startswith("customized_vs"):
            weak = _weakest(runs, clf)
            assert weak == row["weakest_class"]
            t = _paired(runs, clf, a.strip(), clf, b.strip(), weak)
        else:
            t = _paired(runs, clf, a.strip(), clf, b.strip())
        rows.append((clf, t))
    return rows


def _iterations(runs):
    banks = {}
    for r in runs:
        g = r.get("generator")
        if g and g["kind"] in ("qgan", "gan"):
            banks[(g["kind"], r["seed"])] = g["iterations_to_target"]
    seeds = sorted({s for k, s in banks if k == "qgan"} & {s for k, s in banks if k == "gan"})
    ia = np.array([banks[("qgan", s)]["iterations"] for s in seeds], float)
    ib = np.array([banks[("gan", s)]["iterations"] for s in seeds], float)
    reached = sum(bool(banks[("gan", s)]["reached"]) for s in seeds)
    return ia, ib, reached, _test(np.log(np.maximum(ia, 1)), np.log(np.maximum(ib, 1)))


def _recompute(data):
    runs = data["runs"]
    by_setting = {}
    for r in runs:
        by_setting.setdefault(r["setting"], []).append(r)
    # comparison family (BH) and positive controls
    comp = []
    for setting, rows in data["comparisons"].items():
        sruns = by_setting[setting]
        for row in rows:
            cls = row["metric"].split()[1] if row["metric"].startswith("class ") else None
            comp.append((setting, row, _paired(sruns, row["classifier"], row["a"],
                                               row["classifier"], row["b"], cls)))
    comp_adj = _adjust([t["p"] for _, _, t in comp], "bh")
    control = {}
    for (setting, row, _), p in zip(comp, comp_adj):
        hit = row["b"] == "none" and row["metric"] == "test accuracy" and p is not None and p < ALPHA
        control[(setting, row["classifier"])] = control.get((setting, row["classifier"]),
                                                            False) or hit
    # claims family (Holm)
    family, plan = [], []
    for setting, claims in data["claims"].items():
        sruns = by_setting[setting]
        for claim in claims:
            if claim["rule"] == "iterations":
                it = _iterations(sruns)
                if len(it[0]):
                    plan.append((setting, claim, it, len(family)))
                    family.append(it[3]["p"])
                else:
                    plan.append((setting, claim, None, None))
                continue
            rows = _claim_rows(sruns, claim)
            plan.append((setting, claim, rows, len(family)))
            for _, t in rows:
                family.append(t["p"])
                if claim["rule"] == "equivalence":
                    family.append(t["p_tost"])
    adj = _adjust(family, "holm")
    out = {}
    for setting, claim, rows, start in plan:
        if claim["rule"] == "iterations" and rows is None:
            out[(setting, claim["id"])] = ("not tested", [], [])
            continue
        if claim["rule"] == "iterations":
            ia, ib, reached, t = rows
            p = adj[start]
            red = 1 - ia / ib
            red_hi = red.mean() + stats.t.ppf(0.975, len(red) - 1) * red.std(ddof=1) / math.sqrt(
                len(red))
            if len(ia) < 3 or reached < len(ia) / 2:
                v = "inconclusive"
            elif red.mean() >= 0.4 and t["mean"] < 0 and p is not None and p < ALPHA:
                v = "supported"
            elif t["mean"] > 0 and p is not None and p < ALPHA:
                v = "refuted"
            else:
                v = "not supported" if red_hi < 0.4 else "inconclusive"
            out[(setting, claim["id"])] = (v, [], [])
            continue
        verdicts, i = [], start
        ratio = (claim.get("evidence") or {}).get("param_ratio")
        for clf, t in rows:
            p = adj[i]
            i += 1
            if claim["rule"] == "equivalence":
                p_tost, i = adj[i], i + 1
                sig = p is not None and p < ALPHA
                if ratio is not None and ratio > 0.6:
                    v = "not supported"
                elif t["n"] < 3 or ratio is None:
                    v = "inconclusive"
                elif sig and t["mean"] != 0:
                    v = "refuted" if t["mean"] < 0 else "supported"
                elif not control.get((setting, clf), False):
                    v = "untestable here"
                else:
                    v = "supported" if p_tost is not None and p_tost < ALPHA else "inconclusive"
            else:
                v = _superiority(t, p) if t["n"] else "not tested"
            verdicts.append(v)
        overall = _combine(verdicts)
        flags = [] if overall == "refuted" else [
            f"refuted for {clf}" for (clf, _), v in zip(rows, verdicts) if v == "refuted"]
        out[(setting, claim["id"])] = (overall, flags, verdicts)
    return out


@pytest.mark.parametrize("path", RESULTS, ids=[p.parent.name for p in RESULTS])
def test_committed_verdicts_recompute_with_scipy_alone(path):
    data = json.loads(path.read_text())
    assert data.get("statistics", {}).get("p_adjust") == "holm", "rebuild with `qaug report`"
    assert data["statistics"]["comparisons_adjust"] == "bh"
    expected = _recompute(data)
    report = (path.parent / "report.md").read_text()
    n = 0
    for setting, claims in data["claims"].items():
        for claim in claims:
            verdict, flags, per_row = expected[(setting, claim["id"])]
            assert claim["verdict"] == verdict, (setting, claim["id"])
            assert claim.get("flags", []) == flags, (setting, claim["id"])
            if per_row:
                assert [r["verdict"] for r in claim["per_classifier"]] == per_row
            assert f"**{'; '.join([verdict, *flags])}**" in report
            n += 1
    assert n > 0
