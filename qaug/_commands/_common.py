"""Arguments and helpers shared by several sub-commands."""

from __future__ import annotations

import argparse

__all__ = ["add_output_args", "add_seed_arg", "add_device_arg"]


def add_output_args(p: argparse.ArgumentParser, default: str | None = None) -> None:
    """--out, --overwrite, --resume."""
    p.add_argument(
        "--out",
        default=default,
        required=default is None,
        help="output folder (refused if it already holds results, unless --overwrite)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace results already in --out")


def add_seed_arg(p: argparse.ArgumentParser) -> None:
    """--seed."""
    p.add_argument(
        "--seed", type=int, default=0, help="experiment seed; child seeds derive from it"
    )


def add_device_arg(p: argparse.ArgumentParser) -> None:
    """--device."""
    p.add_argument(
        "--device", default="cpu", help="torch device (cpu, cuda); random draws stay on CPU"
    )
