import math
import sys
from collections import Counter

import pytest
import torch
from _export_helpers import gen, patch_post, read_qasm, run_qasm, trained
from torch import nn

from qaug.models import (
    PatchQuantumGenerator,
    QuanvCircuit,
    ReuploadingVQCLayer,
    VQCLayer,
    to_pennylane,
    to_qasm,
)
from qaug.quantum import expval_z, probabilities

VQC_CASES = [
    (VQCLayer, 1, 2),
    (VQCLayer, 2, 2),
    (VQCLayer, 3, 3),
    (ReuploadingVQCLayer, 4, 3),
    (QuanvCircuit, 4, 2),
]
PATCH_CASES = [(5, 1, 3, 2), (3, 0, 2, 3), (4, 2, 2, 1)]  # n_qubits, n_ancillas, depth, n_gen


# --- to_pennylane --------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "n", "n_layers"), VQC_CASES)
def test_to_pennylane_vqc_matches_forward(cls, n, n_layers):
    pytest.importorskip("pennylane")
    layer = trained(cls(n, n_layers, generator=gen(0)))
    x = 2 * math.pi * torch.rand(6, n, generator=gen(1))
    circuit = to_pennylane(layer)
    expected = layer(x).detach().double()
    torch.testing.assert_close(circuit(x), expected, atol=1e-5, rtol=0)  # broadcast batch
    torch.testing.assert_close(circuit(x[2]), expected[2], atol=1e-5, rtol=0)  # one sample
    assert len(circuit.qnodes) == 1 and circuit.n_qubits == n


@pytest.mark.parametrize(("n", "n_anc", "depth", "n_gen"), PATCH_CASES)
def test_to_pennylane_patch_generator_matches_forward(n, n_anc, depth, n_gen):
    pytest.importorskip("pennylane")
    g = trained(PatchQuantumGenerator(n, n_anc, depth, n_gen, generator=gen(0)), scale=1.0)
    z = torch.rand(4, n, generator=gen(2)) * math.pi / 2
    expected = g(z).detach().double()  # (4, n_gen * P)
    circuit = to_pennylane(g)
    assert len(circuit.qnodes) == n_gen
    torch.testing.assert_close(circuit(z), expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(circuit(z[1].tolist()), expected[1], atol=1e-5, rtol=0)
    p = g.patch_size
    for k in range(n_gen):
        one = to_pennylane(g, sub_generator=k)
        torch.testing.assert_close(one(z), expected[:, k * p : (k + 1) * p], atol=1e-5, rtol=0)


def test_to_pennylane_bakes_detached_copies():
    pytest.importorskip("pennylane")
    layer = trained(VQCLayer(3, 2, generator=gen(0)))
    x = torch.rand(2, 3, generator=gen(1), requires_grad=True)
    circuit = to_pennylane(layer)
    before = circuit(x)
    with torch.no_grad():
        layer.weights.add_(1.0)  # later training must not change the export
    after = circuit(x)
    torch.testing.assert_close(after, before)
    after.sum().backward()
    assert layer.weights.grad is None and x.grad is not None  # gradients reach x only


def test_to_pennylane_accepts_device_instance():
    qml = pytest.importorskip("pennylane")
    layer = trained(QuanvCircuit(generator=gen(0)))
    x = torch.rand(3, 4, generator=gen(1))
    circuit = to_pennylane(layer, device=qml.device("default.qubit", wires=4))
    torch.testing.assert_close(circuit(x), layer(x).detach().double(), atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="device has 2 wires; the circuit needs 4"):
        to_pennylane(layer, device=qml.device("default.qubit", wires=2))
    with pytest.raises(TypeError, match="device must be a PennyLane device"):
        to_pennylane(layer, device=3)


def test_to_pennylane_exceptions():
    pytest.importorskip("pennylane")
    layer = VQCLayer(3, 1, generator=gen(0))
    patches = PatchQuantumGenerator(3, 1, 2, 2, generator=gen(0))
    with pytest.raises(TypeError, match=r"got Linear\.$"):
        to_pennylane(nn.Linear(2, 2))
    with pytest.raises(TypeError, match=r"quantum layers at \['1'\]: export one \(e\.g\. model\.1"):
        to_pennylane(nn.Sequential(nn.Linear(3, 3), layer))
    with pytest.raises(ValueError, match="sub_generator is only for generator circuits"):
        to_pennylane(layer, sub_generator=0)
    with pytest.raises(ValueError, match=r"between 0 and n_generators - 1 = 1; got 2"):
        to_pennylane(patches, sub_generator=2)
    with pytest.raises(TypeError, match="sub_generator must be an int or None"):
        to_pennylane(patches, sub_generator=True)
    with pytest.raises(ValueError, match=r"shape \(n_qubits,\) = \(3,\) or \(batch, n_qubits\)"):
        to_pennylane(layer)(torch.zeros(2, 4))


def test_to_pennylane_without_pennylane_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "pennylane", None)  # makes `import pennylane` fail
    with pytest.raises(ImportError, match=r"pip install 'qaug\[pennylane\]'"):
        to_pennylane(VQCLayer(2, 1, generator=gen(0)))


# --- to_qasm -------------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "n", "n_layers"), VQC_CASES)
def test_to_qasm_vqc_reproduces_expvals(cls, n, n_layers):
    layer = trained(cls(n, n_layers, generator=gen(0)))
    x = 2 * math.pi * torch.rand(3, n, generator=gen(1))
    expected = layer(x).detach().double()  # (3, n)
    for b in range(3):
        state = run_qasm(to_qasm(layer, x[b]))
        torch.testing.assert_close(expval_z(state)[0], expected[b], atol=1e-5, rtol=0)


@pytest.mark.parametrize(("n", "n_anc", "depth", "n_gen"), PATCH_CASES)
def test_to_qasm_patch_generator_reproduces_patches(n, n_anc, depth, n_gen):
    g = trained(PatchQuantumGenerator(n, n_anc, depth, n_gen, generator=gen(0)), scale=1.0)
    z = torch.rand(2, n, generator=gen(2)) * math.pi / 2
    expected = g(z).detach().double()
    p = g.patch_size
    for k in range(n_gen):
        state = run_qasm(to_qasm(g, z[1:2], sub_generator=k))  # (1, n) is one sample too
        patch = patch_post(probabilities(state)[0], n, n_anc)
        torch.testing.assert_close(patch, expected[1, k * p : (k + 1) * p], atol=1e-5, rtol=0)


@pytest.mark.parametrize(("cls", "n", "n_layers"), VQC_CASES)
def test_to_qasm_vqc_structure(cls, n, n_layers):
    layer = trained(cls(n, n_layers, generator=gen(0)))
    x = torch.rand(n, generator=gen(1))
    text = to_qasm(layer, x)
    _, ops, measured = read_qasm(text)
    counts = Counter(name for name, _, _ in ops)
    encodings = n * (n_layers if cls is ReuploadingVQCLayer else 1)
    ring = {1: 0, 2: 1}.get(n, n)
    assert counts == Counter({"ry": encodings + n_layers * n, "rz": n_layers * n,
                              "cx": n_layers * ring}) - Counter()
    assert measured == list(range(n))
    # Full precision: the first angles are x, then the first layer's weights, bit for bit.
    angles = [a for _, a, _ in ops if a is not None]
    assert angles[:n] == x.double().tolist()
    w = layer.weights.detach().double()
    assert angles[n : n + 2] == [w[0, 0, 0].item(), w[0, 0, 1].item()]
    assert "wire 0 as the most significant bit" in text and "little-endian" in text


def test_to_qasm_patch_structure_and_small_angles():
    g = PatchQuantumGenerator(4, 1, 3, 2, generator=gen(0))
    text = to_qasm(g, [1e-5, 0.0, 2.0, -3.5e-7], sub_generator=1)
    _, ops, _ = read_qasm(text)  # the reader only accepts reals with a decimal point
    assert Counter(name for name, _, _ in ops) == Counter({"ry": 4 + 3 * 4, "cz": 3 * 3})
    assert [a for _, a, _ in ops[:4]] == [1e-5, 0.0, 2.0, -3.5e-7]
    assert "ry(1.0e-05) q[0];" in text and "ancillas q[0] at 0" in text


def test_to_qasm_exceptions():
    layer = VQCLayer(3, 1, generator=gen(0))
    with pytest.raises(ValueError, match=r"\(1, n_qubits\) = \(1, 3\): one sample; got \(2, 3\)"):
        to_qasm(layer, torch.zeros(2, 3))
    with pytest.raises(ValueError, match="x must be finite angles"):
        to_qasm(layer, [0.0, float("nan"), 1.0])
    with pytest.raises(TypeError, match="x must hold real angles"):
        to_qasm(layer, torch.zeros(3, dtype=torch.complex64))
    with pytest.raises(ValueError, match=r"n_generators=2 circuits .* pass sub_generator=0..1"):
        to_qasm(PatchQuantumGenerator(3, 1, 2, 2, generator=gen(0)), [0.1, 0.2, 0.3])
    with pytest.raises(TypeError, match="layer must be a VQCLayer"):
        to_qasm(nn.Linear(3, 3), [0.1, 0.2, 0.3])


def test_to_diagram_packs_gates_and_never_shares_a_column_between_two_qubit_gates():
    from qaug.models import PatchQuantumGenerator, VQCLayer, to_diagram

    layer = VQCLayer(3, 1, generator=torch.Generator().manual_seed(0))
    lines = to_diagram(layer, [0.1, 0.2, 0.3]).splitlines()
    assert [line[:3] for line in lines] == ["0: ", "1: ", "2: "]
    assert len({len(line) for line in lines}) == 1  # aligned columns
    # ring CNOTs (0,1), (1,2), (2,0): three columns, each with exactly one X
    cols = list(zip(*lines))
    assert sum(1 for c in cols if "X" in c) == 3 and all(c.count("X") <= 1 for c in cols)
    patch = PatchQuantumGenerator(n_generators=2, depth=2, generator=torch.Generator().manual_seed(0))
    text = to_diagram(patch, [0.1] * 5)
    assert text.count("sub-generator") == 2
    one = to_diagram(patch, [0.1] * 5, sub_generator=1)
    assert "sub-generator" not in one and one.count("●") == 2 * 2 * 4  # 2 layers x 4 CZs x 2 marks


def test_to_diagram_bad_input():
    from qaug.models import VQCLayer, to_diagram

    layer = VQCLayer(2, 1)
    with pytest.raises(ValueError, match="decimals must be an integer between 0 and 8"):
        to_diagram(layer, [0.1, 0.2], decimals=20)
    with pytest.raises(ValueError, match="x must have shape"):
        to_diagram(layer, [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="finite"):
        to_diagram(layer, [float("nan"), 0.2])
