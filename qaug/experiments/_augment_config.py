"""``AugmentConfig``: which augmentation a run applies and its parameters.

Methods: ``none``; ``traditional`` (rotation, translation, contrast of real images);
``gan``/``dcgan``/``qgan`` (the general strategy: ``n_per_class`` generated images per class
from a per-class generator bank of that kind); ``qgan_customized`` (and ``gan_customized``,
``dcgan_customized``: the customized strategy with another bank): a total ``budget`` of
generated images allocated to the classes the classifier gets wrong most often, filtered by
per-class confidence thresholds, over ``rounds`` of allocate / retrain / re-measure.
"""

from __future__ import annotations

from dataclasses import dataclass

from qaug._registry import METHODS, generator_kind_of

__all__ = ["AugmentConfig", "METHODS", "generator_kind", "is_customized"]

_TRADITIONAL_FIELDS = ("n_per_class", "degrees", "translate", "contrast")
_GENERAL_FIELDS = ("n_per_class",)
_CUSTOMIZED_FIELDS = ("budget", "rounds", "min_share", "max_share", "threshold_min",
                      "threshold_max", "max_attempts")


def generator_kind(method: str) -> str | None:
    """The generator kind a method samples from (``"qgan"`` for ``qgan_customized``), or None."""
    return generator_kind_of(method)


def is_customized(method: str) -> bool:
    """True for the customized strategy (any generator kind)."""
    return generator_kind(method) is not None and method.endswith("_customized")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


@dataclass(frozen=True)
class AugmentConfig:
    """Augmentation of the training set.

    Attributes:
        method: one of ``METHODS``.
        n_per_class: new samples per class (traditional and the general generative strategy).
        degrees, translate, contrast: traditional augmentation ranges (rotation in degrees,
            shift as a fraction of the image side, contrast factor range).
        budget: total generated samples of the customized strategy (default 300 = the general
            strategy's 100 x 3 classes, so both strategies add the same number of images).
        rounds: allocate / retrain / re-measure cycles of the customized strategy.
        min_share, max_share: floor and cap of each class's share of the budget.
        threshold_min, threshold_max: per-class confidence thresholds
            ``t_c = t_min + (t_max - t_min) * acc_c`` (weak classes accept less confident samples).
        max_attempts: generated candidates allowed per wanted sample (the shortfall is
            reported, not filled).

    The customized parameters map one to one onto :class:`qaug.augment.CustomizedAugmenter`
    (``rounds`` is its ``n_rounds``).
    """

    method: str = "none"
    n_per_class: int = 100
    degrees: float = 15.0
    translate: float = 0.1
    contrast: tuple[float, float] = (0.7, 1.3)
    budget: int = 300
    rounds: int = 2
    min_share: float = 0.05
    max_share: float = 0.8
    threshold_min: float = 0.2
    threshold_max: float = 0.8
    max_attempts: float = 10.0

    def __post_init__(self):
        generator_kind(self.method)
        for name, low in (("n_per_class", 0), ("budget", 1), ("rounds", 1)):
            v = getattr(self, name)
            if not _is_int(v) or v < low:
                raise ValueError(f"augment.{name} must be an integer >= {low}; got {v!r}.")
        for name in ("min_share", "max_share", "threshold_min", "threshold_max"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0.0 <= v <= 1.0:
                raise ValueError(f"augment.{name} must be a number in [0, 1]; got {v!r}.")
        if self.threshold_min > self.threshold_max:
            raise ValueError(
                f"augment.threshold_min ({self.threshold_min}) must be <= threshold_max "
                f"({self.threshold_max}); swap them.")
        if self.min_share > self.max_share:
            raise ValueError(
                f"augment.min_share ({self.min_share}) must be <= max_share ({self.max_share}).")
        if not isinstance(self.max_attempts, (int, float)) or not 1 <= self.max_attempts <= 1000:
            raise ValueError(
                f"augment.max_attempts must be a number in [1, 1000]; got {self.max_attempts!r}.")
        lo, hi = self.contrast
        if not 0 < lo <= hi:
            raise ValueError(
                f"augment.contrast must be (lo, hi) with 0 < lo <= hi; got {self.contrast!r}.")

    def sampler_config(self):
        """The :class:`qaug.augment.AugmentConfig` of this method (what ``build_sampler`` takes)."""
        from qaug.augment import AugmentConfig as SamplerConfig

        kind = generator_kind(self.method)
        if self.method in ("none", "traditional"):
            strategy = self.method
        else:
            strategy = "customized" if is_customized(self.method) else "general"
        return SamplerConfig(
            strategy=strategy, generator=kind or "qgan",
            # the customized strategy reads only the eligible classes from n_per_class
            n_per_class=(self.n_per_class or 1) if strategy == "customized" else self.n_per_class,
            budget=self.budget, degrees=self.degrees, translate=self.translate,
            contrast=tuple(self.contrast), min_share=self.min_share, max_share=self.max_share,
            threshold_min=self.threshold_min, threshold_max=self.threshold_max,
            max_attempts=float(self.max_attempts), n_rounds=self.rounds,
        )

    def relevant_dict(self) -> dict:
        """The fields that can change the result of this method (for run hashing)."""
        if self.method == "none":
            names: tuple[str, ...] = ()
        elif self.method == "traditional":
            names = _TRADITIONAL_FIELDS
        elif is_customized(self.method):
            names = _CUSTOMIZED_FIELDS
        else:
            names = _GENERAL_FIELDS
        return {"method": self.method,
                **{n: list(v) if isinstance(v := getattr(self, n), tuple) else v for n in names}}
