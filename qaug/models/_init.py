"""Layer construction with weights drawn from an explicit ``torch.Generator``.

``nn.Linear``/``nn.Conv2d`` draw their initial weights from the global RNG when built.
Here they are built uninitialised (``torch.nn.utils.skip_init``, which touches no RNG)
and then filled from the caller's generator with PyTorch's default distribution,
U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases (kaiming-uniform with a=sqrt(5)),
so the layers behave like stock ones while every draw is reproducible.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils import skip_init

from qaug._seed import make_generator

__all__ = ["resolve_generator", "init_uniform_", "make_linear", "make_conv2d"]


def resolve_generator(generator: torch.Generator | None) -> torch.Generator:
    """``generator`` itself, or a fresh one seeded from seed 0 (never the global RNG)."""
    if generator is None:
        return make_generator(0, "init")
    if not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator must be a torch.Generator or None; got {type(generator).__name__}. "
            "Build one with qaug._seed.make_generator(seed, 'init')."
        )
    return generator


def init_uniform_(layer: nn.Linear | nn.Conv2d, generator: torch.Generator) -> None:
    """Fill ``layer.weight`` and ``layer.bias`` from U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    fan_in = layer.weight[0].numel()  # in_features, or in_channels * kh * kw
    bound = 1.0 / math.sqrt(fan_in)
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound, generator=generator)
        if layer.bias is not None:
            layer.bias.uniform_(-bound, bound, generator=generator)


def make_linear(in_features: int, out_features: int, generator: torch.Generator) -> nn.Linear:
    """An ``nn.Linear`` initialised from ``generator``."""
    layer = skip_init(nn.Linear, in_features, out_features)
    init_uniform_(layer, generator)
    return layer


def make_conv2d(
    in_channels: int, out_channels: int, kernel_size: int, generator: torch.Generator, **kwargs
) -> nn.Conv2d:
    """An ``nn.Conv2d`` initialised from ``generator``."""
    layer = skip_init(nn.Conv2d, in_channels, out_channels, kernel_size, **kwargs)
    init_uniform_(layer, generator)
    return layer
