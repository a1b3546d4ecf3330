"""qaug.augment: augmentation strategies as imbalanced-learn style samplers.

``sampler.fit_resample(X, y) -> (X_res, y_res)`` on images ``(N, 1, H, W)`` or ``(N, H, W)``;
the originals are the first ``N`` rows, the new samples follow, and ``sampler.sources_`` says
where each row came from. Samplers: :class:`TraditionalAugmenter` (rotation, translation,
contrast), :class:`GenerativeAugmenter` (the paper's general strategy: QGAN/GAN/DCGAN samples,
a fixed number per class), :class:`CustomizedAugmenter` (the paper's customized strategy:
budget by validation error share, per-class confidence thresholds, rounds).
"""

from ._allocation import allocate_budget, class_thresholds, error_shares, split_budget
from ._base import BaseAugmenter
from ._classifier import is_fitted, mark_fitted
from ._config import (
    STRATEGIES,
    AugmentConfig,
    build_sampler,
    generator_kind,
    is_customized,
    is_rebalance,
)
from ._customized import CustomizedAugmenter
from ._dataset import AugmentedDataset, count_sources
from ._generative import GenerativeAugmenter
from ._generators import GENERATOR_KINDS, replay_generated
from ._strategy import resolve_sampling_strategy
from ._traditional import (
    TRANSFORMS,
    TraditionalAugmenter,
    apply_traditional,
    draw_traditional_params,
)
from ._validation import InvalidParameterError

__all__ = [
    "BaseAugmenter",
    "TraditionalAugmenter",
    "GenerativeAugmenter",
    "CustomizedAugmenter",
    "AugmentConfig",
    "build_sampler",
    "STRATEGIES",
    "generator_kind",
    "is_customized",
    "is_rebalance",
    "AugmentedDataset",
    "count_sources",
    "resolve_sampling_strategy",
    "allocate_budget",
    "class_thresholds",
    "error_shares",
    "split_budget",
    "draw_traditional_params",
    "apply_traditional",
    "replay_generated",
    "mark_fitted",
    "is_fitted",
    "InvalidParameterError",
    "TRANSFORMS",
    "GENERATOR_KINDS",
]
