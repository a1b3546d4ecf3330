"""Sample quality without downloads: FID/KID-style distances, reference accuracy, diversity.

FID/KID-style distances on a small CNN's features, the accuracy of a reference classifier on
generated samples, and diversity (mode collapse).

Inception-based FID/KID need downloaded weights (impossible here) and thousands of samples.
Instead a small CNN is trained, seeded, on the real training data; its penultimate layer
(``feature_dim`` = 32 values) is the feature space and its head is the reference classifier
("does a generated 2 look like a 2?"). With ~100 real and ~100 generated images per class:

- ``kid``: unbiased MMD^2 with the polynomial kernel ``k(a, b) = (a.b / d + 1)**3``
  (Binkowski et al. 2018), unbiased at any sample size; near 0 (can dip below) when alike.
- ``fid``: Frechet distance between Gaussians fitted to the features, covariances estimated
  with Ledoit-Wolf shrinkage (a full-rank, well-conditioned estimate from few samples), so
  values are comparable between runs of this package only, not with published FIDs.
- ``accuracy``: share of generated images the reference CNN puts in the intended class, out
  of the k classes plus an "unstructured" class (pixel-shuffled real images) that catches noise.
- ``diversity``: mean pairwise L2 distance between generated images, and its ratio to the
  same quantity for the real images of the class (about 1 is healthy; near 0 is collapse).
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from qaug._io import load_checkpoint, save_checkpoint
from qaug._seed import make_generator
from qaug.models._init import make_conv2d, make_linear
from qaug.train._kernels import LeanAdam

__all__ = [
    "FeatureExtractor",
    "QualityEvaluator",
    "shared_feature_extractor",
    "kid",
    "fid",
    "frechet_from_moments",
    "diversity",
    "iterations_to_target",
    "LOWER_IS_BETTER",
]

# Metrics for which smaller is better (iterations_to_target looks for value <= target).
LOWER_IS_BETTER = frozenset({"fid", "kid", "loss_d", "loss_g"})


def _as_features(f) -> torch.Tensor:
    f = torch.as_tensor(f, dtype=torch.float64)
    if f.ndim != 2:
        raise ValueError(f"features must have shape (n, d); got {tuple(f.shape)}.")
    return f


def kid(real_features, fake_features, degree: int = 3) -> float:
    """Unbiased squared MMD with the polynomial kernel ``(a.b / d + 1)**degree`` (KID).

    Args:
        real_features: ``(n, d)``, n >= 2.
        fake_features: ``(m, d)``, m >= 2.
        degree: the kernel's degree (3 as in KID).
    """
    x, y = _as_features(real_features), _as_features(fake_features)
    if len(x) < 2 or len(y) < 2:
        raise ValueError(f"kid needs at least 2 samples on each side; got {len(x)} and {len(y)}.")
    return _kid(x, _kid_within(x, degree), y, degree)


def _kid_within(x: torch.Tensor, degree: int) -> torch.Tensor:
    """The within-set term of KID for features ``x`` ``(n, d)`` (the same for every fake set)."""
    n, d = len(x), x.shape[1]
    k = (x @ x.T / d + 1) ** degree
    # Unbiased: drop the diagonal k(a, a) of the within-set sum.
    return (k.sum() - k.diagonal().sum()) / (n * (n - 1))


def _kid(x: torch.Tensor, within_x: torch.Tensor, y: torch.Tensor, degree: int) -> float:
    d = x.shape[1]
    mmd = within_x + _kid_within(y, degree) - 2 * ((x @ y.T / d + 1) ** degree).mean()
    return float(mmd)


def _shrunk_cov(f: np.ndarray) -> np.ndarray:
    from sklearn.covariance import ledoit_wolf

    cov, _ = ledoit_wolf(f)
    return cov


def frechet_from_moments(mu1, c1, mu2, c2) -> float:
    """``|mu1 - mu2|^2 + tr(C1 + C2 - 2 (C1 C2)^(1/2))`` for means ``(d,)``, covariances ``(d, d)``."""
    c1 = np.asarray(c1, np.float64)
    return _frechet(mu1, c1, _sqrt_psd(c1), mu2, c2)


def _sqrt_psd(c: np.ndarray) -> np.ndarray:
    """``C^(1/2)`` of a symmetric positive semi-definite ``(d, d)`` matrix."""
    w, v = np.linalg.eigh(c)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def _frechet(mu1, c1, s1, mu2, c2) -> float:
    """:func:`frechet_from_moments` given ``s1 = C1^(1/2)`` (kept for a fixed real side)."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    c1, c2 = np.asarray(c1, np.float64), np.asarray(c2, np.float64)
    # tr sqrt(C1 C2) = sum sqrt(eig(S C2 S)) with S = C1^(1/2); S C2 S is symmetric PSD.
    eig = np.linalg.eigvalsh(s1 @ c2 @ s1)
    tr_sqrt = np.sqrt(np.clip(eig, 0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(c1) + np.trace(c2) - 2 * tr_sqrt)


def fid(real_features, fake_features) -> float:
    """Frechet distance ``|mu_r - mu_f|^2 + tr(C_r + C_f - 2 (C_r C_f)^(1/2))``.

    Covariances use Ledoit-Wolf shrinkage, so the distance is finite and stable for a few
    dozen samples in a 32-dimensional feature space.
    """
    x = _as_features(real_features).numpy()
    y = _as_features(fake_features).numpy()
    if len(x) < 2 or len(y) < 2:
        raise ValueError(f"fid needs at least 2 samples on each side; got {len(x)} and {len(y)}.")
    return frechet_from_moments(x.mean(0), _shrunk_cov(x), y.mean(0), _shrunk_cov(y))


def diversity(x: torch.Tensor) -> float:
    """Mean pairwise L2 distance between the flattened images of ``x`` ``(n, 1, H, W)``, n >= 2."""
    if len(x) < 2:
        raise ValueError(f"diversity needs at least 2 images; got {len(x)}.")
    return float(torch.pdist(x.reshape(len(x), -1).double()).mean())


class _FeatureNet(nn.Module):
    """conv3x3(8) -> ReLU -> maxpool2 -> conv3x3(16) -> ReLU -> avgpool to 4x4 -> 32 features."""

    def __init__(self, n_classes: int, feature_dim: int, g: torch.Generator):
        super().__init__()
        self.body = nn.Sequential(
            make_conv2d(1, 8, 3, g, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            make_conv2d(8, 16, 3, g, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),  # (n, 16 * 4 * 4)
            make_linear(256, feature_dim, g),
            nn.ReLU(),
        )
        self.head = make_linear(feature_dim, n_classes, g)


def _frozen(net: nn.Module) -> nn.Module:
    """``net`` in eval mode with every parameter's gradient off."""
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


class FeatureExtractor:
    """A small CNN trained (seeded, Adam, cross-entropy) on the real training data.

    Besides the k real classes it learns one extra "unstructured" class: the real images with
    their pixels randomly permuted (same intensities, no shape). Without it a classifier of
    digits alone assigns noise to some digit with high confidence (an untrained generator's
    speckle would count as a "2"); with it, both the reference accuracy and the features
    separate digit-like images from noise. This also makes a single-class dataset usable.

    ``features(x)`` gives the penultimate activations ``(n, feature_dim)``, centred on the real
    data and divided by their root mean variance there (one scalar); ``predict_proba(x)`` the
    probabilities ``(n, k + 1)`` (last column: unstructured).

    Args:
        real_x: float32 ``(N, 1, H, W)`` in [0, 1]; real_y: int64 ``(N,)`` in ``0..k-1``.
        seed: seeds the network's weights, the pixel permutations and the mini-batch order.
    """

    def __init__(
        self,
        real_x: torch.Tensor,
        real_y: torch.Tensor,
        *,
        seed: int,
        epochs: int = 40,
        feature_dim: int = 32,
        batch_size: int = 64,
        lr: float = 3e-3,
    ):
        real_x, real_y = _check_xy(real_x, real_y)
        self.image_size = real_x.shape[-1]
        self.n_classes = int(real_y.max()) + 1
        g = make_generator(seed, "quality", "features")
        n = len(real_x)
        flat = real_x.reshape(n, -1)  # (N, H*W)
        perm = torch.argsort(
            torch.rand(flat.shape, generator=g), dim=1
        )  # one permutation per image
        shuffled = torch.gather(flat, 1, perm).view_as(real_x)
        x = torch.cat([real_x, shuffled])  # (2N, 1, H, W)
        y = torch.cat([real_y, torch.full((n,), self.n_classes)])  # label k = unstructured
        net = _FeatureNet(self.n_classes + 1, feature_dim, g)
        opt = LeanAdam(net.parameters(), lr=lr)
        for _ in range(epochs):
            order = torch.randperm(len(x), generator=g)
            for i in range(0, len(x), batch_size):
                idx = order[i : i + batch_size]
                loss = F.cross_entropy(net.head(net.body(x[idx])), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
        self.net, self.feature_dim = _frozen(net), feature_dim
        with torch.no_grad():
            f = net.body(real_x).double()
            # One overall scale, not per-unit stds: a unit nearly constant on real data must not
            # be amplified.
            self._mean, self._scale = f.mean(0), float(f.var(0).mean().sqrt().clamp_min(1e-12))
            self.train_accuracy = float((net.head(net.body(x)).argmax(1) == y).double().mean())

    def state(self) -> dict:
        """What :meth:`from_state` rebuilds the trained extractor from (tensors and numbers)."""
        return {"net": self.net.state_dict(), "mean": self._mean, "scale": self._scale,
                "train_accuracy": self.train_accuracy, "image_size": self.image_size,
                "n_classes": self.n_classes, "feature_dim": self.feature_dim}

    @classmethod
    def from_state(cls, state: dict) -> FeatureExtractor:
        """The extractor :meth:`state` described, without training (exactly the same weights)."""
        self = cls.__new__(cls)
        self.image_size, self.n_classes = int(state["image_size"]), int(state["n_classes"])
        self.feature_dim = int(state["feature_dim"])
        net = _FeatureNet(self.n_classes + 1, self.feature_dim, torch.Generator().manual_seed(0))
        net.load_state_dict(state["net"])
        self.net, self._mean, self._scale = _frozen(net), state["mean"], float(state["scale"])
        self.train_accuracy = float(state["train_accuracy"])
        return self

    @torch.no_grad()
    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(n, 1, H, W)`` -> ``(n, feature_dim)`` float64."""
        return (self.net.body(x.detach().float().cpu()).double() - self._mean) / self._scale

    @torch.no_grad()
    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """Reference-classifier probabilities ``(n, k + 1)``; the last column is "unstructured"."""
        return torch.softmax(self.net.head(self.net.body(x.detach().float().cpu())), dim=1)

    @torch.no_grad()
    def features_and_proba(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(features(x), predict_proba(x))`` from one pass of the network's body."""
        h = self.net.body(x.detach().float().cpu())
        return (h.double() - self._mean) / self._scale, torch.softmax(self.net.head(h), dim=1)


_SHARED: dict[tuple, FeatureExtractor] = {}
# Part of the cache key: bump it when FeatureExtractor's training changes, so files cached by
# older code are not loaded.
_EXTRACTOR_FORMAT = 1
_EXTRACTOR_KIND = "quality_extractor"
_SHARED_MAX = 8


def shared_feature_extractor(
    real_x: torch.Tensor, real_y: torch.Tensor, *, seed: int, epochs: int = 40,
    cache_dir: str | Path | None = None,
) -> FeatureExtractor:
    """A ``FeatureExtractor`` trained once for the same data, seed and epochs.

    Training is deterministic, so reusing it is exact: the generator banks of one seed (qgan,
    gan, dcgan, ...) share one extractor instead of each training its own. The last
    ``_SHARED_MAX`` extractors are kept in this process; with ``cache_dir`` the extractor is
    also kept in ``<cache_dir>/extractors/`` and loaded from there by later processes (a
    sweep's workers), bit for bit the weights training would give. A cache file that does
    not load or describes other data is retrained and replaced (it is derived data).
    """
    x, y = _check_xy(real_x, real_y)
    digest = hashlib.sha256(x.numpy().tobytes() + y.numpy().tobytes()).hexdigest()
    key = (digest, tuple(x.shape), int(seed), int(epochs), _EXTRACTOR_FORMAT)
    if key not in _SHARED:
        if len(_SHARED) >= _SHARED_MAX:
            _SHARED.pop(next(iter(_SHARED)))
        path = None if cache_dir is None else _extractor_path(cache_dir, key)
        extractor = None if path is None else _load_extractor(path, key)
        if extractor is None:
            extractor = FeatureExtractor(x, y, seed=seed, epochs=epochs)
            if path is not None:
                save_checkpoint(path, {"kind": _EXTRACTOR_KIND, "config": {"key": repr(key)},
                                       **extractor.state()})
        _SHARED[key] = extractor
    return _SHARED[key]


def _extractor_path(cache_dir: str | Path, key: tuple) -> Path:
    name = hashlib.sha256(repr(key).encode()).hexdigest()[:20]
    return Path(cache_dir) / "extractors" / f"{name}.pt"


def _load_extractor(path: Path, key: tuple) -> FeatureExtractor | None:
    """The cached extractor at ``path`` if it is one for ``key``; None to train it."""
    if not path.is_file():
        return None
    try:  # load_checkpoint: tensors and plain values only, never code from the file
        state = load_checkpoint(path, _EXTRACTOR_KIND)
        if state.get("config") != {"key": repr(key)}:
            raise ValueError("it was trained on other data or settings")
        return FeatureExtractor.from_state(state)
    except Exception as e:  # noqa: BLE001 - a bad cache file is retrained, never trusted
        warnings.warn(f"cached quality extractor {str(path)!r} not used ({type(e).__name__}: "
                      f"{e}); training it again", UserWarning, stacklevel=3)
        return None


def _check_xy(x, y) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.as_tensor(x).float().cpu()
    y = torch.as_tensor(y).long().cpu()
    if x.ndim != 4 or x.shape[1] != 1 or len(x) != len(y) or y.ndim != 1:
        raise ValueError(
            f"real data must be x (N, 1, H, W) with labels y (N,); got {tuple(x.shape)} and "
            f"{tuple(y.shape)}."
        )
    if len(x) < 2:
        raise ValueError(f"quality metrics need at least 2 real images; got {len(x)}.")
    return x, y


class QualityEvaluator:
    """Scores generated images of one class against the real images of that class.

    ``evaluator(fake_x, label)`` -> ``{"fid", "kid", "accuracy", "confidence", "diversity",
    "diversity_real", "diversity_ratio"}`` where ``accuracy`` is the share of ``fake_x`` the
    reference classifier assigns to ``label`` (rather than to another class or to
    "unstructured") and ``confidence`` its mean probability for ``label``.

    Example:
        >>> x = torch.rand(40, 1, 8, 8); y = torch.arange(40) % 2
        >>> q = QualityEvaluator(x, y, seed=0, epochs=1)
        >>> sorted(q(torch.rand(10, 1, 8, 8), 1))[:3]
        ['accuracy', 'confidence', 'diversity']
    """

    def __init__(
        self,
        real_x: torch.Tensor,
        real_y: torch.Tensor,
        *,
        seed: int,
        extractor: FeatureExtractor | None = None,
        **extractor_options,
    ):
        real_x, real_y = _check_xy(real_x, real_y)
        self.extractor = extractor or FeatureExtractor(
            real_x, real_y, seed=seed, **extractor_options
        )
        self._real_x, self._real_y = real_x, real_y
        self._cache: dict[int, dict] = {}

    def _real(self, label: int) -> dict:
        """What every score of class ``label`` compares against, computed once per label."""
        if label not in self._cache:
            xr = self._real_x[self._real_y == label]
            if len(xr) < 2:
                raise ValueError(
                    f"label {label} has {len(xr)} real image(s); quality metrics need at least 2."
                )
            f = _as_features(self.extractor.features(xr))
            fn = f.numpy()
            cov = np.asarray(_shrunk_cov(fn), np.float64)
            self._cache[label] = {"features": f, "diversity": diversity(xr),
                                  "mean": fn.mean(0), "cov": cov, "sqrt_cov": _sqrt_psd(cov),
                                  "kid_within": _kid_within(f, 3)}
        return self._cache[label]

    def __call__(self, fake_x: torch.Tensor, label: int) -> dict[str, float | None]:
        """Quality of ``fake_x`` ``(n, 1, H, W)`` (n >= 2) as images of class ``label``."""
        fake_x = fake_x.detach().float().cpu()
        if fake_x.ndim != 4 or fake_x.shape[1:] != self._real_x.shape[1:]:
            raise ValueError(
                f"generated images must have shape "
                f"(n, {', '.join(map(str, self._real_x.shape[1:]))}) "
                f"like the real ones; got {tuple(fake_x.shape)}."
            )
        if len(fake_x) < 2:
            raise ValueError(f"quality metrics need at least 2 generated images; got {len(fake_x)}.")
        real = self._real(int(label))
        f_fake, probs = self.extractor.features_and_proba(fake_x)
        f_fake = _as_features(f_fake)
        fn = f_fake.numpy()
        div, div_real = diversity(fake_x), real["diversity"]
        return {
            # fid(f_real, f_fake) and kid(f_real, f_fake), the real side's terms computed once
            "fid": _frechet(real["mean"], real["cov"], real["sqrt_cov"], fn.mean(0), _shrunk_cov(fn)),
            "kid": _kid(real["features"], real["kid_within"], f_fake, 3),
            "accuracy": float((probs.argmax(1) == label).double().mean()),
            "confidence": float(probs[:, label].mean()),
            "diversity": div,
            "diversity_real": div_real,
            "diversity_ratio": div / div_real if div_real > 0 else None,
        }


def iterations_to_target(
    history: Mapping | Sequence[Mapping],
    metric: str,
    target: float,
    *,
    higher_is_better: bool | None = None,
) -> int | None:
    """First logged iteration at which ``metric`` reaches ``target``, or None if it never does.

    Args:
        history: a training history (``GANResult.history``: quality entries under
            ``"quality"``, per-iteration losses under ``"loss_d"``/``"loss_g"``) or a list of
            ``{"iteration": i, metric: value}`` records.
        metric: e.g. ``"fid"``, ``"kid"``, ``"accuracy"``, ``"diversity_ratio"``.
        target: the value to reach.
        higher_is_better: direction; by default lower is better for ``LOWER_IS_BETTER``
            (fid, kid, losses) and higher for everything else.

    Example:
        >>> h = {"quality": [{"iteration": 0, "fid": 9.0}, {"iteration": 50, "fid": 2.0}]}
        >>> iterations_to_target(h, "fid", 3.0)
        50
    """
    if isinstance(history, Mapping):
        if (
            metric in history
            and "iteration" in history
            and not isinstance(history[metric], Mapping)
        ):
            records = [
                {"iteration": i, metric: v} for i, v in zip(history["iteration"], history[metric])
            ]
        elif "quality" in history:
            records = list(history["quality"])
        else:
            raise ValueError(
                f"history has no 'quality' records and no per-iteration {metric!r}; "
                f"keys: {sorted(history)}."
            )
    else:
        records = list(history)
    if higher_is_better is None:
        higher_is_better = metric not in LOWER_IS_BETTER
    found_metric = False
    for rec in records:
        value = rec.get(metric)
        if value is None or value != value:  # missing or NaN
            continue
        found_metric = True
        if (value >= target) if higher_is_better else (value <= target):
            return int(rec["iteration"])
    if not found_metric and records:
        raise ValueError(
            f"metric {metric!r} is not in the history; available: "
            f"{sorted(k for k in records[0] if k != 'iteration')}."
        )
    return None
