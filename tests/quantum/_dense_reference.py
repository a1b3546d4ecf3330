"""Dense Kronecker-product reference: every gate as a full 2**n x 2**n matrix (NumPy)."""

from __future__ import annotations

import numpy as np

I2 = np.eye(2)
X = np.array([[0, 1], [1, 0]], dtype=complex)
P0 = np.diag([1.0, 0.0]).astype(complex)
P1 = np.diag([0.0, 1.0]).astype(complex)
Z = np.diag([1.0, -1.0]).astype(complex)


def rot(kind: str, t: float) -> np.ndarray:
    c, s = np.cos(t / 2), np.sin(t / 2)
    if kind == "x":
        return np.array([[c, -1j * s], [-1j * s, c]])
    if kind == "y":
        return np.array([[c, -s], [s, c]], dtype=complex)
    return np.diag([np.exp(-0.5j * t), np.exp(0.5j * t)])


def embed(ops: dict[int, np.ndarray], n: int) -> np.ndarray:
    """Kronecker product with ``ops[w]`` on wire w (wire 0 leftmost) and identity elsewhere."""
    out = np.eye(1, dtype=complex)
    for w in range(n):
        out = np.kron(out, ops.get(w, I2))
    return out


def cnot_matrix(c: int, t: int, n: int) -> np.ndarray:
    return embed({c: P0}, n) + embed({c: P1, t: X}, n)


def cz_matrix(a: int, b: int, n: int) -> np.ndarray:
    return embed({a: P0}, n) + embed({a: P1, b: Z}, n)


def two_qubit_matrix(u: np.ndarray, wires: tuple[int, int], n: int) -> np.ndarray:
    """``u`` (4x4, first wire most significant) on ``wires`` of an n-qubit register."""
    a, b = wires
    out = np.zeros((2**n, 2**n), dtype=complex)
    basis = [P0, np.array([[0, 1], [0, 0]]), np.array([[0, 0], [1, 0]]), P1]  # |i><j|
    for i in range(2):
        for j in range(2):
            for k in range(2):
                for m in range(2):
                    coeff = u[2 * i + k, 2 * j + m]
                    if coeff != 0:
                        out += coeff * embed({a: basis[2 * i + j], b: basis[2 * k + m]}, n)
    return out


def random_unitary(d: int, rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d)))
    return q * (np.diag(r) / np.abs(np.diag(r)))
