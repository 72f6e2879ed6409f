"""Adversarial training (FGSM or PGD examples in every step) and robustness curves."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from genlab.callbacks import GuardedFit
from genlab.distribute import scale_for_replicas
from genlab.errors import ConfigError, unknown_name
from robustness import attacks
from robustness._checks import check_clip, check_data, check_number, check_steps

#: Attacks understood by :class:`AdversarialTrainer` and :func:`robustness_curve`.
ATTACKS = ("fgsm", "pgd")


def _check_attack(attack: str) -> str:
    if attack not in ATTACKS:
        raise unknown_name("attack", attack, ATTACKS)
    return attack


@keras.saving.register_keras_serializable(package="robustness")
class AdversarialTrainer(GuardedFit, keras.Model):
    """Train a classifier on adversarial examples crafted against it at every step.

    Each training step attacks the current classifier (in inference mode) with FGSM or PGD
    around the batch, then minimises ``(1 - adversarial_weight) * CE(clean) +
    adversarial_weight * CE(adversarial)`` (Goodfellow et al. 2015 use a weight of 0.5; Madry et
    al. 2018 train on PGD examples only, weight 1). Calling the trainer calls the classifier.

    Metrics: ``loss`` (the objective), ``clean_loss``, ``adversarial_loss``, ``accuracy`` (clean)
    and ``adversarial_accuracy``; ``evaluate`` reports the same, attacking the evaluated batch.

    Args:
        classifier: A built Keras model ``x -> class probabilities`` (logits with
            ``from_logits=True``); its inputs are expected inside ``clip``.
        attack: ``"fgsm"`` or ``"pgd"``.
        epsilon: L-infinity radius of the attack, ``>= 0``. Default 0.1.
        adversarial_weight: Share of the adversarial loss in ``[0, 1]``; 1 trains on adversarial
            examples only, 0.5 on an even mix of clean and adversarial. Default 0.5.
        steps: PGD steps (ignored for FGSM). Default 7.
        step_size: PGD step size; ``None`` uses ``2.5 * epsilon / steps``.
        random_start: PGD starts from a random point of the ball. Default True.
        clip: Valid input range ``(low, high)`` or ``None``. Default ``(0, 1)``.
        from_logits: The classifier outputs logits. Default False.
        seed: Integer seed of the PGD random starts.
        **kwargs: Standard ``keras.Model`` arguments (``name``...).

    Raises:
        ConfigError: A parameter is out of range or the classifier is not built.
        UnknownNameError: Unknown ``attack``.

    Example:
        >>> trainer = AdversarialTrainer(classifier, attack="fgsm", epsilon=0.1)
        >>> trainer.compile(optimizer=keras.optimizers.Adam(1e-3))
        >>> trainer.fit(x_train, y_train, epochs=5, batch_size=64)
        >>> robustness_curve(classifier, x_test, y_test, attack="pgd")
    """

    def __init__(self, classifier: keras.Model, attack: str = "fgsm", epsilon: float = 0.1,
                 adversarial_weight: float = 0.5, steps: int = 7, step_size: float | None = None,
                 random_start: bool = True, clip=attacks.UNIT_RANGE, from_logits: bool = False,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(classifier, keras.Model) or not classifier.built:
            raise ConfigError("classifier must be a built keras.Model (give it an Input or call it once)")
        self.classifier = classifier
        self.attack = _check_attack(attack)
        self.epsilon = check_number("epsilon", epsilon)
        self.adversarial_weight = check_number("adversarial_weight", adversarial_weight)
        if self.adversarial_weight > 1:
            raise ConfigError(f"adversarial_weight must lie in [0, 1], received {adversarial_weight}")
        self.steps = check_steps(steps)
        self.step_size = (2.5 * self.epsilon / self.steps if step_size is None
                          else check_number("step_size", step_size, strict=True))
        self.random_start = bool(random_start)
        self.clip = check_clip(clip)
        self.from_logits = bool(from_logits)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self._trackers = [keras.metrics.Mean(name=n) for n in
                          ("loss", "clean_loss", "adversarial_loss", "accuracy", "adversarial_accuracy")]
        self.built = True  # the classifier is built; fit must not trace a build step

    def call(self, x, training=False):
        return self.classifier(x, training=training)

    @property
    def metrics(self):
        return list(self._trackers)

    def adversarial_examples(self, x, y):
        """Attack a batch (tensors, integer labels) with this trainer's settings; no gradient flows."""
        if self.attack == "fgsm":
            x_adv = attacks.fgsm_batch(self.classifier, x, y, self.epsilon, self.clip,
                                       from_logits=self.from_logits)
        else:
            x_adv = attacks.pgd_batch(self.classifier, x, y, self.epsilon, self.steps, self.step_size,
                                      self.random_start, clip=self.clip, seed=self.seed_generator,
                                      from_logits=self.from_logits)
        return tf.stop_gradient(x_adv)

    def _terms(self, x, y, sample_weight, training: bool) -> dict:
        """Clean and adversarial losses and accuracies on one batch (unscaled means)."""
        y = tf.cast(tf.reshape(y, (-1,)), tf.int32)
        x = tf.convert_to_tensor(x)
        x_adv = self.adversarial_examples(x, y)  # (batch, *input_shape)
        terms = {}
        for name, inputs in (("clean", x), ("adversarial", x_adv)):
            out = self.classifier(inputs, training=training)
            ce = keras.losses.sparse_categorical_crossentropy(y, out, from_logits=self.from_logits)
            hit = tf.cast(tf.equal(tf.argmax(out, -1, output_type=tf.int32), y), ce.dtype)
            terms[f"{name}_loss"] = _weighted_mean(ce, sample_weight)
            accuracy_name = "accuracy" if name == "clean" else "adversarial_accuracy"
            terms[accuracy_name] = _weighted_mean(hit, sample_weight)
        w = self.adversarial_weight
        terms["loss"] = (1.0 - w) * terms["clean_loss"] + w * terms["adversarial_loss"]
        return terms

    def _record(self, terms: dict) -> dict:
        for tracker in self._trackers:
            tracker.update_state(terms[tracker.name])
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        variables = self.classifier.trainable_variables
        with tf.GradientTape() as tape:
            terms = self._terms(x, y, sample_weight, training=True)
            # fit sums replica gradients: scale the per-replica mean for the global batch.
            scaled = scale_for_replicas(terms["loss"])
        grads = tape.gradient(scaled, variables)
        self.optimizer.apply(grads, variables)
        return self._record(terms)

    def test_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        return self._record(self._terms(x, y, sample_weight, training=False))

    def compile(self, optimizer="adam", **kwargs):
        """Compile with an optimizer, built at once over the classifier's variables.

        Building here, inside the model's distribution scope, avoids lazy optimizer variables
        being created inside a replica step (which fails under ``MirroredStrategy``).
        """
        super().compile(optimizer=optimizer, **kwargs)
        with self.distribute_strategy.scope():
            self.optimizer.build(self.classifier.trainable_variables)

    def get_compile_config(self):
        return {"optimizer": keras.saving.serialize_keras_object(self.optimizer)}

    def compile_from_config(self, config):
        self.compile(optimizer=keras.saving.deserialize_keras_object(config["optimizer"]))

    def get_config(self):
        base = super().get_config()
        cfg = {"classifier": keras.saving.serialize_keras_object(self.classifier),
               "attack": self.attack, "epsilon": self.epsilon,
               "adversarial_weight": self.adversarial_weight, "steps": self.steps,
               "step_size": self.step_size, "random_start": self.random_start,
               "clip": None if self.clip is None else list(self.clip),
               "from_logits": self.from_logits, "seed": self.seed}
        return {**base, **cfg}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["classifier"] = keras.saving.deserialize_keras_object(config["classifier"])
        return cls(**config)


def _weighted_mean(values, sample_weight):
    if sample_weight is None:
        return tf.reduce_mean(values)
    w = tf.cast(tf.reshape(sample_weight, (-1,)), values.dtype)
    return tf.math.divide_no_nan(tf.reduce_sum(values * w), tf.reduce_sum(w))


def robustness_curve(model, x, y, epsilons=(0.0, 0.05, 0.1, 0.2, 0.3), attack: str = "pgd",
                     steps: int = 10, step_size: float | None = None, seed: int = 0,
                     clip=attacks.UNIT_RANGE, from_logits: bool = False,
                     batch_size: int = 256) -> list[dict]:
    """Accuracy of ``model`` under an attack of growing strength.

    Args:
        model: Classifier ``x -> class probabilities`` (logits with ``from_logits=True``).
        x, y: Test inputs inside ``clip`` and their integer labels.
        epsilons: L-infinity radii; 0 gives the clean accuracy.
        attack: ``"pgd"`` (default) or ``"fgsm"``.
        steps: PGD steps. step_size: PGD step size; ``None`` uses ``2.5 * epsilon / steps``.
        seed: PGD random-start seed.
        clip, from_logits, batch_size: As in :func:`robustness.attacks.fgsm`.

    Returns:
        One record per epsilon: ``{"attack", "epsilon", "accuracy"}``.

    Raises:
        UnknownNameError: Unknown ``attack``. ConfigError: A negative epsilon or bad settings.

    Example:
        >>> for row in robustness_curve(classifier, x_test, y_test, attack="fgsm"):
        ...     print(row["epsilon"], row["accuracy"])
    """
    _check_attack(attack)
    epsilons = [check_number("epsilon", e) for e in np.atleast_1d(epsilons)]
    x, y = check_data(model, x, y)
    rows = []
    for eps in epsilons:
        if eps == 0:
            x_adv = x
        elif attack == "fgsm":
            x_adv = attacks.fgsm(model, x, y, eps, clip=clip, from_logits=from_logits, batch_size=batch_size)
        else:
            size = 2.5 * eps / steps if step_size is None else step_size
            x_adv = attacks.pgd(model, x, y, eps, steps, size, clip=clip, seed=seed,
                                from_logits=from_logits, batch_size=batch_size)
        pred = np.concatenate([np.asarray(model(x_adv[i:i + batch_size], training=False)).argmax(-1)
                               for i in range(0, len(x_adv), batch_size)])
        rows.append({"attack": attack, "epsilon": eps, "accuracy": float(np.mean(pred == y))})
    return rows


def plot_robustness_curves(curves: dict, title: str = "Accuracy under attack"):
    """Plot accuracy against epsilon, one line per entry of ``{label: robustness_curve rows}``.

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for label, rows in curves.items():
        ax.plot([r["epsilon"] for r in rows], [r["accuracy"] for r in rows], marker="o", label=label)
    ax.set(xlabel="epsilon (L-infinity)", ylabel="accuracy", ylim=(0, 1.02), title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig
