"""Noisy (NISQ) execution: a noise model, readout error, shot sampling and the noisy VQC.

Beside the exact statevector path, ``noisy_vqc_expvals`` simulates the VQC head on density
matrices (``_density``) with three kinds of noise:

- depolarizing: a single-qubit depolarizing channel of probability ``p`` on every wire after
  each variational layer (after its RY, RZ and CNOT ring; the initial RY encoding is noiseless);
- readout: each measured qubit's bit flips with probability ``q`` (symmetric), applied exactly
  to the probabilities as the Kronecker product of the 2x2 confusion matrices;
- shots: ``<Z_i>`` estimated from ``shots`` outcomes drawn from the (noisy) probabilities.

Depolarizing and readout noise are linear maps, so the noisy expectations stay exact and
differentiable (noise-aware training works). Shot sampling is not: under shots the noisy VQC
returns the shot estimate with the exact expectation's gradient (straight-through surrogate),
so training under shots works too (draws come from an explicit ``torch.Generator``, never the
global RNG).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from ._checks import check_n_qubits, check_probs, complex_dtype_of
from ._circuits import _check_vqc_args, ring_cnots
from ._density import (
    _DM_FIX,
    DM_MAX_QUBITS,
    apply_unitary_dm,
    density_from_state,
    depolarize,
    dm_probabilities,
)
from ._fused import (
    apply_wirewise,
    entangler_permutation,
    kron_factors,
    product_vector,
    ry_factors,
    rz_phases,
)
from ._measure import z_signs

__all__ = ["NoiseModel", "apply_readout_error", "sample_expval_z", "noisy_vqc_expvals"]


def _check_probability(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"{name} must be a float in [0, 1]; got {value!r} ({type(value).__name__})."
        )
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1]; got {value}.")
    return float(value)


@dataclass(frozen=True)
class NoiseModel:
    """Noise of a simulated NISQ device; the default (no shots, no noise) is ideal.

    Attributes:
        shots: outcomes sampled per circuit evaluation to estimate ``<Z_i>`` (``None``: exact
            expectations). Training sees the shot estimate with the exact gradient
            (straight-through surrogate).
        depolarizing: single-qubit depolarizing probability in [0, 1] applied to every wire after
            each variational layer (after the CNOT ring); 0.75 fully mixes a wire.
        readout: symmetric bit-flip probability in [0, 1] of each measured qubit.

    Example:
        >>> NoiseModel.from_string("shots=1000,depolarizing=0.01")
        NoiseModel(shots=1000, depolarizing=0.01, readout=0.0)
    """

    shots: int | None = None
    depolarizing: float = 0.0
    readout: float = 0.0

    def __post_init__(self):
        if self.shots is not None:
            if isinstance(self.shots, bool) or not isinstance(self.shots, int):
                raise TypeError(
                    f"shots must be a positive int or None (exact); got {self.shots!r} "
                    f"({type(self.shots).__name__})."
                )
            if self.shots < 1:
                raise ValueError(f"shots must be >= 1, or None for exact expectations; "
                                 f"got {self.shots}.")
        object.__setattr__(self, "depolarizing", _check_probability("depolarizing",
                                                                    self.depolarizing))
        object.__setattr__(self, "readout", _check_probability("readout", self.readout))

    @property
    def is_ideal(self) -> bool:
        """True when the model adds no noise at all (the statevector results are exact)."""
        return self.shots is None and self.depolarizing == 0.0 and self.readout == 0.0

    def to_dict(self) -> dict:
        """``{"shots", "depolarizing", "readout"}`` (JSON-friendly)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_string(cls, text: str) -> NoiseModel:
        """Parse ``"shots=1000,depolarizing=0.01,readout=0.02"`` (any subset; ``shots=none``)."""
        if not isinstance(text, str):
            raise TypeError(f"noise spec must be a str; got {type(text).__name__}.")
        keys = [f.name for f in dataclasses.fields(cls)]
        values: dict = {}
        for item in filter(None, (s.strip() for s in text.split(","))):
            key, sep, raw = (s.strip() for s in item.partition("="))
            if not sep or key not in keys:
                raise ValueError(
                    f"noise spec item {item!r} must be key=value with key one of {keys}; "
                    f"e.g. 'shots=1000,depolarizing=0.01,readout=0.02'."
                )
            try:
                if key == "shots":
                    values[key] = None if raw.lower() == "none" else int(raw)
                else:
                    values[key] = float(raw)
            except ValueError:
                kind = "an int or 'none'" if key == "shots" else "a float"
                raise ValueError(f"noise spec {key}={raw!r}: the value must be {kind}.") from None
        return cls(**values)


def apply_readout_error(probs: torch.Tensor, n_qubits: int, p: float) -> torch.Tensor:
    """Symmetric readout error on every qubit: ``(batch, 2**n)`` -> ``(batch, 2**n)``.

    Exact: the probability vector times ``C (x) ... (x) C`` with ``C = [[1-p, p], [p, 1-p]]``
    (one factor per wire, applied wire by wire without building the ``2**n x 2**n`` matrix).
    For a product state this scales each ``<Z_i>`` by ``1 - 2p``. Differentiable.
    """
    n = check_n_qubits(n_qubits)
    check_probs(probs, n)
    p = _check_probability("readout probability p", p)
    if p == 0.0:
        return probs
    confusion = torch.tensor([[1.0 - p, p], [p, 1.0 - p]], dtype=probs.dtype, device=probs.device)
    return apply_wirewise(probs, confusion.expand(n, 2, 2))  # (batch, 2**n)


def sample_expval_z(
    probs: torch.Tensor, n_qubits: int, shots: int, generator: torch.Generator
) -> torch.Tensor:
    """``<Z_i>`` estimated from ``shots`` sampled outcomes: ``(batch, 2**n)`` -> ``(batch, n)``.

    Each row of ``probs`` gets ``shots`` basis states drawn with replacement (a multinomial
    sample) from ``generator`` on the CPU; the estimate of ``<Z_i>`` is the mean Z eigenvalue of
    wire i over them, unbiased with variance ``(1 - <Z_i>**2) / shots``. The result is returned
    on ``probs``' device and dtype and is NOT differentiable (no gradient flows to ``probs``):
    use shots for evaluation; depolarizing and readout noise stay differentiable.

    Args:
        probs: probabilities ``(batch, 2**n)`` (tiny negative rounding errors are clipped).
        n_qubits: n.
        shots: outcomes per row, >= 1.
        generator: CPU ``torch.Generator``; the same seed gives the same estimates.
    """
    n = check_n_qubits(n_qubits)
    check_probs(probs, n)
    if isinstance(shots, bool) or not isinstance(shots, int) or shots < 1:
        raise ValueError(f"shots must be an int >= 1; got {shots!r}.")
    if not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator must be a torch.Generator; got {type(generator).__name__}. Shot sampling "
            "never uses the global RNG: pass e.g. qaug._seed.make_generator(seed, 'shots')."
        )
    p = probs.detach().to("cpu", torch.float64).clamp_min(0.0)  # (batch, 2**n)
    outcomes = torch.multinomial(p, shots, replacement=True, generator=generator)  # (batch, shots)
    counts = torch.zeros_like(p).scatter_add_(1, outcomes, torch.ones_like(outcomes, dtype=p.dtype))
    estimate = (counts / shots) @ z_signs(n, range(n), p.dtype)  # (batch, n)
    return estimate.to(device=probs.device, dtype=probs.dtype)


def noisy_vqc_expvals(
    x: torch.Tensor,
    weights: torch.Tensor,
    noise: NoiseModel,
    *,
    reupload: bool = False,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """``<Z_i>`` of the VQC head under ``noise``: ``x`` ``(batch, n)``, ``weights`` ``(L, n, 2)``.

    The circuit of ``vqc_expvals`` (RY(x_i) encoding; per layer l: RY(w[l,i,0]), RZ(w[l,i,1])
    on every wire, then the CNOT ring; with ``reupload`` RY(x_i) also starts every later layer)
    simulated on density matrices ``(batch, 2**n, 2**n)``: after each layer a depolarizing
    channel of probability ``noise.depolarizing`` on every wire; the final probabilities pass
    through the readout error ``noise.readout``; with ``noise.shots`` the expectations are
    estimated from that many outcomes drawn from ``generator``; their gradient is then the
    straight-through surrogate (that of the exact noisy expectations: the shot estimate is
    unbiased, so this is what parameter-shift would estimate with unlimited shots).
    With an ideal ``noise`` the result equals ``vqc_expvals`` up to rounding.

    Returns:
        ``(batch, n)`` real, float32 for float32 inputs.
    """
    if not isinstance(noise, NoiseModel):
        raise TypeError(f"noise must be a NoiseModel; got {type(noise).__name__}.")
    n, n_layers = _check_vqc_args(x, weights)
    check_n_qubits(n, max_qubits=DM_MAX_QUBITS, hint=_DM_FIX)
    if noise.shots is not None and generator is None:
        raise ValueError(
            f"noise.shots={noise.shots} needs a torch.Generator to draw the shots from; pass "
            "generator= (e.g. qaug._seed.make_generator(seed, 'shots')) or set shots=None."
        )
    cdtype = complex_dtype_of(torch.promote_types(x.dtype, weights.dtype))
    perm = entangler_permutation(n, ring_cnots(n), x.device)
    phases = rz_phases(weights[..., 1]).to(cdtype)  # (L, n, 2)
    half = x / 2  # (batch, n)
    encoded = product_vector(torch.stack([torch.cos(half), torch.sin(half)], -1))  # (batch, 2**n)
    rho = density_from_state(encoded.reshape((x.shape[0],) + (2,) * n)).to(cdtype)  # (b, d, d)
    for layer in range(n_layers):
        angle = weights[layer, :, 0] + x if reupload and layer > 0 else weights[layer, :, 0]
        # RZ(b) RY(a) per wire: (n, 2, 2), or (batch, n, 2, 2) when re-uploading
        rot = phases[layer, :, :, None] * ry_factors(angle)
        unitary = kron_factors(rot)[..., perm, :]  # (.., 2**n, 2**n): the CNOT ring on the rows
        rho = apply_unitary_dm(rho, unitary)
        rho = depolarize(rho, noise.depolarizing, range(n))
    probs = apply_readout_error(dm_probabilities(rho), n, noise.readout)  # (batch, 2**n)
    exact = probs @ z_signs(n, range(n), probs.dtype, probs.device)  # (batch, n)
    if noise.shots is not None:
        # straight-through: the shot estimate's value, the exact noisy expectation's gradient
        return exact + (sample_expval_z(probs, n, noise.shots, generator) - exact).detach()
    return exact
