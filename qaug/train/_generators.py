"""Per-class generator banks: one generator per class, each trained on that class's images only.

Why one generator per class: the paper generates samples *for specific classes* (a balanced
number per class in the general strategy, more for weak classes in the customized one), and the
demo's patch QGAN is unconditional. Training one small generator per class on that class's
images keeps each generator as small as the demo's and makes every generated sample's label
certain (no conditional network, no labelling step). The cost is k trainings instead of one.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from pathlib import Path

import torch
from torch import nn

from qaug._config import config_from_dict, config_to_dict
from qaug._io import load_checkpoint, save_checkpoint
from qaug._seed import child_seed, make_generator
from qaug.models import GENERATOR_KINDS, GANConfig, build_gan, count_parameters
from qaug.train._adversarial import AdversarialConfig, GANResult, train_gan
from qaug.train._quality import QualityEvaluator

__all__ = ["ClassGenerators", "fit_class_generators", "gan_meta"]

KIND = "class_generators"


def gan_meta(kind: str, image_size: int, gan_config: GANConfig, label: int | None = None) -> dict:
    """What a checkpoint needs to rebuild a generator: kind, image size, GANConfig (and label)."""
    meta = {
        "generator_kind": kind,
        "image_size": int(image_size),
        "gan": config_to_dict(gan_config),
    }
    if label is not None:
        meta["label"] = int(label)
    return meta


class ClassGenerators:
    """One trained generator per class label.

    Attributes:
        kind: ``"qgan"``, ``"gan"`` or ``"dcgan"``.
        labels: tuple of int labels (``0..k-1``) that have a generator.
        image_size: side H = W of the generated images.
        gan_config: the ``GANConfig`` every generator was built with.
        histories: ``{label: training history}`` (losses per iteration, quality records).
        classes: optional original class ids (``classes[label]``), for reports.
        discriminator_parameters: trainable parameters of one discriminator (for reports).
    """

    def __init__(
        self,
        kind: str,
        image_size: int,
        gan_config: GANConfig,
        generators: dict[int, nn.Module],
        histories: dict[int, dict] | None = None,
        *,
        classes: tuple | None = None,
        discriminator_parameters: int | None = None,
        wall_time: dict[int, float] | None = None,
    ):
        if kind not in GENERATOR_KINDS:
            raise ValueError(f"kind must be one of {list(GENERATOR_KINDS)}; got {kind!r}.")
        if not generators:
            raise ValueError("ClassGenerators needs at least one generator.")
        self.kind, self.image_size, self.gan_config = kind, int(image_size), gan_config
        self._generators = {int(k): g.eval() for k, g in sorted(generators.items())}
        self.histories = {int(k): v for k, v in (histories or {}).items()}
        self.classes = tuple(classes) if classes is not None else None
        self.discriminator_parameters = discriminator_parameters
        self.wall_time = dict(wall_time or {})

    @property
    def labels(self) -> tuple[int, ...]:
        """Labels with a generator, ascending."""
        return tuple(self._generators)

    def generator_for(self, label: int) -> nn.Module:
        """The generator network of ``label``."""
        try:
            return self._generators[int(label)]
        except KeyError:
            raise ValueError(
                f"no generator for label {label!r}; available labels: {list(self.labels)}."
            ) from None

    @torch.no_grad()
    def generate(self, label: int, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` images of class ``label``: float32 ``(n, 1, H, W)`` in [0, 1] on the CPU, no grad.

        The latent noise is drawn on the CPU from ``generator`` (the same generator state gives
        the same images).
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative integer; got {n!r}.")
        G = self.generator_for(label)
        if n == 0:
            return torch.zeros(0, 1, self.image_size, self.image_size)
        device = next(G.parameters()).device
        z = G.sample_latent(n, generator)  # (n, latent_dim), CPU
        return G(z.to(device)).float().clamp_(0, 1).cpu()

    def parameter_counts(self) -> dict[str, int | None]:
        """Trainable parameters of one generator (all have the same architecture).

        Returns ``{"quantum", "classical", "total"}`` of one generator, plus ``"discriminator"``
        (one discriminator, None if unknown), ``"n_generators"`` and ``"all_generators"``
        (total over the bank).
        """
        counts = count_parameters(self._generators[self.labels[0]])
        return {
            **counts,
            "discriminator": self.discriminator_parameters,
            "n_generators": len(self.labels),
            "all_generators": counts["total"] * len(self.labels),
        }

    def to(self, device: str | torch.device) -> ClassGenerators:
        """Move every generator to ``device`` (in place); returns self."""
        for g in self._generators.values():
            g.to(device)
        return self

    def save(self, path: str | Path) -> Path:
        """Write all generators, configs and histories to one checkpoint ("class_generators")."""
        return save_checkpoint(
            path,
            {
                "kind": KIND,
                "config": {
                    "generator_kind": self.kind,
                    "image_size": self.image_size,
                    "gan": config_to_dict(self.gan_config),
                },
                "state_dicts": {
                    k: {n: t.cpu() for n, t in g.state_dict().items()}
                    for k, g in self._generators.items()
                },
                "histories": self.histories,
                "classes": self.classes,
                "discriminator_parameters": self.discriminator_parameters,
                "wall_time": self.wall_time,
            },
        )

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "cpu") -> ClassGenerators:
        """Load a bank written by ``save``.

        Also accepts a single-generator ``train_gan`` checkpoint that carries its label.
        """
        payload = load_checkpoint(path, kind=(KIND, "gan"))
        return cls.from_payload(payload, device=device, path=path)

    @classmethod
    def from_payload(
        cls, payload: dict, device: str | torch.device = "cpu", path=None
    ) -> ClassGenerators:
        """Build from a loaded checkpoint dict (kind "class_generators" or "gan")."""
        cfg = payload["config"]
        try:
            kind, size = cfg["generator_kind"], cfg["image_size"]
            gan_config = config_from_dict(GANConfig, cfg["gan"])
        except KeyError as e:
            raise ValueError(
                f"checkpoint {str(path)!r} lacks {e} in its config, so its generator cannot be "
                "rebuilt; it was not written by qaug train-gan / fit_class_generators."
            ) from None
        if payload["kind"] == "gan":
            label = int(cfg.get("label", 0))
            states = {label: payload["generator"]}
            histories = {label: payload.get("history", {})}
            extra = {}
        else:
            states, histories = payload["state_dicts"], payload.get("histories", {})
            extra = {
                "classes": payload.get("classes"),
                "discriminator_parameters": payload.get("discriminator_parameters"),
                "wall_time": payload.get("wall_time"),
            }
        gens = {}
        for label, sd in states.items():
            G, _ = build_gan(kind, size, gan_config)
            G.load_state_dict(sd)
            gens[int(label)] = G.to(device)
        return cls(kind, size, gan_config, gens, histories, **extra)

    def __repr__(self) -> str:
        return (
            f"ClassGenerators(kind={self.kind!r}, labels={self.labels}, "
            f"image_size={self.image_size})"
        )


def fit_class_generators(
    kind: str,
    x: torch.Tensor,
    y: torch.Tensor,
    gan_config: GANConfig | None = None,
    adv_config: AdversarialConfig | None = None,
    *,
    seed: int,
    labels=None,
    progress: bool = False,
    out_dir: str | Path | None = None,
    quality: bool | QualityEvaluator = True,
    resume: bool = False,
    classes: tuple | None = None,
) -> ClassGenerators:
    """Train one generator per label, each on that label's images only.

    Args:
        kind: ``"qgan"``, ``"gan"`` or ``"dcgan"``.
        x: training images ``(N, 1, H, W)`` in [0, 1].
        y: int labels ``(N,)`` in ``0..k-1``.
        gan_config: architecture (``GANConfig()`` when None; its ``kind`` is set to ``kind``).
        adv_config: loop settings (``AdversarialConfig()`` when None).
        seed: the run seed; label ``c`` uses ``child_seed(seed, "gan", kind, c)`` for its
            weights (``"init"``), batches, noise and fixed noise.
        labels: labels to train (default: every label present in ``y``).
        progress: tqdm bars.
        out_dir: if given, label ``c`` checkpoints to ``out_dir/class_<c>/checkpoint.pt``.
        quality: True = log quality metrics (``QualityEvaluator`` built on ``x``, ``y`` with
            ``child_seed(seed, "quality")``); an evaluator to reuse; False = none.
        resume: continue interrupted per-class runs from their checkpoints in ``out_dir``.
        classes: original class ids, stored for reports.

    Raises:
        ValueError: a requested label has no training images, or bad shapes/kind.
    """
    if kind not in GENERATOR_KINDS:
        raise ValueError(f"kind must be one of {list(GENERATOR_KINDS)}; got {kind!r}.")
    gan_config = (
        GANConfig(kind=kind) if gan_config is None else dataclasses.replace(gan_config, kind=kind)
    )
    adv_config = AdversarialConfig() if adv_config is None else adv_config
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    if (
        x.ndim != 4
        or x.shape[1] != 1
        or x.shape[2] != x.shape[3]
        or y.ndim != 1
        or len(y) != len(x)
    ):
        raise ValueError(
            f"x must be (N, 1, H, H) images with y (N,) labels; got {tuple(x.shape)} and "
            f"{tuple(y.shape)}."
        )
    present = sorted(int(v) for v in torch.unique(y))
    labels = present if labels is None else sorted(int(v) for v in labels)
    for label in labels:
        if int((y == label).sum()) == 0:
            raise ValueError(
                f"label {label} has no training images (labels present: {present}); "
                "drop it from the requested classes or add data for it."
            )
    size = x.shape[-1]
    evaluator = None
    if isinstance(quality, QualityEvaluator):
        evaluator = quality
    elif quality:
        evaluator = QualityEvaluator(x, y, seed=child_seed(seed, "quality"))
    gens, histories, walls, d_params = {}, {}, {}, None
    for label in labels:
        result = _fit_one(
            kind,
            x[y == label],
            label,
            size,
            gan_config,
            adv_config,
            seed=seed,
            evaluator=evaluator,
            out_dir=out_dir,
            resume=resume,
            progress=progress,
        )
        gens[label], histories[label] = result.generator, result.history
        walls[label] = result.wall_time
        d_params = count_parameters(result.discriminator)["total"]
    return ClassGenerators(
        kind,
        size,
        gan_config,
        gens,
        histories,
        classes=classes,
        discriminator_parameters=d_params,
        wall_time=walls,
    )


def _fit_one(
    kind, xs, label, size, gan_config, adv_config, *, seed, evaluator, out_dir, resume, progress
) -> GANResult:
    s = child_seed(seed, "gan", kind, label)
    G, D = build_gan(kind, size, gan_config, generator=make_generator(s, "init"))
    sub = Path(out_dir) / f"class_{label}" if out_dir is not None else None
    if sub is not None:
        sub.mkdir(parents=True, exist_ok=True)
    q = partial(evaluator, label=label) if evaluator is not None else None
    return train_gan(
        G,
        D,
        xs,
        adv_config,
        seed=s,
        out_dir=sub,
        resume=resume,
        progress=progress,
        quality=q,
        meta=gan_meta(kind, size, gan_config, label),
        desc=f"{kind} class {label}",
    )
