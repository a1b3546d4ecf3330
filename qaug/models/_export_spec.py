"""The one gate list behind every export (``to_qasm``, ``to_pennylane``, ``to_diagram``, scripts).

``_spec(layer)`` checks a trained layer and copies its weights to plain floats; ``_circuit_ops``
yields the gates of one of its circuits, written from the circuit definitions in the layers'
docstrings (``VQCLayer``, ``ReuploadingVQCLayer``, ``QuanvCircuit``, ``PatchQuantumGenerator``,
``PQWGANCircuits``, ``MosaiQCircuits``, ``LatentCircuits``). Every export follows this one list,
so QASM, PennyLane and diagrams cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from qaug.models._latent_circuits import LatentCircuits
from qaug.models._mosaiq import MosaiQCircuits
from qaug.models._pqwgan import PQWGANCircuits
from qaug.models._quantum_layers import PatchQuantumGenerator, VQCLayer
from qaug.quantum import chain_czs, ring_cnots

__all__: list[str] = []  # private helpers of qaug.models._export and qaug export

SUPPORTED = ("VQCLayer, ReuploadingVQCLayer, QuanvCircuit, PatchQuantumGenerator, "
             "PQWGANCircuits, MosaiQCircuits or LatentCircuits")
# Circuits of several sub-generators: kind of the gate list for each layer class.
_GENERATOR_KINDS = ((PatchQuantumGenerator, "patch"), (PQWGANCircuits, "pqwgan"),
                    (MosaiQCircuits, "mosaiq"), (LatentCircuits, "latent"))


@dataclass(frozen=True)
class _Spec:
    """A layer's circuit(s): ``weights`` holds one detached float64 copy per exported circuit.

    ``readout`` is ``"expval"`` (the layer outputs ``<Z_i>`` of every wire of every circuit, as
    measured after the gate list: MosaiQ's ``<X_i>`` through a final H layer) or ``"patch"``
    (the probabilities with the first ``n_ancillas`` wires in |0>, divided by their sum, then by
    their maximum, of which the first ``patch_pixels`` are kept). ``first`` is the index of the
    first exported sub-generator and ``width`` the layer's outputs per circuit.
    """

    kind: str  # "vqc", "patch", "pqwgan", "mosaiq" or "latent"
    name: str
    n_qubits: int
    reupload: bool
    n_ancillas: int
    patch_pixels: int
    weights: tuple[list, ...]
    first: int = 0

    @property
    def readout(self) -> str:
        """``"patch"`` for the patch generators (qgan, pqwgan), else ``"expval"``."""
        return "patch" if self.kind in ("patch", "pqwgan") else "expval"

    @property
    def width(self) -> int:
        """The layer's output values per circuit."""
        return self.patch_pixels if self.readout == "patch" else self.n_qubits


def _generator_kind(layer: object) -> str | None:
    return next((kind for cls, kind in _GENERATOR_KINDS if isinstance(layer, cls)), None)


def _spec(layer: object, sub_generator: int | None, *, one: bool) -> _Spec:
    """Check ``layer`` and ``sub_generator``; copy the weights to plain Python floats.

    ``one``: the export holds one circuit (QASM), so a layer of several sub-generators needs
    ``sub_generator``.
    """
    if isinstance(layer, VQCLayer):
        if sub_generator is not None:
            raise ValueError(
                f"sub_generator is only for generator circuits (PatchQuantumGenerator, "
                f"PQWGANCircuits, MosaiQCircuits, LatentCircuits); got sub_generator="
                f"{sub_generator!r} for a {type(layer).__name__}. Leave it out."
            )
        weights = layer.weights.detach().to("cpu", torch.float64)
        return _Spec("vqc", type(layer).__name__, layer.n_qubits, bool(layer.reupload), 0,
                     0, (weights.tolist(),))
    kind = _generator_kind(layer)
    if kind is None:
        hint = ""
        if hasattr(layer, "named_modules"):
            kinds = (VQCLayer, *(cls for cls, _ in _GENERATOR_KINDS))
            inner = [name for name, m in layer.named_modules() if isinstance(m, kinds)]
            if inner:
                hint = f" It contains quantum layers at {inner}: export one (e.g. model.{inner[0]})."
        raise TypeError(f"layer must be a {SUPPORTED}; got {type(layer).__name__}.{hint}")
    n_gen, name = layer.n_generators, type(layer).__name__
    if sub_generator is None:
        if one and n_gen > 1:
            raise ValueError(
                f"this {name} has n_generators={n_gen} circuits and one QASM program holds "
                f"one; pass sub_generator=0..{n_gen - 1} and export each."
            )
        chosen = range(n_gen)
    elif isinstance(sub_generator, bool) or not isinstance(sub_generator, int):
        raise TypeError(f"sub_generator must be an int or None; got {sub_generator!r}.")
    elif not 0 <= sub_generator < n_gen:
        raise ValueError(
            f"sub_generator must be between 0 and n_generators - 1 = {n_gen - 1}; got "
            f"{sub_generator}. Use None for all sub-generators (to_pennylane, to_diagram)."
        )
    else:
        chosen = [sub_generator]
    n_ancillas = getattr(layer, "n_ancillas", 0)
    pixels = getattr(layer, "patch_pixels", 2 ** (layer.n_qubits - n_ancillas))
    weights = layer.weights.detach().to("cpu", torch.float64)  # (G, depth, n, ...)
    return _Spec(kind, name, layer.n_qubits, False, n_ancillas, pixels,
                 tuple(weights[g].tolist() for g in chosen), chosen[0])


def _circuit_ops(spec: _Spec, angles: Sequence[Any], weights: list) -> Iterator[tuple]:
    """Gates ``(name, angle or None, wires)`` of one circuit; ``angles[i]`` encodes wire i.

    Names are OpenQASM 2.0's (``qelib1.inc``): ``ry``, ``rz``, ``rx``, ``h``, ``cx``, ``cz``.
    """
    n = spec.n_qubits
    if spec.kind == "pqwgan":  # RY(z); per layer Rot = RZ(omega) RY(theta) RZ(phi), CNOT ladder
        for i in range(n):
            yield "ry", angles[i], (i,)
        for w in weights:  # w: (n, 3)
            for i in range(n):
                yield "rz", w[i][0], (i,)
                yield "ry", w[i][1], (i,)
                yield "rz", w[i][2], (i,)
            for i in range(n - 1):
                yield "cx", None, (i, i + 1)
        return
    if spec.kind == "mosaiq":  # RY(z) RX(z); per layer RY, CZ chain; X-basis readout
        for i in range(n):
            yield "ry", angles[i], (i,)
            yield "rx", angles[i], (i,)
        for w in weights:  # w: (n,)
            for i in range(n):
                yield "ry", w[i], (i,)
            for a, b in chain_czs(n):
                yield "cz", None, (a, b)
        for i in range(n):
            yield "h", None, (i,)
        return
    if spec.kind in ("vqc", "latent"):
        for layer, w in enumerate(weights):  # w: (n, 2)
            if layer == 0 or spec.reupload:
                for i in range(n):
                    yield "ry", angles[i], (i,)
            for i in range(n):
                yield "ry", w[i][0], (i,)
                yield "rz", w[i][1], (i,)
            for c, t in ring_cnots(n):
                yield "cx", None, (c, t)
    else:
        for i in range(n):
            yield "ry", angles[i], (i,)
        for w in weights:  # w: (n,), one layer
            for i in range(n):
                yield "ry", w[i], (i,)
            for a, b in chain_czs(n):
                yield "cz", None, (a, b)


def _as_angles(x: Any, n: int, *, batched: bool) -> torch.Tensor:
    """``x`` as a float64 tensor ``(n,)`` (or ``(batch, n)`` when ``batched``)."""
    if not isinstance(x, torch.Tensor):
        try:
            x = torch.as_tensor(x, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(
                f"x must be a tensor or array of angles; got {type(x).__name__}."
            ) from err
    if x.is_complex() or not (x.is_floating_point() or x.dtype in (torch.int32, torch.int64)):
        raise TypeError(f"x must hold real angles; got dtype {x.dtype}.")
    if batched:
        ok = x.dim() in (1, 2) and x.shape[-1] == n
        allowed = f"(n_qubits,) = ({n},) or (batch, n_qubits) = (batch, {n})"
    else:
        ok = tuple(x.shape) in ((n,), (1, n))
        allowed = f"(n_qubits,) = ({n},) or (1, n_qubits) = (1, {n}): one sample"
    if not ok:
        raise ValueError(f"x must have shape {allowed}; got {tuple(x.shape)}.")
    return x.to(torch.float64) if batched else x.to(torch.float64).reshape(n)


def _one_sample(x: Any, n: int) -> torch.Tensor:
    """``x`` as finite float64 angles ``(n,)`` of one sample."""
    angles = _as_angles(x, n, batched=False)
    if not torch.isfinite(angles).all():
        raise ValueError(f"x must be finite angles; got {angles.tolist()}.")
    return angles
