"""Every PNG figure qaug writes, in one place (matplotlib's object API on an Agg canvas).

Figures are built on ``matplotlib.figure.Figure`` directly (no pyplot global state), so they
work headless and in worker processes. Images are arrays ``(n, 1, H, W)`` or ``(n, H, W)``
(numpy or torch) in [0, 1]. Class labels are whatever the caller passes (original class ids,
or a folder dataset's sub-folder names).

- reports: :func:`accuracy_figure`, :func:`per_class_figure`, :func:`samples_figure`,
  :func:`curves_figure`, :func:`learning_curve_figure`;
- ``train-classifier``: :func:`confusion_figure`;
- ``train-gan`` / ``generate``: :func:`save_grid`, :func:`losses_figure`, :func:`quality_figure`;
- ``augment``: :func:`sources_figure`;
- ``bench-generators``: :func:`kinds_grid_figure`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["new_figure", "accuracy_figure", "per_class_figure", "samples_figure",
           "curves_figure", "confusion_figure", "save_grid", "losses_figure", "quality_figure",
           "sources_figure", "kinds_grid_figure", "learning_curve_figure", "ERROR_BARS"]

ERROR_BARS = "error bars: 95% t-interval of the mean over seeds"


def new_figure(figsize: tuple[float, float]):
    """A ``matplotlib.figure.Figure`` with an Agg canvas attached (no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def _images(x: Any) -> np.ndarray:
    """``(n, H, W)`` float array of images given as ``(n, 1, H, W)`` / ``(n, H, W)``."""
    a = x.detach().cpu().float().numpy() if hasattr(x, "detach") else np.asarray(x, np.float32)
    return a[:, 0] if a.ndim == 4 else a


def _legend(ax) -> None:
    if ax.get_legend_handles_labels()[0]:  # an empty panel (metric never logged) gets none
        ax.legend(fontsize=7)


def _no_ticks(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


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
    fig = new_figure((max(7, 1.6 * len(groups) + 3.5), 4))
    ax = fig.add_subplot()
    _grouped(ax, groups, series, vals, errs, "test accuracy")
    lows = [r["mean"] - _err(r) for r in rows if math.isfinite(r["mean"])]
    bottom = max(0.0, min(lows, default=0.0) - 0.05)
    ax.set_ylim(bottom, 1.0)
    if bottom > 0:  # say so: a cut axis makes small differences look large
        ax.set_ylabel(f"test accuracy (axis starts at {bottom:.2f}, not 0)")
    ax.set_title(f"{title}\n{ERROR_BARS}", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def per_class_figure(classes: list[str], rows: list[dict], path: Path, title: str) -> Path:
    """One panel per classifier: mean test accuracy per class (groups) and method (bars)."""
    clfs = list(dict.fromkeys(r["classifier"] for r in rows))
    fig = new_figure((max(7, 1.2 * len(classes) + 4.5), 2.8 * len(clfs)))
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
        ax.set_title(f"{title}: {clf} ({ERROR_BARS})", fontsize=9)
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
    fig = new_figure((n * 0.8 + 1, len(rows) * 0.8 + 0.4))
    for i, (label, imgs) in enumerate(rows):  # one axes per row: the images side by side
        tiles = [np.asarray(img, dtype=np.float32) for img in imgs[:n]]
        gap = np.ones((tiles[0].shape[0], max(1, tiles[0].shape[1] // 8)), np.float32)
        strip = np.concatenate([part for t in tiles for part in (t, gap)][:-1], axis=1)
        ax = fig.add_subplot(len(rows), 1, i + 1)
        ax.imshow(strip, cmap="gray", vmin=0, vmax=1)
        _no_ticks(ax)
        ax.set_ylabel(label, fontsize=7)
    fig.suptitle(f"{bank['kind']} samples (seed {bank['seed']})", fontsize=9)
    fig.savefig(path, dpi=100)
    return path


def curves_figure(banks: list[dict], path: Path, metric: str, target: float | None) -> Path:
    """Class-mean quality vs iteration per generator kind (mean over seeds), several metrics."""
    metrics = [metric] + [m for m in ("accuracy", "kid", "fid") if m != metric][:2]
    fig = new_figure((4 * len(metrics), 3.2))
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
        _legend(ax)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def confusion_figure(path: Path, confusion: list[list[int]], labels: list[str], title: str) -> Path:
    """Confusion matrix heat map (rows = true class, columns = predicted), counts written in."""
    k = len(confusion)
    fig = new_figure((1.2 + 0.6 * k, 1.0 + 0.6 * k))
    ax = fig.add_subplot()
    ax.imshow(confusion, cmap="Blues")
    top = max(max(row) for row in confusion) or 1
    for i, row in enumerate(confusion):
        for j, n in enumerate(row):
            color = "white" if n > top / 2 else "black"
            ax.text(j, i, str(n), ha="center", va="center", color=color)
    ax.set_xticks(range(k), labels)
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def save_grid(path: Path, rows: list[Any], min_px: int = 48) -> Path:
    """Save rows of images (each ``(n, 1, H, W)`` in [0, 1]) as one grayscale PNG grid."""
    from PIL import Image

    rows = [_images(r) for r in rows]
    h = rows[0].shape[-1]
    scale = max(1, -(-min_px // h))  # ceil(min_px / h): small images are shown enlarged
    width = max(len(r) for r in rows)
    pad = 1
    canvas = np.full((len(rows) * (h + pad) + pad, width * (h + pad) + pad), 0.35, dtype=np.float32)
    for i, r in enumerate(rows):
        for j, img in enumerate(r):
            y0, x0 = pad + i * (h + pad), pad + j * (h + pad)
            canvas[y0 : y0 + h, x0 : x0 + h] = np.clip(img, 0, 1)
    im = Image.fromarray((canvas * 255).round().astype(np.uint8), mode="L")
    im = im.resize((im.width * scale, im.height * scale), Image.NEAREST)
    path = Path(path)
    im.save(path)
    return path


def _panels(n: int):
    fig = new_figure((3.6 * n, 3.0))
    return fig, [fig.add_subplot(1, n, i + 1) for i in range(n)]


def _smooth(values: list[float], k: int = 10) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if len(v) < k:
        return v
    return np.convolve(v, np.ones(k) / k, mode="valid")


def losses_figure(path: Path, histories: dict, names: dict) -> Path:
    """Discriminator and generator loss (moving mean of 10) per class of a generator bank."""
    fig, axes = _panels(2)
    for label, h in histories.items():
        for ax, key in zip(axes, ("loss_d", "loss_g")):
            y = _smooth(h[key])
            ax.plot(
                np.asarray(h["iteration"][len(h[key]) - len(y) :]), y, label=f"class {names[label]}"
            )
    for ax, title in zip(axes, ("discriminator loss", "generator loss")):
        ax.set_title(f"{title} (moving mean of 10)", fontsize=9)
        ax.set_xlabel("iteration")
        _legend(ax)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def quality_figure(path: Path, histories: dict, names: dict,
                   metrics: tuple[str, ...] = ("fid", "kid", "accuracy", "diversity_ratio")) -> Path:
    """Quality records (``history["quality"]``) over iterations, one panel per metric."""
    fig, axes = _panels(len(metrics))
    for label, h in histories.items():
        for ax, m in zip(axes, metrics):
            pts = [(r["iteration"], r[m]) for r in h["quality"] if r.get(m) is not None]
            if pts:
                ax.plot(*zip(*pts), marker=".", label=f"class {names[label]}")
    for ax, m in zip(axes, metrics):
        ax.set_title(m, fontsize=9)
        ax.set_xlabel("iteration")
        _legend(ax)
    axes[0].set_yscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def sources_figure(path: Path, x: Any, y: Any, sources: np.ndarray, classes: list,
                   per_cell: int = 6) -> Path:
    """Augmented set: one row per class, one column per source, ``per_cell`` images each."""
    x, y = _images(x), np.asarray(y)
    names = list(dict.fromkeys(sources.tolist()))  # first-seen order: original first
    k, h = len(classes), x.shape[-1]
    fig = new_figure((1.0 + 1.6 * len(names) * per_cell / 4, 0.6 + 1.0 * k))
    axes = fig.subplots(k, len(names), squeeze=False)
    for i in range(k):
        for j, s in enumerate(names):
            idx = np.flatnonzero((y == i) & (sources == s))[:per_cell]
            strip = np.ones((h, per_cell * (h + 1))) * 0.5  # grey gaps between images
            for n, t in enumerate(idx):
                strip[:, n * (h + 1): n * (h + 1) + h] = x[t]
            ax = axes[i, j]
            ax.imshow(strip, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            _no_ticks(ax)
            if i == 0:
                ax.set_title(s, fontsize=9)
            if j == 0:
                ax.set_ylabel(f"class {classes[i]}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def kinds_grid_figure(path: Path, grids: list[tuple[str, Any]], title: str) -> Path:
    """One row per generator kind: ``(name, samples (k, n, H, W) in 0..255)``, classes side by side."""
    k, n = np.asarray(grids[0][1]).shape[:2]
    fig = new_figure((0.45 * k * n + 1.2, 0.5 * len(grids) + 0.4))
    for i, (name, s) in enumerate(grids):
        s = np.asarray(s)
        ax = fig.add_subplot(len(grids), 1, i + 1)
        row = np.concatenate([np.concatenate(list(s[c]), axis=1) for c in range(len(s))], axis=1)
        ax.imshow(row, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        _no_ticks(ax)
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def learning_curve_figure(rows: list[dict], path: Path, title: str) -> Path:
    """Test accuracy vs real training images per class (``learning_curve_table`` rows).

    One panel per classifier, one line per method, 95% t-interval error bars.
    """
    clfs = list(dict.fromkeys(r["classifier"] for r in rows))
    lows = [c["mean"] - _err(c) for r in rows for c in r["cells"].values()
            if math.isfinite(c["mean"])]
    bottom = max(0.0, math.floor(20 * (min(lows, default=0.0) - 0.02)) / 20)
    fig = new_figure((4.2 * len(clfs) + 1.5, 3.6))
    for i, clf in enumerate(clfs):
        ax = fig.add_subplot(1, len(clfs), i + 1)
        xs: list[int] = []
        for r in (r for r in rows if r["classifier"] == clf):
            xs = sorted(r["cells"])
            ax.errorbar(xs, [r["cells"][x]["mean"] for x in xs],
                        yerr=[_err(r["cells"][x]) for x in xs], marker="o", ms=3, capsize=2,
                        label=r["method"])
        ax.set_xscale("log")
        ax.set_xticks(xs, [str(x) for x in xs])
        ax.set_xlabel("real training images per class (log scale)")
        ax.set_ylim(bottom, 1.0)
        ax.set_ylabel("test accuracy" + (f" (axis starts at {bottom:.2f}, not 0)" if bottom
                                         else ""))
        ax.grid(alpha=0.3)
        ax.set_title(clf, fontsize=9)
        _legend(ax)
    fig.suptitle(f"{title} ({ERROR_BARS})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path
