"""Noise model, readout error, shot sampling and the noisy VQC (exactness, analytics, seeds)."""

import dataclasses
import math

import numpy as np
import pytest
import torch
from _dense_reference import cnot_matrix, embed, rot

from qaug import quantum as q
from qaug.quantum import NoiseModel


def vqc_inputs(batch, n, n_layers, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(batch, n, generator=g, dtype=dtype) * 2 - 1) * math.pi
    w = torch.rand(n_layers, n, 2, generator=g, dtype=dtype) * 2 * math.pi
    return x, w


# --- NoiseModel -----------------------------------------------------------------------------

def test_noise_model_defaults_and_parse():
    assert NoiseModel().is_ideal and not NoiseModel(readout=0.1).is_ideal
    m = NoiseModel.from_string(" shots=1000, depolarizing=0.01,readout=0.02 ")
    assert m == NoiseModel(1000, 0.01, 0.02) and not m.is_ideal
    assert NoiseModel.from_string("shots=none,readout=1") == NoiseModel(readout=1.0)
    assert m.to_dict() == {"shots": 1000, "depolarizing": 0.01, "readout": 0.02}
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.shots = 5


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"shots": 0}, ValueError, "shots must be >= 1, or None"),
        ({"shots": 10.0}, TypeError, "shots must be a positive int or None"),
        ({"depolarizing": -0.1}, ValueError, r"depolarizing must be a probability in \[0, 1\]"),
        ({"readout": 2}, ValueError, r"readout must be a probability in \[0, 1\]; got 2"),
        ({"readout": "0.1"}, TypeError, "readout must be a float"),
    ],
)
def test_noise_model_exceptions(kwargs, error, match):
    with pytest.raises(error, match=match):
        NoiseModel(**kwargs)


@pytest.mark.parametrize(
    ("text", "match"),
    [("shot=10", "key one of"), ("shots", "key=value"), ("shots=1e3", "must be an int or 'none'"),
     ("readout=low", "must be a float")],
)
def test_noise_model_parse_errors(text, match):
    with pytest.raises(ValueError, match=match):
        NoiseModel.from_string(text)


# --- readout ------------------------------------------------------------------------------

def test_readout_matches_kron_of_confusion_matrices():
    n, p = 3, 0.13
    probs = torch.rand(4, 2**n, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    probs = probs / probs.sum(1, keepdim=True)
    c = torch.tensor([[1 - p, p], [p, 1 - p]], dtype=torch.float64)
    full = torch.kron(torch.kron(c, c), c)
    torch.testing.assert_close(q.apply_readout_error(probs, n, p), probs @ full.T)
    assert q.apply_readout_error(probs, n, 0.0) is probs


def test_readout_scales_product_state_expvals():
    angles = torch.tensor([[0.3, 2.0, -1.2]], dtype=torch.float64)
    state = q.ry_product_state(angles)
    signs = q.z_signs(3, range(3), torch.float64)
    for p in (0.02, 0.3):
        noisy = q.apply_readout_error(q.probabilities(state), 3, p) @ signs
        torch.testing.assert_close(noisy, (1 - 2 * p) * torch.cos(angles))


# --- shots --------------------------------------------------------------------------------

def test_shots_mean_over_seeds_is_exact_within_standard_errors():
    probs = torch.rand(3, 8, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    probs = probs / probs.sum(1, keepdim=True)
    exact = probs @ q.z_signs(3, range(3), torch.float64)  # (3, 3)
    shots, seeds = 50, 400
    est = torch.stack([
        q.sample_expval_z(probs, 3, shots, torch.Generator().manual_seed(s)) for s in range(seeds)
    ])  # (seeds, 3, 3)
    se = ((1 - exact**2) / (shots * seeds)).sqrt()
    assert ((est.mean(0) - exact).abs() <= 4 * se + 1e-12).all()
    # the spread of single estimates is the binomial one
    torch.testing.assert_close(est.var(0), (1 - exact**2) / shots, atol=0.01, rtol=0.25)


def test_shots_same_seed_same_estimates_and_values_on_grid():
    probs = torch.full((2, 4), 0.25)
    a = q.sample_expval_z(probs, 2, 101, torch.Generator().manual_seed(7))
    b = q.sample_expval_z(probs, 2, 101, torch.Generator().manual_seed(7))
    c = q.sample_expval_z(probs, 2, 101, torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == (2, 2) and a.dtype == torch.float32
    counts = (a + 1) / 2 * 101  # shots with outcome 0: an integer
    torch.testing.assert_close(counts, counts.round(), atol=1e-4, rtol=0)


def test_shots_are_not_differentiable_and_need_a_generator():
    probs = torch.full((1, 2), 0.5, requires_grad=True)
    assert q.sample_expval_z(probs, 1, 10, torch.Generator()).grad_fn is None
    with pytest.raises(TypeError, match="never uses the global RNG"):
        q.sample_expval_z(probs, 1, 10, None)
    with pytest.raises(ValueError, match="shots must be an int >= 1"):
        q.sample_expval_z(probs, 1, 0, torch.Generator())


# --- the noisy VQC ------------------------------------------------------------------------

@pytest.mark.parametrize("reupload", [False, True])
@pytest.mark.parametrize(("n", "n_layers"), [(1, 2), (2, 1), (3, 3), (4, 2), (5, 2)])
def test_ideal_noise_equals_statevector(n, n_layers, reupload):
    x, w = vqc_inputs(6, n, n_layers, dtype=torch.float32)
    exact = q.vqc_expvals(x, w, reupload=reupload)
    noisy = q.noisy_vqc_expvals(x, w, NoiseModel(), reupload=reupload)
    assert noisy.dtype == torch.float32
    torch.testing.assert_close(noisy, exact, atol=1e-5, rtol=0)


def dense_kraus_expvals(x, w, p, readout, reupload):
    """float64 reference: full matrices, every channel as its Kraus sum, layer by layer."""
    n, paulis = x.shape[1], [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]),
                             np.diag([1.0, -1.0])]
    out = []
    for xb in x.tolist():
        psi = embed({i: rot("y", xb[i]) for i in range(n)}, n)[:, 0]
        rho = np.outer(psi, psi.conj())
        for layer, wl in enumerate(w.tolist()):
            u = embed({i: rot("z", wl[i][1]) @ rot("y", wl[i][0] + (xb[i] if reupload and layer
                                                                     else 0.0))
                       for i in range(n)}, n)
            for c, t in q.ring_cnots(n):
                u = cnot_matrix(c, t, n) @ u
            rho = u @ rho @ u.conj().T
            for i in range(n):
                ms = [embed({i: m}, n) for m in paulis]
                rho = (1 - p) * rho + p / 3 * sum(m @ rho @ m for m in ms)
        for i in range(n):
            flip = embed({i: paulis[0]}, n)
            rho = (1 - readout) * rho + readout * flip @ rho @ flip
        out.append([np.trace(embed({i: paulis[2]}, n) @ rho).real for i in range(n)])
    return torch.tensor(out, dtype=torch.float64)


@pytest.mark.parametrize("reupload", [False, True])
@pytest.mark.parametrize(("n", "n_layers"), [(1, 3), (2, 2), (3, 2)])
def test_noisy_vqc_matches_dense_kraus_reference(n, n_layers, reupload):
    x, w = vqc_inputs(3, n, n_layers, seed=n)
    noise = NoiseModel(depolarizing=0.07, readout=0.03)
    torch.testing.assert_close(
        q.noisy_vqc_expvals(x, w, noise, reupload=reupload),
        dense_kraus_expvals(x, w, 0.07, 0.03, reupload), atol=1e-12, rtol=0,
    )


def test_full_depolarizing_sends_expvals_to_zero():
    x, w = vqc_inputs(4, 3, 2)
    out = q.noisy_vqc_expvals(x, w, NoiseModel(depolarizing=0.75, readout=0.1))
    torch.testing.assert_close(out, torch.zeros(4, 3, dtype=torch.float64))


def test_depolarizing_shrinks_one_layer_product_circuit():
    # One qubit, one layer: the channel scales the Bloch vector by 1 - 4p/3.
    x, w = vqc_inputs(5, 1, 1)
    exact = q.vqc_expvals(x, w)
    for p in (0.05, 0.5):
        out = q.noisy_vqc_expvals(x, w, NoiseModel(depolarizing=p, readout=0.1))
        torch.testing.assert_close(out, (1 - 4 * p / 3) * (1 - 0.2) * exact)


def test_noisy_vqc_shots_reproducible_and_unbiased():
    x, w = vqc_inputs(2, 3, 2)
    noise = NoiseModel(shots=200, depolarizing=0.05, readout=0.02)
    exact = q.noisy_vqc_expvals(x, w, dataclasses.replace(noise, shots=None))
    runs = [q.noisy_vqc_expvals(x, w, noise, generator=torch.Generator().manual_seed(s))
            for s in range(100)]
    assert torch.equal(runs[0], q.noisy_vqc_expvals(x, w, noise,
                                                    generator=torch.Generator().manual_seed(0)))
    se = ((1 - exact**2) / (200 * 100)).sqrt()
    assert ((torch.stack(runs).mean(0) - exact).abs() <= 4 * se).all()
    with pytest.raises(ValueError, match="needs a torch.Generator"):
        q.noisy_vqc_expvals(x, w, noise)


@pytest.mark.parametrize("reupload", [False, True])
def test_noisy_vqc_gradcheck(reupload):
    x, w = vqc_inputs(2, 2, 2)
    noise = NoiseModel(depolarizing=0.1, readout=0.05)
    x.requires_grad_(True)
    w.requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda a, b: q.noisy_vqc_expvals(a, b, noise, reupload=reupload), (x, w)
    )


def test_noisy_vqc_exceptions():
    x, w = vqc_inputs(1, 2, 1)
    with pytest.raises(TypeError, match="noise must be a NoiseModel"):
        q.noisy_vqc_expvals(x, w, {"shots": 10})
    with pytest.raises(ValueError, match="between 1 and 10"):
        q.noisy_vqc_expvals(*vqc_inputs(1, 11, 1), NoiseModel())
