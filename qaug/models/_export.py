"""Export trained quantum layers to PennyLane QNodes and OpenQASM 2.0 text.

``to_pennylane(layer)`` rebuilds a layer's circuit as PennyLane QNode(s) with the trained
weights baked in as constants, to run on any PennyLane device (other simulators, hardware
plugins). ``to_qasm(layer, x)`` writes the circuit for one input sample as OpenQASM 2.0, the
format Qiskit and most hardware providers read (Qiskit itself is not needed).

Both cover the classifiers' circuits (``VQCLayer``, ``ReuploadingVQCLayer``, ``QuanvCircuit``)
and those of every quantum generator kind (``PatchQuantumGenerator`` of qgan,
``PQWGANCircuits``, ``MosaiQCircuits``, ``LatentCircuits``), and follow one gate list
(``qaug.models._export_spec``), as ``to_diagram`` does. The exported circuits are noiseless:
a ``noise`` model set by ``qaug.models.noisy`` is not part of the circuit and is not exported.
"""

from __future__ import annotations

from typing import Any

import torch

from qaug.models._export_spec import _as_angles, _circuit_ops, _one_sample, _Spec, _spec
from qaug.models._quantum_layers import VQCLayer  # noqa: F401 (the examples use it)

__all__ = ["to_pennylane", "to_qasm", "PennyLaneCircuit"]

_INSTALL_HINT = "to_pennylane needs PennyLane: pip install 'qaug[pennylane]'"


def _import_pennylane():
    try:
        import pennylane as qml
    except ImportError as err:  # optional dependency, as PennyLane's own TorchLayer guards torch
        raise ImportError(f"{_INSTALL_HINT} (or pip install pennylane).") from err
    return qml


class PennyLaneCircuit:
    """A trained qaug layer as PennyLane QNode(s), weights baked in (made by ``to_pennylane``).

    Calling it gives the layer's forward output, computed by PennyLane, in float64:
    ``x`` ``(n_qubits,)`` -> ``(n_outputs,)`` or ``(batch, n_qubits)`` -> ``(batch, n_outputs)``
    (PennyLane parameter broadcasting), the exported sub-generators concatenated in order:

    - VQC layers and ``LatentCircuits``: ``<Z_i>`` of every wire;
    - ``MosaiQCircuits``: ``<X_i>`` of every wire (``<Z_i>`` after the final H layer);
    - ``PatchQuantumGenerator`` and ``PQWGANCircuits``: the patches (probabilities with the
      ancillas in |0>, divided by their sum and then by their maximum; PQWGAN keeps the first
      ``patch_pixels``); ``PQWGANCircuits``' ``(batch, G, P)`` output is flattened.

    Gradients flow to ``x``.

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
        spec = self._spec
        outputs = []
        for qnode in self.qnodes:
            if spec.readout == "expval":
                outputs.append(torch.stack(list(qnode(x)), -1))  # (batch, n) or (n,)
                continue
            probs = qnode(x)  # (batch, 2**n) or (2**n,)
            # Ancillas are the first (most significant) wires: "in |0>" is the leading block.
            kept = probs[..., : 2 ** (self.n_qubits - spec.n_ancillas)]
            given0 = kept / kept.sum(-1, keepdim=True)  # post-selection
            outputs.append((given0 / given0.amax(-1, keepdim=True))[..., : spec.patch_pixels])
        return torch.cat(outputs, -1)  # (batch, n_circuits * width) or (n_circuits * width,)

    def __repr__(self) -> str:
        return (f"PennyLaneCircuit({self._spec.name}, n_qubits={self.n_qubits}, "
                f"circuits={len(self.qnodes)})")


def to_pennylane(layer: Any, *, device: Any = "default.qubit",
                 sub_generator: int | None = None) -> PennyLaneCircuit:
    """Rebuild a trained quantum layer as PennyLane QNode(s) with its weights baked in.

    Args:
        layer: a ``VQCLayer``, ``ReuploadingVQCLayer``, ``QuanvCircuit``, or the circuits of
            a quantum generator: ``PatchQuantumGenerator`` (qgan, ``G.patches``),
            ``PQWGANCircuits``, ``MosaiQCircuits`` or ``LatentCircuits`` (``G.circuits``;
            their input is the angles the circuits receive: for MosaiQ ``z * G.noise_high``,
            see ``MosaiQGenerator.coefficients``). The weights are copied (detached, float64) now; later
            training of ``layer`` does not change the export.
        device: a PennyLane device name (created with ``wires=n_qubits``) or a device
            instance with at least those wires, e.g. a hardware plugin's.
        sub_generator: generator circuits only: export one sub-generator (its outputs
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
    gates = {"ry": qml.RY, "rz": qml.RZ, "rx": qml.RX, "h": qml.Hadamard, "cx": qml.CNOT,
             "cz": qml.CZ}

    def make_qnode(weights: list):
        def circuit(x):
            angles = [x[..., i] for i in range(n)]  # each () or (batch,): broadcasting
            for name, angle, wires in _circuit_ops(spec, angles, weights):
                params = () if angle is None else (angle,)
                gates[name](*params, wires=list(wires))
            if spec.readout == "expval":
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


def _qasm_readout(spec: _Spec) -> list[str]:
    """Header lines: how the measured outcomes give the layer's output."""
    if spec.kind == "mosaiq":
        return ["// Layer output: <X_i> of every wire, measured as <Z_i> of q[i] after the final",
                "// H layer (+1 for outcome 0, -1 for outcome 1)."]
    if spec.readout == "expval":
        return ["// Layer output: <Z_i> of q[i] (+1 for outcome 0, -1 for outcome 1)."]
    k = spec.n_ancillas
    keep = ("" if spec.patch_pixels == 2 ** (spec.n_qubits - k) else
            f" and keep its first {spec.patch_pixels} values")
    if not k:
        return [f"// Layer output (patch): the distribution divided by its maximum{keep}."]
    ancillas = ", ".join(f"q[{i}]" for i in range(k))
    return [f"// Layer output (patch): keep the outcomes with the ancillas {ancillas} at 0; the",
            f"// distribution of the other qubits divided by its maximum{keep} is the patch."]


def to_qasm(layer: Any, x: Any, *, sub_generator: int | None = None) -> str:
    """OpenQASM 2.0 text of a trained layer's circuit for one input sample.

    Gates used: ``ry``, ``rz``, ``rx``, ``h``, ``cx``, ``cz`` (``qelib1.inc``), then ``measure``
    of every qubit. Angles are written at full float64 precision (shortest round-trip form);
    wire ``i`` is ``q[i]``. Measuring gives the layer's output in expectation (the header says
    how): ``<Z_i>`` for the VQC layers and ``LatentCircuits``, ``<X_i>`` for ``MosaiQCircuits``
    (a final H layer rotates X to Z); for ``PatchQuantumGenerator`` and ``PQWGANCircuits`` keep
    the shots with the ancillas (the first ``n_ancillas`` qubits) at 0 and divide the counts by
    their maximum (PQWGAN: then keep the first ``patch_pixels`` values).

    Bit order: PennyLane and qaug treat wire 0 as the most significant bit of a basis-state
    index; Qiskit orders bits little-endian (``q[0]`` is the rightmost bit of a count key),
    so reverse Qiskit's bitstrings to compare with qaug's probabilities.

    Args:
        layer: a layer ``to_pennylane`` takes.
        x: one sample's angles, shape ``(n_qubits,)`` or ``(1, n_qubits)`` (tensor, array or
            list): the circuit's input (for a generator, the angles its circuits receive).
        sub_generator: generator circuits only: which sub-generator's circuit (needed when
            there are more than one).

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
    angles = _one_sample(x, n)
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
    lines += _qasm_readout(spec)
    lines += [f"qreg q[{n}];", f"creg c[{n}];"]
    for name, angle, wires in _circuit_ops(spec, angles.tolist(), spec.weights[0]):
        args = "" if angle is None else f"({_qasm_real(angle)})"
        lines.append(f"{name}{args} {','.join(f'q[{w}]' for w in wires)};")
    lines += [f"measure q[{i}] -> c[{i}];" for i in range(n)]
    return "\n".join(lines) + "\n"

