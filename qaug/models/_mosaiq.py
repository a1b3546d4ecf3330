"""MosaiQ (Silver, Patel, Tiwari et al., ICCV 2023): quantum sub-generators make PCA coefficients.

Reimplemented from the paper and its public reference (PennyLane); our code. A PCA of the
class's training images (``fit_data``; ``n_components``, 40 at 28x28) defines the output space.
``ceil(n_components / n_qubits)`` sub-generators of ``n_qubits`` (5) wires run RY(z_i) RX(z_i)
on every wire, then ``depth`` (6) layers of RY(w) on every wire + the CZ chain; the Pauli-X
expectation of every wire is one PCA coefficient scaled to [-1, 1] (by the minimum and maximum
coefficient of the training images, as the reference's ``scale_data``). The strongest
components are spread over the sub-generators (component g is wire 0 of sub-generator g, the
weakest ones fill the other wires from the end; the reference's ``ordering``). Unscaled, the
coefficients go through the inverse PCA to pixels, clipped to [0, 1].

The discriminator works in the same PCA space, as the reference's (images are projected on the
class's components and scaled to [-1, 1]; MLP ``n -> 64 -> 16 -> 1`` with ReLU, a logit).
The circuit angles are ``U[0, high)`` with ``high`` adapting to the training (``observe_losses``):
``high = pi/8 + 5pi/8 * relu(tanh(R - R_0))``, ``R = loss_D / loss_G``, ``R_0`` its first value
(the reference's ``get_noise_upper_bound``). The PCA and the noise range are buffers, so
checkpoints and ``ClassGenerators`` save and load them. Reference training: BCE, SGD, lr 0.3
(G) and 0.05 (D).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from qaug.models._init import make_linear, resolve_generator
from qaug.models._quantum_layers import MAX_LAYER_QUBITS, _check_int
from qaug.quantum._checks import check_finite_input
from qaug.quantum._noisy_circuits import noisy_mosaiq_expvals
from qaug.quantum._published_circuits import mosaiq_expvals

__all__ = [
    "ClassPCA",
    "MosaiQCircuits",
    "MosaiQGenerator",
    "MosaiQDiscriminator",
    "build_mosaiq",
    "default_n_components",
    "mosaiq_ordering",
]

NOISE_LOW, NOISE_SPAN = math.pi / 8, 5 * math.pi / 8


def default_n_components(image_size: int) -> int:
    """The PCA size by image: 40 (the paper's) from 28x28 up, 30 from 16x16, else 20."""
    pixels = image_size * image_size
    return 40 if pixels >= 784 else 30 if pixels >= 256 else 20


def mosaiq_ordering(n_components: int, n_generators: int, n_qubits: int) -> list[int]:
    """Output slot (sub-generator g, wire q) -> PCA component, flattened g-major.

    Component g goes to wire 0 of sub-generator g; the rest, weakest first, fill the other
    wires in order (40 components, 8 x 5: sub-generator g gets ``[g, 39-4g, ..., 36-4g]``).
    Slots past ``n_components`` get -1 (unused).
    """
    order = [-1] * (n_generators * n_qubits)
    rest = iter(range(n_components - 1, n_generators - 1, -1))
    for g in range(n_generators):
        order[g * n_qubits] = g if g < n_components else -1
        for q in range(1, n_qubits):
            order[g * n_qubits + q] = next(rest, -1)
    return order


class ClassPCA(nn.Module):
    """PCA of one class's training images, as buffers: ``mean``, ``components``, coefficient range.

    ``fit(real_x)`` fills them (float64 SVD, signs fixed so the largest entry of every
    component is positive); ``encode`` maps images to coefficients scaled to [-1, 1] and
    ``decode`` maps scaled coefficients back to images clipped to [0, 1].
    """

    def __init__(self, image_size: int, n_components: int):
        super().__init__()
        self.image_size = image_size
        self.n_components = n_components
        pixels = image_size * image_size
        self.register_buffer("mean", torch.zeros(pixels))
        self.register_buffer("components", torch.zeros(n_components, pixels))
        self.register_buffer("coef_range", torch.tensor([-1.0, 1.0]))  # (min, max) of the data
        self.register_buffer("fitted", torch.tensor(False))

    @torch.no_grad()
    def fit(self, real_x: torch.Tensor) -> dict:
        """Fit on ``(N, 1, H, W)`` images; returns ``{"n_components", "explained_variance"}``."""
        size, n = self.image_size, self.n_components
        if not isinstance(real_x, torch.Tensor) or tuple(real_x.shape[1:]) != (1, size, size):
            shape = tuple(real_x.shape) if isinstance(real_x, torch.Tensor) else type(real_x)
            raise ValueError(f"real_x must have shape (N, 1, {size}, {size}); got {shape}.")
        if len(real_x) < n:
            raise ValueError(
                f"MosaiQ's PCA has n_components={n}, but the class has only {len(real_x)} "
                f"training images, and a PCA of {len(real_x)} images has at most {len(real_x)} "
                f"components. Set n_components to {len(real_x)} or fewer (train-gan/augment: "
                f"--gan.n_components={len(real_x)}; experiments: gan.mosaiq.n_components), or "
                "give the class more images."
            )
        x = real_x.reshape(len(real_x), -1).double()  # (N, H*W)
        mean = x.mean(0)
        _, _, vh = torch.linalg.svd(x - mean, full_matrices=False)  # vh: (min(N, H*W), H*W)
        comps = vh[:n]  # (n, H*W)
        top = comps.abs().argmax(1)
        comps = comps * torch.sign(comps[torch.arange(n), top])[:, None]
        coefs = (x - mean) @ comps.T  # (N, n)
        low, high = float(coefs.min()), float(coefs.max())
        if not high > low:
            raise ValueError(
                "the training images are all identical, so their PCA coefficients have no "
                "range to scale; MosaiQ needs varied images of the class."
            )
        self.mean.copy_(mean)
        self.components.copy_(comps)
        self.coef_range.copy_(torch.tensor([low, high]))
        self.fitted.fill_(True)
        total = float((x - mean).square().sum())
        kept = float(coefs.square().sum())
        return {"n_components": n, "explained_variance": kept / total if total else 1.0}

    def _check_fitted(self) -> None:
        if not bool(self.fitted):
            raise ValueError(
                "the MosaiQ PCA is not fitted yet: call fit_data(real_x) with the class's "
                "training images first (train_gan does), or load a trained state_dict."
            )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images ``(n, 1, H, W)`` -> scaled coefficients ``(n, n_components)``."""
        self._check_fitted()
        coefs = (x.reshape(len(x), -1) - self.mean) @ self.components.T  # (n, n_components)
        low, high = self.coef_range[0], self.coef_range[1]
        return 2 * (coefs - low) / (high - low) - 1

    def decode(self, scaled: torch.Tensor) -> torch.Tensor:
        """Scaled coefficients ``(n, n_components)`` -> images ``(n, 1, H, W)`` in [0, 1]."""
        self._check_fitted()
        low, high = self.coef_range[0], self.coef_range[1]
        coefs = low + (scaled + 1) / 2 * (high - low)  # (n, n_components)
        pixels = coefs @ self.components + self.mean  # (n, H*W)
        return pixels.clamp(0, 1).reshape(-1, 1, self.image_size, self.image_size)


class MosaiQCircuits(nn.Module):
    """The MosaiQ sub-generators: latent ``(batch, n_qubits)`` -> ``<X>`` ``(batch, G * n_qubits)``.

    Weights ``(n_generators, depth, n_qubits)`` ~ U[0, 1) (the reference's ``q_delta = 1``).
    """

    is_quantum = True
    supports_noise = True  # qaug.models.noisy sets noise / noise_generator
    noise = None
    noise_generator = None

    def __init__(
        self, n_qubits: int, depth: int, n_generators: int, *, generator: torch.Generator | None
    ):
        super().__init__()
        fix = "MosaiQ uses 5 qubits per sub-generator; use fewer qubits and more sub-generators."
        self.n_qubits = _check_int("n_qubits", n_qubits, 1, MAX_LAYER_QUBITS, fix)
        self.depth = _check_int("depth", depth, 1)
        self.n_generators = _check_int("n_generators", n_generators, 1)
        shape = (n_generators, depth, n_qubits)
        self.weights = nn.Parameter(torch.rand(shape, generator=resolve_generator(generator)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``(batch, n_qubits)`` -> ``(batch, n_generators * n_qubits)`` in [-1, 1], g-major."""
        check_finite_input(z, f"the input angles z of {type(self).__name__}")
        if self.noise is None:
            ev = mosaiq_expvals(z, self.weights)  # (G, batch, n_qubits)
        else:
            ev = noisy_mosaiq_expvals(z, self.weights, self.noise, generator=self.noise_generator)
        return ev.transpose(0, 1).reshape(z.shape[0], -1)


class MosaiQGenerator(nn.Module):
    """MosaiQ generator: ``z ~ U[0, 1)`` ``(n, n_qubits)`` -> images ``(n, 1, H, W)``.

    Args:
        image_size: side H = W.
        n_components: PCA components; 0 = ``default_n_components(image_size)``.
        n_qubits: wires per sub-generator (paper: 5).
        depth: RY + CZ layers (paper: 6).
        generator: CPU ``torch.Generator`` for the weights.

    Call ``fit_data(real_x)`` (train_gan does) before generating.

    Example:
        >>> from qaug._seed import make_generator
        >>> G = MosaiQGenerator(8, n_components=10, generator=make_generator(0, "init"))
        >>> x = torch.rand(12, 1, 8, 8, generator=make_generator(0, "data"))
        >>> G.fit_data(x)["n_components"], G.circuits.n_generators
        (10, 2)
        >>> tuple(G(G.sample_latent(3, make_generator(0, "noise"))).shape)
        (3, 1, 8, 8)
    """

    def __init__(
        self,
        image_size: int = 28,
        n_components: int = 0,
        n_qubits: int = 5,
        depth: int = 6,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        self.image_size = _check_int("image_size", image_size, 2)
        pixels = image_size * image_size
        n = _check_int("n_components", n_components, 0) or default_n_components(image_size)
        if n > pixels:
            raise ValueError(
                f"n_components={n} exceeds the {pixels} pixels of a {image_size}x{image_size} "
                f"image; use --gan.n_components={pixels} or fewer."
            )
        n_qubits = _check_int("n_qubits", n_qubits, 1, MAX_LAYER_QUBITS)
        self.circuits = MosaiQCircuits(
            n_qubits, depth, math.ceil(n / n_qubits), generator=generator
        )
        self.pca = ClassPCA(image_size, n)
        self.latent_dim = n_qubits
        order = torch.tensor(mosaiq_ordering(n, self.circuits.n_generators, n_qubits))
        # slot_of[c]: the output slot that carries component c
        slot_of = torch.argsort(order, stable=True)[int((order < 0).sum()) :]
        self.register_buffer("slot_of", slot_of, persistent=False)
        self.register_buffer("noise_high", torch.tensor(NOISE_LOW, dtype=torch.float64))
        # R_0, the first loss ratio observed (ratio_0[1] = 1 once it is set)
        self.register_buffer("ratio_0", torch.zeros(2, dtype=torch.float64))

    def fit_data(self, real_x: torch.Tensor, *, generator: torch.Generator | None = None) -> dict:
        """Fit the PCA on the class's training images ``(N, 1, H, W)`` (deterministic)."""
        return self.pca.fit(real_x)

    @torch.no_grad()
    def observe_losses(self, loss_d: float, loss_g: float) -> None:
        """Adapt the noise range to ``R = loss_d / loss_g`` (call after every generator step)."""
        if not (math.isfinite(loss_d) and math.isfinite(loss_g)) or loss_g == 0:
            return
        ratio = loss_d / loss_g
        if not self.ratio_0[1]:
            self.ratio_0.copy_(torch.tensor([ratio, 1.0]))
        gap = math.tanh(ratio - float(self.ratio_0[0]))
        self.noise_high.fill_(NOISE_LOW + NOISE_SPAN * max(gap, 0.0))

    def sample_latent(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Unit latents ``(n, n_qubits)`` ~ U[0, 1), drawn on the CPU (scaled in ``forward``).

        The circuit angles are ``u * noise_high``, i.e. U[0, noise_high) as in the reference;
        keeping the range out of ``z`` lets a fixed evaluation batch follow the adapted range.
        """
        return torch.rand(n, self.latent_dim, generator=generator)

    def coefficients(self, z: torch.Tensor) -> torch.Tensor:
        """Scaled PCA coefficients ``(n, n_components)`` in [-1, 1] of unit latents ``z``."""
        angles = z * self.noise_high.to(z.dtype)  # (n, n_qubits) ~ U[0, noise_high)
        return self.circuits(angles)[:, self.slot_of]  # slots -> components in PCA order

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``(n, n_qubits)`` -> ``(n, 1, H, W)`` in [0, 1]."""
        scaled = self.coefficients(z)
        return self.pca.decode(scaled.to(self.pca.components.dtype))


class MosaiQDiscriminator(nn.Module):
    """The reference's discriminator in PCA space: images -> scaled coefficients -> MLP -> logit.

    Shares ``pca`` with its generator (``build_mosaiq``), so fitting the generator fits it too.
    MLP ``n_components -> 64 -> 16 -> 1`` with ReLU (the sigmoid lives in the BCE loss).
    """

    def __init__(self, pca: ClassPCA, *, generator: torch.Generator | None = None):
        super().__init__()
        self.pca = pca
        self.image_size = pca.image_size
        g = resolve_generator(generator)
        n = pca.n_components
        self.net = nn.Sequential(
            make_linear(n, 64, g), nn.ReLU(), make_linear(64, 16, g), nn.ReLU(),
            make_linear(16, 1, g),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(n, 1, H, W)`` -> ``(n, 1)`` logits."""
        return self.net(self.pca.encode(x))


def build_mosaiq(image_size: int, config, generator: torch.Generator) -> tuple[nn.Module, nn.Module]:
    """``(MosaiQGenerator, MosaiQDiscriminator)`` from a ``GANConfig`` (G first, then D).

    Reads ``config.n_components`` (0 = by image size), ``config.n_qubits`` and ``config.depth``.
    """
    G = MosaiQGenerator(
        image_size,
        n_components=config.n_components,
        n_qubits=config.n_qubits,
        depth=config.depth,
        generator=generator,
    )
    return G, MosaiQDiscriminator(G.pca, generator=generator)
