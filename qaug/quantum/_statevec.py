"""The VQC head from 6 qubits on: numpy state vectors, adjoint backward, no ``2**n`` matrices.

The matrix paths (``_adjoint``, ``_compact``) build every layer as one ``2**n x 2**n``
matrix: cheap at 4-5 qubits, but at 8 qubits that alone is 65,536 entries per layer. Here
the states stay vectors, as real and imaginary planes ``(B, 2, 2**n)``:

- the encoding and first RY layer form one real product state (``RY(x + a_0)|0>``);
- each later RY layer is real and acts on blocks of at most ``BLOCK_QUBITS`` wires: one
  real ``2**k x 2**k`` matrix per block (the Kronecker product of its wires' RY), applied
  with one matmul that also moves the block's axis from first to last place, so after all
  blocks of a layer the state is back in its own wire order (no copies in between);
- each RZ layer and the CNOT ring after it are one basis-state phase (up to a global phase)
  and one cached permutation; the last RZ layer cannot change a Z measurement;
- ``<Z_i>`` is ``|psi|^2`` times a cached sign table with the final ring folded in.

Backward (adjoint method, as ``_adjoint``): ``lam`` (the observable times the final state)
runs back through the blocks and phases. The RY gradients of a block's wires come from the
block's small Gram matrix ``G = lam_blk^T psi_blk`` (summed over all other indices, per
sample where the angle depends on the input) times a cached coefficient table
(``Re <lam| -i Y_w |psi>``); the RZ gradients are ``Im <lam| Z_w |psi>`` for all wires at once.
A backward with ``create_graph=True`` recomputes through the wire-by-wire autograd path.
"""

from __future__ import annotations

import functools
import math
from types import SimpleNamespace

import numpy as np
import torch

from ._adjoint import _CIRCUITS, _Circuit
from ._adjoint_tables import _coefficients, cos_product, wire_tables
from ._tables import ring_permutation
from ._workspace import Workspace, workspaces

__all__ = ["vqc_statevec", "statevec_fits", "BLOCK_QUBITS", "STATEVEC_MIN_QUBITS"]

# Wires per RY block matrix (at most): measured fastest on one CPU thread at 6-12 qubits.
BLOCK_QUBITS = 4
# Smallest register sent here by ``vqc_expvals(fused=None)``; below it the matrix paths win
# (and the presets' 4-qubit circuits keep their arithmetic).
STATEVEC_MIN_QUBITS = 6
# cos(phi + offset) rows: cos, sin, -sin, cos (a phase as a real 2x2 rotation).
_PHASE_OFFSETS = np.array([0.0, -math.pi / 2, math.pi / 2, 0.0])[:, None]


def statevec_fits(n: int, *tensors: torch.Tensor) -> bool:
    """Whether ``vqc_expvals(fused=None)`` takes this path: n >= 6, CPU float32/float64."""
    return n >= STATEVEC_MIN_QUBITS and all(
        t.device.type == "cpu" and t.dtype in (torch.float32, torch.float64) for t in tensors
    )


@functools.lru_cache(maxsize=64)
def _plan(n: int, dtype: np.dtype, block: int) -> SimpleNamespace:
    """Blocks (sizes as equal as possible, larger first) and cached tables of ``n`` wires."""
    count = -(-n // block)
    sizes = tuple(n // count + (i < n % count) for i in range(count))
    perm = np.asarray(ring_permutation(n)) if n > 1 else np.arange(1 << n)
    inverse = np.argsort(perm)
    t = wire_tables(n, dtype)
    zs_out = np.ascontiguousarray(t.zs[inverse])  # Z signs after the ring
    return SimpleNamespace(
        sizes=sizes,
        bounds=tuple(int(s) for s in np.cumsum((0,) + sizes)),
        equal=len(set(sizes)) == 1,
        perm=perm,
        inverse=inverse,
        bits_perm_t=np.ascontiguousarray(t.bits_t[:, perm]),  # phases of P psi
        zs=t.zs,
        zs_out=zs_out,
        zs_pairs=np.concatenate([zs_out, zs_out]),  # planes flattened as (B, 2 * 2**n)
        coefs={k: _coefficients(k, dtype, False) for k in set(sizes)},
        offsets=_PHASE_OFFSETS.astype(dtype),
    )


def _per_block(kind: str, angles: np.ndarray, p) -> list[np.ndarray]:
    """``cos_product(block angles, kind)`` for each block: ``(..., n)`` -> ``[(..., K[, K])]``."""
    if p.equal:  # all blocks in one call: (..., blocks, K[, K])
        out = cos_product(angles.reshape(*angles.shape[:-1], len(p.sizes), p.sizes[0]), kind)
        tail = (slice(None),) * (1 if kind == "vec" else 2)
        return [out[(Ellipsis, j, *tail)] for j in range(len(p.sizes))]
    return [cos_product(angles[..., a:b], kind) for a, b in zip(p.bounds[:-1], p.bounds[1:])]


def _kron(a: np.ndarray, b: np.ndarray, ws: Workspace) -> np.ndarray:
    """``(B, P) x (B, Q) -> (B, P * Q)``, per row."""
    out = ws.empty((len(a), a.shape[1], b.shape[1]), a.dtype)
    return np.multiply(a[:, :, None], b[:, None, :], out=out).reshape(len(a), -1)


def _product_state(t: np.ndarray, p, ws: Workspace):
    """``RY(t_0)|0> x ... x RY(t_n-1)|0>`` ``(B, d)``, its blocks' vectors and partial products.

    Returns ``psi0``, ``vecs`` ``[(B, K_j)]``, ``before[j]`` (the product of the blocks before
    block j, None for j = 0) and ``after[j]`` (of the blocks after it, None for the last).
    """
    vecs = _per_block("vec", t, p)
    nb = len(vecs)
    before, after = [None] * nb, [None] * nb
    for j in range(1, nb):
        before[j] = vecs[0] if j == 1 else _kron(before[j - 1], vecs[j - 1], ws)
    for j in range(nb - 2, -1, -1):
        after[j] = vecs[-1] if j == nb - 2 else _kron(vecs[j + 1], after[j + 1], ws)
    psi0 = vecs[0] if nb == 1 else _kron(vecs[0], after[0], ws)
    return psi0, vecs, before, after


def _apply_blocks(psi: np.ndarray, mats: list, p, per_sample: bool, ws: Workspace, states: list):
    """One RY layer on planes ``(B, 2, d)``: each block's axis goes first -> last."""
    batch, d = psi.shape[0], psi.shape[-1]
    for mt, k in zip(mats, p.sizes):
        size = 1 << k
        if per_sample:  # (B, 2, R, K) @ (B, 1, K, K)
            x, mt = psi.reshape(batch, 2, size, d >> k).transpose(0, 1, 3, 2), mt[:, None]
        else:  # (2B, R, K) @ (K, K)
            x = psi.reshape(2 * batch, size, d >> k).transpose(0, 2, 1)
        psi = np.matmul(x, mt, out=ws.empty(x.shape, x.dtype))
        states.append(psi)
    return psi.reshape(batch, 2, d)


def _rotate(psi: np.ndarray, first: np.ndarray, second: np.ndarray, ws: Workspace):
    """Planes ``(B, 2, d)`` -> ``psi_re * first + psi_im * second`` (a phase as a 2x2 rotation)."""
    out = np.multiply(psi[:, :1], first, out=ws.empty(psi.shape, psi.dtype))
    return np.add(out, np.multiply(psi[:, 1:], second, out=ws.empty(psi.shape, psi.dtype)),
                  out=out)


def _forward(x: np.ndarray, w: np.ndarray, reupload: bool):
    """``<Z_i>`` ``(B, n)`` of ``vqc_expvals`` and what the backward needs."""
    batch, n = x.shape
    n_layers = w.shape[0]
    p = _plan(n, x.dtype, BLOCK_QUBITS)
    kept, ws = workspaces(batch << n, x.dtype)  # saved for the backward; temporaries
    product = _product_state(x + w[0, :, 0], p, kept)  # RY(a_0 + x)|0>, real (B, d)
    psi0, d = product[0], 1 << n
    if n_layers == 1:
        return np.square(psi0) @ p.zs_out, (kept, product, None, None, None)
    # (L-1, 4, d): cos, sin, -sin, cos of the RZ layers' basis phases (ring applied after)
    trig = np.cos((w[:-1, :, 1] @ p.bits_perm_t)[:, None, :] + p.offsets)
    angles = w[1:, None, :, 0] + x if reupload else w[1:, :, 0]  # (L-1, [B,] n)
    mats = _per_block("rotT", angles, p)  # per block (L-1, [B,] K, K)
    # np.take, not fancy indexing: the latter's result is not in C order (slow matmuls after)
    psi = np.take(psi0, p.perm, -1, out=ws.empty((batch, d), x.dtype))[:, None, :]
    psi = np.multiply(psi, trig[0, :2], out=ws.empty((batch, 2, d), x.dtype))  # RZ, the ring
    states = []
    for layer in range(1, n_layers):
        if layer > 1:  # RZ layer (layer - 1) and the ring, on the planes
            q = np.take(psi, p.perm, -1, out=ws.empty(psi.shape, psi.dtype))
            psi = _rotate(q, trig[layer - 1, :2], trig[layer - 1, 2:], ws)
        psi = _apply_blocks(psi, [m[layer - 1] for m in mats], p, reupload, kept, states)
    probs = np.square(psi, out=ws.empty(psi.shape, psi.dtype)).reshape(batch, -1) @ p.zs_pairs
    ws.release()
    return probs, (kept, product, trig, mats, states)
def _ry(grams: list, p) -> np.ndarray:
    """RY gradients ``Re <lam| -i Y_w |psi>`` from the blocks' Gram matrices -> ``(..., n)``."""
    if p.equal:
        g = np.stack(grams, -3)  # (..., blocks, K, K)
        out = g.reshape(*g.shape[:-2], -1) @ p.coefs[p.sizes[0]]  # (..., blocks, k)
        return out.reshape(*g.shape[:-3], -1)
    return np.concatenate(
        [g.reshape(*g.shape[:-2], -1) @ p.coefs[k] for g, k in zip(grams, p.sizes)], -1
    )


def _product_grads(lam_re: np.ndarray, product, p) -> np.ndarray:
    """Per-sample RY gradients ``(B, n)`` at the product state (real adjoint ``(B, d)``).

    The state is ``before x vec_j x after``, so block j's Gram matrix is ``env_j x vec_j``,
    ``env_j`` the adjoint contracted with the other blocks' vectors (two batched matvecs).
    """
    _, vecs, before, after = product
    batch = len(lam_re)
    grams = []
    for vec, pre, post in zip(vecs, before, after):
        env = lam_re.reshape(batch, 1 if pre is None else pre.shape[1], -1)  # (B, pre, K * post)
        if pre is not None:
            env = pre[:, None, :] @ env  # (B, 1, K * post)
        env = env.reshape(batch, vec.shape[1], -1)  # (B, K, post)
        if post is not None:
            env = env @ post[:, :, None]  # (B, K, 1)
        grams.append(env * vec[:, None, :])
    return _ry(grams, p)


def _backward(g: np.ndarray, x, w, reupload: bool, saved, need_x: bool):
    """Adjoint backward of ``_forward``: gradients for ``x`` (or None) and ``w``."""
    _, product, trig, mats, states = saved
    psi0 = product[0]
    batch, n_layers = len(x), w.shape[0]
    p = _plan(x.shape[1], x.dtype, BLOCK_QUBITS)
    ws = workspaces(batch << x.shape[1], x.dtype)[1]  # this backward's temporaries
    grad_w = np.zeros_like(w)
    grad_x = np.zeros_like(x) if need_x else None
    obs = np.matmul(g, p.zs_out.T, out=ws.empty(psi0.shape, x.dtype))  # (B, d)
    if n_layers == 1:
        lam = np.multiply(obs, psi0, out=obs)
    else:
        last = states[-1].reshape(batch, 2, -1)
        lam = np.multiply(obs[:, None, :], last, out=ws.empty(last.shape, x.dtype))  # (B, 2, d)
        nb = len(p.sizes)
        for layer in range(n_layers - 1, 0, -1):
            grams = []
            for j in range(nb - 1, -1, -1):  # back through the blocks: last -> first
                st, mt = states[(layer - 1) * nb + j], mats[j][layer - 1]
                lam = lam.reshape(st.shape)
                if reupload:  # per sample: (B, 2R, K)
                    flat_l, flat_s = (a.reshape(batch, -1, a.shape[-1]) for a in (lam, st))
                    grams.append(flat_l.transpose(0, 2, 1) @ flat_s)
                    lam, mt = lam.transpose(0, 1, 3, 2), mt[:, None]
                else:
                    grams.append(lam.reshape(-1, st.shape[-1]).T @ st.reshape(-1, st.shape[-1]))
                    lam = lam.transpose(0, 2, 1)
                lam = np.matmul(mt, lam, out=ws.empty(lam.shape, x.dtype))
            ry = _ry(grams[::-1], p)
            if reupload:
                grad_w[layer, :, 0] = ry.sum(0)
                if need_x:
                    grad_x += ry
            else:
                grad_w[layer, :, 0] = ry
            t = trig[layer - 1]  # back through RZ layer (layer - 1) and the ring
            lam = _rotate(lam.reshape(batch, 2, -1), t[0::2], t[1::2], ws)
            lam = np.take(lam, p.inverse, -1, out=ws.empty(lam.shape, x.dtype))
            if layer > 1:  # Im <lam| Z_w |psi> after RY layer (layer - 1)
                st = states[(layer - 1) * nb - 1].reshape(lam.shape)
                im = np.multiply(lam[:, 0], st[:, 1], out=ws.empty(psi0.shape, x.dtype))
                im = np.subtract(im, np.multiply(lam[:, 1], st[:, 0], out=obs), out=im)
                grad_w[layer - 1, :, 1] = im.sum(0) @ p.zs
        # Im <lam| Z_w |psi0> = -sum_j Im(lam_j) psi0_j Z_w(j): RZ of layer 0 (psi0 is real)
        im = np.multiply(lam[:, 1], psi0, out=obs)
        grad_w[0, :, 1] = -(im.sum(0) @ p.zs)
        lam = lam[:, 0]
    ry0 = _product_grads(lam, product, p)  # (B, n): d/d(x + a_0)
    ws.release()
    grad_w[0, :, 0] = ry0.sum(0)
    if need_x:
        grad_x += ry0
    return grad_x, grad_w


def _wirewise(x: torch.Tensor, weights: torch.Tensor, reupload: bool) -> torch.Tensor:
    """The autograd path for a gradient of a gradient (``create_graph=True``)."""
    from ._circuits import vqc_expvals

    return vqc_expvals(x, weights, reupload=reupload, fused=False)


_CIRCUITS["vqc_statevec"] = (_forward, _backward, _wirewise)


def vqc_statevec(x: torch.Tensor, weights: torch.Tensor, reupload: bool) -> torch.Tensor:
    """``<Z_i>`` of the VQC head (as ``vqc_expvals``) on this path: ``(B, n)``."""
    return _Circuit.apply(x, weights, "vqc_statevec", reupload)
