import pytest
import torch
from _gate_reference import patch_reference, vqc_reference

from qaug import quantum as q
from qaug.quantum import _adjoint, _adjoint_tables, _jit
from qaug.quantum._adjoint import patch_adjoint, vqc_adjoint

PATHS = {  # (TRIG_MAX_ELEMENTS, COEFFICIENT_MAX_QUBITS) of _adjoint_tables
    "trig+coefficients": (1 << 30, 12),
    "kron+gather": (0, 0),
}


@pytest.fixture(params=sorted(PATHS))
def table_path(request, monkeypatch):
    trig, coef = PATHS[request.param]
    monkeypatch.setattr(_adjoint_tables, "TRIG_MAX_ELEMENTS", trig)
    monkeypatch.setattr(_adjoint_tables, "COEFFICIENT_MAX_QUBITS", coef)
    return request.param


def _grads(out, inputs, seed):
    c = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed), dtype=out.dtype)
    return torch.autograd.grad((out * c).sum(), inputs)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 6])
@pytest.mark.parametrize("n_layers", [1, 2, 3])
@pytest.mark.parametrize("reupload", [False, True])
@pytest.mark.parametrize("batch", [1, 5, 70])
def test_vqc_values_and_gradients_equal_gate_by_gate(table_path, n, n_layers, reupload, batch):
    g = torch.Generator().manual_seed(n * 100 + n_layers * 10 + batch)
    x = (torch.rand(batch, n, generator=g, dtype=torch.float64) * 6 - 3).requires_grad_()
    w = (torch.rand(n_layers, n, 2, generator=g, dtype=torch.float64) * 6.3).requires_grad_()
    out, ref = vqc_adjoint(x, w, reupload), vqc_reference(x, w, reupload)
    torch.testing.assert_close(out, ref, atol=1e-12, rtol=0)
    for a, b in zip(_grads(out, (x, w), n), _grads(ref, (x, w), n)):
        torch.testing.assert_close(a, b, atol=1e-11, rtol=0)


@pytest.mark.parametrize(("n", "n_anc"), [(1, 0), (3, 1), (5, 1), (5, 2)])
@pytest.mark.parametrize("depth", [1, 3])
@pytest.mark.parametrize("batch", [1, 40])  # 40 > 2**5
def test_patch_values_and_gradients_equal_gate_by_gate(table_path, n, n_anc, depth, batch):
    g = torch.Generator().manual_seed(n * 10 + depth + batch)
    z = (torch.rand(batch, n, generator=g, dtype=torch.float64) * 1.6).requires_grad_()
    w = torch.rand(3, depth, n, generator=g, dtype=torch.float64).requires_grad_()
    out, ref = patch_adjoint(z, w, n_anc), patch_reference(z, w, n_anc)
    torch.testing.assert_close(out, ref, atol=1e-12, rtol=0)
    for a, b in zip(_grads(out, (z, w), n), _grads(ref, (z, w), n)):
        torch.testing.assert_close(a, b, atol=1e-10, rtol=0)


def test_weights_only_gradients_match_with_and_without_input_gradients():
    g = torch.Generator().manual_seed(7)
    x, w = torch.rand(6, 4, generator=g), torch.rand(3, 4, 2, generator=g).requires_grad_()
    (a,) = _grads(vqc_adjoint(x, w, False), (w,), 1)
    (b,) = _grads(vqc_adjoint(x.requires_grad_(), w, False), (w,), 1)
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize("reupload", [False, True])
def test_vqc_gradcheck_and_gradgradcheck_float64(reupload):
    g = torch.Generator().manual_seed(2)
    x = torch.rand(3, 3, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.rand(3, 3, 2, generator=g, dtype=torch.float64, requires_grad=True)
    fn = lambda a, b: vqc_adjoint(a, b, reupload)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (x, w))
    assert torch.autograd.gradgradcheck(fn, (x, w))  # second order through the autograd path


def test_patch_gradcheck_and_gradgradcheck_float64():
    g = torch.Generator().manual_seed(3)
    z = torch.rand(3, 4, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.rand(2, 3, 4, generator=g, dtype=torch.float64, requires_grad=True)
    fn = lambda a, b: patch_adjoint(a, b, 1)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (z, w))
    assert torch.autograd.gradgradcheck(fn, (z, w))


def test_float32_agrees_with_float64_and_keeps_its_dtype():
    g = torch.Generator().manual_seed(4)
    x, w = torch.rand(16, 4, generator=g) * 3, torch.rand(2, 4, 2, generator=g) * 6
    out = vqc_adjoint(x, w, False)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out.double(), vqc_adjoint(x.double(), w.double(), False),
                               atol=2e-6, rtol=0)


def test_dispatch_small_cpu_work_to_the_adjoint_path(monkeypatch):
    monkeypatch.setattr(_jit, "JIT_ENABLED", False)  # the path without the compiled loops
    x, w = torch.rand(4, 4), torch.rand(2, 4, 2, requires_grad=True)
    z, wp = torch.rand(2, 5), torch.rand(4, 6, 5, requires_grad=True)
    assert "_Circuit" in type(q.vqc_expvals(x, w).grad_fn).__name__
    assert "_Circuit" in type(q.patch_generator_patches(z, wp).grad_fn).__name__
    monkeypatch.setattr(_adjoint, "ADJOINT_MAX_WORK", 0)
    assert "_Circuit" not in type(q.vqc_expvals(x, w).grad_fn).__name__
    assert "_Circuit" not in type(q.patch_generator_patches(z, wp).grad_fn).__name__
