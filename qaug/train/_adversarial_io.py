"""The adversarial loop's result type, input checks and checkpoint helpers (resume checks)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from qaug._config import config_to_dict
from qaug._io import CheckpointError, load_checkpoint
from qaug.train._adversarial_config import AdversarialConfig

__all__ = [
    "GANResult",
    "new_history",
    "check_real",
    "checkpoint_config",
    "load_for_resume",
    "RESUMABLE_CHANGES",
]

# Fields that may change between an interrupted run and its resumption without changing results
# (select_best only picks which tracked weights are returned).
RESUMABLE_CHANGES = ("iterations", "checkpoint_every", "device", "select_best")


def _fingerprint(x: torch.Tensor) -> str:
    return hashlib.sha256(x.detach().cpu().contiguous().numpy().tobytes()).hexdigest()[:16]


def check_real(real_x, G: nn.Module) -> torch.Tensor:
    """``real_x`` as float32 ``(N, 1, H, W)`` matching ``G.image_size``; clear errors otherwise."""
    if not isinstance(real_x, torch.Tensor):
        raise TypeError(f"real_x must be a torch tensor (N, 1, H, W); got {type(real_x).__name__}.")
    size = getattr(G, "image_size", None)
    if (
        real_x.ndim != 4
        or real_x.shape[1] != 1
        or (size is not None and tuple(real_x.shape[2:]) != (size, size))
    ):
        raise ValueError(
            f"real_x must have shape (N, 1, {size}, {size}) to match the generator; got "
            f"{tuple(real_x.shape)}. Resize the data or build the generator for this image size."
        )
    if len(real_x) == 0:
        raise ValueError("real_x is empty: there are no training images for this class.")
    real_x = real_x.float()
    if not torch.isfinite(real_x).all():
        raise ValueError("real_x contains NaN or inf; clean the data first.")
    return real_x


def checkpoint_config(
    cfg: AdversarialConfig, seed: int, real_x: torch.Tensor, meta: dict | None
) -> dict:
    """What a checkpoint records about its run (checked on resume): settings, seed, data."""
    return {
        "adversarial": config_to_dict(cfg),
        "seed": int(seed),
        "n_real": len(real_x),
        "data_fingerprint": _fingerprint(real_x),
        **(meta or {}),
    }


def _comparable(config: dict) -> dict:
    # Fields added to AdversarialConfig later take their defaults in older checkpoints.
    adv = {**config_to_dict(AdversarialConfig()), **config.get("adversarial", {})}
    out = dict(config)
    out["adversarial"] = {k: v for k, v in adv.items() if k not in RESUMABLE_CHANGES}
    return out


def load_for_resume(path: Path, expected: dict) -> dict:
    """Load ``path`` for resuming; CheckpointError naming every setting that differs."""
    payload = load_checkpoint(path, kind="gan")
    saved, want = _comparable(payload["config"]), _comparable(expected)
    if saved != want:
        diff = sorted(k for k in set(saved) | set(want) if saved.get(k) != want.get(k))
        detail = "; ".join(f"{k}: checkpoint {saved.get(k)!r} vs now {want.get(k)!r}" for k in diff)
        raise CheckpointError(
            f"cannot resume from {str(path)!r}: it was written by a different run ({detail}). "
            "Use the same generator, data, seed and settings, or start a new run with --overwrite."
        )
    return payload


@dataclass
class GANResult:
    """What ``train_gan`` returns.

    Attributes:
        generator, discriminator: the trained networks (left in eval mode); with
            ``select_best`` the generator holds the best-scoring weights, else the last.
        history: ``{"iteration", "loss_d", "loss_g", "d_real", "d_fake"}`` lists (one entry
            per iteration; ``d_real``/``d_fake`` are mean discriminator probabilities, or mean
            critic scores with ``wgan-gp``), ``"quality"``: a list of ``{"iteration",
            <metric>: value}`` records, ``"best"``: ``{"iteration", "score"}`` of the
            best-scoring record (None without quality metrics) and, for generators with
            ``fit_data``, ``"fit_data"``.
        iteration: iterations done.
        wall_time: seconds spent training (``fit_data`` included), summed over resumed sessions.
        fixed_noise: the fixed latent batch ``(eval_samples, latent_dim)``.
        snapshots: ``{iteration: (16, 1, H, W)}`` images from the first 16 fixed latents.
        checkpoint: path of the last checkpoint written, or None.
        selected_iteration: the iteration whose generator weights ``generator`` holds.
    """

    generator: nn.Module
    discriminator: nn.Module
    history: dict
    iteration: int
    wall_time: float
    fixed_noise: torch.Tensor
    snapshots: dict[int, torch.Tensor] = field(default_factory=dict)
    checkpoint: Path | None = None
    selected_iteration: int | None = None

    @property
    def final_quality(self) -> dict | None:
        """The last quality record, or None when no quality was measured."""
        q = self.history.get("quality") or []
        return q[-1] if q else None

    @property
    def selected_quality(self) -> dict | None:
        """The quality record of the weights ``generator`` holds (best or last)."""
        q = self.history.get("quality") or []
        return next((r for r in q if r["iteration"] == self.selected_iteration), None)

    @property
    def best_iteration(self) -> int | None:
        """Iteration of the best training-set quality score (None without quality metrics)."""
        best = self.history.get("best")
        return best["iteration"] if best else None

    @property
    def best_score(self) -> float | None:
        """The best ``selection_score`` (lower is better), or None."""
        best = self.history.get("best")
        return best["score"] if best else None


def new_history() -> dict:
    """An empty training history (see ``GANResult.history``)."""
    return {"iteration": [], "loss_d": [], "loss_g": [], "d_real": [], "d_fake": [], "quality": [],
            "best": None}
