"""``GANConfig`` (architecture of a generator/discriminator pair) and its size helpers."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from qaug._config import HASH_IF_CHANGED
from qaug._registry import DISCRIMINATOR_KINDS, GENERATOR_KINDS

__all__ = [
    "GENERATOR_KINDS",
    "DISCRIMINATOR_KINDS",
    "GANConfig",
    "fit_qgan_to_image",
    "default_gan_config",
    "DEFAULT_POST_HIDDEN",
]



def _check_image_size(image_size: int, name: str = "image_size") -> int:
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 4:
        raise ValueError(f"{name} must be an integer >= 4 (e.g. 8, 16, 28); got {image_size!r}.")
    return image_size


def _check_positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")


@dataclass(frozen=True)
class GANConfig:
    """Architecture of a generator/discriminator pair (the image size comes from the data).

    Attributes:
        kind: default generator kind, one of ``GENERATOR_KINDS`` (``build_gan``'s ``kind``
            argument takes precedence; the CLI and experiments read this field).
        n_qubits, n_ancillas, depth, n_generators: patch quantum generator (PennyLane demo:
            5 qubits, 1 ancilla, 6 layers, 4 sub-generators -> 4 x 16 = 64 pixels).
        post_hidden: hidden width of the QGAN's classical post-network (patches -> hidden ->
            image, the paper's "VQC + classical NN"); 0 = no post-network, valid only when
            the patches give exactly ``image_size**2`` pixels (8x8 with the demo circuit).
        patch_scale: QGAN only: learn one brightness per patch (``n_generators`` classical
            parameters; see ``QGANGenerator``). On by default: without it MNIST digits at 8x8
            come out as speckle (every patch peaks at exactly 1); ``False`` is the bare demo.
        latent_dim: latent size of the classical GAN and DCGAN (N(0, 1) noise); the QGAN's
            latent size is ``n_qubits`` (U[0, pi/2) noise, as in the demo).
        gan_hidden: hidden widths of the MLP generator.
        dcgan_width: base channel count of the DCGAN generator and discriminator (see
            ``dcgan_width_for_params`` to match a parameter budget), and the channel count
            of the ``upconv`` generator (see ``upconv_config_for_params``).
        discriminator: ``"auto"`` (MLP for qgan/gan, the DCGAN discriminator for dcgan),
            ``"mlp"``, ``"cnn"`` (small conv net) or ``"dcgan"``.
        disc_hidden: hidden widths of the MLP discriminator; empty = scaled to the image:
            ``(min(H*W, 256), min(H*W, 256) // 4)``, i.e. the demo's 64-64-16-1 at 8x8.
        disc_channels: channels of the two conv layers of the ``"cnn"`` discriminator.
        n_patches: PQWGAN only: sub-generators (patches); 0 = one per image row (the paper's
            28 at 28x28). PQWGAN also reads ``n_ancillas`` and ``depth``; its data qubits
            follow from the patch size.
        n_components: MosaiQ only: PCA components; 0 = by image size (40 at 28x28, 30 from
            16x16, else 20). MosaiQ also reads ``n_qubits`` (5) and ``depth`` (6).
        code_dim: ``latent`` kind: the autoencoder's code size, which must equal
            ``n_generators * n_qubits`` (one ``<Z>`` per code dimension); 0 = that product.
        ae_channels: ``latent`` kind: channels of the autoencoder's two conv stages.
        ae_epochs: ``latent`` kind: autoencoder training epochs (on the class's images).

    ``n_qubits``, ``depth`` and ``n_generators`` also size the ``latent`` kind's circuits
    (``default_gan_config("latent")``: 4 circuits of 4 qubits, depth 4).
    """

    kind: str = "qgan"
    n_qubits: int = 5
    n_ancillas: int = 1
    depth: int = 6
    n_generators: int = 4
    post_hidden: int = 0
    patch_scale: bool = True
    latent_dim: int = 16
    gan_hidden: tuple[int, ...] = (64, 128)
    dcgan_width: int = 8
    discriminator: str = "auto"
    disc_hidden: tuple[int, ...] = ()
    disc_channels: tuple[int, int] = (8, 16)
    # Added after results were committed: hashed only when changed (qaug._config.HASH_IF_CHANGED)
    n_patches: int = field(default=0, metadata=HASH_IF_CHANGED)
    n_components: int = field(default=0, metadata=HASH_IF_CHANGED)
    code_dim: int = field(default=0, metadata=HASH_IF_CHANGED)
    ae_channels: tuple[int, int] = field(default=(16, 32), metadata=HASH_IF_CHANGED)
    ae_epochs: int = field(default=150, metadata=HASH_IF_CHANGED)

    def __post_init__(self):
        if self.kind not in GENERATOR_KINDS:
            raise ValueError(
                f"GANConfig.kind must be one of {list(GENERATOR_KINDS)}; got {self.kind!r}."
            )
        if self.discriminator not in DISCRIMINATOR_KINDS:
            raise ValueError(
                f"GANConfig.discriminator must be one of {list(DISCRIMINATOR_KINDS)}; "
                f"got {self.discriminator!r}."
            )
        if (
            isinstance(self.post_hidden, bool)
            or not isinstance(self.post_hidden, int)
            or self.post_hidden < 0
        ):
            raise ValueError(
                f"GANConfig.post_hidden must be an integer >= 0 (0 = no post-network); "
                f"got {self.post_hidden!r}."
            )
        for name in ("n_patches", "n_components"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(
                    f"GANConfig.{name} must be an integer >= 0 (0 = by image size); got {v!r}."
                )
        if isinstance(self.code_dim, bool) or not isinstance(self.code_dim, int) or (
            self.code_dim < 0
        ):
            raise ValueError(
                f"GANConfig.code_dim must be an integer >= 0 (0 = n_generators * n_qubits); "
                f"got {self.code_dim!r}."
            )
        if len(self.ae_channels) != 2:
            raise ValueError(
                f"GANConfig.ae_channels must be two channel counts, e.g. (16, 32); "
                f"got {self.ae_channels!r}."
            )
        for name in ("latent_dim", "dcgan_width", "ae_epochs"):
            _check_positive(f"GANConfig.{name}", getattr(self, name))
        for name in ("gan_hidden", "disc_hidden", "disc_channels", "ae_channels"):
            for v in getattr(self, name):
                _check_positive(f"every entry of GANConfig.{name}", v)
        if len(self.gan_hidden) == 0:
            raise ValueError(
                "GANConfig.gan_hidden needs at least one hidden width, e.g. (64, 128)."
            )


DEFAULT_POST_HIDDEN = 64

# Architecture defaults of kinds that differ from GANConfig's (which are the qgan demo's).
_GAN_KIND_DEFAULTS: dict[str, dict] = {
    "latent": {"n_qubits": 4, "depth": 4, "n_generators": 4},
    # its classical control: an MLP of width 5 (121 parameters) instead of the 128 angles
    "latent_mlp": {"n_qubits": 4, "depth": 4, "n_generators": 4, "gan_hidden": (5,)},
}


def default_gan_config(kind: str, **changes) -> GANConfig:
    """``GANConfig(kind=kind)`` with the kind's own architecture defaults, then ``changes``.

    Example:
        >>> default_gan_config("latent").n_qubits, default_gan_config("qgan").n_qubits
        (4, 5)
    """
    if kind not in GENERATOR_KINDS:
        raise ValueError(f"kind must be one of {list(GENERATOR_KINDS)}; got {kind!r}.")
    return GANConfig(kind=kind, **{**_GAN_KIND_DEFAULTS.get(kind, {}), **changes})


def fit_qgan_to_image(
    config: GANConfig, image_size: int, *, grow_generators: bool = True
) -> GANConfig:
    """Make a QGAN config produce ``image_size x image_size`` images.

    If the patches already tile the image, or a post-network is set, ``config`` is returned as
    is. Otherwise, when ``grow_generators`` and ``image_size**2`` is a multiple of the patch size
    ``2**(n_qubits - n_ancillas)``, the patch method scales by sub-generators (16x16: 16,
    28x28: 49), keeping the generator quantum (an MLP post-network collapsed at 28x28); else a
    classical post-network of width ``DEFAULT_POST_HIDDEN`` maps the patches to the image.

    Example:
        >>> fit_qgan_to_image(GANConfig(), 28).n_generators
        49
        >>> fit_qgan_to_image(GANConfig(), 10).post_hidden
        64
    """
    pixels = _check_image_size(image_size) ** 2
    patch = 2 ** max(config.n_qubits - config.n_ancillas, 0)
    if config.kind != "qgan" or config.post_hidden > 0 or config.n_generators * patch == pixels:
        return config
    if grow_generators and pixels % patch == 0:
        return dataclasses.replace(config, n_generators=pixels // patch)
    return dataclasses.replace(config, post_hidden=DEFAULT_POST_HIDDEN)
