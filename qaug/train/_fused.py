"""The ``fused`` training engine: whole training steps of the built-in classifiers in compiled loops.

At the presets' sizes (8x8 images, batches of 16, a 4-qubit circuit) a torch training step
is ~40 operator dispatches, an autograd graph and an optimizer call for a few thousand
multiply-adds: 0.4-0.8 ms of overhead per step. ``train.engine = "fused"`` runs the same
maths (forward, cross-entropy, backward, Adam) for a whole epoch in one numba call, in
float64 arithmetic on the model's own float32 weights (updated in place, so validation,
callbacks and checkpoints see them as usual). Same model, loss, batches and optimizer as the
``torch`` engine; the rounding differs (float64 inside instead of float32), so results differ
from the torch engine's in the last digits and trained weights drift apart from there: the
engine is part of a run's identity (``TrainConfig.engine``).

Supported (anything else trains with the torch engine, and ``TrainResult.engine`` says which
ran): ``HQCNN``, ``ReuploadHQCNN``, ``CNNControl`` with their built-in bodies and
``QuanvHQCNN``, float32 weights on the CPU, every weight trainable, no module hooks, no
noise, at most ``JIT_MAX_QUBITS`` qubits, float32 images and numba installed.
``tests/train/test_fused_engine.py`` checks gradients against torch's autograd (float64) and the
Adam update against ``torch.optim.Adam``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from qaug.quantum._jit import JIT_ENABLED, JIT_MAX_QUBITS, _njit, _vqc_bwd, _vqc_fwd, _vqc_tables

__all__ = ["ENGINES", "FusedPlan", "fused_plan"]

ENGINES = ("torch", "fused")
_BODY_VQC, _BODY_REUPLOAD, _BODY_TANH = 0, 1, 2


# --- kernels (float64 arithmetic; weights are 1-D float32 views, updated in place) -------------


@_njit
def _adam(w, g, m, v, lr, b1, b2, eps, wd, t):
    """torch.optim.Adam's update (L2 ``wd``, no amsgrad) of float32 ``w`` with gradient ``g``."""
    step_size = lr / (1.0 - b1**t)
    root_bc2 = math.sqrt(1.0 - b2**t)
    for i in range(w.size):
        gi = g[i] + wd * w[i]
        m[i] = b1 * m[i] + (1.0 - b1) * gi
        v[i] = b2 * v[i] + (1.0 - b2) * gi * gi
        w[i] = w[i] - step_size * m[i] / (math.sqrt(v[i]) / root_bc2 + eps)


@_njit
def _cross_entropy(logits, y, rows, dl):
    """Mean cross-entropy of ``logits`` ``(b, k)``; ``dl`` = its gradient. Returns (sum, correct)."""
    b, k = logits.shape
    total, correct = 0.0, 0
    for i in range(b):
        label, top = y[rows[i]], 0
        for j in range(1, k):
            if logits[i, j] > logits[i, top]:
                top = j
        correct += top == label
        peak = logits[i, top]
        s = 0.0
        for j in range(k):
            s += math.exp(logits[i, j] - peak)
        lse = peak + math.log(s)
        total += lse - logits[i, label]
        for j in range(k):
            dl[i, j] = (math.exp(logits[i, j] - lse) - (1.0 if j == label else 0.0)) / b
    return total, correct


@_njit
def _linear(w, bias, x, out):
    """``out = x @ w.T + bias`` for ``w`` ``(o, i)``, ``x`` ``(b, i)``."""
    for r in range(x.shape[0]):
        for o in range(w.shape[0]):
            acc = bias[o]
            for i in range(x.shape[1]):
                acc += w[o, i] * x[r, i]
            out[r, o] = acc


@_njit
def _linear_bwd(w, x, dout, gw, gb, dx):
    """Accumulate ``gw``, ``gb`` of ``out = x @ w.T + b``; ``dx`` = the input's gradient."""
    for r in range(x.shape[0]):
        for o in range(w.shape[0]):
            d = dout[r, o]
            gb[o] += d
            for i in range(x.shape[1]):
                gw[o, i] += d * x[r, i]
                dx[r, i] += d * w[o, i]


@_njit
def _head(hw, hb, feat, y, rows, ghw, ghb, dfeat):
    """Linear head, mean cross-entropy and the head's backward, for one batch.

    Returns (loss sum, correct); ``ghw``, ``ghb`` accumulate the head's gradients and
    ``dfeat`` the features'. With a non-finite loss the gradients are left for the caller to
    discard (the step is not applied).
    """
    b, k = feat.shape[0], hw.shape[0]
    logits, dl = np.empty((b, k)), np.empty((b, k))
    _linear(hw, hb, feat, logits)
    total, correct = _cross_entropy(logits, y, rows, dl)
    if math.isfinite(total):
        _linear_bwd(hw, feat, dl, ghw, ghb, dfeat)
    return total, correct


@_njit
def _tanh(x, scale, out):
    """``out = scale * tanh(x)``; returns tanh(x)."""
    t = np.tanh(x)
    for r in range(x.shape[0]):
        for i in range(x.shape[1]):
            out[r, i] = scale * t[r, i]
    return t


@_njit
def _tanh_bwd(t, scale, dout):
    """Gradient of ``scale * tanh`` (``t`` = the tanh) given the output's ``dout``."""
    d = np.empty_like(dout)
    for r in range(t.shape[0]):
        for i in range(t.shape[1]):
            d[r, i] = dout[r, i] * scale * (1.0 - t[r, i] * t[r, i])
    return d


@_njit
def _conv_pool_relu(xp, rows, cw, cb, h, arg):
    """3x3 conv of zero-padded images ``xp[rows]`` ``(., S+2, S+2)``, 2x2 max-pool, ReLU.

    ``h`` ``(b, C * (S//2)**2)`` in (channel, row, column) order; ``arg`` the flat position
    (row * S + column) of each pooled maximum in the conv output (the first of equals).
    """
    side = xp.shape[1] - 2
    half, c_out = side // 2, cw.shape[0]
    for r in range(rows.size):
        img = xp[rows[r]]
        for c in range(c_out):
            for i in range(half):
                for j in range(half):
                    best, where = -np.inf, -1
                    for e in range(4):
                        rr, cc = 2 * i + e // 2, 2 * j + e % 2
                        acc = cb[c]
                        for u in range(3):
                            for w_ in range(3):
                                acc += cw[c, 3 * u + w_] * img[rr + u, cc + w_]
                        if acc > best or where < 0 or acc != acc:  # NaN wins, as in torch
                            best, where = acc, rr * side + cc
                    f = (c * half + i) * half + j
                    h[r, f] = 0.0 if best <= 0.0 else best  # ReLU (NaN stays NaN)
                    arg[r, f] = where


@_njit
def _conv_pool_relu_bwd(xp, rows, h, arg, dh, gcw, gcb):
    """Accumulate the conv's weight and bias gradients from the pooled map's ``dh``."""
    side = xp.shape[1] - 2
    per = (side // 2) ** 2
    for r in range(rows.size):
        img = xp[rows[r]]
        for f in range(h.shape[1]):
            d = dh[r, f]
            if h[r, f] <= 0.0 or d == 0.0:  # ReLU closed (torch: no gradient at 0)
                continue
            c, rr, cc = f // per, arg[r, f] // side, arg[r, f] % side
            gcb[c] += d
            for u in range(3):
                for w_ in range(3):
                    gcw[c, 3 * u + w_] += d * img[rr + u, cc + w_]


@_njit
def _front_epoch(body, xp, y, order, batch_size, first, last, w32, g, m, v, offs, t0, hyper,
                 dims, perm, zo):
    """Batches ``first..last-1`` of an epoch of HQCNN / ReuploadHQCNN / CNNControl.

    ``xp``: the training images zero-padded, float64 ``(N, S+2, S+2)``; ``w32``: all weights
    flat, float32 (conv w, conv b, fc w, fc b, VQC w, body w, body b, head w, head b; the
    unused body's empty), updated in place; ``g``, ``m``, ``v``: flat float64 gradient and
    Adam moments, ``offs`` the offsets; ``hyper``: lr, beta1, beta2, eps, wd; ``dims``:
    channels, qubits, layers, classes. Stops before applying a batch whose loss is not
    finite. Returns (sum of batch losses x batch sizes, correct, batches done, bad loss).
    """
    c_out, n, n_layers, k = dims[0], dims[1], dims[2], dims[3]
    n_feat = c_out * ((xp.shape[1] - 2) // 2) ** 2
    loss_sum, correct_sum, done = 0.0, 0, 0
    for bi in range(first, last):
        rows = order[bi * batch_size: min((bi + 1) * batch_size, order.size)]
        b = rows.size
        w = w32.astype(np.float64)
        g[:] = 0.0
        cw, cb = w[offs[0]:offs[1]].reshape((c_out, 9)), w[offs[1]:offs[2]]
        fw, fb = w[offs[2]:offs[3]].reshape((n, n_feat)), w[offs[3]:offs[4]]
        hw, hb = w[offs[7]:offs[8]].reshape((k, n)), w[offs[8]:offs[9]]
        h, arg = np.empty((b, n_feat)), np.empty((b, n_feat), dtype=np.int64)
        _conv_pool_relu(xp, rows, cw, cb, h, arg)
        pre, ang = np.empty((b, n)), np.empty((b, n))
        _linear(fw, fb, h, pre)
        th = _tanh(pre, math.pi, ang)  # angles pi * tanh in (-pi, pi)
        z = np.empty((b, n))
        if body == _BODY_TANH:
            bw, bb = w[offs[5]:offs[6]].reshape((n, n)), w[offs[6]:offs[7]]
            _linear(bw, bb, ang, pre)
            tz = _tanh(pre, 1.0, z)
        else:
            qw = w[offs[4]:offs[5]].reshape((n_layers, n, 2))
            z, fre, fim, phases = _vqc_fwd(ang, qw, body == _BODY_REUPLOAD, perm, zo)
        dz = np.zeros((b, n))
        total, correct = _head(hw, hb, z, y, rows, g[offs[7]:offs[8]].reshape((k, n)),
                               g[offs[8]:offs[9]], dz)
        if not math.isfinite(total):
            return loss_sum, correct_sum, done, total / b
        dang = np.zeros((b, n))
        if body == _BODY_TANH:
            _linear_bwd(bw, ang, _tanh_bwd(tz, 1.0, dz), g[offs[5]:offs[6]].reshape((n, n)),
                        g[offs[6]:offs[7]], dang)
        else:
            dang, gq = _vqc_bwd(dz, ang, qw, body == _BODY_REUPLOAD, perm, zo, phases, fre, fim)
            g[offs[4]:offs[5]] += gq.reshape(-1)
        dh = np.zeros((b, n_feat))
        _linear_bwd(fw, h, _tanh_bwd(th, math.pi, dang), g[offs[2]:offs[3]].reshape((n, n_feat)),
                    g[offs[3]:offs[4]], dh)
        _conv_pool_relu_bwd(xp, rows, h, arg, dh, g[offs[0]:offs[1]].reshape((c_out, 9)),
                            g[offs[1]:offs[2]])
        _adam(w32, g, m, v, hyper[0], hyper[1], hyper[2], hyper[3], hyper[4], t0 + bi - first + 1)
        loss_sum += total
        correct_sum += correct
        done += 1
    return loss_sum, correct_sum, done, 0.0


@_njit
def _patch_angles(xq, rows, pool, pp, ang):
    """RY(pi * pixel) angles ``(b * pp * pp, 4)`` of every 2x2 patch, after ``pool``-averaging."""
    for r in range(rows.size):
        img = xq[rows[r]]
        for i in range(pp):
            for j in range(pp):
                for e in range(4):
                    r0, c0 = (2 * i + e // 2) * pool, (2 * j + e % 2) * pool
                    s = 0.0
                    for a in range(pool):
                        for c in range(pool):
                            s += img[r0 + a, c0 + c]
                    ang[(r * pp + i) * pp + j, e] = math.pi * (s / (pool * pool))


@_njit
def _quanv_epoch(xq, y, order, batch_size, first, last, w32, g, m, v, offs, t0, hyper, dims,
                 perm, zo):
    """Batches ``first..last-1`` of an epoch of QuanvHQCNN (as ``_front_epoch``).

    ``xq``: images float64 ``(N, S, S)``; ``w32``: circuit w, head w, head b; ``dims``:
    layers, classes, pool factor, patches per side.
    """
    n_layers, k, pool, pp = dims[0], dims[1], dims[2], dims[3]
    n_feat, per = 4 * pp * pp, pp * pp
    loss_sum, correct_sum, done = 0.0, 0, 0
    for bi in range(first, last):
        rows = order[bi * batch_size: min((bi + 1) * batch_size, order.size)]
        b = rows.size
        w = w32.astype(np.float64)
        g[:] = 0.0
        qw = w[offs[0]:offs[1]].reshape((n_layers, 4, 2))
        hw, hb = w[offs[1]:offs[2]].reshape((k, n_feat)), w[offs[2]:offs[3]]
        ang = np.empty((b * per, 4))
        _patch_angles(xq, rows, pool, pp, ang)
        out, fre, fim, phases = _vqc_fwd(ang, qw, False, perm, zo)
        # the (4, p, p) feature map, flattened: feature c * p * p + patch <- out[patch, c]
        feat = np.ascontiguousarray(out.reshape((b, per, 4)).transpose(0, 2, 1)).reshape((b, n_feat))
        dfeat = np.zeros((b, n_feat))
        total, correct = _head(hw, hb, feat, y, rows, g[offs[1]:offs[2]].reshape((k, n_feat)),
                               g[offs[2]:offs[3]], dfeat)
        if not math.isfinite(total):
            return loss_sum, correct_sum, done, total / b
        dout = np.ascontiguousarray(dfeat.reshape((b, 4, per)).transpose(0, 2, 1)).reshape((b * per, 4))
        gq = _vqc_bwd(dout, ang, qw, False, perm, zo, phases, fre, fim)[1]
        g[offs[0]:offs[1]] += gq.reshape(-1)
        _adam(w32, g, m, v, hyper[0], hyper[1], hyper[2], hyper[3], hyper[4], t0 + bi - first + 1)
        loss_sum += total
        correct_sum += correct
        done += 1
    return loss_sum, correct_sum, done, 0.0


# --- plans ----------------------------------------------------------------------------------


def _hooked(model: nn.Module) -> bool:
    from torch.nn.modules import module as _module

    if (_module._global_forward_hooks or _module._global_forward_pre_hooks
            or _module._global_backward_hooks):
        return True
    return any(mod._forward_hooks or mod._forward_pre_hooks or mod._backward_hooks
               or getattr(mod, "_backward_pre_hooks", None) for mod in model.modules())


def _weights(params: list[torch.Tensor]) -> list[np.ndarray] | None:
    """1-D float32 numpy views sharing the parameters' memory, or None if one cannot be."""
    views = []
    for t in params:
        if (t is not None and (t.dtype != torch.float32 or t.device.type != "cpu"
                               or not t.requires_grad or not t.is_contiguous())):
            return None
        views.append(np.empty(0, np.float32) if t is None else t.detach().numpy().reshape(-1))
    return views


def write_back(views: list[np.ndarray], flat: np.ndarray, offsets: np.ndarray) -> None:
    """Copy the flat weights a kernel updated back into the parameters' views."""
    for view, a, b in zip(views, offsets[:-1], offsets[1:]):
        view[:] = flat[a:b]


class FusedPlan:
    """One training run on the fused engine: its data, weight views, gradient and Adam moments.

    Built by :func:`fused_plan`. ``epoch`` runs batches of one shuffled pass: it reads the
    model's weights, steps, and writes them back (float32, as the torch engine keeps them),
    so what happens to the model between calls (a callback, ``load_state_dict``) is seen.
    """

    def __init__(self, kernel, images: np.ndarray, labels: np.ndarray, views: list[np.ndarray],
                 dims: tuple[int, ...], n_qubits: int, lr: float, weight_decay: float,
                 betas=(0.9, 0.999), eps: float = 1e-8):
        self.kernel, self.images, self.labels, self.views = kernel, images, labels, views
        self.offsets = np.concatenate([[0], np.cumsum([w.size for w in views])]).astype(np.int64)
        total = int(self.offsets[-1])
        self.grad, self.m, self.v = np.zeros(total), np.zeros(total), np.zeros(total)
        self.steps = 0
        self.hyper = np.array([lr, betas[0], betas[1], eps, weight_decay], dtype=np.float64)
        self.dims = np.asarray(dims, dtype=np.int64)
        self.tables = _vqc_tables(n_qubits)

    def epoch(self, order: np.ndarray, batch_size: int, first: int,
              last: int) -> tuple[float, int, int, float]:
        """Batches ``first..last-1`` of the pass in ``order``: (loss x size sum, correct, done, bad).

        ``bad`` is the non-finite loss that stopped the pass before its step (0.0 if none).
        """
        w32 = np.concatenate(self.views)
        loss_sum, correct, done, bad = self.kernel(
            self.images, self.labels, order, batch_size, first, last, w32, self.grad, self.m,
            self.v, self.offsets, self.steps, self.hyper, self.dims, *self.tables)
        write_back(self.views, w32, self.offsets)
        self.steps += done
        return loss_sum, correct, done, bad


def _plan_front(model, x: np.ndarray, y: np.ndarray, lr, weight_decay) -> FusedPlan | None:
    from qaug.models._hqcnn import ClassicalBottleneck
    from qaug.models._quantum_layers import ReuploadingVQCLayer, VQCLayer

    conv, fc, body, head = model.front.conv, model.front.fc, model.body, model.head
    if (conv.kernel_size, conv.stride, conv.padding, conv.dilation, conv.groups) != (
            (3, 3), (1, 1), (1, 1), (1, 1), 1) or conv.padding_mode != "zeros" or conv.bias is None:
        return None
    if type(body) is ClassicalBottleneck:
        kind, body_w = _BODY_TANH, [None, body.linear.weight, body.linear.bias]
    elif type(body) in (VQCLayer, ReuploadingVQCLayer) and body.noise is None:
        kind = _BODY_REUPLOAD if type(body) is ReuploadingVQCLayer else _BODY_VQC
        body_w = [body.weights, None, None]
    else:
        return None
    params = [conv.weight, conv.bias, fc.weight, fc.bias, *body_w, head.weight, head.bias]
    views = _weights(params)
    if views is None or sum(t is not None for t in params) != len(list(model.parameters())):
        return None
    padded = np.zeros((len(x), x.shape[2] + 2, x.shape[3] + 2))  # (N, S+2, S+2), zero border
    padded[:, 1:-1, 1:-1] = x[:, 0]

    def kernel(*args):
        return _front_epoch(kind, *args)

    dims = (model.channels, model.n_qubits, model.n_layers, model.n_classes)
    return FusedPlan(kernel, padded, y, views, dims, model.n_qubits, lr, weight_decay)


def _plan_quanv(model, x: np.ndarray, y: np.ndarray, lr, weight_decay) -> FusedPlan | None:
    from qaug.models._quantum_layers import QuanvCircuit

    if type(model.quanv) is not QuanvCircuit or model.quanv.noise is not None:
        return None
    params = [model.quanv.weights, model.head.weight, model.head.bias]
    views = _weights(params)
    if views is None or len(params) != len(list(model.parameters())):
        return None
    dims = (model.n_layers, model.n_classes, model.pool, model.n_patches)
    return FusedPlan(_quanv_epoch, x[:, 0].astype(np.float64), y, views, dims, 4, lr, weight_decay)


def fused_plan(model: nn.Module, x: torch.Tensor, y: torch.Tensor, device: torch.device,
               lr: float, weight_decay: float) -> FusedPlan | None:
    """The fused engine's plan for training ``model`` on ``(x, y)``; None where it does not apply.

    ``x`` ``(N, 1, S, S)`` float32 images and ``y`` ``(N,)`` int64 labels, already checked
    against the model.
    """
    from qaug.models._hqcnn import HQCNN, CNNControl, QuanvHQCNN, ReuploadHQCNN

    if (not JIT_ENABLED or device.type != "cpu" or x.dtype != torch.float32 or x.ndim != 4
            or y.dtype != torch.int64 or x.device.type != "cpu" or _hooked(model)):
        return None
    xn, yn = x.detach().numpy(), np.ascontiguousarray(y.numpy())
    if type(model) in (HQCNN, ReuploadHQCNN, CNNControl) and model.n_qubits <= JIT_MAX_QUBITS:
        return _plan_front(model, xn, yn, lr, weight_decay)
    if type(model) is QuanvHQCNN:
        return _plan_quanv(model, xn, yn, lr, weight_decay)
    return None


def compiled(kernel) -> bool:
    """Whether numba's disk cache holds ``kernel`` compiled from the current source.

    Reads numba's cache index (not public API: on any surprise the answer is True, i.e.
    warm up as before).
    """
    try:
        return bool(kernel._cache._cache_file._load_index())
    except Exception:  # noqa: BLE001
        return True


def warm_up(cached_only: bool = False) -> None:
    """Load (or, on a cold cache, compile) both epoch kernels: one step of two tiny models.

    For the sweep workers' fork server, as ``qaug.quantum._jit.warm_up``; draws nothing that
    a run uses (the models are seeded and thrown away). ``cached_only``: skip a kernel that
    would have to be compiled (20-30 s each on 2 cores): a worker that needs it compiles it
    then, and a sweep that never trains that model does not pay for it.
    """
    if not JIT_ENABLED:
        return
    from qaug.models._hqcnn import HQCNN, QuanvHQCNN

    x, y = torch.zeros(2, 1, 4, 4), torch.zeros(2, dtype=torch.int64)
    for cls, kernel in ((HQCNN, _front_epoch), (QuanvHQCNN, _quanv_epoch)):
        if cached_only and not compiled(kernel):
            continue
        model = cls(2, 4, generator=torch.Generator().manual_seed(0))
        fused_plan(model, x, y, torch.device("cpu"), 0.0, 0.0).epoch(np.arange(2), 2, 0, 1)
