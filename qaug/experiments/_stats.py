"""Statistics over seeds: summaries, paired comparisons, equivalence tests, p-value adjustment.

Every claim is judged on several seeds, never one run. Runs with the same seed share the
data split, the generator bank and the classifier initialisation stream, so two methods are
compared *paired by seed*: the per-seed differences cancel the split-to-split spread.

Test of record (:func:`paired_compare`'s ``test`` and ``p``): the paired t-test, unless the
Shapiro-Wilk test rejects normality of the differences (p < 0.05) and there are at least
:data:`WILCOXON_MIN_N` non-zero differences; then the Wilcoxon signed-rank test. The same
choice is made for the equivalence test (TOST, two one-sided tests at +-margin).

Example:
    >>> s = summarize([0.9, 0.92, 0.94])
    >>> round(s["mean"], 3), round(s["std"], 3), s["n"]
    (0.92, 0.02, 3)
    >>> p = paired_compare([0.95, 0.96, 0.97, 0.99], [0.90, 0.92, 0.93, 0.94])
    >>> round(p["mean_diff"], 4), p["n"], p["test"]
    (0.045, 4, 't')
    >>> [round(v, 3) for v in adjust_pvalues([0.01, 0.04, 0.03], "holm")]
    [0.03, 0.06, 0.06]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
from scipy import stats

from qaug._registry import P_ADJUST_METHODS

__all__ = ["summarize", "paired_compare", "t_interval", "tost_paired", "adjust_pvalues",
           "P_ADJUST_METHODS", "WILCOXON_MIN_N", "NORMALITY_ALPHA"]

# Shapiro-Wilk level below which the differences count as non-normal (Wilcoxon then).
NORMALITY_ALPHA = 0.05

# The exact two-sided Wilcoxon signed-rank p-value cannot fall below 2 / 2**n, which first
# drops under 0.05 at n = 6 (0.031); with fewer non-zero differences the test can never
# reject, so it is left out rather than shown as a misleading "not significant".
WILCOXON_MIN_N = 6


def _clean(values: Sequence[float | None], name: str) -> np.ndarray:
    """Finite float array from ``values`` (None and NaN dropped)."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of numbers; got a string {values!r}.")
    out = []
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name} must hold numbers; got {v!r} ({type(v).__name__}).")
        if math.isfinite(float(v)):
            out.append(float(v))
    return np.asarray(out, dtype=np.float64)


def t_interval(mean: float, std: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Two-sided Student-t confidence interval for a mean; (nan, nan) when n < 2."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1); got {level!r}. Use e.g. 0.95.")
    if n < 2 or not math.isfinite(std):
        return (math.nan, math.nan)
    half = float(stats.t.ppf(0.5 + level / 2.0, n - 1)) * std / math.sqrt(n)
    return (mean - half, mean + half)


def summarize(values: Sequence[float | None], level: float = 0.95) -> dict:
    """Mean, sample standard deviation (ddof=1), t-interval, median, min, max over seeds.

    Args:
        values: one number per seed; None/NaN entries (failed runs) are dropped.
        level: confidence level of the t-interval.

    Returns:
        ``{"n", "mean", "std", "ci_low", "ci_high", "median", "min", "max"}``; NaN fields
        when there are too few values (std and interval need n >= 2).
    """
    x = _clean(values, "values")
    n = int(x.size)
    if n == 0:
        nan = math.nan
        return {"n": 0, "mean": nan, "std": nan, "ci_low": nan, "ci_high": nan,
                "median": nan, "min": nan, "max": nan}
    mean = float(x.mean())
    std = float(x.std(ddof=1)) if n >= 2 else math.nan
    lo, hi = t_interval(mean, std, n, level)
    return {"n": n, "mean": mean, "std": std, "ci_low": lo, "ci_high": hi,
            "median": float(np.median(x)), "min": float(x.min()), "max": float(x.max())}


def paired_compare(
    a: Sequence[float | None], b: Sequence[float | None], level: float = 0.95,
    margin: float | None = None,
) -> dict:
    """Compare ``a`` against ``b`` paired by position (seed): ``a - b``.

    Pairs where either side is None/NaN are dropped.

    Args:
        a: values of the method under test, one per seed.
        b: values of the comparison method, same seed order.
        level: confidence level of the interval of the mean difference.
        margin: equivalence margin; when given, ``p_tost`` is the paired TOST p-value for
            ``|mean difference| < margin`` with the test of record.

    Returns:
        ``{"n", "mean_diff", "sd_diff", "ci_low", "ci_high", "d_z", "t", "p_t",
        "p_wilcoxon", "wilcoxon_note", "p_shapiro", "test", "p", "p_tost"}``. ``test`` is
        ``"t"`` or ``"wilcoxon"`` (rule in the module docstring), ``p`` its two-sided
        p-value. ``d_z`` is Cohen's d for paired data (mean difference / standard deviation
        of the differences). ``p_t`` is the two-sided paired
        t-test; when every difference is equal (zero spread) the test is undefined and
        ``p_t`` is 1.0 if they are all zero, NaN otherwise. ``p_wilcoxon`` is the two-sided
        signed-rank test, given only with at least :data:`WILCOXON_MIN_N` non-zero
        differences (else None, with the reason in ``wilcoxon_note``).

    Raises:
        ValueError: ``a`` and ``b`` differ in length.
    """
    if len(a) != len(b):
        raise ValueError(
            f"paired samples must have the same length (one value per seed); got {len(a)} and "
            f"{len(b)}. Pass values for the same seeds in the same order."
        )
    pairs = [(x, y) for x, y in zip(a, b) if _finite(x) and _finite(y)]
    d = _clean([x - y for x, y in pairs], "differences")
    n = int(d.size)
    out = {"n": n, "mean_diff": math.nan, "sd_diff": math.nan, "ci_low": math.nan,
           "ci_high": math.nan, "d_z": math.nan, "t": math.nan, "p_t": math.nan,
           "p_wilcoxon": None, "wilcoxon_note": "", "p_shapiro": None, "test": "t",
           "p": math.nan, "p_tost": None}
    if n == 0:
        out["wilcoxon_note"] = "no paired values"
        return out
    mean = float(d.mean())
    out["mean_diff"] = mean
    if n >= 2:
        sd = float(d.std(ddof=1))
        out["sd_diff"] = sd
        out["ci_low"], out["ci_high"] = t_interval(mean, sd, n, level)
        if sd > 1e-12 * max(1.0, abs(mean)):
            out["d_z"] = mean / sd
            res = stats.ttest_rel(np.array([p[0] for p in pairs], dtype=np.float64),
                                  np.array([p[1] for p in pairs], dtype=np.float64))
            out["t"], out["p_t"] = float(res.statistic), float(res.pvalue)
        elif abs(mean) <= 1e-12:
            out["d_z"], out["t"], out["p_t"] = 0.0, 0.0, 1.0
    nonzero = int(np.count_nonzero(np.abs(d) > 1e-12))
    if nonzero >= WILCOXON_MIN_N:
        with warnings.catch_warnings():
            # scipy warns when ties force the normal approximation; the p-value is still valid.
            warnings.simplefilter("ignore", UserWarning)
            res = stats.wilcoxon(d, zero_method="wilcox", alternative="two-sided")
        out["p_wilcoxon"] = float(res.pvalue)
    else:
        out["wilcoxon_note"] = (
            f"{nonzero} non-zero differences; needs >= {WILCOXON_MIN_N} to reach p < 0.05"
        )
    if n >= 3 and math.isfinite(out["sd_diff"]) and out["sd_diff"] > 1e-12 * max(1.0, abs(mean)):
        out["p_shapiro"] = float(stats.shapiro(d).pvalue)
    if (out["p_shapiro"] is not None and out["p_shapiro"] < NORMALITY_ALPHA
            and out["p_wilcoxon"] is not None):
        out["test"] = "wilcoxon"
    out["p"] = out["p_wilcoxon"] if out["test"] == "wilcoxon" else out["p_t"]
    if margin is not None:
        out["p_tost"] = tost_paired(d, margin, out["test"])
    return out


def tost_paired(d: Sequence[float], margin: float, test: str = "t") -> float:
    """Two one-sided tests (TOST) that the mean paired difference lies inside (-margin, margin).

    Args:
        d: paired differences, one per seed.
        margin: equivalence margin (> 0), in the unit of ``d``.
        test: ``"t"`` (one-sample t-tests against -margin and +margin) or ``"wilcoxon"``
            (signed-rank tests of ``d + margin > 0`` and ``d - margin < 0``).

    Returns:
        ``max(p_lower, p_upper)``: equivalence is shown at level alpha when this is < alpha.
        With zero spread (every difference equal) the t-tests are undefined: 0.0 if that
        difference is inside the margin, 1.0 otherwise. NaN with fewer than 2 differences.

    Example:
        >>> round(tost_paired([0.001, -0.002, 0.0, 0.003, -0.001], 0.01), 4)
        0.0002
    """
    if not (isinstance(margin, (int, float)) and margin > 0):
        raise ValueError(f"margin must be a number > 0; got {margin!r}. Use e.g. 0.01.")
    if test not in ("t", "wilcoxon"):
        raise ValueError(f"test must be 't' or 'wilcoxon'; got {test!r}.")
    x = _clean(list(d), "d")
    if x.size < 2:
        return math.nan
    if float(x.std(ddof=1)) <= 1e-12 * max(1.0, abs(float(x.mean()))):
        return 0.0 if abs(float(x.mean())) < margin else 1.0
    if test == "t":
        lo = stats.ttest_1samp(x, -margin, alternative="greater").pvalue
        hi = stats.ttest_1samp(x, margin, alternative="less").pvalue
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            lo = stats.wilcoxon(x + margin, alternative="greater").pvalue
            hi = stats.wilcoxon(x - margin, alternative="less").pvalue
    return float(max(lo, hi))


def adjust_pvalues(pvalues: Sequence[float | None], method: str = "holm") -> list[float | None]:
    """Multiplicity-adjusted p-values over one family of tests, in the input order.

    Args:
        pvalues: raw p-values; None/NaN entries are left as they are and not counted in m.
        method: ``"holm"`` (step-down family-wise error control), ``"bh"``
            (Benjamini-Hochberg false discovery rate; :func:`scipy.stats.false_discovery_control`),
            ``"bonferroni"`` or ``"none"``.

    Returns:
        Adjusted p-values (capped at 1), None/NaN where the input had one.
    """
    if method not in P_ADJUST_METHODS:
        raise ValueError(f"method must be one of {list(P_ADJUST_METHODS)}; got {method!r}.")
    idx = [i for i, p in enumerate(pvalues) if _finite(p)]
    out: list[float | None] = list(pvalues)
    if not idx:
        return out
    p = np.array([float(pvalues[i]) for i in idx])
    m = p.size
    if method == "none":
        adj = p
    elif method == "bonferroni":
        adj = np.minimum(1.0, m * p)
    elif method == "bh":
        adj = stats.false_discovery_control(p, method="bh")
    else:
        order = np.argsort(p, kind="stable")
        stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
        adj = np.empty(m)
        adj[order] = np.minimum(1.0, stepped)
    for i, v in zip(idx, adj):
        out[i] = float(v)
    return out


def _finite(v: object) -> bool:
    return v is not None and not isinstance(v, bool) and isinstance(
        v, (int, float, np.integer, np.floating)) and math.isfinite(float(v))
