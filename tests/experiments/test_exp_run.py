import json
import pickle

import pytest

from qaug._commands.experiments import dry_run_overrides
from qaug.experiments import load_experiment_config, run_experiment
from qaug.experiments._run import bank_requests


def tiny(*extra):
    return load_experiment_config(None, dry_run_overrides() + list(extra))


def test_run_experiment_end_to_end_and_bank_cache(tmp_path):
    cache = tmp_path / "cache"
    cfg = tiny("augment.method=qgan_customized", "classifier.name=cnn",
               "data.train_counts={\"2\": 6}")
    pickle.dumps(cfg)  # a distributed engine ships configs to workers
    m = run_experiment(cfg, cache_dir=cache)
    json.dumps(m)  # plain JSON-able metrics
    assert m["method"] == "qgan_customized" and m["classes"] == [0, 1, 2]
    assert m["class_names"] == ["0", "1", "2"]
    assert set(m["test"]["per_class_accuracy"]) == {"0", "1", "2"}
    assert 0.0 <= m["test"]["accuracy"] <= 1.0 and isinstance(m["test"]["collapsed"], bool)
    assert m["samples"]["original"] == {"0": 10, "1": 10, "2": 6}
    assert sum(m["samples"]["added"].values()) <= 6  # the customized budget
    g = m["generator"]["parameter_counts"]["generator"]
    assert g["quantum"] == 120 and g["total"] == g["quantum"] + g["classical"]  # 4 x 6 x 5 angles
    assert m["customized"]["per_class"]["2"]["allocated"] >= 0
    assert set(m["classifier_parameters"]) == {"quantum", "classical", "total"}
    banks = list((cache / "banks").glob("*/summary.json"))
    assert len(banks) == 1 and banks[0].parent.name == bank_requests(cfg)[0][0]

    # Another classifier and the general strategy reuse the cached bank (no retraining).
    cfg2 = tiny("augment.method=qgan", "classifier.name=hqcnn", "data.train_counts={\"2\": 6}")
    m2 = run_experiment(cfg2, cache_dir=cache)
    assert m2["generator"]["key"] == m["generator"]["key"]
    assert len(list((cache / "banks").glob("*/summary.json"))) == 1
    assert m2["samples"]["by_source"]["qgan"] == {"0": 4, "1": 4, "2": 4}


def test_run_experiment_is_deterministic_for_a_seed():
    cfg = tiny("augment.method=traditional", "classifier.name=cnn")
    a, b = run_experiment(cfg), run_experiment(cfg)
    assert a["test"] == b["test"] and a["samples"] == b["samples"]


def test_run_experiment_rejects_other_configs():
    with pytest.raises(TypeError, match="must be an ExperimentConfig"):
        run_experiment({"seed": 0})


def test_rebalance_tops_every_class_up_to_the_largest():
    for method, source in (("rebalance", "traditional"), ("qgan_rebalance", "qgan")):
        m = run_experiment(tiny(f"augment.method={method}", "classifier.name=cnn",
                                "data.train_counts={\"2\": 4}", "augment.n_per_class=50"))
        assert m["samples"]["added"] == {"0": 0, "1": 0, "2": 6}  # 10 - 4: n_per_class ignored
        assert m["samples"]["by_source"][source] == {"2": 6}
    balanced = run_experiment(tiny("augment.method=rebalance", "classifier.name=cnn"))
    assert sum(balanced["samples"]["added"].values()) == 0


def test_a_seeds_banks_share_one_cached_quality_extractor_bit_for_bit(tmp_path):
    from qaug._io import read_json
    from qaug._outputs import recorded
    from qaug.experiments import load_sweep_config, obtain_bank, reproduce

    sweep = load_sweep_config("demo", dry_run_overrides(), seeds=[0], methods=("qgan", "gan"),
                              classifiers=("cnn",))
    summary, _ = reproduce(sweep, tmp_path / "s", jobs=2, progress=False)  # two worker processes
    assert summary.n_banks_trained == 2 and not summary.failed
    (extractor,) = (tmp_path / "s" / "cache" / "extractors").iterdir()
    assert "cache/extractors/" + extractor.name in recorded(tmp_path / "s")  # --overwrite clears it
    cfg = sweep.expand()[0][1]
    for kind in ("qgan", "gan"):  # the same numbers as a bank trained here without any cache
        (folder,) = (tmp_path / "s" / "cache" / "banks").glob(f"{kind}-*")
        _, fresh = obtain_bank(cfg, kind, None)
        assert read_json(folder / "summary.json")["final_quality"] == fresh["final_quality"]
