"""Crafted pickles fed to every loader: nothing runs, a clear error comes back."""

import pickle

import numpy as np
import pytest
import torch

from qaug._io import CheckpointError, load_checkpoint, write_json
from qaug.cli import main
from qaug.data import load_dataset
from qaug.train import ClassGenerators


class _Evil:
    """Unpickling this calls ``open(marker, "w")``: the marker file shows code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _crafted(path, marker, kind="class_generators", raw=False):
    payload = {"kind": kind, "config": {}, "state_dicts": {}, "evil": _Evil(marker)}
    if raw:  # a plain pickle file, not torch's zip format
        with open(path, "wb") as f:
            pickle.dump(payload, f)
    else:
        torch.save(payload, path)
    return path


@pytest.mark.parametrize("raw", [False, True])
def test_load_checkpoint_refuses_a_crafted_pickle(tmp_path, raw):
    marker = tmp_path / "ran"
    path = _crafted(tmp_path / "evil.pt", marker, raw=raw)
    with pytest.raises(CheckpointError, match="refused.*could run code.*Nothing in it was exec"):
        load_checkpoint(path)
    assert not marker.exists()


def test_class_generators_load_refuses_a_crafted_pickle(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(CheckpointError, match="refused"):
        ClassGenerators.load(_crafted(tmp_path / "evil.pt", marker))
    assert not marker.exists()


def _cli_refuses(argv, capsys, marker):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "refused" in err and "Traceback" not in err
    assert not marker.exists()


def test_generate_refuses_a_crafted_checkpoint(tmp_path, capsys):
    marker = tmp_path / "ran"
    ck = _crafted(tmp_path / "evil.pt", marker)
    _cli_refuses(["generate", "--checkpoint", str(ck), "--n", "2", "--out",
                  str(tmp_path / "s.npz")], capsys, marker)
    assert not (tmp_path / "s.npz").exists()


def test_export_refuses_a_crafted_checkpoint(tmp_path, capsys):
    marker = tmp_path / "ran"
    ck = _crafted(tmp_path / "evil.pt", marker, kind="classifier")
    _cli_refuses(["export", "--checkpoint", str(ck), "--format", "qasm", "--sample-index", "0",
                  "--out", str(tmp_path / "c.qasm")], capsys, marker)


def test_train_classifier_refuses_a_crafted_checkpoint(tmp_path, capsys):
    marker = tmp_path / "ran"
    ck = _crafted(tmp_path / "evil.pt", marker, kind="classifier")
    _cli_refuses(["train-classifier", "--dry-run", "--no-progress", "--checkpoint", str(ck),
                  "--out", str(tmp_path / "o")], capsys, marker)


def test_augment_refuses_crafted_generators(tmp_path, capsys):
    marker = tmp_path / "ran"
    ck = _crafted(tmp_path / "evil.pt", marker)
    _cli_refuses(["augment", "--dry-run", "--strategy", "general", "--generators", str(ck),
                  "--out", str(tmp_path / "o")], capsys, marker)


def test_train_gan_resume_refuses_a_crafted_class_checkpoint(tmp_path, capsys):
    marker = tmp_path / "ran"
    out = tmp_path / "g"
    (out / "class_0").mkdir(parents=True)
    _crafted(out / "class_0" / "checkpoint.pt", marker, kind="gan")
    _cli_refuses(["train-gan", "--dry-run", "--no-progress", "--class", "0", "--resume",
                  "--out", str(out)], capsys, marker)


def test_a_poisoned_bank_cache_runs_no_code(tmp_path):
    from qaug.experiments import ExperimentConfig
    from qaug.experiments._banks import obtain_bank
    from qaug.experiments._config import bank_key

    cfg = ExperimentConfig()
    folder = tmp_path / "banks" / bank_key(cfg, "qgan")
    folder.mkdir(parents=True)
    marker = tmp_path / "ran"
    _crafted(folder / "bank.pt", marker)
    write_json(folder / "summary.json", {"key": bank_key(cfg, "qgan")})
    with pytest.raises(CheckpointError, match="refused"):
        obtain_bank(cfg, "qgan", tmp_path)
    assert not marker.exists()


def test_an_npz_with_pickled_objects_is_refused(tmp_path):
    marker = tmp_path / "ran"
    x = np.empty(4, dtype=object)
    x[:] = [_Evil(marker)] * 4
    np.savez(tmp_path / "d.npz", x=x, y=np.zeros(4, dtype=np.int64))
    with pytest.raises(ValueError, match="could not read"):
        load_dataset(tmp_path / "d.npz", classes=(0,))
    assert not marker.exists()
