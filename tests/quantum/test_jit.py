import pytest
import torch
from _gate_reference import patch_reference, vqc_reference

from qaug import quantum as q
from qaug.quantum import _adjoint, _jit
from qaug.quantum._jit import patch_jit, vqc_jit

pytestmark = pytest.mark.skipif(not _jit.JIT_AVAILABLE, reason="numba is not installed")


def _grads(out, inputs, seed):
    c = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed), dtype=out.dtype)
    return torch.autograd.grad((out * c).sum(), inputs)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8])
@pytest.mark.parametrize("n_layers", [1, 2, 3])
@pytest.mark.parametrize("reupload", [False, True])
@pytest.mark.parametrize("batch", [1, 5, 70])
def test_vqc_values_and_gradients_equal_gate_by_gate(n, n_layers, reupload, batch):
    g = torch.Generator().manual_seed(n * 100 + n_layers * 10 + batch)
    x = (torch.rand(batch, n, generator=g, dtype=torch.float64) * 6 - 3).requires_grad_()
    w = (torch.rand(n_layers, n, 2, generator=g, dtype=torch.float64) * 6.3).requires_grad_()
    out, ref = vqc_jit(x, w, reupload), vqc_reference(x, w, reupload)
    torch.testing.assert_close(out, ref, atol=1e-12, rtol=0)
    for a, b in zip(_grads(out, (x, w), n), _grads(ref, (x, w), n)):
        torch.testing.assert_close(a, b, atol=1e-11, rtol=0)


@pytest.mark.parametrize(("n", "n_anc"), [(1, 0), (3, 1), (5, 1), (5, 2)])
@pytest.mark.parametrize("depth", [1, 3, 6])
@pytest.mark.parametrize("batch", [1, 40])
def test_patch_values_and_gradients_equal_gate_by_gate(n, n_anc, depth, batch):
    g = torch.Generator().manual_seed(n * 10 + depth + batch)
    z = (torch.rand(batch, n, generator=g, dtype=torch.float64) * 1.6).requires_grad_()
    w = torch.rand(3, depth, n, generator=g, dtype=torch.float64).requires_grad_()
    out, ref = patch_jit(z, w, n_anc), patch_reference(z, w, n_anc)
    torch.testing.assert_close(out, ref, atol=1e-12, rtol=0)
    for a, b in zip(_grads(out, (z, w), n), _grads(ref, (z, w), n)):
        torch.testing.assert_close(a, b, atol=1e-10, rtol=0)


@pytest.mark.parametrize("reupload", [False, True])
def test_float32_keeps_its_dtype_and_agrees_with_the_numpy_path(reupload):
    g = torch.Generator().manual_seed(4)
    x = (torch.rand(16, 4, generator=g) * 3).requires_grad_()
    w = (torch.rand(2, 4, 2, generator=g) * 6).requires_grad_()
    out, ref = vqc_jit(x, w, reupload), _adjoint.vqc_adjoint(x, w, reupload)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, ref, atol=2e-6, rtol=0)
    for a, b in zip(_grads(out, (x, w), 1), _grads(ref, (x, w), 1)):
        assert a.dtype == torch.float32
        torch.testing.assert_close(a, b, atol=2e-5, rtol=0)
    z, wp = torch.rand(32, 5, generator=g).requires_grad_(), torch.rand(4, 6, 5, generator=g)
    out, ref = patch_jit(z, wp.requires_grad_(), 1), _adjoint.patch_adjoint(z, wp, 1)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, ref, atol=2e-6, rtol=0)


@pytest.mark.parametrize("reupload", [False, True])
def test_gradcheck_and_gradgradcheck_float64(reupload):
    g = torch.Generator().manual_seed(2)
    x = torch.rand(3, 3, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.rand(3, 3, 2, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: vqc_jit(a, b, reupload), (x, w))
    assert torch.autograd.gradgradcheck(lambda a, b: vqc_jit(a, b, reupload), (x, w))
    z = torch.rand(3, 4, generator=g, dtype=torch.float64, requires_grad=True)
    wp = torch.rand(2, 3, 4, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: patch_jit(a, b, 1), (z, wp))
    assert torch.autograd.gradgradcheck(lambda a, b: patch_jit(a, b, 1), (z, wp))


def test_weights_only_gradients_and_non_contiguous_inputs():
    g = torch.Generator().manual_seed(7)
    x = torch.rand(4, 6, generator=g, dtype=torch.float64)[:, ::2]  # (6, 3)-strided view
    w = torch.rand(2, 3, 2, generator=g, dtype=torch.float64).requires_grad_()
    (a,) = _grads(vqc_jit(x, w, False), (w,), 1)
    (b,) = _grads(vqc_reference(x, w, False), (w,), 1)
    torch.testing.assert_close(a, b, atol=1e-11, rtol=0)


def test_an_input_changed_in_place_before_backward_raises():
    g = torch.Generator().manual_seed(8)
    for fn, x, w in ((lambda a, b: vqc_jit(a, b, False), torch.rand(2, 3, generator=g),
                      torch.rand(2, 3, 2, generator=g)),
                     (lambda a, b: patch_jit(a, b, 1), torch.rand(2, 3, generator=g),
                      torch.rand(2, 2, 3, generator=g))):
        w.requires_grad_()
        out = fn(x, w)
        with torch.no_grad():
            w.add_(0.1)  # e.g. optimizer.step() before loss.backward()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()
        fn(x, w).sum().backward()  # unchanged since its forward: fine
        assert w.grad is not None


def test_dispatch_small_cpu_circuits_here_unless_turned_off(monkeypatch):
    monkeypatch.setattr(_jit, "JIT_ENABLED", True)  # the default
    w = torch.rand(2, 4, 2, requires_grad=True)
    wp = torch.rand(4, 6, 5, requires_grad=True)
    assert type(q.vqc_expvals(torch.rand(16, 4), w).grad_fn).__name__ == "_VQCBackward"
    assert type(q.patch_generator_patches(torch.rand(32, 5), wp).grad_fn).__name__ == "_PatchBackward"
    big = q.vqc_expvals(torch.rand(64, 8), torch.rand(2, 8, 2, requires_grad=True))  # past the limit
    assert type(big.grad_fn).__name__ != "_VQCBackward"
    for fused in (True, False):  # an explicit path is kept
        assert type(q.vqc_expvals(torch.rand(3, 4), w, fused=fused).grad_fn).__name__ != "_VQCBackward"
    assert q.vqc_expvals(torch.rand(0, 4), w).shape == (0, 4)
    monkeypatch.setattr(_jit, "JIT_ENABLED", False)  # QAUG_JIT=0
    assert type(q.vqc_expvals(torch.rand(16, 4), w).grad_fn).__name__ != "_VQCBackward"


@pytest.mark.parametrize(("value", "enabled"), [(None, "True"), ("0", "False"), ("1", "True")])
def test_the_qaug_jit_variable_turns_the_path_off(value, enabled):
    import os
    import subprocess
    import sys

    code = "from qaug.quantum import _jit; print(_jit.JIT_ENABLED)"
    env = {k: v for k, v in os.environ.items() if k != "QAUG_JIT"}
    if value is not None:
        env["QAUG_JIT"] = value
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == enabled


@pytest.mark.parametrize("cls", ["VQCLayer", "ReuploadingVQCLayer"])
@pytest.mark.parametrize("batch", [1, 16])
def test_the_layers_one_call_path_equals_the_general_path_bit_for_bit(cls, batch, monkeypatch):
    from qaug import models

    monkeypatch.setattr(_jit, "JIT_ENABLED", True)
    layer = getattr(models, cls)(4, 3, generator=torch.Generator().manual_seed(batch))
    x = torch.rand(batch, 4, generator=torch.Generator().manual_seed(1)).requires_grad_()
    out = layer(x)
    assert type(out.grad_fn).__name__ == "_VQCBackward"
    gx, gw = _grads(out, (x, layer.weights), 2)
    ref = q.vqc_expvals(x, layer.weights, reupload=layer.reupload)  # checks, then vqc_jit
    rx, rw = _grads(ref, (x, layer.weights), 2)
    assert torch.equal(out, ref) and torch.equal(gx, rx) and torch.equal(gw, rw)


def test_the_layers_one_call_path_leaves_other_inputs_to_the_general_path(monkeypatch):
    monkeypatch.setattr(_jit, "JIT_ENABLED", True)
    from qaug.models import VQCLayer

    layer = VQCLayer(4, 2)
    ref = layer(torch.rand(3, 4, generator=torch.Generator().manual_seed(0)).double())
    assert ref.dtype == torch.float64 and type(ref.grad_fn).__name__ == "_VQCBackward"  # promoted
    for bad, match in ((torch.rand(3, 5), r"\(batch, 4\)"), (torch.rand(4), r"\(batch, 4\)"),
                       ([[0.0] * 4], "must be a torch.Tensor")):
        with pytest.raises((ValueError, TypeError), match=match):
            layer(bad)
    x = torch.zeros(2, 4)
    x[1, 2] = float("inf")
    with pytest.raises(ValueError, match="input angles x of VQCLayer holds 1 NaN or infinite"):
        layer(x)
    assert _jit.vqc_layer_jit(torch.rand(3, 4), layer.weights, False, "VQCLayer") is not None


def test_the_layers_one_call_path_leaves_functorch_transforms_to_function_apply(monkeypatch):
    monkeypatch.setattr(torch._C, "_are_functorch_transforms_active", lambda: True)
    assert _jit.vqc_layer_jit(torch.rand(3, 4), torch.rand(2, 4, 2), False, "VQCLayer") is None
