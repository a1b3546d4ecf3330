"""CPU kernels for small images: where oneDNN and the per-tensor Adam loop cost more than the maths.

At the presets' sizes (8x8 and 16x16 images, a few channels, batches of 16) a training step
is dominated by per-operation overhead. Two kernel choices make it faster on the CPU:

- oneDNN convolutions off: torch then uses its plain CPU kernels;
- Adam's fused CPU kernel (``fused=True``) instead of the per-tensor loop.

Together, measured with ``benchmarks/bench_small_kernels.py`` (one thread, load 1.9): HQCNN
step 0.98 -> 0.67 ms at 8 px, 1.04 -> 0.79 ms at 16 px; CNN 0.64 -> 0.34 ms at 8 px; DCGAN
D+G step 3.2 -> 1.3 ms (width 1, 8 px), 3.6 -> 2.4 ms (width 8, 16 px). At 28 px the width-8
DCGAN is 6% slower with them, so only sides up to ``SMALL_IMAGE_MAX_SIDE`` use them.

Both change float32 rounding (not the maths), so results differ from the default kernels in
the last digits, and trained weights drift apart from there. Both are applied at the same
sizes, so runs on larger images keep the default kernels and their results.
"""

from __future__ import annotations

import contextlib
import inspect

import torch
from torch.optim import optimizer as _torch_optimizer

__all__ = ["SMALL_IMAGE_MAX_SIDE", "LeanAdam", "LeanSGD", "adam", "small_kernels", "use_small_kernels"]

# Largest image side trained with the small-image kernels.
SMALL_IMAGE_MAX_SIDE = 16


def use_small_kernels(image_side: int, device: torch.device | str = "cpu") -> bool:
    """Whether images of this side on this device train with the small-image CPU kernels."""
    return torch.device(device).type == "cpu" and int(image_side) <= SMALL_IMAGE_MAX_SIDE


@contextlib.contextmanager
def small_kernels(image_side: int, device: torch.device | str = "cpu"):
    """Run the block with oneDNN off when ``use_small_kernels``; restores the flag afterwards.

    The flag is process-wide (torch has no per-call switch); nested blocks are fine.
    """
    if not use_small_kernels(image_side, device) or not torch.backends.mkldnn.enabled:
        yield
        return
    torch.backends.mkldnn.enabled = False
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = True


def adam(params, image_side: int, device: torch.device | str = "cpu", **options) -> torch.optim.Adam:
    """``LeanAdam(params, **options)`` (a ``torch.optim.Adam``), fused when ``use_small_kernels``.

    The fused kernel needs real floating parameters; with any other the default loop is kept.
    """
    params = list(params)
    fused = use_small_kernels(image_side, device) and all(p.is_floating_point() for p in params)
    return LeanAdam(params, fused=True if fused else None, **options)


# -- Lean optimizers --------------------------------------------------------------------------
# torch.optim's step() runs through a Python wrapper (profiler scope, hook chains, grouping
# by device and dtype, a grad-mode switch): ~110 us per call on a 2-core Xeon against ~35 us
# for the fused kernel itself, i.e. ~10% of an HQCNN training step at 8x8. And the first
# optimizer a process builds imports torch._dynamo (~2 s), through the decorator on
# add_param_group. The subclasses below are torch's Adam and SGD (same state_dict, same
# checkpoints, isinstance checks pass) with the same kernels called directly: bit-identical
# updates (tests/train/test_kernels.py compares them step by step). A group with an option
# the short path does not cover runs torch's own step function, unwrapped (no torch._dynamo
# import, no graph break; same code, same numbers); with a hook registered, a closure, a
# GradScaler, a differentiable group or inside a torch.compile trace, step() is torch's,
# wrappers and all.


def _torch_step(cls):
    """``cls.step`` with torch's hook wrapper (wrapped here if no instance has wrapped it yet)."""
    step = cls.step
    return step if getattr(step, "hooked", False) else torch.optim.Optimizer.profile_hook_step(step)


def _raw_step(cls):
    """``cls.step`` without torch's wrappers (profile hooks, ``_use_grad_for_differentiable``).

    The wrapper ``_use_grad_for_differentiable`` imports torch._dynamo (~1.5 s, once per
    process) and calls ``torch._dynamo.graph_break()`` on every step; its only other work is
    switching grad mode to ``defaults["differentiable"]``, which :func:`_plain_step` does.
    """
    return inspect.unwrap(cls.step)


def _plain_step(opt):
    """Torch's own update, unwrapped, for a step ``_torchs_own`` left to the lean optimizer."""
    if opt.defaults.get("differentiable", False) or any(
        g.get("differentiable", False) for g in opt.param_groups
    ):
        return opt._torch_step(None)
    with torch.no_grad():
        return opt._raw_torch_step(None)


def _hooks_registered(opt) -> bool:
    return bool(opt._optimizer_step_pre_hooks or opt._optimizer_step_post_hooks
                or getattr(_torch_optimizer, "_global_optimizer_pre_hooks", None)
                or getattr(_torch_optimizer, "_global_optimizer_post_hooks", None))


def _torchs_own(opt, closure) -> bool:
    """Whether this step must be torch's wrapped one.

    That is with a closure, hooks, a GradScaler's scale, or inside a torch.compile trace
    (which needs the wrapper's graph break).
    """
    return (closure is not None or _hooks_registered(opt) or _scaled(opt)
            or torch.compiler.is_compiling())


def _scaled(opt) -> bool:
    """Whether a GradScaler handed this step its scale (then torch's step applies it)."""
    return getattr(opt, "grad_scale", None) is not None or getattr(opt, "found_inf", None) is not None


class _Lean:
    """Mixin: no torch._dynamo import in the constructor; zero_grad(set_to_none) in a loop."""

    def add_param_group(self, param_group):
        plain = getattr(torch.optim.Optimizer.add_param_group, "__wrapped__", None)
        return super().add_param_group(param_group) if plain is None else plain(self, param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        if not set_to_none:
            return super().zero_grad(set_to_none=False)
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None
        return None


class LeanAdam(_Lean, torch.optim.Adam):
    """``torch.optim.Adam`` whose plain fused CPU step calls ``torch._fused_adam_`` directly."""

    _torch_step = _torch_step(torch.optim.Adam)
    _raw_torch_step = _raw_step(torch.optim.Adam)

    def step(self, closure=None):
        if _torchs_own(self, closure):
            return self._torch_step(closure)
        work = self._collect()
        if work is None:
            return _plain_step(self)
        with torch.no_grad():
            for group, params, grads, avgs, sqs, steps in work:
                beta1, beta2 = group["betas"]
                torch._foreach_add_(steps, 1)
                torch._fused_adam_(params, grads, avgs, sqs, [], steps, amsgrad=False,
                                   lr=group["lr"], beta1=beta1, beta2=beta2,
                                   weight_decay=group["weight_decay"], eps=group["eps"],
                                   maximize=False, grad_scale=None, found_inf=None)
        return None

    step.hooked = True  # torch's _patch_step_function must not wrap it again

    def _collect(self):
        """Per group ``(group, params, grads, exp_avgs, exp_avg_sqs, steps)``; None: torch's step."""
        work = []
        for group in self.param_groups:
            if not _plain_fused_adam(group):
                return None
            params, grads, avgs, sqs, steps = [], [], [], [], []
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if not p.is_cpu or grad.is_sparse:
                    return None
                state = self.state[p]
                if not state:  # as Adam._init_group initialises a fused group
                    state["step"] = torch.zeros((), dtype=torch.float32, device=p.device)
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                params.append(p)
                grads.append(grad)
                avgs.append(state["exp_avg"])
                sqs.append(state["exp_avg_sq"])
                steps.append(state["step"])
            if params:
                work.append((group, params, grads, avgs, sqs, steps))
        return work


def _number(v) -> bool:
    return type(v) is float or type(v) is int


def _plain_fused_adam(group) -> bool:
    beta1, beta2 = group["betas"]
    return (group["fused"] is True and _HAS_FUSED_ADAM
            and not (group["amsgrad"] or group["maximize"] or group["capturable"]
                     or group["differentiable"] or group.get("decoupled_weight_decay", False))
            and _number(group["lr"]) and _number(beta1) and _number(beta2)
            and _number(group["weight_decay"]))


_HAS_FUSED_ADAM = hasattr(torch, "_fused_adam_")


class LeanSGD(_Lean, torch.optim.SGD):
    """``torch.optim.SGD`` whose plain step (no momentum, single-tensor) is ``p.add_(g, -lr)``."""

    _torch_step = _torch_step(torch.optim.SGD)
    _raw_torch_step = _raw_step(torch.optim.SGD)

    def step(self, closure=None):
        if _torchs_own(self, closure):
            return self._torch_step(closure)
        if not all(_plain_sgd(g) for g in self.param_groups):
            return _plain_step(self)
        with torch.no_grad():
            for group in self.param_groups:
                lr, decay = group["lr"], group["weight_decay"]
                for p in group["params"]:
                    if p.grad is not None:  # as torch's _single_tensor_sgd
                        grad = p.grad if decay == 0 else p.grad.add(p, alpha=decay)
                        p.add_(grad, alpha=-lr)
        return None

    step.hooked = True


def _plain_sgd(group) -> bool:
    return (_number(group["momentum"]) and group["momentum"] == 0 and not group["foreach"]
            and not group["fused"] and not group["maximize"] and not group["differentiable"]
            and _number(group["lr"]) and _number(group["weight_decay"])
            and all(p.is_cpu and (p.grad is None or not p.grad.is_sparse) for p in group["params"]))
