"""Distances between a set of real and a set of generated samples (pure functions).

Every function takes two sample sets as ``(n, d)`` arrays (flattened images or features) and
returns plain floats; nothing draws random numbers except the k-means of ``ndb_jsd``, which
takes a seed. :class:`qaug.train.SampleProtocol` combines them into one evaluation protocol.

- ``frechet_distance``: ``|mu_x - mu_y|^2 + tr(C_x + C_y - 2 (C_x C_y)^(1/2))`` with plain
  sample covariances (Heusel et al. 2017); on flattened pixels it is the "pixel FD".
- ``mmd_rbf``: unbiased squared MMD (Gretton et al. 2012, eq. 3) with the Gaussian kernel
  ``exp(-|a - b|^2 / (2 s^2))``, ``s`` the median pairwise distance of the pooled sample.
- ``precision_recall``: improved precision and recall (Kynkaanniemi et al. 2019): the real
  manifold is the union of balls around each real sample reaching its k-th nearest real
  neighbour; precision is the share of generated samples inside it, recall the share of real
  samples inside the generated manifold (built the same way). k = 3 as in the paper.
- ``ndb_jsd``: number of statistically different bins (Richardson & Weiss 2018): k-means with
  50 bins on the real samples; a bin is "different" when a two-proportion z-test rejects equal
  shares of real and generated samples at level 0.05; JSD (base 2, in [0, 1]) between the two
  bin histograms.
"""

from __future__ import annotations

import numpy as np
import torch

from qaug.train._quality import frechet_from_moments

__all__ = ["frechet_distance", "mmd_rbf", "median_bandwidth", "precision_recall", "ndb_jsd"]


def _as_2d(name: str, a, min_rows: int = 2) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().double().numpy()
    a = np.asarray(a, dtype=np.float64)
    if a.ndim > 2:
        a = a.reshape(len(a), -1)  # images (n, 1, H, W) -> (n, H*W)
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (n, d) (or (n, 1, H, W)); got {a.shape}.")
    if len(a) < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} samples; got {len(a)}.")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or inf.")
    return a


def _pair(x, y, min_rows: int = 2) -> tuple[np.ndarray, np.ndarray]:
    x, y = _as_2d("real samples", x, min_rows), _as_2d("generated samples", y, min_rows)
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"real and generated samples must have the same dimension; got {x.shape[1]} and "
            f"{y.shape[1]}."
        )
    return x, y


def frechet_distance(x, y) -> float:
    """Frechet distance between Gaussians fitted (sample mean, sample covariance) to x and y.

    Args:
        x: real samples ``(n, d)`` (or images ``(n, 1, H, W)``, flattened), n >= 2.
        y: generated samples ``(m, d)``, m >= 2.

    Example:
        >>> a = np.random.default_rng(0).normal(size=(50, 3))
        >>> round(frechet_distance(a, a), 6)
        0.0
    """
    x, y = _pair(x, y)
    return frechet_from_moments(x.mean(0), np.cov(x, rowvar=False).reshape(x.shape[1], -1),
                                y.mean(0), np.cov(y, rowvar=False).reshape(y.shape[1], -1))


def _sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.clip(d, 0, None)


def median_bandwidth(x, y) -> float:
    """Median pairwise Euclidean distance of the pooled samples (distinct pairs), > 0."""
    x, y = _pair(x, y, min_rows=1)
    z = np.concatenate([x, y])
    d = _sq_dists(z, z)[np.triu_indices(len(z), k=1)]
    s = float(np.sqrt(np.median(d))) if d.size else 0.0
    return s if s > 0 else 1.0  # all samples equal: any bandwidth gives MMD 0


def mmd_rbf(x, y, bandwidth: float | None = None) -> float:
    """Unbiased squared MMD with the kernel ``exp(-|a - b|^2 / (2 bandwidth^2))``.

    Args:
        x: real samples ``(n, d)``, n >= 2.
        y: generated samples ``(m, d)``, m >= 2.
        bandwidth: kernel width; None = the median heuristic (``median_bandwidth(x, y)``).

    Near 0 (it can dip slightly below, being unbiased) when x and y come from one distribution.
    """
    x, y = _pair(x, y)
    s = median_bandwidth(x, y) if bandwidth is None else float(bandwidth)
    if not s > 0:
        raise ValueError(f"bandwidth must be a positive number; got {bandwidth!r}.")
    n, m = len(x), len(y)
    kxx, kyy, kxy = (np.exp(-_sq_dists(a, b) / (2 * s * s)) for a, b in ((x, x), (y, y), (x, y)))
    # Unbiased: drop the diagonals k(a, a) = 1 of the within-set sums.
    return float((kxx.sum() - n) / (n * (n - 1)) + (kyy.sum() - m) / (m * (m - 1))
                 - 2 * kxy.mean())


def _radii(a: np.ndarray, k: int) -> np.ndarray:
    d = np.sqrt(_sq_dists(a, a))
    # Row-wise k-th smallest distance; index 0 is the sample itself (distance 0).
    return np.partition(d, k, axis=1)[:, k]


def _coverage(manifold: np.ndarray, radii: np.ndarray, queries: np.ndarray) -> float:
    d = np.sqrt(_sq_dists(queries, manifold))  # (q, n)
    return float((d <= radii[None, :] * (1 + 1e-12)).any(1).mean())


def precision_recall(x, y, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall of generated ``y`` against real ``x`` (k-NN manifolds).

    Args:
        x: real samples ``(n, d)``, n > k.
        y: generated samples ``(m, d)``, m > k.
        k: neighbourhood size of the manifold balls (3 in Kynkaanniemi et al. 2019).

    Returns:
        ``(precision, recall)`` in [0, 1]: identical sets give (1, 1), far-apart sets (0, 0).
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}.")
    x, y = _pair(x, y, min_rows=k + 1)
    return _coverage(x, _radii(x, k), y), _coverage(y, _radii(y, k), x)


def ndb_jsd(x, y, n_bins: int = 50, *, seed: int = 0, alpha: float = 0.05) -> dict[str, float]:
    """Number of statistically different bins and the bins' JS divergence.

    Args:
        x: real samples ``(n, d)`` that define the bins, n >= n_bins.
        y: generated samples ``(m, d)``.
        n_bins: k-means clusters (50 in Richardson & Weiss 2018).
        seed: seeds the k-means initialisation.
        alpha: level of each bin's two-sided two-proportion z-test.

    Returns:
        ``{"ndb": count, "ndb_ratio": count / n_bins, "jsd": JS divergence (base 2)}``.
    """
    from scipy.stats import norm
    from sklearn.cluster import KMeans

    x, y = _pair(x, y, min_rows=1)
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 2:
        raise ValueError(f"n_bins must be an integer >= 2; got {n_bins!r}.")
    if len(x) < n_bins:
        raise ValueError(
            f"ndb_jsd needs at least n_bins = {n_bins} real samples; got {len(x)}. Use more "
            "real samples or fewer bins."
        )
    km = KMeans(n_clusters=n_bins, n_init=3, random_state=int(seed) % 2**32).fit(x)
    p = np.bincount(km.labels_, minlength=n_bins) / len(x)
    q = np.bincount(km.predict(y), minlength=n_bins) / len(y)
    pooled = (p * len(x) + q * len(y)) / (len(x) + len(y))
    se = np.sqrt(pooled * (1 - pooled) * (1 / len(x) + 1 / len(y)))
    z = np.divide(np.abs(p - q), se, out=np.zeros_like(se), where=se > 0)
    ndb = int((z > norm.ppf(1 - alpha / 2)).sum())
    m = (p + q) / 2

    def kl(a):
        nz = a > 0
        return float((a[nz] * np.log2(a[nz] / m[nz])).sum())

    jsd = 0.5 * kl(p) + 0.5 * kl(q)
    return {"ndb": ndb, "ndb_ratio": ndb / n_bins, "jsd": max(0.0, min(1.0, jsd))}
