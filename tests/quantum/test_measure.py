import pytest
import torch

from qaug import quantum as q


def random_probs(batch, n, seed=0):
    p = torch.rand(batch, 2**n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return p / p.sum(1, keepdim=True)


def test_marginal_probabilities_by_hand():
    n = 3
    p = random_probs(2, n)
    cube = p.reshape(2, 2, 2, 2)  # (batch, w0, w1, w2)
    torch.testing.assert_close(q.marginal_probabilities(p, n, [1]), cube.sum((1, 3)))
    torch.testing.assert_close(
        q.marginal_probabilities(p, n, [2, 0]), cube.sum(2).transpose(1, 2).reshape(2, 4)
    )
    torch.testing.assert_close(q.marginal_probabilities(p, n, [0, 1, 2]), p)


def test_postselect_keeps_matching_entries():
    n = 3
    p = random_probs(2, n)
    idx = torch.arange(8)
    for wires, values in [([0], [0]), ([0], [1]), ([2], [1]), ([0, 2], [1, 0])]:
        mask = torch.ones(8, dtype=torch.bool)
        for w, v in zip(wires, values):
            mask &= ((idx >> (n - 1 - w)) & 1) == v
        out = q.postselect(p, n, wires, values)
        torch.testing.assert_close(out, p[:, mask])
        normed = q.postselect(p, n, wires, values, normalize=True)
        torch.testing.assert_close(normed, p[:, mask] / p[:, mask].sum(1, keepdim=True))


def test_expval_z_subset_and_order():
    state = q.ry_product_state(torch.tensor([[0.0, torch.pi, torch.pi / 2]]))
    torch.testing.assert_close(
        q.expval_z(state, [1, 0, 2]), torch.tensor([[-1.0, 1.0, 0.0]]), atol=1e-6, rtol=0
    )
    torch.testing.assert_close(q.expval_z(state, 1), torch.tensor([[-1.0]]), atol=1e-6, rtol=0)


def test_z_signs_table():
    assert q.z_signs(2, [0, 1]).tolist() == [[1, 1], [1, -1], [-1, 1], [-1, -1]]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: q.marginal_probabilities(torch.zeros(1, 8), 2, [0]),
            r"\(batch, 4\) for n_qubits=2",
        ),
        (lambda: q.marginal_probabilities(torch.zeros(1, 4), 2, [3]), r"wire 3 is out of range"),
        (
            lambda: q.postselect(torch.zeros(1, 4), 2, [0], [2]),
            r"values must be one 0 or 1 per wire",
        ),
        (lambda: q.postselect(torch.zeros(1, 4), 2, [0, 1], [0]), r"values must be one 0 or 1"),
        (lambda: q.postselect(torch.zeros(1, 4), 2, [0, 1], [0, 0]), r"leaves nothing"),
        (lambda: q.expval_z(q.zero_state(1, 2), [0, 0]), r"must be distinct"),
    ],
)
def test_exceptions(call, match):
    with pytest.raises(ValueError, match=match):
        call()
