"""to_pennylane / to_qasm / to_diagram of the generator kinds' circuits (pqwgan, mosaiq, latent)."""

import pytest
import torch
from _export_helpers import gen, read_qasm, run_ops, run_qasm, trained

from qaug.models import GANConfig, LatentCircuits, build_gan, to_diagram, to_pennylane, to_qasm
from qaug.models._export_spec import _circuit_ops, _spec
from qaug.models._latent import latent_expvals
from qaug.models._mosaiq import MosaiQCircuits
from qaug.models._pqwgan import PQWGANCircuits
from qaug.quantum import expval_z, mosaiq_expvals, pqwgan_probabilities, probabilities

# PQWGAN: 4 wires, 1 ancilla, patches of 6 of the 8 post-selected values (truncation tested)
CIRCUITS = {
    "pqwgan": lambda: PQWGANCircuits(4, 1, 2, 3, 6, generator=gen(0)),
    "mosaiq": lambda: MosaiQCircuits(3, 2, 2, generator=gen(0)),
    "latent": lambda: LatentCircuits(3, 2, 3, generator=gen(0)),
}


def _forward(layer, z):
    """qaug's own output, flattened per sample: (batch, n_generators * width), float64."""
    with torch.no_grad():
        return layer(z).double().reshape(len(z), -1)


@pytest.mark.parametrize("kind", list(CIRCUITS))
def test_to_pennylane_matches_forward(kind):
    pytest.importorskip("pennylane")
    layer = trained(CIRCUITS[kind](), scale=2.0)
    z = 3 * torch.rand(4, layer.n_qubits, generator=gen(2))
    expected = _forward(layer, z)
    circuit = to_pennylane(layer)
    assert len(circuit.qnodes) == layer.n_generators
    torch.testing.assert_close(circuit(z), expected, atol=1e-5, rtol=0)  # broadcast batch
    torch.testing.assert_close(circuit(z[1].tolist()), expected[1], atol=1e-5, rtol=0)
    width = expected.shape[1] // layer.n_generators
    for g in range(layer.n_generators):
        one = to_pennylane(layer, sub_generator=g)
        torch.testing.assert_close(one(z), expected[:, g * width: (g + 1) * width], atol=1e-5,
                                   rtol=0)


@pytest.mark.parametrize("kind", list(CIRCUITS))
def test_to_qasm_reproduces_the_circuits(kind):
    layer = trained(CIRCUITS[kind](), scale=2.0)
    z = 3 * torch.rand(2, layer.n_qubits, generator=gen(3))
    expected = _forward(layer, z)
    width = expected.shape[1] // layer.n_generators
    n = layer.n_qubits
    for g in range(layer.n_generators):
        text = to_qasm(layer, z[1], sub_generator=g)
        state = run_qasm(text)
        if kind == "pqwgan":
            probs = probabilities(state)[0]
            kept = probs[: 2 ** (n - layer.n_ancillas)]
            got = (kept / kept.max())[:width]
            assert "ancillas q[0] at 0" in text and "keep its first 6 values" in text
        else:
            got = expval_z(state)[0]
            assert ("<X_i> of every wire" in text) == (kind == "mosaiq")
        torch.testing.assert_close(got, expected[1, g * width: (g + 1) * width], atol=1e-5, rtol=0)
        _, ops, _ = read_qasm(text)
        assert [a for _, a, _ in ops[: 2 if kind == "mosaiq" else 1]] == [z[1, 0].item()] * (
            2 if kind == "mosaiq" else 1)  # full precision input angles (RY(z), MosaiQ RX(z))


def test_to_qasm_and_to_pennylane_refuse_bad_sub_generators():
    layer = CIRCUITS["latent"]()
    with pytest.raises(ValueError, match=r"this LatentCircuits has n_generators=3 circuits and one "
                                         r"QASM program holds one; pass sub_generator=0..2"):
        to_qasm(layer, [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"between 0 and n_generators - 1 = 2; got 3"):
        to_qasm(layer, [0.1, 0.2, 0.3], sub_generator=3)
    with pytest.raises(TypeError, match="sub_generator must be an int or None; got True"):
        to_diagram(layer, [0.1, 0.2, 0.3], sub_generator=True)
    with pytest.raises(ValueError, match=r"x must have shape \(n_qubits,\) = \(3,\)"):
        to_qasm(layer, [0.1, 0.2], sub_generator=0)


@pytest.mark.parametrize("kind", ["pqwgan", "mosaiq", "latent"])
def test_gate_lists_of_the_built_generators_reproduce_their_circuits(kind):
    G, _ = build_gan(kind, 8, GANConfig(kind=kind), generator=gen(0))
    circuits = G.circuits
    z = G.sample_latent(1, gen(1)).double()[0]  # (n_qubits,)
    spec = _spec(circuits, None, one=False)
    w = circuits.weights.detach().double()
    for g, weights in enumerate(spec.weights):
        state = run_ops(spec.n_qubits, list(_circuit_ops(spec, z.tolist(), weights)))
        if kind == "pqwgan":
            torch.testing.assert_close(probabilities(state)[0], pqwgan_probabilities(z[None], w)[g, 0])
        elif kind == "mosaiq":
            torch.testing.assert_close(expval_z(state)[0], mosaiq_expvals(z[None], w)[g, 0])
        else:
            q = circuits.n_qubits
            torch.testing.assert_close(expval_z(state)[0],
                                       latent_expvals(z[None], w)[0, g * q:(g + 1) * q])
    text = to_diagram(circuits, z)
    assert text.count("sub-generator") == circuits.n_generators
    one = to_diagram(circuits, z, sub_generator=1).splitlines()
    assert len(one) == circuits.n_qubits and one[0].startswith(f"0: ─RY({z[0]:.2f})")
