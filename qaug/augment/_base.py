"""``BaseAugmenter``: the imbalanced-learn sampler contract for image augmentation.

``fit_resample(X, y)`` checks the constructor arguments against the class's
``_parameter_constraints`` table, checks ``X``/``y``, resolves ``sampling_strategy`` with
:func:`resolve_sampling_strategy`, builds one CPU ``torch.Generator`` from ``random_state`` and
calls ``_fit_resample``, which returns only the *new* samples. The originals are always the
first ``N`` rows of ``X_res``, untouched; the input is never modified.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator

from qaug.augment._dataset import AugmentedDataset, count_sources
from qaug.augment._strategy import STRATEGY_NAMES, resolve_sampling_strategy
from qaug.augment._validation import (
    CallableOk,
    InstanceOf,
    Interval,
    Options,
    RandomState,
    validate_params,
)
from qaug.data import as_image_tensor

__all__ = ["BaseAugmenter", "ORIGINAL"]

ORIGINAL = "original"

# Constraint rows every sampler shares (imbalanced-learn's ``_parameter_constraints``).
SAMPLING_STRATEGY_CONSTRAINT = [
    Options(*STRATEGY_NAMES),
    Interval(1, None, integer=True),
    InstanceOf(dict, name="dict ({class: target_total} or {'ratio': r})"),
    CallableOk(),
]
RANDOM_STATE_CONSTRAINT = [RandomState()]


def make_sampler_generator(random_state: Any) -> tuple[torch.Generator, int | None]:
    """CPU generator from an int seed, a CPU ``torch.Generator`` (used as is) or None (OS entropy).

    Returns the generator and the seed it was started from (None for a passed generator).
    """
    if isinstance(random_state, torch.Generator):
        if random_state.device.type != "cpu":
            raise ValueError(
                f"random_state must be a CPU torch.Generator (draws happen on the CPU, then move); "
                f"got one on {random_state.device}. Use torch.Generator(device='cpu')."
            )
        return random_state, None
    g = torch.Generator(device="cpu")
    if random_state is None:
        return g, int(g.seed())  # fresh entropy for this generator only; global RNG untouched
    g.manual_seed(int(random_state))
    return g, int(random_state)


def check_X_y(X: Any, y: Any, name: str = "X") -> tuple[torch.Tensor, np.ndarray]:
    """Images -> float32 ``(N, 1, H, W)`` tensor in [0, 1]; labels -> int64 numpy ``(N,)``."""
    x = as_image_tensor(X, name)
    yy = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    if yy.ndim != 1 or yy.shape[0] != x.shape[0]:
        raise ValueError(
            f"y must be 1-D with one label per image of {name}: expected shape ({x.shape[0]},); "
            f"got {tuple(yy.shape)}."
        )
    if yy.size and not np.issubdtype(yy.dtype, np.integer):
        if not (np.issubdtype(yy.dtype, np.floating) and np.all(yy == np.round(yy))):
            raise TypeError(f"y must hold integer class labels; got dtype {yy.dtype}.")
    if x.shape[0] == 0:
        raise ValueError(f"{name} holds no images; pass at least one image per class.")
    return x, yy.astype(np.int64)


class BaseAugmenter(BaseEstimator):
    """Base class of the samplers (do not use directly).

    A scikit-learn estimator: ``get_params(deep=...)``, ``set_params``, ``sklearn.base.clone``
    and ``GridSearchCV`` work, and an imbalanced-learn ``Pipeline`` runs it as a sampler
    (only during ``fit``). ``X`` may also be flat, ``(N, H*W)`` with a square number of
    features (as scikit-learn pipelines pass images); the output is then flat too.

    Subclasses set ``_parameter_constraints`` and implement
    ``_fit_resample(x, y, generator, **fit_params) -> (x_new, y_new, sources_new, indices_new)``
    with ``x_new`` float32 ``(M, 1, H, W)`` in [0, 1], ``y_new`` int64 ``(M,)``, ``sources_new``
    a sequence of M strings and ``indices_new`` int64 ``(M,)`` (index of the original image a
    new sample was made from, or -1 for generated ones).

    Fitted attributes (after ``fit_resample``):
        sampling_strategy_ (dict): ``{class: n_new}`` resolved from ``sampling_strategy``.
        sources_ (np.ndarray of str, (N_res,)): ``"original"`` or the augmenter that made a row.
        sample_indices_ (np.ndarray int64, (N_res,)): index into ``X`` of the original each row is
            (originals) or was made from (traditional); -1 for generated rows.
        params_ (dict): the random draws, enough to replay the run (see each subclass).
        seed_ (int or None): the seed the sampler's generator started from (None if one was passed).
        n_original_ (int), classes_ (np.ndarray), image_size_ (int).
        X_resampled_ (torch.Tensor float32 (N_res, 1, H, W)), y_resampled_ (torch.Tensor int64).
    """

    _parameter_constraints: dict[str, list] = {}

    def _check_params(self, x: torch.Tensor, y: np.ndarray) -> None:
        """Cross-parameter checks that one table row cannot express (override in subclasses)."""

    _estimator_type = "sampler"

    def fit_resample(self, X: Any, y: Any, **fit_params: Any) -> tuple[Any, Any]:
        """Resample: return the originals followed by the new samples.

        Args:
            X: images ``(N, 1, H, W)`` or ``(N, H, W)``, numpy array or torch tensor, floats in
                [0, 1] (integers 0..255 are scaled to [0, 1] with a warning).
            y: integer labels ``(N,)``.
            **fit_params: extra data some samplers need (``X_val``, ``y_val``: customized).

        Returns:
            ``(X_res, y_res)``: the same container type (numpy/torch), layout (3-D/4-D), float
            dtype and device as ``X``/``y``; ``X_res[:N]`` equals ``X`` exactly.
        """
        validate_params(self, self._parameter_constraints)
        flat = _flat_side(X)
        if flat is not None:  # (N, H*W) -> (N, 1, H, W); the result is flattened back
            X_img = _unflatten(X, flat)
            x_res, y_res = self.fit_resample(X_img, y, **_unflatten_fit_params(fit_params, flat))
            return _flatten(x_res), y_res
        x, labels = check_X_y(X, y)
        self._check_params(x, labels)
        self.sampling_strategy_ = resolve_sampling_strategy(self.sampling_strategy, labels)
        generator, self.seed_ = make_sampler_generator(self.random_state)
        self.n_original_ = int(x.shape[0])
        self.classes_ = np.unique(labels)
        self.image_size_ = int(x.shape[-1])
        x_new, y_new, src_new, idx_new = self._fit_resample(x, labels, generator, **fit_params)
        x_new = x_new.detach().to(device=x.device, dtype=torch.float32)
        y_new = torch.as_tensor(np.asarray(y_new, dtype=np.int64))
        n_new = int(x_new.shape[0])
        if x_new.shape[1:] != x.shape[1:] or y_new.shape != (n_new,) or len(src_new) != n_new:
            raise RuntimeError(  # a bug in a subclass, not user input
                f"{type(self).__name__}._fit_resample returned inconsistent shapes "
                f"{tuple(x_new.shape)}, {tuple(y_new.shape)}, {len(src_new)} sources."
            )
        self.sources_ = np.array([ORIGINAL] * len(labels) + list(src_new), dtype=object)
        self.sample_indices_ = np.concatenate(
            [np.arange(len(labels), dtype=np.int64), np.asarray(idx_new, dtype=np.int64)]
        )
        self.X_resampled_ = torch.cat([x.detach(), x_new], dim=0)
        self.y_resampled_ = torch.cat([torch.as_tensor(labels), y_new])
        return _as_output(X, x, x_new), _as_output_labels(y, y_new)

    def to_dataset(self) -> AugmentedDataset:
        """The last resampled set as a torch ``Dataset`` of ``(x, y)`` pairs with ``.sources``."""
        if not hasattr(self, "X_resampled_"):
            raise ValueError(
                f"{type(self).__name__} is not fitted yet; call fit_resample(X, y) before "
                "to_dataset()."
            )
        return AugmentedDataset(self.X_resampled_, self.y_resampled_, self.sources_)

    def source_counts(self) -> dict[str, dict[int, int]]:
        """``{source: {class: count}}`` of the last resampled set."""
        if not hasattr(self, "sources_"):
            raise ValueError(f"{type(self).__name__} is not fitted yet; call fit_resample first.")
        return count_sources(self.y_resampled_, self.sources_)


def _as_output(X: Any, x: torch.Tensor, x_new: torch.Tensor) -> Any:
    """Append ``x_new`` (M, 1, H, W) to the untouched input ``X`` in its own container/layout/dtype.

    ``x`` is the checked float32 copy of ``X``, used only when ``X`` held 0..255 integers.
    """
    if isinstance(X, torch.Tensor):
        dtype = X.dtype if X.is_floating_point() else torch.float32
        orig = X.detach() if X.is_floating_point() else x.reshape(X.shape)
        new = x_new.to(device=X.device, dtype=dtype)
        return torch.cat([orig, new[:, 0] if X.ndim == 3 else new], dim=0)
    arr = np.asarray(X)
    if np.issubdtype(arr.dtype, np.floating):
        orig, dtype = arr, arr.dtype
    else:  # 0..255 integers were scaled; return [0, 1] floats so the set is consistent
        orig, dtype = x.cpu().numpy().reshape(arr.shape), np.float32
    new = x_new.cpu().numpy().astype(dtype)
    return np.concatenate([orig, new[:, 0] if arr.ndim == 3 else new], axis=0)


def _as_output_labels(y: Any, y_new: torch.Tensor) -> Any:
    if isinstance(y, torch.Tensor):
        return torch.cat([y.detach(), y_new.to(device=y.device, dtype=y.dtype)])
    arr = np.asarray(y)
    return np.concatenate([arr, y_new.numpy().astype(arr.dtype)])


def _flat_side(X: Any) -> int | None:
    """The image side of a flat ``(N, H*W)`` array or tensor with square ``H*W``, else None."""
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) != 2 or shape[1] < 4:
        return None
    side = int(round(float(shape[1]) ** 0.5))
    return side if side * side == shape[1] else None


def _unflatten(X: Any, side: int) -> Any:
    return X.reshape(X.shape[0], side, side)  # (N, H*W) -> (N, H, W), numpy or torch


def _flatten(X: Any) -> Any:
    return X.reshape(X.shape[0], -1)  # (N, H, W) -> (N, H*W)


def _unflatten_fit_params(fit_params: dict, side: int) -> dict:
    out = dict(fit_params)
    if out.get("X_val") is not None and _flat_side(out["X_val"]) == side:
        out["X_val"] = _unflatten(out["X_val"], side)
    return out
