"""M2 (Kingma et al. 2014): the objective against a NumPy hand computation, training, save/load."""

import math

import keras
import numpy as np
import pytest

from genlab import data
from genlab.errors import ConfigError, InputShapeError, NotFittedError, UnknownNameError
from genlab.layers import LayerSpec
from genlab.seeding import set_seed
from vaec import M1, M1Config, M2, VAECConfig, m1_posterior, paired_dataset


# ----------------------------------------------------------------------------- NumPy reference
def _softplus(a):
    return np.logaddexp(0.0, a)


def _mlp(weights, x, hidden_layers):
    """Dense layers with softplus on the hidden ones; ``weights`` = [W0, b0, W1, b1, ...]."""
    for i in range(hidden_layers + 1):
        x = x @ weights[2 * i] + weights[2 * i + 1]
        if i < hidden_layers:
            x = _softplus(x)
    return x


def _log_softmax(a):
    a = a - a.max(axis=1, keepdims=True)
    return a - np.log(np.exp(a).sum(axis=1, keepdims=True))


def _bound(model, x, y_onehot, eps):
    """L(x, y) = -log p(x|y,z) - log p(y) + KL(q(z|x,y) || N(0, I)) with z = mu + sigma * eps."""
    k, d, hl = model.n_classes, model.latent_dim, len(model.hidden)
    stats = _mlp(model.encoder.get_weights(), np.c_[x, y_onehot], hl)
    mu, log_var = stats[:, :d], stats[:, d:]
    z = mu + np.exp(0.5 * log_var) * eps
    out = _mlp(model.decoder.get_weights(), np.c_[z, y_onehot], hl)
    if model.likelihood == "bernoulli":
        p = 1 / (1 + np.exp(-out))
        log_px = (x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=1)
    else:
        mean, log_v = out[:, :x.shape[1]], np.clip(out[:, x.shape[1]:], -8, 8)
        log_px = (-0.5 * (np.log(2 * np.pi) + log_v + (x - mean) ** 2 / np.exp(log_v))).sum(axis=1)
    kl = 0.5 * (np.exp(log_var) + mu ** 2 - 1 - log_var).sum(axis=1)
    return -log_px + np.log(k) + kl


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_loss_on_a_tiny_batch_equals_a_numpy_hand_computation(likelihood):
    rng = np.random.default_rng(0)
    k, dim, latent = 3, 5, 2
    model = M2(dim, k, latent_dim=latent, hidden=(4,), likelihood=likelihood, alpha=2.5, seed=1)
    # Non-trivial weights everywhere (Keras starts biases at 0).
    for sub in (model.encoder, model.classifier, model.decoder):
        sub.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in sub.get_weights()])
    x_l = rng.uniform(0.05, 0.95, (2, dim)).astype(np.float32)
    y_l = np.array([2, 0])
    x_u = rng.uniform(0.05, 0.95, (3, dim)).astype(np.float32)
    eps_l = rng.normal(size=(2, latent)).astype(np.float32)
    eps_u = rng.normal(size=(k, 3, latent)).astype(np.float32)  # one draw per (class, row)

    terms = {name: float(v) for name, v in model.compute_losses(
        keras.ops.convert_to_tensor(x_l), y_l, keras.ops.convert_to_tensor(x_u),
        eps_labelled=eps_l, eps_unlabelled=eps_u).items()}

    # Labelled: mean L(x, y) and cross-entropy of q(y|x).
    onehot = np.eye(k)[y_l]
    x_l64, x_u64 = x_l.astype(np.float64), x_u.astype(np.float64)
    labelled = _bound(model, x_l64, onehot, eps_l).mean()
    log_q_l = _log_softmax(_mlp(model.classifier.get_weights(), x_l64, 1))
    ce = -log_q_l[np.arange(2), y_l].mean()
    # Unlabelled: U(x) = sum_y q(y|x) L(x, y) + sum_y q log q, each y with its own noise.
    log_q_u = _log_softmax(_mlp(model.classifier.get_weights(), x_u64, 1))
    q_u = np.exp(log_q_u)
    bounds = np.stack([_bound(model, x_u64, np.tile(np.eye(k)[c], (3, 1)), eps_u[c])
                       for c in range(k)], axis=1)  # (rows, classes)
    unlabelled = ((q_u * bounds).sum(1) + (q_u * log_q_u).sum(1)).mean()

    assert terms["labelled_loss"] == pytest.approx(labelled, rel=1e-4)
    assert terms["classification_loss"] == pytest.approx(ce, rel=1e-4)
    assert terms["unlabelled_loss"] == pytest.approx(unlabelled, rel=1e-4)
    assert terms["loss"] == pytest.approx(labelled + 2.5 * ce + unlabelled, rel=1e-4)
    if likelihood == "bernoulli":  # -log p(x|y,z) >= 0 and KL >= 0, so L >= -log p(y) = log K
        assert bounds.min() >= math.log(k) - 1e-9


def test_unlabelled_bound_is_at_least_the_best_class_bound_minus_log_k():
    # U(x) = sum q L - H(q) >= min_y L(x, y) - log K: a sanity bound on the marginalisation.
    model = M2(6, 4, latent_dim=2, hidden=(8,))
    x = np.random.default_rng(1).uniform(size=(5, 6)).astype(np.float32)
    eps = np.zeros((4, 5, 2), np.float32)
    u, logits = model.unlabelled_bound(keras.ops.convert_to_tensor(x), eps)
    per_class = np.stack([np.asarray(model.labelled_bound(
        keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(np.tile(np.eye(4, dtype=np.float32)[c], (5, 1))),
        eps[c])) for c in range(4)], axis=1)
    assert np.all(np.asarray(u) >= per_class.min(1) - math.log(4) - 1e-4)
    assert np.asarray(logits).shape == (5, 4)


# ----------------------------------------------------------------------------- training
@pytest.fixture(scope="module")
def trained():
    split = data.digits_images()
    x = split.x_train.reshape(len(split.x_train), -1)
    set_seed(0)
    idx = np.concatenate([np.flatnonzero(split.y_train == c)[:5] for c in range(10)])
    model = M2(64, 10, latent_dim=8, hidden=(64,), alpha=10.0, seed=0)
    model.compile(keras.optimizers.Adam(2e-3))
    ds = paired_dataset(x[idx], split.y_train[idx], x, batch_size=64, seed=0)
    before = model.evaluate(ds.take(5), verbose=0, return_dict=True)
    history = model.fit(ds, epochs=8, verbose=0)
    return model, split, ds, before, history


def test_train_step_lowers_the_loss_and_learns_the_classes(trained):
    model, split, ds, before, history = trained
    losses = history.history["loss"]
    assert set(history.history) == {"loss", "labelled_loss", "unlabelled_loss",
                                    "classification_loss", "labelled_accuracy"}
    assert losses[-1] < 0.7 * losses[0] and losses[-1] < before["loss"]
    assert history.history["unlabelled_loss"][-1] < history.history["unlabelled_loss"][0]
    # 50 labels of 8x8 digits: chance is 10 %.
    assert model.accuracy(split.x_test, split.y_test) > 0.6


def test_paired_dataset_batches_and_epoch_length():
    x_l, y_l = np.ones((7, 2, 2), np.float32), np.arange(7) % 3
    x_u = np.zeros((50, 4), np.float32)
    ds = paired_dataset(x_l, y_l, x_u, batch_size=16, labelled_batch_size=5)
    batches = list(ds)
    assert len(batches) == 3  # one pass over 50 unlabelled rows, remainder dropped
    (xl, yl), xu = batches[0]
    assert xl.shape == (5, 4) and yl.shape == (5,) and xu.shape == (16, 4)
    with pytest.raises(InputShapeError, match="labelled rows have 4 features but unlabelled rows 3"):
        paired_dataset(x_l, y_l, np.zeros((5, 3)))
    with pytest.raises(InputShapeError, match="7 labelled rows but 6 labels"):
        paired_dataset(x_l, y_l[:6], x_u)


def test_paired_dataset_draws_fresh_samples_of_gaussian_rows():
    mean_l, mean_u = np.full((4, 3), 5.0, np.float32), np.zeros((20, 3), np.float32)
    zero = paired_dataset(mean_l, np.arange(4), mean_u, batch_size=10, labelled_std=np.zeros_like(mean_l),
                          unlabelled_std=np.zeros_like(mean_u))
    (xl, _), xu = next(iter(zero))
    np.testing.assert_array_equal(xl, 5.0)
    np.testing.assert_array_equal(xu, 0.0)
    noisy = paired_dataset(mean_l, np.arange(4), mean_u, batch_size=10,
                           labelled_std=np.full_like(mean_l, 2.0), unlabelled_std=np.ones_like(mean_u))
    first, second = [np.asarray(xu) for (_, xu) in noisy]
    assert not np.allclose(first, second)  # a new draw per batch
    assert 0.3 < np.concatenate([first, second]).std() < 2.0
    with pytest.raises(ConfigError, match="give both labelled_std and unlabelled_std"):
        paired_dataset(mean_l, np.arange(4), mean_u, labelled_std=mean_l)
    with pytest.raises(InputShapeError, match="std arrays must match their rows"):
        paired_dataset(mean_l, np.arange(4), mean_u, labelled_std=mean_l[:, :2], unlabelled_std=mean_u)


def test_m1_posterior_mean_is_the_m1_code_and_std_is_positive():
    split = data.digits_images()
    vae = VAECConfig(input_shape=(8, 8, 1), n_classes=10, latent_dim=4, conv_filters=(8,),
                     encoder_layers=(LayerSpec(16),), reconstruction_loss="bce", seed=0)
    m1 = M1(M1Config(vae=vae, classifiers=("linear_svc",)))
    with pytest.raises(NotFittedError, match="call fit_vae"):
        m1_posterior(m1, split.x_test)
    m1.fit_vae(split.x_train[:200], epochs=1, batch_size=100, verbose=0)
    mean, std = m1_posterior(m1, split.x_test[:30])
    np.testing.assert_allclose(mean, m1.codes(split.x_test[:30]), atol=1e-5)
    assert std.shape == mean.shape and np.all(std > 0)
    _, z_log_var, _ = m1.vae.encode(split.x_test[:30])
    np.testing.assert_allclose(std * m1.code_std_, np.exp(0.5 * z_log_var[:, m1.active_units_]),
                               rtol=1e-5)


def test_save_load_round_trip_keeps_predictions_config_and_training(trained, tmp_path):
    model, split, ds, _, _ = trained
    path = tmp_path / "m2.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, M2)
    assert loaded.get_config() == model.get_config()
    x = split.x_test.reshape(len(split.x_test), -1)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    for a, b in zip(loaded.decoder.get_weights(), model.decoder.get_weights()):
        np.testing.assert_array_equal(a, b)
    # The restored model (and its optimizer) keeps training.
    assert np.isfinite(loaded.fit(ds.take(3), epochs=1, verbose=0).history["loss"][-1])


def test_config_errors():
    with pytest.raises(UnknownNameError, match="unknown likelihood 'poisson'"):
        M2(4, 2, likelihood="poisson")
    with pytest.raises(ConfigError, match="n_classes must be an integer >= 2"):
        M2(4, 1)
    with pytest.raises(ConfigError, match="alpha must be >= 0"):
        M2(4, 2, alpha=-1.0)
    with pytest.raises(InputShapeError, match="must have 4 features per row"):
        M2(4, 2).accuracy(np.zeros((3, 5)), np.zeros(3, int))
