import math

import pytest
import torch

from qaug._seed import make_generator
from qaug.models import count_parameters
from qaug.models._mosaiq import (
    ClassPCA,
    MosaiQDiscriminator,
    MosaiQGenerator,
    default_n_components,
    mosaiq_ordering,
)
from qaug.quantum._published_circuits import mosaiq_expvals


def gen(seed=0):
    return make_generator(seed, "test")


def images(n, size=8, seed=0):
    # low-rank digit-like data: a few smooth blobs with random weights, in [0, 1]
    g = gen(seed)
    basis = torch.rand(6, size * size, generator=g)
    w = torch.rand(n, 6, generator=g)
    return (w @ basis / 6).clamp(0, 1).reshape(n, 1, size, size)


def pennylane_expvals(z, weights):
    qml = pytest.importorskip("pennylane")
    n_gen, depth, n = weights.shape
    dev = qml.device("default.qubit", wires=n)

    @qml.qnode(dev, interface="torch", diff_method="backprop")
    def circuit(latent, w):
        for i in range(n):
            qml.RY(latent[i], wires=i)
            qml.RX(latent[i], wires=i)
        for layer in range(depth):
            for j in range(n):
                qml.RY(w[layer, j], wires=j)
            for j in range(n - 1):
                qml.CZ(wires=[j, j + 1])
        return [qml.expval(qml.PauliX(i)) for i in range(n)]

    return torch.stack(
        [torch.cat([torch.stack(circuit(item, weights[g])) for g in range(n_gen)]) for item in z]
    )  # (batch, G * n), g-major


def test_circuit_values_and_gradients_match_a_pennylane_qnode():
    G = MosaiQGenerator(8, n_components=10, n_qubits=5, depth=3, generator=gen()).double()
    z = (torch.rand(3, 5, generator=gen(1), dtype=torch.float64) * 1.5).requires_grad_(True)
    w = G.circuits.weights
    ours = G.circuits(z)
    wt, zt = w.detach().clone().requires_grad_(True), z.detach().clone().requires_grad_(True)
    theirs = pennylane_expvals(zt, wt)
    torch.testing.assert_close(ours, theirs, atol=1e-10, rtol=1e-8)
    probe = torch.linspace(-1, 1, ours.numel(), dtype=torch.float64).reshape(ours.shape)
    g_ours = torch.autograd.grad((ours * probe).sum(), (w, z))
    g_theirs = torch.autograd.grad((theirs * probe).sum(), (wt, zt))
    for a, b in zip(g_ours, g_theirs):
        torch.testing.assert_close(a, b, atol=1e-9, rtol=1e-7)


def test_fused_and_wirewise_paths_agree():
    w = torch.rand(3, 4, 5, generator=gen(), dtype=torch.float64)
    z = torch.rand(4, 5, generator=gen(1), dtype=torch.float64)
    a, b = mosaiq_expvals(z, w, fused=True), mosaiq_expvals(z, w, fused=False)
    assert a.shape == (3, 4, 5) and float(a.abs().max()) <= 1
    torch.testing.assert_close(a, b)


def test_ordering_spreads_the_strong_components():
    order = mosaiq_ordering(40, 8, 5)
    assert order[:5] == [0, 39, 38, 37, 36] and order[35:] == [7, 11, 10, 9, 8]
    assert sorted(order) == list(range(40))
    assert mosaiq_ordering(7, 2, 5) == [0, 6, 5, 4, 3, 1, 2, -1, -1, -1]


def test_pca_matches_sklearn_and_round_trips():
    decomposition = pytest.importorskip("sklearn.decomposition")
    x = images(30)
    pca = ClassPCA(8, 5)
    info = pca.fit(x)
    ref = decomposition.PCA(5, svd_solver="full").fit(x.reshape(30, -1).double().numpy())
    torch.testing.assert_close(
        pca.components.abs(), torch.from_numpy(ref.components_).float().abs(), atol=1e-4, rtol=0
    )
    assert info["explained_variance"] == pytest.approx(ref.explained_variance_ratio_.sum(), 1e-4)
    scaled = pca.encode(x)
    assert float(scaled.min()) == pytest.approx(-1, abs=1e-5)
    assert float(scaled.max()) == pytest.approx(1, abs=1e-5)
    # a 5-component PCA of rank-6 data reconstructs it closely
    assert float((pca.decode(scaled) - x).abs().mean()) < 0.02


@pytest.mark.parametrize("size, n, n_gen", [(8, 20, 4), (16, 30, 6), (28, 40, 8)])
def test_sizes_and_parameter_counts(size, n, n_gen):
    assert default_n_components(size) == n
    G = MosaiQGenerator(size, generator=gen())
    D = MosaiQDiscriminator(G.pca, generator=gen(1))
    assert G.circuits.n_generators == n_gen and G.latent_dim == 5
    assert count_parameters(G) == {"quantum": n_gen * 6 * 5, "classical": 0, "total": n_gen * 30}
    d = n * 64 + 64 + 64 * 16 + 16 + 16 + 1
    assert count_parameters(D) == {"quantum": 0, "classical": d, "total": d}
    G.fit_data(images(n + 5, size))
    x = G(G.sample_latent(3, gen(2))).detach()
    assert x.shape == (3, 1, size, size) and float(x.min()) >= 0 and float(x.max()) <= 1
    assert D(x).shape == (3, 1)


def test_generator_output_is_the_inverse_pca_of_the_expectations():
    G = MosaiQGenerator(8, n_components=7, generator=gen()).double()
    G.fit_data(images(20))
    z = G.sample_latent(4, gen(1)).double()
    ev = G.circuits(z * math.pi / 8)  # (4, 10) slots; angles = unit latents x the noise range
    order = mosaiq_ordering(7, 2, 5)
    scaled = torch.stack([ev[:, order.index(c)] for c in range(7)], 1)
    low, high = G.pca.coef_range
    coefs = low + (scaled + 1) / 2 * (high - low)
    want = (coefs @ G.pca.components + G.pca.mean).clamp(0, 1).reshape(4, 1, 8, 8)
    torch.testing.assert_close(G(z), want)
    # the discriminator sees the generator's coefficients back (up to the [0, 1] clipping)
    unclipped = coefs @ G.pca.components + G.pca.mean
    if bool(((unclipped >= 0) & (unclipped <= 1)).all()):
        torch.testing.assert_close(G.pca.encode(G(z)), scaled)


def test_adaptive_noise_range():
    G = MosaiQGenerator(8, n_components=5, generator=gen())
    assert float(G.noise_high) == pytest.approx(math.pi / 8)
    G.observe_losses(1.4, 0.7)  # first ratio 2 is the reference R_0: range stays pi/8
    assert float(G.noise_high) == pytest.approx(math.pi / 8)
    G.observe_losses(1.0, 0.25)  # R = 4 > R_0: range grows
    want = math.pi / 8 + 5 * math.pi / 8 * math.tanh(2.0)
    assert float(G.noise_high) == pytest.approx(want)
    z = G.sample_latent(3, gen(1))
    assert 0 <= float(z.min()) and float(z.max()) < 1  # unit latents, scaled in forward
    with torch.no_grad():
        G.pca.fit(images(10))
        torch.testing.assert_close(G.coefficients(z), G.circuits(z * want)[:, G.slot_of])
    G.observe_losses(0.5, 1.0)  # R below R_0: back to the floor
    assert float(G.noise_high) == pytest.approx(math.pi / 8)
    G.observe_losses(float("nan"), 1.0)  # ignored
    assert float(G.noise_high) == pytest.approx(math.pi / 8)


def test_state_dict_carries_pca_and_noise_range():
    G = MosaiQGenerator(8, n_components=6, generator=gen())
    G.fit_data(images(12))
    G.observe_losses(1.0, 1.0)
    G.observe_losses(3.0, 1.0)
    H = MosaiQGenerator(8, n_components=6, generator=gen(5))
    H.load_state_dict(G.state_dict())
    z = G.sample_latent(3, gen(1))
    assert torch.equal(H.sample_latent(3, gen(1)), z)
    assert torch.equal(H(z), G(z))


def test_bad_input_errors():
    G = MosaiQGenerator(28, generator=gen())
    with pytest.raises(ValueError, match=r"n_components=40.*only 30 training images.*n_components=30"):
        G.fit_data(images(30, 28))
    with pytest.raises(ValueError, match="not fitted"):
        G(G.sample_latent(1, gen()))
    with pytest.raises(ValueError, match="exceeds the 64 pixels"):
        MosaiQGenerator(8, n_components=65)
    with pytest.raises(ValueError, match=r"n_qubits must be between 1 and 12"):
        MosaiQGenerator(8, n_qubits=13)
    with pytest.raises(ValueError, match="identical"):
        MosaiQGenerator(8, n_components=2).fit_data(torch.full((5, 1, 8, 8), 0.5))
    with pytest.raises(ValueError, match=r"shape \(N, 1, 8, 8\)"):
        MosaiQGenerator(8, n_components=2).fit_data(torch.rand(5, 1, 7, 7))
