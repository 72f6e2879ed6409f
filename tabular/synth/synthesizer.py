"""The synthesizer: fit any DataFrame, sample rows (optionally conditioned), save/load, export.

Two methods share the :class:`~tabular.synth.transformer.MixedTransformer` encoding and the
graph sampler (:mod:`tabular.synth.sampler`):

- ``"tvae"`` (default) — :class:`~tabular.synth.networks.TabularVAE`. On Adult it beats the
  conditional GAN and CTGAN on every metric of the "Tabular" protocol and trains several times
  faster (``benchmarks/tabular_vs_ctgan.py``, ``runs/tabular_synth.py``). Conditions are
  guaranteed by rejection sampling, then forcing (see :mod:`tabular.synth.sampler`).
- ``"ctgan"`` — :class:`~tabular.synth.networks.ConditionalTabularGAN`: conditional vector with
  training-by-sampling, PacGAN, WGAN-GP, Gumbel-softmax heads, residual generator. Conditions
  go into the conditional vector and are then guaranteed the same way.

Persistence without pickle: ``save(dir)`` writes ``synthesizer.json`` (method, configs and the
transformer's fitted state) and ``model.keras`` (the Keras model: config JSON + weights).
``export(dir)`` writes a SavedModel any TensorFlow user can sample from (see :meth:`export`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Mapping

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from genlab.errors import ConfigError, InvalidValueError, NotFittedError, unknown_name
from tabular.synth.networks import ConditionSampler, ConditionalTabularGAN, TabularVAE
from tabular.synth.sampler import GraphSampler
from tabular.synth.transformer import MixedTransformer, check_frame

METHODS = ("tvae", "ctgan")
_FORMAT = 1


def _check_positive(owner: str, **values):
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ConfigError(f"{owner}.{name} must be a number > 0, received {value!r}")


@dataclasses.dataclass(frozen=True)
class TVAEConfig:
    """Network and optimiser of the ``"tvae"`` method (TVAE's published defaults).

    Attributes:
        latent_dim: Latent width.
        hidden: Encoder hidden widths (the decoder mirrors them).
        loss_factor: Reconstruction weight against the KL term.
        learning_rate: Adam learning rate.
        weight_decay: Adam's decoupled weight decay.
        batch_size: Rows per step.
        discrete: Decoding of softmax spans when sampling: ``"sample"`` (default: a Gumbel-max
            draw from the decoder's categorical distribution, which keeps minority categories and
            modes) or ``"argmax"`` (TVAE's original mode decoding).
        prior_components: Components of the diagonal Gaussian mixture fitted to the aggregate
            posterior after training and sampled instead of N(0, I) (default 50; ``0``: TVAE's
            standard normal prior). See :class:`TabularVAE`.
    """

    latent_dim: int = 128
    hidden: tuple = (128, 128)
    loss_factor: float = 2.0
    learning_rate: float = 1e-3
    weight_decay: float = 1e-5
    batch_size: int = 500
    discrete: str = "sample"
    prior_components: int = 50

    def __post_init__(self):
        if isinstance(self.prior_components, bool) or not isinstance(self.prior_components, int) \
                or self.prior_components < 0:
            raise ConfigError(f"TVAEConfig.prior_components must be an int >= 0, received {self.prior_components!r}")
        _check_positive("TVAEConfig", latent_dim=self.latent_dim, loss_factor=self.loss_factor,
                        learning_rate=self.learning_rate, batch_size=self.batch_size)
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if self.discrete not in ("argmax", "sample"):
            raise ConfigError(f"TVAEConfig.discrete must be 'argmax' or 'sample', received {self.discrete!r}")


@dataclasses.dataclass(frozen=True)
class CTGANConfig:
    """Networks and optimisers of the ``"ctgan"`` method (CTGAN's published defaults).

    Attributes:
        latent_dim: Noise width.
        generator_dims: Residual block widths.
        critic_dims: Critic hidden widths.
        pac: Rows per critic input (PacGAN); ``batch_size`` must be a multiple of it.
        gp_weight: Gradient-penalty weight.
        tau: Gumbel-softmax temperature.
        critic_steps: Critic updates per generator update.
        learning_rate: Adam learning rate of both networks (betas 0.5, 0.9).
        weight_decay: Adam's decoupled weight decay.
        batch_size: Rows per step.
    """

    latent_dim: int = 128
    generator_dims: tuple = (256, 256)
    critic_dims: tuple = (256, 256)
    pac: int = 10
    gp_weight: float = 10.0
    tau: float = 0.2
    critic_steps: int = 1
    learning_rate: float = 2e-4
    weight_decay: float = 1e-6
    batch_size: int = 500

    def __post_init__(self):
        _check_positive("CTGANConfig", latent_dim=self.latent_dim, pac=self.pac, tau=self.tau,
                        critic_steps=self.critic_steps, learning_rate=self.learning_rate, batch_size=self.batch_size)
        object.__setattr__(self, "generator_dims", tuple(int(h) for h in self.generator_dims))
        object.__setattr__(self, "critic_dims", tuple(int(h) for h in self.critic_dims))
        if self.batch_size % self.pac:
            raise ConfigError(f"CTGANConfig.batch_size ({self.batch_size}) must be a multiple of pac ({self.pac}); "
                              f"use batch_size={self.batch_size // self.pac * self.pac or self.pac}")


class Synthesizer:
    """Synthesize rows of any DataFrame.

    Args:
        method: ``"tvae"`` (default) or ``"ctgan"``.
        config: :class:`TVAEConfig` / :class:`CTGANConfig` (``None``: the method's defaults).
        column_types: Type overrides ``{column: kind}`` (see :class:`MixedTransformer`).
        epochs: Training epochs (default 300).
        max_modes: Mixture components per numeric column (default 10).
        seed: Seed of the transformer, the model and sampling.
        jit_compile: XLA-compile the train step (default False: on the 2-core test machine XLA's
            compile time outweighed its gain at these network sizes; the TVAE step without XLA
            costs about 9 ms of CPU at batch 500).

    Attributes (after ``fit``):
        transformer_: The fitted :class:`MixedTransformer`.
        model_: The Keras model.
        history_: ``{metric: [per-epoch values]}``.
        seconds_per_epoch_: Mean wall-clock seconds of the training epochs (first epoch, which
            traces and compiles, excluded when there are several).
        cpu_seconds_per_epoch_: The same in process CPU seconds (all threads): robust to other
            jobs sharing the machine.
        last_forced_: Rows of the last :meth:`sample` whose condition had to be forced.

    Raises:
        UnknownNameError: Unknown ``method``.
        ConfigError: Bad ``config``, ``epochs`` or ``seed``.

    Example:
        >>> synth = Synthesizer(epochs=300, seed=0).fit(train)
        >>> rows = synth.sample(1000, conditions={"income": ">50K"})
        >>> synth.save("my_synth"); same = Synthesizer.load("my_synth")
        >>> synth.export("export/")   # tf.saved_model.load("export/").sample(n=..., seed=...)
    """

    def __init__(self, method: str = "tvae", config: TVAEConfig | CTGANConfig | None = None,
                 column_types: Mapping[str, str] | None = None, epochs: int = 300, max_modes: int = 10,
                 seed: int = 0, jit_compile: bool = False):
        if method not in METHODS:
            raise unknown_name("synthesis method", method, METHODS)
        expected = TVAEConfig if method == "tvae" else CTGANConfig
        config = expected() if config is None else config
        if not isinstance(config, expected):
            raise ConfigError(f"method {method!r} takes a {expected.__name__}, received {type(config).__name__}; "
                              f"pass {expected.__name__}(...) or config=None")
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ConfigError(f"epochs must be an int >= 1, received {epochs!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigError(f"seed must be an int >= 0, received {seed!r}")
        self.method, self.config, self.column_types = method, config, dict(column_types or {})
        self.epochs, self.max_modes, self.seed, self.jit_compile = epochs, max_modes, seed, bool(jit_compile)

    # ------------------------------------------------------------------------------ fit
    def fit(self, frame: pd.DataFrame, epochs: int | None = None, callbacks=None, verbose: int = 0) -> "Synthesizer":
        """Fit the transformer and train the model on ``frame``; return ``self``.

        Args:
            frame: Training rows (any mix of numeric, categorical, boolean and missing values).
            epochs: Overrides the constructor's ``epochs``.
            callbacks: Keras callbacks (e.g. TensorBoard).
            verbose: Keras ``fit`` verbosity.
        """
        frame = check_frame(frame)
        epochs = self.epochs if epochs is None else epochs
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ConfigError(f"epochs must be an int >= 1, received {epochs!r}")
        if len(frame) < 2:
            raise InvalidValueError(f"frame has {len(frame)} row; give at least 2 rows to fit a synthesizer")
        transformer = MixedTransformer(self.column_types, self.max_modes, self.seed).fit(frame)
        x = transformer.transform(frame)
        keras.utils.set_random_seed(self.seed)
        model = self._build(transformer)
        timer = _EpochTimer()
        cb = [timer] + list(callbacks or [])
        cfg = self.config
        batch = min(cfg.batch_size, len(x) // (cfg.pac if self.method == "ctgan" else 1) * (
            cfg.pac if self.method == "ctgan" else 1)) or len(x)
        if self.method == "tvae":
            model.compile(keras.optimizers.Adam(cfg.learning_rate, weight_decay=cfg.weight_decay),
                          jit_compile=self.jit_compile)
            # Whole batches only: one batch shape, so XLA compiles the step once.
            data = (tf.data.Dataset.from_tensor_slices(x)
                    .shuffle(len(x), seed=self.seed, reshuffle_each_iteration=True)
                    .batch(batch, drop_remainder=True).prefetch(2))
            history = model.fit(data, epochs=epochs, shuffle=False, callbacks=cb, verbose=verbose)  # shuffled above
            model.fit_prior(x, seed=self.seed)
        else:
            if len(x) < cfg.pac:
                raise InvalidValueError(f"frame has {len(x)} rows, fewer than pac={cfg.pac}; use more rows or a "
                                        "smaller CTGANConfig.pac")
            opt = lambda: keras.optimizers.Adam(cfg.learning_rate, beta_1=0.5, beta_2=0.9,  # noqa: E731
                                                weight_decay=cfg.weight_decay)
            model.compile(opt(), opt(), jit_compile=self.jit_compile)
            sampler = ConditionSampler(x, [(s.start, s.dim) for s in transformer.discrete_spans_], self.seed)
            history = model.fit(sampler.dataset(batch), epochs=epochs, steps_per_epoch=max(len(x) // batch, 1),
                                shuffle=False, callbacks=cb, verbose=verbose)
        self.transformer_, self.model_ = transformer, model
        self.history_ = {k: [float(v) for v in vs] for k, vs in history.history.items()}
        times = timer.times[1:] if len(timer.times) > 1 else timer.times
        self.seconds_per_epoch_ = float(np.mean(times))
        cpu = timer.cpu_times[1:] if len(timer.cpu_times) > 1 else timer.cpu_times
        self.cpu_seconds_per_epoch_ = float(np.mean(cpu))
        self._sampler = None
        return self

    def _build(self, transformer: MixedTransformer):
        spans = [[s.start, s.dim, s.activation] for s in transformer.spans_]
        cfg = self.config
        if self.method == "tvae":
            model = TabularVAE(spans, transformer.output_width_, cfg.latent_dim, cfg.hidden, cfg.loss_factor,
                               seed=self.seed, prior_components=cfg.prior_components)
        else:
            model = ConditionalTabularGAN(
                spans, [[s.start, s.dim] for s in transformer.discrete_spans_], transformer.output_width_,
                cfg.latent_dim, cfg.generator_dims, cfg.critic_dims, cfg.pac, cfg.gp_weight, cfg.tau,
                cfg.critic_steps, seed=self.seed)
        return model

    # ------------------------------------------------------------------------------ sampling
    def _check_fitted(self):
        if not hasattr(self, "model_"):
            raise NotFittedError("this Synthesizer is not fitted yet; call fit(frame) (or Synthesizer.load(dir)) first")

    def graph_sampler(self) -> GraphSampler:
        """The :class:`GraphSampler` of the fitted model (built once)."""
        self._check_fitted()
        if getattr(self, "_sampler", None) is None:
            if self.method == "tvae":
                decoder = self.model_.decoder
                network = lambda noise, cond: decoder(noise, training=False)  # noqa: E731
                sampler = GraphSampler(self.transformer_, network, self.config.latent_dim, self.model_.sigma,
                                       self.config.discrete, latent=self.model_.latent_from_noise)
            else:
                generator = self.model_.generator
                network = lambda noise, cond: generator(tf.concat([noise, cond], 1), training=False)  # noqa: E731
                sampler = GraphSampler(self.transformer_, network, self.config.latent_dim, None, "sample")
            self._sampler = sampler
            self._sample_fn = tf.function(sampler.sample_codes, reduce_retracing=True)
        return self._sampler

    def sample(self, n: int, conditions: Mapping | None = None, seed: int | None = None) -> pd.DataFrame:
        """Draw ``n`` rows in the training frame's schema.

        Args:
            n: Rows to draw (>= 1).
            conditions: ``{column: value}`` or ``{column: [values]}`` on categorical/boolean
                columns; every returned row satisfies all of them (``None`` for a missing value).
            seed: Sampling seed (default: the synthesizer's seed; the same seed gives the same rows).

        Returns:
            DataFrame with the training columns and dtypes (nullable where values are missing).

        Raises:
            NotFittedError: Not fitted.
            ConfigError: ``n`` < 1.
            UnknownNameError / InvalidValueError: A condition on an unknown or non-discrete
                column, or a value that is not a category.
        """
        sampler = self.graph_sampler()
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ConfigError(f"n must be an int >= 1, received {n!r}")
        allowed = sampler.allowed_from_dict(conditions)
        seed = self.seed if seed is None else int(seed)
        codes, forced = self._sample_fn(tf.constant(int(n), tf.int32), tf.constant(seed, tf.int64),
                                        tf.constant(allowed))
        self.last_forced_ = int(forced)
        codes = codes.numpy()
        return self.transformer_.frame_from_codes({c: codes[:, i] for i, c in enumerate(sampler.columns)}, int(n))

    # ------------------------------------------------------------------------------ persistence
    def _state(self) -> dict:
        return {"format": _FORMAT, "method": self.method, "config": dataclasses.asdict(self.config),
                "column_types": self.column_types, "epochs": self.epochs, "max_modes": self.max_modes,
                "seed": self.seed, "jit_compile": self.jit_compile, "transformer": self.transformer_.state_,
                "seconds_per_epoch": self.seconds_per_epoch_,
                "cpu_seconds_per_epoch": self.cpu_seconds_per_epoch_, "history": self.history_}

    def save(self, directory: str | os.PathLike) -> Path:
        """Write ``synthesizer.json`` and ``model.keras`` into ``directory`` (no pickle).

        Everything is written to a temporary directory first and moved into place, so a failure
        leaves nothing behind. Raises :class:`FileExistsError` when ``directory`` is a non-empty
        directory without a saved synthesizer.
        """
        self._check_fitted()
        out = Path(directory)
        if out.exists() and any(out.iterdir()) and not (out / "synthesizer.json").exists():
            raise FileExistsError(f"{out} exists and holds other files; save into a new or empty directory")
        tmp = Path(tempfile.mkdtemp(prefix=".synth-", dir=out.parent if out.parent.exists() else None))
        try:
            (tmp / "synthesizer.json").write_text(json.dumps(self._state(), indent=1) + "\n")
            self.model_.save(tmp / "model.keras")
            out.mkdir(parents=True, exist_ok=True)
            for name in ("synthesizer.json", "model.keras"):
                shutil.move(str(tmp / name), str(out / name))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return out

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "Synthesizer":
        """Rebuild a fitted synthesizer written by :meth:`save`."""
        path = Path(directory)
        if not (path / "synthesizer.json").exists():
            raise FileNotFoundError(f"{path} holds no synthesizer.json; give the directory passed to save()")
        state = json.loads((path / "synthesizer.json").read_text())
        config_cls = TVAEConfig if state["method"] == "tvae" else CTGANConfig
        synth = cls(state["method"], config_cls(**state["config"]), state["column_types"], state["epochs"],
                    state["max_modes"], state["seed"], state["jit_compile"])
        synth.transformer_ = MixedTransformer.from_state(state["transformer"])
        synth.model_ = keras.saving.load_model(path / "model.keras", compile=False)
        synth.seconds_per_epoch_, synth.history_ = state["seconds_per_epoch"], state["history"]
        synth.cpu_seconds_per_epoch_ = state["cpu_seconds_per_epoch"]
        synth._sampler = None
        return synth

    # ------------------------------------------------------------------------------ export
    def export(self, directory: str | os.PathLike) -> Path:
        """Write a SavedModel that samples decoded rows with plain TensorFlow.

        Endpoints (each returns ``{column: tensor}`` in the training schema — strings for
        categorical columns with ``""`` for missing, int64 integers, float64 numbers with NaN for
        missing, bool booleans):

        - ``sample(n: int32, seed: int64)`` — ``n`` rows;
        - ``sample_conditional(n: int32, seed: int64, conditions: string[k])`` — ``n`` rows
          satisfying every ``"column=value"`` entry (several values of one column: any of them);
        - ``decode_noise(noise: float32[batch, latent_dim], seed: int64)`` — one row per noise
          vector (``seed`` drives the output noise / category draws).

        Example:
            >>> m = tf.saved_model.load("export")
            >>> rows = m.sample_conditional(n=100, seed=0, conditions=["income=>50K"])
        """
        sampler = self.graph_sampler()
        out = Path(directory)
        if out.exists() and any(out.iterdir()):
            raise FileExistsError(f"{out} exists and is not empty; export into a new or empty directory")

        def sample(n, seed):
            codes, _ = sampler.sample_codes(n, seed, tf.ones((sampler.disc_dim,), tf.float32))
            return sampler.to_outputs(codes)

        def sample_conditional(n, seed, conditions):
            codes, _ = sampler.sample_codes(n, seed, sampler.allowed_from_strings(conditions))
            return sampler.to_outputs(codes)

        def decode_noise(noise, seed):
            pair = tf.stack([seed, tf.constant(1, tf.int64)])
            ones = tf.ones((sampler.disc_dim,), tf.float32)
            codes, _ = sampler.decode(sampler.raw(noise, ones, pair), pair + 1, ones, False)
            return sampler.to_outputs(codes)

        archive = keras.export.ExportArchive()
        archive.track(self.model_)
        scalar_n, scalar_seed = tf.TensorSpec((), tf.int32, name="n"), tf.TensorSpec((), tf.int64, name="seed")
        archive.add_endpoint("sample", sample, [scalar_n, scalar_seed])
        archive.add_endpoint("sample_conditional", sample_conditional,
                             [scalar_n, scalar_seed, tf.TensorSpec((None,), tf.string, name="conditions")])
        archive.add_endpoint("decode_noise", decode_noise,
                             [tf.TensorSpec((None, sampler.latent_dim), tf.float32, name="noise"), scalar_seed])
        archive.write_out(str(out), verbose=False)
        return out


class _EpochTimer(keras.callbacks.Callback):
    """Wall-clock seconds of every epoch."""

    def __init__(self):
        super().__init__()
        self.times, self.cpu_times = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._cpu = time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)
        self.cpu_times.append(time.process_time() - self._cpu)
