r"""``qaug train-gan`` and ``qaug generate``: per-class QGAN / GAN / DCGAN training and sampling.

Examples:
    qaug train-gan --dataset mnist --generator qgan --class 2 --image-size 8 --iterations 1000 \\
        --batch-size 32 --seed 0 --out runs/qgan2 --adversarial.lr_g=0.3
    qaug train-gan --generator dcgan --class all --image-size 28 --out runs/dcgan28
    qaug generate --checkpoint runs/qgan2/checkpoint.pt --n 500 --out samples.npz

``train-gan`` trains one generator per requested class on that class's training images and
writes to ``--out``: config.json, run.json, metrics.json (parameter counts, final quality,
iterations to quality targets, wall time), samples.png (generated rows per class),
real.png, losses.png, quality.png, checkpoint.pt (all generators, for ``qaug generate``) and
per class ``class_<c>/`` with the training checkpoint (weights, optimizer and RNG states,
history) and progress.png (fixed-noise snapshots over iterations). ``--resume`` continues an
interrupted run exactly.
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
from qaug._registry import GENERATOR_KINDS

__all__ = ["register"]



def register(subparsers) -> None:
    """Add ``train-gan`` and ``generate`` to the qaug parser."""
    p = subparsers.add_parser(
        "train-gan",
        help="train per-class generators (QGAN, GAN or DCGAN)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--dataset",
        default=None,
        help="'mnist', 'digits', an .npz file (x, y) or an image folder (default mnist)",
    )
    p.add_argument(
        "--generator",
        default=None,
        choices=GENERATOR_KINDS,
        help="generator kind (default qgan)",
    )
    p.add_argument(
        "--class",
        dest="train_classes",
        action="append",
        default=None,
        metavar="C",
        help="class id to train a generator for; repeat for several, or 'all' "
        "(default all of --classes)",
    )
    p.add_argument(
        "--classes",
        type=int,
        nargs="+",
        default=None,
        help="class ids loaded from the dataset (the reference classifier of the "
        "quality metrics sees all of them; default 0 1 2)",
    )
    p.add_argument(
        "--n-train", type=int, default=None, help="training images per class (default 100)"
    )
    p.add_argument("--image-size", type=int, default=None, help="image side (default 8)")
    p.add_argument("--iterations", type=int, default=None, help="generator updates (default 1000)")
    p.add_argument("--batch-size", type=int, default=None, help="batch size (default 32)")
    p.add_argument(
        "--checkpoint-every",
        type=int,
        default=None,
        help="checkpoint every N iterations (default 100)",
    )
    p.add_argument(
        "--eval-every",
        type=int,
        default=None,
        help="log quality metrics every N iterations (default 50)",
    )
    add_pixel_max_arg(p)
    add_seed_arg(p)
    add_device_arg(p)
    add_output_args(p, required=False)
    add_config_args(p)
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (default 1; these networks are too small to gain from more)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument(
        "--dry-run", action="store_true", help="tiny smoke run: 3 iterations on 8 images per class"
    )
    p.epilog = CONFIG_EPILOG + (
        " Sections here: seed, data, generator, gan.<kind>, adversarial.<kind>, train_classes, "
        "targets, noise; e.g. --adversarial.lr_g=0.3 --adversarial.optimizer=adam "
        "--gan.qgan.post_hidden=64 --gan.dcgan.dcgan_width=4 --targets.fid=5; train and sample "
        "a quantum generator on a simulated noisy device with "
        "--noise.generator=shots=1000,depolarizing=0.01,readout=0.02."
    )
    p.set_defaults(func=_train_main, accepts_overrides=True)

    g = subparsers.add_parser(
        "generate",
        help="sample images from trained generators into an .npz",
        description="Sample --n images per class from a train-gan checkpoint (DIR/checkpoint.pt "
        "or a per-class DIR/class_<c>/checkpoint.pt). Writes an .npz with x "
        "(float32 (N, 1, H, W) in [0, 1]), y (int64 labels), classes (original ids), "
        "and a PNG grid beside it.",
    )
    g.add_argument("--checkpoint", required=True, help="checkpoint.pt written by qaug train-gan")
    g.add_argument("--n", type=int, default=500, help="images per class (default 500)")
    g.add_argument("--out", required=True, help="output .npz file")
    g.add_argument(
        "--class",
        dest="classes",
        type=int,
        action="append",
        default=None,
        metavar="C",
        help="only this original class id (repeatable; default every class)",
    )
    g.add_argument("--noise", default=None, metavar="SPEC",
                   help="sample as a noisy device would, e.g. 'shots=1000,depolarizing=0.01,"
                        "readout=0.02' (quantum generator kinds; default ideal)")
    add_seed_arg(g, default=0)
    add_device_arg(g, default="cpu")
    g.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    g.set_defaults(func=_generate_main)


def _train_main(args) -> int:
    import sys

    from qaug._commands._gan_run import config_from_args, run_train_gan
    from qaug._io import prepare_output_dir
    from qaug.train import NonFiniteLossError

    if args.threads < 1:
        raise ValueError(f"--threads must be >= 1; got {args.threads}.")
    cfg = config_from_args(args)
    if args.print_config:
        from qaug._commands._resolve import print_config

        return print_config(cfg)
    require_out(args)
    import torch

    torch.set_num_threads(args.threads)
    out = prepare_output_dir(
        args.out, overwrite=args.overwrite, resume=args.resume, resumable=True
    )
    try:
        m = run_train_gan(cfg, out, resume=args.resume, progress=not args.no_progress)
    except NonFiniteLossError as e:
        print(f"qaug train-gan: error: {e}", file=sys.stderr)
        return 1
    size = cfg.data.image_size
    p = m["parameters"]
    print(
        f"{m['generator']} on {m['dataset']} ({size}x{size}), classes {m['trained_classes']}: "
        f"{p['generator']['total']} trainable generator parameters "
        f"({p['generator']['quantum']} quantum, {p['generator'].get('frozen', 0)} frozen), "
        f"{p['discriminator']} discriminator; {m['wall_time_s']:.1f} s"
    )
    for c, r in m["per_class"].items():
        q = r.get("selected_quality") or r["final_quality"] or {}
        acc = q.get("accuracy")
        print(
            f"  class {c}: fid {q.get('fid', float('nan')):.2f}  "
            f"kid {q.get('kid', float('nan')):.3f}  "
            f"ref. accuracy {'n/a' if acc is None else f'{acc:.2f}'}  "
            f"diversity {q.get('diversity_ratio') or float('nan'):.2f}  "
            f"(iteration {r['selected'].get('iteration')}, {r['wall_time_s']:.1f} s)"
        )
    print(f"  wrote {out}")
    return 0


def _generate_main(args) -> int:
    from qaug._commands._gan_run import run_generate

    path, counts = run_generate(
        args.checkpoint,
        args.n,
        args.out,
        seed=args.seed,
        classes=args.classes,
        device=args.device,
        overwrite=args.overwrite,
        noise=args.noise,
    )
    print(
        f"wrote {sum(counts.values())} images "
        f"({', '.join(f'class {c}: {n}' for c, n in counts.items())}) "
        f"to {path}"
    )
    return 0
