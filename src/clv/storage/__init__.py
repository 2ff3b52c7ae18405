"""Storage: the database behind feedback, feature requests, usage analytics, administrators, the audit log and
stored model runs (SQLAlchemy 2 over SQLite in WAL mode, or PostgreSQL; Alembic migrations applied on opening).

Used by the faces (app, CLI) only; nothing here imports Streamlit or the app.
"""

from clv.storage.db import Database, database_url, open_database

__all__ = ["Database", "database_url", "open_database"]
