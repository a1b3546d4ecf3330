import pytest
import torch
from torch.func import functional_call

from qaug._seed import make_generator
from qaug.models import count_parameters
from qaug.models._pqwgan import PQWGANCircuits, PQWGANCritic, PQWGANGenerator
from qaug.quantum._published_circuits import pqwgan_probabilities


def gen(seed=0):
    return make_generator(seed, "test")


def pennylane_patches(z, weights, n_ancillas, keep):
    """The reference design as a PennyLane QNode + the reference's post-processing."""
    qml = pytest.importorskip("pennylane")
    n_gen, depth, n, _ = weights.shape
    dev = qml.device("default.qubit", wires=n)

    @qml.qnode(dev, interface="torch", diff_method="backprop")
    def circuit(latent, w):
        for i in range(n):
            qml.RY(latent[i], wires=i)
        for layer in range(depth):
            for j in range(n):
                qml.Rot(*w[layer, j], wires=j)
            for j in range(n - 1):
                qml.CNOT(wires=[j, j + 1])
        return qml.probs(wires=list(range(n)))

    out = []
    for item in z:
        row = []
        for g in range(n_gen):
            probs = circuit(item, weights[g])[: 2 ** (n - n_ancillas)]
            probs = probs / probs.sum()
            row.append((probs / probs.max())[:keep])
        out.append(torch.cat(row))
    return torch.stack(out)  # (batch, n_gen * keep)


@pytest.mark.parametrize("n_ancillas", [1, 2])
def test_values_and_gradients_match_a_pennylane_qnode(n_ancillas):
    # 4x4 image, 2 patches of 8 pixels: 3 data qubits (+ ancillas), keep all 8
    G = PQWGANGenerator(4, n_generators=2, n_ancillas=n_ancillas, depth=2, generator=gen()).double()
    z = G.sample_latent(3, gen(1)).double().requires_grad_(True)
    w = G.circuits.weights
    ours = G(z).reshape(3, -1)
    wt = w.detach().clone().requires_grad_(True)
    zt = z.detach().clone().requires_grad_(True)
    theirs = pennylane_patches(zt, wt, n_ancillas, 8)
    torch.testing.assert_close(ours, theirs, atol=1e-10, rtol=1e-8)
    probe = torch.linspace(-1, 1, ours.numel(), dtype=torch.float64).reshape(ours.shape)
    g_ours = torch.autograd.grad((ours * probe).sum(), (w, z))
    g_theirs = torch.autograd.grad((theirs * probe).sum(), (wt, zt))
    for a, b in zip(g_ours, g_theirs):
        torch.testing.assert_close(a, b, atol=1e-9, rtol=1e-7)


def test_truncated_patches_match_pennylane():
    # 28 pixels per patch from 5 data qubits (32 values): the first 28 are kept
    C = PQWGANCircuits(6, 1, 1, 2, 28, generator=gen()).double()
    z = torch.rand(2, 6, generator=gen(1), dtype=torch.float64)
    ours = C(z).reshape(2, -1)
    theirs = pennylane_patches(z, C.weights.detach(), 1, 28)
    torch.testing.assert_close(ours, theirs, atol=1e-10, rtol=1e-8)


def test_fused_and_wirewise_paths_agree():
    w = torch.rand(3, 2, 5, 3, generator=gen(), dtype=torch.float64)
    z = torch.rand(4, 5, generator=gen(1), dtype=torch.float64)
    a = pqwgan_probabilities(z, w, fused=True)
    b = pqwgan_probabilities(z, w, fused=False)
    assert a.shape == (3, 4, 32)
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(a.sum(-1), torch.ones(3, 4, dtype=torch.float64))


@pytest.mark.parametrize(
    "size, qubits, quantum, critic",
    [
        # rows as patches: 8 x (3 data + 1 ancilla), 16 x (4 + 1), 28 x (5 + 1); 6 layers x 3 angles
        (8, 4, 8 * 6 * 4 * 3, 64 * 128 + 128 + 128 * 64 + 64 + 64 + 1),
        (16, 5, 16 * 6 * 5 * 3, 256 * 512 + 512 + 512 * 256 + 256 + 256 + 1),
        (28, 6, 28 * 6 * 6 * 3, 784 * 512 + 512 + 512 * 256 + 256 + 256 + 1),
    ],
)
def test_rows_as_patches_and_parameter_counts(size, qubits, quantum, critic):
    G, D = PQWGANGenerator(size, generator=gen()), PQWGANCritic(size, generator=gen())
    assert G.latent_dim == qubits and G.circuits.n_generators == size
    assert count_parameters(G) == {"quantum": quantum, "classical": 0, "total": quantum}
    assert count_parameters(D) == {"quantum": 0, "classical": critic, "total": critic}
    z = G.sample_latent(2, gen(1))
    assert 0 <= float(z.min()) and float(z.max()) < 1  # the reference's U[0, 1) prior
    x = G(z).detach()
    assert x.shape == (2, 1, size, size) and float(x.min()) >= 0 and float(x.max()) <= 1
    # row r of the image is sub-generator r's patch
    torch.testing.assert_close(x[:, 0], G.circuits(z).detach())
    assert D(x).shape == (2, 1)


def test_patches_of_several_rows():
    G = PQWGANGenerator(28, n_generators=14, generator=gen())  # 56 pixels: 6 data qubits, 64 values
    assert G.latent_dim == 7 and G.circuits.patch_pixels == 56
    assert G(G.sample_latent(1, gen(1))).shape == (1, 1, 28, 28)


def test_bad_input_errors():
    with pytest.raises(ValueError, match="must divide"):
        PQWGANGenerator(28, n_generators=5)
    # one patch of 64x64 = 4096 pixels: 12 data qubits + 1 ancilla > the engine's 12
    with pytest.raises(ValueError, match=r"13 qubits.*at most 12.*n_patches"):
        PQWGANGenerator(64, n_generators=1)
    with pytest.raises(ValueError, match="n_ancillas"):
        PQWGANGenerator(8, n_ancillas=0)
    with pytest.raises(ValueError, match="depth"):
        PQWGANGenerator(8, depth=0)
    G = PQWGANGenerator(8, generator=gen())
    with pytest.raises(ValueError, match=r"z must have shape \(batch, n_qubits\) = \(batch, 4\)"):
        G(torch.rand(2, 5))


def test_same_seed_same_weights_and_gradcheck():
    a, b = PQWGANGenerator(8, generator=gen(3)), PQWGANGenerator(8, generator=gen(3))
    assert torch.equal(a.circuits.weights, b.circuits.weights)
    G = PQWGANGenerator(4, n_generators=2, depth=1, generator=gen()).double()
    z = G.sample_latent(2, gen(1)).double()
    names, params = zip(*G.named_parameters())

    def fn(*ps):
        return functional_call(G, dict(zip(names, ps)), (z,))

    inputs = tuple(p.detach().clone().requires_grad_(True) for p in params)
    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-5)
