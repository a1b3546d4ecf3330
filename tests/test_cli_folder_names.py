"""A folder dataset's sub-folder names (cat/, dog/) reach metrics.json and figure labels."""

import json

import numpy as np
import pytest
from PIL import Image

from qaug.cli import main


@pytest.fixture(scope="module")
def pets(tmp_path_factory):
    root = tmp_path_factory.mktemp("pets")
    rng = np.random.default_rng(0)
    for c, name in enumerate(("cat", "dog")):
        (root / name).mkdir()
        for i in range(24):
            img = (rng.random((8, 8)) * 80 + 150 * c).astype(np.uint8)
            Image.fromarray(img, mode="L").save(root / name / f"{i}.png")
    return root


def _labels(monkeypatch, module, name):
    seen = []
    original = getattr(module, name)

    def spy(*args, **kwargs):
        seen.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return seen


def _base(pets, out):
    return ["--dataset", str(pets), "--classes", "0", "1", "--dry-run", "--out", str(out)]


def test_train_classifier(pets, tmp_path, monkeypatch):
    from qaug._commands import _classifier_run

    seen = _labels(monkeypatch, _classifier_run, "confusion_figure")
    assert main(["train-classifier", "--model", "cnn", *_base(pets, tmp_path / "c")]) == 0
    m = json.loads((tmp_path / "c" / "metrics.json").read_text())
    assert m["class_names"] == ["cat", "dog"] and m["classes"] == [0, 1]
    assert seen[0][2] == ["cat", "dog"]


def test_train_gan(pets, tmp_path, monkeypatch):
    from qaug._commands import _gan_run

    seen = _labels(monkeypatch, _gan_run, "losses_figure")
    assert main(["train-gan", "--generator", "gan", "--no-progress", *_base(pets, tmp_path / "g"),
                 "--adversarial.eval_every=0"]) == 0
    m = json.loads((tmp_path / "g" / "metrics.json").read_text())
    assert m["class_names"] == ["cat", "dog"]
    assert sorted(seen[0][2].values()) == ["cat", "dog"]


def test_augment(pets, tmp_path, monkeypatch):
    from qaug._commands import _augment_run

    seen = _labels(monkeypatch, _augment_run, "sources_figure")
    assert main(["augment", "--strategy", "traditional", *_base(pets, tmp_path / "a")]) == 0
    summary = json.loads((tmp_path / "a" / "augment.json").read_text())
    assert summary["class_names"] == ["cat", "dog"]
    assert seen[0][4] == ["cat", "dog"]
