"""Quantum layers: thin ``nn.Module`` wrappers that register weights and call ``qaug.quantum``.

- ``VQCLayer``: the HQCNN's variational head (RY encoding, RY-RZ layers, CNOT ring, <Z_i>).
- ``ReuploadingVQCLayer``: the same with the encoding repeated before every layer.
- ``QuanvCircuit``: a 4-qubit VQC applied to 2x2 image patches (quanvolution filter).
- ``PatchQuantumGenerator``: the patch QGAN generator of PennyLane's "Quantum GANs" demo.

Weights are drawn from a passed ``torch.Generator`` (never the global RNG) on the CPU.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from qaug.models._init import resolve_generator
from qaug.quantum import NoiseModel, noisy_vqc_expvals, patch_generator_patches, vqc_expvals
from qaug.quantum._checks import check_finite_input
from qaug.quantum._jit import vqc_layer_jit
from qaug.quantum._noisy_circuits import noisy_patch_patches

__all__ = ["VQCLayer", "ReuploadingVQCLayer", "QuanvCircuit", "PatchQuantumGenerator"]

MAX_LAYER_QUBITS = 12


def _check_int(name: str, value: object, low: int, high: int | None = None, fix: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int; got {value!r} ({type(value).__name__}).")
    if value < low or (high is not None and value > high):
        allowed = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be {allowed}; got {value}. {fix}".rstrip())
    return value


def _check_input(x: torch.Tensor, n_qubits: int, what: str, layer: str = "") -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{what} must be a torch.Tensor; got {type(x).__name__}.")
    if x.dim() != 2 or x.shape[1] != n_qubits:
        raise ValueError(
            f"{what} must have shape (batch, n_qubits) = (batch, {n_qubits}); got {tuple(x.shape)}."
        )
    # NaN angles would give NaN outputs silently. On the CPU numpy's test costs far less than
    # torch's (a reduction and a host sync); the error and its count come from the shared check.
    # The sum of the values is finite only if every value is (NaN and inf propagate; an
    # overflow to inf only sends the call to the exact check).
    if x.dtype in (torch.float32, torch.float64) and x.device.type == "cpu":
        if math.isfinite(x.detach().numpy().sum()):
            return
    check_finite_input(x, f"the input angles {what} of {layer}" if layer else what)


class VQCLayer(nn.Module):
    """Variational circuit head: angles ``(batch, n_qubits)`` -> ``<Z_i>`` ``(batch, n_qubits)``.

    Circuit: RY(x_i) on wire i; per layer l: RY(w[l,i,0]) then RZ(w[l,i,1]) on every wire i,
    then CNOT(i, (i+1) mod n) for i = 0..n-1 (a single CNOT(0,1) for n = 2, none for n = 1).
    Simulated exactly by ``qaug.quantum.vqc_expvals`` (fused matrices up to 8 qubits).

    Noisy execution: while ``noise`` (a ``qaug.quantum.NoiseModel``, class default ``None``) is
    set -- normally by the context manager ``qaug.models.noisy`` -- the layer runs the density-
    matrix simulation ``qaug.quantum.noisy_vqc_expvals`` instead, drawing shots (if any) from
    ``noise_generator``. Constructor, weights and the default output are unchanged by this.

    Args:
        n_qubits: wires, 1..12.
        n_layers: variational layers, >= 1.
        generator: CPU ``torch.Generator`` for the initial weights, uniform in [0, 2*pi)
            (default: a fresh one seeded 0; never the global RNG).

    Example:
        >>> layer = VQCLayer(4, 2, generator=torch.Generator().manual_seed(0))
        >>> layer(torch.zeros(3, 4)).shape
        torch.Size([3, 4])
    """

    is_quantum = True
    supports_noise = True
    reupload = False
    noise: NoiseModel | None = None
    noise_generator: torch.Generator | None = None

    def __init__(self, n_qubits: int, n_layers: int, *, generator: torch.Generator | None = None):
        super().__init__()
        fix = "Use fewer qubits (the statevector doubles with each one)."
        self.n_qubits = _check_int("n_qubits", n_qubits, 1, MAX_LAYER_QUBITS, fix)
        self.n_layers = _check_int("n_layers", n_layers, 1)
        shape = self.weight_shape(n_layers, n_qubits)
        self.weights = nn.Parameter(
            2 * math.pi * torch.rand(shape, generator=resolve_generator(generator))
        )

    @staticmethod
    def weight_shape(n_layers: int, n_qubits: int) -> tuple[int, int, int]:
        """``(n_layers, n_qubits, 2)``: the RY and RZ angle of every wire in every layer."""
        return (n_layers, n_qubits, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Angles ``(batch, n_qubits)`` -> expectation values ``(batch, n_qubits)`` in [-1, 1]."""
        if self.noise is None:  # small sizes: one compiled call with the checks folded in
            out = vqc_layer_jit(x, self.weights, self.reupload, type(self).__name__)
            if out is not None:
                return out
        _check_input(x, self.n_qubits, "x", type(self).__name__)
        if self.noise is None:
            return vqc_expvals(x, self.weights, reupload=self.reupload)
        return noisy_vqc_expvals(x, self.weights, self.noise, reupload=self.reupload,
                                 generator=self.noise_generator)

    def extra_repr(self) -> str:
        return f"n_qubits={self.n_qubits}, n_layers={self.n_layers}"


class ReuploadingVQCLayer(VQCLayer):
    """``VQCLayer`` with data re-uploading: the encoding RY(x_i) precedes every layer.

    Same weights, shapes and output as ``VQCLayer``; with one layer the two coincide.
    """

    reupload = True


class QuanvCircuit(VQCLayer):
    """Quanvolution filter (Henderson et al. 2019): 2x2 patches ``(batch, 4)`` -> ``(batch, 4)``.

    The input is the patch's four pixel angles ``pi * pixel`` (pixels in [0, 1], row-major),
    encoded as RY on wires 0..3; then ``VQCLayer``'s trainable layers; the output is <Z> of each
    wire, four channels. Apply it to every patch of a batch at once by flattening them into the
    batch dimension.
    """

    def __init__(
        self, n_qubits: int = 4, n_layers: int = 1, *, generator: torch.Generator | None = None
    ):
        super().__init__(n_qubits, n_layers, generator=generator)


class PatchQuantumGenerator(nn.Module):
    """Patch-method quantum generator (PennyLane "Quantum GANs" demo; Huang et al. 2021).

    Each of ``n_generators`` sub-generators runs RY(z_i) on every wire (the same latent z for
    all), then ``depth`` layers of RY(w[g,l,i]) on every wire followed by CZ(0,1), ...,
    CZ(n-2,n-1); of the probabilities it keeps the ``2**(n_qubits - n_ancillas)`` basis states
    with the ancillas (the first wires) in |0>, divided by the sum of all probabilities and then
    by their maximum (the demo's ``partial_measure``). The patches are concatenated. All
    sub-generators and samples run in one batched simulation.

    Args:
        n_qubits: wires per sub-generator, 1..12.
        n_ancillas: post-selected wires, 0..n_qubits-1.
        depth: layers, >= 1.
        n_generators: sub-generators, >= 1.
        generator: CPU ``torch.Generator`` for the weights, uniform in [0, 1) like the demo
            (default: a fresh one seeded 0; never the global RNG).

    Example:
        >>> g = PatchQuantumGenerator(generator=torch.Generator().manual_seed(0))
        >>> g(torch.rand(2, 5, generator=torch.Generator().manual_seed(1))).shape
        torch.Size([2, 64])
    """

    is_quantum = True
    supports_noise = True
    noise: NoiseModel | None = None  # set by qaug.models.noisy; None = exact statevector
    noise_generator: torch.Generator | None = None

    def __init__(
        self,
        n_qubits: int = 5,
        n_ancillas: int = 1,
        depth: int = 6,
        n_generators: int = 4,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        fix = "Use fewer qubits per sub-generator and more sub-generators."
        self.n_qubits = _check_int("n_qubits", n_qubits, 1, MAX_LAYER_QUBITS, fix)
        if isinstance(n_ancillas, bool) or not isinstance(n_ancillas, int):
            raise TypeError(f"n_ancillas must be an int; got {n_ancillas!r}.")
        if not 0 <= n_ancillas < n_qubits:
            raise ValueError(
                f"n_ancillas must be between 0 and n_qubits - 1 = {n_qubits - 1}; "
                f"got {n_ancillas}. At least one wire must remain to form the patch."
            )
        self.n_ancillas = n_ancillas
        self.depth = _check_int("depth", depth, 1)
        self.n_generators = _check_int("n_generators", n_generators, 1)
        q_delta = 1.0  # the demo's spread of the initial weights
        shape = (n_generators, depth, n_qubits)
        self.weights = nn.Parameter(
            q_delta * torch.rand(shape, generator=resolve_generator(generator))
        )

    @property
    def patch_size(self) -> int:
        """Pixels per sub-generator: ``2**(n_qubits - n_ancillas)``."""
        return 2 ** (self.n_qubits - self.n_ancillas)

    @property
    def n_outputs(self) -> int:
        """Pixels in all: ``n_generators * patch_size``."""
        return self.n_generators * self.patch_size

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Latent angles ``(batch, n_qubits)`` -> patches ``(batch, n_outputs)`` in [0, 1]."""
        _check_input(z, self.n_qubits, "z", type(self).__name__)
        if self.noise is None:
            return patch_generator_patches(z, self.weights, self.n_ancillas)
        # Under shots a straight-through surrogate keeps training possible (qaug.quantum._noisy_circuits).
        return noisy_patch_patches(z, self.weights, self.noise, self.n_ancillas,
                                   generator=self.noise_generator)

    def extra_repr(self) -> str:
        return (
            f"n_qubits={self.n_qubits}, n_ancillas={self.n_ancillas}, depth={self.depth}, "
            f"n_generators={self.n_generators}"
        )
