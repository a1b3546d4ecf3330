"""Generator banks (one trained generator per class) shared by the runs of a sweep.

A bank is determined by the data (config and seed), the generator kind and its GAN and
adversarial configs; :func:`qaug.experiments.bank_key` hashes exactly those. Training one
is the expensive step, so banks are cached::

    <cache_dir>/banks/<key>/bank.pt        ClassGenerators checkpoint
    <cache_dir>/banks/<key>/summary.json   parameter counts, quality, curves, sample grid
                                           (written last: its presence means "complete")

In a sweep all classifiers and both QGAN strategies of a seed reuse one QGAN bank.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from qaug._config import config_to_dict
from qaug._io import CheckpointError, read_json, write_json
from qaug._registry import QUALITY_METRICS
from qaug._seed import child_seed, make_generator
from qaug.data import DatasetSplits, load_dataset_from_config
from qaug.experiments._config import ExperimentConfig, bank_key
from qaug.train import (
    ClassGenerators,
    QualityEvaluator,
    fit_class_generators,
    iterations_to_target,
    shared_feature_extractor,
)

__all__ = ["ensure_bank", "train_bank_files", "obtain_bank", "bank_problem",
           "bank_summary", "generator_metrics",
           "N_GRID"]

N_GRID = 8  # generated samples per class kept in the summary for the report's image grids
_QUALITY_KEYS = QUALITY_METRICS


def _bank_dir(cache_dir: str | Path, key: str) -> Path:
    return Path(cache_dir) / "banks" / key


def ensure_bank(payload: tuple[ExperimentConfig, str], cache_dir: str | Path | None) -> dict:
    """Train and cache the bank for ``payload = (config, kind)`` unless cached; its summary."""
    config, kind = payload
    if cache_dir is None:
        raise ValueError("ensure_bank needs a cache_dir to store the bank in.")
    _, summary = obtain_bank(config, kind, cache_dir)
    return summary


def train_bank_files(payload: tuple[ExperimentConfig, str],
                     cache_dir: str | Path | None = None) -> dict[str, bytes]:
    """Train the bank of ``payload = (config, kind)``; its cache files, written nowhere.

    With ``cache_dir`` the quality extractor (one per seed, shared by the seed's banks) is
    read from or kept in ``<cache_dir>/extractors/`` (``shared_feature_extractor``).

    The sweep's first phase runs this on a worker (picklable, module level); the driver
    writes the returned ``{"bank.pt": ..., "summary.json": ...}`` (marker last) into
    ``<cache>/banks/<key>/``, the same bytes :func:`obtain_bank` would have saved.
    """
    config, kind = payload
    bank, summary = obtain_bank(config, kind, None, extractor_cache=cache_dir)
    with tempfile.TemporaryDirectory(prefix="qaug-bank-") as tmp:  # the writers' exact bytes
        data = bank.save(Path(tmp) / "bank.pt").read_bytes()
        summary = {**summary, "bank_sha256": hashlib.sha256(data).hexdigest()}
        return {"bank.pt": data,
                "summary.json": write_json(Path(tmp) / "summary.json", summary).read_bytes()}


def bank_problem(folder: str | Path) -> str | None:
    """Why the cached bank in ``folder`` cannot be trusted (None: it can).

    Its ``summary.json`` records the SHA-256 of ``bank.pt``; a missing, truncated or changed
    ``bank.pt`` does not match. (Summaries written before the checksum are trusted.)
    """
    folder = Path(folder)
    try:
        summary = read_json(folder / "summary.json")
    except (OSError, ValueError) as e:
        return f"summary.json unreadable: {e}"
    if not (folder / "bank.pt").is_file():
        return "bank.pt is missing"
    want = summary.get("bank_sha256") if isinstance(summary, dict) else None
    if want is None:
        return None
    got = hashlib.sha256((folder / "bank.pt").read_bytes()).hexdigest()
    return None if got == want else f"bank.pt checksum {got[:12]} != {want[:12]} in summary.json"


def obtain_bank(config: ExperimentConfig, kind: str, cache_dir: str | Path | None,
                data: DatasetSplits | None = None, *,
                retrain_corrupt: bool = True,
                extractor_cache: str | Path | None = None) -> tuple[ClassGenerators, dict]:
    """The bank of ``kind`` for ``config``: loaded from ``cache_dir`` or trained (and saved).

    Args:
        config: the experiment (its data, seed, ``gan.<kind>``, ``adversarial.<kind>``,
            ``quality`` determine the bank).
        kind: ``"qgan"``, ``"gan"`` or ``"dcgan"``.
        cache_dir: cache folder, or None to train without caching.
        data: the already loaded splits of ``config`` (loaded when None).
        retrain_corrupt: a cached bank whose ``bank.pt`` does not match the checksum in its
            summary is retrained (with a warning saying so); False raises ``CheckpointError``.
        extractor_cache: where the quality extractor is cached (default ``cache_dir``).

    Returns:
        ``(bank, summary)`` with the summary described in :func:`bank_summary`.
    """
    key = bank_key(config, kind)
    folder = _bank_dir(cache_dir, key) if cache_dir is not None else None
    if folder is not None and (folder / "summary.json").is_file():
        problem = bank_problem(folder)
        if problem is None:
            return ClassGenerators.load(folder / "bank.pt"), read_json(folder / "summary.json")
        if not retrain_corrupt:
            raise CheckpointError(f"cached generator bank {str(folder)!r} is corrupt ({problem}).")
        warnings.warn(f"cached generator bank {key} is corrupt ({problem}); retraining it",
                      UserWarning, stacklevel=2)
    data = data if data is not None else load_dataset_from_config(config.data, config.seed)
    start = time.perf_counter()
    # The same child seed fit_class_generators would use, with the configured epochs.
    # The extractor is shared by the banks of one seed (exact reuse), in this process and,
    # through the cache, across the sweep's workers.
    q_seed = child_seed(config.seed, "quality")
    extractor = shared_feature_extractor(
        data.train.x, data.train.y, seed=q_seed, epochs=config.quality.extractor_epochs,
        cache_dir=cache_dir if extractor_cache is None else extractor_cache)
    evaluator = QualityEvaluator(data.train.x, data.train.y, seed=q_seed, extractor=extractor)
    bank = fit_class_generators(
        kind, data.train.x, data.train.y, getattr(config.gan, kind),
        getattr(config.adversarial, kind), seed=config.seed, quality=evaluator,
        classes=data.classes, noise=config.noise.model("generator"))
    summary = bank_summary(bank, config, kind, key, data.classes, time.perf_counter() - start,
                           real=data.train)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        raw = bank.save(folder / "bank.pt").read_bytes()
        summary = {**summary, "bank_sha256": hashlib.sha256(raw).hexdigest()}
        write_json(folder / "summary.json", summary)
    return bank, summary


def _mean_curve(histories: dict[int, dict], metric: str) -> list[tuple[int, float]]:
    """Class-mean of ``metric`` at each iteration logged for every class."""
    per_iter: dict[int, list[float]] = {}
    for h in histories.values():
        for rec in h.get("quality", []):
            v = rec.get(metric)
            if v is not None and v == v:
                per_iter.setdefault(int(rec["iteration"]), []).append(float(v))
    n = len(histories)
    return [(i, float(np.mean(v))) for i, v in sorted(per_iter.items()) if len(v) == n]


def bank_summary(bank: ClassGenerators, config: ExperimentConfig, kind: str, key: str,
                 classes: tuple, seconds: float, real=None) -> dict:
    """JSON summary of a trained bank.

    Keys: ``key``, ``kind``, ``seed``, ``classes`` (original ids), ``parameter_counts``
    (``generator`` and ``discriminator``: quantum/classical/total of one network; every
    discriminator is classical), ``final_quality`` (per original class, the logged
    record of the weights the bank keeps: the last, or the best-scoring one with
    ``select_best``; and ``mean`` over classes), ``selected`` (per class: kept iteration, its
    score, best seen), ``iterations_to_target`` (per class and for the
    class-mean curve; a curve that never reaches the target counts the full budget with
    ``reached`` False), ``curves`` (per class: iteration and quality values), ``samples``
    (``N_GRID`` images per class as nested lists), ``real_samples`` (the first ``N_GRID``
    training images per class, when ``real`` (a Split) is given), ``seconds``.
    """
    q, adv = config.quality, getattr(config.adversarial, kind)
    counts = bank.parameter_counts()
    d_total = counts.get("discriminator")
    label_to_class = {i: int(c) for i, c in enumerate(classes)}
    final, curves, per_class_iters = {}, {}, {}
    for label, h in bank.histories.items():
        cls = str(label_to_class[label])
        recs = h.get("quality", [])
        kept = (bank.selected.get(label) or {}).get("iteration")
        rec = next((r for r in recs if r["iteration"] == kept), recs[-1] if recs else None)
        final[cls] = {k: rec.get(k) for k in _QUALITY_KEYS} if rec else {}
        curves[cls] = {"iteration": [int(r["iteration"]) for r in recs],
                       **{k: [r.get(k) for r in recs] for k in _QUALITY_KEYS}}
        per_class_iters[cls] = iterations_to_target(h, q.metric, q.target) if recs else None
    mean_final = {k: _mean([f.get(k) for f in final.values()]) for k in _QUALITY_KEYS}
    curve = _mean_curve(bank.histories, q.metric)
    higher = q.metric not in ("fid", "kid")
    hit = next((i for i, v in curve if (v >= q.target if higher else v <= q.target)), None)
    g = make_generator(config.seed, "report_samples", kind)
    samples = {str(label_to_class[lb]): bank.generate(lb, N_GRID, g)[:, 0].numpy().round(4).tolist()
               for lb in bank.labels}
    return {
        "key": key, "kind": kind, "seed": config.seed, "classes": [int(c) for c in classes],
        "gan": config_to_dict(getattr(config.gan, kind)), "adversarial": config_to_dict(adv),
        "parameter_counts": {
            "generator": {k: counts[k] for k in ("quantum", "classical", "total")},
            "discriminator": {"quantum": 0, "classical": d_total, "total": d_total},
            "frozen": counts.get("frozen", 0),
            "n_generators": counts.get("n_generators"),
            "all_generators": counts.get("all_generators"),
        },
        "final_quality": {**final, "mean": mean_final},
        "iterations_to_target": {
            "metric": q.metric, "target": q.target, "budget": adv.iterations,
            "iterations": hit if hit is not None else adv.iterations, "reached": hit is not None,
            "per_class": per_class_iters},
        # the iteration whose weights the bank keeps (best training-set score with
        # adversarial.<kind>.select_best, else the last) and the best score seen
        "selected": {str(label_to_class[lb]): bank.selected.get(lb) for lb in bank.labels},
        "curves": curves, "samples": samples, "seconds": seconds,
        "real_samples": {} if real is None else {
            str(label_to_class[lb]): real.x[real.y == lb][:N_GRID, 0].numpy().round(4).tolist()
            for lb in bank.labels},
    }


def _mean(values) -> float | None:
    v = [float(x) for x in values if x is not None and x == x]
    return float(np.mean(v)) if v else None


def generator_metrics(summary: dict) -> dict:
    """The part of a bank summary copied into each run's metrics (no curves, no samples)."""
    return {k: summary[k] for k in ("key", "kind", "parameter_counts", "final_quality",
                                    "iterations_to_target", "seconds", "selected")
            if k in summary}
