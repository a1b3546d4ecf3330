"""The classifier training loop: Adam, cross-entropy, early stopping on validation accuracy.

One function, :func:`train_classifier`, for every classifier (hybrid or classical). Batches
are shuffled with the caller's ``torch.Generator`` (drawn on the CPU), so a seed fixes the
whole run. The weights of the best validation epoch are loaded back into the model.

Example:
    >>> from qaug._seed import make_generator
    >>> from qaug.models import build_classifier
    >>> model = build_classifier("cnn", 2, 4, generator=make_generator(0, "init"))
    >>> x, y = torch.rand(8, 1, 4, 4, generator=make_generator(0, "x")), torch.arange(8) % 2
    >>> result = train_classifier(model, (x, y), (x, y), TrainConfig(epochs=2),
    ...                           generator=make_generator(0, "shuffle"))
    >>> result.epochs_run, len(result.history)
    (2, 2)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from qaug._device import check_device
from qaug.train._adversarial_config import NonFiniteLossError
from qaug.train._callbacks import check_callbacks, run_callbacks
from qaug.train._evaluate import as_xy, check_labels, predict_logits
from qaug.train._fused import fused_plan
from qaug.train._kernels import adam, small_kernels
from qaug.train._train_config import TrainConfig

__all__ = ["TrainResult", "train_classifier"]


@dataclass
class TrainResult:
    """Outcome of :func:`train_classifier`.

    Attributes:
        history: one dict per epoch: epoch, train_loss, train_acc, val_loss, val_acc.
        best_epoch: epoch whose weights were restored (0: the initial weights, when epochs=0).
        best_val_accuracy: validation accuracy at ``best_epoch``.
        best_val_loss: validation loss at ``best_epoch``.
        epochs_run: epochs actually trained (fewer than asked after early stopping).
        seconds: wall time of the loop.
        engine: the engine that trained (``"fused"`` or ``"torch"``; ``"torch"`` where
            ``config.engine = "fused"`` does not apply to the model).
    """

    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_val_accuracy: float = float("nan")
    best_val_loss: float = float("nan")
    epochs_run: int = 0
    seconds: float = 0.0
    engine: str = "torch"

    def to_dict(self) -> dict:
        """Plain dict (JSON-friendly) of the summary fields and the history."""
        return {
            "best_epoch": self.best_epoch,
            "best_val_accuracy": self.best_val_accuracy,
            "best_val_loss": self.best_val_loss,
            "epochs_run": self.epochs_run,
            "seconds": self.seconds,
            "engine": self.engine,
            "history": self.history,
        }


def _validation_scores(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int):
    """(loss, accuracy) of the model on a labelled set, in eval mode without gradients."""
    logits = predict_logits(model, x, max(batch_size, 512))  # (N, k) on CPU
    return float(F.cross_entropy(logits, y)), int((logits.argmax(1) == y).sum()) / len(y)


def _train_epoch(model, opt, x, y, batch_size, device, generator, on_step=None) -> tuple[float, float]:
    """One shuffled pass; returns the sample-weighted mean loss and accuracy of the batches.

    ``on_step(loss)`` (if given) is called after each optimiser step with the batch loss.
    """
    model.train()
    order = torch.randperm(len(x), generator=generator)  # drawn on the CPU generator
    with small_kernels(x.shape[-1], device):
        return _batches(model, opt, x, y, order, batch_size, device, on_step)


def _fused_epoch(plan, n: int, batch_size: int, generator, on_step=None) -> tuple[float, float]:
    """``_train_epoch`` on the fused engine: the same shuffled order, one compiled call.

    With ``on_step`` the batches run one call each, so the callback sees the weights after
    every step (the numbers are the same either way).
    """
    order = torch.randperm(n, generator=generator).numpy()  # the torch engine's draw
    n_batches = -(-n // batch_size)
    calls = [(0, n_batches)] if on_step is None else [(i, i + 1) for i in range(n_batches)]
    loss_sum, correct = 0.0, 0
    for first, last in calls:
        part, hits, done, bad = plan.epoch(order, batch_size, first, last)
        loss_sum, correct = loss_sum + part, correct + hits
        if done < last - first:  # stopped before the bad step was applied
            raise NonFiniteLossError(f"the classifier's training loss became {bad}")
        if on_step is not None:
            on_step(part / len(order[first * batch_size:last * batch_size]))
    return loss_sum / n, correct / n


def _batches(model, opt, x, y, order, batch_size, device, on_step) -> tuple[float, float]:
    loss_sum, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        idx = order[start : start + batch_size]
        xb, yb = x[idx].to(device), y[idx].to(device)  # (b, 1, H, W), (b,)
        logits = model(xb)  # (b, k)
        loss = F.cross_entropy(logits, yb)
        value = float(loss.detach())
        if not math.isfinite(value):  # stop before the bad step is applied
            raise NonFiniteLossError(f"the classifier's training loss became {value}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss_sum += value * len(idx)
        correct += int((logits.argmax(1) == yb).sum())
        if on_step is not None:
            on_step(value)
    return loss_sum / len(x), correct / len(x)


def train_classifier(
    model: nn.Module,
    train,
    val,
    config: TrainConfig | None = None,
    *,
    generator: torch.Generator,
    progress: bool = False,
    callbacks=None,
) -> TrainResult:
    """Train ``model`` with Adam and cross-entropy; keep the best-validation weights.

    The model selected is the epoch with the highest validation accuracy, ties broken by the
    lower validation loss; training stops after ``config.patience`` epochs without a better
    one. The selected weights are loaded into ``model`` before returning.

    Args:
        model: maps ``(batch, 1, H, W)`` to logits ``(batch, k)``; moved to ``config.device``.
        train: training set, a ``Split`` or ``(x, y)``: images ``(N, 1, H, W)``, labels ``(N,)``.
        val: validation set, same form (used for model selection only).
        config: loop settings (default ``TrainConfig()``).
        generator: CPU ``torch.Generator`` for the batch order.
        progress: show a tqdm bar over epochs.
        callbacks: :class:`qaug.train.Callback` objects; ``info`` keys: ``on_step``: epoch,
            step (global batch count), loss, model; ``on_eval``: epoch, step, train_loss,
            train_acc, val_loss, val_acc, model; ``on_checkpoint`` (a new best epoch, whose
            weights are kept): epoch, step, val_acc, val_loss, model.

    Returns:
        A :class:`TrainResult` (history per epoch, best epoch, time).

    Raises:
        NonFiniteLossError: a batch loss became NaN/inf; the step was not applied, ``model``
            holds the best weights so far, and the error's ``result`` the history.
        ValueError: ``config.device`` is not available on this machine.
    """
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig; got {type(config).__name__}.")
    if not isinstance(generator, torch.Generator) or generator.device.type != "cpu":
        raise TypeError(
            "generator must be a CPU torch.Generator (e.g. qaug._seed.make_generator(seed, "
            f"'shuffle')); got {generator!r}."
        )
    callbacks = check_callbacks(callbacks)
    x, y = as_xy(train, "train")
    xv, yv = as_xy(val, "val")
    if x.shape[1:] != xv.shape[1:]:
        raise ValueError(
            f"train images {tuple(x.shape[1:])} and val images {tuple(xv.shape[1:])} differ."
        )
    device = check_device(config.device, "train.device")
    model.to(device)
    n_classes = predict_logits(model, x[:1]).shape[1]  # also checks the model accepts the images
    check_labels(y, n_classes, "train")
    check_labels(yv, n_classes, "val")

    start = time.perf_counter()
    plan = None
    if config.engine == "fused":
        plan = fused_plan(model, x, y, device, config.lr, config.weight_decay)
    if plan is None:
        opt = adam(model.parameters(), x.shape[-1], device, lr=config.lr,
                   weight_decay=config.weight_decay)
    result = TrainResult(engine="torch" if plan is None else "fused")
    best_key = None  # (val_acc, -val_loss): larger is better
    best_state = None
    bar = tqdm(range(1, config.epochs + 1), desc="train", disable=not progress, leave=False)
    step = 0
    for epoch in bar:

        def on_step(loss, epoch=epoch):
            nonlocal step
            step += 1
            run_callbacks(callbacks, "on_step", {"epoch": epoch, "step": step, "loss": loss,
                                                 "model": model})

        try:
            if plan is None:
                train_loss, train_acc = _train_epoch(model, opt, x, y, config.batch_size, device,
                                                     generator, on_step if callbacks else None)
            else:
                train_loss, train_acc = _fused_epoch(plan, len(x), config.batch_size, generator,
                                                     on_step if callbacks else None)
        except NonFiniteLossError as e:
            _stop_on_nan(e, model, best_state, result, epoch, start)
        val_loss, val_acc = _validation_scores(model, xv, yv, config.batch_size)
        record = {"epoch": epoch, "train_loss": train_loss, "train_acc": train_acc,
                  "val_loss": val_loss, "val_acc": val_acc}
        result.history.append(record)
        result.epochs_run = epoch
        run_callbacks(callbacks, "on_eval", {**record, "step": step, "model": model})
        if best_key is None or (val_acc, -val_loss) > best_key:
            best_key = (val_acc, -val_loss)
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            result.best_epoch = epoch
            result.best_val_accuracy, result.best_val_loss = val_acc, val_loss
            run_callbacks(callbacks, "on_checkpoint", {"epoch": epoch, "step": step, "val_acc": val_acc,
                                                       "val_loss": val_loss, "model": model})
        bar.set_postfix(val_acc=f"{val_acc:.3f}", best=f"{result.best_val_accuracy:.3f}")
        if config.patience and epoch - result.best_epoch >= config.patience:
            break
    bar.close()
    if best_state is None:  # epochs=0: score the weights as they are
        result.best_val_loss, result.best_val_accuracy = _validation_scores(
            model, xv, yv, config.batch_size
        )
    else:
        model.load_state_dict(best_state)
    # The flag qaug.augment.CustomizedAugmenter checks before trusting a classifier.
    model.classifier_fitted_ = True
    result.seconds = time.perf_counter() - start
    return result


def _stop_on_nan(error: NonFiniteLossError, model: nn.Module, best_state: dict | None,
                 result: TrainResult, epoch: int, start: float) -> None:
    """Load the best weights so far into ``model`` and raise with the fix.

    The error carries ``result`` (history up to the last finished epoch) and ``kept`` (True
    when ``model`` holds the best validated weights; False when no epoch had finished).
    """
    if best_state is not None:
        model.load_state_dict(best_state)
        model.classifier_fitted_ = True
        kept = (f"the best weights so far (epoch {result.best_epoch}, validation accuracy "
                f"{result.best_val_accuracy:.3f}) are kept")
    else:
        kept = "no epoch had finished, so no weights are kept"
    result.seconds = time.perf_counter() - start
    err = NonFiniteLossError(
        f"{error} in epoch {epoch}; training stopped before applying that step ({kept}). "
        "Lower the learning rate (--lr / --train.lr) and rerun."
    )
    err.result, err.kept = result, best_state is not None
    raise err from None
