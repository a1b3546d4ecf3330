"""``report.md`` (with figures, ``results.csv`` and ``results.json``) from a sweep folder.

Everything is recomputed from the run files, so ``qaug report DIR`` rebuilds the report of a
finished, partial or resumed sweep at any time.
"""

from __future__ import annotations

import math
from pathlib import Path

from qaug import _plotting as figs
from qaug.experiments._claims import RULES, evaluate_claims
from qaug.experiments._results import SweepResults, load_results, write_results_files
from qaug.experiments._tables import (
    accuracy_table,
    comparison_table,
    customized_table,
    generator_table,
    per_class_table,
    target_sensitivity_table,
)

__all__ = ["write_report"]



def _command_line(argv) -> str:
    """The sweep's command line as typed (program name shortened to ``qaug``)."""
    if not argv:
        return "unknown"
    return " ".join(["qaug", *argv[1:]]) if argv[0].endswith("qaug") else " ".join(argv)

def _pct(x, digits=1) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{100 * x:.{digits}f}"


def _pp(x) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{100 * x:+.2f}"


def _num(x, digits=3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:.{digits}g}" if isinstance(x, float) else str(x)


def _p(x) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return "<0.001" if x < 0.001 else f"{x:.3f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out + [""]


def _evidence(claim: dict) -> str:
    ev = claim.get("evidence") or {}
    parts = []
    if claim["id"] == "qgan_fewer_iterations" and ev:
        parts.append(f"mean reduction {_pct(ev.get('mean_reduction'))}% (n={ev.get('n')}, "
                     f"p(log iters)={_p(ev.get('p_log_iters'))}; gan reached target on "
                     f"{ev.get('b_reached')}/{ev.get('n')} seeds; target {ev.get('metric')} "
                     f"{'<=' if ev.get('metric') in ('fid', 'kid') else '>='} {ev.get('target')}; "
                     f"final diversity ratio qgan {_num(ev.get('qgan_diversity'), 2)}, gan "
                     f"{_num(ev.get('gan_diversity'), 2)}: near 0 means mode collapse)")
    if claim["id"] == "qgan_matches_dcgan" and ev:
        parts.append(f"G params {_num(ev.get('qgan_generator_params'))} vs "
                     f"{_num(ev.get('dcgan_generator_params'))} (ratio "
                     f"{_num(ev.get('param_ratio'), 2)})")
    for row in claim["per_classifier"]:
        weak = f" class {row['weakest_class']}" if row.get("weakest_class") else ""
        parts.append(f"{row['classifier']}{weak}: {_pp(row['mean_diff'])} pp "
                     f"[{_pp(row['ci_low'])}, {_pp(row['ci_high'])}], p={_p(row['p_t'])}, "
                     f"n={row['n']} → {row['verdict']}")
    return "<br>".join(parts) if parts else "needed runs absent"


def _setting_section(res: SweepResults, setting: str, fig_dir: Path) -> list[str]:
    records = res.of_setting(setting)
    sweep = res.sweep
    lines = [f"## Setting `{setting}`", ""]
    table = sweep.settings[setting]
    lines += [f"Overrides of the base config: `{table}`" if table else "Base config, no overrides.",
              ""]
    if not records:
        return lines + ["No finished runs in this setting yet.", ""]
    slug = "".join(ch if ch.isalnum() else "_" for ch in setting)

    claims = evaluate_claims(records)
    lines += ["### Claims", ""]
    lines += _table(["claim", "comparison", "evidence", "verdict"], [
        [c["claim"], c["comparison"], _evidence(c), f"**{c['verdict']}**"] for c in claims])

    acc = accuracy_table(records, sweep.methods, sweep.classifiers)
    lines += ["### Test accuracy (%) over seeds", ""]
    lines += _table(
        ["classifier", "method", "n", "mean", "std", "95% CI (t)", "median", "collapsed",
         "val mean", "added/run", "s/run"],
        [[r["classifier"], r["method"], r["n"], _pct(r["mean"]), _pct(r["std"], 2),
          f"[{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]", _pct(r["median"]),
          f"{r['collapsed']}/{r['n']}", _pct(r["val_mean"]), f"{r['added']:.0f}",
          f"{r['seconds']:.1f}"] for r in acc])

    classes, pc = per_class_table(records, sweep.methods, sweep.classifiers)
    lines += ["### Per-class test accuracy (%), mean ± std over seeds", "",
              "**Bold**: the weakest class of the row. The weakest class of each classifier's "
              "baseline (lowest mean validation accuracy without augmentation) is the one the "
              "customized claims track.", ""]
    lines += _table(["classifier", "method"] + [f"class {c}" for c in classes] + [
        "baseline weakest"],
        [[r["classifier"], r["method"]] + [
            (f"**{_pct(r['cells'][c]['mean'])} ± {_pct(r['cells'][c]['std'])}**"
             if c == r["weakest"] else
             f"{_pct(r['cells'][c]['mean'])} ± {_pct(r['cells'][c]['std'])}") for c in classes]
         + [r["baseline_weakest"] or "–"] for r in pc])

    gens = generator_table(records)
    if gens:
        lines += ["### Generators", "",
                  "Trainable parameters of one generator / discriminator (one pair per class). "
                  "Iterations: first logged iteration where the class-mean quality reaches the "
                  "target (the budget if never reached). Quality: last logged record, class "
                  "mean, averaged over seeds.", ""]
        lines += _table(
            ["kind", "G quantum/classical/total", "D quantum/classical/total",
             "iterations to target",
             "reached", "FID", "KID", "ref. accuracy", "diversity ratio", "train s"],
            [[g["kind"], "/".join(str(g["generator"][k]) for k in ("quantum", "classical",
                                                                   "total")),
              "/".join(str(g["discriminator"][k]) for k in ("quantum", "classical", "total")),
              f"{_num(g['iterations']['mean'])} ± {_num(g['iterations']['std'])} "
              f"({g['metric']} {'<=' if g['metric'] in ('fid', 'kid') else '>='} {g['target']})",
              f"{g['reached']}/{g['n_seeds']}", _num(g["fid"]["mean"]), _num(g["kid"]["mean"]),
              _pct(g["accuracy"]["mean"]), _num(g["diversity_ratio"]["mean"]),
              _num(g["seconds"]["mean"])] for g in gens])

    keys = {r["generator"]["key"] for r in records if r.get("generator")}
    banks = [res.banks[k] for k in sorted(keys) if k in res.banks]
    sens = target_sensitivity_table(banks)
    if sens:
        budgets = sorted({b["iterations_to_target"]["budget"] for b in banks})
        lines += ["#### Iterations to other quality targets", "",
                  "The iterations claim depends on what counts as trained enough. Mean first "
                  "iteration at which the class-mean curve meets each target, over the seeds that "
                  f"reached it within the budget ({'/'.join(map(str, budgets))} iterations). "
                  "The verdict uses the configured target only; this table shows how much it "
                  "hangs on that choice.", ""]
        kinds = sorted({r["kind"] for r in sens})
        targets = list(dict.fromkeys(r["target"] for r in sens))
        cell = {(r["kind"], r["target"]): r for r in sens}
        lines += _table(["target", *kinds],
                        [[t, *[f"{_num(cell[(k, t)]['mean'])} ({cell[(k, t)]['reached']}/"
                               f"{cell[(k, t)]['n']})" for k in kinds]] for t in targets])

    comp = comparison_table(records, sweep.classifiers)
    if comp:
        lines += ["### Paired comparisons over seeds (A − B, percentage points)", "",
                  "d_z: mean difference / sd of differences. p (t): paired t-test, two-sided. "
                  "Wilcoxon signed-rank only with >= 6 non-zero differences.", ""]
        lines += _table(["classifier", "A − B", "metric", "n", "mean diff", "95% CI", "d_z",
                         "p (t)", "p (Wilcoxon)"],
                        [[r["classifier"], f"{r['a']} − {r['b']}", r["metric"], r["n"],
                          _pp(r["mean_diff"]), f"[{_pp(r['ci_low'])}, {_pp(r['ci_high'])}]",
                          _num(r["d_z"], 2), _p(r["p_t"]), _p(r["p_wilcoxon"])] for r in comp])

    cust = customized_table(records)
    if cust:
        lines += ["### Customized strategy (mean per run)", ""]
        lines += _table(["classifier", "method", "class", "allocated", "kept", "shortfall",
                         "threshold", "acceptance"],
                        [[r["classifier"], r["method"], r["class"], _num(r.get("allocated")),
                          _num(r.get("kept")), _num(r.get("shortfall")),
                          _num(r.get("threshold"), 2), _pct(r.get("acceptance_rate"))]
                         for r in cust])

    lines += ["### Figures", ""]
    f = figs.accuracy_figure(acc, fig_dir / f"accuracy_{slug}.png", f"test accuracy ({setting})")
    lines.append(f"![test accuracy](figures/{f.name})")
    f = figs.per_class_figure(classes, pc, fig_dir / f"per_class_{slug}.png", setting)
    lines.append(f"![per-class accuracy](figures/{f.name})")
    if banks:
        first_seed = min(b["seed"] for b in banks)
        for b in sorted((b for b in banks if b["seed"] == first_seed), key=lambda b: b["kind"]):
            f = figs.samples_figure(b, fig_dir / f"samples_{slug}_{b['kind']}.png")
            lines.append(f"![{b['kind']} samples](figures/{f.name})")
        it = banks[0]["iterations_to_target"]
        f = figs.curves_figure(banks, fig_dir / f"curves_{slug}.png", it["metric"], it["target"])
        lines.append(f"![generator training curves](figures/{f.name})")
    return lines + [""]


def write_report(out_dir: str | Path) -> Path:
    """Write ``report.md``, ``figures/*.png``, ``results.csv`` and ``results.json`` in ``out_dir``.

    Returns:
        The path of ``report.md``.
    """
    res = load_results(out_dir)
    out = res.out_dir
    fig_dir = out / "figures"
    fig_dir.mkdir(exist_ok=True)
    sweep, meta = res.sweep, res.meta
    last = meta.get("last_run") or {}
    n_total = len(res.records) + len(res.failures) + len(res.missing)
    compute = sum(r["seconds"] for r in res.records)
    lines = [f"# qaug report: `{sweep.name}`", "", sweep.description.strip(), "",
             f"- Sweep config hash `{meta['sweep_hash']}`; seeds {list(sweep.seeds)}; settings "
             f"{list(sweep.settings)}; classifiers {list(sweep.classifiers)}; methods "
             f"{list(sweep.methods)}.",
             f"- Runs: {len(res.records)} finished, {len(res.failures)} failed, "
             f"{len(res.missing)} missing, of {n_total}.",
             f"- Wall time of the last sweep invocation (before this report): "
             f"{_num(last.get('wall_s'), 4)} s with "
             f"{last.get('jobs', '?')} job(s); peak memory (max RSS of the main process and "
             f"of its worker processes, resource.getrusage): {_num(last.get('peak_rss_mb'), 4)} MB;"
             f" runs executed then: {last.get('n_done', '?')} "
             f"(cached: {last.get('n_cached', '?')}).",
             f"- Sum of per-run compute time over all finished runs: {compute:.0f} s.",
             f"- Command: `{_command_line(last.get('argv'))}`.",
             f"- Code: git `{last.get('git_commit')}`; versions {last.get('versions', {})}.", ""]
    for setting in res.settings():
        lines += _setting_section(res, setting, fig_dir)
    lines += ["## How verdicts are computed", "", RULES, "",
              "The comparisons pair runs by seed: runs of one seed share the data split, the "
              "generator banks, the classifier's initial weights and the batch order.", ""]
    if res.failures or res.missing:
        lines += ["## Failed and missing runs", ""]
        lines += _table(["setting", "classifier", "method", "seed", "status", "detail"],
                        [[f["setting"], f["classifier"], f["method"], f["seed"], "failed",
                          f"{f['error']} (`{f['file']}`)"] for f in res.failures]
                        + [[m["setting"], m["classifier"], m["method"], m["seed"], "missing",
                            "not run yet (rerun the command to resume)"] for m in res.missing])
    claims = {s: evaluate_claims(res.of_setting(s)) for s in res.settings()}
    write_results_files(res, {"claims": claims})
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path
