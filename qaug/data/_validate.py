"""Checks and normalisation of user images, labels and split counts.

Every check raises ``ValueError``/``TypeError`` naming the argument, what is allowed,
what was received and the fix. Nothing here draws random numbers.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

__all__ = ["as_image_tensor", "check_pixel_max"]

MIN_IMAGE_SIZE = 4
MAX_IMAGE_SIZE = 64


def _as_array_or_tensor(x: Any, name: str) -> np.ndarray | torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.detach()
    if isinstance(x, np.ndarray):
        return x
    try:
        return np.asarray(x)
    except Exception as e:  # noqa: BLE001 - report any conversion failure the same way
        raise TypeError(
            f"{name} must be a numpy array or torch tensor; got {type(x).__name__} ({e})."
        ) from None


def as_image_tensor(x: Any, name: str = "x", *, pixel_max: float | None = None) -> torch.Tensor:
    """Check user images and return them as float32 ``(N, 1, H, W)`` in [0, 1].

    Accepts a numpy array or torch tensor of shape ``(N, H, W)`` or ``(N, 1, H, W)``.
    With ``pixel_max`` given, values must lie in ``[0, pixel_max]`` and are divided by it.
    Without it: floats must lie in [0, 1]; ``uint8`` images are 8-bit grey levels, scaled by
    1/255 with a ``UserWarning`` saying so, and so are other whole numbers whose maximum is
    17..255. Whole numbers no larger than 16 (0..16 like scikit-learn's digits, 0/1 masks)
    are refused: dividing them by 255 would make them almost black, so the maximum level
    must be stated. A float32 tensor input that needs no change may be returned without a
    copy; the device of a tensor is kept.

    Args:
        x: images, ``(N, H, W)`` or ``(N, 1, H, W)``.
        name: argument name used in error messages.
        pixel_max: the value of a white pixel (e.g. 16 for 0..16 levels, 255 for 8-bit);
            None infers it as described above.

    Returns:
        float32 tensor ``(N, 1, H, W)`` with values in [0, 1].

    Raises:
        ValueError: wrong shape, NaN/inf, negative values, values above ``pixel_max``,
            whole numbers up to 16 without ``pixel_max``, or values above 1 that are not
            8-bit grey levels.
        TypeError: not numeric, or a bad ``pixel_max``.

    Example:
        >>> import numpy as np
        >>> as_image_tensor(np.zeros((2, 8, 8))).shape
        torch.Size([2, 1, 8, 8])
        >>> float(as_image_tensor(np.full((1, 8, 8), 8), pixel_max=16).max())
        0.5
    """
    return _image_tensor(x, name, warn_integers=True, pixel_max=pixel_max)


def check_pixel_max(pixel_max: Any, name: str = "pixel_max") -> float | None:
    """None, or a finite number > 0 (the value of a white pixel)."""
    if pixel_max is None:
        return None
    if isinstance(pixel_max, bool) or not isinstance(pixel_max, (int, float, np.integer,
                                                                  np.floating)):
        raise TypeError(f"{name} must be a number such as 16 or 255, or None; got {pixel_max!r}.")
    if not (np.isfinite(pixel_max) and pixel_max > 0):
        raise ValueError(
            f"{name} must be > 0 (the value of a white pixel, e.g. 16 or 255); got {pixel_max}."
        )
    return float(pixel_max)


def _image_tensor(
    x: Any, name: str, *, warn_integers: bool, pixel_max: float | None = None
) -> torch.Tensor:
    """:func:`as_image_tensor`; ``warn_integers=False`` where 0-255 integers are documented."""
    pixel_max = check_pixel_max(pixel_max)
    x = _as_array_or_tensor(x, name)
    shape = tuple(x.shape)
    if not (len(shape) == 3 or (len(shape) == 4 and shape[1] == 1)):
        raise ValueError(f"{name} must have shape (N, H, W) or (N, 1, H, W); got {shape}.")
    if shape[-1] == 0 or shape[-2] == 0:
        raise ValueError(f"{name} images must have H, W >= 1; got shape {shape}.")
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf":
            raise TypeError(
                f"{name} must hold real numbers (float or integer); got dtype {x.dtype}."
            )
        if x.dtype.kind == "u" and x.dtype.itemsize > 1:
            x = x.astype(np.int64)  # torch has few ops for uint16/32/64
        t = torch.from_numpy(np.ascontiguousarray(x))
    else:
        t = x
    if t.dtype == torch.bool:
        t = t.to(torch.float32)
    if t.is_complex() or not (t.is_floating_point() or _is_integer_dtype(t.dtype)):
        raise TypeError(f"{name} must hold real numbers (float or integer); got dtype {t.dtype}.")
    if t.ndim == 3:
        t = t.unsqueeze(1)  # (N, H, W) -> (N, 1, H, W)
    if t.numel() == 0:
        return t.to(torch.float32)
    if t.is_floating_point():
        n_bad = int((~torch.isfinite(t)).sum())
        if n_bad:
            raise ValueError(
                f"{name} holds {n_bad} NaN or infinite value(s); remove those images or "
                f"replace the values (e.g. np.nan_to_num) first."
            )
    lo, hi = float(t.min()), float(t.max())
    if lo < 0:
        raise ValueError(
            f"{name} holds negative values (min {lo:g}); images must be floats in [0, 1] or "
            f"integers 0..255. Rescale first, e.g. (x - x.min()) / (x.max() - x.min())."
        )
    if pixel_max is not None:
        if hi > pixel_max:
            raise ValueError(
                f"{name} holds values up to {hi:g}, above pixel_max={pixel_max:g}; pass the "
                f"value of a white pixel as pixel_max (--pixel-max), e.g. {hi:g} or more."
            )
        return t.to(torch.float32) / pixel_max
    integral = not t.is_floating_point() or bool((t == torch.round(t)).all())
    if t.is_floating_point() and hi <= 1.0:
        return t.to(torch.float32)
    if t.dtype == torch.uint8 or (integral and 16 < hi <= 255):
        if warn_integers:
            warnings.warn(
                f"{name} holds values up to {hi:g}; scaling by 1/255 to [0, 1] (pass "
                f"pixel_max to state the scale)",
                UserWarning,
                stacklevel=3,
            )
        return t.to(torch.float32) / 255.0
    if integral and hi <= 16:
        raise ValueError(
            f"{name} holds whole numbers no larger than {hi:g} (dtype {_dtype_name(x)}), which "
            f"look like levels 0..{hi:g} (e.g. scikit-learn's digits are 0..16) rather than "
            f"8-bit grey levels 0..255: dividing them by 255 would make the images almost "
            f"black. State the scale: pixel_max={max(hi, 1):g} (CLI: --pixel-max "
            f"{max(hi, 1):g}, or data.pixel_max), pixel_max=255 if they really are 8-bit, or "
            f"pass floats in [0, 1] (x / x.max())."
        )
    kind = "integers" if not t.is_floating_point() else "values"
    if integral:
        raise ValueError(
            f"{name} holds {kind} up to {hi:g}, above 255, so they are not 8-bit grey levels "
            f"(integers 0..255); rescale first, e.g. x / x.max(), or pass pixel_max (e.g. "
            f"65535 for 16-bit images; CLI --pixel-max)."
        )
    raise ValueError(
        f"{name} holds values up to {hi:g}, outside [0, 1] and not whole numbers, so they are "
        f"neither floats in [0, 1] nor grey levels. Rescale first, e.g. x / x.max(), or pass "
        f"pixel_max (CLI --pixel-max)."
    )


def _dtype_name(x: Any) -> str:
    return str(x.dtype).replace("torch.", "")


def _is_integer_dtype(dtype: torch.dtype) -> bool:
    return dtype in (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


def as_labels(y: Any, n: int, name: str = "y") -> np.ndarray:
    """Check labels: 1-D, length ``n``, whole numbers. Returns an int64 numpy array."""
    y = _as_array_or_tensor(y, name)
    arr = y.cpu().numpy() if isinstance(y, torch.Tensor) else y
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (N,); got shape {tuple(arr.shape)}.")
    if len(arr) != n:
        raise ValueError(
            f"{name} has {len(arr)} labels but there are {n} images; give one label per image."
        )
    if arr.dtype.kind in "iub":
        return arr.astype(np.int64)
    if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        return arr.astype(np.int64)
    raise TypeError(
        f"{name} must hold integer class ids; got dtype {arr.dtype}"
        + (f" with values such as {arr[:3].tolist()}" if arr.dtype.kind in "fU" else "")
        + ". Convert them, e.g. y.astype(int) or np.unique(y, return_inverse=True)[1]."
    )


def check_count(value: Any, name: str, *, fix: str = "") -> int:
    """A count must be an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= 1; got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be >= 1; got {value}.{' ' + fix if fix else ''}")
    return int(value)


def check_image_size(size: Any, name: str = "image_size") -> int:
    """An output side length: an int from MIN_IMAGE_SIZE to MAX_IMAGE_SIZE."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise TypeError(
            f"{name} must be an integer from {MIN_IMAGE_SIZE} to {MAX_IMAGE_SIZE} "
            f"(usually 8, 16 or 28); got {size!r}."
        )
    if not MIN_IMAGE_SIZE <= size <= MAX_IMAGE_SIZE:
        raise ValueError(
            f"{name} must be between {MIN_IMAGE_SIZE} and {MAX_IMAGE_SIZE}; got {size}. "
            f"Use 8 (the paper's low resolution), 16 or 28."
        )
    return int(size)


def check_classes(classes: Any) -> tuple[int, ...]:
    """A non-empty sequence of distinct int class ids (dataset-independent checks only)."""
    if isinstance(classes, (str, bytes)) or not hasattr(classes, "__iter__"):
        raise TypeError(
            f"classes must be a sequence of class ids, e.g. (0, 1, 2); got {classes!r}."
        )
    out = []
    for c in classes:
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)):
            raise TypeError(f"classes must hold integer class ids, e.g. (0, 1, 2); got {c!r}.")
        out.append(int(c))
    if not out:
        raise ValueError("classes is empty; name at least one class id, e.g. (0, 1, 2).")
    dups = sorted({c for c in out if out.count(c) > 1})
    if dups:
        raise ValueError(
            f"classes lists {dups} more than once; got {tuple(out)}. List each class once."
        )
    return tuple(out)


def check_train_counts(train_counts: Any, classes: tuple[int, ...]) -> dict[int, int]:
    """``{original_class_id: n}`` with every key in ``classes`` and every n >= 1."""
    if train_counts is None:
        return {}
    if not isinstance(train_counts, dict):
        raise TypeError(
            f"train_counts must be a dict {{class_id: n}}, e.g. {{2: 20}}; got {train_counts!r}."
        )
    out = {}
    for k, v in train_counts.items():
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"train_counts keys must be integer class ids; got {k!r}.")
        if int(k) not in classes:
            raise ValueError(
                f"train_counts names class {k}, which is not in classes {classes}; "
                f"use only the selected classes as keys."
            )
        out[int(k)] = check_count(v, f"train_counts[{k}]")
    return out
