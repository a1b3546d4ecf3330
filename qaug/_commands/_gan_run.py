"""The work behind ``qaug train-gan`` and ``qaug generate``: config, training, files in ``--out``.

Kept apart from ``gan.py`` so that building the parser imports none of the stages.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from qaug._commands._resolve import resolve_config
from qaug._config import config_to_dict
from qaug._io import load_checkpoint, run_info, write_json
from qaug._plotting import losses_figure, quality_figure, save_grid
from qaug._registry import GENERATOR_KINDS, QUANTUM_GENERATOR_KINDS, check_choice
from qaug._seed import child_seed, make_generator
from qaug.data import DataConfig, load_dataset_from_config
from qaug.experiments import AdversarialConfigs, GANConfigs, NoiseConfig
from qaug.models import (
    GANConfig,
    build_gan,
    count_parameters,
    dcgan_width_for_params,
    fit_qgan_to_image,
)
from qaug.models._mosaiq import default_n_components
from qaug.train import (
    AdversarialConfig,
    ClassGenerators,
    QualityEvaluator,
    fit_class_generators,
    iterations_to_target,
)

__all__ = [
    "GanRunConfig",
    "QualityTargets",
    "config_from_args",
    "run_train_gan",
    "run_generate",
]


@dataclass(frozen=True)
class QualityTargets:
    """Quality levels whose first iteration is reported ("iterations to target"); None = skip.

    ``accuracy``: share of generated samples the reference classifier puts in the right class;
    ``fid``/``kid``: distances on the reference CNN's features (lower is better; a real held-out
    set scores about 1 FID and 0 KID); ``diversity_ratio``: generated / real mean pairwise distance.
    """

    accuracy: float | None = 0.9
    fid: float | None = 5.0
    kid: float | None = 1.0
    diversity_ratio: float | None = None


@dataclass(frozen=True)
class GanRunConfig:
    """Everything that defines a train-gan run: seed, data, generator kind, its configs, classes.

    ``gan`` and ``adversarial`` hold one config per generator kind, as in an experiment
    (``gan.<kind>``, ``adversarial.<kind>``); ``generator`` picks the kind that is trained.
    """

    seed: int = 0
    data: DataConfig = field(default_factory=DataConfig)
    generator: str = "qgan"
    gan: GANConfigs = field(default_factory=GANConfigs)
    adversarial: AdversarialConfigs = field(default_factory=AdversarialConfigs)
    train_classes: tuple[int, ...] = ()  # original class ids; empty = every class in data.classes
    targets: QualityTargets = field(default_factory=QualityTargets)
    noise: NoiseConfig = field(default_factory=NoiseConfig)  # noise.generator: train/sample noisy

    def __post_init__(self):
        check_choice("generator", self.generator, GENERATOR_KINDS)

    @property
    def gan_config(self) -> GANConfig:
        """The network config of the trained kind (``gan.<generator>``)."""
        return getattr(self.gan, self.generator)

    @property
    def adv_config(self) -> AdversarialConfig:
        """The adversarial-loop config of the trained kind (``adversarial.<generator>``)."""
        return getattr(self.adversarial, self.generator)


FLAG_KEYS = {"dataset": "data.name", "classes": "data.classes", "n_train": "data.n_train_per_class",
             "image_size": "data.image_size", "pixel_max": "data.pixel_max",
             "generator": "generator",
             "iterations": "adversarial.iterations", "batch_size": "adversarial.batch_size",
             "checkpoint_every": "adversarial.checkpoint_every",
             "eval_every": "adversarial.eval_every", "device": "adversarial.device",
             "seed": "seed"}
# --dry-run: 3 iterations on 8 images per class (caps; the user's overrides still win).
DRY_RUN = ("data.n_train_per_class=8", "data.n_val_per_class=3", "data.n_test_per_class=2",
           "adversarial.iterations=3", "adversarial.eval_every=1", "adversarial.checkpoint_every=2",
           "adversarial.eval_samples=8", "adversarial.batch_size=8", "gan.ae_epochs=5")


def _parse_train_classes(values: list[str] | None) -> tuple[int, ...]:
    if not values or any(v.strip().lower() == "all" for v in values):
        return ()
    out = []
    for v in values:
        try:
            out.append(int(v))
        except ValueError:
            raise ValueError(f"--class takes integer class ids or 'all'; got {v!r}.") from None
    return tuple(dict.fromkeys(out))


def config_from_args(args) -> GanRunConfig:
    """The resolved run config: defaults < --config < flags < --dry-run < overrides."""
    extra = {}
    if args.train_classes is not None:
        extra["train_classes"] = _parse_train_classes(args.train_classes)
    cfg = resolve_config(args, GanRunConfig(), FLAG_KEYS, extra_flags=extra, dry_run=DRY_RUN)
    # Honour explicit choices: with gan.n_generators a post-network fills the rest of the
    # image; with gan.post_hidden nothing is adjusted (GANConfig/build_gan then check it).
    keys = [o.lstrip("-").split("=")[0] for o in args.overrides]
    # gan.n_generators / gan.qgan.n_generators (and the same for post_hidden)
    gens_set = any(k.startswith("gan.") and k.endswith(".n_generators") for k in keys)
    post_set = any(k.startswith("gan.") and k.endswith(".post_hidden") for k in keys)
    if not post_set:
        qgan = fit_qgan_to_image(cfg.gan.qgan, cfg.data.image_size, grow_generators=not gens_set)
        cfg = dataclasses.replace(cfg, gan=dataclasses.replace(cfg.gan, qgan=qgan))
    if args.dry_run and cfg.generator == "mosaiq":  # a PCA of 8 images has at most 8 components
        gan = cfg.gan_config
        n = gan.n_components or default_n_components(cfg.data.image_size)
        cfg = dataclasses.replace(cfg, gan=dataclasses.replace(
            cfg.gan, mosaiq=dataclasses.replace(gan, n_components=min(n, 8))))
    if cfg.adv_config.iterations < 1:
        raise ValueError(
            f"--iterations (adversarial.iterations) must be >= 1 for train-gan; got "
            f"{cfg.adv_config.iterations}, which would train nothing. Give the number of "
            "generator updates, e.g. --iterations 1000."
        )
    missing = [c for c in cfg.train_classes if c not in cfg.data.classes]
    if missing:
        raise ValueError(
            f"--class {missing} not among the loaded classes {list(cfg.data.classes)}; add them to "
            "--classes or drop them."
        )
    return cfg


def _parameter_report(cfg: GanRunConfig) -> dict:
    """Parameter counts of G and D, and the DCGAN width with about twice the generator's count."""
    kind, size, gan = cfg.generator, cfg.data.image_size, cfg.gan_config
    G, D = build_gan(kind, size, gan, generator=make_generator(0, "count"))
    report = {
        "generator": count_parameters(G, frozen=True),
        "discriminator": count_parameters(D)["total"],
    }
    if size % 4 == 0:
        target = 2 * report["generator"]["total"]
        w = dcgan_width_for_params(target, size, gan.latent_dim)
        G2, _ = build_gan("dcgan", size, dataclasses.replace(gan, kind="dcgan", dcgan_width=w))
        report["dcgan_for_twice_the_parameters"] = {
            "target": target,
            "dcgan_width": w,
            "dcgan_generator": count_parameters(G2)["total"],
        }
    return report


def run_train_gan(
    cfg: GanRunConfig, out: Path, *, resume: bool = False, progress: bool = False
) -> dict:
    """Run one train-gan job described by ``cfg`` into folder ``out``; return the metrics."""
    start = time.perf_counter()
    if not (resume and (out / "config.json").exists()):
        write_json(out / "config.json", config_to_dict(cfg))
    write_json(out / "run.json", run_info(cfg.seed))
    ds = load_dataset_from_config(cfg.data, cfg.seed)
    classes = [int(c) for c in ds.classes]
    wanted = cfg.train_classes or tuple(classes)
    labels = [classes.index(c) for c in wanted]
    evaluator = QualityEvaluator(ds.train.x, ds.train.y, seed=child_seed(cfg.seed, "quality"))
    bank = fit_class_generators(
        cfg.generator,
        ds.train.x,
        ds.train.y,
        cfg.gan_config,
        cfg.adv_config,
        seed=cfg.seed,
        labels=labels,
        progress=progress,
        out_dir=out,
        quality=evaluator,
        resume=resume,
        classes=tuple(classes),
        noise=cfg.noise.model("generator"),
    )
    bank.save(out / "checkpoint.pt")
    bank.noise = cfg.noise.model("generator")  # samples.png as the noisy device makes them
    names = {label: classes[label] for label in labels}
    g = make_generator(cfg.seed, "samples")
    samples = {label: bank.generate(label, 16, g) for label in labels}
    save_grid(out / "samples.png", [samples[label] for label in labels])
    save_grid(out / "real.png", [ds.train.x[ds.train.y == label][:16] for label in labels])
    for label in labels:
        snaps = _load_snapshots(out / f"class_{label}" / "checkpoint.pt")
        if snaps:
            save_grid(out / f"class_{label}" / "progress.png", [snaps[k] for k in sorted(snaps)])
    shown = {label: ds.class_names[label] for label in labels}  # folder names for a folder set
    losses_figure(out / "losses.png", bank.histories, shown)
    quality_figure(out / "quality.png", bank.histories, shown)

    targets = {k: v for k, v in config_to_dict(cfg.targets).items() if v is not None}
    per_class = {}
    for label in labels:
        h = bank.histories[label]
        val_x = ds.val.x[ds.val.y == label]
        sel = bank.selected.get(label, {})
        per_class[str(names[label])] = {
            "label": label,
            "iterations": h["iteration"][-1] if h["iteration"] else 0,
            "final_quality": h["quality"][-1] if h["quality"] else None,
            # the weights the bank keeps: the best training-set score with --adversarial.select_best
            "selected": sel,
            "selected_quality": next(
                (r for r in h["quality"] if r["iteration"] == sel.get("iteration")), None
            ),
            "fit_data": h.get("fit_data"),
            "iterations_to_target": {m: iterations_to_target(h, m, t) for m, t in targets.items()},
            "real_val_quality": evaluator(val_x, label) if len(val_x) >= 2 else None,
            "wall_time_s": bank.wall_time.get(label),
        }
    metrics = {
        "generator": cfg.generator,
        "dataset": ds.name,
        "classes": classes,
        "class_names": list(ds.class_names),
        "trained_classes": [names[label] for label in labels],
        "image_size": ds.image_size,
        "n_train_per_class": {
            str(names[label]): int((ds.train.y == label).sum()) for label in labels
        },
        "parameters": _parameter_report(cfg),
        "reference_classifier_train_accuracy": getattr(evaluator.extractor, "train_accuracy", None),
        "quality_targets": targets,
        "per_class": per_class,
        "wall_time_s": sum(v for v in bank.wall_time.values()),
        "run_time_s": time.perf_counter() - start,
    }
    write_json(out / "metrics.json", metrics)
    if resume:
        write_json(out / "config.json", config_to_dict(cfg))
    return metrics


def _load_snapshots(path: Path) -> dict:
    if not path.is_file():
        return {}
    return load_checkpoint(path, kind="gan").get("snapshots", {})


def run_generate(
    checkpoint: str | Path,
    n: int,
    out: str | Path,
    *,
    seed: int = 0,
    classes: list[int] | None = None,
    device: str = "cpu",
    overwrite: bool = False,
    noise: str | None = None,
) -> tuple[Path, dict[int, int]]:
    """Sample ``n`` images per class from a train-gan checkpoint into an ``.npz`` (+ PNG grid).

    ``noise``: a ``NoiseModel`` spec (``"shots=1000,depolarizing=0.01"``): sample as that
    noisy device would (shots drawn from the same seeded generator as the latents).
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"--n must be a positive integer; got {n!r}.")
    out = Path(out)
    if out.suffix != ".npz":
        raise ValueError(f"--out must end in .npz; got {str(out)!r}.")
    png = out.with_suffix(".png")
    existing = [str(p) for p in (out, png) if p.exists()]
    if existing and not overwrite:  # the grid beside it too (e.g. train-gan's samples.png)
        raise FileExistsError(
            f"{' and '.join(map(repr, existing))} already exist{'s' * (len(existing) == 1)} "
            f"(generate writes {out.name} and "
            f"{png.name}); pass --overwrite to replace them or choose another --out."
        )
    noise_model = NoiseConfig(generator=noise or "").model("generator")
    bank = ClassGenerators.load(checkpoint, device=device)
    if noise_model is not None and bank.kind not in QUANTUM_GENERATOR_KINDS:
        raise ValueError(f"--noise applies to quantum generators; this checkpoint holds "
                         f"{bank.kind!r} generators. Leave --noise out.")
    bank.noise = noise_model
    ids = list(bank.classes) if bank.classes else list(range(max(bank.labels) + 1))
    labels = list(bank.labels)
    if classes:
        unknown = [c for c in classes if c not in ids or ids.index(c) not in bank.labels]
        if unknown:
            raise ValueError(
                f"--class {unknown}: this checkpoint has generators for classes "
                f"{[ids[label] for label in bank.labels]}."
            )
        labels = [ids.index(c) for c in dict.fromkeys(classes)]
    g = make_generator(seed, "generate")
    xs = [bank.generate(label, n, g) for label in labels]
    x = torch.cat(xs).numpy().astype(np.float32)
    y = np.concatenate([np.full(n, label, dtype=np.int64) for label in labels])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp, tmp_png = out.with_name(f".{out.name}.tmp.npz"), png.with_name(f".{png.stem}.tmp.png")
    try:  # both files, or neither
        np.savez_compressed(tmp, x=x, y=y, classes=np.asarray(ids, dtype=np.int64))
        save_grid(tmp_png, [xx[:16] for xx in xs])
        tmp.replace(out)
        tmp_png.replace(png)
    finally:
        tmp.unlink(missing_ok=True)
        tmp_png.unlink(missing_ok=True)
    return out, {ids[label]: n for label in labels}
