import numpy as np
import pytest

from qaug.experiments import evaluate_claims
from qaug.experiments._claims import (
    INCONCLUSIVE,
    NOT_SUPPORTED,
    NOT_TESTED,
    REFUTED,
    SUPPORTED,
    UNTESTABLE,
    combine_verdicts,
    equivalence_verdict,
    iterations_verdict,
    superiority_verdict,
    weakest_class,
)
from qaug.experiments._stats import paired_compare

SEEDS = range(6)


def _gen(kind, iterations, params):
    return {"kind": kind, "key": f"{kind}-x",
            "parameter_counts": {"generator": {"quantum": 0, "classical": params, "total": params},
                                 "discriminator": {"quantum": 0, "classical": 10, "total": 10}},
            "iterations_to_target": {"iterations": iterations, "reached": True, "metric": "fid",
                                     "target": 20.0, "budget": 500},
            "final_quality": {"mean": {}}}


def make_records(effects, *, weak_effects=None, noise=0.002, seed=0, params=None, iters=None,
                 classifiers=("hqcnn", "cnn")):
    """Synthetic run records: test accuracy = 0.9 + effect[method] + noise; class 2 is weak."""
    rng = np.random.default_rng(seed)
    params = params or {"qgan": 120, "gan": 17000, "dcgan": 247}
    iters = iters or {}
    out = []
    for clf in classifiers:
        for m, eff in effects.items():
            for s in SEEDS:
                acc = 0.9 + eff + rng.normal(0, noise)
                weak = 0.6 + (weak_effects or {}).get(m, 0.0) + rng.normal(0, noise)
                kind = (m.removesuffix("_customized")
                        if m not in ("none", "traditional", "rebalance") else None)
                gen = None
                if kind:
                    it = iters.get(kind, [100] * 6)[s]
                    gen = _gen(kind, it, params[kind])
                out.append({"setting": "x", "classifier": clf, "method": m, "seed": s,
                            "test_accuracy": acc, "val_accuracy": acc, "collapsed": False,
                            "per_class_accuracy": {"0": 0.99, "1": 0.98, "2": weak},
                            "val_per_class_accuracy": {"0": 1.0, "1": 0.95, "2": weak},
                            "generator": gen})
    return out


def by_id(claims):
    return {c["id"]: c for c in claims}


def test_superiority_rules_on_paired_stats():
    better = paired_compare([0.95, 0.96, 0.97, 0.95], [0.90, 0.92, 0.91, 0.90])
    assert superiority_verdict(better) == SUPPORTED
    equal = paired_compare([0.9, 0.91, 0.92, 0.93], [0.9, 0.91, 0.92, 0.93])
    assert superiority_verdict(equal) == NOT_SUPPORTED  # interval (0, 0) rules out +1 point
    noisy = paired_compare([0.99, 0.80, 0.95], [0.85, 0.95, 0.80])
    assert superiority_verdict(noisy) == INCONCLUSIVE
    two = paired_compare([0.99, 0.98], [0.5, 0.5])
    assert superiority_verdict(two) == INCONCLUSIVE  # fewer than 3 seeds


def test_equivalence_rules():
    eq = paired_compare([0.9, 0.91, 0.92, 0.93], [0.901, 0.909, 0.921, 0.929], margin=0.01)
    assert eq["p_tost"] < 0.05
    assert equivalence_verdict(eq, param_ratio=0.49) == SUPPORTED
    assert equivalence_verdict(eq, param_ratio=0.49, control=False) == UNTESTABLE
    assert equivalence_verdict(eq, param_ratio=0.8) == NOT_SUPPORTED
    worse = paired_compare([0.85, 0.86, 0.87, 0.85], [0.9, 0.91, 0.92, 0.93], margin=0.01)
    assert equivalence_verdict(worse, param_ratio=0.5) == REFUTED


def test_iterations_rules():
    v, ev = iterations_verdict([100, 120, 90, 110], [300, 320, 280, 310], [True] * 4)
    assert v == SUPPORTED and ev["mean_reduction"] == pytest.approx(
        np.mean([1 - 100 / 300, 1 - 120 / 320, 1 - 90 / 280, 1 - 110 / 310]))
    v, _ = iterations_verdict([300, 310, 290, 300], [300, 300, 300, 300], [True] * 4)
    assert v == NOT_SUPPORTED
    v, _ = iterations_verdict([100, 100, 100, 100], [500, 500, 500, 500], [False] * 4)
    assert v == INCONCLUSIVE  # the GAN never reached the target: no measurement


def test_combine_verdicts():
    assert combine_verdicts([SUPPORTED, SUPPORTED, INCONCLUSIVE]) == SUPPORTED
    assert combine_verdicts([SUPPORTED, NOT_SUPPORTED, SUPPORTED]) == INCONCLUSIVE
    assert combine_verdicts([NOT_SUPPORTED, NOT_SUPPORTED]) == NOT_SUPPORTED
    assert combine_verdicts([NOT_TESTED]) == NOT_TESTED


def test_claims_supported_when_qgan_clearly_better():
    recs = make_records({"none": 0.0, "traditional": 0.0, "gan": 0.0, "dcgan": 0.03,
                         "qgan": 0.03, "qgan_customized": 0.03},
                        weak_effects={"qgan_customized": 0.2},
                        iters={"qgan": [100, 110, 90, 100, 105, 95],
                               "gan": [300, 280, 320, 300, 310, 290]})
    c = by_id(evaluate_claims(recs))
    assert c["qgan_vs_none"]["verdict"] == SUPPORTED
    assert c["qgan_vs_traditional"]["verdict"] == SUPPORTED
    assert c["qgan_vs_gan"]["verdict"] == SUPPORTED
    assert c["qgan_matches_dcgan"]["verdict"] == SUPPORTED
    assert c["qgan_matches_dcgan"]["evidence"]["param_ratio"] == pytest.approx(120 / 247)
    assert c["qgan_fewer_iterations"]["verdict"] == SUPPORTED
    assert c["customized_vs_none"]["verdict"] == SUPPORTED
    assert c["customized_vs_general"]["verdict"] == SUPPORTED
    assert c["customized_vs_none"]["per_classifier"][0]["weakest_class"] == "2"


def test_claims_not_supported_when_no_effect():
    recs = make_records({m: 0.0 for m in ("none", "traditional", "gan", "dcgan", "qgan",
                                          "qgan_customized")}, params={"qgan": 120, "gan": 200,
                                                                      "dcgan": 150})
    c = by_id(evaluate_claims(recs))
    for cid in ("qgan_vs_none", "qgan_vs_traditional", "qgan_vs_gan", "customized_vs_none",
                "quantum_vs_control"):
        assert c[cid]["verdict"] == NOT_SUPPORTED, cid
    assert c["qgan_matches_dcgan"]["verdict"] == NOT_SUPPORTED  # 120/150 > 60% of the params
    assert c["qgan_fewer_iterations"]["verdict"] == NOT_SUPPORTED


def test_claims_inconclusive_with_noise_and_not_tested_without_runs():
    recs = make_records({"none": 0.0, "qgan": 0.005}, noise=0.05)
    c = by_id(evaluate_claims(recs))
    assert c["qgan_vs_none"]["verdict"] == INCONCLUSIVE
    assert c["qgan_vs_gan"]["verdict"] == NOT_TESTED
    assert c["customized_vs_none"]["verdict"] == NOT_TESTED
    assert c["qgan_fewer_iterations"]["verdict"] == NOT_TESTED


def test_weakest_class_uses_validation_of_baseline():
    recs = make_records({"none": 0.0, "qgan": 0.0})
    assert weakest_class(recs, "hqcnn") == "2"
    assert weakest_class(recs, "quanv") is None


def test_report_family_adjustment_and_refuted_flag():
    from qaug.experiments._claims import evaluate_report, verdict_text

    # qgan clearly worse than traditional for hqcnn only, and a real effect of traditional
    effects = {"none": 0.0, "traditional": 0.03, "qgan": 0.0}
    recs = make_records(effects, noise=0.004)
    for r in recs:
        if r["classifier"] == "cnn" and r["method"] == "qgan":
            r["test_accuracy"] += 0.03 + 0.02 * (r["seed"] % 2 - 0.5)
    claims, comps = evaluate_report({"x": recs})
    c = by_id(claims["x"])["qgan_vs_traditional"]
    rows = {r["classifier"]: r["verdict"] for r in c["per_classifier"]}
    assert rows["hqcnn"] == REFUTED and c["verdict"] != REFUTED
    assert c["flags"] == ["refuted for hqcnn"] and "refuted for hqcnn" in verdict_text(c)
    assert all(r["p_adj"] >= r["p"] for r in c["per_classifier"])
    assert any(r["b"] == "none" and r["p_adj"] < 0.05 for r in comps["x"])  # positive control


def test_adjustment_over_settings_can_undo_a_raw_support():
    # one weak gain (raw p about 0.02) alone is supported; the same among many null tests is not
    from qaug.experiments._claims import evaluate_report

    def recs(gain):
        out = make_records({"none": 0.0, "qgan": 0.0}, classifiers=("hqcnn",))
        base = {r["seed"]: r["test_accuracy"] for r in out if r["method"] == "none"}
        for r in out:
            if r["method"] == "qgan":
                r["test_accuracy"] = base[r["seed"]] + gain + 0.006 * (-1) ** r["seed"]
        return out
    alone = recs(0.01)
    raw = by_id(evaluate_claims(alone, p_adjust="none"))["qgan_vs_none"]
    assert 0.001 < raw["per_classifier"][0]["p"] < 0.05 and raw["verdict"] == SUPPORTED
    many = {"s0": alone, **{f"s{i}": recs(0.0) for i in range(1, 8)}}
    claims, _ = evaluate_report(many, p_adjust="holm")
    row = by_id(claims["s0"])["qgan_vs_none"]["per_classifier"][0]
    assert row["p"] == pytest.approx(raw["per_classifier"][0]["p"]) and row["p_adj"] > 0.05
    assert row["verdict"] != SUPPORTED


def test_equivalence_is_untestable_without_positive_control():
    recs = make_records({m: 0.0 for m in ("none", "traditional", "dcgan", "qgan")})
    c = by_id(evaluate_claims(recs))["qgan_matches_dcgan"]
    assert c["verdict"] == UNTESTABLE
    recs = make_records({"none": 0.0, "traditional": 0.05, "dcgan": 0.0, "qgan": 0.0})
    assert by_id(evaluate_claims(recs))["qgan_matches_dcgan"]["verdict"] == SUPPORTED


def test_rebalance_claims_appear_with_the_method():
    recs = make_records({"none": 0.0, "rebalance": 0.0, "qgan": 0.0, "qgan_customized": 0.0},
                        weak_effects={"rebalance": 0.3, "qgan_customized": 0.1})
    c = by_id(evaluate_claims(recs))["customized_vs_rebalance"]
    assert c["verdict"] == REFUTED
    assert all(r["mean_diff"] < 0 for r in c["per_classifier"])


def test_comparison_pairs_put_each_quantum_kind_beside_its_controls():
    from qaug.experiments._pairs import comparison_pairs

    pairs = comparison_pairs(["none", "traditional", "latent", "latent_mlp", "dcgan"])
    assert ("latent", "latent_mlp") in pairs and ("latent", "traditional") in pairs
    assert ("latent", "dcgan") in pairs and ("latent_mlp", "latent") not in pairs
    # the paper presets' family is unchanged: qgan's pairs only
    assert comparison_pairs(["none", "traditional", "gan", "dcgan", "qgan"]) == [
        ("traditional", "none"), ("gan", "none"), ("dcgan", "none"), ("qgan", "none"),
        ("qgan", "traditional"), ("qgan", "gan"), ("qgan", "dcgan")]
