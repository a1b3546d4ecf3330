"""One config vocabulary: --print-config round-trips, --seed everywhere, old spellings."""

import argparse
import json

import pytest

from qaug.cli import build_parser, main

# every command that takes a config, with the arguments it needs
CONFIG_COMMANDS = {
    "train-classifier": ["--dataset", "digits", "--model", "cnn", "--n-train", "7"],
    "train-gan": ["--generator", "dcgan", "--class", "1", "--image-size", "16"],
    "augment": ["--strategy", "customized", "--generator", "gan", "--train-count", "2=20"],
    "run": ["--preset", "imbalanced", "--augment.method=qgan_customized"],
    "reproduce": ["--preset", "demo", "--methods", "none", "qgan"],
    "demo": [],
}


def _printed(argv, capsys) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("command", list(CONFIG_COMMANDS))
def test_print_config_round_trips(command, tmp_path, capsys):
    argv = [command, *CONFIG_COMMANDS[command], "--seed", "3", "--data.n_val_per_class=7",
            "--dry-run", "--print-config"]
    first = _printed(argv, capsys)
    assert not any(tmp_path.iterdir())  # nothing was run or written
    path = tmp_path / "config.json"
    path.write_text(json.dumps(first))
    again = "reproduce" if command == "demo" else command  # demo is reproduce --preset demo
    second = _printed([again, "--config", str(path), "--print-config"], capsys)
    assert second == first
    base = first.get("base", first)
    assert base["data"]["n_val_per_class"] == 7
    assert first.get("seeds", [base.get("seed")]) == [3]


def test_every_command_that_draws_takes_seed():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    without = sorted(name for name, p in sub.choices.items()
                     if not any("--seed" in a.option_strings for a in p._actions))
    assert without == ["report"]  # rebuilding a report draws nothing


def test_the_same_sections_in_every_command(capsys):
    sections = {}
    for command in ("train-classifier", "train-gan", "augment", "run"):
        sections[command] = set(_printed([command, *CONFIG_COMMANDS[command], "--print-config"],
                                         capsys))
    everywhere = {"seed", "data"}
    assert all(everywhere <= s for s in sections.values())
    assert "classifier" in sections["train-classifier"] & sections["augment"] & sections["run"]
    assert {"gan", "adversarial"} <= sections["train-gan"] & sections["augment"] & sections["run"]
    assert "augment" in sections["augment"] & sections["run"]
    assert not any({"adv", "model"} & s for s in sections.values())


def test_key_without_a_kind_sets_every_kind(capsys):
    cfg = _printed(["train-gan", "--adversarial.iterations=7", "--gan.latent_dim=9",
                    "--adversarial.qgan.lr_g=0.5", "--print-config"], capsys)
    assert {k: v["iterations"] for k, v in cfg["adversarial"].items()} == {
        k: 7 for k in cfg["adversarial"]}
    assert all(v["latent_dim"] == 9 for v in cfg["gan"].values())
    assert cfg["adversarial"]["qgan"]["lr_g"] == 0.5 and cfg["adversarial"]["gan"]["lr_g"] != 0.5


@pytest.mark.parametrize("command, old, new", [
    ("train-gan", "--adv.lr_g=0.25", ("adversarial", "qgan", "lr_g")),
    ("train-classifier", "--model.channels=3", ("classifier", "channels")),
    ("augment", "--augment.n_rounds=3", ("augment", "rounds")),
])
def test_old_spellings_still_work_with_a_deprecation(command, old, new, capsys):
    with pytest.warns(FutureWarning, match="deprecated"):
        cfg = _printed([command, old, "--print-config"], capsys)
    for key in new:
        cfg = cfg[key]
    assert cfg == float(old.split("=")[1]) or cfg == int(old.split("=")[1].split(".")[0])


@pytest.mark.parametrize("override, message", [
    ("--augment.strategy=customized", "augment.method"),
    ("--augment.generator=gan", "augment.method"),
    ("--gan.kind=dcgan", "--generator"),
])
def test_removed_keys_name_the_replacement(override, message, capsys):
    assert main(["augment", override, "--print-config"]) == 2
    err = capsys.readouterr().err
    assert "was removed" in err and message in err


def test_out_is_required_unless_print_config(capsys):
    assert main(["train-classifier"]) == 2
    assert "needs --out" in capsys.readouterr().err


def test_config_file_then_flags_then_overrides(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text('seed = 5\n[data]\nimage_size = 16\nn_train_per_class = 9\n'
                    '[classifier]\nname = "quanv"\n')
    cfg = _printed(["train-classifier", "--config", str(path), "--n-train", "11",
                    "--data.n_train_per_class=13", "--print-config"], capsys)
    assert cfg["seed"] == 5 and cfg["data"]["image_size"] == 16
    assert cfg["classifier"]["name"] == "quanv" and cfg["data"]["n_train_per_class"] == 13
    cfg = _printed(["train-classifier", "--config", str(path), "--n-train", "11",
                    "--print-config"], capsys)
    assert cfg["data"]["n_train_per_class"] == 11


def test_run_takes_seed(tmp_path, capsys):
    cfg = _printed(["run", "--preset", "demo", "--seed", "4", "--print-config"], capsys)
    assert cfg["seed"] == 4


@pytest.mark.parametrize("command", ["run", "train-gan", "augment", "demo"])
def test_a_loss_override_brings_that_loss_defaults(command, capsys):
    cfg = _printed([command, "--adversarial.qgan.loss=wgan-gp", "--print-config"], capsys)
    cfg = cfg.get("base", cfg)
    assert cfg["adversarial"]["qgan"]["n_critic"] == 5  # WGAN-GP's critic steps
    # the preset's engine stays (the fused engine then hands WGAN-GP to torch)
    assert cfg["adversarial"]["qgan"]["engine"] == ("fused" if command == "demo" else "torch")
    assert cfg["adversarial"]["gan"]["loss"] == "bce" and cfg["adversarial"]["gan"]["n_critic"] == 1
    cfg = _printed([command, "--adversarial.loss=wgan-gp", "--adversarial.n_critic=3",
                    "--print-config"], capsys)
    cfg = cfg.get("base", cfg)
    assert {v["loss"] for v in cfg["adversarial"].values()} == {"wgan-gp"}
    assert {v["n_critic"] for v in cfg["adversarial"].values()} == {3}  # overrides still win


def test_dry_run_caps_never_raise_a_budget(capsys):
    cfg = _printed(["train-classifier", "--epochs", "0", "--n-train", "3", "--dry-run",
                    "--print-config"], capsys)
    assert cfg["train"]["epochs"] == 0 and cfg["data"]["n_train_per_class"] == 3
    cfg = _printed(["train-classifier", "--dry-run", "--print-config"], capsys)
    assert cfg["train"]["epochs"] == 1 and cfg["data"]["n_train_per_class"] == 5
