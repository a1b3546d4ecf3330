import json

from qaug.experiments import load_results, load_sweep_config, reproduce, write_report


def fake_metrics(cfg, cache_dir=None):
    """Shaped like run_experiment's output; traditional on seed 1 fails."""
    m, s = cfg.augment.method, cfg.seed
    if m == "traditional" and s == 1:
        raise RuntimeError("diverged")
    acc = 0.90 + 0.01 * s + (0.03 if m == "traditional" else 0.0)
    per = {"0": 0.99, "1": 0.97, "2": acc - 0.1}
    ev = {"accuracy": acc, "per_class_accuracy": per, "confusion": [[1]], "collapsed": s == 2}
    return {"method": m, "classifier": cfg.classifier.name, "seed": s, "classes": [0, 1, 2],
            "test": ev, "val": ev, "train": {}, "samples": {"added": {"0": 1, "1": 1, "2": 1}},
            "classifier_parameters": {"quantum": 16, "classical": 100, "total": 116},
            "generator": None, "customized": None, "timings": {"total_s": 0.5}}


def test_report_from_fake_sweep(tmp_path):
    sweep = load_sweep_config("demo", methods=["none", "traditional"], classifiers=["cnn"],
                              seeds=[0, 1, 2, 3])
    summary, report = reproduce(sweep, tmp_path / "s", run_fn=fake_metrics, progress=False)
    assert summary.n_done == 7 and len(summary.failed) == 1
    text = report.read_text()
    assert "## Failed and missing runs" in text and "RuntimeError: diverged" in text
    assert "| cnn | none | 4 | 91.5 |" in text  # mean of 90, 91, 92, 93 %
    assert "| cnn | traditional | 3 |" in text and "1/4" in text  # one collapse among none runs
    res = load_results(tmp_path / "s")
    assert len(res.records) == 7 and res.failures[0]["seed"] == 1
    data = json.loads((tmp_path / "s" / "results.json").read_text())
    claims = {c["id"]: c for c in data["claims"]["class2_10"]}
    assert claims["qgan_vs_none"]["verdict"] == "not tested"
    csv = (tmp_path / "s" / "results.csv").read_text().splitlines()
    assert len(csv) == 1 + 8 and csv[-1].endswith("RuntimeError: diverged")
    assert write_report(tmp_path / "s") == report  # rebuilds from the files alone
    meta = json.loads((tmp_path / "s" / "sweep.json").read_text())
    kernels = meta["last_run"]["cpu_kernels"]  # which CPU kernels made these numbers
    assert f"- CPU kernels: torch {kernels['torch_cpu_capability']}, oneDNN " in text


def test_target_sensitivity_needs_every_condition():
    from qaug.experiments._tables import target_sensitivity_table

    def bank(kind, fid, div):
        its = [0, 50, 100]
        curve = {"iteration": its, "fid": fid, "kid": [9.0, 9.0, 9.0],
                 "accuracy": [0.5, 0.95, 0.95], "diversity_ratio": div}
        return {"kind": kind, "curves": {"0": curve, "1": curve},
                "iterations_to_target": {"budget": 100}}

    rows = target_sensitivity_table([
        bank("gan", [30.0, 10.0, 10.0], [0.3, 0.3, 0.3]),  # good FID early, collapsed
        bank("qgan", [30.0, 25.0, 15.0], [0.9, 0.9, 0.9]),
    ])
    cell = {(r["kind"], r["target"]): r for r in rows}
    assert cell[("gan", "FID <= 20")]["mean"] == 50
    assert cell[("qgan", "FID <= 20")]["mean"] == 100
    assert cell[("gan", "FID <= 20 and diversity >= 0.7")]["reached"] == 0
    assert cell[("qgan", "FID <= 20 and diversity >= 0.7")]["mean"] == 100
    assert cell[("gan", "KID <= 5")]["mean"] is None
    assert cell[("gan", "ref. accuracy >= 90%")]["mean"] == 50


def test_report_rebuilds_from_results_json_alone(tmp_path):
    import shutil

    sweep = load_sweep_config("demo", methods=["none", "traditional"], classifiers=["cnn"],
                              seeds=[0, 2, 3])
    reproduce(sweep, tmp_path / "s", run_fn=fake_metrics, progress=False)
    shutil.rmtree(tmp_path / "s" / "runs")  # what a committed report keeps
    text = write_report(tmp_path / "s", p_adjust="bonferroni").read_text()
    assert "rebuilt from results.json" in text and "| cnn | none | 3 |" in text
    assert text.index("## Summary") < text.index("## Sweep")
    assert "Pre-registration" in text and "2026-11-25" in text  # the preset's history
    res = json.loads((tmp_path / "s" / "results.json").read_text())
    assert res["statistics"]["p_adjust"] == "bonferroni" and len(res["runs"]) == 6
    row = next(r for r in res["comparisons"]["class2_10"] if r["a"] == "traditional")
    assert row["p_adjust"] == "bh" and "p adj" in text and "adjusted by bonferroni" in text


def test_history_is_shown_but_not_hashed():
    a = load_sweep_config("demo")
    import dataclasses
    b = dataclasses.replace(a, history="reworded")
    assert a.history and a.identity()["sweep_hash"] == b.identity()["sweep_hash"]


def test_learning_curve_and_generator_size_tables():
    from qaug.experiments._tables import curve_sizes, generator_sizes_table, learning_curve_table

    curves = load_sweep_config("curves")
    sizes = curve_sizes(curves.settings)
    assert sizes == {"n5": 5, "n10": 10, "n20": 20, "n50": 50, "n100": 100}
    assert curve_sizes(load_sweep_config("imbalanced").settings) == {}
    recs = {s: [{"classifier": "cnn", "method": "none", "seed": k, "test_accuracy": 0.5 + n / 200}
                for k in range(3)] for s, n in sizes.items()}
    rows = learning_curve_table(recs, sizes, ["none"], ["cnn"])
    assert list(rows[0]["cells"]) == [5, 10, 20, 50, 100]
    assert rows[0]["cells"][100]["mean"] == 1.0 and rows[0]["cells"][5]["n"] == 3
    t = {(r["kind"], r["width"]): r for r in generator_sizes_table(curves.base, 8)}
    assert t[("qgan", None)]["generator"] == 124 and t[("dcgan", 1)]["generator"] == 247
    assert t[("dcgan", 8)]["total"] > t[("qgan", None)]["total"] > t[("dcgan", 4)]["total"]
