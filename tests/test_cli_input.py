"""Probes of bad input through the CLI: unstated pixel scales, relative dataset paths."""

import json

import numpy as np
from sklearn.datasets import load_digits

from qaug.cli import main


def _digits_npz(path):
    d = load_digits()
    keep = np.isin(d.target, (0, 1, 2))
    np.savez(path, x=d.images[keep].astype(np.int64), y=d.target[keep])  # levels 0..16
    return path


def _train(dataset, out, *extra, model="cnn"):
    return main(["train-classifier", "--dry-run", "--no-progress", "--model", model,
                 "--dataset", str(dataset), "--out", str(out), *extra])


def test_integer_levels_up_to_16_need_pixel_max(tmp_path, capsys):
    npz = _digits_npz(tmp_path / "d.npz")
    assert _train(npz, tmp_path / "a") == 2
    err = capsys.readouterr().err
    assert "no larger than 16" in err and "--pixel-max 16" in err and "Traceback" not in err
    assert not (tmp_path / "a" / "metrics.json").exists()
    assert _train(npz, tmp_path / "b", "--pixel-max", "16") == 0
    cfg = json.loads((tmp_path / "b" / "config.json").read_text())
    assert cfg["data"]["pixel_max"] == 16


def test_pixel_max_on_a_shipped_dataset_is_refused(tmp_path, capsys):
    assert _train("digits", tmp_path / "a", "--pixel-max", "16") == 2
    assert "applies only to .npz" in capsys.readouterr().err


def test_relative_dataset_path_stored_absolute_so_export_works_elsewhere(
        tmp_path, monkeypatch, capsys):
    work, other = tmp_path / "work", tmp_path / "other"
    work.mkdir()
    other.mkdir()
    monkeypatch.chdir(work)
    _digits_npz(work / "d.npz")
    assert _train("d.npz", "o", "--pixel-max", "16", model="hqcnn") == 0
    cfg = json.loads((work / "o" / "config.json").read_text())
    assert cfg["data"]["name"] == str((work / "d.npz").resolve())
    monkeypatch.chdir(other)
    assert main(["export", "--checkpoint", str(work / "o" / "checkpoint.pt"), "--format",
                 "qasm", "--sample-index", "0", "--out", "c.qasm"]) == 0
    assert "OPENQASM" in (other / "c.qasm").read_text()


def test_out_under_a_file_is_one_line_exit_2(tmp_path, capsys):
    (tmp_path / "f").write_text("mine")
    assert _train("digits", tmp_path / "f" / "x") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is a file, not a folder; choose another --out" in err
    assert (tmp_path / "f").read_text() == "mine"


def test_unwritable_out_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    import pathlib

    def refuse(self, *a, **k):  # tests run as root here, so simulate the permission error
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(pathlib.Path, "mkdir", refuse)
    assert _train("digits", tmp_path / "ro" / "x") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "Permission denied" in err and "choose a writable folder (--out)" in err


def test_unavailable_device_is_refused_before_anything_is_written(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        device, match = "cuda:99", "pick one of those"
    else:
        device, match = "cuda", "Use --device cpu"
    assert _train("digits", tmp_path / "o", "--device", device) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_nan_classifier_loss_stops_keeps_last_good_checkpoint_exit_1(tmp_path, capsys,
                                                                     monkeypatch):
    import torch.nn.functional as F

    import qaug.train._classifier as loop

    calls = {"n": 0}
    real = F.cross_entropy

    def nan_on_third_step(logits, y, *a, **k):
        loss = real(logits, y, *a, **k)
        if logits.requires_grad:
            calls["n"] += 1
            if calls["n"] == 3:
                return loss * float("nan")
        return loss

    monkeypatch.setattr(loop.F, "cross_entropy", nan_on_third_step)
    out = tmp_path / "o"
    code = main(["train-classifier", "--no-progress", "--model", "cnn", "--dataset", "digits",
                 "--n-train", "5", "--epochs", "4", "--batch-size", "16", "--out", str(out),
                 "--data.n_val_per_class=3", "--data.n_test_per_class=3", "--train.patience=0"])
    assert code == 1
    err = capsys.readouterr().err
    assert "loss became nan in epoch 3" in err and "best weights so far (epoch" in err
    assert "Lower the learning rate" in err and "checkpoint.pt" in err
    from qaug._io import load_checkpoint

    ck = load_checkpoint(out / "checkpoint.pt", kind="classifier")
    assert ck["best_epoch"] in (1, 2)
    assert not (out / "metrics.json").exists()
    assert len((out / "history.csv").read_text().splitlines()) == 3  # header + 2 epochs
