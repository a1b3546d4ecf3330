"""What the generative samplers share: the generator bank (trained or passed) and seeded draws.

A bank is a :class:`qaug.train.ClassGenerators` (or any object with ``generate(label, n,
generator) -> (n, 1, H, W)``, ``labels`` and ``image_size``). Every batch gets its own seed
drawn from the sampler's generator; the latent vectors drawn from it (for a ClassGenerators) and
the class of each batch are kept in ``params_["draws"]``, so :func:`replay_generated` re-creates
a run exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from qaug._registry import GENERATOR_KINDS
from qaug.augment._validation import (
    HasMethods,
    InstanceOf,
    LazyInstanceOf,
    NoneOk,
    Options,
)

__all__ = ["GENERATOR_KINDS", "GENERATOR_CONSTRAINTS", "replay_generated"]

GENERATOR_CONSTRAINTS = {
    "generators": [NoneOk(), HasMethods("generate", name="ClassGenerators")],
    "generator_kind": [Options(*GENERATOR_KINDS)],
    "gan_config": [NoneOk(), LazyInstanceOf("qaug.models", "GANConfig")],
    "adv_config": [NoneOk(), LazyInstanceOf("qaug.train", "AdversarialConfig")],
    "progress": [InstanceOf(bool)],
}


def draw_seed(generator: torch.Generator) -> int:
    """A 62-bit seed drawn from ``generator`` (one per consumer, so streams never overlap)."""
    return int(torch.randint(0, 2**62, (1,), generator=generator))


def check_generator_bank(bank: Any, labels: list[int], image_size: int) -> None:
    """Refuse a bank whose image size or class set does not match the data."""
    size = getattr(bank, "image_size", None)
    if size is not None and int(size) != image_size:
        raise ValueError(
            f"generators make {size}x{size} images but the data are {image_size}x{image_size}; "
            f"train generators at image_size={image_size} or resize the data."
        )
    have = getattr(bank, "labels", None)
    if have is not None:
        missing = sorted(set(labels) - {int(c) for c in have})
        if missing:
            raise ValueError(
                f"generators cover classes {sorted(int(c) for c in have)} but samples are needed "
                f"for class(es) {missing}; train generators for every class of y."
            )


def obtain_generators(sampler: Any, x: torch.Tensor, y: np.ndarray, labels: list[int],
                      generator: torch.Generator) -> Any:
    """The sampler's bank: the one passed, or one trained now on ``(x, y)`` for ``labels``."""
    if sampler.generators is not None:
        check_generator_bank(sampler.generators, labels, int(x.shape[-1]))
        return sampler.generators
    from qaug.train import fit_class_generators

    # quality=False: sample-quality logging trains an extra CNN and is not needed to augment.
    bank = fit_class_generators(
        sampler.generator_kind, x.cpu(), torch.as_tensor(y), sampler.gan_config,
        sampler.adv_config, seed=draw_seed(generator), labels=list(labels),
        progress=sampler.progress, quality=False,
    )
    check_generator_bank(bank, labels, int(x.shape[-1]))
    return bank


def bank_kind(bank: Any, default: str) -> str:
    """Source name of generated samples: the bank's ``kind`` ("qgan", "gan", "dcgan")."""
    return str(getattr(bank, "kind", None) or default)


def generate(bank: Any, label: int, n: int, seed: int, image_size: int) -> tuple[torch.Tensor, Any]:
    """``n`` images of class ``label`` from ``bank`` with the given seed.

    Draw, then apply (kornia's split): with a ``ClassGenerators`` (``generator_for``) the latent
    vectors are drawn here on the CPU and returned, so they can be kept and replayed; a bank
    with only ``generate`` gets the seeded generator and the latents stay inside it (None).

    Returns:
        images float32 ``(n, 1, H, W)`` in [0, 1] on the CPU, and the latents ``(n, d)`` or None.
    """
    g = torch.Generator(device="cpu")
    g.manual_seed(int(seed))
    z = None
    with torch.no_grad():
        if callable(getattr(bank, "generator_for", None)):
            net = bank.generator_for(int(label))
            z = net.sample_latent(int(n), g)  # (n, latent_dim), drawn on the CPU
            out = _decode(net, z)
        else:
            out = bank.generate(int(label), int(n), g)
    return _check_images(out, label, n, image_size), z


def _decode(net: Any, z: torch.Tensor) -> torch.Tensor:
    p = next(net.parameters(), None)
    return net(z.to(p.device if p is not None else "cpu"))


def _check_images(out: Any, label: int, n: int, image_size: int) -> torch.Tensor:
    out = torch.as_tensor(out).detach().float().cpu()
    if tuple(out.shape) != (n, 1, image_size, image_size):
        raise ValueError(
            f"generators returned shape {tuple(out.shape)} for class {label}; expected "
            f"({n}, 1, {image_size}, {image_size}). Use generators trained on this data."
        )
    if not torch.isfinite(out).all():
        raise ValueError(f"generators returned NaN/inf images for class {label}; retrain them.")
    return out.clamp(0.0, 1.0)  # a tanh/sigmoid head can overshoot [0, 1] by rounding


def replay_generated(bank: Any, params: dict, image_size: int) -> torch.Tensor:
    """Re-create every generated batch recorded in ``params["draws"]`` (before any filtering).

    Uses the stored latent vectors when present (``ClassGenerators``), else the stored seeds.
    Returns float32 ``(sum of n, 1, H, W)`` in draw order.
    """
    parts = []
    for d in params["draws"]:
        if d.get("latent") is not None:
            with torch.no_grad():
                out = _decode(bank.generator_for(d["label"]), d["latent"])
            parts.append(_check_images(out, d["label"], d["n"], image_size))
        else:
            parts.append(generate(bank, d["label"], d["n"], d["seed"], image_size)[0])
    return torch.cat(parts) if parts else torch.zeros(0, 1, image_size, image_size)
