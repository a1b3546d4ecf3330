"""qaug: quantum-GAN data augmentation for hybrid quantum-classical classifiers.

Implements He et al., "QGAN-based data augmentation for hybrid quantum-classical neural
networks" (arXiv 2505.24780). Stages, in the order data flows: ``qaug.data``,
``qaug.quantum``, ``qaug.models``, ``qaug.train``, ``qaug.augment``, ``qaug.experiments``.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
