import dataclasses

import pytest

from qaug._config import HASH_IF_CHANGED, config_hash, config_to_dict
from qaug._registry import GENERATOR_KINDS, METHODS
from qaug.augment import (
    AugmentConfig,
    CustomizedAugmenter,
    GenerativeAugmenter,
    TraditionalAugmenter,
    build_sampler,
)
from qaug.experiments import AugmentConfig as ExperimentAugmentConfig


def test_one_augment_config_class():
    assert ExperimentAugmentConfig is AugmentConfig


@pytest.mark.parametrize("method", METHODS)
def test_method_gives_strategy_and_generator(method):
    cfg = AugmentConfig(method=method)
    again = AugmentConfig.for_strategy(cfg.strategy, cfg.generator or "qgan")
    # the top-ups share their strategy with the plain methods (they differ in how many)
    assert again.method == method.removesuffix("_rebalance").replace("rebalance", "traditional")
    assert (cfg.generator is None) == (method in ("none", "traditional", "rebalance"))


@pytest.mark.parametrize("method, cls", [
    ("none", type(None)), ("traditional", TraditionalAugmenter), ("gan", GenerativeAugmenter),
    ("dcgan_customized", CustomizedAugmenter)])
def test_build_sampler_follows_the_method(method, cls):
    cfg = AugmentConfig(method=method, rounds=3, budget=12, batch_size=8)
    sampler = build_sampler(cfg, random_state=0)
    assert isinstance(sampler, cls)
    if cls is CustomizedAugmenter:
        assert (sampler.n_rounds, sampler.budget, sampler.batch_size) == (3, 12, 8)
        assert sampler.generator_kind == "dcgan"


@pytest.mark.parametrize("changes, message", [
    ({"method": "smote"}, "valid methods"), ({"budget": 0}, "augment.budget"),
    ({"transforms": ("rotation", "blur")}, "augment.transforms"), ({"batch_size": 0}, "batch_size"),
    ({"max_attempts": float("inf")}, "max_attempts"), ({"rounds": 0}, "augment.rounds")])
def test_bad_values_name_the_key(changes, message):
    with pytest.raises(ValueError, match=message):
        AugmentConfig(**changes)
    with pytest.raises(ValueError, match="strategy must be one of"):
        AugmentConfig.for_strategy("smote")
    with pytest.raises(ValueError, match="generator must be one of"):
        AugmentConfig.for_strategy("general", "vae")


def test_fields_added_later_are_hashed_only_when_changed():
    plain = AugmentConfig(method="traditional")
    assert "transforms" not in plain.relevant_dict()
    assert "transforms" not in config_to_dict(plain, for_hash=True)
    assert "transforms" in config_to_dict(plain)  # but always written out
    rot = dataclasses.replace(plain, transforms=("rotation",))
    assert rot.relevant_dict()["transforms"] == ["rotation"]
    assert config_hash(rot) != config_hash(plain)
    # the hash of a default config is what it was before the two classes merged
    before = {"method": "traditional", "n_per_class": 100, "degrees": 15.0, "translate": 0.1,
              "contrast": [0.7, 1.3], "budget": 300, "rounds": 2, "min_share": 0.05,
              "max_share": 0.8, "threshold_min": 0.2, "threshold_max": 0.8, "max_attempts": 10.0}
    assert config_hash(plain) == config_hash(before)


def test_later_generator_kinds_do_not_change_sweep_hashes():
    from qaug.experiments import GANConfigs

    marked = {f.name for f in dataclasses.fields(GANConfigs) if f.metadata == HASH_IF_CHANGED}
    assert marked == set(GENERATOR_KINDS) - {"qgan", "gan", "dcgan"}
