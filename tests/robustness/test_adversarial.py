import keras
import numpy as np
import pytest

from genlab.errors import ConfigError, UnknownNameError
from robustness.adversarial import AdversarialTrainer, plot_robustness_curves, robustness_curve
from robustness.attacks import fgsm
from tests.robustness.conftest import accuracy, small_cnn


def test_adversarial_training_raises_fgsm_accuracy(digits):
    # Measured (seeds 0-2, 15 epochs, FGSM at 0.1): standard 0.64, adversarial 0.74 (+0.10);
    # at 0.2: 0.10 vs 0.28-0.33. Clean accuracy stays within ~0.015.
    x, y = digits.x_train, digits.y_train
    standard = small_cnn(0)
    standard.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    standard.fit(x, y, epochs=15, batch_size=64, verbose=0)
    robust = small_cnn(0)
    trainer = AdversarialTrainer(robust, attack="fgsm", epsilon=0.15, adversarial_weight=0.5)
    trainer.compile(keras.optimizers.Adam(1e-3))
    history = trainer.fit(x, y, epochs=15, batch_size=64, verbose=0)
    assert set(history.history) == {"loss", "clean_loss", "adversarial_loss", "accuracy",
                                    "adversarial_accuracy"}
    assert history.history["adversarial_accuracy"][-1] > history.history["adversarial_accuracy"][0]
    xt, yt = digits.x_test, digits.y_test
    assert accuracy(robust, xt, yt) > 0.9
    gain = (accuracy(robust, fgsm(robust, xt, yt, 0.1), yt)
            - accuracy(standard, fgsm(standard, xt, yt, 0.1), yt))
    assert gain > 0.05


def test_distributed_step_matches_single_device(two_cpu_strategy, digits):
    x, y = digits.x_train[:64], digits.y_train[:64]
    single = small_cnn(1)
    weights = single.get_weights()
    trainer = AdversarialTrainer(single, attack="fgsm", epsilon=0.1)
    trainer.compile(keras.optimizers.SGD(0.1))  # SGD, not Adam: Adam's first step hides a scale error
    with two_cpu_strategy.scope():
        dist_clf = small_cnn(1)
        dist_clf.set_weights(weights)
        dist = AdversarialTrainer(dist_clf, attack="fgsm", epsilon=0.1)
        dist.compile(keras.optimizers.SGD(0.1))
    h_single = trainer.fit(x, y, epochs=1, batch_size=32, shuffle=False, verbose=0)
    h_dist = dist.fit(x, y, epochs=1, batch_size=32, shuffle=False, verbose=0)
    assert dist.distribute_strategy.num_replicas_in_sync == 2
    for a, b, w0 in zip(single.get_weights(), dist_clf.get_weights(), weights):
        np.testing.assert_allclose(b, a, atol=2e-5, rtol=1e-4)
    assert any(not np.allclose(a, w0) for a, w0 in zip(single.get_weights(), weights))
    np.testing.assert_allclose(h_dist.history["loss"], h_single.history["loss"], rtol=1e-4)


def test_pgd_training_runs_under_the_strategy(two_cpu_strategy, digits):
    with two_cpu_strategy.scope():
        trainer = AdversarialTrainer(small_cnn(2), attack="pgd", epsilon=0.1, steps=2, seed=3)
        trainer.compile(keras.optimizers.Adam(1e-3))
    history = trainer.fit(digits.x_train[:64], digits.y_train[:64], epochs=1, batch_size=32, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_pgd_training_and_evaluate(digits):
    trainer = AdversarialTrainer(small_cnn(2), attack="pgd", epsilon=0.1, steps=3,
                                 adversarial_weight=1.0, seed=0)
    trainer.compile(keras.optimizers.Adam(1e-3))
    trainer.fit(digits.x_train, digits.y_train, epochs=5, batch_size=64, verbose=0)
    scores = trainer.evaluate(digits.x_test[:256], digits.y_test[:256], verbose=0, return_dict=True)
    # the model learned the digits, and the attack finds inputs it gets wrong
    assert scores["accuracy"] > 0.8 and scores["adversarial_accuracy"] < scores["accuracy"] - 0.05, scores
    assert trainer.step_size == pytest.approx(2.5 * 0.1 / 3)


def test_serialization_round_trip(digits, tmp_path):
    trainer = AdversarialTrainer(small_cnn(3), attack="pgd", epsilon=0.2, adversarial_weight=0.7,
                                 steps=4, step_size=0.05, clip=(0.0, 1.0), seed=5, name="adv")
    config = trainer.get_config()
    clone = AdversarialTrainer.from_config(config)
    assert clone.get_config() == config
    assert (clone.attack, clone.epsilon, clone.steps, clone.seed) == ("pgd", 0.2, 4, 5)
    trainer.compile(keras.optimizers.SGD(0.01))
    path = tmp_path / "adv.keras"
    trainer.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, AdversarialTrainer) and loaded.adversarial_weight == 0.7
    x = digits.x_test[:8]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), trainer.predict(x, verbose=0), atol=1e-6)
    assert isinstance(loaded.optimizer, keras.optimizers.SGD)


def test_robustness_curve_decreases_and_plots(digits, digits_cnn):
    x, y = digits.x_test[:200], digits.y_test[:200]
    for attack in ("fgsm", "pgd"):
        rows = robustness_curve(digits_cnn, x, y, epsilons=(0, 0.1, 0.3), attack=attack, steps=3)
        assert [r["epsilon"] for r in rows] == [0, 0.1, 0.3]
        acc = [r["accuracy"] for r in rows]
        assert acc[0] == pytest.approx(accuracy(digits_cnn, x, y))
        assert acc[0] > acc[1] > acc[2]
    fig = plot_robustness_curves({"pgd": rows})
    assert len(fig.axes[0].lines) == 1


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(attack="cw"), UnknownNameError, "unknown attack 'cw'"),
    (dict(epsilon=-0.1), ConfigError, "epsilon"),
    (dict(adversarial_weight=1.5), ConfigError, r"adversarial_weight must lie in \[0, 1\]"),
    (dict(steps=0), ConfigError, "steps"),
])
def test_trainer_rejects_bad_settings(kwargs, error, match):
    with pytest.raises(error, match=match):
        AdversarialTrainer(small_cnn(0), **kwargs)


def test_trainer_needs_a_built_classifier():
    with pytest.raises(ConfigError, match="built keras.Model"):
        AdversarialTrainer(keras.Sequential([keras.layers.Dense(3)]))
