"""One adversarial training loop for every generator kind, with exact checkpoint/resume.

Per iteration (``n_critic`` = 1, as in the PennyLane demo): draw a real batch and a noise
batch, update D on real (target 1) and detached fake (target 0), then update G on the same
fake batch with the non-saturating loss ``-log D(G(z))`` (Goodfellow et al. 2014, sec. 3).
With ``n_critic`` > 1 the extra D steps use fresh noise batches first. With
``loss="wgan-gp"`` D is a Wasserstein critic (raw scores, no sigmoid) with a gradient penalty
on random mixes of real and fake images (Gulrajani et al. 2017, Algorithm 1; the mixing
weights come from the noise generator).

A generator that must see the training images first (an autoencoder's decoder, a PCA basis)
defines ``fit_data(real_x, *, generator) -> dict``: it is called once before iteration 0
(seeded by ``(seed, "fit_data")``, its time counted in the wall time, its dict stored as
``history["fit_data"]``); what it fits must live in the generator's state_dict, so a resumed
run or a loaded bank gets it from the checkpoint. Only parameters with ``requires_grad`` are
optimised. A generator with ``observe_losses(loss_d, loss_g)`` is told both losses after every
generator step (MosaiQ adapts its latent range to their ratio; the state is in its buffers).

Randomness comes from two CPU generators derived from ``seed`` (``"data"``: real batch
indices; ``"noise"``: latent batches) plus a fixed noise batch (``"fixed_noise"``) used for
snapshots and quality evaluation, so evaluating never perturbs training. At every evaluation
the training-set quality score (``selection_score``) is compared with the best so far and the
best generator weights are kept (``select_best`` returns them instead of the last iterate).
A checkpoint holds the weights, optimizer states, both generator states, the iteration, the
history and the best weights; resuming from it reproduces an uninterrupted run bit for bit
(on the same device and thread count).
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from qaug._io import save_checkpoint
from qaug._seed import make_generator
from qaug.models import noisy
from qaug.quantum import NoiseModel
from qaug.train._adversarial_config import (
    LOSSES,
    OPTIMIZERS,
    AdversarialConfig,
    NonFiniteLossError,
    default_adversarial_config,
)
from qaug.train._adversarial_io import (
    GANResult,
    check_real,
    checkpoint_config,
    load_for_resume,
    new_history,
)
from qaug.train._adversarial_losses import (
    d_summary,
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    selection_score,
)
from qaug.train._callbacks import check_callbacks, run_callbacks
from qaug.train._fused_gan import fused_gan
from qaug.train._kernels import LeanSGD, adam, small_kernels

__all__ = [
    "AdversarialConfig",
    "GANResult",
    "NonFiniteLossError",
    "train_gan",
    "default_adversarial_config",
    "selection_score",
    "OPTIMIZERS",
    "LOSSES",
]

CHECKPOINT_NAME = "checkpoint.pt"
N_SNAPSHOT = 16


def _make_optimizer(params, cfg: AdversarialConfig, lr: float, image_side: int) -> torch.optim.Optimizer:
    params = [p for p in params if p.requires_grad]  # frozen parts (a fitted decoder) stay put
    if cfg.optimizer == "sgd":
        return LeanSGD(params, lr=lr)
    return adam(params, image_side, cfg.device, lr=lr, betas=tuple(cfg.betas))


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


def _fit_data(G: nn.Module, real_x: torch.Tensor, seed: int) -> dict | None:
    """Run the generator's ``fit_data`` hook (if any) once, seeded; its info dict."""
    fit = getattr(G, "fit_data", None)
    if fit is None:
        return None
    return dict(fit(real_x, generator=make_generator(seed, "fit_data")) or {})


def _d_step(G, D, real_x, z, cfg, g_data, g_noise, device, with_grad):
    """One discriminator/critic loss on a real batch and the fake batch ``G(z)``."""
    idx = torch.randint(len(real_x), (cfg.batch_size,), generator=g_data)
    xr = real_x[idx].to(device)  # (B, 1, H, W)
    with torch.set_grad_enabled(with_grad):
        fake = G(z)  # the last critic step's fake batch is reused for the G step
    d_real, d_fake = D(xr), D(fake.detach())
    penalty = None
    if cfg.loss == "wgan-gp":
        alpha = torch.rand(cfg.batch_size, generator=g_noise).to(device)  # (B,) mixing weights
        penalty = gradient_penalty(D, xr, fake.detach().to(xr.dtype), alpha)
    loss_d = discriminator_loss(cfg.loss, d_real, d_fake, penalty=penalty, lambda_gp=cfg.lambda_gp)
    return loss_d, fake, d_real, d_fake


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
    callbacks=None,
    noise: NoiseModel | None = None,
) -> GANResult:
    """Train ``G`` against ``D`` on ``real_x`` ``(N, 1, H, W)`` (one loop for every kind).

    Args:
        G: generator (``sample_latent``, ``forward(z) -> (n, 1, H, W)``, optional
            ``fit_data``), e.g. from ``qaug.models.build_gan``.
        D: discriminator (images -> logits ``(n, 1)``; critic scores with ``wgan-gp``).
        real_x: the training images (one class's images for a per-class generator).
        config: loop settings (``AdversarialConfig()`` when None).
        seed: seeds the batch order, the latent noise, the fixed noise batch and ``fit_data``.
        out_dir: where ``checkpoint.pt`` is written every ``checkpoint_every`` iterations and
            at the end; None = no checkpoints.
        resume: continue from ``out_dir/checkpoint.pt`` (a fresh start if there is none yet);
            the checkpoint must come from the same generator, data, seed and settings
            (``iterations`` may be raised to train longer).
        progress: show a tqdm bar with the losses.
        quality: ``fake_x -> {metric: value}`` called on the fixed noise batch's images every
            ``eval_every`` iterations (e.g. ``partial(QualityEvaluator(...), label=2)``); its
            ``fid`` and ``diversity_ratio`` give the best-checkpoint score.
        meta: JSON-able facts stored in the checkpoint's config (generator kind, image size,
            GANConfig, class, ...), checked on resume and used to rebuild the generator.
        desc: label of the progress bar.
        callbacks: :class:`qaug.train.Callback` objects; ``info`` keys: ``on_step`` (after each
            generator update): iteration, loss_d, loss_g, d_real, d_fake, model (G);
            ``on_eval`` (each quality record): iteration, quality, score, best, model;
            ``on_checkpoint`` (a checkpoint written): iteration, path, model.
        noise: run G's quantum layers under this ``qaug.quantum.NoiseModel`` for the whole
            run, evaluation included (``qaug.models.noisy``): depolarizing and readout exact,
            shots drawn from ``make_generator(seed, "shots")`` (its state is checkpointed, so
            resuming stays exact) with the straight-through gradient. None = ideal.

    Raises:
        ValueError: ``select_best`` without ``quality``; ``resume`` without ``out_dir``.
        NonFiniteLossError: a loss became NaN/inf (the last good checkpoint is kept).
        qaug._io.CheckpointError: resuming from a checkpoint of another run, or a broken file.
    """
    callbacks = check_callbacks(callbacks)
    if noise is not None and not isinstance(noise, NoiseModel):
        raise TypeError(f"noise must be a qaug.quantum.NoiseModel or None; got {type(noise).__name__}.")
    g_shots = make_generator(seed, "shots")
    args = dict(seed=seed, out_dir=out_dir, resume=resume, progress=progress, quality=quality,
                meta=meta if noise is None else {**(meta or {}), "noise": noise.to_dict()},
                desc=desc, callbacks=callbacks, g_shots=g_shots if noise is not None else None)
    cfg = AdversarialConfig() if config is None else config
    if cfg.select_best and quality is None:
        raise ValueError(
            "select_best=True needs quality metrics to score checkpoints; pass quality= (e.g. a "
            "QualityEvaluator) or set select_best=False (--adversarial.select_best=false)."
        )
    real_x = check_real(real_x, G)
    with small_kernels(real_x.shape[-1], cfg.device), (
        noisy(G, noise, generator=g_shots) if noise is not None else contextlib.nullcontext()
    ):
        return _train_gan(G, D, real_x, cfg, **args)


def _train_gan(G, D, real_x, cfg, *, seed, out_dir, resume, progress, quality, meta, desc,
               callbacks, g_shots) -> GANResult:
    """The body of :func:`train_gan` (``real_x`` checked, ``cfg`` resolved, ``g_shots`` or None)."""
    from tqdm.auto import tqdm

    device = torch.device(cfg.device)
    G.to(device).train()
    D.to(device).train()
    opt_g = _make_optimizer(G.parameters(), cfg, cfg.lr_g, real_x.shape[-1])
    opt_d = _make_optimizer(D.parameters(), cfg, cfg.lr_d, real_x.shape[-1])
    g_data, g_noise = make_generator(seed, "data"), make_generator(seed, "noise")
    ckpt_config = checkpoint_config(cfg, seed, real_x, meta)
    ckpt_path = Path(out_dir) / CHECKPOINT_NAME if out_dir is not None else None
    history, snapshots, start, wall_before = new_history(), {}, 0, 0.0
    last_saved: Path | None = None
    best_state: dict | None = None

    t0 = time.perf_counter()
    if resume and ckpt_path is None:
        raise ValueError("resume=True needs out_dir (the folder holding checkpoint.pt).")
    if resume and ckpt_path.is_file():
        state = load_for_resume(ckpt_path, ckpt_config)
        G.load_state_dict(state["generator"])
        D.load_state_dict(state["discriminator"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        g_data.set_state(state["rng"]["data"])
        g_noise.set_state(state["rng"]["noise"])
        if g_shots is not None:
            g_shots.set_state(state["rng"]["shots"])
        history, snapshots = state["history"], state["snapshots"]
        history.setdefault("best", None)  # checkpoints written before best tracking
        best_state = state.get("best_generator")
        start, wall_before, last_saved = state["iteration"], state["wall_time"], ckpt_path
    else:
        fitted = _fit_data(G, real_x.to(device), seed)
        if fitted is not None:
            history["fit_data"] = fitted  # deterministic; its seconds are in wall_time
    fixed_noise = G.sample_latent(cfg.eval_samples, make_generator(seed, "fixed_noise"))

    def save(iteration: int, wall: float) -> Path | None:
        if ckpt_path is None:
            return None
        path = save_checkpoint(
            ckpt_path,
            {
                "kind": "gan",
                "config": ckpt_config,
                "iteration": iteration,
                "generator": G.state_dict(),
                "discriminator": D.state_dict(),
                "opt_g": opt_g.state_dict(),
                "opt_d": opt_d.state_dict(),
                "rng": {"data": g_data.get_state(), "noise": g_noise.get_state(),
                        **({"shots": g_shots.get_state()} if g_shots is not None else {})},
                "fixed_noise": fixed_noise,
                "history": history,
                "snapshots": snapshots,
                "best_generator": best_state,
                "wall_time": wall,
            },
        )
        run_callbacks(callbacks, "on_checkpoint", {"iteration": iteration, "path": path, "model": G})
        return path

    def log_eval(iteration: int) -> None:
        nonlocal best_state
        if history["quality"] and history["quality"][-1]["iteration"] == iteration:
            return  # already logged (e.g. at the end of a finished run that is resumed)
        record, snap = _evaluate(G, fixed_noise, device, quality, iteration)
        history["quality"].append(record)
        snapshots[iteration] = snap
        score = selection_score(record) if quality is not None else None
        best = history["best"]
        if score is not None and (best is None or score < best["score"]):
            history["best"] = {"iteration": iteration, "score": score}
            best_state = copy.deepcopy(G.state_dict())
        run_callbacks(callbacks, "on_eval", {"iteration": iteration, "quality": record,
                                             "score": score, "best": history["best"], "model": G})

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
    def _after_step(it: int) -> None:
        """What follows every iteration's updates: callbacks, evaluation, checkpoint, bar."""
        nonlocal last_saved
        done = it + 1
        if callbacks:
            run_callbacks(callbacks, "on_step", {
                "iteration": done, "loss_d": history["loss_d"][-1], "loss_g": history["loss_g"][-1],
                "d_real": history["d_real"][-1], "d_fake": history["d_fake"][-1], "model": G})
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

    observe = getattr(G, "observe_losses", None)
    fused = None
    if cfg.engine == "fused" and ckpt_path is None:
        fused = fused_gan(G, D, real_x, cfg)
    for it in range(start, cfg.iterations):
        if fused is not None:  # the same draws as the torch step below, one compiled call
            z = G.sample_latent(cfg.batch_size, g_noise)  # (B, latent_dim)
            rows = torch.randint(len(real_x), (cfg.batch_size,), generator=g_data)
            values = fused.step(z, rows)
            _check_finite(torch.tensor(values[0]), "discriminator", it, last_saved)
            _check_finite(torch.tensor(values[1]), "generator", it, last_saved)
            _record(history, it + 1, *values)
            _after_step(it)
            continue
        for k in range(cfg.n_critic):
            z = G.sample_latent(cfg.batch_size, g_noise).to(device)  # (B, latent_dim)
            last = k == cfg.n_critic - 1
            loss_d, fake, d_real, d_fake = _d_step(
                G, D, real_x, z, cfg, g_data, g_noise, device, last
            )
            _check_finite(loss_d, "discriminator", it, last_saved)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        loss_g = generator_loss(cfg.loss, D(fake))  # non-saturating: G wants D(G(z)) -> 1
        _check_finite(loss_g, "generator", it, last_saved)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        if observe is not None:  # e.g. MosaiQ's adaptive latent range: state in G's buffers
            observe(loss_d.item(), loss_g.item())

        _record(history, it + 1, loss_d.item(), loss_g.item(), d_summary(cfg.loss, d_real),
                d_summary(cfg.loss, d_fake))
        _after_step(it)
    bar.close()
    if cfg.iterations == 0 or start >= cfg.iterations:
        log_eval(max(start, cfg.iterations))
    wall = wall_before + time.perf_counter() - t0
    done = max(start, cfg.iterations)
    last_saved = save(done, wall) or last_saved
    selected = done
    if cfg.select_best and best_state is not None:
        G.load_state_dict(best_state)
        selected = history["best"]["iteration"]
    G.eval()
    D.eval()
    return GANResult(G, D, history, done, wall, fixed_noise, snapshots, last_saved, selected)


def _record(history: dict, done: int, loss_d: float, loss_g: float, d_real: float,
            d_fake: float) -> None:
    """Append iteration ``done``'s losses and mean discriminator outputs to ``history``."""
    history["iteration"].append(done)
    history["loss_d"].append(loss_d)
    history["loss_g"].append(loss_g)
    history["d_real"].append(d_real)
    history["d_fake"].append(d_fake)


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
        f"before applying that step ({kept}). Lower the learning rates (e.g. --adversarial.lr_g, "
        "--adversarial.lr_d) or use --adversarial.optimizer=adam, and rerun."
    )
