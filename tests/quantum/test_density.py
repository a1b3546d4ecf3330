"""Density-matrix helpers against dense Kronecker-product references (NumPy)."""

import numpy as np
import pytest
import torch
from _dense_reference import embed, rot

from qaug import quantum as q

PAULIS = [
    np.array([[0, 1], [1, 0]], dtype=complex),
    np.array([[0, -1j], [1j, 0]]),
    np.diag([1.0, -1.0]).astype(complex),
]


def random_rho(batch, n, seed=0):
    """Random mixed states: A A^dagger / tr, complex128 (batch, 2**n, 2**n)."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(batch, 2**n, 2**n, 2, generator=g, dtype=torch.float64)
    a = torch.view_as_complex(a)
    rho = a @ a.conj().transpose(1, 2)
    return rho / rho.diagonal(dim1=1, dim2=2).sum(-1)[:, None, None]


def test_density_from_state_is_pure_projector():
    state = q.ry_product_state(torch.tensor([[0.3, 1.1], [2.0, -0.4]], dtype=torch.float64))
    rho = q.density_from_state(state)
    assert rho.shape == (2, 4, 4) and rho.dtype == torch.complex128
    torch.testing.assert_close(rho @ rho, rho)
    torch.testing.assert_close(q.dm_probabilities(rho), q.probabilities(state))


@pytest.mark.parametrize("wires", [None, [1], [2, 0]])
def test_apply_unitary_dm_matches_dense(wires):
    n, rho = 3, random_rho(2, 3)
    if wires is None:
        u_np = embed({0: rot("x", 0.3), 1: rot("y", 1.2), 2: rot("z", -0.7)}, n)
        u = torch.as_tensor(u_np)
    else:
        small = np.kron(rot("x", 0.5), rot("y", 0.9)) if len(wires) == 2 else rot("x", 0.5)
        u = torch.as_tensor(small)
        # dense reference: permute so that wires come first, embed, permute back
        u_np = _dense_on_wires(small, wires, n)
    out = q.apply_unitary_dm(rho, u, wires)
    expected = torch.as_tensor(u_np) @ rho @ torch.as_tensor(u_np).conj().T
    torch.testing.assert_close(out, expected)


def _dense_on_wires(small, wires, n):
    """Full matrix of ``small`` acting on ``wires`` (first = most significant), by its action."""
    d, k = 2**n, len(wires)
    full = np.zeros((d, d), dtype=complex)
    for col in range(d):
        bits = [(col >> (n - 1 - w)) & 1 for w in range(n)]
        sub = int("".join(str(bits[w]) for w in wires), 2)
        for row_sub in range(2**k):
            out = list(bits)
            for j, w in enumerate(wires):
                out[w] = (row_sub >> (k - 1 - j)) & 1
            full[int("".join(map(str, out)), 2), col] += small[row_sub, sub]
    return full


@pytest.mark.parametrize("p", [0.0, 0.1, 0.75, 1.0])
def test_depolarize_matches_kraus_sum(p):
    n, rho = 3, random_rho(2, 3, seed=1)
    out = q.depolarize(rho, p, [0, 2])
    expected = rho.numpy()
    for w in (0, 2):
        paulis = [embed({w: m}, n) for m in PAULIS]
        expected = (1 - p) * expected + p / 3 * sum(m @ expected @ m for m in paulis)
    torch.testing.assert_close(out, torch.as_tensor(expected))


def test_full_depolarizing_gives_maximally_mixed_wire():
    state = q.ry_product_state(torch.tensor([[0.0, 2.5]], dtype=torch.float64))
    rho = q.depolarize(q.density_from_state(state), 0.75, 0)
    z = q.dm_probabilities(rho) @ q.z_signs(2, [0, 1], torch.float64)
    torch.testing.assert_close(z, torch.tensor([[0.0, np.cos(2.5)]], dtype=torch.float64))
    torch.testing.assert_close(rho.diagonal(dim1=1, dim2=2).sum(-1).real, torch.ones(1).double())


def test_density_exceptions():
    with pytest.raises(ValueError, match=r"rho must have shape \(batch, 2\*\*n, 2\*\*n\)"):
        q.dm_probabilities(torch.zeros(1, 3, 3, dtype=torch.complex64))
    with pytest.raises(TypeError, match="rho must be a torch.Tensor"):
        q.dm_probabilities(np.zeros((1, 2, 2)))
    rho = random_rho(1, 2)
    with pytest.raises(ValueError, match=r"p must be a float in \[0, 1\]; got 1.5"):
        q.depolarize(rho, 1.5, [0])
    with pytest.raises(ValueError, match="out of range"):
        q.depolarize(rho, 0.1, [2])
    with pytest.raises(ValueError, match=r"shape \(4, 4\) or \(batch, 4, 4\)"):
        q.apply_unitary_dm(rho, torch.eye(2))
    with pytest.raises(ValueError, match="between 1 and 10"):
        q.density_from_state(q.zero_state(1, 11))
