"""CLI sub-command ``bench-generators``: every generator kind scored with one protocol."""

from __future__ import annotations

import sys

DEFAULT_OUT = "runs/bench-generators"


def register(subparsers) -> None:
    """Add ``bench-generators`` to the qaug parser."""
    p = subparsers.add_parser(
        "bench-generators",
        help="train every generator kind per class on MNIST 0/1/2 and score all with one "
             "protocol (FD, MMD, FID/KID, precision/recall, NDB/JSD, accuracies)",
        description="Train every generator variant (the registry's kinds, DCGAN widths 1/4/8, "
                    "the parameter-matched upconv generator) per class at each size and seed, "
                    "score them with qaug.train.SampleProtocol against held-out real images, "
                    "and write report.md (mean ± std over seeds), results.csv, summary.csv and "
                    "samples_<size>.png. Resumable: finished runs in --out are skipped.")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument("--overwrite", action="store_true",
                   help="delete the runs already in --out and start again")
    p.add_argument("--kinds", nargs="+", default=None, metavar="VARIANT",
                   help="variants to run (default all): the generator kinds, with dcgan as "
                        "dcgan_w1 dcgan_w4 dcgan_w8")
    p.add_argument("--sizes", nargs="+", type=int, default=None, help="image sides (8 16 28)")
    seeds = p.add_mutually_exclusive_group()
    seeds.add_argument("--seeds", nargs="+", type=int, default=None, help="seeds (0 1 2)")
    seeds.add_argument("--seed", type=int, default=None, help="one seed: the same as --seeds N")
    p.add_argument("--iterations", type=int, default=None,
                   help="generator updates per class (default: each kind's tuned default)")
    p.add_argument("--match", default="qgan",
                   help="generator kind whose trainable count upconv matches (default qgan)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (one thread each)")
    p.add_argument("--quick", action="store_true",
                   help="a shorter benchmark: one seed, 300 iterations per class")
    p.add_argument("--dry-run", action="store_true",
                   help="tiny budgets (8x8, one seed, 3 iterations, 20 images per class)")
    p.add_argument("--report-only", action="store_true",
                   help="train nothing: rewrite report.md, CSVs and figures from the runs "
                        "already finished in --out")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=_cmd_bench)


def _cmd_bench(args) -> int:
    import dataclasses

    from qaug.experiments import BenchConfig, bench_generators, check_seeds, dry_run_config

    fields = {"match": args.match}
    if args.kinds:
        fields["variants"] = tuple(args.kinds)
    if args.sizes:
        fields["sizes"] = tuple(args.sizes)
    if args.seed is not None:
        args.seeds = [args.seed]
    if args.seeds is not None:
        fields["seeds"] = check_seeds(args.seeds, "--seeds")
    if args.quick:
        fields.setdefault("seeds", (0,))
        fields["iterations"] = 300
    cfg = BenchConfig(**fields)
    if args.dry_run:
        cfg = dry_run_config(cfg)
    if args.iterations is not None:  # wins over --quick and --dry-run
        cfg = dataclasses.replace(cfg, iterations=args.iterations)
    n = len(cfg.sizes) * len(cfg.seeds) * (len(cfg.selected) + 1)
    print(f"bench-generators: {n} runs ({len(cfg.selected)} variants + real, sizes "
          f"{list(cfg.sizes)}, seeds {list(cfg.seeds)}) into {args.out} with {args.jobs} "
          "job(s)", file=sys.stderr)
    paths = bench_generators(cfg, args.out, jobs=args.jobs, progress=not args.no_progress,
                             overwrite=args.overwrite, report_only=args.report_only)
    print(f"report: {paths['report']}")
    return 0
