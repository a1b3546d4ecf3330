"""Arguments and helpers shared by several sub-commands (torch-free: the parser imports it)."""

from __future__ import annotations

import argparse

__all__ = ["add_pixel_max_arg", "add_output_args", "add_seed_arg", "add_device_arg",
           "add_config_args", "require_out", "CONFIG_EPILOG"]

CONFIG_EPILOG = (
    "Config: the same sections in every command and in Python (seed, data, classifier, train, "
    "augment, gan.<kind>, adversarial.<kind>, quality, noise). Any field can be set as "
    "--section.key=value; in gan / adversarial a key without a kind (--adversarial.lr_g=0.1) "
    "sets it for every kind. Order: defaults < --config FILE < flags < --dry-run < overrides. "
    "--print-config prints the resolved config as JSON (reload it with --config FILE.json)."
)


def add_output_args(p: argparse.ArgumentParser, default: str | None = None,
                    required: bool | None = None) -> None:
    """--out, --overwrite (``required``: default True when there is no default folder)."""
    p.add_argument(
        "--out",
        default=default,
        required=default is None if required is None else required,
        help="output folder (refused if it already holds results, unless --overwrite)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace results already in --out")


def add_pixel_max_arg(p: argparse.ArgumentParser) -> None:
    """--pixel-max (beside --dataset; sets data.pixel_max)."""
    p.add_argument(
        "--pixel-max", type=float, default=None, metavar="V",
        help="value of a white pixel in an .npz dataset (e.g. 16 for 0..16 levels); needed "
             "for whole numbers up to 16 unless they are uint8",
    )


def add_seed_arg(p: argparse.ArgumentParser, default: int | None = None) -> None:
    """--seed (None: the config's seed, 0 unless a --config file sets another)."""
    p.add_argument(
        "--seed", type=int, default=default,
        help="experiment seed; child seeds derive from it "
             f"(default {default if default is not None else 'the config seed, 0'})",
    )


def add_device_arg(p: argparse.ArgumentParser, default: str | None = None) -> None:
    """--device."""
    p.add_argument(
        "--device", default=default,
        help="torch device (cpu, cuda; default cpu); random draws stay on CPU",
    )


def add_config_args(p: argparse.ArgumentParser, *, config: bool = True) -> None:
    """--config FILE (a config of this command: TOML/YAML/JSON) and --print-config."""
    if config:
        p.add_argument("--config", default=None,
                       help="config file (.toml, .yaml, .json) of this command; flags and "
                            "--section.key=value overrides apply on top")
    p.add_argument("--print-config", action="store_true",
                   help="print the resolved config as JSON and exit (nothing is run or written)")


def require_out(args) -> None:
    """--out is required unless --print-config."""
    if not getattr(args, "out", None):
        raise ValueError(f"qaug {args.command} needs --out FOLDER (or --print-config).")
