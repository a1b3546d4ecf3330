r"""``qaug augment``: build an augmented training set with one strategy and write it out.

Example:
    qaug augment --dataset mnist --strategy customized --generator qgan --classifier hqcnn \\
        --classes 0 1 2 --n-train 100 --train-count 2=20 --image-size 8 --budget 200 \\
        --seed 0 --out runs/aug --adv.iterations=200

Writes to ``--out``: augmented.npz (x float32 (N,1,H,W), y int64 labels 0..k-1, source str),
augment.json (counts per class and source; for customized, the per-class allocation,
acceptance and rejection of every round), samples.png (samples per class and source),
config.json (resolved) and run.json (provenance).
"""

from __future__ import annotations

import argparse

from qaug._commands._common import add_device_arg, add_output_args, add_seed_arg
from qaug._registry import AUGMENT_STRATEGIES, CLASSIFIERS, GENERATOR_KINDS

__all__ = ["register", "dry_run_overrides"]

# The augment command always adds something: every strategy but "none".
STRATEGY_CHOICES = tuple(s for s in AUGMENT_STRATEGIES if s != "none")


def _count(text: str) -> tuple[int, int]:
    try:
        c, n = text.split("=")
        return int(c), int(n)
    except ValueError:
        msg = f"expected CLASS=COUNT such as 2=20; got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def register(subparsers) -> None:
    """Add ``augment`` to the qaug parser."""
    p = subparsers.add_parser(
        "augment", help="augment a training set (traditional, general or customized strategy)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--dataset", default="mnist", help="'mnist', 'digits', an .npz or a folder")
    p.add_argument("--strategy", default="general", choices=STRATEGY_CHOICES,
                   help="augmentation strategy (default general)")
    p.add_argument("--generator", default="qgan", choices=GENERATOR_KINDS,
                   help="generator kind for general/customized (default qgan)")
    p.add_argument("--classifier", default="hqcnn", choices=CLASSIFIERS,
                   help="classifier measured by the customized strategy (default hqcnn)")
    p.add_argument("--classes", type=int, nargs="+", default=[0, 1, 2], help="class ids")
    p.add_argument("--n-train", type=int, default=100, help="training images per class")
    p.add_argument("--train-count", type=_count, nargs="*", default=[], metavar="CLASS=N",
                   help="training images of single classes, e.g. 2=20 (an imbalanced setting)")
    p.add_argument("--image-size", type=int, default=8, help="image side (default 8)")
    p.add_argument("--n-per-class", type=int, default=100,
                   help="new samples per class (traditional, general; default 100)")
    p.add_argument("--budget", type=int, default=None,
                   help="customized: total new samples (default n-per-class x classes)")
    p.add_argument("--rounds", type=int, default=None, help="customized: most rounds (default 1)")
    p.add_argument("--generators", default=None,
                   help="saved ClassGenerators checkpoint (default: train them on the data)")
    add_seed_arg(p)
    add_device_arg(p)
    add_output_args(p)
    p.add_argument("--progress", action="store_true", help="show progress bars")
    p.add_argument("--dry-run", action="store_true",
                   help="tiny budgets (those of reproduce --dry-run: 1 epoch, 2 GAN iterations, "
                        "10 images per class) to check the pipeline end to end in seconds")
    p.epilog = ("Any config field can be set as --section.key=value, sections augment, model, "
                "train, gan, adv, data: e.g. --augment.threshold_min=0.3 --adv.iterations=100.")
    p.set_defaults(func=_main, accepts_overrides=True)


def _main(args) -> int:
    from qaug._io import prepare_output_dir

    cfg = _config_from_args(args)
    out = prepare_output_dir(args.out, overwrite=args.overwrite)
    summary = _run(cfg, out, generators_path=args.generators, progress=args.progress)
    print(f"{cfg.augment.strategy} augmentation on {cfg.data.name} {list(cfg.data.classes)}: "
          f"{summary['n_original']} originals + {summary['n_new']} new")
    for c, row in summary["per_class"].items():
        print(f"  class {c}: {row}")
    print(f"  wrote {out}")
    return 0


def _run_config_class():
    from dataclasses import dataclass, field

    from qaug.augment import AugmentConfig
    from qaug.data import DataConfig
    from qaug.models import ClassifierConfig, GANConfig
    from qaug.train import AdversarialConfig, TrainConfig

    @dataclass(frozen=True)
    class AugmentRunConfig:
        """Everything that defines an augment run."""

        data: DataConfig = field(default_factory=DataConfig)
        augment: AugmentConfig = field(default_factory=AugmentConfig)
        model: ClassifierConfig = field(default_factory=ClassifierConfig)
        train: TrainConfig = field(default_factory=TrainConfig)
        gan: GANConfig = field(default_factory=GANConfig)
        adv: AdversarialConfig = field(default_factory=AdversarialConfig)
        seed: int = 0

    return AugmentRunConfig


def _config_from_args(args):
    import dataclasses

    from qaug._config import apply_overrides
    from qaug.models import default_gan_config, fit_qgan_to_image
    from qaug.train import default_adversarial_config
    from qaug.train._adversarial_config import loss_from_overrides

    base = _run_config_class()()
    augment = {"strategy": args.strategy, "generator": args.generator,
               "n_per_class": args.n_per_class, "budget": args.budget}
    if args.rounds is not None:
        augment["n_rounds"] = args.rounds
    cfg = dataclasses.replace(
        base,
        data=dataclasses.replace(base.data, name=args.dataset, classes=tuple(args.classes),
                                 n_train_per_class=args.n_train, image_size=args.image_size,
                                 train_counts=dict(args.train_count)),
        augment=dataclasses.replace(base.augment, **augment),
        model=dataclasses.replace(base.model, name=args.classifier),
        train=dataclasses.replace(base.train, device=args.device),
        gan=fit_qgan_to_image(default_gan_config(args.generator), args.image_size),
        # The tuned settings of each generator kind (the classical ones collapse with the
        # QGAN demo's SGD), and a QGAN that tiles the image size.
        adv=default_adversarial_config(args.generator, device=args.device,
                                       **loss_from_overrides(args.overrides)),
        seed=args.seed,
    )
    if args.dry_run:  # before the user's overrides, so that those still win
        cfg = apply_overrides(cfg, dry_run_overrides(args.generator))
    return apply_overrides(cfg, args.overrides)


def dry_run_overrides(kind: str) -> list[str]:
    """``reproduce --dry-run``'s budgets mapped onto this command's config sections.

    The budgets are ``qaug._commands.experiments.dry_run_overrides()`` (one list for every
    dry run of a pipeline); ``adversarial.<kind>.*`` becomes ``adv.*`` for the generator
    ``kind`` in use, ``augment.rounds`` becomes ``augment.n_rounds``, and ``quality.*`` (no
    quality metrics here) is dropped.

    Args:
        kind: the generator kind of the run, ``"qgan"``, ``"gan"`` or ``"dcgan"``.

    Returns:
        Dotted overrides such as ``["train.epochs=1", ..., "adv.iterations=2", ...]``.
    """
    from qaug._commands.experiments import dry_run_overrides as experiment_dry_run

    out = []
    for item in experiment_dry_run():
        key, value = item.split("=", 1)
        section, _, rest = key.partition(".")
        if section == "adversarial":
            of_kind, _, name = rest.partition(".")
            if of_kind == kind:
                out.append(f"adv.{name}={value}")
        elif key == "augment.rounds":
            out.append(f"augment.n_rounds={value}")
        elif section != "quality":
            out.append(item)
    return out


def _run(cfg, out, *, generators_path=None, progress=False) -> dict:
    import numpy as np

    from qaug._config import config_to_dict
    from qaug._io import run_info, write_json
    from qaug._seed import child_seed
    from qaug.augment import build_sampler, count_sources
    from qaug.data import load_dataset_from_config
    from qaug.models import build_classifier_from_config
    from qaug.train import ClassGenerators

    write_json(out / "config.json", config_to_dict(cfg))
    ds = load_dataset_from_config(cfg.data, cfg.seed)
    generators = None
    if generators_path is not None and cfg.augment.strategy in ("general", "customized"):
        generators = ClassGenerators.load(generators_path, device=cfg.adv.device)
        if generators.classes is not None and tuple(generators.classes) != tuple(ds.classes):
            raise ValueError(
                f"generators in {generators_path!r} were trained for classes "
                f"{list(generators.classes)} but --classes is {list(ds.classes)}; pass matching "
                "classes or other generators."
            )

    def factory(generator):
        return build_classifier_from_config(cfg.model, ds.n_classes, ds.image_size, generator)

    sampler = build_sampler(
        cfg.augment, random_state=child_seed(cfg.seed, "augment"), generators=generators,
        gan_config=cfg.gan, adv_config=cfg.adv, classifier_factory=factory,
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
        "classes": list(ds.classes), "n_original": int(sampler.n_original_),
        "n_new": int(len(y_res) - sampler.n_original_),
        "sampling_strategy": sampler.sampling_strategy_,
        "counts": counts, "per_class": per_class, "seed": sampler.seed_,
    }
    if cfg.augment.strategy == "customized":
        budget = sampler.budget or sum(sampler.sampling_strategy_.values())
        summary.update(budget=budget, report=sampler.report_, rounds=sampler.rounds_,
                       best_round=sampler.best_round_)
    write_json(out / "augment.json", summary)
    from qaug._plotting import sources_figure

    sources_figure(out / "samples.png", x_res, y_res, sources, ds.classes)
    write_json(out / "run.json", run_info(cfg.seed))
    return summary
