"""Benchmark: qaug's batched quantum engine against PennyLane.

One forward+backward pass of
  (a) VQCLayer, 8 qubits, 2 layers, batch 64 (input angles and weights need gradients);
  (b) the demo-sized patch generator (5 qubits, 1 ancilla, depth 6, 4 sub-generators), batch 32.

References: PennyLane default.qubit (torch interface, backprop, parameter broadcasting over the
whole batch -- and, for (b), over the sub-generators too -- in one call: its fastest set-up), and
for (b) the demo's own set-up (lightning.qubit if installed, else default.qubit; parameter-shift;
one QNode call per sample and sub-generator), timed on a few samples and scaled to the batch.

Each set-up is timed in interleaved rounds and the median reported. One torch thread by default:
at these sizes extra threads buy nothing and suffer badly on a shared, loaded machine.

Run:  python benchmarks/bench_quantum.py [--repeats 20] [--threads 1] [--demo-samples 2]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import torch

from qaug.models import PatchQuantumGenerator, VQCLayer
from qaug.quantum import patch_generator_patches, vqc_expvals

TARGETS = {"vqc_vs_default": 5.0, "patch_vs_default": 10.0, "patch_vs_demo": 300.0}


def median_times(steps: dict, repeats: int, warmup: int = 2) -> dict:
    """Median seconds per call of each step, timed in interleaved rounds (fair under drifting load).

    Returns ``{name: seconds}``.
    """
    for step in steps.values():
        for _ in range(warmup):
            step()
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            t0 = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


# ---------------------------------------------------------------- (a) VQC head


def vqc_ours(layer, x, fused=None):
    def step():
        xi = x.detach().requires_grad_(True)
        layer.zero_grad(set_to_none=True)
        out = layer(xi) if fused is None else vqc_expvals(xi, layer.weights, fused=fused)
        out.sum().backward()

    return step


def vqc_pennylane(qml, n, n_layers, x, weights):
    dev = qml.device("default.qubit", wires=n)

    @qml.qnode(dev, interface="torch", diff_method="backprop")
    def circuit(x, w):
        for i in range(n):
            qml.RY(x[:, i], wires=i)
        for layer in range(n_layers):
            for i in range(n):
                qml.RY(w[layer, i, 0], wires=i)
                qml.RZ(w[layer, i, 1], wires=i)
            for i in range(n):
                qml.CNOT(wires=[i, (i + 1) % n])
        return [qml.expval(qml.PauliZ(i)) for i in range(n)]

    def step():
        xi = x.detach().requires_grad_(True)
        w = weights.detach().requires_grad_(True)
        torch.stack(list(circuit(xi, w)), -1).sum().backward()

    return step


# ---------------------------------------------------------------- (b) patch generator


def patch_ours(gen, z, fused=None):
    def step():
        gen.zero_grad(set_to_none=True)
        if fused is None:
            out = gen(z)
        else:
            out = patch_generator_patches(z, gen.weights, gen.n_ancillas, fused=fused)
        out.sum().backward()

    return step


def _patch_circuit(qml, dev, n, depth, diff_method):
    @qml.qnode(dev, interface="torch", diff_method=diff_method)
    def circuit(noise, weights):  # noise (..., n), weights (..., depth, n): broadcast or single
        for i in range(n):
            qml.RY(noise[..., i], wires=i)
        for layer in range(depth):
            for i in range(n):
                qml.RY(weights[..., layer, i], wires=i)
            for i in range(n - 1):
                qml.CZ(wires=[i, i + 1])
        return qml.probs(wires=list(range(n)))

    return circuit


def _post(probs, patch):
    given0 = probs[..., :patch] / probs.sum(-1, keepdim=True)
    return given0 / given0.amax(-1, keepdim=True)


def patch_pennylane_broadcast(qml, gen, z):
    n, depth, n_gen = gen.n_qubits, gen.depth, gen.n_generators
    circuit = _patch_circuit(qml, qml.device("default.qubit", wires=n), n, depth, "backprop")
    batch = z.shape[0]

    def step():
        w = gen.weights.detach().requires_grad_(True)
        noise = z.repeat(n_gen, 1)  # (G*B, n): sub-generator g, sample b at g*B + b
        wb = w.repeat_interleave(batch, 0)  # (G*B, depth, n)
        probs = circuit(noise, wb)  # (G*B, 2**n)
        out = _post(probs, gen.patch_size).reshape(n_gen, batch, -1).transpose(0, 1)
        out.reshape(batch, -1).sum().backward()

    return step


def patch_demo(qml, gen, z, device_name):
    n, depth, n_gen = gen.n_qubits, gen.depth, gen.n_generators
    circuit = _patch_circuit(qml, qml.device(device_name, wires=n), n, depth, "parameter-shift")
    params = [
        gen.weights[g].detach().reshape(-1).clone().requires_grad_(True) for g in range(n_gen)
    ]

    def step():  # the demo's forward: a loop over sub-generators and samples
        images = []
        for p in params:
            patches = [
                _post(circuit(elem, p.reshape(depth, n)), gen.patch_size).float() for elem in z
            ]
            images.append(torch.stack(patches))
        torch.cat(images, 1).sum().backward()

    return step


# ---------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed repeats (median reported)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (default 1, as in the tests)"
    )
    parser.add_argument(
        "--demo-samples", type=int, default=2, help="samples timed for the demo set-up"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        import pennylane as qml
    except ImportError:
        print("PennyLane is not installed: pip install 'qaug[test]'")
        return 1
    try:
        import pennylane_lightning  # noqa: F401

        demo_device = "lightning.qubit"
    except ImportError:
        demo_device = "default.qubit"

    g = torch.Generator().manual_seed(0)
    rows = []

    # (a)
    layer = VQCLayer(8, 2, generator=g)
    x = torch.rand(64, 8, generator=g) * math.pi
    t = median_times(
        {
            "ours": vqc_ours(layer, x),
            "gates": vqc_ours(layer, x, fused=False),
            "pl": vqc_pennylane(qml, 8, 2, x, layer.weights),
        },
        args.repeats,
    )
    t_ours, t_gates, t_pl = t["ours"], t["gates"], t["pl"]
    rows += [
        ("(a) VQC 8q x 2L, batch 64", "qaug (module, fused)", t_ours),
        ("", "qaug layer by layer (fused=False)", t_gates),
        ("", "PennyLane default.qubit backprop, broadcast", t_pl),
    ]

    # (b)
    gen = PatchQuantumGenerator(5, 1, 6, 4, generator=g)
    z = torch.rand(32, 5, generator=g) * math.pi / 2
    t = median_times(
        {
            "ours": patch_ours(gen, z),
            "gates": patch_ours(gen, z, fused=False),
            "pl": patch_pennylane_broadcast(qml, gen, z),
        },
        args.repeats,
    )
    t_pours, t_pgates, t_pbc = t["ours"], t["gates"], t["pl"]
    k = args.demo_samples
    demo = {"demo": patch_demo(qml, gen, z[:k], demo_device)}
    t_demo = median_times(demo, 3, warmup=1)["demo"] * 32 / k
    rows += [
        ("(b) patch G 5q, 4 x depth 6, batch 32", "qaug (module, fused)", t_pours),
        ("", "qaug layer by layer (fused=False)", t_pgates),
        ("", "PennyLane default.qubit backprop, broadcast", t_pbc),
        ("", f"demo set-up: {demo_device}, parameter-shift, per sample (x32/{k})", t_demo),
    ]

    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}; "
        f"PennyLane {qml.__version__}; "
        f"median of {args.repeats} interleaved repeats; one forward+backward each; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"{'case':40s} {'set-up':58s} {'time':>10s}")
    for case, setup, t in rows:
        print(f"{case:40s} {setup:58s} {t * 1e3:8.2f} ms")
    ratios = [
        ("(a) PennyLane backprop / qaug", t_pl / t_ours, TARGETS["vqc_vs_default"]),
        ("(b) PennyLane backprop / qaug", t_pbc / t_pours, TARGETS["patch_vs_default"]),
        ("(b) demo set-up / qaug", t_demo / t_pours, TARGETS["patch_vs_demo"]),
    ]
    print()
    failed = False
    for name, ratio, target in ratios:
        ok = ratio >= target
        failed |= not ok
        print(f"{name:40s} {ratio:10.1f}x   target >= {target:g}x   {'PASS' if ok else 'FAIL'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
