"""A torch ``Dataset`` of an augmented set that remembers where each sample came from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

__all__ = ["AugmentedDataset", "count_sources"]


class AugmentedDataset(Dataset):
    """Images, labels and per-sample sources as a map-style ``Dataset`` of ``(x, y)`` pairs.

    Args:
        x: float32 images ``(N, 1, H, W)`` (numpy or torch).
        y: int64 labels ``(N,)``.
        sources: ``N`` strings (``"original"``, ``"traditional"``, ``"qgan"``, ...).

    Attributes:
        x (torch.Tensor float32 (N, 1, H, W)), y (torch.Tensor int64 (N,)),
        sources (np.ndarray of str (N,)).

    Example:
        >>> ds = AugmentedDataset(torch.zeros(2, 1, 4, 4), torch.tensor([0, 1]),
        ...                       ["original", "qgan"])
        >>> len(ds), ds[1][1].item(), ds.counts()
        (2, 1, {'original': {0: 1}, 'qgan': {1: 1}})
    """

    def __init__(self, x: Any, y: Any, sources: Sequence[str]):
        self.x = torch.as_tensor(x, dtype=torch.float32)
        self.y = torch.as_tensor(y, dtype=torch.int64)
        self.sources = np.asarray(list(sources), dtype=object)
        if self.x.ndim != 4 or self.x.shape[1] != 1:
            raise ValueError(f"x must have shape (N, 1, H, W); got {tuple(self.x.shape)}.")
        n = self.x.shape[0]
        if self.y.shape != (n,) or self.sources.shape != (n,):
            raise ValueError(
                f"x, y and sources must have the same length; got {n}, {tuple(self.y.shape)}, "
                f"{self.sources.shape}."
            )

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[i], self.y[i]

    def subset(self, source: str) -> AugmentedDataset:
        """The samples whose source is ``source``."""
        mask = self.sources == source
        if not mask.any():
            present = sorted(set(self.sources))
            raise ValueError(f"no samples with source {source!r}; present: {present}.")
        idx = torch.as_tensor(np.flatnonzero(mask))
        return AugmentedDataset(self.x[idx], self.y[idx], self.sources[mask])

    def counts(self) -> dict[str, dict[int, int]]:
        """``{source: {class: count}}``."""
        return count_sources(self.y, self.sources)


def count_sources(y: Any, sources: Sequence[str]) -> dict[str, dict[int, int]]:
    """Samples per source and class: ``{source: {class: n}}`` (sources in first-seen order)."""
    y = np.asarray(y.cpu() if isinstance(y, torch.Tensor) else y)
    out: dict[str, dict[int, int]] = {}
    for s, c in zip(sources, y):
        per = out.setdefault(str(s), {})
        per[int(c)] = per.get(int(c), 0) + 1
    return {s: dict(sorted(v.items())) for s, v in out.items()}
