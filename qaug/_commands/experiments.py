"""CLI sub-commands of the experiments stage: ``run``, ``reproduce``, ``report``, ``demo``."""

from __future__ import annotations

import argparse
import sys
import time

from qaug._commands._common import (
    CONFIG_EPILOG,
    add_config_args,
    add_output_args,
    add_seed_arg,
    require_out,
)
from qaug._registry import CLASSIFIERS, EXECUTORS, GENERATOR_KINDS, METHODS, PRESETS
from qaug._registry import P_ADJUST_METHODS as P_ADJUST

DEMO_OUT = "runs/demo"


def dry_run_overrides() -> list[str]:
    """Budgets small enough that every stage runs once in seconds (``--dry-run``)."""
    out = ["train.epochs=1", "train.patience=0", "data.n_train_per_class=10",
           "data.n_val_per_class=4", "data.n_test_per_class=10", "augment.n_per_class=4",
           "augment.budget=6", "augment.rounds=1", "quality.extractor_epochs=1"]
    for kind in GENERATOR_KINDS:
        out += [f"adversarial.{kind}.iterations=2", f"adversarial.{kind}.eval_every=1",
                f"adversarial.{kind}.eval_samples=8", f"adversarial.{kind}.batch_size=4"]
    return out


def _add_sweep_args(p: argparse.ArgumentParser, default_out: str | None, jobs: int = 1) -> None:
    add_output_args(p, default=default_out, required=False)
    add_config_args(p, config=False)
    p.add_argument("--jobs", type=int, default=jobs,
                   help=f"worker processes (1 = in this process; default {jobs}); one torch "
                        "thread each")
    p.add_argument("--executor", choices=EXECUTORS, default="local",
                   help="where runs execute: local processes (--jobs) or a Ray cluster (needs "
                        "pip install 'qaug[ray]'; results still written here only)")
    p.add_argument("--address", default=None,
                   help="with --executor ray: the head's HOST:PORT (`ray start --head` prints "
                        "it) or 'auto'; without it a local Ray instance with --jobs CPUs")
    p.add_argument("--max-retries", type=int, default=3,
                   help="with --executor ray: re-runs of a task whose worker died (default 3)")
    seeds = p.add_mutually_exclusive_group()
    seeds.add_argument("--seeds", type=int, nargs="+", default=None,
                       help="seeds to run instead of the preset's (e.g. --seeds 0 1 2)")
    seeds.add_argument("--seed", type=int, default=None, help="one seed: the same as --seeds N")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted sweep (always on: finished runs in --out are "
                        "skipped; the flag is accepted for symmetry with other commands)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--dry-run", action="store_true",
                   help="tiny budgets (1 epoch, 2 GAN iterations, 10 images per class) to check "
                        "the pipeline end to end in seconds")


def register(subparsers) -> None:
    """Add ``run``, ``reproduce``, ``report`` and ``demo`` to the qaug parser."""
    p = subparsers.add_parser(
        "run", help="run one experiment (data, augmentation, classifier) and write its metrics",
        description="Run one experiment from a config file (TOML/YAML/JSON with sections data, "
                    "classifier, train, augment, gan.<kind>, adversarial.<kind>, quality, and "
                    "seed) or a preset's base config, plus --section.key=value overrides.")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--config", help="experiment config file (.toml, .yaml, .json)")
    src.add_argument("--preset", choices=PRESETS,
                     help="start from a preset's base config (see qaug reproduce)")
    p.add_argument("--setting", help="with --preset: which of its settings (default: the first)")
    add_seed_arg(p)
    add_output_args(p, required=False)
    add_config_args(p, config=False)
    p.add_argument("--cache", default=None,
                   help="generator-bank cache folder (default: <out>/cache)")
    p.add_argument("--progress", action="store_true", help="show training progress bars")
    p.add_argument("--dry-run", action="store_true",
                   help="tiny budgets (those of reproduce --dry-run) to check the run end to end "
                        "in seconds")
    p.epilog = (f"methods: {', '.join(METHODS)}; classifiers: {', '.join(CLASSIFIERS)}. "
                + CONFIG_EPILOG)
    p.set_defaults(func=_cmd_run, accepts_overrides=True)

    p = subparsers.add_parser(
        "reproduce", help="run a preset's sweep (methods x classifiers x seeds) and its report",
        description="Run every run of a sweep not finished yet in --out (resumes an interrupted "
                    "sweep), then write report.md, results.csv, results.json and figures. "
                    "Overrides (--train.epochs=10 ...) change the base experiment.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--preset", choices=PRESETS, help="preset name")
    src.add_argument("--config", help="sweep config file (.toml, .yaml, .json)")
    _add_sweep_args(p, None)
    p.add_argument("--methods", nargs="+", choices=METHODS, default=None,
                   help="only these methods")
    p.add_argument("--classifiers", nargs="+", choices=CLASSIFIERS, default=None,
                   help="only these classifiers")
    p.add_argument("--settings", nargs="+", default=None, metavar="NAME",
                   help="only these settings of the preset (e.g. s28_each10 s28_each30; "
                        "--print-config lists them)")
    p.epilog = ("Overrides change the base experiment (--train.epochs=10, --adversarial.lr_g=0.1). "
                "--print-config prints the resolved sweep config as JSON (reload it with "
                "--config FILE.json).")
    p.set_defaults(func=_cmd_reproduce, accepts_overrides=True)

    p = subparsers.add_parser(
        "report", help="rebuild report.md of a sweep folder from its runs (or results.json)")
    p.add_argument("folder", help="the --out folder of qaug reproduce / qaug demo, or a "
                                  "committed report folder (results.json + sweep.json)")
    p.add_argument("--p-adjust", choices=P_ADJUST, default="holm",
                   help="multiplicity adjustment of the claims family (default holm)")
    p.add_argument("--comparisons-adjust", choices=P_ADJUST, default="bh",
                   help="adjustment of the paired-comparison family (default bh: "
                        "Benjamini-Hochberg)")
    p.set_defaults(func=_cmd_report)

    p = subparsers.add_parser(
        "demo", help="small end-to-end run of the main job (measured: 13-17 s wall on 2 "
                       "idle AMD EPYC cores, /usr/bin/time qaug demo; 40-54 s the first time "
                       "after installing while numba compiles the kernels, once; it prints "
                       "its wall time when done)",
        description="Run the demo preset (5 seeds, hqcnn and cnn, methods none / traditional / "
                    "qgan / qgan_customized on digits 0/1/2 with a data-scarce class 2) and "
                    "write the same report as qaug reproduce.")
    _add_sweep_args(p, DEMO_OUT, jobs=2)
    p.set_defaults(func=_cmd_demo, accepts_overrides=True)


def _cmd_run(args) -> int:
    import dataclasses

    from qaug._commands._resolve import resolve_config
    from qaug._config import config_to_dict
    from qaug._io import prepare_output_dir, run_info, write_json
    from qaug.experiments import ExperimentConfig, load_sweep_config, run_experiment

    base = None
    if args.preset:
        sweep = load_sweep_config(args.preset)
        setting = args.setting or next(iter(sweep.settings))
        if setting not in sweep.settings:
            raise ValueError(f"unknown setting {setting!r} of preset {args.preset!r}; valid: "
                             f"{list(sweep.settings)}.")
        from qaug.experiments._config import merge_overrides

        base = merge_overrides(sweep.base, sweep.settings[setting])
    elif args.setting:
        raise ValueError("--setting needs --preset.")
    # the same budgets as reproduce --dry-run (as caps); the user's overrides still win
    cfg = resolve_config(args, ExperimentConfig(), {"seed": "seed"}, dry_run=dry_run_overrides(),
                         base=base)
    cfg = dataclasses.replace(cfg)  # re-run the checks of the final config
    if args.print_config:
        from qaug._commands._resolve import print_config

        return print_config(cfg)
    require_out(args)
    out = prepare_output_dir(args.out, overwrite=args.overwrite)
    write_json(out / "config.json", config_to_dict(cfg))
    started = time.perf_counter()
    metrics = run_experiment(cfg, cache_dir=args.cache or out / "cache", progress=args.progress)
    write_json(out / "metrics.json", metrics)
    write_json(out / "run.json", {**run_info(cfg.seed), "wall_s": time.perf_counter() - started})
    t = metrics["test"]
    print(f"{cfg.augment.method} / {cfg.classifier.name} / seed {cfg.seed}: test accuracy "
          f"{t['accuracy']:.4f}, per class {t['per_class_accuracy']}; written to {out}")
    return 0


def _sweep_from_args(args, source: str, demo: bool = False):
    import dataclasses

    from qaug._commands._resolve import resolve_config
    from qaug.experiments import check_seeds, load_sweep_config
    from qaug.experiments._config import select_settings

    if args.seed is not None:
        args.seeds = [args.seed]
    seeds = check_seeds(args.seeds, "--seeds") if args.seeds is not None else None
    fields = {"seeds": seeds}
    if not demo:
        fields.update(methods=args.methods, classifiers=args.classifiers)
    sweep = load_sweep_config(source, None, **fields)
    if not demo and args.settings is not None:
        sweep = select_settings(sweep, args.settings)
    # the base experiment resolves as in every command: --dry-run caps, then the overrides
    base = resolve_config(args, sweep.base, {}, dry_run=dry_run_overrides(), base=sweep.base)
    return dataclasses.replace(sweep, base=base)


def _ray_executor(args):
    """The RayExecutor of ``--executor ray``, or None for the local executor."""
    if args.executor != "ray":
        if args.address is not None:
            raise ValueError(f"--address {args.address} needs --executor ray; add it, or drop "
                             "--address to run locally.")
        return None
    from qaug.experiments._ray import RayExecutor

    return RayExecutor(args.address, max_retries=args.max_retries,
                       local_cpus=args.jobs if args.address is None else None)


def _execute(args, sweep) -> int:
    from qaug.experiments._reproduce import reproduce

    if args.print_config:
        from qaug._commands._resolve import print_config

        return print_config(sweep)
    require_out(args)
    try:
        executor = _ray_executor(args)
    except (ImportError, ConnectionError, RuntimeError) as e:  # no Ray, no cluster, mismatch
        print(f"error: {e}", file=sys.stderr)
        return 2
    where = f"{args.jobs} job(s)" if executor is None else f"Ray ({executor.jobs} CPU slot(s))"
    n = len(sweep.expand())
    print(f"sweep {sweep.name!r}: {n} runs ({len(sweep.settings)} setting(s) x "
          f"{len(sweep.classifiers)} classifier(s) x {len(sweep.methods)} method(s) x "
          f"{len(sweep.seeds)} seed(s)) into {args.out} with {where}", file=sys.stderr)
    try:
        summary, report = reproduce(sweep, args.out, jobs=args.jobs, overwrite=args.overwrite,
                                    progress=not args.no_progress, executor=executor)
    finally:
        if executor is not None:
            executor.close()
    from qaug._io import read_json

    last = read_json(summary.out_dir / "sweep.json")["last_run"]
    print(f"done: {summary.n_done} run(s) now, {summary.n_cached} cached, "
          f"{len(summary.failed)} failed, {summary.n_banks_trained} generator bank(s) trained; "
          f"wall time {last['wall_s']:.1f} s, peak memory {last['peak_rss_mb']:.0f} MB")
    for key, err in list(summary.failed.items())[:10]:
        print(f"  failed {key}: {err}  (see runs/{key}.error.json)", file=sys.stderr)
    seeds = read_json(summary.out_dir / "sweep.json")["seeds"]
    if list(seeds) != list(sweep.seeds):
        print(f"ran seed(s) {list(sweep.seeds)}; the report covers seeds {list(seeds)} (every "
              "run in the folder)", file=sys.stderr)
    print(f"report: {report}")
    return 1 if summary.failed else 0


def _cmd_reproduce(args) -> int:
    return _execute(args, _sweep_from_args(args, args.preset or args.config))


def _cmd_demo(args) -> int:
    return _execute(args, _sweep_from_args(args, "demo", demo=True))


def _cmd_report(args) -> int:
    from qaug.experiments._report import write_report

    path = write_report(args.folder, p_adjust=args.p_adjust,
                        comparisons_adjust=args.comparisons_adjust)
    print(f"report: {path}")
    return 0
