"""Traditional augmentation (the paper's baseline): random rotation, translation, contrast.

Split as kornia does: :func:`draw_traditional_params` draws every random number (on the CPU,
from the passed generator); :func:`apply_traditional` applies them deterministically with
plain ``affine_grid``/``grid_sample``, so a run replays exactly from ``params_``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from qaug._registry import TRANSFORMS
from qaug.augment._base import (
    RANDOM_STATE_CONSTRAINT,
    SAMPLING_STRATEGY_CONSTRAINT,
    BaseAugmenter,
)
from qaug.augment._validation import Interval, RangePair, SubsetOf

__all__ = ["TraditionalAugmenter", "draw_traditional_params", "apply_traditional", "TRANSFORMS"]



def draw_traditional_params(
    n: int,
    transforms: tuple[str, ...],
    degrees: float,
    translate: float,
    contrast: tuple[float, float],
    generator: torch.Generator,
) -> dict[str, torch.Tensor]:
    """Draw per-sample parameters on the CPU.

    Returns:
        ``angle`` float32 ``(n,)`` degrees in ``[-degrees, degrees]`` (0 without rotation),
        ``translate`` float32 ``(n, 2)`` (dx, dy) as fractions of the image size in
        ``[-translate, translate]`` (0 without translation), ``contrast`` float32 ``(n,)``
        factors in ``[lo, hi]`` (1 without contrast).
    """
    def uniform(shape, lo, hi):
        return lo + (hi - lo) * torch.rand(shape, generator=generator)

    zeros = torch.zeros(n)
    angle = uniform((n,), -degrees, degrees) if "rotation" in transforms else zeros
    shift = (
        uniform((n, 2), -translate, translate) if "translation" in transforms else torch.zeros(n, 2)
    )
    factor = uniform((n,), *contrast) if "contrast" in transforms else torch.ones(n)
    return {"angle": angle, "translate": shift, "contrast": factor}


def apply_traditional(images: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
    """Apply drawn parameters to float32 images ``(n, 1, H, W)`` in [0, 1]; returns the same shape.

    Rotation (counter-clockwise on screen by ``angle`` degrees about the centre; 90 equals
    ``torch.rot90(x, 1, (2, 3))``) and translation (``translate`` = (dx, dy) x size: right and
    down for positive values) are one affine warp, bilinear, zero (black) padding.
    Contrast then scales each image about its own mean: ``m + f (x - m)``, clipped to [0, 1].
    """
    dev = images.device
    angle = params["angle"].to(dev)
    shift = params["translate"].to(dev)
    out = images
    if bool((angle != 0).any() or (shift != 0).any()):
        rad = angle * (math.pi / 180.0)
        cos, sin = torch.cos(rad), torch.sin(rad)
        # affine_grid maps output -> input coordinates, so the matrix is the inverse warp:
        # in(p) = M (p - t). With y pointing down on screen, M = [[c, -s], [s, c]] turns the
        # picture counter-clockwise for a > 0 (kornia's convention). Normalised coordinates span
        # 2 per image side, so a shift of f x size is t = 2 f.
        t = 2.0 * shift
        rows = [torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)]
        rot = torch.stack(rows, -2)  # (n, 2, 2)
        offset = -(rot @ t.unsqueeze(-1))  # (n, 2, 1)
        theta = torch.cat([rot, offset], dim=-1).to(images.dtype)  # (n, 2, 3)
        grid = F.affine_grid(theta, list(images.shape), align_corners=False)
        out = F.grid_sample(
            images, grid, mode="bilinear", padding_mode="zeros", align_corners=False
        )
    factor = params["contrast"].to(device=dev, dtype=images.dtype)
    if bool((factor != 1).any()):
        mean = out.mean(dim=(1, 2, 3), keepdim=True)  # (n, 1, 1, 1)
        out = mean + factor.view(-1, 1, 1, 1) * (out - mean)
    return out.clamp(0.0, 1.0)


class TraditionalAugmenter(BaseAugmenter):
    """Random rotation, translation and contrast adjustment of real images (paper baseline).

    Each new sample of class ``c`` is a copy of an original of class ``c`` chosen uniformly
    (with the generator), transformed with freshly drawn parameters.

    Args:
        sampling_strategy: how many new samples per class; see
            :func:`~qaug.augment.resolve_sampling_strategy`. Default 100 new per class.
        transforms: any non-empty subset of ``("rotation", "translation", "contrast")``.
        degrees: rotation angle drawn from U[-degrees, degrees] (default 15).
        translate: shift per axis drawn from U[-translate, translate] x size (default 0.1).
        contrast: factor drawn from U[lo, hi] (default (0.7, 1.3)), about each image's mean.
        random_state: int seed, CPU ``torch.Generator`` or None (fresh entropy, see ``seed_``).

    Fitted attributes: those of :class:`BaseAugmenter`; ``params_`` holds ``index`` (int64
    ``(M,)``, the original each new sample was made from), ``angle``, ``translate``, ``contrast``
    (see :func:`draw_traditional_params`); ``apply_traditional(X[index], params_)`` replays them.

    Example:
        >>> x = torch.rand(6, 1, 8, 8); y = torch.tensor([0, 0, 0, 1, 1, 2])
        >>> aug = TraditionalAugmenter(sampling_strategy="auto", random_state=0)
        >>> x_res, y_res = aug.fit_resample(x, y)
        >>> torch.bincount(y_res).tolist(), sorted(set(aug.sources_))
        ([3, 3, 3], ['original', 'traditional'])
    """

    _parameter_constraints = {
        "sampling_strategy": SAMPLING_STRATEGY_CONSTRAINT,
        "transforms": [SubsetOf(*TRANSFORMS)],
        "degrees": [Interval(0, 180)],
        "translate": [Interval(0, 0.5)],
        "contrast": [RangePair(0.0)],
        "random_state": RANDOM_STATE_CONSTRAINT,
    }

    def __init__(
        self,
        *,
        sampling_strategy: Any = 100,
        transforms: tuple[str, ...] = TRANSFORMS,
        degrees: float = 15.0,
        translate: float = 0.1,
        contrast: tuple[float, float] = (0.7, 1.3),
        random_state: Any = None,
    ):
        self.sampling_strategy = sampling_strategy
        self.transforms = transforms
        self.degrees = degrees
        self.translate = translate
        self.contrast = contrast
        self.random_state = random_state

    def _fit_resample(self, x, y, generator, **fit_params):
        if fit_params:
            raise TypeError(f"TraditionalAugmenter.fit_resample takes no {sorted(fit_params)}.")
        index = []
        for c, n_new in self.sampling_strategy_.items():
            members = np.flatnonzero(y == c)
            pick = torch.randint(0, len(members), (n_new,), generator=generator).numpy()
            index.append(members[pick])
        index = torch.as_tensor(np.concatenate(index) if index else np.zeros(0, np.int64))
        params = draw_traditional_params(
            len(index), tuple(self.transforms), float(self.degrees), float(self.translate),
            tuple(float(v) for v in self.contrast), generator,
        )
        self.params_ = {"index": index, **params}
        x_new = apply_traditional(x[index.to(x.device)], params)
        source = "traditional"
        return x_new, y[index.numpy()], [source] * len(index), index.numpy()
