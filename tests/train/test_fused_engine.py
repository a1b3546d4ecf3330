"""The fused training engine: its gradients and Adam steps against torch's, and where it applies."""

import copy

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from qaug.models import build_classifier
from qaug.models._hqcnn import HQCNN
from qaug.quantum._jit import JIT_ENABLED
from qaug.train import TrainConfig, train_classifier
from qaug.train._adversarial_config import NonFiniteLossError
from qaug.train._fused import fused_plan

pytestmark = pytest.mark.skipif(not JIT_ENABLED, reason="the fused engine needs numba")
CPU = torch.device("cpu")
MODELS = ["hqcnn", "reupload", "cnn", "quanv"]


def _data(n: int, side: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, side, side, generator=g)
    x[:, :, : side // 3] = 0.0  # black rows: tied maxima in the pool, closed ReLUs
    return x, torch.randint(0, 3, (n,), generator=g)


def _model(name: str, side: int, seed: int = 1):
    return build_classifier(name, 3, side, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("side", [8, 7, 16])
@pytest.mark.parametrize("name", MODELS)
def test_gradients_and_loss_match_torch_autograd_in_float64(name, side):
    model = _model(name, side)
    x, y = _data(20, side)
    rows = torch.randperm(20, generator=torch.Generator().manual_seed(3))[:16]
    reference = copy.deepcopy(model).double()
    loss = F.cross_entropy(reference(x[rows].double()), y[rows])
    loss.backward()
    plan = fused_plan(model, x, y, CPU, lr=0.0, weight_decay=0.0)  # lr 0: weights stay
    before = [p.detach().clone() for p in model.parameters()]
    loss_sum, correct, done, bad = plan.epoch(rows.numpy(), 16, 0, 1)
    assert (done, bad) == (1, 0.0)
    assert loss_sum / 16 == pytest.approx(loss.item(), rel=1e-12)
    expected = torch.cat([p.grad.reshape(-1) for p in reference.parameters()]).numpy()
    np.testing.assert_allclose(plan.grad, expected, rtol=1e-9, atol=1e-12)
    hits = (reference(x[rows].double()).argmax(1) == y[rows]).sum().item()
    assert correct == hits
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


@pytest.mark.parametrize("name", MODELS)
def test_two_adam_steps_match_torch_adam(name):
    model = _model(name, 8)
    x, y = _data(32, 8)
    reference = copy.deepcopy(model).double()
    opt = torch.optim.Adam(reference.parameters(), lr=0.01, weight_decay=0.1)
    order = torch.randperm(32, generator=torch.Generator().manual_seed(4))
    for rows in order.split(16):
        opt.zero_grad()
        F.cross_entropy(reference(x[rows].double()), y[rows]).backward()
        opt.step()
    plan = fused_plan(model, x, y, CPU, lr=0.01, weight_decay=0.1)
    assert plan.epoch(order.numpy(), 16, 0, 2)[2] == 2
    for p, q in zip(model.parameters(), reference.parameters()):
        assert p.dtype == torch.float32
        torch.testing.assert_close(p.double(), q.detach(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", MODELS)
def test_training_follows_the_torch_engine_and_reports_its_engine(name):
    x, y = _data(64, 8)
    xv, yv = _data(30, 8, seed=5)
    runs = {}
    for engine in ("torch", "fused"):
        model = _model(name, 8)
        runs[engine] = train_classifier(
            model, (x, y), (xv, yv), TrainConfig(epochs=3, patience=0, engine=engine),
            generator=torch.Generator().manual_seed(2))
    assert runs["torch"].engine == "torch" and runs["fused"].engine == "fused"
    assert runs["fused"].to_dict()["engine"] == "fused"
    for a, b in zip(runs["torch"].history, runs["fused"].history):
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-3)
        assert b["val_loss"] == pytest.approx(a["val_loss"], rel=1e-3)


def test_same_seed_same_result_with_or_without_step_callbacks():
    from qaug.train import Callback

    class Count(Callback):
        steps = 0

        def on_step(self, info):
            Count.steps += 1
            assert info["model"].front.conv.weight.requires_grad

    x, y = _data(40, 8)
    weights, histories = [], []
    for callbacks in (None, [Count()], None):
        model = _model("hqcnn", 8)
        fit = train_classifier(model, (x, y), (x, y), TrainConfig(epochs=2, patience=0,
                                                                  engine="fused"),
                               generator=torch.Generator().manual_seed(2), callbacks=callbacks)
        weights.append(torch.cat([p.detach().reshape(-1) for p in model.parameters()]))
        histories.append(fit.history)
    assert Count.steps == 2 * 3  # 40 images, batches of 16
    assert torch.equal(weights[0], weights[1]) and torch.equal(weights[0], weights[2])
    assert histories[0] == histories[1] == histories[2]


def test_models_it_does_not_cover_train_with_torch():
    x, y = _data(16, 8)
    hooked = _model("hqcnn", 8)
    hooked.front.register_forward_hook(lambda m, i, o: None)
    frozen = _model("cnn", 8)
    frozen.head.bias.requires_grad_(False)
    custom = HQCNN(3, 8, body=torch.nn.Tanh(), generator=torch.Generator().manual_seed(0))
    for model in (hooked, frozen, custom):
        xm = x.to(next(model.parameters()).dtype)
        assert fused_plan(model, xm, y, CPU, 0.01, 0.0) is None
        fit = train_classifier(model, (xm, y), (xm, y),
                               TrainConfig(epochs=1, engine="fused"),
                               generator=torch.Generator().manual_seed(0))
        assert fit.engine == "torch"


def test_a_non_finite_loss_stops_before_its_step():
    x, y = _data(32, 8)
    x[20, 0, 4, 4] = float("nan")
    model = _model("cnn", 8)
    with pytest.raises(NonFiniteLossError, match="training loss became nan") as info:
        train_classifier(model, (x, y), (x[:8], y[:8]), TrainConfig(epochs=3, engine="fused"),
                         generator=torch.Generator().manual_seed(0))
    assert info.value.kept is False  # the first epoch never finished
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_unknown_engine_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="train.engine must be 'torch' or 'fused'; got 'jax'"):
        TrainConfig(engine="jax")


def test_cached_only_warm_up_compiles_nothing(monkeypatch):
    from qaug.train import _fused, _fused_gan

    def no(*args, **kwargs):
        raise AssertionError("a kernel was run although it was not compiled yet")

    monkeypatch.setattr(_fused, "compiled", lambda kernel: False)
    monkeypatch.setattr(_fused, "fused_plan", no)
    monkeypatch.setattr(_fused_gan, "fused_gan", no)
    _fused.warm_up(cached_only=True)
    _fused_gan.warm_up(cached_only=True)
