"""The ``fused`` engine for GAN training: one compiled call per D + G iteration.

``adversarial.<kind>.engine = "fused"`` runs :func:`qaug.train.train_gan`'s step (the
discriminator's BCE update on a real and a fake batch, then the generator's non-saturating
update against the updated discriminator) in float64 loops on the networks' own float32
weights; the loop around it (batch and latent draws from the same generators, history,
quality evaluation, best-checkpoint tracking, callbacks) is the torch engine's. As with the
classifiers' engine (``_fused``) the rounding differs from torch's, so the engine is part of a
bank's identity.

Covered: the patch QGAN (``QGANGenerator`` without a post-network, with or without patch
brightness) and the MLP GAN generator against ``MLPDiscriminator``, and the DCGAN pair (batch
norms in training mode, running statistics updated as torch does); BCE loss, one critic step,
SGD or Adam, float32 on the CPU, every weight trainable, no noise, no checkpoints
(``out_dir=None``, as for sweeps' banks). Anything else trains with torch. Measured per D+G
iteration (batch 32, 8x8, one thread): QGAN 3.7 -> 0.5 ms, MLP GAN 2.8 -> 0.9 ms, width-1
DCGAN 7.5 -> 1.0 ms; the width-8 DCGAN gains little (10 -> 9 ms: its convolutions are plain
loops here, torch's are vectorised).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from qaug.quantum._jit import JIT_ENABLED, _njit, _patch_bwd, _patch_fwd, jit_patch_fits
from qaug.train._fused import _adam, write_back

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


# --- DCGAN (conv / transposed conv / batch norm), float64 loops --------------------------------


@_njit
def _conv_core(hi, lo, w, spec, gw):
    """The index relation shared by a conv (``hi`` -> ``lo``) and its transpose (``lo`` -> ``hi``).

    ``w`` ``(C_lo, C_hi, k, k)``; ``spec``: stride, padding, mode (an array, so that numba
    compiles one version rather than one per constant). mode 0: ``lo += conv(hi)``; mode 1:
    ``hi += conv^T(lo)``; mode 2: ``gw += d lo / d w`` contracted with ``lo`` (weight gradient).
    """
    stride, pad, mode = spec[0], spec[1], spec[2]
    batch, c_lo, n_lo = lo.shape[0], lo.shape[1], lo.shape[2]
    c_hi, n_hi, k = hi.shape[1], hi.shape[2], w.shape[2]
    for b in range(batch):
        for co in range(c_lo):
            for i in range(n_lo):
                for j in range(n_lo):
                    acc = 0.0
                    for ci in range(c_hi):
                        for u in range(k):
                            r = i * stride - pad + u
                            if r < 0 or r >= n_hi:
                                continue
                            for v in range(k):
                                c = j * stride - pad + v
                                if c < 0 or c >= n_hi:
                                    continue
                                if mode == 0:
                                    acc += hi[b, ci, r, c] * w[co, ci, u, v]
                                elif mode == 1:
                                    hi[b, ci, r, c] += lo[b, co, i, j] * w[co, ci, u, v]
                                else:
                                    gw[co, ci, u, v] += lo[b, co, i, j] * hi[b, ci, r, c]
                    if mode == 0:
                        lo[b, co, i, j] += acc


@_njit
def _bn_fwd(x, gamma, beta, running, momentum, eps):
    """Training-mode batch norm of ``x`` ``(B, C, H, W)``: (y, x_hat, 1/std); ``running`` updated.

    ``running``: float32 ``(2, C)`` views of the running mean and variance (unbiased), as torch.
    """
    batch, ch, n = x.shape[0], x.shape[1], x.shape[2]
    count = batch * n * n
    y, xhat, inv = np.empty_like(x), np.empty_like(x), np.empty(ch)
    for c in range(ch):
        mean = 0.0
        for b in range(batch):
            for i in range(n):
                for j in range(n):
                    mean += x[b, c, i, j]
        mean /= count
        var = 0.0
        for b in range(batch):
            for i in range(n):
                for j in range(n):
                    var += (x[b, c, i, j] - mean) ** 2
        var /= count
        inv[c] = 1.0 / math.sqrt(var + eps)
        for b in range(batch):
            for i in range(n):
                for j in range(n):
                    xhat[b, c, i, j] = (x[b, c, i, j] - mean) * inv[c]
                    y[b, c, i, j] = xhat[b, c, i, j] * gamma[c] + beta[c]
        running[0, c] = (1.0 - momentum) * running[0, c] + momentum * mean
        unbiased = var * count / (count - 1) if count > 1 else var
        running[1, c] = (1.0 - momentum) * running[1, c] + momentum * unbiased
    return y, xhat, inv


@_njit
def _bn_bwd(dy, xhat, inv, gamma, ggamma, gbeta):
    """Input gradient of ``_bn_fwd``; accumulates the scale and shift gradients."""
    batch, ch, n = dy.shape[0], dy.shape[1], dy.shape[2]
    count = batch * n * n
    dx = np.empty_like(dy)
    for c in range(ch):
        s1, s2 = 0.0, 0.0
        for b in range(batch):
            for i in range(n):
                for j in range(n):
                    s1 += dy[b, c, i, j]
                    s2 += dy[b, c, i, j] * xhat[b, c, i, j]
        gbeta[c] += s1
        ggamma[c] += s2
        for b in range(batch):
            for i in range(n):
                for j in range(n):
                    dx[b, c, i, j] = gamma[c] * inv[c] * (
                        dy[b, c, i, j] - s1 / count - xhat[b, c, i, j] * s2 / count)
    return dx


@_njit
def _leaky(x, slope):
    """LeakyReLU of a contiguous array."""
    out = x.copy()
    flat = out.reshape(-1)
    for i in range(flat.size):
        if flat[i] < 0.0:
            flat[i] *= slope
    return out


@_njit
def _leaky_bwd(x, dout, slope):
    """LeakyReLU's input gradient (torch: ``grad * slope`` where the input is <= 0)."""
    d = dout.copy()
    flat, xs = d.reshape(-1), x.reshape(-1)
    for i in range(flat.size):
        if xs[i] <= 0.0:
            flat[i] *= slope
    return d


@_njit
def _view(w, offs, q, shape):
    return w[offs[q]:offs[q + 1]].reshape(shape)


@_njit
def _dcgan_d_fwd(wd, offs, dims, x, running):
    """D(x) ``(B, 1, H, W)`` -> logits ``(B, 1)``, and what the backward needs."""
    width, base = dims[1], dims[2]
    batch, side = x.shape[0], x.shape[2]
    c1w, c1b = _view(wd, offs, 0, (width, 1, 4, 4)), wd[offs[1]:offs[2]]
    c2w = _view(wd, offs, 2, (2 * width, width, 4, 4))
    gam, bet = wd[offs[3]:offs[4]], wd[offs[4]:offs[5]]
    c3w, c3b = _view(wd, offs, 5, (1, 2 * width, base, base)), wd[offs[6]:offs[7]]
    h1 = np.zeros((batch, width, side // 2, side // 2))
    _conv_core(x, h1, c1w, np.array((2, 1, 0)), c1w)
    for c in range(width):
        h1[:, c] += c1b[c]
    a1 = _leaky(h1, 0.2)
    h2 = np.zeros((batch, 2 * width, base, base))
    _conv_core(a1, h2, c2w, np.array((2, 1, 0)), c2w)
    y2, xhat, inv = _bn_fwd(h2, gam, bet, running, 0.1, 1e-5)
    a2 = _leaky(y2, 0.2)
    out = np.zeros((batch, 1, 1, 1))
    _conv_core(a2, out, c3w, np.array((1, 0, 0)), c3w)
    logits = out.reshape((batch, 1)) + c3b[0]
    return logits, h1, a1, y2, xhat, inv, a2


@_njit
def _dcgan_d_bwd(wd, offs, dims, x, dl, h1, a1, y2, xhat, inv, a2, g):
    """Accumulate D's gradients into ``g`` from the logits' ``dl``; returns the input gradient."""
    width, base = dims[1], dims[2]
    batch = x.shape[0]
    c1w = _view(wd, offs, 0, (width, 1, 4, 4))
    c2w = _view(wd, offs, 2, (2 * width, width, 4, 4))
    gam = wd[offs[3]:offs[4]]
    c3w = _view(wd, offs, 5, (1, 2 * width, base, base))
    dout = dl.reshape((batch, 1, 1, 1)).copy()
    g[offs[6]] += dl.sum()
    da2 = np.zeros_like(a2)
    _conv_core(da2, dout, c3w, np.array((1, 0, 1)), c3w)
    _conv_core(a2, dout, c3w, np.array((1, 0, 2)), _view(g, offs, 5, (1, 2 * width, base, base)))
    dy2 = _leaky_bwd(y2, da2, 0.2)
    dh2 = _bn_bwd(dy2, xhat, inv, gam, g[offs[3]:offs[4]], g[offs[4]:offs[5]])
    da1 = np.zeros_like(a1)
    _conv_core(da1, dh2, c2w, np.array((2, 1, 1)), c2w)
    _conv_core(a1, dh2, c2w, np.array((2, 1, 2)), _view(g, offs, 2, (2 * width, width, 4, 4)))
    dh1 = _leaky_bwd(h1, da1, 0.2)
    for c in range(width):
        g[offs[1] + c] += dh1[:, c].sum()
    _conv_core(x, dh1, c1w, np.array((2, 1, 2)), _view(g, offs, 0, (width, 1, 4, 4)))
    dx = np.zeros_like(x)
    _conv_core(dx, dh1, c1w, np.array((2, 1, 1)), c1w)
    return dx


@_njit
def _dcgan_step(z, real, rows, wg32, wd32, gg, gd, mg, vg, md, vd, g_offs, d_offs, dims,
                g_run1, g_run2, d_run, t, hyper):
    """``_gan_step`` for the DCGAN pair (``dims``: latent, width, base side, image side).

    ``g_run1``, ``g_run2``, ``d_run``: float32 ``(2, C)`` running mean and variance of the
    batch norms, updated as torch does, once per forward.
    """
    latent, width, base, side = dims[0], dims[1], dims[2], dims[3]
    b = z.shape[0]
    wg, wd = wg32.astype(np.float64), wd32.astype(np.float64)
    t1w = _view(wg, g_offs, 0, (latent, 2 * width, base, base))
    g1, b1 = wg[g_offs[1]:g_offs[2]], wg[g_offs[2]:g_offs[3]]
    t2w = _view(wg, g_offs, 3, (2 * width, width, 4, 4))
    g2, b2 = wg[g_offs[4]:g_offs[5]], wg[g_offs[5]:g_offs[6]]
    t3w, t3b = _view(wg, g_offs, 6, (width, 1, 4, 4)), wg[g_offs[7]:g_offs[8]]
    # generator: convT -> BN -> ReLU -> convT -> BN -> ReLU -> convT + b -> sigmoid
    zz = z.reshape((b, latent, 1, 1)).copy()
    h1 = np.zeros((b, 2 * width, base, base))
    _conv_core(h1, zz, t1w, np.array((1, 0, 1)), t1w)
    y1, xh1, inv1 = _bn_fwd(h1, g1, b1, g_run1, 0.1, 1e-5)
    a1 = np.maximum(y1, 0.0)
    h2 = np.zeros((b, width, 2 * base, 2 * base))
    _conv_core(h2, a1, t2w, np.array((2, 1, 1)), t2w)
    y2, xh2, inv2 = _bn_fwd(h2, g2, b2, g_run2, 0.1, 1e-5)
    a2 = np.maximum(y2, 0.0)
    h3 = np.zeros((b, 1, side, side))
    _conv_core(h3, a2, t3w, np.array((2, 1, 1)), t3w)
    fake = 1.0 / (1.0 + np.exp(-(h3 + t3b[0])))
    xr = np.empty((b, 1, side, side))
    for r in range(b):
        xr[r, 0] = real[rows[r]].reshape((side, side))
    # discriminator update on the real and the fake batch (two forwards, as torch)
    lr_, r1, r2, r3, r4, r5, r6 = _dcgan_d_fwd(wd, d_offs, dims, xr, d_run)
    lf, f1, f2, f3, f4, f5, f6 = _dcgan_d_fwd(wd, d_offs, dims, fake, d_run)
    dl_r, dl_f = np.empty((b, 1)), np.empty((b, 1))
    loss_r, p_real = _bce(lr_, 1.0, dl_r)
    loss_f, p_fake = _bce(lf, 0.0, dl_f)
    loss_d = loss_r + loss_f
    if not math.isfinite(loss_d):
        return loss_d, 0.0, p_real, p_fake
    gd[:] = 0.0
    _dcgan_d_bwd(wd, d_offs, dims, xr, dl_r, r1, r2, r3, r4, r5, r6, gd)
    _dcgan_d_bwd(wd, d_offs, dims, fake, dl_f, f1, f2, f3, f4, f5, f6, gd)
    _update(wd32, gd, md, vd, hyper[1], hyper, t)
    # generator update against the updated discriminator
    wd = wd32.astype(np.float64)
    lg, f1, f2, f3, f4, f5, f6 = _dcgan_d_fwd(wd, d_offs, dims, fake, d_run)
    loss_g = _bce(lg, 1.0, dl_f)[0]
    if not math.isfinite(loss_g):
        return loss_d, loss_g, p_real, p_fake
    dfake = _dcgan_d_bwd(wd, d_offs, dims, fake, dl_f, f1, f2, f3, f4, f5, f6, np.zeros(gd.size))
    gg[:] = 0.0
    dh3 = dfake * fake * (1.0 - fake)
    gg[g_offs[7]] += dh3.sum()
    _conv_core(dh3, a2, t3w, np.array((2, 1, 2)), _view(gg, g_offs, 6, (width, 1, 4, 4)))
    da2 = np.zeros_like(a2)
    _conv_core(dh3, da2, t3w, np.array((2, 1, 0)), t3w)
    dy2 = da2 * (y2 > 0.0)
    dh2 = _bn_bwd(dy2, xh2, inv2, g2, gg[g_offs[4]:g_offs[5]], gg[g_offs[5]:g_offs[6]])
    _conv_core(dh2, a1, t2w, np.array((2, 1, 2)), _view(gg, g_offs, 3, (2 * width, width, 4, 4)))
    da1 = np.zeros_like(a1)
    _conv_core(dh2, da1, t2w, np.array((2, 1, 0)), t2w)
    dy1 = da1 * (y1 > 0.0)
    dh1 = _bn_bwd(dy1, xh1, inv1, g1, gg[g_offs[1]:g_offs[2]], gg[g_offs[2]:g_offs[3]])
    _conv_core(dh1, zz, t1w, np.array((1, 0, 2)), _view(gg, g_offs, 0, (latent, 2 * width, base, base)))
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

    def _write_back(self, out, wg: np.ndarray, wd: np.ndarray) -> bool:
        """Write the kernel's weights back when both losses were finite; whether it did."""
        if not (math.isfinite(out[0]) and math.isfinite(out[1])):
            return False
        write_back(self.g_views, wg, self.g_offs)
        write_back(self.d_views, wd, self.d_offs)
        return True

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
        self._write_back(out, wg, wd)
        return tuple(float(v) for v in out)



class FusedDCGAN(FusedGAN):
    """``FusedGAN`` for the DCGAN pair: also keeps the batch norms' running statistics."""

    def __init__(self, G, D, real, cfg):
        g_params, d_params = list(G.parameters()), list(D.parameters())
        super().__init__(-1, g_params, d_params, [0], [0], (0,) * 5, real, cfg)
        self.norms = [G.net[1], G.net[4], D.net[3]]
        self.dims = np.array([G.latent_dim, G.width, G.image_size // 4, G.image_size], np.int64)

    def step(self, z: torch.Tensor, rows: torch.Tensor) -> tuple[float, float, float, float]:
        wg, wd = np.concatenate(self.g_views), np.concatenate(self.d_views)
        running = [np.stack([m.running_mean.numpy(), m.running_var.numpy()]) for m in self.norms]
        self.t += 1
        out = _dcgan_step(z.numpy().astype(np.float64), self.real, rows.numpy(), wg, wd, self.gg,
                          self.gd, self.mg, self.vg, self.md, self.vd, self.g_offs, self.d_offs,
                          self.dims, *running, self.t, self.hyper)
        if self._write_back(out, wg, wd):
            for m, (mean, var), forwards in zip(self.norms, running, (1, 1, 3)):
                m.running_mean.copy_(torch.from_numpy(mean))
                m.running_var.copy_(torch.from_numpy(var))
                m.num_batches_tracked += forwards  # G once, D on real, fake and for G's loss
        return tuple(float(v) for v in out)


def _plan_dcgan(G, D, real: np.ndarray, cfg) -> FusedDCGAN | None:
    norms = [G.net[1], G.net[4], D.net[3]]
    if G.width != D.width or G.image_size != D.image_size or any(
            m.momentum != 0.1 or m.eps != 1e-5 or not m.affine or not m.track_running_stats
            for m in norms):
        return None
    buffers = [b for m in norms for b in (m.running_mean, m.running_var)]
    if _flat(list(G.parameters()) + list(D.parameters()) + buffers) is None:
        return None
    return FusedDCGAN(G, D, real, cfg)


def fused_gan(G: nn.Module, D: nn.Module, real_x: torch.Tensor, cfg) -> FusedGAN | None:
    """The fused engine's state for ``train_gan(G, D, real_x, cfg)``; None where it does not apply."""
    from qaug.models._gan import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator
    from qaug.models._qgan import QGANGenerator
    from qaug.models._quantum_layers import PatchQuantumGenerator

    if (not JIT_ENABLED or cfg.loss != "bce" or cfg.n_critic != 1 or cfg.device != "cpu"
            or real_x.dtype != torch.float32
            or any(not p.requires_grad for m in (G, D) for p in m.parameters())):
        return None
    if type(G) is DCGANGenerator and type(D) is DCGANDiscriminator:
        return _plan_dcgan(G, D, real_x.reshape(len(real_x), -1).double().numpy(), cfg)
    if type(D) is not MLPDiscriminator:
        return None
    d_lin = _linears(D.net, nn.Flatten, nn.ReLU)
    if d_lin is None:
        return None
    params = [p for m in (G, D) for p in m.parameters()]
    if getattr(G, "observe_losses", None):
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


def warm_up(cached_only: bool = False) -> None:
    """Load (or, on a cold cache, compile) the step kernels: one step of each generator kind.

    As ``qaug.train._fused.warm_up`` (``cached_only`` the same); the networks are seeded and
    thrown away, nothing a run draws is touched.
    """
    if not JIT_ENABLED:
        return
    from qaug.models import build_gan
    from qaug.train._adversarial_config import AdversarialConfig
    from qaug.train._fused import compiled

    cfg = AdversarialConfig(batch_size=2, engine="fused")
    real = torch.zeros(2, 1, 8, 8)
    for kind, kernel in (("qgan", _gan_step), ("gan", _gan_step), ("dcgan", _dcgan_step)):
        if cached_only and not compiled(kernel):
            continue
        G, D = build_gan(kind, 8, generator=torch.Generator().manual_seed(0))
        fused_gan(G, D, real, cfg).step(G.sample_latent(2, torch.Generator().manual_seed(0)),
                                        torch.zeros(2, dtype=torch.int64))
