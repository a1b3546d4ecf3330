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


def test_adjust_pvalues_hand_values_and_scipy_bh():
    from qaug.experiments._stats import adjust_pvalues

    p = [0.01, 0.04, 0.03, 0.005]
    # Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1, running max
    assert adjust_pvalues(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert adjust_pvalues(p, "bh") == pytest.approx(stats.false_discovery_control(p))
    assert adjust_pvalues(p, "bonferroni") == pytest.approx([0.04, 0.16, 0.12, 0.02])
    assert adjust_pvalues([0.2, None, float("nan")], "holm")[1:] == [None, pytest.approx(
        float("nan"), nan_ok=True)]
    assert adjust_pvalues([0.2, None], "holm")[0] == pytest.approx(0.2)  # m counts finite only
    with pytest.raises(ValueError, match="holm"):
        adjust_pvalues(p, "fdr")


def test_tost_matches_two_one_sided_scipy_tests():
    from qaug.experiments._stats import tost_paired

    d = np.array([0.002, -0.004, 0.001, 0.003, -0.001, 0.0])
    lo = stats.ttest_1samp(d, -0.01, alternative="greater").pvalue
    hi = stats.ttest_1samp(d, 0.01, alternative="less").pvalue
    assert tost_paired(d, 0.01) == pytest.approx(max(lo, hi)) and tost_paired(d, 0.01) < 0.05
    assert tost_paired(d + 0.02, 0.01) > 0.5  # shifted outside the margin
    assert tost_paired([0.001] * 4, 0.01) == 0.0 and tost_paired([0.02] * 4, 0.01) == 1.0
    with pytest.raises(ValueError, match="margin"):
        tost_paired(d, 0.0)


def test_test_of_record_switches_to_wilcoxon_when_shapiro_rejects():
    # one huge outlier among small differences: Shapiro rejects, the signed-rank test is used
    b = [0.5] * 8
    a = [0.51, 0.52, 0.515, 0.505, 0.512, 0.518, 0.511, 0.9]
    p = paired_compare(a, b, margin=0.01)
    assert p["p_shapiro"] < 0.05 and p["test"] == "wilcoxon" and p["p"] == p["p_wilcoxon"]
    normal = paired_compare([0.91, 0.93, 0.92, 0.95, 0.9, 0.94], [0.9] * 6)
    assert normal["test"] == "t" and normal["p"] == normal["p_t"] and normal["p_tost"] is None
