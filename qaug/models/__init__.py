"""Models: quantum layers, HQCNN classifiers, the CNN control, QGAN / PQWGAN / MosaiQ / GAN / DCGAN."""

from ._classifiers import (
    CLASSIFIERS,
    ClassifierConfig,
    build_classifier,
    build_classifier_from_config,
)
from ._export import PennyLaneCircuit, to_pennylane, to_qasm
from ._export_diagram import to_diagram
from ._gan import (
    DISCRIMINATOR_KINDS,
    GENERATOR_KINDS,
    CNNDiscriminator,
    DCGANDiscriminator,
    DCGANGenerator,
    GANConfig,
    MLPDiscriminator,
    MLPGenerator,
    fit_qgan_to_image,
)
from ._gan_build import GENERATOR_BUILDERS, build_discriminator, build_gan, dcgan_width_for_params
from ._gan_config import default_gan_config
from ._hqcnn import HQCNN, CNNControl, QuanvHQCNN, ReuploadHQCNN
from ._latent import LatentCircuits, LatentQGANGenerator
from ._mosaiq import ClassPCA, MosaiQDiscriminator, MosaiQGenerator
from ._noisy import noisy, noisy_layers
from ._params import count_parameters
from ._pqwgan import PQWGANCritic, PQWGANGenerator
from ._qgan import QGANGenerator
from ._quantum_layers import PatchQuantumGenerator, QuanvCircuit, ReuploadingVQCLayer, VQCLayer
from ._upconv import MATCH_TOLERANCE, UpConvGenerator, upconv_config_for_params, upconv_parameter_count

__all__ = [
    # quantum layers
    "VQCLayer",
    "ReuploadingVQCLayer",
    "QuanvCircuit",
    "PatchQuantumGenerator",
    "noisy",
    "noisy_layers",
    # export of trained circuits
    "to_pennylane",
    "to_qasm",
    "to_diagram",
    "PennyLaneCircuit",
    # classifiers
    "CLASSIFIERS",
    "ClassifierConfig",
    "build_classifier",
    "build_classifier_from_config",
    "HQCNN",
    "ReuploadHQCNN",
    "QuanvHQCNN",
    "CNNControl",
    "count_parameters",
    # generative models (QGAN, GAN, DCGAN)
    "GENERATOR_KINDS",
    "DISCRIMINATOR_KINDS",
    "GANConfig",
    "QGANGenerator",
    "PQWGANGenerator",
    "PQWGANCritic",
    "MosaiQGenerator",
    "MosaiQDiscriminator",
    "ClassPCA",
    "LatentQGANGenerator",
    "LatentCircuits",
    "default_gan_config",
    "MLPGenerator",
    "DCGANGenerator",
    "MLPDiscriminator",
    "CNNDiscriminator",
    "DCGANDiscriminator",
    "build_gan",
    "build_discriminator",
    "GENERATOR_BUILDERS",
    "dcgan_width_for_params",
    "fit_qgan_to_image",
    # the parameter-matched classical generator
    "UpConvGenerator",
    "upconv_config_for_params",
    "upconv_parameter_count",
    "MATCH_TOLERANCE",
]
