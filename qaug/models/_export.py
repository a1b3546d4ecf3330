"""Export trained quantum layers to PennyLane QNodes and OpenQASM 2.0 text.

``to_pennylane(layer)`` rebuilds a layer's circuit as PennyLane QNode(s) with the trained
weights baked in as constants, to run on any PennyLane device (other simulators, hardware
plugins). ``to_qasm(layer, x)`` writes the circuit for one input sample as OpenQASM 2.0, the
format Qiskit and most hardware providers read (Qiskit itself is not needed).

Both follow one gate list (``_circuit_ops``), written from the circuit definitions in the
layers' docstrings (``VQCLayer``, ``ReuploadingVQCLayer``, ``QuanvCircuit``,
``PatchQuantumGenerator``). The exported circuits are noiseless: a ``noise`` model set by
``qaug.models.noisy`` is not part of the circuit and is not exported.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from qaug.models._quantum_layers import PatchQuantumGenerator, VQCLayer
from qaug.quantum import chain_czs, ring_cnots

__all__ = ["to_pennylane", "to_qasm", "to_diagram", "PennyLaneCircuit"]

_SUPPORTED = "VQCLayer, ReuploadingVQCLayer, QuanvCircuit or PatchQuantumGenerator"
_INSTALL_HINT = "to_pennylane needs PennyLane: pip install 'qaug[pennylane]'"


def _import_pennylane():
    try:
        import pennylane as qml
    except ImportError as err:  # optional dependency, as PennyLane's own TorchLayer guards torch
        raise ImportError(f"{_INSTALL_HINT} (or pip install pennylane).") from err
    return qml


@dataclass(frozen=True)
class _Spec:
    """A layer's circuit: ``weights`` holds one detached float64 copy per circuit."""

    kind: str  # "vqc" or "patch"
    name: str
    n_qubits: int
    reupload: bool
    n_ancillas: int
    weights: tuple[list, ...]  # vqc: one (L, n, 2) nested list; patch: (depth, n) per sub-gen.


def _spec(layer: object, sub_generator: int | None, *, one: bool) -> _Spec:
    """Check ``layer`` and ``sub_generator``; copy the weights to plain Python floats."""
    if isinstance(layer, VQCLayer):
        if sub_generator is not None:
            raise ValueError(
                f"sub_generator is only for PatchQuantumGenerator; got sub_generator="
                f"{sub_generator!r} for a {type(layer).__name__}. Leave it out."
            )
        weights = layer.weights.detach().to("cpu", torch.float64)
        return _Spec("vqc", type(layer).__name__, layer.n_qubits, bool(layer.reupload), 0,
                     (weights.tolist(),))
    if isinstance(layer, PatchQuantumGenerator):
        n_gen = layer.n_generators
        if sub_generator is None:
            if one and n_gen > 1:
                raise ValueError(
                    f"this PatchQuantumGenerator has n_generators={n_gen} circuits and one QASM "
                    f"program holds one; pass sub_generator=0..{n_gen - 1} and export each."
                )
            chosen = range(n_gen)
        elif isinstance(sub_generator, bool) or not isinstance(sub_generator, int):
            raise TypeError(f"sub_generator must be an int or None; got {sub_generator!r}.")
        elif not 0 <= sub_generator < n_gen:
            raise ValueError(
                f"sub_generator must be between 0 and n_generators - 1 = {n_gen - 1}; got "
                f"{sub_generator}. Use None for all sub-generators (to_pennylane only)."
            )
        else:
            chosen = [sub_generator]
        weights = layer.weights.detach().to("cpu", torch.float64)  # (G, depth, n)
        return _Spec("patch", type(layer).__name__, layer.n_qubits, False, layer.n_ancillas,
                     tuple(weights[g].tolist() for g in chosen))
    hint = ""
    if hasattr(layer, "named_modules"):
        kinds = (VQCLayer, PatchQuantumGenerator)
        inner = [name for name, m in layer.named_modules() if isinstance(m, kinds)]
        if inner:
            hint = f" It contains quantum layers at {inner}: export one (e.g. model.{inner[0]})."
    raise TypeError(f"layer must be a {_SUPPORTED}; got {type(layer).__name__}.{hint}")


def _diagram_spec(layer: object, sub_generator: int | None) -> _Spec:
    """``_spec``, plus the circuits of the pqwgan, mosaiq and latent generators (diagrams only)."""
    from qaug.models._latent import LatentCircuits
    from qaug.models._mosaiq import MosaiQCircuits
    from qaug.models._pqwgan import PQWGANCircuits

    kinds = {PQWGANCircuits: "pqwgan", MosaiQCircuits: "mosaiq", LatentCircuits: "latent"}
    kind = next((k for cls, k in kinds.items() if isinstance(layer, cls)), None)
    if kind is None:
        return _spec(layer, sub_generator, one=False)
    n_gen = layer.n_generators
    if sub_generator is not None and (isinstance(sub_generator, bool) or not isinstance(
            sub_generator, int) or not 0 <= sub_generator < n_gen):
        raise ValueError(f"sub_generator must be between 0 and n_generators - 1 = {n_gen - 1}; "
                         f"got {sub_generator!r}.")
    chosen = range(n_gen) if sub_generator is None else [sub_generator]
    weights = layer.weights.detach().to("cpu", torch.float64)
    return _Spec(kind, type(layer).__name__, layer.n_qubits, False,
                 getattr(layer, "n_ancillas", 0), tuple(weights[g].tolist() for g in chosen))


def _circuit_ops(spec: _Spec, angles: Sequence[Any], weights: list) -> Iterator[tuple]:
    """Gates ``(name, angle or None, wires)`` of one circuit; ``angles[i]`` encodes wire i."""
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


class PennyLaneCircuit:
    """A trained qaug layer as PennyLane QNode(s), weights baked in (made by ``to_pennylane``).

    Calling it gives the layer's forward output, computed by PennyLane, in float64:
    ``x`` ``(n_qubits,)`` -> ``(n_outputs,)`` or ``(batch, n_qubits)`` -> ``(batch, n_outputs)``
    (PennyLane parameter broadcasting). For the VQC layers the output is ``<Z_i>`` of every
    wire; for ``PatchQuantumGenerator`` the post-processed patches of the exported
    sub-generators, concatenated (the layer's ``partial_measure``). Gradients flow to ``x``.

    Attributes:
        qnodes: the QNodes, one per circuit (one for the VQC layers, one per exported
            sub-generator); each takes ``x`` and returns the expvals or ``qml.probs``. Use them
            directly to draw (``qml.draw(c.qnodes[0])(x)``) or to run elsewhere.
        n_qubits: wires per circuit.
    """

    def __init__(self, spec: _Spec, qnodes: tuple):
        self._spec = spec
        self.qnodes = qnodes
        self.n_qubits = spec.n_qubits

    def __call__(self, x: Any) -> torch.Tensor:
        """Run the QNode(s) on angles ``x`` and post-process as the layer does."""
        x = _as_angles(x, self.n_qubits, batched=True)
        if self._spec.kind == "vqc":
            return torch.stack(list(self.qnodes[0](x)), -1)  # (batch, n) or (n,)
        patches = []
        for qnode in self.qnodes:
            probs = qnode(x)  # (batch, 2**n) or (2**n,)
            # Ancillas are the first (most significant) wires: "in |0>" is the leading block.
            kept = probs[..., : 2 ** (self.n_qubits - self._spec.n_ancillas)]
            given0 = kept / probs.sum(-1, keepdim=True)
            patches.append(given0 / given0.amax(-1, keepdim=True))
        return torch.cat(patches, -1)  # (batch, n_circuits * P) or (n_circuits * P,)

    def __repr__(self) -> str:
        return (f"PennyLaneCircuit({self._spec.name}, n_qubits={self.n_qubits}, "
                f"circuits={len(self.qnodes)})")


def to_pennylane(layer: Any, *, device: Any = "default.qubit",
                 sub_generator: int | None = None) -> PennyLaneCircuit:
    """Rebuild a trained quantum layer as PennyLane QNode(s) with its weights baked in.

    Args:
        layer: a ``VQCLayer``, ``ReuploadingVQCLayer``, ``QuanvCircuit`` or
            ``PatchQuantumGenerator``. The weights are copied (detached, float64) now; later
            training of ``layer`` does not change the export.
        device: a PennyLane device name (created with ``wires=n_qubits``) or a device
            instance with at least those wires, e.g. a hardware plugin's.
        sub_generator: ``PatchQuantumGenerator`` only: export one sub-generator (its patch
            alone) instead of all (``None``).

    Returns:
        A ``PennyLaneCircuit``: call it like the layer (float64 output); its ``qnodes`` are
        the plain QNodes.

    Raises:
        ImportError: PennyLane is not installed.
        TypeError: ``layer`` is not one of the supported layers.
        ValueError: a bad ``sub_generator``.

    Example:
        >>> layer = VQCLayer(3, 2, generator=torch.Generator().manual_seed(0))
        >>> circuit = to_pennylane(layer)
        >>> x = torch.rand(4, 3, generator=torch.Generator().manual_seed(1))
        >>> torch.allclose(circuit(x), layer(x).double(), atol=1e-5)
        True
    """
    spec = _spec(layer, sub_generator, one=False)
    qml = _import_pennylane()
    n = spec.n_qubits
    if isinstance(device, str):
        dev = qml.device(device, wires=n)
    elif isinstance(device, qml.devices.Device):
        if device.wires is not None and len(device.wires) < n:
            raise ValueError(f"device has {len(device.wires)} wires; the circuit needs {n}. "
                             f"Create it with wires={n}.")
        dev = device
    else:
        raise TypeError(f"device must be a PennyLane device name or device; got {device!r}.")
    gates = {"ry": qml.RY, "rz": qml.RZ, "cx": qml.CNOT, "cz": qml.CZ}

    def make_qnode(weights: list):
        def circuit(x):
            angles = [x[..., i] for i in range(n)]  # each () or (batch,): broadcasting
            for name, angle, wires in _circuit_ops(spec, angles, weights):
                params = () if angle is None else (angle,)
                gates[name](*params, wires=list(wires))
            if spec.kind == "vqc":
                return [qml.expval(qml.PauliZ(i)) for i in range(n)]
            return qml.probs(wires=list(range(n)))

        return qml.QNode(circuit, dev)

    return PennyLaneCircuit(spec, tuple(make_qnode(w) for w in spec.weights))


def _qasm_real(value: float) -> str:
    """Shortest round-trip repr with a decimal point (QASM 2 reals need one: ``1.0e-05``)."""
    text = repr(float(value))
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return mantissa + ("e" + exponent if exponent else "")


def to_qasm(layer: Any, x: Any, *, sub_generator: int | None = None) -> str:
    """OpenQASM 2.0 text of a trained layer's circuit for one input sample.

    Gates used: ``ry``, ``rz``, ``cx``, ``cz`` (``qelib1.inc``), then ``measure`` of every
    qubit. Angles are written at full float64 precision (shortest round-trip form); wire ``i``
    is ``q[i]``. Measuring gives the layer's output in expectation: ``<Z_i>`` for the VQC
    layers; for ``PatchQuantumGenerator`` keep the shots with the ancillas (the first
    ``n_ancillas`` qubits) at 0 and divide the counts by their maximum (the header says so).

    Bit order: PennyLane and qaug treat wire 0 as the most significant bit of a basis-state
    index; Qiskit orders bits little-endian (``q[0]`` is the rightmost bit of a count key),
    so reverse Qiskit's bitstrings to compare with qaug's probabilities.

    Args:
        layer: a ``VQCLayer``, ``ReuploadingVQCLayer``, ``QuanvCircuit`` or
            ``PatchQuantumGenerator``.
        x: one sample's angles, shape ``(n_qubits,)`` or ``(1, n_qubits)`` (tensor, array or
            list); for the patch generator the latent ``z``.
        sub_generator: ``PatchQuantumGenerator`` only: which sub-generator's circuit (needed
            when it has more than one).

    Returns:
        The program text, ending in a newline.

    Raises:
        TypeError: ``layer`` is not supported, or ``x`` is not real angles.
        ValueError: ``x`` has the wrong shape or non-finite values; bad ``sub_generator``.

    Example:
        >>> layer = VQCLayer(2, 1, generator=torch.Generator().manual_seed(0))
        >>> print(to_qasm(layer, [0.5, 1.0]).splitlines()[-3])
        cx q[0],q[1];
    """
    spec = _spec(layer, sub_generator, one=True)
    n = spec.n_qubits
    angles = _as_angles(x, n, batched=False)
    if not torch.isfinite(angles).all():
        raise ValueError(f"x must be finite angles; got {angles.tolist()}.")
    which = "" if sub_generator is None else f", sub_generator={sub_generator}"
    lines = [
        "OPENQASM 2.0;",
        'include "qelib1.inc";',
        f"// qaug export of a trained {spec.name} (n_qubits={n}{which}) for the input angles",
        f"// x = [{', '.join(_qasm_real(a) for a in angles.tolist())}].",
        "// Wire i is q[i]. PennyLane and qaug treat wire 0 as the most significant bit of a",
        "// basis-state index; Qiskit orders bits little-endian (q[0] is the rightmost bit of",
        "// a count key): reverse Qiskit's bitstrings to compare with qaug's probabilities.",
    ]
    if spec.kind == "vqc":
        lines.append("// Layer output: <Z_i> of q[i] (+1 for outcome 0, -1 for outcome 1).")
    else:
        k = spec.n_ancillas
        ancillas = ", ".join(f"q[{i}]" for i in range(k))
        lines += [
            f"// Layer output (patch): keep the outcomes with the ancillas {ancillas} at 0; the",
            "// distribution of the other qubits divided by its maximum is the patch."
        ] if k else ["// Layer output (patch): the distribution divided by its maximum."]
    lines += [f"qreg q[{n}];", f"creg c[{n}];"]
    for name, angle, wires in _circuit_ops(spec, angles.tolist(), spec.weights[0]):
        args = "" if angle is None else f"({_qasm_real(angle)})"
        lines.append(f"{name}{args} {','.join(f'q[{w}]' for w in wires)};")
    lines += [f"measure q[{i}] -> c[{i}];" for i in range(n)]
    return "\n".join(lines) + "\n"



def to_diagram(layer: Any, x: Any, *, sub_generator: int | None = None, decimals: int = 2) -> str:
    """Text circuit diagram of ``layer`` for one input sample (no PennyLane needed).

    The gates are those of :func:`to_qasm` (the same gate list), packed into columns: a gate
    sits in the first column after every wire it touches (and every wire between them) is free;
    two-qubit gates never share a column, so their pairing is never ambiguous.
    Wire 0 is the top line (the most significant bit, as in PennyLane). CNOT is drawn
    ``●``/``X``, CZ ``●``/``●``, with ``│`` across the wires in between.

    Args:
        layer: a ``VQCLayer``, ``ReuploadingVQCLayer``, ``QuanvCircuit`` or
            ``PatchQuantumGenerator``.
        x: the sample's input angles ``(n_qubits,)``.
        sub_generator: which sub-generator's circuit (patch generators; default all, one
            diagram after another).
        decimals: digits of the printed angles.

    Returns:
        The diagram, one line per wire (a blank line between sub-generators).

    Example:
        >>> layer = VQCLayer(2, 1, generator=torch.Generator().manual_seed(0))
        >>> print(to_diagram(layer, [0.5, 1.0]).splitlines()[0])
        0: ─RY(0.50)─RY(3.12)─RZ(4.83)─●─
    """
    spec = _diagram_spec(layer, sub_generator)
    n = spec.n_qubits
    angles = _as_angles(x, n, batched=False)
    if not torch.isfinite(angles).all():
        raise ValueError(f"x must be finite angles; got {angles.tolist()}.")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 8:
        raise ValueError(f"decimals must be an integer between 0 and 8; got {decimals!r}.")
    blocks = []
    for g, weights in enumerate(spec.weights):
        columns: list[dict[int, str]] = []  # per column: wire -> cell text
        free_from = [0] * n  # first column where each wire is free
        two_qubit_cols: set[int] = set()
        for name, angle, wires in _circuit_ops(spec, angles.tolist(), weights):
            lo, hi = min(wires), max(wires)
            col = max(free_from[lo : hi + 1])
            if angle is None and len(wires) == 2:
                while col in two_qubit_cols:
                    col += 1
                two_qubit_cols.add(col)
            while col >= len(columns):
                columns.append({})
            if angle is not None:
                columns[col][wires[0]] = f"{name.upper()}({angle:.{decimals}f})"
            elif len(wires) == 1:
                columns[col][wires[0]] = name.upper()
            else:
                marks = ("●", "X") if name == "cx" else ("●", "●")
                for w in range(lo + 1, hi):
                    columns[col][w] = "│"
                columns[col][wires[0]], columns[col][wires[1]] = marks
            for w in range(lo, hi + 1):
                free_from[w] = col + 1
        lines = [f"{w}: " for w in range(n)]
        for column in columns:
            width = max(len(c) for c in column.values())
            for w in range(n):
                lines[w] += "─" + column.get(w, "").center(width, "─") if w in column else "─" * (width + 1)
        lines = [line + "─" for line in lines]
        if len(spec.weights) > 1:
            chosen = g if sub_generator is None else sub_generator
            lines.insert(0, f"sub-generator {chosen}:")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
