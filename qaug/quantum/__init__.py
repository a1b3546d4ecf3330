"""qaug.quantum: batched statevector engine (pure functions).

A state is a complex tensor ``(batch, 2, ..., 2)``, one axis per qubit; wire 0 is the most
significant bit of a basis-state index (PennyLane's order). Gates (``_engine``) and
measurements (``_measure``) are separate; ``_fused`` builds whole circuit blocks as one
matrix, ``_compact`` runs the two demo models' circuits in few tensor operations (cached
tables in ``_tables``), ``_circuits`` holds those circuits' entry points and
``_published_circuits`` those of PQWGAN and MosaiQ. Noisy execution sits beside them:
``_density`` (density matrices ``(batch, 2**n, 2**n)``,
depolarizing) and ``_noise`` (``NoiseModel``, readout error, shot sampling, the noisy VQC).
"""

from ._checks import MAX_QUBITS, max_state_bytes, set_max_state_bytes
from ._circuits import (
    PATCH_FUSE_MAX_QUBITS,
    REUPLOAD_FUSE_MAX_QUBITS,
    VQC_FUSE_MAX_QUBITS,
    chain_czs,
    patch_generator_patches,
    ring_cnots,
    vqc_expvals,
)
from ._density import (
    DM_MAX_QUBITS,
    apply_unitary_dm,
    density_from_state,
    depolarize,
    dm_probabilities,
)
from ._engine import (
    apply_matrix,
    cnot,
    cz,
    rotation_matrix,
    rx,
    ry,
    ry_product_state,
    rz,
    zero_state,
)
from ._fused import (
    apply_layers,
    apply_wire_blocks,
    apply_wirewise,
    chain_product,
    cz_signs,
    entangler_permutation,
    kron_factors,
    product_vector,
    ry_factors,
    rz_phases,
)
from ._measure import expval_z, marginal_probabilities, postselect, probabilities, z_signs
from ._noise import NoiseModel, apply_readout_error, noisy_vqc_expvals, sample_expval_z
from ._noisy_circuits import (
    noisy_layer_probabilities,
    noisy_mosaiq_expvals,
    noisy_patch_patches,
    noisy_patch_probabilities,
    noisy_pqwgan_probabilities,
    sample_probabilities,
)
from ._published_circuits import (
    PUBLISHED_FUSE_MAX_QUBITS,
    chain_cnots,
    mosaiq_expvals,
    pqwgan_probabilities,
    rot_factors,
)

__all__ = [
    "MAX_QUBITS",
    "max_state_bytes",
    "set_max_state_bytes",
    "VQC_FUSE_MAX_QUBITS",
    "PATCH_FUSE_MAX_QUBITS",
    "REUPLOAD_FUSE_MAX_QUBITS",
    # states and gates
    "zero_state",
    "ry_product_state",
    "rx",
    "ry",
    "rz",
    "cnot",
    "cz",
    "apply_matrix",
    "rotation_matrix",
    # measurements
    "probabilities",
    "expval_z",
    "marginal_probabilities",
    "postselect",
    "z_signs",
    # fused builders
    "ry_factors",
    "rz_phases",
    "kron_factors",
    "product_vector",
    "apply_wirewise",
    "apply_wire_blocks",
    "entangler_permutation",
    "cz_signs",
    "chain_product",
    "apply_layers",
    # circuits
    "ring_cnots",
    "chain_czs",
    "vqc_expvals",
    "patch_generator_patches",
    # published generators: PQWGAN (Rot + CNOT ladder) and MosaiQ (RY + CZ, <X>)
    "PUBLISHED_FUSE_MAX_QUBITS",
    "chain_cnots",
    "rot_factors",
    "pqwgan_probabilities",
    "mosaiq_expvals",
    # noisy execution: density matrices, noise model, readout, shots
    "DM_MAX_QUBITS",
    "density_from_state",
    "apply_unitary_dm",
    "depolarize",
    "dm_probabilities",
    "NoiseModel",
    "apply_readout_error",
    "sample_expval_z",
    "noisy_patch_patches",
    "noisy_patch_probabilities",
    "noisy_layer_probabilities",
    "noisy_pqwgan_probabilities",
    "noisy_mosaiq_expvals",
    "sample_probabilities",
    "noisy_vqc_expvals",
]
