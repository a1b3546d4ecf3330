"""The adversarial losses (BCE, least squares, WGAN-GP) and best-checkpoint selection.

Kept apart from the loop (``_adversarial.py``) so each loss is one small, testable function.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "discriminator_loss",
    "generator_loss",
    "gradient_penalty",
    "selection_score",
    "d_summary",
]


def _target_loss(logits: torch.Tensor, target: float, kind: str) -> torch.Tensor:
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))
    return 0.5 * ((logits - target) ** 2).mean()  # least squares on the raw outputs


def gradient_penalty(
    D: nn.Module, real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor
) -> torch.Tensor:
    """WGAN-GP penalty ``mean((|grad_x D(x_hat)|_2 - 1)^2)`` (Gulrajani et al. 2017, eq. 3).

    Args:
        D: the critic (images -> scores ``(n, 1)``).
        real: ``(n, 1, H, W)`` real batch.
        fake: ``(n, 1, H, W)`` fake batch (detached).
        alpha: ``(n,)`` mixing weights in [0, 1], drawn by the caller from its generator;
            ``x_hat = alpha * real + (1 - alpha) * fake``.
    """
    a = alpha.to(real.dtype).view(-1, *([1] * (real.ndim - 1)))  # (n, 1, 1, 1)
    x_hat = (a * real + (1 - a) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def discriminator_loss(
    kind: str,
    d_real: torch.Tensor,
    d_fake: torch.Tensor,
    *,
    penalty: torch.Tensor | None = None,
    lambda_gp: float = 10.0,
) -> torch.Tensor:
    """D's loss on its raw outputs for real and fake batches.

    ``bce``/``lsgan``: real -> 1, fake -> 0. ``wgan-gp``: ``mean D(fake) - mean D(real)
    + lambda_gp * penalty`` (the critic maximises the Wasserstein estimate).
    """
    if kind == "wgan-gp":
        loss = d_fake.mean() - d_real.mean()
        return loss + lambda_gp * penalty if penalty is not None else loss
    return _target_loss(d_real, 1.0, kind) + _target_loss(d_fake, 0.0, kind)


def generator_loss(kind: str, d_fake: torch.Tensor) -> torch.Tensor:
    """G's loss on D's raw outputs for a fake batch.

    Non-saturating ``-log D(G(z))`` (bce), ``(D(G(z)) - 1)^2 / 2`` (lsgan) or
    ``-mean D(G(z))`` (wgan-gp).
    """
    if kind == "wgan-gp":
        return -d_fake.mean()
    return _target_loss(d_fake, 1.0, kind)


def d_summary(kind: str, d_out: torch.Tensor) -> float:
    """What the history logs per batch: mean probability (bce/lsgan) or mean critic score."""
    d_out = d_out.detach()
    return (d_out if kind == "wgan-gp" else torch.sigmoid(d_out)).mean().item()


def selection_score(record: dict) -> float:
    """Best-checkpoint score of one quality record (lower is better; inf if not scorable).

    ``fid / (min(1, diversity_ratio) * max(accuracy, 0.05))``: the Frechet distance on the
    reference CNN's features (fitted to the class's *training* images), inflated when the
    samples spread less than the real ones (a sharp but collapsed iterate with ratio 0.3
    triples its FID) and when fewer of them are recognised as the class by the reference
    classifier (FID alone moves by its sampling noise between iterates of similar quality).
    ``accuracy`` missing counts as 1; records without ``fid`` or diversity score inf.

    Example:
        >>> selection_score({"fid": 4.0, "diversity_ratio": 0.5, "accuracy": 1.0})
        8.0
        >>> selection_score({"fid": 4.0, "diversity_ratio": 1.3, "accuracy": 0.5})
        8.0
    """
    fid, ratio = record.get("fid"), record.get("diversity_ratio")
    if fid is None or ratio is None or not math.isfinite(fid) or not ratio > 0:
        return math.inf
    acc = record.get("accuracy")
    acc = 1.0 if acc is None else max(float(acc), 0.05)
    return float(fid) / (min(1.0, float(ratio)) * acc)
