"""Whole training steps, qaug (torch) against the same step jitted in JAX/optax (TensorCircuit-NG).

- classifier: one Adam step (lr 0.01) of the paper's HQCNN (8x8 images, 3x3 conv, pool, linear,
  4-qubit x 2-layer VQC, linear head) on a batch of 16, cross-entropy (``qaug.train``'s step,
  with its small-image CPU kernels: oneDNN off, fused Adam), and the same step on the fused
  engine (``train.engine = "fused"``: the whole step in one compiled call, float64 inside);
- GAN: one step of ``qaug.train.train_gan`` for the demo QGAN (patch generator with patch
  brightness, the demo's 64-64-16-1 discriminator, SGD 0.01 / 0.3, BCE on logits): the
  discriminator's update on a real and a fake batch of 32, then the generator's update.

The JAX steps start from the torch models' weights; the losses and every gradient of the first
step are compared (max abs difference printed) before anything is timed. (Updated parameters
are not: Adam's first step divides each gradient by its own size, so gradients that are zero
exactly in one and 1e-9 in the other move by 0 and by up to the learning rate.)
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
import torch.nn.functional as F
from _references import setup_jax, tc_patches_one, tc_vqc_one, to_jax

from qaug.models import HQCNN, build_gan
from qaug.train._kernels import adam, small_kernels


def _max_diff(torch_params: dict, jax_grads: dict) -> float:
    """Largest difference between the torch parameters' ``.grad`` and the JAX gradients."""
    return max(float(np.max(np.abs(t.grad.numpy() - np.asarray(jax_grads[k]))))
               for k, t in torch_params.items())


def fused_classifier_step(model, x, y, jax_loss, jax_grads: list):
    """``(fused_step, max_diff)``: the HQCNN Adam step on the fused engine, checked like torch's.

    ``jax_grads``: JAX's gradients in the order of ``model.parameters()``.
    """
    from qaug.train._fused import fused_plan

    plan = fused_plan(model, x, y, torch.device("cpu"), lr=0.01, weight_decay=0.0)
    order = np.arange(len(x))
    loss_sum = plan.epoch(order, len(x), 0, 1)[0]
    expected = np.concatenate([np.asarray(g).reshape(-1) for g in jax_grads])
    diff = max(abs(loss_sum / len(x) - float(jax_loss)), float(np.max(np.abs(plan.grad - expected))))
    return (lambda: plan.epoch(order, len(x), 0, 1)), diff


def classifier_steps(batch: int = 16):
    """``(torch_step, jax_step, max_diff, fused_step, fused_diff)`` for the HQCNN Adam step.

    The diffs are those of the first step's loss and gradients against JAX's.
    """
    jax, _ = setup_jax()
    import optax

    jnp = jax.numpy
    g = torch.Generator().manual_seed(0)
    model = HQCNN(3, 8, n_qubits=4, n_layers=2, generator=g)
    x = torch.rand(batch, 1, 8, 8, generator=g)
    y = torch.randint(3, (batch,), generator=g)
    names = {"conv_w": model.front.conv.weight, "conv_b": model.front.conv.bias,
             "fc_w": model.front.fc.weight, "fc_b": model.front.fc.bias,
             "vqc": model.body.weights, "head_w": model.head.weight, "head_b": model.head.bias}
    params = {k: to_jax(v) for k, v in names.items()}
    fused_model = copy.deepcopy(model)  # the same weights, for the fused engine's step
    vqc = jax.vmap(tc_vqc_one(4, 2), in_axes=(0, None))

    def loss_fn(p, xj, yj):
        h = jax.lax.conv_general_dilated(xj, p["conv_w"], (1, 1), ((1, 1), (1, 1)),
                                         dimension_numbers=("NCHW", "OIHW", "NCHW"))
        h = h + p["conv_b"][None, :, None, None]
        h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
        h = jax.nn.relu(h).reshape(xj.shape[0], -1)
        angles = math.pi * jnp.tanh(h @ p["fc_w"].T + p["fc_b"])
        logits = vqc(angles, p["vqc"]) @ p["head_w"].T + p["head_b"]
        return optax.softmax_cross_entropy_with_integer_labels(logits, yj).mean()

    opt = optax.adam(0.01)

    @jax.jit
    def jax_step(p, state, xj, yj):
        loss, grads = jax.value_and_grad(loss_fn)(p, xj, yj)
        updates, state = opt.update(grads, state, p)
        return optax.apply_updates(p, updates), state, loss, grads

    torch_opt = adam(model.parameters(), x.shape[-1], lr=0.01)  # as in qaug.train.train_classifier

    def torch_step():
        with small_kernels(x.shape[-1]):
            torch_opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            torch_opt.step()
        return loss

    xj, yj, state = to_jax(x), jnp.asarray(y.numpy()), opt.init(params)
    _, _, jloss, jgrads = jax_step(params, state, xj, yj)
    tloss = float(torch_step().detach())
    diff = max(abs(tloss - float(jloss)), _max_diff(names, jgrads))
    jax_args = (params, state, xj, yj)
    fused_step, fused_diff = fused_classifier_step(fused_model, x, y, jloss, [jgrads[k] for k in names])
    return torch_step, lambda: jax.block_until_ready(jax_step(*jax_args)), diff, fused_step, fused_diff


def gan_steps(batch: int = 32):
    """``(torch_step, jax_step, max_diff)`` for one QGAN step (D update, then G update)."""
    jax, _ = setup_jax()
    import optax

    jnp = jax.numpy
    g = torch.Generator().manual_seed(1)
    G, D = build_gan("qgan", 8, generator=g)
    z = G.sample_latent(batch, g)
    xr = torch.rand(batch, 1, 8, 8, generator=g)
    lin = [m for m in D.modules() if isinstance(m, torch.nn.Linear)]
    d_names = {f"{k}{i}": getattr(m, a) for i, m in enumerate(lin)
               for k, a in (("w", "weight"), ("b", "bias"))}
    g_names = {"w": G.patches.weights, "scale": G.patch_scale}
    dp, gp = {k: to_jax(v) for k, v in d_names.items()}, {k: to_jax(v) for k, v in g_names.items()}
    patches = jax.vmap(tc_patches_one(5, 6, 4, 1), in_axes=(0, None))

    def gen(p, zj):
        x = patches(zj, p["w"]).reshape(zj.shape[0], 4, -1) * jax.nn.sigmoid(p["scale"])[:, None]
        return x.reshape(zj.shape[0], -1)

    def disc(p, x):
        for i in range(len(lin)):
            x = x @ p[f"w{i}"].T + p[f"b{i}"]
            x = jax.nn.relu(x) if i < len(lin) - 1 else x
        return x

    def bce(logits, target):
        return optax.sigmoid_binary_cross_entropy(logits, jnp.full_like(logits, target)).mean()

    opt_d, opt_g = optax.sgd(0.01), optax.sgd(0.3)

    @jax.jit
    def jax_step(gp, dp, gs, ds, zj, xj):
        fake = jax.lax.stop_gradient(gen(gp, zj))
        loss_d, grads = jax.value_and_grad(
            lambda p: bce(disc(p, xj), 1.0) + bce(disc(p, fake), 0.0))(dp)
        updates, ds = opt_d.update(grads, ds, dp)
        dp = optax.apply_updates(dp, updates)
        loss_g, g_grads = jax.value_and_grad(lambda p: bce(disc(dp, gen(p, zj)), 1.0))(gp)
        updates, gs = opt_g.update(g_grads, gs, gp)
        return optax.apply_updates(gp, updates), dp, gs, ds, loss_d, loss_g, grads, g_grads

    sgd_d = torch.optim.SGD(D.parameters(), lr=0.01)
    sgd_g = torch.optim.SGD(G.parameters(), lr=0.3)

    def torch_step():  # as in qaug.train.train_gan
        fake = G(z)
        d_real, d_fake = D(xr), D(fake.detach())
        loss_d = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                  + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
        sgd_d.zero_grad(set_to_none=True)
        loss_d.backward()
        sgd_d.step()
        out = D(fake)
        loss_g = F.binary_cross_entropy_with_logits(out, torch.ones_like(out))
        sgd_g.zero_grad(set_to_none=True)
        loss_g.backward()
        sgd_g.step()
        return loss_d, loss_g

    zj, xj = to_jax(z), to_jax(xr.reshape(batch, -1))
    gs, ds = opt_g.init(gp), opt_d.init(dp)
    _, new_d, _, _, jld, jlg, _, g_grads = jax_step(gp, dp, gs, ds, zj, xj)
    tld, tlg = (float(v.detach()) for v in torch_step())
    # D's .grad also holds the G step's contribution (zeroed before the next D step), so D is
    # compared by its updated weights (plain SGD), G by its gradients.
    d_diff = max(float(np.max(np.abs(t.detach().numpy() - np.asarray(new_d[k]))))
                 for k, t in d_names.items())
    diff = max(abs(tld - float(jld)), abs(tlg - float(jlg)), d_diff, _max_diff(g_names, g_grads))
    jax_args = (gp, dp, gs, ds, zj, xj)
    return torch_step, lambda: jax.block_until_ready(jax_step(*jax_args)), diff, None, None


def run_steps(repeats: int, median_times) -> None:
    """Check and time both training steps; print a small table."""
    print(f"\n{'training step (median; fastest)':34s} {'qaug ms':>9s} {'JAX ms':>9s} {'JAX/qaug':>9s} "
          f"{'qaug ms':>9s} {'JAX ms':>9s} {'JAX/qaug':>9s} {'max diff':>9s}")
    for name, build in (("HQCNN classifier, Adam, batch 16", classifier_steps),
                        ("QGAN D+G step, SGD, batch 32", gan_steps)):
        ours, ref, diff, fused, fused_diff = build()
        rows = [(name, ours, diff)] + ([("  same, fused engine", fused, fused_diff)] if fused else [])
        for label, step, d in rows:
            if not d <= 1e-4:
                raise AssertionError(f"{label}: JAX step differs from qaug's by {d:.2e}")
        t = median_times({"jax": ref, **{label: step for label, step, _ in rows}}, repeats)
        for label, _, d in rows:
            print(f"{label:34s} {t[label] * 1e3:9.3f} {t['jax'] * 1e3:9.3f} "
                  f"{t['jax'] / t[label]:8.2f}x {t[label + '_min'] * 1e3:9.3f} "
                  f"{t['jax_min'] * 1e3:9.3f} {t['jax_min'] / t[label + '_min']:8.2f}x {d:9.1e}",
                  flush=True)
