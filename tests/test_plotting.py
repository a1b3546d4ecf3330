import numpy as np
import torch
from PIL import Image

from qaug import _plotting as plots


def _png(path):
    with Image.open(path) as im:
        assert im.format == "PNG" and im.width > 10 and im.height > 10


def test_every_cli_figure_writes_a_png(tmp_path):
    plots.confusion_figure(tmp_path / "c.png", [[3, 1], [0, 4]], ["cat", "dog"], "t")
    x = torch.rand(6, 1, 8, 8)
    plots.save_grid(tmp_path / "g.png", [x[:3], x[3:]])
    hist = {0: {"iteration": list(range(20)), "loss_d": [1.0] * 20, "loss_g": [0.5] * 20,
                "quality": [{"iteration": 0, "fid": 3.0, "kid": 0.1, "accuracy": 0.5,
                             "diversity_ratio": 0.9}]}}
    plots.losses_figure(tmp_path / "l.png", hist, {0: "cat"})
    plots.quality_figure(tmp_path / "q.png", hist, {0: "cat"})
    plots.sources_figure(tmp_path / "s.png", x, torch.tensor([0, 0, 1, 1, 0, 1]),
                         np.array(["original"] * 4 + ["qgan"] * 2), ["cat", "dog"])
    for name in "cglqs":
        _png(tmp_path / f"{name}.png")


def test_save_grid_takes_numpy_and_enlarges_small_images(tmp_path):
    path = plots.save_grid(tmp_path / "g.png", [np.ones((2, 1, 8, 8), np.float32)], min_px=48)
    with Image.open(path) as im:
        assert im.height == (8 + 2) * 6 and np.asarray(im).max() == 255


def test_report_figures_write_pngs(tmp_path):
    cell = {"mean": 0.9, "n": 3, "ci_high": 0.95}
    rows = [{"classifier": "hqcnn", "method": m, **cell} for m in ("none", "qgan")]
    plots.accuracy_figure(rows, tmp_path / "a.png", "acc")
    pc = [{**r, "cells": {"cat": cell, "dog": cell}} for r in rows]
    plots.per_class_figure(["cat", "dog"], pc, tmp_path / "p.png", "pc")
    bank = {"kind": "qgan", "seed": 0, "samples": {"cat": np.zeros((3, 8, 8))}}
    plots.samples_figure(bank, tmp_path / "b.png")
    banks = [{"kind": "qgan", "curves": {"0": {"iteration": [0, 10], "accuracy": [0.1, 0.8]}}}]
    plots.curves_figure(banks, tmp_path / "k.png", "accuracy", 0.9)
    for name in "apbk":
        _png(tmp_path / f"{name}.png")


def test_no_other_module_imports_matplotlib():
    import pathlib

    root = pathlib.Path(plots.__file__).parent
    users = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                   if "matplotlib" in p.read_text() and p.name != "_plotting.py")
    assert users == [], f"plotting belongs in qaug/_plotting.py; also found in {users}"

