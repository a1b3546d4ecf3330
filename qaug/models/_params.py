"""Trainable-parameter counts, quantum and classical apart."""

from __future__ import annotations

from torch import nn

__all__ = ["count_parameters"]


def count_parameters(module: nn.Module, *, frozen: bool = False) -> dict[str, int]:
    """Count trainable parameters of ``module``: ``{"quantum", "classical", "total"}``.

    A parameter is quantum when it belongs to a sub-module whose class sets
    ``is_quantum = True`` (circuit weights); everything else is classical. With ``frozen``,
    also ``"frozen"``: parameters with ``requires_grad=False``, fitted but not trained by
    the adversarial loop (e.g. an autoencoder's decoder, a PCA basis); all classical.
    """
    quantum_ids = set()
    for m in module.modules():
        if getattr(m, "is_quantum", False):
            quantum_ids.update(id(p) for p in m.parameters() if p.requires_grad)
    total = quantum = 0
    for p in module.parameters():
        if not p.requires_grad:
            continue
        total += p.numel()
        if id(p) in quantum_ids:
            quantum += p.numel()
    out = {"quantum": quantum, "classical": total - quantum, "total": total}
    if frozen:
        n_frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
        out["frozen"] = n_frozen
    return out
