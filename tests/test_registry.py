import argparse
import re
import subprocess
import sys

import pytest

from qaug import _registry as reg
from qaug.cli import build_parser

# (command, option dest) -> the registry tuple its choices must equal. Every option with
# choices must be listed here, so a new choice list cannot bypass the registry.
EXPECTED = {
    ("train-classifier", "model"): reg.CLASSIFIERS,
    ("train-gan", "generator"): reg.GENERATOR_KINDS,
    ("augment", "strategy"): tuple(s for s in reg.AUGMENT_STRATEGIES if s != "none"),
    ("augment", "generator"): reg.GENERATOR_KINDS,
    ("augment", "classifier"): reg.CLASSIFIERS,
    ("run", "preset"): reg.PRESETS,
    ("reproduce", "preset"): reg.PRESETS,
    ("reproduce", "methods"): reg.METHODS,
    ("reproduce", "classifiers"): reg.CLASSIFIERS,
    ("export", "format"): reg.EXPORT_FORMATS,
    ("reproduce", "executor"): reg.EXECUTORS,
    ("demo", "executor"): reg.EXECUTORS,
    ("report", "p_adjust"): reg.P_ADJUST_METHODS,
    ("report", "comparisons_adjust"): reg.P_ADJUST_METHODS,
}


def _choice_lists():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, p in sub.choices.items():
        for action in p._actions:
            if action.choices is not None:
                yield (name, action.dest), tuple(action.choices)


def test_every_cli_choice_list_is_a_registry_tuple():
    found = dict(_choice_lists())
    assert found == EXPECTED


def test_library_lists_are_the_registry():
    import qaug.augment as augment
    import qaug.data as data
    import qaug.experiments as experiments
    import qaug.models as models
    import qaug.train as train
    from qaug._commands._export_run import FORMATS
    from qaug.augment._strategy import STRATEGY_NAMES
    from qaug.models._classifiers import _REGISTRY

    assert models.GENERATOR_KINDS is reg.GENERATOR_KINDS
    assert augment.GENERATOR_KINDS is reg.GENERATOR_KINDS
    assert models.DISCRIMINATOR_KINDS is reg.DISCRIMINATOR_KINDS
    assert models.CLASSIFIERS is reg.CLASSIFIERS and tuple(_REGISTRY) == reg.CLASSIFIERS
    assert experiments.METHODS is reg.METHODS
    assert augment.STRATEGIES is reg.AUGMENT_STRATEGIES and augment.TRANSFORMS is reg.TRANSFORMS
    assert STRATEGY_NAMES is reg.SAMPLING_STRATEGY_NAMES
    assert data.DATASET_NAMES is reg.DATASET_NAMES
    assert train._adversarial_config.OPTIMIZERS is reg.OPTIMIZERS
    assert train._adversarial_config.LOSSES is reg.ADVERSARIAL_LOSSES
    assert FORMATS is reg.EXPORT_FORMATS
    assert sorted(experiments.preset_names()) == sorted(reg.PRESETS)


def test_methods_follow_the_generator_kinds():
    assert reg.METHODS[:2] == ("none", "traditional")
    for kind in reg.GENERATOR_KINDS:
        assert kind in reg.METHODS and f"{kind}_customized" in reg.METHODS
        assert reg.generator_kind_of(kind) == reg.generator_kind_of(f"{kind}_customized") == kind
    assert reg.generator_kind_of("none") is None
    with pytest.raises(ValueError, match="valid methods"):
        reg.generator_kind_of("smote")


def test_per_kind_config_slots_follow_the_generator_kinds():
    import dataclasses

    from qaug.experiments import AdversarialConfigs, GANConfigs

    for cls in (GANConfigs, AdversarialConfigs):
        assert tuple(f.name for f in dataclasses.fields(cls)) == reg.GENERATOR_KINDS
    gans = GANConfigs()
    assert all(getattr(gans, k).kind == k for k in reg.GENERATOR_KINDS)


def test_check_choice_names_value_and_options():
    assert reg.check_choice("kind", "qgan", reg.GENERATOR_KINDS) == "qgan"
    msg = f"kind must be one of {list(reg.GENERATOR_KINDS)}; got 'x'"
    with pytest.raises(ValueError, match=re.escape(msg)):
        reg.check_choice("kind", "x", reg.GENERATOR_KINDS)


def test_help_and_registry_do_not_import_torch():
    code = ("import sys; from qaug.cli import build_parser; build_parser().format_help(); "
            "import qaug._registry; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_readme_lists_every_preset_and_classifier():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for name in reg.PRESETS + reg.CLASSIFIERS:
        assert f"{name}," in readme or f"{name}`" in readme, name
