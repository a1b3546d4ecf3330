import json

import numpy as np
import pytest
import torch

from qaug.cli import main


def run(*argv):
    return main(["train-gan", "--dry-run", "--no-progress", *argv])


def test_train_gan_then_generate(tmp_path, capsys):
    out = tmp_path / "q"
    assert (
        run(
            "--generator",
            "qgan",
            "--class",
            "2",
            "--seed",
            "1",
            "--out",
            str(out),
            "--adversarial.qgan.lr_g=0.2",
        )
        == 0
    )
    for name in (
        "config.json",
        "run.json",
        "metrics.json",
        "samples.png",
        "real.png",
        "losses.png",
        "quality.png",
        "checkpoint.pt",
        "class_2/checkpoint.pt",
        "class_2/progress.png",
    ):
        assert (out / name).is_file(), name
    m = json.loads((out / "metrics.json").read_text())
    assert m["generator"] == "qgan" and m["trained_classes"] == [2]
    # 120 circuit angles + 4 patch brightnesses (GANConfig.patch_scale)
    assert m["parameters"]["generator"] == {
        "quantum": 120,
        "classical": 4,
        "total": 124,
        "frozen": 0,
    }
    assert m["parameters"]["dcgan_for_twice_the_parameters"]["target"] == 248
    r = m["per_class"]["2"]
    assert r["iterations"] == 3 and set(r["iterations_to_target"]) == {"accuracy", "fid", "kid"}
    assert {"fid", "kid", "accuracy", "diversity_ratio"} <= set(r["final_quality"])
    assert r["real_val_quality"]["accuracy"] is not None
    assert r["selected"]["iteration"] == 3 and r["selected_quality"] == r["final_quality"]
    cfg = json.loads((out / "config.json").read_text())
    assert (
        cfg["adversarial"]["qgan"]["lr_g"] == 0.2
        and cfg["adversarial"]["qgan"]["optimizer"] == "sgd"
        and cfg["adversarial"]["gan"]["lr_g"] != 0.2
        and cfg["train_classes"] == [2]
    )

    npz = tmp_path / "s.npz"
    assert (
        main(
            ["generate", "--checkpoint", str(out / "checkpoint.pt"), "--n", "7", "--out", str(npz)]
        )
        == 0
    )
    d = np.load(npz)
    assert d["x"].shape == (7, 1, 8, 8) and d["x"].dtype == np.float32
    assert d["y"].tolist() == [2] * 7 and d["classes"].tolist() == [0, 1, 2]
    assert 0 <= d["x"].min() and d["x"].max() <= 1
    assert (tmp_path / "s.png").is_file()
    # same seed, same samples; the per-class training checkpoint works too
    npz2 = tmp_path / "s2.npz"
    assert (
        main(
            [
                "generate",
                "--checkpoint",
                str(out / "class_2" / "checkpoint.pt"),
                "--n",
                "7",
                "--out",
                str(npz2),
            ]
        )
        == 0
    )
    assert np.array_equal(np.load(npz2)["x"], d["x"])
    # existing output refused; unknown class refused
    assert main(["generate", "--checkpoint", str(out / "checkpoint.pt"), "--out", str(npz)]) == 2
    assert (
        main(
            [
                "generate",
                "--checkpoint",
                str(out / "checkpoint.pt"),
                "--out",
                str(tmp_path / "t.npz"),
                "--class",
                "1",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "already exist" in err and "classes [2]" in err


@pytest.mark.parametrize("kind", ["gan", "dcgan"])
def test_all_classes_in_sub_folders(kind, tmp_path):
    out = tmp_path / kind
    assert run("--generator", kind, "--class", "all", "--out", str(out)) == 0
    for c in (0, 1, 2):
        assert (out / f"class_{c}" / "checkpoint.pt").is_file()
    m = json.loads((out / "metrics.json").read_text())
    assert m["trained_classes"] == [0, 1, 2] and m["parameters"]["generator"]["quantum"] == 0
    npz = tmp_path / "all.npz"
    assert (
        main(
            ["generate", "--checkpoint", str(out / "checkpoint.pt"), "--n", "3", "--out", str(npz)]
        )
        == 0
    )
    assert np.load(npz)["y"].tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_qgan_28x28_grows_sub_generators(tmp_path):
    # 28 * 28 = 49 patches of 16 pixels: the patch method scales by sub-generators, no MLP.
    out = tmp_path / "q28"
    assert run("--generator", "qgan", "--class", "0", "--image-size", "28", "--out", str(out)) == 0
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["gan"]["qgan"]["n_generators"] == 49 and cfg["gan"]["qgan"]["post_hidden"] == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["parameters"]["generator"]["quantum"] == 49 * 6 * 5


@pytest.mark.parametrize(
    "kind, quantum, discriminator",
    [
        # 28 rows x 6 layers x 6 qubits (5 data + 1 ancilla) x 3 Rot angles; critic 784-512-256-1
        ("pqwgan", 28 * 6 * 6 * 3, 784 * 512 + 512 + 512 * 256 + 256 + 256 + 1),
        # 8 components in the dry run (8 images): 2 sub-generators x 6 layers x 5 qubits; D in PCA space
        ("mosaiq", 2 * 6 * 5, 8 * 64 + 64 + 64 * 16 + 16 + 16 + 1),
    ],
)
def test_published_kinds_at_28x28(kind, quantum, discriminator, tmp_path):
    out = tmp_path / kind
    assert run("--generator", kind, "--class", "1", "--image-size", "28", "--out", str(out)) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["parameters"]["generator"]["quantum"] == quantum
    assert m["parameters"]["generator"]["classical"] == 0
    assert m["parameters"]["discriminator"] == discriminator
    cfg = json.loads((out / "config.json").read_text())
    want = {"loss": "wgan-gp", "n_critic": 5} if kind == "pqwgan" else {"loss": "bce", "n_critic": 1}
    assert {k: cfg["adversarial"][kind][k] for k in want} == want
    npz = tmp_path / "g.npz"
    assert main(["generate", "--checkpoint", str(out / "checkpoint.pt"), "--n", "2",
                 "--out", str(npz)]) == 0
    x = np.load(npz)["x"]
    assert x.shape[-2:] == (28, 28) and 0 <= x.min() and x.max() <= 1


def test_qgan_post_network_when_patches_cannot_tile_the_image(tmp_path):
    # 10 * 10 = 100 pixels is not a multiple of 2**(5 - 1) = 16: a classical post-network fills it.
    out = tmp_path / "q10"
    assert run("--generator", "qgan", "--class", "0", "--image-size", "10", "--out", str(out)) == 0
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["gan"]["qgan"]["post_hidden"] == 64
    m = json.loads((out / "metrics.json").read_text())
    assert (
        m["parameters"]["generator"]["quantum"] == 120
        and m["parameters"]["generator"]["classical"] > 0
    )


def test_resume_continues_an_interrupted_run_exactly(tmp_path, monkeypatch):
    args = [
        "--generator",
        "qgan",
        "--class",
        "1",
        "--iterations",
        "6",
        "--checkpoint-every",
        "2",
        "--eval-every",
        "3",
    ]
    # --dry-run caps iterations at 3, so use a real (small) run here
    base = [
        "train-gan",
        "--no-progress",
        "--n-train",
        "10",
        "--batch-size",
        "4",
        "--adversarial.eval_samples=8",
    ]
    assert main([*base, *args, "--out", str(tmp_path / "full")]) == 0

    import qaug.train._adversarial as adv

    original = adv._check_finite

    def ctrl_c_at_iteration_5(loss, which, iteration, last_saved):
        if iteration == 4:
            raise KeyboardInterrupt
        return original(loss, which, iteration, last_saved)

    monkeypatch.setattr(adv, "_check_finite", ctrl_c_at_iteration_5)
    assert main([*base, *args, "--out", str(tmp_path / "cut")]) == 130
    monkeypatch.setattr(adv, "_check_finite", original)
    assert not (tmp_path / "cut" / "checkpoint.pt").exists()
    # without --resume the folder is refused (it holds results)
    assert main([*base, *args, "--out", str(tmp_path / "cut")]) == 2
    assert main([*base, *args, "--out", str(tmp_path / "cut"), "--resume"]) == 0
    a = torch.load(tmp_path / "full" / "class_1" / "checkpoint.pt", weights_only=True)
    b = torch.load(tmp_path / "cut" / "class_1" / "checkpoint.pt", weights_only=True)
    assert a["iteration"] == b["iteration"] == 6
    for k in a["generator"]:
        assert torch.equal(a["generator"][k], b["generator"][k])
    assert a["history"] == b["history"]
    # resuming with another generator kind is refused with a clear message
    assert (
        main([*base, *args[2:], "--generator", "gan", "--out", str(tmp_path / "cut"), "--resume"])
        == 2
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--class", "7"], "not among the loaded classes"),
        (["--class", "two"], "integer class ids or 'all'"),
        (["--gan.n_ancillas=5"], "n_ancillas"),
        (["--gan.n_qubits=20", "--gan.post_hidden=8"], "n_qubits"),
        (["--generator", "dcgan", "--image-size", "10"], "multiple of 4"),
        (["--gan.post_hidden=0", "--gan.n_generators=4", "--image-size", "16"], "post-network"),
        (["--adversarial.optimizer=rmsprop"], "optimizer must be one of"),
        (["--adversarial.nonsense=1"], "unknown config key"),
        (["--gan.kind=gan"], "chosen by --generator"),
        (["--generator", "pqwgan", "--gan.n_patches=5"], "must divide"),
        (["--generator", "pqwgan", "--gan.n_patches=1", "--image-size", "64"], "at most 12"),
        (["--generator", "mosaiq", "--gan.n_components=-1"], "n_components must be"),
    ],
)
def test_bad_input_exits_2_with_a_message(argv, message, tmp_path, capsys):
    assert run(*argv, "--out", str(tmp_path / "o")) == 2
    assert message in capsys.readouterr().err


def test_generate_rejects_other_checkpoints(tmp_path, capsys):
    from qaug._io import save_checkpoint

    save_checkpoint(tmp_path / "clf.pt", {"kind": "classifier", "config": {}})
    assert (
        main(
            ["generate", "--checkpoint", str(tmp_path / "clf.pt"), "--out", str(tmp_path / "a.npz")]
        )
        == 2
    )
    assert "'classifier'" in capsys.readouterr().err
    (tmp_path / "cut.pt").write_bytes((tmp_path / "clf.pt").read_bytes()[:100])
    assert (
        main(
            ["generate", "--checkpoint", str(tmp_path / "cut.pt"), "--out", str(tmp_path / "a.npz")]
        )
        == 2
    )
    assert "truncated" in capsys.readouterr().err
    assert (
        main(
            [
                "generate",
                "--checkpoint",
                str(tmp_path / "none.pt"),
                "--out",
                str(tmp_path / "a.npz"),
            ]
        )
        == 2
    )


def test_nan_loss_exits_1_and_keeps_the_checkpoint(tmp_path, capsys, monkeypatch):
    import qaug.train._adversarial as adv

    original, calls = adv.generator_loss, {"n": 0}

    def nan_from_iteration_4(kind, d_fake):
        calls["n"] += 1  # one generator loss per iteration
        loss = original(kind, d_fake)
        return loss * float("nan") if calls["n"] > 3 else loss

    monkeypatch.setattr(adv, "generator_loss", nan_from_iteration_4)
    out = tmp_path / "nan"
    code = main(
        [
            "train-gan",
            "--no-progress",
            "--generator",
            "gan",
            "--class",
            "0",
            "--n-train",
            "10",
            "--iterations",
            "10",
            "--checkpoint-every",
            "2",
            "--out",
            str(out),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "loss became nan at iteration 4" in err and "last good checkpoint" in err
    ck = torch.load(out / "class_0" / "checkpoint.pt", weights_only=True)
    assert ck["iteration"] == 2


def test_zero_iterations_is_refused(tmp_path, capsys):
    assert main(["train-gan", "--no-progress", "--iterations", "0", "--out",
                 str(tmp_path / "g")]) == 2
    assert "would train nothing" in capsys.readouterr().err
    assert not (tmp_path / "g" / "run.json").exists()


def test_train_gan_latent_kind_dry_run_records_selection_and_frozen_decoder(tmp_path):
    out = tmp_path / "latent"
    args = ["train-gan", "--no-progress", "--dry-run", "--generator", "latent", "--image-size",
            "16", "--class", "1", "--out", str(out)]
    assert main(args) == 0
    m = json.loads((out / "metrics.json").read_text())
    p = m["parameters"]["generator"]
    assert p["quantum"] == p["total"] == 128 and p["classical"] == 0 and p["frozen"] > 10_000
    r = m["per_class"]["1"]
    assert r["selected"]["iteration"] == r["selected"]["best_iteration"]
    assert r["selected_quality"]["iteration"] == r["selected"]["iteration"]
    assert r["fit_data"]["ae_epochs"] == 5 and r["fit_data"]["ae_loss"] > 0  # dry run: 5 epochs
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["adversarial"]["latent"]["select_best"] is True
    assert cfg["gan"]["latent"]["n_qubits"] == 4
    # --adversarial.loss=wgan-gp brings its optimizer settings along
    out2 = tmp_path / "wgan"
    assert main([*args[:-1], str(out2), "--adversarial.loss=wgan-gp"]) == 0
    adv = json.loads((out2 / "config.json").read_text())["adversarial"]["latent"]
    assert (adv["loss"], adv["betas"], adv["n_critic"]) == ("wgan-gp", [0.0, 0.9], 5)


def test_train_gan_and_generate_on_a_noisy_device(tmp_path):
    import numpy as np

    from qaug.cli import main

    spec = "shots=200,depolarizing=0.02"
    out = tmp_path / "noisy"
    assert main(["train-gan", "--dry-run", "--no-progress", "--classes", "0", "1", "--out", str(out),
                 f"--noise.generator={spec}"]) == 0
    import json

    assert json.loads((out / "config.json").read_text())["noise"]["generator"] == spec
    ideal, shot = tmp_path / "ideal.npz", tmp_path / "shot.npz"
    ckpt = str(out / "checkpoint.pt")
    assert main(["generate", "--checkpoint", ckpt, "--n", "4", "--out", str(ideal)]) == 0
    assert main(["generate", "--checkpoint", str(out / "checkpoint.pt"), "--n", "4", "--out", str(shot),
                 "--noise", spec]) == 0
    assert not np.array_equal(np.load(ideal)["x"], np.load(shot)["x"])


def test_generate_refuses_noise_for_classical_generators_and_bad_specs(tmp_path, capsys):
    from qaug.cli import main

    out = tmp_path / "gan"
    assert main(["train-gan", "--dry-run", "--no-progress", "--generator", "gan", "--classes", "0", "1",
                 "--out", str(out)]) == 0
    assert main(["generate", "--checkpoint", str(out / "checkpoint.pt"), "--n", "2", "--out",
                 str(tmp_path / "x.npz"), "--noise", "shots=10"]) == 2
    assert "applies to quantum generators" in capsys.readouterr().err
    assert main(["generate", "--checkpoint", str(out / "checkpoint.pt"), "--n", "2", "--out",
                 str(tmp_path / "y.npz"), "--noise", "shots=0"]) == 2
    assert "shots must be >= 1" in capsys.readouterr().err
