import json
import math

import pytest
import torch
from torch import nn

from qaug._seed import make_generator
from qaug.data import load_dataset
from qaug.models import build_classifier
from qaug.train import EvalResult, TrainConfig, evaluate, predict_proba, train_classifier


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", classes=(0, 1, 2), n_train_per_class=30, image_size=8, seed=0)


def _model(name="hqcnn", seed=0):
    return build_classifier(name, 3, 8, generator=make_generator(seed, "init"))


def _train(digits, name="hqcnn", seed=0, **cfg):
    model = _model(name, seed)
    cfg = TrainConfig(**{"epochs": 3, **cfg})
    result = train_classifier(model, digits.train, digits.val, cfg,
                              generator=make_generator(seed, "shuffle"))
    return model, result


class Logits(nn.Module):
    """Returns its input's pixels as logits: (N, 1, 1, k) -> (N, k)."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return x.flatten(1) + 0 * self.dummy


# --- TrainConfig ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"epochs": -1}, ValueError, "train.epochs must be >= 0"),
        ({"batch_size": 0}, ValueError, "train.batch_size must be >= 1"),
        ({"lr": 0.0}, ValueError, "train.lr must be a positive number"),
        ({"lr": float("nan")}, ValueError, "train.lr"),
        ({"weight_decay": -1.0}, ValueError, "weight_decay must be >= 0"),
        ({"patience": 1.5}, TypeError, "train.patience must be an integer"),
        ({"device": "gpu0"}, ValueError, "not a torch device"),
    ],
)
def test_train_config_validation(kwargs, err, match):
    with pytest.raises(err, match=match):
        TrainConfig(**kwargs)


# --- training loop -------------------------------------------------------------------------


def test_history_and_best_weights_restored(digits):
    model, result = _train(digits, epochs=4, patience=0)
    assert result.epochs_run == len(result.history) == 4
    assert [h["epoch"] for h in result.history] == [1, 2, 3, 4]
    assert set(result.history[0]) == {"epoch", "train_loss", "train_acc", "val_loss", "val_acc"}
    best = result.history[result.best_epoch - 1]
    assert best["val_acc"] == result.best_val_accuracy == max(h["val_acc"] for h in result.history)
    ties = [h["val_loss"] for h in result.history if h["val_acc"] == result.best_val_accuracy]
    assert best["val_loss"] == min(ties)
    # the model holds the best epoch's weights
    assert evaluate(model, digits.val.x, digits.val.y).accuracy == result.best_val_accuracy
    assert result.seconds > 0


def test_same_seed_same_history_different_seed_differs(digits):
    m1, r1 = _train(digits, seed=0)
    m2, r2 = _train(digits, seed=0)
    _, r3 = _train(digits, seed=1)
    assert r1.history == r2.history
    assert all(torch.equal(v, m2.state_dict()[k]) for k, v in m1.state_dict().items())
    assert r1.history != r3.history


def test_shuffle_generator_alone_changes_the_run(digits):
    model = _model()
    r = train_classifier(model, digits.train, digits.val, TrainConfig(epochs=2),
                         generator=make_generator(5, "shuffle"))
    _, r0 = _train(digits, epochs=2)
    assert r.history != r0.history


@pytest.mark.parametrize("name", ["hqcnn", "cnn"])
def test_learns_digits_above_chance(digits, name):
    model, result = _train(digits, name, epochs=15, lr=0.03)
    assert result.best_val_accuracy > 0.8  # chance is 1/3
    assert evaluate(model, digits.test.x, digits.test.y).accuracy > 0.75


def test_early_stopping():
    # Logits ignores its parameter, so validation never improves after epoch 1.
    x, y = _logit_images([[1, 0, 0], [0, 1, 0], [0, 0, 1]]), torch.tensor([0, 1, 2])
    result = train_classifier(Logits(), (x, y), (x, y), TrainConfig(epochs=40, patience=3),
                              generator=make_generator(0, "s"))
    assert result.best_epoch == 1
    assert result.epochs_run == len(result.history) == 4


def test_early_stopping_invariant(digits):
    _, result = _train(digits, epochs=30, patience=2)
    assert result.epochs_run == 30 or result.epochs_run == result.best_epoch + 2


def test_zero_epochs_evaluates_only(digits):
    model = _model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = train_classifier(model, digits.train, digits.val, TrainConfig(epochs=0),
                              generator=make_generator(0, "s"))
    assert result.history == [] and result.best_epoch == 0 and result.epochs_run == 0
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert result.best_val_accuracy == evaluate(model, digits.val.x, digits.val.y).accuracy


def test_tuple_inputs_and_progress_bar(digits):
    model = _model("cnn")
    tr, va = (digits.train.x, digits.train.y), (digits.val.x, digits.val.y)
    result = train_classifier(model, tr, va, TrainConfig(epochs=1), progress=True,
                              generator=make_generator(0, "s"))
    assert result.epochs_run == 1


def test_training_does_not_touch_global_rng(digits):
    state = torch.get_rng_state()
    _train(digits, epochs=1)
    assert torch.equal(state, torch.get_rng_state())


@pytest.mark.parametrize(
    "train, err, match",
    [
        ((torch.zeros(4, 8, 8), torch.zeros(4, dtype=torch.long)), ValueError, r"\(N, 1, H, W\)"),
        ((torch.zeros(4, 1, 8, 8), torch.zeros(3, dtype=torch.long)), ValueError, r"shape \(4,\)"),
        ((torch.zeros(0, 1, 8, 8), torch.zeros(0, dtype=torch.long)), ValueError, "empty"),
        ((torch.zeros(4, 1, 8, 8), torch.zeros(4)), TypeError, "integer class indices"),
        ((torch.zeros(4, 1, 8, 8), torch.tensor([0, 1, 2, 3])), ValueError, r"0\.\.2"),
        ((torch.zeros(4, 1, 8, 8), torch.tensor([0, -1, 2, 1])), ValueError, ">= 0"),
        (torch.zeros(4, 1, 8, 8), TypeError, "Split"),
        ((torch.zeros(4, 1, 16, 16), torch.zeros(4, dtype=torch.long)), ValueError, "differ"),
    ],
)
def test_bad_inputs_raise(digits, train, err, match):
    with pytest.raises(err, match=match):
        train_classifier(_model(), train, digits.val, TrainConfig(epochs=1),
                         generator=make_generator(0, "s"))


def test_generator_required(digits):
    with pytest.raises(TypeError, match="CPU torch.Generator"):
        train_classifier(_model(), digits.train, digits.val, TrainConfig(epochs=1), generator=0)


# --- evaluate ------------------------------------------------------------------------------


def _logit_images(rows):
    return torch.tensor(rows, dtype=torch.float32).reshape(len(rows), 1, 1, -1)


def test_evaluate_against_hand_computed():
    # predictions: 0, 0, 1, 2, 2, 1 ; truth: 0, 1, 1, 2, 2, 2
    x = _logit_images([[5, 0, 0], [3, 1, 0], [0, 4, 0], [0, 0, 2], [1, 0, 3], [0, 9, 1]])
    y = torch.tensor([0, 1, 1, 2, 2, 2])
    r = evaluate(Logits(), x, y)
    assert r.confusion == [[1, 0, 0], [1, 1, 0], [0, 1, 2]]
    assert r.accuracy == pytest.approx(4 / 6)
    assert r.per_class_accuracy == pytest.approx([1.0, 0.5, 2 / 3])
    assert r.predictions.tolist() == [0, 0, 1, 2, 2, 1]
    torch.testing.assert_close(r.probs, torch.softmax(x.flatten(1), 1))
    torch.testing.assert_close(r.confidences, r.probs.max(1).values)
    assert not r.collapsed


def test_absent_class_is_nan_and_json_friendly():
    x = _logit_images([[5, 0, 0], [0, 4, 0]])
    r = evaluate(Logits(), x, torch.tensor([0, 1]))
    assert math.isnan(r.per_class_accuracy[2])
    d = r.to_dict()
    assert d["per_class_accuracy"] == [1.0, 1.0, None]
    assert "probs" not in d
    json.dumps(d, allow_nan=False)
    full = r.to_dict(include_samples=True)
    assert len(full["probs"]) == 2 and full["predictions"] == [0, 1]
    json.dumps(full, allow_nan=False)


def test_collapse_detected():
    x = _logit_images([[0, 5, 0], [1, 2, 0], [0, 3, 1]])
    r = evaluate(Logits(), x, torch.tensor([0, 1, 2]))
    assert r.collapsed
    assert r.per_class_accuracy == [0.0, 1.0, 0.0]
    assert r.to_dict()["collapsed"] is True


def test_predict_proba_and_batching_and_mode_restored():
    model = _model()
    x = torch.rand(37, 1, 8, 8, generator=make_generator(0, "x"))
    model.train()
    p = predict_proba(model, x, batch_size=5)
    assert model.training
    assert p.shape == (37, 3)
    torch.testing.assert_close(p.sum(1), torch.ones(37))
    torch.testing.assert_close(p, predict_proba(model, x, batch_size=512))


def test_evaluate_errors():
    x = _logit_images([[5, 0, 0], [0, 4, 0]])
    with pytest.raises(ValueError, match="n_classes=2 but the model gives 3"):
        evaluate(Logits(), x, torch.tensor([0, 1]), n_classes=2)
    with pytest.raises(ValueError, match=r"0\.\.2"):
        evaluate(Logits(), x, torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="non-empty"):
        predict_proba(Logits(), torch.zeros(0, 1, 1, 3))
    assert isinstance(evaluate(Logits(), x, torch.tensor([0, 1])), EvalResult)
