"""GenerativeAugmenter (general strategy): fake banks for speed, real ClassGenerators for wiring."""

import numpy as np
import pytest
import torch
from _augment_fakes import FakeBank, make_data

from qaug.augment import GenerativeAugmenter, replay_generated


def test_smoke_fixed_number_per_class():
    x, y = make_data()
    aug = GenerativeAugmenter(generators=FakeBank(), sampling_strategy=10, random_state=0)
    x_res, y_res = aug.fit_resample(x, y)
    assert np.bincount(y_res.numpy()).tolist() == [22, 22, 16]
    assert set(aug.sources_[len(x) :]) == {"fake"} and (aug.sample_indices_[len(x) :] == -1).all()
    assert aug.params_["labels"].tolist() == [0] * 10 + [1] * 10 + [2] * 10
    assert aug.source_counts() == {"original": {0: 12, 1: 12, 2: 6}, "fake": {0: 10, 1: 10, 2: 10}}


def test_feature_samples_are_the_banks_and_replay():
    x, y = make_data()
    bank = FakeBank()
    aug = GenerativeAugmenter(generators=bank, sampling_strategy={0: 14, 2: 10}, random_state=1)
    x_res, _ = aug.fit_resample(x, y)
    assert torch.equal(replay_generated(bank, aug.params_, 8), x_res[len(x) :])
    # class 2 images are the class-2 template plus small noise
    assert float((x_res[-4:, 0, 4:6].mean())) > 0.8


def test_nothing_to_add_does_not_touch_the_bank():
    x, y = make_data((5, 5, 5))
    bank = FakeBank()
    x_res, _ = GenerativeAugmenter(generators=bank, sampling_strategy="auto").fit_resample(x, y)
    assert len(x_res) == 15 and bank.calls == 0


@pytest.mark.parametrize(
    "bank, message",
    [
        (FakeBank(image_size=16), r"generators make 16x16 images but the data are 8x8"),
        (FakeBank(labels=(0, 1)), r"samples are needed for class\(es\) \[2\]"),
    ],
)
def test_exception_mismatched_generators(bank, message):
    x, y = make_data()
    with pytest.raises(ValueError, match=message):
        GenerativeAugmenter(generators=bank, random_state=0).fit_resample(x, y)


def test_exception_bank_returning_wrong_shape():
    class Bad(FakeBank):
        def generate(self, label, n, generator):
            return torch.zeros(n, 1, 4, 4)

    x, y = make_data()
    with pytest.raises(ValueError, match=r"returned shape \(100, 1, 4, 4\) for class 0"):
        GenerativeAugmenter(generators=Bad(), random_state=0).fit_resample(x, y)


def test_exception_bad_kind():
    x, y = make_data()
    with pytest.raises(
        ValueError, match=r"'generator_kind' parameter .* one of \['qgan', 'gan', 'dcgan'"
    ):
        GenerativeAugmenter(generator_kind="vae").fit_resample(x, y)


def test_real_class_generators_trained_on_fit_and_replayed_from_latents(mnist):
    from qaug.train import AdversarialConfig, ClassGenerators

    adv = AdversarialConfig(iterations=3, batch_size=8, eval_every=0)
    aug = GenerativeAugmenter(
        generator_kind="dcgan", adv_config=adv, sampling_strategy=6, random_state=0
    )
    x_res, y_res = aug.fit_resample(mnist.train.x, mnist.train.y)
    assert isinstance(aug.generators_, ClassGenerators) and aug.generators_.kind == "dcgan"
    assert x_res.shape == (78, 1, 8, 8) and np.bincount(y_res.numpy()).tolist() == [26, 26, 26]
    assert set(aug.sources_[60:]) == {"dcgan"}
    assert all(d["latent"].shape[0] == 6 for d in aug.params_["draws"])
    assert torch.equal(replay_generated(aug.generators_, aug.params_, 8), x_res[60:])
    again = GenerativeAugmenter(generators=aug.generators_, sampling_strategy=6, random_state=0)
    # a passed bank skips training; the draws then start where they did after training
    x2, _ = again.fit_resample(mnist.train.x, mnist.train.y)
    assert x2.shape == x_res.shape and again.generators_ is aug.generators_
