"""Classifier evaluation: probabilities, accuracy, per-class accuracy, confusion, collapse.

Example:
    >>> from torch import nn
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    >>> with torch.no_grad():
    ...     _ = model[1].weight.copy_(torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0]]))
    ...     _ = model[1].bias.zero_()
    >>> x = torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [1.0, 0, 0, 0]]).reshape(3, 1, 2, 2)
    >>> result = evaluate(model, x, torch.tensor([0, 1, 1]))
    >>> result.accuracy, result.per_class_accuracy, result.confusion
    (0.6666666666666666, [1.0, 0.5], [[1, 0], [1, 1]])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from qaug.models import noisy
from qaug.quantum import NoiseModel
from qaug.train._kernels import small_kernels

__all__ = ["EvalResult", "evaluate", "predict_proba", "as_xy"]


def as_xy(data, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``(N, 1, H, W)`` float32 and labels ``(N,)`` int64 of a ``Split`` or ``(x, y)`` pair.

    Raises:
        TypeError: ``data`` is neither a Split nor a pair, or labels are not integers.
        ValueError: wrong shapes, mismatched lengths, an empty set or negative labels.
    """
    if hasattr(data, "x") and hasattr(data, "y"):
        x, y = data.x, data.y
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        x, y = data
    else:
        raise TypeError(
            f"{name} must be a Split (with .x, .y) or an (x, y) pair; got {type(data).__name__}."
        )
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    if x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(f"{name} images must have shape (N, 1, H, W); got {tuple(x.shape)}.")
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise ValueError(
            f"{name} labels must have shape ({x.shape[0]},) like the images; got {tuple(y.shape)}."
        )
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty (0 samples); it needs at least one image.")
    if y.dtype.is_floating_point or y.dtype.is_complex or y.dtype == torch.bool:
        raise TypeError(f"{name} labels must be integer class indices 0..k-1; got dtype {y.dtype}.")
    if int(y.min()) < 0:
        raise ValueError(f"{name} labels must be class indices >= 0; got {int(y.min())}.")
    return x.float(), y.long()


def check_labels(y: torch.Tensor, n_classes: int, name: str) -> None:
    """Raise a ValueError unless every label is below ``n_classes``."""
    if int(y.max()) >= n_classes:
        raise ValueError(
            f"{name} labels must lie in 0..{n_classes - 1} (the model has {n_classes} outputs); "
            f"got label {int(y.max())}. Map original class ids to indices (DatasetSplits.classes)."
        )


def _model_device(model: nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


@torch.no_grad()
def predict_logits(model: nn.Module, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Logits ``(N, k)`` on the CPU, in eval mode (the model's mode is restored afterwards)."""
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1; got {batch_size!r}.")
    device, was_training = _model_device(model), model.training
    model.eval()
    try:
        batches = (x[i : i + batch_size].to(device) for i in range(0, len(x), batch_size))
        with small_kernels(x.shape[-1], device):
            out = [model(xb).float().cpu() for xb in batches]  # each (b, k)
    finally:
        model.train(was_training)
    return torch.cat(out)


def predict_proba(model: nn.Module, x, batch_size: int = 512) -> torch.Tensor:
    """Class probabilities ``(N, k)`` (softmax of the logits) of images ``(N, 1, H, W)``."""
    x = torch.as_tensor(x)
    if x.ndim != 4 or x.shape[1] != 1 or x.shape[0] == 0:
        raise ValueError(f"x must be a non-empty image batch (N, 1, H, W); got {tuple(x.shape)}.")
    return torch.softmax(predict_logits(model, x.float(), batch_size), dim=1)


@dataclass
class EvalResult:
    """Evaluation of a classifier on a labelled set of N samples and k classes.

    Attributes:
        accuracy: share of correct predictions.
        per_class_accuracy: recall of each class (k floats; NaN for a class absent from y).
        confusion: k x k counts, rows = true class, columns = predicted class.
        predictions: ``(N,)`` int64 predicted classes.
        probs: ``(N, k)`` class probabilities.
        confidences: ``(N,)`` probability of the predicted class.
    """

    accuracy: float
    per_class_accuracy: list[float]
    confusion: list[list[int]]
    predictions: torch.Tensor
    probs: torch.Tensor
    confidences: torch.Tensor

    @property
    def n_classes(self) -> int:
        """Number of classes k."""
        return len(self.confusion)

    @property
    def collapsed(self) -> bool:
        """True when the model predicts one single class for every sample (and k > 1)."""
        return self.n_classes > 1 and sum(1 for c in zip(*self.confusion) if sum(c) > 0) == 1

    def to_dict(self, include_samples: bool = False) -> dict:
        """JSON-friendly dict (NaN -> None); per-sample arrays only with ``include_samples``."""
        out = {
            "accuracy": self.accuracy,
            "per_class_accuracy": [None if math.isnan(a) else a for a in self.per_class_accuracy],
            "confusion": self.confusion,
            "collapsed": self.collapsed,
            "n_samples": int(self.predictions.numel()),
        }
        if include_samples:
            out["predictions"] = self.predictions.tolist()
            out["probs"] = self.probs.tolist()
            out["confidences"] = self.confidences.tolist()
        return out


def evaluate(
    model: nn.Module,
    x,
    y,
    n_classes: int | None = None,
    batch_size: int = 512,
    *,
    noise: NoiseModel | None = None,
    generator: torch.Generator | None = None,
) -> EvalResult:
    """Accuracy, per-class accuracy, confusion matrix and probabilities of ``model`` on ``(x, y)``.

    Args:
        model: maps ``(batch, 1, H, W)`` to logits ``(batch, k)``.
        x: images ``(N, 1, H, W)``.
        y: labels ``(N,)`` in ``0..k-1``.
        n_classes: k; must equal the model's output width (default: that width).
        batch_size: samples per forward pass.
        noise: evaluate with the quantum layers under this ``qaug.quantum.NoiseModel``
            (density-matrix simulation, see ``qaug.models.noisy``); ``None``: ideal (default).
        generator: CPU ``torch.Generator`` the shots are drawn from (needed when
            ``noise.shots`` is set; the same seed gives the same result).
    """
    x, y = as_xy((x, y), "evaluation set")
    with noisy(model, noise, generator=generator):
        probs = predict_proba(model, x, batch_size)  # (N, k)
    k = probs.shape[1]
    if n_classes is not None and n_classes != k:
        raise ValueError(f"n_classes={n_classes} but the model gives {k} outputs per sample.")
    check_labels(y, k, "evaluation")
    confidences, predictions = probs.max(dim=1)  # (N,), (N,)
    confusion = torch.zeros(k, k, dtype=torch.long)
    confusion.index_put_((y, predictions), torch.ones_like(y), accumulate=True)
    support = confusion.sum(dim=1)  # (k,) samples per true class
    per_class = [
        float(confusion[c, c]) / int(support[c]) if support[c] > 0 else math.nan for c in range(k)
    ]
    return EvalResult(
        accuracy=int((predictions == y).sum()) / len(y),
        per_class_accuracy=per_class,
        confusion=confusion.tolist(),
        predictions=predictions,
        probs=probs,
        confidences=confidences,
    )
