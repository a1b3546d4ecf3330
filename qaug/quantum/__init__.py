"""qaug.quantum: batched statevector engine (pure functions).

A state is a complex tensor ``(batch, 2, ..., 2)``, one axis per qubit; wire 0 is the most
significant bit of a basis-state index (PennyLane's order). Gates (``_engine``) and
measurements (``_measure``) are separate; ``_fused`` builds whole circuit blocks as one
matrix for the hot path, and ``_circuits`` holds the two circuits the models use.
"""

from ._checks import MAX_QUBITS
from ._circuits import (
    PATCH_FUSE_MAX_QUBITS,
    VQC_FUSE_MAX_QUBITS,
    chain_czs,
    patch_generator_patches,
    ring_cnots,
    vqc_expvals,
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

__all__ = [
    "MAX_QUBITS",
    "VQC_FUSE_MAX_QUBITS",
    "PATCH_FUSE_MAX_QUBITS",
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
    "entangler_permutation",
    "cz_signs",
    "chain_product",
    "apply_layers",
    # circuits
    "ring_cnots",
    "chain_czs",
    "vqc_expvals",
    "patch_generator_patches",
]
