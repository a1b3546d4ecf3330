"""The patch generator under noise: exact limits, PennyLane default.mixed, Qiskit Aer, shots."""

import math

import pytest
import torch

from qaug import quantum as q
from qaug.quantum import NoiseModel, noisy_patch_patches, patch_generator_patches


def _args(n=5, gens=2, depth=3, batch=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    w = torch.rand(gens, depth, n, generator=g, dtype=torch.float64) * math.pi
    z = torch.rand(batch, n, generator=g, dtype=torch.float64) * math.pi / 2
    return z, w


def _reference_probs(z, w, p, readout):
    """Dense float64 reference: full unitaries, Kraus depolarizing, readout as a bit-flip matrix."""
    n, d = w.shape[2], 2 ** w.shape[2]
    eye = torch.eye(2, dtype=torch.float64)
    paulis = [torch.tensor([[0, 1], [1, 0]], dtype=torch.complex128),
              torch.tensor([[0, -1j], [1j, 0]], dtype=torch.complex128),
              torch.tensor([[1, 0], [0, -1]], dtype=torch.complex128)]

    def on_wire(m, wire):
        out = torch.ones(1, 1, dtype=m.dtype)
        for i in range(n):
            out = torch.kron(out, m if i == wire else eye.to(m.dtype))
        return out

    def ry(t):
        c, s = math.cos(t / 2), math.sin(t / 2)
        return torch.tensor([[c, -s], [s, c]], dtype=torch.complex128)

    cz = torch.diag(torch.tensor([float(q.cz_signs(n, q.chain_czs(n), torch.float64)[k])
                                  for k in range(d)], dtype=torch.complex128))
    flip = torch.tensor([[1 - readout, readout], [readout, 1 - readout]], dtype=torch.float64)
    confusion = torch.ones(1, 1, dtype=torch.float64)
    for _ in range(n):
        confusion = torch.kron(confusion, flip)
    out = torch.zeros(w.shape[0], z.shape[0], d, dtype=torch.float64)
    for g in range(w.shape[0]):
        for b in range(z.shape[0]):
            rho = torch.zeros(d, d, dtype=torch.complex128)
            rho[0, 0] = 1
            for i in range(n):
                u = on_wire(ry(float(z[b, i])), i)
                rho = u @ rho @ u.conj().T
            for layer in range(w.shape[1]):
                for i in range(n):
                    u = on_wire(ry(float(w[g, layer, i])), i)
                    rho = u @ rho @ u.conj().T
                rho = cz @ rho @ cz.conj().T
                for i in range(n):
                    kraus = [math.sqrt(1 - p) * on_wire(torch.eye(2, dtype=torch.complex128), i)]
                    kraus += [math.sqrt(p / 3) * on_wire(P, i) for P in paulis]
                    rho = sum(k @ rho @ k.conj().T for k in kraus)
            out[g, b] = confusion @ rho.diagonal().real
    return out  # (G, batch, d)


def _patches_from_probs(probs, n_ancillas=1):
    n = probs.shape[-1].bit_length() - 1
    kept = probs[..., : 2 ** (n - n_ancillas)]
    return (kept / kept.amax(-1, keepdim=True)).transpose(0, 1).reshape(probs.shape[1], -1)


def test_ideal_noise_is_the_statevector_generator():
    z, w = _args()
    torch.testing.assert_close(noisy_patch_patches(z, w, NoiseModel()), patch_generator_patches(z, w),
                               atol=1e-12, rtol=0)


def test_depolarizing_and_readout_match_a_dense_kraus_reference():
    z, w = _args(n=3, gens=2, depth=2, batch=2)
    ours = noisy_patch_patches(z, w, NoiseModel(depolarizing=0.07, readout=0.03))
    ref = _patches_from_probs(_reference_probs(z, w, 0.07, 0.03))
    torch.testing.assert_close(ours, ref, atol=1e-12, rtol=0)


def test_noise_moves_the_output_and_gradients_flow():
    z, w = _args()
    w.requires_grad_(True)
    out = noisy_patch_patches(z, w, NoiseModel(depolarizing=0.05))
    assert (out - patch_generator_patches(z, w)).abs().max() > 1e-3
    out.sum().backward()
    assert torch.isfinite(w.grad).all() and w.grad.abs().sum() > 0


def test_sampled_frequencies_are_unbiased_and_seeded():
    probs = torch.softmax(torch.randn(3, 16, generator=torch.Generator().manual_seed(0),
                                      dtype=torch.float64), -1)
    a = q.sample_probabilities(probs, 100, torch.Generator().manual_seed(1))
    b = q.sample_probabilities(probs, 100, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and torch.allclose(a.sum(-1), torch.ones(3, dtype=a.dtype))
    assert torch.all((a * 100 - (a * 100).round()).abs() < 1e-9)  # counts / shots
    many = q.sample_probabilities(probs, 400_000, torch.Generator().manual_seed(2))
    # 5 standard errors of a multinomial frequency
    assert torch.all((many - probs).abs() < 5 * (probs * (1 - probs) / 400_000).sqrt() + 1e-12)


def test_shots_are_seeded_noisy_and_keep_the_exact_gradient():
    z, w = _args(batch=2)
    noise, exact = NoiseModel(shots=200, depolarizing=0.02), NoiseModel(depolarizing=0.02)
    a = noisy_patch_patches(z, w, noise, generator=torch.Generator().manual_seed(1))
    b = noisy_patch_patches(z, w, noise, generator=torch.Generator().manual_seed(1))
    c = noisy_patch_patches(z, w, noise, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert (a - noisy_patch_patches(z, w, exact)).abs().max() > 0.01  # 200 shots show
    # Straight-through: the gradient of the shot-estimated distribution is the exact one.
    grads = []
    for nm in (noise, exact):
        weights = w.clone().requires_grad_(True)
        probs = q.noisy_patch_probabilities(z, weights, nm, generator=torch.Generator().manual_seed(1))
        (probs * torch.arange(32, dtype=probs.dtype)).sum().backward()
        grads.append(weights.grad)
    torch.testing.assert_close(grads[0], grads[1], atol=1e-12, rtol=0)


def test_gradient_none_detaches():
    z, w = _args()
    w.requires_grad_(True)
    out = noisy_patch_patches(z, w, NoiseModel(depolarizing=0.01), gradient="none")
    assert not out.requires_grad


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"noise": "shots=10"}, TypeError, "noise must be a NoiseModel"),
    ({"noise": NoiseModel(shots=10)}, ValueError, "needs a torch.Generator"),
    ({"gradient": "shift"}, ValueError, r"gradient must be one of \['surrogate', 'none'\]"),
])
def test_exceptions(kwargs, error, match):
    z, w = _args()
    args = {"noise": NoiseModel(depolarizing=0.01), **kwargs}
    with pytest.raises(error, match=match):
        noisy_patch_patches(z, w, **args)


def test_too_many_qubits_for_density_matrices():
    z, w = _args(n=11, gens=1, depth=1, batch=1)
    with pytest.raises(ValueError, match="4\\*\\*n entries"):
        noisy_patch_patches(z, w, NoiseModel(depolarizing=0.01))


def test_pennylane_default_mixed_agrees():
    qml = pytest.importorskip("pennylane")
    z, w = _args(n=4, gens=2, depth=2, batch=2)
    p, readout = 0.05, 0.02
    n = 4
    dev = qml.device("default.mixed", wires=n)

    @qml.qnode(dev, interface="torch")
    def circuit(zb, wg):
        for i in range(n):
            qml.RY(zb[i], wires=i)
        for layer in range(wg.shape[0]):
            for i in range(n):
                qml.RY(wg[layer, i], wires=i)
            for a, b in q.chain_czs(n):
                qml.CZ(wires=[a, b])
            for i in range(n):
                qml.DepolarizingChannel(p, wires=i)
        for i in range(n):
            qml.BitFlip(readout, wires=i)
        return qml.probs(wires=range(n))

    probs = torch.stack([torch.stack([circuit(z[b], w[g]) for b in range(2)]) for g in range(2)])
    ours = noisy_patch_patches(z, w, NoiseModel(depolarizing=p, readout=readout))
    torch.testing.assert_close(ours, _patches_from_probs(probs.to(torch.float64)), atol=1e-6, rtol=0)


def test_qiskit_aer_agrees_on_the_exported_gates():
    """Independent check: Qiskit Aer's density-matrix simulator with the same noise."""
    pytest.importorskip("qiskit")
    aer = pytest.importorskip("qiskit_aer")
    from qiskit import QuantumCircuit, transpile
    from qiskit_aer.noise import depolarizing_error

    z, w = _args(n=4, gens=1, depth=2, batch=2)
    p, n = 0.05, 4
    ours = noisy_patch_patches(z, w, NoiseModel(depolarizing=p))
    sim = aer.AerSimulator(method="density_matrix")
    for b in range(2):
        qc = QuantumCircuit(n)
        for i in range(n):
            qc.ry(float(z[b, i]), i)
        for layer in range(2):
            for i in range(n):
                qc.ry(float(w[0, layer, i]), i)
            for a, c in q.chain_czs(n):
                qc.cz(a, c)
            for i in range(n):
                # PennyLane's DepolarizingChannel(p) is Qiskit's depolarizing_error(4p/3, 1)
                qc.append(depolarizing_error(4 * p / 3, 1).to_instruction(), [i])
        qc.save_probabilities()
        result = sim.run(transpile(qc, sim)).result()
        little = torch.tensor(result.data()["probabilities"], dtype=torch.float64)
        # Qiskit's index has qubit 0 as the least significant bit; qaug's wire 0 is the most
        big = little.reshape((2,) * n).permute(*reversed(range(n))).reshape(-1)
        ref = _patches_from_probs(big[None, None])
        torch.testing.assert_close(ours[b : b + 1], ref, atol=1e-9, rtol=0)


def _published_args(gens=2, depth=2, n=3, batch=2, rot=False):
    g = torch.Generator().manual_seed(7)
    shape = (gens, depth, n, 3) if rot else (gens, depth, n)
    return (torch.rand(batch, n, generator=g, dtype=torch.float64),
            torch.rand(*shape, generator=g, dtype=torch.float64) * math.pi)


def test_ideal_published_circuits_match_their_statevector_versions():
    z, w = _published_args(rot=True)
    torch.testing.assert_close(q.noisy_pqwgan_probabilities(z, w, NoiseModel()),
                               q.pqwgan_probabilities(z, w), atol=1e-12, rtol=0)
    z, w = _published_args()
    torch.testing.assert_close(q.noisy_mosaiq_expvals(z, w, NoiseModel()), q.mosaiq_expvals(z, w),
                               atol=1e-12, rtol=0)


@pytest.mark.parametrize("which", ["pqwgan", "mosaiq"])
def test_published_circuits_match_default_mixed(which):
    qml = pytest.importorskip("pennylane")
    p, readout, n = 0.04, 0.03, 3
    z, w = _published_args(rot=which == "pqwgan")
    dev = qml.device("default.mixed", wires=n)

    @qml.qnode(dev, interface="torch")
    def circuit(zb, wg):
        for i in range(n):
            qml.RY(zb[i], wires=i)
            if which == "mosaiq":
                qml.RX(zb[i], wires=i)
        for layer in range(wg.shape[0]):
            for i in range(n):
                if which == "pqwgan":
                    qml.Rot(*wg[layer, i], wires=i)
                else:
                    qml.RY(wg[layer, i], wires=i)
            for a in range(n - 1):
                (qml.CNOT if which == "pqwgan" else qml.CZ)(wires=[a, a + 1])
            for i in range(n):
                qml.DepolarizingChannel(p, wires=i)
        for i in range(n):
            if which == "mosaiq":
                qml.Hadamard(wires=i)
            qml.BitFlip(readout, wires=i)
        if which == "mosaiq":
            return [qml.expval(qml.PauliZ(i)) for i in range(n)]
        return qml.probs(wires=range(n))

    noise = NoiseModel(depolarizing=p, readout=readout)
    if which == "pqwgan":
        ours = q.noisy_pqwgan_probabilities(z, w, noise)
        theirs = torch.stack([torch.stack([circuit(z[b], w[g]) for b in range(2)]) for g in range(2)])
    else:
        ours = q.noisy_mosaiq_expvals(z, w, noise)
        theirs = torch.stack([torch.stack([torch.stack(list(circuit(z[b], w[g]))) for b in range(2)])
                              for g in range(2)])
    torch.testing.assert_close(ours, theirs.to(ours.dtype), atol=1e-6, rtol=0)


def test_depolarize_all_equals_the_wire_by_wire_channel():
    from qaug.quantum._noisy_circuits import depolarize_all

    g = torch.Generator().manual_seed(3)
    a = torch.randn(6, 8, 8, generator=g, dtype=torch.complex128)
    rho = a @ a.conj().transpose(-1, -2)
    rho = rho / rho.diagonal(dim1=-2, dim2=-1).sum(-1)[:, None, None]
    ref = q.depolarize(rho, 0.13, range(3))
    torch.testing.assert_close(depolarize_all(rho, 0.13, 3), ref, atol=1e-14, rtol=0)
    torch.testing.assert_close(depolarize_all(rho.reshape(2, 3, 8, 8), 0.13, 3), ref.reshape(2, 3, 8, 8))
