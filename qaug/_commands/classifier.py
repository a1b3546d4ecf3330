r"""``qaug train-classifier``: train (or evaluate) one classifier on one dataset split.

Example:
    qaug train-classifier --dataset mnist --model hqcnn --classes 0 1 2 --n-train 100 \\
        --image-size 8 --seed 0 --out runs/hqcnn --train.lr=0.01

Writes to ``--out``: config.json (resolved), run.json (provenance), metrics.json, history.csv,
confusion.png and checkpoint.pt. ``--checkpoint PATH`` starts from saved weights (of the same
model and classes); with ``--epochs 0`` it only evaluates them. ``--eval-noise
shots=1000,depolarizing=0.01,readout=0.02`` also evaluates the test set on a simulated noisy
device (metrics.json: noisy_test_accuracy, noisy_per_class_accuracy, eval_noise).
"""

from __future__ import annotations

import argparse
import sys

from qaug._commands._common import (
    CONFIG_EPILOG,
    add_config_args,
    add_device_arg,
    add_output_args,
    add_pixel_max_arg,
    add_seed_arg,
    require_out,
)
from qaug._registry import CLASSIFIERS

__all__ = ["register"]



def register(subparsers) -> None:
    """Add ``train-classifier`` to the qaug parser."""
    p = subparsers.add_parser(
        "train-classifier",
        help="train and evaluate one HQCNN variant or the classical control",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--dataset", default=None,
                   help="'mnist', 'digits', an .npz file (x, y) or an image folder (default mnist)")
    p.add_argument("--model", "--classifier", dest="model", default=None, choices=CLASSIFIERS,
                   help="classifier, sets classifier.name (default hqcnn)")
    p.add_argument("--classes", type=int, nargs="+", default=None,
                   help="class ids (default 0 1 2)")
    p.add_argument("--n-train", type=int, default=None,
                   help="training images per class (default 100)")
    p.add_argument("--image-size", type=int, default=None,
                   help="image side after resizing (default 8)")
    p.add_argument("--epochs", type=int, default=None,
                   help="most epochs (default 50; 0 = evaluate only)")
    p.add_argument("--lr", type=float, default=None, help="Adam learning rate (default 0.01)")
    p.add_argument("--batch-size", type=int, default=None, help="batch size (default 16)")
    add_pixel_max_arg(p)
    add_seed_arg(p)
    add_device_arg(p)
    add_output_args(p, required=False)
    add_config_args(p)
    p.add_argument("--checkpoint", default=None, help="classifier checkpoint.pt to start from")
    p.add_argument("--eval-noise", default=None, metavar="SPEC",
                   help="also evaluate the test set under noise, e.g. "
                        "'shots=1000,depolarizing=0.01,readout=0.02' (quantum models only)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (default 1: these models are far too small to gain "
                        "from more, and extra threads slow a busy machine down many times over)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--dry-run", action="store_true",
                   help="tiny smoke run: 1 epoch on a few images per class")
    p.epilog = CONFIG_EPILOG + (" Sections here: seed, data, classifier, train; e.g. "
                                "--train.lr=0.005 --classifier.n_layers=3.")
    p.set_defaults(func=_main, accepts_overrides=True)


def _main(args) -> int:
    from qaug._commands._classifier_run import config_from_args, run_train_classifier
    from qaug._io import prepare_output_dir

    if args.threads < 1:
        raise ValueError(f"--threads must be >= 1; got {args.threads}.")
    cfg = config_from_args(args)
    if args.print_config:
        from qaug._commands._resolve import print_config

        return print_config(cfg)
    require_out(args)
    eval_noise = None
    if args.eval_noise is not None:
        from qaug.quantum import NoiseModel

        eval_noise = NoiseModel.from_string(args.eval_noise)
    import torch

    torch.set_num_threads(args.threads)  # recorded in run.json (torch_threads)
    out = prepare_output_dir(args.out, overwrite=args.overwrite)
    m = run_train_classifier(cfg, out, checkpoint=args.checkpoint, progress=not args.no_progress,
                             eval_noise=eval_noise)
    per_class = "  ".join(
        f"{c}: {'n/a' if a is None else f'{a:.3f}'}" for c, a in m["per_class_accuracy"].items()
    )
    size = cfg.data.image_size
    print(f"{m['model']} on {m['dataset']} {m['classes']} ({size}x{size}, {m['n_train']} train): "
          f"test accuracy {m['test_accuracy']:.3f} (val {m['val_accuracy']:.3f}, best epoch "
          f"{m['best_epoch']}/{m['epochs_run']}, train {m['train_seconds']:.1f} s)")
    print(f"  per class  {per_class}")
    if eval_noise is not None:
        print(f"  under noise ({args.eval_noise}): test accuracy {m['noisy_test_accuracy']:.3f}")
    if m["collapsed"]:
        print("  warning: the model predicts a single class for every test image (collapsed); "
              "try another --lr or seed.", file=sys.stderr)
    print(f"  wrote {out}")
    return 0
