"""Experiment and sweep configs: frozen dataclasses that load from TOML/YAML and take overrides.

One :class:`ExperimentConfig` describes one run (data, classifier, training, augmentation,
one GAN/adversarial config per generator kind, quality target, seed). A
:class:`SweepConfig` describes a grid: a base experiment, named settings (override tables),
classifiers, methods and seeds. Presets are sweep files in ``qaug/experiments/presets``.

Example:
    >>> cfg = ExperimentConfig(augment=AugmentConfig(method="qgan"))
    >>> generator_kind(cfg.augment.method), len(run_key(cfg))
    ('qgan', 12)
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from qaug._config import (
    HASH_IF_CHANGED,
    apply_overrides,
    config_from_dict,
    config_hash,
    config_to_dict,
    load_config_file,
)
from qaug._registry import (
    CLASSIFIERS,
    GENERATOR_KINDS,
    METHODS,
    QUALITY_METRICS,
    QUANTUM_GENERATOR_KINDS,
)
from qaug.augment import AugmentConfig, generator_kind
from qaug.data import DataConfig
from qaug.models import ClassifierConfig, GANConfig, default_gan_config
from qaug.train import AdversarialConfig, TrainConfig, default_adversarial_config

__all__ = ["ExperimentConfig", "SweepConfig", "GANConfigs", "AdversarialConfigs", "QualityConfig",
           "NoiseConfig",
           "AugmentConfig", "METHODS", "CLASSIFIERS", "generator_kind", "run_key", "bank_key",
           "load_experiment_config", "load_sweep_config", "preset_names", "preset_path",
           "select_settings",
           "merge_overrides", "check_seeds", "BANK_FORMAT"]

# Bumped when the way a bank is trained or stored changes, so old cache entries are not reused.
BANK_FORMAT = 1


# Per-kind defaults of the GAN networks that differ from ``GANConfig``'s; a kind not listed
# takes ``qaug.models.default_gan_config(kind)`` (its own architecture defaults).
GAN_SLOT_DEFAULTS: dict[str, dict[str, Any]] = {"dcgan": {"dcgan_width": 1, "latent_dim": 24}}


def _gan_slot_default(kind: str) -> GANConfig:
    return default_gan_config(kind, **GAN_SLOT_DEFAULTS.get(kind, {}))


def _set_kind_slots(obj: Any) -> None:
    # The slot names the kind: a table such as [gan.dcgan] read from a file builds a GANConfig
    # whose ``kind`` field would otherwise default to "qgan".
    for kind in GENERATOR_KINDS:
        value = getattr(obj, kind)
        if value.kind != kind:
            object.__setattr__(obj, kind, dataclasses.replace(value, kind=kind))


# Kinds whose slots were in every hash before more kinds were added; a later kind's slot enters
# a sweep's hash only when changed, so adding a kind keeps the hashes of finished sweeps.
_FIRST_KINDS = ("qgan", "gan", "dcgan")


def _per_kind_config(name: str, tp: type, default: Any, doc: str, post_init: Any = None) -> type:
    """A frozen dataclass with one field of type ``tp`` per entry of ``GENERATOR_KINDS``.

    ``PER_KIND = True`` lets ``qaug._config`` apply a key without a kind
    (``adversarial.lr_g=0.1``) to every kind.
    """
    fields = [(k, tp, field(default_factory=functools.partial(default, k),
                            metadata={} if k in _FIRST_KINDS else HASH_IF_CHANGED))
              for k in GENERATOR_KINDS]
    namespace = {"__doc__": doc, "PER_KIND": True,
                 **({"__post_init__": post_init} if post_init else {})}
    cls = dataclasses.make_dataclass(name, fields, frozen=True, namespace=namespace)
    cls.__module__ = __name__  # picklable as qaug.experiments._config.<name>
    return cls


GANConfigs = _per_kind_config("GANConfigs", GANConfig, _gan_slot_default, """\
One network config per generator kind (``gan.qgan``, ``gan.gan``, ``gan.dcgan``, ...).

    One field per entry of ``qaug._registry.GENERATOR_KINDS``. The DCGAN default is sized to
    about twice the QGAN generator's 124 parameters (120 circuit angles + 4 patch brightnesses;
    DCGAN width 1, latent 24: 247 parameters), the paper's "half the parameters" comparison
    (``GAN_SLOT_DEFAULTS``). A table given in a file changes the slot key by key (unlisted
    keys keep the slot's default), and each slot's ``kind`` is set to the slot's name.
    """, post_init=_set_kind_slots)

AdversarialConfigs = _per_kind_config(
    "AdversarialConfigs", AdversarialConfig, default_adversarial_config, """\
One adversarial-training config per generator kind (``adversarial.qgan``, ...).

    One field per entry of ``qaug._registry.GENERATOR_KINDS``; defaults are each kind's tuned
    settings (``qaug.train.default_adversarial_config``: the demo's SGD for the QGAN, Adam for
    the classical networks, which collapse with that SGD).
    """)


@dataclass(frozen=True)
class NoiseConfig:
    """Simulated NISQ noise of one run (the paper's open question 2); ``""`` = ideal.

    Each field is a ``qaug.quantum.NoiseModel`` spec such as ``"shots=1000,depolarizing=0.01"``
    (keys shots, depolarizing, readout; any subset).

    Attributes:
        generator: the generator bank is trained under it (every quantum layer of G; the
            quality metrics see the noisy samples) and the augmentation samples are drawn
            under it, as a device would produce them. Quantum generator kinds only.
        classifier: the classifier is trained and evaluated (validation and test) under it;
            a classifier without a quantum layer (``cnn``) runs ideal and the run records
            that the noise did not apply.
    """

    generator: str = ""
    classifier: str = ""

    def __post_init__(self):
        for name in ("generator", "classifier"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TypeError(f"noise.{name} must be a noise spec string such as "
                                f"'shots=1000,depolarizing=0.01' (or '' for ideal); got {value!r}.")
            try:
                self.model(name)
            except (TypeError, ValueError) as e:
                raise ValueError(f"noise.{name}={value!r}: {e}") from None

    def model(self, which: str):
        """The ``NoiseModel`` of ``which`` ("generator" or "classifier"), or None when ideal."""
        from qaug.quantum import NoiseModel

        spec = getattr(self, which).strip()
        if not spec or spec.lower() in ("ideal", "none"):
            return None
        noise = NoiseModel.from_string(spec)
        return None if noise.is_ideal else noise


@dataclass(frozen=True)
class QualityConfig:
    """Which quality figure defines "trained enough" for the iterations-to-target claim.

    Attributes:
        metric: a key of :class:`qaug.train.QualityEvaluator`'s output ("accuracy", "kid",
            "fid", "confidence", "diversity_ratio"); lower is better for fid/kid.
        target: the value to reach (e.g. 0.9 reference accuracy).
        extractor_epochs: training epochs of the quality CNN (feature extractor and reference
            classifier, trained on the real training images).

    Quality is logged during training every ``adversarial.<kind>.eval_every`` iterations on
    ``eval_samples`` images from a fixed noise batch; the last record is the final quality.
    """

    metric: str = "accuracy"
    target: float = 0.9
    extractor_epochs: int = 40

    def __post_init__(self):
        if self.metric not in QUALITY_METRICS:
            raise ValueError(f"quality.metric must be one of {list(QUALITY_METRICS)}; "
                             f"got {self.metric!r}.")
        e = self.extractor_epochs
        if isinstance(e, bool) or not isinstance(e, int) or e < 1:
            raise ValueError(f"quality.extractor_epochs must be an integer >= 1; got {e!r}.")


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything that determines one run of :func:`qaug.experiments.run_experiment`.

    Attributes:
        seed: the experiment seed; child seeds derive from it per consumer (split, init,
            shuffle, gan, sampler, quality).
        data, classifier, train, augment: component configs.
        gan, adversarial: network and training config of each generator kind.
        quality: quality target of the generator banks.
    """

    seed: int = 0
    data: DataConfig = field(default_factory=DataConfig)
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    gan: GANConfigs = field(default_factory=GANConfigs)
    adversarial: AdversarialConfigs = field(default_factory=AdversarialConfigs)
    quality: QualityConfig = field(default_factory=QualityConfig)
    noise: NoiseConfig = field(default_factory=NoiseConfig, metadata=HASH_IF_CHANGED)

    def __post_init__(self):
        check_seeds([self.seed], "seed")
        kind = generator_kind(self.augment.method)
        if (self.noise.model("generator") is not None and kind is not None
                and kind not in QUANTUM_GENERATOR_KINDS):
            raise ValueError(
                f"noise.generator={self.noise.generator!r} applies to quantum generators; the "
                f"method {self.augment.method!r} samples from the classical {kind!r}. Clear "
                "noise.generator for it or pick a quantum kind.")


def check_seeds(seeds: Any, name: str = "seeds") -> tuple[int, ...]:
    """Validate a seed list: non-empty, integers >= 0, no duplicates."""
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"{name} must be a list of integers such as [0, 1, 2]; got {seeds!r}.")
    seeds = list(seeds)
    if not seeds:
        raise ValueError(f"{name} is empty; give at least one seed, e.g. --seeds 0 1 2.")
    bad = [s for s in seeds if isinstance(s, bool) or not isinstance(s, int) or s < 0]
    if bad:
        raise ValueError(f"{name} must be integers >= 0; got {bad}. Use e.g. --seeds 0 1 2.")
    dup = sorted({s for s in seeds if seeds.count(s) > 1})
    if dup:
        raise ValueError(f"{name} has duplicates {dup}; each seed may appear once.")
    return tuple(seeds)


def _relevant(cfg: ExperimentConfig) -> dict:
    """The parts of ``cfg`` that can change the run's result (unused generator configs dropped)."""
    d = config_to_dict(cfg, for_hash=True)
    kind = generator_kind(cfg.augment.method)
    d["augment"] = cfg.augment.relevant_dict()
    if kind is None:
        for k in ("gan", "adversarial", "quality"):
            d.pop(k)
    else:
        # the used kind's slot in full (a later kind's slot is left out of a whole-config hash
        # while at its default, but a run of that kind depends on it)
        d["gan"] = {kind: config_to_dict(getattr(cfg.gan, kind), for_hash=True)}
        d["adversarial"] = {kind: config_to_dict(getattr(cfg.adversarial, kind), for_hash=True)}
    return d


def run_key(cfg: ExperimentConfig) -> str:
    """Hash of what determines a run's result: names ``runs/<hash>.json`` in a sweep."""
    return config_hash(_relevant(cfg))


def bank_key(cfg: ExperimentConfig, kind: str) -> str:
    """Hash of what determines a trained generator bank: data, seed, kind, its configs."""
    if kind not in GENERATOR_KINDS:
        raise ValueError(f"kind must be one of {list(GENERATOR_KINDS)}; got {kind!r}.")
    return kind + "-" + config_hash({
        "format": BANK_FORMAT, "seed": cfg.seed, "kind": kind,
        "data": config_to_dict(cfg.data, for_hash=True),
        "gan": config_to_dict(getattr(cfg.gan, kind), for_hash=True),
        "adversarial": config_to_dict(getattr(cfg.adversarial, kind), for_hash=True),
        "quality": config_to_dict(cfg.quality, for_hash=True),
        # banks trained under noise get their own key; ideal banks keep the committed ones
        **({"noise": cfg.noise.generator} if cfg.noise.model("generator") is not None else {})})


def merge_overrides(cfg: Any, overrides: dict[str, Any] | None) -> Any:
    """Apply nested (``{"train": {"lr": 0.1}}``) or dotted (``{"train.lr": 0.1}``) overrides."""
    for key, value in (overrides or {}).items():
        hints = typing.get_type_hints(type(cfg))
        sub = getattr(cfg, key, None) if "." not in key else None
        if isinstance(value, dict) and dataclasses.is_dataclass(sub) and dataclasses.is_dataclass(
                hints.get(key)):
            cfg = dataclasses.replace(cfg, **{key: merge_overrides(sub, value)})
        else:
            cfg = apply_overrides(cfg, {key: value})
    return cfg


@dataclass(frozen=True)
class SweepConfig:
    """A grid of runs: settings x classifiers x methods x seeds around a base experiment.

    Attributes:
        name, description: shown in the report.
        history: what was changed in the preset after which result (settings or seeds added
            after an inconclusive run, ...), printed in the report's pre-registration line.
        seeds: experiment seeds (>= 0, distinct).
        methods: augmentation methods, from ``METHODS``.
        classifiers: classifier names, from ``CLASSIFIERS``.
        settings: named override tables applied to ``base`` (``{"default": {}}`` = one setting).
        classifier_overrides: per-classifier override tables (e.g. a learning rate).
        base: the experiment every run starts from.
    """

    name: str = "custom"
    description: str = ""
    history: str = ""
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    methods: tuple[str, ...] = ("none", "traditional", "gan", "dcgan", "qgan", "qgan_customized")
    classifiers: tuple[str, ...] = CLASSIFIERS
    settings: dict[str, dict[str, Any]] = field(default_factory=lambda: {"default": {}})
    classifier_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    base: ExperimentConfig = field(default_factory=ExperimentConfig)

    def __post_init__(self):
        check_seeds(self.seeds)
        _check_names(self.methods, METHODS, "methods")
        _check_names(self.classifiers, CLASSIFIERS, "classifiers")
        _check_names(tuple(self.classifier_overrides), CLASSIFIERS, "classifier_overrides")
        if not self.settings:
            raise ValueError("settings is empty; use {'default': {}} for a single setting.")
        self.expand()  # every override table must apply cleanly: fail now, not mid-sweep

    def identity(self) -> dict:
        """What names this sweep's folder: its config minus the seeds (seeds may be added).

        The description and history are kept but not hashed: rewording them must not orphan
        finished runs.
        """
        d = config_to_dict(self)
        d.pop("seeds")
        hashed = config_to_dict(self, for_hash=True)
        hashed = {k: v for k, v in hashed.items() if k not in ("description", "history", "seeds")}
        return {"sweep_hash": config_hash(hashed), "name": self.name, "config": d,
                "seeds": list(self.seeds)}

    def expand(self) -> list[tuple[str, ExperimentConfig]]:
        """Every run as ``(setting, config)``: settings x classifiers x methods x seeds."""
        out = []
        for setting, table in self.settings.items():
            base = merge_overrides(self.base, table)
            for clf in self.classifiers:
                cbase = merge_overrides(dataclasses.replace(
                    base, classifier=dataclasses.replace(base.classifier, name=clf)),
                    self.classifier_overrides.get(clf))
                for method in self.methods:
                    mcfg = dataclasses.replace(
                        cbase, augment=dataclasses.replace(cbase.augment, method=method))
                    for seed in self.seeds:
                        out.append((setting, dataclasses.replace(mcfg, seed=seed)))
        return out


def _check_names(names, allowed, what) -> None:
    if isinstance(names, str):
        raise TypeError(f"{what} must be a list of names; got the string {names!r}.")
    bad = [n for n in names if n not in allowed]
    if bad:
        raise ValueError(f"unknown {what} {bad}; valid: {list(allowed)}.")
    if not names and what != "classifier_overrides":
        raise ValueError(f"{what} is empty; pick at least one of {list(allowed)}.")


def preset_names() -> list[str]:
    """Names of the shipped presets (``qaug/experiments/presets/<name>.toml``)."""
    folder = resources.files("qaug.experiments") / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def preset_path(name: str) -> Path:
    """Path of a shipped preset; ValueError listing the valid names."""
    names = preset_names()
    if name not in names:
        raise ValueError(f"unknown preset {name!r}; valid presets: {names}. Or pass --config FILE.")
    return Path(str(resources.files("qaug.experiments") / "presets" / f"{name}.toml"))


def load_sweep_config(source: str | Path | dict, overrides: list[str] | dict | None = None,
                      **fields: Any) -> SweepConfig:
    """A :class:`SweepConfig` from a preset name, a file, or a dict.

    Args:
        source: preset name (``"paper"``), path to a .toml/.yaml/.json, or a dict.
        overrides: dotted overrides of the *base* experiment (``["train.epochs=5"]``).
        **fields: replacements of sweep fields (``seeds=(0, 1)``, ``methods=...``), None skipped.
    """
    if isinstance(source, dict):
        data = source
    elif isinstance(source, Path) or str(source).endswith((".toml", ".yaml", ".yml", ".json")):
        data = load_config_file(source)
    else:
        data = load_config_file(preset_path(str(source)))
    cfg = config_from_dict(SweepConfig, data)
    if overrides:
        cfg = dataclasses.replace(cfg, base=apply_overrides(cfg.base, overrides))
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items() if v is not None}
    return dataclasses.replace(cfg, **fields) if fields else cfg


def select_settings(sweep: SweepConfig, names: list[str] | tuple[str, ...]) -> SweepConfig:
    """``sweep`` with only the settings ``names`` (in the preset's order); unknown names refused.

    Example:
        >>> select_settings(load_sweep_config("fullres"), ["s28_each10"]).settings.keys()
        dict_keys(['s28_each10'])
    """
    unknown = [n for n in names if n not in sweep.settings]
    if unknown or not names:
        raise ValueError(f"settings {list(names)!r}: {unknown or 'none given'} not in sweep "
                         f"{sweep.name!r}; valid: {list(sweep.settings)}. Pick from those "
                         "(or drop --settings to run them all).")
    return dataclasses.replace(
        sweep, settings={k: v for k, v in sweep.settings.items() if k in names})


def load_experiment_config(source: str | Path | dict | None = None,
                           overrides: list[str] | dict | None = None) -> ExperimentConfig:
    """An :class:`ExperimentConfig` from a file or dict (None: defaults), plus dotted overrides."""
    if source is None:
        cfg = ExperimentConfig()
    elif isinstance(source, dict):
        cfg = config_from_dict(ExperimentConfig, source)
    else:
        cfg = config_from_dict(ExperimentConfig, load_config_file(source))
    return apply_overrides(cfg, overrides) if overrides else cfg
