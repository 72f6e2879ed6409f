import keras
import numpy as np
import pytest

from genlab.errors import ConfigError
from genlab.layers import LayerSpec, as_layer_spec, build_mlp


def test_build_mlp_layers_and_shapes():
    model = build_mlp(7, [LayerSpec(16, "leaky_relu", batch_norm=True, dropout=0.2), 8],
                      output_units=3, output_activation="softmax")
    kinds = [type(l).__name__ for l in model.layers]
    assert kinds == ["InputLayer", "Dense", "BatchNormalization", "LeakyReLU", "Dropout", "Dense",
                     "Activation", "Dense"]
    out = model(np.zeros((5, 7), np.float32))
    assert out.shape == (5, 3)
    np.testing.assert_allclose(np.sum(out, axis=1), 1.0, rtol=1e-6)
    leaky = [l for l in model.layers if isinstance(l, keras.layers.LeakyReLU)][0]
    assert leaky.negative_slope == pytest.approx(0.2)
    # Dense before BatchNorm carries no bias: BatchNorm's beta replaces it.
    assert model.layers[1].use_bias is False and model.layers[5].use_bias is True


def test_spec_forms_are_equivalent():
    assert as_layer_spec(12) == LayerSpec(12)
    assert as_layer_spec({"units": 12, "dropout": 0.5}) == LayerSpec(12, dropout=0.5)


@pytest.mark.parametrize("spec, match", [
    ({"units": 0}, "units must be a positive int"),
    ({"units": 4, "dropout": 1.0}, "dropout must lie in"),
    ({"units": 4, "activation": "nope"}, "not a Keras activation"),
    ({"units": 4, "size": 3}, "unknown keys"),
])
def test_bad_specs_raise_clear_errors(spec, match):
    with pytest.raises(ConfigError, match=match):
        as_layer_spec(spec)


def test_bad_input_dim():
    with pytest.raises(ConfigError, match="input_dim must be a positive int"):
        build_mlp(0, [4])
