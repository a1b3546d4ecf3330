"""Text circuit diagrams of trained quantum layers (``to_diagram``; no PennyLane needed)."""

from __future__ import annotations

from typing import Any

from qaug.models._export_spec import _circuit_ops, _one_sample, _spec

__all__ = ["to_diagram"]


def to_diagram(layer: Any, x: Any, *, sub_generator: int | None = None, decimals: int = 2) -> str:
    """Text circuit diagram of ``layer`` for one input sample (no PennyLane needed).

    The gates are those of :func:`to_qasm` (the same gate list), packed into columns: a gate
    sits in the first column after every wire it touches (and every wire between them) is free;
    two-qubit gates never share a column, so their pairing is never ambiguous.
    Wire 0 is the top line (the most significant bit, as in PennyLane). CNOT is drawn
    ``●``/``X``, CZ ``●``/``●``, with ``│`` across the wires in between.

    Args:
        layer: a ``VQCLayer``, ``ReuploadingVQCLayer``, ``QuanvCircuit``, or a generator's
            circuits: ``PatchQuantumGenerator``, ``PQWGANCircuits``, ``MosaiQCircuits``,
            ``LatentCircuits``.
        x: the sample's input angles ``(n_qubits,)``.
        sub_generator: which sub-generator's circuit (generator circuits; default all, one
            diagram after another).
        decimals: digits of the printed angles.

    Returns:
        The diagram, one line per wire (a blank line between sub-generators).

    Example:
        >>> import torch
        >>> from qaug.models import VQCLayer
        >>> layer = VQCLayer(2, 1, generator=torch.Generator().manual_seed(0))
        >>> print(to_diagram(layer, [0.5, 1.0]).splitlines()[0])
        0: ─RY(0.50)─RY(3.12)─RZ(4.83)─●─
    """
    spec = _spec(layer, sub_generator, one=False)
    n = spec.n_qubits
    angles = _one_sample(x, n)
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
            lines.insert(0, f"sub-generator {spec.first + g}:")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
