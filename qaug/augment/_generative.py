"""The paper's general strategy: add a fixed, balanced number of generated samples per class."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from qaug.augment._base import RANDOM_STATE_CONSTRAINT, SAMPLING_STRATEGY_CONSTRAINT, BaseAugmenter
from qaug.augment._generators import (
    GENERATOR_CONSTRAINTS,
    bank_kind,
    draw_seed,
    generate,
    obtain_generators,
)

__all__ = ["GenerativeAugmenter"]


class GenerativeAugmenter(BaseAugmenter):
    """Add generated images (QGAN, GAN or DCGAN) per class: the paper's general strategy.

    The classifier is never consulted, so the strategy works with every classifier. Per class
    ``c`` with ``n_c`` new samples (from ``sampling_strategy``; the paper's setting is an int,
    the same number for every class), one seed is drawn from the sampler's generator and the
    bank generates ``n_c`` images with it.

    Args:
        sampling_strategy: see :func:`~qaug.augment.resolve_sampling_strategy`; default 100 new
            samples per class.
        generators: trained ``ClassGenerators`` to use; None trains them on ``fit_resample``'s
            data with ``qaug.train.fit_class_generators`` (only for the classes that need samples).
        generator_kind: ``"qgan"``, ``"gan"`` or ``"dcgan"``, used when training.
        gan_config: ``qaug.models.GANConfig`` for training (default ``GANConfig(kind=...)``).
        adv_config: ``qaug.train.AdversarialConfig`` for training (default its defaults).
        progress: show progress bars while training generators.
        random_state: int seed, CPU ``torch.Generator`` or None (fresh entropy, see ``seed_``).

    Fitted attributes: those of :class:`BaseAugmenter`, plus ``generators_`` (the bank used) and
    ``params_ = {"labels": int64 (M,) class of each new sample, "draws": [{"label", "n",
    "seed", "latent"}, ...]}`` (``latent``: the ``(n, d)`` latent vectors, None for a bank that
    draws them itself); ``replay_generated(generators_, params_, H)`` re-creates the new samples.
    """

    _parameter_constraints = {
        "sampling_strategy": SAMPLING_STRATEGY_CONSTRAINT,
        **GENERATOR_CONSTRAINTS,
        "random_state": RANDOM_STATE_CONSTRAINT,
    }

    def __init__(
        self,
        *,
        sampling_strategy: Any = 100,
        generators: Any = None,
        generator_kind: str = "qgan",
        gan_config: Any = None,
        adv_config: Any = None,
        progress: bool = False,
        random_state: Any = None,
    ):
        self.sampling_strategy = sampling_strategy
        self.generators = generators
        self.generator_kind = generator_kind
        self.gan_config = gan_config
        self.adv_config = adv_config
        self.progress = progress
        self.random_state = random_state

    def _fit_resample(self, x, y, generator, **fit_params):
        if fit_params:
            raise TypeError(f"GenerativeAugmenter.fit_resample takes no {sorted(fit_params)}.")
        wanted = [c for c, n in self.sampling_strategy_.items() if n > 0]
        size = int(x.shape[-1])
        if not wanted:  # nothing to add: do not train generators for nothing
            self.generators_ = self.generators
            self.params_ = {"labels": torch.zeros(0, dtype=torch.int64), "draws": []}
            return torch.zeros(0, 1, size, size), np.zeros(0, np.int64), [], np.zeros(0, np.int64)
        self.generators_ = obtain_generators(self, x, y, wanted, generator)
        draws, parts = [], []
        for c in wanted:
            n = self.sampling_strategy_[c]
            seed = draw_seed(generator)
            images, z = generate(self.generators_, c, n, seed, size)
            draws.append({"label": int(c), "n": int(n), "seed": seed, "latent": z})
            parts.append(images)
        labels = np.concatenate([np.full(d["n"], d["label"], np.int64) for d in draws])
        self.params_ = {"labels": torch.as_tensor(labels), "draws": draws}
        source = bank_kind(self.generators_, self.generator_kind)
        return torch.cat(parts), labels, [source] * len(labels), np.full(len(labels), -1, np.int64)
