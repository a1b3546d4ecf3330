"""train_gan's callbacks (on_step / on_eval / on_checkpoint, sample grids) and noisy training."""

import numpy as np
import pytest
import torch

from qaug.quantum import NoiseModel
from qaug.train import Callback, SampleGridCallback, train_gan
from tests.train.test_adversarial import assert_same, build, cfg, interrupt_after, real_data, weights


class Recorder(Callback):
    def __init__(self):
        self.steps, self.evals, self.checkpoints = [], [], []

    def on_step(self, info):
        self.steps.append((info["iteration"], info["loss_d"], info["loss_g"]))

    def on_eval(self, info):
        self.evals.append((info["iteration"], info["quality"]))

    def on_checkpoint(self, info):
        self.checkpoints.append((info["iteration"], info["path"].name))


def test_gan_loop_calls_every_hook_with_what_happened(tmp_path):
    rec = Recorder()
    G, D = build("gan")
    res = train_gan(G, D, real_data(), cfg("gan"), seed=1, out_dir=tmp_path, callbacks=[rec])
    assert [s[0] for s in rec.steps] == list(range(1, 11))
    assert [s[1] for s in rec.steps] == res.history["loss_d"]
    assert [e[0] for e in rec.evals] == [q["iteration"] for q in res.history["quality"]] == [0, 5, 10]
    assert rec.checkpoints == [(4, "checkpoint.pt"), (8, "checkpoint.pt"), (10, "checkpoint.pt")]


def test_callbacks_do_not_change_gan_training():
    G1, D1 = build("qgan")
    r1 = train_gan(G1, D1, real_data(), cfg("qgan"), seed=2)
    G2, D2 = build("qgan")
    r2 = train_gan(G2, D2, real_data(), cfg("qgan"), seed=2, callbacks=[Recorder()])
    assert r1.history == r2.history
    assert_same(weights(G1), weights(G2))


def test_sample_grid_callback_writes_a_labelled_png_per_evaluation(tmp_path):
    from PIL import Image

    grid = SampleGridCallback(tmp_path / "grids", n=5, prefix="class_2")
    G, D = build("qgan")
    train_gan(G, D, real_data(), cfg("qgan"), seed=3, callbacks=[grid])
    assert [p.name for p in grid.written] == [f"class_2_iter{i:06d}.png" for i in (0, 5, 10)]
    pixels = []
    for p in grid.written:
        with Image.open(p) as im:
            pixels.append(torch.from_numpy(np.asarray(im, dtype=np.float32)).flatten())
    assert len({len(p) for p in pixels}) == 1
    first, last = pixels[0], pixels[-1]
    assert not torch.equal(first, last)  # the same latents decode differently as G trains
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        SampleGridCallback(tmp_path, n=0)


def test_noisy_training_differs_from_ideal_and_leaves_the_generator_ideal(tmp_path):
    noise = NoiseModel(shots=200, depolarizing=0.02, readout=0.01)
    G1, D1 = build("qgan")
    ideal = train_gan(G1, D1, real_data(), cfg("qgan"), seed=4)
    G2, D2 = build("qgan")
    noisy_run = train_gan(G2, D2, real_data(), cfg("qgan"), seed=4, noise=noise)
    assert noisy_run.history["loss_g"] != ideal.history["loss_g"]
    assert G2.patches.noise is None  # restored after training
    G3, D3 = build("qgan")
    again = train_gan(G3, D3, real_data(), cfg("qgan"), seed=4, noise=noise)
    assert again.history == noisy_run.history  # shots come from the seed


def test_noisy_resume_is_bit_exact(tmp_path):
    noise = NoiseModel(shots=100, depolarizing=0.01)
    c = cfg("qgan", iterations=11)
    G, D = build("qgan")
    full = train_gan(G, D, real_data(), c, seed=5, out_dir=tmp_path / "full", noise=noise)
    G1, D1 = build("qgan")
    interrupt_after(D1, 3 * 6 + 2)
    with pytest.raises(KeyboardInterrupt):
        train_gan(G1, D1, real_data(), c, seed=5, out_dir=tmp_path / "cut", noise=noise)
    G2, D2 = build("qgan", seed=99)
    resumed = train_gan(G2, D2, real_data(), c, seed=5, out_dir=tmp_path / "cut", resume=True,
                        noise=noise)
    assert resumed.history == full.history
    assert_same(weights(G2), weights(G))


def test_noise_on_a_classical_generator_and_bad_noise_are_refused():
    G, D = build("gan")
    with pytest.raises(ValueError, match="no quantum layer that supports noise"):
        train_gan(G, D, real_data(), cfg("gan"), seed=0, noise=NoiseModel(depolarizing=0.1))
    with pytest.raises(TypeError, match="noise must be a qaug.quantum.NoiseModel"):
        train_gan(G, D, real_data(), cfg("gan"), seed=0, noise="shots=10")


def test_fit_class_generators_and_generate_under_noise():
    from qaug._seed import make_generator
    from qaug.models import GANConfig
    from qaug.train import AdversarialConfig, fit_class_generators

    x = torch.cat([real_data(12), real_data(12, seed=1)])
    y = torch.tensor([0] * 12 + [1] * 12)
    adv = AdversarialConfig(iterations=3, batch_size=4, eval_every=0, checkpoint_every=3,
                            eval_samples=4, select_best=False)
    noise = NoiseModel(shots=50, depolarizing=0.01)
    bank = fit_class_generators("qgan", x, y, GANConfig(kind="qgan"), adv, seed=0, quality=False,
                                noise=noise)
    ideal = bank.generate(0, 4, make_generator(0, "s"))
    shot = bank.generate(0, 4, make_generator(0, "s"), noise=noise)
    again = bank.generate(0, 4, make_generator(0, "s"), noise=noise)
    assert torch.equal(shot, again) and not torch.equal(shot, ideal)
    assert bank.generator_for(0).patches.noise is None
