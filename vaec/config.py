"""Typed configuration of a VAEC."""

from __future__ import annotations

import dataclasses
from typing import Sequence

from genlab.errors import ConfigError
from genlab.layers import LayerSpec, as_layer_specs


@dataclasses.dataclass(frozen=True)
class VAECConfig:
    """Architecture and loss weights of a :class:`vaec.VAEC`.

    Attributes:
        input_shape: Shape of one input, ``(n_features,)`` for vectors or ``(h, w, c)`` for images.
        n_classes: Number of classes of the head (>= 2).
        latent_dim: Size of z (2 gives plottable latent spaces).
        encoder_layers: Dense layer specs of the encoder after the optional conv stack.
        decoder_layers: Dense layer specs of the decoder; ``None`` mirrors ``encoder_layers``.
        head_layers: Dense layer specs of the classifier head on z.
        conv_filters: Filters of the strided (stride 2, 3x3) conv stack for image inputs; empty
            for vector inputs. The decoder mirrors it with transposed convolutions, so ``h`` and
            ``w`` must be divisible by ``2 ** len(conv_filters)``.
        kl_weight: Weight of the KL term (1.0 is the plain ELBO; smaller is a beta-VAE).
        reconstruction_loss: ``"mse"`` (standardised features) or ``"bce"`` (data in [0, 1]).
        prediction_weight: Weight of the classification loss in ``fit_all_parts``.
        classifier_kl_weight: Weight of the KL term in ``fit_var_mlp_classifier`` (a variational
            information bottleneck: small values keep z informative about the class).
        learning_rate: Adam learning rate of each strategy's default optimizer.
        weight_decay: Decoupled weight decay of the default optimizer (AdamW when > 0).
        seed: Seed of the Sampling layer's generator and of weight initialisation.
    """

    input_shape: tuple[int, ...]
    n_classes: int
    latent_dim: int = 2
    encoder_layers: tuple[LayerSpec, ...] = (LayerSpec(32), LayerSpec(16))
    decoder_layers: tuple[LayerSpec, ...] | None = None
    head_layers: tuple[LayerSpec, ...] = (LayerSpec(16),)
    conv_filters: tuple[int, ...] = ()
    kl_weight: float = 1.0
    reconstruction_loss: str = "mse"
    prediction_weight: float = 1.0
    classifier_kl_weight: float = 1e-3
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    seed: int = 0

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731 - frozen normalisation
        set_("input_shape", tuple(int(d) for d in self.input_shape))
        set_("encoder_layers", as_layer_specs(self.encoder_layers))
        set_("head_layers", as_layer_specs(self.head_layers))
        if self.decoder_layers is not None:
            set_("decoder_layers", as_layer_specs(self.decoder_layers))
        set_("conv_filters", tuple(int(f) for f in self.conv_filters))
        if not self.input_shape or any(d <= 0 for d in self.input_shape):
            raise ConfigError(f"input_shape must hold positive sizes, received {self.input_shape}")
        if self.n_classes < 2:
            raise ConfigError(f"n_classes must be >= 2, received {self.n_classes}")
        if self.latent_dim < 1:
            raise ConfigError(f"latent_dim must be >= 1, received {self.latent_dim}")
        if self.reconstruction_loss not in ("mse", "bce"):
            raise ConfigError(
                f"reconstruction_loss must be 'mse' or 'bce', received {self.reconstruction_loss!r}"
            )
        for name in ("kl_weight", "prediction_weight", "classifier_kl_weight"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, received {getattr(self, name)}")
        if self.weight_decay < 0:
            raise ConfigError(f"weight_decay must be >= 0, received {self.weight_decay}")
        if self.learning_rate <= 0:
            raise ConfigError(f"learning_rate must be > 0, received {self.learning_rate}")
        if self.conv_filters:
            if len(self.input_shape) != 3:
                raise ConfigError(
                    f"conv_filters needs an image input_shape (h, w, c), received {self.input_shape}"
                )
            factor = 2 ** len(self.conv_filters)
            h, w, _ = self.input_shape
            if h % factor or w % factor:
                raise ConfigError(
                    f"image size {h}x{w} is not divisible by 2**len(conv_filters) = {factor}; "
                    "use fewer conv layers or pad the images"
                )
        elif len(self.input_shape) != 1:
            raise ConfigError(
                f"vector models need input_shape (n_features,), received {self.input_shape}; "
                "set conv_filters for images"
            )

    @property
    def decoder_specs(self) -> tuple[LayerSpec, ...]:
        """Decoder layer specs: explicit, or the encoder's in reverse order."""
        return self.decoder_layers if self.decoder_layers is not None else self.encoder_layers[::-1]

    def to_dict(self) -> dict:
        """JSON-serializable form (layer specs as dicts)."""
        d = dataclasses.asdict(self)
        d["input_shape"] = list(self.input_shape)
        d["conv_filters"] = list(self.conv_filters)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "VAECConfig":
        """Inverse of :meth:`to_dict`."""
        d = dict(d)
        unknown = set(d) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ConfigError(f"VAECConfig has no fields {sorted(unknown)}")
        return cls(**d)

    @classmethod
    def for_vectors(cls, n_features: int, n_classes: int, hidden: Sequence = (32, 16), **kw):
        """Shorthand for a vector model with the given encoder widths."""
        return cls(input_shape=(n_features,), n_classes=n_classes, encoder_layers=tuple(hidden), **kw)
