"""The work behind ``qaug augment``: its config and the files it writes in ``--out``.

Kept apart from ``augment.py`` so that building the parser imports none of the stages.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qaug._config import config_to_dict
from qaug._io import run_info, write_json
from qaug._plotting import sources_figure
from qaug._seed import child_seed
from qaug.augment import AugmentConfig, build_sampler, count_sources
from qaug.data import DataConfig, load_dataset_from_config
from qaug.experiments import AdversarialConfigs, GANConfigs
from qaug.models import ClassifierConfig, build_classifier_from_config
from qaug.train import ClassGenerators, TrainConfig

__all__ = ["AugmentRunConfig", "run_augment"]


@dataclass(frozen=True)
class AugmentRunConfig:
    """Everything that defines an augment run (the sections of an experiment config)."""

    seed: int = 0
    data: DataConfig = field(default_factory=DataConfig)
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    # the general QGAN strategy; the customized budget defaults to n_per_class x classes
    augment: AugmentConfig = field(
        default_factory=lambda: AugmentConfig(method="qgan", budget=None, rounds=1))
    gan: GANConfigs = field(default_factory=GANConfigs)
    adversarial: AdversarialConfigs = field(default_factory=AdversarialConfigs)


def run_augment(cfg: AugmentRunConfig, out: Path, *, generators_path=None,
                progress: bool = False) -> dict:
    """Build the augmented set ``cfg`` describes into folder ``out``; return the summary."""
    write_json(out / "config.json", config_to_dict(cfg))
    ds = load_dataset_from_config(cfg.data, cfg.seed)
    generators = None
    kind = cfg.augment.generator
    if generators_path is not None and kind is not None:
        generators = ClassGenerators.load(generators_path,
                                          device=getattr(cfg.adversarial, kind).device)
        if generators.classes is not None and tuple(generators.classes) != tuple(ds.classes):
            raise ValueError(
                f"generators in {generators_path!r} were trained for classes "
                f"{list(generators.classes)} but --classes is {list(ds.classes)}; pass matching "
                "classes or other generators."
            )

    def factory(generator):
        return build_classifier_from_config(cfg.classifier, ds.n_classes, ds.image_size, generator)

    sampler = build_sampler(
        cfg.augment, random_state=child_seed(cfg.seed, "augment"), generators=generators,
        gan_config=getattr(cfg.gan, kind) if kind else None,
        adv_config=getattr(cfg.adversarial, kind) if kind else None, classifier_factory=factory,
        train_config=cfg.train, progress=progress,
    )
    fit = {"X_val": ds.val.x, "y_val": ds.val.y} if cfg.augment.strategy == "customized" else {}
    x_res, y_res = sampler.fit_resample(ds.train.x, ds.train.y, **fit)
    sources = np.asarray(sampler.sources_, dtype=str)
    np.savez_compressed(out / "augmented.npz", x=x_res.numpy(), y=y_res.numpy(), source=sources,
                        classes=np.asarray(ds.classes))
    counts = count_sources(y_res, sources)
    per_class = {c: {s: v.get(c, 0) for s, v in counts.items()} for c in range(ds.n_classes)}
    summary = {
        "strategy": cfg.augment.strategy, "dataset": cfg.data.name,
        "classes": list(ds.classes), "class_names": list(ds.class_names),
        "n_original": int(sampler.n_original_),
        "n_new": int(len(y_res) - sampler.n_original_),
        "sampling_strategy": sampler.sampling_strategy_,
        "counts": counts, "per_class": per_class, "seed": sampler.seed_,
    }
    if cfg.augment.strategy == "customized":
        budget = sampler.budget or sum(sampler.sampling_strategy_.values())
        summary.update(budget=budget, report=sampler.report_, rounds=sampler.rounds_,
                       best_round=sampler.best_round_, warnings=sampler.warnings_)
        for msg in sampler.warnings_:
            print(f"warning (customized strategy): {msg}", file=sys.stderr)
    write_json(out / "augment.json", summary)
    sources_figure(out / "samples.png", x_res, y_res, sources, list(ds.class_names))
    write_json(out / "run.json", run_info(cfg.seed))
    return summary
