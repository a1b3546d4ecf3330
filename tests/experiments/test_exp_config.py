import dataclasses

import pytest

from qaug.experiments import (
    METHODS,
    AugmentConfig,
    ExperimentConfig,
    SweepConfig,
    bank_key,
    check_seeds,
    generator_kind,
    load_experiment_config,
    load_sweep_config,
    preset_names,
    run_key,
)


def test_presets_ship_and_load():
    assert {"paper", "imbalanced", "uniform", "scale", "demo"} <= set(preset_names())
    paper = load_sweep_config("paper")
    assert paper.base.data.classes == (0, 1, 2) and paper.base.data.image_size == 8
    assert paper.base.data.n_train_per_class == 100 and len(paper.seeds) >= 5
    assert set(paper.classifiers) == {"hqcnn", "reupload", "quanv", "cnn"}
    assert set(paper.methods) == {"none", "traditional", "gan", "dcgan", "qgan", "qgan_customized"}
    assert paper.base.gan.dcgan.kind == "dcgan"  # the slot names the kind
    imb = load_sweep_config("imbalanced")
    assert {s["data"]["train_counts"]["2"] for s in imb.settings.values()} >= {20}
    scale = load_sweep_config("scale")
    assert len(scale.base.data.classes) == 10 and scale.base.data.image_size == 16


def test_unknown_preset_method_classifier_key():
    with pytest.raises(ValueError, match="unknown preset 'nope'; valid presets: .*paper"):
        load_sweep_config("nope")
    with pytest.raises(ValueError, match="unknown augmentation method 'smote'; valid methods"):
        AugmentConfig(method="smote")
    with pytest.raises(ValueError, match=r"unknown methods \['smote'\]; valid"):
        SweepConfig(methods=("none", "smote"))
    with pytest.raises(ValueError, match=r"unknown classifiers \['vit'\]; valid"):
        SweepConfig(classifiers=("vit",))
    with pytest.raises(ValueError, match=r"unknown config key\(s\) \['train.lrr'\]; valid keys"):
        load_experiment_config({"train": {"lrr": 0.1}})
    with pytest.raises(ValueError, match="unknown config key 'augment.nope'"):
        load_experiment_config(None, ["augment.nope=1"])
    with pytest.raises(ValueError, match="must be an integer >= 1"):
        AugmentConfig(budget=0)


@pytest.mark.parametrize("seeds, match", [([], "empty"), ([0, -1], "integers >= 0"),
                                          ([1, 1], "duplicates"), ("01", "list of integers")])
def test_invalid_seed_lists(seeds, match):
    with pytest.raises((ValueError, TypeError), match=match):
        check_seeds(seeds)
    with pytest.raises((ValueError, TypeError), match=match):
        load_sweep_config("demo", seeds=seeds)


def test_settings_must_apply(tmp_path):
    with pytest.raises(ValueError, match="unknown config key"):
        SweepConfig(settings={"bad": {"data": {"nope": 1}}})


def test_load_toml_yaml_and_overrides(tmp_path):
    (tmp_path / "e.toml").write_text(
        'seed = 3\n[augment]\nmethod = "qgan"\n[adversarial.qgan]\niterations = 7\n')
    (tmp_path / "e.yaml").write_text(
        "seed: 3\naugment: {method: qgan}\nadversarial: {qgan: {iterations: 7}}\n")
    a = load_experiment_config(tmp_path / "e.toml", ["train.epochs=2"])
    b = load_experiment_config(tmp_path / "e.yaml", ["train.epochs=2"])
    assert a == b and a.seed == 3 and a.adversarial.qgan.iterations == 7 and a.train.epochs == 2


def test_a_kind_table_with_some_keys_keeps_that_kinds_defaults(tmp_path):
    from qaug.models import default_gan_config
    from qaug.train import default_adversarial_config

    (tmp_path / "k.toml").write_text(
        "[gan.latent]\ndepth = 2\n[gan.dcgan]\nlatent_dim = 10\n"
        "[adversarial.pqwgan]\niterations = 7\n[adversarial.latent]\nlr_g = 0.5\n")
    cfg = load_experiment_config(tmp_path / "k.toml")
    defaults = ExperimentConfig()
    # the keys a table leaves out keep the kind's slot default, not GANConfig's / AdversarialConfig's
    assert cfg.gan.latent == default_gan_config("latent", depth=2)  # 4 qubits, 4 circuits
    assert cfg.gan.dcgan == dataclasses.replace(defaults.gan.dcgan, latent_dim=10)  # width 1
    assert cfg.adversarial.pqwgan == default_adversarial_config("pqwgan", iterations=7)  # wgan-gp
    assert cfg.adversarial.latent == dataclasses.replace(defaults.adversarial.latent, lr_g=0.5)
    assert cfg.gan.qgan == defaults.gan.qgan and cfg.adversarial.qgan == defaults.adversarial.qgan
    # a kind-less key still applies to every kind, on top of each kind's defaults
    shared = load_experiment_config({"gan": {"depth": 3, "latent": {"n_qubits": 3}}})
    assert shared.gan.latent == default_gan_config("latent", depth=3, n_qubits=3)
    assert shared.gan.qgan == dataclasses.replace(defaults.gan.qgan, depth=3)


def test_run_key_depends_only_on_what_a_run_uses():
    base = ExperimentConfig(augment=AugmentConfig(method="qgan"))
    other_dcgan = dataclasses.replace(base, gan=dataclasses.replace(
        base.gan, dcgan=dataclasses.replace(base.gan.dcgan, dcgan_width=5)))
    assert run_key(base) == run_key(other_dcgan)  # the DCGAN config is unused by a QGAN run
    dc = lambda c: dataclasses.replace(c, augment=AugmentConfig(method="dcgan"))  # noqa: E731
    assert run_key(dc(base)) != run_key(dc(other_dcgan))
    none = lambda c: dataclasses.replace(c, augment=AugmentConfig(method="none", budget=7))  # noqa
    assert run_key(none(base)) == run_key(none(other_dcgan))
    assert run_key(base) != run_key(dataclasses.replace(base, seed=1))


def test_bank_key_is_shared_across_classifiers_and_strategies():
    sweep = load_sweep_config("paper")
    keys = {}
    for _, cfg in sweep.expand():
        kind = generator_kind(cfg.augment.method)
        if kind:
            keys.setdefault((kind, cfg.seed), set()).add(bank_key(cfg, kind))
    assert all(len(v) == 1 for v in keys.values())  # one bank per kind and seed
    assert len(keys) == 3 * len(sweep.seeds)
    assert len(sweep.expand()) == len(sweep.classifiers) * len(sweep.methods) * len(sweep.seeds)


def test_sweep_identity_ignores_seeds_only():
    a, b = load_sweep_config("demo"), load_sweep_config("demo", seeds=[4, 5, 6])
    assert a.identity()["sweep_hash"] == b.identity()["sweep_hash"]
    c = load_sweep_config("demo", ["train.epochs=3"])
    assert c.identity()["sweep_hash"] != a.identity()["sweep_hash"]
    assert set(METHODS) >= set(a.methods)


def test_sweep_identity_ignores_seeds_and_description_only():
    paper = load_sweep_config("paper")
    ident = paper.identity()["sweep_hash"]
    reworded = dataclasses.replace(paper, description="reworded", seeds=(0, 1, 2))
    assert reworded.identity()["sweep_hash"] == ident
    fewer = dataclasses.replace(paper, methods=("none", "qgan"))
    assert fewer.identity()["sweep_hash"] != ident
