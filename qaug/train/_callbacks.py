"""Callbacks for the training loops: hooks on step, on evaluation and on checkpoint.

The classifier loop (:func:`qaug.train.train_classifier`) takes ``callbacks=[...]`` and
calls, with one plain ``dict`` of what just happened:

- ``on_step(info)`` after every optimiser step (one batch),
- ``on_eval(info)`` after every evaluation (each epoch's validation),
- ``on_checkpoint(info)`` when the loop keeps weights (a new best epoch).

The ``info`` keys are listed in the loop's docstring; ``info["model"]`` is the live model:
read it, do not change it. A callback that raises stops the loop.

Example:
    >>> class Losses(Callback):
    ...     def __init__(self):
    ...         self.seen = []
    ...     def on_step(self, info):
    ...         self.seen.append(info["loss"])
    >>> cb = Losses()
    >>> run_callbacks([cb], "on_step", {"loss": 0.5})
    >>> cb.seen
    [0.5]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["Callback", "TensorBoardCallback", "check_callbacks", "run_callbacks"]

_HOOKS = ("on_step", "on_eval", "on_checkpoint")


class Callback:
    """Base class: override any of ``on_step``, ``on_eval``, ``on_checkpoint`` (no-ops here)."""

    def on_step(self, info: dict) -> None:
        """Called after each optimiser step."""

    def on_eval(self, info: dict) -> None:
        """Called after each evaluation."""

    def on_checkpoint(self, info: dict) -> None:
        """Called when the loop keeps weights or writes a checkpoint."""


def check_callbacks(callbacks) -> tuple:
    """The callbacks as a tuple; each must have at least one of the three hooks.

    Raises:
        TypeError: ``callbacks`` is not a sequence, or an item has none of the hooks.
    """
    if callbacks is None:
        return ()
    if not isinstance(callbacks, Sequence) or isinstance(callbacks, (str, bytes)):
        raise TypeError(
            f"callbacks must be a list of Callback objects; got {type(callbacks).__name__}. "
            "Wrap a single one in a list: callbacks=[cb]."
        )
    for cb in callbacks:
        if not any(callable(getattr(cb, h, None)) for h in _HOOKS):
            raise TypeError(
                f"callback {cb!r} has none of the hooks {list(_HOOKS)}; subclass "
                "qaug.train.Callback and override one."
            )
    return tuple(callbacks)


def run_callbacks(callbacks: Sequence, hook: str, info: dict) -> None:
    """Call ``hook`` on every callback that defines it."""
    for cb in callbacks:
        fn = getattr(cb, hook, None)
        if callable(fn):
            fn(info)


class TensorBoardCallback(Callback):
    """Log every numeric value of ``info`` as a TensorBoard scalar (needs ``tensorboard``).

    Steps are ``info["iteration"]`` if present, else ``info["step"]`` (the classifier's global
    batch count); scalar keys are prefixed with ``prefix`` and the hook
    (``train/on_eval/val_acc``); nested dicts are flattened with ``/``. Install with
    ``pip install 'qaug[tensorboard]'``; view with ``tensorboard --logdir DIR``.

    Args:
        log_dir: folder for the event files (created).
        prefix: tag prefix, e.g. the run or class name.
    """

    def __init__(self, log_dir: str | Path, *, prefix: str = "train"):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as e:  # tensorboard is an optional extra
            raise ImportError(
                "TensorBoardCallback needs the tensorboard package: pip install 'qaug[tensorboard]' "
                "(or pip install tensorboard)."
            ) from e
        self.log_dir, self.prefix = Path(log_dir), prefix
        self.writer = SummaryWriter(log_dir=str(self.log_dir))

    def _log(self, hook: str, info: dict) -> None:
        step = info.get("iteration", info.get("step", info.get("epoch", 0)))
        for key, value in _scalars(info):
            self.writer.add_scalar(f"{self.prefix}/{hook}/{key}", value, global_step=int(step))

    def on_step(self, info: dict) -> None:
        """Log the step's losses."""
        self._log("on_step", info)

    def on_eval(self, info: dict) -> None:
        """Log the evaluation's scores and flush, so a running TensorBoard sees them."""
        self._log("on_eval", info)
        self.writer.flush()

    def close(self) -> None:
        """Flush and close the event file."""
        self.writer.close()


def _scalars(info: dict, prefix: str = ""):
    for key, value in info.items():
        if key == "model":
            continue
        if isinstance(value, dict):
            yield from _scalars(value, f"{prefix}{key}/")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            yield f"{prefix}{key}", float(value)
