"""Experiments under simulated NISQ noise: noise.generator and noise.classifier."""

import pytest

from qaug.experiments import ExperimentConfig, bank_key, run_experiment, run_key
from tests.experiments.test_exp_run import tiny

GEN = "shots=50,depolarizing=0.02"


def test_noise_fields_keep_the_ideal_hashes_and_key_noisy_banks_apart():
    ideal = tiny("augment.method=qgan")
    noisy = tiny("augment.method=qgan", f"noise.generator={GEN}")
    assert run_key(noisy) != run_key(ideal)
    assert bank_key(noisy, "qgan") != bank_key(ideal, "qgan")
    same_bank = tiny("augment.method=qgan", "noise.classifier=depolarizing=0.1")
    assert bank_key(same_bank, "qgan") == bank_key(ideal, "qgan")


def test_noisy_run_is_reproducible_and_records_the_noise(tmp_path):
    cfg = tiny("augment.method=qgan", f"noise.generator={GEN}",
               "noise.classifier=shots=100,depolarizing=0.05")
    a = run_experiment(cfg, cache_dir=tmp_path / "cache")
    b = run_experiment(cfg)  # retrained: same seed, same result
    assert a["noise"] == {"generator": GEN, "classifier": "shots=100,depolarizing=0.05",
                          "classifier_applied": True}
    assert a["test"] == b["test"] and a["generator"]["final_quality"] == b["generator"]["final_quality"]
    ideal = run_experiment(tiny("augment.method=qgan"))
    assert ideal["noise"]["generator"] == "" and not ideal["noise"]["classifier_applied"]
    assert ideal["generator"]["final_quality"] != a["generator"]["final_quality"]


def test_classical_classifier_runs_ideal_and_says_so():
    out = run_experiment(tiny("classifier.name=cnn", "noise.classifier=depolarizing=0.1"))
    assert out["noise"]["classifier_applied"] is False


@pytest.mark.parametrize(("override", "match"), [
    ("noise.generator=shots=-3", "noise.generator='shots=-3': shots must be >= 1"),
    ("noise.classifier=depolarising=0.1", "key one of"),
])
def test_bad_noise_specs(override, match):
    with pytest.raises((ValueError, TypeError), match=match):
        tiny(override)


def test_generator_noise_on_a_classical_generator_is_refused():
    with pytest.raises(ValueError, match="applies to quantum generators"):
        ExperimentConfig(**{**tiny("augment.method=dcgan").__dict__,
                            "noise": tiny(f"noise.generator={GEN}").noise})


def test_nisq_preset_puts_the_same_device_on_generator_and_classifier():
    from qaug.experiments import load_sweep_config, preset_path

    sweep = load_sweep_config(preset_path("nisq"))
    runs = sweep.expand()
    assert len(runs) == 4 * 2 * 3 * 6 and len(sweep.seeds) >= 6
    devices = {}
    for setting, cfg in runs:
        devices.setdefault(setting, set()).add((cfg.noise.generator, cfg.noise.classifier))
    assert devices["ideal"] == {("", "")}
    for name in ("low_noise", "mid_noise", "high_noise"):
        ((gen, clf),) = devices[name]
        assert gen == clf and runs[0][1].noise.model("generator") is None
    shots = [next(iter(devices[n]))[0] for n in ("low_noise", "mid_noise", "high_noise")]
    assert [s.split(",")[0] for s in shots] == ["shots=10000", "shots=1000", "shots=100"]
