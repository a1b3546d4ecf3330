"""Benchmark: training steps with the default CPU kernels against qaug's small-image kernels.

One thread; interleaved rounds; for each case the median seconds per step with torch's
default kernels (oneDNN convolutions, Adam's per-tensor loop) and with
``qaug.train._kernels`` (oneDNN off, fused Adam), and their ratio. Cases: the HQCNN and CNN
classifier steps (Adam, batch 16) at 8, 16 and 28 px, and a DCGAN D+G step (Adam, batch 16)
at widths 1 and 8. qaug applies the small kernels up to ``SMALL_IMAGE_MAX_SIDE``.

Run:  python benchmarks/bench_small_kernels.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
from torch.nn import functional as F

from qaug.models import build_classifier, build_gan
from qaug.models._gan_config import GANConfig
from qaug.train._kernels import SMALL_IMAGE_MAX_SIDE


def _adam(params, fused: bool):
    return torch.optim.Adam(params, lr=1e-3, fused=True if fused else None)


def classifier_step(name: str, side: int, fused: bool):
    g = torch.Generator().manual_seed(0)
    model = build_classifier(name, 3, side, generator=g)
    opt = _adam(model.parameters(), fused)
    x, y = torch.rand(16, 1, side, side, generator=g), torch.randint(0, 3, (16,), generator=g)

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def dcgan_step(side: int, width: int, fused: bool):
    g = torch.Generator().manual_seed(0)
    G, D = build_gan("dcgan", side, GANConfig(dcgan_width=width), generator=g)
    opt_g, opt_d = _adam(G.parameters(), fused), _adam(D.parameters(), fused)
    real, ones, zeros = torch.rand(16, 1, side, side, generator=g), torch.ones(16), torch.zeros(16)

    def step():
        fake = G(G.sample_latent(16, g))
        loss_d = (F.binary_cross_entropy_with_logits(D(real).flatten(), ones)
                  + F.binary_cross_entropy_with_logits(D(fake.detach()).flatten(), zeros))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        loss_g = F.binary_cross_entropy_with_logits(D(fake).flatten(), ones)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()

    return step


def _time(step, onednn: bool, calls: int) -> float:
    torch.backends.mkldnn.enabled = onednn
    try:
        t0 = time.perf_counter()
        for _ in range(calls):
            step()
        return (time.perf_counter() - t0) / calls
    finally:
        torch.backends.mkldnn.enabled = True


def measure(make, repeats: int) -> tuple[float, float]:
    """Median seconds per step: (default kernels, small-image kernels), interleaved rounds."""
    default, small = make(False), make(True)
    for step, onednn in ((default, True), (small, False)):
        _time(step, onednn, 5)
    t0 = time.perf_counter()
    _time(default, True, 3)
    calls = max(3, int(0.05 / max((time.perf_counter() - t0) / 3, 1e-6)))
    rounds = [(_time(default, True, calls), _time(small, False, calls)) for _ in range(repeats)]
    return statistics.median(r[0] for r in rounds), statistics.median(r[1] for r in rounds)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds (median)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, load average {os.getloadavg()[0]:.1f}; "
          f"qaug uses the small kernels up to {SMALL_IMAGE_MAX_SIDE} px")
    print(f"{'case':28s} {'default ms':>10s} {'small ms':>9s} {'speed-up':>9s}")
    cases = [(f"{name} step {side}px", lambda f, n=name, s=side: classifier_step(n, s, f))
             for side in (8, 16, 28) for name in ("hqcnn", "cnn")]
    cases += [(f"dcgan w{w} D+G step {side}px", lambda f, s=side, w=w: dcgan_step(s, w, f))
              for side, w in ((8, 1), (16, 8), (28, 8))]
    for case, make in cases:
        default, small = measure(make, args.repeats)
        print(f"{case:28s} {default * 1e3:10.3f} {small * 1e3:9.3f} {default / small:8.2f}x",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
