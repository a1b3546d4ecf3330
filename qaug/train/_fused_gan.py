"""The ``fused`` engine for GAN training: one compiled call per D + G iteration.

``adversarial.<kind>.engine = "fused"`` runs :func:`qaug.train.train_gan`'s step (the
discriminator's BCE update on a real and a fake batch, then the generator's non-saturating
update against the updated discriminator) in float64 loops on the networks' own float32
weights; the loop around it (batch and latent draws from the same generators, history,
quality evaluation, best-checkpoint tracking, callbacks) is the torch engine's. As with the
classifiers' engine (``_fused``) the rounding differs from torch's, so the engine is part of a
bank's identity.

Covered: the patch QGAN (``QGANGenerator`` without a post-network, with or without patch
brightness) and the MLP GAN generator, against ``MLPDiscriminator``; BCE loss, one critic step,
SGD or Adam, float32 on the CPU, no noise, no checkpoints (``out_dir=None``, as in sweeps' banks).
Anything else trains with torch (``GANResult``'s history records ``engine``).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from qaug.quantum._jit import JIT_ENABLED, _njit, _patch_bwd, _patch_fwd, jit_patch_fits
from qaug.train._fused import _adam

__all__ = ["FusedGAN", "fused_gan"]

_G_PATCH, _G_MLP = 0, 1


@_njit
def _layer(acts, dims, layer, batch):
    """Layer ``layer``'s activations ``(batch, dims[layer])``: a block of the flat ``acts``."""
    start = 0
    for i in range(layer):
        start += dims[i]
    return acts[batch * start: batch * (start + dims[layer])].reshape((batch, dims[layer]))


@_njit
def _mlp_fwd(w, offs, dims, x, acts):
    """Linear layers ``dims[0] -> ... -> dims[-1]`` with ReLU between (not after).

    ``w``: float64 weights, layer l's matrix at ``offs[2l]`` and bias at ``offs[2l+1]``;
    ``acts``: flat buffer of every layer's output ``(B, dims[l])`` (the input first, the last
    raw), one block after the other.
    """
    n_layers, batch = dims.size - 1, x.shape[0]
    _layer(acts, dims, 0, batch)[:] = x
    for layer in range(n_layers):
        n_in, n_out = dims[layer], dims[layer + 1]
        wm = w[offs[2 * layer]: offs[2 * layer] + n_out * n_in].reshape((n_out, n_in))
        out = _layer(acts, dims, layer + 1, batch)
        out[:] = np.dot(_layer(acts, dims, layer, batch), wm.T)
        for r in range(batch):
            for o in range(n_out):
                v = out[r, o] + w[offs[2 * layer + 1] + o]
                out[r, o] = 0.0 if layer < n_layers - 1 and v < 0.0 else v


@_njit
def _mlp_bwd(w, offs, dims, acts, dout, g, dx):
    """Accumulate the gradients of ``_mlp_fwd``'s weights into ``g``; ``dx`` = input gradient."""
    n_layers, batch = dims.size - 1, dout.shape[0]
    delta = np.ascontiguousarray(dout)
    for layer in range(n_layers - 1, -1, -1):
        n_in, n_out = dims[layer], dims[layer + 1]
        h = _layer(acts, dims, layer, batch)
        wo, bo = offs[2 * layer], offs[2 * layer + 1]
        wm = w[wo: wo + n_out * n_in].reshape((n_out, n_in))
        g[wo: wo + n_out * n_in] += np.dot(delta.T, h).reshape(-1)
        for o in range(n_out):
            acc = 0.0
            for r in range(batch):
                acc += delta[r, o]
            g[bo + o] += acc
        prev = np.dot(delta, wm)  # (batch, n_in)
        if layer > 0:  # through the ReLU that made this layer's input
            for r in range(batch):
                for i in range(n_in):
                    if h[r, i] <= 0.0:
                        prev[r, i] = 0.0
        delta = prev
    dx[:] = delta


@_njit
def _bce(logits, target, dl):
    """Mean BCE-with-logits of ``logits`` ``(B, 1)`` against ``target``; gradient into ``dl``.

    Returns (loss, mean sigmoid).
    """
    b = logits.shape[0]
    loss, prob = 0.0, 0.0
    for r in range(b):
        x = logits[r, 0]
        loss += max(x, 0.0) - x * target + math.log1p(math.exp(-abs(x)))
        s = 1.0 / (1.0 + math.exp(-x))
        prob += s
        dl[r, 0] = (s - target) / b
    return loss / b, prob / b


@_njit
def _update(w32, g, m, v, lr, hyper, t):
    """Adam (``hyper[2]`` > 0, betas and eps from ``hyper``) or plain SGD step of ``w32``."""
    if hyper[2] > 0.0:
        _adam(w32, g, m, v, lr, hyper[3], hyper[4], hyper[5], 0.0, t)
    else:
        for i in range(w32.size):
            w32[i] = w32[i] - lr * g[i]


@_njit
def _gan_step(g_kind, z, real, rows, wg32, wd32, gg, gd, mg, vg, md, vd, g_offs, d_offs,
              g_dims, d_dims, patch_dims, t, hyper):
    """One D update (real ``real[rows]``, fake ``G(z)``) then one G update; in place.

    ``hyper``: lr_g, lr_d, adam (0/1), beta1, beta2, eps. ``patch_dims``: ancillas,
    sub-generators, depth, qubits, brightness (0/1). Returns (loss_d, loss_g, mean
    sigmoid of D on real, on fake) and stops before any update if a loss is not finite.
    """
    b = z.shape[0]
    wg, wd = wg32.astype(np.float64), wd32.astype(np.float64)
    n_pix = d_dims[0]
    # generator forward
    if g_kind == _G_PATCH:
        n_anc, n_gen, depth, nq, bright = (patch_dims[0], patch_dims[1], patch_dims[2],
                                           patch_dims[3], patch_dims[4])
        pw = wg[:n_gen * depth * nq].reshape((n_gen, depth, nq))
        raw, final, top, peak, signs = _patch_fwd(z, pw, n_anc)
        size = raw.shape[1] // n_gen
        scale = np.ones(n_gen)
        if bright:
            for q in range(n_gen):
                scale[q] = 1.0 / (1.0 + math.exp(-wg[n_gen * depth * nq + q]))
        fake = np.empty((b, n_pix))
        for r in range(b):
            for q in range(n_gen):
                for k in range(size):
                    fake[r, q * size + k] = raw[r, q * size + k] * scale[q]
    else:
        g_acts = np.empty(b * g_dims.sum())
        _mlp_fwd(wg, g_offs, g_dims, z, g_acts)
        fake = 1.0 / (1.0 + np.exp(-_layer(g_acts, g_dims, g_dims.size - 1, b)))
    # discriminator update
    xr = np.empty((b, n_pix))
    for r in range(b):
        for i in range(n_pix):
            xr[r, i] = real[rows[r], i]
    last = d_dims.size - 1
    acts_r, acts_f = np.empty(b * d_dims.sum()), np.empty(b * d_dims.sum())
    _mlp_fwd(wd, d_offs, d_dims, xr, acts_r)
    _mlp_fwd(wd, d_offs, d_dims, fake, acts_f)
    dl_r, dl_f = np.empty((b, 1)), np.empty((b, 1))
    loss_r, p_real = _bce(_layer(acts_r, d_dims, last, b), 1.0, dl_r)
    loss_f, p_fake = _bce(_layer(acts_f, d_dims, last, b), 0.0, dl_f)
    loss_d = loss_r + loss_f
    if not math.isfinite(loss_d):
        return loss_d, 0.0, p_real, p_fake
    gd[:] = 0.0
    dx = np.empty((b, n_pix))
    _mlp_bwd(wd, d_offs, d_dims, acts_r, dl_r, gd, dx)
    _mlp_bwd(wd, d_offs, d_dims, acts_f, dl_f, gd, dx)
    _update(wd32, gd, md, vd, hyper[1], hyper, t)
    # generator update against the updated discriminator
    wd = wd32.astype(np.float64)
    _mlp_fwd(wd, d_offs, d_dims, fake, acts_f)
    loss_g = _bce(_layer(acts_f, d_dims, last, b), 1.0, dl_f)[0]
    if not math.isfinite(loss_g):
        return loss_d, loss_g, p_real, p_fake
    gd_tmp = np.zeros(gd.size)
    dfake = np.empty((b, n_pix))
    _mlp_bwd(wd, d_offs, d_dims, acts_f, dl_f, gd_tmp, dfake)
    gg[:] = 0.0
    if g_kind == _G_PATCH:
        draw = np.empty_like(raw)
        for r in range(b):
            for q in range(n_gen):
                for k in range(size):
                    d = dfake[r, q * size + k]
                    draw[r, q * size + k] = d * scale[q]
                    if bright:
                        gg[n_gen * depth * nq + q] += (d * raw[r, q * size + k]
                                                       * scale[q] * (1.0 - scale[q]))
        gw = _patch_bwd(draw, z, pw, n_anc, signs, final, top, peak)[1]
        gg[:n_gen * depth * nq] += gw.reshape(-1)
    else:
        dpre = np.zeros((b, g_dims[g_dims.size - 1]))
        for r in range(b):
            for i in range(n_pix):
                s = fake[r, i]
                dpre[r, i] = dfake[r, i] * s * (1.0 - s)
        dz = np.empty((b, g_dims[0]))
        _mlp_bwd(wg, g_offs, g_dims, g_acts, dpre, gg, dz)
    _update(wg32, gg, mg, vg, hyper[0], hyper, t)
    return loss_d, loss_g, p_real, p_fake


def _linears(seq: nn.Sequential, first: type, relu: type) -> list[nn.Linear] | None:
    """The Linear layers of ``[first], Linear, relu, Linear, ..., Linear`` (None otherwise)."""
    mods = list(seq)
    if first is not None:
        if not mods or type(mods[0]) is not first:
            return None
        mods = mods[1:]
    lin = mods[0::2]
    if (not lin or any(type(m) is not nn.Linear or m.bias is None for m in lin)
            or any(type(m) is not relu for m in mods[1::2]) or len(mods) != 2 * len(lin) - 1):
        return None
    return lin


def _flat(params: list[torch.Tensor]) -> list[np.ndarray] | None:
    for p in params:
        if p.dtype != torch.float32 or p.device.type != "cpu" or not p.is_contiguous():
            return None
    return [p.detach().numpy().reshape(-1) for p in params]


class FusedGAN:
    """The fused engine's state for one ``train_gan`` run; ``step(z, rows)`` is one iteration."""

    def __init__(self, g_kind, g_params, d_params, g_dims, d_dims, patch_dims, real, cfg):
        self.g_kind, self.real = g_kind, real
        self.g_views, self.d_views = _flat(g_params), _flat(d_params)
        self.g_offs = np.cumsum([0] + [v.size for v in self.g_views]).astype(np.int64)
        self.d_offs = np.cumsum([0] + [v.size for v in self.d_views]).astype(np.int64)
        ng, nd = int(self.g_offs[-1]), int(self.d_offs[-1])
        self.gg, self.mg, self.vg = np.zeros(ng), np.zeros(ng), np.zeros(ng)
        self.gd, self.md, self.vd = np.zeros(nd), np.zeros(nd), np.zeros(nd)
        self.g_dims, self.d_dims = np.asarray(g_dims, np.int64), np.asarray(d_dims, np.int64)
        self.patch_dims = np.asarray(patch_dims, np.int64)
        self.hyper = np.array([cfg.lr_g, cfg.lr_d, 1.0 if cfg.optimizer == "adam" else 0.0,
                               cfg.betas[0], cfg.betas[1], 1e-8])
        self.t = 0

    def step(self, z: torch.Tensor, rows: torch.Tensor) -> tuple[float, float, float, float]:
        """One D + G iteration on latent ``z`` ``(B, latent)`` and real rows ``rows`` ``(B,)``.

        Returns (loss_d, loss_g, mean D probability on real, on fake); the weights are only
        written back when both losses are finite.
        """
        wg, wd = np.concatenate(self.g_views), np.concatenate(self.d_views)
        self.t += 1
        out = _gan_step(self.g_kind, z.numpy().astype(np.float64), self.real, rows.numpy(), wg,
                        wd, self.gg, self.gd, self.mg, self.vg, self.md, self.vd, self.g_offs,
                        self.d_offs, self.g_dims, self.d_dims, self.patch_dims, self.t,
                        self.hyper)
        if math.isfinite(out[0]) and math.isfinite(out[1]):
            for views, flat, offs in ((self.g_views, wg, self.g_offs), (self.d_views, wd, self.d_offs)):
                for view, a, b in zip(views, offs[:-1], offs[1:]):
                    view[:] = flat[a:b]
        return tuple(float(v) for v in out)


def fused_gan(G: nn.Module, D: nn.Module, real_x: torch.Tensor, cfg) -> FusedGAN | None:
    """The fused engine's state for ``train_gan(G, D, real_x, cfg)``; None where it does not apply."""
    from qaug.models._gan import MLPDiscriminator, MLPGenerator
    from qaug.models._qgan import QGANGenerator
    from qaug.models._quantum_layers import PatchQuantumGenerator

    if (not JIT_ENABLED or cfg.loss != "bce" or cfg.n_critic != 1 or cfg.device != "cpu"
            or type(D) is not MLPDiscriminator or real_x.dtype != torch.float32):
        return None
    d_lin = _linears(D.net, nn.Flatten, nn.ReLU)
    if d_lin is None:
        return None
    params = [p for m in (G, D) for p in m.parameters()]
    if any(not p.requires_grad for p in params) or getattr(G, "observe_losses", None):
        return None
    d_params = [p for m in d_lin for p in (m.weight, m.bias)]
    d_dims = [d_lin[0].in_features] + [m.out_features for m in d_lin]
    real = real_x.reshape(len(real_x), -1).double().numpy()
    if d_dims[-1] != 1 or real.shape[1] != d_dims[0]:
        return None
    if type(G) is QGANGenerator:
        pg = G.patches
        if (G.post is not None or type(pg) is not PatchQuantumGenerator or pg.noise is not None
                or pg.n_outputs != d_dims[0]
                or not jit_patch_fits(pg.n_qubits, cfg.batch_size * pg.n_generators, pg.depth,
                                      pg.weights)):
            return None
        g_params = [pg.weights] + ([G.patch_scale] if G.patch_scale is not None else [])
        patch = (pg.n_ancillas, pg.n_generators, pg.depth, pg.n_qubits, int(G.patch_scale is not None))
        kind, g_dims = _G_PATCH, [0]
    elif type(G) is MLPGenerator:
        g_lin = _linears(G.net[:-1], None, nn.ReLU)
        if g_lin is None or type(G.net[-1]) is not nn.Sigmoid or g_lin[-1].out_features != d_dims[0]:
            return None
        g_params = [p for m in g_lin for p in (m.weight, m.bias)]
        kind, g_dims, patch = _G_MLP, [g_lin[0].in_features] + [m.out_features for m in g_lin], (0,) * 5
    else:
        return None
    if len(g_params) + len(d_params) != len(params) or _flat(g_params + d_params) is None:
        return None
    return FusedGAN(kind, g_params, d_params, g_dims, d_dims, patch, real, cfg)


def warm_up() -> None:
    """Load (or, on a cold cache, compile) the step kernel for both generator kinds.

    For the sweep workers' fork server, as ``qaug.train._fused.warm_up``; the networks are
    seeded and thrown away, nothing a run draws is touched.
    """
    if not JIT_ENABLED:
        return
    from qaug.models import build_gan
    from qaug.train._adversarial_config import AdversarialConfig

    cfg = AdversarialConfig(batch_size=2, engine="fused")
    real = torch.zeros(2, 1, 8, 8)
    for kind in ("qgan", "gan"):
        G, D = build_gan(kind, 8, generator=torch.Generator().manual_seed(0))
        fused_gan(G, D, real, cfg).step(G.sample_latent(2, torch.Generator().manual_seed(0)),
                                        torch.zeros(2, dtype=torch.int64))
