"""The reparameterisation layer of the VAE."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="vaec")
class Sampling(keras.layers.Layer):
    """Draw ``z = z_mean + exp(0.5 * z_log_var) * eps`` with ``eps ~ N(0, I)``.

    The layer always samples (in training and inference); models that want a deterministic code
    use ``z_mean`` directly. Noise comes from a ``keras.random.SeedGenerator`` held by the layer,
    so runs are reproducible without touching global random state.

    Args:
        seed: Integer seed of the layer's generator; ``None`` picks one at random.
        **kwargs: Standard layer arguments (``name``, ``dtype``...).

    Example:
        >>> z = Sampling(seed=1)([z_mean, z_log_var])
    """

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), dtype=z_mean.dtype, seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
