"""bench-generators end to end (dry run), resume, refusal of changed settings, bad input."""

import json

import pytest

from qaug.cli import main
from qaug.experiments import BenchConfig, bench_variants, gan_config_for
from qaug.models import build_gan, count_parameters


def test_variants_cover_registry_and_dcgan_widths():
    names = bench_variants()
    assert {"qgan", "gan", "upconv", "dcgan_w1", "dcgan_w4", "dcgan_w8"} <= set(names)
    assert "dcgan" not in names


@pytest.mark.parametrize("size", [8, 16, 28])
def test_upconv_matches_qgan_count(size):
    q, _ = build_gan("qgan", size, gan_config_for("qgan", size))
    u, _ = build_gan("upconv", size, gan_config_for("upconv", size))
    nq, nu = count_parameters(q)["total"], count_parameters(u)["total"]
    assert abs(nu - nq) <= 0.1 * nq


def test_bad_config():
    with pytest.raises(ValueError, match="unknown generator variants"):
        BenchConfig(variants=("dcgan",))
    with pytest.raises(ValueError, match="<= 500"):
        BenchConfig(n_train=400)


def test_dry_run_end_to_end_and_resume(tmp_path, capsys):
    out = tmp_path / "bench"
    argv = ["bench-generators", "--dry-run", "--kinds", "qgan", "upconv", "dcgan_w1",
            "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    runs = sorted(p.name for p in (out / "runs").glob("*.json"))
    assert runs == ["dcgan_w1-8-s0.json", "qgan-8-s0.json", "real-8-s0.json", "upconv-8-s0.json"]
    rec = json.loads((out / "runs" / "qgan-8-s0.json").read_text())
    m = rec["metrics"]
    for key in ("pixel_fd", "mmd", "fid", "kid", "precision", "recall", "ndb", "jsd",
                "accuracy", "tstr_accuracy", "diversity_ratio"):
        assert key in m, key
    assert rec["params"]["quantum"] == 120 and rec["wall_s"] > 0 and rec["peak_rss_mb"] > 10
    report = (out / "report.md").read_text()
    assert "| qgan | 124 (120 q)" in report and "| real |" in report
    assert (out / "samples_8.png").stat().st_size > 1000
    header = (out / "results.csv").read_text().splitlines()[0]
    assert "tstr_accuracy" in header and "peak_rss_mb" in header
    # Rerun: everything finished is skipped (files untouched).
    mtime = (out / "runs" / "qgan-8-s0.json").stat().st_mtime_ns
    assert main(argv) == 0
    assert (out / "runs" / "qgan-8-s0.json").stat().st_mtime_ns == mtime
    # --report-only rewrites the outputs from finished runs and trains nothing.
    (out / "report.md").unlink()
    assert main([*argv, "--kinds", "qgan", "upconv", "dcgan_w1", "gan", "--report-only"]) == 0
    assert "| qgan |" in (out / "report.md").read_text()
    assert not (out / "runs" / "gan-8-s0.json").exists()
    assert main([*argv[:-3], "--out", str(tmp_path / "empty"), "--report-only"]) == 2
    # Other settings into the same folder: refused, nothing overwritten.
    capsys.readouterr()
    assert main([*argv, "--iterations", "4"]) == 2
    assert "other settings" in capsys.readouterr().err
    assert (out / "runs" / "qgan-8-s0.json").stat().st_mtime_ns == mtime
