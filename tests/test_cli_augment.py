"""`qaug augment` end to end on tiny settings (few GAN iterations, few epochs)."""

import json

import numpy as np
import pytest

from qaug.cli import main

FAST = [
    "--n-train",
    "12",
    "--image-size",
    "8",
    "--n-per-class",
    "5",
    "--adversarial.iterations=2",
    "--adversarial.batch_size=4",
    "--adversarial.eval_every=0",
    "--train.epochs=2",
    "--data.n_val_per_class=5",
    "--data.n_test_per_class=5",
]


def _read(out):
    npz = np.load(out / "augmented.npz")
    return npz, json.loads((out / "augment.json").read_text())


@pytest.mark.parametrize("strategy", ["traditional", "general"])
def test_strategy_writes_every_file(strategy, tmp_out):
    assert (
        main(
            [
                "augment",
                "--strategy",
                strategy,
                "--generator",
                "dcgan",
                "--out",
                str(tmp_out),
                *FAST,
            ]
        )
        == 0
    )
    for name in ("augmented.npz", "augment.json", "samples.png", "config.json", "run.json"):
        assert (tmp_out / name).is_file(), name
    npz, summary = _read(tmp_out)
    assert npz["x"].shape == (51, 1, 8, 8) and npz["x"].dtype == np.float32
    assert np.bincount(npz["y"]).tolist() == [17, 17, 17]
    source = "traditional" if strategy == "traditional" else "dcgan"
    assert summary["counts"] == {
        "original": {"0": 12, "1": 12, "2": 12},
        source: {"0": 5, "1": 5, "2": 5},
    }
    assert set(npz["source"].tolist()) == {"original", source}
    config = json.loads((tmp_out / "config.json").read_text())
    kind = "dcgan" if strategy == "general" else "qgan"
    assert config["adversarial"][kind]["iterations"] == 2
    assert config["augment"]["method"] == ("traditional" if strategy == "traditional" else "dcgan")


def test_customized_imbalanced_reports_allocation(tmp_out):
    args = [
        "augment",
        "--strategy",
        "customized",
        "--generator",
        "gan",
        "--classifier",
        "cnn",
        "--train-count",
        "2=4",
        "--budget",
        "12",
        "--out",
        str(tmp_out),
        *FAST,
    ]
    assert main(args) == 0
    npz, summary = _read(tmp_out)
    assert summary["budget"] == 12 and len(summary["rounds"]) == 1
    r = summary["rounds"][0]
    assert sum(r["allocation"].values()) == 12
    assert set(summary["report"]) == {"0", "1", "2"}
    for row in summary["report"].values():
        assert row["generated"] == row["accepted"] + row["rejected"]
    kept = sum(row["kept"] for row in summary["report"].values())
    assert len(npz["y"]) == 12 + 12 + 4 + kept


def test_saved_generators_are_used_and_checked(tmp_path, capsys):
    import torch

    from qaug.data import load_dataset
    from qaug.train import AdversarialConfig, fit_class_generators

    ds = load_dataset(
        "mnist", n_train_per_class=6, image_size=8, n_val_per_class=2, n_test_per_class=2
    )
    adv = AdversarialConfig(iterations=1, batch_size=4, eval_every=0)
    bank = fit_class_generators("gan", ds.train.x, ds.train.y, None, adv, seed=0, quality=False)
    path = bank.save(tmp_path / "gens.pt")
    out = tmp_path / "ok"
    assert (
        main(
            [
                "augment",
                "--strategy",
                "general",
                "--generator",
                "gan",
                "--generators",
                str(path),
                "--out",
                str(out),
                *FAST,
            ]
        )
        == 0
    )
    assert _read(out)[1]["counts"]["gan"] == {"0": 5, "1": 5, "2": 5}
    small = fit_class_generators(
        "gan",
        torch.nn.functional.avg_pool2d(ds.train.x, 2),
        ds.train.y,
        None,
        adv,
        seed=0,
        quality=False,
    ).save(tmp_path / "g4.pt")
    bad = tmp_path / "bad"
    assert (
        main(
            [
                "augment",
                "--strategy",
                "general",
                "--generators",
                str(small),
                "--out",
                str(bad),
                *FAST,
            ]
        )
        == 2
    )
    assert "generators make 4x4 images but the data are 8x8" in capsys.readouterr().err


def test_exception_exit_codes(tmp_out, capsys):
    assert main(["augment", "--strategy", "traditional", "--out", str(tmp_out), *FAST]) == 0
    assert main(["augment", "--strategy", "traditional", "--out", str(tmp_out), *FAST]) == 2
    assert "already holds results" in capsys.readouterr().err
    assert (
        main(
            [
                "augment",
                "--strategy",
                "traditional",
                "--out",
                str(tmp_out),
                "--overwrite",
                "--augment.threshold_min=1.5",
                *FAST,
            ]
        )
        == 2
    )
    assert "augment.threshold_min must be a number in [0, 1]; got 1.5" in capsys.readouterr().err
    assert main(["augment", "--out", str(tmp_out), "--overwrite", "--augment.nope=1", *FAST]) == 2
    assert "unknown config key 'augment.nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["augment", "--strategy", "smote", "--out", str(tmp_out)])


def test_dry_run_uses_the_reproduce_budgets(tmp_out):
    from qaug._commands.augment import dry_run_overrides

    assert "adversarial.qgan.iterations=2" in dry_run_overrides()
    assert not any(o.startswith("quality.") for o in dry_run_overrides())
    args = ["augment", "--dry-run", "--strategy", "customized", "--generator", "qgan",
            "--classifier", "cnn", "--budget", "300", "--out", str(tmp_out), "--adversarial.lr_g=0.2"]
    assert main(args) == 0
    for name in ("augmented.npz", "augment.json", "samples.png", "config.json", "run.json"):
        assert (tmp_out / name).is_file(), name
    config = json.loads((tmp_out / "config.json").read_text())
    assert config["train"]["epochs"] == 1 and config["data"]["n_train_per_class"] == 10
    assert config["adversarial"]["qgan"]["iterations"] == 2 and config["augment"]["rounds"] == 1
    assert config["adversarial"]["qgan"]["lr_g"] == 0.2  # the user's overrides still apply
    npz, summary = _read(tmp_out)
    assert summary["budget"] == 6 and summary["counts"]["original"] == {"0": 10, "1": 10, "2": 10}
    assert len(npz["y"]) == 30 + sum(row["kept"] for row in summary["report"].values())


@pytest.mark.parametrize("kind, optimizer", [("qgan", "sgd"), ("gan", "adam"), ("dcgan", "adam")])
def test_generators_get_their_tuned_settings(kind, optimizer, tmp_out):
    # the classical GANs collapse with the QGAN demo's SGD, so each kind gets its own defaults
    args = ["augment", "--dry-run", "--strategy", "general", "--generator", kind,
            "--image-size", "16", "--out", str(tmp_out)]
    assert main(args) == 0
    config = json.loads((tmp_out / "config.json").read_text())
    assert config["adversarial"][kind]["optimizer"] == optimizer
    if kind == "qgan":  # 16 x 16 = 16 patches of 16 pixels: the QGAN grows sub-generators
        assert config["gan"]["qgan"]["n_generators"] == 16
        assert config["gan"]["qgan"]["post_hidden"] == 0
