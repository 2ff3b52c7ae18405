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
