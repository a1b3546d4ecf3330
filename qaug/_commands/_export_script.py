"""``qaug export --format pennylane``: a standalone PennyLane script of a trained circuit.

The script is generated from ``qaug.models._export_spec``'s gate list (``_circuit_ops``), the
one that ``to_qasm``, ``to_pennylane`` and ``to_diagram`` follow, so the exports cannot drift
apart.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from qaug.models._export_spec import _circuit_ops, _spec

__all__ = ["pennylane_script", "layer_output"]

_GATES = {"ry": "RY", "rz": "RZ", "rx": "RX", "h": "Hadamard", "cx": "CNOT", "cz": "CZ"}


def layer_output(layer: nn.Module, x: torch.Tensor, sub_generator: int | None = None) -> list[float]:
    """The layer's own noiseless output for ``x`` ``(n,)``, simulated in float64, flattened.

    ``(n_outputs,)``: a generator's sub-generators concatenated in order (``PQWGANCircuits``'
    ``(G, P)`` flattened); with ``sub_generator`` only that one's outputs.
    """
    spec = _spec(layer, sub_generator, one=False)
    ideal = copy.deepcopy(layer).double()
    if getattr(ideal, "noise", None) is not None:
        ideal.noise = None  # the export is the noiseless circuit (qaug.models.noisy is not exported)
    with torch.no_grad():
        out = ideal(x.to(torch.float64)[None])[0].reshape(-1)
    if sub_generator is not None:
        out = out[sub_generator * spec.width: (sub_generator + 1) * spec.width]
    return out.tolist()


def _layer_function(readout: str) -> list[str]:
    """The script's ``layer(x)``: the QNodes' results post-processed as the qaug layer does."""
    lines = ["", "", "def layer(x):"]
    if readout == "expval":
        return lines + [
            '    """Expectation values of every wire, circuits concatenated: x (n,) or (batch, n)."""',
            "    x = np.asarray(x, dtype=float)",
            "    return np.concatenate([np.stack([np.asarray(e) for e in circuit(x)], -1)",
            "                           for circuit in CIRCUITS], -1)"]
    return lines + [
        '    """Patches (ancillas post-selected in |0>, max-normalised), concatenated."""',
        "    x = np.asarray(x, dtype=float)", "    patches = []",
        "    for circuit in CIRCUITS:",
        "        probs = np.asarray(circuit(x))  # (2**N_QUBITS,) or (batch, 2**N_QUBITS)",
        "        kept = probs[..., : 2 ** (N_QUBITS - N_ANCILLAS)]  # ancillas (first wires) in |0>",
        "        given0 = kept / kept.sum(-1, keepdims=True)",
        "        patches.append((given0 / given0.max(-1, keepdims=True))[..., :PATCH_PIXELS])",
        "    return np.concatenate(patches, -1)"]


def pennylane_script(layer: nn.Module, x: torch.Tensor, *, sub_generator: int | None = None,
                     notes: tuple[str, ...] = ()) -> str:
    """A standalone PennyLane script that rebuilds ``layer``'s circuit with its weights as literals.

    The script defines ``X`` (the input angles, ``(n_qubits,)``), ``EXPECTED`` (qaug's output
    for ``X``, float64), one QNode per circuit and ``layer(x)``: ``(n,)`` or ``(batch, n)`` ->
    the layer's output (``<Z_i>``; MosaiQ's ``<X_i>``; or the patches of ``PatchQuantumGenerator``
    and ``PQWGANCircuits``), sub-generators concatenated. Run as a program it prints ``layer(X)``
    and exits with an error if that differs from ``EXPECTED``.
    """
    spec = _spec(layer, sub_generator, one=False)
    n = spec.n_qubits
    x = x.detach().to("cpu", torch.float64).reshape(n)
    lines = ['"""PennyLane rebuild of a trained qaug quantum layer, written by `qaug export`.', ""]
    lines += [*notes, f"layer: {spec.name}, {n} qubits"
              + ("" if sub_generator is None else f", sub-generator {sub_generator}"), "",
              "X is the input angles of the circuit; layer(x) runs the circuits on any other",
              "angles (n_qubits,) or (batch, n_qubits).",
              "Run it: prints layer(X) and checks it against EXPECTED (qaug's simulation).", '"""',
              "", "import numpy as np", "import pennylane as qml", "", f"N_QUBITS = {n}",
              f"X = {[float(v) for v in x]!r}",
              f"EXPECTED = {layer_output(layer, x, sub_generator)!r}"]
    if spec.readout == "patch":
        lines += [f"N_ANCILLAS = {spec.n_ancillas}  # the first wires, post-selected in |0>",
                  f"PATCH_PIXELS = {spec.patch_pixels}  # values kept per patch"]
    lines += ["", 'dev = qml.device("default.qubit", wires=N_QUBITS)']
    symbols = [f"x[..., {i}]" for i in range(n)]  # x: (n,) or (batch, n), broadcast by PennyLane
    for k, weights in enumerate(spec.weights):
        lines += ["", "", "@qml.qnode(dev)", f"def circuit_{k}(x):"]
        if len(spec.weights) > 1 or sub_generator is not None:
            lines.append(f'    """Sub-generator {spec.first + k}."""')
        for name, angle, wires in _circuit_ops(spec, symbols, weights):
            if angle is None:
                param = ""
            else:  # an input angle ("x[..., i]") or a trained weight at full float64 precision
                param = f"{angle}, " if isinstance(angle, str) else f"{float(angle)!r}, "
            wire = wires[0] if len(wires) == 1 else list(wires)
            lines.append(f"    qml.{_GATES[name]}({param}wires={wire})")
        lines.append("    return [qml.expval(qml.PauliZ(i)) for i in range(N_QUBITS)]"
                     if spec.readout == "expval" else "    return qml.probs(wires=range(N_QUBITS))")
    lines += ["", "", f"CIRCUITS = [{', '.join(f'circuit_{k}' for k in range(len(spec.weights)))}]"]
    lines += _layer_function(spec.readout)
    lines += ["", "", 'if __name__ == "__main__":', "    out = layer(X)",
              "    diff = float(np.max(np.abs(out - np.asarray(EXPECTED))))",
              '    print("layer(X) =", np.array2string(out, precision=6))',
              '    print("max |layer(X) - EXPECTED| =", diff)', "    if diff > 1e-6:",
              '        raise SystemExit("PennyLane and qaug disagree; check the PennyLane version.")']
    return "\n".join(lines) + "\n"
