"""One synthesizer interface for every method: fit a DataFrame, sample rows, save/load, export.

A synthesizer is a table layer (:class:`~tabular.encoding.table.TableTransformer`: column kinds
such as datetimes, identifiers, personal data, and constraints, from :class:`~tabular.metadata.Metadata`)
plus an :class:`~tabular.encoding.Encoder` plus a Keras model (``tabular.models``) plus the graph
sampler (:mod:`tabular.synthesizers.sampler`). Every method registers itself by
name (:func:`register`), takes one frozen config dataclass, and gets from this base class:

- ``fit(frame)`` — fit the encoder, build and train the model (inside ``strategy.scope()`` when a
  ``tf.distribute`` strategy is given);
- ``sample(n, conditions=None, seed=None)`` — rows in the training schema; conditions on
  categories (``{"income": ">50K"}``, ``{"city": ["Oslo", "Perth"]}``), numeric and datetime
  ranges (``{"age": (30, 40)}``) and the metadata's constraints hold in every row and are met by
  the model, never forced; ``sample_remaining(known)`` fills the other columns of given rows;
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
import math
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import ClassVar, Mapping, Sequence

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from genlab.callbacks import EpochTimer
from genlab.checks import check_int
from genlab.distribute import is_chief
from genlab.errors import (ConditionError, ConfigError, ExportMismatchError, InvalidValueError, NotFittedError,
                           PathExistsError, SavedStateError, UnknownNameError, unknown_name)
from tabular.encoding import Encoder, check_frame, encoder_from_state
from tabular.encoding.table import TableTransformer
from tabular.metadata import Metadata, as_metadata
from tabular.synthesizers.sampler import MAX_ROUND, Conditions, GraphSampler

#: Registered synthesizer classes by method name.
SYNTHESIZERS: dict[str, type] = {}
#: Version of the saved format (3: with the table layer; 2 is read as every column modelled as is).
FORMAT = 3
READABLE_FORMATS = (2, 3)
#: Largest ``n`` of one ``sample`` call.
MAX_ROWS = 10**8
#: Rows of the sample an encoder is fitted on when a table is streamed from disk.
FIT_SAMPLE_ROWS = 50_000


def register(cls):
    """Class decorator: make a synthesizer available by ``cls.method`` (``Synthesizer(name)``, ``load``)."""
    SYNTHESIZERS[cls.method] = cls
    return cls


def methods() -> tuple[str, ...]:
    """The registered method names."""
    return tuple(SYNTHESIZERS)


def budget_field(method: str) -> str:
    """The config field that sets a registered method's training length: ``"epochs"`` for most,
    ``"updates"`` for a method that counts optimizer updates whatever the table's size
    (``"diffusion"``). A benchmark giving every method one epoch budget passes it only to the
    methods whose field is ``"epochs"``, and the others train their own default length.

    Raises:
        UnknownNameError: Unknown ``method``.
    """
    if method not in SYNTHESIZERS:
        raise unknown_name("synthesis method", method, SYNTHESIZERS)
    return SYNTHESIZERS[method].budget


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


class Synthesizer:
    """Base class and entry point of the synthesizers.

    Args:
        method: Registered method name (``Synthesizer("ctgan")`` builds that method's class;
            default ``"tvae"``). Subclasses take ``None`` or their own name.
        config: The method's frozen config dataclass (``None``: its defaults).
        column_types: ``{column: kind}`` declared kinds (any of ``tabular.encoding.kinds.KINDS``);
            the other columns are detected (:meth:`tabular.metadata.Metadata.detect`).
        metadata: A :class:`~tabular.metadata.Metadata` (or its dict, or its JSON path): column
            kinds, options and constraints; columns it lacks are detected.
        constraints: Constraints (:mod:`tabular.constraints`) added to the metadata's.
        seed: Seed of the encoder, the model's initial weights and noise, and the default sampling seed.
        strategy: A ``tf.distribute`` strategy to build and train the model in (``None``: the default).
        jit_compile: Compile the train step with XLA.
        **overrides: Fields of ``config`` to replace, e.g. ``epochs=50``.

    Attributes (after ``fit``):
        table_: The fitted table layer (``table_.metadata_``: the metadata used; ``table_.summary()``).
        encoder_: The fitted encoder (of the model frame).
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
    #: Whether the method trains from a table on disk without reading it into memory.
    streams: ClassVar[bool] = False
    #: The config field of the training length (:func:`budget_field`).
    budget: ClassVar[str] = "epochs"

    def __new__(cls, method: str | None = None, *args, **kwargs):
        if cls is Synthesizer:
            name = "tvae" if method is None else method
            if name not in SYNTHESIZERS:
                raise unknown_name("synthesis method", name, SYNTHESIZERS)
            cls = SYNTHESIZERS[name]
        return super().__new__(cls)

    def __init__(self, method: str | None = None, config=None, *, column_types: Mapping[str, str] | None = None,
                 seed: int = 0, strategy: tf.distribute.Strategy | None = None, jit_compile: bool = False,
                 metadata: Metadata | dict | str | None = None, constraints: Sequence = (), **overrides):
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
        self.metadata = as_metadata(metadata)
        if constraints:
            self.metadata = Metadata(self.metadata.columns if self.metadata else {},
                                     (self.metadata.constraints if self.metadata else []) + list(constraints))
        self.seed = check_int("seed", seed, 0)
        self.strategy, self.jit_compile = strategy, bool(jit_compile)

    # ------------------------------------------------------------------------------ method hooks
    def make_encoder(self) -> Encoder:
        """A new, unfitted encoder for this method."""
        raise NotImplementedError

    def build_model(self, encoder: Encoder, x: np.ndarray, frame: pd.DataFrame):
        """Build and compile the Keras model (called inside the strategy's scope)."""
        raise NotImplementedError

    def train(self, model, encoder: Encoder, data, epochs: int, callbacks: list, verbose: int) -> dict:
        """Train ``model`` on ``data`` (a :class:`~tabular.synthesizers.training.TrainingData`: its
        batches, the epoch each stage resumes at, the stages' backups); return ``{metric: [per-epoch values]}``."""
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

    def fit(self, data, epochs: int | None = None, callbacks=None, verbose: int = 0, *,
            checkpoint_dir: str | os.PathLike | None = None, sample_rows: int = FIT_SAMPLE_ROWS) -> "Synthesizer":
        """Fit the encoder and train the model on ``data``; return ``self``.

        ``data`` is a DataFrame, or a table on disk: a CSV or Parquet file, a glob pattern or a
        directory (:class:`~tabular.data.files.TableSource`). Methods that stream (``tvae``,
        ``ctgan``) never hold a table on disk in memory: one pass collects exact column statistics
        and a uniform sample of ``sample_rows`` rows that the encoder is fitted on, then training
        reads, encodes and batches the rows window by window (:mod:`tabular.synthesizers.training`).
        The other methods read the table into one frame.

        With ``checkpoint_dir`` the fit can be resumed: every finished epoch is backed up there
        (model, optimizers, random streams, epoch; :class:`genlab.checkpoint.EpochBackup`), a fit
        started again with the same arguments continues after the last finished epoch — with the
        same batches, so it ends with the weights of an uninterrupted fit — and a fit that finished
        (its synthesizer saved in ``checkpoint_dir/synthesizer``) is loaded, not retrained.

        A failing fit leaves an earlier fitted state as it was; bad input (a frame that cannot be
        encoded, a missing or unreadable file, a file with another schema) is refused before
        anything is written.

        Args:
            data: Training rows: a DataFrame (any mix of numeric, categorical, boolean and missing
                values), or the path of a table (file, glob pattern or directory).
            epochs: Overrides the config's ``epochs``.
            callbacks: Keras callbacks (e.g. TensorBoard).
            verbose: Keras ``fit`` verbosity.
            checkpoint_dir: Folder of the resumable state of this fit (``None``: not resumable).
            sample_rows: Rows of the sample the encoder is fitted on when a table is streamed.

        Raises:
            InvalidValueError / InputShapeError: The data cannot be read or encoded (see the table
                layer, the encoder and :class:`~tabular.data.files.TableSource`), or training rows
                violate a constraint.
            ConfigError: Bad ``epochs`` or ``sample_rows``; constraints on the wrong kinds or
                contradicting each other; a streamed table with columns only a frame supports.
            PathExistsError: ``checkpoint_dir`` holds the checkpoint of a fit with other arguments,
                or something else.
        """
        from tabular.synthesizers.training import FitCheckpoint, as_path_source

        epochs = check_int("epochs", self.epochs if epochs is None else epochs, 1)
        sample_rows = check_int("sample_rows", sample_rows, 2)
        source = as_path_source(data)
        if source is None:
            data = check_frame(data)
            if len(data) < 2:
                raise InvalidValueError(f"frame has {len(data)} row; give at least 2 rows to fit a synthesizer")
        checkpoint = None
        if checkpoint_dir is not None:
            checkpoint = FitCheckpoint(checkpoint_dir, self._fit_arguments(source or data, epochs, sample_rows),
                                       write=is_chief(self.strategy))
            if checkpoint.finished():
                return self._adopt(type(self).load(checkpoint.final))
        rows = self._training_data(source, data, epochs, checkpoint, sample_rows)
        keras.utils.set_random_seed(self.seed)
        with self._scope():
            model = self.build_model(rows.encoder, rows.x, rows.frame)
        if checkpoint is not None:
            checkpoint.start()  # only now: bad input has written nothing
        timer = EpochTimer()
        history = self.train(model, rows.encoder, rows, epochs, [timer] + list(callbacks or []), verbose)
        self.table_, self.encoder_, self.model_ = rows.table, rows.encoder, model
        self.history_ = {k: [float(v) for v in vs] for k, vs in history.items()}
        self.seconds_per_epoch_ = timer.mean_seconds()
        self.cpu_seconds_per_epoch_ = timer.mean_seconds(cpu=True)
        self._sampler = None
        if checkpoint is not None:
            checkpoint.finish(self)
        return self.warm_up()

    def _fit_table(self, frame: pd.DataFrame) -> tuple[TableTransformer, pd.DataFrame]:
        """The fitted table layer and the model frame it makes of ``frame`` (prints what it detected
        when no metadata was given)."""
        table = TableTransformer(self.metadata, self.column_types, self.seed).fit(frame)
        if not table.model_columns_:
            raise InvalidValueError(f"frame has no column to model: every column is generated or fixed "
                                    f"({table.metadata_.kinds}); keep at least one numeric, categorical, boolean or "
                                    "datetime column")
        if self.metadata is None or set(frame.columns) - set(self.metadata.columns):
            print(f"genlab {self.method} detected {table.summary()}")
        return table, table.to_model(frame)

    def _model_encoder(self, table: TableTransformer) -> Encoder:
        """The method's encoder, told the model frame's kinds."""
        encoder = self.make_encoder()
        encoder.column_types = dict(table.model_types_)
        return encoder

    def _fit_arguments(self, data, epochs: int, sample_rows: int) -> dict:
        """What a resumed fit must share with the one that wrote its checkpoint."""
        from tabular.synthesizers.training import data_fingerprint

        return {"method": self.method, "config": config_to_json(self.config), "column_types": self.column_types,
                "seed": self.seed, "epochs": epochs, "sample_rows": sample_rows, "data": data_fingerprint(data),
                "metadata": (None if self.metadata is None
                             else json.loads(json.dumps(self.metadata.to_dict(), default=str)))}

    def _training_data(self, source, frame, epochs: int, checkpoint, sample_rows: int):
        """Read (or scan) the data and fit the encoder: a :class:`~tabular.synthesizers.training.TrainingData`."""
        from tabular.data.stream import scan_table
        from tabular.synthesizers.training import TrainingData, fit_encoder_on_scan

        common = {"seed": self.seed, "epochs": epochs, "strategy": self.strategy,
                  "checkpoint_dir": None if checkpoint is None else checkpoint.path,
                  "write": True if checkpoint is None else checkpoint.write}
        if source is not None and self.streams:
            scan = scan_table(source, sample_rows, self.seed, self.column_types)
            if scan.rows < 2:
                raise InvalidValueError(f"{source.describe()} has {scan.rows} row; give at least 2 rows to fit a "
                                        "synthesizer")
            sample = scan.fit_sample()
            table, _ = self._fit_table(sample)
            _check_streamable(table, source)
            encoder = fit_encoder_on_scan(self._model_encoder(table), scan, self.column_types)
            return TrainingData(encoder, encoder.transform(sample), sample, scan.rows, source=source, table=table,
                                **common)
        if source is not None:
            frame = source.read()
            if len(frame) < 2:
                raise InvalidValueError(f"{source.describe()} has {len(frame)} row; give at least 2 rows to fit a "
                                        "synthesizer")
        table, frame = self._fit_table(frame)  # real-world kinds and constraints -> the model frame
        encoder = self._model_encoder(table).fit(frame)
        return TrainingData(encoder, encoder.transform(frame), frame, len(frame), table=table, **common)

    def _adopt(self, other: "Synthesizer") -> "Synthesizer":
        """Take the fitted state of ``other`` (a finished fit loaded from its checkpoint)."""
        for name in ("table_", "encoder_", "model_", "history_", "seconds_per_epoch_", "cpu_seconds_per_epoch_",
                     "_sampler", "_sample_fn"):
            if hasattr(other, name):
                setattr(self, name, getattr(other, name))
        return self

    # ------------------------------------------------------------------------------ sampling
    def check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(frame) (or "
                                 "Synthesizer.load(dir)) first")

    def graph_sampler(self) -> GraphSampler:
        """The :class:`GraphSampler` of the fitted model (built once)."""
        self.check_fitted()
        if getattr(self, "_sampler", None) is None:
            table = self.table_
            self._sampler = GraphSampler(self.encoder_, discrete=self.discrete, **self.sampler_parts(),
                                         restore=lambda codes: table.restore_tf(codes, self.encoder_.columns_),
                                         check=lambda codes: table.checks_tf(codes, self.encoder_),
                                         ranges=table.ranges())
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
                        _cond_tensors(sampler.unconditioned()), tf.constant(sampler.max_candidates, tf.int64))
        return self

    def sample(self, n: int, conditions: Mapping | None = None, seed: int | None = None) -> pd.DataFrame:
        """Draw ``n`` rows in the training frame's schema.

        Args:
            n: Rows to draw (1 .. 10**8).
            conditions: ``{column: value}``, ``{column: [values]}`` (``None`` = missing) on
                discrete columns, ``{column: (low, high)}`` on numeric ones (dates for datetime
                columns; ``None`` leaves an end open). Every returned row meets all of them and
                every constraint; the other columns follow the model's conditional distribution.
            seed: Sampling seed (default: the synthesizer's seed; the same seed gives the same rows).

        Returns:
            DataFrame with the training columns and dtypes (nullable where values are missing);
            identifiers are new, personal data and free text are fakes (or left out, as declared).

        Raises:
            NotFittedError: Not fitted.
            ConfigError: Bad ``n`` or ``seed``.
            UnknownNameError / InvalidValueError: A condition on an unknown or generated column, a
                value the column never held, or a range outside the fitted one.
            ConditionError: The model generated too few rows meeting the conditions and
                constraints (the message gives the acceptance rate).
        """
        self.graph_sampler()
        n = check_int("n", n, 1, MAX_ROWS)
        seed = self.seed if seed is None else check_int("seed", seed, 0)
        model_conditions, tails = self.table_.conditions(conditions)
        return self._sample_model(n, seed, model_conditions, tails, conditions)

    def _sample_model(self, n: int, seed: int, model_conditions: dict, tails: dict, shown, budget=None, fix=None):
        """``sample`` on conditions already in model terms (``shown``: the conditions for messages)."""
        cond = self.graph_sampler().conditions_from_dict(model_conditions)
        return self.table_.finish(self._draw(n, seed, cond, tails, shown, budget, fix), seed)

    def _draw(self, n: int, seed: int, cond: Conditions, tails: dict, conditions, budget=None,
              fix=None) -> pd.DataFrame:
        """``n`` decoded rows meeting ``cond`` (in the graph) and every constraint (in Python; on
        ``fix(rows)`` when given, e.g. rows with known values put in).

        The first round asks for exactly ``n`` rows with ``seed`` (so Python and the SavedModel
        give the same rows); rows failing a Python-only constraint are replaced by further rounds
        sized from the acceptance rate seen so far.
        """
        parts, have, drawn, accepted, tried, kept = [], 0, 0, 0, 0, 0
        budget = self.graph_sampler().max_candidates if budget is None else int(budget)
        limit = max(budget, 200 * n)
        round_ = 0
        while have < n:
            need = n - have
            ask = need if round_ == 0 else min(MAX_ROUND * 4, math.ceil(need * (tried + 1) / (kept + 1) * 1.1) + 16)
            round_seed = seed if round_ == 0 else (seed + 1_000_003 * round_) % 2**62
            codes, d, a = self._sample_fn(tf.constant(ask, tf.int64), tf.constant(round_seed, tf.int64),
                                          _cond_tensors(cond), tf.constant(budget, tf.int64))
            drawn, accepted = drawn + int(d), accepted + int(a)
            self.last_acceptance_rate_ = accepted / max(drawn, 1)
            if len(codes) < ask:
                raise ConditionError(
                    f"the model generated only {have + len(codes)} of {n} rows meeting {dict(conditions or {})} and "
                    f"the constraints ({drawn:,} drawn, acceptance rate {self.last_acceptance_rate_:.2e}); it rarely "
                    "produces such rows. Ask for fewer rows, relax the conditions, or train longer / with a "
                    "conditional method (ctgan, tvae)")
            rows = self.table_.from_model(self.encoder_.frame_from_codes(codes.numpy()), round_seed, tails)
            if fix is not None:
                rows = fix(rows)
            ok = self.table_.python_mask(rows)
            tried, kept = tried + len(rows), kept + int(ok.sum())
            parts.append(rows[ok])
            have += int(ok.sum())
            round_ += 1
            if have < n and tried >= limit:
                raise ConditionError(
                    f"only {kept} of {tried:,} generated rows met the constraints "
                    f"{self.table_.python_only_constraints()}; the model rarely produces such rows: check the "
                    "constraints hold in the training rows' patterns, or train longer")
        self.last_acceptance_rate_ *= kept / max(tried, 1)
        out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
        return out.iloc[:n]

    def sample_remaining(self, known: pd.DataFrame, seed: int | None = None) -> pd.DataFrame:
        """Fill in the other columns of partial rows (conditional imputation), row by row.

        Each row's known values are conditions of its own: a category exactly; a number or a date
        exactly when its column holds at most 200 distinct values, else within the 4 % of training
        values around it. The other columns then follow the model's conditional distribution, and
        the known values are returned unchanged; a column tied to a known one by a transformed
        inequality keeps the model's gap (``c_jail_out = known c_jail_in + the sampled stay``), and
        every constraint holds with the known values in place. Rows with the same conditions are drawn together.
        When the model rarely produces a row's combination (fewer matches than needed among
        50,000 + 500 n candidates), the row's conditions are relaxed step by step — numbers within
        20 % of the training values around them, then the categories alone, then none — and
        ``last_relaxed_`` counts such rows.

        Args:
            known: Rows with some of the training columns (a missing category is a known missing
                value; a missing number is no condition).
            seed: Sampling seed (default: the synthesizer's).

        Returns:
            A frame with ``known``'s index and every sampled column; ``known``'s columns unchanged.

        Raises:
            UnknownNameError: A column the synthesizer was not fitted on.
            InvalidValueError: A known value the synthesizer cannot condition on (an unseen category).
        """
        self.check_fitted()
        known = check_frame(known, "known")
        seed = self.seed if seed is None else check_int("seed", seed, 0)
        table = self.table_
        unknown = [c for c in known.columns if c not in table.columns_]
        if unknown:
            raise UnknownNameError(f"known has column(s) {unknown} the synthesizer was not fitted on (columns "
                                   f"{table.columns_}); drop or rename them")
        pieces, self.last_relaxed_ = [], 0
        for i, (items, rows) in enumerate(table.row_conditions(known)):
            group_seed = (seed + 7_919 * (i + 1)) % 2**62
            for level in range(4):
                model_conditions, tails = table.known_conditions(items, level)
                try:
                    drawn = self._sample_model(len(rows), group_seed, model_conditions, tails, dict(items),
                                               budget=50_000 + 500 * len(rows),
                                               fix=lambda r, k=known.iloc[rows[:1]]: table.substitute(r, k))
                    break
                except ConditionError:
                    if level == 3:
                        raise
            self.last_relaxed_ += len(rows) if level else 0
            pieces.append(drawn.set_axis(rows))
        out = pd.concat(pieces).sort_index() if len(pieces) > 1 else pieces[0]
        out.index = known.index
        for col in known.columns:
            out[col] = known[col]
        return out[[c for c in table.columns_ if c in out.columns]]

    # ------------------------------------------------------------------------------ persistence
    def _state(self) -> dict:
        return {"format": FORMAT, "method": self.method, "config": config_to_json(self.config),
                "column_types": self.column_types, "seed": self.seed, "jit_compile": self.jit_compile,
                "metadata": None if self.metadata is None else self.metadata.to_dict(),
                "table": self.table_.get_state(), "encoder": self.encoder_.get_state(), "history": self.history_,
                "seconds_per_epoch": self.seconds_per_epoch_, "cpu_seconds_per_epoch": self.cpu_seconds_per_epoch_}

    def save(self, directory: str | os.PathLike) -> Path:
        """Write ``synthesizer.json`` and ``model.keras`` into ``directory`` (no pickle).

        Both files are written into a new folder beside ``directory``, which then takes its name
        (an earlier save is moved aside first, and deleted only once the new one is in place). A
        save killed at any point leaves the complete earlier save or the complete new one: the
        next ``save`` or ``load`` of ``directory`` puts back an earlier save moved aside and
        removes the folders the killed save left (:func:`_recover`).

        Raises:
            NotFittedError: Not fitted.
            PathExistsError: ``directory`` is a file, or a non-empty folder that holds no saved synthesizer.
        """
        self.check_fitted()
        out = Path(directory)
        _recover(out)
        if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "synthesizer.json").exists())):
            raise PathExistsError(f"{out} exists and is not a saved synthesizer; save into a new or empty folder")
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
        try:
            self.model_.save(tmp / "model.keras")
            state = self._state()
            state["checksums"] = {"model.keras": _sha256(tmp / "model.keras"), "state": _state_digest(state)}
            with open(tmp / "synthesizer.json", "w") as fh:
                fh.write(json.dumps(state, indent=1) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            if out.exists():
                old = out.parent / f".{out.name}.old-{os.getpid()}-{uuid.uuid4().hex}"
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
    def load(cls, directory: str | os.PathLike, predicates: Mapping | None = None) -> "Synthesizer":
        """Rebuild a fitted synthesizer written by :meth:`save`.

        Args:
            directory: The folder given to :meth:`save`.
            predicates: ``{name: function}`` of the Python function predicates among the
                constraints (functions are not saved).

        Raises:
            SavedStateError: No save there, an unreadable or inconsistent ``synthesizer.json``, a
                checksum mismatch, an unknown method or format, or a function predicate not given;
                a state whose columns, ranges or layer widths do not match each other (checked
                before the model is built).
        """
        path = Path(directory)
        _recover(path)
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
        if state.get("format") not in READABLE_FORMATS:
            raise SavedStateError(f"{state_file} has format {state.get('format')!r}; this genlab reads formats "
                                  f"{list(READABLE_FORMATS)}: save it again with this version")
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
            table = (TableTransformer.from_state(state["table"], predicates) if "table" in state
                     else TableTransformer.passthrough(encoder))
            metadata = None if state.get("metadata") is None else Metadata.from_dict(state["metadata"], predicates)
        except SavedStateError:
            raise
        except (TypeError, KeyError, ValueError) as exc:
            raise SavedStateError(f"{state_file} holds an invalid config or encoder state ({exc}); save the "
                                  "synthesizer again") from exc
        _check_consistent(state_file, table, encoder)
        _check_model_file(path / "model.keras")
        synth = target(config=config, column_types=state["column_types"], seed=state["seed"],
                       jit_compile=state["jit_compile"], metadata=metadata)
        synth.table_, synth.encoder_ = table, encoder
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
        missing, bool booleans; datetimes as float64 seconds since 1970-01-01 UTC with NaN for
        missing; integer identifiers counting on after the largest training one):

        - ``sample(n: int64, seed: int64)`` — ``n`` rows (``1 <= n <= MAX_ROWS``, else an
          ``InvalidArgumentError``);
        - ``sample_conditional(n: int64, seed: int64, conditions: string[k])`` — ``n`` rows
          meeting every ``"column=value"`` entry (several values of one column: any of them); an
          assertion fails when the model generates too few such rows;
        - ``decode_noise(noise: float32[batch, latent_dim], seed: int64)`` — one row per noise
          vector (``seed`` drives the output noise / category draws); non-finite noise is refused.

        String keys, personal data and free text are generated in Python only: the SavedModel
        leaves those columns out, as it leaves out Python predicates and fixed combinations of
        high-cardinality columns (constraints it cannot check); ``genlab_schema.json`` in the
        export lists every output's representation and what was left out, and a warning names them.

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
                return outputs(tf.identity(codes), seed)

        def outputs(codes, seed):
            return self.table_.outputs_tf(self.encoder_.outputs_tf(codes), tf.shape(codes)[0], seed)

        def sample(n, seed):
            return draw(n, seed, _cond_tensors(sampler.unconditioned()))

        def sample_conditional(n, seed, conditions):
            return draw(n, seed, sampler.conditions_from_strings(conditions))

        def decode_noise(noise, seed):
            noise = tf.debugging.assert_all_finite(noise, "noise must be finite (no NaN or inf)")
            pair = tf.stack([seed, tf.constant(1, tf.int64)])
            return outputs(sampler.decode(sampler.raw(noise, _cond_tensors(sampler.unconditioned()), pair), pair + 1),
                           seed)

        archive = keras.export.ExportArchive()
        archive.track(self.model_)
        scalar_n, scalar_seed = tf.TensorSpec((), tf.int64, name="n"), tf.TensorSpec((), tf.int64, name="seed")
        archive.add_endpoint("sample", sample, [scalar_n, scalar_seed])
        archive.add_endpoint("sample_conditional", sample_conditional,
                             [scalar_n, scalar_seed, tf.TensorSpec((None,), tf.string, name="conditions")])
        archive.add_endpoint("decode_noise", decode_noise,
                             [tf.TensorSpec((None, sampler.latent_dim), tf.float32, name="noise"), scalar_seed])
        archive.write_out(str(out), verbose=False)
        left_out = {"columns": self.table_.python_only(), "constraints": self.table_.python_only_constraints()}
        schema = {"outputs": {c: self.table_.kind(c) for c in self.table_.output_columns()
                              if c not in left_out["columns"]},
                  "datetime": "float64 seconds since 1970-01-01 UTC, NaN for missing",
                  "python_only": left_out}
        (out / "genlab_schema.json").write_text(json.dumps(schema, indent=1) + "\n")
        if left_out["columns"] or left_out["constraints"]:
            import warnings

            warnings.warn(f"the SavedModel leaves out column(s) {left_out['columns']} and does not check "
                          f"constraint(s) {left_out['constraints']} (generated / checked in Python only); sample with "
                          "the Python synthesizer for them", stacklevel=2)
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
        left_out = self.table_.python_only()
        for col in python.columns:
            if col in left_out:
                continue
            if col not in out:
                raise ExportMismatchError(f"the export has no output {col!r}; export the synthesizer again")
            have = out[col].numpy()
            want = pd.Series(self.table_.export_view(python, col))
            if have.dtype == object:
                have = np.asarray([v.decode() for v in have], dtype=object)
                want = want.astype(object).where(want.notna(), "").astype(str).to_numpy()
            else:
                want = want.to_numpy(dtype=have.dtype, na_value=np.nan) if have.dtype.kind == "f" else want.to_numpy()
            same = np.array_equal(have, want, equal_nan=True) if have.dtype.kind == "f" else np.array_equal(have, want)
            if not same:
                raise ExportMismatchError(f"exported column {col!r} differs from Python's sample for seed {seed}")
        checked = "sample"
        spans = [s for s in self.encoder_.discrete_spans_ if self.table_.kind(s.column) in ("categorical", "boolean")]
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


def _writer_alive(folder: Path) -> bool:
    """Whether the process that named ``folder`` (``.<name>.tmp-<pid>-...``) still runs on this host."""
    try:
        pid = int(folder.name.rsplit(".", 1)[-1].split("-")[1])
    except (IndexError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process
    return True


def _recover(out: Path) -> None:
    """Finish what a killed :meth:`Synthesizer.save` of ``out`` left beside it.

    A save killed between moving the earlier save aside (``.<name>.old-*``) and moving the new one
    in leaves no ``out``: the earlier save, complete, is put back. Then the new folders
    (``.<name>.tmp-*``) and earlier saves moved aside of dead writers are removed. Folders of a
    save still running (its process alive) are left alone.
    """
    if not out.parent.is_dir():
        return
    stale = [p for pattern in (f".{out.name}.tmp-*", f".{out.name}.old-*") for p in out.parent.glob(pattern)
             if not _writer_alive(p)]
    if not out.exists():
        complete = [p for p in stale if ".old-" in p.name and (p / "synthesizer.json").is_file()]
        if complete:
            os.rename(complete[0], out)
            stale.remove(complete[0])
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)


def _check_consistent(state_file: Path, table: TableTransformer, encoder: Encoder) -> None:
    """Refuse a saved state whose parts disagree (a column the encoder lacks, min > max)."""
    if list(table.model_columns_) != list(encoder.columns_) or set(table.state_["per_column"]) != set(table.columns_):
        raise SavedStateError(f"{state_file}: the table layer models columns {table.model_columns_} of "
                              f"{table.columns_} but the encoder holds {encoder.columns_}; save the synthesizer again")
    for part, per_column in (("encoder", encoder.state_["per_column"]), ("table", table.state_["per_column"])):
        for col, st in per_column.items():
            low, high = st.get("min", 0.0), st.get("max", 0.0)
            try:
                ok = not isinstance(low, bool) and not isinstance(high, bool) and math.isfinite(low) \
                    and math.isfinite(high) and low <= high
            except (TypeError, OverflowError):
                ok = False
            if not ok:
                raise SavedStateError(f"{state_file}: column {col!r} has range [{low}, {high}] in the {part} state "
                                      "(min must be finite and <= max); save the synthesizer again")


#: Keys of a Keras config whose integers size layers.
_SIZE_KEYS = {"units", "width", "hidden", "latent_dim", "data_dim", "input_dim", "output_dim", "filters", "batch_shape"}


def _check_model_file(model_file: Path) -> None:
    """Refuse a ``model.keras`` whose config asks for layers wider than any of its saved weights
    (a tampered width would allocate before Keras compares it with the weights)."""
    import io
    import zipfile

    import h5py

    try:
        with zipfile.ZipFile(model_file) as archive:
            config = json.loads(archive.read("config.json"))
            with h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as weights:
                dims = {1}
                weights.visititems(lambda _, obj: dims.update(getattr(obj, "shape", ())))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SavedStateError(f"{model_file} is not a complete Keras model file ({exc}); save the synthesizer "
                              "again") from exc
    sizes = []

    def walk(node, key=None):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif key in _SIZE_KEYS and isinstance(node, int) and not isinstance(node, bool):
            sizes.append(node)

    walk(config)
    too_wide = sorted({n for n in sizes if n > max(dims)})
    if too_wide:
        raise SavedStateError(f"{model_file} configures layer widths {too_wide[:5]}, wider than any of its saved "
                              f"weights (largest dimension {max(dims)}); the file was altered: save the synthesizer "
                              "again")


def _cond_tensors(cond: Conditions) -> Conditions:
    return Conditions(tf.convert_to_tensor(cond.allowed, tf.float32), tf.convert_to_tensor(cond.low, tf.float64),
                      tf.convert_to_tensor(cond.high, tf.float64))


def _check_streamable(table, source) -> None:
    """Refuse a streamed table whose columns need the table layer (datetimes, ids, personal data,
    constraints): streamed windows are encoded as they are read."""
    changed = [c for c in table.columns_ if c not in table.model_columns_
               or table.kind(c) != table.model_types_.get(c, table.kind(c))]
    if changed or table.constraints_:
        raise ConfigError(
            f"{source.describe()}: columns {changed[:5]} (kinds {[table.kind(c) for c in changed[:5]]})"
            f"{' and constraints' if table.constraints_ else ''} need the table layer, which streamed fits do "
            "not run yet; read the table with tabular.read_table and fit the frame, or drop those columns")
