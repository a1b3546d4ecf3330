import pytest
import torch

from qaug._io import CheckpointError, save_checkpoint
from qaug._seed import child_seed, make_generator
from qaug.models import GANConfig, build_gan
from qaug.train import (
    ClassGenerators,
    QualityEvaluator,
    default_adversarial_config,
    fit_class_generators,
    selection_score,
    train_gan,
)


def data(n_per_class=12, size=8):
    g = torch.Generator().manual_seed(0)
    xs, ys = [], []
    for label in range(3):
        x = torch.zeros(n_per_class, 1, size, size)
        x[:, 0, :, label * 2 : label * 2 + 2] = (
            1.0  # a vertical bar whose column depends on the class
        )
        xs.append((x + 0.1 * torch.rand(x.shape, generator=g)).clamp(0, 1))
        ys.append(torch.full((n_per_class,), label))
    return torch.cat(xs), torch.cat(ys)


def adv(kind, **kw):
    return default_adversarial_config(
        kind,
        **{
            **dict(iterations=4, batch_size=4, eval_every=2, checkpoint_every=2, eval_samples=6),
            **kw,
        },
    )


SMALL = GANConfig(dcgan_width=2, gan_hidden=(16,))


@pytest.fixture(scope="module")
def evaluator():
    x, y = data()
    return QualityEvaluator(x, y, seed=0, epochs=3)


@pytest.mark.parametrize("kind", ["qgan", "gan", "dcgan"])
def test_fit_and_generate(kind, evaluator):
    x, y = data()
    bank = fit_class_generators(kind, x, y, SMALL, adv(kind), seed=0, quality=evaluator)
    assert bank.kind == kind and bank.labels == (0, 1, 2) and bank.image_size == 8
    assert bank.gan_config.kind == kind
    out = bank.generate(1, 5, make_generator(0, "gen"))
    assert out.shape == (5, 1, 8, 8) and out.dtype == torch.float32 and not out.requires_grad
    assert 0 <= float(out.min()) and float(out.max()) <= 1
    assert torch.equal(out, bank.generate(1, 5, make_generator(0, "gen")))
    assert bank.generate(0, 0, make_generator(0, "gen")).shape == (0, 1, 8, 8)
    counts = bank.parameter_counts()
    assert counts["n_generators"] == 3 and counts["all_generators"] == 3 * counts["total"]
    assert counts["discriminator"] > 0
    assert (counts["quantum"] > 0) == (kind == "qgan")
    for label in bank.labels:
        h = bank.histories[label]
        assert len(h["loss_d"]) == 4 and [q["iteration"] for q in h["quality"]] == [0, 2, 4]
        assert {"fid", "kid", "accuracy", "diversity_ratio"} <= set(h["quality"][-1])


def test_one_label_matches_train_gan_with_the_child_seed():
    x, y = data()
    bank = fit_class_generators("qgan", x, y, SMALL, adv("qgan"), seed=7, labels=[2], quality=False)
    assert bank.labels == (2,)
    s = child_seed(7, "gan", "qgan", 2)
    G, D = build_gan("qgan", 8, SMALL, generator=make_generator(s, "init"))
    train_gan(G, D, x[y == 2], adv("qgan"), seed=s)
    for a, b in zip(G.state_dict().values(), bank.generator_for(2).state_dict().values()):
        assert torch.equal(a, b)
    # labels are trained independently: the same generator whatever else is trained beside it
    both = fit_class_generators(
        "qgan", x, y, SMALL, adv("qgan"), seed=7, labels=[0, 2], quality=False
    )
    assert torch.equal(both.generator_for(2).patches.weights, bank.generator_for(2).patches.weights)


def test_save_load_roundtrip(tmp_path, evaluator):
    x, y = data()
    bank = fit_class_generators(
        "dcgan", x, y, SMALL, adv("dcgan"), seed=1, quality=evaluator, classes=(3, 5, 7)
    )
    path = bank.save(tmp_path / "bank.pt")
    loaded = ClassGenerators.load(path)
    assert loaded.kind == "dcgan" and loaded.labels == bank.labels and loaded.classes == (3, 5, 7)
    assert loaded.gan_config == bank.gan_config
    assert loaded.histories[0]["quality"] == bank.histories[0]["quality"]
    assert loaded.parameter_counts() == bank.parameter_counts()
    for label in bank.labels:
        assert torch.equal(
            bank.generate(label, 4, make_generator(2, "g")),
            loaded.generate(label, 4, make_generator(2, "g")),
        )


@pytest.mark.parametrize("kind", ["pqwgan", "mosaiq"])
def test_published_kinds_bank_save_load(kind, tmp_path):
    x, y = data()
    config = GANConfig(kind=kind, n_components=6, depth=2)
    bank = fit_class_generators(kind, x, y, config, adv(kind), seed=1, quality=False)
    counts = bank.parameter_counts()
    assert counts["quantum"] == counts["total"] > 0 and counts["discriminator"] > 0
    loaded = ClassGenerators.load(bank.save(tmp_path / "bank.pt"))
    assert loaded.kind == kind and loaded.gan_config == config
    for label in bank.labels:
        a = bank.generate(label, 4, make_generator(2, "g"))
        assert torch.equal(a, loaded.generate(label, 4, make_generator(2, "g")))
    if kind == "mosaiq":  # the class PCA travelled with the weights: each class its own mean
        means = [loaded.generator_for(c).pca.mean for c in loaded.labels]
        assert not torch.equal(means[0], means[1])
        torch.testing.assert_close(means[1], x[y == 1].reshape(12, -1).mean(0))


def test_per_class_checkpoints_and_resume(tmp_path):
    x, y = data()
    bank = fit_class_generators(
        "gan", x, y, SMALL, adv("gan"), seed=0, quality=False, out_dir=tmp_path
    )
    for label in (0, 1, 2):
        assert (tmp_path / f"class_{label}" / "checkpoint.pt").is_file()
    single = ClassGenerators.load(tmp_path / "class_1" / "checkpoint.pt")
    assert single.labels == (1,)
    assert torch.equal(
        single.generate(1, 3, make_generator(0, "g")), bank.generate(1, 3, make_generator(0, "g"))
    )
    longer = fit_class_generators(
        "gan",
        x,
        y,
        SMALL,
        adv("gan", iterations=6),
        seed=0,
        quality=False,
        out_dir=tmp_path,
        resume=True,
    )
    fresh = fit_class_generators(
        "gan", x, y, SMALL, adv("gan", iterations=6), seed=0, quality=False
    )
    for label in (0, 1, 2):
        for a, b in zip(
            longer.generator_for(label).parameters(), fresh.generator_for(label).parameters()
        ):
            assert torch.equal(a, b)


def test_bad_input(tmp_path):
    x, y = data()
    with pytest.raises(ValueError, match="label 5 has no training images"):
        fit_class_generators("qgan", x, y, SMALL, adv("qgan"), seed=0, labels=[0, 5], quality=False)
    with pytest.raises(ValueError, match="kind must be one of"):
        fit_class_generators("vae", x, y, SMALL, adv("qgan"), seed=0)
    with pytest.raises(ValueError, match=r"\(N, 1, H, H\)"):
        fit_class_generators("qgan", x[:, 0], y, SMALL, adv("qgan"), seed=0)
    with pytest.raises(ValueError, match="post-network"):
        fit_class_generators(
            "qgan",
            torch.rand(6, 1, 12, 12),
            torch.zeros(6, dtype=torch.long),
            SMALL,
            adv("qgan"),
            seed=0,
            quality=False,
        )
    bank = fit_class_generators("gan", x, y, SMALL, adv("gan", iterations=1), seed=0, quality=False)
    with pytest.raises(ValueError, match="no generator for label 9"):
        bank.generate(9, 2, make_generator(0, "g"))
    with pytest.raises(ValueError, match="non-negative"):
        bank.generate(0, -1, make_generator(0, "g"))
    save_checkpoint(tmp_path / "clf.pt", {"kind": "classifier", "config": {}})
    with pytest.raises(CheckpointError, match="classifier"):
        ClassGenerators.load(tmp_path / "clf.pt")
    good = bank.save(tmp_path / "bank.pt")
    (tmp_path / "cut.pt").write_bytes(good.read_bytes()[:300])
    with pytest.raises(CheckpointError, match="truncated"):
        ClassGenerators.load(tmp_path / "cut.pt")


def test_latent_kind_bank_keeps_the_best_weights_and_reloads(tmp_path, evaluator):
    x, y = data()
    small = GANConfig(kind="latent", n_qubits=2, depth=2, n_generators=2, ae_epochs=5,
                      ae_channels=(4, 8))
    a = adv("latent", iterations=6, eval_every=2)
    assert a.select_best  # the latent kind keeps its best training-set score by default
    bank = fit_class_generators("latent", x, y, small, a, seed=0, quality=evaluator,
                                out_dir=tmp_path, labels=[1])
    sel = bank.selected[1]
    assert sel["iteration"] < 6  # the best is not the last iterate: loading must pick it
    h = bank.histories[1]
    assert sel["iteration"] == sel["best_iteration"] == h["best"]["iteration"]
    assert sel["score"] == min(selection_score(r) for r in h["quality"])
    assert set(h["fit_data"]) == {"ae_epochs", "ae_loss"}
    counts = bank.parameter_counts()
    assert counts["quantum"] == counts["total"] == 2 * 2 * 2 * 2 and counts["frozen"] > 0
    g = make_generator(0, "g")
    expected = bank.generate(1, 4, g)
    for path in (bank.save(tmp_path / "bank.pt"), tmp_path / "class_1" / "checkpoint.pt"):
        loaded = ClassGenerators.load(path)
        assert loaded.selected[1]["iteration"] == sel["iteration"]
        assert torch.equal(loaded.generate(1, 4, make_generator(0, "g")), expected)
