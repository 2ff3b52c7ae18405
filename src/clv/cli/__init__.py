"""The ``clv`` command line (:mod:`clv.cli.main`); ``main`` is the console entry point."""

from clv.cli.common import EXIT_BAD_INPUT, EXIT_MODEL_FAILURE, EXIT_OUT_OF_MEMORY
from clv.cli.main import app, main

__all__ = ["EXIT_BAD_INPUT", "EXIT_MODEL_FAILURE", "EXIT_OUT_OF_MEMORY", "app", "main"]
