"""qaug: quantum-GAN data augmentation for hybrid quantum-classical classifiers.

Implements He et al., "QGAN-based data augmentation for hybrid quantum-classical neural
networks" (arXiv 2505.24780). Stages, in the order data flows: ``qaug.data``,
``qaug.quantum``, ``qaug.models``, ``qaug.train``, ``qaug.augment``, ``qaug.experiments``.

``qaug.make_generator(seed, *names)`` gives the seeded ``torch.Generator`` of one consumer
(see ``qaug._seed``); it is loaded lazily so that ``qaug --help`` does not import torch.
"""

__version__ = "0.1.0"
__all__ = ["__version__", "make_generator", "child_seed"]


def __getattr__(name: str):
    if name in ("make_generator", "child_seed"):
        from qaug import _seed

        return getattr(_seed, name)
    raise AttributeError(f"module 'qaug' has no attribute {name!r}")
