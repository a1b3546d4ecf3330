"""Known answers of the sample-set distances, and agreement with scipy / scikit-learn."""

import numpy as np
import pytest
import torch

from qaug.train import (
    SampleProtocol,
    frechet_distance,
    median_bandwidth,
    mmd_rbf,
    ndb_jsd,
    precision_recall,
)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_frechet_identical_is_zero(rng):
    a = rng.normal(size=(80, 5))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)


def test_frechet_matches_scipy_sqrtm(rng):
    from scipy.linalg import sqrtm

    a, b = rng.normal(size=(60, 4)), rng.normal(1.0, 2.0, size=(70, 4))
    c1, c2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    ref = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(c1 + c2 - 2 * sqrtm(c1 @ c2).real)
    assert frechet_distance(a, b) == pytest.approx(ref, rel=1e-6)


def test_frechet_shifted_means():
    # Same covariance, means 3 apart in each of 2 dimensions: FD = 2 * 3^2 exactly.
    a = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert frechet_distance(a, a + 3.0) == pytest.approx(18.0, abs=1e-8)


def test_frechet_accepts_images_rank_deficient():
    x = torch.rand(10, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(x, x.flip(0) * 0.5) > 0.1


def test_mmd_matches_sklearn_kernel(rng):
    from sklearn.metrics.pairwise import rbf_kernel

    a, b = rng.normal(size=(30, 3)), rng.normal(0.5, 1.0, size=(40, 3))
    s = median_bandwidth(a, b)
    z = np.concatenate([a, b])
    d = np.sqrt(((z[:, None] - z[None]) ** 2).sum(-1))[np.triu_indices(70, 1)]
    assert s == pytest.approx(np.median(d))
    g = 1 / (2 * s * s)
    kxx, kyy, kxy = rbf_kernel(a, a, gamma=g), rbf_kernel(b, b, gamma=g), rbf_kernel(a, b, gamma=g)
    ref = ((kxx.sum() - 30) / (30 * 29) + (kyy.sum() - 40) / (40 * 39) - 2 * kxy.mean())
    assert mmd_rbf(a, b) == pytest.approx(ref, rel=1e-10)


def test_mmd_same_distribution_near_zero_and_shift_large(rng):
    a, b = rng.normal(size=(200, 4)), rng.normal(size=(200, 4))
    assert abs(mmd_rbf(a, a)) < 1e-2 and abs(mmd_rbf(a, b)) < 1e-2
    assert mmd_rbf(a, b + 3.0) > 0.5


def test_precision_recall_identical_and_disjoint(rng):
    a = rng.normal(size=(50, 3))
    assert precision_recall(a, a) == (1.0, 1.0)
    assert precision_recall(a, a + 100.0) == (0.0, 0.0)


def test_precision_recall_collapse_keeps_precision_loses_recall(rng):
    a = rng.normal(size=(200, 2))
    collapsed = a[:10].repeat(20, axis=0) + 1e-3 * rng.normal(size=(200, 2))
    p, r = precision_recall(a, collapsed)
    assert p > 0.95 and r < 0.3


def test_precision_recall_matches_bruteforce(rng):
    a, b = rng.normal(size=(25, 2)), rng.normal(0.7, 1.0, size=(30, 2))

    def cover(m, q, k=3):
        rad = [sorted(np.linalg.norm(m - p, axis=1))[k] for p in m]
        return np.mean([any(np.linalg.norm(p - m[j]) <= rad[j] for j in range(len(m))) for p in q])

    assert precision_recall(a, b) == pytest.approx((cover(a, b), cover(b, a)))


def test_ndb_same_vs_shifted(rng):
    centres = rng.normal(scale=5.0, size=(10, 4))

    def draw(n, shift=0.0):
        return centres[rng.integers(0, 10, n)] + rng.normal(size=(n, 4)) + shift

    real = draw(1000)
    same = ndb_jsd(real, draw(1000), seed=0)
    shifted = ndb_jsd(real, draw(1000, shift=2.0), seed=0)
    assert same["ndb"] <= 8 and same["jsd"] < 0.05
    assert shifted["ndb"] >= 25 and shifted["jsd"] > 0.3
    assert shifted["ndb_ratio"] == shifted["ndb"] / 50


def test_ndb_jsd_matches_scipy(rng):
    from scipy.spatial.distance import jensenshannon
    from sklearn.cluster import KMeans

    real, fake = rng.normal(size=(300, 2)), rng.normal(0.5, 1.0, size=(200, 2))
    out = ndb_jsd(real, fake, 10, seed=3)
    km = KMeans(n_clusters=10, n_init=3, random_state=3).fit(real)
    p = np.bincount(km.labels_, minlength=10) / 300
    q = np.bincount(km.predict(fake), minlength=10) / 200
    assert out["jsd"] == pytest.approx(jensenshannon(p, q, base=2) ** 2, rel=1e-8)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: frechet_distance(np.zeros((1, 3)), np.zeros((5, 3))), "at least 2"),
        (lambda: mmd_rbf(np.zeros((4, 3)), np.zeros((4, 2))), "same dimension"),
        (lambda: mmd_rbf(np.ones((4, 3)), np.ones((4, 3)), bandwidth=-1.0), "bandwidth"),
        (lambda: precision_recall(np.zeros((5, 2)), np.zeros((5, 2)), k=0), "positive"),
        (lambda: ndb_jsd(np.zeros((10, 2)), np.zeros((10, 2))), "n_bins = 50"),
        (lambda: frechet_distance(np.full((4, 2), np.nan), np.zeros((4, 2))), "NaN"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def _two_class(seed, n=60):
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, 1, 8, 8)
    y = torch.arange(n) % 2
    x[y == 0, :, 2:6, 1:3] = 1.0  # a vertical bar
    x[y == 1, :, 1:3, 2:6] = 1.0  # a horizontal bar
    return (x + 0.1 * torch.rand(x.shape, generator=g)).clamp(0, 1), y


def test_protocol_real_vs_noise():
    ref_x, ref_y = _two_class(0)
    held_x, held_y = _two_class(1)
    p = SampleProtocol(ref_x, ref_y, held_x, held_y, seed=0, n_samples=20, n_real=20, n_bins=5,
                       extractor_epochs=15, tstr_epochs=15)
    good = p.score({c: _two_class(2)[0][_two_class(2)[1] == c][:20] for c in (0, 1)})
    noise = p.score({c: torch.rand(20, 1, 8, 8, generator=torch.Generator().manual_seed(c))
                     for c in (0, 1)})
    assert good["accuracy"] == 1.0 and good["tstr_accuracy"] == 1.0
    assert good["precision"] > 0.8 and good["recall"] > 0.8
    assert noise["precision"] < 0.2 and noise["accuracy"] < 0.5
    for m in ("pixel_fd", "mmd", "fid", "kid", "jsd"):
        assert good[m] < noise[m], m
    assert set(good["per_class"]) == {0, 1}


def test_protocol_fixed_counts():
    x, y = _two_class(0)
    p = SampleProtocol(x, y, x, y, seed=0, n_samples=20, n_real=20, n_bins=5,
                       extractor_epochs=1, tstr_epochs=1)
    with pytest.raises(ValueError, match="shape"):
        p.score({0: x[:10], 1: x[:20]})
    with pytest.raises(ValueError, match="one entry per label"):
        p.score({0: x[:20]})
    with pytest.raises(ValueError, match="uses 50 per class"):
        SampleProtocol(x, y, x, y, seed=0, n_samples=20, n_real=50)
