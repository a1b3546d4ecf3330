"""The models' circuits written gate by gate with the engine's public gates (test reference)."""

from __future__ import annotations

import torch

from qaug import quantum as q


def vqc_reference(x: torch.Tensor, weights: torch.Tensor, reupload: bool = False) -> torch.Tensor:
    n = x.shape[1]
    state = q.ry_product_state(x, torch.complex128)  # (batch, 2, ..., 2)
    for layer in range(weights.shape[0]):
        for i in range(n):
            if reupload and layer > 0:
                state = q.ry(state, x[:, i], i)
            state = q.rz(q.ry(state, weights[layer, i, 0], i), weights[layer, i, 1], i)
        for c, t in q.ring_cnots(n):
            state = q.cnot(state, c, t)
    return q.expval_z(state)


def patch_reference(z: torch.Tensor, weights: torch.Tensor, n_ancillas: int) -> torch.Tensor:
    n_gen, depth, n = weights.shape
    rows = []
    for b in range(z.shape[0]):
        patches = []
        for g in range(n_gen):
            state = q.ry_product_state(z[b : b + 1], torch.complex128)
            for layer in range(depth):
                for i in range(n):
                    state = q.ry(state, weights[g, layer, i], i)
                for a, c in q.chain_czs(n):
                    state = q.cz(state, a, c)
            probs = q.probabilities(state)  # (1, 2**n)
            kept = q.postselect(probs, n, list(range(n_ancillas)), [0] * n_ancillas)
            kept = kept / probs.sum()
            patches.append(kept[0] / kept.max())
        rows.append(torch.cat(patches))
    return torch.stack(rows)
