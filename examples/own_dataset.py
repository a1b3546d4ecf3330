"""Your own images: a folder with one sub-folder of PNGs per class, end to end.

Writes scikit-learn's 8x8 digits 3, 5 and 8 as PNG files into ``<out>/images/three``,
``.../five`` and ``.../eight`` (stand-ins for your own files), then loads the folder with
``qaug.data.load_dataset`` (labels follow the sorted folder names), trains the HQCNN and its
classical control, and prints per-class test accuracy under the folder names.

    python examples/own_dataset.py [OUT]      # default OUT: runs/own_dataset
"""

import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from sklearn.datasets import load_digits

from qaug import make_generator
from qaug.data import load_dataset
from qaug.models import build_classifier
from qaug.train import TrainConfig, evaluate, train_classifier

NAMES = {3: "three", 5: "five", 8: "eight"}


def write_folder(root: Path) -> Path:
    """One PNG per image, grey levels 0-255, in one sub-folder per class; returns the folder."""
    digits = load_digits()
    for digit, name in NAMES.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(digits.images[digits.target == digit][:120]):
            Image.fromarray((img * 255 / 16).round().astype(np.uint8), mode="L").save(
                root / name / f"{i:03d}.png")
    return root


def main(out="runs/own_dataset"):
    """Train hqcnn and cnn on the folder; print per-class accuracy keyed by folder name."""
    torch.set_num_threads(1)
    folder = write_folder(Path(out) / "images")
    data = load_dataset(str(folder), classes=(0, 1, 2), n_train_per_class=50, image_size=8, seed=0,
                        n_val_per_class=20)
    names = data.class_names  # the folder names, in label order
    print(f"loaded {folder}: classes {names}, train {tuple(data.train.x.shape)}")
    results = {}
    for model_name in ("hqcnn", "cnn"):
        model = build_classifier(model_name, data.n_classes, data.image_size,
                                 generator=make_generator(0, "init"))
        train_classifier(model, data.train, data.val, TrainConfig(epochs=30),
                         generator=make_generator(0, "shuffle"))
        result = evaluate(model, data.test.x, data.test.y)
        per_class = dict(zip(names, result.per_class_accuracy))
        results[model_name] = result.accuracy
        print(f"{model_name}: test accuracy {result.accuracy:.3f}  "
              + "  ".join(f"{k} {v:.2f}" for k, v in per_class.items()))
    return results


if __name__ == "__main__":
    main(*sys.argv[1:])
