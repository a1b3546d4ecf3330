"""Outputs of the generator benchmark: per-run CSV, mean +- std table (Markdown, CSV), sample grids."""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import numpy as np

from qaug._plotting import kinds_grid_figure
from qaug.train import PROTOCOL_METRICS

__all__ = ["aggregate", "write_bench_outputs", "bench_generators", "TABLE_COLUMNS"]

# (metric key, column title, digits) of the Markdown table.
TABLE_COLUMNS = (
    ("pixel_fd", "pixel FD", 2), ("mmd", "MMD", 4), ("fid", "FID", 2), ("kid", "KID", 3),
    ("precision", "precision", 2), ("recall", "recall", 2), ("ndb", "NDB", 1),
    ("jsd", "JSD", 3), ("accuracy", "ref. acc", 2), ("tstr_accuracy", "TSTR acc", 2),
    ("diversity_ratio", "div. ratio", 2), ("wall_s", "wall s", 0), ("peak_rss_mb", "peak MB", 0),
)


def _flat(rec: dict) -> dict:
    p = rec.get("params") or {}
    walls = list((rec.get("class_wall_s") or {}).values())
    row = {"size": rec["size"], "variant": rec["variant"], "seed": rec["seed"],
           "g_quantum": p.get("quantum"), "g_classical": p.get("classical"),
           "g_total": p.get("total"), "g_frozen": p.get("frozen"),
           "d_total": p.get("discriminator"),
           "wall_s": rec["wall_s"], "max_class_s": max(walls) if walls else None,
           "peak_rss_mb": rec["peak_rss_mb"]}
    row.update({m: rec["metrics"].get(m) for m in (*PROTOCOL_METRICS, "ndb")})
    return row


def aggregate(records: list[dict]) -> list[dict]:
    """One row per (size, variant): mean and std (ddof 1) over seeds of every column."""
    groups: dict[tuple, list[dict]] = {}
    for rec in records:
        groups.setdefault((rec["size"], rec["variant"]), []).append(_flat(rec))
    out = []
    for (size, variant), rows in groups.items():
        agg = {"size": size, "variant": variant, "n_seeds": len(rows)}
        for key in ("g_quantum", "g_classical", "g_total", "g_frozen", "d_total"):
            agg[key] = rows[0][key]
        for key in (*PROTOCOL_METRICS, "ndb", "wall_s", "max_class_s", "peak_rss_mb"):
            vals = [r[key] for r in rows if r[key] is not None]
            agg[f"{key}_mean"] = float(np.mean(vals)) if vals else None
            agg[f"{key}_std"] = float(np.std(vals, ddof=1)) if len(vals) > 1 else None
        out.append(agg)
    return out


def _cell(row: dict, key: str, digits: int) -> str:
    m, s = row.get(f"{key}_mean"), row.get(f"{key}_std")
    if m is None or not math.isfinite(m):
        return "-"
    return f"{m:.{digits}f}" + (f" ± {s:.{digits}f}" if s is not None else "")


def _params(row: dict) -> str:
    if row["g_total"] is None:
        return "-"
    frozen = f" + {row['g_frozen']} frozen" if row.get("g_frozen") else ""
    return f"{row['g_total']} ({row['g_quantum']} q){frozen} / {row['d_total']}"


def _write_csv(path: Path, rows: list[dict]) -> None:
    keys = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)


def _markdown(agg: list[dict], header: list[str]) -> str:
    lines = list(header)
    for size in sorted({r["size"] for r in agg}):
        rows = [r for r in agg if r["size"] == size]
        lines += ["", f"### {size}x{size}", "",
                  "| kind | G params (quantum) / D | " + " | ".join(t for _, t, _ in TABLE_COLUMNS)
                  + " |", "|---" * (len(TABLE_COLUMNS) + 2) + "|"]
        for r in rows:
            lines.append(f"| {r['variant']} | {_params(r)} | "
                         + " | ".join(_cell(r, k, d) for k, _, d in TABLE_COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def _figure(out: Path, size: int, names: list[str], seed: int) -> Path | None:
    grids = []
    for name in names:
        path = out / "runs" / f"{name}-{size}-s{seed}.npz"
        if path.is_file():
            grids.append((name, np.load(path)["samples"]))  # (k, n, H, W) uint8
    if not grids:
        return None
    n = grids[0][1].shape[1]
    return kinds_grid_figure(out / f"samples_{size}.png", grids,
                             f"{size}x{size}, seed {seed}: {n} samples per class")


def write_bench_outputs(records: list[dict], out: str | Path, header: list[str]) -> dict:
    """Write ``results.csv`` (per run), ``summary.csv``, ``report.md`` and ``samples_<size>.png``.

    Args:
        records: run records of :func:`qaug.experiments.run_bench`.
        out: the benchmark folder.
        header: Markdown lines put above the tables (command, settings, machine).

    Returns:
        ``{"report", "results", "summary", "figures"}`` paths.
    """
    out = Path(out)
    _write_csv(out / "results.csv", [_flat(r) for r in records])
    agg = aggregate(records)
    _write_csv(out / "summary.csv", agg)
    (out / "report.md").write_text(_markdown(agg, header))
    names = list(dict.fromkeys(r["variant"] for r in records))
    seed = min(r["seed"] for r in records)
    figures = [p for size in sorted({r["size"] for r in records})
               if (p := _figure(out, size, names, seed)) is not None]
    return {"report": out / "report.md", "results": out / "results.csv",
            "summary": out / "summary.csv", "figures": figures}


def bench_generators(cfg, out: str | Path, *, jobs: int = 1, progress: bool = True,
                     overwrite: bool = False, argv: list[str] | None = None,
                     report_only: bool = False) -> dict:
    """Run the generator benchmark ``cfg`` into ``out`` (resuming) and write all its outputs.

    A folder of an earlier benchmark resumes: finished runs with the same settings are
    skipped; a finished run with other settings stops it (nothing is overwritten).

    Args:
        cfg: a :class:`qaug.experiments.BenchConfig`.
        out: output folder (``config.json``, ``run.json``, ``runs/``, ``report.md``, CSVs,
            ``samples_<size>.png``).
        jobs: worker processes (one torch thread each).
        progress: tqdm bar over runs.
        overwrite: delete earlier runs in ``out`` first (``runs/*.json``, ``runs/*.npz``).
        argv: the command line to record (default ``sys.argv``).
        report_only: train nothing; rewrite the outputs from the runs finished in ``out``
            (``run.json`` is kept: it describes the run that trained them).

    Returns:
        The paths of :func:`write_bench_outputs` plus ``"records"`` (every run's record).
    """
    import time

    from qaug._config import config_to_dict
    from qaug._io import read_json, run_info, write_json
    from qaug.experiments._genbench import run_bench

    out = Path(out)
    if overwrite and (out / "runs").is_dir():
        for p in [*(out / "runs").glob("*.json"), *(out / "runs").glob("*.npz")]:
            p.unlink()
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    n_before = len(list((out / "runs").glob("*.json"))) if (out / "runs").is_dir() else 0
    records = run_bench(cfg, out, jobs=jobs, progress=progress, report_only=report_only)
    if not records:
        raise ValueError(f"no finished runs of these settings in {str(out)!r}; run without "
                         "--report-only first.")
    if report_only and (out / "run.json").is_file():
        info = read_json(out / "run.json")
        return {**_outputs(records, out, cfg, info, jobs), "records": records}
    write_json(out / "config.json", config_to_dict(cfg))
    wall = time.perf_counter() - start
    info = {**run_info(None, argv), "wall_s": wall, "jobs": jobs,
            "runs_total": len(records),
            "runs_wall_s_sum": float(sum(r["wall_s"] for r in records))}
    earlier = read_json(out / "run.json").get("invocations", []) if (out / "run.json").is_file() \
        else []
    info["invocations"] = earlier + [{
        "finished_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "wall_s": round(wall, 1),
        "jobs": jobs, "runs_done": len(records) - n_before, "load_avg_1min_at_end":
        round(os.getloadavg()[0], 1)}]
    write_json(out / "run.json", info)
    return {**_outputs(records, out, cfg, info, jobs), "records": records}


def _outputs(records: list[dict], out: Path, cfg, info: dict, jobs: int) -> dict:
    args = list(info.get("argv") or [])
    if args and Path(args[0]).name in ("qaug", "cli.py", "__main__.py"):
        args[0] = "qaug"  # python -m qaug.cli ... is the qaug command
    cmd = " ".join(args)
    header = [
        "# Generator benchmark", "",
        f"Command: `{cmd}`", "",
        f"Variants: {', '.join(cfg.selected)} (+ `real`: generator-training images scored as "
        f"if generated). Sizes {list(cfg.sizes)}, seeds {list(cfg.seeds)}, MNIST digits "
        f"{list(cfg.classes)}, one generator per class; iterations per class: "
        f"{cfg.iterations or 'each kind default'}; `upconv` matches the trainable count of "
        f"`{cfg.match}` within 10%.", "",
        f"Protocol (`qaug.train.SampleProtocol`): per class {cfg.n_train} training images, "
        f"{cfg.n_reference} reference images (train the feature CNN and reference classifier), "
        f"{cfg.n_heldout} held-out images (every metric compares {cfg.n_samples} generated "
        f"images per class with them; all three disjoint). Values: mean ± std over seeds; "
        f"metrics are class means except NDB/JSD ({cfg.n_bins} bins) and TSTR (all classes). "
        "Lower is better for pixel FD, MMD, FID, KID, NDB, JSD.", "",
        f"Wall time {info['wall_s']:.0f} s for the runs done by the last invocation, with "
        f"{info.get('jobs', jobs)} job(s) "
        f"(sum of run wall times {info['runs_wall_s_sum']:.0f} s); `wall s` includes scoring, "
        "`peak MB` is the worker's resident memory during the run.",
    ]
    if len(info.get("invocations", [])) > 1:  # the runs came from several invocations
        header += ["", "Invocations that trained these runs (a resumed benchmark): " + "; ".join(
            f"{v['finished_utc']} UTC: {v['runs_done']} runs in {v['wall_s']:.0f} s with "
            f"{v['jobs']} job(s), load average {v['load_avg_1min_at_end']}"
            + (f" ({v['note']})" if v.get("note") else "") for v in info["invocations"])
            + ". Wall times of runs from different invocations are comparable only when their "
              "loads were."]
    if len(records) < len(cfg.sizes) * len(cfg.seeds) * (len(cfg.selected) + 1):
        header += ["", f"Only {len(records)} of the grid's "
                   f"{len(cfg.sizes) * len(cfg.seeds) * (len(cfg.selected) + 1)} runs had "
                   "finished when this report was written (`n_seeds` per row in summary.csv)."]
    return write_bench_outputs(records, out, header)
