"""Bring your own circuit: a PennyLane TorchLayer as the HQCNN's quantum layer.

Builds a 4-qubit circuit in PennyLane (angle encoding, StronglyEntanglingLayers), wraps it
with ``qml.qnn.TorchLayer``, and passes it to ``build_classifier("hqcnn", ..., body=layer)``:
qaug keeps its CNN front end (image -> 4 angles) and linear head, checks the layer's shapes
once, and counts its weights as quantum because the layer says ``is_quantum = True``. Trains
on MNIST 0/1/2 at 8x8 beside the built-in VQC and prints both. Needs PennyLane
(``pip install 'qaug[pennylane]'``); PennyLane's simulator is much slower than qaug's engine,
so this trains on 30 images per class (about a minute).

    python examples/custom_circuit.py
"""

import pennylane as qml
import torch
from torch import nn

from qaug import make_generator
from qaug.data import load_dataset
from qaug.models import build_classifier
from qaug.train import TrainConfig, evaluate, train_classifier

N_QUBITS, N_LAYERS = 4, 2


class StronglyEntangling(nn.Module):
    """(batch, 4) angles -> (batch, 4) <Z_i>, via a PennyLane QNode."""

    is_quantum = True  # qaug counts these parameters as quantum

    def __init__(self):
        super().__init__()
        dev = qml.device("default.qubit", wires=N_QUBITS)

        @qml.qnode(dev, interface="torch", diff_method="backprop")
        def circuit(inputs, weights):
            qml.AngleEmbedding(inputs, wires=range(N_QUBITS), rotation="Y")
            qml.StronglyEntanglingLayers(weights, wires=range(N_QUBITS))
            return [qml.expval(qml.PauliZ(i)) for i in range(N_QUBITS)]

        shape = qml.StronglyEntanglingLayers.shape(n_layers=N_LAYERS, n_wires=N_QUBITS)
        torch.manual_seed(0)  # TorchLayer initialises from the global RNG; fix it here
        self.layer = qml.qnn.TorchLayer(circuit, {"weights": shape})

    def forward(self, x):
        """Angles (batch, 4) -> <Z_i> (batch, 4) in the input's dtype."""
        return self.layer(x).to(x.dtype)  # PennyLane returns float64


def main(n_train=30, epochs=15):
    """Train the built-in HQCNN and the PennyLane-bodied one; return their test accuracies."""
    torch.set_num_threads(1)
    data = load_dataset("mnist", classes=(0, 1, 2), n_train_per_class=n_train, image_size=8,
                        seed=0, n_val_per_class=20, n_test_per_class=100)
    out = {}
    for name, body in (("built-in VQC", None), ("PennyLane StronglyEntanglingLayers", StronglyEntangling())):
        extra = {} if body is None else {"body": body}
        model = build_classifier("hqcnn", data.n_classes, data.image_size,
                                 generator=make_generator(0, "init"), **extra)
        train_classifier(model, data.train, data.val, TrainConfig(epochs=epochs),
                         generator=make_generator(0, "shuffle"))
        acc = evaluate(model, data.test.x, data.test.y).accuracy
        counts = model.parameter_counts()
        print(f"{name}: test accuracy {acc:.3f}; parameters {counts}")
        out[name] = acc
    return out


if __name__ == "__main__":
    main()
