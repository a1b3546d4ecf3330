r"""``qaug augment``: build an augmented training set with one strategy and write it out.

Example:
    qaug augment --dataset mnist --strategy customized --generator qgan --classifier hqcnn \\
        --classes 0 1 2 --n-train 100 --train-count 2=20 --image-size 8 --budget 200 \\
        --seed 0 --out runs/aug --adversarial.iterations=200

Writes to ``--out``: augmented.npz (x float32 (N,1,H,W), y int64 labels 0..k-1, source str),
augment.json (counts per class and source; for customized, the per-class allocation,
acceptance and rejection of every round), samples.png (samples per class and source),
config.json (resolved) and run.json (provenance).
"""

from __future__ import annotations

import argparse

from qaug._commands._common import (
    CONFIG_EPILOG,
    add_config_args,
    add_device_arg,
    add_output_args,
    add_pixel_max_arg,
    add_seed_arg,
    require_out,
)
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
    p.add_argument("--dataset", default=None,
                   help="'mnist', 'digits', an .npz or a folder (default mnist)")
    p.add_argument("--strategy", default=None, choices=STRATEGY_CHOICES,
                   help="augmentation strategy (default general); with --generator it sets "
                        "augment.method (general: <kind>, customized: <kind>_customized)")
    p.add_argument("--generator", default=None, choices=GENERATOR_KINDS,
                   help="generator kind for general/customized (default qgan)")
    p.add_argument("--classifier", "--model", dest="classifier", default=None,
                   choices=CLASSIFIERS,
                   help="classifier measured by the customized strategy (default hqcnn)")
    p.add_argument("--classes", type=int, nargs="+", default=None, help="class ids (default 0 1 2)")
    p.add_argument("--n-train", type=int, default=None, help="training images per class")
    p.add_argument("--train-count", type=_count, nargs="*", default=None, metavar="CLASS=N",
                   help="training images of single classes, e.g. 2=20 (an imbalanced setting)")
    p.add_argument("--image-size", type=int, default=None, help="image side (default 8)")
    p.add_argument("--n-per-class", type=int, default=None,
                   help="new samples per class (traditional, general; default 100)")
    p.add_argument("--budget", type=int, default=None,
                   help="customized: total new samples (default n-per-class x classes)")
    p.add_argument("--rounds", type=int, default=None, help="customized: most rounds (default 1)")
    p.add_argument("--generators", default=None,
                   help="saved ClassGenerators checkpoint (default: train them on the data)")
    add_pixel_max_arg(p)
    add_seed_arg(p)
    add_device_arg(p)
    add_output_args(p, required=False)
    add_config_args(p)
    p.add_argument("--progress", action="store_true", help="show progress bars")
    p.add_argument("--dry-run", action="store_true",
                   help="tiny budgets (those of reproduce --dry-run: 1 epoch, 2 GAN iterations, "
                        "10 images per class) to check the pipeline end to end in seconds")
    p.epilog = CONFIG_EPILOG + (" Sections here: seed, data, classifier, train, augment, "
                                "gan.<kind>, adversarial.<kind>; e.g. "
                                "--augment.threshold_min=0.3 --adversarial.iterations=100.")
    p.set_defaults(func=_main, accepts_overrides=True)


def _main(args) -> int:
    from qaug._io import prepare_output_dir

    cfg = _config_from_args(args)
    if args.print_config:
        from qaug._commands._resolve import print_config

        return print_config(cfg)
    require_out(args)
    out = prepare_output_dir(args.out, overwrite=args.overwrite)
    from qaug._commands._augment_run import run_augment

    summary = run_augment(cfg, out, generators_path=args.generators, progress=args.progress)
    print(f"{cfg.augment.strategy} augmentation on {cfg.data.name} {list(cfg.data.classes)}: "
          f"{summary['n_original']} originals + {summary['n_new']} new")
    for c, row in summary["per_class"].items():
        print(f"  class {c}: {row}")
    print(f"  wrote {out}")
    return 0


FLAG_KEYS = {"dataset": "data.name", "classes": "data.classes", "n_train": "data.n_train_per_class",
             "image_size": "data.image_size", "pixel_max": "data.pixel_max",
             "classifier": "classifier.name",
             "n_per_class": "augment.n_per_class", "budget": "augment.budget",
             "rounds": "augment.rounds", "device": ("train.device", "adversarial.device"),
             "seed": "seed"}


def _config_from_args(args):
    import dataclasses

    from qaug._commands._resolve import resolve_config
    from qaug.augment import AugmentConfig
    from qaug.models import fit_qgan_to_image

    def extra(base) -> dict:
        out = {}
        if args.train_count is not None:
            out["data.train_counts"] = dict(args.train_count)
        if args.strategy is not None or args.generator is not None:
            out["augment.method"] = AugmentConfig.for_strategy(
                args.strategy or base.augment.strategy,
                args.generator or base.augment.generator or "qgan").method
        return out

    from qaug._commands._augment_run import AugmentRunConfig

    cfg = resolve_config(args, AugmentRunConfig(), FLAG_KEYS, extra_flags=extra,
                         dry_run=dry_run_overrides())
    if cfg.augment.method == "none":
        raise ValueError("qaug augment needs an augmentation: augment.method is 'none'; pass "
                         "--strategy traditional|general|customized or --augment.method=...")
    # a QGAN that tiles the image size (as train-gan and the experiments build it)
    qgan = fit_qgan_to_image(cfg.gan.qgan, cfg.data.image_size)
    return dataclasses.replace(cfg, gan=dataclasses.replace(cfg.gan, qgan=qgan))


def dry_run_overrides() -> list[str]:
    """``reproduce --dry-run``'s budgets, the sections this command has (no ``quality``)."""
    from qaug._commands.experiments import dry_run_overrides as experiment_dry_run

    return [o for o in experiment_dry_run() if not o.startswith("quality.")]
