"""The report's opening paragraph, generated from the verdicts (never written by hand)."""

from __future__ import annotations

import math

from qaug.experiments._claims import (
    INCONCLUSIVE,
    NOT_SUPPORTED,
    NOT_TESTED,
    REFUTED,
    SUPPORTED,
    UNTESTABLE,
    verdict_text,
)
from qaug.experiments._format import pp, pval
from qaug.experiments._pairs import ALPHA

__all__ = ["summary_lines", "effects_against_none"]

_ORDER = (SUPPORTED, REFUTED, NOT_SUPPORTED, INCONCLUSIVE, UNTESTABLE)


def effects_against_none(rows: list[dict], alpha: float = ALPHA) -> dict[str, list[str]]:
    """Per classifier: the methods that move test accuracy against none (adjusted p < alpha)."""
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r["classifier"], [])
        if (r["b"] == "none" and r["metric"] == "test accuracy" and r.get("p_adj") is not None
                and r["p_adj"] < alpha):
            out[r["classifier"]].append(f"{r['a']} {pp(r['mean_diff'])} pp "
                                        f"(p adj {pval(r['p_adj'])})")
    return out


def summary_lines(claims: dict[str, list[dict]], comps: dict[str, list[dict]], *,
                  p_adjust: str, comparisons_adjust: str, dry_run: bool = False) -> list[str]:
    """Markdown lines of the ``## Summary`` section."""
    lines = ["## Summary", ""]
    if dry_run:
        return lines + ["Dry run: tiny budgets that only check the pipeline end to end. No "
                        "verdicts are given; rerun without `--dry-run` for results.", ""]
    n_tests = next((c["family_size"] for cs in claims.values() for c in cs), 0)
    n_cmp = sum(1 for rows in comps.values() for r in rows
                if r.get("p") is not None and math.isfinite(r["p"]))
    lines += [f"Generated from the verdicts below (alpha {ALPHA}). The {n_tests} p-values the "
              f"claim verdicts read form one family over all settings, adjusted by {p_adjust}; "
              f"the {n_cmp} paired comparisons form another, adjusted by {comparisons_adjust}. "
              "Verdicts read the adjusted p-values.", ""]
    for setting, cs in claims.items():
        by: dict[str, list[str]] = {}
        for c in cs:
            if c["verdict"] == NOT_TESTED:
                continue
            flag = f" ({'; '.join(c['flags'])})" if c.get("flags") else ""
            by.setdefault(c["verdict"], []).append(c["claim"] + flag)
        parts = [f"**{v}**: " + "; ".join(by[v]) + "." for v in _ORDER if by.get(v)]
        eff = effects_against_none(comps.get(setting, []))
        moved = "; ".join(f"{clf}: {', '.join(e) if e else 'none'}" for clf, e in eff.items())
        text = " ".join(parts) if parts else "no claim could be tested (runs missing)."
        lines.append(f"- `{setting}`: {text} What moves test accuracy against no augmentation "
                     f"here: {moved or 'not measured'}.")
    refuted = [f"`{s}` {c['claim']} ({verdict_text(c)})" for s, cs in claims.items() for c in cs
               if c["verdict"] == REFUTED or c.get("flags")]
    if refuted:
        lines += ["", "Significantly negative cells: " + "; ".join(refuted) + "."]
    return lines + [""]
