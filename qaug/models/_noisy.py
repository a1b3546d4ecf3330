"""``noisy(model, noise)``: run a model's quantum layers under a noise model for a while.

The layers' default (ideal statevector) behaviour is untouched outside the ``with`` block; the
context manager only sets and then restores the ``noise`` and ``noise_generator`` attributes of
every noise-capable quantum layer (``supports_noise = True``: ``VQCLayer`` and subclasses, the
quantum generators' circuits) inside the model.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

from qaug.quantum import NoiseModel

__all__ = ["noisy", "noisy_layers"]

_ATTRS = ("noise", "noise_generator")


def noisy_layers(model: nn.Module) -> list[nn.Module]:
    """The quantum layers of ``model`` (itself included) that support noisy execution.

    A layer supports noise when its class sets ``supports_noise = True`` and its forward reads
    ``self.noise`` / ``self.noise_generator`` (VQCLayer and its subclasses, the patch, PQWGAN,
    MosaiQ and latent circuits).
    """
    return [m for m in model.modules() if getattr(m, "supports_noise", False)]


@contextlib.contextmanager
def noisy(
    model: nn.Module, noise: NoiseModel | None, *, generator: torch.Generator | None = None
) -> Iterator[nn.Module]:
    """Run every noise-capable quantum layer of ``model`` under ``noise`` inside the block.

    Args:
        model: any ``nn.Module`` holding ``VQCLayer``-type layers (HQCNN, ReuploadHQCNN,
            QuanvHQCNN, or a layer itself).
        noise: the ``qaug.quantum.NoiseModel``; ``None`` does nothing (ideal execution).
        generator: CPU ``torch.Generator`` the shots are drawn from, shared by all layers in
            the order they run; required when ``noise.shots`` is set.

    Yields:
        ``model`` itself. On exit the layers' previous settings are restored (also on errors).

    Raises:
        TypeError: ``noise`` is not a NoiseModel, or ``generator`` not a torch.Generator.
        ValueError: the model has no such layer (e.g. the classical control ``cnn``), or shots
            are requested without a generator.

    Example:
        >>> from qaug.models import HQCNN
        >>> from qaug.quantum import NoiseModel
        >>> model = HQCNN(3, 8)
        >>> with torch.no_grad(), noisy(model, NoiseModel(depolarizing=0.05)):
        ...     logits = model(torch.rand(2, 1, 8, 8))
        >>> model.body.noise is None
        True
    """
    if noise is None:
        yield model
        return
    if not isinstance(noise, NoiseModel):
        raise TypeError(
            f"noise must be a qaug.quantum.NoiseModel or None; got {type(noise).__name__}. "
            "Build one with NoiseModel(shots=..., depolarizing=..., readout=...)."
        )
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None; got "
                        f"{type(generator).__name__}.")
    if noise.shots is not None and generator is None:
        raise ValueError(
            f"noise.shots={noise.shots} needs generator= (a torch.Generator) to draw the shots "
            "from; e.g. qaug._seed.make_generator(seed, 'shots'). Or set shots=None."
        )
    layers = noisy_layers(model)
    if not layers:
        raise ValueError(
            f"{type(model).__name__} has no quantum layer that supports noise (VQCLayer, "
            "ReuploadingVQCLayer, QuanvCircuit, the generators' circuits); noisy execution "
            "applies to the quantum classifiers 'hqcnn', 'reupload', 'quanv' and the quantum "
            "generator kinds, not to classical modules."
        )
    saved = [{k: m.__dict__[k] for k in _ATTRS if k in m.__dict__} for m in layers]
    try:
        for m in layers:
            m.noise, m.noise_generator = noise, generator
        yield model
    finally:
        for m, before in zip(layers, saved):
            for k in _ATTRS:
                if k in before:
                    setattr(m, k, before[k])
                else:
                    m.__dict__.pop(k, None)
