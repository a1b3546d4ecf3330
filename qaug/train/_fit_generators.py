"""``fit_class_generators``: train one generator per class (see ``_generators`` for why)."""

from __future__ import annotations

import dataclasses
from functools import partial
from pathlib import Path

import torch

from qaug._seed import child_seed, make_generator
from qaug.models import (
    GENERATOR_KINDS,
    GANConfig,
    build_gan,
    count_parameters,
    default_gan_config,
)
from qaug.train._adversarial import AdversarialConfig, GANResult, train_gan
from qaug.train._generators import ClassGenerators, gan_meta, selection_record
from qaug.train._quality import QualityEvaluator

__all__ = ["fit_class_generators"]


def fit_class_generators(
    kind: str,
    x: torch.Tensor,
    y: torch.Tensor,
    gan_config: GANConfig | None = None,
    adv_config: AdversarialConfig | None = None,
    *,
    seed: int,
    labels=None,
    progress: bool = False,
    out_dir: str | Path | None = None,
    quality: bool | QualityEvaluator = True,
    resume: bool = False,
    classes: tuple | None = None,
    noise=None,
) -> ClassGenerators:
    """Train one generator per label, each on that label's images only.

    Args:
        kind: ``"qgan"``, ``"gan"`` or ``"dcgan"``.
        x: training images ``(N, 1, H, W)`` in [0, 1].
        y: int labels ``(N,)`` in ``0..k-1``.
        gan_config: architecture (``GANConfig()`` when None; its ``kind`` is set to ``kind``).
        adv_config: loop settings (``AdversarialConfig()`` when None).
        seed: the run seed; label ``c`` uses ``child_seed(seed, "gan", kind, c)`` for its
            weights (``"init"``), batches, noise and fixed noise.
        labels: labels to train (default: every label present in ``y``).
        progress: tqdm bars.
        out_dir: if given, label ``c`` checkpoints to ``out_dir/class_<c>/checkpoint.pt``.
        quality: True = log quality metrics (``QualityEvaluator`` built on ``x``, ``y`` with
            ``child_seed(seed, "quality")``); an evaluator to reuse; False = none, unless
            ``adv_config.select_best`` (the ``latent`` kind's default), which scores
            checkpoints with them: then they are computed as for True.
        resume: continue interrupted per-class runs from their checkpoints in ``out_dir``.
        classes: original class ids, stored for reports.
        noise: train every generator under this ``qaug.quantum.NoiseModel`` (see
            ``train_gan``'s ``noise``); None = ideal. Quantum kinds only.

    Raises:
        ValueError: a requested label has no training images, or bad shapes/kind.
    """
    if kind not in GENERATOR_KINDS:
        raise ValueError(f"kind must be one of {list(GENERATOR_KINDS)}; got {kind!r}.")
    gan_config = (
        default_gan_config(kind) if gan_config is None else dataclasses.replace(gan_config, kind=kind)
    )
    adv_config = AdversarialConfig() if adv_config is None else adv_config
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    if (
        x.ndim != 4
        or x.shape[1] != 1
        or x.shape[2] != x.shape[3]
        or y.ndim != 1
        or len(y) != len(x)
    ):
        raise ValueError(
            f"x must be (N, 1, H, H) images with y (N,) labels; got {tuple(x.shape)} and "
            f"{tuple(y.shape)}."
        )
    present = sorted(int(v) for v in torch.unique(y))
    labels = present if labels is None else sorted(int(v) for v in labels)
    for label in labels:
        if int((y == label).sum()) == 0:
            raise ValueError(
                f"label {label} has no training images (labels present: {present}); "
                "drop it from the requested classes or add data for it."
            )
    size = x.shape[-1]
    evaluator = None
    if isinstance(quality, QualityEvaluator):
        evaluator = quality
    elif quality or adv_config.select_best:
        evaluator = QualityEvaluator(x, y, seed=child_seed(seed, "quality"))
    gens, histories, walls, selected, d_params = {}, {}, {}, {}, None
    for label in labels:
        result = _fit_one(
            kind,
            x[y == label],
            label,
            size,
            gan_config,
            adv_config,
            seed=seed,
            evaluator=evaluator,
            out_dir=out_dir,
            resume=resume,
            progress=progress,
            noise=noise,
        )
        gens[label], histories[label] = result.generator, result.history
        walls[label] = result.wall_time
        selected[label] = selection_record(
            result.history, result.iteration, result.selected_iteration != result.iteration
        )
        d_params = count_parameters(result.discriminator)["total"]
    return ClassGenerators(
        kind,
        size,
        gan_config,
        gens,
        histories,
        classes=classes,
        discriminator_parameters=d_params,
        wall_time=walls,
        selected=selected,
    )


def _fit_one(
    kind, xs, label, size, gan_config, adv_config, *, seed, evaluator, out_dir, resume, progress,
    noise=None,
) -> GANResult:
    s = child_seed(seed, "gan", kind, label)
    G, D = build_gan(kind, size, gan_config, generator=make_generator(s, "init"))
    sub = Path(out_dir) / f"class_{label}" if out_dir is not None else None
    if sub is not None:
        sub.mkdir(parents=True, exist_ok=True)
    q = partial(evaluator, label=label) if evaluator is not None else None
    return train_gan(
        G,
        D,
        xs,
        adv_config,
        seed=s,
        out_dir=sub,
        resume=resume,
        progress=progress,
        quality=q,
        meta=gan_meta(kind, size, gan_config, label),
        desc=f"{kind} class {label}",
        noise=noise,
    )
