"""The small-image CPU kernels: where they apply, that the oneDNN flag is always restored."""

import pytest
import torch

from qaug.train._kernels import SMALL_IMAGE_MAX_SIDE, adam, small_kernels, use_small_kernels


def test_only_small_images_on_the_cpu_use_them():
    assert use_small_kernels(8) and use_small_kernels(SMALL_IMAGE_MAX_SIDE)
    assert not use_small_kernels(SMALL_IMAGE_MAX_SIDE + 1)
    assert not use_small_kernels(8, "meta")


@pytest.mark.parametrize("side, inside", [(8, False), (16, False), (28, True)])
def test_onednn_is_off_inside_for_small_images_and_restored_after(side, inside):
    before = torch.backends.mkldnn.enabled
    with small_kernels(side):
        assert torch.backends.mkldnn.enabled is (before and inside)
        with small_kernels(side):  # nested
            assert torch.backends.mkldnn.enabled is (before and inside)
        assert torch.backends.mkldnn.enabled is (before and inside)
    assert torch.backends.mkldnn.enabled is before


def test_the_flag_is_restored_when_the_block_raises():
    before = torch.backends.mkldnn.enabled
    with pytest.raises(RuntimeError, match="boom"), small_kernels(8):
        raise RuntimeError("boom")
    assert torch.backends.mkldnn.enabled is before


def test_adam_is_fused_only_for_small_images_and_real_parameters():
    real = [torch.nn.Parameter(torch.zeros(3))]
    assert adam(real, 8, lr=0.1).defaults["fused"] is True
    assert not adam(real, 28, lr=0.1).defaults["fused"]
    mixed = real + [torch.nn.Parameter(torch.zeros(2, dtype=torch.complex64))]
    assert not adam(mixed, 8, lr=0.1).defaults["fused"]


def test_fused_adam_takes_the_same_steps_up_to_rounding():
    def run(side):
        g = torch.Generator().manual_seed(0)
        w = torch.nn.Parameter(torch.randn(20, generator=g))
        opt = adam([w], side, lr=0.05)
        for _ in range(50):
            loss = (w.sin() * torch.arange(20.0)).square().sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        return w.detach()

    torch.testing.assert_close(run(8), run(28), rtol=1e-5, atol=1e-5)


def test_training_a_classifier_leaves_the_flag_as_it_was():
    from qaug._seed import make_generator
    from qaug.models import build_classifier
    from qaug.train import TrainConfig, train_classifier

    before = torch.backends.mkldnn.enabled
    model = build_classifier("cnn", 2, 8, generator=make_generator(0, "init"))
    x, y = torch.rand(8, 1, 8, 8, generator=make_generator(0, "x")), torch.arange(8) % 2
    train_classifier(model, (x, y), (x, y), TrainConfig(epochs=2), generator=make_generator(0, "s"))
    assert torch.backends.mkldnn.enabled is before


def _train_steps(opt_factory, n=30, zero=True):
    """Weights and optimizer state after n steps of a small model (two groups, one frozen grad)."""
    g = torch.Generator().manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3))
    for p in net.parameters():
        with torch.no_grad():
            p.copy_(torch.randn(p.shape, generator=g))
    x, y = torch.randn(16, 5, generator=g), torch.randint(0, 3, (16,), generator=g)
    opt = opt_factory([{"params": net[0].parameters()}, {"params": net[2].parameters(), "lr": 0.02}])
    for i in range(n):
        loss = torch.nn.functional.cross_entropy(net(x * (1 + i / n)), y)
        opt.zero_grad(set_to_none=zero)
        loss.backward()
        if i % 7 == 3:
            net[2].bias.grad = None  # a parameter without a gradient this step is skipped
        opt.step()
    return [p.detach().clone() for p in net.parameters()], opt.state_dict()


def _assert_same(a, b):
    (wa, sa), (wb, sb) = a, b
    for p, q in zip(wa, wb):
        assert torch.equal(p, q)
    assert sa["param_groups"] == sb["param_groups"]
    for k in sa["state"]:
        for name, v in sa["state"][k].items():
            assert torch.equal(v, sb["state"][k][name]), name


@pytest.mark.parametrize("decay", [0.0, 1e-3])
def test_lean_adam_is_bit_identical_to_torch_fused_adam(decay):
    from qaug.train._kernels import LeanAdam

    opts = dict(lr=0.01, betas=(0.5, 0.99), weight_decay=decay, fused=True)
    lean = _train_steps(lambda ps: LeanAdam(ps, **opts))
    ref = _train_steps(lambda ps: torch.optim.Adam(ps, **opts))
    _assert_same(lean, ref)


@pytest.mark.parametrize("decay", [0.0, 1e-3])
def test_lean_sgd_is_bit_identical_to_torch_sgd(decay):
    from qaug.train._kernels import LeanSGD

    lean = _train_steps(lambda ps: LeanSGD(ps, lr=0.3, weight_decay=decay))
    ref = _train_steps(lambda ps: torch.optim.SGD(ps, lr=0.3, weight_decay=decay))
    _assert_same(lean, ref)


@pytest.mark.parametrize("options", [dict(amsgrad=True, fused=True), dict(fused=None),
                                     dict(maximize=True, fused=True)])
def test_lean_adam_hands_other_options_to_torchs_step(options):
    from qaug.train._kernels import LeanAdam

    lean = _train_steps(lambda ps: LeanAdam(ps, lr=0.01, **options), zero=False)
    ref = _train_steps(lambda ps: torch.optim.Adam(ps, lr=0.01, **options), zero=False)
    _assert_same(lean, ref)


def test_lean_step_of_a_differentiable_group_keeps_the_graph():
    from qaug.train._kernels import LeanSGD

    w = torch.nn.Parameter(torch.ones(3))
    lr = torch.tensor(0.5, requires_grad=True)
    opt = LeanSGD([w.clone()], lr=lr, differentiable=True)
    p = opt.param_groups[0]["params"][0]
    p.grad = torch.ones(3)
    opt.step()  # torch's wrapped step: grad mode on, so the update depends on lr
    assert p.requires_grad


@pytest.mark.parametrize("fused", [True, None])
def test_lean_steps_traced_by_torch_compile_are_torchs_own(monkeypatch, fused):
    # Under torch.compile the wrapper's graph break matters; the lean paths step aside.
    from qaug.train._kernels import LeanAdam, LeanSGD

    calls = []
    for cls in (LeanAdam, LeanSGD):
        monkeypatch.setattr(cls, "_torch_step", lambda self, closure=None: calls.append(type(self)))
    monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)
    w = torch.nn.Parameter(torch.ones(3))
    w.grad = torch.ones(3)
    LeanAdam([w], lr=0.1, fused=fused).step()
    LeanSGD([w], lr=0.1).step()
    assert calls == [LeanAdam, LeanSGD]
    assert torch.equal(w.detach(), torch.ones(3))  # neither lean path touched the weights


def test_lean_sgd_with_momentum_is_torchs():
    from qaug.train._kernels import LeanSGD

    lean = _train_steps(lambda ps: LeanSGD(ps, lr=0.1, momentum=0.9, nesterov=True))
    ref = _train_steps(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True))
    _assert_same(lean, ref)


def test_lean_step_runs_registered_hooks_and_resumes_from_a_torch_state():
    from qaug.train._kernels import LeanAdam

    w = torch.nn.Parameter(torch.ones(3))
    opt = LeanAdam([w], lr=0.1, fused=True)
    assert isinstance(opt, torch.optim.Adam)
    calls = []
    handle = opt.register_step_post_hook(lambda o, a, k: calls.append(1))
    w.grad = torch.ones(3)
    opt.step()
    handle.remove()
    w.grad = torch.ones(3)
    opt.step()
    assert calls == [1]  # the hook ran once, while registered
    ref_w = torch.nn.Parameter(torch.ones(3))
    ref = torch.optim.Adam([ref_w], lr=0.1, fused=True)
    for _ in range(2):
        ref_w.grad = torch.ones(3)
        ref.step()
    assert torch.equal(w.detach(), ref_w.detach())
    again = LeanAdam([torch.nn.Parameter(w.detach().clone())], lr=0.1, fused=True)
    again.load_state_dict(ref.state_dict())  # a checkpoint written by torch's Adam resumes
    assert torch.equal(again.state_dict()["state"][0]["exp_avg"], ref.state_dict()["state"][0]["exp_avg"])


def test_building_a_lean_optimizer_does_not_import_dynamo():
    import subprocess
    import sys

    code = ("import sys, torch; from qaug.train._kernels import LeanAdam, LeanSGD; "
            "w = torch.nn.Parameter(torch.ones(2)); o = LeanAdam([w], lr=0.1, fused=True); "
            "LeanSGD([w], lr=0.1); w.grad = torch.ones(2); o.step(); o.zero_grad(); "
            # groups torch's step function updates (unwrapped): non-fused Adam, momentum SGD
            "p = LeanAdam([w], lr=0.1); q = LeanSGD([w], lr=0.1, momentum=0.9); "
            "w.grad = torch.ones(2); p.step(); q.step(); "
            "print('torch._dynamo' in sys.modules, torch.is_grad_enabled())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False True"
