"""CPU kernels for small images: where oneDNN and the per-tensor Adam loop cost more than the maths.

At the presets' sizes (8x8 and 16x16 images, a few channels, batches of 16) a training step
is dominated by per-operation overhead. Two kernel choices make it faster on the CPU:

- oneDNN convolutions off: torch then uses its plain CPU kernels;
- Adam's fused CPU kernel (``fused=True``) instead of the per-tensor loop.

Together, measured with ``benchmarks/bench_small_kernels.py`` (one thread, load 1.9): HQCNN
step 0.98 -> 0.67 ms at 8 px, 1.04 -> 0.79 ms at 16 px; CNN 0.64 -> 0.34 ms at 8 px; DCGAN
D+G step 3.2 -> 1.3 ms (width 1, 8 px), 3.6 -> 2.4 ms (width 8, 16 px). At 28 px the width-8
DCGAN is 6% slower with them, so only sides up to ``SMALL_IMAGE_MAX_SIDE`` use them.

Both change float32 rounding (not the maths), so results differ from the default kernels in
the last digits, and trained weights drift apart from there. Both are applied at the same
sizes, so runs on larger images keep the default kernels and their results.
"""

from __future__ import annotations

import contextlib

import torch

__all__ = ["SMALL_IMAGE_MAX_SIDE", "adam", "small_kernels", "use_small_kernels"]

# Largest image side trained with the small-image kernels.
SMALL_IMAGE_MAX_SIDE = 16


def use_small_kernels(image_side: int, device: torch.device | str = "cpu") -> bool:
    """Whether images of this side on this device train with the small-image CPU kernels."""
    return torch.device(device).type == "cpu" and int(image_side) <= SMALL_IMAGE_MAX_SIDE


@contextlib.contextmanager
def small_kernels(image_side: int, device: torch.device | str = "cpu"):
    """Run the block with oneDNN off when ``use_small_kernels``; restores the flag afterwards.

    The flag is process-wide (torch has no per-call switch); nested blocks are fine.
    """
    if not use_small_kernels(image_side, device) or not torch.backends.mkldnn.enabled:
        yield
        return
    torch.backends.mkldnn.enabled = False
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = True


def adam(params, image_side: int, device: torch.device | str = "cpu", **options) -> torch.optim.Adam:
    """``torch.optim.Adam(params, **options)``, fused when ``use_small_kernels``.

    The fused kernel needs real floating parameters; with any other the default loop is kept.
    """
    params = list(params)
    fused = use_small_kernels(image_side, device) and all(p.is_floating_point() for p in params)
    return torch.optim.Adam(params, fused=True if fused else None, **options)
