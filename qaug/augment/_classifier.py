"""What the customized strategy asks of a classifier: a "fitted" flag and per-class accuracy."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["mark_fitted", "is_fitted", "per_class_accuracy"]


def mark_fitted(model: nn.Module) -> nn.Module:
    """Flag ``model`` as trained (``model.classifier_fitted_ = True``) and return it."""
    model.classifier_fitted_ = True
    return model


def is_fitted(model: nn.Module) -> bool:
    """True when ``model.classifier_fitted_`` is True (set by :func:`mark_fitted`)."""
    return getattr(model, "classifier_fitted_", False) is True


def per_class_accuracy(model: nn.Module, x: torch.Tensor, y: np.ndarray, classes) -> dict:
    """``(overall accuracy, {class: recall})`` of ``model`` on ``(x, y)``."""
    from qaug.train import predict_proba

    pred = predict_proba(model, x).argmax(1).numpy()
    return float(np.mean(pred == y)), {int(c): float(np.mean(pred[y == c] == c)) for c in classes}
