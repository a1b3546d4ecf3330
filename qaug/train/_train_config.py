"""``TrainConfig``: the classifier training loop's settings."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from qaug._config import HASH_IF_CHANGED

__all__ = ["TrainConfig"]


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@dataclass(frozen=True)
class TrainConfig:
    """Settings of :func:`qaug.train.train_classifier` (Adam, cross-entropy, early stopping).

    Attributes:
        epochs: most passes over the training set; 0 trains nothing (evaluate only).
        batch_size: samples per optimiser step.
        lr: Adam learning rate.
        weight_decay: Adam L2 penalty.
        patience: stop after this many epochs without a better validation accuracy
            (ties broken by lower validation loss); 0 never stops early.
        device: torch device to train on ("cpu", "cuda", "cuda:1"); random draws stay on CPU.
        engine: ``"torch"`` (autograd and ``torch.optim.Adam``, any model) or ``"fused"``
            (the built-in classifiers' whole epochs in compiled loops, ``qaug.train._fused``:
            the same maths in float64; at 8x8 an HQCNN epoch with its validation runs ~7x
            faster, the step alone ~16x; other models fall back to torch).
            Part of a run's identity: the two round differently.
    """

    epochs: int = 50
    batch_size: int = 16
    lr: float = 0.01
    weight_decay: float = 0.0
    patience: int = 15
    device: str = "cpu"
    engine: str = field(default="torch", metadata=HASH_IF_CHANGED)

    def __post_init__(self):
        for name, low in (("epochs", 0), ("batch_size", 1), ("patience", 0)):
            value = getattr(self, name)
            if not _is_int(value):
                raise TypeError(f"train.{name} must be an integer; got {value!r}.")
            if value < low:
                raise ValueError(f"train.{name} must be >= {low}; got {value}.")
        if not _is_number(self.lr) or self.lr <= 0:
            raise ValueError(f"train.lr must be a positive number; got {self.lr!r}, e.g. 0.01.")
        if not _is_number(self.weight_decay) or self.weight_decay < 0:
            raise ValueError(f"train.weight_decay must be >= 0; got {self.weight_decay!r}.")
        if self.engine not in ("torch", "fused"):
            raise ValueError(f"train.engine must be 'torch' or 'fused'; got {self.engine!r}. "
                             "'fused' is the fast path for the built-in classifiers.")
        if not isinstance(self.device, str):
            raise TypeError(f"train.device must be a string ('cpu', 'cuda'); got {self.device!r}.")
        try:
            torch.device(self.device)
        except RuntimeError:
            raise ValueError(
                f"train.device {self.device!r} is not a torch device; use 'cpu' or 'cuda[:N]'."
            ) from None
