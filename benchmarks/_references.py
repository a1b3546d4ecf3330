"""Reference simulators of the benchmarks: TensorCircuit-NG (JAX jit) and PennyLane (torch).

Every reference computes the same circuit as qaug and returns ``(loss, grads)`` of the summed
outputs, so values can be checked against qaug's before anything is timed.

- TensorCircuit-NG: one sample's circuit as a function, ``jax.vmap`` over the batch, summed,
  ``jax.jit(jax.value_and_grad(...))``; complex64 (qaug's precision). One XLA thread. The VQC's
  ``<Z_i>`` come from one contraction of the state (``c.state()``) and a sign table: n separate
  ``expectation_ps`` contractions compiled for minutes at 12 qubits and ran 5x slower.
- PennyLane: default.qubit, torch interface, backprop, parameter broadcasting over the batch
  (and the sub-generators) in one QNode call: its fastest set-up for these circuits.
"""

from __future__ import annotations

import os

import numpy as np
import torch

_JAX = None


def setup_jax():
    """Import JAX (one CPU thread, set before the import) and TensorCircuit-NG's JAX backend."""
    global _JAX
    if _JAX is None:
        os.environ.setdefault(
            "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        )
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
        import jax
        import tensorcircuit as tc

        tc.set_backend("jax")
        tc.set_dtype("complex64")
        _JAX = (jax, tc)
    return _JAX


def to_jax(t: torch.Tensor):
    """A torch tensor as a float32 JAX array."""
    jax, _ = setup_jax()
    return jax.numpy.asarray(t.detach().cpu().numpy().astype(np.float32))


# ---------------------------------------------------------------- circuits as TC functions


def tc_vqc_one(n: int, n_layers: int):
    """One sample of the VQC head: ``(x (n,), w (L, n, 2)) -> <Z_i> (n,)`` (TC, JAX)."""
    jax, tc = setup_jax()
    jnp = jax.numpy

    def one(x, w):
        c = tc.Circuit(n)
        for i in range(n):
            c.ry(i, theta=x[i])
        for layer in range(n_layers):
            for i in range(n):
                c.ry(i, theta=w[layer, i, 0])
                c.rz(i, theta=w[layer, i, 1])
            if n == 2:
                c.cnot(0, 1)
            elif n > 2:
                for i in range(n):
                    c.cnot(i, (i + 1) % n)
        probs = jnp.abs(c.state()) ** 2  # one contraction for all <Z_i>: (2**n,)
        return probs @ signs

    j = np.arange(2**n)
    signs = jnp.asarray((1 - 2 * ((j[:, None] >> (n - 1 - np.arange(n))) & 1)).astype(np.float32))
    return one


def tc_patches_one(n: int, depth: int, n_gen: int, n_ancillas: int):
    """One sample of the patch generator: ``(z (n,), w (G, depth, n)) -> (G * P,)`` (TC, JAX)."""
    jax, tc = setup_jax()
    jnp = jax.numpy
    patch = 2 ** (n - n_ancillas)

    def sub(z, wg):  # one sub-generator: wg (depth, n) -> (P,)
        c = tc.Circuit(n)
        for i in range(n):
            c.ry(i, theta=z[i])
        for layer in range(depth):
            for i in range(n):
                c.ry(i, theta=wg[layer, i])
            for i in range(n - 1):
                c.cz(i, i + 1)
        probs = jnp.real(c.probability())
        given0 = probs[:patch] / jnp.sum(probs)
        return given0 / jnp.max(given0)

    def one(z, w):  # all sub-generators by vmap: (G * P,)
        return jax.vmap(sub, in_axes=(None, 0))(z, w).reshape(-1)

    return one


def tc_vqc_step(n: int, n_layers: int):
    """Jitted ``(x (B, n), w) -> (sum of <Z>, (dx, dw))``, vmapped over the batch."""
    jax, _ = setup_jax()
    one = tc_vqc_one(n, n_layers)

    def loss(x, w):
        return jax.numpy.sum(jax.vmap(one, in_axes=(0, None))(x, w))

    return jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))


def tc_patch_step(n: int, depth: int, n_gen: int, n_ancillas: int):
    """Jitted ``(z (B, n), w) -> (sum of patches, dw)``, vmapped over the batch."""
    jax, _ = setup_jax()
    one = tc_patches_one(n, depth, n_gen, n_ancillas)

    def loss(w, z):
        return jax.numpy.sum(jax.vmap(one, in_axes=(0, None))(z, w))

    return jax.jit(jax.value_and_grad(loss))


# ---------------------------------------------------------------- PennyLane


def pl_vqc(qml, n: int, n_layers: int):
    """``(x, w) -> <Z_i> (B, n)``: default.qubit, backprop, broadcast over the batch."""
    dev = qml.device("default.qubit", wires=n)

    @qml.qnode(dev, interface="torch", diff_method="backprop")
    def circuit(x, w):
        for i in range(n):
            qml.RY(x[:, i], wires=i)
        for layer in range(n_layers):
            for i in range(n):
                qml.RY(w[layer, i, 0], wires=i)
                qml.RZ(w[layer, i, 1], wires=i)
            if n == 2:
                qml.CNOT(wires=[0, 1])
            elif n > 2:
                for i in range(n):
                    qml.CNOT(wires=[i, (i + 1) % n])
        return [qml.expval(qml.PauliZ(i)) for i in range(n)]

    def forward(x, w):
        return torch.stack(list(circuit(x, w)), -1).reshape(x.shape[0], n)

    return forward


def pl_patches(qml, n: int, depth: int, n_gen: int, n_ancillas: int):
    """``(z, w) -> (B, G * P)``: default.qubit, backprop, broadcast over sub-generators x batch."""
    dev = qml.device("default.qubit", wires=n)
    patch = 2 ** (n - n_ancillas)

    @qml.qnode(dev, interface="torch", diff_method="backprop")
    def circuit(noise, weights):  # noise (G*B, n), weights (G*B, depth, n)
        for i in range(n):
            qml.RY(noise[..., i], wires=i)
        for layer in range(depth):
            for i in range(n):
                qml.RY(weights[..., layer, i], wires=i)
            for i in range(n - 1):
                qml.CZ(wires=[i, i + 1])
        return qml.probs(wires=list(range(n)))

    def forward(z, w):
        batch = z.shape[0]
        probs = circuit(z.repeat(n_gen, 1), w.repeat_interleave(batch, 0))  # (G*B, 2**n)
        given0 = probs[..., :patch] / probs.sum(-1, keepdim=True)
        out = given0 / given0.amax(-1, keepdim=True)
        return out.reshape(n_gen, batch, patch).transpose(0, 1).reshape(batch, -1)

    return forward


def torch_grads(forward, *inputs: torch.Tensor, wrt: tuple[int, ...]):
    """``(loss, grads)`` of ``forward(*inputs).sum()`` with respect to the inputs ``wrt``."""
    leaves = [t.detach().requires_grad_(i in wrt) for i, t in enumerate(inputs)]
    loss = forward(*leaves).sum()
    loss.backward()
    return float(loss.detach()), [leaves[i].grad for i in wrt]


def check_close(name: str, ours, ref, atol: float = 2e-4) -> float:
    """Largest difference of the losses and gradients, relative to their size where it exceeds
    1 (float32 sums over large batches); raises when above ``atol``."""
    worst = abs(ours[0] - float(ref[0])) / max(1.0, abs(ours[0]))
    for a, b in zip(ours[1], ref[1]):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        worst = max(worst, float(np.max(np.abs(a - b))) / max(1.0, float(np.max(np.abs(a)))))
    if not worst <= atol:
        raise AssertionError(f"{name}: results differ from qaug's by {worst:.2e} (> {atol:g})")
    return worst
