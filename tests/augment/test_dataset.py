"""AugmentedDataset and count_sources."""

import pytest
import torch
from torch.utils.data import DataLoader

from qaug.augment import AugmentedDataset, count_sources


def test_smoke_dataloader_and_subset():
    x = torch.rand(5, 1, 4, 4)
    y = torch.tensor([0, 1, 1, 0, 1])
    src = ["original", "original", "qgan", "qgan", "traditional"]
    ds = AugmentedDataset(x, y, src)
    xb, yb = next(iter(DataLoader(ds, batch_size=5)))
    assert torch.equal(xb, x) and torch.equal(yb, y)
    sub = ds.subset("qgan")
    assert len(sub) == 2 and sub.y.tolist() == [1, 0]
    assert ds.counts() == {"original": {0: 1, 1: 1}, "qgan": {0: 1, 1: 1}, "traditional": {1: 1}}
    assert count_sources(y.numpy(), src) == ds.counts()


def test_exception():
    with pytest.raises(ValueError, match=r"shape \(N, 1, H, W\)"):
        AugmentedDataset(torch.rand(2, 4, 4), torch.tensor([0, 1]), ["a", "b"])
    with pytest.raises(ValueError, match="same length"):
        AugmentedDataset(torch.rand(2, 1, 4, 4), torch.tensor([0, 1]), ["a"])
    with pytest.raises(ValueError, match=r"no samples with source 'gan'; present: \['a', 'b'\]"):
        AugmentedDataset(torch.rand(2, 1, 4, 4), torch.tensor([0, 1]), ["a", "b"]).subset("gan")
