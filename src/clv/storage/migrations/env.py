"""Alembic environment: migrations always run on a connection handed over by :func:`clv.storage.migrate.upgrade`."""

from alembic import context

from clv.storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
