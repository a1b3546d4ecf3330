"""Containers for a split (images + labels) and a dataset's train/val/test splits."""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["Split", "DatasetSplits"]


@dataclass(frozen=True, eq=False)
class Split:
    """Images and labels of one split.

    Attributes:
        x: float32 ``(N, 1, H, W)`` in [0, 1].
        y: int64 ``(N,)`` in ``0..k-1`` (label i is ``DatasetSplits.classes[i]``).
        indices: int64 ``(N,)`` row of each image in the source dataset, or None for data
            that did not come from a source (e.g. generated images).
    """

    x: torch.Tensor
    y: torch.Tensor
    indices: torch.Tensor | None = None

    def __post_init__(self):
        if not isinstance(self.x, torch.Tensor) or not isinstance(self.y, torch.Tensor):
            raise TypeError(
                f"Split needs torch tensors x and y; got {type(self.x).__name__} and "
                f"{type(self.y).__name__}. Use qaug.data.as_image_tensor for images."
            )
        if self.x.ndim != 4 or self.x.shape[1] != 1:
            raise ValueError(f"Split.x must have shape (N, 1, H, W); got {tuple(self.x.shape)}.")
        if self.y.ndim != 1 or len(self.y) != len(self.x):
            raise ValueError(
                f"Split.y must have shape ({len(self.x)},) to match x; got {tuple(self.y.shape)}."
            )

    def __len__(self) -> int:
        return len(self.y)

    def class_counts(self, n_classes: int | None = None) -> dict[int, int]:
        """``{label: count}`` for labels ``0..n_classes-1`` (default: up to the largest label)."""
        n = n_classes if n_classes is not None else (int(self.y.max()) + 1 if len(self.y) else 0)
        counts = torch.bincount(self.y.cpu(), minlength=n) if len(self.y) else torch.zeros(n)
        return {i: int(counts[i]) for i in range(n)}

    def __repr__(self) -> str:
        size = tuple(self.x.shape[-2:])
        return f"Split(n={len(self)}, size={size}, class_counts={self.class_counts()})"


@dataclass(frozen=True, eq=False)
class DatasetSplits:
    """Train, validation and test splits of one dataset, labels remapped to ``0..k-1``.

    Attributes:
        train, val, test: the three :class:`Split` s (no image is in two of them).
        classes: original class ids; label i is ``classes[i]``.
        image_size: side length H = W of every image.
        name: the dataset name or path it was loaded from.
        class_names: display name of each label (``str`` of the id, or the folder name).
    """

    train: Split
    val: Split
    test: Split
    classes: tuple[int, ...]
    image_size: int
    name: str
    class_names: tuple[str, ...]

    @property
    def n_classes(self) -> int:
        """Number of classes k."""
        return len(self.classes)

    def __repr__(self) -> str:
        k = self.n_classes
        return (
            f"DatasetSplits(name={self.name!r}, classes={self.classes}, "
            f"image_size={self.image_size}, "
            f"train={self.train.class_counts(k)}, val={self.val.class_counts(k)}, "
            f"test={self.test.class_counts(k)})"
        )
