"""The script Streamlit runs for the app (``streamlit run`` this file): it lives in the package, so an installed
wheel starts the app with ``clv app`` as a checkout does. The repository's ``app.py`` is the same two lines."""

from clv.app.main import main

main()
