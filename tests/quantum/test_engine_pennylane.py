"""The engine against PennyLane default.qubit: values and gradients (backprop)."""

import numpy as np
import pytest
import torch

from qaug import quantum as q

qml = pytest.importorskip("pennylane")

ATOL = 1e-5


def build_circuit(n, rng):
    """Random gate list; per-sample angles index into a (batch, k) parameter tensor."""
    gates, k = [], 0
    for _ in range(10):
        kind = ["rx", "ry", "rz", "cnot", "cz"][rng.integers(5 if n > 1 else 3)]
        if kind in ("rx", "ry", "rz"):
            gates.append((kind, (int(rng.integers(n)),), k))
            k += 1
        else:
            gates.append((kind, tuple(int(v) for v in rng.choice(n, size=2, replace=False)), None))
    return gates, k


def ours(gates, n, params):
    state = q.ry_product_state(params[:, :n])
    for kind, wires, k in gates:
        if kind == "cnot":
            state = q.cnot(state, *wires)
        elif kind == "cz":
            state = q.cz(state, *wires)
        else:
            state = getattr(q, kind)(state, params[:, n + k], wires[0])
    return q.probabilities(state), q.expval_z(state)


def theirs(gates, n, params):
    dev = qml.device("default.qubit", wires=n)
    ops = {"rx": qml.RX, "ry": qml.RY, "rz": qml.RZ, "cnot": qml.CNOT, "cz": qml.CZ}

    def body(p):
        for i in range(n):
            qml.RY(p[:, i], wires=i)
        for kind, wires, k in gates:
            if k is None:
                ops[kind](wires=list(wires))
            else:
                ops[kind](p[:, n + k], wires=wires[0])

    @qml.qnode(dev, interface="torch", diff_method="backprop")
    def probs(p):
        body(p)
        return qml.probs(wires=range(n))

    @qml.qnode(dev, interface="torch", diff_method="backprop")
    def expvals(p):
        body(p)
        return [qml.expval(qml.PauliZ(i)) for i in range(n)]

    return probs(params), torch.stack(list(expvals(params)), dim=-1)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_random_circuit_values_and_gradients_match_pennylane(n):
    rng = np.random.default_rng(10 + n)
    gates, k = build_circuit(n, rng)
    batch = 3
    init = torch.as_tensor(rng.uniform(-np.pi, np.pi, size=(batch, n + k)))
    coeff_p = torch.as_tensor(rng.normal(size=(batch, 2**n)))
    coeff_z = torch.as_tensor(rng.normal(size=(batch, n)))
    results = []
    for fn in (ours, theirs):
        params = init.clone().requires_grad_(True)
        probs, z = fn(gates, n, params)
        ((probs * coeff_p).sum() + (z * coeff_z).sum()).backward()
        results.append((probs.detach(), z.detach(), params.grad))
    for a, b in zip(*results):
        torch.testing.assert_close(a, b.to(a.dtype), atol=ATOL, rtol=0)
