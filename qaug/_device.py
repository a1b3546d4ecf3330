"""Check a torch device name before any work starts, with a message that says the fix."""

from __future__ import annotations

import torch

__all__ = ["check_device"]


def check_device(device: object, name: str = "--device") -> torch.device:
    """Return ``torch.device(device)`` if this machine can use it, else raise ``ValueError``.

    Torch itself fails late (at the first tensor moved) and, for CUDA on a CPU-only build,
    with an ``AssertionError``; this check runs first and names the way out.

    Example:
        >>> check_device("cpu")
        device(type='cpu')
    """
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"{name} {device!r} is not a torch device; use 'cpu' or 'cuda' (or 'cuda:N')."
        ) from None
    if dev.type == "cpu":
        return dev
    if dev.type == "cuda":
        if torch.version.cuda is None:
            raise ValueError(
                f"{name} {device!r} is not available: this torch build ({torch.__version__}) "
                "has no CUDA support. Use --device cpu, or install a CUDA build of torch."
            )
        if not torch.cuda.is_available():
            raise ValueError(
                f"{name} {device!r} is not available: no CUDA GPU is visible to torch "
                f"{torch.__version__}. Use --device cpu, or check the GPU driver and "
                "CUDA_VISIBLE_DEVICES."
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"{name} {device!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s) "
                f"(cuda:0..cuda:{torch.cuda.device_count() - 1}); pick one of those."
            )
        return dev
    try:
        torch.zeros(1, device=dev)
    except (RuntimeError, AssertionError, NotImplementedError) as e:
        raise ValueError(
            f"{name} {device!r} is not available here ({e}); use --device cpu."
        ) from None
    return dev
