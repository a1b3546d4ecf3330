"""qaug.experiments: one run, sweeps with caching and resume, presets, statistics, report.

``run_experiment(config) -> metrics`` is pure and picklable (config in, JSON-able metrics out);
:func:`reproduce` runs a preset's grid of runs over seeds with a local process pool and writes
``report.md`` with tables, figures and a verdict on each of the paper's claims.
"""

from qaug._registry import METHODS
from qaug.augment import AugmentConfig, generator_kind, is_customized, is_rebalance

from ._banks import ensure_bank, obtain_bank, train_bank_files
from ._claims import RULES, evaluate_claims, evaluate_report
from ._config import (
    AdversarialConfigs,
    ExperimentConfig,
    GANConfigs,
    NoiseConfig,
    QualityConfig,
    SweepConfig,
    bank_key,
    check_seeds,
    load_experiment_config,
    load_sweep_config,
    preset_names,
    preset_path,
    run_key,
)
from ._executor import Executor, LocalExecutor, TaskLost
from ._genbench import BenchConfig, bench_variants, dry_run_config, gan_config_for, run_bench
from ._genbench_report import bench_generators
from ._ray import ClusterMismatchError, RayExecutor
from ._report import write_report
from ._reproduce import reproduce
from ._results import load_results
from ._run import run_experiment
from ._stats import adjust_pvalues, paired_compare, summarize, tost_paired
from ._sweep import SweepMismatchError, SweepSummary, open_sweep_folder, run_sweep

__all__ = [
    "run_experiment",
    "reproduce",
    "write_report",
    "load_results",
    "ExperimentConfig",
    "AugmentConfig",
    "GANConfigs",
    "AdversarialConfigs",
    "QualityConfig",
    "NoiseConfig",
    "SweepConfig",
    "METHODS",
    "generator_kind",
    "is_customized",
    "is_rebalance",
    "run_key",
    "bank_key",
    "check_seeds",
    "load_experiment_config",
    "load_sweep_config",
    "preset_names",
    "preset_path",
    "ensure_bank",
    "train_bank_files",
    "obtain_bank",
    "Executor",
    "LocalExecutor",
    "RayExecutor",
    "ClusterMismatchError",
    "TaskLost",
    "run_sweep",
    "open_sweep_folder",
    "SweepSummary",
    "SweepMismatchError",
    "summarize",
    "paired_compare",
    "evaluate_claims",
    "evaluate_report",
    "adjust_pvalues",
    "tost_paired",
    "RULES",
    # generator benchmark
    "BenchConfig",
    "bench_generators",
    "bench_variants",
    "gan_config_for",
    "run_bench",
    "dry_run_config",
]
