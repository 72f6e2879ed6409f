"""Exception types raised for bad user input.

Every message names the parameter or column, what was expected, what was received and a fix.
All types derive from :class:`GenlabError` and from the matching built-in type, so callers may
catch either ``genlab.errors.GenlabError`` or e.g. ``ValueError``.
"""


class GenlabError(Exception):
    """Base class of every error genlab raises on purpose."""


class ConfigError(GenlabError, ValueError):
    """A configuration value is out of range or inconsistent."""


class InputShapeError(GenlabError, ValueError):
    """An array does not have the shape the model was built for."""


class InvalidValueError(GenlabError, ValueError):
    """An array holds values the model cannot use (NaN, infinity, wrong dtype)."""


class LabelError(GenlabError, ValueError):
    """Labels are missing, of the wrong shape, or outside ``[0, n_classes)``."""


class UnknownNameError(GenlabError, ValueError):
    """A name (strategy, run, option) is not one of the known choices."""


class NotFittedError(ConfigError):
    """A transformer or model was used before ``fit``."""


class DataUnavailableError(GenlabError, OSError):
    """A data set is neither on disk nor downloadable from here (e.g. offline)."""


class ChecksumError(GenlabError, OSError):
    """A downloaded or cached file does not have the expected sha256."""


class ExportMismatchError(GenlabError, AssertionError):
    """A reloaded SavedModel does not reproduce the Python model's outputs."""


class PathExistsError(GenlabError, FileExistsError):
    """A path to write to already holds something that must not be overwritten."""


class SavedStateError(GenlabError, ValueError):
    """A saved model or synthesizer is missing, incomplete, corrupt or inconsistent."""


class ConditionError(GenlabError, ValueError):
    """A sampling condition cannot be met by the fitted model (too few matching rows)."""


class TrainingDivergedError(GenlabError, ArithmeticError):
    """A loss or metric became NaN or infinite during training; the model holds its last good weights."""


def unknown_name(kind: str, received: str, choices) -> UnknownNameError:
    """Build an :class:`UnknownNameError` listing the valid choices.

    Args:
        kind: What the name designates, e.g. ``"strategy"``.
        received: The name that was given.
        choices: The accepted names.

    Returns:
        The error, ready to raise.
    """
    listed = ", ".join(sorted(choices))
    return UnknownNameError(f"unknown {kind} {received!r}; expected one of: {listed}")
