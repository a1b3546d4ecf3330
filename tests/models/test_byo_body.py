import pytest
import torch
from torch import nn

from qaug._seed import make_generator
from qaug.models import HQCNN, build_classifier, noisy
from qaug.quantum import NoiseModel


class Doubler(nn.Module):
    """A user layer: (batch, n) -> (batch, n)."""

    def __init__(self, n, quantum=False):
        super().__init__()
        self.w = nn.Parameter(torch.ones(n))
        if quantum:
            self.is_quantum = True

    def forward(self, x):
        return torch.tanh(x * self.w)


def test_body_replaces_the_vqc_and_trains():
    model = build_classifier("hqcnn", 3, 8, generator=make_generator(0, "init"), body=Doubler(4))
    assert isinstance(model.body, Doubler)
    out = model(torch.rand(5, 1, 8, 8, generator=make_generator(0, "x")))
    assert out.shape == (5, 3)
    out.sum().backward()
    assert model.body.w.grad is not None and model.body.w.grad.abs().sum() > 0


def test_front_end_and_head_draws_do_not_depend_on_the_body():
    a = build_classifier("hqcnn", 3, 8, generator=make_generator(0, "init"))
    b = build_classifier("hqcnn", 3, 8, generator=make_generator(0, "init"), body=Doubler(4))
    # the built-in body draws its weights between front and head, a user's body draws nothing
    assert torch.equal(a.front.conv.weight, b.front.conv.weight)


@pytest.mark.parametrize("quantum, expected", [(False, 0), (True, 4)])
def test_body_counts_as_quantum_when_it_says_so(quantum, expected):
    model = HQCNN(3, 8, body=Doubler(4, quantum=quantum))
    counts = model.parameter_counts()
    assert counts["quantum"] == expected
    assert counts["total"] == counts["quantum"] + counts["classical"]


def test_wrong_output_shape_names_expected_and_received():
    class Wide(nn.Module):
        def forward(self, x):
            return torch.cat([x, x], dim=1)

    with pytest.raises(ValueError, match=r"map \(batch, 4\) to \(batch, 4\).*returned \(2, 8\)"):
        HQCNN(3, 8, body=Wide())


def test_body_must_be_a_module():
    with pytest.raises(TypeError, match="body must be a torch.nn.Module"):
        HQCNN(3, 8, body=lambda x: x)


def test_failing_body_names_the_input_shape():
    with pytest.raises(ValueError, match=r"body failed on angles of shape \(2, 4\)"):
        HQCNN(3, 8, body=nn.Linear(3, 4))


def test_quanv_takes_no_body():
    with pytest.raises(ValueError, match="'quanv' .* takes no body"):
        build_classifier("quanv", 3, 8, body=Doubler(4))


def test_noise_on_a_classical_user_body_is_refused():
    model = HQCNN(3, 8, body=Doubler(4))
    with pytest.raises(ValueError, match="no quantum layer that supports noise"):
        with noisy(model, NoiseModel(depolarizing=0.01)):
            pass


def test_pennylane_torchlayer_as_body_matches_the_builtin_vqc():
    qml = pytest.importorskip("pennylane")
    n, layers = 4, 2
    ref = HQCNN(3, 8, n_qubits=n, n_layers=layers, generator=make_generator(0, "init"))
    dev = qml.device("default.qubit", wires=n)

    @qml.qnode(dev, interface="torch", diff_method="backprop")
    def circuit(inputs, weights):
        for i in range(n):
            qml.RY(inputs[..., i], wires=i)
        for layer in range(layers):
            for i in range(n):
                qml.RY(weights[layer, i, 0], wires=i)
                qml.RZ(weights[layer, i, 1], wires=i)
            for i in range(n):
                qml.CNOT(wires=[i, (i + 1) % n])
        return [qml.expval(qml.PauliZ(i)) for i in range(n)]

    class Stacked(nn.Module):
        is_quantum = True

        def __init__(self):
            super().__init__()
            self.layer = qml.qnn.TorchLayer(circuit, {"weights": (layers, n, 2)})

        def forward(self, x):
            return self.layer(x).to(x.dtype)

    body = Stacked()
    with torch.no_grad():
        body.layer.weights.copy_(ref.body.weights.detach().double())
    model = HQCNN(3, 8, n_qubits=n, n_layers=layers, generator=make_generator(0, "init"), body=body)
    model.head.load_state_dict(ref.head.state_dict())  # drawn after the built-in VQC in ref
    x = torch.rand(6, 1, 8, 8, generator=make_generator(1, "x"))
    torch.testing.assert_close(model(x), ref(x), atol=1e-5, rtol=1e-5)
    assert model.parameter_counts() == ref.parameter_counts()
