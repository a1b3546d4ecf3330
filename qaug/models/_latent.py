"""The ``latent`` kind: a VQC generates the latent code of a frozen autoencoder's decoder.

The paper's generator is "VQC followed by a classical neural network"; LatentQGAN
(Vieloszynski et al. 2024) makes that concrete: a small convolutional autoencoder is trained on
the real images, then a small quantum generator learns to produce codes that the frozen decoder
turns into images. Here:

- ``fit_data`` (called once by ``train_gan`` before the first iteration) trains the autoencoder
  on the class's training images (seeded, ``ae_epochs`` epochs of Adam on binary cross-entropy,
  a little Gaussian noise on the codes so the decoder is smooth between them), freezes the
  decoder and records each code dimension's range on the training images;
- ``LatentCircuits``: ``n_generators`` circuits of ``n_qubits`` wires share the noise ``z``
  (``(n, n_qubits)`` angles in [0, pi)); each is RY(z_i) on wire i, then ``depth`` layers of
  RY, RZ on every wire and a CNOT ring (``qaug.quantum.vqc_expvals``), and gives ``<Z_i>``
  of its wires: ``n_generators * n_qubits`` values in [-1, 1];
- those are mapped affinely onto the recorded code range (``-1 -> min``, ``1 -> max`` per
  dimension) and decoded to ``(n, 1, H, W)`` in [0, 1].

Only the circuit angles are trained adversarially (all quantum); the decoder and the code
range are frozen classical parameters (``count_parameters(G, frozen=True)["frozen"]``), and the
encoder is discarded after fitting. The discriminator sees images (gradients reach the circuit
through the frozen decoder).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import skip_init

from qaug.models._gan_config import GANConfig
from qaug.models._init import init_uniform_, make_conv2d, make_linear, resolve_generator
from qaug.models._latent_circuits import MAX_LATENT_QUBITS, LatentCircuits, latent_expvals

__all__ = [
    "LatentCircuits",
    "LatentQGANGenerator",
    "build_latent_gan",
    "latent_expvals",
    "MAX_LATENT_QUBITS",
]

AE_LR = 2e-3
AE_BATCH = 32
AE_CODE_NOISE = 0.1  # std of the Gaussian noise on codes while fitting, relative to each dim's


def _side(image_size: int) -> int:
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 4 or (
        image_size % 4
    ):
        raise ValueError(
            f"the latent kind's autoencoder halves the image twice, so image_size must be a "
            f"multiple of 4 (8, 12, 16, 28, ...); got {image_size!r}. Resize the data (e.g. "
            "--image-size 28) or use --generator qgan."
        )
    return image_size // 4


def _convt(a: int, b: int, g: torch.Generator) -> nn.ConvTranspose2d:
    layer = skip_init(nn.ConvTranspose2d, a, b, 4, 2, 1)
    init_uniform_(layer, g)
    return layer


def _decoder(code_dim, side, c1, c2, g) -> nn.Sequential:
    """Code ``(n, code_dim)`` -> ``(n, c2, s, s)`` -> ``(n, c1, 2s, 2s)`` -> ``(n, 1, 4s, 4s)``."""
    return nn.Sequential(
        make_linear(code_dim, c2 * side * side, g),
        nn.LeakyReLU(0.2),
        nn.Unflatten(1, (c2, side, side)),
        _convt(c2, c1, g),
        nn.LeakyReLU(0.2),
        _convt(c1, 1, g),
        nn.Sigmoid(),
    )


def _encoder(code_dim, side, c1, c2, g) -> nn.Sequential:
    """``(n, 1, 4s, 4s)`` -> ``(n, c1, 2s, 2s)`` -> ``(n, c2, s, s)`` -> code ``(n, code_dim)``."""
    return nn.Sequential(
        make_conv2d(1, c1, 4, g, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        make_conv2d(c1, c2, 4, g, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        make_linear(c2 * side * side, code_dim, g),
    )


class LatentQGANGenerator(nn.Module):
    """VQC -> frozen decoder generator (the ``latent`` kind; see the module docstring).

    Args:
        image_size: side H = W (a multiple of 4).
        n_qubits, depth, n_generators: the circuits (``LatentCircuits``).
        code_dim: the autoencoder's code size; must equal ``n_generators * n_qubits`` (0 =
            that product).
        ae_channels: channels ``(c1, c2)`` of the autoencoder's two conv stages.
        ae_epochs: autoencoder training epochs in ``fit_data``.
        generator: CPU ``torch.Generator`` for the initial weights (circuits, then decoder).

    Shapes: ``forward(z)``: ``(n, n_qubits)`` -> ``(n, 1, H, W)`` float in [0, 1].

    Example:
        >>> from qaug._seed import make_generator
        >>> G = LatentQGANGenerator(8, generator=make_generator(0, "init"))
        >>> z = G.sample_latent(2, make_generator(0, "noise"))
        >>> tuple(G(z).shape), G.latent_dim, G.code_dim
        ((2, 1, 8, 8), 4, 16)
    """

    def __init__(
        self,
        image_size: int = 8,
        n_qubits: int = 4,
        depth: int = 4,
        n_generators: int = 4,
        code_dim: int = 0,
        ae_channels: tuple[int, int] = (16, 32),
        ae_epochs: int = 150,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        side = _side(image_size)
        g = resolve_generator(generator)
        self.circuits = LatentCircuits(n_qubits, depth, n_generators, generator=g)
        n_out = self.circuits.n_outputs
        if code_dim not in (0, n_out):
            raise ValueError(
                f"latent generator: the circuits give n_generators * n_qubits = {n_generators} * "
                f"{n_qubits} = {n_out} expectation values, one per code dimension, but code_dim "
                f"is {code_dim}. Set --gan.code_dim={n_out} (or 0), or choose n_generators and "
                f"n_qubits whose product is {code_dim}."
            )
        if isinstance(ae_epochs, bool) or not isinstance(ae_epochs, int) or ae_epochs < 1:
            raise ValueError(f"latent generator: ae_epochs must be an integer >= 1; got {ae_epochs!r}.")
        self.image_size, self.latent_dim, self.code_dim = image_size, n_qubits, n_out
        self.ae_channels, self.ae_epochs = tuple(ae_channels), ae_epochs
        self.decoder = _decoder(n_out, side, *self.ae_channels, g).requires_grad_(False)
        # Code range on the training images, set by fit_data: <Z> = -1 -> low, +1 -> high.
        self.code_low = nn.Parameter(-torch.ones(n_out), requires_grad=False)
        self.code_high = nn.Parameter(torch.ones(n_out), requires_grad=False)

    def sample_latent(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Noise angles ``(n, n_qubits)`` ~ U[0, pi), drawn on the CPU from ``generator``."""
        return torch.rand(n, self.latent_dim, generator=generator) * math.pi

    def codes(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder input: ``(n, n_qubits)`` -> ``(n, code_dim)`` in the fitted code range."""
        e = self.circuits(z).to(self.code_low.dtype)  # (n, code_dim) in [-1, 1]
        return self.code_low + (e + 1) / 2 * (self.code_high - self.code_low)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``(n, n_qubits)`` -> ``(n, 1, H, W)`` in [0, 1]."""
        return self.decoder(self.codes(z))

    def fit_data(self, real_x: torch.Tensor, *, generator: torch.Generator) -> dict:
        """Train the autoencoder on ``real_x`` ``(N, 1, H, W)``, freeze the decoder, set the range.

        Returns ``{"ae_epochs", "ae_loss"}`` (the last epoch's mean reconstruction BCE).
        """
        x = real_x.detach().float()
        side = self.image_size // 4
        enc = _encoder(self.code_dim, side, *self.ae_channels, generator).to(x.device)
        self.decoder.requires_grad_(True)
        params = [*enc.parameters(), *self.decoder.parameters()]
        from qaug.train._kernels import LeanAdam  # (qaug.train imports qaug.models)

        opt = LeanAdam(params, lr=AE_LR)
        loss_sum = 0.0
        for _ in range(self.ae_epochs):
            order = torch.randperm(len(x), generator=generator)
            loss_sum = 0.0
            for i in range(0, len(x), AE_BATCH):
                xb = x[order[i : i + AE_BATCH].to(x.device)]  # (b, 1, H, W)
                code = enc(xb)  # (b, code_dim)
                # Noise on the codes, scaled per dimension: the decoder must be smooth around
                # each training code, since the generator's codes will not hit them exactly.
                scale = code.detach().std(0, keepdim=True).nan_to_num(0.0) * AE_CODE_NOISE
                noise = torch.randn(code.shape, generator=generator).to(code.device)
                loss = F.binary_cross_entropy(self.decoder(code + scale * noise), xb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                loss_sum += loss.item() * len(xb)
        self.decoder.requires_grad_(False)
        with torch.no_grad():
            codes = enc(x)  # (N, code_dim)
            low, high = codes.amin(0), codes.amax(0)
            self.code_low.copy_(low)
            self.code_high.copy_(high)
        return {"ae_epochs": self.ae_epochs, "ae_loss": loss_sum / len(x)}


def build_latent_gan(
    image_size: int, config: GANConfig, generator: torch.Generator
) -> tuple[nn.Module, nn.Module]:
    """``(LatentQGANGenerator, discriminator)`` from ``config`` (``build_gan("latent", ...)``).

    The discriminator follows ``config.discriminator``; ``"auto"`` is the small conv net
    (``CNNDiscriminator``).
    """
    from qaug.models._gan_build import build_discriminator

    G = LatentQGANGenerator(
        image_size,
        n_qubits=config.n_qubits,
        depth=config.depth,
        n_generators=config.n_generators,
        code_dim=config.code_dim,
        ae_channels=config.ae_channels,
        ae_epochs=config.ae_epochs,
        generator=generator,
    )
    return G, build_discriminator("latent", image_size, config, generator)
