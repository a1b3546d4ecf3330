"""``AugmentConfig``: the augment stage's settings; ``build_sampler`` turns them into a sampler."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from qaug._registry import AUGMENT_STRATEGIES, GENERATOR_KINDS
from qaug.augment._customized import CustomizedAugmenter
from qaug.augment._generative import GenerativeAugmenter
from qaug.augment._traditional import TRANSFORMS, TraditionalAugmenter

__all__ = ["AugmentConfig", "build_sampler", "STRATEGIES"]

STRATEGIES = AUGMENT_STRATEGIES


@dataclass(frozen=True)
class AugmentConfig:
    """Which strategy to run and its settings (see the sampler classes for each meaning).

    Attributes:
        strategy: ``"none"``, ``"traditional"``, ``"general"`` (GenerativeAugmenter) or
            ``"customized"`` (CustomizedAugmenter).
        generator: ``"qgan"``, ``"gan"`` or ``"dcgan"`` (general and customized).
        n_per_class: new samples per class (traditional, general; and the customized budget
            when ``budget`` is None: ``n_per_class x k``).
        budget: total new samples of the customized strategy (None: ``n_per_class x k``).
        transforms, degrees, translate, contrast: traditional augmentation.
        min_share, max_share, threshold_min, threshold_max, max_attempts, batch_size, n_rounds:
            customized strategy.
    """

    strategy: str = "general"
    generator: str = "qgan"
    n_per_class: int = 100
    budget: int | None = None
    transforms: tuple[str, ...] = TRANSFORMS
    degrees: float = 15.0
    translate: float = 0.1
    contrast: tuple[float, float] = (0.7, 1.3)
    min_share: float = 0.05
    max_share: float = 0.8
    threshold_min: float = 0.2
    threshold_max: float = 0.8
    max_attempts: float = 10.0
    batch_size: int = 64
    n_rounds: int = 1

    def __post_init__(self):
        if self.strategy not in STRATEGIES:
            raise ValueError(
                f"augment.strategy must be one of {list(STRATEGIES)}; got {self.strategy!r}."
            )
        if self.generator not in GENERATOR_KINDS:
            raise ValueError(
                f"augment.generator must be one of {list(GENERATOR_KINDS)}; got {self.generator!r}."
            )
        for name in ("n_per_class", "batch_size", "n_rounds"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"augment.{name} must be an integer >= 1; got {v!r}.")
        if self.budget is not None and (
            isinstance(self.budget, bool) or not isinstance(self.budget, int) or self.budget < 1
        ):
            raise ValueError(
                f"augment.budget must be an integer >= 1 or None; got {self.budget!r}. A budget of "
                "zero adds nothing: use augment.strategy='none' instead."
            )
        for name in ("min_share", "max_share", "threshold_min", "threshold_max"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not (0 <= v <= 1):
                raise ValueError(f"augment.{name} must be a number in [0, 1]; got {v!r}.")
        if self.threshold_min > self.threshold_max:
            raise ValueError(
                f"augment.threshold_min={self.threshold_min} exceeds "
                f"threshold_max={self.threshold_max}; weak classes get the lower one."
            )
        if not (isinstance(self.max_attempts, (int, float)) and math.isfinite(self.max_attempts)
                and self.max_attempts >= 1):
            raise ValueError(
                f"augment.max_attempts must be a number >= 1; got {self.max_attempts!r}."
            )


def build_sampler(config: AugmentConfig, *, random_state: Any, generators: Any = None,
                  gan_config: Any = None, adv_config: Any = None, classifier: Any = None,
                  classifier_factory: Any = None, train_config: Any = None,
                  progress: bool = False):
    """The sampler ``config`` describes (None for ``strategy="none"``).

    Other settings (transform ranges, thresholds, ...) are checked by the sampler itself when
    ``fit_resample`` runs, with messages that name the parameter.
    """
    if config.strategy == "none":
        return None
    if config.strategy == "traditional":
        return TraditionalAugmenter(
            sampling_strategy=config.n_per_class, transforms=tuple(config.transforms),
            degrees=config.degrees, translate=config.translate, contrast=tuple(config.contrast),
            random_state=random_state,
        )
    common = dict(generators=generators, generator_kind=config.generator, gan_config=gan_config,
                  adv_config=adv_config, progress=progress, random_state=random_state)
    if config.strategy == "general":
        return GenerativeAugmenter(sampling_strategy=config.n_per_class, **common)
    return CustomizedAugmenter(
        sampling_strategy=config.n_per_class, budget=config.budget, classifier=classifier,
        classifier_factory=classifier_factory, train_config=train_config,
        min_share=config.min_share, max_share=config.max_share,
        threshold_min=config.threshold_min, threshold_max=config.threshold_max,
        max_attempts=config.max_attempts, batch_size=config.batch_size, n_rounds=config.n_rounds,
        **common,
    )
