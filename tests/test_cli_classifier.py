import csv
import json

import pytest

from qaug._io import read_json, save_checkpoint
from qaug.cli import main


def _run(out, *extra, model="cnn"):
    argv = ["train-classifier", "--dataset", "digits", "--model", model, "--out", str(out),
            "--no-progress", "--dry-run", *extra]
    return main(argv)


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "cnn"
    assert _run(out) == 0
    return out


def test_writes_every_file(cnn_run, capsys):
    for name in ("config.json", "run.json", "metrics.json", "history.csv", "confusion.png",
                 "checkpoint.pt"):
        assert (cnn_run / name).is_file(), name
    m = read_json(cnn_run / "metrics.json")
    assert m["model"] == "cnn" and m["classes"] == [0, 1, 2]
    assert set(m["per_class_accuracy"]) == {"0", "1", "2"}
    assert len(m["confusion"]) == 3 and sum(map(sum, m["confusion"])) == m["n_test"] == 15
    assert m["parameter_counts"]["quantum"] == 0
    for key in ("test_accuracy", "val_accuracy", "collapsed", "train_seconds", "best_epoch"):
        assert key in m
    cfg = read_json(cnn_run / "config.json")
    assert cfg["train"]["epochs"] == 1 and cfg["data"]["n_train_per_class"] == 5
    assert cfg["classifier"]["name"] == "cnn" and cfg["seed"] == 0
    assert read_json(cnn_run / "run.json")["seed"] == 0
    rows = list(csv.DictReader((cnn_run / "history.csv").read_text().splitlines()))
    assert len(rows) == 1 and rows[0]["epoch"] == "1"
    assert (cnn_run / "confusion.png").read_bytes()[:4] == b"\x89PNG"


def test_summary_printed(tmp_path, capsys):
    assert _run(tmp_path / "hq", model="hqcnn") == 0
    out = capsys.readouterr().out
    assert "test accuracy" in out and "per class" in out and "0:" in out
    assert read_json(tmp_path / "hq" / "metrics.json")["parameter_counts"]["quantum"] == 16


def test_refuses_existing_results_unless_overwrite(cnn_run, capsys):
    assert _run(cnn_run) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert _run(cnn_run, "--overwrite") == 0


def test_bad_model_lists_choices(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        _run(tmp_path / "x", model="resnet")
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'resnet'" in err and "hqcnn" in err and "quanv" in err


def test_overrides_applied_and_unknown_key_rejected(tmp_path, capsys):
    assert _run(tmp_path / "a", "--train.lr=0.05", "--classifier.channels=2") == 0
    cfg = read_json(tmp_path / "a" / "config.json")
    assert cfg["train"]["lr"] == 0.05 and cfg["classifier"]["channels"] == 2
    assert _run(tmp_path / "b", "--train.learning_rate=0.05") == 2
    assert "valid keys" in capsys.readouterr().err


def test_wrong_checkpoint_kind(tmp_path, capsys):
    ckpt = save_checkpoint(tmp_path / "gan.pt", {"kind": "gan", "config": {}})
    assert _run(tmp_path / "x", "--checkpoint", str(ckpt)) == 2
    err = capsys.readouterr().err
    assert "holds a 'gan'" in err and "'classifier'" in err


def test_checkpoint_of_another_model_refused(cnn_run, tmp_path, capsys):
    assert _run(tmp_path / "x", "--checkpoint", str(cnn_run / "checkpoint.pt"), model="hqcnn") == 2
    assert "different config" in capsys.readouterr().err


def test_checkpoint_evaluates_and_continues(cnn_run, tmp_path):
    ckpt = str(cnn_run / "checkpoint.pt")
    assert _run(tmp_path / "eval", "--checkpoint", ckpt, "--epochs", "0") == 0
    before = read_json(cnn_run / "metrics.json")
    after = read_json(tmp_path / "eval" / "metrics.json")
    assert after["test_accuracy"] == before["test_accuracy"]
    assert after["confusion"] == before["confusion"]
    assert after["epochs_run"] == 0 and after["from_checkpoint"] == ckpt
    assert _run(tmp_path / "more", "--checkpoint", ckpt) == 0


def test_missing_checkpoint(tmp_path, capsys):
    assert _run(tmp_path / "x", "--checkpoint", str(tmp_path / "nope.pt")) == 2
    assert "does not exist" in capsys.readouterr().err


def test_metrics_are_strict_json(cnn_run):
    json.loads((cnn_run / "metrics.json").read_text(), parse_constant=pytest.fail)


def test_eval_noise_adds_noisy_metrics(tmp_path, capsys):
    spec = "shots=100,depolarizing=0.01,readout=0.02"
    assert _run(tmp_path / "n", "--eval-noise", spec, model="hqcnn") == 0
    m = read_json(tmp_path / "n" / "metrics.json")
    assert m["eval_noise"] == {"shots": 100, "depolarizing": 0.01, "readout": 0.02}
    assert 0.0 <= m["noisy_test_accuracy"] <= 1.0 and "test_accuracy" in m
    assert set(m["noisy_per_class_accuracy"]) == set(m["per_class_accuracy"]) == {"0", "1", "2"}
    assert "under noise" in capsys.readouterr().out
    assert _run(tmp_path / "again", "--eval-noise", spec, model="hqcnn") == 0
    again = read_json(tmp_path / "again" / "metrics.json")
    assert again["noisy_per_class_accuracy"] == m["noisy_per_class_accuracy"]  # seeded shots


def test_eval_noise_errors(tmp_path, capsys):
    assert _run(tmp_path / "a", "--eval-noise", "shot=10", model="hqcnn") == 2
    assert "key one of ['shots', 'depolarizing', 'readout']" in capsys.readouterr().err
    assert _run(tmp_path / "b", "--eval-noise", "readout=0.1") == 2  # the classical control
    assert "needs a quantum classifier" in capsys.readouterr().err


def test_the_fused_engine_from_the_cli_says_it_ran(tmp_path):
    from qaug.quantum._jit import JIT_ENABLED

    assert _run(tmp_path / "f", "--train.engine=fused", model="hqcnn") == 0
    m = read_json(tmp_path / "f" / "metrics.json")
    assert m["train_engine"] == ("fused" if JIT_ENABLED else "torch")
    assert read_json(tmp_path / "f" / "config.json")["train"]["engine"] == "fused"
    assert _run(tmp_path / "t") == 0 and read_json(tmp_path / "t" / "metrics.json")["train_engine"] == "torch"
