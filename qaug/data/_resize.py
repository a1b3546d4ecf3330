"""Image resizing: area averaging down, bilinear up."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ._validate import check_image_size

__all__ = ["resize_images"]


def resize_images(x: torch.Tensor, size: int) -> torch.Tensor:
    """Resize images to ``size x size``.

    Shrinking uses area averaging (``F.interpolate(mode="area")``, the same as adaptive
    average pooling): each output pixel is the mean of the input pixels its window covers.
    Enlarging uses bilinear interpolation (``align_corners=False``). A side that shrinks
    while the other grows gets area averaging first, then bilinear. Both are convex
    combinations of input pixels, so values stay in [0, 1]; no contrast is added back.

    Note that 28 -> 8 area averaging (MNIST at the paper's low resolution) turns thin
    strokes into grey, lower-contrast blobs: few pixels reach 1. That is the honest
    low-resolution image; it is not rescaled.

    Sizes from 4 to 64 are allowed; 8 (the paper's setting), 16 and 28 are the usual ones.

    Args:
        x: float tensor ``(N, C, H, W)`` or ``(N, H, W)``.
        size: output side length, 4..64.

    Returns:
        Tensor of the same layout and dtype, ``(N, C, size, size)`` or ``(N, size, size)``.
        Returns ``x`` itself when it already has that size.

    Example:
        >>> x = torch.arange(16.0).reshape(1, 1, 4, 4)
        >>> resize_images(x / 15, 4).shape
        torch.Size([1, 1, 4, 4])
    """
    size = check_image_size(size, "size")
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch tensor (N, C, H, W); got {type(x).__name__}.")
    if x.ndim not in (3, 4):
        raise ValueError(f"x must have shape (N, H, W) or (N, C, H, W); got {tuple(x.shape)}.")
    if not x.is_floating_point():
        raise TypeError(
            f"x must be a float tensor; got dtype {x.dtype}. Use as_image_tensor(x) first."
        )
    squeeze = x.ndim == 3
    t = x.unsqueeze(1) if squeeze else x  # (N, H, W) -> (N, 1, H, W)
    h, w = t.shape[-2:]
    if (h, w) == (size, size):
        return x
    if t.shape[0] == 0:
        out = t.new_zeros(*t.shape[:2], size, size)
        return out.squeeze(1) if squeeze else out
    mid = (min(h, size), min(w, size))
    if mid != (h, w):
        t = F.interpolate(t, size=mid, mode="area")
    if mid != (size, size):
        t = F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False)
    return t.squeeze(1) if squeeze else t
