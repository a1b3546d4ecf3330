"""CLI sub-commands of the experiments stage."""

from __future__ import annotations


def register(subparsers) -> None:
    """Add this stage's sub-commands to the qaug parser."""
