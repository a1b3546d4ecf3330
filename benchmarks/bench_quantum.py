"""Benchmark: qaug's quantum layers against TensorCircuit-NG (JAX jit) and PennyLane, one run.

One forward+backward of the summed outputs (gradients of the inputs and weights for the VQC
head, of the weights for the patch generator), for
  VQCLayer: n = 4, 6, 8, 12 qubits x 2, 3 layers x batch 1, 16, 64, 256;
  the demo's patch generator (5 qubits, 1 ancilla, 4 sub-generators x depth 6): batch 1, 32, 256;
and whole training steps: the HQCNN classifier step (Adam) and a QGAN step with
discriminator and generator updates (SGD), against the same steps jitted in JAX/optax
(``_bench_steps``). Under each batch-1 VQC row, the floors (``FloorLayer``, same harness and
rounds): ``torch floor``, a custom autograd Function that does nothing (TC/floor is the most
TC/qaug any torch layer with its own backward can reach there), and, where VQCLayer runs the
compiled kernels, ``floor + kernels``: those kernels in a bare Function, no checks.

References (``_references``): TensorCircuit-NG, ``jax.jit(jax.value_and_grad(...))`` of the
batch sum of a ``jax.vmap``-ped one-sample circuit, complex64; PennyLane default.qubit (torch,
backprop, broadcast over the batch). Before timing, every reference's loss and gradients are
checked against qaug's (max abs difference printed). Each cell is timed in interleaved rounds
(a block of about 20 ms of consecutive calls per step and round, so no step is timed cold right
after another library's call: on a 2-core Intel Xeon the first 4-qubit batch-16 VQC call after a
JAX or PennyLane call took 0.5-0.8 ms against 0.13-0.19 ms warm, which a 2 ms block did not
amortise; the collector is off inside blocks, as in ``timeit``); medians and fastest rounds
are reported (PASS needs both ratios on target); one torch, one XLA and one numpy BLAS
thread. JAX compile time is excluded (it is reported separately). Targets: qaug >= 1.5x
faster than TensorCircuit-NG and >= 10x faster than PennyLane at every size.

Run:  flock /tmp/qaug-heavy.lock python benchmarks/bench_quantum.py [--quick] [--repeats 15]
      [--only vqc patch steps]      (needs: pip install 'qaug[bench]')
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import resource
import statistics
import sys
import time

# numpy's BLAS (qaug's CPU circuits run numpy matmuls) gets as many threads as torch and XLA:
# set before numpy loads; ``--threads`` sets all three.
_THREADS = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--threads=")), None)
if "--threads" in sys.argv[:-1]:
    _THREADS = sys.argv[sys.argv.index("--threads") + 1]
os.environ.setdefault("OPENBLAS_NUM_THREADS", _THREADS or "1")

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _references import (  # noqa: E402
    check_close,
    pl_patches,
    pl_vqc,
    setup_jax,
    tc_patch_step,
    tc_vqc_step,
    to_jax,
    torch_grads,
)

from qaug.models import PatchQuantumGenerator, VQCLayer  # noqa: E402
from qaug.quantum import _jit  # noqa: E402  (the floor rows time its kernels bare)

TARGETS = {"tc": 1.5, "pl": 10.0}
VQC_SIZES = [(n, L, b) for n in (4, 6, 8, 12) for L in (2, 3) for b in (1, 16, 64, 256)]
PATCH_BATCHES = (1, 32, 256)
QUICK_VQC = [(4, 2, 1), (4, 2, 16), (8, 2, 64), (12, 3, 16)]
QUICK_PATCH = (1, 32)


def median_times(steps: dict, repeats: int, warmup: int = 2, budget_s: float = 20.0,
                 block_s: float = 0.02) -> dict:
    """Median seconds per call of each step, timed in interleaved rounds (fair under drifting load).

    Each round times a block of consecutive calls of every step in turn (as many as fill about
    ``block_s``, at most 50; fixed from the warm-up), so a fast step is timed warm rather than
    right after another library's call has flushed the caches. Stops early (at least 3 rounds)
    once ``budget_s`` is spent. Returns ``{name: median}`` and ``{name + "_min": fastest
    round}`` (seconds per call): on a loaded machine the fastest round is the closer estimate
    of the idle time. The garbage collector is off while timing (as in ``timeit``) and runs
    between rounds.
    """
    gc.collect()  # as timeit does: no collection of earlier cells' garbage inside a timed block
    gc.disable()
    try:
        return _timed_rounds(steps, repeats, warmup, budget_s, block_s)
    finally:
        gc.enable()


def _timed_rounds(steps: dict, repeats: int, warmup: int, budget_s: float, block_s: float) -> dict:
    calls = {}
    for name, step in steps.items():
        for _ in range(warmup):
            t0 = time.perf_counter()
            step()
        calls[name] = max(1, min(50, int(block_s / max(time.perf_counter() - t0, 1e-7))))
    times = {name: [] for name in steps}
    start = time.perf_counter()
    for r in range(repeats):
        gc.collect()  # each round's garbage (PennyLane's tapes, ...) is freed between rounds
        for name, step in steps.items():
            t0 = time.perf_counter()
            for _ in range(calls[name]):
                step()
            times[name].append((time.perf_counter() - t0) / calls[name])
        if r >= 2 and time.perf_counter() - start > budget_s:
            break
    out = {name: statistics.median(ts) for name, ts in times.items()}
    out.update({f"{name}_min": min(ts) for name, ts in times.items()})
    return out


def _jax_timer(fn, *args):
    jax, _ = setup_jax()
    t0 = time.perf_counter()
    jax.block_until_ready(fn(*args))
    compile_s = time.perf_counter() - t0
    return (lambda: jax.block_until_ready(fn(*args))), compile_s


class _NoCircuit(torch.autograd.Function):
    """A custom autograd Function that does no work: zeros out, zero gradients (new tensors)."""

    @staticmethod
    def forward(ctx, x, weights):
        ctx.shape = weights.shape
        return x.new_zeros(x.shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.new_zeros(grad.shape), grad.new_zeros(ctx.shape)


class _KernelsOnly(torch.autograd.Function):
    """qaug's compiled VQC kernels (forward, adjoint backward) and nothing else: no checks."""

    @staticmethod
    def forward(ctx, x, weights):
        ctx.arrays = (x.detach().numpy(), weights.detach().numpy())
        ctx.tables = _jit._vqc_tables(x.shape[1])
        out, *ctx.kept = _jit._vqc_fwd(*ctx.arrays, False, *ctx.tables)
        return torch.from_numpy(out)

    @staticmethod
    def backward(ctx, grad):
        fre, fim, phases = ctx.kept
        gx, gw = _jit._vqc_bwd(grad.numpy(), *ctx.arrays, False, *ctx.tables, phases, fre, fim)
        return torch.from_numpy(gx), torch.from_numpy(gw)


class FloorLayer(torch.nn.Module):
    """VQCLayer's interface around a bare custom Function: the torch floor.

    Timed in the same harness as VQCLayer (zero_grad, forward, sum, backward). With
    ``_NoCircuit`` the Function does nothing: the least any torch layer with its own backward
    can take per call. With ``_KernelsOnly`` it runs qaug's compiled circuit and nothing else:
    the least qaug's circuit can take inside torch (VQCLayer adds its checks: shapes, dtypes,
    finiteness, in-place changes, double backward).
    """

    def __init__(self, weights: torch.Tensor, fn: type[torch.autograd.Function]):
        super().__init__()
        self.weights = torch.nn.Parameter(weights.detach().clone())
        self.fn = fn

    def forward(self, x):
        return self.fn.apply(x, self.weights)


def _torch_step(layer, x):
    """One timed call of a torch layer: fresh input leaf, zero_grad, forward, sum, backward."""

    def step():
        xi = x.detach().requires_grad_(True)
        layer.zero_grad(set_to_none=True)
        loss = layer(xi).sum()
        loss.backward()
        return float(loss.detach()), [xi.grad, layer.weights.grad]

    return step


def vqc_cell(qml, n: int, n_layers: int, batch: int, repeats: int) -> dict:
    """Check and time one VQC size; returns times (s), compile time and the value check.

    At batch 1 the torch floor (``FloorLayer``) is timed in the same rounds.
    """
    g = torch.Generator().manual_seed(n * 100 + n_layers * 10 + batch)
    layer = VQCLayer(n, n_layers, generator=g)
    x = torch.rand(batch, n, generator=g) * math.pi
    w = layer.weights.detach()
    ours = _torch_step(layer, x)

    ref_ours = ours()
    pl_forward = pl_vqc(qml, n, n_layers)
    tc_fn = tc_vqc_step(n, n_layers)
    xj, wj = to_jax(x), to_jax(w)
    tc_step, compile_s = _jax_timer(tc_fn, xj, wj)
    loss, (gx, gw) = tc_fn(xj, wj)
    err_tc = check_close(f"TC n={n} L={n_layers} b={batch}", ref_ours, (loss, [gx, gw]))
    err_pl = check_close(f"PL n={n} L={n_layers} b={batch}", ref_ours,
                         torch_grads(pl_forward, x, w, wrt=(0, 1)))

    def pl():
        torch_grads(pl_forward, x, w, wrt=(0, 1))

    steps = {"qaug": ours, "tc": tc_step, "pl": pl}
    if batch == 1:
        steps["floor"] = _torch_step(FloorLayer(w, _NoCircuit), x)
        if _jit.jit_vqc_fits(n, n_layers, batch, x, w):  # VQCLayer runs these kernels here
            steps["kernels"] = _torch_step(FloorLayer(w, _KernelsOnly), x)
            check_close(f"bare kernels n={n} L={n_layers}", ref_ours, steps["kernels"](),
                        atol=1e-6)
    t = median_times(steps, repeats)
    return {**t, "compile": compile_s, "err": max(err_tc, err_pl)}


def _floor_rows(r: dict) -> str:
    """The floors under a batch-1 VQC row: their times and the most TC/qaug they leave.

    ``floor + kernels`` only where ``VQCLayer`` runs the compiled kernels (up to 8 qubits);
    larger heads take other paths (parity chain, numpy state vectors).
    """
    return "\n".join(
        f"{label:20s} {r[key] * 1e3:8.3f} {'':8s} {'':9s} {r['tc'] / r[key]:7.2f}x {'':8s} | "
        f"{r[key + '_min'] * 1e3:8.3f} {'':8s} {r['tc_min'] / r[key + '_min']:7.2f}x  ({note})"
        for label, key, note in (
            ("  torch floor", "floor", "empty custom Function: the most any torch layer "
             "with its own backward can reach"),
            ("  floor + kernels", "kernels", "qaug's compiled circuit in a bare Function, "
             "no checks"),
        )
        if key in r
    )


def patch_cell(qml, batch: int, repeats: int) -> dict:
    """Check and time the demo's patch generator at one batch size."""
    g = torch.Generator().manual_seed(batch)
    gen = PatchQuantumGenerator(5, 1, 6, 4, generator=g)
    z = torch.rand(batch, 5, generator=g) * math.pi / 2
    w = gen.weights.detach()

    def ours():
        gen.zero_grad(set_to_none=True)
        gen(z).sum().backward()

    ours()
    ref_ours = (float(gen(z).sum().detach()), [gen.weights.grad.clone()])
    pl_forward = pl_patches(qml, 5, 6, 4, 1)
    tc_fn = tc_patch_step(5, 6, 4, 1)
    wj, zj = to_jax(w), to_jax(z)
    tc_step, compile_s = _jax_timer(tc_fn, wj, zj)
    loss, gw = tc_fn(wj, zj)
    err_tc = check_close(f"TC patch b={batch}", ref_ours, (loss, [gw]))
    err_pl = check_close(f"PL patch b={batch}", ref_ours,
                         torch_grads(lambda zi, wi: pl_forward(zi, wi), z, w, wrt=(1,)))

    def pl():
        torch_grads(pl_forward, z, w, wrt=(1,))

    t = median_times({"qaug": ours, "tc": tc_step, "pl": pl}, repeats)
    return {**t, "compile": compile_s, "err": max(err_tc, err_pl)}


def _row(case: str, r: dict) -> tuple[str, bool]:
    tc_ratio, pl_ratio = r["tc"] / r["qaug"], r["pl"] / r["qaug"]
    tc_min, pl_min = r["tc_min"] / r["qaug_min"], r["pl_min"] / r["qaug_min"]
    ok = min(tc_ratio, tc_min) >= TARGETS["tc"] and min(pl_ratio, pl_min) >= TARGETS["pl"]
    line = (f"{case:20s} {r['qaug'] * 1e3:8.3f} {r['tc'] * 1e3:8.3f} {r['pl'] * 1e3:9.2f} "
            f"{tc_ratio:7.2f}x {pl_ratio:7.1f}x | {r['qaug_min'] * 1e3:8.3f} "
            f"{r['tc_min'] * 1e3:8.3f} {tc_min:7.2f}x {pl_min:7.1f}x | {r['compile']:6.1f} "
            f"{r['err']:8.1e} {'PASS' if ok else 'FAIL'}")
    return line, ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed rounds (median reported)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch and numpy BLAS threads (default 1)")
    parser.add_argument("--quick", action="store_true", help="a few sizes only")
    parser.add_argument("--qubits", type=int, nargs="+", default=None,
                        help="VQC cells of these register sizes only (e.g. --qubits 12)")
    parser.add_argument("--batches", type=int, nargs="+", default=None,
                        help="VQC cells of these batch sizes only (e.g. --batches 1)")
    parser.add_argument("--only", nargs="+", choices=["vqc", "patch", "steps"],
                        default=["vqc", "patch", "steps"], help="which parts (default: all)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        import pennylane as qml

        jax, tc = setup_jax()
    except ImportError as err:
        print(f"a reference is missing ({err}): pip install 'qaug[bench]'")
        return 1
    print(f"torch {torch.__version__} ({torch.get_num_threads()} thread; numpy BLAS "
          f"{os.environ['OPENBLAS_NUM_THREADS']}), JAX {jax.__version__}, "
          f"TensorCircuit-NG {tc.__version__}, PennyLane {qml.__version__}; median of up to "
          f"{args.repeats} interleaved rounds; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs")
    header = (f"{'':20s} {'--- medians (ms) and ratios':36s}   | {'--- fastest rounds':34s} |\n"
              f"{'case':20s} {'qaug':>8s} {'TC':>8s} {'PL':>9s} {'TC/qaug':>8s} {'PL/qaug':>8s} | "
              f"{'qaug':>8s} {'TC':>8s} {'TC/qaug':>8s} {'PL/qaug':>8s} | {'jit s':>6s} "
              f"{'max diff':>8s}")
    print(header)
    failed = 0
    if "vqc" in args.only:
        for n, n_layers, batch in QUICK_VQC if args.quick else VQC_SIZES:
            if (args.qubits is not None and n not in args.qubits) or (
                args.batches is not None and batch not in args.batches
            ):
                continue
            r = vqc_cell(qml, n, n_layers, batch, args.repeats)
            line, ok = _row(f"VQC {n}q x {n_layers}L b{batch}", r)
            failed += not ok
            print(line, flush=True)
            if "floor" in r:
                print(_floor_rows(r), flush=True)
    if "patch" in args.only:
        for batch in QUICK_PATCH if args.quick else PATCH_BATCHES:
            line, ok = _row(f"patch G b{batch}", patch_cell(qml, batch, args.repeats))
            failed += not ok
            print(line, flush=True)
    if "steps" in args.only:
        from _bench_steps import run_steps

        run_steps(args.repeats, median_times)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{failed} size(s) below target (TC/qaug >= {TARGETS['tc']}, PL/qaug >= "
          f"{TARGETS['pl']}); peak memory {peak:.0f} MB; load average now "
          f"{os.getloadavg()[0]:.1f}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
