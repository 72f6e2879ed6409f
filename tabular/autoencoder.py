"""Autoencoder of encoded rows and a GAN in its latent space (the study's "AE + GAN").

:class:`TabularAutoencoder` compresses encoded rows (target included) to a tanh latent code and
decodes them with a tanh output, trained with the SmoothL1 (Huber, delta 1) loss,
ReduceLROnPlateau and early stopping on the validation loss. :class:`AutoencoderGAN` then trains
a GAN on the latent codes — the study's MSE variant (:class:`LatentLSGAN`, least-squares losses)
or a WGAN-GP (:class:`gans.WGANGP`) — and decodes generated codes to rows.

Example:
    >>> synth = AutoencoderGAN(ds.transformer, AutoencoderGANConfig(variant="wgan_gp"), seed=0)
    >>> synth.fit(ds.transformer.transform(split.train))
    >>> rows = synth.generate(1000)
"""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from gans._adversarial import AdversarialModel
from gans.wgan_gp import WGANGP
from genlab.errors import ConfigError, unknown_name
from genlab.layers import LayerSpec, as_layer_specs, build_mlp
from tabular.gan import RestoreBestEarlyStopping
from tabular.losses import least_squares_discriminator_loss, least_squares_generator_loss
from tabular.transformer import TabularTransformer


@keras.saving.register_keras_serializable(package="tabular")
class TabularAutoencoder(keras.Model):
    """Encoder ``width -> ... -> latent (tanh)`` and decoder ``latent -> ... -> width (tanh)``.

    Args:
        width: Encoded row width.
        latent_dim: Code width.
        hidden: Encoder hidden specs; the decoder mirrors them.
        **kwargs: ``keras.Model`` arguments.
    """

    def __init__(self, width: int, latent_dim: int = 16, hidden=(128, 64), **kwargs):
        super().__init__(**kwargs)
        self.width, self.latent_dim = int(width), int(latent_dim)
        self.hidden = as_layer_specs(hidden)
        self.encoder = build_mlp(self.width, self.hidden, self.latent_dim, "tanh", name="encoder")
        self.decoder = build_mlp(self.latent_dim, self.hidden[::-1], self.width, "tanh", name="decoder")

    def call(self, x, training=False):
        return self.decoder(self.encoder(x, training=training), training=training)  # (batch, width)

    def compile(self, learning_rate: float = 1e-3, **kwargs):
        """Adam and the SmoothL1 (Huber, delta 1) reconstruction loss."""
        kwargs.setdefault("optimizer", keras.optimizers.Adam(learning_rate))
        kwargs.setdefault("loss", keras.losses.Huber(delta=1.0))
        super().compile(**kwargs)

    def train(self, x, epochs: int = 100, batch_size: int = 128, validation_split: float = 0.1,
              patience: int = 10, callbacks=(), verbose: int = 0) -> keras.callbacks.History:
        """Fit ``x -> x`` with ReduceLROnPlateau and early stopping on ``val_loss`` (best weights kept)."""
        if self.optimizer is None:
            self.compile()
        schedule = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5,
                                                     patience=max(1, patience // 2), min_lr=1e-5)
        stopper = RestoreBestEarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
        x = np.asarray(x, np.float32)
        return self.fit(x, x, epochs=epochs, batch_size=batch_size, validation_split=validation_split,
                        shuffle=True, callbacks=[schedule, stopper, *callbacks], verbose=verbose)

    def get_config(self):
        return {**super().get_config(), "width": self.width, "latent_dim": self.latent_dim,
                "hidden": [s.to_dict() for s in self.hidden]}


@keras.saving.register_keras_serializable(package="tabular")
class LatentLSGAN(AdversarialModel):
    """GAN with least-squares ("MSE") losses, the study's latent GAN.

    Losses: :func:`~tabular.losses.least_squares_discriminator_loss` /
    :func:`~tabular.losses.least_squares_generator_loss`. Default optimizers Adam(2e-4, beta_1=0.5).
    """

    def _critic_terms(self, real, fake, one_hot) -> dict:
        return {"d_loss": least_squares_discriminator_loss(self._critic(real, one_hot, training=True),
                                                           self._critic(fake, one_hot, training=True))}

    def _generator_loss(self, fake_scores):
        return least_squares_generator_loss(fake_scores)

    def _default_optimizer(self):
        return keras.optimizers.Adam(2e-4, beta_1=0.5)


VARIANTS = ("mse", "wgan_gp")


@dataclasses.dataclass(frozen=True)
class AutoencoderGANConfig:
    """Configuration of :class:`AutoencoderGAN`.

    Attributes:
        variant: ``"mse"`` (least-squares latent GAN, the study's) or ``"wgan_gp"``.
        latent_dim: Autoencoder code width.
        ae_hidden: Encoder hidden specs (decoder mirrored).
        ae_epochs, ae_patience: Autoencoder epochs and early-stopping patience.
        noise_dim: Latent GAN noise width.
        gan_hidden: Hidden specs of the latent generator and critic.
        gan_epochs: Latent GAN epochs.
        batch_size: Rows per step.
    """

    variant: str = "mse"
    latent_dim: int = 16
    ae_hidden: tuple = (128, 64)
    ae_epochs: int = 100
    ae_patience: int = 10
    noise_dim: int = 32
    gan_hidden: tuple = (LayerSpec(128, "leaky_relu"), LayerSpec(128, "leaky_relu"))
    gan_epochs: int = 100
    batch_size: int = 128

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise unknown_name("AutoencoderGANConfig.variant", self.variant, VARIANTS)
        for name in ("latent_dim", "ae_epochs", "noise_dim", "gan_epochs", "batch_size"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ConfigError(f"AutoencoderGANConfig.{name} must be an int >= 1, received "
                                  f"{getattr(self, name)!r}")
        object.__setattr__(self, "ae_hidden", as_layer_specs(self.ae_hidden))
        object.__setattr__(self, "gan_hidden", as_layer_specs(self.gan_hidden))


class AutoencoderGAN:
    """Synthesizer: autoencoder on encoded rows, then a GAN on the latent codes.

    Args:
        transformer: Fitted transformer (with the target: rows are modelled with their label).
        config: :class:`AutoencoderGANConfig`.
        seed: Seed of the latent GAN's noise stream.
    """

    def __init__(self, transformer: TabularTransformer, config: AutoencoderGANConfig = AutoencoderGANConfig(),
                 seed: int | None = None):
        transformer._check_fitted()
        self.transformer, self.config, self.seed = transformer, config, seed
        c = config
        self.autoencoder = TabularAutoencoder(transformer.output_width_, c.latent_dim, c.ae_hidden,
                                              name="autoencoder")
        generator = build_mlp(c.noise_dim, c.gan_hidden, c.latent_dim, "tanh", name="latent_generator")
        critic = build_mlp(c.latent_dim, c.gan_hidden, 1, name="latent_critic")
        self.gan = (LatentLSGAN(generator, critic, seed=seed) if c.variant == "mse"
                    else WGANGP(generator, critic, seed=seed))

    @property
    def generator(self) -> keras.Model:
        return self.gan.generator

    def fit(self, x, ae_callbacks=(), gan_callbacks=(), verbose: int = 0) -> dict:
        """Train the autoencoder on encoded rows ``x`` (target last), then the latent GAN.

        Returns:
            ``{"autoencoder": History, "gan": History}``.
        """
        x = np.asarray(x, np.float32)
        c = self.config
        self.autoencoder.compile()
        ae_history = self.autoencoder.train(x, epochs=c.ae_epochs, batch_size=c.batch_size,
                                            patience=c.ae_patience, callbacks=ae_callbacks, verbose=verbose)
        codes = self.autoencoder.encoder.predict(x, batch_size=1024, verbose=0)
        self.gan.compile()
        gan_history = self.gan.fit(codes, epochs=c.gan_epochs, batch_size=c.batch_size, shuffle=True,
                                   callbacks=list(gan_callbacks), verbose=verbose)
        return {"autoencoder": ae_history, "gan": gan_history}

    def generate_encoded(self, n: int) -> np.ndarray:
        codes = self.gan.generate(n)
        decoded = self.autoencoder.decoder.predict(codes, batch_size=1024, verbose=0)
        return self.transformer.snap(decoded)

    def generate(self, n: int) -> pd.DataFrame:
        """``n`` rows in the original schema, decoded from generated latent codes."""
        return self.transformer.inverse_transform(self.generate_encoded(n))

    def sample(self, n: int, conditions=None) -> pd.DataFrame:
        if conditions is not None:
            raise ConfigError("AutoencoderGAN is unconditional; drop conditions=")
        return self.generate(n)

    def save(self, directory) -> Path:
        """Write ``config.json``, the two weight files and ``transformer.pkl`` into ``directory``.

        The transformer is pickled: load directories you trust only.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        config = dataclasses.asdict(self.config)
        config["gan_hidden"] = [s.to_dict() for s in self.config.gan_hidden]
        config["ae_hidden"] = [s.to_dict() for s in self.config.ae_hidden]
        (directory / "config.json").write_text(json.dumps({"config": config, "seed": self.gan.seed}))
        self.autoencoder.save_weights(directory / "autoencoder.weights.h5")
        self.gan.save_weights(directory / "gan.weights.h5")
        with open(directory / "transformer.pkl", "wb") as fh:
            pickle.dump(self.transformer, fh)
        return directory

    @classmethod
    def load(cls, directory) -> "AutoencoderGAN":
        """Rebuild a synthesizer written by :meth:`save`."""
        directory = Path(directory)
        names = ("config.json", "autoencoder.weights.h5", "gan.weights.h5", "transformer.pkl")
        missing = [n for n in names if not (directory / n).exists()]
        if missing:
            raise ConfigError(f"{directory} lacks {missing}; give a directory written by AutoencoderGAN.save")
        saved = json.loads((directory / "config.json").read_text())
        config = saved["config"]
        with open(directory / "transformer.pkl", "rb") as fh:
            transformer = pickle.load(fh)  # noqa: S301 (the user's own saved model)
        synth = cls(transformer, AutoencoderGANConfig(**config), seed=saved["seed"])
        synth.autoencoder.build((None, transformer.output_width_))
        synth.autoencoder.load_weights(directory / "autoencoder.weights.h5")
        synth.gan.load_weights(directory / "gan.weights.h5")
        return synth
