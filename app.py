"""Streamlit entry point of a checkout: ``make run`` (or ``clv app``) starts it with the server settings of
``clv/app/streamlit.toml``. All logic lives in the ``clv`` package; ``clv/app/entry.py`` is the same script."""

from clv.app.main import main

main()
