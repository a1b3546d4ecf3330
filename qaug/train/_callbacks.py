"""Callbacks for the training loops: hooks on step, on evaluation and on checkpoint.

Both loops (:func:`qaug.train.train_classifier` and :func:`qaug.train.train_gan`) take
``callbacks=[...]`` and call, with one plain ``dict`` of what just happened:

- ``on_step(info)`` after every optimiser step of the model being trained (classifier: one
  batch; GAN: one generator update),
- ``on_eval(info)`` after every evaluation (classifier: each epoch's validation; GAN: each
  quality record, every ``eval_every`` iterations),
- ``on_checkpoint(info)`` when the loop keeps weights (classifier: a new best epoch; GAN: a
  checkpoint file written).

The ``info`` keys are listed in each loop's docstring; ``info["model"]`` is the live model
(the generator for a GAN): read it, do not change it. A callback that raises stops the loop.

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

__all__ = ["Callback", "TensorBoardCallback", "SampleGridCallback", "check_callbacks", "run_callbacks"]

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


class SampleGridCallback(Callback):
    """Write a grid of generated samples at every GAN evaluation (``train_gan``'s ``on_eval``).

    The same latent batch (drawn once from ``make_generator(seed, "sample-grid")``) is decoded
    each time, so successive grids show one set of samples evolving. Files:
    ``<out_dir>/<prefix>_iter<NNNNNN>.png`` (one row of ``n`` images under a label with the
    prefix and the iteration), listed in ``written``.
    A classifier loop's evaluations have no generator and are skipped.

    Args:
        out_dir: folder for the PNG files (created).
        n: samples per grid.
        seed: seed of the fixed latent batch.
        prefix: file-name prefix (e.g. ``class_2``).
    """

    def __init__(self, out_dir: str | Path, *, n: int = 16, seed: int = 0, prefix: str = "samples"):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be an integer >= 1; got {n!r}.")
        self.out_dir, self.n, self.seed, self.prefix = Path(out_dir), n, seed, prefix
        self.written: list[Path] = []
        self._z = None

    def on_eval(self, info: dict) -> None:
        """Decode the fixed latent batch with the live generator and save the grid."""
        import torch

        from qaug._plotting import save_grid
        from qaug._seed import make_generator

        model = info.get("model")
        if model is None or not hasattr(model, "sample_latent"):
            return
        if self._z is None:
            self._z = model.sample_latent(self.n, make_generator(self.seed, "sample-grid"))
        was_training = model.training
        model.eval()
        with torch.no_grad():
            x = model(self._z.to(next(model.parameters()).device)).cpu()  # (n, 1, H, W)
        model.train(was_training)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        it = int(info.get("iteration", 0))
        path = self.out_dir / f"{self.prefix}_iter{it:06d}.png"
        save_grid(path, [x])
        _add_label(path, f"{self.prefix}  iteration {it}")
        self.written.append(path)


def _add_label(path: Path, text: str) -> None:
    """Put ``text`` in a strip above the image at ``path`` (PIL's built-in font)."""
    from PIL import Image, ImageDraw

    with Image.open(path) as grid:
        out = Image.new("L", (grid.width, grid.height + 14), 255)
        out.paste(grid, (0, 14))
    ImageDraw.Draw(out).text((2, 1), text, fill=0)
    out.save(path)
