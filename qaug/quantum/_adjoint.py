"""Small registers on the CPU: forward and adjoint-method backward in one autograd Function.

At the models' sizes (4-8 qubits, batches of 1-256) a circuit costs about one unit per
tensor operation, forward and backward alike, and an eager torch operation (with its
autograd bookkeeping) costs several times a numpy one. So here each circuit is one
``torch.autograd.Function`` whose forward and backward are a few numpy operations:

- forward: the product state of the encoding and first rotations, then per layer one
  ``2**n x 2**n`` matrix applied with one matmul (all sub-generators of the patch circuit in
  one batched matmul): the RY tensor product, with the CNOT ring (a row permutation) and the
  RZ layer before it (basis-state phases) folded in for the VQC, the CZ chain (signs) for
  the patch circuit; the states after each RY layer are kept;
- backward (adjoint method, Jones & Gacon 2020): the adjoint ``lam`` starts as the
  observable times the final state and runs back through the layers' inverses; the gradient
  of an RY angle on wire w is ``Re <lam| -i Y_w |state>`` at that point (a signed index
  permutation, ``_adjoint_tables.ry_grads``), of an RZ angle ``Im <lam| Z_w |state>``.

The values are those of the gate-by-gate circuits (``_circuits`` dispatches here; the tests
check both against PennyLane and ``gradcheck`` in float64). A backward with
``create_graph=True`` (a gradient of a gradient) recomputes through the autograd path
(``_compact``), so higher derivatives stay exact too.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from ._adjoint_tables import chain_signs, cos_product, ry_grads, summed_grads, wire_tables
from ._compact import patch_compact, vqc_compact
from ._tables import ring_permutation

__all__ = ["adjoint_fits", "vqc_adjoint", "patch_adjoint", "ADJOINT_MAX_WORK", "ADJOINT_MAX_QUBITS"]

# Largest work (states x 2**n x 2**n: one layer's matmul) on this path; beyond it the
# autograd path (real matmuls on (re, im) pairs, circuit matrices multiplied first) does
# fewer flops, which then matter more than the operation count. Measured on one CPU thread:
# VQC 6 qubits and the patch generator at batch 256 are still faster here.
ADJOINT_MAX_WORK = 1 << 20
# Largest VQC register sent here by default (``fused=None``) even beyond the autograd matrix
# path's limit: at 8 qubits and batches up to 16 this path beats the wire-by-wire one
# (``fused=None`` sends VQCs of 6+ qubits on the CPU to ``_statevec`` before this applies).
ADJOINT_MAX_QUBITS = 8


def adjoint_fits(states: int, n: int, *tensors: torch.Tensor) -> bool:
    """Whether the numpy adjoint path takes this call: CPU float32/float64, small work."""
    return (states << (2 * n)) <= ADJOINT_MAX_WORK and all(
        t.device.type == "cpu" and t.dtype in (torch.float32, torch.float64) for t in tensors
    )


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy()


def _torch(a: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=a.real.dtype)).to(like.dtype)


def _autograd_grads(fn, inputs, needs_input_grad, grad: torch.Tensor) -> list:
    """Gradients of ``fn(*inputs)`` through autograd, with a graph (for double backward)."""
    wanted = [t for t, need in zip(inputs, needs_input_grad) if need]
    found = iter(torch.autograd.grad(fn(*inputs), wanted, grad, create_graph=True))
    return [next(found) if need else None for need in needs_input_grad[: len(inputs)]]


@functools.lru_cache(maxsize=64)
def _vqc_tables(n: int, dtype: np.dtype):
    perm = np.asarray(ring_permutation(n)) if n > 1 else np.arange(1 << n)
    inverse = np.argsort(perm)
    zs_out = np.ascontiguousarray(wire_tables(n, dtype).zs[inverse])  # Z signs after the ring
    return tuple(int(i) for i in inverse), zs_out, np.repeat(zs_out, 2, 0)  # last: (re, im) rows


def _vqc_forward(x: np.ndarray, w: np.ndarray, reupload: bool):
    """Forward of ``vqc_expvals``: ``<Z_i>`` ``(B, n)`` and the states and layer matrices.

    Layer l >= 1 maps row states ``psi -> psi @ M_l`` with ``M_l = diag(phases_(l-1)) P^T
    RY_l^T``: the RZ layer before it (up to a global phase), the CNOT ring and its RY layer;
    ``M_l`` is complex ``(d, d)`` (``(B, d, d)`` when re-uploading).
    """
    n, n_layers = x.shape[1], w.shape[0]
    inverse, zs_out, zs_pairs = _vqc_tables(n, x.dtype)
    psi = cos_product(x + w[0, :, 0], "vec")  # (B, d): RY(a_0 + x)|0>, real
    states, mats = [psi], []
    if n_layers > 1:
        phases = np.exp(1j * (w[:-1, :, 1] @ wire_tables(n, x.dtype).bits_t))  # (L-1, d)
        angle = w[1:, None, :, 0] + x if reupload else w[1:, :, 0]  # (L-1, [B,] n)
        rot = cos_product(angle, "rotT", inverse)  # (L-1, [B,] d, d): P^T RY^T
        mats = phases[:, None, :, None] * rot if reupload else phases[:, :, None] * rot
        for m in mats:
            psi = (psi[:, None, :] @ m)[:, 0] if reupload else psi @ m  # (B, d)
            states.append(psi)
    if np.iscomplexobj(psi):  # |psi|^2 @ signs as (re, im) pairs: one square, one matmul
        return np.square(psi.view(x.dtype)) @ zs_pairs, (states, mats)
    return np.square(psi) @ zs_out, (states, mats)


def _vqc_backward(g: np.ndarray, x, w, reupload: bool, saved, need_x: bool):
    """Adjoint backward of ``_vqc_forward``: gradients for ``x`` (or None) and ``w``."""
    states, mats = saved
    n_layers = w.shape[0]
    zs_out = _vqc_tables(x.shape[1], x.dtype)[1]
    grad_w = np.zeros_like(w)
    grad_x = np.zeros_like(x) if need_x else None
    lam = (g @ zs_out.T) * states[-1]  # (B, d): observable times the final state
    for layer in range(n_layers - 1, -1, -1):
        ry, rz = summed_grads(lam, states[layer])
        grad_w[layer, :, 0] = ry
        if rz is not None:
            grad_w[layer, :, 1] = rz  # the RZ after this RY layer (zero for the last)
        if need_x and (reupload or layer == 0):
            grad_x += ry_grads(lam, states[layer])
        if layer:
            m = np.conj(mats[layer - 1]).swapaxes(-1, -2)
            lam = (lam[:, None, :] @ m)[:, 0] if reupload else lam @ m  # back through M_l
    return grad_x, grad_w


def vqc_adjoint(x: torch.Tensor, weights: torch.Tensor, reupload: bool) -> torch.Tensor:
    """``<Z_i>`` of the VQC head (as ``vqc_expvals``) on the numpy adjoint path: ``(B, n)``."""
    return _Circuit.apply(x, weights, "vqc", reupload)


def _patch_forward(z: np.ndarray, w: np.ndarray, n_ancillas: int):
    """Forward of ``patch_generator_patches``: ``(B, G*P)`` and the states and matrices.

    Layer l >= 1 maps row states ``psi -> psi @ M_l``, ``M_l = diag(CZ signs) RY_l^T`` (real,
    ``(G, depth-1, d, d)``), all sub-generators in one batched matmul.
    """
    n, depth = w.shape[2], w.shape[1]
    signs = chain_signs(n, z.dtype)  # (d,): the CZ chain
    psi = cos_product(w[:, None, 0, :] + z, "vec")  # (G, B, d): RY(w_0 + z)|0>
    states = [psi]
    mats = signs[:, None] * cos_product(w[:, 1:], "rotT") if depth > 1 else []
    for layer in range(1, depth):
        psi = psi @ mats[:, layer - 1]  # (G, B, d)
        states.append(psi)
    kept = (psi[..., : 1 << (n - n_ancillas)] * signs[: 1 << (n - n_ancillas)]) ** 2  # (G, B, P)
    top = kept.argmax(-1)[..., None]  # (G, B, 1): ancillas in |0>, their largest probability
    peak = np.take_along_axis(kept, top, -1)
    patches = kept / peak  # the demo's division by the sum cancels in this one
    out = patches.transpose(1, 0, 2).reshape(z.shape[0], patches.shape[0] * patches.shape[-1])
    return out, (states, mats, signs, patches, top, peak)


def _patch_backward(g: np.ndarray, z, w, n_ancillas: int, saved, need_z: bool):
    """Adjoint backward of ``_patch_forward``: gradients for ``z`` (or None) and ``w``."""
    states, mats, signs, patches, top, peak = saved
    n_gen, depth, n = w.shape
    size = 1 << (n - n_ancillas)
    gp = g.reshape(len(z), n_gen, size).transpose(1, 0, 2)  # (G, B, P)
    gk = gp / peak  # through kept / peak; the peak's own share below
    np.put_along_axis(gk, top, np.take_along_axis(gk, top, -1)
                      - (gp * patches).sum(-1, keepdims=True) / peak, -1)
    lam = np.zeros_like(states[-1])  # (G, B, d): d loss / d psi after the last RY layer
    lam[..., :size] = 2 * states[-1][..., :size] * gk  # signs cancel in sign**2 = 1
    grad_w = np.zeros_like(w)
    for layer in range(depth - 1, -1, -1):
        grad_w[:, layer] = 0.5 * summed_grads(lam, states[layer])[0]  # d RY(t) = -i Y / 2
        if layer:
            lam = lam @ mats[:, layer - 1].swapaxes(-1, -2)
    grad_z = 0.5 * ry_grads(lam, states[0]).sum(0) if need_z else None
    return grad_z, grad_w


def patch_adjoint(z: torch.Tensor, weights: torch.Tensor, n_ancillas: int) -> torch.Tensor:
    """Patches of all sub-generators (as ``patch_generator_patches``), numpy adjoint path."""
    return _Circuit.apply(z, weights, "patch", n_ancillas)


# name -> (numpy forward, numpy backward, autograd path for a gradient of a gradient)
_CIRCUITS = {
    "vqc": (_vqc_forward, _vqc_backward, vqc_compact),
    "patch": (_patch_forward, _patch_backward, patch_compact),
}


class _Circuit(torch.autograd.Function):
    """``_CIRCUITS[name]`` of ``(inputs, weights, option)`` as one autograd node."""

    @staticmethod
    def forward(ctx, inputs, weights, name, option):
        out, saved = _CIRCUITS[name][0](_np(inputs), _np(weights), option)
        ctx.name, ctx.option, ctx.saved = name, option, saved
        ctx.save_for_backward(inputs, weights)
        return _torch(out, inputs)

    @staticmethod
    def backward(ctx, grad):
        inputs, weights = ctx.saved_tensors
        _, numpy_backward, autograd_path = _CIRCUITS[ctx.name]
        if torch.is_grad_enabled():  # create_graph=True: differentiate the autograd path
            grads = _autograd_grads(lambda a, b: autograd_path(a, b, ctx.option),
                                   (inputs, weights), ctx.needs_input_grad, grad)
            return (*grads, None, None)
        need = ctx.needs_input_grad[0]
        x = _np(inputs)
        gx, gw = numpy_backward(_np(grad).astype(x.dtype, copy=False), x, _np(weights),
                                ctx.option, ctx.saved, need)
        return (_torch(gx, inputs) if need else None), _torch(gw, weights), None, None
