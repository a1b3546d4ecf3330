"""Two-layer VQC heads in O(n) per sample: the CNOT ring as a parity chain (numba).

With two layers the state before the last RY layer is ``P phi``: ``phi`` the product state
``RZ(b_1) RY(x + a_1)|0>`` (one qubit state per wire) and ``P`` the CNOT ring, which maps
basis bits ``x`` to prefix parities (``y_q = x_0 ^ ... ^ x_q`` for ``q >= 1``,
``y_0 = x_1 ^ ... ^ x_(n-1)``; checked against ``ring_permutation`` for each n). The last
RZ layer cannot change a Z measurement, and the last ring turns ``Z_i`` into the Z string on
the same prefix sets, so after the last RY layer ``<Z_i> = <phi| P^T (x)_q O_q P |phi>`` with
``O_q = RY(s_q)^T Z RY(s_q)`` on the prefix (suffix for ``i = 0``) and the identity elsewhere.
That sum runs over pairs of bit strings, but ``P`` only needs the two running parities, so it
is a chain of 4 x 4 transfer matrices per wire (one chain per value of the first bit pair):
left products with ``O`` for every prefix, right products with the identity for every
suffix, ``<Z_i>`` their contraction; about ``200 n`` complex multiply-adds per sample instead
of ``n 2**n``. The backward is the reverse-mode of the same chain, written out (one compiled
call, float64 whatever the input's float type, outputs and gradients in it).

Taken by ``vqc_expvals(fused=None)`` for two layers from ``CHAIN_MIN_QUBITS`` wires (where
the state-vector path would otherwise run; the presets' 4-qubit heads never come here).
Agrees with the state-vector paths to float rounding (tests: 1e-12 in float64).
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from . import _jit
from ._jit import _checked_or_double_backward, _cpu_float, _keep_inputs, _njit, _np
from ._statevec import _wirewise
from ._tables import ring_permutation

__all__ = ["CHAIN_MIN_QUBITS", "chain_fits", "vqc_chain", "ring_is_prefix_parity"]

# From here two-layer heads take the chain (below, the compiled state loops of ``_jit`` are
# as fast at batch 1 and faster at large batches; the presets' 4-qubit heads keep their path).
CHAIN_MIN_QUBITS = 9


@functools.lru_cache(maxsize=32)
def ring_is_prefix_parity(n: int) -> bool:
    """Whether the CNOT ring maps basis bits to the prefix parities the chain assumes.

    Then bit 0 of ``x`` flips output bits 1..n-1 and bit k >= 1 flips bits 0 and k..n-1.
    """
    if n < 3:
        return False
    inverse = np.argsort(np.asarray(ring_permutation(n)))  # index x -> index of P|x>

    def mask(wires) -> int:
        return sum(1 << (n - 1 - q) for q in wires)

    want = [mask(range(1, n))] + [mask([0, *range(k, n)]) for k in range(1, n)]
    return [int(inverse[1 << (n - 1 - k)]) for k in range(n)] == want


def chain_fits(n: int, n_layers: int, *tensors: torch.Tensor) -> bool:
    """Whether ``vqc_expvals(fused=None)`` takes the chain: 2 layers, n >= CHAIN_MIN_QUBITS."""
    return (_jit.JIT_ENABLED and n_layers == 2 and n >= CHAIN_MIN_QUBITS and _cpu_float(*tensors)
            and ring_is_prefix_parity(n))


# The kernel: per sample, W_q[x, x'] = conj(phi_q(x)) phi_q(x') and M_q = RY(s_q)^T Z RY(s_q);
# transfer K_q[(p, p'), (u, u')] = W_q[p ^ u, p' ^ u'] O_q[u, u'] (O = M or the identity);
# L[q] = L[q-1] K^M_q from L[0][c, c] = W_0[c] (c = (x_0, x_0'), the chain), R[i-1] =
# R[i] (K^I_i)^T from R[n-1] = M_0 at (p ^ x_0, p' ^ x_0'); <Z_i> = Re sum L[i] R[i] (i >= 1),
# <Z_0> = Re sum L[n-1] at p ^ x_0 == p' ^ x_0'. Complex gradients are dL/dRe + i dL/dIm.


def _chain(x, w, reupload, g, grads):
    """``<Z_i>`` ``(B, n)``; with ``grads``, also ``(grad_x, grad_w)`` for output grads ``g``."""
    B, n = x.shape
    out = np.zeros((B, n))
    gx = np.zeros((B, n))
    gw = np.zeros(w.shape)
    W = np.zeros((n, 2, 2), np.complex128)
    M = np.zeros((n, 2, 2))
    KM = np.zeros((n, 4, 4), np.complex128)
    KI = np.zeros((n, 4, 4), np.complex128)
    L = np.zeros((n, 4, 4), np.complex128)
    R = np.zeros((n, 4, 4), np.complex128)
    eM = np.zeros((4, 4))
    eI = np.zeros((4, 4))
    gL = np.zeros((n, 4, 4), np.complex128)
    gR = np.zeros((n, 4, 4), np.complex128)
    gW = np.zeros((n, 2, 2), np.complex128)
    gM = np.zeros((n, 2, 2))
    trig = np.zeros((n, 5))  # per wire: cos(t/2), sin(t/2), cos t, cos s, sin s
    phase = np.exp(1j * w[0, :, 1])  # e^(i b_q): the first RZ layer, the same for every sample
    for bi in range(B):
        for q in range(n):
            t = x[bi, q] + w[0, q, 0]
            s = w[1, q, 0] + (x[bi, q] if reupload else 0.0)
            c, sn = np.cos(t / 2), np.sin(t / 2)
            e = phase[q]
            trig[q, 0], trig[q, 1], trig[q, 2] = c, sn, np.cos(t)
            trig[q, 3], trig[q, 4] = np.cos(s), np.sin(s)
            W[q, 0, 0] = c * c
            W[q, 1, 1] = sn * sn
            W[q, 0, 1] = c * sn * e
            W[q, 1, 0] = c * sn * np.conj(e)
            M[q, 0, 0] = trig[q, 3]
            M[q, 1, 1] = -trig[q, 3]
            M[q, 0, 1] = -trig[q, 4]
            M[q, 1, 0] = -trig[q, 4]
            for a in range(4):
                p, pp = a >> 1, a & 1
                for b in range(4):
                    u, uu = b >> 1, b & 1
                    wv = W[q, p ^ u, pp ^ uu]
                    KM[q, a, b] = wv * M[q, u, uu]
                    KI[q, a, b] = wv if u == uu else 0.0
        for ch in range(4):
            x0, xx0 = ch >> 1, ch & 1
            for st in range(4):
                p, pp = st >> 1, st & 1
                L[0, ch, st] = W[0, x0, xx0] if st == ch else 0.0
                eM[ch, st] = M[0, p ^ x0, pp ^ xx0]
                eI[ch, st] = 1.0 if (p ^ x0) == (pp ^ xx0) else 0.0
        for q in range(1, n):
            L[q] = L[q - 1] @ KM[q]
        R[n - 1] = eM
        for i in range(n - 1, 1, -1):
            R[i - 1] = R[i] @ KI[i].T
        acc = 0.0
        for ch in range(4):
            for st in range(4):
                acc += (L[n - 1, ch, st] * eI[ch, st]).real
        out[bi, 0] = acc
        for i in range(1, n):
            acc = 0.0
            for ch in range(4):
                for st in range(4):
                    acc += (L[i, ch, st] * R[i, ch, st]).real
            out[bi, i] = acc
        if not grads:
            continue
        gL[:] = 0
        gR[:] = 0
        gW[:] = 0
        gM[:] = 0
        for ch in range(4):
            for st in range(4):
                gL[n - 1, ch, st] += g[bi, 0] * eI[ch, st]
        for i in range(1, n):
            gL[i] += g[bi, i] * np.conj(R[i])
            gR[i] += g[bi, i] * np.conj(L[i])
        for i in range(2, n):  # R[i-1] = R[i] @ KI[i].T
            gR[i] += gR[i - 1] @ np.conj(KI[i])
            gK = gR[i - 1].T @ np.conj(R[i])  # gK[a, b] = sum_c gR[i-1][c, a] conj(R[i][c, b])
            for a in range(4):
                p, pp = a >> 1, a & 1
                for b in range(4):
                    u, uu = b >> 1, b & 1
                    if u == uu:
                        gW[i, p ^ u, pp ^ uu] += gK[a, b]
        for ch in range(4):  # R[n-1] = eM
            x0, xx0 = ch >> 1, ch & 1
            for st in range(4):
                p, pp = st >> 1, st & 1
                gM[0, p ^ x0, pp ^ xx0] += gR[n - 1, ch, st].real
        for q in range(n - 1, 0, -1):  # L[q] = L[q-1] @ KM[q]
            gL[q - 1] += gL[q] @ np.conj(KM[q]).T
            gK = np.conj(L[q - 1]).T @ gL[q]
            for a in range(4):
                p, pp = a >> 1, a & 1
                for b in range(4):
                    u, uu = b >> 1, b & 1
                    gW[q, p ^ u, pp ^ uu] += gK[a, b] * M[q, u, uu]
                    gM[q, u, uu] += (gK[a, b] * np.conj(W[q, p ^ u, pp ^ uu])).real
        for ch in range(4):
            gW[0, ch >> 1, ch & 1] += gL[0, ch, ch]
        for q in range(n):
            c, sn, ht, cs, ss = trig[q, 0], trig[q, 1], trig[q, 2] / 2, trig[q, 3], trig[q, 4]
            e = phase[q]
            gt = (np.conj(gW[q, 0, 0]) * (-c * sn) + np.conj(gW[q, 1, 1]) * (c * sn)
                  + np.conj(gW[q, 0, 1]) * (ht * e) + np.conj(gW[q, 1, 0]) * (ht * np.conj(e))).real
            gb = (np.conj(gW[q, 0, 1]) * (1j * c * sn * e)
                  + np.conj(gW[q, 1, 0]) * (-1j * c * sn * np.conj(e))).real
            gs = gM[q, 0, 0] * -ss + gM[q, 1, 1] * ss + (gM[q, 0, 1] + gM[q, 1, 0]) * -cs
            gx[bi, q] += gt + (gs if reupload else 0.0)
            gw[0, q, 0] += gt
            gw[0, q, 1] += gb
            gw[1, q, 0] += gs
    return out, gx, gw


_chain = _njit(_chain)


class _Chain(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weights, reupload):
        _keep_inputs(ctx, x, weights, reupload)
        ctx.arrays = tuple(a.astype(np.float64, copy=False) for a in ctx.arrays)
        out = _chain(*ctx.arrays, reupload, np.zeros((0, 0)), False)[0]
        return torch.from_numpy(out).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        twice = _checked_or_double_backward(ctx, _wirewise, grad)
        if twice is not None:
            return twice
        xn, wn = ctx.arrays
        g = _np(grad).astype(np.float64, copy=False)
        _, gx, gw = _chain(xn, wn, ctx.option, g, True)
        dtype = ctx.inputs[0].dtype
        return ((torch.from_numpy(gx).to(dtype) if ctx.needs_input_grad[0] else None),
                torch.from_numpy(gw).to(dtype), None)


def vqc_chain(x: torch.Tensor, weights: torch.Tensor, reupload: bool) -> torch.Tensor:
    """``<Z_i>`` of a two-layer VQC head (as ``vqc_expvals``) on the chain: ``(B, n)``."""
    return _Chain.apply(x, weights, bool(reupload))
