"""Settings of the adversarial loop: ``AdversarialConfig`` and the tuned per-kind defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

from qaug._config import HASH_IF_CHANGED
from qaug._registry import ADVERSARIAL_LOSSES, OPTIMIZERS

__all__ = [
    "AdversarialConfig",
    "NonFiniteLossError",
    "default_adversarial_config",
    "OPTIMIZERS",
    "LOSSES",
    "WGAN_GP_DEFAULTS",
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
        loss: ``"bce"`` (non-saturating, the demo), ``"lsgan"`` (least squares, Mao et al.
            2017) or ``"wgan-gp"`` (Wasserstein critic with gradient penalty, Gulrajani et al.
            2017: D's raw output is the critic score, no sigmoid; use ``n_critic`` 5 and Adam
            betas (0, 0.9) as PQWGAN does, which ``default_adversarial_config(kind,
            loss="wgan-gp")`` sets).
        lambda_gp: weight of the gradient penalty ``(|grad D(x_hat)| - 1)^2`` (``wgan-gp`` only).
        select_best: keep the generator weights of the logged iteration with the best
            training-set quality score (``qaug.train.selection_score``: feature FID on the
            reference CNN over ``min(1, diversity_ratio) * accuracy``, lower is better) instead of
            the last iterate. Needs quality metrics; the best is tracked (and recorded) either way.
        device: torch device for the networks (random numbers are drawn on the CPU).
        engine: ``"torch"`` (autograd and torch's optimizers, any networks) or ``"fused"``
            (``qaug.train._fused_gan``: the patch QGAN or MLP GAN against the MLP
            discriminator and the DCGAN pair, BCE, one compiled call per iteration in
            float64; anything else, and runs that write checkpoints, fall back to torch).
            Part of a bank's identity.
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
    # Added after results were committed: hashed only when changed (qaug._config.HASH_IF_CHANGED)
    lambda_gp: float = field(default=10.0, metadata=HASH_IF_CHANGED)
    select_best: bool = field(default=False, metadata=HASH_IF_CHANGED)
    device: str = "cpu"
    engine: str = field(default="torch", metadata=HASH_IF_CHANGED)

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
        if self.engine not in ("torch", "fused"):
            raise ValueError(f"AdversarialConfig.engine must be 'torch' or 'fused'; got "
                             f"{self.engine!r}. 'fused' is the fast path for the QGAN and MLP GAN.")
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
        v = self.lambda_gp
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not (v >= 0):
            raise ValueError(
                f"AdversarialConfig.lambda_gp must be a number >= 0 (10 in WGAN-GP); got {v!r}."
            )
        if not isinstance(self.select_best, bool):
            raise ValueError(
                f"AdversarialConfig.select_best must be true or false; got {self.select_best!r}."
            )
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
    # the parameter-matched conv generator trains like the other classical networks
    "upconv": {"iterations": 1000, "optimizer": "adam", "lr_g": 1e-3, "lr_d": 1e-3},
    # The published designs train as their references do (same 1000-iteration budget):
    # PQWGAN (Tsang et al. 2023): WGAN-GP, 5 critic steps, lambda 10, Adam (0, 0.9), 1e-2 / 2e-4;
    # MosaiQ (Silver et al. 2023): BCE, SGD 0.3 (G) / 0.05 (D), batch 8.
    "pqwgan": {
        "iterations": 1000, "loss": "wgan-gp", "optimizer": "adam", "betas": (0.0, 0.9),
        "n_critic": 5, "lambda_gp": 10.0, "lr_g": 1e-2, "lr_d": 2e-4,
    },
    "mosaiq": {"iterations": 1000, "batch_size": 8, "lr_g": 0.3, "lr_d": 0.05},
    "latent": {"iterations": 1000, "optimizer": "adam", "lr_g": 1e-2, "lr_d": 1e-3,
               "select_best": True},
    # The latent kind's classical control, tuned as latent was, on the training-set selection
    # score (mnist 0/1/2 28x28, 100 images per class, seed 0, mean over classes, lower is
    # better): lr_g 1e-3 scores 2.43 against 24.4 with latent's 1e-2, at which the MLP collapses
    # on classes 0 and 2; latent itself scores 0.89 at 1e-2 and 1.92 at 1e-3.
    "latent_mlp": {"iterations": 1000, "optimizer": "adam", "lr_g": 1e-3, "lr_d": 1e-3,
                   "select_best": True},
}


# What ``loss="wgan-gp"`` brings along unless the kind or the caller says otherwise: five critic
# steps per generator step, Adam with betas (0, 0.9) and lambda 10 (Gulrajani et al. 2017,
# Algorithm 1; PQWGAN, Tsang et al. 2023).
WGAN_GP_DEFAULTS = {"optimizer": "adam", "betas": (0.0, 0.9), "n_critic": 5, "lambda_gp": 10.0}


def default_adversarial_config(kind: str, **changes) -> AdversarialConfig:
    """The tuned ``AdversarialConfig`` of generator ``kind`` + ``changes``.

    With ``loss="wgan-gp"`` (given in ``changes`` or a kind's default), ``WGAN_GP_DEFAULTS``
    (Adam, betas (0, 0.9), n_critic 5, lambda_gp 10) sit between the kind's defaults and
    ``changes``.

    Example:
        >>> default_adversarial_config("qgan").lr_g
        0.3
        >>> default_adversarial_config("gan", loss="wgan-gp").betas
        (0.0, 0.9)
    """
    if kind not in _KIND_DEFAULTS:
        raise ValueError(f"kind must be one of {list(_KIND_DEFAULTS)}; got {kind!r}.")
    base = dict(_KIND_DEFAULTS[kind])
    if changes.get("loss", base.get("loss")) == "wgan-gp" and base.get("loss") != "wgan-gp":
        base.update(WGAN_GP_DEFAULTS)
    return AdversarialConfig(**{**base, **changes})
