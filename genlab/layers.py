"""Layer-spec MLP builder: networks described as a list of per-layer specs.

A spec gives one hidden layer: ``units``, ``activation``, ``batch_norm`` and ``dropout``, the
configuration style of the original studies. Specs may be written as :class:`LayerSpec`, as a
plain ``int`` (units, default activation) or as a ``dict`` with the same fields.

Example:
    >>> specs = [LayerSpec(64, "leaky_relu", batch_norm=True), {"units": 32, "dropout": 0.1}]
    >>> model = build_mlp(10, specs, output_units=1, output_activation="sigmoid")
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Sequence, Union

import keras

from genlab.errors import ConfigError

#: Activations built as layers rather than by name. ``leaky_relu`` uses slope 0.2 as in DCGAN.
_LAYER_ACTIVATIONS = {"leaky_relu": lambda: keras.layers.LeakyReLU(negative_slope=0.2)}


@dataclasses.dataclass(frozen=True)
class LayerSpec:
    """One dense layer of an MLP.

    Attributes:
        units: Number of units (> 0).
        activation: Keras activation name, ``"leaky_relu"`` (slope 0.2) or ``None`` for linear.
        batch_norm: Insert BatchNormalization between the dense layer and the activation.
        dropout: Dropout rate in ``[0, 1)`` applied after the activation; 0 disables it.
    """

    units: int
    activation: str | None = "relu"
    batch_norm: bool = False
    dropout: float = 0.0

    def __post_init__(self):
        if not isinstance(self.units, int) or isinstance(self.units, bool) or self.units <= 0:
            raise ConfigError(f"LayerSpec.units must be a positive int, received {self.units!r}")
        if not 0.0 <= float(self.dropout) < 1.0:
            raise ConfigError(
                f"LayerSpec.dropout must lie in [0, 1), received {self.dropout!r}; use 0 to disable"
            )
        if self.activation is not None and self.activation not in _LAYER_ACTIVATIONS:
            try:
                keras.activations.get(self.activation)
            except ValueError as exc:
                raise ConfigError(
                    f"LayerSpec.activation {self.activation!r} is not a Keras activation; "
                    "use e.g. 'relu', 'tanh', 'leaky_relu' or None"
                ) from exc

    def to_dict(self) -> dict:
        """Return the spec as a JSON-serializable dict."""
        return dataclasses.asdict(self)


SpecLike = Union[LayerSpec, int, dict]


def as_layer_spec(spec: SpecLike) -> LayerSpec:
    """Normalise an ``int``, ``dict`` or :class:`LayerSpec` into a :class:`LayerSpec`.

    Raises:
        ConfigError: The value cannot be read as a spec.
    """
    if isinstance(spec, LayerSpec):
        return spec
    if isinstance(spec, int) and not isinstance(spec, bool):
        return LayerSpec(spec)
    if isinstance(spec, dict):
        unknown = set(spec) - {f.name for f in dataclasses.fields(LayerSpec)}
        if unknown:
            raise ConfigError(
                f"layer spec has unknown keys {sorted(unknown)}; "
                "allowed: units, activation, batch_norm, dropout"
            )
        return LayerSpec(**spec)
    raise ConfigError(f"a layer spec must be a LayerSpec, int or dict, received {spec!r}")


def as_layer_specs(specs: Iterable[SpecLike]) -> tuple[LayerSpec, ...]:
    """Normalise a sequence of spec-like values (see :func:`as_layer_spec`)."""
    return tuple(as_layer_spec(s) for s in specs)


def apply_layer_specs(x, specs: Sequence[SpecLike], name: str = "dense"):
    """Apply Dense -> [BatchNorm] -> activation -> [Dropout] per spec to a symbolic tensor.

    Args:
        x: Keras tensor (functional API).
        specs: Layer specs, applied in order.
        name: Prefix of the created layer names.

    Returns:
        The output tensor.
    """
    for i, spec in enumerate(as_layer_specs(specs)):
        # Bias is redundant before BatchNorm, which has its own shift.
        x = keras.layers.Dense(spec.units, use_bias=not spec.batch_norm, name=f"{name}_{i}")(x)
        if spec.batch_norm:
            x = keras.layers.BatchNormalization(name=f"{name}_{i}_bn")(x)
        if spec.activation in _LAYER_ACTIVATIONS:
            x = _LAYER_ACTIVATIONS[spec.activation]()(x)
        elif spec.activation is not None:
            x = keras.layers.Activation(spec.activation, name=f"{name}_{i}_act")(x)
        if spec.dropout > 0:
            x = keras.layers.Dropout(spec.dropout, name=f"{name}_{i}_dropout")(x)
    return x


def build_mlp(
    input_dim: int,
    specs: Sequence[SpecLike],
    output_units: int | None = None,
    output_activation: str | None = None,
    name: str = "mlp",
) -> keras.Model:
    """Build a functional MLP from layer specs.

    Args:
        input_dim: Width of the input vector.
        specs: Hidden layer specs (see :class:`LayerSpec`).
        output_units: Width of a final linear/`output_activation` layer; ``None`` for none.
        output_activation: Activation of the output layer (e.g. ``"sigmoid"``, ``"tanh"``).
        name: Model name, also the prefix of the layer names.

    Returns:
        A ``keras.Model`` mapping ``(batch, input_dim)`` to ``(batch, output_units)``.

    Raises:
        ConfigError: ``input_dim`` or ``output_units`` is not a positive int, or a spec is bad.
    """
    for label, value in (("input_dim", input_dim), ("output_units", output_units)):
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise ConfigError(f"build_mlp: {label} must be a positive int, received {value!r}")
    inputs = keras.Input((input_dim,), name=f"{name}_input")
    x = apply_layer_specs(inputs, specs, name=f"{name}_hidden")
    if output_units is not None:
        x = keras.layers.Dense(output_units, activation=output_activation, name=f"{name}_out")(x)
    return keras.Model(inputs, x, name=name)
