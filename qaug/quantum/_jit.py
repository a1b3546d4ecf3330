"""Small circuits as compiled loops (numba): forward and adjoint backward in one call each.

At the presets' sizes (the 4-qubit VQC heads at batch 16-256, the 5-qubit patch generator at
batch 1-64) every numpy or torch operation costs a few microseconds of dispatch while the
arithmetic of a whole circuit is well under that. Here each direction of a circuit is one
``numba.njit`` function: loops over gates and amplitude pairs on ``(2**n, B)`` float64 planes
(wire 0 the most significant bit, as in ``_fused``; the inner loops run over the batch and
vectorize), whatever the input's float type; outputs and gradients come back in it.

- VQC: the encoding and first RY layer as one product state ``RY(x + a_0)|0>``; per later
  layer the previous layer's RZ as one phase per basis state (``exp(i sum_w theta_w
  bit_w)``, once per call: it does not depend on the sample), its CNOT ring as a cached
  permutation, then the RY of every wire; ``<Z_i>`` through a sign table with the last ring
  folded in. Backward (adjoint method, Jones & Gacon 2020): ``lam`` (the observable
  ``sum_i g_i Z_i`` times the final state) and the state run back through the gates; the
  gradient of an RY angle is ``Re <lam| -i Y_w |psi>`` after its layer, of an RZ phase
  ``-2 Im <lam| P1_w |psi>`` (``P1_w`` the projector on wire w's |1>).
- Patch generator (real amplitudes): ``RY(z + w_0)|0>``, per layer the CZ chain (signs) then
  the RY layer; the ancillas-in-|0> probabilities divided by their maximum; backward as
  ``_adjoint._patch_backward``.

Each circuit is one ``torch.autograd.Function``; a gradient of a gradient
(``create_graph=True``) recomputes through the autograd path (``_compact``). The kernels
compile on first use (about 8 s for the float32 VQC and patch kernels on 2-core AMD EPYC; 13 s before
the ring permutations were element loops) and numba caches them on disk (next to
this file, or in its user cache directory where that is read-only), so later processes load
them in well under a second. It is the default where numba imports (a core dependency);
``QAUG_JIT=0`` in the environment turns it off, and then (or without numba) the numpy paths
run. They agree with it to float rounding (float32: about 1e-7), not bit for bit, so results
of the two differ in the last digits and trained weights drift apart from there.
"""

from __future__ import annotations

import functools
import math
import os

import numpy as np
import torch

from ._adjoint import _autograd_grads
from ._adjoint_tables import wire_tables
from ._checks import check_finite_input
from ._compact import patch_compact, vqc_compact
from ._tables import ring_permutation

__all__ = ["JIT_AVAILABLE", "JIT_ENABLED", "jit_vqc_fits", "jit_patch_fits", "vqc_jit",
           "vqc_layer_jit", "patch_jit", "JIT_MAX_WORK", "JIT_MAX_QUBITS"]

try:  # pragma: no cover - exercised by whichever branch the environment has
    import numba
except ImportError:  # pragma: no cover
    numba = None

JIT_AVAILABLE = numba is not None
# Where this path takes a call (``fused=None``), measured with benchmarks/bench_quantum.py-style
# timings on one CPU thread: faster than every numpy path up to 7 qubits at batches up to 256
# (the VQC at 7 qubits x 3 layers x 256: 1.1x; 4-6 qubits: 1.5-3x), and at 8 qubits up to
# batch 16; beyond, the numpy paths' BLAS matmuls win. Work = states x n x layers x 2**n.
JIT_MAX_QUBITS = 7
JIT_MAX_WORK = 1 << 20
JIT_WIDE_QUBITS, JIT_WIDE_MAX_STATES = 8, 16
# On by default; QAUG_JIT=0 in the environment turns it off (the numpy paths, as before
# issue 12's compiled loops).
JIT_ENABLED = JIT_AVAILABLE and os.environ.get("QAUG_JIT", "1") != "0"


def _njit(fn):
    return numba.njit(cache=True, nogil=True)(fn) if JIT_AVAILABLE else fn


_CPU_FLOATS = (torch.float32, torch.float64)


def _cpu_float(*tensors: torch.Tensor) -> bool:
    for t in tensors:
        if t.dtype not in _CPU_FLOATS or t.device.type != "cpu":
            return False
    return True


def _fits(n: int, states: int, layers: int) -> bool:
    if n == JIT_WIDE_QUBITS:
        return states <= JIT_WIDE_MAX_STATES
    return n <= JIT_MAX_QUBITS and (states * n * layers << n) <= JIT_MAX_WORK


def jit_vqc_fits(n: int, n_layers: int, batch: int, *tensors: torch.Tensor) -> bool:
    """Whether ``vqc_expvals(fused=None)`` takes the compiled path for this call."""
    return JIT_ENABLED and batch > 0 and _fits(n, batch, n_layers) and _cpu_float(*tensors)


def jit_patch_fits(n: int, states: int, depth: int, *tensors: torch.Tensor) -> bool:
    """Whether ``patch_generator_patches(fused=None)`` takes the compiled path for this call.

    ``states`` is the batch times the number of sub-generators.
    """
    return JIT_ENABLED and states > 0 and _fits(n, states, depth) and _cpu_float(*tensors)


# --- kernels --------------------------------------------------------------------------------
# States are ``(2**n, B)`` float64 planes (wire w has mask 1 << (n - 1 - w)): every gate is a
# loop over amplitude pairs whose inner loop runs over the batch, which the compiler vectorizes.


@_njit
def _product_states(angles, n, re):
    """``re[:, b]`` = RY(angles[b, 0])|0> x ... x RY(angles[b, n-1])|0> (real, ``(2**n, B)``)."""
    batch = angles.shape[0]
    c, s = np.empty(batch), np.empty(batch)
    re[0, :] = 1.0
    size = 1
    for w in range(n):
        for b in range(batch):
            c[b], s[b] = math.cos(0.5 * angles[b, w]), math.sin(0.5 * angles[b, w])
        for k in range(size - 1, -1, -1):
            for b in range(batch):
                v = re[k, b]
                re[2 * k + 1, b] = v * s[b]
                re[2 * k, b] = v * c[b]
        size *= 2


@_njit
def _ry(vec, n, w, c, s):
    """Apply RY on wire w to real planes ``(2**n, B)`` in place.

    ``c``, ``s`` ``(B,)``: cosines and sines of half the angles.
    """
    d, m, batch = 1 << n, 1 << (n - 1 - w), vec.shape[1]
    for base in range(0, d, 2 * m):
        for j0 in range(base, base + m):
            for b in range(batch):
                a0, a1 = vec[j0, b], vec[j0 + m, b]
                vec[j0, b] = c[b] * a0 - s[b] * a1
                vec[j0 + m, b] = s[b] * a0 + c[b] * a1


@_njit
def _ry_grads(lre, lim, pre, pim, n, w, out):
    """``out[b] = Re <lam_b| -i Y_w |psi_b>`` (``-i Y`` maps (a0, a1) to (-a1, a0))."""
    d, m, batch = 1 << n, 1 << (n - 1 - w), pre.shape[1]
    out[:] = 0.0
    for base in range(0, d, 2 * m):
        for j0 in range(base, base + m):
            j1 = j0 + m
            for b in range(batch):
                out[b] += (lre[j1, b] * pre[j0, b] + lim[j1, b] * pim[j0, b]
                           - lre[j0, b] * pre[j1, b] - lim[j0, b] * pim[j1, b])


@_njit
def _permute_rows(vec, perm, tmp, inverse):
    """``vec[j] = vec[perm[j]]`` (``inverse``: ``vec[perm[j]] = vec[j]``) for planes ``(2**n, B)``.

    Element loops rather than row slices: the same copies, and numba compiles these in a
    fraction of the time it takes for whole-row assignments (seconds on a cold cache).
    """
    d, batch = vec.shape
    for j in range(d):
        src, dst = (j, perm[j]) if inverse else (perm[j], j)
        for b in range(batch):
            tmp[dst, b] = vec[src, b]
    for j in range(d):
        for b in range(batch):
            vec[j, b] = tmp[j, b]


@_njit
def _half_angles(w, layer, x, reupload, sign, c, s):
    """c, s ``(B, n)``: cos and sign * sin of half of ``w[layer, :, 0] (+ x when re-uploading)``."""
    batch, n = x.shape
    for b in range(batch):
        for q in range(n):
            t = 0.5 * (w[layer, q, 0] + (x[b, q] if reupload else 0.0))
            c[q, b], s[q, b] = math.cos(t), sign * math.sin(t)


@_njit
def _phase(re, im, phases, layer, sign):
    """Multiply planes by ``exp(sign * i * phi_j)`` of RZ layer ``layer``."""
    d, batch = re.shape
    for j in range(d):
        c, s = phases[layer, 0, j], sign * phases[layer, 1, j]
        for b in range(batch):
            a, e = re[j, b], im[j, b]
            re[j, b] = a * c - e * s
            im[j, b] = a * s + e * c


@_njit
def _vqc_fwd(x, w, reupload, perm, zo):
    """Forward of the VQC: ``<Z_i>`` ``(B, n)`` in x's dtype, and what the backward needs.

    Also returned: the final states (before the last ring, ``(2**n, B)`` planes) and the RZ
    phases.
    """
    batch, n = x.shape
    n_layers, d = w.shape[0], 1 << n
    phases = np.empty((max(n_layers - 1, 0), 2, d))
    for layer in range(n_layers - 1):  # exp(i sum_w theta_w bit_w(j)): the same for all samples
        for j in range(d):
            phi = 0.0
            for q in range(n):
                if (j >> (n - 1 - q)) & 1:
                    phi += w[layer, q, 1]
            phases[layer, 0, j], phases[layer, 1, j] = math.cos(phi), math.sin(phi)
    angles = np.empty((batch, n))
    for b in range(batch):
        for q in range(n):
            angles[b, q] = x[b, q] + w[0, q, 0]
    re, im = np.empty((d, batch)), np.zeros((d, batch))
    _product_states(angles, n, re)
    tmp = np.empty((d, batch))
    c, s = np.empty((n, batch)), np.empty((n, batch))
    for layer in range(1, n_layers):
        _phase(re, im, phases, layer - 1, 1.0)  # the previous layer's RZ, then its CNOT ring
        for vec in (re, im):
            _permute_rows(vec, perm, tmp, False)
        _half_angles(w, layer, x, reupload, 1.0, c, s)
        for q in range(n):
            _ry(re, n, q, c[q], s[q])
            _ry(im, n, q, c[q], s[q])
    out = np.zeros((batch, n))
    for j in range(d):
        for i in range(n):
            z = zo[j, i]
            for b in range(batch):
                out[b, i] += (re[j, b] * re[j, b] + im[j, b] * im[j, b]) * z
    return out.astype(x.dtype), re, im, phases


@_njit
def _vqc_bwd(g, x, w, reupload, perm, zo, phases, fre, fim):
    """Adjoint backward of ``_vqc_fwd``: gradients ``(B, n)`` and ``(L, n, 2)`` in x's dtype."""
    batch, n = x.shape
    n_layers, d = w.shape[0], 1 << n
    gx, gw = np.zeros((batch, n)), np.zeros((n_layers, n, 2))
    pre, pim = fre.copy(), fim.copy()
    lre, lim = np.empty((d, batch)), np.empty((d, batch))
    for j in range(d):  # lam = (sum_i g_i Z_i) psi
        for b in range(batch):
            h = 0.0
            for i in range(n):
                h += g[b, i] * zo[j, i]
            lre[j, b], lim[j, b] = h * pre[j, b], h * pim[j, b]
    tmp, r = np.empty((d, batch)), np.empty(batch)
    c, s = np.empty((n, batch)), np.empty((n, batch))
    for layer in range(n_layers - 1, -1, -1):
        for q in range(n):
            _ry_grads(lre, lim, pre, pim, n, q, r)
            for b in range(batch):
                gw[layer, q, 0] += r[b]
                if reupload or layer == 0:
                    gx[b, q] += r[b]
        if layer == 0:
            break
        _half_angles(w, layer, x, reupload, -1.0, c, s)  # undo this layer's RY
        for q in range(n):
            for vec in (pre, pim, lre, lim):
                _ry(vec, n, q, c[q], s[q])
        for vec in (pre, pim, lre, lim):  # undo the previous layer's ring: old[perm] = new
            _permute_rows(vec, perm, tmp, True)
        for q in range(n):  # its RZ: d/d theta of exp(i theta bit_q) psi = -2 Im <lam|P1_q|psi>
            acc = 0.0
            for j in range(d):
                if (j >> (n - 1 - q)) & 1:
                    for b in range(batch):
                        acc += lre[j, b] * pim[j, b] - lim[j, b] * pre[j, b]
            gw[layer - 1, q, 1] += -2.0 * acc
        _phase(pre, pim, phases, layer - 1, -1.0)
        _phase(lre, lim, phases, layer - 1, -1.0)
    return gx.astype(x.dtype), gw.astype(x.dtype)


@_njit
def _finite(a):
    """Whether every value of the 2-d array ``a`` is finite."""
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            if not math.isfinite(a[i, j]):
                return False
    return True


@_njit
def _bit_count(v):
    c = 0
    while v:
        v &= v - 1
        c += 1
    return c


@_njit
def _patch_fwd(z, w, n_ancillas):
    """Forward of the patch generator: ``(B, G*P)`` in z's dtype, and what the backward needs.

    Also returned: the final states (before the last CZ chain; ``(G, 2**n, B)``), each patch's
    argmax and peak ``(G, B)``, the CZ signs.
    """
    batch, n = z.shape
    n_gen, depth, d = w.shape[0], w.shape[1], 1 << n
    size = 1 << (n - n_ancillas)
    signs = np.empty(d)
    for j in range(d):  # the CZ chain: (-1)^(number of adjacent pairs of 1 bits)
        signs[j] = 1.0 - 2.0 * (_bit_count(j & (j >> 1)) & 1)
    out = np.empty((batch, n_gen * size), z.dtype)
    final = np.empty((n_gen, d, batch))
    top, peak = np.empty((n_gen, batch), np.int64), np.empty((n_gen, batch))
    angles = np.empty((batch, n))
    c, s = np.empty(batch), np.empty(batch)
    for g in range(n_gen):
        psi = final[g]
        for b in range(batch):
            for q in range(n):
                angles[b, q] = z[b, q] + w[g, 0, q]
        _product_states(angles, n, psi)
        for layer in range(1, depth):
            for j in range(d):
                for b in range(batch):
                    psi[j, b] *= signs[j]
            for q in range(n):
                c[:], s[:] = math.cos(0.5 * w[g, layer, q]), math.sin(0.5 * w[g, layer, q])
                _ry(psi, n, q, c, s)
        for b in range(batch):
            best, k_best = -1.0, 0
            for k in range(size):
                p = psi[k, b] * psi[k, b]
                if p > best:
                    best, k_best = p, k
            top[g, b], peak[g, b] = k_best, best
            for k in range(size):
                out[b, g * size + k] = psi[k, b] * psi[k, b] / best
    return out, final, top, peak, signs


@_njit
def _patch_bwd(gout, z, w, n_ancillas, signs, final, top, peak):
    """Adjoint backward of ``_patch_fwd``: gradients ``(B, n)``, ``(G, depth, n)``, z's dtype."""
    batch, n = z.shape
    n_gen, depth, d = w.shape[0], w.shape[1], 1 << n
    size = 1 << (n - n_ancillas)
    gz, gw = np.zeros((batch, n)), np.zeros((n_gen, depth, n))
    lam, r = np.zeros((d, batch)), np.empty(batch)
    c, s = np.empty(batch), np.empty(batch)
    for g in range(n_gen):
        psi = final[g].copy()
        lam[:] = 0.0
        for b in range(batch):  # d loss / d psi_k through kept_k / peak (and through the peak)
            pk = peak[g, b]
            dot = 0.0
            for k in range(size):
                dot += gout[b, g * size + k] * psi[k, b] * psi[k, b] / pk
            for k in range(size):
                gk = gout[b, g * size + k] / pk
                if k == top[g, b]:
                    gk -= dot / pk
                lam[k, b] = 2.0 * psi[k, b] * gk
        for layer in range(depth - 1, -1, -1):
            for q in range(n):
                m = 1 << (n - 1 - q)
                r[:] = 0.0
                for base in range(0, d, 2 * m):
                    for j0 in range(base, base + m):
                        for b in range(batch):
                            r[b] += lam[j0 + m, b] * psi[j0, b] - lam[j0, b] * psi[j0 + m, b]
                for b in range(batch):  # d RY(t) / dt = -i Y / 2 RY(t)
                    gw[g, layer, q] += 0.5 * r[b]
                    if layer == 0:
                        gz[b, q] += 0.5 * r[b]
            if layer == 0:
                break
            for q in range(n):
                c[:], s[:] = math.cos(0.5 * w[g, layer, q]), -math.sin(0.5 * w[g, layer, q])
                _ry(psi, n, q, c, s)
                _ry(lam, n, q, c, s)
            for j in range(d):
                for b in range(batch):
                    psi[j, b] *= signs[j]
                    lam[j, b] *= signs[j]
    return gz.astype(z.dtype), gw.astype(z.dtype)


# --- the autograd Functions ---------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def _vqc_tables(n: int):
    perm = np.asarray(ring_permutation(n) if n > 1 else range(1 << n), dtype=np.int64)
    zo = np.ascontiguousarray(wire_tables(n, np.float64).zs[np.argsort(perm)])  # Z after the ring
    return perm, zo


def _np(t: torch.Tensor) -> np.ndarray:
    """A C-contiguous numpy view of ``t`` (a copy only where ``t`` is not contiguous)."""
    a = t.detach().numpy()
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


# The Functions keep the inputs' numpy views on ``ctx`` (no save_for_backward / saved_tensors
# round trip: at batch 1 that glue costs more than the circuit) and check the inputs' version
# counters in the backward, as saved tensors would, so an in-place change between the forward
# and the backward still raises rather than giving wrong gradients.


def _keep_inputs(ctx, x: torch.Tensor, weights: torch.Tensor, option) -> None:
    """What every compiled Function's backward needs of its forward: numpy views, versions."""
    ctx.option, ctx.arrays = option, (_np(x), _np(weights))
    ctx.inputs, ctx.versions = (x, weights), (x._version, weights._version)


def _checked_or_double_backward(ctx, reference, grad):
    """The start of every compiled Function's backward.

    Raises if an input changed in place since the forward. With grad mode on
    (``create_graph=True``) returns the gradients through ``reference(x, weights, option)``'s
    autograd path (plus None for each option); otherwise None: the kernel's turn.
    """
    if ctx.inputs[0]._version != ctx.versions[0] or ctx.inputs[1]._version != ctx.versions[1]:
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            "inplace operation: an input or the weights of a compiled circuit changed between "
            "its forward and backward. Call backward before changing them (e.g. before "
            "optimizer.step())."
        )
    if not torch.is_grad_enabled():
        return None
    grads = _autograd_grads(lambda a, b: reference(a, b, ctx.option), ctx.inputs,
                            ctx.needs_input_grad, grad)
    return (*grads, *[None] * (len(ctx.needs_input_grad) - 2))  # none for the options


class _VQC(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weights, reupload, layer=None):
        _keep_inputs(ctx, x, weights, reupload)
        if layer is not None and not _finite(ctx.arrays[0]):  # VQCLayer's input check
            check_finite_input(x, f"the input angles x of {layer}")
        ctx.tables = _vqc_tables(x.shape[1])  # (perm, zo)
        out, *ctx.kept = _vqc_fwd(*ctx.arrays, reupload, *ctx.tables)
        return torch.from_numpy(out)

    @staticmethod
    def backward(ctx, grad):
        twice = _checked_or_double_backward(ctx, vqc_compact, grad)
        if twice is not None:
            return twice
        (xn, wn), (perm, zo), (fre, fim, phases) = ctx.arrays, ctx.tables, ctx.kept
        g = _np(grad)
        gx, gw = _vqc_bwd(g if g.dtype == xn.dtype else g.astype(xn.dtype), xn, wn, ctx.option,
                          perm, zo, phases, fre, fim)
        return (torch.from_numpy(gx) if ctx.needs_input_grad[0] else None), torch.from_numpy(gw), \
            None, None


class _Patch(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, weights, n_ancillas):
        _keep_inputs(ctx, z, weights, n_ancillas)
        out, *ctx.kept = _patch_fwd(*ctx.arrays, n_ancillas)
        return torch.from_numpy(out)

    @staticmethod
    def backward(ctx, grad):
        twice = _checked_or_double_backward(ctx, patch_compact, grad)
        if twice is not None:
            return twice
        (zn, wn), (final, top, peak, signs) = ctx.arrays, ctx.kept
        gz, gw = _patch_bwd(_np(grad).astype(zn.dtype, copy=False), zn, wn, ctx.option, signs,
                            final, top, peak)
        return (torch.from_numpy(gz) if ctx.needs_input_grad[0] else None), torch.from_numpy(gw), None


def vqc_jit(x: torch.Tensor, weights: torch.Tensor, reupload: bool) -> torch.Tensor:
    """``<Z_i>`` of the VQC head (as ``vqc_expvals``) on the compiled path: ``(B, n)``."""
    return _VQC.apply(x, weights, bool(reupload))


# ``Function.apply`` less its functorch handling (under vmap, grad, ... ``vqc_layer_jit`` leaves
# the call to ``Function.apply``): at batch 1 its Python wrapper costs 2 us of a 100 us step.
_VQC_APPLY = getattr(super(torch.autograd.Function, _VQC), "apply", _VQC.apply)


def vqc_layer_jit(
    x: torch.Tensor, weights: torch.Tensor, reupload: bool, layer: str
) -> torch.Tensor | None:
    """``VQCLayer``'s forward where it takes the compiled path, else None.

    The same result as ``_check_input`` then ``vqc_expvals`` (which would pick ``vqc_jit`` for
    these arguments) with the layer's checks folded in: shapes, one dtype, a finite input
    (tested in a compiled loop; the error is ``check_finite_input``'s). None -- the caller
    runs the general path -- for anything else: other dtypes or devices, mixed dtypes,
    wrong shapes (whose errors the general path gives), sizes off this path, functorch
    transforms, ``QAUG_JIT=0``.
    """
    if not (JIT_ENABLED and type(x) is torch.Tensor and x.dim() == 2 and weights.dim() == 3) or (
        torch._C._are_functorch_transforms_active()  # Function.apply's own handling
    ):
        return None
    batch, n = x.shape
    if (
        batch == 0 or weights.shape[1:] != (n, 2) or x.dtype != weights.dtype
        or x.dtype not in _CPU_FLOATS or x.device.type != "cpu" or weights.device.type != "cpu"
        or not _fits(n, batch, weights.shape[0])
    ):
        return None
    return _VQC_APPLY(x, weights, bool(reupload), layer)


def patch_jit(z: torch.Tensor, weights: torch.Tensor, n_ancillas: int) -> torch.Tensor:
    """Patches of all sub-generators (as ``patch_generator_patches``), compiled path."""
    return _Patch.apply(z, weights, int(n_ancillas))


def warm_up() -> None:
    """Load (or, on a cold cache, compile) the float32 kernels, forward and backward.

    For processes that fork workers (``qaug.experiments._preload``): the children inherit the
    loaded code instead of each reading numba's cache (about 0.5 s) or compiling (~8 s).
    Nothing here draws random numbers; the results of later calls do not depend on it.
    """
    if not JIT_ENABLED:
        return
    with torch.enable_grad():
        x = torch.zeros(2, 4, requires_grad=True)  # (batch, n_qubits)
        w = torch.zeros(2, 4, 2, requires_grad=True)  # (layers, n_qubits, RY/RZ)
        vqc_jit(x, w, False).sum().backward()
        vqc_layer_jit(x, w, False, "VQCLayer").sum().backward()
        z = torch.zeros(2, 5, requires_grad=True)  # (batch, n_qubits)
        g = torch.zeros(2, 2, 5, requires_grad=True)  # (generators, depth, n_qubits)
        patch_jit(z, g, 1).sum().backward()
