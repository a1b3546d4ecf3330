"""Measurement: ideal vs noisy test accuracy of one trained HQCNN (not a speed benchmark).

Trains the paper's HQCNN once exactly as ``qaug train-classifier`` does (mnist classes 0/1/2,
100 training images per class, 8x8, seed 0, default training config), then evaluates the
test set ideally and under each noise model (``qaug.quantum.NoiseModel``: shots, per-layer
single-qubit depolarizing, symmetric readout bit flips). Noise models with shots are evaluated
with ``--shot-seeds`` generators; the table gives the mean and standard deviation over them.

Run:  python benchmarks/noise_sweep.py [--seed 0] [--model hqcnn] [--shot-seeds 5]
          [--noise shots=1000,depolarizing=0.01 ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import torch

from qaug._seed import make_generator
from qaug.data import DataConfig, load_dataset_from_config
from qaug.models import ClassifierConfig, build_classifier_from_config
from qaug.quantum import NoiseModel
from qaug.train import TrainConfig, evaluate, train_classifier

LEVELS = [
    "shots=10", "shots=100", "shots=1000",
    "depolarizing=0.01", "depolarizing=0.05", "depolarizing=0.1", "depolarizing=0.2",
    "depolarizing=0.3",
    "readout=0.02", "readout=0.05", "readout=0.1", "readout=0.25",
    "shots=1000,depolarizing=0.01,readout=0.02",
    "shots=100,depolarizing=0.05,readout=0.05",
]


def train_model(seed: int, model_name: str):
    data = DataConfig(name="mnist", classes=(0, 1, 2), n_train_per_class=100, image_size=8)
    ds = load_dataset_from_config(data, seed)
    model = build_classifier_from_config(
        dataclasses.replace(ClassifierConfig(), name=model_name), ds.n_classes, ds.image_size,
        make_generator(seed, "classifier", "init"),
    )
    result = train_classifier(model, ds.train, ds.val, TrainConfig(),
                              generator=make_generator(seed, "classifier", "shuffle"))
    return model, ds, result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", default="hqcnn", choices=("hqcnn", "reupload", "quanv"))
    p.add_argument("--shot-seeds", type=int, default=5, help="generators per noise with shots")
    p.add_argument("--noise", nargs="+", default=LEVELS, help="noise specs (NoiseModel strings)")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    start = time.perf_counter()
    model, ds, result = train_model(args.seed, args.model)
    test = evaluate(model, ds.test.x, ds.test.y, ds.n_classes)
    print(f"{args.model} on mnist {list(ds.classes)} (8x8, {len(ds.train.y)} train, "
          f"{len(ds.test.y)} test, seed {args.seed}; best epoch {result.best_epoch}, "
          f"trained in {result.seconds:.1f} s)")
    header = f"| {'noise':<42} | test accuracy     | vs ideal | per class (0/1/2)  |"
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")

    def row(label: str, accs: list[float], per_class: list[float]) -> None:
        mean = statistics.fmean(accs)
        delta = round(mean - test.accuracy, 3) + 0.0  # + 0.0: no "-0.000"
        spread = f" +- {statistics.stdev(accs):.3f}" if len(accs) > 1 else ""
        pc = "/".join(f"{a:.2f}" for a in per_class)
        print(f"| {label:<42} | {mean:.3f}{spread:<12} | {delta:+.3f}   "
              f"| {pc:<18} |")

    row("ideal (statevector)", [test.accuracy], test.per_class_accuracy)
    for spec in args.noise:
        noise = NoiseModel.from_string(spec)
        seeds = range(args.shot_seeds) if noise.shots is not None else [0]
        runs = [evaluate(model, ds.test.x, ds.test.y, ds.n_classes, noise=noise,
                         generator=make_generator(args.seed, "noise-sweep", spec, s))
                for s in seeds]
        per_class = [statistics.fmean(r.per_class_accuracy[c] for r in runs)
                     for c in range(ds.n_classes)]
        row(spec, [r.accuracy for r in runs], per_class)
    print(f"({time.perf_counter() - start:.1f} s in all)")


if __name__ == "__main__":
    main()
