"""``AugmentConfig``: the one augmentation config (``qaug augment``, experiments, Python).

Methods (``qaug._registry.METHODS``): ``none``; ``traditional`` (rotation, translation,
contrast of real images); ``<kind>`` such as ``qgan`` (the general strategy: ``n_per_class``
generated images per class from a per-class generator bank of that kind); ``<kind>_customized``
(the customized strategy: a total ``budget`` of generated images allocated to the classes the
classifier gets wrong most often, filtered by per-class confidence thresholds, over
``rounds`` of allocate / retrain / re-measure); ``rebalance`` and ``<kind>_rebalance``
(traditional augmentation or the general strategy topping every class up to the largest
class's count: the fair baselines of the customized strategy on imbalanced data).
``build_sampler`` turns it into a sampler.

Example:
    >>> cfg = AugmentConfig(method="qgan_customized")
    >>> cfg.strategy, cfg.generator
    ('customized', 'qgan')
    >>> AugmentConfig.for_strategy("general", "dcgan").method
    'dcgan'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from qaug._config import HASH_IF_CHANGED
from qaug._registry import AUGMENT_STRATEGIES, GENERATOR_KINDS, TRANSFORMS, generator_kind_of
from qaug.augment._customized import CustomizedAugmenter
from qaug.augment._generative import GenerativeAugmenter
from qaug.augment._traditional import TraditionalAugmenter

__all__ = ["AugmentConfig", "build_sampler", "STRATEGIES", "generator_kind", "is_customized",
           "is_rebalance"]

STRATEGIES = AUGMENT_STRATEGIES
_TRADITIONAL_FIELDS = ("n_per_class", "degrees", "translate", "contrast", "transforms")
_GENERAL_FIELDS = ("n_per_class",)
_CUSTOMIZED_FIELDS = ("budget", "rounds", "min_share", "max_share", "threshold_min",
                      "threshold_max", "max_attempts", "batch_size")


def generator_kind(method: str) -> str | None:
    """The generator kind a method samples from (``"qgan"`` for ``qgan_customized``), or None."""
    return generator_kind_of(method)


def is_customized(method: str) -> bool:
    """True for the customized strategy (any generator kind)."""
    return generator_kind(method) is not None and method.endswith("_customized")


def is_rebalance(method: str) -> bool:
    """True for the top-up methods (every class filled up to the largest class's count)."""
    generator_kind(method)
    return method.endswith("rebalance")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@dataclass(frozen=True)
class AugmentConfig:
    """Augmentation of the training set (section ``augment`` of every command's config).

    Attributes:
        method: one of ``qaug._registry.METHODS`` (see the module docstring).
        n_per_class: new samples per class (traditional and the general strategy; the
            rebalance methods ignore it and top up to the largest class).
        degrees, translate, contrast: traditional augmentation ranges (rotation in degrees,
            shift as a fraction of the image side, contrast factor range).
        transforms: which traditional transforms to draw from.
        budget: total generated samples of the customized strategy (default 300 = the general
            strategy's 100 x 3 classes; None: ``n_per_class`` x classes).
        rounds: allocate / retrain / re-measure cycles of the customized strategy.
        min_share, max_share: floor and cap of each class's share of the budget.
        threshold_min, threshold_max: per-class confidence thresholds
            ``t_c = t_min + (t_max - t_min) * acc_c`` (weak classes accept less confident samples).
        max_attempts: generated candidates allowed per wanted sample (the shortfall is
            reported, not filled).
        batch_size: candidates generated per generator call (customized strategy).

    The customized parameters map one to one onto :class:`qaug.augment.CustomizedAugmenter`
    (``rounds`` is its ``n_rounds``). ``strategy`` and ``generator`` are read-only views of
    ``method``; :meth:`for_strategy` builds a config from them.
    """

    method: str = "none"
    n_per_class: int = 100
    degrees: float = 15.0
    translate: float = 0.1
    contrast: tuple[float, float] = (0.7, 1.3)
    budget: int | None = 300
    rounds: int = 2
    min_share: float = 0.05
    max_share: float = 0.8
    threshold_min: float = 0.2
    threshold_max: float = 0.8
    max_attempts: float = 10.0
    # Added when the two AugmentConfig classes merged: hashed only when changed, so the
    # experiment hashes of committed results stay valid.
    transforms: tuple[str, ...] = field(default=TRANSFORMS, metadata=HASH_IF_CHANGED)
    batch_size: int = field(default=64, metadata=HASH_IF_CHANGED)

    def __post_init__(self):
        generator_kind(self.method)
        for name, low in (("n_per_class", 0), ("rounds", 1), ("batch_size", 1)):
            v = getattr(self, name)
            if not _is_int(v) or v < low:
                raise ValueError(f"augment.{name} must be an integer >= {low}; got {v!r}.")
        if self.budget is not None and (not _is_int(self.budget) or self.budget < 1):
            raise ValueError(
                f"augment.budget must be an integer >= 1 or None (n_per_class x classes); got "
                f"{self.budget!r}. A budget of zero adds nothing: use augment.method='none'.")
        for name in ("min_share", "max_share", "threshold_min", "threshold_max"):
            v = getattr(self, name)
            if not _is_number(v) or not 0.0 <= v <= 1.0:
                raise ValueError(f"augment.{name} must be a number in [0, 1]; got {v!r}.")
        if self.threshold_min > self.threshold_max:
            raise ValueError(
                f"augment.threshold_min ({self.threshold_min}) must be <= threshold_max "
                f"({self.threshold_max}); swap them.")
        if self.min_share > self.max_share:
            raise ValueError(
                f"augment.min_share ({self.min_share}) must be <= max_share ({self.max_share}).")
        if not _is_number(self.max_attempts) or not 1 <= self.max_attempts <= 1000:
            raise ValueError(
                f"augment.max_attempts must be a number in [1, 1000]; got {self.max_attempts!r}.")
        lo, hi = self.contrast
        if not 0 < lo <= hi:
            raise ValueError(
                f"augment.contrast must be (lo, hi) with 0 < lo <= hi; got {self.contrast!r}.")
        bad = [t for t in self.transforms if t not in TRANSFORMS]
        if bad or not self.transforms:
            raise ValueError(f"augment.transforms must be a non-empty subset of {list(TRANSFORMS)}; "
                             f"got {list(self.transforms)!r}.")

    @classmethod
    def for_strategy(cls, strategy: str, generator: str = "qgan", **fields: Any) -> AugmentConfig:
        """The config of ``strategy`` (``AUGMENT_STRATEGIES``) with generator kind ``generator``."""
        if strategy not in AUGMENT_STRATEGIES:
            raise ValueError(f"strategy must be one of {list(AUGMENT_STRATEGIES)}; "
                             f"got {strategy!r}.")
        if generator not in GENERATOR_KINDS:
            raise ValueError(f"generator must be one of {list(GENERATOR_KINDS)}; "
                             f"got {generator!r}.")
        method = {"general": generator, "customized": f"{generator}_customized"}.get(strategy,
                                                                                   strategy)
        return cls(method=method, **fields)

    @property
    def strategy(self) -> str:
        """``"none"``, ``"traditional"``, ``"general"`` or ``"customized"``."""
        if generator_kind(self.method) is None:
            return "traditional" if self.method == "rebalance" else self.method
        return "customized" if is_customized(self.method) else "general"

    @property
    def generator(self) -> str | None:
        """The generator kind of the method (None for none / traditional)."""
        return generator_kind(self.method)

    def relevant_dict(self) -> dict:
        """The fields that can change the result of this method (for run hashing)."""
        names = {"none": (), "traditional": _TRADITIONAL_FIELDS, "general": _GENERAL_FIELDS,
                 "customized": _CUSTOMIZED_FIELDS}[self.strategy]
        if is_rebalance(self.method):  # the top-ups do not read n_per_class
            names = tuple(n for n in names if n != "n_per_class")
        defaults = AugmentConfig()
        out = {"method": self.method}
        for n in names:
            v = getattr(self, n)
            if n in ("transforms", "batch_size") and v == getattr(defaults, n):
                continue  # hashed only when changed (see the field definitions)
            out[n] = list(v) if isinstance(v, tuple) else v
        return out


def build_sampler(config: AugmentConfig, *, random_state: Any, generators: Any = None,
                  gan_config: Any = None, adv_config: Any = None, classifier: Any = None,
                  classifier_factory: Any = None, train_config: Any = None,
                  progress: bool = False):
    """The sampler ``config`` describes (None for ``method="none"``).

    Other settings (transform ranges, thresholds, ...) are checked by the sampler itself when
    ``fit_resample`` runs, with messages that name the parameter.
    """
    if config.strategy == "none":
        return None
    # the top-ups fill every class up to the largest ("auto", imbalanced-learn's meaning)
    per_class = "auto" if is_rebalance(config.method) else config.n_per_class
    if config.strategy == "traditional":
        return TraditionalAugmenter(
            sampling_strategy=per_class, transforms=tuple(config.transforms),
            degrees=config.degrees, translate=config.translate, contrast=tuple(config.contrast),
            random_state=random_state,
        )
    common = dict(generators=generators, generator_kind=config.generator, gan_config=gan_config,
                  adv_config=adv_config, progress=progress, random_state=random_state)
    if config.strategy == "general":
        return GenerativeAugmenter(sampling_strategy=per_class, **common)
    return CustomizedAugmenter(
        # the customized strategy reads only the eligible classes from n_per_class
        sampling_strategy=config.n_per_class or 1, budget=config.budget, classifier=classifier,
        classifier_factory=classifier_factory, train_config=train_config,
        min_share=config.min_share, max_share=config.max_share,
        threshold_min=config.threshold_min, threshold_max=config.threshold_max,
        max_attempts=float(config.max_attempts), batch_size=config.batch_size,
        n_rounds=config.rounds, **common,
    )
