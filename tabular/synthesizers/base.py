"""One synthesizer interface for every method: fit a DataFrame, sample rows, save/load, export.

A synthesizer is an :class:`~tabular.encoding.Encoder` plus a Keras model (``tabular.models``)
plus the graph sampler (:mod:`tabular.synthesizers.sampler`). Every method registers itself by
name (:func:`register`), takes one frozen config dataclass, and gets from this base class:

- ``fit(frame)`` — fit the encoder, build and train the model (inside ``strategy.scope()`` when a
  ``tf.distribute`` strategy is given);
- ``sample(n, conditions=None, seed=None)`` — rows in the training schema; conditions on
  categories (``{"income": ">50K"}``, ``{"city": ["Oslo", "Perth"]}``) and numeric ranges
  (``{"age": (30, 40)}``) hold in every row and are met by the model, never forced;
- ``save(dir)`` / ``Synthesizer.load(dir)`` — ``synthesizer.json`` (method, config, the encoder's
  fitted state, checksums) and ``model.keras``; no pickle; a save replaces an earlier one in one
  rename, and a load checks format, checksums and consistency before building anything;
- ``export(dir)`` — a SavedModel whose endpoints sample decoded rows in the graph.

``Synthesizer("tvae")`` (or any registered name) builds the method's class, so one entry point
serves every method.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import ClassVar, Mapping

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from genlab.callbacks import EpochTimer
from genlab.errors import (ConditionError, ConfigError, ExportMismatchError, InvalidValueError, NotFittedError,
                           PathExistsError, SavedStateError, unknown_name)
from tabular.encoding import Encoder, check_frame, encoder_from_state
from tabular.synthesizers.sampler import Conditions, GraphSampler

#: Registered synthesizer classes by method name.
SYNTHESIZERS: dict[str, type] = {}
#: Version of the saved format.
FORMAT = 2
#: Largest ``n`` of one ``sample`` call.
MAX_ROWS = 10**8


def register(cls):
    """Class decorator: make a synthesizer available by ``cls.method`` (``Synthesizer(name)``, ``load``)."""
    SYNTHESIZERS[cls.method] = cls
    return cls


def methods() -> tuple[str, ...]:
    """The registered method names."""
    return tuple(SYNTHESIZERS)


def config_to_json(config) -> dict:
    return json.loads(json.dumps(dataclasses.asdict(config)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _state_digest(state: dict) -> str:
    body = {k: v for k, v in state.items() if k != "checksums"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def check_int(name: str, value, low: int, high: int | None = None) -> int:
    """An int in ``[low, high]`` (bools refused), with a clear error."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low \
            or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"in [{low}, {high:,}]"
        raise ConfigError(f"{name} must be an int {bound}, received {value!r}")
    return int(value)


class Synthesizer:
    """Base class and entry point of the synthesizers.

    Args:
        method: Registered method name (``Synthesizer("ctgan")`` builds that method's class;
            default ``"tvae"``). Subclasses take ``None`` or their own name.
        config: The method's frozen config dataclass (``None``: its defaults).
        column_types: ``{column: kind}`` overrides of the encoder's inferred kinds.
        seed: Seed of the encoder, the model's initial weights and noise, and the default sampling seed.
        strategy: A ``tf.distribute`` strategy to build and train the model in (``None``: the default).
        jit_compile: Compile the train step with XLA.
        **overrides: Fields of ``config`` to replace, e.g. ``epochs=50``.

    Attributes (after ``fit``):
        encoder_: The fitted encoder.
        model_: The trained Keras model.
        history_: ``{metric: [per-epoch values]}``.
        seconds_per_epoch_, cpu_seconds_per_epoch_: Mean wall-clock / process CPU seconds of the
            training epochs (the first, compiling epoch excluded when there are several).
        last_acceptance_rate_: Share of drawn rows that met the last ``sample`` call's conditions.

    Raises:
        UnknownNameError: Unknown ``method``.
        ConfigError: A config of the wrong type, an unknown override, a bad ``seed``.

    Example:
        >>> synth = Synthesizer("tvae", epochs=300).fit(train)
        >>> rows = synth.sample(1000, conditions={"income": ">50K"})
        >>> synth.save("my_synth"); same = Synthesizer.load("my_synth")
        >>> synth.export("export/")   # tf.saved_model.load("export/").sample(n=..., seed=...)
    """

    #: Registry name.
    method: ClassVar[str] = ""
    #: The config dataclass of the method.
    config_class: ClassVar[type] = type(None)
    #: Decoding of softmax heads when sampling (``"argmax"`` or ``"sample"``).
    discrete: ClassVar[str] = "argmax"

    def __new__(cls, method: str | None = None, *args, **kwargs):
        if cls is Synthesizer:
            name = "tvae" if method is None else method
            if name not in SYNTHESIZERS:
                raise unknown_name("synthesis method", name, SYNTHESIZERS)
            cls = SYNTHESIZERS[name]
        return super().__new__(cls)

    def __init__(self, method: str | None = None, config=None, *, column_types: Mapping[str, str] | None = None,
                 seed: int = 0, strategy: tf.distribute.Strategy | None = None, jit_compile: bool = False,
                 **overrides):
        if method not in (None, self.method):
            raise ConfigError(f"{type(self).__name__} is method {self.method!r}, received method={method!r}; "
                              f"use Synthesizer({method!r}) for that method")
        config = self.config_class() if config is None else config
        if not isinstance(config, self.config_class):
            raise ConfigError(f"method {self.method!r} takes a {self.config_class.__name__}, received "
                              f"{type(config).__name__}; pass {self.config_class.__name__}(...) or config=None")
        fields = {f.name for f in dataclasses.fields(config)}
        unknown = sorted(set(overrides) - fields)
        if unknown:
            raise ConfigError(f"unknown setting(s) {unknown} for method {self.method!r}; "
                              f"{self.config_class.__name__} has {sorted(fields)}")
        self.config = dataclasses.replace(config, **overrides) if overrides else config
        self.column_types = dict(column_types or {})
        self.seed = check_int("seed", seed, 0)
        self.strategy, self.jit_compile = strategy, bool(jit_compile)

    # ------------------------------------------------------------------------------ method hooks
    def make_encoder(self) -> Encoder:
        """A new, unfitted encoder for this method."""
        raise NotImplementedError

    def build_model(self, encoder: Encoder, x: np.ndarray, frame: pd.DataFrame):
        """Build and compile the Keras model (called inside the strategy's scope)."""
        raise NotImplementedError

    def train(self, model, encoder: Encoder, x: np.ndarray, frame: pd.DataFrame, epochs: int, callbacks: list,
              verbose: int) -> dict:
        """Train ``model``; return ``{metric: [per-epoch values]}``."""
        raise NotImplementedError

    def sampler_parts(self) -> dict:
        """Keyword arguments of :class:`GraphSampler` besides the encoder (``network``,
        ``latent_dim``, optionally ``latent``, ``cond_vector``, ``value_noise``, ``activated``)."""
        raise NotImplementedError

    # ------------------------------------------------------------------------------ fit
    @property
    def epochs(self) -> int:
        return self.config.epochs

    def _scope(self):
        return self.strategy.scope() if self.strategy is not None else tf.distribute.get_strategy().scope()

    def fit(self, frame: pd.DataFrame, epochs: int | None = None, callbacks=None, verbose: int = 0) -> "Synthesizer":
        """Fit the encoder and train the model on ``frame``; return ``self``.

        A failing fit leaves an earlier fitted state as it was.

        Args:
            frame: Training rows (any mix of numeric, categorical, boolean and missing values).
            epochs: Overrides the config's ``epochs``.
            callbacks: Keras callbacks (e.g. TensorBoard).
            verbose: Keras ``fit`` verbosity.

        Raises:
            InvalidValueError / InputShapeError: The frame cannot be encoded (see the encoder).
            ConfigError: Bad ``epochs``.
        """
        frame = check_frame(frame)
        epochs = check_int("epochs", self.epochs if epochs is None else epochs, 1)
        if len(frame) < 2:
            raise InvalidValueError(f"frame has {len(frame)} row; give at least 2 rows to fit a synthesizer")
        encoder = self.make_encoder().fit(frame)
        x = encoder.transform(frame)
        keras.utils.set_random_seed(self.seed)
        with self._scope():
            model = self.build_model(encoder, x, frame)
        timer = EpochTimer()
        history = self.train(model, encoder, x, frame, epochs, [timer] + list(callbacks or []), verbose)
        self.encoder_, self.model_ = encoder, model
        self.history_ = {k: [float(v) for v in vs] for k, vs in history.items()}
        self.seconds_per_epoch_ = timer.mean_seconds()
        self.cpu_seconds_per_epoch_ = timer.mean_seconds(cpu=True)
        self._sampler = None
        return self.warm_up()

    # ------------------------------------------------------------------------------ sampling
    def check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(frame) (or "
                                 "Synthesizer.load(dir)) first")

    def graph_sampler(self) -> GraphSampler:
        """The :class:`GraphSampler` of the fitted model (built once)."""
        self.check_fitted()
        if getattr(self, "_sampler", None) is None:
            self._sampler = GraphSampler(self.encoder_, discrete=self.discrete, **self.sampler_parts())
            self._sample_fn = tf.function(self._sampler.sample_codes, reduce_retracing=True)
        return self._sampler

    def warm_up(self) -> "Synthesizer":
        """Trace and run the graph sampler once (one row), so the next ``sample`` call answers at once.

        ``fit`` and ``load`` call it: tracing the sampler costs a second or more, paid there once
        instead of on a user's first ``sample``. Conditioned and unconditioned calls share the
        traced graph.
        """
        sampler = self.graph_sampler()
        self._sample_fn(tf.constant(1, tf.int64), tf.constant(self.seed, tf.int64),
                        _cond_tensors(sampler.unconditioned()))
        return self

    def sample(self, n: int, conditions: Mapping | None = None, seed: int | None = None) -> pd.DataFrame:
        """Draw ``n`` rows in the training frame's schema.

        Args:
            n: Rows to draw (1 .. 10**8).
            conditions: ``{column: value}``, ``{column: [values]}`` (``None`` = missing) on
                discrete columns, ``{column: (low, high)}`` on numeric ones. Every returned row meets
                all of them; the other columns follow the model's conditional distribution.
            seed: Sampling seed (default: the synthesizer's seed; the same seed gives the same rows).

        Returns:
            DataFrame with the training columns and dtypes (nullable where values are missing).

        Raises:
            NotFittedError: Not fitted.
            ConfigError: Bad ``n`` or ``seed``.
            UnknownNameError / InvalidValueError: A condition on an unknown column, or a value the
                column never held.
            ConditionError: The model generated too few rows meeting the conditions (the message
                gives the acceptance rate).
        """
        sampler = self.graph_sampler()
        n = check_int("n", n, 1, MAX_ROWS)
        seed = self.seed if seed is None else check_int("seed", seed, 0)
        cond = sampler.conditions_from_dict(conditions)
        codes, drawn, accepted = self._sample_fn(tf.constant(n, tf.int64), tf.constant(seed, tf.int64),
                                                 _cond_tensors(cond))
        drawn, accepted = int(drawn), int(accepted)
        self.last_acceptance_rate_ = accepted / max(drawn, 1)
        if len(codes) < n:
            raise ConditionError(
                f"the model generated only {len(codes)} of {n} rows meeting {dict(conditions)} ({drawn:,} drawn, "
                f"acceptance rate {self.last_acceptance_rate_:.2e}); it rarely produces such rows. Ask for fewer "
                f"rows, relax the conditions, or train longer / with a conditional method (ctgan, tvae)")
        return self.encoder_.frame_from_codes(codes.numpy())

    # ------------------------------------------------------------------------------ persistence
    def _state(self) -> dict:
        return {"format": FORMAT, "method": self.method, "config": config_to_json(self.config),
                "column_types": self.column_types, "seed": self.seed, "jit_compile": self.jit_compile,
                "encoder": self.encoder_.get_state(), "history": self.history_,
                "seconds_per_epoch": self.seconds_per_epoch_, "cpu_seconds_per_epoch": self.cpu_seconds_per_epoch_}

    def save(self, directory: str | os.PathLike) -> Path:
        """Write ``synthesizer.json`` and ``model.keras`` into ``directory`` (no pickle).

        Both files are written into a new folder beside ``directory``, which then takes its name in
        one rename (an earlier save is replaced only once the new one is complete).

        Raises:
            NotFittedError: Not fitted.
            PathExistsError: ``directory`` is a file, or a non-empty folder that holds no saved synthesizer.
        """
        self.check_fitted()
        out = Path(directory)
        if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "synthesizer.json").exists())):
            raise PathExistsError(f"{out} exists and is not a saved synthesizer; save into a new or empty folder")
        out.parent.mkdir(parents=True, exist_ok=True)
        for stale in out.parent.glob(f".{out.name}.tmp-*"):  # left by a save that was killed
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        try:
            self.model_.save(tmp / "model.keras")
            state = self._state()
            state["checksums"] = {"model.keras": _sha256(tmp / "model.keras"), "state": _state_digest(state)}
            with open(tmp / "synthesizer.json", "w") as fh:
                fh.write(json.dumps(state, indent=1) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            if out.exists():
                old = out.parent / f".{out.name}.old-{uuid.uuid4().hex}"
                os.rename(out, old)
                os.rename(tmp, out)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "Synthesizer":
        """Rebuild a fitted synthesizer written by :meth:`save`.

        Raises:
            SavedStateError: No save there, an unreadable or inconsistent ``synthesizer.json``, a
                checksum mismatch, or an unknown method or format.
        """
        path = Path(directory)
        state_file = path / "synthesizer.json"
        if not state_file.is_file() or not (path / "model.keras").is_file():
            raise SavedStateError(f"{path} holds no saved synthesizer (synthesizer.json and model.keras); give "
                                  "the folder passed to save()")
        try:
            state = json.loads(state_file.read_text())
            sums = state["checksums"]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
            raise SavedStateError(f"{state_file} is not a complete synthesizer state ({exc}); save the "
                                  "synthesizer again") from exc
        if state.get("format") != FORMAT:
            raise SavedStateError(f"{state_file} has format {state.get('format')!r}; this genlab reads format "
                                  f"{FORMAT}: save it again with this version")
        if sums.get("state") != _state_digest(state):
            raise SavedStateError(f"{state_file} was changed after it was saved (its checksum does not match); "
                                  "save the synthesizer again")
        if sums.get("model.keras") != _sha256(path / "model.keras"):
            raise SavedStateError(f"{path / 'model.keras'} does not match the checksum recorded at save (a "
                                  "partial or mixed save); save the synthesizer again")
        if state.get("method") not in SYNTHESIZERS:
            raise SavedStateError(f"{state_file} names method {state.get('method')!r}; known methods: "
                                  f"{sorted(SYNTHESIZERS)}")
        target = SYNTHESIZERS[state["method"]]
        try:
            config = target.config_class(**state["config"])
            encoder = encoder_from_state(state["encoder"])
        except (TypeError, KeyError, ValueError) as exc:
            raise SavedStateError(f"{state_file} holds an invalid config or encoder state ({exc}); save the "
                                  "synthesizer again") from exc
        synth = target(config=config, column_types=state["column_types"], seed=state["seed"],
                       jit_compile=state["jit_compile"])
        synth.encoder_ = encoder
        synth.model_ = keras.saving.load_model(path / "model.keras", compile=False)
        synth.history_ = state["history"]
        synth.seconds_per_epoch_ = state["seconds_per_epoch"]
        synth.cpu_seconds_per_epoch_ = state["cpu_seconds_per_epoch"]
        synth._sampler = None
        return synth.warm_up()

    # ------------------------------------------------------------------------------ export
    def export(self, directory: str | os.PathLike) -> Path:
        """Write a SavedModel that samples decoded rows with plain TensorFlow.

        Endpoints (each returns ``{column: tensor}`` in the training schema — strings for
        categorical columns with ``""`` for missing, int64 integers, float64 numbers with NaN for
        missing, bool booleans):

        - ``sample(n: int64, seed: int64)`` — ``n`` rows (``1 <= n <= MAX_ROWS``, else an
          ``InvalidArgumentError``);
        - ``sample_conditional(n: int64, seed: int64, conditions: string[k])`` — ``n`` rows
          meeting every ``"column=value"`` entry (several values of one column: any of them); an
          assertion fails when the model generates too few such rows;
        - ``decode_noise(noise: float32[batch, latent_dim], seed: int64)`` — one row per noise
          vector (``seed`` drives the output noise / category draws); non-finite noise is refused.

        Raises:
            PathExistsError: ``directory`` exists and is not empty.

        Example:
            >>> m = tf.saved_model.load("export")
            >>> rows = m.sample_conditional(n=100, seed=0, conditions=["income=>50K"])
        """
        sampler = self.graph_sampler()
        out = Path(directory)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise PathExistsError(f"{out} exists and is not an empty folder; export into a new or empty folder")

        def draw(n, seed, cond):
            bounds = [tf.debugging.assert_greater_equal(n, tf.constant(1, tf.int64), message="n must be >= 1"),
                      tf.debugging.assert_less_equal(n, tf.constant(MAX_ROWS, tf.int64),
                                                     message=f"n must be <= {MAX_ROWS}; sample in several calls")]
            with tf.control_dependencies(bounds):
                codes, _, _ = sampler.sample_codes(tf.identity(n), seed, cond)
            check = tf.debugging.assert_greater_equal(
                tf.cast(tf.shape(codes)[0], tf.int64), n,
                message="the model generated too few rows meeting the conditions; relax them")
            with tf.control_dependencies([check]):
                return self.encoder_.outputs_tf(tf.identity(codes))

        def sample(n, seed):
            return draw(n, seed, _cond_tensors(sampler.unconditioned()))

        def sample_conditional(n, seed, conditions):
            return draw(n, seed, sampler.conditions_from_strings(conditions))

        def decode_noise(noise, seed):
            noise = tf.debugging.assert_all_finite(noise, "noise must be finite (no NaN or inf)")
            pair = tf.stack([seed, tf.constant(1, tf.int64)])
            return self.encoder_.outputs_tf(sampler.decode(
                sampler.raw(noise, _cond_tensors(sampler.unconditioned()), pair), pair + 1))

        archive = keras.export.ExportArchive()
        archive.track(self.model_)
        scalar_n, scalar_seed = tf.TensorSpec((), tf.int64, name="n"), tf.TensorSpec((), tf.int64, name="seed")
        archive.add_endpoint("sample", sample, [scalar_n, scalar_seed])
        archive.add_endpoint("sample_conditional", sample_conditional,
                             [scalar_n, scalar_seed, tf.TensorSpec((None,), tf.string, name="conditions")])
        archive.add_endpoint("decode_noise", decode_noise,
                             [tf.TensorSpec((None, sampler.latent_dim), tf.float32, name="noise"), scalar_seed])
        archive.write_out(str(out), verbose=False)
        return out

    def check_export(self, directory: str | os.PathLike, n: int = 1000, seed: int = 0) -> str:
        """Load an export with plain TensorFlow and check it samples what :meth:`sample` samples.

        Compares ``sample(n, seed)`` column by column with the Python rows (the same graph code:
        they must be equal), and checks that a conditional sample on the first discrete column's
        most frequent category holds only that category.

        Returns:
            A one-line summary.

        Raises:
            ExportMismatchError: A column is missing or differs, or a condition is not met.
        """
        loaded = tf.saved_model.load(str(directory))
        out = loaded.sample(n=tf.constant(n, tf.int64), seed=tf.constant(seed, tf.int64))
        python = self.sample(n, seed=seed)
        for col in python.columns:
            if col not in out:
                raise ExportMismatchError(f"the export has no output {col!r}; export the synthesizer again")
            have = out[col].numpy()
            want = python[col]
            if have.dtype == object:
                have = np.asarray([v.decode() for v in have], dtype=object)
                want = want.astype(object).where(want.notna(), "").astype(str).to_numpy()
            else:
                want = want.to_numpy(dtype=have.dtype, na_value=np.nan) if have.dtype.kind == "f" else want.to_numpy()
            same = np.array_equal(have, want, equal_nan=True) if have.dtype.kind == "f" else np.array_equal(have, want)
            if not same:
                raise ExportMismatchError(f"exported column {col!r} differs from Python's sample for seed {seed}")
        checked = "sample"
        spans = self.encoder_.discrete_spans_
        if spans:
            col = spans[0].column
            info = self.encoder_.info(col)
            label = str(info["categories"][int(np.argmax(info["frequencies"][:len(info["categories"])]))])
            rows = loaded.sample_conditional(n=tf.constant(min(n, 200), tf.int64), seed=tf.constant(seed, tf.int64),
                                             conditions=tf.constant([f"{col}={label}"]))
            if {v.decode() for v in rows[col].numpy()} != {label}:
                raise ExportMismatchError(f"the export's sample_conditional broke the condition {col}={label}")
            checked += f" and sample_conditional ({col}={label})"
        return f"export reloaded with tf.saved_model.load: {checked} match the Python synthesizer"


def _cond_tensors(cond: Conditions) -> Conditions:
    return Conditions(tf.convert_to_tensor(cond.allowed, tf.float32), tf.convert_to_tensor(cond.low, tf.float64),
                      tf.convert_to_tensor(cond.high, tf.float64))
