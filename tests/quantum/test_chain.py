"""The two-layer parity chain (qaug.quantum._chain) against the gate-by-gate circuit."""

import pytest
import torch
from _gate_reference import vqc_reference

from qaug import quantum as q
from qaug.quantum import _chain, _jit
from qaug.quantum._chain import CHAIN_MIN_QUBITS, ring_is_prefix_parity, vqc_chain

pytestmark = pytest.mark.skipif(not _jit.JIT_AVAILABLE, reason="needs numba")


def _inputs(n, batch, dtype=torch.float64, seed=0, n_layers=2):
    g = torch.Generator().manual_seed(seed + 100 * n + batch)
    x = (torch.rand(batch, n, generator=g, dtype=dtype) * 6 - 3).requires_grad_()
    w = (torch.rand(n_layers, n, 2, generator=g, dtype=dtype) * 6.3).requires_grad_()
    return x, w


def _grads(out, inputs, seed=1):
    g = torch.Generator().manual_seed(seed)
    c = torch.randn(out.shape, generator=g, dtype=torch.float64).to(out.dtype)
    return torch.autograd.grad((out * c).sum(), inputs)


def _check(out, ref, inputs, atol):
    torch.testing.assert_close(out, ref, atol=atol, rtol=0)
    for a, b in zip(_grads(out, inputs), _grads(ref, inputs)):
        torch.testing.assert_close(a, b, atol=atol, rtol=0)


@pytest.mark.parametrize("n", [3, 4, 5, 7, 9])
@pytest.mark.parametrize("reupload", [False, True])
@pytest.mark.parametrize("batch", [1, 6])
def test_values_and_gradients_equal_gate_by_gate(n, reupload, batch):
    x, w = _inputs(n, batch)
    _check(vqc_chain(x, w, reupload), vqc_reference(x, w, reupload), (x, w), 1e-10)


@pytest.mark.parametrize("reupload", [False, True])
def test_twelve_qubits_equal_the_state_vector_path(reupload):
    x, w = _inputs(12, 3)
    _check(vqc_chain(x, w, reupload), q.vqc_expvals(x, w, reupload=reupload, fused=False),
           (x, w), 1e-10)


def test_float32_keeps_its_dtype_and_agrees_with_float64():
    x, w = _inputs(10, 4, torch.float32)
    out = vqc_chain(x, w, False)
    assert out.dtype == torch.float32
    x64, w64 = (t.detach().double().requires_grad_() for t in (x, w))
    ref = vqc_chain(x64, w64, False)
    torch.testing.assert_close(out.double(), ref, atol=1e-6, rtol=0)
    for a, b in zip(_grads(out, (x, w)), _grads(ref, (x64, w64))):
        assert a.dtype == torch.float32
        torch.testing.assert_close(a.double(), b, atol=1e-5, rtol=0)


def test_gradgradcheck_goes_through_the_autograd_path():
    x, w = _inputs(3, 2)
    fn = lambda a, b: vqc_chain(a, b, True)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (x, w))
    assert torch.autograd.gradgradcheck(fn, (x, w))


def test_weights_only_and_in_place_changes():
    x, w = _inputs(9, 3)
    (a,) = _grads(vqc_chain(x.detach(), w, False), (w,))
    (b,) = _grads(vqc_chain(x, w, False), (w,))
    torch.testing.assert_close(a, b)
    out = vqc_chain(x, w, False)
    with torch.no_grad():
        w.add_(0.1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_the_ring_is_a_prefix_parity_map_from_three_wires():
    assert not ring_is_prefix_parity(2)
    assert all(ring_is_prefix_parity(n) for n in range(3, 15))


def test_dispatch_two_layers_from_nine_wires_only(monkeypatch):
    calls = []
    real = _chain.vqc_chain
    monkeypatch.setattr("qaug.quantum._circuits.vqc_chain",
                        lambda *a: calls.append(a[0].shape) or real(*a))
    for n, layers, batch in [(CHAIN_MIN_QUBITS, 2, 1), (12, 2, 64)]:
        x, w = _inputs(n, batch, torch.float32, n_layers=layers)
        q.vqc_expvals(x, w)
    assert len(calls) == 2
    for n, layers in [(CHAIN_MIN_QUBITS - 1, 2), (4, 2), (12, 3), (12, 1)]:  # presets: 4 qubits
        q.vqc_expvals(*_inputs(n, 2, torch.float32, n_layers=layers))
    x, w = _inputs(12, 2)
    q.vqc_expvals(x, w, fused=False)
    monkeypatch.setattr(_jit, "JIT_ENABLED", False)  # QAUG_JIT=0: the numpy paths
    q.vqc_expvals(x, w)
    assert len(calls) == 2
