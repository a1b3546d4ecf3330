"""Settings of the adversarial loop: ``AdversarialConfig`` and the tuned per-kind defaults."""

from __future__ import annotations

from dataclasses import dataclass

from qaug._registry import ADVERSARIAL_LOSSES, OPTIMIZERS

__all__ = [
    "AdversarialConfig",
    "NonFiniteLossError",
    "default_adversarial_config",
    "OPTIMIZERS",
    "LOSSES",
]

LOSSES = ADVERSARIAL_LOSSES


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN/inf; training stopped before applying the bad step."""


@dataclass(frozen=True)
class AdversarialConfig:
    """Settings of the adversarial loop (defaults: the PennyLane Quantum GANs demo, batch 32).

    Attributes:
        iterations: generator updates in total.
        batch_size: real and fake images per step.
        optimizer: ``"sgd"`` (demo) or ``"adam"`` (with ``betas``), for both networks.
        lr_g, lr_d: learning rates of generator and discriminator (demo: 0.3 and 0.01).
        betas: Adam's betas (DCGAN's (0.5, 0.999)).
        n_critic: discriminator updates per generator update.
        checkpoint_every: save a checkpoint every this many iterations (and at the end).
        eval_every: log quality metrics and a fixed-noise snapshot every this many
            iterations (and at 0 and at the end); 0 = only at 0 and at the end.
        eval_samples: size of the fixed noise batch used for quality metrics.
        loss: ``"bce"`` (non-saturating) or ``"lsgan"`` (least squares, Mao et al. 2017).
        device: torch device for the networks (random numbers are drawn on the CPU).
    """

    iterations: int = 500
    batch_size: int = 32
    optimizer: str = "sgd"
    lr_g: float = 0.3
    lr_d: float = 0.01
    betas: tuple[float, float] = (0.5, 0.999)
    n_critic: int = 1
    checkpoint_every: int = 100
    eval_every: int = 50
    eval_samples: int = 100
    loss: str = "bce"
    device: str = "cpu"

    def __post_init__(self):
        for name, low in (
            ("iterations", 0),
            ("batch_size", 1),
            ("n_critic", 1),
            ("checkpoint_every", 1),
            ("eval_every", 0),
            ("eval_samples", 2),
        ):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise ValueError(
                    f"AdversarialConfig.{name} must be an integer >= {low}; got {v!r}."
                )
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"AdversarialConfig.optimizer must be one of {list(OPTIMIZERS)}; "
                f"got {self.optimizer!r}."
            )
        if self.loss not in LOSSES:
            raise ValueError(
                f"AdversarialConfig.loss must be one of {list(LOSSES)}; got {self.loss!r}."
            )
        for name in ("lr_g", "lr_d"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not (v > 0):
                raise ValueError(f"AdversarialConfig.{name} must be a positive number; got {v!r}.")
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ValueError(
                f"AdversarialConfig.betas must be two numbers in [0, 1); got {self.betas!r}."
            )


# Per-kind defaults, chosen on the training data of mnist 0/1/2 at 8x8 (100 images per class,
# 500-3000 iterations, batch 32). The QGAN keeps the PennyLane demo's SGD (0.01 for D, 0.3 for
# G): Adam or other learning rates were no better. The classical networks collapse to one
# mode with that SGD and train with DCGAN-style Adam (betas 0.5, 0.999) instead.
# 1000 iterations: at 500 the QGAN's 8x8 zeros were not yet recognisable (reference-classifier
# accuracy 0.32 vs 0.78 at 1000); every kind gets the same budget.
_KIND_DEFAULTS = {
    "qgan": {"iterations": 1000},
    "gan": {"iterations": 1000, "optimizer": "adam", "lr_g": 1e-3, "lr_d": 1e-3},
    "dcgan": {"iterations": 1000, "optimizer": "adam", "lr_g": 1e-3, "lr_d": 1e-3},
}


def default_adversarial_config(kind: str, **changes) -> AdversarialConfig:
    """The tuned ``AdversarialConfig`` of generator ``kind`` ("qgan", "gan", "dcgan") + ``changes``.

    Example:
        >>> default_adversarial_config("qgan").lr_g
        0.3
    """
    if kind not in _KIND_DEFAULTS:
        raise ValueError(f"kind must be one of {list(_KIND_DEFAULTS)}; got {kind!r}.")
    return AdversarialConfig(**{**_KIND_DEFAULTS[kind], **changes})
