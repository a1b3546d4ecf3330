"""Number formatting and Markdown tables of the report (one place, so every table agrees)."""

from __future__ import annotations

import math

__all__ = ["pct", "pp", "num", "pval", "md_table"]


def _bad(x) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def pct(x, digits=1) -> str:
    """A fraction as a percentage (``0.9812`` -> ``98.1``); "–" when missing."""
    return "–" if _bad(x) else f"{100 * x:.{digits}f}"


def pp(x) -> str:
    """A difference of fractions in signed percentage points (``0.0123`` -> ``+1.23``)."""
    return "–" if _bad(x) else f"{100 * x:+.2f}"


def num(x, digits=3) -> str:
    """A number with ``digits`` significant digits (ints as they are)."""
    if _bad(x):
        return "–"
    return f"{x:.{digits}g}" if isinstance(x, float) else str(x)


def pval(x) -> str:
    """A p-value: three decimals, ``<0.001`` below."""
    if _bad(x):
        return "–"
    return "<0.001" if x < 0.001 else f"{x:.3f}"


def md_table(header: list[str], rows: list[list]) -> list[str]:
    """Markdown table lines (and a blank line after)."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out + [""]
