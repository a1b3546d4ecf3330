"""Classifier registry: names -> classes, ``ClassifierConfig``, ``build_classifier``.

Example:
    >>> from qaug._seed import make_generator
    >>> cfg = ClassifierConfig(name="cnn")
    >>> model = build_classifier_from_config(cfg, 3, 8, make_generator(0, "init"))
    >>> model.parameter_counts()["quantum"]
    0
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from qaug._registry import CLASSIFIERS
from qaug.models._hqcnn import HQCNN, CNNControl, QuanvHQCNN, ReuploadHQCNN

__all__ = ["CLASSIFIERS", "ClassifierConfig", "build_classifier", "build_classifier_from_config"]

_REGISTRY: dict[str, type[nn.Module]] = {
    "hqcnn": HQCNN,
    "reupload": ReuploadHQCNN,
    "quanv": QuanvHQCNN,
    "cnn": CNNControl,
}
if tuple(_REGISTRY) != CLASSIFIERS:  # pragma: no cover - a developer error, caught by the tests
    raise RuntimeError(f"classifier classes {list(_REGISTRY)} differ from qaug._registry.CLASSIFIERS")


def _check_name(name: object) -> None:
    if name not in _REGISTRY:
        raise ValueError(f"unknown classifier {name!r}; valid names: {list(CLASSIFIERS)}.")


@dataclass(frozen=True)
class ClassifierConfig:
    """Which classifier to build and its size.

    Attributes:
        name: one of ``CLASSIFIERS``: "hqcnn" (paper), "reupload", "quanv", "cnn" (control).
        n_qubits: width of the quantum (or control) layer; "quanv" needs 4 (one per pixel
            of a 2x2 patch).
        n_layers: variational layers of the circuit (ignored by "cnn").
        channels: 3x3-conv channels of the front end (ignored by "quanv").
    """

    name: str = "hqcnn"
    n_qubits: int = 4
    n_layers: int = 2
    channels: int = 4

    def __post_init__(self):
        _check_name(self.name)
        for field, low, high in (("n_qubits", 1, 12), ("n_layers", 1, None), ("channels", 1, None)):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"model.{field} must be an integer; got {value!r}.")
            if value < low or (high is not None and value > high):
                allowed = f">= {low}" if high is None else f"between {low} and {high}"
                raise ValueError(f"model.{field} must be {allowed}; got {value}.")
        if self.name == "quanv" and self.n_qubits != 4:
            raise ValueError(
                f"model.n_qubits must be 4 for 'quanv' (one qubit per pixel of a 2x2 patch); "
                f"got {self.n_qubits}. Leave n_qubits at 4 or pick another model."
            )


def build_classifier(
    name: str,
    n_classes: int,
    image_size: int,
    *,
    generator: torch.Generator | None = None,
    n_qubits: int = 4,
    n_layers: int = 2,
    channels: int = 4,
    **options,
) -> nn.Module:
    """Build classifier ``name`` for ``n_classes`` classes and square images of side ``image_size``.

    Args:
        name: one of ``CLASSIFIERS``.
        n_classes: number of classes (>= 2).
        image_size: side of the square input images.
        generator: ``torch.Generator`` for the initial weights (default: seed 0).
        n_qubits: width of the quantum layer (:class:`ClassifierConfig`).
        n_layers: variational layers (:class:`ClassifierConfig`).
        channels: front-end conv channels (:class:`ClassifierConfig`).
        **options: extra keyword arguments of the model class (e.g. ``max_size`` for "quanv";
            ``body=`` a user's ``nn.Module`` in place of the VQC for "hqcnn", "reupload" and
            "cnn": see :class:`HQCNN`).

    Returns:
        An ``nn.Module`` mapping ``(batch, 1, image_size, image_size)`` to ``(batch, n_classes)``.
    """
    cfg = ClassifierConfig(name=name, n_qubits=n_qubits, n_layers=n_layers, channels=channels)
    cls = _REGISTRY[cfg.name]
    if cls is QuanvHQCNN and "body" in options:
        raise ValueError(
            "body= replaces the VQC of 'hqcnn', 'reupload' or 'cnn'; 'quanv' applies its circuit "
            "as a filter and takes no body. Pick name='hqcnn' for your own layer."
        )
    if cls is QuanvHQCNN:
        return cls(n_classes, image_size, n_layers=n_layers, generator=generator, **options)
    return cls(
        n_classes, image_size, n_qubits=n_qubits, n_layers=n_layers, channels=channels,
        generator=generator, **options,
    )


def build_classifier_from_config(
    cfg: ClassifierConfig, n_classes: int, image_size: int, generator: torch.Generator | None = None
) -> nn.Module:
    """``build_classifier`` with the fields of ``cfg``."""
    if not isinstance(cfg, ClassifierConfig):
        raise TypeError(f"cfg must be a ClassifierConfig; got {type(cfg).__name__}.")
    return build_classifier(
        cfg.name, n_classes, image_size, generator=generator,
        n_qubits=cfg.n_qubits, n_layers=cfg.n_layers, channels=cfg.channels,
    )
