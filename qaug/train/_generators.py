"""Per-class generator banks: one generator per class, each trained on that class's images only.

Why one generator per class: the paper generates samples *for specific classes* (a balanced
number per class in the general strategy, more for weak classes in the customized one), and the
demo's patch QGAN is unconditional. Training one small generator per class on that class's
images keeps each generator as small as the demo's and makes every generated sample's label
certain (no conditional network, no labelling step). The cost is k trainings instead of one.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn

from qaug._config import config_from_dict, config_to_dict
from qaug._io import load_checkpoint, save_checkpoint
from qaug.models import GENERATOR_KINDS, GANConfig, build_gan, count_parameters, noisy
from qaug.train._adversarial import selection_score

__all__ = ["ClassGenerators", "gan_meta", "selection_record"]

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
        kind: one of ``qaug.models.GENERATOR_KINDS``.
        labels: tuple of int labels (``0..k-1``) that have a generator.
        image_size: side H = W of the generated images.
        gan_config: the ``GANConfig`` every generator was built with.
        histories: ``{label: training history}`` (losses per iteration, quality records).
        classes: optional original class ids (``classes[label]``), for reports.
        discriminator_parameters: trainable parameters of one discriminator (for reports).
        wall_time: ``{label: seconds}`` of training (a generator's ``fit_data`` included).
        selected: ``{label: {"iteration", "score", "best_iteration", "best_score"}}``: the
            iteration whose weights the bank holds (the best training-set quality score with
            ``select_best``, else the last) and the best record seen (``selection_score``).
        noise: ``qaug.quantum.NoiseModel`` that ``generate`` samples under by default (None:
            ideal; not saved with the bank: a property of the device that samples).
    """

    noise = None

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
        selected: dict[int, dict] | None = None,
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
        self.selected = {int(k): dict(v) for k, v in (selected or {}).items()}

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
    def generate(
        self, label: int, n: int, generator: torch.Generator, *, noise=None
    ) -> torch.Tensor:
        """``n`` images of class ``label``: float32 ``(n, 1, H, W)`` in [0, 1] on the CPU, no grad.

        The latent noise is drawn on the CPU from ``generator`` (the same generator state gives
        the same images). ``noise``: sample as a noisy device would (a
        ``qaug.quantum.NoiseModel``; its shots are drawn from ``generator`` after the latents);
        quantum kinds only. Default: the bank's ``noise`` attribute (None: ideal).
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative integer; got {n!r}.")
        G = self.generator_for(label)
        if n == 0:
            return torch.zeros(0, 1, self.image_size, self.image_size)
        device = next(G.parameters()).device
        z = G.sample_latent(n, generator)  # (n, latent_dim), CPU
        noise = self.noise if noise is None else noise
        with torch.no_grad(), noisy(G, noise, generator=generator):
            return G(z.to(device)).float().clamp_(0, 1).cpu()

    def parameter_counts(self) -> dict[str, int | None]:
        """Trainable parameters of one generator (all have the same architecture).

        Returns ``{"quantum", "classical", "total", "frozen"}`` of one generator (``frozen``:
        fitted, untrained parameters such as a decoder), plus ``"discriminator"`` (one
        discriminator, None if unknown), ``"n_generators"`` and ``"all_generators"`` (total
        trainable over the bank).
        """
        counts = count_parameters(self._generators[self.labels[0]], frozen=True)
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
                "selected": self.selected,
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
            history = payload.get("history", {})
            best = payload.get("best_generator")
            use_best = cfg.get("adversarial", {}).get("select_best", False) and best is not None
            states = {label: best if use_best else payload["generator"]}
            histories = {label: history}
            extra = {"selected": {label: selection_record(history, payload["iteration"], use_best)}}
        else:
            states, histories = payload["state_dicts"], payload.get("histories", {})
            extra = {
                "classes": payload.get("classes"),
                "discriminator_parameters": payload.get("discriminator_parameters"),
                "wall_time": payload.get("wall_time"),
                "selected": payload.get("selected"),
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


def selection_record(history: dict, last_iteration: int, used_best: bool) -> dict:
    """Which iteration's weights a bank keeps, and the best training-set score seen."""
    best = history.get("best") or None
    scores = {r["iteration"]: selection_score(r) for r in history.get("quality", [])}
    iteration = best["iteration"] if (used_best and best) else int(last_iteration)
    score = scores.get(iteration)
    return {
        "iteration": iteration,
        "score": score if score is None or math.isfinite(score) else None,
        "best_iteration": best["iteration"] if best else None,
        "best_score": best["score"] if best and math.isfinite(best["score"]) else None,
    }
