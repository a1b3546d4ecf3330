import json

import pytest

from qaug._commands.experiments import dry_run_overrides
from qaug.cli import main


def test_demo_dry_run_writes_report_and_resumes(tmp_path, capsys):
    out = tmp_path / "demo"
    argv = ["demo", "--dry-run", "--seeds", "0", "--jobs", "1", "--no-progress", "--out", str(out)]
    assert main(argv) == 0
    text = (out / "report.md").read_text()
    for heading in ("### Claims", "### Test accuracy", "### Per-class test accuracy",
                    "### Generators", "### Paired comparisons", "How verdicts are computed",
                    "peak memory"):
        assert heading in text
    assert "DRY RUN" in text and "no verdicts" in text and "**supported**" not in text
    assert (out / "results.csv").read_text().count("\n") == 1 + 10
    res = json.loads((out / "results.json").read_text())
    assert len(res["runs"]) == 10 and not res["failures"] and res["claims"] == {}
    assert res["statistics"]["dry_run"] and res["comparisons"]
    assert {p.name.split("_")[0] for p in (out / "figures").glob("*.png")} == {
        "accuracy", "per", "samples", "curves"}
    capsys.readouterr()
    assert main(argv) == 0  # resume: everything is cached
    assert "0 run(s) now, 10 cached" in capsys.readouterr().out
    assert main(["report", str(out)]) == 0


def test_reproduce_refuses_to_mix_configs(tmp_path, capsys):
    out = tmp_path / "s"
    base = ["reproduce", "--preset", "demo", "--dry-run", "--seeds", "0", "--no-progress",
            "--out", str(out), "--methods", "none", "--classifiers", "cnn"]
    assert main(base) == 0
    assert main(base + ["--train.lr=0.02"]) == 2
    assert "another sweep" in capsys.readouterr().err
    assert main(base + ["--train.lr=0.02", "--overwrite"]) == 0


@pytest.mark.parametrize("args, message", [
    (["--preset", "demo", "--seeds", "0", "0"], "duplicates"),
    (["--preset", "demo", "--seeds", "-1"], "integers >= 0"),
    (["--preset", "demo", "--train.nope=1"], "unknown config key"),
])
def test_reproduce_bad_input(tmp_path, capsys, args, message):
    assert main(["reproduce", "--out", str(tmp_path / "o"), *args]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("args", [["--preset", "nope"], ["--preset", "demo", "--methods", "smote"]])
def test_reproduce_rejects_unknown_choices(tmp_path, capsys, args):
    with pytest.raises(SystemExit):
        main(["reproduce", "--out", str(tmp_path), *args])
    assert "invalid choice" in capsys.readouterr().err


def test_reproduce_settings_subset(tmp_path, capsys):
    argv = ["reproduce", "--preset", "fullres", "--out", str(tmp_path / "o"), "--print-config",
            "--settings", "s28_each30", "s28_each10"]
    assert main(argv) == 0
    settings = json.loads(capsys.readouterr().out)["settings"]
    assert list(settings) == ["s28_each10", "s28_each30"]  # the preset's order
    assert main(argv[:-2] + ["s99"]) == 2
    err = capsys.readouterr().err
    assert "'s99'" in err and "s16_each10" in err


def test_report_of_non_sweep_folder(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "no sweep.json" in capsys.readouterr().err


def test_run_one_experiment_from_toml(tmp_path, capsys):
    cfg = tmp_path / "exp.toml"
    cfg.write_text('seed = 1\n[augment]\nmethod = "traditional"\n[classifier]\nname = "cnn"\n')
    out = tmp_path / "run"
    overrides = [f"--{o}" for o in dry_run_overrides()]
    assert main(["run", "--config", str(cfg), "--out", str(out), *overrides]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["method"] == "traditional" and metrics["seed"] == 1
    assert json.loads((out / "config.json").read_text())["train"]["epochs"] == 1
    assert json.loads((out / "run.json").read_text())["versions"]["torch"]
    assert main(["run", "--config", str(cfg), "--out", str(out), *overrides]) == 2  # no clobber
    assert "already holds results" in capsys.readouterr().err
    assert main(["run", "--preset", "demo", "--out", str(tmp_path / "r2"), "--augment.method=none",
                 *overrides]) == 0


def test_run_dry_run_from_preset(tmp_path):
    out = tmp_path / "run"
    argv = ["run", "--preset", "paper", "--dry-run", "--augment.method=qgan",
            "--classifier.name=cnn", "--out", str(out)]
    assert main(argv) == 0
    assert {p.name for p in out.iterdir()} >= {"config.json", "metrics.json", "run.json"}
    config = json.loads((out / "config.json").read_text())
    assert config["train"]["epochs"] == 1 and config["data"]["n_train_per_class"] == 10
    assert config["adversarial"]["qgan"]["iterations"] == 2
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["method"] == "qgan" and metrics["classifier"] == "cnn"
    assert metrics["samples"]["added"] == {"0": 4, "1": 4, "2": 4}  # augment.n_per_class=4
    assert metrics["train"]["epochs_run"] == 1


@pytest.mark.slow
def test_demo_full_run_end_to_end(tmp_path):
    """The README's main job, at its real budgets (about a minute on 2 idle cores)."""
    out = tmp_path / "demo"
    from qaug.experiments import load_sweep_config

    n = len(load_sweep_config("demo").expand())  # 5 seeds x 2 classifiers x the preset's methods
    assert main(["demo", "--out", str(out), "--no-progress"]) == 0
    report = (out / "report.md").read_text()
    assert f"Runs: {n} finished, 0 failed, 0 missing, of {n}." in report
    assert "### Claims" in report and "| qgan |" in report
    results = json.loads((out / "results.json").read_text())
    assert len(results["runs"] if isinstance(results, dict) else results) == n
    assert sorted(p.name for p in (out / "figures").glob("*.png"))
