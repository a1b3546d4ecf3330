"""One adversarial training loop for QGAN, GAN and DCGAN, with exact checkpoint/resume.

Per iteration (``n_critic`` = 1, as in the PennyLane demo): draw a real batch and a noise
batch, update D on real (target 1) and detached fake (target 0), then update G on the same
fake batch with the non-saturating loss ``-log D(G(z))`` (Goodfellow et al. 2014, sec. 3).
With ``n_critic`` > 1 the extra D steps use fresh noise batches first.

Randomness comes from two CPU generators derived from ``seed`` (``"data"``: real batch
indices; ``"noise"``: latent batches) plus a fixed noise batch (``"fixed_noise"``) used for
snapshots and quality evaluation, so evaluating never perturbs training. A checkpoint holds
the weights, optimizer states, both generator states, the iteration and the history; resuming
from it reproduces an uninterrupted run bit for bit (on the same device and thread count).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from qaug._config import config_to_dict
from qaug._io import load_checkpoint, save_checkpoint
from qaug._seed import make_generator
from qaug.train._adversarial_config import (
    LOSSES,
    OPTIMIZERS,
    AdversarialConfig,
    NonFiniteLossError,
    default_adversarial_config,
)

__all__ = [
    "AdversarialConfig",
    "GANResult",
    "NonFiniteLossError",
    "train_gan",
    "default_adversarial_config",
    "OPTIMIZERS",
    "LOSSES",
]

CHECKPOINT_NAME = "checkpoint.pt"
N_SNAPSHOT = 16
# Fields that may change between an interrupted run and its resumption without changing results.
_RESUMABLE_CHANGES = ("iterations", "checkpoint_every", "device")


@dataclass
class GANResult:
    """What ``train_gan`` returns.

    Attributes:
        generator, discriminator: the trained networks (left in eval mode).
        history: ``{"iteration", "loss_d", "loss_g", "d_real", "d_fake"}`` lists (one entry
            per iteration; ``d_real``/``d_fake`` are mean discriminator probabilities) and
            ``"quality"``: a list of ``{"iteration", <metric>: value}`` records.
        iteration: iterations done.
        wall_time: seconds spent training, summed over resumed sessions.
        fixed_noise: the fixed latent batch ``(eval_samples, latent_dim)``.
        snapshots: ``{iteration: (16, 1, H, W)}`` images from the first 16 fixed latents.
        checkpoint: path of the last checkpoint written, or None.
    """

    generator: nn.Module
    discriminator: nn.Module
    history: dict
    iteration: int
    wall_time: float
    fixed_noise: torch.Tensor
    snapshots: dict[int, torch.Tensor] = field(default_factory=dict)
    checkpoint: Path | None = None

    @property
    def final_quality(self) -> dict | None:
        """The last quality record, or None when no quality was measured."""
        q = self.history.get("quality") or []
        return q[-1] if q else None


def _new_history() -> dict:
    return {"iteration": [], "loss_d": [], "loss_g": [], "d_real": [], "d_fake": [], "quality": []}


def _make_optimizer(params, cfg: AdversarialConfig, lr: float) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr)
    return torch.optim.Adam(params, lr=lr, betas=tuple(cfg.betas))


def _adv_loss(logits: torch.Tensor, target: float, kind: str) -> torch.Tensor:
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))
    return 0.5 * ((logits - target) ** 2).mean()  # least squares on the raw outputs


def _fingerprint(x: torch.Tensor) -> str:
    return hashlib.sha256(x.detach().cpu().contiguous().numpy().tobytes()).hexdigest()[:16]


def _check_real(real_x, G: nn.Module) -> torch.Tensor:
    if not isinstance(real_x, torch.Tensor):
        raise TypeError(f"real_x must be a torch tensor (N, 1, H, W); got {type(real_x).__name__}.")
    size = getattr(G, "image_size", None)
    if (
        real_x.ndim != 4
        or real_x.shape[1] != 1
        or (size is not None and tuple(real_x.shape[2:]) != (size, size))
    ):
        raise ValueError(
            f"real_x must have shape (N, 1, {size}, {size}) to match the generator; got "
            f"{tuple(real_x.shape)}. Resize the data or build the generator for this image size."
        )
    if len(real_x) == 0:
        raise ValueError("real_x is empty: there are no training images for this class.")
    real_x = real_x.float()
    if not torch.isfinite(real_x).all():
        raise ValueError("real_x contains NaN or inf; clean the data first.")
    return real_x


def _checkpoint_config(
    cfg: AdversarialConfig, seed: int, real_x: torch.Tensor, meta: dict | None
) -> dict:
    return {
        "adversarial": config_to_dict(cfg),
        "seed": int(seed),
        "n_real": len(real_x),
        "data_fingerprint": _fingerprint(real_x),
        **(meta or {}),
    }


def _comparable(config: dict) -> dict:
    out = dict(config)
    out["adversarial"] = {
        k: v for k, v in config.get("adversarial", {}).items() if k not in _RESUMABLE_CHANGES
    }
    return out


def _load_for_resume(path: Path, expected: dict) -> dict:
    payload = load_checkpoint(path, kind="gan")
    saved, want = _comparable(payload["config"]), _comparable(expected)
    if saved != want:
        diff = sorted(k for k in set(saved) | set(want) if saved.get(k) != want.get(k))
        detail = "; ".join(f"{k}: checkpoint {saved.get(k)!r} vs now {want.get(k)!r}" for k in diff)
        from qaug._io import CheckpointError

        raise CheckpointError(
            f"cannot resume from {str(path)!r}: it was written by a different run ({detail}). "
            "Use the same generator, data, seed and settings, or start a new run with --overwrite."
        )
    return payload


@torch.no_grad()
def _evaluate(G, fixed_noise, device, quality, iteration) -> tuple[dict, torch.Tensor]:
    was_training = G.training
    G.eval()
    fake = G(fixed_noise.to(device)).float().cpu()
    G.train(was_training)
    record = {"iteration": iteration}
    if quality is not None:
        record.update(quality(fake))
    return record, fake[:N_SNAPSHOT].clone()


def train_gan(
    G: nn.Module,
    D: nn.Module,
    real_x: torch.Tensor,
    config: AdversarialConfig | None = None,
    *,
    seed: int,
    out_dir: str | Path | None = None,
    resume: bool = False,
    progress: bool = False,
    quality: Callable[[torch.Tensor], dict] | None = None,
    meta: dict | None = None,
    desc: str = "GAN",
) -> GANResult:
    """Train ``G`` against ``D`` on ``real_x`` ``(N, 1, H, W)`` (one loop for QGAN, GAN, DCGAN).

    Args:
        G: generator (``sample_latent``, ``forward(z) -> (n, 1, H, W)``), e.g. from
            ``qaug.models.build_gan``.
        D: discriminator (images -> logits ``(n, 1)``).
        real_x: the training images (one class's images for a per-class generator).
        config: loop settings (``AdversarialConfig()`` when None).
        seed: seeds the batch order, the latent noise and the fixed noise batch.
        out_dir: where ``checkpoint.pt`` is written every ``checkpoint_every`` iterations and
            at the end; None = no checkpoints.
        resume: continue from ``out_dir/checkpoint.pt`` (a fresh start if there is none yet);
            the checkpoint must come from the same generator, data, seed and settings
            (``iterations`` may be raised to train longer).
        progress: show a tqdm bar with the losses.
        quality: ``fake_x -> {metric: value}`` called on the fixed noise batch's images every
            ``eval_every`` iterations (e.g. ``partial(QualityEvaluator(...), label=2)``).
        meta: JSON-able facts stored in the checkpoint's config (generator kind, image size,
            GANConfig, class, ...), checked on resume and used to rebuild the generator.
        desc: label of the progress bar.

    Raises:
        NonFiniteLossError: a loss became NaN/inf (the last good checkpoint is kept).
        qaug._io.CheckpointError: resuming from a checkpoint of another run, or a broken file.
    """
    from tqdm.auto import tqdm

    cfg = AdversarialConfig() if config is None else config
    real_x = _check_real(real_x, G)
    device = torch.device(cfg.device)
    G.to(device).train()
    D.to(device).train()
    opt_g = _make_optimizer(G.parameters(), cfg, cfg.lr_g)
    opt_d = _make_optimizer(D.parameters(), cfg, cfg.lr_d)
    g_data, g_noise = make_generator(seed, "data"), make_generator(seed, "noise")
    fixed_noise = G.sample_latent(cfg.eval_samples, make_generator(seed, "fixed_noise"))
    ckpt_config = _checkpoint_config(cfg, seed, real_x, meta)
    ckpt_path = Path(out_dir) / CHECKPOINT_NAME if out_dir is not None else None
    history, snapshots, start, wall_before = _new_history(), {}, 0, 0.0
    last_saved: Path | None = None

    if resume:
        if ckpt_path is None:
            raise ValueError("resume=True needs out_dir (the folder holding checkpoint.pt).")
        if ckpt_path.is_file():
            state = _load_for_resume(ckpt_path, ckpt_config)
            G.load_state_dict(state["generator"])
            D.load_state_dict(state["discriminator"])
            opt_g.load_state_dict(state["opt_g"])
            opt_d.load_state_dict(state["opt_d"])
            g_data.set_state(state["rng"]["data"])
            g_noise.set_state(state["rng"]["noise"])
            history, snapshots = state["history"], state["snapshots"]
            start, wall_before, last_saved = state["iteration"], state["wall_time"], ckpt_path

    def save(iteration: int, wall: float) -> Path | None:
        if ckpt_path is None:
            return None
        return save_checkpoint(
            ckpt_path,
            {
                "kind": "gan",
                "config": ckpt_config,
                "iteration": iteration,
                "generator": G.state_dict(),
                "discriminator": D.state_dict(),
                "opt_g": opt_g.state_dict(),
                "opt_d": opt_d.state_dict(),
                "rng": {"data": g_data.get_state(), "noise": g_noise.get_state()},
                "fixed_noise": fixed_noise,
                "history": history,
                "snapshots": snapshots,
                "wall_time": wall,
            },
        )

    def log_eval(iteration: int) -> None:
        if history["quality"] and history["quality"][-1]["iteration"] == iteration:
            return  # already logged (e.g. at the end of a finished run that is resumed)
        record, snap = _evaluate(G, fixed_noise, device, quality, iteration)
        history["quality"].append(record)
        snapshots[iteration] = snap

    t0 = time.perf_counter()
    n = len(real_x)
    if start == 0:
        log_eval(0)
    bar = tqdm(
        total=cfg.iterations,
        initial=min(start, cfg.iterations),
        disable=not progress,
        desc=desc,
        leave=False,
        dynamic_ncols=True,
    )
    for it in range(start, cfg.iterations):
        for k in range(cfg.n_critic):
            idx = torch.randint(n, (cfg.batch_size,), generator=g_data)
            xr = real_x[idx].to(device)  # (B, 1, H, W)
            z = G.sample_latent(cfg.batch_size, g_noise).to(device)  # (B, latent_dim)
            last = k == cfg.n_critic - 1
            with torch.set_grad_enabled(last):
                fake = G(z)  # the last critic step's fake batch is reused for the G step
            d_real, d_fake = D(xr), D(fake.detach())
            loss_d = _adv_loss(d_real, 1.0, cfg.loss) + _adv_loss(d_fake, 0.0, cfg.loss)
            _check_finite(loss_d, "discriminator", it, last_saved)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        loss_g = _adv_loss(D(fake), 1.0, cfg.loss)  # non-saturating: G wants D(G(z)) -> 1
        _check_finite(loss_g, "generator", it, last_saved)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()

        history["iteration"].append(it + 1)
        history["loss_d"].append(loss_d.item())
        history["loss_g"].append(loss_g.item())
        history["d_real"].append(torch.sigmoid(d_real.detach()).mean().item())
        history["d_fake"].append(torch.sigmoid(d_fake.detach()).mean().item())
        done = it + 1
        if done == cfg.iterations or (cfg.eval_every and done % cfg.eval_every == 0):
            log_eval(done)
        if done % cfg.checkpoint_every == 0 and done != cfg.iterations:
            last_saved = save(done, wall_before + time.perf_counter() - t0)
        bar.update(1)
        bar.set_postfix(
            loss_d=f"{history['loss_d'][-1]:.3f}",
            loss_g=f"{history['loss_g'][-1]:.3f}",
            refresh=False,
        )
    bar.close()
    if cfg.iterations == 0 or start >= cfg.iterations:
        log_eval(max(start, cfg.iterations))
    wall = wall_before + time.perf_counter() - t0
    done = max(start, cfg.iterations)
    last_saved = save(done, wall) or last_saved
    G.eval()
    D.eval()
    return GANResult(G, D, history, done, wall, fixed_noise, snapshots, last_saved)


def _check_finite(loss: torch.Tensor, which: str, iteration: int, last_saved: Path | None) -> None:
    if torch.isfinite(loss):
        return
    kept = (
        f"the last good checkpoint {str(last_saved)!r} is kept"
        if last_saved
        else "no checkpoint had been written yet"
    )
    raise NonFiniteLossError(
        f"the {which} loss became {loss.item()} at iteration {iteration + 1}; training stopped "
        f"before applying that step ({kept}). Lower the learning rates (e.g. --adv.lr_g, "
        "--adv.lr_d) or use --adv.optimizer=adam, and rerun."
    )
