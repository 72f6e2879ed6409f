"""Argument checks shared by the modules of :mod:`gans` (private)."""

from __future__ import annotations

import numpy as np

from genlab.errors import ConfigError


def positive_int(name: str, value, allow_zero: bool = False) -> int:
    """Return ``value`` as an ``int`` after checking it is a positive (or non-negative) integer.

    Args:
        name: Argument name, quoted in the error message.
        value: The value to check; ``bool`` is refused.
        allow_zero: Accept 0 as well.

    Returns:
        ``int(value)``.

    Raises:
        ConfigError: ``value`` is not an integer, or below the bound.
    """
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        kind = "a non-negative" if allow_zero else "a positive"
        raise ConfigError(f"{name} must be {kind} int, received {value!r}")
    return int(value)
