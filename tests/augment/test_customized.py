"""CustomizedAugmenter: error-share allocation, confidence filter, rounds, fitted checks."""

import numpy as np
import pytest
import torch
from _augment_fakes import FakeBank, TemplateClassifier, make_data
from torch import nn

from qaug.augment import CustomizedAugmenter, is_fitted, mark_fitted, replay_generated


def _aug(**kw):
    kw = {"generators": FakeBank(), "classifier": mark_fitted(TemplateClassifier()), **kw}
    return CustomizedAugmenter(**kw)


def linear_factory(generator):
    """A tiny trainable classifier built from the passed generator."""
    lin = nn.Linear(64, 3)
    with torch.no_grad():
        lin.weight.copy_(0.1 * torch.randn(3, 64, generator=generator))
        lin.bias.zero_()
    return nn.Sequential(nn.Flatten(), lin)


def test_feature_weak_class_gets_the_largest_share(weak_val):
    x, y = make_data()
    aug = _aug(budget=60, random_state=0)
    x_res, y_res = aug.fit_resample(x, y, X_val=weak_val[0], y_val=weak_val[1])
    r = aug.rounds_[0]
    assert r["per_class_accuracy"] == {0: 1.0, 1: 1.0, 2: 0.25}
    assert r["allocation"] == {0: 6, 1: 6, 2: 48}  # error shares 0/0/1 -> floor 5%, cap 80%
    assert r["thresholds"] == pytest.approx({0: 0.8, 1: 0.8, 2: 0.35})
    assert np.bincount(y_res[len(y) :].numpy()).tolist() == [6, 6, 48]
    assert aug.report_[2]["kept"] == 48 and aug.report_[2]["share_of_kept"] == pytest.approx(0.8)
    assert aug.report_[2]["rejected"] == 0 and aug.best_round_ == 0


def test_feature_filter_rejects_and_stops_at_max_attempts(weak_val):
    # scale 0: every class gets p = 1/3 and argmax says class 0, so acc = (1, 0, 0):
    # t_0 = 0.8 rejects everything, t_1 = t_2 = 0.2 accept everything.
    x, y = make_data()
    clf = mark_fitted(TemplateClassifier(scale=0.0))
    aug = _aug(
        classifier=clf, budget=30, min_share=0.1, max_attempts=2.5, batch_size=4, random_state=0
    )
    x_res, y_res = aug.fit_resample(x, y, X_val=weak_val[0], y_val=weak_val[1])
    c0 = aug.report_[0]
    assert c0["allocated"] == 3 and c0["kept"] == 0 and c0["shortfall"] == 3
    assert c0["generated"] == 8 and c0["rejected"] == 8  # ceil(2.5 * 3) = 8 attempts
    assert aug.report_[1]["acceptance_rate"] == 1.0 and aug.report_[1]["shortfall"] == 0
    assert len(y_res) - len(y) == 30 - 3
    kept = [d for d in aug.params_["draws"] if d["kept"]]
    assert sum(len(d["kept"]) for d in kept) == 27


def test_replay_of_kept_samples(weak_val):
    x, y = make_data()
    bank = FakeBank()
    aug = _aug(generators=bank, budget=20, batch_size=3, random_state=5)
    x_res, _ = aug.fit_resample(x, y, X_val=weak_val[0], y_val=weak_val[1])
    all_made = replay_generated(bank, aug.params_, 8)
    offsets = np.cumsum([0] + [d["n"] for d in aug.params_["draws"]])
    kept = np.concatenate(
        [o + np.array(d["kept"], dtype=int) for o, d in zip(offsets, aug.params_["draws"])]
    )
    assert torch.equal(all_made[torch.as_tensor(kept)], x_res[len(x) :])


def test_budget_defaults_to_what_the_strategy_adds(weak_val):
    x, y = make_data()
    aug = _aug(sampling_strategy=5, random_state=0)
    x_res, _ = aug.fit_resample(x, y, X_val=weak_val[0], y_val=weak_val[1])
    assert len(x_res) - len(x) == 15
    aug = _aug(sampling_strategy={0: 12, 2: 20}, budget=10, random_state=0)  # eligible: 0 and 2
    _, y_res = aug.fit_resample(x, y, X_val=weak_val[0], y_val=weak_val[1])
    assert set(np.unique(y_res[len(y) :].numpy())) <= {0, 2} and len(y_res) - len(y) == 10


def test_unfitted_classifier_is_trained_with_the_factory(weak_val):
    from qaug.train import TrainConfig

    x, y = make_data()
    raw = linear_factory(torch.Generator().manual_seed(0))
    aug = _aug(
        classifier=raw,
        classifier_factory=linear_factory,
        budget=12,
        train_config=TrainConfig(epochs=3, batch_size=8),
        random_state=0,
    )
    aug.fit_resample(x, y, X_val=weak_val[0], y_val=weak_val[1])
    assert is_fitted(aug.classifier_) and aug.classifier_ is not raw and not is_fitted(raw)


def test_rounds_retrain_and_keep_the_best(weak_val):
    from qaug.train import TrainConfig

    x, y = make_data()
    aug = _aug(
        classifier=None,
        classifier_factory=linear_factory,
        budget=30,
        n_rounds=3,
        train_config=TrainConfig(epochs=2, batch_size=8),
        random_state=0,
    )
    x_res, y_res = aug.fit_resample(x, y, X_val=weak_val[0], y_val=weak_val[1])
    assert (
        1 <= len(aug.rounds_) <= 3
        and [r["budget"] for r in aug.rounds_] == [10, 10, 10][: len(aug.rounds_)]
    )
    accs = [r["val_accuracy_after"] for r in aug.rounds_]
    assert aug.best_round_ == int(np.argmax(accs))
    kept = sum(
        r["classes"][c]["kept"] for r in aug.rounds_[: aug.best_round_ + 1] for c in r["classes"]
    )
    assert len(y_res) - len(y) == kept
    assert sum(v["kept"] for v in aug.report_.values()) == kept


@pytest.mark.parametrize(
    "kwargs, fit, message",
    [
        (
            {"classifier": TemplateClassifier()},
            {},
            r"is not fitted \(no classifier_fitted_=True flag\)",
        ),
        ({"classifier": None}, {}, "needs a fitted classifier=... .* or a classifier_factory"),
        ({}, {"X_val": None}, r"fit_resample\(X, y, X_val=..., y_val=...\)"),
        ({"threshold_min": 0.9, "threshold_max": 0.5}, {}, "threshold_min=0.9 must not exceed"),
        ({"threshold_max": 1.5}, {}, r"'threshold_max' parameter .* in \[0, 1\]; got 1.5"),
        ({"budget": 0}, {}, r"'budget' parameter .* got 0"),
        ({"sampling_strategy": "auto", "budget": None}, {"balanced": True}, "the budget is zero"),
        ({"n_rounds": 2}, {}, "needs classifier_factory"),
        ({"min_share": 0.5}, {}, "floors alone exceed the budget"),
    ],
)
def test_exception(kwargs, fit, message, weak_val):
    x, y = make_data((6, 6, 6)) if fit.pop("balanced", False) else make_data()
    fit = {"X_val": weak_val[0], "y_val": weak_val[1], **fit}
    with pytest.raises((ValueError, TypeError), match=message):
        _aug(**kwargs).fit_resample(x, y, **fit)


def test_exception_labels_beyond_classifier_outputs(weak_val):
    x, y = make_data((4, 4, 4, 4)[:3])
    y = y.clone()
    y[:2] = 3
    with pytest.raises(
        ValueError, match=r"classifier has 3 outputs but y holds classes \[0, 1, 2, 3\]"
    ):
        _aug(generators=FakeBank(labels=(0, 1, 2, 3))).fit_resample(
            x, y, X_val=torch.cat([weak_val[0], x[:2]]), y_val=torch.cat([weak_val[1], y[:2]])
        )


def test_exception_val_missing_a_class(weak_val):
    x, y = make_data()
    keep = weak_val[1] != 1
    with pytest.raises(ValueError, match=r"y_val has no samples of class\(es\) \[1\]"):
        _aug().fit_resample(x, y, X_val=weak_val[0][keep], y_val=weak_val[1][keep])


def _imbalanced(mnist, n2):
    """The mnist fixture's training split with only ``n2`` images of class 2."""
    y = mnist.train.y
    keep = torch.ones(len(y), dtype=torch.bool)
    keep[torch.nonzero(y == 2).flatten()[n2:]] = False
    return mnist.train.x[keep], y[keep]


def test_real_classifier_and_generators_on_mnist(mnist):
    from qaug.models import build_classifier
    from qaug.train import AdversarialConfig, ClassGenerators, TrainConfig

    x, y = _imbalanced(mnist, 4)
    aug = CustomizedAugmenter(
        generator_kind="gan",
        adv_config=AdversarialConfig(iterations=3, batch_size=4, eval_every=0),
        classifier_factory=lambda g: build_classifier("cnn", 3, 8, generator=g),
        train_config=TrainConfig(epochs=3, batch_size=8),
        budget=30,
        random_state=0,
    )
    x_res, y_res = aug.fit_resample(x, y, X_val=mnist.val.x, y_val=mnist.val.y)
    assert isinstance(aug.generators_, ClassGenerators) and is_fitted(aug.classifier_)
    r = aug.rounds_[0]
    assert sum(r["allocation"].values()) == 30 and set(r["allocation"]) == {0, 1, 2}
    assert len(y_res) - len(y) == sum(v["kept"] for v in aug.report_.values())
    assert set(aug.sources_[len(y) :]) <= {"gan"}


@pytest.mark.slow
def test_scarce_class_gets_the_largest_share_on_mnist(tmp_path):
    """A data-scarce class from the CLI: 100 training images of digits 0 and 1, 5 of digit 2.

    With 20 images of digit 2 the HQCNN's validation accuracy sits at the edge (0.95 on class
    2 with one CPU kernel set, 1.0 on every class with another: a tie, uniform allocation).
    With 5 images class 2 is clearly the weakest (the imbalanced preset: 63% test accuracy),
    so the assertion is about the behaviour, not about rounding. The precondition is checked
    first, so a failure says whether the setting or the allocation is at fault.

    The generator kind does not change the allocation: the classifier is trained (and measured)
    before the generators, from the same seed.
    """
    import json

    from qaug.cli import main

    out = tmp_path / "out"
    args = [
        "augment",
        "--dataset",
        "mnist",
        "--strategy",
        "customized",
        "--generator",
        "gan",
        "--classifier",
        "hqcnn",
        "--classes",
        "0",
        "1",
        "2",
        "--n-train",
        "100",
        "--train-count",
        "2=5",
        "--image-size",
        "8",
        "--budget",
        "200",
        "--seed",
        "0",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    summary = json.loads((out / "augment.json").read_text())
    acc = summary["rounds"][0]["per_class_accuracy"]
    assert acc["2"] < min(acc["0"], acc["1"]), f"class 2 is not the weakest here: {acc}"
    alloc = summary["rounds"][0]["allocation"]
    assert max(alloc, key=alloc.get) == "2", summary["rounds"][0]
    assert alloc["2"] > alloc["0"] and alloc["2"] > alloc["1"], alloc
    report = summary["report"]
    assert report["2"]["allocated"] == max(v["allocated"] for v in report.values())
    # What the filter keeps depends on the generator's quality (a poor class-2 generator may
    # have every sample rejected); the report must account for every generated sample.
    for v in report.values():
        assert v["generated"] == v["accepted"] + v["rejected"]
        assert v["kept"] + v["shortfall"] == v["allocated"]


def test_warnings_when_validation_saturates_or_a_class_is_short(weak_val, caplog):
    x, y = make_data()
    aug = _aug(budget=30, random_state=0)
    aug.fit_resample(x, y, X_val=x, y_val=y)  # the templates themselves: every class at 1.0
    assert any("1.0 for every class" in w for w in aug.warnings_)
    assert "larger validation split" in caplog.text
    clf = mark_fitted(TemplateClassifier(scale=0.0))  # class 0's threshold rejects everything
    aug = _aug(classifier=clf, budget=30, min_share=0.1, max_attempts=2.5, batch_size=4,
               random_state=0)
    aug.fit_resample(x, y, X_val=weak_val[0], y_val=weak_val[1])
    assert aug.warnings_ == [w for w in aug.warnings_ if w.startswith("class index 0")]
    assert "0 of 3 allocated samples kept (acceptance 0%" in aug.warnings_[0]
    aug = _aug(budget=60, random_state=0)
    aug.fit_resample(x, y, X_val=weak_val[0], y_val=weak_val[1])
    assert aug.warnings_ == []
