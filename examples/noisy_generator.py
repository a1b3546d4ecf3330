"""The paper's open question 2 in miniature: a QGAN trained and sampled on a noisy device.

Trains the patch QGAN for MNIST digit 0 (8x8) three times - ideal, under 1000 shots with 1%
depolarizing noise per layer, and under 100 shots with 5% - and scores each with qaug's quality
metrics (FID/KID on a local CNN, reference accuracy, diversity). Shot noise enters training
through the straight-through surrogate (the forward value is the shot estimate, the gradient
that of the exact noisy probabilities; see qaug.quantum._noisy_circuits). A sample grid is
written at every evaluation (SampleGridCallback) into ``<out>/grids``.

    python examples/noisy_generator.py [OUT]      # default OUT: runs/noisy_generator
"""

import sys
from functools import partial
from pathlib import Path

import torch

from qaug import make_generator
from qaug.data import load_dataset
from qaug.models import GANConfig, build_gan
from qaug.quantum import NoiseModel
from qaug.train import QualityEvaluator, SampleGridCallback, default_adversarial_config, train_gan

SETTINGS = {
    "ideal": None,
    "shots=1000,depolarizing=0.01": NoiseModel(shots=1000, depolarizing=0.01),
    "shots=100,depolarizing=0.05": NoiseModel(shots=100, depolarizing=0.05),
}


def main(out="runs/noisy_generator", iterations=200):
    """Train one class-0 QGAN per noise setting; print and return its final quality."""
    torch.set_num_threads(1)
    data = load_dataset("mnist", classes=(0, 1, 2), n_train_per_class=100, image_size=8, seed=0)
    x, y = data.train.x, data.train.y
    quality = QualityEvaluator(x, y, seed=0)
    adv = default_adversarial_config("qgan", iterations=iterations, eval_every=50,
                                     select_best=False)
    results = {}
    for name, noise in SETTINGS.items():
        G, D = build_gan("qgan", 8, GANConfig(kind="qgan"), generator=make_generator(0, "init"))
        grids = SampleGridCallback(Path(out) / "grids", n=12,
                                   prefix=name.replace(",", "_").replace("=", ""))
        res = train_gan(G, D, x[y == 0], adv, seed=0, quality=partial(quality, label=0),
                        noise=noise, callbacks=[grids])
        q = res.history["quality"][-1]
        results[name] = q
        print(f"{name:>30}: fid {q['fid']:.2f}  kid {q['kid']:.3f}  ref. accuracy "
              f"{q['accuracy']:.2f}  diversity {q['diversity_ratio']:.2f}  ({res.wall_time:.1f} s; "
              f"grids: {grids.written[-1]})")
    return results


if __name__ == "__main__":
    main(*sys.argv[1:])
