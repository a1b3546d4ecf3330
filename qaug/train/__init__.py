"""Training: the classifier loop and evaluation, the adversarial loop, sample quality."""

from ._adversarial import (
    AdversarialConfig,
    GANResult,
    NonFiniteLossError,
    default_adversarial_config,
    selection_score,
    train_gan,
)
from ._callbacks import Callback, SampleGridCallback, TensorBoardCallback
from ._classifier import TrainResult, train_classifier
from ._evaluate import EvalResult, evaluate, predict_proba
from ._fit_generators import fit_class_generators
from ._generators import ClassGenerators
from ._metrics import frechet_distance, median_bandwidth, mmd_rbf, ndb_jsd, precision_recall
from ._protocol import PROTOCOL_METRICS, SampleProtocol, train_small_classifier
from ._quality import (
    FeatureExtractor,
    QualityEvaluator,
    diversity,
    fid,
    iterations_to_target,
    kid,
    shared_feature_extractor,
)
from ._train_config import TrainConfig

__all__ = [
    # classifier loop and evaluation
    "TrainConfig",
    "TrainResult",
    "train_classifier",
    "Callback",
    "TensorBoardCallback",
    "SampleGridCallback",
    "EvalResult",
    "evaluate",
    "predict_proba",
    # adversarial loop, per-class generators, sample quality
    "AdversarialConfig",
    "GANResult",
    "NonFiniteLossError",
    "train_gan",
    "default_adversarial_config",
    "selection_score",
    "ClassGenerators",
    "fit_class_generators",
    "QualityEvaluator",
    "FeatureExtractor",
    "shared_feature_extractor",
    "kid",
    "fid",
    "diversity",
    "iterations_to_target",
    # one evaluation protocol for generated samples
    "SampleProtocol",
    "PROTOCOL_METRICS",
    "train_small_classifier",
    "frechet_distance",
    "mmd_rbf",
    "median_bandwidth",
    "precision_recall",
    "ndb_jsd",
]
