"""One distributed step (MirroredStrategy, two logical CPUs) equals the single-device step.

Both replicas receive the same rows, and Keras' seed generator gives every replica the same
random draws, so the single-device step on one copy is the reference: without the replica scaling
of the loss the distributed update would be exactly twice as large (SGD, not Adam, whose first
step hides a scale error).
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tabular.encoding import ModeSpecificEncoder
from tabular.models import ConditionalTabularGAN, ConditionSampler, TabularVAE, ctgan_networks

from ..conftest import mixed_frame
from ...conftest import assert_same_step


def _batch():
    frame = mixed_frame(200, seed=0)
    enc = ModeSpecificEncoder().fit(frame)
    x = enc.transform(frame)
    discrete = [[s.start, s.dim] for s in enc.discrete_spans_]
    rows, cond, mask = ConditionSampler(x, discrete, seed=0).batch(20)
    return enc, discrete, rows, cond, mask


def _tvae(enc, discrete):
    return TabularVAE(enc.layout(), enc.output_width_, latent_dim=4, hidden=(8,), seed=0, discrete=discrete,
                      conditional=True)


def _ctgan(enc, discrete):
    generator, critic = ctgan_networks(enc.output_width_, sum(d for _, d in discrete), 4, (8,), (8,), pac=5)
    return ConditionalTabularGAN(generator, critic, enc.layout(), discrete, pac=5, critic_steps=2, seed=0)


def _compile(model):
    if isinstance(model, ConditionalTabularGAN):
        model.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05))
    else:
        model.compile(keras.optimizers.SGD(0.05))


@pytest.mark.parametrize("build", [_tvae, _ctgan], ids=["tvae", "ctgan"])
def test_distributed_step_matches_single_device(two_cpu_strategy, build):
    enc, discrete, rows, cond, mask = _batch()
    keras.utils.set_random_seed(0)
    single = build(enc, discrete)
    weights = single.get_weights()
    _compile(single)
    with two_cpu_strategy.scope():
        keras.utils.set_random_seed(0)  # the same seeds for the layers' own generators (dropout)
        dist = build(enc, discrete)
        dist.set_weights(weights)
        _compile(dist)
    one = tf.data.Dataset.from_tensors((rows, cond, mask))
    two = tf.data.Dataset.from_tensors(tuple(np.concatenate([a, a]) for a in (rows, cond, mask)))  # a copy each
    h_single = single.fit(one, epochs=1, verbose=0)
    h_dist = dist.fit(two, epochs=1, verbose=0)
    assert_same_step(single, dist, weights, h_single, h_dist, min_changed=4)


@pytest.mark.parametrize("method", ["tvae", "ctgan"])
def test_synthesizer_fits_inside_a_given_strategy(two_cpu_strategy, method):
    from tabular.synthesizers import CTGANConfig, Synthesizer, TVAEConfig

    config = (TVAEConfig(epochs=1, latent_dim=4, hidden=(8,), batch_size=40, prior_components=2) if method == "tvae"
              else CTGANConfig(epochs=1, latent_dim=4, generator_dims=(8,), critic_dims=(8,), pac=5, batch_size=40))
    synth = Synthesizer(method, config, strategy=two_cpu_strategy).fit(mixed_frame(200))
    assert synth.model_.distribute_strategy is two_cpu_strategy
    assert len(synth.sample(20)) == 20
