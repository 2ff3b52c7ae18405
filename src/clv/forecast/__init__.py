"""From a customer's history to a forecast of their value, and a test of how far to trust it.

- :mod:`clv.forecast.features`: per-customer features from the log at a cutoff;
- :mod:`clv.forecast.learned`: the learned (LightGBM) model of the value over a window;
- :mod:`clv.forecast.ensemble`: the purchase and spend models chosen and fitted, the learned model trained on past
  windows and blended with them;
- :mod:`clv.forecast.scoring`: every customer's value, interval, P(alive) and next purchase, a part at a time;
- :mod:`clv.forecast.backtest`: the honest time-split backtest of all of it.
"""
