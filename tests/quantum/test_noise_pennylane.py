"""The noisy VQC against PennyLane default.mixed (DepolarizingChannel, BitFlip before readout)."""

import math

import pytest
import torch

from qaug import quantum as q
from qaug.quantum import NoiseModel

qml = pytest.importorskip("pennylane")


def pennylane_expvals(x, w, p, readout, reupload):
    n, n_layers = x.shape[1], w.shape[0]
    dev = qml.device("default.mixed", wires=n)

    @qml.qnode(dev, interface="torch")
    def circuit(xb):
        for i in range(n):
            qml.RY(xb[i], wires=i)
        for layer in range(n_layers):
            for i in range(n):
                if reupload and layer > 0:
                    qml.RY(xb[i], wires=i)
                qml.RY(w[layer, i, 0], wires=i)
                qml.RZ(w[layer, i, 1], wires=i)
            for c, t in q.ring_cnots(n):
                qml.CNOT(wires=[c, t])
            for i in range(n):
                qml.DepolarizingChannel(p, wires=i)
        for i in range(n):  # a symmetric readout error is a bit flip just before measuring
            qml.BitFlip(readout, wires=i)
        return [qml.expval(qml.PauliZ(i)) for i in range(n)]

    return torch.stack([torch.stack(list(circuit(xb))) for xb in x])


@pytest.mark.parametrize("reupload", [False, True])
@pytest.mark.parametrize(("n", "n_layers", "p"), [(2, 2, 0.1), (3, 2, 0.05), (4, 3, 0.3)])
def test_noisy_vqc_matches_default_mixed(n, n_layers, p, reupload):
    g = torch.Generator().manual_seed(n)
    x = (torch.rand(3, n, generator=g, dtype=torch.float64) * 2 - 1) * math.pi
    w = torch.rand(n_layers, n, 2, generator=g, dtype=torch.float64) * 2 * math.pi
    ours = q.noisy_vqc_expvals(x, w, NoiseModel(depolarizing=p, readout=0.04), reupload=reupload)
    theirs = pennylane_expvals(x, w, p, 0.04, reupload)
    # default.mixed agrees to ~5e-8 only (its own rounding: ours matches a float64 dense Kraus
    # reference to 1e-12, see test_noise.py::test_noisy_vqc_matches_dense_kraus_reference).
    torch.testing.assert_close(ours, theirs.to(ours.dtype), atol=1e-6, rtol=0)
