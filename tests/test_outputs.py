"""Nothing lost, nothing stale: manifests, --overwrite, rollback of failed runs, locks, subsets."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from qaug import _outputs
from qaug.cli import main

DEMO = ["reproduce", "--preset", "demo", "--dry-run", "--no-progress", "--methods", "none",
        "--classifiers", "cnn"]


def _sweep(out, *extra):
    return main(DEMO + ["--out", str(out), *extra])


def test_overwrite_deletes_only_what_qaug_wrote(tmp_path, capsys):
    out = tmp_path / "s"
    assert _sweep(out, "--seeds", "0") == 0
    mine = [out / "notes.txt", out / "runs" / "mine.json", out / "figures" / "mine.png",
            out / "cache" / "mine" / "data.bin"]
    for p in mine:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("mine")
    old_runs = [p.name for p in (out / "runs").glob("*.json") if p.name != "mine.json"]
    assert old_runs and "runs/" + old_runs[0] in _outputs.recorded(out)
    assert _sweep(out, "--seeds", "0", "--train.lr=0.02", "--overwrite") == 0
    assert all(p.read_text() == "mine" for p in mine)
    assert not any((out / "runs" / n).exists() for n in old_runs)
    assert (out / "report.md").is_file()


def test_subset_rerun_reports_the_whole_folder_and_names_its_seeds(tmp_path, capsys):
    out = tmp_path / "s"
    assert _sweep(out, "--seeds", "0", "1", "2") == 0
    n_runs = len(json.loads((out / "results.json").read_text())["runs"])
    assert _sweep(out, "--seeds", "0") == 0
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["seeds"] == [0, 1, 2] and meta["last_run"]["seeds_run"] == [0]
    assert len(json.loads((out / "results.json").read_text())["runs"]) == n_runs == 3
    assert "ran seed(s) [0]; the report covers seeds [0, 1, 2]" in capsys.readouterr().err


def test_second_sweep_into_a_locked_folder_refuses(tmp_path, capsys):
    out = tmp_path / "s"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:  # a live process holds the lock
        out.mkdir()
        (out / _outputs.LOCK).write_text(json.dumps(
            {"pid": child.pid, "host": os.uname().nodename, "started": "now", "argv": ["qaug"]}))
        assert _sweep(out, "--seeds", "0") == 2
        err = capsys.readouterr().err
        assert f"in use by another qaug process (pid {child.pid}" in err
        assert not (out / "sweep.json").exists()
    finally:
        child.kill()
        child.wait()
    assert _sweep(out, "--seeds", "0") == 0  # the holder died: its lock is stale
    assert f"removed the stale lock of pid {child.pid}" in capsys.readouterr().err
    assert not (out / _outputs.LOCK).exists()


def test_folder_lock_refuses_a_live_holder(tmp_path):
    with _outputs.folder_lock(tmp_path):
        with pytest.raises(_outputs.FolderLockedError, match=f"pid {os.getpid()}"):
            with _outputs.folder_lock(tmp_path):
                pass
    with _outputs.folder_lock(tmp_path):  # released
        pass


def test_corrupt_cached_bank_is_detected_and_retrained(tmp_path, capsys):
    out = tmp_path / "s"
    argv = DEMO[:-4] + ["--methods", "qgan", "--classifiers", "cnn", "--seeds", "0"]
    assert main(argv + ["--out", str(out)]) == 0
    (bank,) = (out / "cache" / "banks").glob("*/bank.pt")
    summary = json.loads((bank.parent / "summary.json").read_text())
    assert len(summary["bank_sha256"]) == 64
    bank.write_bytes(bank.read_bytes()[:-7] + b"garbage")
    for run in (out / "runs").glob("*.json"):  # as if its runs had failed on the bad bank
        run.unlink()
    capsys.readouterr()
    assert main(argv + ["--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"cached generator bank {bank.parent.name} is corrupt (bank.pt checksum" in err
    assert "retraining it" in err
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["last_run"]["corrupt_banks_retrained"] == [bank.parent.name]
    assert meta["last_run"]["n_failed"] == 0 and meta["last_run"]["n_banks_trained"] == 1


def test_obtain_bank_refuses_or_retrains_a_corrupt_bank(tmp_path):
    from qaug._io import CheckpointError
    from qaug.experiments import ExperimentConfig
    from qaug.experiments._banks import bank_problem, obtain_bank
    from qaug.experiments._config import bank_key

    cfg = ExperimentConfig()
    folder = tmp_path / "banks" / bank_key(cfg, "qgan")
    folder.mkdir(parents=True)
    (folder / "bank.pt").write_bytes(b"x")
    (folder / "summary.json").write_text(json.dumps({"bank_sha256": "0" * 64}))
    assert "checksum" in bank_problem(folder)
    with pytest.raises(CheckpointError, match="is corrupt"):
        obtain_bank(cfg, "qgan", tmp_path, retrain_corrupt=False)


def _digits_npz(path):
    from sklearn.datasets import load_digits

    d = load_digits()
    keep = np.isin(d.target, (0, 1))
    np.savez(path, x=d.images[keep].astype(np.int64), y=d.target[keep])
    return path


def test_failed_run_leaves_nothing_and_the_corrected_retry_is_accepted(tmp_path, capsys):
    npz, out = _digits_npz(tmp_path / "d.npz"), tmp_path / "g"
    argv = ["train-gan", "--dry-run", "--no-progress", "--dataset", str(npz), "--classes", "0",
            "1", "--out", str(out)]
    assert main(argv) == 2  # levels 0..16 without --pixel-max: fails after run.json was written
    assert "--pixel-max 16" in capsys.readouterr().err
    assert not out.exists()
    keep = tmp_path / "k"
    keep.mkdir()
    (keep / "mine.txt").write_text("mine")
    assert main(argv[:-1] + [str(keep)]) == 2
    assert sorted(p.name for p in keep.iterdir()) == ["mine.txt"]
    assert main(argv + ["--pixel-max", "16"]) == 0  # no --overwrite needed
    assert (out / "metrics.json").is_file()


def test_train_gan_overwrite_leaves_no_stale_class_folders(tmp_path):
    out = tmp_path / "g"
    base = ["train-gan", "--dry-run", "--no-progress", "--out", str(out)]
    assert main(base + ["--class", "0", "--class", "1"]) == 0
    assert (out / "class_0" / "progress.png").is_file() and (out / "class_1").is_dir()
    (out / "class_1" / "mine.txt").write_text("mine")
    assert main(base + ["--class", "2", "--overwrite"]) == 0
    assert not (out / "class_0").exists() and (out / "class_2" / "checkpoint.pt").is_file()
    assert sorted(p.name for p in (out / "class_1").iterdir()) == ["mine.txt"]
    m = json.loads((out / "metrics.json").read_text())
    assert m["trained_classes"] == [2]


def test_generate_refuses_to_overwrite_the_png_beside_its_npz(tmp_path, capsys):
    out = tmp_path / "g"
    assert main(["train-gan", "--dry-run", "--no-progress", "--class", "0", "--out",
                 str(out)]) == 0
    before = (out / "samples.png").read_bytes()
    argv = ["generate", "--checkpoint", str(out / "checkpoint.pt"), "--n", "2", "--out",
            str(out / "samples.npz")]
    assert main(argv) == 2
    assert "samples.png" in capsys.readouterr().err
    assert (out / "samples.png").read_bytes() == before and not (out / "samples.npz").exists()
    assert main(argv[:-1] + [str(tmp_path / "s.npz")]) == 0
    assert (tmp_path / "s.png").is_file()
    assert main(argv[:-1] + [str(tmp_path / "s.npz")]) == 2
