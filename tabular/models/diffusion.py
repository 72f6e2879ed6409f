"""A mixed-type diffusion model for encoded table rows, trained with ``fit``, sampled in the TF graph.

:class:`TabularDiffusion` models rows encoded by :class:`tabular.encoding.quantile.QuantileEncoder`
(or any encoder whose spans are ``linear`` scalars and ``softmax`` one-hot blocks) with one
continuous time ``t in (0, 1]`` shared by both parts, as in TabDiff (Shi et al. 2025, "TabDiff: a
Mixed-type Diffusion Model for Tabular Data Generation"):

- **Numbers** (``linear`` spans, quantile-normal): Gaussian diffusion ``x_t = x_0 + sigma(t) eps``
  with the EDM noise levels ``sigma(t) = (s_min^(1/rho) + t (s_max^(1/rho) - s_min^(1/rho)))^rho``
  and preconditioning ``D = c_skip x_t + c_out F(c_in x_t, t)``, loss
  ``(sigma^2 + s_d^2) / (sigma s_d)^2 * (D - x_0)^2`` (Karras et al. 2022, "Elucidating the Design
  Space of Diffusion-Based Generative Models").
- **Categories** (``softmax`` spans: categorical columns and the missing flags of numbers): masked
  (absorbing) diffusion: each column is replaced by a mask token with probability ``t``; the
  network predicts the clean category of masked columns; loss: their cross-entropy weighted by
  ``1 / t`` (the continuous-time ELBO of Sahoo et al. 2024, "Simple and Effective Masked Diffusion
  Language Models"; Shi et al. 2024, "Simplified and Generalized Masked Diffusion").

Why masked diffusion for categories (a design argument; multinomial diffusion was not built here
to compare): a clamped category is a state the model was trained on (any column is unmasked with
probability ``1 - t``), so conditioning by inpainting — clamping the known categories for the
whole reverse run — needs no extra training and no guidance network, and the other columns are
drawn from the model's conditional. Multinomial diffusion (TabDDPM, Kotelnikov et al. 2023) has
no such exact clamped state. Classifier-free guidance was not built: inpainting already holds
the measured rare pairs (``benchmarks/diffusion_adult.py``, e.g. ``workclass == 'Never-worked'``,
0.023 % of Adult's rows, sampled with ``occupation == 'Unknown'`` as in every real row).

The denoiser is an MLP (``width`` units, ``depth`` SiLU (default) or ReLU layers; a sinusoidal embedding of ``t``
added to the input projection) — the TabDDPM / TabSyn denoiser shape, sized for a CPU.
``Synthesizer("diffusion")`` (:mod:`tabular.synthesizers.diffusion`) trains and samples it.
Sampling (:meth:`TabularDiffusion.sample`, :meth:`TabularDiffusion.reverse`) runs the whole reverse loop in one ``tf.function``
(``tf.while_loop`` over ``steps``, stateless RNG from ``seed``): a solver step on the numbers
(``SOLVERS``; default DPM-Solver++(2M), Lu et al. 2022) and MDLM's unmasking of categories (a
masked column is revealed between ``t`` and ``s < t`` with probability ``(t - s) / t``, its
category drawn from the prediction; once revealed it stays). Weights averaged by an exponential
moving average (the optimizer's ``use_ema``) are what ``fit`` leaves in the model.

Choices, measured on a validation split carved from Adult's protocol training part (20,838 rows
to fit, 5,210 to score with :func:`tabular.evaluate`; RF / LR = RandomForest / logistic
detection AUC, 0.5 is ideal):

- Training length matters most: 4k updates (batch 1024) RF 0.655, 12.6k updates RF 0.586
  (``sigma_max`` 80, Euler 50 steps, ``education-num`` quantile-encoded).
- ``education-num`` as a quantile-normal number disagreed with ``education`` (a one-to-one pair)
  in 23 % of rows; one-hot (``QuantileEncoder(max_levels=20)``) 2.7 %: RF 0.655 -> 0.597 at 4k
  updates. ``sigma_max`` 10 instead of EDM's 80: RF 0.590 (same budget, within noise, kept:
  fewer steps spent on uninformative noise levels).
- Solver at a fixed model: Heun (2nd order, 2 passes per step) was worse than Euler for the RF
  (0.680 at 25 steps vs 0.655 Euler 50); Euler shrank the tails (``capital-gain`` mean 918 vs
  1029 real at 50 steps, 712 at 25; LR 0.542 -> 0.527 at 200 steps); Euler-ancestral LR 0.552.
  DPM-Solver++(2M) keeps one pass per step and fixes the tails.
- The defaults (15k updates, ``sigma_max`` 10, one-hot levels, width 256; measured with the
  former per-step category draws): DPM-Solver++(2M) 50 steps RF 0.519, LR 0.500, shapes 0.994,
  trends 0.983, efficacy ratio 0.986, DCR share 0.522;
  25 steps RF 0.533, LR 0.493, efficacy 0.983; Euler 50 RF 0.523, LR 0.506, efficacy 0.984.
  Width 128 (3.5x cheaper per pass): RF 0.555 at 50 steps, 0.560 at 25.
- Steps and width against speed (``benchmarks/diffusion_sampling.py``, the validation split): 20
  steps keep 50 steps' quality within 0.02 RF AUC (RF 0.542, LR 0.497, shapes 0.993, trends 0.981)
  at 2.5x the rows per CPU second; 10 steps RF 0.586, trends 0.976. Width 128 at 10 steps samples
  about 28,000 rows per CPU second (the only setting near 50,000 rows/s on 2 cores) but RF 0.605,
  trends 0.977. The categories' random draws of a whole run are made up front
  (:meth:`_reveal_plan`): per-step ``stateless_categorical`` draws cost as much as a 128-wide pass.
- XLA (``jit_compile=True``) did not lower the CPU seconds of a training step and halved the
  sampler's speed.
- The categories' reveal plan: independent reveal steps (MDLM) make several columns of a row
  due in one step, drawn independently of each other; spreading a row's columns over the run
  (:meth:`TabularDiffusion._reveal_plan`), on one fitted model, seed 0: 10 steps RF 0.586 ->
  0.532, trends 0.976 -> 0.980; 12 steps 0.570 -> 0.523, 0.978 -> 0.982; 20 steps RF 0.542 ->
  0.516, trends 0.981 -> 0.983. The default became 12 steps.
- bfloat16 matrix products in the sampler (``precision="bfloat16"``, or ``"auto"`` on CPUs with
  bfloat16 units): the same quality on the validation split (12 steps: RF 0.522 against 0.523,
  trends 0.982 both). Once the categories' reveal was one argmax per row (:meth:`_unmask`; one
  max per block had been the largest cost after the products), they gave the sampler 1.25x the
  rows per second of float32 on an AMX CPU (``python -m benchmarks.diffusion_sampling profile``):
  ``"auto"`` became the synthesizer's default.
- ReLU layers (``activation="relu"``, TabDDPM's MLP; oneDNN fuses ReLU into the products): 1.5x
  the former default's rows per second at 12 steps in bfloat16 and 21 % fewer training CPU
  seconds, the same detection AUCs, shapes and trends, but a lower efficacy ratio on the
  validation split (0.972–0.977 against SiLU's 0.980–0.982, also when trained for SiLU's CPU
  time): SiLU stays the default.
- Width at 12 steps (bfloat16 sampler, 15,000 updates unless said; ``benchmarks/diffusion_sampling.py
  fit --width W [--depth D] [--updates U]`` then ``score --steps 12``; seed 0), RF / logistic
  detection, shapes, trends, efficacy ratio, and the SavedModel's rows per second on 2 otherwise
  idle AMD EPYC cores (AVX-512 BF16), two runs:

  ==================  =====  =====  =====  =====  =====  ===============
  width x depth       RF     LR     shape  trend  effic  rows/s
  ==================  =====  =====  =====  =====  =====  ===============
  256 x 3             0.522  0.500  0.992  0.982  0.981  48,389 / 47,685
  256 x 2             0.526  0.498  0.993  0.983  0.978  58,659 / 55,039
  192 x 3 (default*)  0.532  0.500  0.993  0.982  0.984  68,745 / 55,727
  160 x 3             0.539  0.496  0.994  0.983  0.979  53,357 / 73,586
  128 x 3             0.547  0.501  0.992  0.981  0.977  105,840 / 78,712
  128 x 3, 25k upd.   0.534  0.497  0.993  0.983  0.978  79,243 / 82,225
  ==================  =====  =====  =====  =====  =====  ===============

  192 keeps 256's quality (efficacy within one seed's noise, about 0.003) at 1.2-1.4x the rows per
  second and 381 training CPU seconds against 499; every narrower or shallower denoiser fell below
  0.98 efficacy. (An earlier round's 128-wide model, with the former reveal plan, had RF 0.605.)
  (*) On tables of at least 10,000 rows: on 800 rows of the same split (seeds 0-2, ``small
  --width``) 192 sat closer to its training rows than 256 (DCR share 0.551 against 0.533, RF
  detection 0.575 against 0.552), so smaller tables keep 256 (``DiffusionConfig.width_for``).
- A cosine-decayed learning rate makes the narrow denoiser as good as the wide one (validation
  split, 12 steps, bfloat16; one fit each, rows sampled with seeds 0, 1, 2: RF / logistic
  detection, shapes, trends, efficacy ratio as means, efficacy by seed):

  ===========================================  =====  =====  =====  =====  =====  ===================
  denoiser, training                           RF     LR     shape  trend  effic  efficacy by seed
  ===========================================  =====  =====  =====  =====  =====  ===================
  192 x 3, constant 1e-3, 15,000 updates       0.537  0.500  0.993  0.983  0.981  0.984 / 0.976 / 0.985
  128 x 3, cosine from 2e-3, 15,000 updates    0.546  0.497  0.994  0.983  0.979  0.980 / 0.975 / 0.981
  128 x 3, cosine from 2e-3, 24,000 updates    0.532  0.498  0.993  0.983  0.982  0.984 / 0.978 / 0.985
  ===========================================  =====  =====  =====  =====  =====  ===================

  (``benchmarks/diffusion_sampling.py fit`` at 7cf9a16, where it made the 192-wide default — now
  ``fit --width 192 --updates 15000 --set lr_schedule=constant`` —, ``fit --updates 15000`` and
  ``fit --updates 24000 --set max_epochs=1e9`` — the epoch cap would
  stop the 20,838 rows at 17,785 updates; Adult's 26,048 rows reach 23,949 — then ``score --steps
  12 --sample-seeds 0,1,2``; the 15,000-update 128-wide fit's DCR share 0.521, seed 0.) The
  128-wide denoiser costs 85,000 multiply-adds per row and pass against 192's 164,000 (Adult's
  layout; rows per second in the docs' protocol section). Tried without gain: 128 wide at a
  constant 1e-3 (efficacy 0.977 after 15,000 updates, 0.978 after 25,000, seed 0), and, in a
  one-off experiment not kept in the benchmarks, 128 wide distilled from the 192-wide model (15,000
  updates regressing its denoised numbers and matching its category probabilities at the training
  noise levels: RF 0.551, efficacy 0.978, seed 0 — no better than training on the rows). The
  default on tables from 10,000 rows became 128 wide, cosine from 2e-3, 24,000 updates
  (``DiffusionConfig``).
- The sampler's op time by type (``python -m benchmarks.diffusion_sampling ops``; width 192, 12
  steps, bfloat16, 20,838 rows): the fused products 43 %, SiLU 16 %, the categories' reveal 14 %
  (compare, select, argmax; and part of the additions' 7 %), the reveal plan's draws and sort about
  6 %. The reveal positions
  are laid out before the run (:meth:`_unmask` is then five whole-row ops per round instead of a
  matrix product and eight), the categories' state stays in the products' dtype, and the one-time
  gathers are a scatter, a product and a concatenation of runs: the same rows for the same seed.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from genlab.distribute import scale_for_replicas
from genlab.errors import ConfigError, InputShapeError, InvalidValueError

_NEG = -1e9  # logit of padding slots
#: Reverse-process solvers of the numbers: the probability-flow ODE by Euler steps, Heun steps
#: (Karras et al. 2022) or DPM-Solver++(2M) steps (Lu et al. 2022: second order from the previous
#: step's prediction, one network pass per step), or Euler-ancestral steps (Euler to a lower
#: noise level, then fresh noise back up: a reverse SDE).
SOLVERS = ("euler", "heun", "dpmpp2m", "ancestral")


def _span_triples(spans) -> list:
    """``[[start, dim, activation], ...]`` from ``Span`` objects, dicts or triples."""
    out = []
    for s in spans:
        if hasattr(s, "start"):
            out.append([int(s.start), int(s.dim), str(s.activation)])
        elif isinstance(s, dict):
            out.append([int(s["start"]), int(s["dim"]), str(s["activation"])])
        else:
            start, dim, activation = s
            out.append([int(start), int(dim), str(activation)])
    return out


class _Untracked:
    """A plain holder TensorFlow's and Keras' attribute tracking leave alone (not saved)."""

    def __init__(self):
        self.functions = {}


class _Layout:
    """Index plans of the encoded row (NumPy constants, built once from the spans)."""

    def __init__(self, spans, data_dim: int):
        self.numeric = np.array([s for s, d, a in spans if a == "linear"], np.int64)
        self.discrete = [(s, d) for s, d, a in spans if a == "softmax"]
        covered = sorted(list(self.numeric) + [s + k for s, d in self.discrete for k in range(d)])
        if covered != list(range(data_dim)):
            raise ConfigError(f"spans must cover the encoded row 0..{data_dim - 1} exactly once with 'linear' (dim 1) "
                              "and 'softmax' blocks; check spans and data_dim")
        self.n_num, self.n_disc = len(self.numeric), len(self.discrete)
        self.slots = np.array([s + k for s, d in self.discrete for k in range(d)], np.int64)  # (sum K,)
        self.slot_column = np.array([j for j, (s, d) in enumerate(self.discrete) for _ in range(d)], np.int64)
        self.k_max = max([d for _, d in self.discrete], default=1)
        n_slots = len(self.slots)
        pad = np.full((self.n_disc, self.k_max), n_slots, np.int64)  # n_slots: the padding column
        offset = 0
        for j, (_, d) in enumerate(self.discrete):
            pad[j, :d] = np.arange(offset, offset + d)
            offset += d
        self.padded = pad  # (D, K_max) -> slot index
        self.sizes = [int(d) for _, d in self.discrete]
        self.spread_output = np.zeros((self.n_disc, self.n_num + n_slots), np.float32)  # column -> its slots
        self.spread_output[self.slot_column, self.n_num + np.arange(n_slots)] = 1.0  # in [numbers | slots]
        self.offsets = [int(o) for o in np.cumsum([0] + self.sizes[:-1])] if self.sizes else []
        order = np.concatenate([self.numeric, self.slots]).astype(np.int64)
        unpermute = np.argsort(order)  # [numbers | slots] -> encoded order, as runs of adjacent columns:
        cuts = [0] + [k for k in range(1, data_dim) if unpermute[k] != unpermute[k - 1] + 1] + [data_dim]
        self.runs = [(int(unpermute[a]), int(unpermute[a]) + b - a) for a, b in zip(cuts[:-1], cuts[1:])]


@keras.saving.register_keras_serializable(package="tabular.models")
class TabularDiffusion(keras.Model):
    """Continuous-time mixed-type diffusion (Gaussian on numbers, masked on categories).

    Args:
        spans: The encoded row's blocks: ``Span`` objects or ``[start, dim, activation]`` triples;
            ``linear`` blocks (dim 1) are numbers, ``softmax`` blocks are categories.
        data_dim: Encoded width.
        width: Hidden units of the denoiser (default 192).
        depth: Hidden layers after the input projection (default 3).
        sigma_min, sigma_max, rho: Noise levels (defaults 0.002, 10, 7; EDM's 80 spends more of the
            training and sampling steps on levels that carry no information for unit-variance data).
        sigma_data: Standard deviation of the numbers (1 for quantile-normal values).
        cat_weight: Weight of the categorical loss against the numeric loss (default 1).
        steps: Default number of sampling steps (default 12).
        solver: Default solver of the numbers (one of ``SOLVERS``).
        precision: Default precision of the sampler's matrix products: ``"float32"`` or
            ``"bfloat16"`` (training is always float32).
        activation: The denoiser's hidden activation, one of ``ACTIVATIONS`` (default ``"silu"``).
        seed: Integer seed of the training noise (sampling takes its own ``seed``).
        **kwargs: ``keras.Model`` arguments.

    Example:
        >>> model = TabularDiffusion(encoder.spans_, encoder.output_width_)
        >>> model.compile()                       # AdamW with an EMA of the weights
        >>> model.fit(x, epochs=300, batch_size=1024)
        >>> rows = model.sample(1000, seed=0, steps=20)          # encoded rows
        >>> start = encoder.spans_of("income")["category"].start     # categories "<=50K", ">50K"
        >>> rows = model.sample(1000, seed=0, conditions={start: 1})  # clamped (inpainting)
    """

    def __init__(self, spans, data_dim: int, width: int = 192, depth: int = 3, sigma_min: float = 0.002,
                 sigma_max: float = 10.0, rho: float = 7.0, sigma_data: float = 1.0, cat_weight: float = 1.0,
                 steps: int = 12, solver: str = "dpmpp2m", precision: str = "float32", activation: str = "silu",
                 seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.spans = _span_triples(spans)
        self.data_dim, self.width, self.depth = int(data_dim), int(width), int(depth)
        if self.width < 1 or self.depth < 0 or not 0 < sigma_min < sigma_max or rho <= 0 or sigma_data <= 0:
            raise ConfigError(f"need width >= 1, depth >= 0, 0 < sigma_min < sigma_max, rho > 0, sigma_data > 0; "
                              f"received width={width}, depth={depth}, sigma_min={sigma_min}, "
                              f"sigma_max={sigma_max}, rho={rho}, sigma_data={sigma_data}")
        self.sigma_min, self.sigma_max, self.rho = float(sigma_min), float(sigma_max), float(rho)
        self.sigma_data, self.cat_weight = float(sigma_data), float(cat_weight)
        self.steps, self.solver, self.seed = _check_steps(steps), _check_solver(solver), int(seed)
        self.precision = _check_precision(precision)
        self.activation = _check_activation(activation)
        self.layout = _Layout(self.spans, self.data_dim)
        lay = self.layout
        self.input_dim = lay.n_num + len(lay.slots) + lay.n_disc
        self.output_dim = lay.n_num + len(lay.slots)
        self.denoiser = self._build_denoiser()
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.num_loss_tracker = keras.metrics.Mean(name="num_loss")
        self.cat_loss_tracker = keras.metrics.Mean(name="cat_loss")
        self._samplers = _Untracked()  # graph samplers by (solver, precision), built on first use
        self.built = True  # the denoiser is built from its Inputs: fit must not call call() to build

    # ------------------------------------------------------------------------------ network
    def _build_denoiser(self) -> "DiffusionMLP":
        return DiffusionMLP(self.input_dim, self.output_dim, self.width, self.depth, self.activation, name="denoiser")

    @staticmethod
    def time_features(t):
        """Sinusoidal features of ``t`` ``(batch,)`` -> ``(batch, 32)`` (frequencies 1..1000 on a log scale)."""
        freqs = ops.exp(ops.linspace(0.0, math.log(1000.0), 16))  # (16,)
        angle = ops.expand_dims(ops.cast(t, "float32"), -1) * freqs[None, :] * math.pi  # (batch, 16)
        return ops.concatenate([ops.sin(angle), ops.cos(angle)], axis=-1)

    def sigma(self, t):
        """EDM noise level of time ``t`` (``sigma_min`` at 0, ``sigma_max`` at 1)."""
        lo, hi = self.sigma_min ** (1.0 / self.rho), self.sigma_max ** (1.0 / self.rho)
        return ops.power(lo + t * (hi - lo), self.rho)

    def _denoise(self, x_num_t, x_slots, masked, t, training=False, precision="float32"):
        """One denoiser pass.

        Args:
            x_num_t: Noisy numbers ``(batch, n_num)``.
            x_slots: One-hot categories, zeroed where masked ``(batch, sum K)``.
            masked: ``(batch, D)`` float, 1 where a column is masked.
            t: Times ``(batch,)``.
            training: Training mode.
            precision: ``"float32"`` or ``"bfloat16"`` (the matrix products; inference only).

        Returns:
            ``(denoised numbers (batch, n_num), category logits (batch, sum K))``.
        """
        sigma = ops.expand_dims(self.sigma(t), -1)  # (batch, 1)
        s2 = ops.square(sigma) + self.sigma_data ** 2
        c_in, c_skip = ops.rsqrt(s2), self.sigma_data ** 2 / s2
        c_out = sigma * self.sigma_data * ops.rsqrt(s2)
        inputs = ops.concatenate([c_in * x_num_t, x_slots, masked], axis=1)  # (batch, input_dim)
        if training:
            out = self.denoiser(inputs, self.time_features(t), training=True)
        else:  # (batch, output_dim)
            out = self.denoiser.call_inference(inputs, self.time_features(t), precision)
        lay = self.layout
        return c_skip * x_num_t + c_out * out[:, :lay.n_num], out[:, lay.n_num:]

    def _denoise_inference(self, x_num_t, x_slots, masked, t, precision):
        """The sampler's denoiser pass: as :meth:`_denoise` in inference, with the categories' state
        in the sampler's dtype (``x_slots``, ``masked``: bfloat16 for ``precision="bfloat16"``, so
        no cast of the wide input per step), and the output whole.

        Returns:
            ``(denoised numbers (batch, n_num), float32 output (batch, n_num + sum K))``: numbers
            first, then the category logits.
        """
        sigma = tf.expand_dims(self.sigma(t), -1)  # (1, 1)
        s2 = tf.square(sigma) + self.sigma_data ** 2
        c_in, c_skip = tf.math.rsqrt(s2), self.sigma_data ** 2 / s2
        c_out = sigma * self.sigma_data * tf.math.rsqrt(s2)
        inputs = tf.concat([tf.cast(c_in * x_num_t, x_slots.dtype), x_slots, masked], axis=1)
        out = self.denoiser.call_inference(inputs, self.time_features(t), precision)
        return c_skip * x_num_t + c_out * out[:, :self.layout.n_num], out

    def _padded(self, slots):
        """``(batch, sum K)`` -> ``(batch, D, K_max)``, padding slots filled with ``_NEG``."""
        pad = ops.full((ops.shape(slots)[0], 1), _NEG, dtype=slots.dtype)
        return ops.take(ops.concatenate([slots, pad], axis=1), self.layout.padded, axis=1)

    def call(self, inputs, training=False):
        """Denoise ``[x_t, masked, t]`` (encoded rows with noisy numbers and masked categories zeroed,
        ``(batch, D)`` mask, ``(batch,)`` times) -> the predicted clean rows in the encoded layout:
        numbers, and category probabilities."""
        x_t, masked, t = inputs
        lay = self.layout
        x_num_t, x_slots = ops.take(x_t, lay.numeric, axis=1), ops.take(x_t, lay.slots, axis=1)
        denoised, logits = self._denoise(x_num_t, x_slots, ops.cast(masked, "float32"), t, training)
        probs = [ops.softmax(logits[:, o:o + k], axis=-1) for o, k in zip(lay.offsets, lay.sizes)]
        return self._assemble(denoised, ops.concatenate(probs, axis=1) if probs else logits)

    def _assemble(self, numbers, slots):
        """``[numbers | slots]`` -> encoded column order ``(batch, data_dim)``: one concatenation of
        runs of adjacent columns (a gather of single columns cost about 3 % of the sampler's time)."""
        both = ops.concatenate([numbers, slots], axis=1)
        return ops.concatenate([both[:, a:b] for a, b in self.layout.runs], axis=1)

    # ------------------------------------------------------------------------------ training
    @property
    def metrics(self):
        return [self.loss_tracker, self.num_loss_tracker, self.cat_loss_tracker]

    def compile(self, optimizer=None, **kwargs):
        """``optimizer`` defaults to AdamW (learning rate 1e-3) with an EMA of the weights
        (``ema_momentum=0.999``), which ``fit`` copies into the model at the end."""
        if optimizer is None:
            optimizer = keras.optimizers.AdamW(1e-3, weight_decay=0.0, use_ema=True, ema_momentum=0.999)
        super().compile(optimizer=optimizer, **kwargs)

    def get_compile_config(self):
        return {"optimizer": keras.saving.serialize_keras_object(self.optimizer)}

    def compile_from_config(self, config):
        self.compile(optimizer=keras.saving.deserialize_keras_object(config["optimizer"]))
        self.optimizer.build(self.trainable_variables)  # so that the saved optimizer state loads

    def draw_noise(self, batch):
        """The training draws of ``batch`` rows as one ``(batch, 1 + n_num + D)`` tensor:
        ``[t | standard normal noise of the numbers | uniforms of the masks]``. Times are stratified
        (one uniform offset, evenly spread, shuffled): lower-variance loss estimates."""
        lay = self.layout
        u0 = keras.random.uniform((), seed=self.seed_generator)
        t = ops.mod(u0 + ops.cast(ops.arange(batch), "float32") / ops.cast(batch, "float32"), 1.0)
        t = keras.random.shuffle(t, seed=self.seed_generator)[:, None]  # (batch, 1)
        eps = keras.random.normal((batch, lay.n_num), seed=self.seed_generator)
        u = keras.random.uniform((batch, lay.n_disc), seed=self.seed_generator)
        return ops.concatenate([t, eps, u], axis=1)

    def diffusion_losses(self, x, noise=None):
        """Per-batch means ``(numeric loss, categorical loss)`` of encoded rows ``x``.

        Args:
            x: Encoded rows ``(batch, data_dim)``.
            noise: The draws (:meth:`draw_noise` layout); ``None`` draws them. ``fit`` on
                ``(x, noise)`` pairs trains with given draws (common random numbers; the
                distributed-equality test uses it).
        """
        lay = self.layout
        batch = ops.shape(x)[0]
        noise = self.draw_noise(batch) if noise is None else ops.cast(noise, "float32")
        t = ops.maximum(noise[:, 0], 1e-3)  # (batch,)
        x_num = ops.take(x, lay.numeric, axis=1)  # (batch, n_num)
        sigma = ops.expand_dims(self.sigma(t), -1)
        x_num_t = x_num + sigma * noise[:, 1:1 + lay.n_num]
        masked = ops.cast(noise[:, 1 + lay.n_num:] < ops.expand_dims(t, -1), "float32")  # (batch, D)
        x_slots = ops.take(x, lay.slots, axis=1) * (1.0 - ops.take(masked, lay.slot_column, axis=1))
        denoised, logits = self._denoise(x_num_t, x_slots, masked, t, training=True)
        logits = self._padded(logits)  # (batch, D, K_max)
        weight = (ops.square(sigma) + self.sigma_data ** 2) / ops.square(sigma * self.sigma_data)
        num_loss = ops.mean(weight * ops.square(denoised - x_num)) if lay.n_num else ops.zeros(())
        if not lay.n_disc:
            return num_loss, ops.zeros(())
        target = ops.take(ops.concatenate([ops.take(x, lay.slots, axis=1), ops.zeros((batch, 1))], axis=1),
                          lay.padded, axis=1)  # (batch, D, K_max) one-hot
        ce = -ops.sum(target * ops.log_softmax(logits, axis=-1), axis=-1)  # (batch, D)
        cat_loss = ops.mean(ops.sum(masked * ce, axis=1) / (t * lay.n_disc))
        return num_loss, cat_loss

    def train_step(self, data):
        x, noise = (data[0], data[1] if len(data) > 1 else None) if isinstance(data, (tuple, list)) else (data, None)
        with tf.GradientTape() as tape:
            num_loss, cat_loss = self.diffusion_losses(x, noise)
            loss = num_loss + self.cat_weight * cat_loss
            scaled = scale_for_replicas(loss)  # fit sums replica gradients
        grads = tape.gradient(scaled, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for tracker, value in zip(self.metrics, (loss, num_loss, cat_loss)):
            tracker.update_state(value)
        return {m.name: m.result() for m in self.metrics}

    # ------------------------------------------------------------------------------ sampling
    def _unmask(self, noisy, slots, masked, slot_due, column_due, now):
        """MDLM's reverse step on the categories: the masked columns due at reveal position ``now``
        (**at most one column per row**) take the category of ``argmax(logits + gumbel)`` in their
        block (the Gumbel-max trick: a draw from ``softmax(logits)``).

        Args:
            noisy: The denoiser's output plus Gumbel noise, ``(n, n_num + sum K)``: numbers first
                (never due), then the category logits.
            slots: One-hot categories ``(n, sum K)``, zero where masked (the sampler's dtype).
            masked: ``(n, D)``, 1 where a column is masked (the sampler's dtype).
            slot_due: ``(n, n_num + sum K)`` float32, the reveal position of each slot's column
                (``step * rounds + round + 1``), 0 for numbers and clamped columns (never).
            column_due: ``(n, D)`` float32, the same per column.
            now: The reveal position of this round (a float32 scalar).

        One argmax over the whole row, the slots of other columns set to ``-inf``, instead of
        one max per block (per-block ops took about a third of the bfloat16 sampler's time on
        Adult's ten categorical columns, ``python -m benchmarks.diffusion_sampling profile``);
        the positions are laid out before the run, so a round is five whole-row ops (compare,
        select, argmax, one-hot, add) instead of a mask built by a matrix product and eight."""
        lay = self.layout
        pick = tf.argmax(tf.where(tf.equal(slot_due, now), noisy, -np.inf), axis=1, output_type=tf.int32)
        due = tf.equal(column_due, now)  # (n, D)
        pick = tf.where(tf.reduce_any(due, axis=1), pick - lay.n_num, -1)  # -1: an all-zero one-hot row
        return slots + tf.one_hot(pick, len(lay.slots), dtype=slots.dtype), masked - tf.cast(due, masked.dtype)

    def _reveal_plan(self, n, steps, seed):
        """The categories' random draws of a whole reverse run, made once before it.

        MDLM reveals a masked column between ``t = 1 - i / steps`` and ``s = 1 - (i + 1) / steps``
        with probability ``(t - s) / t = 1 / (steps - i)``, so its reveal step is uniform on
        ``0 .. steps - 1``. Drawn independently per column, several columns of a row often come
        due in the same step, and are then drawn independently of each other from the
        prediction — the joint of those columns is lost (e.g. ``relationship`` and ``sex``). The
        plan here keeps each column's reveal step uniform but spreads a row's columns over the
        run: a random order of the row's columns (rank ``r`` of ``D``) and one uniform offset
        ``u`` per row; rank ``r`` is revealed at step ``floor((r + u) * steps / D)`` — at most one
        column per step when ``D <= steps``, else ``D / steps`` rounded up or down (stratified
        sampling of the reveal times; the any-order decoding of masked models). Measured with
        ``benchmarks/diffusion_sampling.py`` (validation split): see :mod:`tabular.models.diffusion`.

        A column is drawn once, at its reveal step, so its Gumbel noise is drawn up front too
        (drawing per step cost as much as the passes of a 128-wide denoiser, measured).

        Several columns of a row due in one step (``D > steps``) are revealed in successive rounds
        of :meth:`_unmask` from the same prediction, as the per-block draws were: round ``r mod
        ceil(D / steps)`` for rank ``r`` (the ranks due in one step are consecutive, so their
        rounds differ).

        Returns:
            ``(reveal step (n, D) float32, round (n, D) float32, rounds (int32 scalar), Gumbel
            noise (n, sum K))``.
        """
        lay = self.layout
        fold = tf.random.experimental.stateless_fold_in
        u = tf.random.stateless_uniform((n, lay.n_disc), fold(seed, 1))
        rank = tf.cast(tf.argsort(tf.argsort(u, axis=1), axis=1), tf.float32)  # a random order per row
        offset = tf.random.stateless_uniform((n, 1), fold(seed, 3))
        steps_f = tf.cast(steps, tf.float32)
        at = tf.minimum(tf.floor((rank + offset) * steps_f / float(lay.n_disc)), steps_f - 1.0)
        rounds = (lay.n_disc + steps - 1) // steps  # columns of a row due in one step, at most
        v = tf.random.stateless_uniform((n, len(lay.slots)), fold(seed, 2), minval=1e-20, maxval=1.0)
        return at, tf.math.floormod(rank, tf.cast(rounds, tf.float32)), rounds, -tf.math.log(-tf.math.log(v))

    def _reverse(self, cond, seed, steps, solver="euler", precision="float32"):
        """The reverse process in TF ops: ``cond`` ``(n, D)`` int32 (category index, -1 = free),
        stateless ``seed`` ``(2,)``, ``steps`` scalar -> encoded rows ``(n, data_dim)``."""
        noise = tf.random.stateless_normal((tf.shape(cond)[0], self.layout.n_num),
                                           tf.random.experimental.stateless_fold_in(seed, 0))
        return self.reverse(noise, cond, seed, steps, solver, precision)

    def reverse(self, noise, cond, seed, steps, solver=None, precision=None):
        """The reverse process from given starting noise, in TF ops (graph-safe).

        Args:
            noise: Standard normal ``(n, n_num)``: the numbers start at ``sigma_max * noise``.
            cond: ``(n, D)`` int32: a category index per categorical block (in span order), clamped
                for the whole run (inpainting), or -1 where the block is free.
            seed: Stateless seed ``(2,)`` (int32 or int64) of the category draws (and of the fresh
                noise of the ancestral solver).
            steps: Number of reverse steps (a scalar tensor or int).
            solver, precision: As :meth:`sample_graph` (default: the model's).

        Returns:
            float32 encoded rows ``(n, data_dim)``: numbers, and one-hot categories.
        """
        solver = _check_solver(self.solver if solver is None else solver)
        precision = _check_precision(self.precision if precision is None else precision)
        lay = self.layout
        cond = tf.cast(cond, tf.int32)
        n = tf.shape(cond)[0]
        fold = tf.random.experimental.stateless_fold_in
        x_num = tf.cast(noise, tf.float32) * self.sigma_max
        dtype = tf.bfloat16 if precision == "bfloat16" else tf.float32  # of the categories' state (0 / 1)
        clamped = cond >= 0
        where = tf.where(clamped)  # (m, 2) [row, column] of the clamped categories
        slot = tf.gather(np.array(lay.offsets, np.int64), where[:, 1]) + tf.cast(tf.gather_nd(cond, where), tf.int64)
        slots = tf.scatter_nd(tf.stack([where[:, 0], slot], 1), tf.ones_like(slot, dtype),
                              tf.cast(tf.stack([n, len(lay.slots)]), tf.int64))  # (n, sum K) one-hot
        masked = tf.cast(tf.logical_not(clamped), dtype)  # (n, D)
        steps = tf.cast(steps, tf.int32)
        steps_f = tf.cast(steps, tf.float32)

        if lay.n_disc:
            reveal_at, round_of, rounds, gumbel = self._reveal_plan(n, steps, seed)
            # reveal positions step * rounds + round, from 1 (0: never, the clamped columns)
            column_due = tf.where(clamped, 0.0, reveal_at * tf.cast(rounds, tf.float32) + round_of + 1.0)  # (n, D)
            slot_due = tf.matmul(column_due, lay.spread_output)  # (n, n_num + sum K), 0 on numbers (exact)
            gumbel = tf.concat([tf.zeros((n, lay.n_num)), gumbel], axis=1)  # like the output

        def body(i, x_num, slots, masked, previous):
            t = 1.0 - tf.cast(i, tf.float32) / steps_f
            s = 1.0 - tf.cast(i + 1, tf.float32) / steps_f
            denoised, out = self._denoise_inference(x_num, slots, masked, tf.reshape(t, (1,)), precision)
            sigma_t, sigma_s = self.sigma(t), tf.where(s > 0.0, self.sigma(s), 0.0)
            slope = (x_num - denoised) / sigma_t  # dx / dsigma of the probability-flow ODE
            if solver == "ancestral":  # Euler down to sigma_down, fresh noise up to sigma_s (DDPM-like)
                sigma_up = tf.sqrt(sigma_s ** 2 * (sigma_t ** 2 - sigma_s ** 2)) / sigma_t
                sigma_down = tf.sqrt(sigma_s ** 2 - sigma_up ** 2)
                fresh = tf.random.stateless_normal(tf.shape(x_num), fold(fold(seed, i + 1), 2))
                x_next = x_num + (sigma_down - sigma_t) * slope + sigma_up * fresh
            elif solver == "dpmpp2m":  # DPM-Solver++(2M): a 2nd-order multistep update, one pass per step
                sigma_prev = self.sigma(tf.minimum(t + 1.0 / steps_f, 1.0))
                ratio = tf.math.log(sigma_prev / sigma_t) / tf.math.log(sigma_t / tf.maximum(sigma_s, 1e-12))
                blend = (1.0 + 0.5 / ratio) * denoised - (0.5 / ratio) * previous
                target = tf.where((i > 0) & (s > 0.0), blend, denoised)
                x_next = sigma_s / sigma_t * x_num + (1.0 - sigma_s / sigma_t) * target
            else:
                x_next = x_num + (sigma_s - sigma_t) * slope  # Euler
            if lay.n_disc:
                noisy = out + gumbel
                first = tf.cast(i * rounds + 1, tf.float32)

                def reveal_round(k, slots, masked):  # at most one column per row in each round
                    now = first + tf.cast(k, tf.float32)
                    return (k + 1,) + self._unmask(noisy, slots, masked, slot_due, column_due, now)

                _, slots, masked = reveal_round(0, slots, masked)
                if lay.n_disc > 1:  # further rounds when steps < D
                    _, slots, masked = tf.while_loop(lambda k, *_: k < rounds, reveal_round, (1, slots, masked))
            if solver == "heun":  # Heun's correction (EDM's 2nd order), except on the last step to sigma 0
                def correct():
                    again, _ = self._denoise_inference(x_next, slots, masked, tf.reshape(s, (1,)), precision)
                    return x_num + (sigma_s - sigma_t) * 0.5 * (slope + (x_next - again) / sigma_s)
                x_next = tf.cond(s > 0.0, correct, lambda: x_next)
            return i + 1, x_next, slots, masked, denoised

        _, x_num, slots, _, _ = tf.while_loop(lambda i, *_: i < steps, body,
                                              (0, x_num, slots, masked, tf.zeros_like(x_num)))
        return self._assemble(x_num, tf.cast(slots, tf.float32))

    def sample_graph(self, solver: str | None = None, precision: str | None = None):
        """The graph sampler: a ``tf.function`` ``(cond (n, D) int32, seed (2,) int32, steps int32)``
        -> float32 encoded rows ``(n, data_dim)``; ``cond`` holds a category index per
        categorical block (in span order) or -1 where the column is free. Same ``seed`` and
        ``steps``, same rows. ``solver``: one of ``SOLVERS`` (``"heun"`` makes two network passes
        per step except the last, the others one); default the model's. ``precision``:
        ``"float32"`` or ``"bfloat16"`` matrix products; default the model's."""
        solver = _check_solver(self.solver if solver is None else solver)
        precision = _check_precision(self.precision if precision is None else precision)
        if (solver, precision) not in self._samplers.functions:
            spec = [tf.TensorSpec((None, self.layout.n_disc), tf.int32), tf.TensorSpec((2,), tf.int32),
                    tf.TensorSpec((), tf.int32)]

            @tf.autograph.experimental.do_not_convert  # plain TF control flow already
            def sampler(cond, seed, steps):
                return self._reverse(cond, seed, steps, solver, precision)

            self._samplers.functions[solver, precision] = tf.function(sampler, input_signature=spec)
        return self._samplers.functions[solver, precision]

    def condition_matrix(self, n: int, conditions=None) -> np.ndarray:
        """``(n, D)`` int32 matrix of :meth:`sample_graph` from ``{span start: category index or (n,) indices}``.

        Raises:
            InputShapeError: A key is not the start of a categorical block, or an array has the wrong length.
            InvalidValueError: An index is outside its block.
        """
        cond = np.full((int(n), self.layout.n_disc), -1, np.int32)
        starts = {s: j for j, (s, _) in enumerate(self.layout.discrete)}
        for start, value in (conditions or {}).items():
            if start not in starts:
                raise InputShapeError(f"condition key {start!r} is not the start of a categorical block; expected "
                                      f"one of {sorted(starts)} (Span.start of a 'category' span)")
            j = starts[start]
            index = np.broadcast_to(np.asarray(value, np.int64), (int(n),)) if np.ndim(value) == 0 \
                else np.asarray(value, np.int64)
            if index.shape != (int(n),):
                raise InputShapeError(f"condition for block {start} must be one index or {n} indices, received "
                                      f"shape {index.shape}")
            size = self.layout.discrete[j][1]
            if index.min() < 0 or index.max() >= size:
                raise InvalidValueError(f"condition for block {start} must hold indices in [0, {size}), received "
                                        f"{index.min()}..{index.max()}")
            cond[:, j] = index
        return cond

    def sample(self, n: int, seed: int = 0, steps: int | None = None, conditions=None,
               batch_size: int = 65536, solver: str | None = None, precision: str | None = None) -> np.ndarray:
        """Draw ``n`` encoded rows.

        Args:
            n: Rows (>= 1).
            seed: Integer seed of the draws (stateless: same seed, same rows).
            steps: Reverse steps (default: the model's ``steps``).
            conditions: ``{span start: category index}`` (or an ``(n,)`` array of indices) clamping
                categorical blocks by inpainting; the rows' other columns follow the model's
                conditional.
            batch_size: Rows per graph call.
            solver: One of ``SOLVERS`` (default: the model's ``solver``).
            precision: ``"float32"`` or ``"bfloat16"`` (default: the model's ``precision``).

        Returns:
            float32 ``(n, data_dim)`` encoded rows (numbers quantile-normal, categories one-hot).
        """
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ConfigError(f"n must be an int >= 1, received {n!r}")
        steps = self.steps if steps is None else _check_steps(steps)
        cond = self.condition_matrix(n, conditions)
        sampler, out = self.sample_graph(solver, precision), []
        for k, start in enumerate(range(0, int(n), int(batch_size))):
            chunk_seed = tf.constant([int(seed) % (2 ** 31), k], tf.int32)
            out.append(sampler(tf.constant(cond[start:start + batch_size]), chunk_seed, tf.constant(steps, tf.int32)))
        return np.concatenate([o.numpy() for o in out], axis=0)

    def get_config(self):
        return {**super().get_config(), "spans": self.spans, "data_dim": self.data_dim, "width": self.width,
                "depth": self.depth, "sigma_min": self.sigma_min, "sigma_max": self.sigma_max, "rho": self.rho,
                "sigma_data": self.sigma_data, "cat_weight": self.cat_weight, "steps": self.steps,
                "solver": self.solver, "precision": self.precision, "activation": self.activation, "seed": self.seed}


#: Activations of the denoiser's hidden layers.
ACTIVATIONS = ("relu", "silu")


@keras.saving.register_keras_serializable(package="tabular.models")
class DiffusionMLP(keras.layers.Layer):
    """The denoiser: an MLP on ``[noisy row | mask flags]`` plus an embedding of the time.

    ``h = Dense(x) + E(t)``, then ``depth`` times ``h = Dense(act(h))``, then ``Dense(act(h))``;
    ``E(t) = Dense(silu(Dense(features(t))))``. The time embedding broadcasts, so a sampler passes
    one ``(1, 32)`` row of time features per step instead of one per sample.

    Args:
        input_dim: Width of the noisy row with its mask flags.
        output_dim: Numbers plus category logits.
        width: Hidden units.
        depth: Hidden layers after the input projection.
        activation: ``act``, one of ``ACTIVATIONS`` (``"relu"``: TabDDPM's MLP; ``"silu"``: TabSyn's).
    """

    def __init__(self, input_dim: int, output_dim: int, width: int = 192, depth: int = 3, activation: str = "silu",
                 **kwargs):
        super().__init__(**kwargs)
        self.input_dim, self.output_dim, self.width, self.depth = int(input_dim), int(output_dim), int(width), int(depth)
        self.activation = _check_activation(activation)
        self.act = tf.nn.relu if self.activation == "relu" else tf.nn.silu
        self.time_1 = keras.layers.Dense(self.width, activation="silu", name="time_1")
        self.time_2 = keras.layers.Dense(self.width, name="time_2")
        self.project = keras.layers.Dense(self.width, name="project")
        self.hidden = [keras.layers.Dense(self.width, name=f"hidden_{i}") for i in range(self.depth)]
        self.head = keras.layers.Dense(self.output_dim, name="head")
        self.time_1.build((None, 32))
        self.time_2.build((None, self.width))
        self.project.build((None, self.input_dim))
        for layer in self.hidden:
            layer.build((None, self.width))
        self.head.build((None, self.width))
        self.built = True

    def call(self, x, time_features, training=False):
        temb = self.time_2(self.time_1(time_features))  # (batch or 1, width)
        h = self.project(x) + temb  # (batch, width)
        for layer in self.hidden:
            h = layer(self.act(h))
        return self.head(self.act(h))  # (batch, output_dim)

    def call_inference(self, x, time_features, precision: str = "float32"):
        """The sampler's pass: the same function as :meth:`call`, each layer written as one
        ``MatMul`` + ``BiasAdd`` (+ ``Relu`` of the next layer's input), the pattern oneDNN runs as
        one fused kernel, with the time embedding of a shared time (``time_features`` of one row)
        folded into the projection's bias. ``precision="bfloat16"``: bfloat16 matrix products
        and activations (float32 time embedding and output), on the CPU's bfloat16 units (AMX /
        AVX-512 BF16) where it has them."""
        temb = self.time_2(self.time_1(time_features))  # (1 or batch, width), float32
        dtype = tf.bfloat16 if precision == "bfloat16" else tf.float32

        def dense(layer, h, extra=None):
            bias = layer.bias if extra is None else layer.bias + extra
            return tf.nn.bias_add(tf.matmul(h, tf.cast(layer.kernel, dtype)), tf.cast(bias, dtype))

        x = tf.cast(x, dtype)
        if temb.shape[0] == 1:  # one time for every row: a bias
            h = dense(self.project, x, temb[0])
        else:
            h = dense(self.project, x) + tf.cast(temb, dtype)
        for layer in self.hidden:
            h = dense(layer, self.act(h))
        return tf.cast(dense(self.head, self.act(h)), tf.float32)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "width": self.width, "depth": self.depth, "activation": self.activation}


#: Precisions of the sampler's matrix products; ``"auto"`` is resolved by :func:`resolve_precision`.
PRECISIONS = ("auto", "float32", "bfloat16")


def bfloat16_units() -> bool:
    """Whether this machine's CPU multiplies bfloat16 matrices in hardware (AMX-BF16 or AVX-512
    BF16, from ``/proc/cpuinfo``; ``False`` where that file is missing)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            flags = set(next((line for line in handle if line.startswith("flags")), "").split())
    except OSError:
        return False
    return bool(flags & {"amx_bf16", "avx512_bf16"})


def resolve_precision(precision: str) -> str:
    """``"auto"`` -> ``"bfloat16"`` on a CPU with bfloat16 units (:func:`bfloat16_units`) and no
    GPU visible to TensorFlow, else ``"float32"``; the other values as they are."""
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {list(PRECISIONS)}, received {precision!r}")
    if precision != "auto":
        return precision
    return "bfloat16" if bfloat16_units() and not tf.config.list_logical_devices("GPU") else "float32"


def _check_precision(precision) -> str:
    if precision not in ("float32", "bfloat16"):
        raise ConfigError(f"precision must be 'float32' or 'bfloat16', received {precision!r}")
    return precision


def _check_activation(activation) -> str:
    if activation not in ACTIVATIONS:
        raise ConfigError(f"activation must be one of {list(ACTIVATIONS)}, received {activation!r}")
    return activation


def _check_solver(solver) -> str:
    if solver not in SOLVERS:
        raise ConfigError(f"solver must be one of {list(SOLVERS)}, received {solver!r}")
    return solver


def _check_steps(steps) -> int:
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 1:
        raise ConfigError(f"steps must be an int >= 1, received {steps!r}")
    return int(steps)
