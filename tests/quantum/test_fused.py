import numpy as np
import pytest
import torch
from _dense_reference import cnot_matrix, cz_matrix
from _gate_reference import patch_reference, vqc_reference

from qaug import quantum as q


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7])
def test_kron_factors_matches_torch_kron(n):
    f = torch.randn(3, n, 2, 2, generator=torch.Generator().manual_seed(n), dtype=torch.float64)
    out = q.kron_factors(f)  # (3, 2**n, 2**n)
    for b in range(3):
        ref = f[b, 0]
        for i in range(1, n):
            ref = torch.kron(ref, f[b, i])
        torch.testing.assert_close(out[b], ref)


@pytest.mark.parametrize("n", [1, 3, 5, 6])
def test_product_vector_matches_ry_product_state(n):
    angles = torch.rand(4, n, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    vecs = torch.stack([torch.cos(angles / 2), torch.sin(angles / 2)], -1)
    ref = q.ry_product_state(angles).reshape(4, -1).real
    torch.testing.assert_close(q.product_vector(vecs), ref)


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_cnot_ring_permutation_matches_dense(n):
    cnots = q.ring_cnots(n)
    dense = np.eye(2**n)
    for c, t in cnots:
        dense = cnot_matrix(c, t, n).real @ dense
    perm = q.entangler_permutation(n, cnots)
    np.testing.assert_array_equal(np.eye(2**n)[perm.numpy()], dense)


def test_ring_cnots_small_cases():
    assert q.ring_cnots(1) == []
    assert q.ring_cnots(2) == [(0, 1)]
    assert q.ring_cnots(3) == [(0, 1), (1, 2), (2, 0)]


def test_cz_signs_match_dense():
    n = 4
    dense = np.eye(2**n)
    for a, b in q.chain_czs(n):
        dense = cz_matrix(a, b, n).real @ dense
    np.testing.assert_array_equal(
        np.diag(dense), q.cz_signs(n, q.chain_czs(n), torch.float64).numpy()
    )


@pytest.mark.parametrize("batched", [False, True])
def test_apply_wirewise_matches_kron(batched):
    g = torch.Generator().manual_seed(2)
    n, batch = 3, 4
    mats = torch.randn((batch, n, 2, 2) if batched else (n, 2, 2), generator=g, dtype=torch.float64)
    psi = torch.randn(batch, 2**n, generator=g, dtype=torch.float64)
    full = q.kron_factors(mats)
    ref = (full @ psi[..., None])[..., 0] if batched else psi @ full.T
    torch.testing.assert_close(q.apply_wirewise(psi, mats), ref)


def test_chain_product_order():
    m = torch.randn(3, 4, 4, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    torch.testing.assert_close(q.chain_product(m), m[2] @ m[1] @ m[0])


@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize("n_layers", [1, 3])
@pytest.mark.parametrize("reupload", [False, True])
def test_vqc_both_paths_equal_gate_by_gate(n, n_layers, reupload, monkeypatch):
    from qaug.quantum import _adjoint

    monkeypatch.setattr(_adjoint, "ADJOINT_MAX_WORK", 0)  # the autograd path (adjoint: test_adjoint)
    g = torch.Generator().manual_seed(n * 10 + n_layers)
    x = torch.rand(5, n, generator=g, dtype=torch.float64) * 6 - 3
    w = torch.rand(n_layers, n, 2, generator=g, dtype=torch.float64) * 2 * np.pi
    ref = vqc_reference(x, w, reupload)
    for fused in (True, False):
        out = q.vqc_expvals(x, w, reupload=reupload, fused=fused)
        torch.testing.assert_close(out, ref, atol=1e-12, rtol=0)


@pytest.mark.parametrize(("n", "n_anc"), [(1, 0), (3, 1), (5, 1), (5, 2)])
def test_patch_both_paths_equal_gate_by_gate(n, n_anc, monkeypatch):
    from qaug.quantum import _adjoint

    monkeypatch.setattr(_adjoint, "ADJOINT_MAX_WORK", 0)  # the autograd path (adjoint: test_adjoint)
    g = torch.Generator().manual_seed(n)
    z = torch.rand(4, n, generator=g, dtype=torch.float64) * np.pi / 2
    w = torch.rand(3, 2, n, generator=g, dtype=torch.float64)
    ref = patch_reference(z, w, n_anc)
    for fused in (True, False):
        out = q.patch_generator_patches(z, w, n_anc, fused=fused)
        assert out.shape == (4, 3 * 2 ** (n - n_anc))
        torch.testing.assert_close(out, ref, atol=1e-12, rtol=0)


def test_vqc_reupload_single_layer_equals_plain():
    g = torch.Generator().manual_seed(4)
    x, w = torch.rand(3, 4, generator=g), torch.rand(1, 4, 2, generator=g)
    torch.testing.assert_close(q.vqc_expvals(x, w, reupload=True), q.vqc_expvals(x, w))


def test_circuit_argument_errors():
    with pytest.raises(
        ValueError, match=r"weights must have shape \(n_layers, n_qubits, 2\) = \(n_layers, 3, 2\)"
    ):
        q.vqc_expvals(torch.zeros(2, 3), torch.zeros(1, 2, 2))
    with pytest.raises(ValueError, match=r"z must have shape \(batch, n_qubits\) = \(batch, 5\)"):
        q.patch_generator_patches(torch.zeros(2, 4), torch.zeros(1, 1, 5))
    with pytest.raises(ValueError, match=r"n_ancillas must be between 0 and n_qubits - 1 = 4"):
        q.patch_generator_patches(torch.zeros(2, 5), torch.zeros(1, 1, 5), 5)


@pytest.mark.parametrize("batch", [2, 16])
def test_apply_layers_both_orders(batch):
    g = torch.Generator().manual_seed(5)
    m = torch.randn(3, 4, 8, 8, generator=g, dtype=torch.float64)  # (G, L, d, d)
    psi = torch.randn(batch, 8, generator=g, dtype=torch.float64)
    ref = psi @ (m[:, 3] @ m[:, 2] @ m[:, 1] @ m[:, 0]).transpose(-1, -2)  # (G, batch, d)
    torch.testing.assert_close(q.apply_layers(psi, m), ref)


def test_apply_wirewise_broadcasts_leading_dims():
    g = torch.Generator().manual_seed(6)
    mats = torch.randn(3, 1, 4, 2, 2, generator=g, dtype=torch.float64)  # (G, 1, n, 2, 2)
    psi = torch.randn(3, 5, 16, generator=g, dtype=torch.complex128)  # (G, batch, 2**n)
    ref = psi @ q.kron_factors(mats[:, 0]).to(psi.dtype).transpose(-1, -2)  # (G, batch, 16)
    torch.testing.assert_close(q.apply_wirewise(psi, mats), ref)


@pytest.mark.parametrize("fused", [True, False])
def test_vqc_expvals_mixed_dtypes_match_float64(fused):
    g = torch.Generator().manual_seed(3)
    x = torch.rand(5, 4, generator=g, dtype=torch.float64)
    w = torch.rand(3, 4, 2, generator=g)  # float32 weights, float64 inputs
    out = q.vqc_expvals(x, w, fused=fused)
    ref = q.vqc_expvals(x, w.double(), fused=fused)
    assert out.dtype == torch.float64
    torch.testing.assert_close(out, ref)


@pytest.mark.parametrize("path", ["trig", "gather", "tree"])
@pytest.mark.parametrize("n_layers", [1, 2, 3])
@pytest.mark.parametrize("reupload", [False, True])
def test_vqc_compact_table_paths_equal_gate_by_gate(monkeypatch, path, n_layers, reupload):
    from qaug.quantum import _adjoint, _compact

    monkeypatch.setattr(_adjoint, "ADJOINT_MAX_WORK", 0)  # the autograd path
    limits = {"trig": (1 << 30, 1 << 30), "gather": (0, 1 << 30), "tree": (0, 0)}[path]
    monkeypatch.setattr(_compact, "TRIG_MAX_ELEMENTS", limits[0])
    monkeypatch.setattr(_compact, "GATHER_MAX_ELEMENTS", limits[1])
    g = torch.Generator().manual_seed(n_layers)
    x = torch.rand(3, 4, generator=g, dtype=torch.float64) * 6 - 3
    w = torch.rand(n_layers, 4, 2, generator=g, dtype=torch.float64) * 2 * np.pi
    out = q.vqc_expvals(x, w, reupload=reupload, fused=True)
    torch.testing.assert_close(out, vqc_reference(x, w, reupload))


@pytest.mark.parametrize("path", ["trig", "gather", "tree"])
@pytest.mark.parametrize("batch", [2, 40])  # 40 > 2**5: circuit matrices multiplied first
def test_patch_compact_table_paths_equal_gate_by_gate(monkeypatch, path, batch):
    from qaug.quantum import _adjoint, _compact

    monkeypatch.setattr(_adjoint, "ADJOINT_MAX_WORK", 0)  # the autograd path
    limits = {"trig": (1 << 30, 1 << 30), "gather": (0, 1 << 30), "tree": (0, 0)}[path]
    monkeypatch.setattr(_compact, "TRIG_MAX_ELEMENTS", limits[0])
    monkeypatch.setattr(_compact, "GATHER_MAX_ELEMENTS", limits[1])
    g = torch.Generator().manual_seed(batch)
    z = torch.rand(batch, 5, generator=g, dtype=torch.float64)
    w = torch.rand(3, 4, 5, generator=g, dtype=torch.float64)
    torch.testing.assert_close(q.patch_generator_patches(z, w, 1, fused=True), patch_reference(z, w, 1))


@pytest.mark.parametrize("n", [1, 3, 5, 9])
@pytest.mark.parametrize("per_state", [False, True])
@pytest.mark.parametrize("block", [1, 4])
def test_apply_wire_blocks_matches_apply_wirewise(n, per_state, block):
    g = torch.Generator().manual_seed(n)
    psi = torch.randn(3, 2, 2**n, generator=g, dtype=torch.float64)  # (B, planes, 2**n)
    mats = torch.randn(*((3,) if per_state else ()), n, 2, 2, generator=g, dtype=torch.float64)
    ref = q.apply_wirewise(psi, mats[:, None] if per_state else mats)
    torch.testing.assert_close(q.apply_wire_blocks(psi, mats, block), ref)


@pytest.mark.parametrize(("n", "n_layers", "reupload"), [(9, 3, False), (9, 2, True), (6, 1, False)])
def test_vqc_wire_by_wire_gradients_equal_the_matrix_path(n, n_layers, reupload):
    from qaug.quantum._compact import vqc_compact

    g = torch.Generator().manual_seed(n + n_layers)
    x = (torch.rand(3, n, generator=g, dtype=torch.float64) * 6 - 3).requires_grad_()
    w = (torch.rand(n_layers, n, 2, generator=g, dtype=torch.float64) * 6.3).requires_grad_()
    out, ref = q.vqc_expvals(x, w, reupload=reupload, fused=False), vqc_compact(x, w, reupload)
    torch.testing.assert_close(out, ref, atol=1e-12, rtol=0)
    for a, b in zip(torch.autograd.grad(out.sum(), (x, w)), torch.autograd.grad(ref.sum(), (x, w))):
        torch.testing.assert_close(a, b, atol=1e-11, rtol=0)


@pytest.mark.parametrize("path", ["adjoint", "compact", "wire"])
def test_empty_batches_give_empty_outputs(monkeypatch, path):
    from qaug.quantum import _adjoint

    if path != "adjoint":
        monkeypatch.setattr(_adjoint, "ADJOINT_MAX_WORK", -1)
    fused = path != "wire"
    assert q.vqc_expvals(torch.zeros(0, 3), torch.zeros(2, 3, 2), fused=fused).shape == (0, 3)
    out = q.patch_generator_patches(torch.zeros(0, 5), torch.zeros(4, 2, 5), 1, fused=fused)
    assert out.shape == (0, 64)
