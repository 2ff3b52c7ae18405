"""Streamlit entry point: ``streamlit run app.py``. All logic lives in the ``clv`` package."""

from clv.app.main import main

main()
