"""Benchmark: wall time of 500 adversarial iterations of QGAN, GAN and DCGAN on 8x8 images.

One per-class generator (mnist digit 2, 100 training images, 8x8), batch 32, each kind with its
default settings (``qaug.train.default_adversarial_config``). Timed twice: the bare loop
(no quality metrics, no checkpoints) and the loop with quality metrics every 50 iterations
(what ``qaug train-gan`` does). Reported: the median over ``--repeats`` runs.

Run:  python benchmarks/bench_gan_training.py [--iterations 500] [--threads 1] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial

import torch

from qaug._seed import make_generator
from qaug.data import load_dataset
from qaug.models import GANConfig, build_gan, count_parameters
from qaug.train import QualityEvaluator, default_adversarial_config, train_gan


def time_one(kind, x, label, iterations, evaluator):
    G, D = build_gan(kind, 8, GANConfig(kind=kind), generator=make_generator(0, "bench", kind))
    cfg = default_adversarial_config(kind, iterations=iterations, eval_every=50 if evaluator else 0)
    quality = partial(evaluator, label=label) if evaluator else None
    t = time.perf_counter()
    train_gan(G, D, x, cfg, seed=0, quality=quality)
    return time.perf_counter() - t, count_parameters(G)["total"], count_parameters(D)["total"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iterations", type=int, default=500)
    p.add_argument("--threads", type=int, default=1)  # 2 threads on a busy 2-core box: 10x slower
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    ds = load_dataset("mnist", classes=(0, 1, 2), n_train_per_class=100, image_size=8, seed=0)
    label = 2
    x = ds.train.x[ds.train.y == label]
    evaluator = QualityEvaluator(ds.train.x, ds.train.y, seed=0)
    print(
        f"{args.iterations} iterations, batch 32, 8x8, {len(x)} images of class 2, "
        f"{args.threads} torch thread(s), median of {args.repeats}"
    )
    print(f"{'kind':6} {'G params':>9} {'D params':>9} {'bare loop s':>12} {'with quality s':>15}")
    for kind in ("qgan", "gan", "dcgan"):
        bare, full = [], []
        for _ in range(args.repeats):
            t, g_params, d_params = time_one(kind, x, label, args.iterations, None)
            bare.append(t)
            full.append(time_one(kind, x, label, args.iterations, evaluator)[0])
        print(
            f"{kind:6} {g_params:9d} {d_params:9d} {statistics.median(bare):12.2f} "
            f"{statistics.median(full):15.2f}"
        )


if __name__ == "__main__":
    main()
