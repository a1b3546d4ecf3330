import numpy as np
import pytest
import torch
from _dense_reference import (
    cnot_matrix,
    cz_matrix,
    embed,
    random_unitary,
    rot,
    two_qubit_matrix,
)

from qaug import quantum as q

# ---------------------------------------------------------------- random circuits


def random_circuit(n, batch, rng, n_gates=12):
    """A list of gates ``(name, wires, param)``; params are floats or per-sample arrays."""
    gates = []
    for _ in range(n_gates):
        kinds = ["rx", "ry", "rz", "u1"] + (["cnot", "cz", "u2"] if n > 1 else [])
        kind = kinds[rng.integers(len(kinds))]
        if kind in ("rx", "ry", "rz"):
            w = int(rng.integers(n))
            per_sample = bool(rng.integers(2))
            theta = (
                rng.uniform(-np.pi, np.pi, size=batch) if per_sample else float(rng.uniform(-4, 4))
            )
            gates.append((kind, (w,), theta))
        elif kind == "u1":
            gates.append((kind, (int(rng.integers(n)),), random_unitary(2, rng)))
        else:
            a, b = (int(v) for v in rng.choice(n, size=2, replace=False))
            gates.append((kind, (a, b), random_unitary(4, rng) if kind == "u2" else None))
    return gates


def run_engine(gates, state):
    for kind, wires, p in gates:
        if kind in ("rx", "ry", "rz"):
            theta = torch.as_tensor(p, dtype=torch.float64) if isinstance(p, np.ndarray) else p
            state = getattr(q, kind)(state, theta, wires[0])
        elif kind == "cnot":
            state = q.cnot(state, *wires)
        elif kind == "cz":
            state = q.cz(state, *wires)
        else:
            state = q.apply_matrix(state, torch.as_tensor(p, dtype=state.dtype), list(wires))
    return state


def run_dense(gates, n, batch):
    psi = np.zeros((batch, 2**n), dtype=complex)
    psi[:, 0] = 1
    for kind, wires, p in gates:
        for b in range(batch):
            if kind in ("rx", "ry", "rz"):
                t = p[b] if isinstance(p, np.ndarray) else p
                m = embed({wires[0]: rot(kind[1], t)}, n)
            elif kind == "cnot":
                m = cnot_matrix(*wires, n)
            elif kind == "cz":
                m = cz_matrix(*wires, n)
            elif kind == "u1":
                m = embed({wires[0]: p}, n)
            else:
                m = two_qubit_matrix(p, wires, n)
            psi[b] = m @ psi[b]
    return psi


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_random_circuits_match_dense_kronecker(n):
    rng = np.random.default_rng(n)
    batch = 3
    gates = random_circuit(n, batch, rng)
    state = run_engine(gates, q.zero_state(batch, n, dtype=torch.complex128))
    assert state.shape == (batch,) + (2,) * n
    expected = run_dense(gates, n, batch)
    np.testing.assert_allclose(state.reshape(batch, -1).numpy(), expected, atol=1e-12)
    probs = np.abs(expected) ** 2
    np.testing.assert_allclose(q.probabilities(state).numpy(), probs, atol=1e-12)
    zs = [
        np.real(
            np.einsum("bi,ij,bj->b", expected.conj(), embed({w: np.diag([1, -1])}, n), expected)
        )
        for w in range(n)
    ]
    np.testing.assert_allclose(q.expval_z(state).numpy(), np.stack(zs, 1), atol=1e-12)


def test_batched_matrix_per_sample():
    rng = np.random.default_rng(0)
    us = np.stack([random_unitary(4, rng) for _ in range(2)])
    state = q.ry_product_state(
        torch.tensor([[0.3, 1.0, -0.7], [1.2, 0.1, 2.0]], dtype=torch.float64)
    )
    out = q.apply_matrix(state, torch.as_tensor(us), [2, 0])
    for b in range(2):
        ref = two_qubit_matrix(us[b], (2, 0), 3) @ state[b].reshape(-1).numpy()
        np.testing.assert_allclose(out[b].reshape(-1).numpy(), ref, atol=1e-12)


def test_ry_product_state_matches_gates():
    angles = torch.tensor([[0.1, -2.0, 3.0, 0.5]], dtype=torch.float64)
    state = q.zero_state(1, 4, dtype=torch.complex128)
    for i in range(4):
        state = q.ry(state, angles[0, i], i)
    torch.testing.assert_close(q.ry_product_state(angles), state)
    assert q.ry_product_state(angles.float()).dtype == torch.complex64


def test_wire_order_is_pennylane_msb_first():
    state = q.rx(q.zero_state(1, 3), torch.pi, 0)  # |100>
    assert q.probabilities(state)[0].argmax().item() == 4


def test_default_dtypes_and_float_inputs():
    s = q.zero_state(2, 3)
    assert s.dtype == torch.complex64
    assert q.probabilities(s).dtype == torch.float32
    s = q.ry(s, torch.tensor([0.1, 0.2]), 1)
    assert s.dtype == torch.complex64
    assert q.zero_state(1, 2, dtype=torch.complex128).dtype == torch.complex128


def test_twelve_qubit_smoke():
    n, batch = 12, 2
    state = q.ry_product_state(torch.rand(batch, n, generator=torch.Generator().manual_seed(0)))
    for i in range(n):
        state = q.cnot(q.rz(state, 0.3 * i, i), i, (i + 1) % n)
        state = q.cz(state, i, (i + 5) % n)
    probs = q.probabilities(state)
    assert probs.shape == (batch, 2**n)
    torch.testing.assert_close(probs.sum(1), torch.ones(batch), atol=1e-5, rtol=0)
    assert q.expval_z(state, [0, 11]).shape == (batch, 2)


def test_autograd_matches_finite_differences():
    theta = torch.tensor([0.4, -1.1], dtype=torch.float64, requires_grad=True)

    def f(t):
        s = q.ry_product_state(torch.stack([t, 2 * t], 1))
        s = q.cnot(q.rx(s, t, 1), 1, 0)
        return q.expval_z(q.rz(s, t, 0)).sum(1)

    assert torch.autograd.gradcheck(f, (theta,))


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: q.zero_state(1, 25), ValueError, r"n_qubits must be between 1 and 20; got 25"),
        (lambda: q.zero_state(1, 0), ValueError, r"n_qubits must be between 1 and 20; got 0"),
        (lambda: q.zero_state(0, 2), ValueError, r"batch must be a positive int"),
        (lambda: q.zero_state(1, 2, dtype=torch.float32), TypeError, r"complex64 or complex128"),
        (lambda: q.ry(q.zero_state(1, 2), 0.1, 2), ValueError, r"wire 2 is out of range .* 0\.\.1"),
        (lambda: q.cnot(q.zero_state(1, 2), 1, 1), ValueError, r"must be distinct"),
        (lambda: q.cz(q.zero_state(1, 2), 0, 1.0), TypeError, r"must be ints"),
        (
            lambda: q.ry(q.zero_state(2, 2), torch.zeros(3), 0),
            ValueError,
            r"shape \(batch,\) = \(2,\)",
        ),
        (lambda: q.apply_matrix(q.zero_state(1, 2), torch.eye(2), [0, 1]), ValueError, r"\(4, 4\)"),
        (lambda: q.probabilities(torch.zeros(2, 3)), ValueError, r"\(batch, 2, \.\.\., 2\)"),
        (lambda: q.ry_product_state(torch.zeros(3)), ValueError, r"\(batch, n_qubits\)"),
    ],
)
def test_exceptions(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
