"""One setting's section of ``report.md``: claims, accuracy tables, generators, comparisons."""

from __future__ import annotations

from pathlib import Path

from qaug import _plotting as figs
from qaug.experiments._claims import verdict_text
from qaug.experiments._format import md_table, num, pct, pp, pval
from qaug.experiments._tables import (
    accuracy_table,
    customized_table,
    generator_table,
    per_class_table,
    target_sensitivity_table,
)

__all__ = ["setting_section", "evidence"]

_QUALITY_NOTE = (
    "FID and KID are computed on the features of a small CNN trained on each run's real "
    "training images (not Inception): they compare generators within this report only and are "
    "not comparable with published FID/KID values. Reference accuracy (%): share of generated "
    "images of class c that a classifier trained on real data labels c.")


def _target(metric, target) -> str:
    if metric in ("fid", "kid"):
        return f"{metric} <= {target}"
    if metric == "accuracy":
        return f"ref. accuracy >= {pct(target, 0)}%"
    return f"{metric} >= {target}"


def _row_evidence(row: dict, equivalence: bool) -> str:
    weak = f" class {row['weakest_class']}" if row.get("weakest_class") else ""
    tost = (f"; TOST p={pval(row.get('p_tost'))}, adj {pval(row.get('p_tost_adj'))}"
            if equivalence else "")
    return (f"{row['classifier']}{weak}: {pp(row['mean_diff'])} pp "
            f"[{pp(row['ci_low'])}, {pp(row['ci_high'])}], {row.get('test', 't')} "
            f"p={pval(row.get('p'))}, adj {pval(row.get('p_adj'))}{tost}, n={row['n']} "
            f"→ {row.get('verdict', '–')}")


def evidence(claim: dict) -> str:
    """The evidence cell of a claim row: per classifier, raw and adjusted p side by side."""
    ev = claim.get("evidence") or {}
    parts = []
    if claim["id"] == "qgan_fewer_iterations" and ev:
        parts.append(f"mean reduction {pct(ev.get('mean_reduction'))}% (n={ev.get('n')}, "
                     f"{ev.get('test', 't')} p(log iters)={pval(ev.get('p_log_iters'))}, adj "
                     f"{pval(ev.get('p_adj'))}; gan reached target on {ev.get('b_reached')}/"
                     f"{ev.get('n')} seeds; target {_target(ev.get('metric'), ev.get('target'))}"
                     f"; final diversity ratio qgan {num(ev.get('qgan_diversity'), 2)}, gan "
                     f"{num(ev.get('gan_diversity'), 2)}: near 0 means mode collapse)")
    if claim["id"] == "qgan_matches_dcgan" and ev:
        parts.append(f"G params {num(ev.get('qgan_generator_params'))} vs "
                     f"{num(ev.get('dcgan_generator_params'))} (ratio "
                     f"{num(ev.get('param_ratio'), 2)}); G+D {num(ev.get('qgan_gd_params'))} vs "
                     f"{num(ev.get('dcgan_gd_params'))}")
    eq = claim["rule"] == "equivalence"
    parts += [_row_evidence(row, eq) for row in claim["per_classifier"]]
    return "<br>".join(parts) if parts else "needed runs absent"


def _split_line(split_sizes: dict | None, records: list[dict]) -> list[str]:
    lines = []
    if split_sizes:
        for name in ("train", "val", "test"):
            per = split_sizes[name]
            lines.append(f"- {name} images per class: {per} ({sum(per.values())} in all)")
    else:
        lines.append("- split sizes: unknown (the dataset could not be loaded here)")
    params = {}
    for r in records:
        params.setdefault(r["classifier"], r.get("classifier_parameters"))
    lines.append("- classifier trainable parameters (quantum + classical = total): " + "; ".join(
        f"{c} {p['quantum']} + {p['classical']} = {p['total']}" for c, p in params.items() if p))
    return lines + [""]


def setting_section(res, setting: str, claims: list[dict], comps: list[dict], fig_dir: Path,
                    split_sizes: dict | None, dry_run: bool) -> list[str]:
    """Markdown lines of one setting (figures written to ``fig_dir``)."""
    records = res.of_setting(setting)
    sweep = res.sweep
    table = sweep.settings[setting]
    lines = [f"## Setting `{setting}`", "",
             f"Overrides of the base config: `{table}`" if table else "Base config, no overrides.",
             ""]
    if not records:
        return lines + ["No finished runs in this setting yet.", ""]
    lines += _split_line(split_sizes, records)
    slug = "".join(ch if ch.isalnum() else "_" for ch in setting)

    lines += ["### Claims", ""]
    if dry_run:
        lines += ["Dry run: no verdicts (the budgets are too small to mean anything).", ""]
    else:
        lines += md_table(["claim", "comparison", "evidence (raw p, adjusted p)", "verdict"], [
            [c["claim"], c["comparison"], evidence(c), f"**{verdict_text(c)}**"] for c in claims])

    acc = accuracy_table(records, sweep.methods, sweep.classifiers)
    lines += ["### Test accuracy (%) over seeds", ""]
    lines += md_table(
        ["classifier", "method", "n", "mean", "std", "95% CI (t)", "median", "collapsed",
         "val mean", "added/run", "s/run"],
        [[r["classifier"], r["method"], r["n"], pct(r["mean"]), pct(r["std"], 2),
          f"[{pct(r['ci_low'])}, {pct(r['ci_high'])}]", pct(r["median"]),
          f"{r['collapsed']}/{r['n']}", pct(r["val_mean"]), f"{r['added']:.0f}",
          f"{r['seconds']:.1f}"] for r in acc])

    classes, pc = per_class_table(records, sweep.methods, sweep.classifiers)
    lines += ["### Per-class test accuracy (%), mean ± std over seeds", "",
              "**Bold**: the weakest class of the row. The weakest class of each classifier's "
              "baseline (lowest mean validation accuracy without augmentation) is the one the "
              "customized claims track.", ""]
    lines += md_table(["classifier", "method"] + [f"class {c}" for c in classes] + [
        "baseline weakest"],
        [[r["classifier"], r["method"]] + [
            (f"**{pct(r['cells'][c]['mean'])} ± {pct(r['cells'][c]['std'])}**"
             if c == r["weakest"] else
             f"{pct(r['cells'][c]['mean'])} ± {pct(r['cells'][c]['std'])}") for c in classes]
         + [r["baseline_weakest"] or "–"] for r in pc])

    lines += _generator_lines(res, records, setting)

    if comps:
        lines += ["### Paired comparisons over seeds (A − B, percentage points)", "",
                  "d_z: mean difference / sd of differences. p (t): paired t-test; p (W): "
                  "Wilcoxon signed-rank (only with >= 6 non-zero differences); p (SW): "
                  "Shapiro-Wilk on the differences; test: the test of record (Wilcoxon when "
                  "SW < 0.05 and W exists, else t); p adj: that test's p adjusted over every "
                  f"comparison of this report ({comps[0].get('p_adjust', 'bh')}). All two-sided.",
                  ""]
        lines += md_table(["classifier", "A − B", "metric", "n", "mean diff", "95% CI", "d_z",
                           "p (t)", "p (W)", "p (SW)", "test", "p adj"],
                          [[r["classifier"], f"{r['a']} − {r['b']}", r["metric"], r["n"],
                            pp(r["mean_diff"]), f"[{pp(r['ci_low'])}, {pp(r['ci_high'])}]",
                            num(r["d_z"], 2), pval(r["p_t"]), pval(r["p_wilcoxon"]),
                            pval(r.get("p_shapiro")), r.get("test", "t"),
                            pval(r.get("p_adj"))] for r in comps])

    cust = customized_table(records)
    if cust:
        lines += ["### Customized strategy (mean per run)", ""]
        lines += md_table(["classifier", "method", "class", "allocated", "kept", "shortfall",
                           "threshold", "acceptance"],
                          [[r["classifier"], r["method"], r["class"], num(r.get("allocated")),
                            num(r.get("kept")), num(r.get("shortfall")),
                            num(r.get("threshold"), 2), pct(r.get("acceptance_rate"))]
                           for r in cust])
        warned = [r for r in records if (r.get("customized") or {}).get("warnings")]
        if warned:
            lines += [f"Warnings of the customized strategy in {len(warned)} of "
                      f"{sum(1 for r in records if r.get('customized'))} runs, e.g.: "
                      f"{warned[0]['customized']['warnings'][0]}", ""]

    lines += ["### Figures", ""]
    f = figs.accuracy_figure(acc, fig_dir / f"accuracy_{slug}.png", f"test accuracy ({setting})")
    lines.append(f"![test accuracy](figures/{f.name})")
    f = figs.per_class_figure(classes, pc, fig_dir / f"per_class_{slug}.png", setting)
    lines.append(f"![per-class accuracy](figures/{f.name})")
    lines += _bank_figures(res, records, slug, fig_dir)
    return lines + [""]


def _banks_of(res, records) -> list[dict]:
    keys = {r["generator"]["key"] for r in records if r.get("generator")}
    return [res.banks[k] for k in sorted(keys) if k in res.banks]


def _generator_lines(res, records, setting) -> list[str]:
    gens = generator_table(records)
    if not gens:
        return []
    lines = ["### Generators", "",
             "Trainable parameters of one generator / discriminator (one pair per class). "
             "Iterations: first logged iteration where the class-mean quality reaches the "
             "target (the budget if never reached). Quality: last logged record, class "
             f"mean, averaged over seeds. {_QUALITY_NOTE}", ""]
    lines += md_table(
        ["kind", "G quantum/classical/total", "D quantum/classical/total", "G+D",
         "iterations to target", "reached", "FID (local CNN)", "KID (local CNN)",
         "ref. accuracy (%)", "diversity ratio", "train s"],
        [[g["kind"], "/".join(str(g["generator"][k]) for k in ("quantum", "classical", "total")),
          "/".join(str(g["discriminator"][k]) for k in ("quantum", "classical", "total")),
          g["generator"]["total"] + g["discriminator"]["total"],
          f"{num(g['iterations']['mean'])} ± {num(g['iterations']['std'])} "
          f"({_target(g['metric'], g['target'])})",
          f"{g['reached']}/{g['n_seeds']}", num(g["fid"]["mean"]), num(g["kid"]["mean"]),
          pct(g["accuracy"]["mean"]), num(g["diversity_ratio"]["mean"]),
          num(g["seconds"]["mean"])] for g in gens])
    banks = _banks_of(res, records)
    sens = target_sensitivity_table(banks) if banks else (
        (res.saved.get("target_sensitivity") or {}).get(setting) or [])
    if sens:
        budgets = sorted({b["iterations_to_target"]["budget"] for b in banks}) or [
            gens[0]["budget"]]
        lines += ["#### Iterations to other quality targets", "",
                  "The iterations claim depends on what counts as trained enough. Mean first "
                  "iteration at which the class-mean curve meets each target, over the seeds that "
                  f"reached it within the budget ({'/'.join(map(str, budgets))} iterations). "
                  "The verdict uses the configured target only; this table shows how much it "
                  "hangs on that choice.", ""]
        kinds = sorted({r["kind"] for r in sens})
        targets = list(dict.fromkeys(r["target"] for r in sens))
        cell = {(r["kind"], r["target"]): r for r in sens}
        lines += md_table(["target", *kinds],
                          [[t, *[f"{num(cell[(k, t)]['mean'])} ({cell[(k, t)]['reached']}/"
                                 f"{cell[(k, t)]['n']})" for k in kinds]] for t in targets])
    return lines


def _bank_figures(res, records, slug, fig_dir: Path) -> list[str]:
    banks = _banks_of(res, records)
    lines = []
    kinds = sorted({r["generator"]["kind"] for r in records if r.get("generator")})
    with_samples = [b for b in banks if b.get("samples")]
    if with_samples:
        first = min(b["seed"] for b in with_samples)
        for b in sorted((b for b in with_samples if b["seed"] == first), key=lambda b: b["kind"]):
            f = figs.samples_figure(b, fig_dir / f"samples_{slug}_{b['kind']}.png")
            lines.append(f"![{b['kind']} samples](figures/{f.name})")
    else:  # rebuilt from results.json: keep the figures the sweep drew from its bank cache
        lines += [f"![{k} samples](figures/samples_{slug}_{k}.png)" for k in kinds
                  if (fig_dir / f"samples_{slug}_{k}.png").is_file()]
    if banks and all(b.get("curves") for b in banks):
        it = banks[0]["iterations_to_target"]
        f = figs.curves_figure(banks, fig_dir / f"curves_{slug}.png", it["metric"], it["target"])
        lines.append(f"![generator training curves](figures/{f.name})")
    elif (fig_dir / f"curves_{slug}.png").is_file():
        lines.append(f"![generator training curves](figures/curves_{slug}.png)")
    return lines
