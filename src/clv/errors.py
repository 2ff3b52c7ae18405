"""Errors raised by clv, each with a message a business user can act on."""

from __future__ import annotations


class CLVError(Exception):
    """Base class of every error clv raises on purpose."""


class DataValidationError(CLVError, ValueError):
    """The input data cannot be used as given; the message says what, where and how to fix it."""


class ConvergenceError(CLVError, RuntimeError):
    """A model's maximum-likelihood fit did not converge to finite parameters."""


class NotFittedError(CLVError, AttributeError):
    """A model method that needs fitted parameters was called before ``fit``."""


class ModelFileError(CLVError, ValueError):
    """A saved model or run file is not one clv wrote, is of another format version, or was altered."""


class StorageError(CLVError, RuntimeError):
    """The database could not be opened, migrated or written; stored data is left as it was."""


class FormError(CLVError, ValueError):
    """A form (feedback, feature request, admin user) was filled in wrongly; ``problems`` maps field to message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems.items()))


class LoginError(CLVError, PermissionError):
    """A login failed. Always the same message, whatever the reason, so nothing is learnt from it."""


class ConfigurationError(CLVError, ValueError):
    """An environment variable holds a value clv cannot use; the message names the variable and the fix."""
