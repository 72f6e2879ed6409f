"""Reversible encodings of DataFrames: one :class:`Span` record, one :class:`Encoder` contract.

- :class:`MinMaxOneHotEncoder` — numbers min-max scaled to ``[-1, 1]``, categories one-hot (the
  original study's encoding, used by the study's GANs and autoencoder).
- :class:`ModeSpecificEncoder` — mode-specific normalisation of numbers (CTGAN / TVAE).
- :class:`QuantileEncoder` — quantile-normal numbers, exact levels of few-level integers (diffusion).

All infer column kinds (``continuous``, ``integer``, ``categorical``, ``boolean``; overridable),
keep missing values, decode inside the fitted range and precision with the input dtypes, save
their fitted state as JSON (:meth:`Encoder.get_state`, :func:`encoder_from_state`) and decode in
TensorFlow ops, so an exported SavedModel decodes rows in its graph.

Example:
    >>> from tabular.encoding import ModeSpecificEncoder
    >>> enc = ModeSpecificEncoder().fit(frame)
    >>> x = enc.transform(frame)                 # float32 (n, enc.output_width_)
    >>> enc.spans_[:2]                           # [Span('age', 'value', 0, 1, 'tanh'), ...]
    >>> same = encoder_from_state(json.loads(json.dumps(enc.get_state())))
"""

from tabular.encoding.base import ENCODERS, Encoder, Span, encoder_from_state, register_encoder
from tabular.encoding.columns import KINDS, check_frame, infer_kind, numeric_values
from tabular.encoding.minmax import MinMaxOneHotEncoder
from tabular.encoding.mode_specific import ModeSpecificEncoder
from tabular.encoding.quantile import QuantileEncoder

__all__ = ["ENCODERS", "Encoder", "KINDS", "MinMaxOneHotEncoder", "ModeSpecificEncoder", "QuantileEncoder", "Span",
           "check_frame", "encoder_from_state", "infer_kind", "numeric_values", "register_encoder"]
