import pytest
import torch
from _gate_reference import vqc_reference

from qaug import quantum as q
from qaug.quantum import _adjoint, _compact, _jit, _statevec, _workspace
from qaug.quantum._statevec import vqc_statevec


def _grads(out, inputs, seed):
    g = torch.Generator().manual_seed(seed)
    c = torch.randn(out.shape, generator=g, dtype=torch.float64).to(out.dtype)
    return torch.autograd.grad((out * c).sum(), inputs)


def _inputs(n, n_layers, batch, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed + n * 100 + n_layers * 10 + batch)
    x = (torch.rand(batch, n, generator=g, dtype=dtype) * 6 - 3).requires_grad_()
    w = (torch.rand(n_layers, n, 2, generator=g, dtype=dtype) * 6.3).requires_grad_()
    return x, w


def _check(out, ref, inputs, atol):
    torch.testing.assert_close(out, ref, atol=atol, rtol=0)
    for a, b in zip(_grads(out, inputs, 1), _grads(ref, inputs, 1)):
        torch.testing.assert_close(a, b, atol=atol, rtol=0)


@pytest.mark.parametrize("n", [6, 7, 9])
@pytest.mark.parametrize("n_layers", [1, 2, 3])
@pytest.mark.parametrize("reupload", [False, True])
@pytest.mark.parametrize("batch", [1, 5, 70])
def test_values_and_gradients_equal_gate_by_gate(n, n_layers, reupload, batch):
    x, w = _inputs(n, n_layers, batch)
    _check(vqc_statevec(x, w, reupload), vqc_reference(x, w, reupload), (x, w), 1e-10)


@pytest.mark.parametrize(("n", "n_layers", "batch"), [(8, 3, 5), (10, 2, 2), (12, 2, 1), (12, 3, 2)])
@pytest.mark.parametrize("reupload", [False, True])
def test_larger_registers_equal_the_wire_by_wire_path(n, n_layers, batch, reupload):
    x, w = _inputs(n, n_layers, batch)
    ref = q.vqc_expvals(x, w, reupload=reupload, fused=False)
    _check(vqc_statevec(x, w, reupload), ref, (x, w), 1e-10)


@pytest.mark.parametrize("block", [1, 2, 3, 5])
def test_any_block_size_gives_the_same_circuit(monkeypatch, block):
    monkeypatch.setattr(_statevec, "BLOCK_QUBITS", block)
    x, w = _inputs(7, 3, 4)
    for reupload in (False, True):
        _check(vqc_statevec(x, w, reupload), vqc_reference(x, w, reupload), (x, w), 1e-10)


@pytest.mark.parametrize("n", [6, 8, 12])
def test_float32_agrees_with_float64_and_keeps_its_dtype(n):
    x, w = _inputs(n, 2, 3, torch.float32)
    out = vqc_statevec(x, w, False)
    assert out.dtype == torch.float32
    x64, w64 = (t.detach().double().requires_grad_() for t in (x, w))
    torch.testing.assert_close(out.double(), vqc_statevec(x64, w64, False), atol=1e-5, rtol=0)
    for a, b in zip(_grads(out, (x, w), 2), _grads(vqc_statevec(x64, w64, False), (x64, w64), 2)):
        assert a.dtype == torch.float32
        torch.testing.assert_close(a.double(), b, atol=1e-5, rtol=0)


@pytest.mark.parametrize("reupload", [False, True])
def test_gradcheck_and_gradgradcheck_float64(monkeypatch, reupload):
    monkeypatch.setattr(_statevec, "BLOCK_QUBITS", 2)  # 3 wires in two blocks: fast, general
    x, w = _inputs(3, 3, 2)
    fn = lambda a, b: vqc_statevec(a, b, reupload)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (x.detach().requires_grad_(), w.detach().requires_grad_()))
    assert torch.autograd.gradgradcheck(fn, (x.detach().requires_grad_(),
                                             w.detach().requires_grad_()))


def test_weights_only_gradients_match_with_and_without_input_gradients():
    x, w = _inputs(6, 3, 6)
    (a,) = _grads(vqc_statevec(x.detach(), w, False), (w,), 1)
    (b,) = _grads(vqc_statevec(x, w, False), (w,), 1)
    torch.testing.assert_close(a, b)


def test_dispatch_from_six_qubits_on_cpu_only(monkeypatch):
    """n >= 6 (CPU float) runs here; n <= 5, explicit ``fused`` and empty batches do not."""
    monkeypatch.setattr(_jit, "JIT_ENABLED", False)  # small sizes: the compiled loops first
    calls = []
    real = _statevec.vqc_statevec
    monkeypatch.setattr("qaug.quantum._circuits.vqc_statevec",
                        lambda *a: calls.append(a[0].shape) or real(*a))
    w6 = torch.rand(2, 6, 2, requires_grad=True)
    q.vqc_expvals(torch.rand(3, 6), w6)
    q.vqc_expvals(torch.rand(3, 6, dtype=torch.float64), w6.double(), reupload=True)
    assert len(calls) == 2
    for n in range(1, 6):  # the presets' sizes: the earlier paths, unchanged
        out = q.vqc_expvals(torch.rand(3, n), torch.rand(2, n, 2, requires_grad=True))
        assert "_Circuit" in type(out.grad_fn).__name__
    for fused in (True, False):
        q.vqc_expvals(torch.rand(3, 6), w6, fused=fused)
    assert q.vqc_expvals(torch.rand(0, 6), w6).shape == (0, 6)
    assert q.vqc_expvals(torch.rand(3, 6, dtype=torch.float16), w6.half()).dtype == torch.float16
    assert len(calls) == 2


def test_presets_sizes_keep_their_arithmetic(monkeypatch):
    """Without the compiled loops, at n <= 5 the output is bit for bit that of the adjoint (or
    compact) path, as before."""
    monkeypatch.setattr(_jit, "JIT_ENABLED", False)
    for n in range(1, 6):
        for reupload in (False, True):
            x, w = _inputs(n, 2, 7, torch.float32)
            out = q.vqc_expvals(x, w, reupload=reupload)
            ref = _adjoint.vqc_adjoint(x, w, reupload)
            assert torch.equal(out, ref)
            assert all(torch.equal(a, b) for a, b in zip(_grads(out, (x, w), 3),
                                                          _grads(ref, (x, w), 3)))
    x, w = _inputs(5, 2, 1100, torch.float32)  # beyond the adjoint path's work limit
    assert torch.equal(q.vqc_expvals(x, w), _compact.vqc_compact(x, w, False))


def test_empty_batch_gives_empty_output():
    x, w = _inputs(7, 2, 0)
    out = q.vqc_expvals(x, w)
    assert out.shape == (0, 7)
    out.sum().backward()
    assert w.grad.shape == w.shape


@pytest.mark.parametrize("reupload", [False, True])
def test_pooled_buffers_are_never_shared_between_live_graphs(monkeypatch, reupload):
    """Every array from the buffer pool (here: all) belongs to one graph until it is freed."""
    monkeypatch.setattr(_workspace, "MIN_BYTES", 0)
    inputs = [_inputs(8, 3, 4, seed=s) for s in range(3)]
    refs = [vqc_reference(x, w, reupload) for x, w in inputs]
    ref_grads = [_grads(r, xw, 5) for r, xw in zip(refs, inputs)]
    for _ in range(2):  # the second round reuses the first round's (released) buffers
        outs = [vqc_statevec(x, w, reupload) for x, w in inputs]  # three graphs alive at once
        for out, ref in zip(outs, refs):
            torch.testing.assert_close(out, ref, atol=1e-10, rtol=0)
        for out, xw, want in zip(outs[::-1], inputs[::-1], ref_grads[::-1]):
            c = torch.randn(out.shape, generator=torch.Generator().manual_seed(5),
                            dtype=torch.float64)
            first = torch.autograd.grad((out * c).sum(), xw, retain_graph=True)
            again = torch.autograd.grad((out * c).sum(), xw)  # same saved states, kept
            for a, b, r in zip(first, again, want):
                torch.testing.assert_close(a, r, atol=1e-10, rtol=0)
                torch.testing.assert_close(b, r, atol=1e-10, rtol=0)
    assert _workspace._local.size <= _workspace.MAX_POOL_BYTES
