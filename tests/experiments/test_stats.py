import math

import numpy as np
import pytest
from scipy import stats

from qaug.experiments import paired_compare, summarize
from qaug.experiments._stats import WILCOXON_MIN_N, t_interval


def test_summarize_hand_values():
    s = summarize([1.0, 2.0, 3.0])
    half = 4.302652729911275 / math.sqrt(3)  # t_{0.975, 2} * sd / sqrt(n), sd = 1
    assert s["n"] == 3 and s["mean"] == pytest.approx(2.0) and s["std"] == pytest.approx(1.0)
    assert (s["ci_low"], s["ci_high"]) == pytest.approx((2 - half, 2 + half))
    assert s["median"] == 2.0 and s["min"] == 1.0 and s["max"] == 3.0


def test_summarize_matches_scipy_interval():
    x = [0.91, 0.95, 0.97, 0.93, 0.96, 0.90]
    s = summarize(x)
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
    assert (s["ci_low"], s["ci_high"]) == pytest.approx((lo, hi))
    assert s["std"] == pytest.approx(np.std(x, ddof=1))


def test_summarize_drops_missing_and_handles_small_n():
    s = summarize([0.5, None, float("nan")])
    assert s["n"] == 1 and s["mean"] == 0.5 and math.isnan(s["std"]) and math.isnan(s["ci_low"])
    assert summarize([])["n"] == 0 and math.isnan(summarize([])["mean"])


def test_summarize_rejects_non_numbers():
    with pytest.raises(TypeError, match="must hold numbers"):
        summarize([0.1, "a"])
    with pytest.raises(TypeError, match="string"):
        summarize("0.1")
    with pytest.raises(ValueError, match="level"):
        t_interval(0.0, 1.0, 3, level=1.5)


def test_paired_compare_matches_scipy():
    a = [0.95, 0.96, 0.97, 0.99, 0.94, 0.98, 0.97]
    b = [0.93, 0.95, 0.94, 0.97, 0.95, 0.95, 0.96]
    p = paired_compare(a, b)
    d = np.subtract(a, b)
    assert p["n"] == 7
    assert p["mean_diff"] == pytest.approx(d.mean())
    assert p["d_z"] == pytest.approx(d.mean() / d.std(ddof=1))
    assert p["p_t"] == pytest.approx(stats.ttest_rel(a, b).pvalue)
    assert p["p_wilcoxon"] == pytest.approx(stats.wilcoxon(d).pvalue)
    lo, hi = stats.t.interval(0.95, 6, loc=d.mean(), scale=stats.sem(d))
    assert (p["ci_low"], p["ci_high"]) == pytest.approx((lo, hi))


def test_paired_compare_small_n_skips_wilcoxon():
    p = paired_compare([1.0, 2.0, 3.5], [0.5, 1.0, 1.0])
    assert p["p_wilcoxon"] is None and f">= {WILCOXON_MIN_N}" in p["wilcoxon_note"]
    assert 0 < p["p_t"] < 1


def test_paired_compare_zero_spread():
    same = paired_compare([0.9, 0.8, 0.7], [0.9, 0.8, 0.7])
    assert same["mean_diff"] == 0 and same["p_t"] == 1.0 and same["d_z"] == 0.0
    shifted = paired_compare([1.0, 2.0, 3.0], [0.0, 1.0, 2.0])
    assert shifted["mean_diff"] == pytest.approx(1.0) and math.isnan(shifted["p_t"])


def test_paired_compare_drops_incomplete_pairs_and_checks_length():
    p = paired_compare([0.9, None, 0.8], [0.7, 0.6, None])
    assert p["n"] == 1 and p["mean_diff"] == pytest.approx(0.2)
    with pytest.raises(ValueError, match="same length"):
        paired_compare([0.1, 0.2], [0.1])
