"""``run_experiment(config) -> metrics``: one run, pure and picklable.

Config in, plain JSON-able metrics out; data, generators and models are built inside, so a
distributed engine can ship the config to any worker. The only side effect is the optional
generator-bank cache (``cache_dir``), keyed by what determines a bank.

Seeds: one experiment seed; child seeds per consumer: ``"split"`` (data), ``"gan"`` (banks),
``"sampler"`` (augmentation draws), ``"init"`` (classifier weights), ``"shuffle"`` (batch
order). Every method of a seed shares split, init and shuffle streams, so runs pair by seed.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch

from qaug._seed import make_generator
from qaug.augment import is_customized, is_rebalance
from qaug.data import DatasetSplits, load_dataset_from_config
from qaug.experiments._banks import generator_metrics, obtain_bank
from qaug.experiments._config import ExperimentConfig, generator_kind
from qaug.models import build_classifier_from_config, noisy, noisy_layers
from qaug.train import evaluate, train_classifier

__all__ = ["run_experiment", "bank_requests", "estimated_cost"]


def bank_requests(config: ExperimentConfig) -> list[tuple[str, tuple[ExperimentConfig, str]]]:
    """Banks a run needs, as ``[(bank_key, (config, kind))]`` (empty without a generator)."""
    from qaug.experiments._config import bank_key

    kind = generator_kind(config.augment.method)
    return [] if kind is None else [(bank_key(config, kind), (config, kind))]


def estimated_cost(payload) -> float:
    """Rough relative cost of a run or bank payload, to start the longest tasks first."""
    if isinstance(payload, tuple):  # a bank: (config, kind)
        config, kind = payload
        per_it = {"qgan": 1.0, "gan": 0.5, "dcgan": 0.7}.get(kind, 1.0)
        iterations = getattr(config.adversarial, kind).iterations
        return 50.0 + per_it * iterations * len(config.data.classes)
    config = payload
    clf = {"quanv": 4.0, "reupload": 2.0, "hqcnn": 1.5, "cnn": 1.0}.get(config.classifier.name, 1.0)
    m = config.augment.method
    trainings = 2 + config.augment.rounds if is_customized(m) else 1
    return clf * trainings * config.train.epochs


def _class_counts(y: torch.Tensor, classes: tuple) -> dict[str, int]:
    counts = torch.bincount(y, minlength=len(classes)).tolist()
    return {str(c): int(n) for c, n in zip(classes, counts)}


def _eval_dict(result, classes: tuple) -> dict:
    d = result.to_dict()
    d["per_class_accuracy"] = {str(c): a for c, a in zip(classes, d["per_class_accuracy"])}
    return d


def _augment(config, data: DatasetSplits, bank, factory):
    """Apply the configured augmentation; returns (x, y, sampler or None)."""
    from qaug.augment import build_sampler

    a = config.augment
    x, y = data.train.x, data.train.y
    if a.method == "none" or (not is_customized(a.method) and not is_rebalance(a.method)
                              and a.n_per_class == 0):
        return x, y, None
    sampler = build_sampler(
        a, random_state=make_generator(config.seed, "sampler"),
        generators=bank, classifier_factory=factory, train_config=config.train,
    )
    # The customized strategy measures per-class errors on validation, never on test.
    fit_params = {"X_val": data.val.x, "y_val": data.val.y} if is_customized(a.method) else {}
    x_res, y_res = sampler.fit_resample(x, y, **fit_params)
    return x_res, y_res, sampler


def _sample_counts(y_orig, y_res, sampler, classes) -> dict:
    by_source: dict[str, dict[str, int]] = {}
    if sampler is not None:
        for src, per in sampler.source_counts().items():
            by_source[src] = {str(classes[int(k)]): int(v) for k, v in per.items()}
    original = _class_counts(y_orig, classes)
    total = _class_counts(y_res, classes)
    return {"original": original, "added": {c: total[c] - original[c] for c in total},
            "total": total, "by_source": by_source}


def _customized_report(sampler, classes) -> dict | None:
    if sampler is None or not hasattr(sampler, "report_"):
        return None

    def remap(d):
        return {str(classes[int(k)]): v for k, v in d.items()}

    rounds = []
    for info in sampler.rounds_:
        r = {k: v for k, v in info.items() if not isinstance(v, dict)}
        for k, v in info.items():
            if isinstance(v, dict):
                r[k] = remap(v)
        rounds.append(r)
    return {"best_round": int(sampler.best_round_), "per_class": remap(sampler.report_),
            "rounds": rounds, "warnings": list(getattr(sampler, "warnings_", []))}


def run_experiment(config: ExperimentConfig, cache_dir: str | Path | None = None, *,
                   progress: bool = False) -> dict:
    """Run one experiment: load data, augment, train the classifier, evaluate.

    Args:
        config: the full :class:`ExperimentConfig` (seed included).
        cache_dir: folder of the generator-bank cache; None trains banks without caching.
        progress: show training progress bars.

    Returns:
        A JSON-able dict: ``method``, ``classifier``, ``seed``, ``classes`` (original ids),
        ``test`` and ``val`` (``accuracy``, ``per_class_accuracy`` keyed by original class id,
        ``confusion``, ``collapsed``), ``train`` (best epoch, epochs run, history),
        ``classifier_parameters`` (quantum/classical/total), ``samples`` (original/added/total
        per class and counts by source), ``generator`` (bank parameter counts, final quality,
        iterations to the quality target; None without a generator), ``customized`` (the
        customized strategy's per-round report, or None), ``timings`` (seconds per stage).

    Raises:
        TypeError: ``config`` is not an ExperimentConfig.
    """
    if not isinstance(config, ExperimentConfig):
        raise TypeError(
            f"config must be an ExperimentConfig; got {type(config).__name__}. Build one with "
            "qaug.experiments.load_experiment_config(path_or_dict).")
    t = {"start": time.perf_counter()}
    seed = config.seed
    data = load_dataset_from_config(config.data, seed)
    classes, k, size = data.classes, data.n_classes, data.image_size
    t["data"] = time.perf_counter()

    kind = generator_kind(config.augment.method)
    bank, summary = (None, None)
    if kind is not None:
        bank, summary = obtain_bank(config, kind, cache_dir, data)
        bank.noise = config.noise.model("generator")  # samples drawn as the device makes them
    t["generator"] = time.perf_counter()

    def factory(generator: torch.Generator):
        return build_classifier_from_config(config.classifier, k, size, generator)

    x, y, sampler = _augment(config, data, bank, factory)
    t["augment"] = time.perf_counter()

    model = factory(make_generator(seed, "init"))
    clf_noise = config.noise.model("classifier") if noisy_layers(model) else None
    with noisy(model, clf_noise, generator=make_generator(seed, "shots", "train")):
        fit = train_classifier(model, (x, y), data.val, config.train,
                               generator=make_generator(seed, "shuffle"), progress=progress)
    t["train"] = time.perf_counter()
    with torch.no_grad(), noisy(model, clf_noise, generator=make_generator(seed, "shots", "eval")):
        test = evaluate(model, data.test.x, data.test.y, k)
        val = evaluate(model, data.val.x, data.val.y, k)
    t["eval"] = time.perf_counter()

    names = ["data", "generator", "augment", "train", "eval"]
    prev, timings = t["start"], {}
    for n in names:
        timings[f"{n}_s"] = t[n] - prev
        prev = t[n]
    timings["total_s"] = t["eval"] - t["start"]
    fit_d = fit.to_dict()
    fit_d["history"] = [{k2: _num(v) for k2, v in h.items()} for h in fit_d["history"]]
    return {
        "method": config.augment.method, "classifier": config.classifier.name, "seed": seed,
        "classes": [int(c) for c in classes], "class_names": list(data.class_names),
        "image_size": size,
        "test": _eval_dict(test, classes), "val": _eval_dict(val, classes),
        "train": {k2: _num(v) for k2, v in fit_d.items()},
        "classifier_parameters": model.parameter_counts(),
        "samples": _sample_counts(data.train.y, y, sampler, classes),
        "generator": generator_metrics(summary) if summary is not None else None,
        "customized": _customized_report(sampler, classes),
        "noise": {"generator": config.noise.generator if bank is not None else "",
                  "classifier": config.noise.classifier if clf_noise is not None else "",
                  "classifier_applied": clf_noise is not None},
        "timings": timings,
    }


def _num(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    return v
