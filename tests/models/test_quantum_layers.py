import math

import numpy as np
import pytest
import torch

from qaug.models import PatchQuantumGenerator, QuanvCircuit, ReuploadingVQCLayer, VQCLayer
from qaug.models._params import count_parameters


def gen(seed):
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------- VQCLayer


def test_vqc_smoke_and_shapes():
    layer = VQCLayer(4, 2, generator=gen(0))
    assert VQCLayer.weight_shape(2, 4) == (2, 4, 2)
    assert layer.weights.shape == (2, 4, 2)
    out = layer(torch.rand(7, 4, generator=gen(1)))
    assert out.shape == (7, 4) and out.dtype == torch.float32
    assert out.abs().max() <= 1 + 1e-6
    assert VQCLayer.is_quantum and count_parameters(layer) == {
        "quantum": 16,
        "classical": 0,
        "total": 16,
    }


def test_vqc_init_from_generator():
    a, b = VQCLayer(3, 2, generator=gen(5)), VQCLayer(3, 2, generator=gen(5))
    torch.testing.assert_close(a.weights, b.weights)
    assert not torch.equal(a.weights, VQCLayer(3, 2, generator=gen(6)).weights)
    assert 0 <= a.weights.min() and a.weights.max() < 2 * math.pi
    state = torch.get_rng_state()
    VQCLayer(3, 2)  # no generator: a fixed default, never the global RNG
    assert torch.equal(state, torch.get_rng_state())


def test_vqc_single_qubit_closed_form():
    # n = 1: <Z> = cos(x + a) regardless of the RZ angle (no entangler).
    layer = VQCLayer(1, 1, generator=gen(0)).double()
    x = torch.linspace(-3, 3, 7, dtype=torch.float64)[:, None]
    expected = torch.cos(x + layer.weights[0, 0, 0])
    torch.testing.assert_close(layer(x), expected.detach())


@pytest.mark.parametrize("cls", [VQCLayer, ReuploadingVQCLayer])
def test_vqc_gradcheck_complex128(cls):
    layer = cls(3, 2, generator=gen(0)).double()
    x = torch.rand(2, 3, generator=gen(1), dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, w: torch.func.functional_call(layer, {"weights": w}, (x,)),
        (x, layer.weights.detach().clone().requires_grad_(True)),
    )


def test_quanv_circuit_is_a_four_channel_vqc():
    quanv = QuanvCircuit(generator=gen(2))
    assert quanv.weights.shape == (1, 4, 2)
    x = math.pi * torch.rand(10, 4, generator=gen(3))
    ref = VQCLayer(4, 1, generator=gen(2))
    torch.testing.assert_close(quanv(x), ref(x))


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: VQCLayer(13, 1), ValueError, r"n_qubits must be between 1 and 12; got 13"),
        (lambda: VQCLayer(0, 1), ValueError, r"n_qubits must be between 1 and 12; got 0"),
        (lambda: VQCLayer(2, 0), ValueError, r"n_layers must be >= 1; got 0"),
        (lambda: VQCLayer(2.0, 1), TypeError, r"n_qubits must be an int"),
        (
            lambda: VQCLayer(3, 1)(torch.zeros(2, 4)),
            ValueError,
            r"x must have shape \(batch, n_qubits\) = \(batch, 3\); got \(2, 4\)",
        ),
    ],
)
def test_vqc_exceptions(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ---------------------------------------------------------------- PatchQuantumGenerator


def test_patch_generator_smoke_and_shapes():
    g = PatchQuantumGenerator(generator=gen(0))
    assert g.weights.shape == (4, 6, 5)
    assert g.patch_size == 16 and g.n_outputs == 64
    assert count_parameters(g)["quantum"] == 120
    assert 0 <= g.weights.min() and g.weights.max() < 1
    z = torch.rand(8, 5, generator=gen(1)) * math.pi / 2
    out = g(z)
    assert out.shape == (8, 64) and out.dtype == torch.float32
    assert out.min() >= 0
    # every patch is divided by its own maximum
    torch.testing.assert_close(out.reshape(8, 4, 16).amax(-1), torch.ones(8, 4))


def test_patch_generator_other_sizes():
    g = PatchQuantumGenerator(3, 0, 2, 2, generator=gen(0))
    assert g(torch.zeros(2, 3)).shape == (2, 16)
    big = PatchQuantumGenerator(10, 2, 1, 1, generator=gen(0))  # gate-by-gate path
    assert big(torch.zeros(2, 10)).shape == (2, 256)


def test_patch_generator_gradcheck_complex128():
    g = PatchQuantumGenerator(3, 1, 2, 2, generator=gen(0)).double()
    z = torch.rand(2, 3, generator=gen(1), dtype=torch.float64, requires_grad=True)
    w = g.weights.detach().clone().requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda z, w: torch.func.functional_call(g, {"weights": w}, (z,)), (z, w)
    )


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"n_qubits": 13}, ValueError, r"n_qubits must be between 1 and 12; got 13"),
        ({"n_qubits": 0, "n_ancillas": 0}, ValueError, r"n_qubits must be between 1 and 12; got 0"),
        (
            {"n_ancillas": 5},
            ValueError,
            r"n_ancillas must be between 0 and n_qubits - 1 = 4; got 5",
        ),
        ({"depth": 0}, ValueError, r"depth must be >= 1; got 0"),
        ({"n_generators": 0}, ValueError, r"n_generators must be >= 1; got 0"),
    ],
)
def test_patch_generator_exceptions(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        PatchQuantumGenerator(**kwargs)


def test_patch_generator_input_shape_error():
    with pytest.raises(ValueError, match=r"z must have shape \(batch, n_qubits\) = \(batch, 5\)"):
        PatchQuantumGenerator()(torch.zeros(3, 4))


# ---------------------------------------------------------------- against PennyLane


def _grads(fn, params, coeff):
    params = [p.detach().clone().requires_grad_(True) for p in params]
    out = fn(*params)
    (out * coeff).sum().backward()
    return out.detach(), [p.grad for p in params]


@pytest.mark.parametrize(("n", "n_layers"), [(1, 1), (2, 2), (3, 2), (4, 1), (9, 2)])
@pytest.mark.parametrize("reupload", [False, True])
def test_vqc_matches_pennylane(n, n_layers, reupload):
    qml = pytest.importorskip("pennylane")
    dev = qml.device("default.qubit", wires=n)

    @qml.qnode(dev, interface="torch", diff_method="backprop")
    def circuit(x, w):
        for layer in range(n_layers):
            if layer == 0 or reupload:
                for i in range(n):
                    qml.RY(x[:, i], wires=i)
            for i in range(n):
                qml.RY(w[layer, i, 0], wires=i)
                qml.RZ(w[layer, i, 1], wires=i)
            if n == 2:
                qml.CNOT(wires=[0, 1])
            elif n > 2:
                for i in range(n):
                    qml.CNOT(wires=[i, (i + 1) % n])
        return [qml.expval(qml.PauliZ(i)) for i in range(n)]

    cls = ReuploadingVQCLayer if reupload else VQCLayer
    layer = cls(n, n_layers, generator=gen(n))
    x = torch.rand(3, n, generator=gen(7)) * 2 * math.pi
    coeff = torch.randn(3, n, generator=gen(8))
    ours = _grads(
        lambda x, w: torch.func.functional_call(layer, {"weights": w}, (x,)),
        [x, layer.weights],
        coeff,
    )
    theirs = _grads(
        lambda x, w: torch.stack(list(circuit(x.double(), w.double())), -1).reshape(3, n).float(),
        [x, layer.weights],
        coeff,
    )
    torch.testing.assert_close(ours[0], theirs[0], atol=1e-5, rtol=0)
    for a, b in zip(ours[1], theirs[1]):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


def test_patch_generator_matches_pennylane_demo():
    qml = pytest.importorskip("pennylane")
    n_qubits, n_a_qubits, q_depth, n_generators = 5, 1, 3, 2
    dev = qml.device("default.qubit", wires=n_qubits)

    # The demo's circuit and partial_measure, one sample and one sub-generator at a time.
    @qml.qnode(dev, interface="torch", diff_method="backprop")
    def quantum_circuit(noise, weights):
        weights = weights.reshape(q_depth, n_qubits)
        for i in range(n_qubits):
            qml.RY(noise[i], wires=i)
        for i in range(q_depth):
            for y in range(n_qubits):
                qml.RY(weights[i][y], wires=y)
            for y in range(n_qubits - 1):
                qml.CZ(wires=[y, y + 1])
        return qml.probs(wires=list(range(n_qubits)))

    def partial_measure(noise, weights):
        probs = quantum_circuit(noise, weights)
        probsgiven0 = probs[: (2 ** (n_qubits - n_a_qubits))]
        probsgiven0 = probsgiven0 / torch.sum(probs)
        return probsgiven0 / torch.max(probsgiven0)

    def demo_forward(x, w):
        rows = []
        for elem in x:
            rows.append(
                torch.cat([partial_measure(elem, w[g].reshape(-1)) for g in range(n_generators)])
            )
        return torch.stack(rows).float()

    g = PatchQuantumGenerator(n_qubits, n_a_qubits, q_depth, n_generators, generator=gen(0))
    z = torch.rand(3, n_qubits, generator=gen(1)) * math.pi / 2
    coeff = torch.randn(3, g.n_outputs, generator=gen(2))
    ours = _grads(
        lambda z, w: torch.func.functional_call(g, {"weights": w}, (z,)), [z, g.weights], coeff
    )
    theirs = _grads(lambda z, w: demo_forward(z.double(), w.double()), [z, g.weights], coeff)
    torch.testing.assert_close(ours[0], theirs[0], atol=1e-5, rtol=0)
    for a, b in zip(ours[1], theirs[1]):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)
    assert np.isfinite(ours[1][1].numpy()).all()
