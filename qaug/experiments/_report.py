"""``report.md`` (with figures, ``results.csv`` and ``results.json``) from a sweep folder.

Everything is recomputed from the run files (or, for a committed report without its
``runs/``, from ``results.json``), so ``qaug report DIR`` rebuilds the report of a finished,
partial or resumed sweep at any time, with the current statistics.
"""

from __future__ import annotations

from pathlib import Path

from qaug import _plotting as figs
from qaug.experiments._claims import RULES, evaluate_report
from qaug.experiments._format import md_table, num, pct
from qaug.experiments._report_setting import setting_section
from qaug.experiments._results import SweepResults, load_results, write_results_files
from qaug.experiments._stats import P_ADJUST_METHODS
from qaug.experiments._summary import summary_lines
from qaug.experiments._tables import curve_sizes, generator_sizes_table, learning_curve_table

__all__ = ["write_report", "is_dry_run"]

DRY_RUN_BANNER = (
    "> **DRY RUN.** This sweep ran with `--dry-run` budgets (or budgets as small: 1 training "
    "epoch or at most 2 generator iterations) to check the pipeline. Its numbers mean nothing "
    "and no verdicts are given.")


def _command_line(argv) -> str:
    """The sweep's command line as typed (program name shortened to ``qaug``)."""
    if not argv:
        return "unknown"
    short = argv[0].endswith(("qaug", "qaug/cli.py", "qaug/__main__.py"))
    return " ".join(["qaug", *argv[1:]]) if short else " ".join(argv)


def is_dry_run(meta: dict, sweep=None) -> bool:
    """True for a ``--dry-run`` sweep: its command line says so, or its budgets are that small.

    The budgets test (one training epoch, or generators trained for at most 2 iterations)
    also catches a dry run started from Python, where the command line is another program's.
    """
    argv = (meta.get("last_run") or {}).get("argv") or []
    if bool(meta.get("dry_run")) or "--dry-run" in argv:
        return True
    if sweep is None:
        return False
    base = sweep.base
    iters = [getattr(base.adversarial, k).iterations for k in ("qgan", "gan", "dcgan")]
    return base.train.epochs <= 1 or min(iters) <= 2


def _split_sizes(res: SweepResults, setting: str) -> dict | None:
    """Images per class in train / val / test of one setting (first seed; sizes are seed-free)."""
    from qaug.data import load_dataset_from_config
    from qaug.experiments._config import merge_overrides

    try:
        cfg = merge_overrides(res.sweep.base, res.sweep.settings[setting])
        data = load_dataset_from_config(cfg.data, res.sweep.seeds[0])
    except Exception:  # noqa: BLE001 - a report must not fail on a dataset it cannot load
        return None
    out = {}
    for name in ("train", "val", "test"):
        y = getattr(data, name).y.tolist()
        out[name] = {str(c): y.count(i) for i, c in enumerate(data.classes)}
    return out


def _preregistration(res: SweepResults) -> list[str]:
    from qaug.experiments._config import load_sweep_config, preset_names

    sweep = res.sweep
    history = sweep.history.strip()
    source = "its sweep config"
    if sweep.name in preset_names():
        source = f"the preset file `qaug/experiments/presets/{sweep.name}.toml`"
        if not history:  # an older sweep.json: the history lives in the preset file
            history = load_sweep_config(sweep.name).history.strip()
    return [f"- Pre-registration: settings {list(sweep.settings)}, classifiers "
            f"{list(sweep.classifiers)}, methods {list(sweep.methods)} and seeds "
            f"{list(sweep.seeds)} are fixed in {source} before the sweep runs. History: "
            + (" ".join(history.split()) if history else "none recorded.")]


def _sizes_section(res: SweepResults) -> list[str]:
    base = res.sweep.base
    kinds = {r["generator"]["kind"] for r in res.records if r.get("generator")}
    if not kinds:
        return []
    rows = generator_sizes_table(base, base.data.image_size)
    lines = ["## Generator sizes", "",
             "Trainable parameters of one generator (G) and its discriminator (D), built from "
             "this sweep's configs; the DCGAN at widths 1, 4 and 8, and `upconv (matched)`, the "
             "classical conv generator sized to the QGAN generator's parameter count (method "
             "`upconv`). A fair size compares G + D: the QGAN's small generator trains against a "
             "large MLP discriminator. *used*: the networks this sweep trained.", ""]
    lines += md_table(["kind", "DCGAN width", "G", "D", "G + D", "used"],
                      [[r["kind"], r["width"] or "–", r["generator"], r["discriminator"],
                        r["total"], "yes" if r["configured"] and r["kind"] in kinds else ""]
                       for r in rows])
    return lines


def _curves_section(res: SweepResults, fig_dir: Path) -> list[str]:
    sizes = curve_sizes(res.sweep.settings)
    if not sizes:
        return []
    rows = learning_curve_table({s: res.of_setting(s) for s in res.settings()}, sizes,
                                res.sweep.methods, res.sweep.classifiers)
    if not rows:
        return []
    ns = sorted(set(sizes.values()))
    lines = ["## Learning curves", "",
             "Test accuracy (%) against real training images per class: mean over seeds and its "
             "95% t-interval [low, high] (n seeds in parentheses).", ""]
    lines += md_table(["classifier", "method", *[f"{n}/class" for n in ns]],
                      [[r["classifier"], r["method"], *[
                          (f"{pct(c['mean'])} [{pct(c['ci_low'])}, {pct(c['ci_high'])}] "
                           f"({c['n']})") if (c := r["cells"].get(n)) else "–" for n in ns]]
                       for r in rows])
    f = figs.learning_curve_figure(rows, fig_dir / "learning_curves.png",
                                   f"learning curves ({res.sweep.name})")
    return lines + [f"![learning curves](figures/{f.name})", ""]


def _cpu_kernels_line(kernels: dict | None) -> list[str]:
    """The report's line on torch's CPU kernels (none for sweeps run before it was recorded)."""
    if not kernels:
        return []
    return [f"- CPU kernels: torch {kernels.get('torch_cpu_capability')}, oneDNN "
            f"{kernels.get('onednn_max_cpu_isa')} (`ONEDNN_MAX_CPU_ISA`); float32 convolutions "
            f"round differently on other kernels, so a rerun elsewhere can move a few runs "
            f"(see `qaug._io.cpu_kernels`)."]


def write_report(out_dir: str | Path, *, p_adjust: str = "holm",
                 comparisons_adjust: str = "bh") -> Path:
    """Write ``report.md``, ``figures/*.png``, ``results.csv`` and ``results.json`` in ``out_dir``.

    Args:
        out_dir: a sweep folder (``qaug reproduce --out``), or a committed report folder
            holding ``results.json`` and ``sweep.json``.
        p_adjust: multiplicity adjustment of the claims family (one per report).
        comparisons_adjust: adjustment of the paired-comparison family.

    Returns:
        The path of ``report.md``.
    """
    for name, v in (("p_adjust", p_adjust), ("comparisons_adjust", comparisons_adjust)):
        if v not in P_ADJUST_METHODS:
            raise ValueError(f"{name} must be one of {list(P_ADJUST_METHODS)}; got {v!r}.")
    res = load_results(out_dir)
    out = res.out_dir
    fig_dir = out / "figures"
    fig_dir.mkdir(exist_ok=True)
    sweep, meta = res.sweep, res.meta
    dry = is_dry_run(meta, sweep)
    last = meta.get("last_run") or {}
    n_total = len(res.records) + len(res.failures) + len(res.missing)
    compute = sum(r["seconds"] for r in res.records)
    by_setting = {s: res.of_setting(s) for s in res.settings()}
    claims, comps = evaluate_report(by_setting, p_adjust=p_adjust,
                                    comparisons_adjust=comparisons_adjust,
                                    classifiers=sweep.classifiers)
    lines = [f"# qaug report: `{sweep.name}`", ""] + ([DRY_RUN_BANNER, ""] if dry else [])
    lines += summary_lines(claims, comps, p_adjust=p_adjust,
                           comparisons_adjust=comparisons_adjust, dry_run=dry)
    lines += ["## Sweep", "", sweep.description.strip(), ""]
    lines += _preregistration(res)
    lines += [f"- Sweep config hash `{meta['sweep_hash']}`; seeds {list(sweep.seeds)}; settings "
              f"{list(sweep.settings)}; classifiers {list(sweep.classifiers)}; methods "
              f"{list(sweep.methods)}.",
              f"- Runs: {len(res.records)} finished, {len(res.failures)} failed, "
              f"{len(res.missing)} missing, of {n_total}.",
              f"- Wall time of the last sweep invocation (before this report): "
              f"{num(last.get('wall_s'), 4)} s with "
              f"{last.get('jobs', '?')} job(s); peak memory (max RSS of the main process and "
              f"of its worker processes, resource.getrusage): {num(last.get('peak_rss_mb'), 4)} "
              f"MB; runs executed then: {last.get('n_done', '?')} "
              f"(cached: {last.get('n_cached', '?')}).",
              f"- Sum of per-run compute time over all finished runs: {compute:.0f} s.",
              f"- Command: `{_command_line(last.get('argv'))}`.",
              f"- Code: git `{last.get('git_commit')}`; versions {last.get('versions', {})}.",
              *_cpu_kernels_line(last.get("cpu_kernels")),
              *[f"- Earlier invocation merged into these results (methods {e.get('methods')}): "
                f"`{_command_line(e.get('argv'))}` at git `{e.get('git_commit')}`, "
                f"{e.get('n_done', '?')} runs in {num(e.get('wall_s'), 4)} s. "
                f"{e.get('note', '')}".rstrip()
                for e in meta.get("earlier_runs") or []],
              "- Report rebuilt from results.json (the run files are not kept with committed "
              "reports); the statistics are those of the current code." if res.from_results_json
              else "- Report written from the run files.",
              "- Accuracies are in % of test images; differences in percentage points (pp); "
              "reference accuracy of generators in %.", ""]
    lines += _curves_section(res, fig_dir)
    lines += _sizes_section(res)
    for setting in res.settings():
        lines += setting_section(res, setting, claims[setting], comps[setting], fig_dir,
                                 _split_sizes(res, setting), dry)
    lines += ["## How verdicts are computed", "", RULES, "",
              "The comparisons pair runs by seed: runs of one seed share the data split, the "
              "generator banks, the classifier's initial weights and the batch order.", ""]
    if res.failures or res.missing:
        lines += ["## Failed and missing runs", ""]
        lines += md_table(["setting", "classifier", "method", "seed", "status", "detail"],
                          [[f["setting"], f["classifier"], f["method"], f["seed"], "failed",
                            f"{f['error']} (`{f['file']}`)"] for f in res.failures]
                          + [[m["setting"], m["classifier"], m["method"], m["seed"], "missing",
                              "not run yet (rerun the command to resume)"] for m in res.missing])
    extra = {"claims": {} if dry else claims, "comparisons": comps,
             "statistics": {"p_adjust": p_adjust, "comparisons_adjust": comparisons_adjust,
                            "dry_run": dry}}
    write_results_files(res, extra)
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


