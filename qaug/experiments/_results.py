"""Read a sweep folder back: flat run records, failures, bank summaries; CSV and JSON export.

A folder without its ``runs/`` (a committed report keeps only ``results.json``, ``sweep.json``
and the figures) is read back from ``results.json``, so its report can be rebuilt with new
statistics without rerunning anything.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from qaug._config import config_from_dict
from qaug._io import read_json, write_json
from qaug.experiments._config import SweepConfig, run_key

__all__ = ["SweepResults", "load_results", "write_results_files", "run_records", "bank_digest"]


@dataclass
class SweepResults:
    """Everything the report needs from a sweep folder."""

    out_dir: Path
    sweep: SweepConfig
    meta: dict
    records: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)
    banks: dict[str, dict] = field(default_factory=dict)
    saved: dict = field(default_factory=dict)
    from_results_json: bool = False

    def settings(self) -> list[str]:
        """Setting names in sweep order."""
        return list(self.sweep.settings)

    def of_setting(self, setting: str) -> list[dict]:
        """Finished records of one setting."""
        return [r for r in self.records if r["setting"] == setting]


def run_records(setting: str, key: str, metrics: dict, wall_s: float | None = None) -> dict:
    """Flat record of one finished run (what tables and claims read)."""
    test, val = metrics["test"], metrics["val"]
    added = metrics["samples"]["added"]
    return {
        "setting": setting, "classifier": metrics["classifier"], "method": metrics["method"],
        "seed": metrics["seed"], "key": key, "test_accuracy": test["accuracy"],
        "val_accuracy": val["accuracy"], "collapsed": bool(test["collapsed"]),
        "per_class_accuracy": test["per_class_accuracy"],
        "val_per_class_accuracy": val["per_class_accuracy"],
        "n_added": int(sum(added.values())), "added": added,
        "classifier_parameters": metrics["classifier_parameters"],
        "generator": metrics.get("generator"), "customized": metrics.get("customized"),
        "seconds": metrics["timings"]["total_s"], "wall_s": wall_s,
    }


def load_results(out_dir: str | Path) -> SweepResults:
    """Load ``sweep.json``, every run record and failure, and the bank summaries.

    Raises:
        FileNotFoundError: ``out_dir`` holds no ``sweep.json`` (not a sweep folder).
    """
    out = Path(out_dir)
    marker = out / "sweep.json"
    if not marker.is_file():
        raise FileNotFoundError(
            f"{str(out)!r} holds no sweep.json; pass the --out folder of `qaug reproduce` or "
            "`qaug demo`.")
    meta = read_json(marker)
    if not (out / "runs").is_dir() and (out / "results.json").is_file():
        return _from_results_json(out)
    sweep = config_from_dict(SweepConfig, {**meta["config"], "seeds": meta["seeds"]})
    res = SweepResults(out, sweep, meta)
    for setting, cfg in sweep.expand():
        key = run_key(cfg)
        ident = {"setting": setting, "classifier": cfg.classifier.name,
                 "method": cfg.augment.method, "seed": cfg.seed, "key": key}
        ok, err = out / "runs" / f"{key}.json", out / "runs" / f"{key}.error.json"
        if ok.is_file():
            data = read_json(ok)
            res.records.append(run_records(setting, key, data["metrics"], data.get("wall_s")))
        elif err.is_file():
            data = read_json(err)
            res.failures.append({**ident, "error": data.get("error", "?"),
                                 "file": str(err.relative_to(out))})
        else:
            res.missing.append(ident)
    for summary in sorted((out / "cache" / "banks").glob("*/summary.json")):
        s = read_json(summary)
        res.banks[s["key"]] = s
    return res


def _from_results_json(out: Path) -> SweepResults:
    """Records, failures and missing runs as a previous report wrote them to results.json."""
    data = read_json(out / "results.json")
    meta = data["sweep"]
    sweep = config_from_dict(SweepConfig, {**meta["config"], "seeds": meta["seeds"]})
    saved = {k: v for k, v in data.items() if k not in ("sweep", "runs", "failures", "missing")}
    res = SweepResults(out, sweep, meta, records=data["runs"], failures=data["failures"],
                       missing=data["missing"], saved=saved, from_results_json=True)
    res.banks = dict(saved.get("banks") or {})
    return res


def bank_digest(summary: dict) -> dict:
    """What a report needs of a bank summary when rebuilt from results.json (no images)."""
    return {k: summary.get(k) for k in ("key", "kind", "seed", "iterations_to_target", "curves")}


_CSV_FIELDS = ("setting", "classifier", "method", "seed", "key", "test_accuracy", "val_accuracy",
               "collapsed", "n_added", "seconds")


def write_results_files(res: SweepResults, extra: dict | None = None) -> tuple[Path, Path]:
    """``results.csv`` (one row per run, per-class accuracies as columns) and ``results.json``."""
    classes = sorted({c for r in res.records for c in r["per_class_accuracy"]}, key=int)
    csv_path = res.out_dir / "results.csv"
    with csv_path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(_CSV_FIELDS) + [f"acc_class_{c}" for c in classes]
                   + ["generator_kind", "generator_params", "status", "error"])
        for r in res.records:
            g = r.get("generator") or {}
            w.writerow([r[k] for k in _CSV_FIELDS]
                       + [r["per_class_accuracy"].get(c) for c in classes]
                       + [g.get("kind", ""),
                          (g.get("parameter_counts") or {}).get("generator", {}).get("total", ""),
                          "ok", ""])
        for r in res.failures:
            w.writerow([r.get(k, "") for k in _CSV_FIELDS] + [""] * len(classes)
                       + ["", "", "error", r["error"]])
    keep = {k: v for k, v in res.saved.items() if k not in ("banks", *(extra or {}))}
    json_path = write_json(res.out_dir / "results.json", {
        "sweep": res.meta, "runs": res.records, "failures": res.failures,
        "missing": res.missing, **keep, **(extra or {}),
        "banks": {k: bank_digest(b) for k, b in sorted(res.banks.items())}})
    return csv_path, json_path
