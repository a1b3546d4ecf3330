import pytest
import torch

from qaug.data import Split


def test_split_basics():
    s = Split(torch.zeros(5, 1, 8, 8), torch.tensor([0, 0, 2, 2, 2]))
    assert len(s) == 5 and s.indices is None
    assert s.class_counts() == {0: 2, 1: 0, 2: 3}
    assert s.class_counts(4) == {0: 2, 1: 0, 2: 3, 3: 0}
    assert "class_counts={0: 2, 1: 0, 2: 3}" in repr(s)
    with pytest.raises(AttributeError):
        s.x = torch.zeros(1)  # frozen


def test_empty_split_counts():
    s = Split(torch.zeros(0, 1, 8, 8), torch.zeros(0, dtype=torch.int64))
    assert s.class_counts() == {} and s.class_counts(2) == {0: 0, 1: 0}


def test_split_exceptions():
    with pytest.raises(
        ValueError, match=r"Split.x must have shape \(N, 1, H, W\); got \(5, 8, 8\)"
    ):
        Split(torch.zeros(5, 8, 8), torch.zeros(5, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"Split.y must have shape \(5,\) to match x; got \(4,\)"):
        Split(torch.zeros(5, 1, 8, 8), torch.zeros(4, dtype=torch.int64))
    with pytest.raises(TypeError, match="Split needs torch tensors"):
        Split([[0.0]], torch.zeros(1))
