"""``"diffusion"``: mixed-type diffusion on quantile-normal rows (:class:`~tabular.models.TabularDiffusion`).

Numbers go through :class:`~tabular.encoding.QuantileEncoder` (TabDDPM's quantile normalisation,
Kotelnikov et al. 2023) and a Gaussian diffusion with EDM's preconditioning (Karras et al. 2022);
categories, few-level integers and missing flags through masked (absorbing) diffusion (Sahoo et
al. 2024; the mixed-type, one-clock design of TabDiff, Shi et al. 2025). Why these choices, and
how they were measured, is in :mod:`tabular.models.diffusion`.

Sampling runs the reverse process in the graph (``steps`` solver steps of the numbers and
unmasking steps of the categories, one ``tf.while_loop``), so :meth:`Synthesizer.sample` and the
exported SavedModel run the same code. ``steps`` and ``solver`` are sampling arguments
(:meth:`DiffusionSynthesizer.sample`) and export arguments (:meth:`DiffusionSynthesizer.export`);
the config's values are the defaults.

Conditions: every discrete column a condition restricts to one category (the most restrictive
conditioned column always is: the rows are shared among its allowed categories by training
frequency) is clamped for the whole reverse run — inpainting: the other columns are drawn from
the model's conditional, as masked diffusion trains on every pattern of known columns — and rows
are then kept only when every condition holds (lists of categories, numeric ranges).
"""

from __future__ import annotations

import dataclasses

import keras
import tensorflow as tf

from genlab.errors import ConfigError, unknown_name
from tabular.encoding import QuantileEncoder
from tabular.models.diffusion import ACTIVATIONS, PRECISIONS, SOLVERS, TabularDiffusion, _check_steps, resolve_precision
from tabular.synthesizers.base import Synthesizer, check_int, register
from tabular.synthesizers.sampler import Conditions, GraphSampler
from tabular.synthesizers.training import batch_for, count_rows
from tabular.synthesizers.tvae import check_momentum, check_positive


#: From this many training rows the diffusion method's default width is 128 and its learning rate
#: cosine-decayed, below it 256 at a constant rate (:meth:`DiffusionConfig.width_for`,
#: :meth:`DiffusionConfig.schedule_for`).
LARGE_TABLE_ROWS = 10_000
#: Learning-rate schedules of the diffusion method (:attr:`DiffusionConfig.lr_schedule`).
LR_SCHEDULES = ("constant", "cosine")
#: The epoch cap's reference table: ``DiffusionConfig.max_epochs`` epochs at this many rows, growing
#: with the cube root of the rows (:meth:`DiffusionConfig.max_epochs_for`).
EPOCH_CAP_ROWS = 800


@dataclasses.dataclass(frozen=True)
class DiffusionConfig:
    """Network, training and sampling of the ``"diffusion"`` method.

    The defaults were chosen on a validation split carved from Adult's protocol training part
    (see :mod:`tabular.models.diffusion`).

    Attributes:
        updates: Training length in optimizer updates, at most ``updates_per_row`` times the
            table's rows and at most ``max_epochs_for`` epochs; ``fit`` turns it into epochs of the
            table (:meth:`epochs_for`; Adult's 26,048 rows: 23,949 updates, the epoch cap).
            ``Synthesizer.fit(frame, epochs=...)`` overrides it. 24,000 with the 128-wide
            denoiser and the cosine schedule of large tables (see ``width``); tables under about
            18,000 rows reach the epoch cap first, so it only lengthens larger ones.
        updates_per_row: The memorisation guard of small tables: at most this many updates per
            training row (Adult's 26,048 rows: the cap, 78,144, does not bind; 800 rows: 2,400
            updates in batches of 100, 300 epochs). Measured on 800 rows of Adult (validation
            split, ``benchmarks/diffusion_sampling.py small``): 15,000 full-batch updates made
            near-twins of the training rows (RandomForest detection AUC 0.265, below chance), 2,000
            full-batch updates a DCR share of 0.646, 2,400 updates in batches of 100 a DCR share of
            0.550 with efficacy ratio 0.968.
        max_epochs: The memorisation guard of mid-size tables: at most this many epochs on an
            800-row table, growing with the cube root of the rows (:meth:`max_epochs_for`: 513 at
            4,000 rows, 646 at 8,000, 958 at Adult's 26,048, which binds there: 23,949 of the
            24,000 updates). Measured on subsamples of Adult's validation split
            (``benchmarks/diffusion_sampling.py small --rows R``, scored against the 5,210
            validation rows; DCR share 0.5 = no memorisation, the guard is 0.55): on 4,000 rows the
            former rule (``updates_per_row`` alone, in batches of an eighth of the table: 12,000
            updates, 1,500 epochs) gave a DCR share of 0.620 (0.603 at width 192) and RandomForest
            detection 0.427, below chance; 600 epochs 0.533 / 0.556 (seeds 0 / 1); 500 epochs 0.532
            / 0.541 / 0.548 (seeds 0-2, mean 0.541) with detection 0.530 / 0.516 / 0.528 and
            efficacy ratio 0.962 / 0.974 / 0.968; 300 epochs 0.506 but detection 0.661
            (unfinished). 2,000 rows: 446 epochs 0.548, 375 epochs 0.537 / 0.527. 8,000 rows: 809
            epochs 0.543, 650 epochs 0.530 (detection 0.518, efficacy 0.970). 12,000 rows: the
            former 1,364 epochs 0.532, 963 epochs 0.530. The guard holds on the mean, not with a
            margin: single seeds reach 0.548.
        batch_size: Rows per update (at most an eighth of the table's rows: a small table gets
            several updates per epoch).
        width: Hidden units of the denoiser MLP; ``None`` (default): :meth:`width_for` the table,
            128 from ``LARGE_TABLE_ROWS`` rows, 256 below. On Adult's validation split (20,838 rows;
            12 steps, bfloat16 sampler; one fit, rows sampled with seeds 0, 1, 2) 128 wide with the
            cosine schedule (peak 2e-3) and 24,000 updates gave RF / logistic detection 0.532 /
            0.498, shapes 0.993, trends 0.983, efficacy ratio 0.982 (0.984 / 0.978 / 0.985) against
            the former default's (192 wide, constant 1e-3, 15,000 updates) 0.537 / 0.500, 0.993,
            0.983, 0.981 (0.984 / 0.976 / 0.985), at about 1.5x its rows per second; 128 wide at a
            constant 1e-3 reached efficacy 0.977 (15,000 updates) and 0.978 (25,000), with the
            cosine schedule and 15,000 updates 0.979, and distilled from the 192-wide model
            (15,000 updates on its outputs) 0.978 (see :mod:`tabular.models.diffusion`). Earlier,
            192 had matched 256 (efficacy 0.984 against 0.981, seed 0). On 800 rows of that split
            (seeds 0-2) 192 sat closer to its training rows than 256 (DCR share 0.551 against
            0.533) and was told from real rows more easily (RF 0.575 against 0.552). On 4,000 rows,
            trained the former 1,500 epochs, 192 memorised less than 256 (DCR share 0.603 against
            0.620; one seed): the 10,000-row boundary is a guess, not a measured optimum.
        depth: Hidden layers after its input projection.
        learning_rate: AdamW learning rate (under ``"cosine"``, its peak); ``None`` (default):
            :meth:`learning_rate_for` the schedule, 2e-3 under ``"cosine"``, 1e-3 under
            ``"constant"``.
        lr_schedule: One of ``LR_SCHEDULES``: ``"constant"``, or ``"cosine"`` — the rate decays
            from ``learning_rate`` to 0 over the fit's updates along half a cosine (Loshchilov &
            Hutter 2017, without restarts); ``None`` (default): :meth:`schedule_for` the table,
            ``"cosine"`` from ``LARGE_TABLE_ROWS`` rows, ``"constant"`` below (the memorisation
            guards of small and mid-size tables were measured at a constant 1e-3).
        ema_momentum: Momentum of the moving average of the weights that ``fit`` leaves in the
            model (0: no average).
        steps: Sampling steps (default of ``sample`` and ``export``). 12: on the validation split
            (``benchmarks/diffusion_sampling.py``; one fitted model, seed 0) RF / logistic detection
            0.523 / 0.501, shapes 0.992, trends 0.982, efficacy ratio 0.980 against 0.516 / 0.496,
            0.993, 0.983, 0.981 at 20 steps and 0.532 / 0.505, 0.991, 0.980 at 10 — with the
            categories revealed spread over the run (:meth:`TabularDiffusion._reveal_plan`); the
            former plan, independent reveal steps, needed 20 steps for RF 0.542, trends 0.981.
        solver: Sampling solver of the numbers, one of ``SOLVERS`` (``"dpmpp2m"``: DPM-Solver++(2M)).
        precision: The sampler's matrix products, one of ``PRECISIONS``: ``"float32"``,
            ``"bfloat16"`` or ``"auto"`` (bfloat16 on a CPU with bfloat16 units — AMX or AVX-512
            BF16 — and no GPU, else float32); training is float32 always. Default of ``sample``
            and ``export`` (an export keeps the precision it was made with). ``"auto"``: on the
            validation split bfloat16 gave the same quality (12 steps: RF detection 0.522 against
            0.523, trends 0.982 both) and, with the sampler's categories revealed by one argmax per
            row, 1.25x the rows per second of float32 on an AMX CPU
            (``benchmarks/diffusion_sampling.py profile``; see :mod:`tabular.models.diffusion`).
        activation: The denoiser's hidden activation, one of ``ACTIVATIONS``.
        sigma_max: Largest noise level of the numbers.
        cat_weight: Weight of the categorical loss.
        max_levels: Integer columns with at most this many distinct values are encoded as exact
            levels (a categorical block) instead of quantile-normal numbers.
    """

    updates: int = 24000
    updates_per_row: float = 3.0
    max_epochs: float = 300.0
    batch_size: int = 1024
    width: int | None = None
    depth: int = 3
    learning_rate: float | None = None
    lr_schedule: str | None = None
    ema_momentum: float = 0.999
    steps: int = 12
    solver: str = "dpmpp2m"
    precision: str = "auto"
    activation: str = "silu"
    sigma_max: float = 10.0
    cat_weight: float = 1.0
    max_levels: int = 20

    def __post_init__(self):
        for name in ("updates", "batch_size", "steps") + (("width",) if self.width is not None else ()):
            check_int(f"DiffusionConfig.{name}", getattr(self, name), 1)
        check_int("DiffusionConfig.depth", self.depth, 0)
        check_int("DiffusionConfig.max_levels", self.max_levels, 0)
        check_positive("DiffusionConfig", cat_weight=self.cat_weight, updates_per_row=self.updates_per_row,
                       max_epochs=self.max_epochs,
                       **({} if self.learning_rate is None else {"learning_rate": self.learning_rate}))
        if self.lr_schedule is not None and self.lr_schedule not in LR_SCHEDULES:
            raise unknown_name("DiffusionConfig.lr_schedule", self.lr_schedule, LR_SCHEDULES)
        if isinstance(self.sigma_max, bool) or not isinstance(self.sigma_max, (int, float)) \
                or not self.sigma_max > 0.002:
            raise ConfigError(f"DiffusionConfig.sigma_max must be a number > 0.002 (the smallest noise level), "
                              f"received {self.sigma_max!r}")
        check_momentum("DiffusionConfig", self.ema_momentum)
        if self.solver not in SOLVERS:
            raise unknown_name("DiffusionConfig.solver", self.solver, SOLVERS)
        if self.precision not in PRECISIONS:
            raise unknown_name("DiffusionConfig.precision", self.precision, PRECISIONS)
        if self.activation not in ACTIVATIONS:
            raise unknown_name("DiffusionConfig.activation", self.activation, ACTIVATIONS)

    def batch_for(self, n_rows: int) -> int:
        """Rows per update on a table of ``n_rows`` rows: ``batch_size``, at most ``n_rows // 8``
        (:func:`tabular.synthesizers.training.batch_for`, as every method)."""
        return batch_for(self.batch_size, n_rows)

    def width_for(self, n_rows: int) -> int:
        """The denoiser's width on a table of ``n_rows`` rows: ``width`` if set, else 128 from
        ``LARGE_TABLE_ROWS`` rows (with the cosine schedule as good as 192 was on Adult, and faster
        to sample), 256 below (less memorisation of a small table)."""
        if self.width is not None:
            return int(self.width)
        return 128 if int(n_rows) >= LARGE_TABLE_ROWS else 256

    def schedule_for(self, n_rows: int) -> str:
        """The learning-rate schedule on a table of ``n_rows`` rows: ``lr_schedule`` if set, else
        ``"cosine"`` from ``LARGE_TABLE_ROWS`` rows, ``"constant"`` below."""
        if self.lr_schedule is not None:
            return self.lr_schedule
        return "cosine" if int(n_rows) >= LARGE_TABLE_ROWS else "constant"

    def learning_rate_for(self, n_rows: int) -> float:
        """The (peak) learning rate on a table of ``n_rows`` rows: ``learning_rate`` if set, else 2e-3
        under the cosine schedule (its mean rate is then 1e-3) and 1e-3 under the constant one."""
        if self.learning_rate is not None:
            return float(self.learning_rate)
        return 2e-3 if self.schedule_for(n_rows) == "cosine" else 1e-3

    def max_epochs_for(self, n_rows: int) -> float:
        """The epoch cap of a table of ``n_rows`` rows: ``max_epochs`` at ``EPOCH_CAP_ROWS`` (800)
        rows, times the cube root of ``n_rows / 800``."""
        return self.max_epochs * (max(int(n_rows), 1) / EPOCH_CAP_ROWS) ** (1.0 / 3.0)

    def updates_for(self, n_rows: int) -> int:
        """Optimizer updates on a table of ``n_rows`` rows: ``updates``, at most ``updates_per_row *
        n_rows`` (small tables) and at most :meth:`max_epochs_for` epochs (mid-size tables)."""
        per_epoch = max(1, int(n_rows) // self.batch_for(n_rows))
        return max(1, min(int(self.updates), int(self.updates_per_row * int(n_rows)),
                          int(round(self.max_epochs_for(n_rows) * per_epoch, 6))))

    def epochs_for(self, n_rows: int) -> int:
        """Epochs on a table of ``n_rows`` rows: about :meth:`updates_for` optimizer updates in total."""
        per_epoch = max(1, int(n_rows) // self.batch_for(n_rows))  # whole batches only
        return max(1, -(-self.updates_for(n_rows) // per_epoch))


class DiffusionSampler(GraphSampler):
    """The :class:`GraphSampler` of a :class:`TabularDiffusion`: the noise is the numbers' starting
    noise, and conditions restricting a discrete column to one category clamp it (inpainting).

    Args:
        encoder: The fitted :class:`QuantileEncoder`.
        model: The trained :class:`TabularDiffusion`.
        steps: Reverse steps.
        solver: One of ``SOLVERS``.
        precision: One of ``PRECISIONS`` (``"auto"`` resolved here, by :func:`resolve_precision`).
        **kwargs: :class:`GraphSampler` arguments (``max_candidates``).
    """

    def __init__(self, encoder, model: TabularDiffusion, steps: int, solver: str, precision: str = "float32",
                 **kwargs):
        super().__init__(encoder, network=self._unused, latent_dim=model.layout.n_num, discrete="argmax", **kwargs)
        self.model, self.steps, self.solver = model, _check_steps(steps), solver
        self.precision = resolve_precision(precision)
        blocks = [s for s in encoder.spans_ if s.activation == "softmax"]  # the model's categorical blocks
        #: Per model block: ``(offset, dim)`` of its positions in ``Conditions.allowed``, or ``None``.
        self.clampable = [(int(self.disc_offsets[self.disc_columns.index(s.column)]), s.dim)
                          if s.role == "category" else None for s in blocks]

    @staticmethod
    def _unused(latent, cond):
        raise NotImplementedError("DiffusionSampler.raw runs the reverse process")

    def clamp(self, cond: Conditions, n):
        """``(n, D)`` int32 of the model's blocks: the category of a column restricted to exactly one
        category, else -1."""
        allowed = tf.convert_to_tensor(cond.allowed, tf.float32)
        row = []
        for where in self.clampable:
            if where is None:
                row.append(tf.constant(-1, tf.int32))
                continue
            block = allowed[where[0]:where[0] + where[1]]
            single = tf.equal(tf.reduce_sum(block), 1.0)
            row.append(tf.where(single, tf.argmax(block, output_type=tf.int32), -1))
        if not row:
            return tf.zeros((n, 0), tf.int32)
        return tf.tile(tf.stack(row)[None, :], tf.stack([n, 1]))

    def raw(self, noise, cond: Conditions, seed):
        """Encoded rows from the numbers' starting ``noise`` ``(batch, n_num)``: the whole reverse run."""
        return self.model.reverse(noise, self.clamp(cond, tf.shape(noise)[0]), seed, self.steps, self.solver,
                                  self.precision)


@register
class DiffusionSynthesizer(Synthesizer):
    """The ``"diffusion"`` method (see the module docstring); arguments as :class:`Synthesizer`.

    Example:
        >>> synth = Synthesizer("diffusion").fit(train)
        >>> rows = synth.sample(1000, steps=25)                  # fewer steps: faster
        >>> rich = synth.sample(500, conditions={"income": ">50K"})
    """

    method = "diffusion"
    config_class = DiffusionConfig
    discrete = "argmax"  # the reverse run ends with one-hot categories
    budget = "updates"  # DiffusionConfig.updates, turned into epochs of the table by fit

    def make_encoder(self):
        return QuantileEncoder(self.column_types, max_levels=self.config.max_levels, seed=self.seed)

    def fit(self, data, epochs: int | None = None, callbacks=None, verbose: int = 0,
            **kwargs) -> "DiffusionSynthesizer":
        """As :meth:`Synthesizer.fit`; ``epochs`` defaults to the config's ``updates`` (capped by
        ``updates_per_row`` and ``max_epochs``) turned into epochs of the table (:meth:`DiffusionConfig.epochs_for`; a
        table given by path is counted first), and the denoiser's width follows the table's rows
        (:meth:`DiffusionConfig.width_for`)."""
        self._fit_rows = count_rows(data)
        if epochs is None:
            epochs = self.config.epochs_for(self._fit_rows)
        return super().fit(data, epochs=epochs, callbacks=callbacks, verbose=verbose, **kwargs)

    def build_model(self, encoder, x, frame):
        c = self.config
        model = TabularDiffusion(encoder.layout(), encoder.output_width_, width=c.width_for(self._fit_rows),
                                 depth=c.depth,
                                 sigma_max=c.sigma_max, cat_weight=c.cat_weight, steps=c.steps, solver=c.solver,
                                 activation=c.activation, seed=self.seed)
        rate = c.learning_rate_for(self._fit_rows)
        # the cosine schedule; train() sets its length (the fit's updates are known there)
        self._decay = None
        if c.schedule_for(self._fit_rows) == "cosine":
            rate = self._decay = keras.optimizers.schedules.CosineDecay(rate, decay_steps=1, alpha=0.0)
        model.compile(keras.optimizers.AdamW(rate, weight_decay=0.0, use_ema=c.ema_momentum > 0,
                                             ema_momentum=c.ema_momentum or 0.99), jit_compile=self.jit_compile)
        return model

    def train(self, model, encoder, data, epochs, callbacks, verbose):
        batch = data.global_batch(self.config.batch_for(data.rows))
        first = data.first_epoch()
        dataset, steps = data.batches(batch, first)  # whole batches only: one batch shape, one traced step
        if self._decay is not None:  # over the whole fit's updates, a resumed one too (the optimizer keeps its step)
            self._decay.decay_steps = epochs * steps
        history = model.fit(dataset, epochs=epochs, initial_epoch=first, steps_per_epoch=steps, shuffle=False,
                            callbacks=data.callbacks("train", callbacks), verbose=verbose)
        return data.history("train", history)

    def sampler_parts(self):  # the sampler is a DiffusionSampler (graph_sampler)
        raise NotImplementedError

    def graph_sampler(self) -> DiffusionSampler:
        """The :class:`DiffusionSampler` of the current sampling setting (one per ``(steps, solver,
        precision)``, built once; the config's setting unless :meth:`sample` asks for another)."""
        self.check_fitted()
        if getattr(self, "_sampler", None) is None:  # fit / load reset the cache
            self._samplers = {}
        key = getattr(self, "_setting", None) or self._check_setting(None, None, None)
        if key not in self._samplers:
            sampler = DiffusionSampler(self.encoder_, self.model_, *key)
            self._samplers[key] = (sampler, tf.function(sampler.sample_codes, reduce_retracing=True))
        self._sampler, self._sample_fn = self._samplers[key]
        return self._sampler

    def sample(self, n: int, conditions=None, seed: int | None = None, steps: int | None = None,
               solver: str | None = None, precision: str | None = None):
        """As :meth:`Synthesizer.sample`, plus the sampler's setting.

        Args:
            steps: Reverse steps (default: the config's ``steps``); fewer is faster, more is finer.
            solver: One of ``SOLVERS`` (default: the config's ``solver``).
            precision: One of ``PRECISIONS`` (default: the config's ``precision``).

        Raises:
            ConfigError: Bad ``steps``; UnknownNameError: unknown ``solver`` or ``precision``.
        """
        self._setting = self._check_setting(steps, solver, precision)
        try:
            return super().sample(n, conditions, seed)
        finally:
            self._setting = None
            if hasattr(self, "model_"):
                self.graph_sampler()  # back to the config's setting (export, warm-up)

    def export(self, directory, steps: int | None = None, solver: str | None = None, precision: str | None = None):
        """As :meth:`Synthesizer.export`, with the sampler's setting the SavedModel runs.

        Args:
            steps: Reverse steps of the exported endpoints (default: the config's ``steps``).
            solver: One of ``SOLVERS`` (default: the config's ``solver``).
            precision: One of ``PRECISIONS`` (default: the config's ``precision``); ``"auto"`` is
                resolved on this machine, and the SavedModel keeps the result wherever it runs.

        Raises:
            ConfigError: Bad ``steps``; UnknownNameError: unknown ``solver`` or ``precision``.
        """
        self._setting = self._check_setting(steps, solver, precision)
        try:
            return super().export(directory)
        finally:
            self._setting = None
            if hasattr(self, "model_"):
                self.graph_sampler()

    def _check_setting(self, steps, solver, precision) -> tuple:
        """``(steps, solver, resolved precision)`` of a sampling setting, the config's where ``None``."""
        steps = self.config.steps if steps is None else _check_steps(steps)
        solver = self.config.solver if solver is None else solver
        if solver not in SOLVERS:
            raise unknown_name("solver", solver, SOLVERS)
        precision = self.config.precision if precision is None else precision
        if precision not in PRECISIONS:
            raise unknown_name("precision", precision, PRECISIONS)
        return steps, solver, resolve_precision(precision)


__all__ = ["ACTIVATIONS", "DiffusionConfig", "DiffusionSampler", "DiffusionSynthesizer", "LR_SCHEDULES", "PRECISIONS",
           "SOLVERS"]
