"""The one run, in the order it happens.

- :mod:`clv.pipeline.fitting`: the models fitted at the observation end (purchase, spend, learned);
- :mod:`clv.pipeline.backtesting`: the backtest, on a second thread beside the forecast;
- :mod:`clv.pipeline.tally`: every customer scored a part at a time, and the sums over the parts;
- :mod:`clv.pipeline.predictions`: the predictions table's columns and segments;
- :mod:`clv.pipeline.metadata`: the run's description;
- :mod:`clv.pipeline.results`: what a run returns, saved and loaded;
- :mod:`clv.pipeline.runner`: :func:`run`, which does all of the above;
- :mod:`clv.pipeline.batch`: the same steps, writing the parts to a file instead of keeping them;
- :mod:`clv.pipeline.contractual` and :mod:`clv.pipeline.contractual_backtest`: the contractual run of a
  subscriptions table (retention models, residual value, backtest on the last periods).
"""

from clv.pipeline.predictions import PREDICTION_COLUMNS, SEGMENT_COLUMNS
from clv.pipeline.results import Results
from clv.pipeline.runner import run
from clv.settings import Settings

__all__ = ["PREDICTION_COLUMNS", "SEGMENT_COLUMNS", "Results", "Settings", "run"]
