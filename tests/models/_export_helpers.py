"""Helpers of the export tests: stand-in training and a tiny OpenQASM 2.0 reader (only what
``to_qasm`` emits)."""

import math
import re

import torch

from qaug.quantum import apply_matrix, cnot, cz, rx, ry, rz, zero_state

REAL = r"-?(?:[0-9]+\.[0-9]*|[0-9]*\.[0-9]+)(?:[eE][-+]?[0-9]+)?"  # QASM 2 reals need a dot
GATE = re.compile(rf"^(ry|rz|rx)\(({REAL})\) q\[(\d+)\];$|^(cx|cz) q\[(\d+)\],q\[(\d+)\];$"
                  r"|^(h) q\[(\d+)\];$")
HADAMARD = torch.tensor([[1, 1], [1, -1]], dtype=torch.complex128) / math.sqrt(2)


def gen(seed):
    """A CPU generator seeded with ``seed``."""
    return torch.Generator().manual_seed(seed)


def trained(layer, seed=5, scale=3.0):
    """Stand-in for training: overwrite the initial weights with arbitrary values."""
    with torch.no_grad():
        layer.weights.copy_(scale * torch.randn(layer.weights.shape, generator=gen(seed)))
    return layer


def patch_post(probs, n_qubits, n_ancillas):
    """The patch of a probability vector: ancillas (first wires) in |0>, max-normalised."""
    kept = probs[..., : 2 ** (n_qubits - n_ancillas)]
    given0 = kept / probs.sum(-1, keepdim=True)
    return given0 / given0.amax(-1, keepdim=True)


def read_qasm(text):
    """-> (n_qubits, [(gate, angle or None, wires)], measured wires)."""
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("//")]
    assert lines[:2] == ["OPENQASM 2.0;", 'include "qelib1.inc";']
    n = int(re.fullmatch(r"qreg q\[(\d+)\];", lines[2]).group(1))
    assert lines[3] == f"creg c[{n}];"
    ops, measured = [], []
    for line in lines[4:]:
        m = re.fullmatch(r"measure q\[(\d+)\] -> c\[(\d+)\];", line)
        if m:
            assert m.group(1) == m.group(2)
            measured.append(int(m.group(1)))
            continue
        assert not measured, "gates after measurement"
        g = GATE.match(line)
        assert g, f"unexpected line {line!r}"
        if g.group(1):
            ops.append((g.group(1), float(g.group(2)), (int(g.group(3)),)))
        elif g.group(4):
            ops.append((g.group(4), None, (int(g.group(5)), int(g.group(6)))))
        else:
            ops.append(("h", None, (int(g.group(8)),)))
    return n, ops, measured


def run_ops(n, ops):
    """Apply ``(gate, angle or None, wires)`` with qaug.quantum's gates: state (1, 2, ..., 2)."""
    state = zero_state(1, n, dtype=torch.complex128)
    rotations = {"ry": ry, "rz": rz, "rx": rx}
    for name, angle, wires in ops:
        if name in rotations:
            state = rotations[name](state, torch.tensor(angle, dtype=torch.float64), wires[0])
        elif name == "cx":
            state = cnot(state, *wires)
        elif name == "cz":
            state = cz(state, *wires)
        else:
            state = apply_matrix(state, HADAMARD, [wires[0]])
    return state


def run_qasm(text):
    """Rebuild the program with qaug.quantum's gates: the final state (1, 2, ..., 2)."""
    n, ops, measured = read_qasm(text)
    assert measured == list(range(n))
    return run_ops(n, ops)
