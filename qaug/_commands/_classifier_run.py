"""The work behind ``qaug train-classifier``: resolved config, training, files in ``--out``.

Kept apart from ``classifier.py`` so that building the parser imports none of the stages.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path

from qaug._commands._resolve import resolve_config
from qaug._config import config_to_dict
from qaug._io import load_checkpoint, run_info, save_checkpoint, write_json
from qaug._plotting import confusion_figure
from qaug._seed import make_generator
from qaug.data import DataConfig, load_dataset_from_config
from qaug.models import ClassifierConfig, build_classifier_from_config, noisy_layers
from qaug.quantum import NoiseModel
from qaug.train import NonFiniteLossError, TrainConfig, evaluate, train_classifier

__all__ = ["ClassifierRunConfig", "config_from_args", "run_train_classifier"]


@dataclass(frozen=True)
class ClassifierRunConfig:
    """Everything that defines a train-classifier run: data, classifier, training, seed."""

    data: DataConfig = field(default_factory=DataConfig)
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    seed: int = 0


FLAG_KEYS = {"dataset": "data.name", "classes": "data.classes", "n_train": "data.n_train_per_class",
             "image_size": "data.image_size", "pixel_max": "data.pixel_max",
             "model": "classifier.name", "epochs": "train.epochs",
             "lr": "train.lr", "batch_size": "train.batch_size", "device": "train.device",
             "seed": "seed"}
# --dry-run: one epoch on a handful of images (the user's overrides still win).
DRY_RUN = ("data.n_train_per_class=5", "data.n_val_per_class=3", "data.n_test_per_class=5",
           "data.train_counts={}", "train.epochs=1")


def config_from_args(args) -> ClassifierRunConfig:
    """The resolved run config: defaults < --config < flags < --dry-run < overrides."""
    return resolve_config(args, ClassifierRunConfig(), FLAG_KEYS, dry_run=DRY_RUN)


def _checkpoint_config(cfg: ClassifierRunConfig, classes) -> dict:
    """What a checkpoint must match to be loaded: the architecture and the class ids."""
    return {"model": config_to_dict(cfg.classifier), "image_size": cfg.data.image_size,
            "classes": [int(c) for c in classes]}


def _write_history(path: Path, history: list[dict]) -> None:
    columns = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc"]
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        w.writerows(history)


def run_train_classifier(
    cfg: ClassifierRunConfig,
    out: Path,
    *,
    checkpoint: str | None = None,
    progress: bool = False,
    eval_noise: NoiseModel | None = None,
) -> dict:
    """Run one train-classifier job described by ``cfg`` into folder ``out``; return the metrics.

    With ``eval_noise`` the test set is also evaluated under that noise model (shots drawn from
    the child seed ``(seed, "classifier", "eval-noise")``); the metrics gain ``eval_noise``,
    ``noisy_test_accuracy`` and ``noisy_per_class_accuracy``.
    """
    start = time.perf_counter()
    write_json(out / "config.json", config_to_dict(cfg))
    ds = load_dataset_from_config(cfg.data, cfg.seed)
    model = build_classifier_from_config(
        cfg.classifier, ds.n_classes, ds.image_size, make_generator(cfg.seed, "classifier", "init")
    )
    if eval_noise is not None and not noisy_layers(model):
        raise ValueError(f"--eval-noise needs a quantum classifier ('hqcnn', 'reupload', "
                         f"'quanv'); model {cfg.classifier.name!r} has no quantum layer.")
    ckpt_config = _checkpoint_config(cfg, ds.classes)
    if checkpoint is not None:
        payload = load_checkpoint(checkpoint, kind="classifier", config=ckpt_config)
        model.load_state_dict(payload["state_dict"])
    try:
        result = train_classifier(model, ds.train, ds.val, cfg.train,
                                  generator=make_generator(cfg.seed, "classifier", "shuffle"),
                                  progress=progress)
    except NonFiniteLossError as e:  # keep the last good weights and the history, then fail
        _write_history(out / "history.csv", e.result.history)
        if e.kept:
            _save(out, ckpt_config, model, classes=[int(c) for c in ds.classes], cfg=cfg,
                  best_epoch=e.result.best_epoch)
            e.args = (f"{e} Kept: {out / 'checkpoint.pt'}.",)
        raise
    test = evaluate(model, ds.test.x, ds.test.y, ds.n_classes)
    classes = [int(c) for c in ds.classes]
    metrics = {
        "dataset": ds.name,
        "model": cfg.classifier.name,
        "classes": classes,
        "class_names": list(ds.class_names),  # the folder names of an image-folder dataset
        "test_accuracy": test.accuracy,
        "per_class_accuracy": dict(zip(map(str, classes), test.to_dict()["per_class_accuracy"])),
        "confusion": test.confusion,
        "confusion_labels": classes,
        "val_accuracy": result.best_val_accuracy,
        "val_loss": result.best_val_loss,
        "best_epoch": result.best_epoch,
        "epochs_run": result.epochs_run,
        "collapsed": test.collapsed,
        "parameter_counts": model.parameter_counts(),
        "n_train": len(ds.train.y), "n_val": len(ds.val.y), "n_test": len(ds.test.y),
        "train_seconds": result.seconds,
        "train_engine": getattr(result, "engine", "torch"),  # "fused" only where it applied
        "from_checkpoint": None if checkpoint is None else str(checkpoint),
    }
    if eval_noise is not None:
        noisy_test = evaluate(model, ds.test.x, ds.test.y, ds.n_classes, noise=eval_noise,
                              generator=make_generator(cfg.seed, "classifier", "eval-noise"))
        per_class = noisy_test.to_dict()["per_class_accuracy"]
        metrics.update(eval_noise=eval_noise.to_dict(), noisy_test_accuracy=noisy_test.accuracy,
                       noisy_per_class_accuracy=dict(zip(map(str, classes), per_class)))
    _write_history(out / "history.csv", result.history)
    confusion_figure(out / "confusion.png", test.confusion, list(ds.class_names),
                    f"{cfg.classifier.name} on {ds.name}: test accuracy {test.accuracy:.3f}")
    _save(out, ckpt_config, model, classes=classes, cfg=cfg, best_epoch=result.best_epoch)
    metrics["wall_seconds"] = time.perf_counter() - start
    write_json(out / "metrics.json", metrics)
    write_json(out / "run.json", run_info(cfg.seed))
    return metrics


def _save(out: Path, ckpt_config: dict, model, *, classes: list[int], cfg, best_epoch: int):
    save_checkpoint(out / "checkpoint.pt", {
        "kind": "classifier", "config": ckpt_config, "state_dict": model.state_dict(),
        "classes": classes, "run_config": config_to_dict(cfg), "best_epoch": best_epoch,
    })
