import dataclasses

import pytest
import torch

from qaug._io import CheckpointError
from qaug._seed import make_generator
from qaug.models import GANConfig, build_gan
from qaug.train import AdversarialConfig, NonFiniteLossError, default_adversarial_config, train_gan

KINDS = ("qgan", "gan", "dcgan", "latent")


def real_data(n=24, size=8, seed=0):
    """Blurry diagonal strokes: enough structure for a few steps of training."""
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, 1, size, size)
    for i in range(n):
        o = int(torch.randint(0, 3, (1,), generator=g))
        for r in range(size):
            x[i, 0, r, min(size - 1, (r + o) % size)] = 1.0
    return x


def build(kind, seed=0):
    return build_gan(
        kind,
        8,
        GANConfig(kind=kind, dcgan_width=2, gan_hidden=(16,), ae_epochs=3, ae_channels=(4, 8)),
        generator=make_generator(seed, "init"),
    )


def cfg(kind, **kw):
    # select_best needs quality metrics, which most tests leave out (test_adversarial_losses)
    base = dict(iterations=10, batch_size=4, checkpoint_every=4, eval_every=5, eval_samples=6,
                select_best=False)
    return default_adversarial_config(kind, **{**base, **kw})


def weights(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def interrupt_after(D, n_calls):
    """Make D raise KeyboardInterrupt on its (n_calls + 1)-th forward call (as Ctrl-C would)."""
    calls = {"n": 0}
    forward = D.forward

    def wrapped(x):
        calls["n"] += 1
        if calls["n"] > n_calls:
            raise KeyboardInterrupt
        return forward(x)

    D.forward = wrapped


def test_config_validation():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        AdversarialConfig(optimizer="rmsprop")
    with pytest.raises(ValueError, match="loss must be one of"):
        AdversarialConfig(loss="wasserstein")
    with pytest.raises(ValueError, match="lr_g must be a positive number"):
        AdversarialConfig(lr_g=0)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        AdversarialConfig(batch_size=0)
    with pytest.raises(ValueError, match="betas"):
        AdversarialConfig(betas=(0.5, 1.5))
    with pytest.raises(ValueError, match="kind must be one of"):
        default_adversarial_config("vae")
    demo = default_adversarial_config("qgan")
    assert (demo.optimizer, demo.lr_d, demo.lr_g, demo.batch_size, demo.iterations) == (
        "sgd",
        0.01,
        0.3,
        32,
        1000,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_smoke_history_and_determinism(kind, tmp_path):
    G, D = build(kind)
    state = torch.get_rng_state()
    r = train_gan(G, D, real_data(), cfg(kind), seed=3, quality=lambda x: {"mean": float(x.mean())})
    assert torch.equal(state, torch.get_rng_state())  # no global RNG use
    h = r.history
    assert h["iteration"] == list(range(1, 11)) and len(h["loss_d"]) == len(h["loss_g"]) == 10
    assert [q["iteration"] for q in h["quality"]] == [0, 5, 10]
    assert all("mean" in q for q in h["quality"])
    assert sorted(r.snapshots) == [0, 5, 10] and r.snapshots[10].shape == (6, 1, 8, 8)
    assert r.iteration == 10 and r.checkpoint is None and r.wall_time > 0
    assert r.final_quality["iteration"] == 10
    # same seed, same result; another seed, another result
    G2, D2 = build(kind)
    train_gan(G2, D2, real_data(), cfg(kind), seed=3)
    assert_same(weights(G), weights(G2))
    G3, D3 = build(kind)
    train_gan(G3, D3, real_data(), cfg(kind), seed=4)
    assert any(not torch.equal(a, b) for a, b in zip(G.parameters(), G3.parameters()))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n_critic", [1, 2])
def test_resume_after_interruption_is_bit_exact(kind, n_critic, tmp_path):
    c = cfg(kind, n_critic=n_critic, iterations=11)
    G, D = build(kind)
    full = train_gan(G, D, real_data(), c, seed=5, out_dir=tmp_path / "full")

    G1, D1 = build(kind)
    interrupt_after(D1, (2 * n_critic + 1) * 6 + 2)  # dies inside iteration 7; checkpoint at 4
    with pytest.raises(KeyboardInterrupt):
        train_gan(G1, D1, real_data(), c, seed=5, out_dir=tmp_path / "cut")
    ck = torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=True)
    assert ck["iteration"] == 4 and ck["kind"] == "gan"

    G2, D2 = build(
        kind, seed=99
    )  # different initial weights: everything must come from the checkpoint
    resumed = train_gan(G2, D2, real_data(), c, seed=5, out_dir=tmp_path / "cut", resume=True)
    assert_same(weights(G2), weights(G))
    assert_same(weights(D2), weights(D))
    assert resumed.history == full.history
    assert resumed.iteration == 11
    final = torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=True)
    assert_same(final["generator"], weights(G))


def test_resume_can_extend_a_finished_run(tmp_path):
    G, D = build("qgan")
    train_gan(G, D, real_data(), cfg("qgan", iterations=12), seed=1)
    G1, D1 = build("qgan")
    train_gan(G1, D1, real_data(), cfg("qgan", iterations=8), seed=1, out_dir=tmp_path)
    G2, D2 = build("qgan")
    r = train_gan(
        G2, D2, real_data(), cfg("qgan", iterations=12), seed=1, out_dir=tmp_path, resume=True
    )
    assert r.iteration == 12
    assert_same(weights(G2), weights(G))
    # resuming a finished run trains nothing more
    G3, D3 = build("qgan")
    r3 = train_gan(
        G3, D3, real_data(), cfg("qgan", iterations=12), seed=1, out_dir=tmp_path, resume=True
    )
    assert r3.iteration == 12 and r3.history == r.history
    assert_same(weights(G3), weights(G))


def test_resume_without_checkpoint_starts_fresh(tmp_path):
    G, D = build("gan")
    r = train_gan(
        G, D, real_data(), cfg("gan", iterations=3), seed=0, out_dir=tmp_path, resume=True
    )
    assert r.iteration == 3 and (tmp_path / "checkpoint.pt").is_file()
    with pytest.raises(ValueError, match="needs out_dir"):
        train_gan(*build("gan"), real_data(), cfg("gan"), seed=0, resume=True)


def test_resume_refuses_another_run(tmp_path):
    G, D = build("qgan")
    train_gan(
        G,
        D,
        real_data(),
        cfg("qgan", iterations=4),
        seed=0,
        out_dir=tmp_path,
        meta={"generator_kind": "qgan"},
    )

    def resume(kind="qgan", data_seed=0, seed=0, **changes):
        train_gan(
            *build(kind),
            real_data(seed=data_seed),
            cfg("qgan", iterations=8, **changes),
            seed=seed,
            out_dir=tmp_path,
            resume=True,
            meta={"generator_kind": kind},
        )

    # Each differing setting is named in the error.
    with pytest.raises(CheckpointError, match="generator_kind"):
        resume(kind="gan")
    with pytest.raises(CheckpointError, match="seed"):
        resume(seed=1)
    with pytest.raises(CheckpointError, match="data_fingerprint"):
        resume(data_seed=1)
    with pytest.raises(CheckpointError, match="lr_g"):
        resume(lr_g=0.1)


def test_truncated_checkpoint_is_reported(tmp_path):
    G, D = build("gan")
    train_gan(G, D, real_data(), cfg("gan", iterations=4), seed=0, out_dir=tmp_path)
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="truncated"):
        train_gan(
            *build("gan"),
            real_data(),
            cfg("gan", iterations=8),
            seed=0,
            out_dir=tmp_path,
            resume=True,
        )


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    G, D = build("qgan")
    calls = {"n": 0}
    forward = D.forward

    def nan_after_six_iterations(x):
        calls["n"] += 1
        out = forward(x)
        return out * float("nan") if calls["n"] > 3 * 6 else out

    D.forward = nan_after_six_iterations
    with pytest.raises(NonFiniteLossError, match="iteration 7.*last good checkpoint"):
        train_gan(G, D, real_data(), cfg("qgan"), seed=0, out_dir=tmp_path)
    ck = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert ck["iteration"] == 4
    assert all(torch.isfinite(v).all() for v in ck["generator"].values())


def test_bad_real_data():
    G, D = build("gan")
    with pytest.raises(ValueError, match=r"\(N, 1, 8, 8\)"):
        train_gan(G, D, torch.rand(5, 1, 16, 16), cfg("gan"), seed=0)
    with pytest.raises(ValueError, match="no training images"):
        train_gan(G, D, torch.rand(0, 1, 8, 8), cfg("gan"), seed=0)
    with pytest.raises(ValueError, match="NaN"):
        train_gan(G, D, torch.full((4, 1, 8, 8), float("nan")), cfg("gan"), seed=0)
    with pytest.raises(TypeError, match="torch tensor"):
        train_gan(G, D, [[0.0]], cfg("gan"), seed=0)


def test_adam_and_lsgan_and_zero_iterations(tmp_path):
    c = dataclasses.replace(cfg("qgan"), optimizer="adam", loss="lsgan", lr_g=0.01, lr_d=0.001)
    r = train_gan(*build("qgan"), real_data(), c, seed=0)
    assert all(torch.isfinite(torch.tensor(r.history["loss_g"])))
    r0 = train_gan(*build("qgan"), real_data(), cfg("qgan", iterations=0), seed=0, out_dir=tmp_path)
    assert r0.iteration == 0 and [q["iteration"] for q in r0.history["quality"]] == [0]


@pytest.mark.parametrize(
    "kind, d_calls_per_iteration",
    [("pqwgan", 3 * 5 + 1), ("mosaiq", 2 + 1)],  # wgan-gp: real, fake, penalty per critic step
)
def test_published_kinds_resume_bit_exactly(kind, d_calls_per_iteration, tmp_path):
    def make(seed=0):
        return build_gan(kind, 8, GANConfig(kind=kind, n_components=5, depth=2),
                         generator=make_generator(seed, "init"))

    c = cfg(kind, iterations=11)
    G, D = make()
    full = train_gan(G, D, real_data(), c, seed=5, out_dir=tmp_path / "full")
    if kind == "mosaiq":  # the PCA was fitted and the noise range adapted during training
        assert full.history["fit_data"]["n_components"] == 5
        assert bool(G.pca.fitted) and float(G.ratio_0[1]) == 1.0
    G1, D1 = make()
    interrupt_after(D1, d_calls_per_iteration * 6 + 2)  # dies inside iteration 7
    with pytest.raises(KeyboardInterrupt):
        train_gan(G1, D1, real_data(), c, seed=5, out_dir=tmp_path / "cut")
    G2, D2 = make(seed=99)
    resumed = train_gan(G2, D2, real_data(), c, seed=5, out_dir=tmp_path / "cut", resume=True)
    assert_same(weights(G2), weights(G))
    assert_same(weights(D2), weights(D))
    for h in (resumed.history, full.history):  # the fit's wall time differs between runs
        h.get("fit_data", {}).pop("seconds", None)
    assert resumed.history == full.history
