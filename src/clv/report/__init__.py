"""Charts and exports shared by the app, the CLI and reports (no Streamlit here)."""
