"""HQCNN classifiers (paper, data re-uploading, quanvolution) and the classical control.

Every classifier maps images ``(batch, 1, H, W)`` float to logits ``(batch, n_classes)``,
has ``.parameter_counts()`` and draws all its initial weights from the ``generator`` it is
given (never the global RNG). None of them contains a training loop (see ``qaug.train``).

Example:
    >>> from qaug._seed import make_generator
    >>> model = HQCNN(n_classes=3, image_size=8, generator=make_generator(0, "init"))
    >>> model(torch.rand(5, 1, 8, 8)).shape
    torch.Size([5, 3])
    >>> model.parameter_counts()["quantum"]  # the VQC's (n_layers, n_qubits, 2) weights
    16
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from qaug.models._init import make_conv2d, make_linear, resolve_generator
from qaug.models._params import count_parameters
from qaug.models._quantum_layers import QuanvCircuit, ReuploadingVQCLayer, VQCLayer

__all__ = ["HQCNN", "ReuploadHQCNN", "QuanvHQCNN", "CNNControl", "ClassicalBottleneck"]


def _check_int(name: str, value, low: int, high: int | None = None, fix: str = "") -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer; got {value!r} ({type(value).__name__}).")
    if value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be {allowed}; got {value}.{' ' + fix if fix else ''}")


def _check_images(x: torch.Tensor, image_size: int, model: str) -> None:
    """Raise a ValueError naming expected and received shapes unless x is (batch, 1, S, S)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{model} expects a torch.Tensor of images; got {type(x).__name__}.")
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, image_size, image_size):
        raise ValueError(
            f"{model} expects images of shape (batch, 1, {image_size}, {image_size}); got "
            f"{tuple(x.shape)}. Resize the images to the model's size (qaug.data.resize_images)."
        )


class _AngleFrontEnd(nn.Module):
    """The paper's classical front end: images ``(batch, 1, H, W)`` -> angles ``(batch, n_qubits)``.

    3x3 conv (padding 1) -> 2x2 max-pool -> ReLU -> flatten -> linear -> ``pi * tanh``.
    The squash keeps every angle inside (-pi, pi), one period of RY: an unbounded linear
    output would wrap around the 2*pi period, so features far apart could encode the same
    state and the loss would become periodic in the classical weights. Within one period
    RY(a)|0> is distinct for distinct a, and tanh still passes gradients near 0.
    """

    def __init__(self, image_size: int, channels: int, n_out: int, generator: torch.Generator):
        super().__init__()
        self.conv = make_conv2d(1, channels, 3, generator, padding=1)
        pooled = image_size // 2
        self.fc = make_linear(channels * pooled * pooled, n_out, generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(F.max_pool2d(self.conv(x), 2))  # (B, C, H//2, W//2)
        return math.pi * torch.tanh(self.fc(h.flatten(1)))  # (B, n_out) in (-pi, pi)


class ClassicalBottleneck(nn.Module):
    """The control's stand-in for the VQC: ``(batch, n) -> tanh(linear(x))`` in [-1, 1]."""

    def __init__(self, n_features: int, generator: torch.Generator):
        super().__init__()
        self.linear = make_linear(n_features, n_features, generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.linear(x))


def check_body(body: nn.Module, n_qubits: int) -> nn.Module:
    """Check a user's layer maps ``(batch, n_qubits)`` angles to ``(batch, n_qubits)`` features.

    One forward pass on two zero-angle rows, without gradients; the layer is returned as is.

    Raises:
        TypeError: ``body`` is not an ``nn.Module``, or its output is not a tensor.
        ValueError: the output shape is not ``(2, n_qubits)``, or the output is not finite.
    """
    if not isinstance(body, nn.Module):
        raise TypeError(
            f"body must be a torch.nn.Module (e.g. a PennyLane TorchLayer); got {type(body).__name__}."
        )
    probe = torch.zeros(2, n_qubits)  # (batch 2, n_qubits) angles
    try:
        with torch.no_grad():
            out = body(probe)
    except Exception as e:  # the user's module: name what it was given
        raise ValueError(
            f"body failed on angles of shape (2, {n_qubits}) (expected input (batch, n_qubits="
            f"{n_qubits})): {type(e).__name__}: {e}"
        ) from e
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"body must return a tensor (batch, {n_qubits}); got {type(out).__name__}.")
    if tuple(out.shape) != (2, n_qubits):
        raise ValueError(
            f"body must map (batch, {n_qubits}) to (batch, {n_qubits}); for input (2, {n_qubits}) it "
            f"returned {tuple(out.shape)}. Give the model n_qubits equal to the layer's width, "
            "or make the layer return one feature per wire."
        )
    if not torch.isfinite(out).all():
        raise ValueError("body returned non-finite values for zero angles; check the layer.")
    return body


class HQCNN(nn.Module):
    """The paper's hybrid classifier: CNN front end -> angle encoding -> VQC -> linear head.

    ``(batch, 1, S, S)`` -> conv/pool/ReLU -> ``(batch, n_qubits)`` angles in (-pi, pi) ->
    ``VQCLayer`` (RY encoding; per layer RY, RZ, CNOT ring) -> <Z_i> ``(batch, n_qubits)`` ->
    linear -> logits ``(batch, n_classes)``.

    Args:
        n_classes: number of classes (>= 2).
        image_size: side S of the square input images (>= 2).
        n_qubits: width of the quantum layer (1..12).
        n_layers: variational layers of the VQC.
        channels: output channels of the 3x3 convolution.
        generator: ``torch.Generator`` every initial weight is drawn from (default: seed 0).
        body: bring-your-own layer in place of the built-in VQC: any ``nn.Module`` mapping
            angles ``(batch, n_qubits)`` to features ``(batch, n_qubits)`` (a PennyLane
            ``TorchLayer``, a user's circuit, a classical layer). Its parameters count as
            quantum when the module says so (``is_quantum = True``, class or instance
            attribute). The front end and head are drawn from ``generator`` as usual.
    """

    model_name = "hqcnn"

    def __init__(
        self,
        n_classes: int,
        image_size: int,
        *,
        n_qubits: int = 4,
        n_layers: int = 2,
        channels: int = 4,
        generator: torch.Generator | None = None,
        body: nn.Module | None = None,
    ):
        super().__init__()
        _check_int("n_classes", n_classes, 2)
        _check_int("image_size", image_size, 2)
        _check_int("n_qubits", n_qubits, 1, 12, "Wider states cost 2**n_qubits memory per sample.")
        _check_int("n_layers", n_layers, 1)
        _check_int("channels", channels, 1)
        g = resolve_generator(generator)
        self.n_classes, self.image_size = n_classes, image_size
        self.n_qubits, self.n_layers, self.channels = n_qubits, n_layers, channels
        # Draw order (front, body, head) is fixed so a seed always gives the same weights.
        self.front = _AngleFrontEnd(image_size, channels, n_qubits, g)
        self.body = self._make_body(g) if body is None else check_body(body, n_qubits)
        self.head = make_linear(n_qubits, n_classes, g)

    def _make_body(self, generator: torch.Generator) -> nn.Module:
        return VQCLayer(self.n_qubits, self.n_layers, generator=generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, n_classes)`` of images ``(batch, 1, S, S)``."""
        _check_images(x, self.image_size, type(self).__name__)
        return self.head(self.body(self.front(x)))

    def parameter_counts(self) -> dict[str, int]:
        """Trainable parameters: ``{"quantum", "classical", "total"}``."""
        return count_parameters(self)


class ReuploadHQCNN(HQCNN):
    """HQCNN with data re-uploading: the same angles are encoded again before every layer.

    Same front end and head as :class:`HQCNN`; the body is ``ReuploadingVQCLayer`` (per layer:
    RY(angle_i) on every wire, then RY, RZ and the CNOT ring), which makes the circuit a
    richer (higher-frequency) function of the angles at no extra parameters.
    """

    model_name = "reupload"

    def _make_body(self, generator: torch.Generator) -> nn.Module:
        return ReuploadingVQCLayer(self.n_qubits, self.n_layers, generator=generator)


class CNNControl(HQCNN):
    """Classical control: :class:`HQCNN` with the VQC swapped for a same-width ``tanh(linear)``.

    ``n_layers`` is ignored (one n_qubits x n_qubits layer; 20 parameters at 4 qubits
    against the VQC's 16 at 2 layers). Everything else, initialisation order included, is
    shared with HQCNN, so a difference between the two isolates the quantum layer.
    """

    model_name = "cnn"

    def _make_body(self, generator: torch.Generator) -> nn.Module:
        return ClassicalBottleneck(self.n_qubits, generator)


def quanv_input_size(image_size: int, max_size: int = 14) -> int:
    """Side of the image the quanvolution sees (8 -> 8, 16 -> 8, 28 -> 14 at ``max_size`` 14).

    ``image_size // f`` for the least integer f with ``image_size / f <= max_size``.
    """
    factor = -(-image_size // max_size)  # ceil
    return image_size // factor


class QuanvHQCNN(nn.Module):
    """Quanvolutional classifier (Henderson et al. 2019): a 4-qubit circuit as a 2x2 filter.

    Images larger than ``max_size`` are average-pooled by an integer factor first (8 -> 8,
    16 -> 8, 28 -> 14: the setting stays low-resolution and the circuit count per image
    bounded). Every non-overlapping 2x2 patch (stride 2; an odd last row/column is dropped)
    is encoded as RY(pi * pixel) (pixels in [0, 1]) by ``QuanvCircuit``; its four
    <Z_i> are four output channels. All patches of the batch go through the circuit in one
    call. A linear head maps the ``4 x (s/2) x (s/2)`` feature map to logits.

    Args:
        n_classes: number of classes (>= 2).
        image_size: side S of the square input images (>= 2).
        n_layers: variational layers of the quanvolution circuit (trainable weights).
        max_size: largest side the quanvolution is applied at.
        generator: ``torch.Generator`` every initial weight is drawn from (default: seed 0).
    """

    model_name = "quanv"
    n_qubits = 4  # one qubit per pixel of a 2x2 patch

    def __init__(
        self,
        n_classes: int,
        image_size: int,
        *,
        n_layers: int = 2,
        max_size: int = 14,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        _check_int("n_classes", n_classes, 2)
        _check_int("image_size", image_size, 2)
        _check_int("n_layers", n_layers, 1)
        _check_int("max_size", max_size, 2)
        g = resolve_generator(generator)
        self.n_classes, self.image_size, self.n_layers = n_classes, image_size, n_layers
        self.input_size = quanv_input_size(image_size, max_size)
        self.pool = image_size // self.input_size
        self.n_patches = self.input_size // 2  # patches per side
        self.quanv = QuanvCircuit(4, n_layers, generator=g)
        self.head = make_linear(4 * self.n_patches**2, n_classes, g)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Quanvolution feature map ``(batch, 4, p, p)`` of images ``(batch, 1, S, S)``."""
        _check_images(x, self.image_size, type(self).__name__)
        if self.pool > 1:
            x = F.avg_pool2d(x, self.pool)  # (B, 1, s, s)
        b, p = x.shape[0], self.n_patches
        x = x[:, 0, : 2 * p, : 2 * p]  # (B, 2p, 2p): drop an odd last row/column
        # (B, p, 2, p, 2) -> (B, p, p, 2, 2) -> (B*p*p, 4): pixels of a patch in row-major order
        patches = x.reshape(b, p, 2, p, 2).permute(0, 1, 3, 2, 4).reshape(b * p * p, 4)
        # RY(pi * pixel): pixels in [0, 1] span half a turn, |0> (black) to |1> (white)
        out = self.quanv(math.pi * patches)  # (B*p*p, 4): one call for all patches
        return out.reshape(b, p, p, 4).permute(0, 3, 1, 2)  # (B, 4, p, p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, n_classes)`` of images ``(batch, 1, S, S)``."""
        return self.head(self.features(x).flatten(1))

    def parameter_counts(self) -> dict[str, int]:
        """Trainable parameters: ``{"quantum", "classical", "total"}``."""
        return count_parameters(self)
