import dataclasses
import math

import pytest
import torch

from qaug._seed import make_generator
from qaug.models import (
    CLASSIFIERS,
    HQCNN,
    ClassifierConfig,
    CNNControl,
    QuanvHQCNN,
    VQCLayer,
    build_classifier,
    build_classifier_from_config,
)
from qaug.models._hqcnn import quanv_input_size


def _build(name, size=8, seed=0, **kw):
    return build_classifier(name, 3, size, generator=make_generator(seed, "init"), **kw)


def _images(n, size, seed=1):
    return torch.rand(n, 1, size, size, generator=make_generator(seed, "x"))


# --- shape -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CLASSIFIERS)
@pytest.mark.parametrize("size", [8, 16, 28])
def test_shape_every_variant(name, size):
    model = _build(name, size)
    out = model(_images(5, size))
    assert out.shape == (5, 3)
    assert out.dtype == torch.float32
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("size, expected", [(8, 8), (16, 8), (28, 14), (14, 14), (7, 7), (2, 2)])
def test_quanv_input_size(size, expected):
    assert quanv_input_size(size) == expected


def test_registry_matches_cli_choices():
    assert CLASSIFIERS == ("hqcnn", "reupload", "quanv", "cnn")


# --- parameter counts -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["hqcnn", "reupload"])
@pytest.mark.parametrize("n_qubits, n_layers", [(4, 2), (3, 1), (6, 3)])
def test_quantum_count_equals_vqc_weights(name, n_qubits, n_layers):
    model = _build(name, n_qubits=n_qubits, n_layers=n_layers)
    counts = model.parameter_counts()
    assert counts["quantum"] == math.prod(VQCLayer.weight_shape(n_layers, n_qubits))
    assert counts["total"] == sum(p.numel() for p in model.parameters())
    assert counts["classical"] == counts["total"] - counts["quantum"]


def test_quanv_counts_and_control_has_no_quantum():
    assert _build("quanv", n_layers=3).parameter_counts()["quantum"] == 3 * 4 * 2
    counts = _build("cnn").parameter_counts()
    assert counts["quantum"] == 0 and counts["classical"] == counts["total"] > 0


def test_control_mirrors_hqcnn():
    """Same front end and head sizes, and (same seed) the same front-end weights."""
    hq, cnn = _build("hqcnn"), _build("cnn")
    assert torch.equal(hq.front.conv.weight, cnn.front.conv.weight)
    assert torch.equal(hq.front.fc.weight, cnn.front.fc.weight)
    assert hq.head.weight.shape == cnn.head.weight.shape
    assert abs(hq.parameter_counts()["total"] - cnn.parameter_counts()["total"]) <= 4


# --- gradients ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["hqcnn", "reupload", "quanv"])
def test_gradients_reach_quantum_weights(name):
    model = _build(name)
    model(_images(4, 8)).logsumexp(1).sum().backward()
    quantum = [m for m in model.modules() if getattr(m, "is_quantum", False)]
    assert len(quantum) == 1
    grad = quantum[0].weights.grad
    assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0
    for p in model.parameters():
        assert p.grad is not None


# --- seeds ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_same_seed_same_weights_different_seed_differs(name):
    a, b, c = _build(name, seed=0), _build(name, seed=0), _build(name, seed=1)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert all(not torch.equal(sa[k], sc[k]) for k in sa)


def test_construction_leaves_global_rng_alone():
    state = torch.get_rng_state()
    for name in CLASSIFIERS:
        _build(name)
    assert torch.equal(state, torch.get_rng_state())


def test_default_generator_is_reproducible():
    a = build_classifier("hqcnn", 3, 8)
    b = build_classifier("hqcnn", 3, 8)
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())


# --- correctness ----------------------------------------------------------------------------


def test_quanv_applies_circuit_to_each_2x2_patch():
    model = _build("quanv", 8)
    x = _images(2, 8)
    feats = model.features(x)
    assert feats.shape == (2, 4, 4, 4)
    for b, i, j in [(0, 0, 0), (1, 2, 3), (0, 3, 1)]:
        patch = x[b, 0, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2].reshape(1, 4)  # row-major pixels
        # documented encoding: RY(pi * pixel)
        torch.testing.assert_close(feats[b, :, i, j], model.quanv(math.pi * patch)[0])


def test_quanv_pools_large_images():
    model = _build("quanv", 16)
    x = _images(2, 16)
    pooled = torch.nn.functional.avg_pool2d(x, 2)
    torch.testing.assert_close(model.features(x), _build("quanv", 8).features(pooled))


def test_hqcnn_angles_bounded():
    model = _build("hqcnn")
    with torch.no_grad():
        model.front.fc.weight.mul_(1e4)  # drive the pre-activations far out
        angles = model.front(_images(8, 8))
    assert angles.abs().max() <= math.pi


# --- exceptions -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_wrong_image_shape_raises(name):
    model = _build(name, 8)
    with pytest.raises(ValueError, match=r"\(batch, 1, 8, 8\); got \(2, 1, 16, 16\)"):
        model(_images(2, 16))


def test_unknown_name_lists_valid():
    with pytest.raises(ValueError, match="valid names: .*'hqcnn'.*'cnn'"):
        build_classifier("resnet", 3, 8)
    with pytest.raises(ValueError, match="valid names"):
        ClassifierConfig(name="qcnn")


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"n_qubits": 0}, ValueError, "n_qubits must be between 1 and 12"),
        ({"n_qubits": 13}, ValueError, "n_qubits must be between 1 and 12"),
        ({"n_layers": 0}, ValueError, "n_layers must be >= 1"),
        ({"channels": 2.5}, TypeError, "channels must be an integer"),
        ({"name": "quanv", "n_qubits": 3}, ValueError, "must be 4 for 'quanv'"),
    ],
)
def test_config_validation(kwargs, err, match):
    with pytest.raises(err, match=match):
        ClassifierConfig(**kwargs)


@pytest.mark.parametrize("cls", [HQCNN, CNNControl, QuanvHQCNN])
def test_bad_sizes_raise(cls):
    with pytest.raises(ValueError, match="n_classes must be >= 2"):
        cls(1, 8)
    with pytest.raises(ValueError, match="image_size must be >= 2"):
        cls(3, 1)
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        cls(3, 8, generator=0)


def test_build_from_config_equals_build():
    cfg = ClassifierConfig(name="reupload", n_qubits=3, n_layers=1, channels=2)
    a = build_classifier_from_config(cfg, 3, 8, make_generator(0, "init"))
    b = build_classifier(**dataclasses.asdict(cfg), n_classes=3, image_size=8,
                         generator=make_generator(0, "init"))
    assert type(a).__name__ == "ReuploadHQCNN"
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    with pytest.raises(TypeError, match="ClassifierConfig"):
        build_classifier_from_config({"name": "hqcnn"}, 3, 8)
