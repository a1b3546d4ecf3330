"""Report figures (PNG): accuracy bars, per-class accuracy, sample grids, GAN training curves.

Figures are built on ``matplotlib.figure.Figure`` directly (Agg canvas, no pyplot global
state), so they work headless and in worker processes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

__all__ = ["accuracy_figure", "per_class_figure", "samples_figure", "curves_figure"]


def _err(s: dict) -> float:
    if s["n"] >= 2 and math.isfinite(s["ci_high"]):
        return s["ci_high"] - s["mean"]
    return 0.0


def _grouped(ax, groups, series, values, errors, ylabel):
    width = 0.8 / max(1, len(series))
    x = np.arange(len(groups))
    for i, name in enumerate(series):
        v = [values.get((g, name), np.nan) for g in groups]
        e = [errors.get((g, name), 0.0) for g in groups]
        ax.bar(x + (i - (len(series) - 1) / 2) * width, v, width, yerr=e, capsize=2, label=name)
    ax.set_xticks(x, groups)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)


def accuracy_figure(rows: list[dict], path: Path, title: str) -> Path:
    """Mean test accuracy per classifier (groups) and method (bars), 95% t-interval error bars."""
    groups = list(dict.fromkeys(r["classifier"] for r in rows))
    series = list(dict.fromkeys(r["method"] for r in rows))
    vals = {(r["classifier"], r["method"]): r["mean"] for r in rows}
    errs = {(r["classifier"], r["method"]): _err(r) for r in rows}
    fig = Figure(figsize=(max(7, 1.6 * len(groups) + 3.5), 4))
    ax = fig.add_subplot()
    _grouped(ax, groups, series, vals, errs, "test accuracy")
    lows = [r["mean"] - _err(r) for r in rows if math.isfinite(r["mean"])]
    ax.set_ylim(max(0.0, min(lows, default=0.0) - 0.05), 1.0)
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def per_class_figure(classes: list[str], rows: list[dict], path: Path, title: str) -> Path:
    """One panel per classifier: mean test accuracy per class (groups) and method (bars)."""
    clfs = list(dict.fromkeys(r["classifier"] for r in rows))
    fig = Figure(figsize=(max(7, 1.2 * len(classes) + 4.5), 2.8 * len(clfs)))
    for i, clf in enumerate(clfs):
        ax = fig.add_subplot(len(clfs), 1, i + 1)
        sub = [r for r in rows if r["classifier"] == clf]
        series = [r["method"] for r in sub]
        vals = {(c, r["method"]): r["cells"][c]["mean"] for r in sub for c in classes}
        errs = {(c, r["method"]): _err(r["cells"][c]) for r in sub for c in classes}
        _grouped(ax, [f"class {c}" for c in classes], series,
                 {(f"class {c}", m): v for (c, m), v in vals.items()},
                 {(f"class {c}", m): v for (c, m), v in errs.items()}, "accuracy")
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{title}: {clf}", fontsize=9)
        if i == 0:
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def samples_figure(bank: dict, path: Path) -> Path:
    """Grid of a bank's generated samples: one row per class (real images first if stored)."""
    classes = list(bank["samples"])
    real = bank.get("real_samples") or {}
    n = len(next(iter(bank["samples"].values())))
    rows = [(f"real {c}", real[c]) for c in classes if c in real] + [
        (f"{bank['kind']} {c}", bank["samples"][c]) for c in classes]
    fig = Figure(figsize=(n * 0.8 + 1, len(rows) * 0.8 + 0.4))
    for i, (label, imgs) in enumerate(rows):
        for j, img in enumerate(imgs[:n]):
            ax = fig.add_subplot(len(rows), n, i * n + j + 1)
            ax.imshow(np.asarray(img), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(label, fontsize=7)
    fig.suptitle(f"{bank['kind']} samples (seed {bank['seed']})", fontsize=9)
    fig.savefig(path, dpi=100)
    return path


def curves_figure(banks: list[dict], path: Path, metric: str, target: float | None) -> Path:
    """Class-mean quality vs iteration per generator kind (mean over seeds), several metrics."""
    metrics = [metric] + [m for m in ("accuracy", "kid", "fid") if m != metric][:2]
    fig = Figure(figsize=(4 * len(metrics), 3.2))
    for i, m in enumerate(metrics):
        ax = fig.add_subplot(1, len(metrics), i + 1)
        by_kind: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
        for b in banks:
            for curve in b["curves"].values():
                for it, v in zip(curve["iteration"], curve.get(m, [])):
                    if v is not None:
                        by_kind[b["kind"]][it].append(v)
        for kind, pts in sorted(by_kind.items()):
            its = sorted(pts)
            ax.plot(its, [np.mean(pts[t]) for t in its], marker=".", label=kind)
        if m == metric and target is not None:
            ax.axhline(target, color="k", ls="--", lw=0.8, label="target")
        ax.set_xlabel("iteration")
        ax.set_ylabel(f"class-mean {m}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path
