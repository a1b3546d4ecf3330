import numpy as np
import pytest
import scipy.linalg
import torch

from qaug.train import FeatureExtractor, QualityEvaluator, diversity, fid, iterations_to_target, kid
from qaug.train._quality import _shrunk_cov


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_kid_is_unbiased_and_grows_with_a_shift():
    a = torch.randn(200, 8, generator=gen(0), dtype=torch.float64)
    b = torch.randn(200, 8, generator=gen(1), dtype=torch.float64)
    same = kid(a, b)
    assert abs(same) < 0.05  # unbiased: about 0, either sign, for two samples of one law
    assert kid(a, b + 1.0) > 10 * max(abs(same), 1e-3)
    assert kid(a, b + 2.0) > kid(a, b + 1.0)


def test_kid_matches_a_loop_reference():
    a = torch.randn(5, 3, generator=gen(2), dtype=torch.float64)
    b = torch.randn(4, 3, generator=gen(3), dtype=torch.float64)

    def k(u, v):
        return (float(u @ v) / 3 + 1) ** 3

    xx = sum(k(a[i], a[j]) for i in range(5) for j in range(5) if i != j) / 20
    yy = sum(k(b[i], b[j]) for i in range(4) for j in range(4) if i != j) / 12
    xy = sum(k(a[i], b[j]) for i in range(5) for j in range(4)) / 20
    assert kid(a, b) == pytest.approx(xx + yy - 2 * xy, rel=1e-10)


def test_fid_matches_scipy_sqrtm_on_shrunk_covariances():
    a = torch.randn(30, 6, generator=gen(4), dtype=torch.float64).numpy()
    b = (torch.randn(25, 6, generator=gen(5), dtype=torch.float64) * 1.5 + 0.3).numpy()
    c1, c2 = _shrunk_cov(a), _shrunk_cov(b)
    ref = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(
        c1 + c2 - 2 * scipy.linalg.sqrtm(c1 @ c2).real
    )
    assert fid(a, b) == pytest.approx(ref, rel=1e-6)
    assert fid(a, a) == pytest.approx(0.0, abs=1e-8)


def test_fid_is_finite_with_fewer_samples_than_dimensions():
    a = torch.randn(10, 32, generator=gen(6))
    b = torch.randn(10, 32, generator=gen(7))
    value = fid(a, b)
    assert np.isfinite(value) and value > 0


def test_metrics_reject_too_few_samples():
    with pytest.raises(ValueError, match="at least 2"):
        kid(torch.zeros(1, 3), torch.zeros(5, 3))
    with pytest.raises(ValueError, match="at least 2"):
        fid(torch.zeros(5, 3), torch.zeros(1, 3))
    with pytest.raises(ValueError, match="at least 2"):
        diversity(torch.zeros(1, 1, 4, 4))
    with pytest.raises(ValueError, match="shape"):
        kid(torch.zeros(5), torch.zeros(5))


def test_diversity_detects_collapse():
    x = torch.rand(20, 1, 8, 8, generator=gen(8))
    assert diversity(x) > 1.0
    assert diversity(x[:1].expand(20, 1, 8, 8)) == 0.0


def _toy_data(n=40, size=8):
    """Three easily told apart classes: a horizontal bar, a vertical bar, a square."""
    g = gen(9)
    x = torch.zeros(3 * n, 1, size, size)
    y = torch.arange(3).repeat_interleave(n)
    for i in range(3 * n):
        o = int(torch.randint(1, 3, (1,), generator=g))
        if y[i] == 0:
            x[i, 0, 3 + o - 1 : 5 + o - 1, 1:7] = 1
        elif y[i] == 1:
            x[i, 0, 1:7, 3 + o - 1 : 5 + o - 1] = 1
        else:
            x[i, 0, 1 + o : 6 + o - 1, 1 + o : 6 + o - 1] = 1
    return (x + 0.05 * torch.rand(x.shape, generator=g)).clamp(0, 1), y


@pytest.fixture(scope="module")
def evaluator():
    x, y = _toy_data()
    return QualityEvaluator(x, y, seed=0, epochs=30)


def test_evaluator_scores_real_images_of_the_class_best(evaluator):
    x, y = _toy_data()
    own = evaluator(x[y == 1][:20], 1)
    other = evaluator(x[y == 0][:20], 1)
    noise = evaluator(torch.rand(20, 1, 8, 8, generator=gen(10)), 1)
    assert set(own) == {
        "fid",
        "kid",
        "accuracy",
        "confidence",
        "diversity",
        "diversity_real",
        "diversity_ratio",
    }
    assert own["accuracy"] == 1.0 and other["accuracy"] == 0.0
    assert noise["accuracy"] <= 0.1  # noise lands in the "unstructured" class, not in a class
    assert own["fid"] < other["fid"] and own["fid"] < noise["fid"]
    assert own["kid"] < other["kid"]
    assert 0.5 < own["diversity_ratio"] < 1.5


def test_evaluator_scores_are_the_metric_functions_bit_for_bit(evaluator):
    # The evaluator keeps the real side's statistics per class; the scores are exactly what
    # fid / kid / diversity and the reference classifier give on the same features.
    x, y = _toy_data()
    ext = evaluator.extractor
    for label, fake in [(1, x[y == 1][:20]), (0, torch.rand(9, 1, 8, 8, generator=gen(11))),
                        (1, x[y == 2][:5])]:  # the same class twice: its kept statistics again
        got = evaluator(fake, label)
        f_real, f_fake = ext.features(x[y == label]), ext.features(fake)
        probs = ext.predict_proba(fake)
        assert got["fid"] == fid(f_real, f_fake)
        assert got["kid"] == kid(f_real, f_fake)
        assert got["accuracy"] == float((probs.argmax(1) == label).double().mean())
        assert got["confidence"] == float(probs[:, label].mean())
        assert got["diversity"] == diversity(fake)
        assert got["diversity_real"] == diversity(x[y == label])
    with pytest.raises(ValueError, match="at least 2"):
        evaluator(torch.rand(1, 1, 8, 8), 0)


def test_evaluator_checks_shapes_and_labels(evaluator):
    with pytest.raises(ValueError, match="shape"):
        evaluator(torch.rand(5, 1, 4, 4), 0)
    with pytest.raises(ValueError, match="label 7"):
        evaluator(torch.rand(5, 1, 8, 8), 7)


def test_feature_extractor_is_seeded_and_works_with_one_class():
    x, y = _toy_data(10)
    a = FeatureExtractor(x, y, seed=1, epochs=2).features(x[:5])
    b = FeatureExtractor(x, y, seed=1, epochs=2).features(x[:5])
    assert torch.equal(a, b)
    one = FeatureExtractor(x[y == 2], torch.zeros(10, dtype=torch.long), seed=0, epochs=5)
    assert one.predict_proba(x[:3]).shape == (3, 2)
    assert one.features(x[:3]).shape == (3, 32)


def test_iterations_to_target():
    h = {
        "iteration": [1, 2, 3],
        "loss_g": [3.0, 1.0, 0.5],
        "quality": [
            {"iteration": 0, "fid": 9.0, "accuracy": 0.1},
            {"iteration": 50, "fid": 4.0, "accuracy": 0.95},
            {"iteration": 100, "fid": 2.0, "accuracy": 1.0},
        ],
    }
    assert iterations_to_target(h, "fid", 5.0) == 50
    assert iterations_to_target(h, "fid", 1.0) is None
    assert iterations_to_target(h, "accuracy", 0.9) == 50
    assert iterations_to_target(h, "accuracy", 0.99) == 100
    assert iterations_to_target(h, "loss_g", 1.0) == 2
    assert iterations_to_target(h["quality"], "fid", 10.0) == 0
    assert iterations_to_target(h, "fid", 3.0, higher_is_better=True) == 0
    with pytest.raises(ValueError, match="not in the history"):
        iterations_to_target(h, "sharpness", 1.0)


def test_shared_feature_extractor_is_reused_and_exact():
    from qaug.train import FeatureExtractor, shared_feature_extractor

    g = torch.Generator().manual_seed(5)
    x, y = torch.rand(20, 1, 8, 8, generator=g), torch.arange(20) % 2
    a = shared_feature_extractor(x, y, seed=3, epochs=1)
    assert shared_feature_extractor(x.clone(), y.clone(), seed=3, epochs=1) is a
    assert shared_feature_extractor(x, y, seed=4, epochs=1) is not a
    fresh = FeatureExtractor(x, y, seed=3, epochs=1)
    assert torch.equal(a.features(x), fresh.features(x))


def test_shared_feature_extractor_cache_on_disk_is_exact_and_checked(tmp_path, monkeypatch):
    from qaug.train import FeatureExtractor, _quality, shared_feature_extractor

    g = torch.Generator().manual_seed(6)
    x, y = torch.rand(20, 1, 8, 8, generator=g), torch.arange(20) % 2
    fresh = FeatureExtractor(x, y, seed=3, epochs=2)
    monkeypatch.setattr(_quality, "_SHARED", {})
    shared_feature_extractor(x, y, seed=3, epochs=2, cache_dir=tmp_path)
    (path,) = (tmp_path / "extractors").iterdir()
    monkeypatch.setattr(_quality, "_SHARED", {})  # a new process: loads the file
    monkeypatch.setattr(_quality.FeatureExtractor, "__init__", None)  # training would fail
    loaded = shared_feature_extractor(x, y, seed=3, epochs=2, cache_dir=tmp_path)
    probe = torch.rand(7, 1, 8, 8, generator=g)
    assert torch.equal(loaded.features(probe), fresh.features(probe))
    assert torch.equal(loaded.predict_proba(probe), fresh.predict_proba(probe))
    assert loaded.train_accuracy == fresh.train_accuracy
    monkeypatch.undo()
    path.write_bytes(path.read_bytes()[:100])  # truncated: retrained (with a warning), replaced
    monkeypatch.setattr(_quality, "_SHARED", {})
    with pytest.warns(UserWarning, match="not used"):
        again = shared_feature_extractor(x, y, seed=3, epochs=2, cache_dir=tmp_path)
    assert torch.equal(again.features(probe), fresh.features(probe))
    monkeypatch.setattr(_quality, "_SHARED", {})
    shared_feature_extractor(x, y, seed=3, epochs=2, cache_dir=tmp_path)  # the rewritten file loads
    key = ("0" * 64, (20, 1, 8, 8), 3, 2, _quality._EXTRACTOR_FORMAT)
    other = _quality._extractor_path(tmp_path, key)
    other.write_bytes(path.read_bytes())  # a file under another key's name: not trusted
    with pytest.warns(UserWarning, match="other data"):
        assert _quality._load_extractor(other, key) is None
