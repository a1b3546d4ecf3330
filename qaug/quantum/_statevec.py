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
        starts=tuple(int(s) for s in np.cumsum((0,) + sizes[:-1])),
        perm=perm,
        inverse=inverse,
        bits_perm_t=np.ascontiguousarray(t.bits_t[:, perm]),  # phases of P psi
        zs=t.zs,
        zs_out=zs_out,
        zs_pairs=np.concatenate([zs_out, zs_out]),  # planes flattened as (B, 2 * 2**n)
        coefs={k: _coefficients(k, dtype, False) for k in set(sizes)},
        offsets=_PHASE_OFFSETS.astype(dtype),
    )


def _block_mats(angles: np.ndarray, sizes: tuple[int, ...]) -> list[np.ndarray]:
    """Per block ``RY^T`` of its wires: ``angles`` ``(..., n)`` -> ``[(..., K, K)]``."""
    if len(set(sizes)) == 1:  # all blocks in one call: (..., blocks, K, K)
        mats = cos_product(angles.reshape(*angles.shape[:-1], len(sizes), sizes[0]), "rotT")
        return [mats[..., j, :, :] for j in range(len(sizes))]
    bounds = np.cumsum((0,) + sizes)
    return [cos_product(angles[..., a:b], "rotT") for a, b in zip(bounds[:-1], bounds[1:])]


def _apply_blocks(psi: np.ndarray, mats: list, sizes, per_sample: bool, states: list):
    """One RY layer on planes ``(B, 2, d)``: each block's axis goes first -> last."""
    batch, d = psi.shape[0], psi.shape[-1]
    for mt, k in zip(mats, sizes):
        size = 1 << k
        if per_sample:  # (B, 2, R, K) @ (B, 1, K, K)
            psi = psi.reshape(batch, 2, size, d >> k).transpose(0, 1, 3, 2) @ mt[:, None]
        else:  # (2B, R, K) @ (K, K)
            psi = psi.reshape(2 * batch, size, d >> k).transpose(0, 2, 1) @ mt
        states.append(psi)
    return psi.reshape(batch, 2, d)


def _forward(x: np.ndarray, w: np.ndarray, reupload: bool):
    """``<Z_i>`` ``(B, n)`` of ``vqc_expvals`` and what the backward needs."""
    batch, n = x.shape
    n_layers = w.shape[0]
    p = _plan(n, x.dtype, BLOCK_QUBITS)
    psi0 = cos_product(x + w[0, :, 0], "vec")  # (B, d): RY(a_0 + x)|0>, real
    if n_layers == 1:
        return np.square(psi0) @ p.zs_out, (psi0, None, None, None)
    # (L-1, 4, d): cos, sin, -sin, cos of the RZ layers' basis phases (ring applied after)
    trig = np.cos((w[:-1, :, 1] @ p.bits_perm_t)[:, None, :] + p.offsets)
    angles = w[1:, None, :, 0] + x if reupload else w[1:, :, 0]  # (L-1, [B,] n)
    mats = _block_mats(angles, p.sizes)  # per block (L-1, [B,] K, K)
    psi = np.take(psi0, p.perm, -1)[:, None, :] * trig[0, :2]  # (B, 2, d): RZ, then the ring
    states = []
    for layer in range(1, n_layers):
        if layer > 1:  # RZ layer (layer - 1) and the ring, on the planes
            q = np.take(psi, p.perm, -1)  # (not fancy indexing: its result is not C-ordered)
            t = trig[layer - 1]
            psi = q[:, :1] * t[:2] + q[:, 1:] * t[2:]
        psi = _apply_blocks(psi, [m[layer - 1] for m in mats], p.sizes, reupload, states)
    probs = np.square(psi).reshape(batch, -1) @ p.zs_pairs  # (B, n)
    return probs, (psi0, trig, mats, states)


def _layer0_grams(lam_re: np.ndarray, psi0: np.ndarray, p) -> list[np.ndarray]:
    """Per-sample ``(B, K, K)`` Gram matrices of each block at the product state."""
    batch, d = psi0.shape
    grams = []
    for start, k in zip(p.starts, p.sizes):
        size, post = 1 << k, d >> (start + k)
        shape = (batch, 1 << start, size, post)
        a, b = lam_re.reshape(shape), psi0.reshape(shape)
        if start:  # the block's axis second: (B, K, pre * post)
            a = a.transpose(0, 2, 1, 3).reshape(batch, size, -1)
            b = b.transpose(0, 2, 1, 3).reshape(batch, size, -1)
        else:
            a, b = a.reshape(batch, size, post), b.reshape(batch, size, post)
        grams.append(a @ b.transpose(0, 2, 1))
    return grams


def _ry(grams: list, p) -> np.ndarray:
    """RY gradients from blocks' Gram matrices ``[(..., K, K)]`` -> ``(..., n)``."""
    return np.concatenate(
        [g.reshape(*g.shape[:-2], -1) @ p.coefs[k] for g, k in zip(grams, p.sizes)], -1
    )


def _backward(g: np.ndarray, x, w, reupload: bool, saved, need_x: bool):
    """Adjoint backward of ``_forward``: gradients for ``x`` (or None) and ``w``."""
    psi0, trig, mats, states = saved
    n_layers = w.shape[0]
    p = _plan(x.shape[1], x.dtype, BLOCK_QUBITS)
    grad_w = np.zeros_like(w)
    grad_x = np.zeros_like(x) if need_x else None
    obs = g @ p.zs_out.T  # (B, d)
    if n_layers == 1:
        lam_re = obs * psi0
    else:
        lam = obs[:, None, :] * states[-1].reshape(psi0.shape[0], 2, -1)  # (B, 2, d)
        nb = len(p.sizes)
        for layer in range(n_layers - 1, 0, -1):
            grams = []
            for j in range(nb - 1, -1, -1):  # back through the blocks: last -> first
                st, mt = states[(layer - 1) * nb + j], mats[j][layer - 1]
                lam = lam.reshape(st.shape)
                if reupload:  # per sample: (B, 2R, K)
                    flat_l, flat_s = (a.reshape(a.shape[0], -1, a.shape[-1]) for a in (lam, st))
                    grams.append(flat_l.transpose(0, 2, 1) @ flat_s)
                    lam = mt[:, None] @ lam.transpose(0, 1, 3, 2)
                else:
                    grams.append(lam.reshape(-1, st.shape[-1]).T @ st.reshape(-1, st.shape[-1]))
                    lam = mt @ lam.transpose(0, 2, 1)
            ry = _ry(grams[::-1], p)
            if reupload:
                grad_w[layer, :, 0] = ry.sum(0)
                if need_x:
                    grad_x += ry
            else:
                grad_w[layer, :, 0] = ry
            lam = lam.reshape(psi0.shape[0], 2, -1)
            t = trig[layer - 1]  # back through RZ layer (layer - 1) and the ring
            lam = np.take(lam[:, :1] * t[0::2] + lam[:, 1:] * t[1::2], p.inverse, -1)
            if layer > 1:  # Im <lam| Z_w |psi> after RY layer (layer - 1)
                st = states[(layer - 1) * nb - 1].reshape(lam.shape)
                im = lam[:, 0] * st[:, 1] - lam[:, 1] * st[:, 0]
            else:
                im = -lam[:, 1] * psi0
            grad_w[layer - 1, :, 1] = im.sum(0) @ p.zs
        lam_re = lam[:, 0]
    ry0 = _ry(_layer0_grams(lam_re, psi0, p), p)  # (B, n): d/d(x + a_0)
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
