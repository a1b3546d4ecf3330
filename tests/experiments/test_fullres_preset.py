"""The fullres preset: loads with the issue's grid, its generators are parameter-matched, dry-runs."""

from qaug.cli import main
from qaug.experiments import load_sweep_config
from qaug.models import build_gan, count_parameters


def test_fullres_grid():
    s = load_sweep_config("fullres")
    assert set(s.classifiers) == {"hqcnn", "cnn"} and len(s.seeds) >= 6
    assert set(s.methods) == {"none", "traditional", "qgan", "upconv", "latent", "latent_mlp",
                              "dcgan"}
    sizes = {st: cfg.data.image_size for st, cfg in s.expand()}
    assert set(sizes.values()) == {16, 28}
    for setting, cfg in dict(s.expand()).items():
        assert cfg.data.classes == (0, 1, 2)
        counts = {c: cfg.data.n_train_per_class for c in (0, 1, 2)} | cfg.data.train_counts
        assert set(counts.values()) in ({10}, {30}, {30, 5}), setting
        size = cfg.data.image_size
        nq = count_parameters(build_gan("qgan", size, cfg.gan.qgan)[0])["total"]
        nu = count_parameters(build_gan("upconv", size, cfg.gan.upconv)[0])["total"]
        assert abs(nu - nq) <= 0.1 * nq, setting  # parameter-matched within 10%
        nl = count_parameters(build_gan("latent", size, cfg.gan.latent)[0])["total"]
        nm = count_parameters(build_gan("latent_mlp", size, cfg.gan.latent_mlp)[0])["total"]
        assert abs(nm - nl) <= 0.1 * nl, setting


def test_fullres_dry_run(tmp_path, capsys):
    out = tmp_path / "fullres"
    argv = ["reproduce", "--preset", "fullres", "--dry-run", "--seeds", "0", "--no-progress",
            "--classifiers", "cnn", "--methods", "none", "upconv", "--out", str(out)]
    assert main(argv) == 0
    assert "12 run(s) now" in capsys.readouterr().out
    assert len(list((out / "runs").glob("*.json"))) >= 12
    report = (out / "report.md").read_text()
    assert "upconv" in report and "s28_class2_5" in report
