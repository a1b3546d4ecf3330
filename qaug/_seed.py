"""Explicit randomness: one seed per run, child seeds derived from it by name.

Every function that draws random numbers takes a ``torch.Generator``; nothing in qaug
draws from the global RNG. Child seeds are derived with a hash so that adding a new
consumer never shifts the streams of the existing ones.

Example:
    >>> child_seed(0, "split") == child_seed(0, "split")
    True
    >>> g = make_generator(0, "init")
    >>> float(torch.rand(1, generator=g)) == float(torch.rand(1, generator=make_generator(0, "init")))
    True
"""

from __future__ import annotations

import hashlib
import random

import numpy as np
import torch

__all__ = ["child_seed", "make_generator", "numpy_rng", "seed_everything"]


def child_seed(seed: int, *names: object) -> int:
    """Derive a 63-bit child seed from ``seed`` and a path of names (e.g. "gan", 2)."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int; got {seed!r} ({type(seed).__name__}).")
    if not names:
        return int(seed)
    key = "/".join([str(int(seed))] + [str(n) for n in names]).encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "little") >> 1


def make_generator(seed: int, *names: object) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with ``child_seed(seed, *names)``.

    Random numbers are drawn on the CPU and moved to the device afterwards, so CPU
    and GPU runs see the same numbers.
    """
    g = torch.Generator(device="cpu")
    g.manual_seed(child_seed(seed, *names))
    return g


def numpy_rng(seed: int, *names: object) -> np.random.Generator:
    """A NumPy ``Generator`` seeded with ``child_seed(seed, *names)``."""
    return np.random.default_rng(child_seed(seed, *names))


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed global RNGs as a safety net (qaug itself never relies on them)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
