"""Numpy helpers of the adjoint circuit paths (``_adjoint``): cached index tables, products.

Flat states are ``(..., 2**n)`` numpy arrays, wire 0 the most significant bit (as in
``_fused``). Everything that depends only on the register size is built once per
(size, dtype) and kept; the arrays are never written to.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import numpy as np
import torch

from ._tables import trig_tables

__all__ = ["wire_tables", "chain_signs", "cos_product", "ry_grads", "summed_grads", "TRIG_MAX_ELEMENTS"]


# Work limit (elements) of the sum-of-cosines form of ``cos_product``.
TRIG_MAX_ELEMENTS = 1 << 14


@functools.lru_cache(maxsize=64)
def wire_tables(n: int, dtype: np.dtype) -> SimpleNamespace:
    """Index and sign tables of an ``n``-wire register in ``dtype`` (float32 or float64).

    ``bits`` ``(d, n)``; ``bits_t`` ``(n, d)`` (float, for phases ``angles @ bits_t``);
    ``flip`` ``(n, d)``: ``j`` with wire w's bit flipped; ``sgn`` ``(n, d)``: ``-1`` where
    that bit is 0, ``+1`` where 1, so ``sgn * s[..., flip]`` is ``(-i Y_w) s`` (a real map);
    ``zs`` ``(d, n)``: Z signs;
    ``pairs`` ``(n, d)``: flat index of ``C[j, flip[w, j]]`` in a ``d x d`` matrix.
    """
    d = 1 << n
    j = np.arange(d)
    bits = (j[:, None] >> np.arange(n - 1, -1, -1)) & 1  # (d, n)
    masks = 1 << np.arange(n - 1, -1, -1)  # (n,)
    return SimpleNamespace(
        bits=bits,
        bits_t=np.ascontiguousarray(bits.T, dtype=dtype),
        flip=j[None, :] ^ masks[:, None],
        sgn=np.ascontiguousarray(2 * bits.T - 1, dtype=dtype),
        zs=np.ascontiguousarray(1 - 2 * bits, dtype=dtype),
        pairs=j[None, :] * d + (j[None, :] ^ masks[:, None]),
    )


@functools.lru_cache(maxsize=64)
def chain_signs(n: int, dtype: np.dtype) -> np.ndarray:
    """Diagonal ``(2**n,)`` of CZ(0, 1), CZ(1, 2), ..., CZ(n-2, n-1)."""
    bits = wire_tables(n, dtype).bits
    return (1 - 2 * ((bits[:, :-1] & bits[:, 1:]).sum(1) % 2)).astype(dtype)


@functools.lru_cache(maxsize=128)
def _trig(n: int, kind: str, perm, dtype: np.dtype):
    half, offsets, scale = trig_tables(n, kind, perm, torch.from_numpy(np.zeros(0, dtype)).dtype, None)
    return half.numpy(), offsets.numpy(), scale.numpy()


def cos_product(t: np.ndarray, kind: str, perm=None) -> np.ndarray:
    """Numpy ``_compact.cos_product``: ``t`` ``(..., n)`` -> a product state or RY product.

    ``kind`` "vec": ``RY(t_0)|0> x ... x RY(t_n-1)|0>``, ``(..., 2**n)``; "rotT": the transpose
    of ``RY(t_0) x ... x RY(t_n-1)``, ``(..., 2**n, 2**n)``; ``perm`` permutes its rows. Small:
    one sum of cosines (4 operations); large: Kronecker products (``n - 1`` multiplications).
    """
    n, lead = t.shape[-1], t.shape[:-1]
    d = 1 << n
    size = d if kind == "vec" else d * d
    if t[..., 0].size * size << (n - 1) <= TRIG_MAX_ELEMENTS:
        half, offsets, scale = _trig(n, kind, perm, t.dtype)
        arg = (t.reshape(-1, n) @ half)[:, :, None] + offsets  # (count, E, D)
        flat = (scale @ np.cos(arg)).reshape(*lead, size)
        return flat if kind == "vec" else flat.reshape(*lead, d, d)
    c, s = np.cos(t / 2), np.sin(t / 2)
    # Kronecker products from the last wire up, so the inner loops run over the long axis.
    if kind == "vec":
        factors = np.stack([c, s], -1)  # (..., n, 2)
        out = factors[..., -1, :]
        for w in range(n - 2, -1, -1):
            out = (factors[..., w, :, None] * out[..., None, :]).reshape(*lead, -1)
        return out if perm is None else out[..., list(perm)]
    mats = np.stack([c, s, -s, c], -1).reshape(*t.shape, 2, 2)  # (..., n, 2, 2): RY^T
    out = mats[..., -1, :, :]
    for w in range(n - 2, -1, -1):
        r = out.shape[-1]  # (..., 2, 1, 2, 1) * (..., 1, R, 1, R) -> (..., 2R, 2R)
        out = (mats[..., w, :, None, :, None] * out[..., None, :, None, :]).reshape(*lead, 2 * r, 2 * r)
    return out if perm is None else out[..., list(perm), :]


def ry_grads(lam: np.ndarray, state: np.ndarray) -> np.ndarray:
    """Per-state ``Re <lam| -i Y_w |state>`` for every wire w: ``(..., d)`` x2 -> ``(..., n)``.

    ``lam`` is the adjoint (the gradient of the loss with respect to the state, conjugated,
    as in the adjoint method) and ``state`` the state at the same point; for real arrays this
    is ``sum_j lam_j sgn_w(j) state[flip_w(j)]``.
    """
    n = lam.shape[-1].bit_length() - 1
    t = wire_tables(n, lam.real.dtype)
    moved = state[..., t.flip]  # (..., n, d)
    if np.iscomplexobj(lam):
        prod = (np.conj(lam)[..., None, :] * moved).real
    else:
        prod = lam[..., None, :] * moved
    return (prod * t.sgn).sum(-1)


@functools.lru_cache(maxsize=64)
def _coefficients(n: int, dtype: np.dtype, complex_: bool) -> np.ndarray:
    """``(entries of C, n or 2n)``: ``C.ravel() @ table`` gives ``summed_grads``' RY (and RZ)."""
    t, d = wire_tables(n, dtype), 1 << n
    parts = 2 if complex_ else 1  # complex C is read as interleaved (re, im) floats
    table = np.zeros((parts * d * d, parts * n), dtype)
    wires = np.arange(n)[:, None]
    table[parts * t.pairs, wires] = t.sgn  # RY: Re C[j, flip_w(j)] sgn_w(j)
    if complex_:
        diag = 2 * (np.arange(d) * (d + 1)) + 1  # Im C[j, j]
        table[diag[:, None], n + np.arange(n)] = t.zs
    return table


# Largest register whose gradients are read from C with one matmul (the table has
# 2 * 4**n * 2n entries); beyond it with a gather.
COEFFICIENT_MAX_QUBITS = 6


def summed_grads(lam: np.ndarray, state: np.ndarray):
    """``ry_grads`` summed over the states (axis -2), and the RZ gradients, from one matmul.

    ``C = lam^H state`` ``(..., d, d)``: RY on wire w ``sum_j sgn_w(j) Re C[j, flip_w(j)]``; RZ
    ``sum_j Z_w(j) Im C[j, j]`` (``Im <lam| Z_w |state>``; None for real arrays). Returns
    ``(ry, rz)``, each ``(..., n)``.
    """
    n = lam.shape[-1].bit_length() - 1
    dtype = lam.real.dtype
    if lam.shape[-2] * n < lam.shape[-1]:  # few states: per state (B n d work, not d d)
        ry = ry_grads(lam, state).sum(-2)
        if not np.iscomplexobj(lam) and not np.iscomplexobj(state):
            return ry, None
        return ry, (np.conj(lam) * state).imag.sum(-2) @ wire_tables(n, dtype).zs
    c = np.conj(lam).swapaxes(-1, -2) @ state  # (..., d, d)
    complex_ = np.iscomplexobj(c)
    lead = c.shape[:-2]
    if n <= COEFFICIENT_MAX_QUBITS:
        flat = c.view(dtype).reshape(*lead, -1) if complex_ else c.reshape(*lead, -1)
        out = flat @ _coefficients(n, dtype, complex_)  # (..., n or 2n)
        return (out[..., :n], out[..., n:]) if complex_ else (out, None)
    t = wire_tables(n, dtype)
    ry = (c.real.reshape(*lead, -1)[..., t.pairs] * t.sgn).sum(-1)
    rz = c.imag.diagonal(0, -2, -1) @ t.zs if complex_ else None
    return ry, rz
