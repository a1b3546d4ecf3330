"""Every choice list of qaug, defined once (stage 0: imports nothing, so no torch).

The library's checks, the CLI's ``choices=`` and the experiment configs all read these
tuples; a test checks that every CLI choice list equals its registry entry. Adding a
generator kind means adding it to ``GENERATOR_KINDS`` plus its builder (a "module:function"
entry in ``qaug.models.GENERATOR_BUILDERS``) and its tuned loop settings (``_KIND_DEFAULTS`` of
``qaug.train._adversarial_config``; a test checks all three agree): the augmentation methods
(``<kind>``, ``<kind>_customized``), the CLI choices and the per-kind config slots
(``gan.<kind>``, ``adversarial.<kind>`` of an experiment) follow from it.

Example:
    >>> "qgan_customized" in METHODS, generator_kind_of("dcgan_customized")
    (True, 'dcgan')
"""

from __future__ import annotations

__all__ = [
    "GENERATOR_KINDS",
    "QUANTUM_GENERATOR_KINDS",
    "DISCRIMINATOR_KINDS",
    "CLASSIFIERS",
    "AUGMENT_STRATEGIES",
    "SAMPLING_STRATEGY_NAMES",
    "TRANSFORMS",
    "METHODS",
    "BASE_METHODS",
    "DATASET_NAMES",
    "PRESETS",
    "OPTIMIZERS",
    "ADVERSARIAL_LOSSES",
    "QUALITY_METRICS",
    "EXPORT_FORMATS",
    "EXECUTORS",
    "P_ADJUST_METHODS",
    "generator_kind_of",
    "check_choice",
]

# Generator kinds (models.build_gan, train.fit_class_generators, --generator, gan.<kind>).
GENERATOR_KINDS: tuple[str, ...] = ("qgan", "gan", "dcgan", "upconv", "pqwgan", "mosaiq", "latent",
                                    "latent_mlp")
# The kinds with a quantum circuit (noise applies to them; the others are classical controls).
QUANTUM_GENERATOR_KINDS: tuple[str, ...] = ("qgan", "pqwgan", "mosaiq", "latent")
# Discriminators (GANConfig.discriminator); "auto" picks one per generator kind.
DISCRIMINATOR_KINDS: tuple[str, ...] = ("auto", "mlp", "cnn", "dcgan")
# Classifiers (models.build_classifier, --model / --classifier, classifier.name).
CLASSIFIERS: tuple[str, ...] = ("hqcnn", "reupload", "quanv", "cnn")
# Strategies of the augment stage (qaug.augment.AugmentConfig.strategy, qaug augment --strategy).
AUGMENT_STRATEGIES: tuple[str, ...] = ("none", "traditional", "general", "customized")
# imbalanced-learn style names of a sampler's ``sampling_strategy``.
SAMPLING_STRATEGY_NAMES: tuple[str, ...] = ("auto", "not majority", "minority", "not minority",
                                            "all")
# Transforms of traditional augmentation.
TRANSFORMS: tuple[str, ...] = ("rotation", "translation", "contrast")
# Augmentation methods of an experiment: those without a generator (``rebalance`` is traditional
# augmentation topping every class up to the largest), then per generator kind the general
# strategy ("<kind>"), the customized one ("<kind>_customized") and the general strategy
# topping up ("<kind>_rebalance").
BASE_METHODS: tuple[str, ...] = ("none", "traditional", "rebalance")
METHODS: tuple[str, ...] = (BASE_METHODS + GENERATOR_KINDS
                            + tuple(f"{k}_customized" for k in GENERATOR_KINDS)
                            + tuple(f"{k}_rebalance" for k in GENERATOR_KINDS))
# Built-in data sets (besides an .npz file or an image folder).
DATASET_NAMES: tuple[str, ...] = ("mnist", "digits")
# Sweep presets: qaug/experiments/presets/<name>.toml (a test checks the folder matches).
PRESETS: tuple[str, ...] = ("paper", "imbalanced", "uniform", "scale", "demo", "fullres", "nisq",
                            "curves")
# Adversarial training.
OPTIMIZERS: tuple[str, ...] = ("sgd", "adam")
ADVERSARIAL_LOSSES: tuple[str, ...] = ("bce", "lsgan", "wgan-gp")
# Keys of qaug.train.QualityEvaluator's output that can define "trained enough".
QUALITY_METRICS: tuple[str, ...] = ("accuracy", "confidence", "kid", "fid", "diversity_ratio")
# Multiplicity adjustments of a report's p-value families (qaug report --p-adjust).
P_ADJUST_METHODS: tuple[str, ...] = ("holm", "bh", "bonferroni", "none")
# qaug export --format.
EXPORT_FORMATS: tuple[str, ...] = ("qasm", "pennylane", "diagram")
# Where a sweep's runs execute: local processes (--jobs) or a Ray cluster (the ray extra).
EXECUTORS: tuple[str, ...] = ("local", "ray")


def check_choice(name: str, value: object, allowed: tuple[str, ...], fix: str = "") -> str:
    """Return ``value`` if it is one of ``allowed``, else raise a ValueError naming all three.

    Example:
        >>> check_choice("kind", "gan", GENERATOR_KINDS)
        'gan'
    """
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}; got {value!r}."
                         + (f" {fix}" if fix else ""))
    return value  # type: ignore[return-value]


def generator_kind_of(method: str) -> str | None:
    """The generator kind an augmentation method samples from (None for none/traditional)."""
    if method not in METHODS:
        raise ValueError(f"unknown augmentation method {method!r}; valid methods: {list(METHODS)}.")
    if method in BASE_METHODS:
        return None
    return method.removesuffix("_customized").removesuffix("_rebalance")
